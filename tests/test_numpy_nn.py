"""helpers.numpy_nn: the from-scratch MLP's gradients, shapes, training and input checks.

Gradients are checked twice, independently: against central differences (float64) and
against TensorFlow's automatic differentiation on the very same weights.
"""

from __future__ import annotations

import numpy as np
import pytest

from helpers import numpy_nn
from helpers.numpy_nn import MLP, gradient_check, max_rel_error

CONFIGS = [
    # (activation, output, loss, init)
    ("relu", "softmax", None, "he"),
    ("sigmoid", "softmax", None, "xavier"),
    ("tanh", "softmax", None, "xavier"),
    ("sigmoid", "sigmoid", "bce", "xavier"),
    ("relu", "sigmoid", "mse", "he"),
]


def batch(n=16, n_in=12, k=4, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((n, n_in)).astype(np.float32), rng.integers(0, k, size=n)


# --------------------------------------------------------------------------- gradients


@pytest.mark.parametrize(("activation", "output", "loss", "init"), CONFIGS)
def test_gradient_check_passes_in_float64(activation, output, loss, init):
    x, y = batch()
    net = MLP([12, 9, 7, 4], activation=activation, output=output, loss=loss, init=init, seed=3)
    rows = gradient_check(net, x, y, per_layer=4)
    assert len(rows) == 3 * 2 * 4
    assert {r["parameter"] for r in rows} == {"W1", "b1", "W2", "b2", "W3", "b3"}
    assert max_rel_error(rows) < 1e-6, rows


def test_gradient_check_of_the_small_init_sigmoid_net():
    """Design B's net (std 0.01): its gradients are tiny, so a larger step keeps the
    round-off of the differences below 1e-6 relative."""
    x, y = batch()
    net = MLP([12, 9, 4], activation="sigmoid", init="small", seed=3)
    assert max_rel_error(gradient_check(net, x, y, per_layer=4, eps=1e-4)) < 1e-6


def test_gradient_check_catches_a_wrong_gradient(monkeypatch):
    """The check must fail when backward is wrong: drop the sigmoid's derivative."""
    x, y = batch()
    net = MLP([12, 8, 4], activation="sigmoid", init="xavier")
    monkeypatch.setattr(numpy_nn, "activation_derivative", lambda name, a: np.ones_like(a))
    assert max_rel_error(gradient_check(net, x, y, per_layer=6)) > 1e-2


def test_a_minus_y_is_not_the_gradient_of_mse():
    """The stalled design's update a - y is the BCE gradient; for MSE the check fails."""
    x, y = batch()
    net = MLP([12, 8, 4], activation="sigmoid", output="sigmoid", loss="mse", init="xavier")
    net._forward(net._check_x(x))
    a = net.activations[-1].astype(np.float64)
    onehot = np.eye(4)[y]
    delta_mse = net._output_delta(y) * len(y)
    np.testing.assert_allclose(delta_mse, (a - onehot) * a * (1 - a), rtol=1e-5, atol=1e-7)
    assert not np.allclose(delta_mse, a - onehot, atol=1e-3)


def test_gradients_agree_with_tensorflow_gradient_tape():
    tf = pytest.importorskip("tensorflow")
    keras = pytest.importorskip("keras")
    x, y = batch(n=32, n_in=20, k=5)
    net = MLP([20, 16, 8, 5], activation="tanh", init="xavier", seed=1)
    net.forward(x)
    grads = net.backward(y)

    model = keras.Sequential(
        [
            keras.Input(shape=(20,)),
            keras.layers.Dense(16, activation="tanh"),
            keras.layers.Dense(8, activation="tanh"),
            keras.layers.Dense(5, activation="softmax"),
        ]
    )
    model.set_weights(net.get_weights())
    loss_fn = keras.losses.SparseCategoricalCrossentropy()
    with tf.GradientTape() as tape:
        loss = loss_fn(y, model(x))
    tape_grads = [g.numpy() for g in tape.gradient(loss, model.trainable_variables)]
    assert float(loss) == pytest.approx(net.loss(x, y), rel=1e-5)
    ours = [g for pair in grads for g in pair]
    assert len(ours) == len(tape_grads)
    for mine, theirs in zip(ours, tape_grads, strict=True):
        assert mine.shape == theirs.shape
        np.testing.assert_allclose(mine, theirs, rtol=1e-4, atol=1e-6)


# --------------------------------------------------------------------------- shapes, dtype


def test_shapes_dtypes_and_probabilities():
    x, y = batch(n=10, n_in=12, k=4)
    net = MLP([12, 6, 5, 4])
    p = net.forward(x)
    assert p.shape == (10, 4) and p.dtype == np.float32
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-5)
    assert [a.shape for a in net.activations] == [(10, 12), (10, 6), (10, 5), (10, 4)]
    grads = net.backward(y)
    for (dw, db), w, b in zip(grads, net.W, net.b, strict=True):
        assert dw.shape == w.shape and db.shape == b.shape
        assert dw.dtype == np.float32
    assert [w.shape for w in net.W] == [(12, 6), (6, 5), (5, 4)]
    assert net.count_params() == 13 * 6 + 7 * 5 + 6 * 4
    assert net.predict(x).shape == (10,)
    assert set(net.evaluate(x, y)) == {"loss", "accuracy"}


def test_macs_per_sample_counts_forward_and_backward():
    net = MLP([784, 256, 128, 10])
    forward = 784 * 256 + 256 * 128 + 128 * 10
    assert net.macs_per_sample() == 2 * forward + 256 * 128 + 128 * 10
    assert net.flops_per_sample() == 2 * net.macs_per_sample()


def test_initialisations_have_the_documented_scale():
    he = MLP([1000, 500, 10], init="he", seed=0)
    assert he.W[0].std() == pytest.approx(np.sqrt(2 / 1000), rel=0.02)
    small = MLP([1000, 500, 10], init="small", seed=0)
    assert small.W[0].std() == pytest.approx(0.01, rel=0.02)
    normal = MLP([1000, 500, 10], init="normal", seed=0)
    assert normal.W[0].std() == pytest.approx(1.0, rel=0.02)
    xavier = MLP([1000, 500, 10], init="xavier", seed=0)
    limit = np.sqrt(6 / 1500)
    assert np.abs(xavier.W[0]).max() <= limit
    assert xavier.W[0].std() == pytest.approx(limit / np.sqrt(3), rel=0.02)
    assert all(np.all(b == 0) for b in he.b)


def test_weights_round_trip_in_keras_layout():
    net = MLP([12, 6, 4], seed=0)
    other = MLP([12, 6, 4], seed=1)
    other.set_weights(net.get_weights())
    x, _ = batch()
    np.testing.assert_array_equal(net.predict_proba(x), other.predict_proba(x))
    with pytest.raises(ValueError, match="expected W"):
        other.set_weights([np.zeros((6, 12)), np.zeros(6), np.zeros((6, 4)), np.zeros(4)])


# --------------------------------------------------------------------------- training


def test_same_seed_same_training_different_seed_different_weights():
    x, y = batch(n=64)
    histories, weights = [], []
    for seed in (7, 7, 8):
        net = MLP([12, 10, 4], seed=seed)
        histories.append(net.fit(x, y, epochs=3, batch_size=16, lr=0.1, verbose=0))
        weights.append(net.get_weights())
    assert histories[0]["loss"] == histories[1]["loss"]
    for a, b in zip(weights[0], weights[1], strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(weights[0][0], weights[2][0])


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
def test_one_training_step_lowers_the_loss(optimizer):
    x, y = batch(n=32)
    net = MLP([12, 10, 4], seed=0)
    before = net.loss(x, y)
    lr = 0.01 if optimizer == "adam" else 0.1
    net.fit(x, y, epochs=1, batch_size=None, lr=lr, optimizer=optimizer, verbose=0)
    assert net.loss(x, y) < before


def test_sgd_step_is_exactly_w_minus_lr_grad():
    x, y = batch(n=8)
    net = MLP([12, 5, 4], seed=0)
    w0 = net.get_weights()
    net.forward(x)
    grads = [g.copy() for pair in net.backward(y) for g in pair]
    net.fit(x, y, epochs=1, batch_size=None, lr=0.5, shuffle=False, verbose=0)
    for before, g, after in zip(w0, grads, net.get_weights(), strict=True):
        np.testing.assert_allclose(after, before - 0.5 * g, rtol=1e-5, atol=1e-7)


def test_one_batch_of_everything_is_a_step_on_the_mean_gradient_whatever_shuffle_says():
    # with a single batch the order of the images cannot matter (fit skips the shuffle)
    x, y = batch(n=8)
    nets = [MLP([12, 5, 4], seed=0) for _ in range(2)]
    start = nets[0].get_weights()
    for net, shuffle in zip(nets, (True, False), strict=True):
        net.fit(x, y, epochs=3, batch_size=None, lr=0.5, shuffle=shuffle, verbose=0)
    for a, b in zip(nets[0].get_weights(), nets[1].get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    assert all(np.abs(a - w).max() > 1e-3 for a, w in zip(nets[0].W, start[::2], strict=True))


def test_sigmoid_is_exact_and_never_overflows():
    z = np.array([-1000.0, -88.0, -30.0, -1.5, 0.0, 2.0, 30.0, 1000.0])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        for dtype in (np.float32, np.float64):
            a = numpy_nn.sigmoid(z.astype(dtype))
            assert a.dtype == dtype and np.all((a >= 0) & (a <= 1))
    inner = z[1:-1]  # where 1 / (1 + e^-z) itself does not overflow in float64
    np.testing.assert_allclose(numpy_nn.sigmoid(inner), 1 / (1 + np.exp(-inner)), rtol=1e-12)
    assert (
        numpy_nn.sigmoid(np.array([-1000.0]))[0] == 0
        and numpy_nn.sigmoid(np.array([1000.0]))[0] == 1
    )


def test_learns_a_small_separable_problem():
    rng = np.random.default_rng(0)
    centres = rng.normal(0, 3, size=(3, 5))
    y = rng.integers(0, 3, size=300)
    x = (centres[y] + rng.normal(0, 0.5, size=(300, 5))).astype(np.float32)
    net = MLP([5, 16, 3], seed=0)
    history = net.fit(x, y, epochs=30, batch_size=32, lr=0.05, optimizer="momentum", verbose=0)
    assert history["loss"][-1] < history["loss"][0] / 5
    assert net.evaluate(x, y)["accuracy"] == 1.0


def test_history_has_every_field_per_epoch():
    x, y = batch(n=40)
    net = MLP([12, 8, 4])
    h = net.fit(x, y, epochs=2, batch_size=10, x_val=x, y_val=y, verbose=0,
                track_grad_norms=True)  # fmt: skip
    for key in ("loss", "accuracy", "val_loss", "val_accuracy", "seconds", "grad_norms"):
        assert len(h[key]) == 2, key
    assert h["grad_norms"][0].shape == (2,)
    assert h["val_loss"][-1] == pytest.approx(net.evaluate(x, y)["loss"], rel=1e-6)


def test_verbose_prints_one_line_per_epoch(capsys):
    x, y = batch(n=20)
    MLP([12, 8, 4]).fit(x, y, epochs=3, batch_size=5, verbose=1)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3 and lines[0].startswith("epoch 1/3")


def test_divergence_is_reported():
    x, y = batch(n=32)
    net = MLP([12, 10, 4], seed=0)
    with np.errstate(all="ignore"), pytest.raises(FloatingPointError, match="lower the learning"):
        net.fit(x * 1e3, y, epochs=5, batch_size=8, lr=1e30, verbose=0)


# --------------------------------------------------------------------------- bad inputs


@pytest.mark.parametrize(
    ("x_shape", "message"),
    [((5, 28, 28), "flatten the images"), ((5, 10), r"shape \(n, 784\)"), ((784,), "shape")],
)
def test_wrong_input_shapes_say_what_to_do(x_shape, message):
    net = MLP([784, 8, 10])
    with pytest.raises(ValueError, match=message):
        net.forward(np.zeros(x_shape, dtype=np.float32))


def test_bad_labels_and_nans_are_reported():
    x, y = batch(n=6, n_in=12, k=4)
    net = MLP([12, 5, 4])
    with pytest.raises(ValueError, match=r"labels must lie in 0..3"):
        net.fit(x, np.array([0, 1, 2, 3, 4, 0]), epochs=1, verbose=0)
    with pytest.raises(ValueError, match=r"labels must lie in 0..3"):
        net.evaluate(x, np.array([0, -1, 2, 3, 1, 0]))
    with pytest.raises(ValueError, match="one-hot"):
        net.fit(x, np.eye(4)[y], epochs=1, verbose=0)
    with pytest.raises(ValueError, match=r"shape \(6,\)"):
        net.fit(x, y[:5], epochs=1, verbose=0)
    with pytest.raises(ValueError, match="whole numbers"):
        net.evaluate(x, y + 0.5)
    bad = x.copy()
    bad[2, 3] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        net.fit(bad, y, epochs=1, verbose=0)
    with pytest.raises(ValueError, match="x_val"):
        net.fit(x, y, epochs=1, x_val=x, verbose=0)
    with pytest.raises(ValueError, match="x_val"):
        net.fit(x, y, epochs=1, x_val=x[:, :3], y_val=y, verbose=0)
    with pytest.raises(RuntimeError, match="forward"):
        MLP([12, 5, 4]).backward(y)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(layer_sizes=[784]), "at least two"),
        (dict(layer_sizes=[784, 0, 10]), "positive integers"),
        (dict(layer_sizes=[784, 10], activation="relu6"), "unknown activation"),
        (dict(layer_sizes=[784, 10], output="linear"), "unknown output"),
        (dict(layer_sizes=[784, 10], init="zeros"), "unknown init"),
        (dict(layer_sizes=[784, 10], loss="mse"), "does not go with output"),
        (dict(layer_sizes=[784, 10], dtype=np.int32), "float"),
    ],
)
def test_bad_construction_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        MLP(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(optimizer="rmsprop"), "unknown optimizer"),
        (dict(lr=0), "lr must be"),
        (dict(lr=float("nan")), "lr must be"),
        (dict(epochs=0), "epochs"),
        (dict(batch_size=0), "batch_size"),
    ],
)
def test_bad_training_arguments(kwargs, message):
    x, y = batch(n=8)
    with pytest.raises(ValueError, match=message):
        MLP([12, 5, 4]).fit(x, y, verbose=0, **kwargs)


# --------------------------------------------------------------------------- softmax regression


def test_no_hidden_layer_is_softmax_regression_and_its_gradient_is_right():
    x, y = batch(n=20)
    net = MLP([12, 4], seed=0)
    assert net.n_layers == 1 and net.count_params() == 12 * 4 + 4
    z = x @ net.W[0] + net.b[0]
    np.testing.assert_allclose(net.forward(x), numpy_nn.softmax(z), rtol=1e-6)
    # the gradient of a linear softmax classifier is X^T (P - Y) / n, nothing else
    ((dw, db),) = net.backward(y)
    p = net.forward(x).astype(np.float64)
    onehot = np.eye(4)[y]
    np.testing.assert_allclose(dw, x.T @ (p - onehot) / len(y), rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(db, (p - onehot).mean(axis=0), rtol=1e-4, atol=1e-7)
    assert max_rel_error(gradient_check(net, x, y, per_layer=10, nonzero=True)) < 1e-6


def test_softmax_regression_learns_a_linearly_separable_problem():
    rng = np.random.default_rng(1)
    centres = rng.normal(0, 3, size=(3, 5))
    y = rng.integers(0, 3, size=300)
    x = (centres[y] + rng.normal(0, 0.5, size=(300, 5))).astype(np.float32)
    net = MLP([5, 3], seed=0)
    net.fit(x, y, epochs=30, batch_size=32, lr=0.1, verbose=0)
    assert net.evaluate(x, y)["accuracy"] > 0.95


# --------------------------------------------------------------------------- weight decay


@pytest.mark.parametrize("sizes", [[12, 4], [12, 8, 4], [12, 8, 6, 4]])
def test_weight_decay_gradient_check(sizes):
    x, y = batch(n=16)
    net = MLP(sizes, seed=0)
    rows = gradient_check(net, x, y, per_layer=6, nonzero=True, weight_decay=0.3)
    assert max_rel_error(rows) < 1e-6


def test_weight_decay_adds_lambda_w_to_weights_not_biases():
    x, y = batch(n=16)
    net = MLP([12, 8, 4], seed=0)
    net.forward(x)
    plain = [(w.copy(), b.copy()) for w, b in net.backward(y)]
    net.forward(x)
    decayed = net.backward(y, weight_decay=0.5)
    for (w0, b0), (w1, b1), w in zip(plain, decayed, net.W, strict=True):
        np.testing.assert_allclose(w1, w0 + 0.5 * w, rtol=1e-5, atol=1e-7)
        np.testing.assert_array_equal(b1, b0)
    expected = 0.25 * sum(float(np.sum(w.astype(np.float64) ** 2)) for w in net.W)
    assert np.isclose(net.penalty(0.5), expected)
    assert np.isclose(net.loss(x, y, weight_decay=0.5), net.loss(x, y) + expected, rtol=1e-6)
    assert net.penalty(0.0) == 0.0


def test_weight_decay_update_rule_and_smaller_weights():
    x, y = batch(n=8)
    net = MLP([12, 5, 4], seed=0)
    w0 = net.get_weights()
    net.forward(x)
    grads = [g.copy() for pair in net.backward(y) for g in pair]
    lam, lr = 0.1, 0.5
    net.fit(x, y, epochs=1, batch_size=None, lr=lr, shuffle=False, verbose=0, weight_decay=lam)
    for i, (before, g, after) in enumerate(zip(w0, grads, net.get_weights(), strict=True)):
        decay = lam * before if i % 2 == 0 else 0.0  # weights decay, biases do not
        np.testing.assert_allclose(after, before - lr * (g + decay), rtol=1e-5, atol=1e-7)
    # a long run with a strong penalty ends with smaller weights than one without
    norms = []
    for lam in (0.0, 0.05):
        net = MLP([12, 16, 4], seed=0)
        net.fit(x, y, epochs=200, batch_size=None, lr=0.2, verbose=0, weight_decay=lam)
        norms.append(sum(float(np.sum(w**2)) for w in net.W))
    assert norms[1] < 0.8 * norms[0]


@pytest.mark.parametrize("bad", [-0.1, float("nan"), float("inf")])
def test_bad_weight_decay_is_reported(bad):
    x, y = batch(n=8)
    net = MLP([12, 4], seed=0)
    with pytest.raises(ValueError, match="weight_decay"):
        net.fit(x, y, epochs=1, verbose=0, weight_decay=bad)


# --------------------------------------------------------------------------- gradient check


def test_nonzero_gradient_check_skips_entries_whose_gradient_is_zero():
    x, y = batch(n=16, n_in=12)
    x[:, :6] = 0  # half the inputs are 0 in every image: their rows of dW1 are exactly 0
    net = MLP([12, 8, 4], seed=0)
    net.forward(x)
    dw1 = net.backward(y)[0][0]
    assert not np.any(dw1[:6])
    rows = gradient_check(net, x, y, per_layer=12, nonzero=True)
    w1 = [r for r in rows if r["parameter"] == "W1"]
    assert w1 and all(r["analytic"] != 0 for r in rows)
    assert all(r["index"][0] >= 6 for r in w1)
    plain = gradient_check(net, x, y, per_layer=40, nonzero=False)
    assert any(r["analytic"] == 0 for r in plain if r["parameter"] == "W1")


def test_adam_step_matches_keras_adam():
    pytest.importorskip("tensorflow")
    keras = pytest.importorskip("keras")
    x, y = batch(n=16)
    net = MLP([12, 6, 4], seed=0)
    w0 = net.get_weights()
    net.forward(x)
    grads = [g.copy() for pair in net.backward(y) for g in pair]
    net.fit(x, y, epochs=1, batch_size=None, lr=0.01, optimizer="adam", shuffle=False, verbose=0)
    variables = [keras.Variable(w) for w in w0]
    opt = keras.optimizers.Adam(learning_rate=0.01)
    opt.apply_gradients(
        zip([keras.ops.convert_to_tensor(g) for g in grads], variables, strict=True)
    )
    for ours, theirs in zip(net.get_weights(), variables, strict=True):
        np.testing.assert_allclose(ours, np.asarray(theirs), rtol=1e-5, atol=1e-7)
