"""The flagship's two recipes over three seeds: validation and test accuracy (notebook 06).

    nice python benchmarks/bench_flagship.py                      # both recipes, seeds 0, 1, 2
    nice python benchmarks/bench_flagship.py --recipes published  # one recipe only (cached)
    nice python benchmarks/bench_flagship.py --quick              # FAST sizes: a smoke test

Trains :data:`helpers.training.PUBLISHED_RECIPE` (the published write-up's: Dropout
0.5/0.4/0.3, batch 32, constant lr 0.001, 10 epochs; it claims 98.76% test accuracy) and
:data:`helpers.training.IMPROVED_RECIPE` (the one ``benchmarks/search_flagship.py`` chose
on validation) with seeds 0, 1 and 2 on the fit images of :func:`helpers.split.load_split`,
and scores each model once on the 10,000 validation and the 10,000 test images.

Each run is kept in ``benchmarks/scratch/flagship_runs/`` (recipe, seed, accuracies and
the test predictions), so one recipe can be measured at a time; a cached run is reused only
when its recipe and split are exactly the current ones. With both recipes measured, the
script writes ``benchmarks/results/flagship.json``: per seed the validation and test
accuracy, seconds and seconds per epoch, and the test predictions as a string of digits
(notebook 06 reads the published recipe's seed 0 from it instead of training it again,
:func:`helpers.training.flagship_run`); per recipe the mean and 95% t-interval over the
seeds (:func:`helpers.stats.t_interval`); and per seed an exact McNemar test of the two
recipes on the same test images (:func:`helpers.stats.mcnemar`). Its ``readme`` list is what
README quotes (``python -m benchmarks.report --write-readme``). ``--quick`` writes to
``benchmarks/scratch/`` instead.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # runnable as a plain script from anywhere
    sys.path.insert(0, str(ROOT))

from helpers import compare, config, quiet, results, split, stats, training  # noqa: E402
from helpers.results import write_atomic  # noqa: E402

SEEDS = (0, 1, 2)
PUBLISHED_CLAIM = {"test_accuracy": 98.76, "epochs": 10, "batch_size": 32}
CACHE = ROOT / "benchmarks" / "scratch" / "flagship_runs"


def _key(recipe: training.Recipe, seed: int, data: split.Split) -> dict:
    return {"recipe": recipe.as_dict(), "seed": seed, "split": data.describe()}


def run_one(recipe: training.Recipe, seed: int, data: split.Split, cache: Path) -> dict:
    """Train (or reuse the cached run of) ``recipe`` with ``seed``; score validation and test."""
    cache.mkdir(parents=True, exist_ok=True)
    stem = cache / f"{recipe.name}_seed{seed}"
    key = _key(recipe, seed, data)
    json_path, pred_path = stem.with_suffix(".json"), stem.with_name(stem.name + "_test_pred.npy")
    if json_path.is_file() and pred_path.is_file():
        stored = json.loads(json_path.read_text())
        if stored.get("key") == key:
            print(f"{recipe.name} seed {seed}: cached ({json_path.name})")
            stored["test_pred"] = np.load(pred_path)
            return stored
    model, history, seconds = training.train_flagship(
        data.x_fit, data.y_fit, data.x_val, data.y_val, recipe, seed=seed, verbose=0
    )
    val_pred = model.predict(data.x_val, batch_size=1024, verbose=0).argmax(axis=1)
    test_pred = model.predict(data.x_test, batch_size=1024, verbose=0).argmax(axis=1)
    run = {
        "key": key,
        "recipe": recipe.name,
        "seed": seed,
        "epochs": len(history.epoch),
        "seconds": round(seconds, 1),
        "seconds_per_epoch": round(float(np.median(history.epoch_seconds)), 2),
        "val_accuracy": round(100 * float(np.mean(val_pred == data.y_val)), 2),
        "test_accuracy": round(100 * float(np.mean(test_pred == data.y_test)), 2),
        "load_average": results.machine()["load_average"],
        "measured": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    write_atomic(json_path, json.dumps(run, indent=1) + "\n")
    np.save(pred_path, test_pred.astype(np.uint8))
    print(
        f"{recipe.name} seed {seed}: validation {run['val_accuracy']:.2f}%, "
        f"test {run['test_accuracy']:.2f}%, {run['seconds_per_epoch']} s/epoch "
        f"({run['seconds']:.0f} s, load {run['load_average']})"
    )
    run["test_pred"] = test_pred
    return run


def summarise(runs: dict[str, list[dict]], data: split.Split) -> dict:
    per_recipe = {}
    for name, rs in runs.items():
        per_recipe[name] = {}
        for which in ("val_accuracy", "test_accuracy"):
            mean, low, high = stats.t_interval([r[which] for r in rs])
            per_recipe[name][which] = {
                "mean": round(mean, 3),
                "t95_low": round(low, 3),
                "t95_high": round(high, 3),
                "min": min(r[which] for r in rs),
                "max": max(r[which] for r in rs),
            }
        per_recipe[name]["seconds_per_epoch_median"] = float(
            np.median([r["seconds_per_epoch"] for r in rs])
        )
        per_recipe[name]["seconds_median"] = float(np.median([r["seconds"] for r in rs]))
    paired = []
    for a, b in zip(runs["improved"], runs["published"], strict=True):
        test = stats.mcnemar(data.y_test, a["test_pred"], b["test_pred"])
        paired.append(
            {
                "seed": a["seed"],
                "only_improved_right": test.only_a_right,
                "only_published_right": test.only_b_right,
                "both_wrong": test.both_wrong,
                "p_value": float(f"{test.p_value:.3g}"),
            }
        )
    return {"summary": per_recipe, "mcnemar_test": paired}


def readme_quotes(summary: dict, recipes: dict, test_predictions: dict, y_test) -> list[dict]:
    """What README quotes. ``test_predictions``: per recipe the ``(seeds, images)`` test
    predictions; the interval of each mean covers the seeds and the sampling of the test
    images (:func:`helpers.stats.procedure_accuracy`), not the seeds alone."""
    imp, pub = summary["summary"]["improved"], summary["summary"]["published"]
    ir, pr = recipes["improved"], recipes["published"]

    def interval(name):
        est = stats.procedure_accuracy(y_test, test_predictions[name])
        return f"95% interval {100 * est.low:.2f}-{100 * est.high:.2f} (seeds and test images)"

    return [
        {
            "quantity": "Flagship MLP, chosen recipe (notebook 06), test accuracy, mean of 3 seeds",
            "value": round(imp["test_accuracy"]["mean"], 2),
            "unit": "%",
            "note": f"{ir.describe().split(': ', 1)[1]}; {interval('improved')}; "
            f"validation {imp['val_accuracy']['mean']:.2f}%",
        },
        {
            "quantity": "Flagship MLP, claimed recipe (a write-up claims "
            f"{PUBLISHED_CLAIM['test_accuracy']}% with no citable source), test accuracy, "
            "mean of 3 seeds",
            "value": round(pub["test_accuracy"]["mean"], 2),
            "unit": "%",
            "note": f"{pr.describe().split(': ', 1)[1]}; {interval('published')}; "
            f"validation {pub['val_accuracy']['mean']:.2f}%",
        },
        {
            "quantity": "Flagship MLP, chosen recipe, seconds per epoch",
            "value": round(imp["seconds_per_epoch_median"], 1),
            "unit": "s",
            "note": f"median over 3 seeds at batch {ir.batch_size}; claimed recipe "
            f"{pub['seconds_per_epoch_median']:.1f} s at batch {pr.batch_size} (busy shared machine)",
        },
    ]


def requote(path: Path | None = None) -> Path:
    """Rewrite only the ``readme`` list of the committed results file from its stored runs
    (their test predictions) and the real test labels: no model is trained. Refuses a file
    measured on another split."""
    path = Path(path or config.RESULTS_DIR / "flagship.json")
    payload = json.loads(path.read_text(encoding="utf-8"))
    data = split.load_split()
    if payload.get("split_fingerprint") != data.fingerprint():
        raise SystemExit(f"{path}: measured on another split; run the benchmark again instead.")
    recipes = {"published": training.PUBLISHED_RECIPE, "improved": training.IMPROVED_RECIPE}
    preds = {
        name: [
            compare.decode_labels(r["test_predictions"])
            for r in payload["runs"]
            if r["recipe"] == name
        ]
        for name in recipes
    }
    payload["readme"] = readme_quotes(payload, recipes, preds, data.y_test)
    write_atomic(path, json.dumps(payload, indent=1) + "\n")
    return path


def main(argv=None) -> Path | None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--recipes", nargs="+", default=["published", "improved"])
    parser.add_argument("--quick", action="store_true", help="FAST sizes (set MNIST_FAST=1)")
    parser.add_argument(
        "--requote",
        action="store_true",
        help="rewrite only README's quotes of the committed file from its stored predictions",
    )
    args = parser.parse_args(argv)
    if args.requote:
        print("written:", requote())
        return None
    if args.quick and not config.is_fast():
        parser.error("--quick needs MNIST_FAST=1 in the environment (FAST sizes and epochs).")

    quiet.import_tensorflow()
    data = split.load_split()
    recipes = {"published": training.PUBLISHED_RECIPE, "improved": training.IMPROVED_RECIPE}
    cache = CACHE.with_name(CACHE.name + "_quick") if args.quick else CACHE
    runs = {
        name: [run_one(recipes[name], seed, data, cache) for seed in SEEDS] for name in args.recipes
    }
    if set(runs) != set(recipes):
        print("Measured only", ", ".join(runs), "- run both recipes to write the results file.")
        return None
    summary = summarise(runs, data)
    machine = results.machine()
    payload = {
        "measured": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        **machine,
        "command": "nice python benchmarks/bench_flagship.py" + (" --quick" if args.quick else ""),
        "split": data.describe(),
        "split_fingerprint": data.fingerprint(),
        "seeds": list(SEEDS),
        "published_claim": PUBLISHED_CLAIM,
        "recipes": {n: {"describe": r.describe(), **r.as_dict()} for n, r in recipes.items()},
        "readme": readme_quotes(
            summary,
            recipes,
            {name: [r["test_pred"] for r in runs[name]] for name in recipes},
            data.y_test,
        ),
        **summary,
        "runs": [
            {
                **{k: v for k, v in r.items() if k not in {"key", "test_pred"}},
                "test_predictions": compare.encode_labels(r["test_pred"]),
            }
            for name in ("published", "improved")
            for r in runs[name]
        ],
    }
    folder = (ROOT / "benchmarks" / "scratch") if args.quick else config.RESULTS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "flagship.json"
    write_atomic(path, json.dumps(payload, indent=1) + "\n")
    print(json.dumps(payload["summary"], indent=1))
    print(json.dumps(payload["mcnemar_test"], indent=1))
    print(f"wrote {path} (load average {machine['load_average']})")
    return path


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    main()
