"""More than one device: ``tf.distribute.MirroredStrategy`` on logical CPU devices (notebook 09).

A machine without a GPU has one TensorFlow device, ``/CPU:0``. TensorFlow can split it
into several *logical* devices (:func:`use_logical_cpus`), which is how the code path of a
multi-GPU machine can be run, for real, on a laptop: ``MirroredStrategy`` keeps one copy
(replica) of the model on each device, splits every global batch between them, adds up
the gradients of the replicas (an all-reduce) and applies the same update to every copy.

The devices must be configured **before** TensorFlow first uses them (in a notebook: in
the first cell that touches TensorFlow, before any model or tensor exists); afterwards
TensorFlow refuses to change them, and :func:`use_logical_cpus` says so and how to fix it.
"""

from __future__ import annotations

import time

import numpy as np

from helpers import quiet


def use_logical_cpus(n: int = 2) -> list[str]:
    """Split the CPU into ``n`` logical devices; returns their names.

    Must run before TensorFlow initialises its devices. Run again with the same ``n`` it
    changes nothing; with another ``n`` after TensorFlow started it raises a clear error.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive whole number of devices, got {n!r}.")
    quiet.import_tensorflow()
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    wanted = [tf.config.LogicalDeviceConfiguration() for _ in range(n)]
    try:
        tf.config.set_logical_device_configuration(cpu, wanted)
    except RuntimeError:
        have = tf.config.list_logical_devices("CPU")
        if len(have) != n:
            raise RuntimeError(
                f"TensorFlow has already set up its devices ({len(have)} logical CPU), so they "
                f"cannot be split into {n} now: restart the kernel and run this before any "
                "other cell that uses TensorFlow or Keras."
            ) from None
    return [d.name for d in tf.config.list_logical_devices("CPU")]


def mirrored_strategy(n: int = 2):
    """A ``MirroredStrategy`` over the first ``n`` logical CPU devices.

    On CPUs the gradients are added with ``ReductionToOneDevice`` (NCCL, the default
    all-reduce of MirroredStrategy, is for NVIDIA GPUs).
    """
    import tensorflow as tf

    devices = [d.name for d in tf.config.list_logical_devices("CPU")]
    if len(devices) < n:
        raise RuntimeError(
            f"only {len(devices)} logical CPU device(s); call use_logical_cpus({n}) first "
            "(at the top of the notebook, before TensorFlow is used)."
        )
    with quiet.retracing_warnings_hidden():  # TensorFlow's logger: no "INFO ... Using" line
        return tf.distribute.MirroredStrategy(
            devices=devices[:n], cross_device_ops=tf.distribute.ReductionToOneDevice()
        )


def fit_once(build, x, y, global_batch: int, epochs: int, seed: int, strategy=None, lr=1e-3):
    """Build (inside ``strategy.scope()`` when given), compile and fit a model; no shuffling,
    so one device and several see the same batches in the same order.

    ``build``: a function returning an uncompiled Keras model. Returns
    ``dict(loss=[per epoch], seconds=..., replicas=..., per_replica_batch=..., model=...)``.
    """
    import contextlib

    import keras

    keras.utils.set_random_seed(seed)
    scope = strategy.scope() if strategy is not None else contextlib.nullcontext()
    with scope:
        model = build()
        model.compile(
            optimizer=keras.optimizers.Adam(learning_rate=lr),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )
    replicas = strategy.num_replicas_in_sync if strategy is not None else 1
    start = time.perf_counter()
    with quiet.retracing_warnings_hidden():
        history = model.fit(
            np.asarray(x, dtype="float32"),
            np.asarray(y),
            batch_size=global_batch,
            epochs=epochs,
            shuffle=False,
            verbose=0,
        )
    return dict(
        loss=[float(v) for v in history.history["loss"]],
        accuracy=[float(v) for v in history.history["accuracy"]],
        seconds=time.perf_counter() - start,
        replicas=replicas,
        per_replica_batch=global_batch // replicas,
        model=model,
    )
