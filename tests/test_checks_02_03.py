"""Exercise checkers of notebooks 02 and 03: right answers pass, typical mistakes are named."""

from __future__ import annotations

import math

import numpy as np
import pytest

from helpers import checks


def says(verdict, text):
    return text in verdict.message


# --------------------------------------------------------------------------- notebook 02


def _one_hot(labels, k):
    labels = np.asarray(labels)
    bad = labels[(labels < 0) | (labels >= k)]
    if bad.size:
        raise ValueError(f"label {bad[0]} is outside 0..{k - 1}")
    rows = np.zeros((len(labels), k))
    rows[np.arange(len(labels)), labels] = 1.0
    return rows


def test_02_one_hot_the_learners_encoder():
    assert checks.exercise_02_one_hot(_one_hot)
    assert checks.exercise_02_one_hot(lambda labels, k: _one_hot(labels, k).astype(np.float32))
    assert says(checks.exercise_02_one_hot(lambda lab, k: _one_hot(lab, k).T), "transposed")
    assert says(checks.exercise_02_one_hot(lambda lab, k: np.eye(k + 1)[lab]), "off by one")
    assert says(checks.exercise_02_one_hot(lambda lab, k: np.eye(10)[lab]), "not a fixed 10")
    assert says(
        checks.exercise_02_one_hot(lambda lab, k: np.roll(_one_hot(lab, k), 1, axis=1)),
        "one column off",
    )
    assert says(
        checks.exercise_02_one_hot(lambda lab, k: _one_hot(lab, k).astype(bool)), "0.0 and 1.0"
    )
    # no range check: NumPy's IndexError for k, and -1 silently in the last column
    assert says(checks.exercise_02_one_hot(lambda lab, k: np.eye(k)[lab]), "IndexError")

    def wraps(labels, k):
        labels = np.asarray(labels)
        if labels.max() >= k:
            raise ValueError(f"label {labels.max()} is too large")
        return np.eye(k)[labels]

    assert says(checks.exercise_02_one_hot(wraps), "LAST column")

    def grows(labels, k):
        rows = np.zeros((len(labels), max(k, int(np.max(labels)) + 1)))
        rows[np.arange(len(labels)), labels] = 1.0
        return rows

    assert says(checks.exercise_02_one_hot(grows), "was accepted")

    def vague(labels, k):
        if np.min(labels) < 0 or np.max(labels) >= k:
            raise ValueError("bad labels")
        return _one_hot(labels, k)

    assert says(checks.exercise_02_one_hot(vague), "does not name the label")
    assert says(checks.exercise_02_one_hot(_one_hot(np.array([1]), 3)), "FUNCTION")
    assert says(
        checks.exercise_02_one_hot(
            ...,
        ),
        "replace the ...",
    )


def _cross_entropy(logits, y):
    from scipy.special import logsumexp

    z = np.asarray(logits, dtype=float)
    return float(np.mean(-np.sum(y * (z - logsumexp(z, axis=1, keepdims=True)), axis=1)))


def test_02_cross_entropy_from_logits():
    """Right answers pass (the checker's reference is Keras; this solution is SciPy's
    logsumexp, so the two are independent); each typical mistake is named."""
    from scipy.special import log_softmax, softmax

    assert checks.exercise_02_cross_entropy(_cross_entropy)
    per_example = lambda z, y: -np.sum(y * log_softmax(z, axis=1), axis=1)  # noqa: E731
    assert says(checks.exercise_02_cross_entropy(per_example), "one loss per example")
    summed = lambda z, y: per_example(z, y).sum()  # noqa: E731
    assert says(checks.exercise_02_cross_entropy(summed), "SUM over the batch")
    bits = lambda z, y: _cross_entropy(z, y) / np.log(2)  # noqa: E731
    assert says(checks.exercise_02_cross_entropy(bits), "log2")
    flipped = lambda z, y: -_cross_entropy(z, y)  # noqa: E731
    assert says(checks.exercise_02_cross_entropy(flipped), "sign is flipped")

    def naive(z, y):  # no maximum subtracted: exp overflows
        return np.mean(-np.sum(y * np.log(np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)), 1))

    assert says(checks.exercise_02_cross_entropy(naive), "log-sum-exp")

    def one_max(z, y):  # one maximum for the whole batch: the lower row underflows
        m = z.max()
        return np.mean(-np.sum(y * (z - m - np.log(np.exp(z - m).sum(axis=1, keepdims=True))), 1))

    assert says(checks.exercise_02_cross_entropy(one_max), "ROW's own maximum")

    def columns(z, y):
        return np.mean(-np.sum(y * log_softmax(z, axis=0), axis=1))

    assert says(checks.exercise_02_cross_entropy(columns), "wrong axis")

    def hard(z, y):
        return np.mean(-log_softmax(z, axis=1)[np.arange(len(z)), y.argmax(axis=1)])

    assert says(checks.exercise_02_cross_entropy(hard), "soft targets")

    def clipped(z, y):
        p = np.clip(softmax(z, axis=1), 1e-7, 1 - 1e-7)
        return np.mean(-np.sum(y * np.log(p), axis=1))

    assert says(checks.exercise_02_cross_entropy(clipped), "capped")
    assert says(checks.exercise_02_cross_entropy(lambda z, y: 1 / 0), "ZeroDivisionError")
    assert says(checks.exercise_02_cross_entropy(0.5), "FUNCTION")
    assert not checks.exercise_02_cross_entropy(lambda z, y: "0.5")
    assert not checks.exercise_02_cross_entropy(lambda z, y: True)


def test_02_constant_predictor_experiment():
    labels = np.array([0] * 50 + [1] * 30 + [2] * 20 + list(range(3, 10)) * 10)
    f = np.bincount(labels, minlength=10) / len(labels)
    lowest = -np.mean(np.log(f[labels]))
    assert checks.exercise_02_constant_loss(lowest, labels)
    assert checks.exercise_02_constant_loss(lowest + 1e-5, labels)
    assert says(checks.exercise_02_constant_loss(math.log(10), labels), "uniform guess")
    assert says(checks.exercise_02_constant_loss(lowest * len(labels), labels), "SUM")
    assert says(checks.exercise_02_constant_loss(lowest / math.log(2), labels), "log2")
    assert says(checks.exercise_02_constant_loss(-lowest, labels), "sign is flipped")
    assert says(checks.exercise_02_constant_loss(lowest - 0.01, labels), "below what any")
    between = (lowest + math.log(10)) / 2
    assert says(checks.exercise_02_constant_loss(between, labels), "lower still")
    assert says(checks.exercise_02_constant_loss(3.0, labels), "not below ln 10")
    assert not checks.exercise_02_constant_loss(True, labels)
    assert not checks.exercise_02_constant_loss(float("nan"), labels)
    assert says(checks.exercise_02_constant_loss("2.3", labels), "text")
    # balanced labels: the best constant guess is the uniform one, ln 10
    assert checks.exercise_02_constant_loss(math.log(10), np.arange(100) % 10)
    # the probe finds the minimum, for tests/test_exercise_answers.py
    found = checks.expected_answer(checks.exercise_02_constant_loss, labels)
    assert abs(found["value"] - lowest) < 1e-12


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
        checks.exercise_02_2,
        checks.exercise_03_1,
        checks.exercise_03_2,
        checks.exercise_03_3,
        checks.exercise_03_4,
        checks.exercise_03_5,
    ],
)
def test_unanswered_gets_a_nudge(checker):
    verdict = checker(..., [784, 10])
    assert not verdict
    assert "replace the ..." in verdict.message


def test_02_03_numbers_are_strict():
    """True is not 1, "0.5" is not 0.5, NaN is no answer, 3.7 is not the count 3."""
    assert says(checks.exercise_02_constant_loss(True, np.arange(10)), "not True")
    assert says(checks.exercise_02_constant_loss(str(math.log(10)), np.arange(10)), "text")
    assert says(checks.exercise_02_constant_loss(float("nan"), np.arange(10)), "finite")
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
