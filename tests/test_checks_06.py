"""Notebook 06's exercise checkers: whole numbers only where the answer is a count."""

import pytest

from helpers import checks

HISTORY = {
    "loss": [1.0, 0.5, 0.3, 0.2],
    "accuracy": [0.7, 0.8, 0.9, 0.95],
    "val_loss": [0.6, 0.316, 0.333, 0.372],
    "val_accuracy": [0.80, 0.90, 0.91, 0.90],
}


@pytest.mark.parametrize("wrong", [782.4, 781.6, True, float("nan"), "782", [782, 782]])
def test_exercise_06_2_refuses_what_is_not_a_whole_count(wrong):
    assert not checks.exercise_06_2(wrong, n_train=60_000, n_val=10_000, batch_size=64)


def test_exercise_06_2_accepts_the_count():
    assert checks.exercise_06_2(782, n_train=60_000, n_val=10_000, batch_size=64)
    assert checks.exercise_06_2(782.0, n_train=60_000, n_val=10_000, batch_size=64)


@pytest.mark.parametrize("wrong", [3.005, 2.7, True, float("nan"), "3"])
def test_exercise_06_4_refuses_what_is_not_an_epoch(wrong):
    assert not checks.exercise_06_4(wrong, HISTORY, monitor="val_accuracy")


def test_exercise_06_4_accuracy_peak_and_its_mistakes():
    assert checks.exercise_06_4(3, HISTORY, monitor="val_accuracy")
    loss_minimum = checks.exercise_06_4(2, HISTORY, monitor="val_accuracy")
    assert not loss_minimum and "val_loss" in repr(loss_minimum)  # not "count from 0"
    assert "STOPPED" in repr(checks.exercise_06_4(4, HISTORY, monitor="val_accuracy"))
    assert checks.exercise_06_4(2, HISTORY)  # the loss minimum, for monitor="val_loss"
    assert "count from 0" in repr(checks.exercise_06_4(1, HISTORY))
