"""Time notebooks as a newcomer would run them: a fresh clone, nothing trained on disk.

    flock /tmp/heavy.lock python -m benchmarks.fresh_clone            # the main command
    flock /tmp/heavy.lock python -m benchmarks.fresh_clone 09 [--branch main] [--keep DIR]

Clones this repository (``git clone`` of the given branch, default: the current one) into a
temporary folder, checks that the clone has no ``artifacts/`` (no trained model: only what is
committed, e.g. ``benchmarks/models/``), checks that Python run there imports the clone's
``helpers``, then runs, in the clone, in full mode (the MNIST file from the Keras cache, as on
any machine that has run the series once), and measures the wall time of:

* with no notebook given: **the README's main command**, ``python -m helpers.run`` (every
  notebook in order). The result goes into ``benchmarks/results/series_full.json`` under
  ``fresh_clone``: seconds, date, commit, load average before and after, and every notebook's
  own seconds in that run (read from the clone's runner record), for issue 24's targets
  (the whole command <= 20 min, each notebook <= 5 min on a fresh clone);
* with a notebook number: ``python -m helpers.run NN --no-record``, recorded in
  ``benchmarks/results/fresh_clone_NN.json``.

Both records hold every line the executed notebooks printed about a model being loaded or
trained (so the file says what a fresh clone did, not only how long it took).
``--keep DIR`` copies the executed notebooks to DIR (to inspect them, or to commit outputs).
Run it on a quiet machine: the load average is recorded because a busy one is slower.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # runnable as a plain script from anywhere
    sys.path.insert(0, str(ROOT))

from helpers import config  # noqa: E402
from helpers.results import write_atomic  # noqa: E402

#: Lines of a notebook's outputs that say a model was loaded or trained.
MODEL_LINES = re.compile(r"^(Loaded|Trained|Keras .* cannot load|Epoch 1/)")


def _git(*args, cwd=ROOT) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout.strip()


def model_lines(notebook: Path) -> list[str]:
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    lines = []
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            text = out.get("text", "")
            text = "".join(text) if isinstance(text, list) else text
            lines += [ln.strip() for ln in text.splitlines() if MODEL_LINES.search(ln.strip())]
    return lines


def _series_seconds(clone: Path) -> dict:
    """Every notebook's seconds as the clone's runner recorded them ({} if it did not)."""
    path = clone / "benchmarks" / "results" / "series_full.json"
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))["notebooks"]
    except (OSError, ValueError, KeyError):
        return {}
    return {name: e.get("seconds") for name, e in entries.items() if e.get("finished", "") != ""}


def _record_in_series(result: dict) -> Path:
    """Put ``result`` under ``fresh_clone`` in benchmarks/results/series_full.json (the rest of
    the file is kept; the runner keeps this entry when it records notebooks)."""
    from helpers import run

    path = run.results_path(fast=False)
    data = run.check_series_file(path) or {"mode": "full", "notebooks": {}}
    data["fresh_clone"] = result
    write_atomic(path, json.dumps(data, indent=2) + "\n")
    return path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "notebook", nargs="?", help="a notebook's number, e.g. 09 (default: the main command)"
    )
    parser.add_argument("--branch", default=None, help="branch to clone (default: current)")
    parser.add_argument("--keep", type=Path, help="copy the executed notebooks into this folder")
    args = parser.parse_args(argv)
    branch = args.branch or _git("rev-parse", "--abbrev-ref", "HEAD")
    tmp = Path(tempfile.mkdtemp(prefix="fresh_clone_"))
    try:
        clone = tmp / "repo"
        _git("clone", "--quiet", "--branch", branch, str(ROOT), str(clone), cwd=tmp)
        commit = _git("rev-parse", "HEAD", cwd=clone)
        if (clone / "artifacts").exists():
            raise SystemExit(f"{clone}/artifacts exists in a fresh clone: not a fair measurement")
        env = {k: v for k, v in os.environ.items() if k != config.FAST_ENV}
        where = subprocess.run(
            [sys.executable, "-c", "import helpers; print(helpers.__file__)"],
            cwd=clone,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        if not where.startswith(str(clone)):
            raise SystemExit(f"the clone imports helpers from {where}, not from itself")
        if args.notebook:
            command = ["python", "-m", "helpers.run", args.notebook, "--no-record"]
        else:
            command = ["python", "-m", "helpers.run"]  # README's main command, as written there
        load_before = os.getloadavg()
        start = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, *command[1:]], cwd=clone, env=env, capture_output=True, text=True
        )
        seconds = time.perf_counter() - start
        load_after = os.getloadavg()
        pattern = f"{args.notebook}_*.ipynb" if args.notebook else "[0-9][0-9]_*.ipynb"
        executed = sorted((clone / "notebooks").glob(pattern))
        result = {
            "seconds": round(seconds, 1),
            "minutes": round(seconds / 60, 2),
            "status": "ok" if proc.returncode == 0 else f"FAILED (exit {proc.returncode})",
            "measured": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "commit": commit,
            "branch": branch,
            "command": "flock /tmp/heavy.lock python -m benchmarks.fresh_clone"
            + (f" {args.notebook}" if args.notebook else ""),
            "what_it_runs": f"git clone; (no artifacts/); {' '.join(command)}",
            "cpus": os.cpu_count(),
            "load_average_before": list(load_before),
            "load_average_after": list(load_after),
            "runner_output": proc.stdout.strip().splitlines()[-15:],
            "model_lines": {nb.name: model_lines(nb) for nb in executed},
            "trained_on_disk_after": sorted(p.name for p in (clone / "artifacts").rglob("*.keras")),
        }
        if args.notebook:
            result = {"notebook": executed[0].name, **result}
            result["model_lines"] = result["model_lines"][executed[0].name]
            target = config.RESULTS_DIR / f"fresh_clone_{args.notebook}.json"
            write_atomic(target, json.dumps(result, indent=1) + "\n")
        else:
            result["notebooks"] = _series_seconds(clone)
            target = _record_in_series(result)
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            for nb in executed:
                shutil.copy(nb, args.keep / nb.name)
        print(json.dumps(result, indent=1))
        print(f"recorded in {target.relative_to(ROOT)}")
        return 0 if proc.returncode == 0 else 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
