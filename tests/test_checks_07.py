"""The notebook-07 exercise checkers accept right answers and explain typical wrong ones."""

from __future__ import annotations

import numpy as np
from sklearn import metrics as skm

from helpers import checks

CM = np.array([[50, 2, 3], [4, 40, 6], [1, 9, 30]])


def _counts(y_true, y_pred):
    counts = np.zeros((10, 10), dtype=int)
    np.add.at(counts, (np.asarray(y_true), np.asarray(y_pred)), 1)
    return counts


def test_07_1_a_confusion_function_is_tested_on_its_own_cases():
    y_true, y_pred = np.array([1, 1, 2, 2, 2]), np.array([1, 2, 2, 2, 0])
    assert checks.exercise_07_1(_counts)
    assert checks.exercise_07_1(_counts, y_true, y_pred)
    assert checks.exercise_07_1(lambda t, p: _counts(t, p).astype(float))  # floats that count
    transposed = checks.exercise_07_1(lambda t, p: _counts(p, t))
    assert not transposed and "transpose" in transposed.message

    def once(t, p):  # fancy indexing: a repeated (true, predicted) pair adds 1 only once
        counts = np.zeros((10, 10), dtype=int)
        counts[np.asarray(t), np.asarray(p)] += 1
        return counts

    assert not (v := checks.exercise_07_1(once)) and "np.add.at" in v.message

    def present_only(t, p):  # only the digits that occur: a 7 is never predicted
        labels = np.union1d(t, p)
        return skm.confusion_matrix(t, p, labels=labels)

    assert not (v := checks.exercise_07_1(present_only)) and "10 x 10" in v.message

    def shares(t, p):
        counts = _counts(t, p).astype(float)
        total = counts.sum(axis=1, keepdims=True)
        return np.divide(counts, total, out=np.zeros_like(counts), where=total > 0)

    assert not (v := checks.exercise_07_1(shares)) and "shares" in v.message
    assert not (v := checks.exercise_07_1(lambda t, p: 1 / 0)) and "ZeroDivisionError" in v.message
    for not_a_function in (..., 6, "confusion", _counts(y_true, y_pred)):
        assert not checks.exercise_07_1(not_a_function)


def test_07_2_recall_is_diagonal_over_row():
    assert checks.exercise_07_2(40 / 50, CM, digit=1)
    assert not checks.exercise_07_2(80.0, CM, digit=1)
    wrong = checks.exercise_07_2(40 / 51, CM, digit=1)
    assert not wrong and "PRECISION" in wrong.message


def test_07_2_precision_is_diagonal_over_column():
    assert checks.exercise_07_2(40 / 51, CM, digit=1, metric="precision")
    assert checks.exercise_07_2(40 / 51 * (1 + 5e-5), CM, digit=1, metric="precision")
    wrong = checks.exercise_07_2(40 / 50, CM, digit=1, metric="precision")
    assert not wrong and "RECALL" in wrong.message
    assert not checks.exercise_07_2(100 * 40 / 51, CM, digit=1, metric="precision")
    assert not checks.exercise_07_2(True, CM, digit=1, metric="precision")


# validation: positives score 0.95, 0.9, 0.7, 0.5; precision 1 at t=0.9, 0.75 at t=0.7
VAL_POS = np.array([1, 1, 0, 1, 0, 1, 0, 0], dtype=bool)
VAL_SCORES = np.array([0.95, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3])
# test: a different set of images, where precision 0.75 would need t=0.6
TEST_POS = np.array([1, 0, 1, 1, 0, 0], dtype=bool)
TEST_SCORES = np.array([0.9, 0.85, 0.7, 0.6, 0.5, 0.2])


def test_07_4_threshold_is_chosen_on_validation():
    args = (VAL_POS, VAL_SCORES, 0.75, TEST_POS, TEST_SCORES)
    assert checks.exercise_07_4(0.7, *args)
    assert checks.exercise_07_4(0.65, *args)  # same calls on validation as 0.7: accepted
    on_test = checks.exercise_07_4(0.6, *args)
    assert not on_test and "TEST" in on_test.message
    too_low = checks.exercise_07_4(0.45, *args)
    assert not too_low and "raise the threshold" in too_low.message
    too_high = checks.exercise_07_4(0.9, *args)
    assert not too_high and "LOWEST" in too_high.message
    assert not checks.exercise_07_4(..., *args)
    assert not checks.exercise_07_4("high", *args)
    assert not checks.exercise_07_4("0.7", *args)  # text, even if it reads as a number
    assert not checks.exercise_07_4(True, *args)  # True is not the threshold 1
    assert not checks.exercise_07_4(float("nan"), *args)


def test_07_3_pair_share_is_the_auc():
    rng = np.random.default_rng(0)
    is_pos = rng.uniform(size=60) < 0.3
    scores = np.round(rng.uniform(size=60) + 0.4 * is_pos, 1)  # rounding makes ties
    auc = skm.roc_auc_score(is_pos, scores)
    assert checks.exercise_07_3(auc, is_pos, scores)
    assert not checks.exercise_07_3(1 - auc, is_pos, scores)
    wrong = checks.exercise_07_3(1 - auc, is_pos, scores)
    assert "WRONGLY" in wrong.message
