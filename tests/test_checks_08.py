"""Notebook 08's exercise checkers: right answers within tolerance, wrong ones explained."""

from __future__ import annotations

from math import comb

import numpy as np
import pytest
from scipy import stats as st

from helpers import checks, compare, stats

# --------------------------------------------------------------------------- 1: mcnemar_exact


def _counts(right_a, right_b):
    a, b = np.asarray(right_a, dtype=bool), np.asarray(right_b, dtype=bool)
    return int(np.sum(a & ~b)), int(np.sum(~a & b))


def mcnemar_exact(right_a, right_b):
    b, c = _counts(right_a, right_b)
    n = b + c
    return min(1.0, 2 * sum(comb(n, j) for j in range(max(b, c), n + 1)) / 2**n)


def with_counts(formula):
    """A learner's function built from a formula of (b, c, number of images)."""
    return lambda ra, rb: formula(*_counts(ra, rb), len(ra))


MISTAKES = {
    "one tail": (with_counts(lambda b, c, n: st.binom.cdf(min(b, c), b + c, 0.5) if b + c else 1.0),
                 "one tail"),
    "not capped": (with_counts(lambda b, c, n: 2 * st.binom.cdf(min(b, c), b + c, 0.5) if b + c else 1.0),
                   "capped at 1"),
    "chi-square": (with_counts(lambda b, c, n: st.chi2.sf((b - c) ** 2 / (b + c), 1) if b + c else 1.0),
                   "chi-square"),
    "all images": (with_counts(lambda b, c, n: st.binomtest(min(b, c), n, 0.5).pvalue),
                   "count only the"),
    "sf off by one": (with_counts(lambda b, c, n: min(1, 2 * st.binom.sf(max(b, c), b + c, 0.5))),
                      "off by one"),
    "a count": (with_counts(lambda b, c, n: b + c), "not a count"),
}  # fmt: skip


def test_08_1_accepts_a_right_function_on_its_cases_and_on_the_real_pair():
    assert checks.exercise_08_1(mcnemar_exact)
    rng = np.random.default_rng(0)
    ra, rb = rng.random(500) < 0.9, rng.random(500) < 0.85
    assert checks.exercise_08_1(mcnemar_exact, ra, rb)
    via_scipy = with_counts(lambda b, c, n: st.binomtest(b, b + c, 0.5).pvalue if b + c else 1.0)
    assert checks.exercise_08_1(via_scipy)

    def via_stats(ra, rb):  # the series' own test, as a learner might call it
        zeros = np.zeros(len(ra), int)
        return stats.mcnemar(zeros, np.where(ra, 0, 1), np.where(rb, 0, 1)).p_value

    assert checks.exercise_08_1(via_stats)


@pytest.mark.parametrize("mistake", list(MISTAKES))
def test_08_1_names_the_usual_mistakes(mistake):
    func, words = MISTAKES[mistake]
    verdict = checks.exercise_08_1(func)
    assert not verdict and words in str(verdict), str(verdict)


def test_08_1_refuses_what_is_not_a_p_value_function():
    def raises(ra, rb):
        raise ZeroDivisionError("no images")

    assert "raised ZeroDivisionError" in str(checks.exercise_08_1(raises))

    def binomtest_without_the_empty_case(ra, rb):  # scipy refuses n = 0
        b, c = _counts(ra, rb)
        return st.binomtest(b, b + c, 0.5).pvalue

    said = str(checks.exercise_08_1(binomtest_without_the_empty_case))
    assert "raised ValueError" in said and "return p = 1" in said, said
    assert not checks.exercise_08_1(lambda ra, rb: "0.07")
    assert not checks.exercise_08_1(lambda ra, rb: float("nan"))
    assert not checks.exercise_08_1(lambda ra, rb: (0.07, 0.07))
    assert not checks.exercise_08_1(0.077)
    assert "Not yet" in str(checks.exercise_08_1(...))


# --------------------------------------------------------------------------- 2: seed_interval


def welch(acc_a, acc_b, confidence=0.95):
    a, b = np.asarray(acc_a, float), np.asarray(acc_b, float)
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    half = st.t.ppf(0.5 + confidence / 2, df) * np.sqrt(va + vb)
    return a.mean() - b.mean() - half, a.mean() - b.mean() + half


def _se(a, b, ddof=1):
    a, b = np.asarray(a, float), np.asarray(b, float)
    return np.sqrt(a.var(ddof=ddof) / len(a) + b.var(ddof=ddof) / len(b))


def _d(a, b):
    return np.mean(a) - np.mean(b)


def _df0(a, b):
    """Welch's degrees of freedom from variances with ddof=0 (a learner's slip)."""
    va, vb = np.var(a) / len(a), np.var(b) / len(b)
    return (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))


SEED_MISTAKES = {
    "percent": (lambda a, b, c=0.95: tuple(100 * x for x in welch(a, b, c)), "percentage points"),
    "B - A": (lambda a, b, c=0.95: welch(b, a, c), "B - A"),
    "pooled": (lambda a, b, c=0.95: tuple(st.ttest_ind(a, b).confidence_interval(c)), "pooled"),
    "normal": (lambda a, b, c=0.95: (_d(a, b) - st.norm.ppf(0.5 + c / 2) * _se(a, b),
                                     _d(a, b) + st.norm.ppf(0.5 + c / 2) * _se(a, b)), "normal"),
    "ddof 0": (lambda a, b, c=0.95: (_d(a, b) - st.t.ppf(0.5 + c / 2, len(a) + len(b) - 2) * _se(a, b, 0),
                                     _d(a, b) + st.t.ppf(0.5 + c / 2, len(a) + len(b) - 2) * _se(a, b, 0)),
               "ddof=1"),
    "k - 1 df": (lambda a, b, c=0.95: (_d(a, b) - st.t.ppf(0.5 + c / 2, min(len(a), len(b)) - 1) * _se(a, b),
                                       _d(a, b) + st.t.ppf(0.5 + c / 2, min(len(a), len(b)) - 1) * _se(a, b)),
                 "degrees of freedom"),
    "ignores confidence": (lambda a, b, c=0.95: welch(a, b), "this call asked for confidence"),
    "ddof 0, Welch df": (lambda a, b, c=0.95: (_d(a, b) - st.t.ppf(0.5 + c / 2, _df0(a, b)) * _se(a, b, 0),
                                               _d(a, b) + st.t.ppf(0.5 + c / 2, _df0(a, b)) * _se(a, b, 0)),
                         "ddof=1"),
}  # fmt: skip


def test_08_2_accepts_welch_and_agrees_with_the_series_seeds_only_row():
    assert checks.exercise_08_2(welch)
    rng = np.random.default_rng(3)
    truth = rng.integers(0, 10, 400)
    pa = np.where(rng.random((3, 400)) < 0.9, truth, (truth + 1) % 10)
    pb = np.where(rng.random((5, 400)) < 0.85, truth, (truth + 1) % 10)
    row = stats.compare_procedures(truth, pa, pb).seeds_only()
    got = welch((pa == truth).mean(axis=1), (pb == truth).mean(axis=1))
    assert np.allclose(got, [row.low, row.high])


@pytest.mark.parametrize("mistake", list(SEED_MISTAKES))
def test_08_2_names_the_usual_mistakes(mistake):
    func, words = SEED_MISTAKES[mistake]
    verdict = checks.exercise_08_2(func)
    assert not verdict and words in str(verdict), str(verdict)


def test_08_2_refuses_what_is_not_an_interval():
    assert "returned" in str(checks.exercise_08_2(lambda a, b, c=0.95: 0.1))
    assert "returned" in str(checks.exercise_08_2(lambda a, b, c=0.95: (np.nan, 1.0)))
    assert "raised" in str(checks.exercise_08_2(lambda a, b, c=0.95: 1 / 0))
    assert not checks.exercise_08_2((0.0, 0.1))
    assert "Not yet" in str(checks.exercise_08_2(...))


# --------------------------------------------------------------------------- 3: widths


@pytest.fixture(scope="module")
def runs_and_labels():
    """Fake runs: 4 seeds of the two planned models on 600 images, in compare's format."""
    rng = np.random.default_rng(5)
    y_val, y_test = rng.integers(0, 10, 300), rng.integers(0, 10, 600)
    rows = []
    for name, p in (("mlp_128_64_32_relu", 0.93), ("mlp_100", 0.9)):
        for seed in range(4):
            q = p + rng.normal(0, 0.01)
            val = np.where(rng.random(300) < q, y_val, (y_val + 1) % 10)
            test = np.where(rng.random(600) < q, y_test, (y_test + 1) % 10)
            rows.append(dict(name=name, seed=seed, val_predictions=compare.encode_labels(val),
                             test_predictions=compare.encode_labels(test)))  # fmt: skip
    import pandas as pd

    return pd.DataFrame(rows), y_test


def _widths(runs, y_test):
    pa = compare.predictions(runs, "mlp_128_64_32_relu")
    pb = compare.predictions(runs, "mlp_100")
    fits = [stats.compare_procedures(y_test, pa[:k], pb[:k]) for k in range(2, 5)]
    return np.array([100 * (f.high - f.low) for f in fits])


def test_08_3_accepts_the_widths_in_points(runs_and_labels):
    runs, y_test = runs_and_labels
    w = _widths(runs, y_test)
    assert checks.exercise_08_3(w, runs, y_test)
    assert checks.exercise_08_3(list(w + 5e-7), runs, y_test)
    assert checks.exercise_08_3(np.round(w, 2), runs, y_test)  # rounded to two decimals
    assert not checks.exercise_08_3(w + 0.02, runs, y_test)
    assert not checks.exercise_08_3(np.round(w, 1) + 0.05, runs, y_test)


def test_08_3_explains_units_half_widths_and_the_count(runs_and_labels):
    runs, y_test = runs_and_labels
    w = _widths(runs, y_test)
    assert "fractions" in str(checks.exercise_08_3(w / 100, runs, y_test))
    assert "half widths" in str(checks.exercise_08_3(w / 2, runs, y_test))
    assert "3 widths" in str(checks.exercise_08_3(w[:2], runs, y_test))
    assert "NaN" in str(checks.exercise_08_3(np.array([np.nan, 1, 1]), runs, y_test))
    assert not checks.exercise_08_3("0.5, 0.4, 0.3", runs, y_test)
    assert not checks.exercise_08_3(w[::-1], runs, y_test)
    pa = compare.predictions(runs, "mlp_128_64_32_relu")
    pb = compare.predictions(runs, "mlp_100")
    welch_only = [stats.compare_procedures(y_test, pa[:k], pb[:k]).seeds_only() for k in (2, 3, 4)]
    said = str(checks.exercise_08_3([100 * (c.high - c.low) for c in welch_only], runs, y_test))
    assert "seeds-only" in said, said
    assert "Not yet" in str(checks.exercise_08_3(..., runs, y_test))
