"""Notebook 08's exercise checkers: right answers within tolerance, wrong ones explained."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binomtest, chi2

from helpers import checks


def _pair():
    """Labels and two models' predictions: 30 images both right, 12 only A, 4 only B."""
    y = np.zeros(50, dtype=int)
    a = np.array([0] * 30 + [0] * 12 + [1] * 4 + [1] * 4)
    b = np.array([0] * 30 + [1] * 12 + [0] * 4 + [1] * 4)
    return y, a, b


def test_08_1_accepts_the_exact_p_value_and_explains_the_usual_mistakes():
    y, a, b = _pair()
    exact = binomtest(12, 16, 0.5).pvalue
    assert checks.exercise_08_1(exact, y, a, b)
    assert checks.exercise_08_1(exact * (1 + 5e-5), y, a, b)  # within the stated 1e-4
    assert not checks.exercise_08_1(exact * (1 + 5e-3), y, a, b)
    one_tail = binomtest(4, 16, 0.5, alternative="less").pvalue
    msg = str(checks.exercise_08_1(one_tail, y, a, b))
    assert not checks.exercise_08_1(one_tail, y, a, b) and "one tail" in msg
    approx = chi2.sf((12 - 4) ** 2 / 16, 1)
    assert "chi-square" in str(checks.exercise_08_1(approx, y, a, b))
    all_images = binomtest(4, 50, 0.5).pvalue
    assert "count only the 16 images" in str(checks.exercise_08_1(all_images, y, a, b))
    for bad in (True, "0.077", float("nan"), [exact, exact]):
        assert not checks.exercise_08_1(bad, y, a, b), bad


def test_08_3_wants_a_boolean_from_the_ratio_against_the_rule():
    summary = pd.DataFrame(
        {"seconds_per_epoch": [2.0, 8.0], "label": ["slow net", "fast net"]},
        index=["mlp_300_100", "numpy_mlp"],
    )
    # mlp_300_100 takes 0.25 times as long as numpy_mlp: numpy_mlp is not faster
    assert checks.exercise_08_3(False, summary, 1.5)
    assert not checks.exercise_08_3(True, summary, 1.5)
    for bad in (0, 1, "False", None):
        assert not checks.exercise_08_3(bad, summary, 1.5), bad
    summary.loc["mlp_300_100", "seconds_per_epoch"] = 20.0  # now 2.5x slower than numpy_mlp
    assert checks.exercise_08_3(True, summary, 1.5)
    assert checks.exercise_08_3(False, summary, 3.0)  # not beyond a spread of 3x


@pytest.mark.parametrize("hidden", [(200,), (300, 100)])
def test_08_4_wants_the_exact_whole_count(hidden):
    sizes = [784, *hidden, 10]
    expected = sum((i + 1) * o for i, o in itertools.pairwise(sizes))
    assert checks.exercise_08_4(expected, hidden=hidden)
    assert checks.exercise_08_4(float(expected), hidden=hidden)
    for bad in (expected + 0.4, expected - 1, expected + 1, True, str(expected), float("nan")):
        assert not checks.exercise_08_4(bad, hidden=hidden), bad
    weights = sum(i * o for i, o in itertools.pairwise(sizes))
    assert "bias" in str(checks.exercise_08_4(weights, hidden=hidden))
    no_output = expected - (sizes[-2] + 1) * 10
    assert "output layer" in str(checks.exercise_08_4(no_output, hidden=hidden))


def test_08_checkers_say_not_yet_to_an_unanswered_cell():
    y, a, b = _pair()
    assert "Not yet" in str(checks.exercise_08_1(..., y, a, b))
    assert "Not yet" in str(checks.exercise_08_4(..., hidden=(200,)))


def test_08_1_refuses_the_two_digit_value_a_table_prints():
    y, a, b = _pair()
    exact = binomtest(12, 16, 0.5).pvalue  # 0.0768...
    msg = str(checks.exercise_08_1(float(f"{exact:.2g}"), y, a, b))
    assert msg.startswith("Not yet") and "rounded to 2 digits" in msg
    assert checks.exercise_08_1(float(f"{exact:.4g}"), y, a, b)
