"""Notebook 09's models over three seeds: the CNN recipes, chosen on validation, and the
flagship MLP with data augmentation.

    nice python -m benchmarks.bench_beyond_mlp            # seeds 0, 1, 2 (full data)
    nice python -m benchmarks.bench_beyond_mlp --quick    # FAST sizes: a smoke test (scratch/)

For every seed (seeds outermost, so a run cut short still holds every model for the seeds
it finished) it trains, on the fit images of :func:`helpers.split.load_split`:

* ``cnn``: the CNN of :func:`helpers.models.build_cnn` under **notebook 08's protocol**
  (:func:`helpers.compare.protocol`: Adam 0.001, batch 256, early stopping on the
  validation accuracy, no augmentation), with :class:`helpers.compare.KerasTrainer`
  itself. These rows are in exactly the format of ``architectures.json``'s ``runs``, and
  are written under ``cnn_runs_08`` so notebook 08 can join them to its table;
* ``cnn_augmented``: the same CNN with the augmentation of :mod:`helpers.augment` in
  front, :data:`helpers.augment.RECIPES` (fixed number of epochs, warm-up + cosine decay);
* ``cnn_deep_augmented``: the deeper CNN ``cnn_deep`` (two convolutions per block,
  BatchNorm) with the same augmentation, 20 epochs (round 2, see below);
* ``flagship_augmented`` (20 epochs), ``flagship_augmented_long`` and
  ``flagship_augmented_light`` (60 epochs, Dropout 0.3 or 0.1): the flagship MLP with the
  same augmentation.

Round 1 had two CNN recipes and one MLP recipe; their mean *validation* accuracies already
fell short of the issue's targets (99.5% and 99.0%), so round 2 added the deeper CNN and the
longer MLP schedules,
fixed in :data:`helpers.augment.RECIPES` before any of them ran. The winner of each group is
still chosen on the validation images alone, over the same seeds.

Each model predicts the 10,000 validation and the 10,000 test images once, at the end;
the predictions are stored as digit strings (:func:`helpers.compare.encode_labels`), with
the true labels, so every accuracy and McNemar test can be redone from the file. The CNN
recipe and the MLP recipe are each **chosen on the mean validation accuracy** over the seeds; its test accuracy is
reported, never used to choose. Finished runs are cached in
``benchmarks/scratch/beyond_mlp_runs/`` (reused only for the same recipe, split and seed),
and the results file is rewritten after every run, so the script can be stopped and
resumed. The seed-0 model of every augmented recipe is saved to ``artifacts/``
(:func:`helpers.augment.save_trained`), where notebook 09 loads it instead of training it
again (:func:`helpers.augment.load_or_train`).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import math
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

SEEDS = (0, 1, 2)
RESULTS_FILE = config.RESULTS_DIR / "beyond_mlp.json"
SCRATCH = ROOT / "benchmarks" / "scratch"
#: The CNN candidates compared on validation (name in the file -> what it is).
CNN_CANDIDATES = {
    "cnn": "CNN, notebook 08's protocol (no augmentation, early stopping)",
    "cnn_augmented": "CNN with augmentation (helpers.augment.RECIPES)",
    "cnn_deep_augmented": "deeper CNN (two convolutions per block, BatchNorm) with augmentation",
}
#: The recipes of the flagship MLP with augmentation, compared on validation the same way.
MLP_CANDIDATES = {
    "flagship_augmented": "flagship MLP with augmentation, 20 epochs, Dropout 0.3",
    "flagship_augmented_long": "flagship MLP with augmentation, 60 epochs, Dropout 0.3",
    "flagship_augmented_light": "flagship MLP with augmentation, 60 epochs, Dropout 0.1",
}


def _cnn_candidate():
    from helpers import compare

    return compare.Candidate(
        "cnn", "CNN conv32-pool-conv64-pool-dense128", "architecture", base="cnn"
    )


def _key(name: str, seed: int, data, quick: bool) -> dict:
    from helpers import augment, compare

    if name == "cnn":
        how = {"protocol": dataclasses.asdict(compare.protocol())}
    else:
        how = {"recipe": augment.RECIPES[name].for_run().as_dict()}
    key = {"name": name, "seed": seed, "split": data.describe(), "quick": quick, **how}
    return json.loads(json.dumps(key))  # as the cache file holds it: tuples become lists


def _train(name: str, seed: int, data, trainers: dict) -> dict:
    from helpers import augment, compare

    if name == "cnn":
        if "cnn" not in trainers:
            trainers["cnn"] = compare.KerasTrainer(_cnn_candidate(), compare.protocol())
        with quiet.retracing_warnings_hidden():
            return trainers["cnn"].train(data, seed)
    recipe = augment.RECIPES[name].for_run()
    model, history, seconds = augment.train(recipe, data, seed=seed, verbose=0)
    if seed == 0:  # notebook 09 trains seed 0; it loads this model instead when it exists
        augment.save_trained(model, recipe, data, seed, history, seconds)
    cand = compare.Candidate(name, recipe.describe(), "beyond_mlp", base=recipe.architecture)
    row = compare._row(
        cand,
        seed,
        None,
        data,
        params=int(model.count_params()),
        val_accuracy=history.history["val_accuracy"],
        epoch_seconds=history.epoch_seconds,
        train_seconds=seconds,
        val_predictions=augment.predict_digits(model, data.x_val)[0],
        test_predictions=augment.predict_digits(model, data.x_test)[0],
    )
    row["val_accuracy_per_epoch"] = [round(float(a), 5) for a in history.history["val_accuracy"]]
    return row


def run_one(name: str, seed: int, data, quick: bool, trainers: dict) -> dict:
    cache = SCRATCH / ("beyond_mlp_runs_quick" if quick else "beyond_mlp_runs")
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / f"{name}_seed{seed}.json"
    key = _key(name, seed, data, quick)
    if path.is_file():
        stored = json.loads(path.read_text())
        if stored.get("key") == key:
            print(f"{name:<20} seed {seed}: cached ({path.name})", flush=True)
            return stored["row"]
    load = os.getloadavg()[0]
    row = _train(name, seed, data, trainers)
    row["load_average_start"] = round(load, 2)
    row["load_average_end"] = round(os.getloadavg()[0], 2)
    row["measured"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    write_atomic(path, json.dumps({"key": key, "row": row}) + "\n")
    print(
        f"{name:<20} seed {seed}: {row['epochs']:>2} epochs, {row['seconds_per_epoch']:6.2f} s/epoch, "
        f"{row['train_seconds']:7.1f} s | val {row['val_accuracy']:.4f} test {row['test_accuracy']:.4f} "
        f"| load {row['load_average_start']}-{row['load_average_end']}",
        flush=True,
    )
    return row


def _stats(values) -> dict:
    from helpers import stats

    values = [100 * v for v in values]
    mean, low, high = stats.t_interval(values) if len(values) > 1 else (values[0], None, None)
    out = dict(mean=round(mean, 3), min=round(min(values), 3), max=round(max(values), 3))
    if low is not None and np.isfinite(low):
        out.update(t95_low=round(low, 3), t95_high=round(high, 3))
    return out


def summarize(rows: list[dict]) -> dict:
    summary = {}
    for name in [*CNN_CANDIDATES, *MLP_CANDIDATES]:
        mine = [r for r in rows if r["name"] == name]
        if not mine:
            continue
        summary[name] = dict(
            seeds=[r["seed"] for r in mine],
            val_accuracy=_stats([r["val_accuracy"] for r in mine]),
            test_accuracy=_stats([r["test_accuracy"] for r in mine]),
            epochs=[r["epochs"] for r in mine],
            seconds_per_epoch_median=round(
                float(np.median([r["seconds_per_epoch"] for r in mine])), 2
            ),
            train_seconds_median=round(float(np.median([r["train_seconds"] for r in mine])), 1),
        )
    return summary


def choose(summary: dict, candidates=None) -> dict | None:
    """The recipe of ``candidates`` (default: the CNN's) with the highest mean VALIDATION
    accuracy over the same seeds; None until every candidate has run on the same seeds."""
    candidates = CNN_CANDIDATES if candidates is None else candidates
    seeds = [set(summary[n]["seeds"]) for n in candidates if n in summary]
    if len(seeds) < len(candidates) or len(set(map(frozenset, seeds))) != 1:
        return None
    best = max(candidates, key=lambda n: summary[n]["val_accuracy"]["mean"])
    return dict(
        chosen=best,
        rule="highest mean validation accuracy over the same seeds; test not looked at",
        val_means={n: summary[n]["val_accuracy"]["mean"] for n in candidates},
    )


def paired(rows: list[dict], a: str, b: str, y_test) -> list[dict]:
    """Exact McNemar of ``a`` against ``b`` on the test images, seed by seed."""
    from helpers import compare, stats

    out = []
    for ra in (r for r in rows if r["name"] == a):
        rb = next((r for r in rows if r["name"] == b and r["seed"] == ra["seed"]), None)
        if rb is None:
            continue
        m = stats.mcnemar(
            y_test,
            compare.decode_labels(ra["test_predictions"]),
            compare.decode_labels(rb["test_predictions"]),
        )
        out.append(
            dict(seed=ra["seed"], a=a, b=b, only_a_right=m.only_a_right,
                 only_b_right=m.only_b_right, p_value=float(f"{m.p_value:.3g}"))
        )  # fmt: skip
    return out


def readme_quotes(summary: dict, choice: dict | None, mlp_choice: dict | None = None) -> list[dict]:
    from helpers import augment

    quotes = []
    if choice is not None:
        name = choice["chosen"]
        s = summary[name]
        n = len(s["seeds"])
        quotes.append(
            dict(
                quantity=f"CNN chosen on validation (notebook 09), test accuracy, mean of {n} seeds",
                value=s["test_accuracy"]["mean"],
                unit="%",
                note=f"{name}: {CNN_CANDIDATES[name]}; validation {s['val_accuracy']['mean']:.2f}%"
                f" (the others: {_others(choice)}); "
                f"{s['seconds_per_epoch_median']:.1f} s/epoch on 2 cores",
            )
        )
    if mlp_choice is not None:
        name = mlp_choice["chosen"]
        s = summary[name]
        quotes.append(
            dict(
                quantity="Flagship MLP with augmentation, chosen on validation (notebook 09), "
                f"test accuracy, mean of {len(s['seeds'])} seeds",
                value=s["test_accuracy"]["mean"],
                unit="%",
                note=f"{augment.RECIPES[name].describe()}; validation {s['val_accuracy']['mean']:.2f}%"
                f" (the others: {_others(mlp_choice)}); {s['seconds_per_epoch_median']:.1f} s/epoch",
            )
        )
    return quotes


def _others(choice: dict) -> str:
    return ", ".join(
        f"{n} {v:.2f}%" for n, v in choice["val_means"].items() if n != choice["chosen"]
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="FAST sizes, written to scratch/")
    parser.add_argument("--seeds", type=int, nargs="+", default=list(SEEDS))
    parser.add_argument("--names", default=",".join([*CNN_CANDIDATES, *MLP_CANDIDATES]))
    args = parser.parse_args(argv)
    if args.quick:
        os.environ[config.FAST_ENV] = "1"
        import importlib

        importlib.reload(config)
    quiet.import_tensorflow()
    from helpers import augment, compare, data, results, split

    names = [n.strip() for n in args.names.split(",") if n.strip()]
    data_split = split.load_split(verbose=False)
    full = not config.is_fast() and data.last_source is not None and data.last_source.is_full
    target = RESULTS_FILE if full else SCRATCH / "beyond_mlp.json"
    print(f"{data_split.describe()} -> {target.relative_to(ROOT)}", flush=True)
    start = time.perf_counter()
    load_start = os.getloadavg()[0]
    rows, trainers = [], {}
    for seed in args.seeds:
        for name in names:
            rows.append(run_one(name, seed, data_split, args.quick, trainers))
            summary = summarize(rows)
            choice = choose(summary)
            mlp_choice = choose(summary, MLP_CANDIDATES)
            chosen = choice["chosen"] if choice else None
            mlp_chosen = mlp_choice["chosen"] if mlp_choice else None
            payload = dict(
                measured=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                command="nice python -m benchmarks.bench_beyond_mlp"
                + (" --quick" if args.quick else ""),
                machine=results.machine(),
                load_average_start=round(load_start, 2),
                total_seconds=round(time.perf_counter() - start, 1),
                # the runs themselves (some were cached from earlier invocations):
                runs_measured=[min(r["measured"] for r in rows), max(r["measured"] for r in rows)],
                runs_load_average=[
                    min(r["load_average_start"] for r in rows),
                    max(max(r["load_average_start"], r["load_average_end"]) for r in rows),
                ],
                runs_train_seconds=round(math.fsum(r["train_seconds"] for r in rows), 1),
                split=data_split.describe(),
                seeds=sorted({r["seed"] for r in rows}),
                complete=len(rows) == len(args.seeds) * len(names),
                candidates=CNN_CANDIDATES,
                mlp_candidates=MLP_CANDIDATES,
                recipes={
                    "cnn": dataclasses.asdict(compare.protocol()),
                    **{n: r.for_run().as_dict() for n, r in augment.RECIPES.items()},
                },
                choice=choice,
                mlp_choice=mlp_choice,
                summary=summary,
                mcnemar_test=paired(rows, chosen, mlp_chosen, data_split.y_test)
                if chosen and mlp_chosen
                else [],
                readme=readme_quotes(summary, choice, mlp_choice),
                labels=dict(
                    val=compare.encode_labels(data_split.y_val),
                    test=compare.encode_labels(data_split.y_test),
                ),
                runs=rows,
                cnn_runs_08=[{k: r[k] for k in ROW_KEYS} for r in rows if r["name"] == "cnn"],
            )
            target.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(target, json.dumps(payload, indent=1) + "\n")
    print(f"done in {(time.perf_counter() - start) / 60:.1f} minutes -> {target.relative_to(ROOT)}")
    return 0


#: The keys of a row of notebook 08's architectures.json ``runs`` (helpers.compare._row).
ROW_KEYS = (
    "name", "label", "group", "kind", "seed", "params", "epochs", "best_epoch",
    "seconds_per_epoch", "train_seconds", "val_accuracy", "test_accuracy", "test_errors",
    "n_fit", "n_val", "n_test", "val_predictions", "test_predictions",
)  # fmt: skip

if __name__ == "__main__":
    raise SystemExit(main())
