"""helpers.models: every builder's structure and every hand count against Keras's own."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from helpers import models  # noqa: E402

# The numbers the series quotes (issue 3 and the notebooks): exact, by definition.
QUOTED_TOTALS = {
    "mlp_100": 79_510,
    "mlp_300_100": 266_610,
    "mlp_128_64_32_sigmoid": 111_146,
    "mlp_128_64_32_relu": 111_146,
    "mlp_256_sigmoid": 203_530,
    "flagship": 571_018,
}


def keras_numbers(model):
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    non_trainable = sum(int(np.prod(w.shape)) for w in model.non_trainable_weights)
    return dict(trainable=trainable, non_trainable=non_trainable, total=model.count_params())


@pytest.mark.parametrize("name", sorted(models.ARCHITECTURES))
def test_named_architecture_counts_agree_with_keras_and_the_quoted_number(name):
    model = models.build(name)
    spec = models.ARCHITECTURES[name]
    hand = models.count_params(models.layer_sizes(name), batchnorm=spec.get("batchnorm", False))
    assert keras_numbers(model) == hand
    assert models.keras_counts(model) == hand
    assert models.summary_counts(model) == hand  # what model.summary() prints
    assert hand["total"] == QUOTED_TOTALS[name]


def test_flagship_trainable_non_trainable_split():
    model = models.build_flagship()
    numbers = keras_numbers(model)
    assert numbers == dict(trainable=569_226, non_trainable=1_792, total=571_018)
    # the gap is exactly BatchNorm's moving mean and variance: 2 per hidden unit
    assert numbers["non_trainable"] == 2 * (512 + 256 + 128)
    names = {w.path.split("/")[-1] for w in model.non_trainable_weights}
    assert names == {"moving_mean", "moving_variance"}


def test_flagship_layer_order_and_settings():
    model = models.build_flagship()
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds == ["Flatten"] + ["Dense", "BatchNormalization", "Dropout"] * 3 + ["Dense"]
    assert model.input_shape == (None, 28, 28)
    assert model.output_shape == (None, 10)
    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    assert [d.units for d in dense] == [512, 256, 128, 10]
    assert [d.activation.__name__ for d in dense] == ["relu"] * 3 + ["softmax"]
    assert all(type(d.kernel_initializer).__name__ == "HeUniform" for d in dense)
    rates = [layer.rate for layer in model.layers if isinstance(layer, keras.layers.Dropout)]
    assert rates == [0.5, 0.4, 0.3]
    assert model.name == "flagship"
    assert not model.compiled


@pytest.mark.parametrize(
    ("kwargs", "expected_kinds"),
    [
        (dict(dropout=None), ["Dense", "BatchNormalization"]),
        (dict(dropout=0), ["Dense", "BatchNormalization"]),
        (dict(batchnorm=False), ["Dense", "Dropout"]),
        (dict(batchnorm=False, dropout=None), ["Dense"]),
    ],
)
def test_flagship_ablations_remove_layers(kwargs, expected_kinds):
    model = models.build_flagship(**kwargs)
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds == ["Flatten"] + expected_kinds * 3 + ["Dense"]
    bn = kwargs.get("batchnorm", True)
    assert keras_numbers(model) == models.count_params([784, 512, 256, 128, 10], batchnorm=bn)


def test_named_activations():
    for name, spec in models.ARCHITECTURES.items():
        model = models.build(name)
        dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
        hidden_acts = {d.activation.__name__ for d in dense[:-1]}
        assert hidden_acts == {spec["activation"]}, name
        assert dense[-1].activation.__name__ == "softmax", name
        assert model.name == name


def test_build_overrides_and_errors():
    model = models.build("mlp_300_100", dropout=0.2, output_activation=None)
    assert [layer.rate for layer in model.layers if isinstance(layer, keras.layers.Dropout)] == [
        0.2,
        0.2,
    ]
    assert model.layers[-1].activation.__name__ == "linear"
    with pytest.raises(KeyError, match="no architecture named"):
        models.build("mlp_999")
    with pytest.raises(TypeError, match="does not take"):
        models.build("flagship", hidden=(10,))


def test_build_mlp_order_with_batchnorm_and_per_layer_dropout():
    model = models.build_mlp(hidden=(8, 6, 4), batchnorm=True, dropout=(0.1, 0.0, 0.3))
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds == [
        "Flatten",
        "Dense",
        "BatchNormalization",
        "Dropout",
        "Dense",
        "BatchNormalization",
        "Dense",
        "BatchNormalization",
        "Dropout",
        "Dense",
    ]
    out = model(np.zeros((2, 28, 28), dtype="float32"))
    np.testing.assert_allclose(np.sum(out, axis=1), 1.0, rtol=1e-6)


def test_build_mlp_with_no_hidden_layer_is_softmax_regression():
    model = models.build_mlp(hidden=())
    assert model.count_params() == 785 * 10 == models.count_params([784, 10])["total"]


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (dict(hidden=(10, 0)), ValueError, "positive whole number"),
        (dict(hidden=(10, 2.5)), ValueError, "positive whole number"),
        (dict(hidden="abc"), ValueError, "positive whole number"),
        (dict(hidden=(10, 5), dropout=(0.1,)), ValueError, "one rate per hidden layer"),
        (dict(hidden=(10,), dropout=1.0), ValueError, "0 <= rate < 1"),
        (dict(hidden=(10,), dropout="high"), TypeError, "dropout must be"),
    ],
)
def test_build_mlp_rejects_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        models.build_mlp(**kwargs)


@pytest.mark.parametrize("seed", range(12))
def test_count_params_random_architectures_against_keras(seed):
    rng = np.random.default_rng(seed)
    hidden = tuple(int(w) for w in rng.integers(1, 64, size=rng.integers(0, 5)))
    batchnorm = bool(seed % 2)
    dropout = float(rng.uniform(0, 0.6)) if seed % 3 == 0 else None
    model = models.build_mlp(hidden=hidden, batchnorm=batchnorm, dropout=dropout)
    sizes = [784, *hidden, 10]
    assert keras_numbers(model) == models.count_params(sizes, batchnorm=batchnorm)
    # the layer-by-layer table agrees with Keras row by row, not only in the total
    hand = models.layer_table(sizes, batchnorm=batchnorm, dropout=dropout is not None)
    from_keras = models.keras_layer_table(model)
    cols = ["layer", "type", "output", "trainable", "non_trainable", "total"]
    assert hand[cols].astype(str).values.tolist() == from_keras[cols].astype(str).values.tolist()


def test_count_params_formulas():
    assert models.dense_params(784, 10) == 7850
    assert models.batchnorm_params(100) == dict(trainable=200, non_trainable=200, total=400)
    assert models.count_params([784, 100, 10]) == dict(
        trainable=79_510, non_trainable=0, total=79_510
    )
    # BatchNorm after hidden layers only, never after the output layer
    assert models.count_params([784, 100, 10], batchnorm=True) == dict(
        trainable=79_710, non_trainable=200, total=79_910
    )
    # input 784 alone contributes nothing: the first Dense layer holds its weights
    assert models.count_params([3, 2]) == dict(trainable=8, non_trainable=0, total=8)


@pytest.mark.parametrize(
    ("sizes", "error", "match"),
    [
        ([784], ValueError, "at least an input and an output"),
        ([784, 0, 10], ValueError, "positive whole number"),
        ([784, -5, 10], ValueError, "positive whole number"),
        ([784, 10.0], ValueError, "positive whole number"),
        (784, TypeError, "layer_sizes must list"),
    ],
)
def test_count_params_rejects_bad_input(sizes, error, match):
    with pytest.raises(error, match=match):
        models.count_params(sizes)


def test_layer_table_flagship():
    table = models.layer_table([784, 512, 256, 128, 10], batchnorm=True, dropout=True)
    assert list(table["layer"]) == [
        "flatten",
        "hidden_1",
        "batchnorm_1",
        "dropout_1",
        "hidden_2",
        "batchnorm_2",
        "dropout_2",
        "hidden_3",
        "batchnorm_3",
        "dropout_3",
        "output",
        "total",
    ]
    total = table.iloc[-1]
    assert (total["trainable"], total["non_trainable"], total["total"]) == (569_226, 1_792, 571_018)
    assert table.set_index("layer").loc["hidden_1", "trainable"] == 785 * 512
    assert table.set_index("layer").loc["batchnorm_2", "non_trainable"] == 512


def test_cost():
    c = models.cost([784, 100, 10], n_images=60_000)
    forward = 784 * 100 + 100 * 10
    assert c["params"] == 79_510
    assert c["weight_bytes"] == 79_510 * 4
    assert c["mult_adds_per_image"] == forward
    assert c["flops_per_image"] == 2 * forward
    # backward: a weight gradient for every layer, a gradient for the layer below except
    # below the first layer (no gradient with respect to the pixels)
    assert c["backward_mult_adds_per_image"] == forward + 100 * 10
    assert c["train_mult_adds_per_image"] == 2 * forward + 100 * 10
    assert c["train_flops_per_image"] == 2 * c["train_mult_adds_per_image"]
    assert c["flops_per_epoch"] == 2 * (2 * forward + 100 * 10) * 60_000
    assert c["activation_bytes_per_image"] == (784 + 100 + 10) * 4
    flagship = models.cost([784, 512, 256, 128, 10], batchnorm=True)
    assert flagship["weight_bytes"] == 571_018 * 4
    assert flagship["mult_adds_per_image"] == 784 * 512 + 512 * 256 + 256 * 128 + 128 * 10
    # the rule, per image: 3 x forward minus the skipped input gradient 784 x 512
    assert flagship["train_mult_adds_per_image"] == 3 * 566_528 - 784 * 512
    with pytest.raises(ValueError, match="n_images"):
        models.cost([784, 10], n_images=0)
    table = models.cost_table()
    assert list(table.index) == list(models.ARCHITECTURES)
    assert table.loc["flagship", "params"] == 571_018


def _counted_backprop(sizes, rng):
    """A real forward and backward pass of one image through a ReLU MLP, counting the
    multiply-adds of every matrix product; returns (mult-adds, gradients, loss function)."""
    weights = [rng.normal(scale=0.3, size=(a, b)) for a, b in itertools.pairwise(sizes)]
    x = rng.normal(size=(1, sizes[0]))
    label = 1
    macs = 0

    def matmul(a, b):
        nonlocal macs
        macs += a.shape[0] * a.shape[1] * b.shape[1]
        return a @ b

    def loss_of(ws, count=False):
        mm = matmul if count else np.matmul
        acts = [x]
        for i, w in enumerate(ws):
            z = mm(acts[-1], w)
            acts.append(z if i == len(ws) - 1 else np.maximum(z, 0))
        z = acts[-1][0]
        p = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
        return -np.log(p[label]), acts, p

    _, acts, p = loss_of(weights, count=True)
    delta = p.copy()[None, :]
    delta[0, label] -= 1
    grads = [None] * len(weights)
    for i in reversed(range(len(weights))):
        grads[i] = matmul(acts[i].T, delta)
        if i > 0:  # the first layer needs no gradient with respect to the input
            delta = matmul(delta, weights[i].T) * (acts[i] > 0)
    return macs, grads, weights, loss_of


@pytest.mark.parametrize("sizes", [[7, 5, 3], [6, 4, 4, 3], [5, 3]])
def test_cost_counts_the_multiply_adds_of_a_real_training_step(sizes):
    rng = np.random.default_rng(0)
    macs, grads, weights, loss_of = _counted_backprop(sizes, rng)
    # the backward pass is a correct one: its gradient matches finite differences
    h = 1e-6
    for layer, (i, j) in [(0, (1, 0)), (len(weights) - 1, (0, 1))]:
        plus = [w.copy() for w in weights]
        minus = [w.copy() for w in weights]
        plus[layer][i, j] += h
        minus[layer][i, j] -= h
        numeric = (loss_of(plus)[0] - loss_of(minus)[0]) / (2 * h)
        assert np.isclose(grads[layer][i, j], numeric, rtol=1e-5, atol=1e-8)
    assert models.cost(sizes)["train_mult_adds_per_image"] == macs


def test_cost_follows_the_same_rule_as_the_numpy_net_of_notebook_05():
    from helpers import numpy_nn

    for sizes in ([784, 256, 10], [784, 512, 256, 128, 10], [784, 10]):
        net = numpy_nn.MLP(sizes)
        assert models.cost(sizes)["train_mult_adds_per_image"] == net.macs_per_sample()


def test_weight_bytes_match_the_float32_arrays_keras_holds():
    model = models.build("mlp_100")
    held = sum(w.numpy().nbytes for w in model.weights)
    assert all(w.numpy().dtype == np.float32 for w in model.weights)
    assert held == models.cost(models.layer_sizes("mlp_100"))["weight_bytes"]


def test_l2_penalty_is_lambda_times_the_squared_kernels_and_spares_the_biases():
    import keras

    keras.utils.set_random_seed(0)
    plain = models.build_mlp(hidden=(8,))
    keras.utils.set_random_seed(0)
    decayed = models.build_mlp(hidden=(8,), l2=0.01)
    assert plain.losses == [] and len(decayed.losses) == 2  # one per Dense kernel
    # give the biases weight, so a penalty that included them would show
    for layer in decayed.layers:
        if hasattr(layer, "bias"):
            layer.bias.assign(np.full(layer.bias.shape, 3.0, dtype=np.float32))
    kernels = [layer.kernel.numpy() for layer in decayed.layers if hasattr(layer, "kernel")]
    expected = 0.01 * sum(float(np.sum(k.astype(np.float64) ** 2)) for k in kernels)
    assert np.isclose(float(sum(decayed.losses)), expected, rtol=1e-5)
    # the penalty does not change the initial kernels
    plain_kernels = [layer.kernel.numpy() for layer in plain.layers if hasattr(layer, "kernel")]
    for a, b in zip(plain_kernels, kernels, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("bad", [-1e-4, float("nan"), float("inf"), "1e-4", True])
def test_l2_rejects_a_strength_that_is_not_a_number_at_least_zero(bad):
    with pytest.raises(ValueError, match="l2 must be None or a weight-decay strength"):
        models.build_mlp(hidden=(8,), l2=bad)
