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
