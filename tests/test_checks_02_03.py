"""Exercise checkers of notebooks 02 and 03: right answers pass, typical mistakes are named."""

from __future__ import annotations

import itertools
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
    assert says(checks.exercise_02_one_hot(...), "replace the ...")


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

    def m_left_out(z, y):  # ln sum e^(z - m) without adding m back
        m = z.max(axis=1, keepdims=True)
        return np.mean(-np.sum(y * (z - np.log(np.exp(z - m).sum(axis=1, keepdims=True))), 1))

    assert says(checks.exercise_02_cross_entropy(m_left_out), "you left m out")

    def m_twice(z, y):  # z - m, then m + ln sum e^(z - m): m subtracted twice
        m = z.max(axis=1, keepdims=True)
        log_p = z - m - (m + np.log(np.exp(z - m).sum(axis=1, keepdims=True)))
        return np.mean(-np.sum(y * log_p, axis=1))

    assert says(checks.exercise_02_cross_entropy(m_twice), "counted twice")

    def no_keepdims(z, y):
        m = z.max(axis=1)
        return np.mean(-np.sum(y * (z - m - np.log(np.exp(z - m).sum(axis=1))), axis=1))

    assert says(checks.exercise_02_cross_entropy(no_keepdims), "keepdims=True")
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
    # printed to 4 decimals passes (tolerance 6e-5); rounded further is named, not "go lower"
    assert checks.exercise_02_constant_loss(round(lowest, 4), labels)
    for decimals in (1, 2, 3):
        if abs(round(lowest, decimals) - lowest) > 6e-5:
            assert says(
                checks.exercise_02_constant_loss(round(lowest, decimals), labels), "rounded"
            )
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

    def row_min(z):  # stable for rows far apart, overflows within a row that spreads widely
        e = np.exp(z - z.min(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def row_mean(z):
        e = np.exp(z - z.mean(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    assert says(checks.exercise_02_2(row_min), "Subtract the row's MAXIMUM")
    assert says(checks.exercise_02_2(row_mean), "Subtract the row's MAXIMUM")
    assert says(checks.exercise_02_2(lambda z: _stable(z).astype(np.float32)), "float32")
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


def _count(sizes, batchnorm=False):
    dense = sum((a + 1) * b for a, b in itertools.pairwise(sizes))
    return dense + (4 * sum(sizes[1:-1]) if batchnorm else 0)


def test_03_1_count_parameters_against_keras():
    assert checks.exercise_03_1(_count)
    cases = [
        (lambda s: sum(a * b for a, b in itertools.pairwise(s)), "only the weights"),
        (lambda s: sum(a * (b + 1) for a, b in itertools.pairwise(s)), "OUTPUT units"),
        (lambda s, batchnorm=False: _count(s) + s[0], "input layer has no biases"),
        (lambda s, batchnorm=False: _count(s), "add the BatchNormalization layers"),
        (lambda s, batchnorm=False: _count(s) + 2 * sum(s[1:-1]) * batchnorm, "TRAINABLE"),
        (lambda s, batchnorm=False: _count(s) + 4 * sum(s[1:]) * batchnorm, "OUTPUT layer too"),
        (lambda s, batchnorm=False: _count(s) + 4 * sum(s[:-1]) * batchnorm, "on the input"),
        (lambda s: _count(s), "second argument"),
        (lambda s, batchnorm=False: _count(s[:-1]), "output layer is missing"),
        (lambda s, batchnorm=False: _count(s[1:]), "first Dense layer"),
        (
            lambda s, batchnorm=False: _count(s, batchnorm) + 1,
            "too large",
        ),  # exact: off by one is wrong
        (lambda s, batchnorm=False: _count(s) + 0.4, "whole number"),
        (lambda s: None, "forget `return`"),
        (lambda s: s[5], "IndexError"),
        (52_650, "your function"),
    ]
    for answer, message in cases:
        v = checks.exercise_03_1(answer)
        assert not v and message in v.message, (message, v.message)
    assert checks.expected_answer(checks.exercise_03_1) is None  # code, not a number


def test_03_1_number_form_for_one_architecture():
    sizes = [784, 64, 32, 10]
    assert checks.exercise_03_1(785 * 64 + 65 * 32 + 33 * 10, sizes)
    assert checks.exercise_03_1(52_650.0, sizes)
    assert says(checks.exercise_03_1(784 * 64 + 64 * 32 + 32 * 10, sizes), "only the weights")
    assert not checks.exercise_03_1(52_651, sizes)
    assert says(checks.exercise_03_1(True, sizes), "boolean")


def _build(sizes, batchnorm=False, hidden="relu", out="softmax", bn_at=None, with_input=True):
    """A ReLU MLP as the exercise asks, or with one thing changed; ``bn_at``: the positions
    (0 = after the input, 1 = after the first Dense, ...) of BatchNormalization layers."""
    import keras

    n_dense = len(sizes) - 1
    if bn_at is None:
        bn_at = range(1, n_dense) if batchnorm else ()
    layers = [keras.Input(shape=(sizes[0],))] if with_input else []
    if 0 in bn_at:
        layers.append(keras.layers.BatchNormalization())
    for k, units in enumerate(sizes[1:], start=1):
        activation = out if k == n_dense else hidden
        layers.append(keras.layers.Dense(units, activation=activation))
        if k in bn_at:
            layers.append(keras.layers.BatchNormalization())
    return keras.Sequential(layers)


def test_03_2_build_mlp_is_built_and_read():
    good = checks.exercise_03_2(_build)
    assert good and "500 non-trainable" in good.message
    n_dense = lambda s: len(s) - 1  # noqa: E731
    cases = [
        (
            lambda s, batchnorm=False: _build(
                s, batchnorm, bn_at=range(1, n_dense(s) + 1) if batchnorm else ()
            ),
            "follows the output",
        ),
        (
            lambda s, batchnorm=False: _build(s, batchnorm, bn_at=(0,) if batchnorm else ()),
            "before the first Dense",
        ),
        (lambda s, batchnorm=False: _build(s, bn_at=(1,)), "no BatchNormalization"),
        (lambda s, batchnorm=False: _build(s, bn_at=(1,) if batchnorm else ()), "exactly one"),
        (lambda s, batchnorm=False: _build(s, batchnorm, out=None), "softmax"),
        (lambda s, batchnorm=False: _build(s, batchnorm, hidden=None), "relu"),
        (lambda s, batchnorm=False: _build([*s[:-1], 7], batchnorm), "units"),
        (lambda s, batchnorm=False: _build(s, batchnorm, with_input=False), "keras.Input"),
        (lambda s: _build(s), "second argument"),
        (lambda s, batchnorm=False: None, "Keras model"),
        (_build([784, 128, 64, 10]), "not a model"),
        (500, "your function build_mlp"),
    ]
    for answer, message in cases:
        v = checks.exercise_03_2(answer)
        assert not v and message in v.message, (message, v.message)
    assert checks.expected_answer(checks.exercise_03_2) is None  # code, not a number


def _step(sizes, batch):
    forward = sum(a * b for a, b in itertools.pairwise(sizes))
    return batch * (3 * forward - sizes[0] * sizes[1])


def test_03_3_training_step_madds_by_the_rule():
    assert checks.exercise_03_3(_step)

    def forward(s):
        return sum(a * b for a, b in itertools.pairwise(s))

    cases = [
        (lambda s, b: _step(s, 1), "multiply by the batch"),
        (lambda s, b: 3 * b * forward(s), "input pixels"),
        (lambda s, b: b * (3 * forward(s) - s[-2] * s[-1]), "LAST layer"),
        (lambda s, b: b * (3 * forward(s) - 2 * s[0] * s[1]), "WEIGHT gradient"),
        (lambda s, b: 2 * b * forward(s), "gradients passed down"),
        (lambda s, b: b * forward(s), "forward pass alone"),
        (lambda s, b: 2 * _step(s, b), "FLOPs"),
        (lambda s, b: b * (3 * _count(s) - (s[0] + 1) * s[1]), "biases are added"),
        (lambda s, b: _step(s, b) - 1, "too small"),
        (lambda s: 0, "TypeError"),
        (12, "your function"),
    ]
    for answer, message in cases:
        v = checks.exercise_03_3(answer)
        assert not v and message in v.message, (message, v.message)
    assert checks.expected_answer(checks.exercise_03_3) is None


@pytest.mark.parametrize(
    "checker",
    [
        checks.exercise_02_one_hot,
        checks.exercise_02_2,
        checks.exercise_02_cross_entropy,
        checks.exercise_03_1,
        checks.exercise_03_2,
        checks.exercise_03_3,
    ],
)
def test_unanswered_gets_a_nudge(checker):
    without_sizes = (
        "exercise_02_one_hot",
        "exercise_02_cross_entropy",
        "exercise_03_2",
        "exercise_03_3",
    )
    verdict = checker(...) if checker.__name__ in without_sizes else checker(..., [784, 10])
    assert not verdict
    assert "replace the ..." in verdict.message


def test_02_03_numbers_are_strict():
    """True is not 1, "0.5" is not 0.5, NaN is no answer, 3.7 is not the count 3."""
    assert says(checks.exercise_02_constant_loss(True, np.arange(10)), "not True")
    assert says(checks.exercise_02_constant_loss(str(math.log(10)), np.arange(10)), "text")
    assert says(checks.exercise_02_constant_loss(float("nan"), np.arange(10)), "finite")
    assert says(checks.exercise_02_constant_loss(..., np.arange(10)), "replace the ...")
    sizes = [784, 64, 32, 10]
    right = (784 + 1) * 64 + (64 + 1) * 32 + (32 + 1) * 10
    assert checks.exercise_03_1(right, layer_sizes=sizes)
    assert checks.exercise_03_1(float(right), layer_sizes=sizes)
    assert says(checks.exercise_03_1(right + 0.4, layer_sizes=sizes), "whole number")
    assert says(checks.exercise_03_1(str(right), layer_sizes=sizes), "text")


def _tensorflow_step_madds(sizes, batch):
    """Multiply-adds of every MatMul in the graph TensorFlow's autodiff builds for one training
    step (ReLU MLP, no biases, weights' gradients only) on ``batch`` images: m * k * n each."""
    import tensorflow as tf

    rng = np.random.default_rng(0)
    weights = [
        tf.constant(rng.standard_normal((a, b)), tf.float32) for a, b in itertools.pairwise(sizes)
    ]
    x = tf.constant(rng.random((batch, sizes[0])), tf.float32)
    target = tf.one_hot(np.arange(batch) % sizes[-1], sizes[-1])

    @tf.function
    def step(x):
        with tf.GradientTape() as tape:
            tape.watch(weights)
            h = x
            for w in weights[:-1]:
                h = tf.nn.relu(h @ w)
            loss = tf.nn.softmax_cross_entropy_with_logits(target, h @ weights[-1])
        return tape.gradient(loss, weights)

    total = 0
    for op in step.get_concrete_function(x).graph.get_operations():
        if op.type == "MatMul":
            a, b = op.inputs[0].shape, op.inputs[1].shape
            m, k = (a[1], a[0]) if op.get_attr("transpose_a") else (a[0], a[1])
            total += m * k * (b[0] if op.get_attr("transpose_b") else b[1])
    return total


def test_03_3_the_checkers_reference_is_what_tensorflow_computes():
    """Exercise 3's checker judges by the series' rule (models.cost); on every case it draws,
    the rule equals the arithmetic of TensorFlow's own backward pass, counted in its graph."""
    from helpers import models

    for sizes, batch in checks._step_cases_03():
        rule = models.cost(sizes)["train_mult_adds_per_image"] * batch
        assert _tensorflow_step_madds(sizes, batch) == rule, (sizes, batch)
