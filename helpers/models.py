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
):
    """An uncompiled MLP for 28x28 images: Flatten, then per hidden layer
    Dense (with ``activation``) -> [BatchNormalization] -> [Dropout], then Dense 10.

    ``hidden``: widths of the hidden layers, e.g. ``(300, 100)``; ``()`` gives a linear
    (softmax-regression) model. ``dropout``: ``None``, one rate for every hidden layer, or
    a tuple with one rate per hidden layer (0 leaves that Dropout out).
    ``output_activation``: ``"softmax"`` for probabilities, ``None`` for raw logits.
    Layers are named ``hidden_1``, ``batchnorm_1``, ``dropout_1``, ..., ``output``.
    """
    import keras
    from keras import layers

    widths = _check_hidden(hidden)
    rates = _dropout_rates(dropout, len(widths))
    stack = [keras.Input(shape=INPUT_SHAPE, name="image"), layers.Flatten(name="flatten")]
    for i, (width, rate) in enumerate(zip(widths, rates, strict=True), start=1):
        stack.append(
            layers.Dense(
                width,
                activation=activation,
                kernel_initializer=kernel_initializer,
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
    BatchNormalization layers, for the ablation of notebook 07.
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

    The one FLOP rule of the series (derived in notebook 03, used by 03 and 04):

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
