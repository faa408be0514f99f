"""helpers.metrics against scikit-learn and against counts worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from fakes import random_proba
from sklearn import metrics as skm
from sklearn.calibration import calibration_curve

from helpers import metrics

# A small known case: 3 classes, 10 images. Worked by hand:
#   true 0: predicted 0, 0, 1          -> row [2, 1, 0]
#   true 1: predicted 1, 1, 1, 2       -> row [0, 3, 1]
#   true 2: predicted 0, 2, 2          -> row [1, 0, 2]
Y_TRUE = np.array([0, 0, 0, 1, 1, 1, 1, 2, 2, 2])
Y_PRED = np.array([0, 0, 1, 1, 1, 1, 2, 0, 2, 2])
CM = np.array([[2, 1, 0], [0, 3, 1], [1, 0, 2]])


def test_confusion_counts_worked_by_hand():
    table = metrics.confusion(Y_TRUE, Y_PRED, num_classes=3)
    np.testing.assert_array_equal(table.to_numpy(), CM)
    assert table.index.name == "True" and table.columns.name == "Predicted"
    assert list(table.index) == [0, 1, 2] and list(table.columns) == [0, 1, 2]


def test_confusion_normalised_rows_are_recalls():
    table = metrics.confusion(Y_TRUE, Y_PRED, normalize=True, num_classes=3)
    np.testing.assert_allclose(table.to_numpy(), CM / CM.sum(axis=1, keepdims=True))
    np.testing.assert_allclose(
        np.diag(table), skm.recall_score(Y_TRUE, Y_PRED, average=None, labels=[0, 1, 2])
    )


def test_confusion_has_a_row_and_column_for_a_class_never_seen():
    table = metrics.confusion([0, 1, 1], [0, 1, 0], num_classes=10)
    assert table.shape == (10, 10)
    assert table.to_numpy().sum() == 3
    assert metrics.confusion([0, 1, 1], [0, 1, 0], normalize=True).loc[5].sum() == 0


def test_most_confused_pairs_worked_by_hand():
    y_true = [3] * 5 + [5] * 3 + [8] * 2 + [1]
    y_pred = [5, 5, 5, 3, 3, 3, 3, 8, 1, 8, 1]
    # off-diagonal: (3->5) 3 times, (5->3) 2 times, (5->8) and (8->1) once, no others
    table = metrics.most_confused_pairs(y_true, y_pred, top=5)
    assert list(table.columns) == ["true", "predicted", "count", "share_of_true"]
    assert table[["true", "predicted", "count"]].values.tolist() == [
        [3, 5, 3],
        [5, 3, 2],
        [5, 8, 1],
        [8, 1, 1],
    ]
    assert table["share_of_true"].tolist() == pytest.approx([3 / 5, 2 / 3, 1 / 3, 1 / 2])
    assert len(metrics.most_confused_pairs(y_true, y_pred, top=2)) == 2


def test_most_confused_pairs_of_a_perfect_model_is_empty():
    assert metrics.most_confused_pairs([0, 1, 2], [0, 1, 2]).empty


def test_one_digit_counts_worked_by_hand_and_tied_to_the_matrix():
    counts = metrics.one_digit_counts(Y_TRUE, Y_PRED, digit=1, num_classes=3)
    # digit 1: TP = cm[1,1] = 3; FP = column 1 minus TP = 1; FN = row 1 minus TP = 1
    assert counts.to_dict() == {"TP": 3, "FP": 1, "FN": 1, "TN": 5}
    for d in range(3):
        c = metrics.one_digit_counts(Y_TRUE, Y_PRED, digit=d, num_classes=3)
        assert c["TP"] == CM[d, d]
        assert c["FP"] == CM[:, d].sum() - CM[d, d]
        assert c["FN"] == CM[d, :].sum() - CM[d, d]
        assert c.sum() == len(Y_TRUE)
        masks = metrics.outcome_masks(Y_TRUE, Y_PRED, d)
        assert {k: int(m.sum()) for k, m in masks.items()} == c.to_dict()


def test_classification_table_matches_sklearn():
    y, p = random_proba()
    y_pred = p.argmax(axis=1)
    table = metrics.classification_table(y, y_pred)
    assert list(table.columns) == ["precision", "recall", "f1-score", "support"]
    assert list(table.index) == [*range(10), "macro avg", "weighted avg"]
    prec, rec, f1, support = skm.precision_recall_fscore_support(y, y_pred, labels=range(10))
    np.testing.assert_allclose(table.loc[list(range(10)), "precision"], prec)
    np.testing.assert_allclose(table.loc[list(range(10)), "recall"], rec)
    np.testing.assert_allclose(table.loc[list(range(10)), "f1-score"], f1)
    np.testing.assert_array_equal(table.loc[list(range(10)), "support"], support)
    assert table.loc["macro avg", "recall"] == pytest.approx(rec.mean())
    assert table.loc["weighted avg", "precision"] == pytest.approx(
        skm.precision_score(y, y_pred, average="weighted")
    )
    assert table.loc["macro avg", "support"] == len(y)


def test_classification_table_precision_and_recall_by_hand():
    table = metrics.classification_table(Y_TRUE, Y_PRED, num_classes=3)
    for d in range(3):
        assert table.loc[d, "recall"] == pytest.approx(CM[d, d] / CM[d].sum())
        assert table.loc[d, "precision"] == pytest.approx(CM[d, d] / CM[:, d].sum())


def test_misclassified_lists_every_error_most_confident_first():
    y, p = random_proba(skill=1.0)
    table = metrics.misclassified(y, p)
    wrong = np.nonzero(p.argmax(axis=1) != y)[0]
    assert sorted(table.index) == list(wrong)
    assert (table["true"] != table["predicted"]).all()
    assert table["confidence"].is_monotonic_decreasing
    np.testing.assert_allclose(table["confidence"], p[table.index].max(axis=1))
    np.testing.assert_allclose(table["p_true"], p[table.index, table["true"]])
    assert (table["p_true"] < table["confidence"]).all()


def test_auc_table_matches_sklearn():
    y, p = random_proba()
    aucs = metrics.auc_table(y, p)
    assert list(aucs.index) == [*range(10), "micro", "macro"]
    onehot = np.eye(10)[y]
    for c in range(10):
        assert aucs[c] == pytest.approx(skm.roc_auc_score(y == c, p[:, c]))
    assert aucs["micro"] == pytest.approx(skm.roc_auc_score(onehot.ravel(), p.ravel()))
    assert aucs["macro"] == pytest.approx(np.mean([aucs[c] for c in range(10)]))
    assert aucs["macro"] == pytest.approx(skm.roc_auc_score(y, p, multi_class="ovr"))
    assert ((aucs > 0.5) & (aucs <= 1)).all()


def test_auc_of_a_perfect_ranking_is_one_and_reversed_is_zero():
    y = np.array([0, 0, 1, 1])
    good = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.4, 0.6]])
    assert metrics.auc_table(y, good)[0] == pytest.approx(1.0)
    assert metrics.auc_table(1 - y, good)["macro"] == pytest.approx(0.0)


def test_roc_curves_match_sklearn_and_auc():
    y, p = random_proba()
    curves = metrics.roc_curves(y, p)
    aucs = metrics.auc_table(y, p)
    for c in range(10):
        fpr, tpr, thr = skm.roc_curve(y == c, p[:, c])
        np.testing.assert_allclose(curves[c][0], fpr)
        np.testing.assert_allclose(curves[c][1], tpr)
        assert skm.auc(curves[c][0], curves[c][1]) == pytest.approx(aucs[c])
    assert skm.auc(*curves["micro"][:2]) == pytest.approx(aucs["micro"])
    fpr, tpr, _ = curves["macro"]
    assert fpr[0] == 0 and fpr[-1] == 1 and np.all(np.diff(fpr) > 0)
    # the averaged curve's area is close to (not exactly) the mean AUC
    assert skm.auc(fpr, tpr) == pytest.approx(aucs["macro"], abs=0.01)


def test_calibration_table_matches_sklearn_calibration_curve():
    y, p = random_proba(skill=1.5)
    table = metrics.calibration_table(y, p, n_bins=10)
    assert len(table) == 10 and table["count"].sum() == len(y)
    correct = p.argmax(axis=1) == y
    prob_true, prob_pred = calibration_curve(correct, p.max(axis=1), n_bins=10)
    filled = table[table["count"] > 0]
    np.testing.assert_allclose(filled["accuracy"], prob_true)
    np.testing.assert_allclose(filled["confidence"], prob_pred)


def test_ece_worked_by_hand():
    # four images, two bins: (0, 0.5] holds none (top probability is always >= 1/2 here)
    y = np.array([0, 0, 1, 1])
    p = np.array([[0.9, 0.1], [0.6, 0.4], [0.7, 0.3], [0.2, 0.8]])
    # bin (0.5, 1]: confidences 0.9, 0.6, 0.7, 0.8 (mean 0.75); correct: yes, yes, no, yes
    assert metrics.expected_calibration_error(y, p, n_bins=2) == pytest.approx(abs(0.75 - 0.75))
    # ten bins: (0.5,0.6] {0.6 right}, (0.6,0.7] {0.7 wrong}, (0.7,0.8] {0.8 right}, (0.8,0.9] {0.9 right}
    expected = (abs(1 - 0.6) + abs(0 - 0.7) + abs(1 - 0.8) + abs(1 - 0.9)) / 4
    assert metrics.expected_calibration_error(y, p, n_bins=10) == pytest.approx(expected)


def test_ece_of_a_calibrated_model_is_small_and_of_an_overconfident_one_large():
    rng = np.random.default_rng(1)
    n = 20_000
    conf = rng.uniform(0.5, 1.0, size=n)
    right = rng.uniform(size=n) < conf  # correct exactly as often as it claims
    y = np.where(right, 0, 1)
    p = np.column_stack([conf, 1 - conf])
    assert metrics.expected_calibration_error(y, p) < 0.02
    overconfident = np.column_stack([np.full(n, 0.99), np.full(n, 0.01)])
    assert metrics.expected_calibration_error(y, overconfident) == pytest.approx(
        0.99 - right.mean(), abs=1e-9
    )


def test_classwise_calibration_error_worked_by_hand():
    # two classes, four images, two bins [0, 0.5] and (0.5, 1]
    y = np.array([0, 0, 1, 1])
    p = np.array([[0.9, 0.1], [0.6, 0.4], [0.7, 0.3], [0.2, 0.8]])
    # class 0: p_0 = 0.9, 0.6, 0.7 in (0.5, 1] (two are 0s: share 2/3, mean p 0.7333);
    #          p_0 = 0.2 in [0, 0.5] (not a 0: share 0, mean 0.2)
    class_0 = 3 / 4 * abs(2 / 3 - 2.2 / 3) + 1 / 4 * abs(0 - 0.2)
    # class 1: p_1 = 0.1, 0.4, 0.3 in [0, 0.5] (one is a 1: share 1/3, mean 0.2667);
    #          p_1 = 0.8 in (0.5, 1] (a 1: share 1, mean 0.8)
    class_1 = 3 / 4 * abs(1 / 3 - 0.8 / 3) + 1 / 4 * abs(1 - 0.8)
    expected = (class_0 + class_1) / 2
    assert metrics.classwise_calibration_error(y, p, n_bins=2) == pytest.approx(expected)


def test_classwise_calibration_error_matches_sklearn_bins_and_judges_every_probability():
    y, p = random_proba(n=2000, skill=1.0)
    edges = np.linspace(0, 1, 11)
    per_class = []
    for k in range(10):
        freq, conf = calibration_curve(y == k, p[:, k], n_bins=10)
        count = np.bincount(np.searchsorted(edges[1:-1], p[:, k]), minlength=10)
        per_class.append(np.sum(count[count > 0] / len(y) * np.abs(freq - conf)))
    assert metrics.classwise_calibration_error(y, p) == pytest.approx(np.mean(per_class))
    # labels drawn from the model's own probabilities: calibrated in every class
    y_drawn = _draw_labels(np.random.default_rng(2), np.repeat(p, 10, axis=0))
    assert metrics.classwise_calibration_error(y_drawn, np.repeat(p, 10, axis=0)) < 0.01
    # the same top probability, the rest spread evenly over the nine others: top-label ECE
    # cannot see the change, the class-wise error does
    flat = np.repeat((1 - p.max(axis=1, keepdims=True)) / 9, 10, axis=1)
    flat[np.arange(len(p)), p.argmax(axis=1)] = p.max(axis=1)
    assert metrics.expected_calibration_error(y, flat) == pytest.approx(
        metrics.expected_calibration_error(y, p)
    )
    change = metrics.classwise_calibration_error(y, flat) - metrics.classwise_calibration_error(
        y, p
    )
    assert abs(change) > 1e-3


def test_change_by_index_is_the_paired_change_on_the_drawn_images():
    y, p = random_proba(n=300, skill=1.5)
    softer = metrics.apply_temperature(np.log(p), 2.0)
    change = metrics.change_by_index(metrics.nll, y, p, softer)
    idx = np.random.default_rng(7).integers(0, 300, size=300)
    assert change(idx) == pytest.approx(
        metrics.nll(y[idx], softer[idx]) - metrics.nll(y[idx], p[idx])
    )
    assert change(np.arange(300)) == pytest.approx(metrics.nll(y, softer) - metrics.nll(y, p))
    with pytest.raises(ValueError, match="same images"):
        metrics.change_by_index(metrics.nll, y, p, softer[:10])


# --------------------------------------------------------------------------- temperature scaling


def _draw_labels(rng, proba):
    """One label per row, drawn from that row's probabilities."""
    return (proba.cumsum(axis=1) > rng.uniform(size=(len(proba), 1))).argmax(axis=1)


@pytest.mark.parametrize("t_true", [0.7, 1.0, 2.5])
def test_fit_temperature_recovers_a_known_temperature(t_true):
    rng = np.random.default_rng(3)
    logits = 3 * rng.normal(size=(20_000, 10))
    y = _draw_labels(rng, metrics.softmax(logits / t_true))  # labels really follow softmax(z/T)
    assert metrics.fit_temperature(logits, y) == pytest.approx(t_true, rel=0.05)


def test_fit_temperature_minimises_the_nll_and_ignores_a_shift_of_the_logits():
    rng = np.random.default_rng(4)
    logits = 4 * rng.normal(size=(3_000, 10))
    y = _draw_labels(rng, metrics.softmax(logits / 2.0))
    t = metrics.fit_temperature(logits, y)
    best = skm.log_loss(y, metrics.apply_temperature(logits, t), labels=range(10))
    for other in (0.9 * t, 1.1 * t, 1.0):
        assert best < skm.log_loss(y, metrics.apply_temperature(logits, other), labels=range(10))
    shifted = logits + rng.normal(size=(3_000, 1)) * 50  # softmax ignores a per-row shift
    assert metrics.fit_temperature(shifted, y) == pytest.approx(t, rel=1e-4)


def test_log_probabilities_are_logits_up_to_a_shift():
    rng = np.random.default_rng(5)
    z = rng.normal(size=(50, 10)) * 5
    p = metrics.softmax(z)
    logp = metrics.log_probabilities(p)
    np.testing.assert_allclose(metrics.softmax(logp), p, atol=1e-12)
    np.testing.assert_allclose(
        metrics.apply_temperature(logp, 2.0), metrics.apply_temperature(z, 2.0), atol=1e-12
    )
    # an underflowed probability gives a finite log, not -inf
    assert np.isfinite(metrics.log_probabilities(np.array([[1.0, 0.0]]))).all()


def test_apply_temperature_keeps_the_argmax_and_softens():
    y, p = random_proba(skill=3.0)
    logits = metrics.log_probabilities(p)
    soft = metrics.apply_temperature(logits, 2.0)
    np.testing.assert_array_equal(soft.argmax(axis=1), p.argmax(axis=1))
    assert (soft.max(axis=1) <= p.max(axis=1) + 1e-12).all()
    with pytest.raises(ValueError, match="positive"):
        metrics.apply_temperature(logits, 0.0)


def test_nll_and_brier_match_scikit_learn():
    y, p = random_proba(skill=1.5)
    assert metrics.nll(y, p) == pytest.approx(skm.log_loss(y, p, labels=range(10)))
    # scikit-learn >= 1.7 has a multi-class brier_score_loss; on every version the Brier score
    # is the mean squared error over all columns of the one-hot targets, times the columns
    onehot = np.eye(10)[y]
    assert metrics.brier(y, p) == pytest.approx(10 * skm.mean_squared_error(onehot, p))


def test_nll_and_brier_worked_by_hand():
    y = np.array([0, 1])
    p = np.array([[0.8, 0.2], [0.4, 0.6]])
    assert metrics.nll(y, p) == pytest.approx(-(np.log(0.8) + np.log(0.6)) / 2)
    # (0.2^2 + 0.2^2 + 0.4^2 + 0.4^2) / 2 images
    assert metrics.brier(y, p) == pytest.approx((0.04 + 0.04 + 0.16 + 0.16) / 2)


# --------------------------------------------------------------------------- precision-recall


def test_average_precision_matches_sklearn():
    y, p = random_proba(skill=1.5)
    table = metrics.average_precision_table(y, p)
    for c in range(10):
        assert table[c] == pytest.approx(skm.average_precision_score(y == c, p[:, c]))
    assert table["macro"] == pytest.approx(skm.average_precision_score(np.eye(10)[y], p))
    precision, recall, _ = metrics.precision_recall_curves(y, p)[4]
    assert precision[-1] == 1 and recall[-1] == 0


def test_threshold_for_precision_worked_by_hand():
    is_pos = np.array([1, 1, 0, 1, 0, 1, 0, 0], dtype=bool)
    scores = np.array([0.95, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3])
    # t=0.9: 2/2 precise; t=0.7: 3/4; t=0.5: 4/6; so precision 1 needs t=0.9 (recall 2/4)
    assert metrics.threshold_for_precision(is_pos, scores, 1.0) == 0.9
    assert metrics.threshold_for_precision(is_pos, scores, 0.75) == 0.7
    assert metrics.precision_recall_at(is_pos, scores, 0.7) == (0.75, 0.75)
    assert metrics.precision_recall_at(is_pos, scores, 0.99) == (0.0, 0.0)
    with pytest.raises(ValueError, match="lower target"):
        metrics.threshold_for_precision(scores < 0.35, scores, 0.9)  # one positive, ranked last


def test_threshold_for_precision_gives_the_highest_recall_at_that_precision():
    y, p = random_proba(n=2000, skill=2.5)
    is_pos, scores = y == 3, p[:, 3]
    t = metrics.threshold_for_precision(is_pos, scores, 0.9)
    precision, recall = metrics.precision_recall_at(is_pos, scores, t)
    assert precision >= 0.9
    assert skm.precision_score(is_pos, scores >= t) == pytest.approx(precision)
    for lower in np.unique(scores[scores < t]):
        assert metrics.precision_recall_at(is_pos, scores, lower)[0] < 0.9


def test_macro_auc_by_index_equals_sklearn_on_a_resample_with_repeats_and_ties():
    y, p = random_proba(n=1000)
    p = np.round(p, 2) + 1e-9  # many ties
    p = p / p.sum(axis=1, keepdims=True)
    macro_auc = metrics.macro_auc_by_index(y, p)
    assert macro_auc(np.arange(1000)) == pytest.approx(metrics.auc_table(y, p)["macro"])
    idx = np.random.default_rng(2).integers(0, 1000, size=1000)
    expected = skm.roc_auc_score(np.eye(10)[y[idx]], p[idx], average="macro")
    assert macro_auc(idx) == pytest.approx(expected)


def test_share_by_index_is_precision_and_recall_of_a_resample():
    y, p = random_proba(n=500, skill=1.5)
    pred = p.argmax(axis=1)
    called, really = pred == 3, y == 3
    precision = metrics.share_by_index(called & really, called)
    recall = metrics.share_by_index(called & really, really)
    idx = np.random.default_rng(6).integers(0, 500, size=500)
    assert precision(idx) == pytest.approx(skm.precision_score(y[idx] == 3, pred[idx] == 3))
    assert recall(idx) == pytest.approx(skm.recall_score(y[idx] == 3, pred[idx] == 3))
    assert np.isnan(precision(np.flatnonzero(~called)))  # nothing called 3 in this draw
    with pytest.raises(ValueError, match="among"):
        metrics.share_by_index(called, called & really)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: metrics.confusion([0, 1], [0]), "same images"),
        (lambda: metrics.confusion(np.eye(3), [0, 1, 2]), "argmax"),
        (lambda: metrics.confusion([0, 12], [0, 1]), "0..9"),
        (lambda: metrics.confusion([], []), "empty"),
        (lambda: metrics.auc_table([0, 1], [0, 1]), "model.predict"),
        (lambda: metrics.auc_table([0, 1], [[2.0, -1.0], [0.0, 1.0]]), "softmax"),
        (lambda: metrics.auc_table([0, 0], [[0.6, 0.4], [0.7, 0.3]]), "every class"),
        (lambda: metrics.one_digit_counts([0, 1], [0, 1], digit=10), "digit must be"),
        (lambda: metrics.calibration_table([0], [[1.0, 0.0]], n_bins=0), "n_bins"),
        (lambda: metrics.fit_temperature(np.zeros(3), [0, 1, 2]), "images x classes"),
        (lambda: metrics.fit_temperature(np.zeros((3, 2)), [0, 1]), "labels but logits"),
        (lambda: metrics.threshold_for_precision([1, 0], [0.9, 0.1], 1.5), "between 0 and 1"),
        (lambda: metrics.threshold_for_precision([0, 0], [0.9, 0.1], 0.9), "no positive"),
    ],
)
def test_bad_input_says_what_is_wrong(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_tables_are_pandas():
    y, p = random_proba()
    assert isinstance(metrics.auc_table(y, p), pd.Series)
    assert isinstance(metrics.calibration_table(y, p), pd.DataFrame)
