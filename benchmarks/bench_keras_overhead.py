"""Where Keras loses to the NumPy net: a fixed cost per training step, measured by batch size.

    python -m benchmarks.bench_keras_overhead            # full: 60,000 images, 3 rounds
    python -m benchmarks.bench_keras_overhead --quick    # 6,000 images, 1 round (scratch/)

Issue 14 asks that Keras train notebook 05's net (784-256-128-10 ReLU, SGD with momentum)
no slower per epoch than the NumPy net at the same batch size. ``bench_numpy_mlp.py``
measures it at batch 128 only. This script times **one epoch of each at several batch
sizes**, interleaved (every round times every task once, so a change in the machine's load
hits them alike), and fits, for each library separately,

    seconds per epoch = per_step x steps + per_image x images,

by least squares over the batch sizes (steps = images / batch). ``per_step`` is what a
training step costs whatever its size (Python and framework dispatch, kernel launches,
the optimiser's bookkeeping); ``per_image`` is the arithmetic. If Keras's per_image is no
worse than NumPy's but its per_step is larger, then its extra time is a fixed cost per step,
and a large enough batch hides it: the file records the smallest batch size at which
Keras's median epoch is no slower than NumPy's.

Keras runs with ``steps_per_execution=32`` (as notebooks 06 and 08 do) on tensors converted
once, twice: as the notebooks compile it, and with XLA (``jit_compile=True``: TensorFlow
compiles each training step into one fused program). NumPy runs with its default BLAS
threads. Keras's epochs come at two speeds in one process (some use only about one of the
two cores); ``keras_slowest_over_fastest`` records the spread per batch size. Nothing is
trained to convergence: the weights after each timed epoch are thrown away. Results: ``benchmarks/results/keras_overhead.json``
(``--quick``: ``benchmarks/scratch/``). Timings are measured, never asserted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # runnable as a plain script from anywhere
    sys.path.insert(0, str(ROOT))

from helpers import config, quiet  # noqa: E402
from helpers.results import write_atomic  # noqa: E402

LAYERS = [784, 256, 128, 10]
BATCHES = (64, 128, 256, 512, 1024)
RESULTS_FILE = config.RESULTS_DIR / "keras_overhead.json"


def fit_costs(batches, seconds, n_images) -> dict:
    """Least squares ``seconds = per_step * steps + per_image * n_images`` over the batch
    sizes (steps rounded up, as an epoch's last batch may be smaller)."""
    steps = np.array([-(-n_images // b) for b in batches], dtype=float)
    design = np.column_stack([steps, np.full(len(steps), float(n_images))])
    (per_step, per_image), *_ = np.linalg.lstsq(design, np.asarray(seconds, float), rcond=None)
    predicted = design @ np.array([per_step, per_image])
    return dict(
        per_step_ms=round(float(1000 * per_step), 4),
        per_image_us=round(float(1e6 * per_image), 4),
        largest_misfit_percent=round(
            float(np.max(np.abs(predicted - seconds) / np.asarray(seconds))) * 100, 1
        ),
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="6,000 images, 1 round, scratch/")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--onednn",
        action="store_true",
        help="TensorFlow with oneDNN (the series turns it off for reproducible sums); "
        "written to keras_overhead_onednn.json",
    )
    args = parser.parse_args(argv)
    if args.onednn:
        os.environ["TF_ENABLE_ONEDNN_OPTS"] = "1"  # before TensorFlow is imported
    quiet.import_tensorflow()
    import keras
    import tensorflow as tf

    from helpers import data, results
    from helpers.numpy_nn import MLP

    (x, y), _ = data.load_mnist(verbose=False)
    n = 6_000 if args.quick else len(x)
    rounds = 1 if args.quick else args.rounds
    x = (x[:n].reshape(n, -1) / 255.0).astype("float32")
    y = y[:n].astype("int64")

    net = MLP(LAYERS, seed=0)
    keras.utils.set_random_seed(0)

    def keras_net(jit_compile: bool):
        keras.utils.set_random_seed(0)
        model = keras.Sequential(
            [keras.Input((784,)), keras.layers.Dense(256, activation="relu"),
             keras.layers.Dense(128, activation="relu"), keras.layers.Dense(10, activation="softmax")]
        )  # fmt: skip
        model.compile(
            optimizer=keras.optimizers.SGD(0.01, momentum=0.9),
            loss="sparse_categorical_crossentropy",
            steps_per_execution=32,
            jit_compile=jit_compile,
        )
        return model

    models = {"keras": keras_net(False), "keras_xla": keras_net(True)}
    x_tf, y_tf = tf.constant(x), tf.constant(y)

    def numpy_epoch(batch):
        start = time.perf_counter()
        net.fit(x, y, epochs=1, batch_size=batch, lr=0.01, optimizer="momentum",
                momentum=0.9, verbose=0)  # fmt: skip
        return time.perf_counter() - start

    def keras_epoch(batch, lib="keras"):
        start = time.perf_counter()
        models[lib].fit(x_tf, y_tf, batch_size=batch, epochs=1, verbose=0, shuffle=True)
        return time.perf_counter() - start

    libraries = ("numpy", "keras", "keras_xla")
    for batch in BATCHES:  # warm-up: Keras traces (and XLA compiles) one function per batch size
        keras_epoch(batch)
        keras_epoch(batch, "keras_xla")
        numpy_epoch(batch)
    load_start = os.getloadavg()[0]
    cpu_start = time.process_time()
    wall_start = time.perf_counter()
    times = {lib: {b: [] for b in BATCHES} for lib in libraries}
    for r in range(rounds):
        for batch in BATCHES:
            times["numpy"][batch].append(numpy_epoch(batch))
            times["keras"][batch].append(keras_epoch(batch))
            times["keras_xla"][batch].append(keras_epoch(batch, "keras_xla"))
        print(f"round {r + 1}/{rounds} done", flush=True)
    wall = time.perf_counter() - wall_start
    medians = {lib: {b: float(np.median(v)) for b, v in t.items()} for lib, t in times.items()}
    by_batch = [
        dict(
            batch=b,
            numpy_seconds=round(medians["numpy"][b], 3),
            keras_seconds=round(medians["keras"][b], 3),
            keras_over_numpy=round(medians["keras"][b] / medians["numpy"][b], 3),
            keras_xla_seconds=round(medians["keras_xla"][b], 3),
            keras_xla_over_numpy=round(medians["keras_xla"][b] / medians["numpy"][b], 3),
            keras_slowest_over_fastest=round(max(times["keras"][b]) / min(times["keras"][b]), 2),
            keras_xla_slowest_over_fastest=round(
                max(times["keras_xla"][b]) / min(times["keras_xla"][b]), 2
            ),
        )
        for b in BATCHES
    ]
    costs = {lib: fit_costs(BATCHES, [medians[lib][b] for b in BATCHES], n) for lib in medians}
    keras_no_slower = [
        row["batch"]
        for row in by_batch
        if min(row["keras_over_numpy"], row["keras_xla_over_numpy"]) <= 1.0
    ]
    payload = dict(
        measured=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        command="python -m benchmarks.bench_keras_overhead" + (" --quick" if args.quick else ""),
        machine=results.machine(),
        load_average_start=round(load_start, 2),
        load_average_end=round(os.getloadavg()[0], 2),
        busy=os.getloadavg()[0] > (os.cpu_count() or 1) + 0.5,
        process_cpu_share=round((time.process_time() - cpu_start) / wall, 2),
        net="-".join(map(str, LAYERS)) + " ReLU, softmax; SGD momentum 0.9",
        images=n,
        rounds=rounds,
        keras="steps_per_execution=32, tensors converted once, shuffled each epoch; "
        "keras_xla: the same with jit_compile=True",
        tf_enable_onednn_opts=os.environ.get("TF_ENABLE_ONEDNN_OPTS"),
        by_batch=by_batch,
        fitted_costs=costs,
        smallest_batch_keras_no_slower=min(keras_no_slower) if keras_no_slower else None,
        readme=[
            dict(
                quantity="Keras / NumPy seconds per epoch, notebook 05's net, batches "
                f"{BATCHES[0]}-{BATCHES[-1]}"
                + (" (TensorFlow with oneDNN)" if args.onednn else ""),
                value=f"{min(r['keras_over_numpy'] for r in by_batch):.2f}-"
                f"{max(r['keras_over_numpy'] for r in by_batch):.2f}",
                unit="x",
                note=f"with XLA (jit_compile=True) "
                f"{min(r['keras_xla_over_numpy'] for r in by_batch):.2f}-"
                f"{max(r['keras_xla_over_numpy'] for r in by_batch):.2f}x; "
                f"fitted: Keras {costs['keras']['per_step_ms']:.2f} ms per step + "
                f"{costs['keras']['per_image_us']:.1f} us per image, with XLA "
                f"{costs['keras_xla']['per_step_ms']:.2f} ms + "
                f"{costs['keras_xla']['per_image_us']:.1f} us, NumPy "
                f"{costs['numpy']['per_step_ms']:.2f} ms + {costs['numpy']['per_image_us']:.1f} us"
                f"; load {load_start:.1f}",
            )
        ],
        raw_seconds={
            lib: {str(b): [round(s, 4) for s in v] for b, v in t.items()}
            for lib, t in times.items()
        },
    )
    name = RESULTS_FILE.stem + ("_onednn" if args.onednn else "") + ".json"
    folder = RESULTS_FILE.parent if not args.quick else ROOT / "benchmarks" / "scratch"
    target = folder / name
    target.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(target, json.dumps(payload, indent=1) + "\n")
    for row in by_batch:
        print(row)
    print(costs)
    print("smallest batch where Keras is no slower:", payload["smallest_batch_keras_no_slower"])
    print("->", target.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
