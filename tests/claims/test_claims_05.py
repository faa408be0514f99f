"""Notebook 05's run-dependent sentences, checked against its committed full-run outputs."""

from __future__ import annotations

import math
import re

import numpy as np

from claims.committed import (
    cell_output,
    find_cell,
    markdown,
    notebook,
    number,
    numbers,
    output_text,
)

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


def test_the_stated_slopes_of_sigmoid_and_tanh():
    """The markdown before section 1 states sigma' = a(1 - a) and tanh' = 1 - a^2 for the
    helpers the notebook uses; section 1 checks them at 0, this on a grid."""
    from helpers.numpy_nn import activate, activation_derivative

    prose = markdown(NB, "Notebook 04 wrote the network by hand")
    assert "$\\sigma'(z) = a(1 - a)$ and $\\tanh'(z) = 1 - a^2$" in prose
    z, h = np.linspace(-6, 6, 121), 1e-6
    for name in ("sigmoid", "tanh"):
        numeric = (activate(name, z + h) - activate(name, z - h)) / (2 * h)
        assert np.allclose(activation_derivative(name, activate(name, z)), numeric, atol=1e-8)


def test_he_start_is_healthy_and_the_ratios_near_the_rule():
    text = cell_output(NB, 'plots.save_fig("init_diagnostics")')
    he = [float(v) for v in re.search(r"He: median .*?steps: (.*)", text)[1].split(",")]
    prose = markdown(NB, "With He weights the loss starts near")
    assert "at a few to about ten times the rule of thumb" in prose
    assert all(2e-3 <= r < 2e-2 for r in he), he
    normal = [float(v) for v in re.search(r"N\(0, 1\): median .*?steps: (.*)", text)[1].split(",")]
    assert "to below it" in prose and all(r < 1e-3 for r in normal), normal
    # "the spread of the pre-activations grows about tenfold from layer to layer"
    start = cell_output(NB, "def first_steps(")
    spreads = [float(v) for v in re.search(r"N\(0, 1\) .*?per layer: (.*)", start)[1].split(",")]
    assert "grows about tenfold from layer to layer" in prose
    growth = np.array(spreads[1:]) / np.array(spreads[:-1])
    assert np.all((5 < growth) & (growth < 20)), spreads


def test_design_a_saturates_and_its_first_layer_learns_slowly():
    text = cell_output(NB, "fresh = {")
    saturated = number(text, "first hidden layer:", percent=True)
    assert "most sigmoids sit at 0 or 1" in markdown(NB, "### Why they stall")
    assert saturated > 50
    mean = number(text, "B, hidden layer: activations")
    spread = number(text, f"activations {mean:.3f} ±")
    prose = markdown(NB, "### Why they stall")
    assert "every sigmoid outputs about 0.5 (give or take 0.02)" in prose
    assert abs(mean - 0.5) < 0.01 and spread < 0.03, (mean, spread)
    text = cell_output(NB, "plots.grad_norm_curves(")
    times = number(text, "the first layer's weights get")
    assert "far smaller push than a weight" in markdown(NB, "**(2) Vanishing gradients.**")
    assert times > 5


def test_design_b_learns_with_more_steps():
    text = cell_output(NB, "design_b_steps = MLP(")
    more_steps = number(text, "validation accuracy", percent=True)
    as_published = number(text, "steps:", percent=True)
    prose = markdown(NB, "**(3) Steps too small, or too few.**")
    assert "learns in 10 epochs what it could not learn in 100" in prose
    assert "10 epochs of batches of 128" in text and "(design B, 100 steps:" in text, text
    assert more_steps > as_published + 5, (more_steps, as_published)


def test_design_b_full_batch_loss_rises_first():
    """Design B starts with outputs of about 1/10 each (std 0.01 weights): its loss starts
    at about ln 10, so a printed loss above it early on means the loss rose."""
    text = cell_output(NB, "design_b = MLP(")
    first_row = re.search(r"^\s*(\d+)\s+([\d.]+)\s+([\d.]+)\s*$", text, re.M)
    epoch, loss = int(first_row[1]), float(first_row[2])
    prose = markdown(NB, "**(3) Steps too small, or too few.**")
    assert "its loss rising in the first epochs" in prose
    assert epoch <= 10 and loss > math.log(10) + 0.1, (epoch, loss)


def test_learning_rate_labels_follow_the_seeds():
    text = cell_output(NB, "lr_table = pd.Series(lr_end)")
    table = {}
    losses_part = text.split("per seed (NaN: diverged):")[1].split("share of the last hidden")[0]
    for line in losses_part.splitlines():
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
    # "the huge steps kill every ReLU of the last hidden layer (... dead share 100% in every
    # such run of this notebook)": every run frozen near ln 10 has its last hidden layer dead
    dead = {}
    for line in text.split("ReLUs dead at the end (NaN: diverged):")[1].splitlines():
        parts = line.split()
        if len(parts) == 4 and re.fullmatch(r"[\d.]+", parts[0]):
            dead[float(parts[0])] = [
                math.nan if v == "NaN" else float(v.rstrip("%")) for v in parts[1:]
            ]
    assert set(dead) == set(table), dead
    assert "kill every ReLU of the last hidden layer" in prose
    assert "dead share 100% in every such run of this notebook" in prose
    frozen = [
        (rate, seed)
        for rate in (2.0, 5.0)
        for seed in range(3)
        if abs(table[rate][seed] - math.log(10)) < 0.1
    ]
    assert frozen and all(dead[rate][seed] == 100 for rate, seed in frozen), (frozen, dead)


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
    # "the few validation images the net gets wrong carry most of the validation loss"
    wrong_share = number(text, "at the end, the", percent=True)
    loss_share = number(text, "of validation images the net gets wrong carry", percent=True)
    assert "the few validation images the net gets wrong carry most of the validation loss" in (
        prose
    )
    assert wrong_share < 5 and loss_share > 50, (wrong_share, loss_share)
    assert "the loss minimum and the accuracy peak are different epochs" in markdown(
        NB, "## Summary"
    )


def test_three_sizes():
    rows = _table("size_table = pd.DataFrame(")
    keys = ("small 784-8-10", "medium 784-64-10", "large 784-256-128-10")
    col = {c: [float(rows[k][c]) for k in keys] for c in rows[keys[0]]}
    prose = markdown(NB, "## Going further: under- and overfitting, three sizes")
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


def test_stalled_designs_still_crawling():
    stalled = _table("stalled = pd.DataFrame(")
    column = "loss lower than a tenth of the epochs before"
    assert [r[column] for r in stalled.values()] == ["True", "True"], "both still crawling"
    assert "in this run both are still crawling when they stop" in markdown(
        NB, "Where a design leaves a detail out, our choice"
    )


def test_gradient_noise_shrinks_like_one_over_root_b():
    text = cell_output(NB, 'plots.save_fig("gradient_noise")')
    slope = number(text, "slope on the log-log plot:")
    assert "(it shrinks like $1/\\sqrt{B}$)" in markdown(NB, "## Summary")
    assert -0.6 < slope < -0.45, slope


def test_sorted_batches_answer_the_last_digits():
    text = cell_output(NB, 'sorted_order = np.argsort(y_small, kind="stable")')
    counts = {}
    for line in text.splitlines():
        for label in ("sorted by label", "shuffled"):
            if line.startswith(label):
                digits = line.split("0-9:")[1].strip(" []").split()
                counts[label] = np.array([int(v) for v in digits])
    assert set(counts) == {"sorted by label", "shuffled"}, text
    prose = markdown(NB, "Sorted, every batch holds")
    assert "answers the last digit it saw, 9, for nearly every validation" in prose
    assert counts["sorted by label"][9] > 0.95 * counts["sorted by label"].sum()
    assert counts["shuffled"].min() > 0  # every digit is answered when the data is shuffled


def test_exercise_answers_are_printed_only_in_the_solutions():
    """Exercises 2 and 3 ask for measurements: neither appears in an output before them
    (tests/test_exercise_answers.py checks the same with each checker's tolerance)."""
    text = cell_output(NB, "assert checks.exercise_05_symmetry(unit_spread")
    spread = re.search(r"came apart by ([\d.]+)", text)[1]
    times = re.search(r", ([\d.]+) times the weights", text)[1]
    shrink = re.search(r"decayed W1 ends ([\d.]+)% smaller", text)[1]
    first_exercise = min(
        i
        for i, c in enumerate(NB.cells)
        if c.cell_type == "code" and re.search(r"checks\.exercise_05_\w+\(answer", c.source)
    )
    before = "\n".join(output_text(c) for c in NB.cells[:first_exercise] if c.cell_type == "code")
    for value in (spread, times, shrink):
        assert value not in before, value
