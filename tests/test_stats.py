"""McNemar, Holm, t-intervals, Welch, bootstrap intervals and the comparison of training
procedures (both sources of doubt) against hand-computed cases, a coverage simulation and
bad inputs."""

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


# --------------------------------------------------------------------------- bad inputs (issue 23, item 10)


@pytest.mark.parametrize("confidence", [95, 0, 1, 1.5, -0.1])
def test_a_confidence_outside_0_1_is_refused_with_the_fix(confidence):
    with pytest.raises(ValueError, match="between 0 and 1") as error:
        stats.t_interval([0.97, 0.98, 0.99], confidence=confidence)
    if confidence == 95:
        assert "0.95" in str(error.value)
    y = np.zeros(10, int)
    with pytest.raises(ValueError, match="between 0 and 1"):
        stats.proportion_interval(9, 10, confidence=confidence)
    with pytest.raises(ValueError, match="between 0 and 1"):
        stats.compare_procedures(y, np.zeros((2, 10), int), np.zeros((2, 10), int), confidence)


@pytest.mark.parametrize("confidence", ["0.95", True, None])
def test_a_confidence_that_is_not_a_number_is_refused(confidence):
    with pytest.raises(TypeError, match="0.95"):
        stats.t_interval([0.97, 0.98], confidence=confidence)


def test_mcnemar_refuses_text_labels_against_integer_predictions():
    y = np.array(["3", "5", "7"])
    with pytest.raises(TypeError, match="never compare equal"):
        stats.mcnemar(y, np.array([3, 5, 7]), np.array([3, 5, 1]))
    with pytest.raises(TypeError, match="pred_b"):
        stats.mcnemar(np.array([3, 5, 7]), np.array([3, 5, 7]), np.array(["3", "5", "7"]))
    # text against text is fine, and so are booleans (a yes/no question per image)
    assert stats.mcnemar(y, y, np.array(["3", "5", "1"])).only_a_right == 1
    yes = np.array([True, False, True])
    assert stats.mcnemar(yes, yes, ~yes).only_a_right == 3
    with pytest.raises(TypeError, match="class labels"):
        stats.mcnemar(np.array([{}, {}], dtype=object), np.array([1, 2]), np.array([1, 2]))


def test_labels_with_nan_or_fractions_are_refused():
    with pytest.raises(ValueError, match="NaN"):
        stats.mcnemar(np.array([1.0, np.nan]), np.array([1, 2]), np.array([1, 2]))
    with pytest.raises(ValueError, match="3.7"):
        stats.mcnemar(np.array([3.7, 1.0]), np.array([1, 2]), np.array([1, 2]))
    # integer-valued floats are labels
    assert stats.mcnemar(np.array([3.0, 1.0]), np.array([3, 2]), np.array([1, 1])).p_value == 1.0


@pytest.mark.parametrize("values", [[0.97, np.nan, 0.98], [0.97, np.inf]])
def test_nan_values_are_refused(values):
    with pytest.raises(ValueError, match="NaN or infinite"):
        stats.t_interval(values)
    with pytest.raises(ValueError, match="NaN or infinite"):
        stats.welch(values, [0.1, 0.2])


def test_welch_on_strings_is_a_clear_error():
    with pytest.raises(TypeError, match="must hold numbers"):
        stats.welch(["0.97", "0.98"], [0.96, 0.95])
    with pytest.raises(TypeError, match="must hold numbers"):
        stats.t_interval(["a", "b"])


def test_one_seed_gives_no_interval_for_a_procedure():
    y = np.arange(10) % 10
    with pytest.raises(ValueError, match="one seed|1 seed"):
        stats.compare_procedures(y, y[None, :], np.stack([y, y]))
    with pytest.raises(ValueError, match="1 seed"):
        stats.procedure_accuracy(y, y[None, :])
    with pytest.raises(ValueError, match="same images"):
        stats.compare_procedures(y, np.stack([y, y]), np.stack([y[:9], y[:9]]))
    with pytest.raises(ValueError, match="seeds, images"):
        stats.compare_procedures(y, y, np.stack([y, y]))


def test_proportion_interval_refuses_impossible_counts():
    with pytest.raises(ValueError, match="cannot exceed"):
        stats.proportion_interval(11, 10)
    with pytest.raises(TypeError, match="whole number"):
        stats.proportion_interval(9.5, 10)
    with pytest.raises(TypeError, match="whole number"):
        stats.proportion_interval(True, 10)
    with pytest.raises(ValueError, match="0.98, not 98"):
        stats.binomial_se(98, 10_000)


# --------------------------------------------------------------------------- test sampling


def test_binomial_se_by_hand():
    # p = 0.98, n = 10,000: sqrt(0.98 * 0.02 / 10,000) = 0.0014
    assert stats.binomial_se(0.98, 10_000) == pytest.approx(0.0014)


def test_proportion_interval_is_wilson_and_stays_inside_0_1():
    # Wilson, 95%, 9 of 10 right, by hand: centre (9 + z^2/2) / (10 + z^2), z = 1.959964
    z = 1.959963984540054
    centre = (9 + z**2 / 2) / (10 + z**2)
    half = z / (10 + z**2) * math.sqrt(9 * 1 / 10 + z**2 / 4)
    est = stats.proportion_interval(9, 10)
    assert (est.value, est.low, est.high) == pytest.approx((0.9, centre - half, centre + half))
    assert est.covers == "test images"
    for k in (0, 10):  # all wrong, all right: still a proper interval inside [0, 1]
        e = stats.proportion_interval(k, 10)
        assert 0.0 <= e.low <= e.value <= e.high <= 1.0 and e.high - e.low > 0.2


def test_paired_se_by_hand():
    # 100 images: 7 only A right, 1 only B right. d = +1 x7, -1 x1, 0 x92.
    y, a, b = _preds(7, 1, 90, 2)
    mean = 6 / 100
    var = (7 * (1 - mean) ** 2 + 1 * (-1 - mean) ** 2 + 92 * mean**2) / 99
    assert stats.paired_se(y, a, b) == pytest.approx(math.sqrt(var / 100))
    est = stats.paired_interval(y, a, b)
    assert est.value == pytest.approx(0.06)
    assert est.high - est.low == pytest.approx(2 * 1.959964 * math.sqrt(var / 100), rel=1e-5)
    # far smaller than the unpaired error of two accuracies of 0.97 and 0.91
    assert stats.paired_se(y, a, b) < math.sqrt(0.97 * 0.03 / 100 + 0.91 * 0.09 / 100)


# --------------------------------------------------------------------------- both sources


def _right_to_predictions(right):
    """Labels 0 for every image; a prediction is right (0) where ``right`` is 1."""
    right = np.asarray(right)
    return np.zeros(right.shape[-1], int), np.where(right == 1, 0, 1)


def test_compare_procedures_by_hand():
    # A: seed 0 right on all 4 images, seed 1 on the last two; B: both seeds on image 0 only.
    y, pa = _right_to_predictions([[1, 1, 1, 1], [0, 0, 1, 1]])
    _, pb = _right_to_predictions([[1, 0, 0, 0], [1, 0, 0, 0]])
    c = stats.compare_procedures(y, pa, pb)
    # D = 0.75 - 0.25. S_A^2 = var(1, 0.5) = 0.125, S_B^2 = 0.
    # per-image difference of seed means: (0.5-1, 0.5, 1, 1) -> S_D^2 = 1.5 / 3 = 0.5
    # A's residuals are +-0.25 everywhere: M_A = 8 * 0.0625 / (1 * 3) = 1/6; M_B = 0
    # seeds: 0.125/2 - (1/6)/(2*4) = 1/24; images: 0.5 / 4 = 1/8; V = 1/6
    assert c.difference == pytest.approx(0.5)
    assert c.seed_variance == pytest.approx(1 / 24)
    assert c.image_variance == pytest.approx(1 / 8)
    assert c.se == pytest.approx(math.sqrt(1 / 6))
    # Satterthwaite: V^2 / (0.0625^2/1 + 0.125^2/3 + (1/48)^2/3) = 3 exactly here
    assert c.df == pytest.approx(3.0)
    t975 = 3.182446305284263  # t(0.975, df=3)
    assert (c.low, c.high) == pytest.approx(
        (0.5 - t975 * math.sqrt(1 / 6), 0.5 + t975 * math.sqrt(1 / 6))
    )
    assert c.seeds == (2, 2) and c.n_images == 4


def test_compare_procedures_drops_a_negative_seed_part():
    # each procedure's two seeds have the same accuracy: the seed part's estimate is
    # 0 - (1/3)/8 - (1/3)/8 < 0, so only the test images' part is left (df = n - 1 = 3)
    y, pa = _right_to_predictions([[1, 1, 0, 1], [1, 0, 1, 1]])
    _, pb = _right_to_predictions([[1, 0, 0, 1], [1, 1, 0, 0]])
    c = stats.compare_procedures(y, pa, pb)
    assert c.difference == pytest.approx(0.25)
    assert c.seed_variance == 0.0
    assert c.image_variance == pytest.approx((0.25 / 3) / 4)
    assert c.df == pytest.approx(3.0)


def test_procedure_accuracy_by_hand_and_inside_0_1():
    y, pa = _right_to_predictions([[1, 1, 1, 1], [0, 0, 1, 1]])
    est = stats.procedure_accuracy(y, pa)
    # seeds: 0.125/2 - (1/6)/8 = 1/24; images: var(0.5, 0.5, 1, 1) / 4 = (0.25/3)/4 = 1/48
    assert est.value == pytest.approx(0.75)
    assert est.seed_variance == pytest.approx(1 / 24)
    assert est.image_variance == pytest.approx(1 / 48)
    assert est.se == pytest.approx(0.25)
    assert 0.0 < est.low < 0.75 < est.high < 1.0
    # the FAST-run case: three seeds far apart on few images; a plain t-interval of the
    # seeds' accuracies leaves [0, 1], this one cannot
    rng = np.random.default_rng(0)
    right = np.stack([rng.random(200) < p for p in (0.55, 0.97, 0.99)]).astype(int)
    y, preds = _right_to_predictions(right)
    _, lo, hi = stats.t_interval(right.mean(axis=1))
    assert hi > 1.0  # the wrong construction
    est = stats.procedure_accuracy(y, preds)
    assert 0.0 < est.low < est.value < est.high < 1.0


def _simulate(k: int, reps: int, seed: int, seed_sd: float = 0.008, n: int = 1000):
    """Coverage of the 95% intervals of the true difference of two training procedures.

    A synthetic world: 80% of the images are easy (every network right); on the hard 20%
    each procedure has, per image, a fixed 'knack' (right with probability 0.85 or 0.15)
    drawn with probability 0.6 for A and 0.5 for B, so the true difference is
    0.2 * 0.7 * 0.1 = 0.014. A seed shifts all hard-image probabilities of its network by
    a uniform amount (seed-to-seed sd of the accuracy ``seed_sd``). Each repeat draws new
    images and new seeds, trains (samples) k networks per procedure, and checks whether
    each interval covers 0.014.
    """
    rng = np.random.default_rng(seed)
    hard_share, true = 0.2, 0.2 * 0.7 * 0.1
    hits = dict(both=0, seeds_only=0, mcnemar_only=0)
    y = np.zeros(n, int)
    for _ in range(reps):
        hard = rng.random(n) < hard_share
        knack_a, knack_b = rng.random(n) < 0.6, rng.random(n) < 0.5
        shift = rng.uniform(-1, 1, (2, k, 1)) * seed_sd * math.sqrt(3) / hard_share
        pa = np.where(hard, np.where(knack_a, 0.85, 0.15) + shift[0], 1.0)
        pb = np.where(hard, np.where(knack_b, 0.85, 0.15) + shift[1], 1.0)
        preds_a = (rng.random((k, n)) >= pa).astype(int)  # 0 (right) with probability pa
        preds_b = (rng.random((k, n)) >= pb).astype(int)
        c = stats.compare_procedures(y, preds_a, preds_b)
        hits["both"] += c.low <= true <= c.high
        s = c.seeds_only()
        hits["seeds_only"] += s.low <= true <= s.high
        m = stats.paired_interval(y, preds_a[0], preds_b[0])  # McNemar's question, one seed
        hits["mcnemar_only"] += m.low <= true <= m.high
    return {name: count / reps for name, count in hits.items()}


def test_coverage_simulation_both_sources_cover_95_percent_partial_tools_do_not():
    coverage = _simulate(k=5, reps=600, seed=0)
    # 600 repeats: the standard error of a 95% coverage is 0.9 points
    assert 0.93 <= coverage["both"] <= 0.97, coverage
    # in the same world, the seed-only and the McNemar-only intervals miss far more often
    assert coverage["seeds_only"] <= 0.90, coverage
    assert coverage["mcnemar_only"] <= 0.87, coverage


def test_coverage_with_three_seeds_holds_too():
    coverage = _simulate(k=3, reps=400, seed=1)
    assert 0.92 <= coverage["both"] <= 0.98, coverage
    assert coverage["mcnemar_only"] <= 0.87, coverage
