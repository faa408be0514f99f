"""Exercise checkers of notebook 05: right answers pass, typical wrong answers are named."""

from __future__ import annotations

import numpy as np
import pytest

from helpers import checks


def test_exercise_05_1_tanh_derivative():
    assert checks.exercise_05_1(lambda a: 1 - a**2)
    wrong = {
        "missing the square": lambda a: 1 - a,
        "sigmoid's derivative": lambda a: a * (1 - a),
        "applied tanh again": lambda a: 1 - np.tanh(a) ** 2,
    }
    for phrase, fn in wrong.items():
        v = checks.exercise_05_1(fn)
        assert not v and phrase in v.message
    v = checks.exercise_05_1(lambda a: a[:3])
    assert not v and "shape" in v.message
    v = checks.exercise_05_1(lambda a: undefined_name)  # noqa: F821
    assert not v and "NameError" in v.message
    assert not checks.exercise_05_1(...)


def test_exercise_05_2_weight_gradient():
    assert checks.exercise_05_2(lambda a_prev, delta: a_prev.T @ delta)
    v = checks.exercise_05_2(lambda a_prev, delta: delta.T @ a_prev)
    assert not v and "transposed" in v.message
    v = checks.exercise_05_2(lambda a_prev, delta: a_prev.T @ delta / len(a_prev))
    assert not v and "twice" in v.message
    v = checks.exercise_05_2(lambda a_prev, delta: a_prev @ a_prev.T)
    assert not v and "shape" in v.message
    v = checks.exercise_05_2(np.zeros(3))
    assert not v and "function" in v.message


@pytest.mark.parametrize("letter", ["a", "c", "d", "(B)", "e"])
def test_exercise_05_3_multiple_choice(letter):
    v = checks.exercise_05_3(letter)
    assert bool(v) == (letter == "(B)")
    if letter == "e":
        assert "one letter" in v.message


def test_exercise_05_3_claim_holds_for_the_real_net():
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


def test_exercise_05_4_zero_rows_of_dw1():
    from helpers.numpy_nn import MLP

    rng = np.random.default_rng(0)
    x = rng.random((32, 784)).astype(np.float32)
    x[:, :100] = 0  # 100 pixels blank in every image
    x[:5, 100:150] = 0  # blank in some images only: their rows are not zero
    net = MLP([784, 16, 10], seed=0)
    net.forward(x)
    dw1 = net.backward(rng.integers(0, 10, 32))[0][0]
    counted = int(np.sum(~dw1.any(axis=1)))
    assert counted == 100
    assert checks.exercise_05_4(counted, x)
    v = checks.exercise_05_4(784 - 100, x)
    assert not v and "NOT zero" in v.message
    v = checks.exercise_05_4(int(np.sum(dw1 == 0)), x)
    assert not v and "entries" in v.message
    v = checks.exercise_05_4(7, x)
    assert not v and "(x_batch == 0)" in v.message
    assert not checks.exercise_05_4(..., x)
    assert not checks.exercise_05_4("many", x)


def _symmetry_data():
    rng = np.random.default_rng(1)
    x = (rng.random((300, 784)) * (rng.random((300, 784)) < 0.2)).astype(np.float32)
    return x, rng.integers(0, 10, 300)


def test_exercise_05_5_one_equal_layer():
    x, y = _symmetry_data()
    spread, moved = checks.symmetry_experiment(x, y)
    assert checks.exercise_05_5(spread, x, y)
    assert checks.exercise_05_5(spread * 1.04, x, y)  # within the stated 5%
    assert not checks.exercise_05_5(spread * 1.2, x, y)
    v = checks.exercise_05_5(0.0, x, y)
    assert not v and "BOTH layers" in v.message
    v = checks.exercise_05_5(moved, x, y)
    assert not v and "how far the weights moved" in v.message
    v = checks.exercise_05_5(16, x, y)
    assert not v and "not a count" in v.message
    for bad in (True, "0.2", float("nan"), float("inf"), [spread, spread]):
        v = checks.exercise_05_5(bad, x, y)
        assert not v and "number" in v.message
    assert not checks.exercise_05_5(..., x, y)


def test_exercise_05_5_claim_holds_for_the_real_net():
    """What the checker says happens really happens: equal weights in both layers keep one
    unit (to float rounding), equal first-layer weights alone come apart."""
    x, y = _symmetry_data()
    both_spread, both_moved = checks.symmetry_experiment(x, y, equal_output_layer=True)
    one_spread, one_moved = checks.symmetry_experiment(x, y)
    assert both_moved > 1e-3 and one_moved > 1e-3  # the weights did move
    assert both_spread < 1e-4 * both_moved  # a tolerance, not rounding to a grid
    assert one_spread > 0.1 * one_moved


def test_exercise_05_4_whole_numbers_only():
    x = np.zeros((4, 784), np.float32)
    x[:, 300:] = 1.0  # 300 blank pixels
    assert checks.exercise_05_4(300, x)
    assert checks.exercise_05_4(300.0, x)
    assert checks.exercise_05_4(np.int64(300), x)
    for bad in (300.4, 299.7, True, "300", float("nan")):
        assert not checks.exercise_05_4(bad, x), bad
    x1 = np.ones((4, 784), np.float32)
    x1[:, 0] = 0  # one blank pixel: True must not pass as 1
    assert checks.exercise_05_4(1, x1)
    assert not checks.exercise_05_4(True, x1)
