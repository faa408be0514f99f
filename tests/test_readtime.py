"""Every notebook's "Time:" line equals the rule of helpers/readtime.py (words read at a
stated rate plus the recorded full-run time, rounded up to 5 minutes)."""

from __future__ import annotations

import nbformat
import pytest

from helpers import readtime

NOTEBOOKS = readtime.notebooks()
IDS = [p.name for p in NOTEBOOKS]


def notebook(*cells):
    nb = nbformat.v4.new_notebook()
    nb.cells = list(cells)
    return nb


md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_time_line_follows_the_rule(path):
    nb = nbformat.read(path, as_version=4)
    expected = readtime.estimate(path).sentence()
    assert readtime.time_line(nb) == expected, (
        f"{path.name}: its Time line should read\n  {expected}\n"
        "run `python -m helpers.readtime --write` (after its full run is recorded)"
    )


def test_words_exclude_setup_and_solutions_and_count_going_further_apart():
    nb = notebook(
        md("# 99 · T\n\n**Time:** about 5 minutes."),  # 4 words: the Time sentence is not counted
        code("one two three", metadata={"tags": ["setup"]}),
        code("x = 1"),  # 3
        md("## Going further\n\nmore words here"),  # 6, optional
        code("y = 2"),  # 3, optional
        md("## Exercises"),  # 2
        md("## Solutions", metadata={"tags": ["solution"]}),
        code("z = 3", metadata={"tags": ["solution"]}),
    )
    assert readtime.word_counts(nb) == (9, 9)


def test_minutes_round_up_to_five_and_include_the_run():
    est = readtime.Estimate("99_t.ipynb", words=2000, optional_words=0, run_seconds=61)
    assert est.minutes == 25  # 20 + 1.02 minutes -> 25
    assert readtime.Estimate("99_t.ipynb", 2000, 0, 0.0).minutes == 20
    assert readtime.Estimate("99_t.ipynb", 10, 0, 0.0).minutes == 5
    assert "2 min of full run" in est.sentence()
    with_optional = readtime.Estimate("99_t.ipynb", 2000, 350, 0.0)
    assert with_optional.optional_minutes == 5 and "Going further" in with_optional.sentence()


def test_missing_run_time_is_looked_up_by_topic_then_said():
    results = {"notebooks": {"05_training_with_keras.ipynb": {"seconds": 126.1, "status": "ok"}}}
    assert readtime.run_seconds("06_training_with_keras.ipynb", results) == 126.1
    assert readtime.run_seconds("10_saliency.ipynb", results) is None
    failed = {"notebooks": {"10_saliency.ipynb": {"seconds": 3.0, "status": "error"}}}
    assert readtime.run_seconds("10_saliency.ipynb", failed) is None
    est = readtime.Estimate("10_saliency.ipynb", 2000, 0, None)
    assert est.minutes == 20 and "not measured yet" in est.sentence()


def test_rewrite_replaces_only_the_time_sentence():
    nb = notebook(md("# 99 · T\n\n**Time:** about 40 minutes to read. Training is not class work."))
    assert readtime.rewrite(nb, "**Time:** about 25 minutes (x).")
    assert (
        nb.cells[0].source
        == "# 99 · T\n\n**Time:** about 25 minutes (x). Training is not class work."
    )
    assert readtime.time_line(nb) == "**Time:** about 25 minutes (x)."
    assert not readtime.rewrite(nb, "**Time:** about 25 minutes (x).")
    with pytest.raises(ValueError, match="no '\\*\\*Time:\\*\\*"):
        readtime.rewrite(notebook(md("# 99 · T")), "**Time:** about 5 minutes.", "99_t.ipynb")
