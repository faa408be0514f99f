"""The chosen CNN recipe against what the CPU can do: epoch time ÷ arithmetic limit, per option.

    flock /tmp/heavy.lock nice python -m benchmarks.bench_cnn_limit           # <= 15 min
    python -m benchmarks.bench_cnn_limit --quick     # a few steps per option (scratch/)

Issue 24's first target: an epoch of ``cnn_deep_augmented`` (notebook 09's chosen CNN:
:data:`helpers.augment.RECIPES`) within 2x of its *arithmetic limit*, measured in the same
run. This script measures, in one run:

1. **The epoch's arithmetic**, counted from the Keras model's own layers
   (:func:`training_mult_adds`): every Conv2D and Dense layer does ``macs`` multiply-adds
   per image forward; backpropagation does the same number again for the gradient of the
   weights and again for the gradient of the layer's input, except for the first layer
   with weights (nothing below it needs a gradient). FLOPs = 2 x multiply-adds; BatchNorm,
   ReLU, pooling and the optimiser's element-wise work are not counted (they are memory
   traffic, not products).
2. **The CPU's attainable GFLOP/s for exactly those products** (:func:`probe_kernels`): each
   layer's forward convolution/matmul and its two backward products
   (``Conv2DBackpropInput``, ``Conv2DBackpropFilter``; ``dy @ W.T``, ``x.T @ dy``) at the
   recipe's batch size, each timed alone (best of a few repeats), in every option's
   process. The **limit** of an epoch is its FLOPs at the best rate any of these kernels
   reached in this run (``limit_seconds``); the **kernel floor** is the sum of each
   kernel's best time over the processes that probed (small convolutions run below the
   best rate; it includes the first layer's input gradient, which training never computes).
   Only options with ``probe=True`` probe (the series' setting, oneDNN on, :data:`CHOSEN`).
3. **The epoch time of each option**, on shortened epochs: the recipe's model, optimiser
   and schedule, in a fresh process per option (oneDNN and thread pools are fixed when
   TensorFlow starts), one ``fit`` of a first (tracing) epoch and then ``reps`` timed epochs
   of ``steps`` steps, each epoch timed from its start to its end by a callback, scaled to
   the 50,000 fit images (``epoch_seconds``, training steps only). What ``fit`` does after
   its last epoch is reported apart (``after_fit_seconds``): timing whole ``fit`` calls of
   a few steps, as this script did before, counted the autotuned input pipeline's teardown
   (4.2-4.4 s after a 4-epoch fit in the series' setting, 0.002 s with autotuning off). Options: oneDNN off (the series' setting) and on; thread
   pools; ``tf.data`` autotuning off (Keras feeds arrays through ``prefetch(AUTOTUNE)``,
   in which epochs of the same option ran at two speeds in this session's probes);
   the augmentation in ``tf.data`` instead of inside the model; a **fused BatchNorm**
   (:func:`fused_batchnorm_class`: one ``FusedBatchNormV3`` op where Keras 3 runs a dozen
   reductions and element-wise ops and their gradients); XLA (``jit_compile``); Keras's JAX backend (when ``jax`` can be imported, e.g.
   ``PYTHONPATH`` to a ``pip install --target`` folder given by ``--jax-path``); batch size
   (per-image time and the fixed cost per step by least squares). Options named
   "NAME, again" repeat NAME in a new process: ``repeatability`` says whether the seeded
   training repeated bit for bit.
4. **Where the time goes**: a profile of one step (augmentation, forward, forward +
   backward, the whole step) in the series' setting, and a TensorFlow profiler trace of one
   epoch (:func:`op_profile`) of the series' setting and of the chosen one, the thread time
   grouped by kind of op (convolutions, dense products, BatchNorm, pooling, augmentation,
   element-wise).

Results: ``benchmarks/results/cnn_limit.json`` (``--quick``: ``benchmarks/scratch/``), with
every option's epoch seconds, limit seconds and ratio, the chosen option (:data:`CHOSEN`
over whole epochs, else over short ones, else the fastest) under ``cnn_limit_ratio``, the machine and the load average before and after. Timings are
measured, never asserted in tests.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # runnable as a plain script from anywhere
    sys.path.insert(0, str(ROOT))

from helpers import config  # noqa: E402
from helpers.results import write_atomic  # noqa: E402

RESULTS_FILE = config.RESULTS_DIR / "cnn_limit.json"
SCRATCH = ROOT / "benchmarks" / "scratch"
RECIPE = "cnn_deep_augmented"
N_FIT = 50_000  # images in one training epoch of the series' split
MARK = "RESULT-JSON "
WORKER_TIMEOUT = 240  # seconds per option: the whole script stays within about 15 min


# --------------------------------------------------------------------------- counting


def _flat_layers(model):
    """The layers of ``model`` with nested models (the augmentation block, the CNN inside
    an augmented model) opened up, in order."""
    for layer in model.layers:
        if hasattr(layer, "layers"):
            yield from _flat_layers(layer)
        else:
            yield layer


def layer_mult_adds(model, input_shape=None) -> list[dict]:
    """One row per Conv2D / Dense layer of ``model``: ``name``, ``kind``, ``input`` and
    ``output`` shapes (without the batch), ``macs`` (multiply-adds per image, forward).

    The shapes are walked layer by layer with ``compute_output_shape`` from
    ``input_shape`` (default: the model's input). A Conv2D does ``kh * kw * c_in``
    multiply-adds for every output position and filter; a Dense layer ``in * units`` for
    every position of its input (one, after Flatten)."""
    from keras import layers

    shape = tuple(input_shape or model.inputs[0].shape[1:])
    shape = (None, *shape)
    rows = []
    for layer in _flat_layers(model):
        out = tuple(layer.compute_output_shape(shape))
        if isinstance(layer, layers.Conv2D):
            kh, kw = layer.kernel_size
            positions = out[1] * out[2]
            macs = positions * out[3] * kh * kw * shape[-1]
            rows.append(
                dict(
                    name=layer.name,
                    kind="conv",
                    input=shape[1:],
                    output=out[1:],
                    kernel=(kh, kw, shape[-1], out[3]),
                    macs=int(macs),
                )
            )
        elif isinstance(layer, layers.Dense):
            positions = math.prod(shape[1:-1]) if len(shape) > 2 else 1
            macs = positions * shape[-1] * layer.units
            rows.append(
                dict(
                    name=layer.name,
                    kind="dense",
                    input=shape[1:],
                    output=out[1:],
                    kernel=(shape[-1], layer.units),
                    macs=int(macs),
                )
            )
        elif (
            layer.weights
            and any(w.trainable for w in layer.weights)
            and not isinstance(layer, layers.BatchNormalization)
        ):
            raise ValueError(
                f"layer {layer.name!r} ({type(layer).__name__}) has weights this count does "
                "not know; add its multiply-adds to layer_mult_adds."
            )
        shape = out
    return rows


def training_mult_adds(model, input_shape=None) -> dict:
    """Multiply-adds per image of one training step of ``model``: ``forward``,
    ``grad_weights`` (the same as forward: every product is redone with the output
    gradient to get the weights' gradient) and ``grad_inputs`` (the same again, except for
    the first layer with weights, whose input needs no gradient), and ``total``."""
    rows = layer_mult_adds(model, input_shape)
    forward = sum(r["macs"] for r in rows)
    grad_inputs = forward - (rows[0]["macs"] if rows else 0)
    total = forward + forward + grad_inputs
    return dict(forward=forward, grad_weights=forward, grad_inputs=grad_inputs, total=total)


# --------------------------------------------------------------------------- worker side


def _best_seconds(fn, repeats: int = 5, calls: int = 3) -> float:
    fn()  # warm-up (first call allocates, picks algorithms)
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            out = fn()
        _ = np.asarray(out).ravel()[:1]  # the result exists (eager TF is synchronous anyway)
        best = min(best, (time.perf_counter() - start) / calls)
    return best


def probe_kernels(rows: list[dict], batch: int, repeats: int = 5) -> list[dict]:
    """Time every product of a training step alone at ``batch`` images (TensorFlow ops):
    forward, gradient of the input, gradient of the weights, for each row of
    :func:`layer_mult_adds`. Returns rows with ``seconds`` (best of ``repeats``) and
    ``gflops``."""
    import tensorflow as tf

    rng = np.random.default_rng(0)
    out = []
    for r in rows:
        flops = 2.0 * r["macs"] * batch
        if r["kind"] == "conv":
            kh, kw, cin, cout = r["kernel"]
            x = tf.constant(rng.standard_normal((batch, *r["input"])).astype("float32"))
            w = tf.constant(rng.standard_normal((kh, kw, cin, cout)).astype("float32"))
            dy = tf.constant(rng.standard_normal((batch, *r["output"])).astype("float32"))
            kernels = {
                "forward": lambda x=x, w=w: tf.nn.conv2d(x, w, 1, "VALID"),
                "grad_inputs": lambda x=x, w=w, dy=dy: tf.raw_ops.Conv2DBackpropInput(
                    input_sizes=tf.shape(x),
                    filter=w,
                    out_backprop=dy,
                    strides=[1, 1, 1, 1],
                    padding="VALID",
                ),
                "grad_weights": lambda x=x, w=w, dy=dy: tf.raw_ops.Conv2DBackpropFilter(
                    input=x,
                    filter_sizes=tf.shape(w),
                    out_backprop=dy,
                    strides=[1, 1, 1, 1],
                    padding="VALID",
                ),
            }
        else:
            n_in, units = r["kernel"]
            x = tf.constant(rng.standard_normal((batch, n_in)).astype("float32"))
            w = tf.constant(rng.standard_normal((n_in, units)).astype("float32"))
            dy = tf.constant(rng.standard_normal((batch, units)).astype("float32"))
            kernels = {
                "forward": lambda x=x, w=w: tf.matmul(x, w),
                "grad_inputs": lambda w=w, dy=dy: tf.matmul(dy, w, transpose_b=True),
                "grad_weights": lambda x=x, dy=dy: tf.matmul(x, dy, transpose_a=True),
            }
        for direction, fn in kernels.items():
            seconds = _best_seconds(fn, repeats)
            out.append(
                dict(
                    layer=r["name"],
                    direction=direction,
                    seconds=seconds,
                    gflops=flops / seconds / 1e9,
                )
            )
    return out


def _big_matmul_gflops(n: int = 1024) -> float:
    """A large square float32 matmul: the CPU's dense rate, for context."""
    import tensorflow as tf

    a = tf.random.stateless_normal((n, n), seed=(1, 2))
    b = tf.random.stateless_normal((n, n), seed=(3, 4))
    return 2.0 * n**3 / _best_seconds(lambda: tf.matmul(a, b), 5, 2) / 1e9


def fused_batchnorm_class():
    """A ``keras.layers.BatchNormalization`` whose training pass on TensorFlow is one fused
    op (``FusedBatchNormV3``, and ``FusedBatchNormGradV3`` backwards) instead of Keras 3's
    composite of reductions and element-wise ops. Same function, same variables, same
    moving-average update (Keras keeps the *biased* batch variance; the fused op returns
    the unbiased one, so it is scaled back by (n - 1) / n); inference is Keras's own code.
    ``tests/test_benchmarks.py`` checks outputs, gradients and moving statistics against
    Keras's layer."""
    import keras
    import tensorflow as tf

    class FusedBatchNormalization(keras.layers.BatchNormalization):
        def call(self, inputs, training=None, mask=None):
            plain = (
                keras.backend.backend() != "tensorflow"
                or not (self.center and self.scale)
                or not (training and self.trainable)
                or mask is not None
                or len(inputs.shape) != 4
                or list(self._reduction_axes) != [0, 1, 2]
                or getattr(self, "renorm", False)  # Keras >= 3.11; older has no renorm
                or self.synchronized
            )
            if plain:
                return super().call(inputs, training=training, mask=mask)
            x = tf.cast(inputs, "float32")
            y, mean, variance = tf.compat.v1.nn.fused_batch_norm(
                x,
                tf.convert_to_tensor(self.gamma),
                tf.convert_to_tensor(self.beta),
                epsilon=self.epsilon,
                is_training=True,
            )
            n = tf.cast(tf.reduce_prod(tf.shape(x)[:-1]), "float32")
            variance = variance * (n - 1.0) / n
            m = self.momentum
            self.moving_mean.assign(self.moving_mean * m + mean * (1.0 - m))
            self.moving_variance.assign(self.moving_variance * m + variance * (1.0 - m))
            return tf.cast(y, self.compute_dtype)

    return FusedBatchNormalization


def _build_cnn(opt: dict, augmented: bool):
    """The recipe's model (with its augmentation block when ``augmented``), with fused
    BatchNorm layers when ``opt['fused_bn']``."""
    import keras

    from helpers import augment, models

    recipe = augment.RECIPES[RECIPE]
    original = keras.layers.BatchNormalization
    if opt.get("fused_bn"):  # helpers.models builds with keras.layers.BatchNormalization
        keras.layers.BatchNormalization = fused_batchnorm_class()
    try:
        if augmented:
            return augment.build(recipe, seed=0)
        keras.utils.set_random_seed(0)
        return models.build(recipe.architecture, **dict(recipe.build_kwargs))
    finally:
        keras.layers.BatchNormalization = original


def _raw_tf_augment(images, seed: int = 0):
    """The recipe's augmentation written with TensorFlow ops alone (one random affine map
    per image: shift, rotation, zoom within :data:`helpers.augment.DEFAULTS`, zero fill), for
    ``tf.data`` under Keras's JAX backend, where Keras's own layers do not run inside a
    ``tf.data`` graph. The same kind and amount of work as the layers; not the same draws."""
    import tensorflow as tf

    from helpers.augment import DEFAULTS

    n = tf.shape(images)[0]
    side = 28.0
    draws = iter(range(4))

    def draw(top):  # op-level seeds: no generator state to create inside tf.data's graph
        return tf.random.uniform([n], -top, top, seed=seed * 4 + next(draws))

    angle = draw(DEFAULTS["rotation_degrees"] * math.pi / 180)
    zoom = 1.0 + draw(DEFAULTS["zoom"])
    dx, dy = draw(DEFAULTS["shift"] * side), draw(DEFAULTS["shift"] * side)
    cos, sin = tf.cos(angle) / zoom, tf.sin(angle) / zoom
    c = (side - 1) / 2
    # output pixel (x, y) reads input (a0 x + a1 y + a2, b0 x + b1 y + b2)
    a2 = c - cos * c + sin * c - dx
    b2 = c - sin * c - cos * c - dy
    zeros = tf.zeros_like(cos)
    transforms = tf.stack([cos, -sin, a2, sin, cos, b2, zeros, zeros], axis=1)
    out = tf.raw_ops.ImageProjectiveTransformV3(
        images=images[..., None],
        transforms=transforms,
        output_shape=[28, 28],
        fill_value=0.0,
        interpolation="BILINEAR",
        fill_mode="CONSTANT",
    )
    return out[..., 0]


def _model_and_data(opt: dict, x, y):
    """The recipe's model (augmentation inside, or outside in tf.data), compiled as the
    series compiles it (plus ``jit_compile`` when the option asks), and what ``fit`` gets.

    ``opt['autotune'] is False``: the data come as a ``tf.data`` pipeline with autotuning
    off (Keras's own pipeline for arrays uses ``prefetch(AUTOTUNE)``, whose tuning thread
    can take one of two cores for whole epochs)."""
    import keras
    import tensorflow as tf

    from helpers import augment, training

    recipe = augment.RECIPES[RECIPE]
    batch = opt["batch"]
    autotune = opt.get("autotune", True)
    if opt["aug"] == "model" and autotune:
        model = _build_cnn(opt, augmented=True)
        data = dict(x=x, y=y, batch_size=batch)
    else:
        ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(batch)
        if opt["aug"] == "model":
            model = _build_cnn(opt, augmented=True)
        else:
            model = _build_cnn(opt, augmented=False)
            if keras.backend.backend() == "tensorflow":
                block = augment.augmentation(seed=0)

                def aug(xb, yb):
                    return block(xb[..., None], training=True)[..., 0], yb

            else:

                def aug(xb, yb):
                    return _raw_tf_augment(xb), yb

            ds = ds.map(aug, num_parallel_calls=tf.data.AUTOTUNE if autotune else 1)
        ds = ds.prefetch(tf.data.AUTOTUNE if autotune else 2)
        if not autotune:
            options = tf.data.Options()
            options.autotune.enabled = False
            ds = ds.with_options(options)
        data = dict(x=ds)
    steps = -(-N_FIT // batch)
    schedule = training.warmup_cosine(
        recipe.learning_rate, recipe.epochs, recipe.warmup_epochs, steps
    )
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=schedule),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        steps_per_execution=recipe.steps_per_execution,
        # the JAX backend always compiles its step (eager JAX is not a fair option)
        jit_compile=True if keras.backend.backend() == "jax" else bool(opt.get("xla")),
    )
    return model, data


class _EpochClock:
    """Wall time of every epoch (begin to end) and of the whole ``fit`` call."""

    def __init__(self):
        import keras

        clock = self

        class Callback(keras.callbacks.Callback):
            def on_epoch_begin(self, epoch, logs=None):
                clock.begin = time.perf_counter()

            def on_epoch_end(self, epoch, logs=None):
                clock.epochs.append(time.perf_counter() - clock.begin)
                clock.losses.append(float(logs["loss"]))

            def on_train_end(self, logs=None):
                clock.train_end = time.perf_counter()

        self.callback = Callback()
        self.epochs, self.losses = [], []


def _time_fit(opt: dict, x_all, y_all) -> dict:
    """One ``fit`` of ``opt['reps'] + 1`` short epochs of ``opt['steps']`` steps each, at
    ``opt['batch']``; every epoch timed from its start to its end by a callback. The first
    epoch traces and compiles the step and is not counted. What ``fit`` does after its last
    epoch (tearing its input pipeline down) is reported apart as ``after_fit_seconds``:
    it happens once per ``fit``, not once per epoch."""
    batch, steps, reps = opt["batch"], opt["steps"], opt["reps"]
    n = batch * steps
    x, y = x_all[:n], y_all[:n]
    model, data = _model_and_data(opt, x, y)
    clock = _EpochClock()
    start = time.perf_counter()
    model.fit(**data, epochs=reps + 1, verbose=0, shuffle=False, callbacks=[clock.callback])
    end = time.perf_counter()
    per_step = [seconds / steps for seconds in clock.epochs[1:]]
    return dict(
        model=model,
        per_step=per_step,
        losses=clock.losses,
        first_epoch_seconds=clock.epochs[0],
        after_fit_seconds=end - clock.train_end,
        fit_seconds=end - start,
    )


#: How :func:`op_profile` groups TensorFlow's ops (by the op type in the trace).
OP_GROUPS = (
    ("convolution products", ("Conv2D",)),
    ("dense products", ("MatMul",)),
    ("BatchNorm, fused", ("FusedBatchNorm",)),
    ("pooling", ("MaxPool",)),
    ("augmentation", ("ImageProjectiveTransform",)),
    (
        "element-wise and reductions (unfused BatchNorm, Adam, ReLU, dropout, loss)",
        (
            "Mul",
            "Sub",
            "Add",
            "RealDiv",
            "Div",
            "Sum",
            "Mean",
            "BroadcastTo",
            "SquaredDifference",
            "Square",
            "Sqrt",
            "Rsqrt",
            "ReluGrad",
            "Relu",
            "Maximum",
            "Minimum",
            "Neg",
            "Exp",
            "Log",
            "Softmax",
            "Select",
            "Cast",
            "Greater",
            "Less",
            "Equal",
            "Pow",
            "Tile",
            "Reshape",
            "Transpose",
            "Fill",
            "ZerosLike",
            "OnesLike",
            "Sign",
            "StatelessRandom",
            "RandomUniform",
            "Argmax",
            "ArgMax",
        ),
    ),
)


def op_profile(model, data, steps: int) -> dict:
    """Where one epoch's compute time goes, by op group (TensorFlow profiler trace of one
    ``fit`` epoch of ``steps`` steps): milliseconds per step of thread time in each
    :data:`OP_GROUPS` group (summed over TensorFlow's compute and ``tf.data`` threads; two
    cores give at most 2 x the wall time), the rest as "other ops", and the wall time per
    step while traced. Parsed from the trace's XPlane protobuf (no TensorBoard needed)."""
    import glob

    import tensorflow as tf
    from tensorflow.tsl.profiler.protobuf import xplane_pb2

    with tempfile.TemporaryDirectory() as logdir:
        tf.profiler.experimental.start(logdir)
        start = time.perf_counter()
        model.fit(**data, epochs=1, verbose=0, shuffle=False)
        wall = time.perf_counter() - start
        tf.profiler.experimental.stop()
        space = xplane_pb2.XSpace()
        path = sorted(glob.glob(f"{logdir}/**/*.xplane.pb", recursive=True))[-1]
        space.ParseFromString(Path(path).read_bytes())
    groups = {name: 0.0 for name, _ in OP_GROUPS}
    other: dict[str, float] = {}
    for plane in space.planes:
        if plane.name != "/host:CPU":
            continue
        names = {k: v.name for k, v in plane.event_metadata.items()}
        for line in plane.lines:
            if not line.name.startswith(("tf_Compute", "tf_data_private_threadpool")):
                continue
            for event in line.events:
                op = names.get(event.metadata_id, "?").split(":")[-1]
                if op in ("Process", "ExecutorDoneCallback", "?"):
                    continue  # the executor's wrapper around every op, and its callbacks
                seconds = event.duration_ps / 1e12
                for name, keys in OP_GROUPS:
                    if any(k in op for k in keys):
                        groups[name] += seconds
                        break
                else:
                    other[op] = other.get(op, 0.0) + seconds
    ms = {k: 1e3 * v / steps for k, v in groups.items()}
    ms["other ops"] = 1e3 * sum(other.values()) / steps
    top_other = sorted(other.items(), key=lambda kv: -kv[1])[:8]
    return dict(
        thread_ms_per_step=ms,
        thread_ms_per_step_total=sum(ms.values()),
        wall_ms_per_step_traced=1e3 * wall / steps,
        largest_other_ops_ms_per_step={k: 1e3 * v / steps for k, v in top_other},
    )


def _profile(batch: int, x, y, reps: int = 10) -> dict:
    """Seconds per batch of the parts of a training step (augmentation block alone, the
    CNN's forward pass in training mode, forward + backward), each a ``tf.function``."""
    import keras
    import tensorflow as tf

    from helpers import augment, models

    recipe = augment.RECIPES[RECIPE]
    keras.utils.set_random_seed(0)
    cnn = models.build(recipe.architecture, **dict(recipe.build_kwargs))
    block = augment.augmentation(seed=0)
    loss_fn = keras.losses.SparseCategoricalCrossentropy()
    xb = tf.constant(x[:batch])
    yb = tf.constant(y[:batch])

    @tf.function
    def aug():
        return block(xb[..., None], training=True)

    @tf.function
    def forward():
        return cnn(xb, training=True)

    @tf.function
    def backward():
        with tf.GradientTape() as tape:
            loss = loss_fn(yb, cnn(xb, training=True))
        return tape.gradient(loss, cnn.trainable_variables)

    return {
        "augmentation": _best_seconds(lambda: aug(), reps, 3),
        "forward (training mode)": _best_seconds(lambda: forward(), reps, 3),
        "forward + backward": _best_seconds(lambda: backward()[0], reps, 3),
    }


def worker(opt: dict) -> dict:
    """One option in this (fresh) process; the environment was set by the parent."""
    from helpers import quiet

    quiet.import_tensorflow()
    import keras
    import tensorflow as tf

    if opt.get("intra") is not None:
        tf.config.threading.set_intra_op_parallelism_threads(opt["intra"])
    if opt.get("inter") is not None:
        tf.config.threading.set_inter_op_parallelism_threads(opt["inter"])
    from helpers import augment, split

    sets = split.load_split(verbose=False)
    x_all, y_all = sets.x_fit.astype("float32"), sets.y_fit
    result = {"backend": keras.backend.backend(), "tensorflow": tf.__version__}
    if keras.backend.backend() == "jax":
        import jax

        result["jax"] = jax.__version__
    recipe = augment.RECIPES[RECIPE]
    cnn = augment.build(recipe, seed=0)
    rows = layer_mult_adds(cnn)
    result["mult_adds"] = training_mult_adds(cnn)
    if opt.get("probe"):
        result["probe"] = probe_kernels(rows, opt["batch"], repeats=opt.get("probe_repeats", 5))
        result["big_matmul_gflops"] = _big_matmul_gflops()
    batches = opt.get("batches") or [opt["batch"]]
    result["timings"] = {}
    for b in batches:
        o = {**opt, "batch": b}
        if len(batches) > 1:  # the sweep: the same number of images per batch size
            o["steps"] = max(16, 16 * round(opt["images"] / b / 16))
        try:
            t = _time_fit(o, x_all, y_all)
        except Exception as exc:  # an option that does not run is a result too
            result["timings"][str(b)] = {"error": f"{type(exc).__name__}: {exc}"[:600]}
            continue
        result["timings"][str(b)] = {
            # Keras silently falls back to no compilation for a model it cannot compile
            "jit_compile_effective": bool(getattr(t["model"], "jit_compile", False)),
            "steps": o["steps"],
            "per_step_seconds": t["per_step"],
            "losses": t["losses"],
            "first_epoch_seconds": t["first_epoch_seconds"],
            "after_fit_seconds": t["after_fit_seconds"],
        }
        if opt.get("weights_out") and b == opt["batch"]:
            weights = [np.asarray(w) for w in t["model"].get_weights()]
            np.savez(opt["weights_out"], *weights)
        if opt.get("op_profile") and b == opt["batch"]:
            model, data = _model_and_data(o, x_all[: b * o["steps"]], y_all[: b * o["steps"]])
            model.fit(**data, epochs=1, verbose=0, shuffle=False)  # traces the step
            result["op_profile"] = op_profile(model, data, o["steps"])
    if opt.get("profile"):
        result["profile"] = _profile(opt["batch"], x_all, y_all)
    return result


# --------------------------------------------------------------------------- parent side


#: The fastest combination found (issue 24): oneDNN on, fused BatchNorm, the augmentation in
#: ``tf.data`` with autotuning off.
CHOSEN = "oneDNN on + fused BatchNorm + augmentation in tf.data, autotune off"


def options(quick: bool) -> list[dict]:
    """Every option, one process each (name, environment, settings). Each is timed over
    ``reps`` epochs of ``steps`` steps after a first (tracing) epoch; an option named
    "NAME, again" repeats NAME in a new process to see whether training repeats bit for bit."""
    steps, reps = (16, 1) if quick else (48, 3)
    base = dict(batch=128, steps=steps, reps=reps, aug="model", probe=False, onednn=False)
    tfdata_off = dict(aug="tfdata", autotune=False)
    opts = [
        dict(
            base,
            name="series (oneDNN off)",
            probe=True,
            profile=True,
            op_profile=True,
            weights=True,
        ),
        dict(base, name="series (oneDNN off), again", weights=True),
        dict(base, name="tf.data autotune off", autotune=False),
        dict(base, name="threads: intra 2, inter 1", intra=2, inter=1),
        dict(base, name="threads: intra 1, inter 1", intra=1, inter=1),
        dict(base, name="augmentation in tf.data", aug="tfdata"),
        dict(base, name="augmentation in tf.data, autotune off", **tfdata_off),
        dict(
            base,
            name="fused BatchNorm + augmentation in tf.data, autotune off",
            fused_bn=True,
            **tfdata_off,
        ),
        dict(base, name="oneDNN on", onednn=True, probe=True, weights=True),
        dict(base, name="oneDNN on, again", onednn=True, weights=True),
        dict(base, name="oneDNN on + augmentation in tf.data", aug="tfdata", onednn=True),
        dict(
            base,
            name="oneDNN on + augmentation in tf.data, autotune off",
            onednn=True,
            **tfdata_off,
        ),
        dict(
            base,
            name=CHOSEN,
            probe=True,
            onednn=True,
            fused_bn=True,
            op_profile=True,
            weights=True,
            **tfdata_off,
        ),
        dict(base, name=f"{CHOSEN}, again", onednn=True, fused_bn=True, weights=True, **tfdata_off),
        dict(
            base,
            name="XLA (jit_compile) + augmentation in tf.data, autotune off",
            xla=True,
            reps=2,
            **tfdata_off,
        ),
        # whole epochs (390 steps, 49,920 images) of the two that matter
        dict(base, name="series (oneDNN off), full epochs", steps=N_FIT // 128, reps=1),
        dict(
            base,
            name=f"{CHOSEN}, full epochs",
            steps=N_FIT // 128,
            reps=1,
            onednn=True,
            fused_bn=True,
            **tfdata_off,
        ),
        dict(
            base,
            name="batch sweep (oneDNN off)",
            batches=[64, 256, 512],
            images=6144,
            reps=2 if not quick else 1,
        ),
        dict(base, name="Keras JAX backend (augmentation in the model)", backend="jax", reps=2),
        dict(
            base,
            name="Keras JAX backend (augmentation in tf.data, autotune off)",
            backend="jax",
            reps=2 if not quick else 1,
            **tfdata_off,
        ),
    ]
    return opts


def run_option(opt: dict, tmp: Path, jax_path: str | None) -> dict:
    env = dict(os.environ)
    env["TF_ENABLE_ONEDNN_OPTS"] = "1" if opt.get("onednn") else "0"
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    env["PYTHONPATH"] = str(ROOT)
    if opt.get("backend") == "jax":
        if not jax_path:
            return {"error": "not run: no --jax-path given (jax is not in the venv)"}
        env["KERAS_BACKEND"] = "jax"
        env["PYTHONPATH"] = f"{ROOT}{os.pathsep}{jax_path}"
    spec = dict(opt)
    if opt.get("weights"):
        spec["weights_out"] = str(tmp / f"weights_{abs(hash(opt['name']))}.npz")
    start = time.perf_counter()
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "benchmarks.bench_cnn_limit", "--worker", json.dumps(spec)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=WORKER_TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        return {"error": f"stopped after {WORKER_TIMEOUT} s (the time budget of one option)"}
    wall = time.perf_counter() - start
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith(MARK)]
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-6:]
        return {"error": f"exit {proc.returncode}: " + " | ".join(tail)[:800], "wall": wall}
    out = json.loads(lines[-1][len(MARK) :])
    out["wall_seconds"] = wall
    if spec.get("weights_out"):
        out["weights_file"] = spec["weights_out"]
    return out


def _max_weight_difference(a: str, b: str) -> float:
    with np.load(a) as fa, np.load(b) as fb:
        return max(float(np.max(np.abs(fa[k] - fb[k]))) for k in fa.files)


def fixed_step_cost(sweep: dict) -> dict | None:
    """Least squares ``seconds per step = per_step + per_image * batch`` over the batch
    sizes (median of each size's repeats)."""
    pts = [
        (int(b), float(np.median(t["per_step_seconds"])))
        for b, t in sweep.items()
        if "per_step_seconds" in t
    ]
    if len(pts) < 2:
        return None
    b, s = np.array(pts, dtype=float).T
    (fixed, per_image), *_ = np.linalg.lstsq(np.column_stack([np.ones_like(b), b]), s, rcond=None)
    return dict(per_step_seconds=float(fixed), per_image_seconds=float(per_image))


def summarize(results: dict, flops_per_epoch: float) -> dict:
    """Limit seconds (best probed rate), kernel floor, and each option's epoch and ratio."""
    probes = [p for r in results.values() for p in r.get("probe", [])]
    best_rate = max(p["gflops"] for p in probes) * 1e9
    floor = {}
    for p in probes:
        key = (p["layer"], p["direction"])
        floor[key] = min(floor.get(key, math.inf), p["seconds"])
    batch_probe = 128
    kernel_floor = sum(floor.values()) * N_FIT / batch_probe
    limit = flops_per_epoch / best_rate
    table = {}
    for name, r in results.items():
        for b, t in (r.get("timings") or {}).items():
            key = name if len(r["timings"]) == 1 else f"{name}: batch {b}"
            if "per_step_seconds" not in t:
                table[key] = {"error": t.get("error")}
                continue
            per_step = float(np.median(t["per_step_seconds"]))
            epoch = per_step * -(-N_FIT // int(b))
            table[key] = dict(
                batch=int(b),
                per_step_seconds=per_step,
                per_image_ms=1e3 * per_step / int(b),
                epoch_seconds=epoch,
                limit_seconds=limit,
                ratio=epoch / limit,
                ratio_to_kernel_floor=epoch / kernel_floor,
            )
        if "error" in r and not r.get("timings"):
            table[name] = {"error": r["error"]}
    return dict(
        best_rate_gflops=best_rate / 1e9,
        limit_seconds=limit,
        kernel_floor_seconds=kernel_floor,
        options=table,
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few steps per option (scratch/)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument(
        "--jax-path",
        default=os.environ.get("BENCH_JAX_PATH"),
        help="a folder holding jax (pip install --target), for the JAX option",
    )
    parser.add_argument("--only", help="run only options whose name contains this")
    parser.add_argument(
        "--add",
        action="store_true",
        help="add the options run now to the results file's (same machine; a second run)",
    )
    args = parser.parse_args(argv)
    if args.worker:
        out = worker(json.loads(args.worker))
        print(MARK + json.dumps(out), flush=True)
        return 0

    from helpers import augment, quiet

    quiet.import_tensorflow()
    import keras

    recipe = augment.RECIPES[RECIPE]
    model = augment.build(recipe, seed=0)
    per_image = training_mult_adds(model)
    flops_per_epoch = 2.0 * per_image["total"] * N_FIT
    load_before = os.getloadavg()
    started = time.perf_counter()
    results = {}
    target = RESULTS_FILE if not args.quick else SCRATCH / "cnn_limit.json"
    earlier = json.loads(target.read_text()) if args.add and target.exists() else {}
    opts = [o for o in options(args.quick) if not args.only or args.only in o["name"]]
    if args.add:
        opts = [o for o in opts if o["name"] not in earlier.get("raw", {})]
    with tempfile.TemporaryDirectory() as tmp:
        for opt in opts:
            print(f"[{time.perf_counter() - started:5.0f} s] {opt['name']} ...", flush=True)
            results[opt["name"]] = run_option(opt, Path(tmp), args.jax_path)
            r = results[opt["name"]]
            print(
                "    ",
                r.get("error")
                or {b: t.get("per_step_seconds", t.get("error")) for b, t in r["timings"].items()},
                flush=True,
            )
        repeat = {}
        for name in [n[: -len(", again")] for n in results if n.endswith(", again")]:
            a, b = results.get(name, {}), results.get(f"{name}, again", {})
            if "weights_file" in a and "weights_file" in b:
                diff = _max_weight_difference(a["weights_file"], b["weights_file"])
                la = a["timings"]["128"]["losses"]
                lb = b["timings"]["128"]["losses"]
                repeat[name] = dict(
                    max_abs_weight_difference=diff,
                    bit_identical=diff == 0.0,
                    losses_run_1=la,
                    losses_run_2=lb,
                )
        for r in results.values():
            r.pop("weights_file", None)
            if args.add:
                r["second_run"] = True
    if args.add:  # the first run's options, then this run's
        results = {**earlier.get("raw", {}), **results}
        repeat = {**earlier.get("repeatability", {}), **repeat}
    load_after = os.getloadavg()
    summary = summarize(results, flops_per_epoch)
    ok = {k: v for k, v in summary["options"].items() if "ratio" in v and "batch " not in k}
    fastest = min(ok, key=lambda k: ok[k]["epoch_seconds"])
    # the chosen configuration over whole epochs when they ran, else over short ones
    chosen = next((k for k in (f"{CHOSEN}, full epochs", CHOSEN) if k in ok), fastest)
    series = summary["options"].get("series (oneDNN off)", {})
    sweep = results.get("batch sweep (oneDNN off)", {}).get("timings", {})
    if "series (oneDNN off)" in results:
        sweep = {**sweep, "128": results["series (oneDNN off)"]["timings"]["128"]}
    prof = results.get("series (oneDNN off)", {}).get("profile")
    if prof and series.get("per_step_seconds"):
        kernels_128 = sum(
            p["seconds"] for p in results["series (oneDNN off)"].get("probe", [])
        )  # this process's products alone, at batch 128
        prof = {
            **{k: v for k, v in prof.items()},
            "products alone (probe, oneDNN off)": kernels_128,
            "whole training step (fit)": series["per_step_seconds"],
        }
    out = {
        "measured": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": "flock /tmp/heavy.lock nice python -m benchmarks.bench_cnn_limit"
        + (" --quick" if args.quick else "")
        + (" --jax-path " + "<folder>" if args.jax_path else ""),
        "recipe": recipe.as_dict(),
        "machine": {
            "cpu": _cpu_name(),
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "keras": keras.__version__,
            "tensorflow": __import__("tensorflow").__version__,
            "numpy": np.__version__,
        },
        "load_average_before": list(load_before),
        "load_average_after": list(load_after),
        "script_seconds": time.perf_counter() - started,
        "flops": {
            "mult_adds_per_image": per_image,
            "layers": layer_mult_adds(model),
            "per_epoch": flops_per_epoch,
            "epoch_images": N_FIT,
            "counted": "2 x multiply-adds of Conv2D and Dense layers: forward, weight "
            "gradients, input gradients (not of the first layer); element-wise work not counted",
        },
        **summary,
        "chosen": chosen,
        "fastest": fastest,
        "cnn_limit_ratio": ok[chosen]["ratio"],
        "op_profile": {name: r["op_profile"] for name, r in results.items() if "op_profile" in r},
        "series_ratio": series.get("ratio"),
        "repeatability": repeat,
        "fixed_step_cost": fixed_step_cost(sweep),
        "profile_seconds_per_batch_128": prof,
        "raw": results,
    }
    if args.add:
        out["load_average_before"] = earlier.get("load_average_before")
        out["load_average_after"] = earlier.get("load_average_after")
        out["second_run"] = {
            "measured": out["measured"],
            "load_average_before": list(load_before),
            "load_average_after": list(load_after),
            "options": sorted(o["name"] for o in opts),
            "seconds": out["script_seconds"],
        }
        out["measured"] = earlier.get("measured")
        out["script_seconds"] = earlier.get("script_seconds")
    out["readme"] = readme_quotes(out)
    target.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(target, json.dumps(out, indent=1) + "\n")
    print(
        f"chosen: {chosen}, ratio {out['cnn_limit_ratio']:.2f} "
        f"(limit {summary['limit_seconds']:.1f} s, epoch {ok[chosen]['epoch_seconds']:.1f} s)"
    )
    print(f"wrote {target.relative_to(ROOT)} in {out['script_seconds']:.0f} s")
    return 0


def readme_quotes(out: dict) -> list[dict]:
    """What README's results block quotes from this file (``benchmarks.report``)."""
    opts = out["options"]
    chosen = opts[out["chosen"]]
    series = opts.get("series (oneDNN off), full epochs") or opts.get("series (oneDNN off)", {})
    quotes = [
        dict(
            quantity="CNN epoch / its arithmetic limit, notebook 09's cnn_deep_augmented, "
            f"the benchmark's chosen configuration ({out['chosen']}; the notebooks keep "
            "oneDNN off and Keras's BatchNormalization)",
            value=round(chosen["ratio"], 2),
            unit="x",
            note=f"epoch {chosen['epoch_seconds']:.1f} s, limit {out['limit_seconds']:.1f} s "
            f"({out['flops']['per_epoch'] / 1e12:.2f} TFLOP at the best probed "
            f"{out['best_rate_gflops']:.0f} GFLOP/s); the series' own setting (oneDNN off, "
            "whole epochs when they ran): "
            f"{series.get('ratio', float('nan')):.2f}x; load "
            f"{out['load_average_before'][0]:.1f}",
        )
    ]
    profiles = out.get("op_profile", {})
    prof = profiles.get(out["chosen"]) or profiles.get(CHOSEN)
    if prof:
        ms = prof["thread_ms_per_step"]
        quotes.append(
            dict(
                quantity="Chosen CNN configuration: share of its compute time in convolutions",
                value=round(100 * ms["convolution products"] / prof["thread_ms_per_step_total"]),
                unit="%",
                note=f"{ms['convolution products']:.0f} of "
                f"{prof['thread_ms_per_step_total']:.0f} thread-ms per 128-image step "
                "(TensorFlow profiler trace of one epoch)",
            )
        )
    return quotes


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


if __name__ == "__main__":
    raise SystemExit(main())
