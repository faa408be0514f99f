"""benchmarks/fresh_clone.py records the main command's fresh-clone time in series_full.json,
and the runner keeps that entry when it records notebooks afterwards."""

from __future__ import annotations

import json

from benchmarks import fresh_clone
from helpers import run, schema


def _series(tmp_path):
    path = tmp_path / "series_full.json"
    entry = {"seconds": 12.5, "status": "ok", "finished": "2026-12-07T04:00:00+00:00"}
    path.write_text(json.dumps({"mode": "full", "notebooks": {"01_data_inspection.ipynb": entry}}))
    return path


def test_the_fresh_clone_entry_is_written_beside_the_notebooks_and_kept_by_the_runner(
    tmp_path, monkeypatch
):
    path = _series(tmp_path)
    monkeypatch.setattr(run, "results_path", lambda fast: path)
    result = {
        "seconds": 1000.0,
        "measured": "2026-12-07T05:00:00+00:00",
        "status": "ok",
        "load_average_before": [0.5, 0.4, 0.3],
        "notebooks": {"01_data_inspection.ipynb": 20.0},
    }
    fresh_clone._record_in_series(result)
    data = schema.load(path, schema.SERIES, "fix")
    assert data["fresh_clone"] == result and "01_data_inspection.ipynb" in data["notebooks"]
    run._merge([], fast=False, path=path)  # the runner records again: the entry stays
    assert json.loads(path.read_text())["fresh_clone"] == result


def test_a_damaged_fresh_clone_entry_is_refused_by_the_schema(tmp_path):
    path = _series(tmp_path)
    data = json.loads(path.read_text())
    data["fresh_clone"] = {"seconds": "fast", "measured": "today", "status": "ok"}
    path.write_text(json.dumps(data))
    try:
        schema.load(path, schema.SERIES, "fix")
    except schema.ResultsFileError as exc:
        assert "fresh_clone.seconds" in str(exc)
    else:
        raise AssertionError("a fresh_clone entry with text seconds was accepted")


def test_model_lines_reads_what_a_notebook_printed_about_its_models(tmp_path):
    nb = {
        "cells": [
            {"outputs": [{"text": "Loaded the flagship from x.keras.\nsomething else\n"}]},
            {"outputs": [{"text": ["Trained the MLP in 30 s.\n"]}]},
        ]
    }
    path = tmp_path / "10_x.ipynb"
    path.write_text(json.dumps(nb))
    assert fresh_clone.model_lines(path) == [
        "Loaded the flagship from x.keras.",
        "Trained the MLP in 30 s.",
    ]


def test_readme_gets_a_fresh_clone_column_only_when_it_was_measured():
    from benchmarks import report

    results = report.gather()
    full = results["series"]["full"]
    if full is None:
        import pytest

        pytest.skip("no full-mode series record")
    full.pop("fresh_clone", None)
    assert "fresh clone: time" not in report.markdown(results)  # nothing invented
    name = next(iter(full["notebooks"]))
    full["fresh_clone"] = {
        "seconds": 1140.0,
        "measured": "2026-12-07T05:00:00+00:00",
        "status": "ok",
        "load_average_before": [0.4, 0.5, 0.6],
        "notebooks": {name: 90.0},
    }
    text = report.markdown(results)
    assert "fresh clone: time |" in text and "**19.0 min** |" in text
    row = next(line for line in text.splitlines() if line.startswith(f"| {name[:-6]} |"))
    assert row.endswith(" 1.5 min |"), row
    assert "load average 0.4 before" in text
