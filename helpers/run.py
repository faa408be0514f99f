"""Run the whole series headless: ``python -m helpers.run``.

Executes every notebook in ``notebooks/`` in order on a fresh kernel (nbclient), in full
mode, writes the outputs back into the notebooks and the figures into ``img/``, and ends
with a table of notebook, seconds, the kernel's peak memory and status.

    python -m helpers.run                 # the whole series, full mode
    python -m helpers.run 04 05           # only notebooks 04 and 05
    python -m helpers.run --fast          # FAST mode; notebooks are NOT overwritten

Every run also records, per notebook, the seconds it took (kernel start to last cell) and
the kernel's peak resident memory, in ``benchmarks/results/series_full.json`` or
``series_fast.json``. Running a selection updates only those notebooks' entries, so the
file always holds the latest measurement of every notebook; ``python -m benchmarks.report``
adds them up into the end-to-end time of the series that README quotes.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from helpers import config
from helpers.results import machine


@dataclass
class Result:
    notebook: str
    seconds: float
    peak_memory_mb: float | None
    status: str
    cells: int
    finished: str
    load_average: float | None  # 1-minute load when the notebook started (others' work)


def notebooks(selection: list[str] | None = None) -> list[Path]:
    """The numbered notebooks, in teaching order, optionally only the given numbers."""
    paths = sorted(config.NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))
    if selection:
        wanted = {s.zfill(2) for s in selection}
        unknown = wanted - {p.name[:2] for p in paths}
        if unknown:
            raise SystemExit(f"no notebook numbered {sorted(unknown)} in {config.NOTEBOOKS_DIR}")
        paths = [p for p in paths if p.name[:2] in wanted]
    return paths


def results_path(fast: bool) -> Path:
    """Where the runner records its measurements for this mode."""
    return config.RESULTS_DIR / ("series_fast.json" if fast else "series_full.json")


# --------------------------------------------------------------------------- peak memory


def peak_memory_mb(pid: int) -> float | None:
    """Peak resident memory of process ``pid`` so far, in MB (None if it cannot be read).

    Linux keeps the high-water mark (VmHWM) itself, so reading it after each cell misses
    nothing; on Windows psutil reports the peak working set; elsewhere the current
    resident size is the best available and the runner keeps the largest value it sees.
    """
    status = Path(f"/proc/{pid}/status")
    try:
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB -> MB
    except OSError:
        pass
    try:
        import psutil

        info = psutil.Process(pid).memory_info()
    except Exception:  # no psutil, or the process is gone
        return None
    return getattr(info, "peak_wset", info.rss) / 2**20


class MemoryWatch:
    """nbclient hook: after every cell, read the kernel's peak memory and keep the largest."""

    def __init__(self, client):
        self.client = client
        self.peak: float | None = None

    def __call__(self, **_):
        provisioner = getattr(self.client.km, "provisioner", None)
        pid = getattr(provisioner, "pid", None)
        if pid is None:
            return
        value = peak_memory_mb(pid)
        if value is not None:
            self.peak = value if self.peak is None else max(self.peak, value)


# --------------------------------------------------------------------------- running


def execute(path: Path, write: bool, timeout: int | None) -> Result:
    """Execute one notebook on a fresh kernel; measure its time and the kernel's peak memory."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    watch = MemoryWatch(client)
    client.on_cell_executed = watch
    load = round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None
    start = time.perf_counter()
    status = "ok"
    try:
        client.execute()
    except CellExecutionError as exc:
        status = "FAILED: " + str(exc).strip().splitlines()[-1][:120]
    seconds = time.perf_counter() - start
    if write and status == "ok":
        nbformat.write(nb, path)
    cells = sum(1 for c in nb.cells if c.cell_type == "code")
    finished = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    return Result(path.name, seconds, watch.peak, status, cells, finished, load)


def record(results: list[Result], fast: bool, path: Path | None = None) -> Path:
    """Merge ``results`` into the mode's results file (other notebooks' entries are kept)."""
    path = path or results_path(fast)
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = config.ROOT / "benchmarks" / "scratch" / f"{path.stem}.lock"  # git-ignored
    lock.parent.mkdir(parents=True, exist_ok=True)
    with _locked(lock):  # two runners at once must not lose each other's entries
        return _merge(results, fast, path)


@contextlib.contextmanager
def _locked(lock_path: Path):
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks; one runner at a time
        yield
        return
    with open(lock_path, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _merge(results: list[Result], fast: bool, path: Path) -> Path:
    data = {}
    if path.is_file():
        data = json.loads(path.read_text(encoding="utf-8"))
    entries = data.get("notebooks", {})
    for result in results:
        entry = asdict(result)
        entry.pop("notebook")
        entry["seconds"] = round(entry["seconds"], 1)
        if entry["peak_memory_mb"] is not None:
            entry["peak_memory_mb"] = round(entry["peak_memory_mb"], 1)
        entries[result.notebook] = entry
    existing = {p.name for p in notebooks()}
    entries = {name: entries[name] for name in sorted(entries) if name in existing}
    data = {"mode": "FAST" if fast else "full", "machine": machine(), "notebooks": entries}
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return path


def main(argv=None) -> int:
    from tqdm.auto import tqdm

    parser = argparse.ArgumentParser(description="Run the notebook series headless.")
    parser.add_argument("numbers", nargs="*", help="notebook numbers to run (default: all)")
    parser.add_argument("--fast", action="store_true", help="FAST mode; outputs are not saved")
    parser.add_argument("--timeout", type=int, default=3600, help="seconds allowed per cell")
    parser.add_argument(
        "--no-record", action="store_true", help="do not update benchmarks/results/series_*.json"
    )
    args = parser.parse_args(argv)

    # The kernels inherit this environment: choose the mode explicitly, quiet TensorFlow.
    if args.fast:
        os.environ[config.FAST_ENV] = "1"
    else:
        os.environ.pop(config.FAST_ENV, None)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

    paths = notebooks(args.numbers)
    results = []
    bar = tqdm(paths, desc="notebooks", unit="nb")
    for path in bar:
        bar.set_postfix_str(path.name)
        result = execute(path, write=not args.fast, timeout=args.timeout)
        results.append(result)
        memory = f", peak {result.peak_memory_mb:.0f} MB" if result.peak_memory_mb else ""
        tqdm.write(f"{path.name}: {result.status} in {result.seconds:.0f} s{memory}")
    bar.close()

    width = max([len(r.notebook) for r in results] + [8])
    print(f"\n{'notebook':<{width}}  {'seconds':>8}  {'peak MB':>8}  status")
    for r in results:
        memory = f"{r.peak_memory_mb:8.0f}" if r.peak_memory_mb is not None else f"{'?':>8}"
        print(f"{r.notebook:<{width}}  {r.seconds:>8.1f}  {memory}  {r.status}")
    total = sum(r.seconds for r in results)
    print(f"{'total':<{width}}  {total:>8.1f}  {'':>8}  mode: {'FAST' if args.fast else 'full'}")
    if not args.no_record and results:
        path = record(results, args.fast)
        print(f"recorded in {path.relative_to(config.ROOT)}")
    return 0 if all(r.status == "ok" for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
