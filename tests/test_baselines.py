"""helpers.baselines: notebook 01 records its baselines; later notebooks read them."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from helpers import baselines, config, data


@pytest.fixture
def folders(monkeypatch, tmp_path):
    monkeypatch.setattr(config, "RESULTS_DIR", tmp_path / "results")
    monkeypatch.setattr(config, "ROOT", tmp_path)
    return tmp_path


def _table():
    return pd.DataFrame(
        {"validation": [0.1, 0.92], "test": [0.098, 0.925]},
        index=["chance (uniform guess)", "linear softmax (logistic regression)"],
    )


def test_full_run_records_and_load_reads_back(folders, monkeypatch):
    monkeypatch.setenv(config.FAST_ENV, "0")
    monkeypatch.setattr(data, "last_source", data.DataSource("file", None, "full"))
    path = baselines.record(_table(), details={"sizes": {"fit": 50_000}})
    assert path == folders / "results" / "baselines.json"
    payload = json.loads(path.read_text())
    assert payload["details"]["sizes"] == {"fit": 50_000}
    assert payload["readme"][1]["value"] == 92.0
    assert baselines.load() == {
        "chance (uniform guess)": {"validation": 0.1, "test": 0.098},
        "linear softmax (logistic regression)": {"validation": 0.92, "test": 0.925},
    }


def test_fast_runs_do_not_replace_the_committed_file(folders, monkeypatch):
    monkeypatch.setenv(config.FAST_ENV, "1")
    path = baselines.record(_table())
    assert "scratch" in path.parts
    assert baselines.load() is None


def test_a_table_without_the_two_columns_is_refused(folders):
    with pytest.raises(ValueError, match="validation"):
        baselines.record(pd.DataFrame({"accuracy": [0.5]}, index=["x"]))
