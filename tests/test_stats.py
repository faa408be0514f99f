"""McNemar, Holm, t-intervals, Welch and bootstrap intervals against hand-computed cases."""

import math

import numpy as np
import pytest

from helpers import stats


def _preds(only_a, only_b, both_right, both_wrong):
    """Labels and two prediction vectors with the given agreement table (classes 0/1)."""
    y = np.zeros(only_a + only_b + both_right + both_wrong, dtype=int)
    a = np.concatenate(
        [np.zeros(only_a), np.ones(only_b), np.zeros(both_right), np.ones(both_wrong)]
    )
    b = np.concatenate(
        [np.ones(only_a), np.zeros(only_b), np.zeros(both_right), np.ones(both_wrong)]
    )
    return y, a.astype(int), b.astype(int)


def test_mcnemar_counts_and_exact_p_by_hand():
    # 8 discordant images, 7 favour A: p = 2 * P(X >= 7), X ~ Bin(8, 1/2) = 2 * 9/256
    y, a, b = _preds(7, 1, 90, 2)
    m = stats.mcnemar(y, a, b)
    assert (m.only_a_right, m.only_b_right, m.both_right, m.both_wrong) == (7, 1, 90, 2)
    assert m.discordant == 8
    assert m.p_value == pytest.approx(2 * (math.comb(8, 7) + math.comb(8, 8)) / 2**8)


def test_mcnemar_symmetric_and_no_disagreement_is_p_one():
    y, a, b = _preds(5, 5, 50, 3)
    assert stats.mcnemar(y, a, b).p_value == pytest.approx(1.0)
    y, a, b = _preds(0, 0, 10, 1)
    assert stats.mcnemar(y, a, b).p_value == 1.0
    y, a, b = _preds(9, 2, 10, 0)
    assert stats.mcnemar(y, a, b).p_value == pytest.approx(stats.mcnemar(y, b, a).p_value)


def test_mcnemar_ignores_images_both_get_right_or_wrong():
    small = stats.mcnemar(*_preds(10, 2, 0, 0)).p_value
    large = stats.mcnemar(*_preds(10, 2, 5000, 700)).p_value
    assert small == pytest.approx(large)


def test_mcnemar_refuses_probabilities_and_mismatched_lengths():
    with pytest.raises(ValueError, match="argmax"):
        stats.mcnemar(np.zeros(3), np.zeros((3, 10)), np.zeros(3))
    with pytest.raises(ValueError, match="same images"):
        stats.mcnemar(np.zeros(3), np.zeros(3), np.zeros(4))


def test_holm_by_hand():
    # sorted 0.01, 0.02, 0.03, 0.04 -> x4, x3, x2, x1 = 0.04, 0.06, 0.06, 0.04 -> running max
    adjusted = stats.holm([0.04, 0.01, 0.03, 0.02])
    assert adjusted == pytest.approx([0.06, 0.04, 0.06, 0.06])
    assert stats.holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])  # capped at 1
    assert stats.holm([0.003]) == pytest.approx([0.003])  # one test: no correction


def test_holm_is_never_less_strict_than_raw_and_keeps_the_order():
    rng = np.random.default_rng(0)
    p = rng.uniform(size=20) ** 3
    adj = stats.holm(p)
    assert np.all(adj >= p)
    assert np.all(np.diff(adj[np.argsort(p)]) >= 0)


def test_holm_rejects_non_probabilities():
    with pytest.raises(ValueError, match="between 0 and 1"):
        stats.holm([0.1, 1.5])


def test_t_interval_uses_n_minus_one_degrees_of_freedom():
    mean, lo, hi = stats.t_interval([0.980, 0.982, 0.984])
    # sd = 0.002, se = 0.002 / sqrt(3); t(0.975, df=2) = 4.302653
    half = 4.302652729911275 * 0.002 / math.sqrt(3)
    assert mean == pytest.approx(0.982)
    assert (lo, hi) == pytest.approx((0.982 - half, 0.982 + half))


def test_t_interval_of_one_value_has_unknown_bounds():
    mean, lo, hi = stats.t_interval([0.97])
    assert mean == 0.97 and math.isnan(lo) and math.isnan(hi)


def test_t_interval_covers_the_truth_about_95_percent_of_the_time():
    rng = np.random.default_rng(1)
    hits = 0
    for _ in range(2000):
        _, lo, hi = stats.t_interval(rng.normal(5.0, 2.0, size=3))
        hits += lo <= 5.0 <= hi
    assert 0.93 < hits / 2000 < 0.97


def test_welch_matches_a_hand_computation():
    a, b = np.array([1.0, 2.0, 3.0]), np.array([4.0, 6.0, 8.0])
    va, vb = a.var(ddof=1) / 3, b.var(ddof=1) / 3
    t = (a.mean() - b.mean()) / math.sqrt(va + vb)
    df = (va + vb) ** 2 / (va**2 / 2 + vb**2 / 2)
    from scipy.stats import t as t_dist

    assert stats.welch(a, b) == pytest.approx(2 * t_dist.sf(abs(t), df))
    assert math.isnan(stats.welch([1.0], b))


def test_bootstrap_interval_of_an_accuracy_matches_the_binomial_error():
    rng = np.random.default_rng(2)
    correct = rng.uniform(size=4000) < 0.9
    value, lo, hi = stats.bootstrap_interval(np.mean, correct, n_resamples=2000)
    se = math.sqrt(value * (1 - value) / len(correct))
    assert lo < value < hi
    assert (hi - lo) == pytest.approx(2 * 1.96 * se, rel=0.15)


def test_bootstrap_interval_resamples_pairs_together():
    y = np.array([0, 1] * 200)
    pred = y.copy()  # always right: every resample must say 1.0
    value, lo, hi = stats.bootstrap_interval(lambda t, p: np.mean(t == p), y, pred, n_resamples=200)
    assert value == lo == hi == 1.0


def test_bootstrap_refuses_mismatched_arrays():
    with pytest.raises(ValueError, match="one row per image"):
        stats.bootstrap_interval(np.mean, np.zeros(3), np.zeros(4))


@pytest.mark.parametrize(
    "p_adj, p_raw, word",
    [(0.01, 0.002, "clear"), (0.2, 0.03, "suggestive"), (0.4, 0.2, "no evidence")],
)
def test_verdict_words(p_adj, p_raw, word):
    assert stats.verdict(p_adj, p_raw) == word


def test_compare_pairs_applies_holm_across_the_pairs():
    y, a, b = _preds(30, 10, 100, 5)  # A clearly better than B
    c = a.copy()
    table = stats.compare_pairs(y, {"A": a, "B": b, "C": c}, [("A", "B"), ("A", "C")])
    assert table.loc[0, "only_a_right"] == 30 and table.loc[0, "only_b_right"] == 10
    assert table.loc[0, "difference_points"] == pytest.approx(100 * 20 / len(y))
    assert table.loc[1, "p_value"] == 1.0
    assert table["p_holm"].tolist() == pytest.approx(stats.holm(table["p_value"]).tolist())
    assert table.loc[0, "verdict"] == "clear" and table.loc[1, "verdict"] == "no evidence"
    with pytest.raises(KeyError, match="no predictions for 'D'"):
        stats.compare_pairs(y, {"A": a}, [("A", "D")])
