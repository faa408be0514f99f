"""Notebook 08's runs: every candidate under one protocol, stored for the notebook to load.

    flock /tmp/heavy.lock nice python -m benchmarks.bench_architectures         # train (long)
    python -m benchmarks.bench_architectures --from-results   # store the committed runs again
    python -m benchmarks.bench_architectures --quick          # FAST sizes, into scratch/

Training (the default) is exactly what notebook 08 does with ``TRAIN_YOURSELF = True``:
:func:`helpers.compare.run_all` on the series' split under :func:`helpers.compare.protocol`,
with twice the seeds for the small networks (``more_seeds=True``). It writes

* ``benchmarks/results/architectures.json``: every run with its predictions as digit strings,
  the labels, the protocol, the machine and the total seconds (:func:`compare.save_results`,
  read by ``benchmarks/report.py`` and the tests);
* the **stored runs** notebook 08 loads by default (:func:`compare.save_stored_runs`):
  ``architectures_runs.json`` (one row per run without its predictions, and how and when they
  were measured, with the seconds training took), ``architectures_runs.npz`` (each run's
  predicted digit for every validation and test image, and the true labels, as uint8 arrays)
  and ``architectures_runs.sha256`` (a ``sha256sum`` manifest of both;
  ``sha256sum -c architectures_runs.sha256`` in ``benchmarks/results/`` checks them by hand).

``--from-results`` trains nothing: it stores the runs of the committed
``architectures.json`` (the full run notebook 08 shows) in the compact form again, after
checking that its predictions give the accuracies it records. ``--quick`` trains in FAST
mode and writes everything to ``benchmarks/scratch/`` (a smoke test).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # runnable as a plain script from anywhere
    sys.path.insert(0, str(ROOT))

from helpers import config  # noqa: E402

SCRATCH = ROOT / "benchmarks" / "scratch"


def meta_of(payload: dict, trained_by: str) -> dict:
    """What the stored runs say about how they were measured (no runs, no labels)."""
    keep = ("measured", "mode", "protocol", "split", "total_seconds", "machine")
    return {k: payload[k] for k in keep if k in payload} | {"trained_by": trained_by}


def from_results(results_file: Path, folder: Path) -> list[Path]:
    """Store the runs of a results file (``architectures.json``) as the compact stored runs."""
    import json

    from helpers import compare

    runs, meta = compare.load_results(results_file)
    raw = json.loads(Path(results_file).read_text(encoding="utf-8"))
    how = (
        "notebook 08's full run (python -m helpers.run 08: compare.run_all(split, protocol, "
        "more_seeds=True), the call TRAIN_YOURSELF = True makes), whose results file "
        "architectures.json this is; stored by benchmarks/bench_architectures.py --from-results"
    )
    return compare.save_stored_runs(runs, meta_of(raw, how), meta["y_val"], meta["y_test"], folder)


def train(quick: bool) -> list[Path]:
    """Train every run as notebook 08 does, write architectures.json and the stored runs."""
    import json

    from helpers import compare, data
    from helpers.split import load_split

    split = load_split()
    proto = compare.protocol()
    start = time.perf_counter()
    runs = compare.run_all(split, proto, more_seeds=True)
    seconds = time.perf_counter() - start
    full = not quick and not config.is_fast() and data.last_source.is_full
    path = compare.save_results(runs, proto, split, full, seconds)
    folder = config.RESULTS_DIR if full else SCRATCH
    raw = json.loads(path.read_text(encoding="utf-8"))
    print(f"{len(runs)} runs in {seconds / 60:.1f} min; written to {path}")
    how = "benchmarks/bench_architectures.py (compare.run_all, more_seeds=True)"
    return compare.save_stored_runs(runs, meta_of(raw, how), split.y_val, split.y_test, folder)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    how = parser.add_mutually_exclusive_group()
    how.add_argument(
        "--from-results", action="store_true", help="store the committed runs, train nothing"
    )
    how.add_argument(
        "--quick", action="store_true", help="FAST sizes, written to benchmarks/scratch/"
    )
    args = parser.parse_args(argv)
    if args.quick:
        os.environ[config.FAST_ENV] = "1"  # config reads the mode afresh on every use
    if args.from_results:
        from helpers import compare

        written = from_results(compare.RESULTS_FILE, config.RESULTS_DIR)
    else:
        written = train(args.quick)
    for path in written:
        print(f"wrote {path} ({path.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
