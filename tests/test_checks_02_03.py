"""Exercise checkers of notebooks 02 and 03: right answers pass, typical mistakes are named."""

from __future__ import annotations

import math

import numpy as np
import pytest

from helpers import checks


def says(verdict, text):
    return text in verdict.message


# --------------------------------------------------------------------------- notebook 02

Y = [0, 0, 1, 0]
P = [0.1, 0.2, 0.6, 0.1]


def test_02_1_cross_entropy_by_hand():
    right = -math.log(0.6)
    assert checks.exercise_02_1(right, Y, P)
    assert checks.exercise_02_1(round(right, 4), Y, P)
    assert says(checks.exercise_02_1(-right, Y, P), "sign is flipped")
    assert says(checks.exercise_02_1(-math.log10(0.6), Y, P), "log10")
    assert says(checks.exercise_02_1(-math.log2(0.6), Y, P), "log2")
    assert says(checks.exercise_02_1(-np.log(P).sum(), Y, P), "EVERY class")
    assert says(checks.exercise_02_1(-math.log(0.2), Y, P), "too large")
    assert not checks.exercise_02_1("half", Y, P)
    assert says(checks.exercise_02_1(..., Y, P), "replace the ...")


def _stable(z):
    z = np.asarray(z, dtype=float)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def test_02_2_the_learners_stable_softmax():
    """The learner's function is tried on huge scores and far-apart rows, against SciPy."""
    assert checks.exercise_02_2(_stable)
    assert checks.exercise_02_2(_stable, np.array([[5.0, -5.0], [700.0, 0.0]]))

    def naive(z):
        return np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)

    def one_max(z):
        e = np.exp(z - z.max())
        return e / e.sum(axis=1, keepdims=True)

    def in_place(z):
        z -= z.max(axis=1, keepdims=True)
        return np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)

    def no_keepdims(z):
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1)

    def columns(z):
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=0, keepdims=True)

    def whole_batch(z):
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum()

    assert says(checks.exercise_02_2(naive), "overflows")
    assert says(checks.exercise_02_2(one_max), "ROW's own maximum")
    assert says(checks.exercise_02_2(in_place), "changed its input")
    assert says(checks.exercise_02_2(no_keepdims), "keepdims=True")
    assert says(checks.exercise_02_2(columns), "COLUMN")
    assert says(checks.exercise_02_2(whole_batch), "whole batch")
    assert says(
        checks.exercise_02_2(lambda z: np.exp(z - z.max(axis=1, keepdims=True))), "sum to 1"
    )
    assert says(checks.exercise_02_2(lambda z: _stable(z).T), "shape")
    assert says(checks.exercise_02_2(_stable(np.zeros((2, 3)))), "FUNCTION")
    assert says(checks.exercise_02_2(lambda z: 1 / 0), "ZeroDivisionError")
    assert not checks.exercise_02_2(lambda z: np.full(z.shape, np.nan))
    assert not checks.exercise_02_2(True)


def test_02_3_gradient_of_one_example():
    z = np.array([1.0, 2.0, 0.5])
    p = np.exp(z) / np.exp(z).sum()
    y = np.array([0.0, 1.0, 0.0])
    assert checks.exercise_02_3(p - y, z, 1)
    assert says(checks.exercise_02_3(y - p, z, 1), "sign is flipped")
    assert says(checks.exercise_02_3(p, z, 1), "p alone")
    assert says(checks.exercise_02_3(z - y, z, 1), "raw logits")
    assert says(checks.exercise_02_3(p - np.array([1.0, 0, 0]), z, 1), "not p - y yet")
    assert says(checks.exercise_02_3([0.1, 0.2], z, 1), "one entry per logit")
    assert says(checks.exercise_02_3(["0.2", "-0.3", "0.1"], z, 1), "numbers")


def test_02_4_probability_for_a_loss():
    assert checks.exercise_02_4(math.exp(-1), loss=1.0)
    assert checks.exercise_02_4(0.3679, loss=1.0)
    assert says(checks.exercise_02_4(0.1, loss=1.0), "log10")
    assert says(checks.exercise_02_4(0.5, loss=1.0), "log2")
    assert says(checks.exercise_02_4(math.e, loss=1.0), "exp(+L)")
    assert checks.exercise_02_4(math.exp(-2.3), loss=2.3)


# --------------------------------------------------------------------------- notebook 03

SIZES = [784, 64, 32, 10]


def test_03_1_parameter_count():
    assert checks.exercise_03_1(785 * 64 + 65 * 32 + 33 * 10, SIZES)
    assert checks.exercise_03_1(52_650, SIZES)
    assert says(checks.exercise_03_1(784 * 64 + 64 * 32 + 32 * 10, SIZES), "only the weights")
    assert says(checks.exercise_03_1(784 * 65 + 64 * 33 + 32 * 11, SIZES), "OUTPUT units")
    assert says(
        checks.exercise_03_1(784 * 64 + 64 * 32 + 32 * 10 + 784 + 64 + 32 + 10, SIZES),
        "input layer has no biases",
    )
    assert not checks.exercise_03_1(52_651, SIZES)  # exact: off by one is wrong


def test_03_2_batchnorm_model_is_built_and_read():
    import keras

    def build(spec):
        """'D200' a ReLU Dense, 'O10' a softmax output, 'B' a BatchNormalization."""
        layers = [keras.Input(shape=(784,))]
        for item in spec.split():
            if item == "B":
                layers.append(keras.layers.BatchNormalization())
            else:
                activation = "softmax" if item[0] == "O" else "relu"
                layers.append(keras.layers.Dense(int(item[1:]), activation=activation))
        return keras.Sequential(layers)

    sizes = [784, 200, 50, 10]
    good = checks.exercise_03_2(build("D200 B D50 B O10"), sizes)
    assert good and "500 non-trainable" in good.message
    assert says(checks.exercise_03_2(build("D200 B D50 B O10 B"), sizes), "follows the output")
    assert says(checks.exercise_03_2(build("B D200 D50 B O10"), sizes), "784 pixels")
    assert says(checks.exercise_03_2(build("D200 B D50 O10"), sizes), "exactly one after each")
    assert says(checks.exercise_03_2(build("D200 B O10"), sizes), "units")
    assert says(checks.exercise_03_2(500, sizes), "build the model itself")
    assert not checks.exercise_03_2("model", sizes)


def test_03_3_bytes_of_float32_weights():
    sizes = [784, 300, 100, 10]
    assert checks.exercise_03_3(266_610 * 4, sizes)
    assert says(checks.exercise_03_3(266_610, sizes), "4 bytes")
    assert says(checks.exercise_03_3(266_610 * 32, sizes), "bits")
    assert says(checks.exercise_03_3(266_610 * 8, sizes), "float64")
    assert says(checks.exercise_03_3(266_610 * 4 / 1024, sizes), "KiB")
    assert says(checks.exercise_03_3(266_610 * 4 / 1000, sizes), "kB")
    # with BatchNorm the moving statistics take memory too
    assert checks.exercise_03_3(571_018 * 4, [784, 512, 256, 128, 10], batchnorm=True)


def test_03_4_multiply_adds():
    sizes = [784, 300, 100, 10]
    right = 784 * 300 + 300 * 100 + 100 * 10
    assert checks.exercise_03_4(right, sizes)
    assert says(checks.exercise_03_4(266_610, sizes), "biases are added")
    assert says(checks.exercise_03_4(2 * right, sizes), "FLOPs")
    step = 3 * right - 784 * 300  # the training step of notebook 03's rule
    assert says(checks.exercise_03_4(step, sizes), "training step")


def test_03_5_multiply_adds_of_a_training_step():
    sizes = [784, 300, 100, 10]
    forward = 784 * 300 + 300 * 100 + 100 * 10
    assert checks.exercise_03_5(3 * forward - 784 * 300, sizes)
    assert says(checks.exercise_03_5(3 * forward, sizes), "input pixels")
    assert says(checks.exercise_03_5(forward, sizes), "forward pass alone")
    assert says(checks.exercise_03_5(2 * (3 * forward - 784 * 300), sizes), "FLOPs")


@pytest.mark.parametrize(
    "checker",
    [
        checks.exercise_02_1,
        checks.exercise_02_2,
        checks.exercise_02_3,
        checks.exercise_02_4,
        checks.exercise_03_1,
        checks.exercise_03_2,
        checks.exercise_03_3,
        checks.exercise_03_4,
        checks.exercise_03_5,
    ],
)
def test_unanswered_gets_a_nudge(checker):
    verdict = checker(..., [784, 10]) if checker.__name__ != "exercise_02_4" else checker(...)
    assert not verdict
    assert "replace the ..." in verdict.message


def test_02_03_numbers_are_strict():
    """True is not 1, "0.5" is not 0.5, NaN is no answer, 3.7 is not the count 3."""
    assert says(checks.exercise_02_4(True, loss=1.0), "not True")
    assert says(checks.exercise_02_4(str(math.exp(-1)), loss=1.0), "text")
    assert says(checks.exercise_02_1(float("nan"), [0, 1], [0.3, 0.7]), "finite")
    sizes = [784, 64, 32, 10]
    right = (784 + 1) * 64 + (64 + 1) * 32 + (32 + 1) * 10
    assert checks.exercise_03_1(right, layer_sizes=sizes)
    assert checks.exercise_03_1(float(right), layer_sizes=sizes)
    assert says(checks.exercise_03_1(right + 0.4, layer_sizes=sizes), "whole number")
    assert says(checks.exercise_03_1(str(right), layer_sizes=sizes), "text")


# --------------------------------------------------------------------------- 03, exercise 6


def _mlp(sizes, hidden="relu", out="softmax", extra=None, with_input=True):
    import keras

    layers = [keras.Input(shape=(sizes[0],))] if with_input else []
    for units in sizes[1:-1]:
        layers.append(keras.layers.Dense(units, activation=hidden))
        if extra is not None:
            layers.append(extra())
    layers.append(keras.layers.Dense(sizes[-1], activation=out))
    return keras.Sequential(layers)


def test_exercise_03_6_accepts_the_keras_model_and_names_each_mistake():
    import keras

    sizes = [784, 128, 64, 10]
    assert checks.exercise_03_6(_mlp(sizes), sizes)
    cases = [
        (109_386, "that is a number"),
        ("model", "pass a Keras model"),
        (_mlp(sizes, with_input=False), "keras.Input(shape=(784,))"),
        (_mlp(sizes, out=None), "softmax"),
        (_mlp(sizes, hidden=None), "relu"),
        (_mlp([784, 64, 128, 10]), "should have [128, 64, 10]"),
        (_mlp(sizes, extra=keras.layers.BatchNormalization), "BatchNormalization"),
    ]
    for answer, message in cases:
        verdict = checks.exercise_03_6(answer, sizes)
        assert not verdict and message in verdict.message, (answer, verdict)
    assert not checks.exercise_03_6(True, sizes)
    assert checks.expected_answer(checks.exercise_03_6, sizes) is None  # a model, not a number
