"""Keras model builders for every architecture of the series, and parameter counts by hand.

Builders
--------
:func:`build_mlp` builds any plain multilayer perceptron (MLP) for 28x28 images,
:func:`build_flagship` the series' main model, and :func:`build` one of the named
architectures in :data:`ARCHITECTURES`. Every model is a ``keras.Sequential`` that starts
with ``keras.Input(shape=(28, 28))`` and a ``Flatten`` layer, and is returned *uncompiled*:
the notebooks choose the optimiser, loss and metrics where they teach them.

Counting by hand
----------------
:func:`count_params` and :func:`layer_table` count parameters with the formulas notebook 03
derives (no Keras needed):

* ``Dense(out)`` after a layer of width ``in``: ``in * out`` weights + ``out`` biases
  = ``(in + 1) * out``, all trainable;
* ``BatchNormalization`` over ``units`` features: ``4 * units``, of which ``2 * units``
  trainable (scale gamma, shift beta) and ``2 * units`` non-trainable (moving mean and
  moving variance, updated by averaging during training, never by gradients);
* ``Flatten`` and ``Dropout``: 0.

:func:`cost` turns an architecture into what it costs: bytes of float32 weights and
multiply-adds per image, forward and for a training step (the series' one FLOP rule). The tests check every count against Keras itself.
"""

from __future__ import annotations

import contextlib
import itertools
import re
from collections.abc import Sequence
from numbers import Integral, Real

#: Shape of one MNIST image and the number of classes.
INPUT_SHAPE = (28, 28)
N_INPUTS = 28 * 28
N_CLASSES = 10
#: float32: four bytes per number.
BYTES_PER_FLOAT32 = 4

#: Every architecture the series uses. ``hidden`` are the widths of the hidden layers
#: (input 784 and output 10 are implied). The flagship also records its BatchNorm,
#: Dropout and initialiser, which :func:`build` passes to :func:`build_flagship`.
ARCHITECTURES: dict[str, dict] = {
    "mlp_100": dict(
        hidden=(100,),
        activation="relu",
        description="784-100-10, one ReLU hidden layer: the smallest net of the series",
    ),
    "mlp_300_100": dict(
        hidden=(300, 100),
        activation="relu",
        description=(
            "784-300-100-10 ReLU: the layer sizes of LeCun et al.'s (1998) two-hidden-layer "
            "MLP, which used sigmoid-type units, not ReLU"
        ),
    ),
    "mlp_128_64_32_sigmoid": dict(
        hidden=(128, 64, 32),
        activation="sigmoid",
        description="784-128-64-32-10, sigmoid hidden layers, softmax output",
    ),
    "mlp_128_64_32_relu": dict(
        hidden=(128, 64, 32),
        activation="relu",
        description="784-128-64-32-10, the same sizes with ReLU hidden layers",
    ),
    "mlp_256_sigmoid": dict(
        hidden=(256,),
        activation="sigmoid",
        description="784-256-10, one sigmoid hidden layer: the from-scratch NumPy net in Keras",
    ),
    "flagship": dict(
        hidden=(512, 256, 128),
        activation="relu",
        batchnorm=True,
        dropout=(0.5, 0.4, 0.3),
        kernel_initializer="he_uniform",
        description=(
            "784-512-256-128-10 ReLU, BatchNorm and Dropout (0.5, 0.4, 0.3) after each "
            "hidden layer, He-uniform init: the flagship"
        ),
    ),
}


# --------------------------------------------------------------------------- validation


def _check_hidden(hidden) -> tuple[int, ...]:
    if isinstance(hidden, Integral):
        hidden = (hidden,)
    try:
        widths = tuple(hidden)
    except TypeError:
        raise TypeError(
            f"hidden must be a tuple of layer widths like (300, 100), got {hidden!r}."
        ) from None
    for w in widths:
        if isinstance(w, bool) or not isinstance(w, Integral) or w < 1:
            raise ValueError(
                f"every hidden width must be a positive whole number, got {w!r} in {widths}."
            )
    return tuple(int(w) for w in widths)


def _dropout_rates(dropout, n_hidden: int) -> tuple[float, ...]:
    """One rate per hidden layer (0.0 = no Dropout layer) from None, a float or a tuple."""
    if dropout is None:
        return (0.0,) * n_hidden
    if isinstance(dropout, Real) and not isinstance(dropout, bool):
        rates = (float(dropout),) * n_hidden
    else:
        try:
            rates = tuple(float(r) for r in dropout)
        except (TypeError, ValueError):
            raise TypeError(
                f"dropout must be None, one rate like 0.3, or one rate per hidden layer, "
                f"got {dropout!r}."
            ) from None
        if len(rates) != n_hidden:
            raise ValueError(
                f"dropout has {len(rates)} rates but there are {n_hidden} hidden layers; "
                "give one rate per hidden layer (or a single number for all)."
            )
    for r in rates:
        if not 0.0 <= r < 1.0:
            raise ValueError(
                f"a dropout rate is the share of units dropped, 0 <= rate < 1; got {r}."
            )
    return rates


def _check_layer_sizes(layer_sizes) -> tuple[int, ...]:
    try:
        sizes = tuple(layer_sizes)
    except TypeError:
        raise TypeError(
            "layer_sizes must list every layer's width, input first, e.g. [784, 300, 100, 10]; "
            f"got {layer_sizes!r}."
        ) from None
    if len(sizes) < 2:
        raise ValueError(
            f"layer_sizes needs at least an input and an output width, e.g. [784, 10]; got {sizes}."
        )
    for s in sizes:
        if isinstance(s, bool) or not isinstance(s, Integral) or s < 1:
            raise ValueError(
                f"every layer width must be a positive whole number, got {s!r} in {sizes}."
            )
    return tuple(int(s) for s in sizes)


def layer_sizes(name: str) -> list[int]:
    """All widths of a named architecture, input and output included: e.g. [784, 300, 100, 10]."""
    spec = _spec(name)
    return [N_INPUTS, *spec["hidden"], N_CLASSES]


def _spec(name: str) -> dict:
    if name not in ARCHITECTURES:
        raise KeyError(f"no architecture named {name!r}; choose one of {sorted(ARCHITECTURES)}.")
    return ARCHITECTURES[name]


# --------------------------------------------------------------------------- builders


def build_mlp(
    hidden=(300, 100),
    activation="relu",
    output_activation="softmax",
    kernel_initializer="glorot_uniform",
    batchnorm=False,
    dropout=None,
    name=None,
    l2=None,
):
    """An uncompiled MLP for 28x28 images: Flatten, then per hidden layer
    Dense (with ``activation``) -> [BatchNormalization] -> [Dropout], then Dense 10.

    ``hidden``: widths of the hidden layers, e.g. ``(300, 100)``; ``()`` gives a linear
    (softmax-regression) model. ``dropout``: ``None``, one rate for every hidden layer, or
    a tuple with one rate per hidden layer (0 leaves that Dropout out).
    ``output_activation``: ``"softmax"`` for probabilities, ``None`` for raw logits.
    ``l2``: ``None`` or a weight-decay strength lambda: every Dense layer's kernel (not its
    bias) gets ``keras.regularizers.L2(l2)``, which adds ``l2 * sum(w**2)`` to the loss.
    Layers are named ``hidden_1``, ``batchnorm_1``, ``dropout_1``, ..., ``output``.
    """
    import keras
    from keras import layers

    widths = _check_hidden(hidden)
    rates = _dropout_rates(dropout, len(widths))
    if l2 is not None and (
        isinstance(l2, bool) or not isinstance(l2, Real) or not 0 <= float(l2) < float("inf")
    ):
        raise ValueError(f"l2 must be None or a weight-decay strength >= 0 like 1e-4, got {l2!r}.")
    regularizer = keras.regularizers.L2(float(l2)) if l2 else None
    stack = [keras.Input(shape=INPUT_SHAPE, name="image"), layers.Flatten(name="flatten")]
    for i, (width, rate) in enumerate(zip(widths, rates, strict=True), start=1):
        stack.append(
            layers.Dense(
                width,
                activation=activation,
                kernel_initializer=kernel_initializer,
                kernel_regularizer=regularizer,
                name=f"hidden_{i}",
            )
        )
        if batchnorm:
            stack.append(layers.BatchNormalization(name=f"batchnorm_{i}"))
        if rate > 0:
            stack.append(layers.Dropout(rate, name=f"dropout_{i}"))
    stack.append(
        layers.Dense(
            N_CLASSES,
            activation=output_activation,
            kernel_initializer=kernel_initializer,
            kernel_regularizer=regularizer,
            name="output",
        )
    )
    return keras.Sequential(stack, name=name)


def build_flagship(
    dropout=(0.5, 0.4, 0.3),
    batchnorm=True,
    kernel_initializer="he_uniform",
    name="flagship",
):
    """The flagship, uncompiled: Flatten -> Dense 512 ReLU -> BN -> Dropout 0.5
    -> Dense 256 ReLU -> BN -> Dropout 0.4 -> Dense 128 ReLU -> BN -> Dropout 0.3
    -> Dense 10 softmax.

    ``dropout=None`` (or 0) removes the Dropout layers and ``batchnorm=False`` the
    BatchNormalization layers, for the ablation of notebook 08.
    """
    spec = ARCHITECTURES["flagship"]
    return build_mlp(
        hidden=spec["hidden"],
        activation=spec["activation"],
        output_activation="softmax",
        kernel_initializer=kernel_initializer,
        batchnorm=batchnorm,
        dropout=dropout or None,
        name=name,
    )


def build(name: str, **overrides):
    """Build the architecture called ``name`` (a key of :data:`ARCHITECTURES`).

    ``overrides`` go to the builder, e.g. ``build("mlp_300_100", dropout=0.2)`` or
    ``build("flagship", batchnorm=False)``.
    """
    if name in CNN_ARCHITECTURES:  # notebook 09's convolutional nets
        return _build_named_cnn(name, **overrides)
    spec = _spec(name)
    if name == "flagship":
        kwargs = dict(
            dropout=spec["dropout"],
            batchnorm=spec["batchnorm"],
            kernel_initializer=spec["kernel_initializer"],
            name=name,
        )
        allowed = set(kwargs)
        builder = build_flagship
    else:
        kwargs = {k: v for k, v in spec.items() if k != "description"}
        kwargs["name"] = name
        allowed = {
            "hidden",
            "activation",
            "output_activation",
            "kernel_initializer",
            "batchnorm",
            "dropout",
            "name",
        }
        builder = build_mlp
    unknown = set(overrides) - allowed
    if unknown:
        raise TypeError(
            f"build({name!r}) does not take {sorted(unknown)}; it takes {sorted(allowed)}."
        )
    kwargs.update(overrides)
    return builder(**kwargs)


# --------------------------------------------------------------------------- counting by hand


def dense_params(n_in: int, n_out: int) -> int:
    """Weights ``n_in * n_out`` plus one bias per output unit: ``(n_in + 1) * n_out``."""
    return (n_in + 1) * n_out


def batchnorm_params(units: int) -> dict:
    """BatchNormalization over ``units`` features: gamma, beta, moving mean, moving variance."""
    return dict(trainable=2 * units, non_trainable=2 * units, total=4 * units)


def count_params(layer_sizes, batchnorm=False) -> dict:
    """Parameters of an MLP with the given widths (input first), counted by hand.

    ``layer_sizes``: e.g. ``[784, 300, 100, 10]``. ``batchnorm=True`` puts a
    BatchNormalization after every hidden layer (not after the output), as the flagship
    does. Dropout and Flatten add nothing. Returns
    ``dict(trainable=..., non_trainable=..., total=...)``.
    """
    sizes = _check_layer_sizes(layer_sizes)
    trainable = sum(dense_params(a, b) for a, b in itertools.pairwise(sizes))
    non_trainable = 0
    if batchnorm:
        for units in sizes[1:-1]:
            bn = batchnorm_params(units)
            trainable += bn["trainable"]
            non_trainable += bn["non_trainable"]
    return dict(trainable=trainable, non_trainable=non_trainable, total=trainable + non_trainable)


def layer_table(layer_sizes, batchnorm=False, dropout=False):
    """The hand count layer by layer, as a pandas DataFrame (one row per Keras layer).

    Columns: ``layer`` (named as :func:`build_mlp` names it), ``type``, ``output``
    (width), ``formula``, ``trainable``, ``non_trainable``, ``total``. ``dropout=True``
    adds the (zero-parameter) Dropout rows, so the table lines up with ``model.summary()``
    of a model with Dropout. The last row, ``total``, sums the columns.
    """
    import pandas as pd

    sizes = _check_layer_sizes(layer_sizes)
    rows = [("flatten", "Flatten", sizes[0], "no parameters", 0, 0)]
    n_dense = len(sizes) - 1
    for i, (a, b) in enumerate(itertools.pairwise(sizes), start=1):
        is_output = i == n_dense
        rows.append(
            (
                "output" if is_output else f"hidden_{i}",
                "Dense",
                b,
                f"({a} + 1) x {b}",
                dense_params(a, b),
                0,
            )
        )
        if is_output:
            break
        if batchnorm:
            bn = batchnorm_params(b)
            rows.append(
                (
                    f"batchnorm_{i}",
                    "BatchNormalization",
                    b,
                    f"4 x {b}",
                    bn["trainable"],
                    bn["non_trainable"],
                )
            )
        if dropout:
            rows.append((f"dropout_{i}", "Dropout", b, "no parameters", 0, 0))
    rows = [(*row, row[-2] + row[-1]) for row in rows]
    rows.append(("total", "", "", "", *(sum(row[i] for row in rows) for i in (4, 5, 6))))
    columns = ["layer", "type", "output", "formula", "trainable", "non_trainable", "total"]
    return pd.DataFrame(rows, columns=columns)


def keras_layer_table(model):
    """The same columns as :func:`layer_table`, read from a built Keras model's weights."""
    import pandas as pd

    rows = []
    for layer in model.layers:
        trainable = sum(int(w.numpy().size) for w in layer.trainable_weights)
        non_trainable = sum(int(w.numpy().size) for w in layer.non_trainable_weights)
        rows.append(
            (
                layer.name,
                type(layer).__name__,
                int(layer.output.shape[-1]),
                trainable,
                non_trainable,
                trainable + non_trainable,
            )
        )
    rows.append(("total", "", "", *(sum(row[i] for row in rows) for i in (3, 4, 5))))
    return pd.DataFrame(
        rows, columns=["layer", "type", "output", "trainable", "non_trainable", "total"]
    )


def keras_counts(model) -> dict:
    """Keras's own counts: trainable, non-trainable and ``model.count_params()``."""
    trainable = sum(int(w.numpy().size) for w in model.trainable_weights)
    non_trainable = sum(int(w.numpy().size) for w in model.non_trainable_weights)
    return dict(trainable=trainable, non_trainable=non_trainable, total=int(model.count_params()))


# --------------------------------------------------------------------------- cost


def cost(layer_sizes, batchnorm=False, n_images=60_000):
    """What an MLP costs: memory of its weights and arithmetic per image and per epoch.

    The one FLOP rule of the series (derived in notebook 03, used by 03 and 05):

    * **forward**: one multiply-add per weight, ``sum(in * out)`` over the Dense layers;
      biases, activations and BatchNorm add a few operations per unit, well under 1% here,
      and are left out;
    * **backward**: per Dense layer, the weight gradient ``x^T delta`` (one multiply-add per
      weight) and the gradient for the layer below, ``delta W^T`` (one more), except in the
      first layer: the gradient with respect to the input pixels is never needed, so its
      ``delta W^T`` is skipped. Backward = ``2 * forward - in_1 * out_1``.

    Returns a dict with

    * ``params`` and ``weight_bytes``: every parameter (trainable or not) as float32;
    * ``mult_adds_per_image`` (forward), ``backward_mult_adds_per_image`` and
      ``train_mult_adds_per_image`` (forward + backward, one training step per image);
    * ``flops_per_image`` (forward) and ``train_flops_per_image``: 2 FLOPs per multiply-add;
    * ``activation_bytes_per_image``: float32 outputs of every layer for one image (what
      training keeps for the backward pass);
    * ``n_images`` and ``flops_per_epoch``: ``n_images`` training steps' worth of FLOPs.
    """
    sizes = _check_layer_sizes(layer_sizes)
    if isinstance(n_images, bool) or not isinstance(n_images, Integral) or n_images < 1:
        raise ValueError(f"n_images must be a positive whole number, got {n_images!r}.")
    counts = count_params(sizes, batchnorm=batchnorm)
    forward = sum(a * b for a, b in itertools.pairwise(sizes))
    first_layer = sizes[0] * sizes[1]
    backward = 2 * forward - first_layer  # no gradient with respect to the input pixels
    train = forward + backward
    return dict(
        params=counts["total"],
        weight_bytes=counts["total"] * BYTES_PER_FLOAT32,
        mult_adds_per_image=forward,
        backward_mult_adds_per_image=backward,
        train_mult_adds_per_image=train,
        flops_per_image=2 * forward,
        train_flops_per_image=2 * train,
        activation_bytes_per_image=sum(sizes) * BYTES_PER_FLOAT32,
        n_images=int(n_images),
        flops_per_epoch=2 * train * int(n_images),
    )


def cost_table(names: Sequence[str] | None = None, n_images=60_000):
    """:func:`cost` for several named architectures (default: all), one row each."""
    import pandas as pd

    names = list(ARCHITECTURES) if names is None else list(names)
    rows = []
    for name in names:
        spec = _spec(name)
        c = cost(layer_sizes(name), batchnorm=spec.get("batchnorm", False), n_images=n_images)
        rows.append(
            dict(
                architecture=name,
                params=c["params"],
                weights_KB=c["weight_bytes"] / 1024,
                mult_adds_per_image=c["mult_adds_per_image"],
                MFLOP_per_image=c["flops_per_image"] / 1e6,
                train_MFLOP_per_image=c["train_flops_per_image"] / 1e6,
                GFLOP_per_epoch=c["flops_per_epoch"] / 1e9,
            )
        )
    return pd.DataFrame(rows).set_index("architecture")


def summary_text(model) -> str:
    """What ``model.summary()`` prints, as one string."""
    lines: list[str] = []
    # In Jupyter, the rich console Keras prints with also sends empty display outputs;
    # IPython's capture_output swallows them (outside IPython there are none to swallow).
    try:
        from IPython.utils.capture import capture_output
    except ImportError:  # pragma: no cover - IPython comes with Jupyter
        capture_output = contextlib.nullcontext
    with capture_output():
        model.summary(print_fn=lambda text, line_break=False: lines.append(text))
    return "\n".join(lines)


def summary_counts(model) -> dict:
    """The three totals at the bottom of ``model.summary()``, read from its text."""
    text = summary_text(model)
    found = {}
    for key, label in [
        ("total", "Total"),
        ("trainable", "Trainable"),
        ("non_trainable", "Non-trainable"),
    ]:
        match = re.search(rf"^\s*{label} params:\s*([\d,]+)", text, re.MULTILINE)
        if match is None:
            raise ValueError(f"could not find '{label} params' in the model summary:\n{text}")
        found[key] = int(match.group(1).replace(",", ""))
    return dict(
        trainable=found["trainable"], non_trainable=found["non_trainable"], total=found["total"]
    )


# --------------------------------------------------------------------------- convolutional nets
# (notebook 09) A CNN is described by its convolution blocks, not by a list of widths, so the
# CNNs live in their own table: the MLP tools above (layer_sizes, count_params, cost_table)
# stay what they are. build() knows both tables.

#: Every convolutional architecture of the series. ``conv``: filters of each block
#: (Conv2D ``kernel`` x ``kernel``, no padding, ReLU, then 2x2 MaxPooling); ``dense``: widths
#: of the hidden Dense layers after Flatten; ``dropout``: rate after each hidden Dense layer.
CNN_ARCHITECTURES: dict[str, dict] = {
    "cnn": dict(
        conv=(32, 64),
        kernel=3,
        dense=(128,),
        dropout=0.5,
        batchnorm=False,
        description=(
            "conv 32 (3x3) - pool - conv 64 (3x3) - pool - dense 128 - dropout 0.5 - 10: "
            "the series' CNN"
        ),
    ),
    "cnn_small": dict(
        conv=(8, 16),
        kernel=3,
        dense=(32,),
        dropout=0.0,
        batchnorm=False,
        description="conv 8 - pool - conv 16 - pool - dense 32 - 10: a tiny CNN for quick demos",
    ),
    "cnn_bn": dict(
        conv=(32, 64),
        kernel=3,
        dense=(128,),
        dropout=0.5,
        batchnorm=True,
        description="the series' CNN with BatchNormalization after each convolution",
    ),
    "cnn_deep": dict(
        conv=(32, 64),
        kernel=3,
        dense=(128,),
        dropout=0.5,
        batchnorm=True,
        convs_per_block=2,
        description=(
            "two conv 32 (3x3) + BatchNorm - pool - two conv 64 (3x3) + BatchNorm - pool - "
            "dense 128 - dropout 0.5 - 10: the series' CNN one convolution deeper per block"
        ),
    ),
}

#: Images enter a CNN as height x width x channels: one grey channel.
IMAGE_SHAPE = (28, 28, 1)


def _check_cnn(
    conv, kernel, dense, convs_per_block=1
) -> tuple[tuple[int, ...], int, tuple[int, ...], int]:
    filters = _check_hidden(conv)
    if not filters:
        raise ValueError("a CNN needs at least one convolution block, e.g. conv=(32, 64).")
    if isinstance(kernel, bool) or not isinstance(kernel, Integral) or kernel < 1:
        raise ValueError(f"kernel must be a positive whole number like 3, got {kernel!r}.")
    if (
        isinstance(convs_per_block, bool)
        or not isinstance(convs_per_block, Integral)
        or convs_per_block < 1
    ):
        raise ValueError(
            f"convs_per_block must be a positive whole number like 1 or 2, got {convs_per_block!r}."
        )
    widths = _check_hidden(dense) if dense else ()
    side = INPUT_SHAPE[0]
    for i, _ in enumerate(filters, start=1):
        side = (side - convs_per_block * (kernel - 1)) // 2
        if side < 1:
            raise ValueError(
                f"conv block {i} leaves no pixels: {len(filters)} blocks of {convs_per_block} "
                f"{kernel}x{kernel} convolution(s) and 2x2 pooling shrink 28x28 to nothing; use "
                "fewer blocks or a smaller kernel."
            )
    return filters, int(kernel), widths, int(convs_per_block)


def _conv_names(block: int, convs_per_block: int) -> list[str]:
    """``conv_1`` for a block of one convolution; ``conv_1a``, ``conv_1b``, ... for more."""
    if convs_per_block == 1:
        return [f"_{block}"]
    return [f"_{block}{chr(ord('a') + j)}" for j in range(convs_per_block)]


def build_cnn(
    conv=(32, 64),
    kernel=3,
    dense=(128,),
    dropout=0.5,
    batchnorm=False,
    convs_per_block=1,
    name=None,
):
    """An uncompiled CNN for 28x28 images: Reshape to 28x28x1, then per block
    ``convs_per_block`` times Conv2D(filters, kernel x kernel, no padding, ReLU) ->
    [BatchNormalization], then MaxPooling2D(2x2); then Flatten -> per hidden width Dense (ReLU) -> [Dropout] -> Dense 10
    softmax. It takes the same (n, 28, 28) images as the MLPs.

    Layers are named ``channels``, ``conv_1``, ``batchnorm_1``, ``pool_1``, ...,
    ``flatten``, ``hidden_1``, ``dropout_1``, ..., ``output``; with two convolutions per
    block ``conv_1a``, ``batchnorm_1a``, ``conv_1b``, ... .
    """
    import keras
    from keras import layers

    filters, kernel, widths, per_block = _check_cnn(conv, kernel, dense, convs_per_block)
    rates = _dropout_rates(dropout or None, len(widths))
    stack = [
        keras.Input(shape=INPUT_SHAPE, name="image"),
        layers.Reshape(IMAGE_SHAPE, name="channels"),
    ]
    for i, f in enumerate(filters, start=1):
        for tag in _conv_names(i, per_block):
            stack.append(layers.Conv2D(f, kernel, activation="relu", name=f"conv{tag}"))
            if batchnorm:
                stack.append(layers.BatchNormalization(name=f"batchnorm{tag}"))
        stack.append(layers.MaxPooling2D(2, name=f"pool_{i}"))
    stack.append(layers.Flatten(name="flatten"))
    for i, (width, rate) in enumerate(zip(widths, rates, strict=True), start=1):
        stack.append(layers.Dense(width, activation="relu", name=f"hidden_{i}"))
        if rate > 0:
            stack.append(layers.Dropout(rate, name=f"dropout_{i}"))
    stack.append(layers.Dense(N_CLASSES, activation="softmax", name="output"))
    return keras.Sequential(stack, name=name)


def _build_named_cnn(name: str, **overrides):
    spec = {k: v for k, v in CNN_ARCHITECTURES[name].items() if k != "description"}
    unknown = set(overrides) - {*spec, "name"}
    if unknown:
        raise TypeError(
            f"build({name!r}) does not take {sorted(unknown)}; it takes {sorted({*spec, 'name'})}."
        )
    return build_cnn(**{**spec, "name": name, **overrides})


def conv2d_params(kernel: int, channels_in: int, filters: int) -> int:
    """One ``kernel x kernel x channels_in`` weight block plus one bias per filter:
    ``(kernel * kernel * channels_in + 1) * filters``. The image size does not appear: the
    same weights slide over every position (weight sharing)."""
    return (kernel * kernel * channels_in + 1) * filters


def cnn_layer_table(name: str | None = None, **spec):
    """The hand count of a CNN layer by layer (a pandas DataFrame, one row per Keras layer):
    ``layer``, ``type``, ``output`` (shape after the layer, e.g. ``26x26x32``),
    ``formula``, ``trainable``, ``non_trainable``, ``total``; the last row sums them.

    Give a name of :data:`CNN_ARCHITECTURES` or the keyword arguments of :func:`build_cnn`.
    Shapes: a ``k x k`` convolution without padding gives ``(side - k + 1)``; 2x2 pooling
    halves the side (rounding down); Reshape, MaxPooling, Flatten and Dropout have no
    parameters.
    """
    import pandas as pd

    if name is not None:
        if name not in CNN_ARCHITECTURES:
            raise KeyError(f"no CNN named {name!r}; choose one of {sorted(CNN_ARCHITECTURES)}.")
        spec = {**CNN_ARCHITECTURES[name], **spec}
    filters, kernel, widths, per_block = _check_cnn(
        spec.get("conv", (32, 64)),
        spec.get("kernel", 3),
        spec.get("dense", (128,)),
        spec.get("convs_per_block", 1),
    )
    rates = _dropout_rates(spec.get("dropout", 0.5) or None, len(widths))
    batchnorm = spec.get("batchnorm", False)
    side, channels = INPUT_SHAPE[0], 1
    rows = [("channels", "Reshape", f"{side}x{side}x1", "no parameters", 0, 0)]
    for i, f in enumerate(filters, start=1):
        for tag in _conv_names(i, per_block):
            formula = f"({kernel}x{kernel}x{channels} + 1) x {f}"
            side, p = side - kernel + 1, conv2d_params(kernel, channels, f)
            channels = f
            rows.append((f"conv{tag}", "Conv2D", f"{side}x{side}x{f}", formula, p, 0))
            if batchnorm:
                bn = batchnorm_params(f)
                rows.append(
                    (f"batchnorm{tag}", "BatchNormalization", f"{side}x{side}x{f}", f"4 x {f}",
                     bn["trainable"], bn["non_trainable"])
                )  # fmt: skip
        side //= 2
        rows.append((f"pool_{i}", "MaxPooling2D", f"{side}x{side}x{f}", "no parameters", 0, 0))
    width = side * side * channels
    rows.append(("flatten", "Flatten", str(width), "no parameters", 0, 0))
    for i, (w, rate) in enumerate(zip(widths, rates, strict=True), start=1):
        formula = f"({width} + 1) x {w}"
        rows.append((f"hidden_{i}", "Dense", str(w), formula, dense_params(width, w), 0))
        width = w
        if rate > 0:
            rows.append((f"dropout_{i}", "Dropout", str(w), "no parameters", 0, 0))
    rows.append(("output", "Dense", str(N_CLASSES), f"({width} + 1) x {N_CLASSES}",
                 dense_params(width, N_CLASSES), 0))  # fmt: skip
    rows = [(*row, row[-2] + row[-1]) for row in rows]
    rows.append(("total", "", "", "", *(sum(row[i] for row in rows) for i in (4, 5, 6))))
    columns = ["layer", "type", "output", "formula", "trainable", "non_trainable", "total"]
    return pd.DataFrame(rows, columns=columns)


def cnn_count_params(name: str | None = None, **spec) -> dict:
    """``dict(trainable=..., non_trainable=..., total=...)`` of a CNN, counted by hand
    (:func:`cnn_layer_table`'s last row)."""
    total = cnn_layer_table(name, **spec).iloc[-1]
    return {k: int(total[k]) for k in ("trainable", "non_trainable", "total")}


def cnn_mult_adds(name: str | None = None, **spec) -> dict:
    """Multiply-adds of one forward pass, by layer kind: a convolution does
    ``kernel * kernel * channels_in`` of them for every output position and filter
    (``out_side**2 * filters * kernel**2 * channels_in``); a Dense layer ``in * out``.
    Returns ``dict(conv=..., dense=..., total=...)``."""
    if name is not None:
        spec = {**CNN_ARCHITECTURES[name], **spec}
    filters, kernel, widths, per_block = _check_cnn(
        spec.get("conv", (32, 64)),
        spec.get("kernel", 3),
        spec.get("dense", (128,)),
        spec.get("convs_per_block", 1),
    )
    side, channels, conv = INPUT_SHAPE[0], 1, 0
    for f in filters:
        for _ in range(per_block):
            side = side - kernel + 1
            conv += side * side * f * kernel * kernel * channels
            channels = f
        side //= 2
    sizes = [side * side * channels, *widths, N_CLASSES]
    dense = sum(a * b for a, b in itertools.pairwise(sizes))
    return dict(conv=conv, dense=dense, total=conv + dense)


def conv2d_by_hand(image, kernels, bias):
    """A convolution layer in NumPy, as Keras's ``Conv2D`` computes it (no padding, stride 1).

    ``image``: (height, width, channels_in); ``kernels``: (k, k, channels_in, filters), the
    layout of Keras's ``Conv2D.kernel``; ``bias``: (filters,). Output pixel (i, j) of filter
    f is ``bias[f] + sum over u, v, c of image[i + u, j + v, c] * kernels[u, v, c, f]``: the
    kernel laid over the k x k patch whose top-left corner is (i, j). The loop runs over the
    k * k kernel offsets; each step adds one shifted copy of the image for all (i, j) at once.
    """
    import numpy as np

    image, kernels = np.asarray(image, dtype=np.float64), np.asarray(kernels, dtype=np.float64)
    k = kernels.shape[0]
    out_h, out_w = image.shape[0] - k + 1, image.shape[1] - k + 1
    out = np.zeros((out_h, out_w, kernels.shape[-1])) + np.asarray(bias, dtype=np.float64)
    for u in range(k):
        for v in range(k):
            out += image[u : u + out_h, v : v + out_w, :] @ kernels[u, v]  # channels -> filters
    return out


def max_pool_by_hand(maps, size: int = 2):
    """2x2 max pooling in NumPy: the largest value of each non-overlapping size x size
    block (a leftover row or column is dropped, as Keras's MaxPooling2D does)."""
    import numpy as np

    maps = np.asarray(maps)
    h, w = maps.shape[0] // size * size, maps.shape[1] // size * size
    blocks = maps[:h, :w].reshape(h // size, size, w // size, size, *maps.shape[2:])
    return blocks.max(axis=(1, 3))
