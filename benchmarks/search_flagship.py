"""The random search on VALIDATION that chose the flagship's training recipe (notebook 06).

    nice python benchmarks/search_flagship.py              # 12 trials on the full split
    nice python benchmarks/search_flagship.py --quick      # 3 tiny trials: a smoke test

Each trial draws one recipe at random from :data:`helpers.training.SEARCH_SPACE` (Dropout,
batch size, peak learning rate, constant or warm-up + cosine schedule, number of epochs;
the layers are always the flagship's), trains it once (seed 0) on the 50,000 fit images of
:func:`helpers.split.load_split` and scores it on the 10,000 validation images after its
last epoch. The test images are never loaded into the search. The recipe is then picked by
:func:`helpers.training.choose_trial`: the highest validation accuracy, unless a trial with
fewer epochs is within one binomial standard error of it.

Budget: 12 trials of 6 to 15 epochs (114 epochs in all in the committed run, which used
about 11 minutes of CPU time, 24 minutes of wall time on a 2-core machine shared with other
jobs, load average 15-24); the script also stops starting new trials after
``--budget-minutes`` of wall time (25 for the committed run: all 12 trials ran). One seed
per trial: a search finds a good region, it does not prove one recipe better than another
(``benchmarks/bench_flagship.py`` measures the chosen recipe over three seeds).

Writes ``benchmarks/results/flagship_search.json`` (every trial: recipe, validation
accuracy and loss, seconds; the chosen trial and why; machine and load average);
``--quick`` writes to ``benchmarks/scratch/`` instead.
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

from helpers import config, quiet, results, split, training  # noqa: E402
from helpers.results import write_atomic  # noqa: E402

N_TRIALS = 12


def main(argv=None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="3 trials of 1 epoch, 5,000 images")
    parser.add_argument("--trials", type=int, default=N_TRIALS)
    parser.add_argument("--budget-minutes", type=float, default=30.0)
    args = parser.parse_args(argv)

    quiet.import_tensorflow()
    data = split.load_split()
    x_fit, y_fit, x_val, y_val = data.x_fit, data.y_fit, data.x_val, data.y_val
    space = training.SEARCH_SPACE
    if args.quick:
        x_fit, y_fit = x_fit[:4000], y_fit[:4000]
        x_val, y_val = x_val[:1000], y_val[:1000]
        space = {**space, "epochs": [1]}
    recipes = training.sample_recipes(3 if args.quick else args.trials, space, seed=config.SEED)

    load_before = results.machine()["load_average"]
    wall, cpu = time.perf_counter(), time.process_time()
    trials = training.random_search(
        recipes, x_fit, y_fit, x_val, y_val, budget_seconds=60 * args.budget_minutes
    )
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    chosen, reason = training.choose_trial(trials, n_val=len(y_val))
    print(f"chosen: {chosen['trial']} ({reason})")

    machine = results.machine()
    payload = {
        "measured": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        **machine,
        "load_average_before": load_before,
        "command": "nice python benchmarks/search_flagship.py" + (" --quick" if args.quick else ""),
        "split": f"fit {len(y_fit):,} | validation {len(y_val):,} (test images not used)",
        "seed": config.SEED,
        "space": {
            k: [list(v) if isinstance(v, tuple) else v for v in vs] for k, vs in space.items()
        },
        "budget": {
            "trials_planned": len(recipes),
            "trials_run": len(trials),
            "epochs_run": sum(t["epochs"] for t in trials),
            "wall_seconds": round(wall),
            "process_cpu_seconds": round(cpu),
            "budget_minutes": args.budget_minutes,
        },
        "rule": (
            "highest validation accuracy after the last epoch; a trial with fewer epochs "
            "within one binomial standard error sqrt(p(1-p)/n_val) of the best is preferred"
        ),
        "chosen": {"trial": chosen["trial"], "reason": reason, "recipe": chosen["recipe"]},
        "trials": trials,
    }
    folder = (ROOT / "benchmarks" / "scratch") if args.quick else config.RESULTS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "flagship_search.json"
    write_atomic(path, json.dumps(payload, indent=1) + "\n")
    print(f"{len(trials)} trials, {wall:.0f} s wall, load {machine['load_average']}: {path}")
    return path


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    main()
