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


def _precision_recall(cm):
    cm = np.asarray(cm)
    right, called, really = np.diag(cm), cm.sum(axis=0), cm.sum(axis=1)
    precision = np.divide(right, called, out=np.zeros(len(right)), where=called > 0)
    recall = np.divide(right, really, out=np.zeros(len(right)), where=really > 0)
    return precision, recall


def test_07_2_precision_and_recall_of_every_digit_against_scikit_learn():
    assert checks.exercise_07_2(_precision_recall)
    assert checks.exercise_07_2(_precision_recall, np.eye(10, dtype=int) * 30 + 2)
    assert checks.exercise_07_2(lambda cm: np.stack(_precision_recall(cm)))  # a (2, 10) array

    def naive(cm):  # 0 / 0 for a digit never predicted: nan
        return np.diag(cm) / cm.sum(axis=0), np.diag(cm) / cm.sum(axis=1)

    def in_python(cm):  # 0 / 0 in plain Python raises
        precision = [int(cm[d, d]) / int(cm[:, d].sum()) for d in range(10)]
        return precision, [int(cm[d, d]) / int(cm[d].sum()) for d in range(10)]

    cases = [
        (naive, "never predicted"),
        (in_python, "ZeroDivisionError"),
        (lambda cm: _precision_recall(cm)[::-1], "swapped"),
        (lambda cm: tuple(100 * v for v in _precision_recall(cm)), "percentages"),
        (lambda cm: _precision_recall(cm)[0], "two arrays"),
        (lambda cm: (_precision_recall(cm)[0][:9], _precision_recall(cm)[1]), "shape (9,)"),
        (lambda cm: (_precision_recall(cm)[0], np.diag(cm) / cm.sum()), "recall of digit"),
        (lambda cm: 1 / 0, "ZeroDivisionError"),
        (CM, "your function"),
        (0.98, "your function"),
    ]
    for answer, message in cases:
        v = checks.exercise_07_2(answer)
        assert not v and message in v.message, (message, v.message)
    assert checks.expected_answer(checks.exercise_07_2) is None  # code, not a number


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


def _auc(is_positive, scores):
    is_positive, scores = np.asarray(is_positive, bool), np.asarray(scores, float)
    diff = scores[is_positive][:, None] - scores[~is_positive][None, :]
    return np.mean((diff > 0) + 0.5 * (diff == 0))


def test_07_3_auc_by_pairs_against_roc_auc_score():
    assert checks.exercise_07_3(_auc)
    assert checks.exercise_07_3(skm.roc_auc_score)  # the reference itself passes, of course

    def higher(p, s):
        p, s = np.asarray(p, bool), np.asarray(s, float)
        return s[p][:, None] - s[~p][None, :]

    cases = [
        (lambda p, s: 1 - _auc(p, s), "WRONGLY"),
        (lambda p, s: np.mean(higher(p, s) > 0), "counts it 0"),
        (lambda p, s: np.mean(higher(p, s) >= 0), "counts it 1"),
        (lambda p, s: 100 * _auc(p, s), "percentage"),
        (lambda p, s: _auc(p, s) * higher(p, s).size, "divide by the number"),
        (lambda p, s: None, "forget `return`"),
        (lambda p, s: "0.8", "single number"),
        (lambda p, s: _auc(p, s) + 0.01, "roc_auc_score gives"),
        (lambda p, s: np.nan, "finite"),
        (0.83, "your function"),
    ]
    for answer, message in cases:
        v = checks.exercise_07_3(answer)
        assert not v and message in v.message, (message, v.message)
    assert checks.expected_answer(checks.exercise_07_3) is None
