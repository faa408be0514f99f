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
        checks.exercise_02_1,
        checks.exercise_02_2,
        checks.exercise_02_3,
        checks.exercise_02_4,
        checks.exercise_03_1,
        checks.exercise_03_2,
        checks.exercise_03_3,
    ],
)
def test_unanswered_gets_a_nudge(checker):
    without_sizes = ("exercise_02_4", "exercise_03_2", "exercise_03_3")
    verdict = checker(...) if checker.__name__ in without_sizes else checker(..., [784, 10])
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
