"""helpers.results: where measured numbers go, and what a quote must hold."""

from __future__ import annotations

import json

import pytest

from helpers import config, data, results


@pytest.fixture
def folders(monkeypatch, tmp_path):
    monkeypatch.setattr(config, "RESULTS_DIR", tmp_path / "results")
    monkeypatch.setattr(config, "ROOT", tmp_path)
    return tmp_path


QUOTE = [dict(quantity="test accuracy", value=98.5, unit="%", note="seed 0")]


def test_full_runs_on_full_data_write_the_committed_results(folders, monkeypatch):
    monkeypatch.setenv(config.FAST_ENV, "0")
    monkeypatch.setattr(data, "last_source", data.DataSource("file", None, "full"))
    path = results.record("flagship", QUOTE, details={"epochs": 30})
    assert path == folders / "results" / "flagship.json"
    payload = json.loads(path.read_text())
    assert payload["readme"] == QUOTE and payload["details"] == {"epochs": 30}


@pytest.mark.parametrize(("fast", "kind"), [("1", "file"), ("0", "fallback"), ("1", "fallback")])
def test_fast_or_fallback_runs_never_replace_measurements(folders, monkeypatch, fast, kind):
    monkeypatch.setenv(config.FAST_ENV, fast)
    monkeypatch.setattr(data, "last_source", data.DataSource(kind, None, kind))
    path = results.record("flagship", QUOTE)
    assert path.parent == folders / "benchmarks" / "scratch"
    assert not (folders / "results").exists()


def test_bad_names_and_quotes(folders):
    with pytest.raises(ValueError, match="plain word"):
        results.record("../evil", QUOTE)
    with pytest.raises(ValueError, match="lacks"):
        results.record("ok", [dict(quantity="no value")])
