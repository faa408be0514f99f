"""Speed and accuracy of the from-scratch NumPy MLP, against the hardware limit and Keras.

    python benchmarks/bench_numpy_mlp.py            # full MNIST, 15 epochs (a few minutes)
    python benchmarks/bench_numpy_mlp.py --quick    # 5,000 images, 2 epochs: a smoke test

What it measures, all in one run on the same machine:

1. the NumPy net of notebook 04 (784-256-128-10 ReLU (a fixed speed-benchmark recipe, not the one notebook 04 chooses on validation), He init, momentum SGD lr 0.1 decaying
   by 0.85 per epoch, batches of 128) trained on all 60,000 training images: test accuracy
   on the 10,000 test images, seconds per epoch, and the GFLOP/s it achieves, counted from
   its multiply-adds (forward, weight gradients, backward deltas; 2 FLOPs per multiply-add);
2. the hardware limit: plain float32 matrix products with the same total multiply-adds as
   one epoch, (a) as large square products (the best the BLAS does) and (b) with exactly
   the shapes of an epoch's products at this batch size;
3. where an epoch's time goes: an instrumented copy of the training loop that times each
   phase (copying the batch, forward, bookkeeping, backward, update), and a pyinstrument
   profile of one epoch of ``MLP.fit``;
4. the identical Keras net (same layers, same initial weights, same optimiser and schedule,
   same batch size and epochs): test accuracy and seconds per epoch, with Keras's default
   ``steps_per_execution=1`` and with 32 steps per call.

Timings are measured, never asserted; the machine's load average is recorded before and
after, because other processes inflate them. Results go to
``benchmarks/results/numpy_mlp.json`` (with a ``readme`` list that ``benchmarks/report.py``
quotes) and ``numpy_mlp.md``; ``--quick`` writes to ``benchmarks/scratch/`` instead.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # runnable as a plain script from anywhere
    sys.path.insert(0, str(ROOT))

from helpers import config, data  # noqa: E402
from helpers.numpy_nn import MLP  # noqa: E402

LAYERS = [784, 256, 128, 10]
RECIPE = dict(batch_size=128, lr=0.1, optimizer="momentum", momentum=0.9, lr_decay=0.85)


def load_average() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:  # pragma: no cover - not on every platform
        return None


def blas_info() -> list[dict]:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:  # pragma: no cover
        return []
    return [
        {k: info.get(k) for k in ("internal_api", "num_threads", "version", "architecture")}
        for info in threadpool_info()
        if info.get("user_api") == "blas"
    ]


# --------------------------------------------------------------------------- the limit


def epoch_matmul_shapes(layers, n, batch_size):
    """(m, k, n) of every matrix product of one epoch: per batch, forward a @ W, weight
    gradients a.T @ delta, and backward deltas delta @ W.T (not for the first layer)."""
    shapes = []
    pairs = list(itertools.pairwise(layers))
    for first in range(0, n, batch_size):
        b = min(batch_size, n - first)
        for i, o in pairs:
            shapes.append((b, i, o))  # forward
        for layer, (i, o) in enumerate(pairs):
            shapes.append((i, b, o))  # dW = a.T @ delta
            if layer > 0:
                shapes.append((b, o, i))  # delta @ W.T
    return shapes


def time_same_shapes(shapes, repeats=3) -> float:
    """Seconds for all ``shapes`` as plain float32 products into preallocated outputs."""
    rng = np.random.default_rng(0)
    cache = {}
    for m, k, n in set(shapes):
        cache[(m, k, n)] = (
            rng.random((m, k), dtype=np.float32),
            rng.random((k, n), dtype=np.float32),
            np.empty((m, n), dtype=np.float32),
        )
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        for shape in shapes:
            a, b, out = cache[shape]
            np.matmul(a, b, out=out)
        best = min(best, time.perf_counter() - start)
    return best


def time_square(total_macs: float, size=1024, repeats=3) -> tuple[float, float]:
    """Seconds for square float32 products with ``total_macs`` multiply-adds; and GFLOP/s."""
    rng = np.random.default_rng(0)
    a = rng.random((size, size), dtype=np.float32)
    b = rng.random((size, size), dtype=np.float32)
    out = np.empty_like(a)
    count = max(1, round(total_macs / size**3))
    np.matmul(a, b, out=out)  # warm-up
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(count):
            np.matmul(a, b, out=out)
        best = min(best, time.perf_counter() - start)
    gflops = 2 * count * size**3 / best / 1e9
    return total_macs * 2 / (gflops * 1e9), gflops


# --------------------------------------------------------------------------- profiling


def phase_breakdown(net: MLP, x, y, batch_size, lr, momentum, seed=1) -> dict:
    """One epoch of the training loop of ``MLP.fit``, with a timer around each phase."""
    rng = np.random.default_rng(seed)
    params = [p for pair in zip(net.W, net.b, strict=True) for p in pair]
    velocity = [np.zeros_like(p) for p in params]
    phases = dict.fromkeys(["shuffle + copy batch", "forward", "loss + accuracy",
                            "backward", "update"], 0.0)  # fmt: skip
    clock = time.perf_counter
    start_epoch = clock()
    t = clock()
    order = rng.permutation(len(x))
    phases["shuffle + copy batch"] += clock() - t
    for first in range(0, len(x), batch_size):
        t0 = clock()
        idx = order[first : first + batch_size]
        xb, yb = x[idx], y[idx]
        t1 = clock()
        out = net._forward(xb)
        t2 = clock()
        net._loss_from_output(out, yb)
        np.count_nonzero(out.argmax(axis=1) == yb)
        t3 = clock()
        grads = net._backward(yb)
        t4 = clock()
        flat = [g for pair in grads for g in pair]
        net._update(params, flat, "momentum", lr, momentum, 0.9, 0.999, 1e-7, 1, velocity, None)
        t5 = clock()
        phases["shuffle + copy batch"] += t1 - t0
        phases["forward"] += t2 - t1
        phases["loss + accuracy"] += t3 - t2
        phases["backward"] += t4 - t3
        phases["update"] += t5 - t4
    phases["total"] = clock() - start_epoch
    return {k: round(v, 4) for k, v in phases.items()}


def pyinstrument_profile(net: MLP, x, y) -> str | None:
    try:
        from pyinstrument import Profiler
    except ImportError:
        return None
    profiler = Profiler(interval=0.0005)
    profiler.start()
    net.fit(x, y, epochs=1, verbose=0, **{k: v for k, v in RECIPE.items() if k != "lr_decay"})
    profiler.stop()
    text = profiler.output_text(unicode=False, color=False, show_all=False)
    return text.replace(str(ROOT) + os.sep, "")  # no machine paths in the committed file


# --------------------------------------------------------------------------- Keras


def train_keras(initial_weights, x_train, y_train, x_test, y_test, epochs, steps_per_execution):
    from helpers import models, training
    from helpers.quiet import import_tensorflow

    import_tensorflow()
    import keras

    model = models.build_mlp(hidden=tuple(LAYERS[1:-1]), activation="relu")
    model.set_weights(initial_weights)
    steps = -(-len(x_train) // RECIPE["batch_size"])
    schedule = keras.optimizers.schedules.ExponentialDecay(
        RECIPE["lr"], decay_steps=steps, decay_rate=RECIPE["lr_decay"], staircase=True
    )
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=schedule, momentum=RECIPE["momentum"]),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        steps_per_execution=steps_per_execution,
    )
    timer = training.epoch_timer()
    model.fit(
        x_train.reshape(-1, 28, 28),
        y_train,
        batch_size=RECIPE["batch_size"],
        epochs=epochs,
        callbacks=[timer],
        verbose=0,
    )
    seconds = timer.seconds
    accuracy = float(model.evaluate(x_test.reshape(-1, 28, 28), y_test, verbose=0)[1])
    return dict(
        steps_per_execution=steps_per_execution,
        epochs=epochs,
        test_accuracy=accuracy,
        epoch_seconds=[round(s, 3) for s in seconds],
        median_epoch_seconds=round(float(np.median(seconds)), 3),
        median_epoch_seconds_after_first=round(float(np.median(seconds[1:] or seconds)), 3),
    )


# --------------------------------------------------------------------------- report


def markdown(r: dict) -> str:
    np_ = r["numpy"]
    lim = r["limit"]
    lines = [
        f"NumPy MLP benchmark ({r['date']}, {r['machine']['cpus']} CPUs, load average "
        f"{r['load_before']} before / {r['load_after']} after; {r['data']})",
        "",
        f"Net {r['layers']}, batch {r['recipe']['batch_size']}, {np_['epochs']} epochs, "
        f"{np_['gflop_per_epoch']:.1f} GFLOP per epoch (forward + backward).",
        "",
        "| | test accuracy | s / epoch (median) | GFLOP/s |",
        "|---|---|---|---|",
        f"| NumPy (from scratch) | {np_['test_accuracy']:.2%} | {np_['median_epoch_seconds']:.2f}"
        f" | {np_['gflops']:.0f} |",
    ]
    for k in r["keras"]:
        lines.append(
            f"| Keras, steps_per_execution={k['steps_per_execution']} | "
            + (f"{k['test_accuracy']:.2%}" if k["epochs"] == np_["epochs"] else "(timing only)")
            + f" | {k['median_epoch_seconds_after_first']:.2f} | "
            f"{np_['gflop_per_epoch'] / k['median_epoch_seconds_after_first']:.0f} |"
        )
    lines += [
        f"| limit: square {lim['square_size']}x{lim['square_size']} matmuls, same multiply-adds"
        f" | | {lim['square_seconds']:.2f} | {lim['square_gflops']:.0f} |",
        f"| limit: the epoch's own matmul shapes | | {lim['same_shapes_seconds']:.2f} | "
        f"{np_['gflop_per_epoch'] / lim['same_shapes_seconds']:.0f} |",
        "",
        f"NumPy epoch / square-matmul limit: {np_['median_epoch_seconds'] / lim['square_seconds']:.2f}x;"
        f" NumPy epoch / same-shape matmuls: "
        f"{np_['median_epoch_seconds'] / lim['same_shapes_seconds']:.2f}x.",
        "",
        "Where one epoch's time goes (instrumented loop, seconds): "
        + ", ".join(f"{k} {v:.2f}" for k, v in r["phases"].items()),
    ]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=config.FULL_SIZES.epochs_numpy)
    parser.add_argument("--quick", action="store_true", help="5,000 images, 2 epochs, scratch")
    parser.add_argument("--no-keras", action="store_true", help="skip the Keras runs")
    args = parser.parse_args(argv)
    epochs = 2 if args.quick else args.epochs
    out_dir = ROOT / "benchmarks" / ("scratch" if args.quick else "results")

    load_before = load_average()
    limit = 5000 if args.quick else None
    (x_train, y_train), (x_test, y_test) = data.load_mnist(
        normalize_pixels=True, flatten_images=True, limit=limit, test_limit=limit, verbose=True
    )
    source = data.last_source.description if data.last_source else "unknown"
    n = len(x_train)

    # 1. the NumPy net
    net = MLP(LAYERS, activation="relu", init="he", seed=0)
    initial = net.get_weights()
    print(f"NumPy: training {net} for {epochs} epochs ...", flush=True)
    history = net.fit(x_train, y_train, epochs=epochs, verbose=1, **RECIPE)
    accuracy = net.evaluate(x_test, y_test)["accuracy"]
    macs_epoch = net.macs_per_sample() * n
    median = float(np.median(history["seconds"]))
    numpy_result = dict(
        epochs=epochs,
        test_accuracy=accuracy,
        epoch_seconds=[round(s, 3) for s in history["seconds"]],
        median_epoch_seconds=round(median, 3),
        training_seconds=round(float(sum(history["seconds"])), 2),
        macs_per_sample=net.macs_per_sample(),
        gflop_per_epoch=2 * macs_epoch / 1e9,
        gflops=2 * macs_epoch / median / 1e9,
    )

    # 2. the limit, 3. the profile
    print("timing plain matmuls ...", flush=True)
    square_seconds, square_gflops = time_square(macs_epoch)
    shapes = epoch_matmul_shapes(LAYERS, n, RECIPE["batch_size"])
    assert sum(m * k * o for m, k, o in shapes) == macs_epoch
    same_shapes_seconds = time_same_shapes(shapes)
    limit_result = dict(
        square_size=1024,
        square_seconds=round(square_seconds, 3),
        square_gflops=round(square_gflops, 1),
        same_shapes_seconds=round(same_shapes_seconds, 3),
        same_shapes_gflops=round(2 * macs_epoch / same_shapes_seconds / 1e9, 1),
    )
    print("profiling one epoch ...", flush=True)
    phases = phase_breakdown(net.copy(), x_train, y_train, RECIPE["batch_size"], 0.01, 0.9)
    profile = pyinstrument_profile(net.copy(), x_train, y_train)

    # 4. Keras
    keras_results = []
    if not args.no_keras:
        for spe, keras_epochs in [(1, epochs), (32, min(epochs, 3))]:
            print(f"Keras, steps_per_execution={spe}, {keras_epochs} epochs ...", flush=True)
            keras_results.append(
                train_keras(initial, x_train, y_train, x_test, y_test, keras_epochs, spe)
            )

    import tensorflow as tf  # noqa: F401 - only for its version, Keras imported it already

    result = dict(
        date=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        command="python benchmarks/bench_numpy_mlp.py" + (" --quick" if args.quick else ""),
        machine=dict(
            cpus=os.cpu_count(),
            processor=platform.processor() or platform.machine(),
            python=platform.python_version(),
            numpy=np.__version__,
            tensorflow=getattr(sys.modules.get("tensorflow"), "__version__", None),
            blas=blas_info(),
        ),
        data=f"{source}: {n:,} train / {len(x_test):,} test images",
        layers="-".join(map(str, LAYERS)),
        recipe=RECIPE,
        numpy=numpy_result,
        limit=limit_result,
        keras=keras_results,
        phases=phases,
        load_before=load_before,
        load_after=load_average(),
    )
    spe1 = next((k for k in keras_results if k["steps_per_execution"] == 1), None)
    result["readme"] = [
        dict(
            quantity="NumPy MLP 784-256-128-10, test accuracy (speed-benchmark recipe: momentum, lr 0.1)",
            value=round(100 * accuracy, 2),
            unit="%",
            note=f"{epochs} epochs on {n:,} images, seed 0",
        ),
        dict(
            quantity="NumPy MLP, seconds per epoch (median)",
            value=round(median, 2),
            unit="s",
            note=f"batch 128, {numpy_result['gflops']:.0f} GFLOP/s; load avg {load_before}",
        ),
        dict(
            quantity="float32 matmul limit for the same epoch",
            value=round(square_seconds, 2),
            unit="s",
            note=f"{square_gflops:.0f} GFLOP/s on 1024x1024 products, same run",
        ),
    ]
    if spe1 is not None:
        result["readme"].append(
            dict(
                quantity="Keras, same net and batch, seconds per epoch (median after the first)",
                value=spe1["median_epoch_seconds_after_first"],
                unit="s",
                note=f"test accuracy {spe1['test_accuracy']:.2%}",
            )
        )

    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "numpy_mlp.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    text = markdown(result)
    (out_dir / "numpy_mlp.md").write_text(text, encoding="utf-8")
    if profile:
        (out_dir / "numpy_mlp_profile.txt").write_text(profile, encoding="utf-8")
    print("\n" + text)
    print(f"written to {out_dir.relative_to(ROOT)}/numpy_mlp.json, .md, _profile.txt")
    return 0


if __name__ == "__main__":
    sys.exit(main())
