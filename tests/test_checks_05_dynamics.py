"""Exercise checkers of notebook 05 (training dynamics): right answers pass, typical wrong
answers get their specific message, and what is not an answer is refused."""

from __future__ import annotations

import numpy as np
import pytest

from helpers import checks


def _momentum(W, v, dW, lr, mu):
    v_new = mu * v - lr * dW
    return W + v_new, v_new


def test_momentum_step_right():
    assert checks.exercise_05_momentum(_momentum)

    # in place is fine too, as long as the new arrays come back
    def in_place(W, v, dW, lr, mu):
        v *= mu
        v -= lr * dW
        W += v
        return W, v

    assert checks.exercise_05_momentum(in_place)


@pytest.mark.parametrize(
    ("wrong", "phrase"),
    [
        (lambda W, v, dW, lr, mu: (W - lr * dW, v), "plain SGD"),
        (lambda W, v, dW, lr, mu: (W + v, mu * v - lr * dW), "OLD velocity"),
        (lambda W, v, dW, lr, mu: (W - (mu * v - lr * dW), mu * v - lr * dW), "uphill"),
        (lambda W, v, dW, lr, mu: (W + v - lr * dW, v - lr * dW), "mu is missing"),
        (lambda W, v, dW, lr, mu: (W + mu * v + lr * dW, mu * v + lr * dW), "sign"),
        (lambda W, v, dW, lr, mu: (W + mu * v - dW, mu * v - dW), "learning rate is missing"),
        (lambda W, v, dW, lr, mu: _momentum(W, v, dW, lr, mu)[::-1], "wrong order"),
        (lambda W, v, dW, lr, mu: _momentum(W, v, dW, lr, mu)[0], "two arrays"),
        (lambda W, v, dW, lr, mu: (_momentum(W, v, dW, lr, mu)[0], v), "v_new as well"),
        (lambda W, v, dW, lr, mu: (W.T, v), "shape"),
        (lambda W, v, dW, lr, mu: undefined_name, "NameError"),  # noqa: F821
    ],
)
def test_momentum_step_mistakes_are_named(wrong, phrase):
    v = checks.exercise_05_momentum(wrong)
    assert not v and phrase in v.message, v.message


@pytest.mark.parametrize("answer", [np.zeros(3), 0.9, "v = mu v - lr dW"])
def test_momentum_step_refuses_what_is_not_a_function(answer):
    assert not checks.exercise_05_momentum(answer)


def test_momentum_step_unanswered_says_not_yet():
    assert repr(checks.exercise_05_momentum(...)).startswith("Not yet")


@pytest.fixture(scope="module")
def images():
    rng = np.random.default_rng(0)  # MNIST-like: mostly blank, some ink in [0, 1]
    x = (rng.random((600, 784)) < 0.2) * rng.random((600, 784))
    y = rng.integers(0, 10, 600)
    return x.astype(np.float32), y


def test_symmetry_experiment(images):
    x, y = images
    spread, moved = checks.symmetry_experiment(x, y)
    assert spread > 0.1 * moved  # one random layer breaks the symmetry
    assert checks.exercise_05_symmetry(spread * 1.01, x, y)
    v = checks.exercise_05_symmetry(spread * 1.2, x, y)
    assert not v and "not what this experiment gives" in v.message
    v = checks.exercise_05_symmetry(0.0, x, y)
    assert not v and "BOTH layers" in v.message
    v = (
        checks.exercise_05_symmetry(moved, x, y)
        if not np.isclose(moved, spread, rtol=0.05)
        else None
    )
    assert v is None or (not v and "how far the weights moved" in v.message)
    for refused in (True, "0.2", float("nan"), [spread, spread]):
        assert not checks.exercise_05_symmetry(refused, x, y)


def test_weight_decay_experiment(images):
    x, y = images
    got = checks.weight_decay_experiment(x, y)
    ratio = got["W1_decayed"] / got["W1_plain"]
    assert 0.5 < ratio < 1  # decay shrinks the first layer
    assert checks.exercise_05_weight_decay(ratio * (1 + 5e-4), x, y)
    assert not checks.exercise_05_weight_decay(ratio * 1.01, x, y)
    v = checks.exercise_05_weight_decay(1 / ratio, x, y)
    assert not v and "upside down" in v.message
    v = checks.exercise_05_weight_decay(ratio**2, x, y)
    assert not v and "squared" in v.message
    v = checks.exercise_05_weight_decay(1.0, x, y)
    assert not v and "no difference" in v.message
    for refused in (True, "0.94", float("nan"), np.array([ratio, ratio])):
        assert not checks.exercise_05_weight_decay(refused, x, y)


def test_momentum_buildup():
    # 1 - 0.9^t >= 0.9  <=>  t >= ln 0.1 / ln 0.9 = 21.85...
    assert checks.momentum_buildup_steps(0.9, 0.9) == 22
    assert checks.momentum_buildup_steps(0.5, 0.75) == 2  # exactly on the boundary: 1 - 0.25
    assert checks.exercise_05_momentum_buildup(22)
    assert checks.exercise_05_momentum_buildup(22.0)
    v = checks.exercise_05_momentum_buildup(21)
    assert not v and "one short" in v.message
    v = checks.exercise_05_momentum_buildup(10)
    assert not v and "1 / (1 - mu)" in v.message
    v = checks.exercise_05_momentum_buildup(30)
    assert not v and "too many" in v.message
    for refused in (21.85, True, "22", float("nan"), [22, 23]):
        assert not checks.exercise_05_momentum_buildup(refused), refused
    assert repr(checks.exercise_05_momentum_buildup(...)).startswith("Not yet")
