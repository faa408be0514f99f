"""Speed and accuracy of the from-scratch NumPy MLP, against the hardware limit and Keras.

    python benchmarks/bench_numpy_mlp.py            # full MNIST, 15 epochs, 3 seeds, 5 rounds
    python benchmarks/bench_numpy_mlp.py --quick    # 5,000 images, 2 epochs: a smoke test
    git show REV:helpers/numpy_nn.py > /tmp/old.py  # an older version, timed in the same rounds
    python benchmarks/bench_numpy_mlp.py --before /tmp/old.py --before-label "REV"

What it measures, all in one run on the same machine:

1. accuracy: the NumPy net of notebook 05 (784-256-128-10 ReLU, He init, momentum SGD lr 0.1
   decaying by 0.85 per epoch, batches of 128: a fixed speed-benchmark recipe, not the one
   notebook 05 chooses on validation) trained on all 60,000 training images with several
   seeds, scored on the 10,000 test images (with one BLAS thread, so that a busy machine
   slows it down but cannot stall it; speed is measured separately);
2. speed, in interleaved rounds (every round times each task once, so a change in the
   machine's load hits them all alike): one epoch of the net; the plain float32 matrix
   products with exactly the shapes of that epoch (its own limit) and as large square
   products with the same multiply-adds (the best the BLAS does); the same with one BLAS
   thread; and an older ``numpy_nn.py`` (``--before``). The headline is the median over
   the rounds of epoch / its own matmuls;
3. where an epoch's time goes: an instrumented copy of the training loop that times each
   phase, line timings of ``numpy_nn.py`` (a ``sys.settrace`` tracer) and a pyinstrument
   profile, now and (with ``--before``) before;
4. the identical Keras net (same layers, initial weights, optimiser, schedule and batch):
   test accuracy and seconds per epoch with ``steps_per_execution`` 1 and 32, and with a
   ``tf.data`` pipeline built once; the NumPy net is timed just before and after each Keras
   run, so that their ratio comes from the same few seconds of the machine's life.

Timings are measured, never asserted. The load average before and after and the CPU time
other processes used during the run are recorded; a run during which others used a
quarter of a core or more is marked BUSY (its absolute times are inflated; its ratios, in
the same rounds, are what to read). Results go to ``benchmarks/results/numpy_mlp.json``
(with a ``readme`` list that ``benchmarks/report.py`` quotes), ``numpy_mlp.md`` and
``numpy_mlp_profile.txt``; ``--quick`` writes to ``benchmarks/scratch/`` instead.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import itertools
import json
import linecache
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
from helpers.results import write_atomic  # noqa: E402

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
    """A sampling profile of one epoch of ``MLP.fit`` (which functions take the time)."""
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


def line_timings(net, x, y) -> list[dict]:
    """Wall time of every line of the net's module during one epoch of ``fit``.

    A ``sys.settrace`` tracer charges the time between two line events to the line that
    was running, exclusive of the traced module's own callees (their lines count for
    themselves) and inclusive of everything else they call (NumPy, BLAS). The tracer adds
    about a microsecond per line event, which inflates the cheap lines a little.
    """
    filename = sys.modules[type(net).__module__].__file__
    clock = time.perf_counter
    totals: dict[int, float] = {}
    hits: dict[int, int] = {}
    stack: list = []
    state = {"line": None, "t": 0.0}

    def charge():
        if state["line"] is not None:
            totals[state["line"]] = totals.get(state["line"], 0.0) + clock() - state["t"]

    def local(frame, event, arg):
        charge()
        if event == "line":
            state["line"] = frame.f_lineno
            hits[frame.f_lineno] = hits.get(frame.f_lineno, 0) + 1
        elif event == "return":
            state["line"] = stack.pop() if stack else None
        state["t"] = clock()
        return local

    def enter(frame, event, arg):
        if frame.f_code.co_filename != filename:
            return None
        charge()
        stack.append(state["line"])
        state["line"], state["t"] = None, clock()
        return local

    kwargs = {k: v for k, v in RECIPE.items() if k != "lr_decay"}
    steps = -(-len(x) // kwargs["batch_size"])
    sys.settrace(enter)
    try:
        net.fit(x, y, epochs=1, verbose=0, **kwargs)
    finally:
        sys.settrace(None)
    total = sum(totals.values())
    rows = [
        dict(
            line=line,
            code=linecache.getline(filename, line).strip(),
            ms_per_step=round(1000 * seconds / steps, 4),
            share=round(seconds / total, 4),
            calls_per_step=round(hits[line] / steps, 2),
        )
        for line, seconds in sorted(totals.items(), key=lambda kv: -kv[1])
    ]
    return rows


def line_table(rows, top=18) -> str:
    lines = [f"{'ms/step':>8} {'share':>6} {'calls':>6}  line  code"]
    for r in rows[:top]:
        lines.append(
            f"{r['ms_per_step']:8.3f} {r['share']:6.1%} {r['calls_per_step']:6.1f}  "
            f"{r['line']:4d}  {r['code'][:90]}"
        )
    rest = sum(r["share"] for r in rows[top:])
    lines.append(f"{'':8} {rest:6.1%}          every other line")
    return "\n".join(lines)


def load_module(path: str):
    """Import another version of numpy_nn.py (e.g. the one before a change) as a module."""
    spec = importlib.util.spec_from_file_location("numpy_nn_before", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its line profile looks the file up here
    spec.loader.exec_module(module)
    return module


class CpuMeter:
    """How much CPU other processes used while this one ran (Linux: /proc/stat)."""

    def __init__(self):
        self.start = self._read()

    @staticmethod
    def _read():
        try:
            fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
        except OSError:
            return None
        ticks = [int(f) for f in fields]
        busy = sum(ticks) - ticks[3] - ticks[4]  # all but idle and iowait
        own = os.times()
        return busy / os.sysconf("SC_CLK_TCK"), own.user + own.system, time.perf_counter()

    def others_cores(self) -> float | None:
        """Cores' worth of CPU time used by other processes since the meter started."""
        end = self._read()
        if self.start is None or end is None:
            return None
        busy, own, wall = (b - a for a, b in zip(self.start, end, strict=True))
        return round(max(0.0, busy - own) / wall, 2)


# --------------------------------------------------------------------------- Keras


def train_keras(initial_weights, x_train, y_train, x_test, y_test, epochs, steps_per_execution,
                pipeline="arrays"):  # fmt: skip
    """The identical net in Keras; ``pipeline`` "arrays" hands Keras the NumPy arrays (what
    the notebooks do), "dataset" a ``tf.data`` pipeline built once (cached, shuffled every
    epoch, batched, prefetched)."""
    from helpers import models, training
    from helpers.quiet import import_tensorflow

    import_tensorflow()
    import keras
    import tensorflow as tf

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
    images = x_train.reshape(-1, 28, 28)
    if pipeline == "dataset":
        inputs = dict(
            shuffle=False,  # the pipeline shuffles every epoch itself
            x=tf.data.Dataset.from_tensor_slices((images, y_train))
            .cache()
            .shuffle(len(images), seed=0)
            .batch(RECIPE["batch_size"])
            .prefetch(tf.data.AUTOTUNE),
        )
    else:
        inputs = dict(x=images, y=y_train, batch_size=RECIPE["batch_size"])
    model.fit(**inputs, epochs=epochs, callbacks=[timer], verbose=0)
    seconds = timer.seconds
    accuracy = float(model.evaluate(x_test.reshape(-1, 28, 28), y_test, verbose=0)[1])
    return dict(
        steps_per_execution=steps_per_execution,
        pipeline=pipeline,
        epochs=epochs,
        test_accuracy=accuracy,
        epoch_seconds=[round(s, 3) for s in seconds],
        median_epoch_seconds=round(float(np.median(seconds)), 3),
        median_epoch_seconds_after_first=round(float(np.median(seconds[1:] or seconds)), 3),
    )


# --------------------------------------------------------------------------- measuring


def numpy_epoch(net: MLP, x, y) -> float:
    """Seconds of one training epoch of ``MLP.fit`` with the benchmark's batch and optimiser
    (at a tenth of the rate: the net is trained again and again, and speed does not depend
    on the rate)."""
    kwargs = {k: v for k, v in RECIPE.items() if k != "lr_decay"} | {"lr": RECIPE["lr"] / 10}
    return net.fit(x, y, epochs=1, verbose=0, **kwargs)["seconds"][0]


def blas_threads(n):
    """A context that limits the BLAS to ``n`` threads (None: no limit)."""
    import contextlib

    if n is None:
        return contextlib.nullcontext()
    from threadpoolctl import threadpool_limits

    return threadpool_limits(n, user_api="blas")


def interleaved(tasks: dict, repeats: int) -> dict:
    """Run every task once per round, ``repeats`` rounds, so that a change in the machine's
    load hits them all alike; returns each task's list of seconds."""
    times = {name: [] for name in tasks}
    for _ in range(repeats):
        for name, task in tasks.items():
            times[name].append(round(task(), 4))
    return times


def summary(values) -> dict:
    values = np.asarray(values, dtype=float)
    return dict(median=round(float(np.median(values)), 3), min=round(float(values.min()), 3),
                max=round(float(values.max()), 3))  # fmt: skip


# --------------------------------------------------------------------------- report


def markdown(r: dict) -> str:
    acc = r["numpy"]
    t = r["timing"]
    lim = r["limit"]
    busy = r["busy"]
    state = (
        f"BUSY machine: other processes used {busy['others_cores']} cores on average during the run"
        if busy["busy"]
        else f"quiet machine: other processes used {busy['others_cores']} cores on average"
    )
    lines = [
        f"NumPy MLP benchmark ({r['date']}, {r['machine']['cpus']} CPUs, BLAS threads "
        f"{sorted({b['num_threads'] for b in r['machine']['blas']}) or '?'}, {state}; load average "
        f"{r['load_before']} before / {r['load_after']} after; {r['data']})",
        "",
        f"Net {r['layers']}, batch {r['recipe']['batch_size']}, "
        f"{acc['gflop_per_epoch']:.1f} GFLOP per epoch (forward + backward). Timings: median "
        f"of {r['repeats']} interleaved rounds (min-max), every row measured in the same rounds.",
        "",
        "| | s / epoch, median (min-max) | GFLOP/s | x its own matmuls |",
        "|---|---|---|---|",
    ]
    gf = acc["gflop_per_epoch"]

    def row(name, s, ratio=None):
        ratio_text = (
            ""
            if ratio is None
            else f"{ratio['median']:.2f}x ({ratio['min']:.2f}-{ratio['max']:.2f})"
        )
        return f"| {name} | {s['median']:.3f} ({s['min']:.3f}-{s['max']:.3f}) | {gf / s['median']:.0f} | {ratio_text} |"

    lines.append(row("NumPy net (helpers/numpy_nn.py)", t["numpy_epoch"], t["ratio"]))
    if "before_epoch" in t:
        lines.append(
            row(f"NumPy net before ({r['before']['label']})", t["before_epoch"], t["before_ratio"])
        )
    if "numpy_epoch_1_thread" in t:
        lines.append(
            row("NumPy net, 1 BLAS thread", t["numpy_epoch_1_thread"], t["ratio_1_thread"])
        )
    lines.append(row("limit: the epoch's own matmul shapes", t["same_shapes"]))
    if "same_shapes_1_thread" in t:
        lines.append(
            row("limit: the epoch's own matmul shapes, 1 BLAS thread", t["same_shapes_1_thread"])
        )
    lines.append(
        row(
            f"limit: square {lim['square_size']}x{lim['square_size']} matmuls, same multiply-adds",
            t["square"],
        )
    )
    lines += [
        "",
        f"NumPy epoch / its own matmuls: **{t['ratio']['median']:.2f}x** (median of the per-round "
        f"ratios; target 2x)"
        + (f"; before: {t['before_ratio']['median']:.2f}x" if "before_ratio" in t else "")
        + ".",
        "",
        f"Accuracy: {len(acc['seeds'])} seeds x {acc['epochs']} epochs on all training images, test accuracy "
        f"{acc['test_accuracy_mean']:.2%} (seeds: {', '.join(f'{a:.2%}' for a in acc['test_accuracy'])}).",
    ]
    if r["keras"]:
        lines += [
            "",
            "Keras, the same net, weights, optimiser, schedule and batch; NumPy timed just before and "
            "after each Keras run:",
            "",
            "| Keras | epochs | test accuracy | Keras s / epoch (median after the first) | NumPy s / epoch, same window | Keras / NumPy | Keras / NumPy with 1 BLAS thread |",
            "|---|---|---|---|---|---|---|",
        ]
        for k in r["keras"]:
            lines.append(
                f"| steps_per_execution={k['steps_per_execution']}, {k['pipeline']} | {k['epochs']} | "
                f"{k['test_accuracy']:.2%} | {k['median_epoch_seconds_after_first']:.2f} | "
                f"{k['numpy_same_window']:.2f} | {k['keras_over_numpy']:.2f}x | "
                f"{k['keras_over_numpy_1_thread']:.2f}x |"
            )
    lines += [
        "",
        "Where one epoch's time goes (instrumented loop, seconds): "
        + ", ".join(f"{k} {v:.3f}" for k, v in r["phases"].items()),
    ]
    if "phases_before" in r:
        lines.append("Before: " + ", ".join(f"{k} {v:.3f}" for k, v in r["phases_before"].items()))
    lines += ["", "Line timings and a sampling profile: `numpy_mlp_profile.txt`."]
    return "\n".join(lines) + "\n"


def profile_text(r: dict, lines_now, lines_before, pyinstrument_now) -> str:
    parts = [
        f"Profile of one training epoch of the NumPy MLP ({r['layers']}, batch "
        f"{r['recipe']['batch_size']}), {r['date']}, {r['machine']['cpus']} CPUs, "
        + ("BUSY machine" if r["busy"]["busy"] else "quiet machine")
        + f" (others used {r['busy']['others_cores']} cores; load {r['load_before']}).",
        "Shares are what to read here: on a busy machine every absolute time is inflated.",
        "Written by: " + r["command"],
        "",
    ]
    if lines_before is not None:
        parts += [
            f"== BEFORE ({r['before']['label']}): line timings of numpy_nn.py, one epoch ==",
            line_table(lines_before),
            "",
        ]
    parts += [
        "== NOW: line timings of helpers/numpy_nn.py, one epoch ==",
        line_table(lines_now),
        "",
    ]
    if lines_before is not None and "phases_before" in r:
        parts += ["== phases (instrumented loop, seconds per epoch) ==", "phase: before -> now"]
        for k, v in r["phases"].items():
            parts.append(f"  {k}: {r['phases_before'].get(k, float('nan')):.3f} -> {v:.3f}")
        parts.append("")
    if pyinstrument_now:
        parts += ["== NOW: pyinstrument (sampling) profile of one epoch ==", pyinstrument_now]
    return "\n".join(parts) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=config.FULL_SIZES.epochs_numpy)
    parser.add_argument("--seeds", type=int, default=3, help="seeds of the accuracy runs")
    parser.add_argument("--repeats", type=int, default=5, help="interleaved timing rounds")
    parser.add_argument("--quick", action="store_true", help="5,000 images, 2 epochs, scratch")
    parser.add_argument("--no-keras", action="store_true", help="skip the Keras runs")
    parser.add_argument("--before", metavar="FILE",
                        help="another numpy_nn.py (e.g. `git show REV:helpers/numpy_nn.py`) to time "
                             "and profile in the same rounds")  # fmt: skip
    parser.add_argument("--before-label", default="previous version")
    args = parser.parse_args(argv)
    epochs = 2 if args.quick else args.epochs
    seeds = list(range(1 if args.quick else args.seeds))
    repeats = 2 if args.quick else args.repeats
    out_dir = ROOT / "benchmarks" / ("scratch" if args.quick else "results")

    load_before = load_average()
    meter = CpuMeter()
    limit = 5000 if args.quick else None
    (x_train, y_train), (x_test, y_test) = data.load_mnist(
        normalize_pixels=True, flatten_images=True, limit=limit, test_limit=limit, verbose=True
    )
    source = data.last_source.description if data.last_source else "unknown"
    n = len(x_train)
    before = load_module(args.before) if args.before else None

    # 1. accuracy: the NumPy net, several seeds
    accuracies, histories = [], []
    for seed in seeds:
        net = MLP(LAYERS, activation="relu", init="he", seed=seed)
        print(f"NumPy: training {net} for {epochs} epochs (seed {seed}) ...", flush=True)
        with blas_threads(1):  # accuracy only: immune to a busy machine (timing comes below)
            histories.append(net.fit(x_train, y_train, epochs=epochs, verbose=1, **RECIPE))
        accuracies.append(net.evaluate(x_test, y_test)["accuracy"])
    fresh = MLP(LAYERS, activation="relu", init="he", seed=0)
    initial = fresh.get_weights()
    macs_epoch = fresh.macs_per_sample() * n

    # 2. timing: the net's epoch and its own matmuls in the same rounds
    shapes = epoch_matmul_shapes(LAYERS, n, RECIPE["batch_size"])
    assert sum(m * k * o for m, k, o in shapes) == macs_epoch
    tasks = {
        "numpy_epoch": lambda: numpy_epoch(fresh, x_train, y_train),
        "same_shapes": lambda: time_same_shapes(shapes, repeats=1),
        "square": lambda: time_square(macs_epoch, repeats=1)[0],
    }
    if before is not None:
        old = before.MLP(LAYERS, activation="relu", init="he", seed=0)
        tasks["before_epoch"] = lambda: numpy_epoch(old, x_train, y_train)

    def one_thread(task):
        def run():
            with blas_threads(1):
                return task()

        return run

    tasks["numpy_epoch_1_thread"] = one_thread(tasks["numpy_epoch"])
    tasks["same_shapes_1_thread"] = one_thread(tasks["same_shapes"])
    print(f"timing: {repeats} interleaved rounds of {', '.join(tasks)} ...", flush=True)
    time_same_shapes(shapes, repeats=1)  # warm-up: allocate and touch every array once
    rounds = interleaved(tasks, repeats)
    timing = {name: summary(values) for name, values in rounds.items()}
    for name, limit_name, key in [("numpy_epoch", "same_shapes", "ratio"),
                                  ("before_epoch", "same_shapes", "before_ratio"),
                                  ("numpy_epoch_1_thread", "same_shapes_1_thread", "ratio_1_thread")]:  # fmt: skip
        if name in rounds:
            timing[key] = summary(np.divide(rounds[name], rounds[limit_name]))
    square_gflops = 2 * macs_epoch / timing["square"]["median"] / 1e9

    # 3. where the time goes
    print("profiling one epoch ...", flush=True)
    phases = phase_breakdown(fresh.copy(), x_train, y_train, RECIPE["batch_size"], 0.01, 0.9)
    lines_now = line_timings(fresh.copy(), x_train, y_train)
    profile = pyinstrument_profile(fresh.copy(), x_train, y_train)
    phases_before = lines_before = None
    if before is not None:
        phases_before = phase_breakdown(
            old.copy(), x_train, y_train, RECIPE["batch_size"], 0.01, 0.9
        )
        lines_before = line_timings(old.copy(), x_train, y_train)

    # 4. Keras, with the NumPy net timed just before and after each run
    keras_results = []
    if not args.no_keras:
        for spe, pipeline, keras_epochs in [(1, "arrays", epochs), (32, "arrays", min(epochs, 4)),
                                            (32, "dataset", min(epochs, 4))]:  # fmt: skip
            print(
                f"Keras, steps_per_execution={spe}, {pipeline}, {keras_epochs} epochs ...",
                flush=True,
            )
            ahead = numpy_epoch(fresh, x_train, y_train), tasks["numpy_epoch_1_thread"]()
            k = train_keras(initial, x_train, y_train, x_test, y_test, keras_epochs, spe, pipeline)
            after = numpy_epoch(fresh, x_train, y_train), tasks["numpy_epoch_1_thread"]()
            keras_s = k["median_epoch_seconds_after_first"]
            k["numpy_same_window"] = round((ahead[0] + after[0]) / 2, 3)
            k["keras_over_numpy"] = round(keras_s / k["numpy_same_window"], 2)
            k["numpy_1_thread_same_window"] = round((ahead[1] + after[1]) / 2, 3)
            k["keras_over_numpy_1_thread"] = round(keras_s / k["numpy_1_thread_same_window"], 2)
            keras_results.append(k)

    others = meter.others_cores()
    load_after = load_average()
    busy = dict(
        others_cores=others,
        rule="busy when other processes used 0.25 cores or more on average during the run "
        "(from /proc/stat minus this process's CPU time), or, where that cannot be read, when "
        "the 1-minute load average before the run was 0.5 or more",
        busy=bool(others >= 0.25)
        if others is not None
        else bool(load_before and load_before[0] >= 0.5),
    )
    result = dict(
        date=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        command="python benchmarks/bench_numpy_mlp.py"
        + (" --quick" if args.quick else "")
        + (" --before <numpy_nn.py of " + args.before_label + ">" if args.before else ""),
        machine=dict(
            cpus=os.cpu_count(),
            processor=platform.processor() or platform.machine(),
            python=platform.python_version(),
            numpy=np.__version__,
            tensorflow=getattr(sys.modules.get("tensorflow"), "__version__", None),
            blas=blas_info(),
        ),
        busy=busy,
        data=f"{source}: {n:,} train / {len(x_test):,} test images",
        layers="-".join(map(str, LAYERS)),
        recipe=RECIPE,
        repeats=repeats,
        numpy=dict(
            epochs=epochs,
            seeds=seeds,
            test_accuracy=accuracies,
            test_accuracy_mean=round(float(np.mean(accuracies)), 4),
            training_epoch_seconds_1_blas_thread=[
                [round(s, 3) for s in h["seconds"]] for h in histories
            ],
            macs_per_sample=fresh.macs_per_sample(),
            gflop_per_epoch=2 * macs_epoch / 1e9,
            # the interleaved timing, kept under the names notebook 05 reads
            median_epoch_seconds=timing["numpy_epoch"]["median"],
            gflops=round(2 * macs_epoch / timing["numpy_epoch"]["median"] / 1e9, 1),
        ),
        timing=timing,
        rounds=rounds,
        limit=dict(square_size=1024, square_gflops=round(square_gflops, 1)),
        keras=keras_results,
        phases=phases,
        load_before=load_before,
        load_after=load_after,
    )
    if before is not None:
        result["before"] = dict(label=args.before_label)
        result["phases_before"] = phases_before
    threads = "/".join(str(b["num_threads"]) for b in result["machine"]["blas"][:1]) or "?"
    mark = f" ({threads} BLAS thread(s)" + (", BUSY machine)" if busy["busy"] else ")")
    result["readme"] = [
        dict(
            quantity="NumPy MLP 784-256-128-10, test accuracy (speed-benchmark recipe: momentum, lr 0.1)",
            value=round(100 * float(np.mean(accuracies)), 2),
            unit="%",
            note=f"mean of {len(seeds)} seeds, {epochs} epochs on {n:,} images",
        ),
        dict(
            quantity="NumPy MLP, one epoch / the same epoch's matrix products alone" + mark,
            value=timing["ratio"]["median"],
            unit="x",
            note=f"median of {repeats} interleaved rounds; {timing['numpy_epoch']['median']:.2f} s "
            f"against {timing['same_shapes']['median']:.2f} s; {result['date']}, load {load_before}",
        ),
    ]
    spe1 = next((k for k in keras_results if k["steps_per_execution"] == 1), None)
    if spe1 is not None:
        result["readme"].append(
            dict(
                quantity="Keras, same net and batch, s/epoch over NumPy's in the same window"
                + mark,
                value=spe1["keras_over_numpy"],
                unit="x",
                note=f"Keras {spe1['median_epoch_seconds_after_first']:.2f} s, NumPy "
                f"{spe1['numpy_same_window']:.2f} s; Keras test accuracy {spe1['test_accuracy']:.2%}",
            )
        )

    out_dir.mkdir(parents=True, exist_ok=True)
    write_atomic(out_dir / "numpy_mlp.json", json.dumps(result, indent=2) + "\n")
    text = markdown(result)
    write_atomic(out_dir / "numpy_mlp.md", text)
    write_atomic(
        out_dir / "numpy_mlp_profile.txt", profile_text(result, lines_now, lines_before, profile)
    )
    print("\n" + text)
    print(f"written to {out_dir.relative_to(ROOT)}/numpy_mlp.json, .md, _profile.txt")
    return 0


if __name__ == "__main__":
    sys.exit(main())
