"""Notebook 08's batch size and learning rate, chosen on validation, and what they cost.

    nice python benchmarks/bench_compare_protocol.py            # the full comparison, seed 0
    nice python benchmarks/bench_compare_protocol.py --quick    # FAST sizes: a smoke test

Notebook 08 trains ten architectures over three seeds under one protocol
(:class:`helpers.compare.Protocol`). On a 2-core CPU a batch of 256 leaves much of each
epoch to fixed per-batch costs; a larger batch is cheaper per epoch, and with Adam the
learning rate is scaled with it. Whether that changes what the notebook measures is a
question for the **validation** images: this script trains a representative subset of the
candidates (the smallest Keras net, the slowest to converge and the largest) under the notebook's protocol with each (batch, learning rate)
setting, seed 0, and records each run's validation accuracy, epochs (early stopping on
validation) and CPU and wall seconds. The test images are not scored.

CPU seconds (``time.process_time``, all threads of this process) are the measure that the
other users of a shared machine disturb least; wall seconds are recorded too, with the load
average. Writes ``benchmarks/results/architectures_protocol.json`` (``--quick``:
``benchmarks/scratch/``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # runnable as a plain script from anywhere
    sys.path.insert(0, str(ROOT))
if "--quick" in sys.argv:  # before helpers.config reads it
    os.environ["MNIST_FAST"] = "1"

from helpers import compare, config, data, quiet, results, split  # noqa: E402
from helpers.results import write_atomic  # noqa: E402

#: (batch size, learning rate): the old default, then larger batches with the learning rate
#: scaled linearly with the batch (the same learning rate per image).
SETTINGS = [(256, 1e-3), (512, 2e-3), (1024, 4e-3)]
#: The smallest Keras net, the slowest to converge, and the largest (the flagship); the
#: NumPy net is left out (its from-scratch Adam is notebook 05's subject, and on a busy
#: machine its BLAS threads make CPU seconds meaningless).
NAMES = ["mlp_100", "mlp_256_sigmoid", "flagship"]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="FAST sizes, scratch output")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    args = parser.parse_args(argv)
    quiet.import_tensorflow()
    fit_val_test = split.load_split()
    base = compare.protocol()
    rows = []
    for name in NAMES:
        for batch, lr in SETTINGS:
            proto = compare.Protocol(
                max_epochs=base.max_epochs,
                seeds=tuple(args.seeds),
                batch_size=batch,
                learning_rate=lr,
                patience=base.patience,
            )
            cpu, wall = time.process_time(), time.perf_counter()
            runs = compare.run_all(fit_val_test, proto, names=[name], verbose=False)
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            for r in runs.to_dict(orient="records"):
                row = dict(
                    name=name,
                    batch_size=batch,
                    learning_rate=lr,
                    seed=r["seed"],
                    epochs=r["epochs"],
                    best_epoch=r["best_epoch"],
                    val_accuracy=r["val_accuracy"],
                    seconds_per_epoch=r["seconds_per_epoch"],
                    cpu_seconds=round(cpu / len(runs), 2),
                    wall_seconds=round(wall / len(runs), 2),
                    load_average=results.machine()["load_average"],
                )
                rows.append(row)
                print(
                    f"{name:<16} batch {batch:>4} lr {lr:g}: seed {row['seed']} "
                    f"{row['epochs']:>2} epochs (best {row['best_epoch']:>2}), "
                    f"val {row['val_accuracy']:.4f}, {row['cpu_seconds']:6.1f} CPU s, "
                    f"{row['wall_seconds']:6.1f} s, load {row['load_average']}",
                    flush=True,
                )
    full = not config.is_fast() and data.last_source.is_full
    path = (
        config.RESULTS_DIR / "architectures_protocol.json"
        if full
        else ROOT / "benchmarks" / "scratch" / "architectures_protocol.json"
    )
    payload = dict(
        measured=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        machine=results.machine(),
        note="measured on a shared, busy machine: compare settings by CPU seconds and ratios",
        split=fit_val_test.describe(),
        protocol=dict(max_epochs=base.max_epochs, patience=base.patience),
        settings=SETTINGS,
        runs=rows,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, json.dumps(payload, indent=1) + "\n")
    print("written to", path.relative_to(ROOT))


if __name__ == "__main__":
    main()
