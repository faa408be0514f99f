"""What can differ between machines: the flagship's test accuracy under another float order.

    nice -n 5 python benchmarks/bench_machine_variation.py --epochs 5   # 8 trainings
    python benchmarks/bench_machine_variation.py --quick                # smoke test (scratch)
    python benchmarks/bench_machine_variation.py --summarise            # redo the summary only

A seeded training repeats bit for bit on one machine (``tests/test_reproducibility.py``
checks that). Another CPU adds its floating-point numbers in another order (other SIMD
widths, other thread splits, other kernels), and a network's training amplifies those
last-bit differences over thousands of steps. This script imitates "another machine" on
this one, in ways that change only the summation order, and compares the effect with the
spread over seeds (the scale that decides whether a difference matters):

* ``seed 0`` twice with the series' settings (2 intra-op threads, oneDNN off): must agree;
* ``seed 0`` with 1 intra-op thread (other reduction splits);
* ``seed 0`` with oneDNN's kernels on (``TF_ENABLE_ONEDNN_OPTS=1``: other matmul kernels);
* ``seeds 1, 2`` with the series' settings: the seed-to-seed spread;
* the flagship without BatchNorm, seed 0, 1 vs 2 threads (is BatchNorm what is fragile?).

Every run is a separate process (thread counts and oneDNN are fixed when TensorFlow
starts). Each trains the flagship (improved recipe, fewer epochs than notebook 06 to keep
the CPU budget small: ``--epochs``) on the series' fit split, picks nothing, and reports
accuracy on validation and on the test set, plus how many test predictions differ from the
baseline run. Results: ``benchmarks/results/machine_variation.json`` (``--quick``:
``benchmarks/scratch/``). Timings are not the point and not recorded as results.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from helpers.results import write_atomic

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # runnable as a plain script from anywhere
    sys.path.insert(0, str(ROOT))

#: name -> (seed, intra-op threads, oneDNN on, BatchNorm)
RUNS = {
    "baseline (seed 0, 2 threads, oneDNN off)": (0, 2, False, True),
    "baseline again": (0, 2, False, True),
    "1 intra-op thread": (0, 1, False, True),
    "oneDNN on": (0, 2, True, True),
    "seed 1": (1, 2, False, True),
    "seed 2": (2, 2, False, True),
    "no BatchNorm, 2 threads": (0, 2, False, False),
    "no BatchNorm, 1 thread": (0, 1, False, False),
}


def one_run(seed: int, threads: int, batchnorm: bool, epochs: int, quick: bool, out: Path):
    """Child process: train once with the given settings, save predictions and accuracies."""
    from helpers import quiet

    quiet.import_tensorflow()
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)
    import keras

    from helpers import data, models, split, training

    sp = split.load_split(verbose=False)
    x_fit, y_fit, x_val, y_val = sp.x_fit, sp.y_fit, sp.x_val, sp.y_val
    x_test, y_test = sp.x_test, sp.y_test
    if quick:
        x_fit, y_fit = x_fit[:3000], y_fit[:3000]
    recipe = training.IMPROVED_RECIPE.with_(epochs=epochs, warmup_epochs=min(2, epochs // 5))
    keras.utils.set_random_seed(seed)
    model = models.build_flagship(dropout=recipe.dropout, batchnorm=batchnorm)
    training.compile_flagship(model, recipe, training.steps_per_epoch(len(x_fit), recipe))
    start = time.perf_counter()
    model.fit(
        x_fit,
        data.one_hot(y_fit),
        batch_size=recipe.batch_size,
        epochs=recipe.epochs,
        validation_data=(x_val, data.one_hot(y_val)),
        verbose=0,
    )
    seconds = time.perf_counter() - start
    pred_test = model.predict(x_test, batch_size=1000, verbose=0).argmax(1)
    pred_val = model.predict(x_val, batch_size=1000, verbose=0).argmax(1)
    np.save(out.with_suffix(".npy"), pred_test.astype(np.uint8))
    write_atomic(
        out,
        json.dumps(
            {
                "test_accuracy": float((pred_test == y_test).mean()),
                "val_accuracy": float((pred_val == y_val).mean()),
                "n_fit": len(x_fit),
                "n_test": len(x_test),
                "seconds": round(seconds, 1),
                "source": data.last_source.description if data.last_source else None,
            }
        ),
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--quick", action="store_true", help="3,000 images, 2 epochs, scratch")
    parser.add_argument(
        "--summarise",
        action="store_true",
        help="no training: rebuild the results file from the last run's per-run files",
    )
    parser.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        seed, threads, batchnorm, epochs, out = args.child
        one_run(int(seed), int(threads), batchnorm == "1", int(epochs), args.quick, Path(out))
        return 0

    from helpers import config
    from helpers.results import machine

    epochs = 2 if args.quick else args.epochs
    scratch = ROOT / "benchmarks" / "scratch" / "machine_variation"
    scratch.mkdir(parents=True, exist_ok=True)
    load_before = round(os.getloadavg()[0], 2)
    if args.summarise:
        previous = json.loads((config.RESULTS_DIR / "machine_variation.json").read_text())
        load_before, epochs = previous["load_average_before"], previous["epochs"]
    runs = {}
    for i, (name, (seed, threads, onednn, batchnorm)) in enumerate(RUNS.items()):
        out = scratch / f"run{i}.json"
        env = dict(os.environ, TF_ENABLE_ONEDNN_OPTS="1" if onednn else "0")
        env.pop(config.FAST_ENV, None)
        cmd = [sys.executable, __file__, "--child", str(seed), str(threads)]
        cmd += ["1" if batchnorm else "0", str(epochs), str(out)]
        if args.quick:
            cmd.append("--quick")
        if not args.summarise:
            subprocess.run(cmd, check=True, env=env, cwd=ROOT)
        result = json.loads(out.read_text())
        result["predictions"] = np.load(out.with_suffix(".npy"))
        result.update(seed=seed, intra_op_threads=threads, onednn=onednn, batchnorm=batchnorm)
        runs[name] = result
        print(f"{name:<42} test {result['test_accuracy']:.2%}  val {result['val_accuracy']:.2%}")

    names = list(RUNS)
    base = runs[names[0]]["predictions"]
    bn_base = runs["no BatchNorm, 2 threads"]["predictions"]
    table = []
    for name, r in runs.items():
        ref = base if r["batchnorm"] else bn_base
        row = {k: v for k, v in r.items() if k != "predictions"}
        row["run"] = name
        row["test_predictions_differing_from_seed0_same_model"] = int(
            (r["predictions"] != ref).sum()
        )
        table.append(row)
    by = {row["run"]: row for row in table}
    differ = "test_predictions_differing_from_seed0_same_model"
    seeds = [names[0], "seed 1", "seed 2"]
    orders = ["1 intra-op thread", "oneDNN on"]
    seed_accs = [by[n]["test_accuracy"] for n in seeds]
    order_accs = [by[n]["test_accuracy"] for n in orders]
    summary = {
        "epochs": epochs,
        "same_settings_repeat_identical": by["baseline again"][differ] == 0,
        "test_accuracy_pct_seeds_0_1_2": [round(100 * a, 2) for a in seed_accs],
        "seed_spread_test_accuracy_pct": round(100 * (max(seed_accs) - min(seed_accs)), 2),
        "test_accuracy_pct_float_order": [round(100 * a, 2) for a in order_accs],
        "float_order_max_change_test_accuracy_pct": round(
            100 * max(abs(a - seed_accs[0]) for a in order_accs), 2
        ),
        "predictions_differing_other_seed": [by[n][differ] for n in seeds[1:]],
        "predictions_differing_other_float_order": [by[n][differ] for n in orders],
        "no_batchnorm_1_vs_2_threads_predictions_differing": by["no BatchNorm, 1 thread"][differ],
        "n_test": by[names[0]]["n_test"],
    }
    n_test = summary["n_test"]
    lo, hi = (
        min(summary["predictions_differing_other_float_order"]),
        max(summary["predictions_differing_other_float_order"]),
    )
    slo, shi = (
        min(summary["predictions_differing_other_seed"]),
        max(summary["predictions_differing_other_seed"]),
    )
    quotes = [
        {
            "quantity": "Flagship, another float summation order (1 thread, or oneDNN on): "
            "test predictions that change",
            "value": f"{lo}-{hi} of {n_test:,}",
            "unit": "images",
            "note": f"another seed changes {slo}-{shi}; seeded repeats on one machine change 0 "
            f"({epochs} epochs)",
        },
        {
            "quantity": "Flagship, another float summation order: change in test accuracy",
            "value": summary["float_order_max_change_test_accuracy_pct"],
            "unit": "percentage points (largest)",
            "note": f"seeds 0-2 span {summary['seed_spread_test_accuracy_pct']} points "
            f"({epochs} epochs)",
        },
    ]
    payload = {
        "measured": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        **machine(),
        "load_average_before": load_before,
        "command": "nice -n 5 python benchmarks/bench_machine_variation.py"
        + (" --quick" if args.quick else f" --epochs {epochs}"),
        "epochs": epochs,
        "recipe": "improved (warm-up + cosine), fewer epochs than notebook 06",
        "summary": summary,
        "runs": table,
        "readme": quotes,
    }
    if args.summarise:  # when and where it was measured stays as it was
        for key in ["measured", *machine()]:
            payload[key] = previous.get(key, payload[key])
    folder = scratch if args.quick else config.RESULTS_DIR
    path = folder / "machine_variation.json"
    write_atomic(path, json.dumps(payload, indent=1) + "\n")
    print(json.dumps(summary, indent=1))
    print(f"written: {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
