"""The notebook-06 exercise checkers accept right answers and explain typical wrong ones."""

from __future__ import annotations

import numpy as np
from sklearn import metrics as skm

from helpers import checks

CM = np.array([[50, 2, 3], [4, 40, 6], [1, 9, 30]])


def test_06_1_reads_row_true_column_predicted():
    assert checks.exercise_06_1(6, CM, true=1, predicted=2)
    wrong = checks.exercise_06_1(9, CM, true=1, predicted=2)
    assert not wrong and "mirror" in wrong.message
    assert not checks.exercise_06_1(..., CM, true=1, predicted=2)


def test_06_2_recall_is_diagonal_over_row():
    assert checks.exercise_06_2(40 / 50, CM, digit=1)
    assert not checks.exercise_06_2(80.0, CM, digit=1)
    wrong = checks.exercise_06_2(40 / 51, CM, digit=1)
    assert not wrong and "PRECISION" in wrong.message


def test_06_4_precision_is_diagonal_over_column():
    assert checks.exercise_06_4(30 / 39, CM, digit=2)
    wrong = checks.exercise_06_4(30 / 40, CM, digit=2)
    assert not wrong and "RECALL" in wrong.message


def test_06_3_pair_share_is_the_auc():
    rng = np.random.default_rng(0)
    is_pos = rng.uniform(size=60) < 0.3
    scores = np.round(rng.uniform(size=60) + 0.4 * is_pos, 1)  # rounding makes ties
    auc = skm.roc_auc_score(is_pos, scores)
    assert checks.exercise_06_3(auc, is_pos, scores)
    assert not checks.exercise_06_3(1 - auc, is_pos, scores)
    wrong = checks.exercise_06_3(1 - auc, is_pos, scores)
    assert "WRONGLY" in wrong.message
