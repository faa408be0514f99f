"""Exercise checkers of notebook 05 (training dynamics): right answers pass, typical wrong
answers get their specific message, and what is not an answer is refused."""

from __future__ import annotations

import numpy as np
import pytest

from helpers import checks


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
    ratio = spread / moved
    assert checks.exercise_05_symmetry(ratio * 1.005, x, y)
    v = checks.exercise_05_symmetry(ratio * 1.2, x, y)
    assert not v and "not what this experiment gives" in v.message
    v = checks.exercise_05_symmetry(0.0, x, y)
    assert not v and "BOTH layers" in v.message
    v = checks.exercise_05_symmetry(spread, x, y)
    assert not v and "the difference itself" in v.message
    v = checks.exercise_05_symmetry(1 / ratio, x, y)
    assert not v and "upside down" in v.message
    for refused in (True, "1.4", float("nan"), [ratio, ratio]):
        assert not checks.exercise_05_symmetry(refused, x, y)
    v = checks.exercise_05_symmetry(ratio * 1.05, x, y)  # rounded, or a slightly other set-up
    assert not v and "close, but" in v.message and "not a rounded one" in v.message
    assert "600 images you give this checker" in v.message


def test_symmetry_wrong_axis(images):
    x, y = images
    net = checks._symmetry_net(x, y)
    moved = np.abs(net.W[0] - checks.SYMMETRY_START).max()
    v = checks.exercise_05_symmetry(np.ptp(net.W[0], axis=0).max() / moved, x, y)
    assert not v and "axis=0" in v.message


def test_weight_decay_experiment(images):
    x, y = images
    got = checks.weight_decay_experiment(x, y)
    ratio = got["W1_decayed"] / got["W1_plain"]
    assert 0.5 < ratio < 1  # decay shrinks the first layer
    shrink = 1 - ratio
    assert checks.exercise_05_weight_decay(shrink * (1 + 5e-4), x, y)
    assert not checks.exercise_05_weight_decay(shrink * 1.01, x, y)
    v = checks.exercise_05_weight_decay(ratio, x, y)
    assert not v and "1 - ratio" in v.message
    v = checks.exercise_05_weight_decay(100 * shrink, x, y)
    assert not v and "percentage" in v.message
    v = checks.exercise_05_weight_decay(1 - ratio**2, x, y)
    assert not v and "squared" in v.message
    v = checks.exercise_05_weight_decay(0.0, x, y)
    assert not v and "no difference" in v.message
    for refused in (True, "0.06", float("nan"), np.array([shrink, shrink])):
        assert not checks.exercise_05_weight_decay(refused, x, y)
    v = checks.exercise_05_weight_decay(shrink * 1.008, x, y)  # rounded to two digits, say
    assert not v and "close, but" in v.message and "not a rounded one" in v.message
    v = checks.exercise_05_weight_decay(shrink * 1.5, x, y)
    assert not v and "plain SGD (no optimizer argument)" in v.message


def test_weight_decay_prediction_is_named_with_any_step_count(images):
    x, y = images
    steps = checks.weight_decay_experiment(x, y)["steps"]
    for n in (steps - 1, steps, steps + 1):  # len(x) // 32 is one short of the epoch's steps
        v = checks.exercise_05_weight_decay(1 - (1 - 0.1 * 0.01) ** n, x, y)
        assert not v and f"with {n} steps" in v.message, (n, v.message)


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


def test_the_probe_finds_each_expected_answer(images):
    x, y = images
    assert checks.expected_answer(checks.exercise_05_momentum_buildup) == {
        "value": 22.0,
        "rel_tol": 0.0,
        "abs_tol": 0.0,
    }
    spread, moved = checks.symmetry_experiment(x, y)
    found = checks.expected_answer(checks.exercise_05_symmetry, x, y)
    assert found["rel_tol"] == 0.01 and np.isclose(found["value"], spread / moved, rtol=1e-12)
    got = checks.weight_decay_experiment(x, y)
    found = checks.expected_answer(checks.exercise_05_weight_decay, x, y)
    shrink = 1 - got["W1_decayed"] / got["W1_plain"]
    assert found["rel_tol"] == 1e-3 and np.isclose(found["value"], shrink, rtol=1e-12)


def test_weight_decay_prediction_is_named_when_rounded(images):
    """The exercise asks for the prediction first: typed with 3 significant digits, it is
    still named as the prediction, not sent back to the set-up."""
    x, _ = images
    y = 3 * (x[:, :392].sum(axis=1) > x[:, 392:].sum(axis=1))  # labels the net can learn
    got = checks.weight_decay_experiment(x, y)
    steps, measured = got["steps"], 1 - got["W1_decayed"] / got["W1_plain"]
    predicted = 1 - (1 - 0.1 * 0.01) ** steps
    assert abs(predicted / measured - 1) > 5e-3  # the data's gradient pushes back: they differ
    v = checks.exercise_05_weight_decay(float(f"{predicted:.3g}"), x, y)
    assert not v and f"with {steps} steps" in v.message, v.message
