"""Time notebooks as a newcomer would run them: a fresh clone, nothing trained on disk.

    flock /tmp/heavy.lock python -m benchmarks.fresh_clone 09 [--branch main] [--keep DIR]

Clones this repository (``git clone`` of the given branch, default: the current one) into a
temporary folder, checks that the clone has no ``artifacts/`` (no trained model), checks
that Python run there imports the clone's ``helpers``, then runs
``python -m helpers.run NN --no-record`` in it (full mode, the MNIST file from the Keras cache
as on any machine that has run the series once) and measures its wall time. It records, in
``benchmarks/results/fresh_clone_NN.json``: seconds, date, the commit, the load average
before and after, and every line the executed notebook printed about a model being loaded
or trained (so the file says what a fresh clone did, not only how long it took).
``--keep DIR`` copies the executed notebook to DIR (to inspect it, or to commit its outputs).
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


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebook", help="the notebook's number, e.g. 09")
    parser.add_argument("--branch", default=None, help="branch to clone (default: current)")
    parser.add_argument("--keep", type=Path, help="copy the executed notebook into this folder")
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
        load_before = os.getloadavg()
        start = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "helpers.run", args.notebook, "--no-record"],
            cwd=clone,
            env=env,
            capture_output=True,
            text=True,
        )
        seconds = time.perf_counter() - start
        load_after = os.getloadavg()
        notebook = next((clone / "notebooks").glob(f"{args.notebook}_*.ipynb"))
        result = {
            "notebook": notebook.name,
            "seconds": round(seconds, 1),
            "minutes": round(seconds / 60, 2),
            "status": "ok" if proc.returncode == 0 else f"FAILED (exit {proc.returncode})",
            "measured": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "commit": commit,
            "branch": branch,
            "command": f"flock /tmp/heavy.lock python -m benchmarks.fresh_clone {args.notebook}",
            "what_it_runs": f"git clone; (no artifacts/); python -m helpers.run {args.notebook} "
            "--no-record",
            "cpus": os.cpu_count(),
            "load_average_before": list(load_before),
            "load_average_after": list(load_after),
            "runner_output": proc.stdout.strip().splitlines()[-5:],
            "model_lines": model_lines(notebook),
            "trained_on_disk_after": sorted(p.name for p in (clone / "artifacts").rglob("*.keras")),
        }
        target = config.RESULTS_DIR / f"fresh_clone_{args.notebook}.json"
        write_atomic(target, json.dumps(result, indent=1) + "\n")
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            shutil.copy(notebook, args.keep / notebook.name)
        print(json.dumps(result, indent=1))
        return 0 if proc.returncode == 0 else 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
