"""helpers.losses: softmax, cross-entropy and the gradient p - y, against Keras and numerics."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from helpers import losses

keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")


def central_differences(f, z, h=1e-6):
    """dF/dz by (f(z + h e_i) - f(z - h e_i)) / 2h for every entry of z."""
    z = np.array(z, dtype=np.float64)
    grad = np.zeros_like(z)
    for idx in np.ndindex(z.shape):
        plus, minus = z.copy(), z.copy()
        plus[idx] += h
        minus[idx] -= h
        grad[idx] = (f(plus) - f(minus)) / (2 * h)
    return grad


# --------------------------------------------------------------------------- softmax


def test_softmax_known_values_and_sums():
    p = losses.softmax([0.0, 0.0, 0.0, 0.0])
    np.testing.assert_allclose(p, 0.25)
    p = losses.softmax([1.0, 2.0, 3.0])
    e = np.exp([1.0, 2.0, 3.0])
    np.testing.assert_allclose(p, e / e.sum(), rtol=1e-12)
    batch = np.random.default_rng(0).normal(scale=5, size=(50, 10))
    p = losses.softmax(batch)
    assert p.shape == (50, 10)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-12)
    assert np.all(p > 0)
    # order is kept: the largest score gets the largest probability
    np.testing.assert_array_equal(p.argmax(axis=1), batch.argmax(axis=1))


def test_softmax_is_stable_where_the_naive_formula_overflows():
    z = np.array([1000.0, 1001.0, 1002.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        naive = losses.softmax_naive(z)
    assert np.all(np.isnan(naive))  # inf / inf
    stable = losses.softmax(z)
    np.testing.assert_allclose(stable, losses.softmax([0.0, 1.0, 2.0]), rtol=1e-12)
    np.testing.assert_allclose(stable.sum(), 1.0)
    # very negative scores: the naive version divides 0 by 0, the stable one does not
    np.testing.assert_allclose(losses.softmax([-1000.0, -1000.0]), [0.5, 0.5])


def test_softmax_is_shift_invariant_and_matches_keras():
    z = np.random.default_rng(1).normal(scale=3, size=(8, 10))
    np.testing.assert_allclose(losses.softmax(z), losses.softmax(z + 123.4), rtol=1e-10)
    from_keras = keras.ops.convert_to_numpy(keras.activations.softmax(z.astype("float32")))
    np.testing.assert_allclose(losses.softmax(z), from_keras, rtol=1e-5, atol=1e-7)


def test_log_softmax_matches_log_of_softmax():
    z = np.random.default_rng(2).normal(scale=4, size=(6, 5))
    np.testing.assert_allclose(losses.log_softmax(z), np.log(losses.softmax(z)), rtol=1e-12)
    # and stays finite where log(softmax) would give -inf
    assert np.all(np.isfinite(losses.log_softmax([0.0, 2000.0])))
    np.testing.assert_allclose(losses.log_softmax([0.0, 2000.0]), [-2000.0, 0.0])


# --------------------------------------------------------------------------- cross-entropy


def test_worked_example_is_minus_ln_point_seven():
    y = [0, 1, 0]
    p = [0.2, 0.7, 0.1]
    loss = losses.categorical_crossentropy(y, p)
    assert loss == pytest.approx(-math.log(0.7), rel=1e-12)
    assert round(loss, 4) == 0.3567
    assert losses.sparse_categorical_crossentropy(1, p) == pytest.approx(loss, rel=1e-12)


def test_worked_example_against_keras_losses():
    y = np.array([[0.0, 1.0, 0.0]])
    p = np.array([[0.2, 0.7, 0.1]])
    cce = float(keras.losses.CategoricalCrossentropy()(y, p))
    scce = float(keras.losses.SparseCategoricalCrossentropy()(np.array([1]), p))
    ours = losses.categorical_crossentropy(y, p)
    assert ours == pytest.approx(cce, rel=1e-6)
    assert ours == pytest.approx(scce, rel=1e-6)


def test_batch_losses_against_keras_for_every_reduction():
    rng = np.random.default_rng(3)
    p = losses.softmax(rng.normal(scale=2, size=(32, 10)))
    labels = rng.integers(0, 10, size=32)
    y = np.eye(10)[labels]
    per_example = keras.ops.convert_to_numpy(
        keras.losses.categorical_crossentropy(y.astype("float32"), p.astype("float32"))
    )
    np.testing.assert_allclose(
        losses.categorical_crossentropy(y, p, reduction="none"), per_example, rtol=1e-5
    )
    mean = float(keras.losses.CategoricalCrossentropy()(y, p))
    assert losses.categorical_crossentropy(y, p) == pytest.approx(mean, rel=1e-5)
    total = float(keras.losses.CategoricalCrossentropy(reduction="sum")(y, p))
    assert losses.categorical_crossentropy(y, p, reduction="sum") == pytest.approx(total, rel=1e-5)
    sparse = float(keras.losses.SparseCategoricalCrossentropy()(labels, p))
    assert losses.sparse_categorical_crossentropy(labels, p) == pytest.approx(sparse, rel=1e-5)


def test_sparse_equals_categorical():
    rng = np.random.default_rng(4)
    p = losses.softmax(rng.normal(size=(100, 10)))
    labels = rng.integers(0, 10, size=100)
    y = np.eye(10)[labels]
    np.testing.assert_allclose(
        losses.sparse_categorical_crossentropy(labels, p, reduction="none"),
        losses.categorical_crossentropy(y, p, reduction="none"),
        rtol=1e-12,
    )
    # and the logits version agrees with softmax-then-cross-entropy
    z = rng.normal(size=(100, 10))
    assert losses.cross_entropy_from_logits(z, labels) == pytest.approx(
        losses.categorical_crossentropy(y, losses.softmax(z)), rel=1e-10
    )
    assert losses.cross_entropy_from_logits(z, y) == pytest.approx(
        losses.cross_entropy_from_logits(z, labels), rel=1e-12
    )


def test_uniform_predictions_cost_ln_10():
    p = np.full((7, 10), 0.1)
    labels = np.arange(7)
    assert losses.sparse_categorical_crossentropy(labels, p) == pytest.approx(math.log(10))
    assert losses.cross_entropy_from_logits(np.zeros((7, 10)), labels) == pytest.approx(
        math.log(10)
    )
    assert round(math.log(10), 4) == 2.3026


def test_confident_mistakes_cost_most_and_zero_is_clipped_like_keras():
    y = [1, 0]
    costs = [losses.categorical_crossentropy(y, [q, 1 - q]) for q in (0.9, 0.5, 0.1, 0.01)]
    assert costs == sorted(costs)  # the less probability on the truth, the larger the loss
    # a probability of exactly 0 on the true class: finite, -ln(1e-7), as in Keras
    zero = losses.categorical_crossentropy(y, [0.0, 1.0])
    assert zero == pytest.approx(-math.log(losses.EPSILON), rel=1e-6)
    keras_zero = float(
        keras.losses.CategoricalCrossentropy()(np.array([y]), np.array([[0.0, 1.0]]))
    )
    assert zero == pytest.approx(keras_zero, rel=1e-3)
    # a perfect prediction costs (almost) nothing
    assert losses.categorical_crossentropy(y, [1.0, 0.0]) == pytest.approx(0.0, abs=1e-6)


# --------------------------------------------------------------------------- gradient


@pytest.mark.parametrize("seed", range(3))
def test_gradient_is_p_minus_y_against_finite_differences(seed):
    rng = np.random.default_rng(seed)
    z = rng.normal(scale=2, size=(5, 10))
    labels = rng.integers(0, 10, size=5)
    y = np.eye(10)[labels]
    analytic = losses.softmax_ce_grad(z, y)
    numeric = central_differences(lambda v: losses.cross_entropy_from_logits(v, y), z)
    np.testing.assert_allclose(analytic, numeric, atol=1e-8)
    np.testing.assert_allclose(analytic, (losses.softmax(z) - y) / 5, rtol=1e-12)
    # per example ("sum"/"none"): exactly p - y, each row summing to 0
    per = losses.softmax_ce_grad(z, labels, reduction="sum")
    np.testing.assert_allclose(per, losses.softmax(z) - y, rtol=1e-12)
    np.testing.assert_allclose(per.sum(axis=1), 0.0, atol=1e-12)
    numeric_sum = central_differences(
        lambda v: losses.cross_entropy_from_logits(v, y, reduction="sum"), z
    )
    np.testing.assert_allclose(per, numeric_sum, atol=1e-7)


def test_gradient_single_example():
    z = np.array([2.0, 1.0, 0.1])
    g = losses.softmax_ce_grad(z, 0)
    np.testing.assert_allclose(g, losses.softmax(z) - np.array([1.0, 0.0, 0.0]))
    numeric = central_differences(lambda v: losses.cross_entropy_from_logits(v, 0), z)
    np.testing.assert_allclose(g, numeric, atol=1e-8)


def test_gradient_against_gradient_tape():
    rng = np.random.default_rng(7)
    z = rng.normal(scale=2, size=(16, 10))
    labels = rng.integers(0, 10, size=16)
    y = np.eye(10)[labels]
    ours = losses.softmax_ce_grad(z, y)
    logits = tf.Variable(z)  # float64 throughout: agreement to rounding
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=y, logits=logits))
    np.testing.assert_allclose(ours, tape.gradient(loss, logits).numpy(), atol=1e-12)
    # Keras's loss (it computes in float32): the same gradient to float32 precision
    logits32 = tf.Variable(z.astype("float32"))
    with tf.GradientTape() as tape:
        loss = keras.losses.CategoricalCrossentropy(from_logits=True)(y, logits32)
    np.testing.assert_allclose(ours, tape.gradient(loss, logits32).numpy(), atol=1e-6)
    # softmax as its own step, then cross-entropy on probabilities: the chain rule gives p - y
    with tf.GradientTape() as tape:
        loss = keras.losses.CategoricalCrossentropy()(y, tf.nn.softmax(logits32))
    np.testing.assert_allclose(ours, tape.gradient(loss, logits32).numpy(), atol=1e-6)


def test_a_wrong_gradient_fails_the_check():
    """The finite-difference comparison can fail: p alone (forgetting - y) is far off."""
    rng = np.random.default_rng(8)
    z = rng.normal(size=(3, 4))
    y = np.eye(4)[[0, 1, 2]]
    numeric = central_differences(lambda v: losses.cross_entropy_from_logits(v, y), z)
    assert np.max(np.abs(losses.softmax(z) / 3 - numeric)) > 0.1


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: losses.softmax(3.0), ValueError, "scalar"),
        (lambda: losses.softmax([[1.0, np.nan]]), ValueError, "NaN or infinity"),
        (lambda: losses.softmax(np.zeros((2, 2, 2))), ValueError, "1-D .* or 2-D"),
        (lambda: losses.softmax(["a", "b"]), TypeError, "must be numbers"),
        (lambda: losses.softmax([[1.0]]), ValueError, "at least 2 classes"),
        (
            lambda: losses.categorical_crossentropy([0, 1], [2.0, -1.0]),
            ValueError,
            r"probabilities in \[0, 1\]",
        ),
        (
            lambda: losses.categorical_crossentropy([0, 1], [0.5, 0.6]),
            ValueError,
            "must sum to 1",
        ),
        (
            lambda: losses.categorical_crossentropy([1, 2], [[0.5, 0.5, 0.0], [0.2, 0.2, 0.6]]),
            ValueError,
            "Integer labels go to sparse",
        ),
        (
            lambda: losses.categorical_crossentropy([[0, 1], [1, 0]], [[0.5, 0.5, 0.0]] * 2),
            ValueError,
            "shape",
        ),
        (
            lambda: losses.categorical_crossentropy([1, 1, 0], [0.2, 0.7, 0.1]),
            ValueError,
            "one-hot",
        ),
        (
            lambda: losses.sparse_categorical_crossentropy([3], [[0.2, 0.7, 0.1]]),
            ValueError,
            r"class indices 0\.\.2",
        ),
        (
            lambda: losses.sparse_categorical_crossentropy([-1], [[0.2, 0.7, 0.1]]),
            ValueError,
            "class indices",
        ),
        (
            lambda: losses.sparse_categorical_crossentropy([1.5], [[0.2, 0.7, 0.1]]),
            ValueError,
            "whole numbers",
        ),
        (
            lambda: losses.sparse_categorical_crossentropy([[0, 1, 0]], [[0.2, 0.7, 0.1]]),
            ValueError,
            "One-hot targets go to categorical",
        ),
        (
            lambda: losses.categorical_crossentropy([0, 1, 0], [0.2, 0.7, 0.1], reduction="avg"),
            ValueError,
            "reduction must be one of",
        ),
        (lambda: losses.softmax_ce_grad([1.0, 2.0], 5), ValueError, "class indices"),
    ],
)
def test_bad_input_is_reported_clearly(call, error, match):
    with pytest.raises(error, match=match):
        call()
