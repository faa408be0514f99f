"""Notebook 05's run-dependent sentences, checked against its committed full-run outputs."""

from __future__ import annotations

import math
import re

import numpy as np

from claims.committed import cell_output, find_cell, markdown, notebook, number, numbers

NB = notebook("05")


def _html(anchor: str) -> str:
    _, cell = find_cell(NB, anchor, "code")
    htmls = [
        "".join(o["data"]["text/html"]) for o in cell.outputs if "text/html" in o.get("data", {})
    ]
    assert len(htmls) == 1, f"cell {anchor!r} shows {len(htmls)} HTML tables"
    return htmls[0]


def _cells(row: str) -> list[str]:
    found = re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)
    return [re.sub(r"<.*?>", "", x).strip() for x in found]


def _rows(html: str, part: str) -> list[list[str]]:
    block = re.search(rf"<{part}>(.*?)</{part}>", html, re.S).group(1)
    return [_cells(r) for r in re.findall(r"<tr[^>]*>(.*?)</tr>", block, re.S)]


def _table(anchor: str) -> dict[str, dict[str, str]]:
    """The DataFrame a code cell displayed: {row label: {column: text}}."""
    html = _html(anchor)
    header = _rows(html, "thead")[0]
    return {r[0]: dict(zip(header[1:], r[1:], strict=True)) for r in _rows(html, "tbody")}


def _fix_table() -> dict[str, dict[str, str]]:
    """The fix table (a Styler without index: the first column is the step)."""
    html = _html("plots.fix_steps_chart(fix_table)")
    header = _rows(html, "thead")[0]
    return {r[0]: dict(zip(header, r, strict=True)) for r in _rows(html, "tbody")}


def test_learning_rate_labels_follow_the_seeds():
    text = cell_output(NB, "lr_table = pd.Series(lr_end)")
    table = {}
    for line in text.split("per seed (NaN: diverged):")[1].splitlines():
        parts = line.split()
        if len(parts) == 4 and re.fullmatch(r"[\d.]+", parts[0]):
            table[float(parts[0])] = np.array([float(v) for v in parts[1:]])
    assert set(table) == {0.001, 0.1, 1.0, 2.0, 5.0}, table
    prose = markdown(NB, "What each looks like, and what to do")
    assert "ends far above the rate 0.1" in prose
    assert np.all(np.isfinite(table[0.1])) and table[0.001].min() > 2 * table[0.1].max()
    assert "nearly the same end in every seed" in prose and np.ptp(table[0.1]) < 0.1
    assert "higher on average and spreads far more from seed to seed than at 0.1" in prose
    assert table[1.0].mean() > table[0.1].mean() and table[1.0].std() > 3 * table[0.1].std()
    for rate in (2.0, 5.0):  # far too large: NaN, or frozen near ln 10
        for value in table[rate]:
            assert math.isnan(value) or abs(value - math.log(10)) < 0.1, (rate, value)


def test_reading_the_fix_table():
    rows = list(_fix_table().values())
    mean = [float(r["validation"].split("%")[0]) for r in rows]
    prose = markdown(NB, "How to read it (the verdicts and numbers are the table's")
    assert "(row 1) ends below design A" in prose and mean[1] < mean[0]
    assert "ReLU** is this table's biggest jump" in prose and np.argmax(np.diff(mean)) == 1
    ratio = [float(r["grad_last_over_first"].rstrip("x")) for r in rows]
    assert "more than an order of magnitude" in prose and ratio[1] / ratio[2] > 10
    dead = [np.nan if r["dead"] == "-" else float(r["dead"].rstrip("%")) for r in rows]
    assert "rises at row 6" in prose and "falls again at row 7" in prose
    assert dead[6] > dead[5] and dead[7] < dead[6]


def test_final_net_loss_minimum_and_accuracy():
    text = cell_output(NB, "at_min = hist_final")
    epochs = number(text, "after")
    lowest = number(text, "validation loss is lowest after epoch")
    lowest_value = number(text, f"lowest after epoch {lowest:.0f} (")
    end_value = number(text, "and ends at")
    at_min, at_end = numbers(text, "validation accuracy at that epoch")[:2]
    prose = markdown(NB, "**Reading the curves (this run, numbers printed above).**")
    assert "lowest after an early epoch and ends higher" in prose
    assert lowest < epochs and end_value > lowest_value
    assert "at the end is higher than at that epoch" in prose and at_end > at_min
    assert "at a lower validation accuracy than this run ends with" in prose


def test_three_sizes():
    rows = _table("size_table = pd.DataFrame(")
    keys = ("small 784-8-10", "medium 784-64-10", "large 784-256-128-10")
    col = {c: [float(rows[k][c]) for k in keys] for c in rows[keys[0]]}
    prose = markdown(NB, "## 10. Underfitting, overfitting and weight decay")
    fit, val = col["fit accuracy (last epoch)"], col["validation accuracy"]
    assert "the larger the net, the higher its accuracy on its own fit images" in prose
    assert fit[0] < fit[1] < fit[2]
    assert "and here also on validation" in prose and val[0] < val[1] < val[2]
    gap = col["fit - validation accuracy"]
    assert "about as large for the small net as for the large one" in prose
    assert abs(gap[0] - gap[2]) < 0.25 * max(gap[0], gap[2])
    lows = col["lowest val loss at epoch"]
    assert "does not follow the size either" in prose
    assert lows != sorted(lows) and lows != sorted(lows, reverse=True)


def test_weight_decay_curves():
    rows = _table("decay_table = pd.DataFrame(")
    ends = [float(rows[k]["val loss at the end (seed 0)"]) for k in sorted(rows, key=float)]
    assert len(ends) == 3, rows
    prose = markdown(NB, "In this run (seed 0, the curves and the middle column)")
    assert "lower the stronger the decay" in prose and ends[0] > ends[1] > ends[2]


def test_batch_size_times():
    rows = _table("epoch_seconds = {b: [] for b in (16, 32, 128, 512)}")
    seconds = {int(float(k)): float(v["seconds per epoch"]) for k, v in rows.items()}
    ms = {int(float(k)): float(v["ms per step"]) for k, v in rows.items()}
    prose = markdown(NB, "In this run's table an epoch takes less time at 512 than at 16")
    assert "far less than 32 times as long" in prose
    assert seconds[512] < seconds[16] and ms[512] < 16 * ms[16]
    # section 8 says "Batch size 128 is cheaper per epoch" (than 32): this table must agree
    assert "Batch size 128** is cheaper per epoch" in markdown(NB, "How to read it (the verdicts")
    assert seconds[128] < seconds[32], seconds


def test_numpy_speed_is_below_the_hardware_limit():
    text = cell_output(NB, "cost = models.cost(")
    limit = number(text, "hardware limit for this epoch:")
    measured = number(text, "measured (fastest of 3 epochs):")
    assert "The rest of an epoch goes into" in markdown(NB, "The rest of an epoch goes into")
    assert measured > limit, "the prose explains where the time beyond the limit goes"


def test_hidden_layer_and_stalled_designs():
    text = cell_output(NB, "one_hidden = MLP([784, 128, 10], seed=0)")
    assert number(text, "removes", percent=True) > 50
    assert "more than half of its validation errors" in markdown(NB, "## Summary")
    stalled = _table("stalled = pd.DataFrame(")
    column = "loss lower than a tenth of the epochs before"
    assert [r[column] for r in stalled.values()] == ["True", "True"], "both still crawling"


def test_numpy_and_keras_over_three_seeds():
    text = cell_output(NB, "seed_accuracy = {")
    verdict = re.search(r"Welch p = [\d.e+-]+: (clear|suggestive|no evidence)", text)[1]
    prose = markdown(NB, "Over three seeds each (printed above)")
    expected = {
        "no evidence": "the seeds detect no difference",
        "suggestive": "suggestive only",
        "clear": "the seeds detect a difference",
    }[verdict]
    assert expected in prose, (verdict, prose)
    per_seed = {
        name: [float(v) for v in re.findall(r"(\d+\.\d+)%", line.split(":")[1])[:3]]
        for line in text.splitlines()
        for name in ("NumPy", "Keras")
        if line.startswith(f"{name} validation accuracy, seeds")
    }
    numpy_acc, keras_acc = np.array(per_seed["NumPy"]), np.array(per_seed["Keras"])
    if "ends higher on validation in every seed" in prose:
        assert np.all(numpy_acc > keras_acc), per_seed
    if "smaller than the gap" in prose:
        gap = numpy_acc.mean() - keras_acc.mean()
        assert max(numpy_acc.std(ddof=1), keras_acc.std(ddof=1)) < gap, per_seed
