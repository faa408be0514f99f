"""Exercise checkers of notebook 04: right answers pass, typical wrong answers are named."""

from __future__ import annotations

import numpy as np
import pytest

from helpers import checks


def test_exercise_04_1_tanh_derivative():
    assert checks.exercise_04_1(lambda a: 1 - a**2)
    wrong = {
        "missing the square": lambda a: 1 - a,
        "sigmoid's derivative": lambda a: a * (1 - a),
        "applied tanh again": lambda a: 1 - np.tanh(a) ** 2,
    }
    for phrase, fn in wrong.items():
        v = checks.exercise_04_1(fn)
        assert not v and phrase in v.message
    v = checks.exercise_04_1(lambda a: a[:3])
    assert not v and "shape" in v.message
    v = checks.exercise_04_1(lambda a: undefined_name)  # noqa: F821
    assert not v and "NameError" in v.message
    assert not checks.exercise_04_1(...)


def test_exercise_04_2_weight_gradient():
    assert checks.exercise_04_2(lambda a_prev, delta: a_prev.T @ delta)
    v = checks.exercise_04_2(lambda a_prev, delta: delta.T @ a_prev)
    assert not v and "transposed" in v.message
    v = checks.exercise_04_2(lambda a_prev, delta: a_prev.T @ delta / len(a_prev))
    assert not v and "twice" in v.message
    v = checks.exercise_04_2(lambda a_prev, delta: a_prev @ a_prev.T)
    assert not v and "shape" in v.message
    v = checks.exercise_04_2(np.zeros(3))
    assert not v and "function" in v.message


@pytest.mark.parametrize("letter", ["a", "c", "d", "(B)", "e"])
def test_exercise_04_3_multiple_choice(letter):
    v = checks.exercise_04_3(letter)
    assert bool(v) == (letter == "(B)")
    if letter == "e":
        assert "one letter" in v.message


def test_exercise_04_3_claim_holds_for_the_real_net():
    """What the checker calls correct really happens: zero weights never leave zero."""
    from helpers.numpy_nn import MLP

    rng = np.random.default_rng(0)
    x = rng.random((200, 784)).astype(np.float32)
    y = np.r_[np.ones(120, int), rng.integers(0, 10, 80)]
    net = MLP([784, 16, 8, 10], seed=0)
    net.set_weights([np.zeros_like(w) for w in net.get_weights()])
    net.fit(x, y, epochs=2, batch_size=32, lr=0.1, optimizer="momentum", verbose=0)
    assert all(not np.any(w) for w in net.W)
    assert len(set(net.predict(x))) == 1  # one answer for every image


def test_exercise_04_4_sum_versus_mean():
    assert checks.exercise_04_4(3.2e-4, lr_sum=1e-5, batch_size=32)
    v = checks.exercise_04_4(1e-5 / 32, lr_sum=1e-5, batch_size=32)
    assert not v and "other way round" in v.message
    v = checks.exercise_04_4(1e-5, lr_sum=1e-5, batch_size=32)
    assert not v and "cannot be equal" in v.message
