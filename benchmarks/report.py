"""Every number README quotes, gathered from the measured results in one command.

    python -m benchmarks.report                 # write results.json and results.md
    python -m benchmarks.report --write-readme  # ... and README's results block
    python -m benchmarks.report --check         # fail if any of them is out of date

Nothing is measured here: the numbers come from the files that the measuring code writes
into ``benchmarks/results/``:

* ``architectures.json``: notebook 08 (``helpers.compare``), every model of the series
  trained under one protocol: parameters, seconds per epoch, test accuracy over seeds;
* ``series_full.json`` and ``series_fast.json``: ``python -m helpers.run [--fast]``, the
  seconds and the kernel's peak memory of every notebook, in full and in FAST mode;
* any other ``*.json`` there with a top-level ``"readme"`` list of
  ``{"quantity": ..., "value": ..., "unit": ..., "note": ...}`` entries (for benchmark
  scripts of single notebooks), quoted as they are.

The report writes ``benchmarks/results/results.json`` and ``results.md``, and, with
``--write-readme``, the block of README.md between ``<!-- results:start -->`` and
``<!-- results:end -->``. ``tests/test_benchmarks.py`` fails when README or the two files
differ from what this command generates, so a quoted number cannot drift from its source.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
from pathlib import Path

from helpers.results import write_atomic

ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = ROOT / "benchmarks" / "results"
README = ROOT / "README.md"
START, END = "<!-- results:start -->", "<!-- results:end -->"
OWN_FILES = {
    "results.json",
    "architectures.json",
    "series_full.json",
    "series_fast.json",
    "baselines.json",
    "beyond_mlp.json",
}


def _read(path: Path):
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def _notebooks(root: Path) -> list[str]:
    return sorted(p.name for p in (root / "notebooks").glob("[0-9][0-9]_*.ipynb"))


# --------------------------------------------------------------------------- gathering


def joined_08(payload, results_dir: Path = RESULTS_DIR) -> list[dict]:
    """The runs notebook 08 joins to its table (notebook 09's plain CNN, trained under its
    protocol by ``benchmarks/bench_beyond_mlp.py``), when they fit its split and protocol."""
    if "labels" not in payload:
        return []
    from helpers import compare

    return compare.stored_runs(payload["labels"], payload["protocol"], results_dir)[0]


def _procedure_interval(rs: list[dict], labels: dict | None) -> tuple:
    """95% interval of the mean test accuracy covering the seeds and the test images
    (:func:`helpers.stats.procedure_accuracy`), from the runs' stored predictions; ``(None,
    None)`` with one seed or without predictions."""
    if len(rs) < 2 or not labels or not all("test_predictions" in r for r in rs):
        return None, None
    from helpers import compare, stats

    est = stats.procedure_accuracy(
        compare.decode_labels(labels["test"]),
        [compare.decode_labels(r["test_predictions"]) for r in rs],
    )
    return round(est.low, 5), round(est.high, 5)


def models_section(payload, results_dir: Path = RESULTS_DIR) -> dict | None:
    """Mean and spread over seeds per model, from notebook 08's stored runs (and the runs
    it joins, see :func:`joined_08`)."""
    if payload is None:
        return None
    runs = payload["runs"] + joined_08(payload, results_dir)
    order: list[str] = []
    by_name: dict[str, list[dict]] = {}
    for run in runs:
        if run["name"] not in by_name:
            order.append(run["name"])
            by_name[run["name"]] = []
        by_name[run["name"]].append(run)
    models = []
    for name in order:
        rs = by_name[name]
        acc = [r["test_accuracy"] for r in rs]
        # math.fsum, not sum: Python 3.12 changed sum() of floats (compensated), so a mean
        # that ends in ...5 would round differently on 3.11 and 3.12
        mean = math.fsum(acc) / len(acc)
        sd = (
            (math.fsum((a - mean) ** 2 for a in acc) / (len(acc) - 1)) ** 0.5
            if len(acc) > 1
            else None
        )
        low, high = _procedure_interval(rs, payload.get("labels"))
        models.append(
            dict(
                name=name,
                label=rs[0]["label"],
                group=rs[0]["group"],
                params=rs[0]["params"],
                seeds=len(rs),
                epochs=round(math.fsum(r["epochs"] for r in rs) / len(rs), 1),
                seconds_per_epoch=round(math.fsum(r["seconds_per_epoch"] for r in rs) / len(rs), 2),
                train_seconds=round(math.fsum(r["train_seconds"] for r in rs) / len(rs), 1),
                val_accuracy=(
                    round(math.fsum(r["val_accuracy"] for r in rs) / len(rs), 5)
                    if all("val_accuracy" in r for r in rs)
                    else None
                ),
                test_accuracy=round(mean, 5),
                test_accuracy_sd=None if sd is None else round(sd, 6),
                test_low=low,
                test_high=high,
                test_errors=round(math.fsum(r["test_errors"] for r in rs) / len(rs), 1),
                n_test=rs[0]["n_test"],
            )
        )
    protocol = payload["protocol"]
    joined = sorted({r["label"] for r in runs if r.get("kind") == "joined"})
    return dict(
        source="benchmarks/results/architectures.json",
        **({"joined": joined} if joined else {}),
        measured=payload["measured"],
        mode=payload["mode"],
        total_seconds=payload["total_seconds"],
        machine=payload["machine"],
        protocol=protocol,
        models=models,
    )


def series_section(payload, notebooks: list[str]) -> dict | None:
    """End-to-end seconds and peak memory of the series in one mode, from the runner."""
    if payload is None:
        return None
    entries = payload["notebooks"]
    measured = {n: entries[n] for n in notebooks if n in entries}
    missing = [n for n in notebooks if n not in entries]
    failed = [n for n, e in measured.items() if e["status"] != "ok"]
    peaks = [e["peak_memory_mb"] for e in measured.values() if e["peak_memory_mb"] is not None]
    loads = [e["load_average"] for e in measured.values() if e.get("load_average") is not None]
    return dict(
        mode=payload["mode"],
        machine=payload["machine"],
        notebooks={
            n: dict(seconds=e["seconds"], peak_memory_mb=e["peak_memory_mb"], status=e["status"])
            for n, e in measured.items()
        },
        total_seconds=round(math.fsum(e["seconds"] for e in measured.values()), 1),
        peak_memory_mb=max(peaks) if peaks else None,
        complete=not missing and not failed,
        missing=missing,
        failed=failed,
        max_load_average=max(loads) if loads else None,
        # README's main command timed on a fresh clone (benchmarks/fresh_clone.py), if it was
        **({"fresh_clone": payload["fresh_clone"]} if payload.get("fresh_clone") else {}),
        measured_between=[
            min(e["finished"] for e in measured.values()),
            max(e["finished"] for e in measured.values()),
        ]
        if measured
        else None,
    )


def other_quotes(results_dir: Path) -> list[dict]:
    """Numbers that single-notebook benchmark scripts ask README to quote."""
    quotes = []
    for path in sorted(results_dir.glob("*.json")):
        if path.name in OWN_FILES:
            continue
        payload = _read(path)
        if not isinstance(payload, dict) or not isinstance(payload.get("readme"), list):
            continue
        for entry in payload["readme"]:
            quotes.append(
                dict(
                    quantity=str(entry["quantity"]),
                    value=entry["value"],
                    unit=str(entry.get("unit", "")),
                    note=str(entry.get("note", "")),
                    source=f"benchmarks/results/{path.name}",
                )
            )
    return quotes


def baselines_section(payload) -> dict | None:
    """Notebook 01's baselines (``helpers.baselines``): validation and test accuracy each."""
    if payload is None:
        return None
    return dict(
        measured=payload["measured"],
        sizes=payload["details"].get("sizes"),
        rows=payload["details"]["baselines"],
    )


#: Notebook 09's recipes by the round that introduced them: round 2 was designed after round
#: 1's test accuracies had been seen (notebook 09, "How the recipes came about").
ROUNDS_09 = {
    "cnn": 1,
    "cnn_augmented": 1,
    "flagship_augmented": 1,
    "cnn_deep_augmented": 2,
    "flagship_augmented_long": 2,
    "flagship_augmented_light": 2,
}


def beyond_mlp_section(payload) -> dict | None:
    """Notebook 09's benchmark (``benchmarks/bench_beyond_mlp.py``): per model the mean
    validation and test accuracy over its seeds, and the CNN recipe chosen on validation."""
    if payload is None or not payload.get("summary"):
        return None
    return dict(
        measured=payload["measured"],
        complete=payload.get("complete", False),
        machine=payload["machine"],
        seed0_train_seconds={
            r["name"]: r["train_seconds"] for r in payload.get("runs", []) if r["seed"] == 0
        },
        runs_measured=payload.get("runs_measured"),
        runs_load_average=payload.get("runs_load_average"),
        runs_train_seconds=payload.get("runs_train_seconds"),
        choice=(payload.get("choice") or {}).get("chosen"),
        mlp_choice=(payload.get("mlp_choice") or {}).get("chosen"),
        candidates={**payload.get("candidates", {}), **payload.get("mlp_candidates", {})},
        summary=payload["summary"],
        test_intervals={
            name: _procedure_interval(
                [r for r in payload.get("runs", []) if r["name"] == name], payload.get("labels")
            )
            for name in payload["summary"]
        },
        quotes=payload.get("readme", []),
    )


def gather(root: Path = ROOT) -> dict:
    """Everything README quotes, from the results files under ``root``."""
    results_dir = root / "benchmarks" / "results"
    notebooks = _notebooks(root)
    return dict(
        models=models_section(_read(results_dir / "architectures.json"), results_dir),
        series=dict(
            full=series_section(_read(results_dir / "series_full.json"), notebooks),
            fast=series_section(_read(results_dir / "series_fast.json"), notebooks),
        ),
        other=other_quotes(results_dir),
        baselines=baselines_section(_read(results_dir / "baselines.json")),
        beyond_mlp=beyond_mlp_section(_read(results_dir / "beyond_mlp.json")),
        flagship=_read(results_dir / "flagship.json"),
    )


# --------------------------------------------------------------------------- Markdown


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f} min" if seconds >= 90 else f"{seconds:.0f} s"


def _acc(model: dict) -> str:
    text = f"{100 * model['test_accuracy']:.2f}"
    if model.get("test_low") is not None:
        text += f" [{100 * model['test_low']:.2f}, {100 * model['test_high']:.2f}]"
    elif model["test_accuracy_sd"] is not None:
        text += f" ± {100 * model['test_accuracy_sd']:.2f}"
    return text


def markdown(results: dict) -> str:
    """The results as Markdown: the text of results.md and of README's block."""
    out: list[str] = []
    models = results["models"]
    out.append("#### Every model under one protocol (notebook 08)")
    out.append("")
    if models is None:
        out.append("_Not measured yet: run `python -m helpers.run 08` (full mode)._")
    else:
        p = models["protocol"]
        counts = sorted({m["seeds"] for m in models["models"]}) or [len(p["seeds"])]
        n_test = models["models"][0]["n_test"] if models["models"] else 0
        out.append(
            f"Same split, Adam (learning rate {p['learning_rate']:g}), batch {p['batch_size']}, "
            + (
                f"up to {p['max_epochs']} epochs with early stopping on the validation accuracy "
                f"(patience {p['patience']}, best epoch restored), "
                if "max_epochs" in p
                else f"{p['epochs']} epochs, "
            )
            + (f"{counts[0]}" if len(counts) == 1 else f"{counts[0]} to {counts[-1]}")
            + f" seed{'s' if counts[-1] > 1 else ''} per model "
            "(column seeds). Models are ranked and chosen on the validation accuracy (mean over "
            "the seeds; notebook 08 compares them as training procedures, seeds and images); "
            f"test accuracy on {n_test:,} test images, reported once: mean over the seeds with "
            "its 95% interval covering the seeds and the test images (mean ± standard "
            "deviation over the seeds where no predictions are stored)."
        )
        out.append("")
        out.append(
            "| model | parameters | seeds | s / epoch | validation accuracy % | test accuracy % "
            "| test errors |"
        )
        out.append("|---|---:|---:|---:|---:|---:|---:|")
        for m in models["models"]:
            val = f"{100 * m['val_accuracy']:.2f}" if m.get("val_accuracy") is not None else "-"
            out.append(
                f"| {m['label']} | {m['params']:,} | {m['seeds']} | {m['seconds_per_epoch']:.2f} | {val} | "
                f"{_acc(m)} | {m['test_errors']:.0f} |"
            )
        machine = models["machine"]
        out.append("")
        out.append(
            f"Measured {models['measured'][:10]} in {_minutes(models['total_seconds'])} "
            f"({models['mode']} mode) on {machine['cpus']} CPU cores, TensorFlow "
            f"{machine['tensorflow']}, NumPy {machine['numpy']}"
            + (
                f"; 1-minute load average {machine['load_average']:.1f} at the end"
                if machine.get("load_average") is not None
                else ""
            )
            + ". Source: `benchmarks/results/architectures.json`"
            + (
                "; rows marked stored: their benchmark's results file (trained under the same "
                "protocol, joined by notebook 08)."
                if models.get("joined")
                else "."
            )
        )
    out.append("")
    out.append("#### The whole series, end to end (`python -m helpers.run`)")
    out.append("")
    full, fast = results["series"]["full"], results["series"]["fast"]
    if full is None and fast is None:
        out.append(
            "_Not measured yet: run `python -m helpers.run` and `python -m helpers.run --fast`._"
        )
    else:
        names = sorted(
            set((full or {}).get("notebooks", {})) | set((fast or {}).get("notebooks", {}))
        )

        def cell(section, name, key, fmt):
            if section is None or name not in section["notebooks"]:
                return "–"
            entry = section["notebooks"][name]
            if entry["status"] != "ok":
                return "failed"
            value = entry[key]
            return "?" if value is None else fmt(value)

        fresh = (full or {}).get("fresh_clone")  # the main command on a fresh clone

        def fresh_cell(name):
            seconds = fresh["notebooks"].get(name) if fresh.get("notebooks") else None
            return "–" if seconds is None else _minutes(seconds)

        extra = " fresh clone: time |" if fresh else ""
        out.append(
            "| notebook | full: time | full: peak memory | FAST: time | FAST: peak memory |" + extra
        )
        out.append("|---|---:|---:|---:|---:|" + ("---:|" if fresh else ""))
        for name in names:
            out.append(
                f"| {name.removesuffix('.ipynb')} | "
                f"{cell(full, name, 'seconds', _minutes)} | "
                f"{cell(full, name, 'peak_memory_mb', lambda v: f'{v:,.0f} MB')} | "
                f"{cell(fast, name, 'seconds', _minutes)} | "
                f"{cell(fast, name, 'peak_memory_mb', lambda v: f'{v:,.0f} MB')} |"
                + (f" {fresh_cell(name)} |" if fresh else "")
            )

        def total(section):
            if section is None:
                return "–", "–"
            mark = "" if section["complete"] else " (incomplete)"
            peak = section["peak_memory_mb"]
            return _minutes(
                section["total_seconds"]
            ) + mark, "?" if peak is None else f"{peak:,.0f} MB"

        (ft, fp), (qt, qp) = total(full), total(fast)
        fresh_total = f" **{_minutes(fresh['seconds'])}** |" if fresh else ""
        out.append(
            f"| **whole series** | **{ft}** | **{fp}** | **{qt}** | **{qp}** |" + fresh_total
        )
        out.append("")
        notes = []
        if fresh:
            load = (fresh.get("load_average_before") or [None])[0]
            notes.append(
                "fresh clone: README's main command (`python -m helpers.run`) in a new `git clone` "
                "with no `artifacts/` (only the models committed in `benchmarks/models/`), timed by "
                f"`benchmarks/fresh_clone.py` on {fresh['measured'][:10]} ({fresh['status']}"
                + (f", 1-minute load average {load:.1f} before" if load is not None else "")
                + "); the whole series' time includes starting each kernel."
            )
        for label, section in [("full", full), ("FAST", fast)]:
            if section is None:
                notes.append(f"{label} mode not measured yet.")
                continue
            if section["missing"]:
                notes.append(f"{label} mode: not measured yet for {', '.join(section['missing'])}.")
            if section["failed"]:
                notes.append(f"{label} mode: FAILED for {', '.join(section['failed'])}.")
            if section["max_load_average"] is not None and section["max_load_average"] > (
                section["machine"]["cpus"] or 1
            ):
                notes.append(
                    f"{label} mode was measured on a busy machine (1-minute load average up to "
                    f"{section['max_load_average']:.1f} on {section['machine']['cpus']} cores): "
                    "times are upper bounds."
                )
        beyond = results.get("beyond_mlp")
        if beyond and beyond.get("choice") and beyond.get("mlp_choice"):
            trained = beyond.get("seed0_train_seconds", {})
            cnn, mlp = trained.get(beyond["choice"]), trained.get(beyond["mlp_choice"])
            if cnn is not None and mlp is not None:
                notes.append(
                    "09 loads the seed-0 models that `benchmarks/bench_beyond_mlp.py` trained: "
                    "from `artifacts/` when they are there, otherwise (a fresh clone) from the "
                    "small checksummed copies committed in `benchmarks/models/`; its switch "
                    f"`TRAIN_YOURSELF = True` trains them, which took {_minutes(cnn)} (the CNN) "
                    f"and {_minutes(mlp)} (the MLP) in the benchmark."
                )
        flagship = results.get("flagship")
        if flagship and any("test_predictions" in r for r in flagship.get("runs", [])):
            published = [r for r in flagship["runs"] if r["recipe"] == "published"]
            loads = [r["load_average"] for r in published]
            notes.append(
                "06's optional part reads the published recipe's runs over three seeds from "
                "the committed `benchmarks/results/flagship.json` instead of training them, on "
                "a fresh clone too; trained, one took "
                f"{_minutes(statistics.median(r['seconds'] for r in published))} in "
                f"`benchmarks/bench_flagship.py` (median of {len(published)} seeds, 1-minute "
                f"load average {min(loads):g}-{max(loads):g} on {flagship['cpus']} cores). "
                "08 likewise reads its 48 stored runs (checksummed, made by "
                "`benchmarks/bench_architectures.py`) unless its `TRAIN_YOURSELF` switch is "
                "set to `True`."
            )
        machine = (full or fast)["machine"]
        notes.append(
            f"Time: kernel start to last cell; peak memory: the kernel's peak resident memory. "
            f"{machine['cpus']} CPU cores, Python {machine['python']}, TensorFlow "
            f"{machine['tensorflow']}. Sources: `benchmarks/results/series_full.json`, "
            "`series_fast.json`."
        )
        out.extend(f"- {note}" for note in notes)
    baselines = results.get("baselines")
    if baselines is not None:
        out.append("")
        out.append("#### Baselines (notebook 01)")
        out.append("")
        sizes = baselines["sizes"] or {}
        out.append(
            "Fitted on the fit set"
            + (f" ({sizes['fit']:,} images)" if "fit" in sizes else "")
            + ", compared on validation; test measured once, as a reference. "
            "Every accuracy of the series is read against these."
        )
        out.append("")
        out.append("| baseline | validation accuracy % | test accuracy % |")
        out.append("|---|---:|---:|")
        for row in baselines["rows"]:
            out.append(
                f"| {row['name']} | {100 * row['validation_accuracy']:.2f} | "
                f"{100 * row['test_accuracy']:.2f} |"
            )
        out.append("")
        out.append(
            f"Measured {baselines['measured'][:10]}. Source: `benchmarks/results/baselines.json`."
        )
    beyond = results.get("beyond_mlp")
    if beyond:
        out.append("")
        out.append("#### Beyond the MLP: augmentation and a CNN (notebook 09)")
        out.append("")
        out.append(
            "Seeds 0-2 on the series' split. The CNN recipe and the MLP recipe are each chosen "
            "on the mean validation accuracy, and every target is a validation target. The "
            "recipes came in two rounds: the test accuracies of round 1 had been computed and "
            "seen before round 2 was designed, so the test set saw the race; notebook 09 tells "
            "that story and estimates the optimism it can add to the reported test accuracy. "
            "Test accuracy: mean over the seeds with a 95% interval that covers both the seeds "
            "and the sampling of the 10,000 test images (`helpers.stats.procedure_accuracy`)."
            + ("" if beyond["complete"] else " **Incomplete: not every seed has run yet.**")
        )
        out.append("")
        out.append(
            "| model | round | seeds | epochs | s / epoch | validation accuracy % | "
            "test accuracy % [95% interval] |"
        )
        out.append("|---|---:|---:|---|---:|---:|---:|")
        labels = {"flagship_augmented": "flagship MLP + augmentation", **beyond["candidates"]}
        for name, s in beyond["summary"].items():
            chosen = name in (beyond["choice"], beyond.get("mlp_choice"))
            label = labels.get(name, name) + (" (chosen)" if chosen else "")
            t = s["test_accuracy"]
            low, high = beyond.get("test_intervals", {}).get(name, (None, None))
            test = f"{t['mean']:.2f}" + (
                f" [{100 * low:.2f}, {100 * high:.2f}]"
                if low is not None
                else f" ({t['min']:.2f}-{t['max']:.2f}, range)"
            )
            out.append(
                f"| {label} | {ROUNDS_09.get(name, '?')} | {len(s['seeds'])} | "
                f"{'/'.join(map(str, s['epochs']))} | {s['seconds_per_epoch_median']:.1f} | "
                f"{s['val_accuracy']['mean']:.2f} | {test} |"
            )
        m = beyond["machine"]
        out.append("")
        if beyond.get("runs_load_average"):
            low, high = beyond["runs_load_average"]
            when = (
                f"Runs measured {beyond['runs_measured'][0][:16].replace('T', ' ')} to "
                f"{beyond['runs_measured'][1][:16].replace('T', ' ')} UTC on {m['cpus']} CPU "
                f"cores, {beyond['runs_train_seconds'] / 3600:.1f} hours of training in all, "
                f"1-minute load average {low}-{high} (a shared machine, often running two "
                "benchmarks at once: the seconds are upper bounds)."
            )
        else:
            when = (
                f"Measured {beyond['measured'][:10]} on {m['cpus']} CPU cores (1-minute load "
                f"average {m['load_average']} at the end: a shared machine, so the seconds are "
                "upper bounds)."
            )
        out.append(
            when + " Source: `benchmarks/results/beyond_mlp.json` "
            "(`python -m benchmarks.bench_beyond_mlp`)."
        )
    if results["other"]:
        out.append("")
        out.append("#### Other measurements")
        out.append("")
        out.append("| quantity | value | note | source |")
        out.append("|---|---:|---|---|")
        for q in results["other"]:
            value = f"{q['value']:,}" if isinstance(q["value"], int) else str(q["value"])
            unit = f" {q['unit']}" if q["unit"] else ""
            out.append(f"| {q['quantity']} | {value}{unit} | {q['note']} | `{q['source']}` |")
    return "\n".join(out).rstrip() + "\n"


# --------------------------------------------------------------------------- README


def readme_block(text: str) -> str | None:
    """The text between README's markers (None if the markers are missing)."""
    if START not in text or END not in text:
        return None
    return text.split(START, 1)[1].split(END, 1)[0]


def with_block(text: str, block: str) -> str:
    if readme_block(text) is None:
        raise SystemExit(
            f"README.md has no results block: put the two lines {START} and {END} where the "
            "results belong, then run again."
        )
    before, rest = text.split(START, 1)
    after = rest.split(END, 1)[1]
    return f"{before}{START}{block}{END}{after}"


def readme_text(root: Path = ROOT) -> str:
    """What README's block holds: a blank line, the Markdown, a blank line."""
    return "\n\n" + markdown(gather(root)) + "\n"


def expected_files(root: Path = ROOT) -> dict[Path, str]:
    """What results.json and results.md must contain, generated from the results files."""
    results = gather(root)
    results_dir = root / "benchmarks" / "results"
    return {
        results_dir / "results.json": json.dumps(results, indent=2, ensure_ascii=False) + "\n",
        results_dir / "results.md": "### Results\n\n" + markdown(results),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write-readme", action="store_true", help="rewrite README's block")
    parser.add_argument("--check", action="store_true", help="fail if anything is out of date")
    args = parser.parse_args(argv)

    files = expected_files()
    block = readme_text()
    readme = README.read_text(encoding="utf-8")
    if args.check:
        stale = [
            p.name
            for p, text in files.items()
            if not p.is_file() or p.read_text(encoding="utf-8") != text
        ]
        if readme_block(readme) != block:
            stale.append("README.md (results block)")
        for name in stale:
            print(f"out of date: {name} (run python -m benchmarks.report --write-readme)")
        return 1 if stale else 0
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, text)
        print(f"wrote {path.relative_to(ROOT)}")
    if args.write_readme:
        write_atomic(README, with_block(readme, block))
        print("wrote README.md (results block)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
