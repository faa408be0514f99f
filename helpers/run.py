"""Run the whole series headless: ``python -m helpers.run``.

Executes every notebook in ``notebooks/`` in order on a fresh kernel (nbclient), in full
mode, writes the outputs back into the notebooks and the figures into ``img/``, and ends
with a table of notebook, seconds, the kernel's peak memory and status.

    python -m helpers.run                 # the whole series, full mode
    python -m helpers.run 05 06           # only notebooks 05 and 06
    python -m helpers.run --fast          # FAST mode; notebooks are NOT overwritten
    python -m helpers.run --normalise 06  # only fix notebook 06's metadata (no execution)

Nothing good is lost when a notebook fails. While a notebook runs, its figures
(``plots.save_fig``) and results (``results.record``) are written to a staging folder
(``$MNIST_STAGING_DIR``, under ``benchmarks/scratch/staging/``) and moved into ``img/`` and
``benchmarks/results/`` only when every cell succeeded; so is the notebook itself. Should a
notebook write into those folders some other way, the runner puts back what was there
before: every file in ``img/`` (but its git-ignored ``scratch/``), ``benchmarks/results/`` (but
the runner's own ``series_*.json``) and ``notebooks/``. A failure is reported with the
notebook, the failing cell's source, its last output lines and the whole traceback; the
executed copy of the failed notebook is kept in ``benchmarks/scratch/failed/`` (git-ignored)
to open, and the notebook's entry in the series' results file keeps its last good
measurement.

Every file the runner writes (notebooks, the series' results file, files it puts back) is
written to a temporary file in the same folder and renamed into place, so a full disk or
an interruption leaves the old file whole. One runner at a time works in a clone (a lock
in ``benchmarks/scratch/``); a second one stops at once and says so. The series' results
file is checked before the first notebook runs: a damaged one stops the run with the fix,
instead of failing after every notebook has run.

The kernels start with ``--IPKernelApp.log_level=ERROR``, so ipykernel's start-up
warning that its localhost TCP traffic is unencrypted does not land in the progress output.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import re
import shutil
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from helpers import config, schema
from helpers.results import STAGING_ENV, machine, write_atomic

#: The kernel spec JupyterLab writes into a notebook it saves (so opening one changes nothing).
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}

#: Folders whose files a failed notebook must leave as they were.
PROTECTED = (config.IMG_DIR, config.RESULTS_DIR, config.NOTEBOOKS_DIR)

#: The executed copies of failed notebooks (git-ignored), to open and see every output.
FAILED_DIR = config.ROOT / "benchmarks" / "scratch" / "failed"

#: Held by the one runner working in this clone (git-ignored).
RUNNER_LOCK = config.ROOT / "benchmarks" / "scratch" / "runner.lock"

#: Terminal colour codes, which IPython puts into tracebacks.
ANSI_RE = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")


def strip_ansi(text: str) -> str:
    """``text`` without terminal colour codes."""
    return ANSI_RE.sub("", text)


@dataclass
class Result:
    notebook: str
    seconds: float
    peak_memory_mb: float | None
    status: str
    cells: int
    finished: str
    load_average: float | None  # 1-minute load when the notebook started (others' work)
    slowest_cells: list | None = None  # where the time went: the longest cells, longest first


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
    """nbclient hook: after every cell, read the kernel's peak memory and keep the largest;
    also time every code cell (:meth:`started` is the hook before a cell runs)."""

    def __init__(self, client):
        self.client = client
        self.peak: float | None = None
        self.cell_seconds: list[tuple[int, str, float]] = []  # (code cell number, first line, s)
        self._start: float | None = None

    def started(self, **_):
        self._start = time.perf_counter()

    def slowest(self, n: int = 5) -> list[dict]:
        """The ``n`` longest code cells: number (counted from 1), first line, seconds."""
        top = sorted(self.cell_seconds, key=lambda c: -c[2])[:n]
        return [dict(cell=i, first_line=line, seconds=round(t, 1)) for i, line, t in top]

    def __call__(self, cell=None, cell_index=None, **_):
        if self._start is not None and cell is not None and cell_index is not None:
            cells = self.client.nb.cells[: cell_index + 1]
            number = sum(1 for c in cells if c.cell_type == "code")
            lines = [x for x in cell.source.splitlines() if x.strip() and not x.startswith("#")]
            first = (lines[0] if lines else cell.source.strip()[:60])[:60]
            self.cell_seconds.append((number, first, time.perf_counter() - self._start))
            self._start = None
        provisioner = getattr(self.client.km, "provisioner", None)
        pid = getattr(provisioner, "pid", None)
        if pid is None:
            return
        value = peak_memory_mb(pid)
        if value is not None:
            self.peak = value if self.peak is None else max(self.peak, value)


# --------------------------------------------------------------------------- running


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(config.ROOT))
    except ValueError:
        return str(path)


def staging_dir(path: Path) -> Path:
    """The staging folder of one notebook's run (git-ignored)."""
    return config.ROOT / "benchmarks" / "scratch" / "staging" / path.stem


def _guarded(file: Path, number: str = "") -> bool:
    """Whether a failed run puts ``file`` back: every file of the protected folders except
    git-ignored scratch figures (img/scratch/), Jupyter's checkpoints and the runner's own
    series_*.json (which only :func:`record` writes, under a lock). Only one runner works
    in a clone at a time (:func:`runner_lock`), so nothing it puts back is another's work."""
    if config.SCRATCH_IMG_DIR in file.parents or ".ipynb_checkpoints" in file.parts:
        return False
    if file.parent == config.RESULTS_DIR and file.name.startswith("series_"):
        return False
    return not file.name.endswith(".partial")  # another writer's temporary file


def _snapshot(folders, number: str = "") -> dict[Path, bytes]:
    """The bytes of every guarded file in ``folders``, to put back after a failure."""
    files = {}
    for folder in folders:
        folder = Path(folder)
        if not folder.is_dir():
            continue
        for file in folder.rglob("*"):
            if file.is_file() and not file.is_symlink() and _guarded(file, number):
                try:
                    files[file] = file.read_bytes()
                except OSError:  # gone meanwhile, or unreadable: nothing to put back
                    continue
    return files


#: Where :func:`_restore` keeps a copy of every file it puts back or removes (git-ignored).
KEPT_DIR = config.ROOT / "benchmarks" / "scratch" / "kept_after_failed_runs"


def _keep(file: Path, content: bytes, folder: Path) -> None:
    """Copy ``content`` of ``file`` into ``folder``, under its path in the repository."""
    try:
        rel = file.relative_to(config.ROOT)
    except ValueError:
        rel = Path(file.name)
    target = folder / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(content)


def _restore(before: dict[Path, bytes], folders, number: str = "") -> list[Path]:
    """Put ``folders`` back as :func:`_snapshot` saw them; return the files it had to fix.

    What the failed run left is not thrown away: a process running beside the notebook (a
    benchmark writing its results file) may have written it. A copy of every file put back
    or removed goes to :data:`KEPT_DIR`, in a folder named after the time.
    """
    fixed = []
    now = _snapshot(folders, number)
    kept = KEPT_DIR / dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    for file, content in before.items():
        if now.get(file) != content:
            if file in now:
                _keep(file, now[file], kept)
            file.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(file, content)
            fixed.append(file)
    for file in now.keys() - before.keys():
        _keep(file, now[file], kept)
        file.unlink()
        fixed.append(file)
    return fixed


def _publish(stage: Path) -> list[Path]:
    """Move every staged file to the same place in the repository."""
    moved = []
    for file in sorted(p for p in stage.rglob("*") if p.is_file()):
        target = config.ROOT / file.relative_to(stage)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(file, target)
        moved.append(target)
    return moved


def normalise_metadata(nb) -> None:
    """What JupyterLab would write: its kernel spec and no per-cell execution timings."""
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)


def normalise_files(paths) -> int:
    """Rewrite only the metadata of ``paths`` (:func:`normalise_metadata`); outputs stay."""
    import nbformat

    for path in paths:
        nb = nbformat.read(path, as_version=4)
        before = nbformat.writes(nb)
        normalise_metadata(nb)
        if nbformat.writes(nb) != before:
            write_notebook(nb, path)
            print(f"{path.name}: metadata normalised")
    return 0


def write_notebook(nb, path: Path) -> Path:
    """Write ``nb`` as nbformat would, atomically (the old file stays whole on failure)."""
    import nbformat

    text = nbformat.writes(nb)
    return write_atomic(path, text if text.endswith("\n") else text + "\n")


def _error_cell(nb):
    """``(number, count, cell, error output)`` of the first code cell with an error, or None."""
    code = [c for c in nb.cells if c.cell_type == "code"]
    for number, cell in enumerate(code, start=1):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                return number, len(code), cell, out
    return None


def failure_report(nb, exc: BaseException, lines: int = 20) -> str:
    """Everything needed to see why a notebook failed, without opening it: the failing
    cell's source, the last ``lines`` lines it printed, and the whole traceback."""
    found = _error_cell(nb)
    if found is None:
        trace = strip_ansi(str(exc)).rstrip()
        return f"{type(exc).__name__} (no cell recorded an error):\n{trace}"
    number, count, cell, error = found
    printed = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            printed += strip_ansi(out.get("text", "")).splitlines()
        elif out.get("output_type") in ("execute_result", "display_data"):
            printed += strip_ansi(out.get("data", {}).get("text/plain", "")).splitlines()
    trace = strip_ansi("\n".join(error.get("traceback", []))).rstrip()
    trace = trace or f"{error.get('ename', '')}: {error.get('evalue', '')}"
    parts = [f"--- cell {number} of {count}, its source:", cell.source.rstrip()]
    if printed:
        shown = printed[-lines:]
        cut = f" (the last {len(shown)} of {len(printed)})" if len(printed) > lines else ""
        parts += [f"--- what it printed{cut}:", "\n".join(shown)]
    parts += ["--- the whole traceback:", trace]
    return "\n".join(parts)


def keep_failed(nb, path: Path) -> Path | None:
    """Save the executed copy of a failed notebook in :data:`FAILED_DIR`; return where."""
    target = FAILED_DIR / path.name
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        return write_notebook(nb, target)
    except OSError as exc:  # a full disk must not hide the failure itself
        print(f"could not keep the executed copy of {path.name}: {exc}", file=sys.stderr)
        return None


#: Arguments for every kernel the runner starts. ipykernel 7 logs a WARNING at start-up
#: that its TCP connection is unencrypted (the runner's kernels listen on localhost only, as
#: Jupyter's own do). Its log level ERROR keeps that line, and other start-up notices, out
#: of the runner's progress output; errors still show. (IPC sockets would avoid the warning
#: itself, but with them nbclient did not notice a kernel that died: the run hung.)
KERNEL_ARGUMENTS = ["--IPKernelApp.log_level=ERROR"]


def describe_failure(nb, exc: BaseException) -> str:
    """'cell 12 (`model.fit(...`): ValueError: ...' for the first cell with an error output."""
    code = [c for c in nb.cells if c.cell_type == "code"]
    for number, cell in enumerate(code, start=1):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                first = cell.source.strip().splitlines()[0][:60] if cell.source.strip() else ""
                error = f"{out.get('ename', '')}: {out.get('evalue', '')}"[:300]
                return f"cell {number} of {len(code)} ({first!r}): {strip_ansi(error).strip()}"
    lines = strip_ansi(str(exc)).strip().splitlines() or [type(exc).__name__]
    return f"{type(exc).__name__}: {lines[-1]}"


def execute(path: Path, write: bool, timeout: int | None, protected=PROTECTED) -> Result:
    """Execute one notebook on a fresh kernel; measure its time and the kernel's peak memory.

    Figures and results go to a staging folder and are moved into place only on success;
    ``protected`` folders are put back as they were if the notebook fails.
    """
    import nbformat
    from nbclient import NotebookClient

    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as exc:  # not JSON, not a notebook, unreadable: nothing is run or written
        reason = strip_ansi(" ".join(str(exc).split()))[:200]
        status = f"FAILED: {path.name} is not a readable notebook ({type(exc).__name__}: {reason})"
        finished = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        return Result(path.name, 0.0, None, status, 0, finished, None)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        record_timing=False,
        resources={"metadata": {"path": str(path.parent)}},
        extra_arguments=list(KERNEL_ARGUMENTS),
    )
    watch = MemoryWatch(client)
    client.on_cell_executed = watch
    client.on_cell_execute = watch.started
    stage = staging_dir(path)
    shutil.rmtree(stage, ignore_errors=True)
    stage.mkdir(parents=True)
    number = path.name[:2]
    before = _snapshot(protected, number)
    load = round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None
    previous = os.environ.get(STAGING_ENV)
    os.environ[STAGING_ENV] = str(stage)  # the kernel inherits it
    start = time.perf_counter()
    status = "ok"
    report = ""
    try:
        client.execute()
    except Exception as exc:  # a cell's error, a timeout, a dead kernel
        status = "FAILED at " + describe_failure(nb, exc)
        report = failure_report(nb, exc)
    except KeyboardInterrupt:  # stopped by hand: nothing published, protected folders restored
        _restore(before, protected, number)
        shutil.rmtree(stage, ignore_errors=True)
        raise
    finally:
        if previous is None:
            os.environ.pop(STAGING_ENV, None)
        else:
            os.environ[STAGING_ENV] = previous
    seconds = time.perf_counter() - start
    if status == "ok":
        _publish(stage)
        if write:
            normalise_metadata(nb)
            write_notebook(nb, path)
    else:
        kept = keep_failed(nb, path)
        print(f"{path.name} failed; {report}", file=sys.stderr)
        if kept is not None:
            print(f"{path.name}: the executed copy, with every output, is kept in "
                  f"{_shown(kept)}", file=sys.stderr)  # fmt: skip
        restored = _restore(before, protected, number)
        if restored:
            names = ", ".join(_shown(p) for p in restored)
            print(f"{path.name}: put back what the failed run changed: {names} (what it "
                  f"left is kept in {_shown(KEPT_DIR)}/)", file=sys.stderr)  # fmt: skip
    shutil.rmtree(stage, ignore_errors=True)
    cells = sum(1 for c in nb.cells if c.cell_type == "code")
    finished = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    return Result(path.name, seconds, watch.peak, status, cells, finished, load, watch.slowest())


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


def _series_fix(path: Path) -> str:
    return (
        f"Restore it (git checkout -- {_shown(path)}), or move it away to start a new one; "
        "or run with --no-record."
    )


def check_series_file(path: Path) -> dict:
    """The series' results file as a dict ({} when there is none yet), or
    :class:`helpers.schema.ResultsFileError` saying what is wrong and the fix."""
    if not path.exists() and not path.is_symlink():
        return {}
    return schema.load(path, schema.SERIES, _series_fix(path))


def _merge(results: list[Result], fast: bool, path: Path) -> Path:
    try:
        data = check_series_file(path)
    except schema.ResultsFileError as exc:  # damaged during the run: keep this run's record
        kept = KEPT_DIR / dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
        if path.is_file():
            _keep(path, path.read_bytes(), kept)
        print(f"{exc}\nIt was damaged while the notebooks ran: a copy is in {_shown(kept)}/, "
              f"and {_shown(path)} is written anew with this run's entries.", file=sys.stderr)  # fmt: skip
        data = {}
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
    kept = {k: data[k] for k in ("fresh_clone",) if k in data}  # benchmarks/fresh_clone.py's
    data = {"mode": "FAST" if fast else "full", "machine": machine(), "notebooks": entries, **kept}
    write_atomic(path, json.dumps(data, indent=2) + "\n")
    return path


@contextlib.contextmanager
def runner_lock(path: Path | None = None):
    """Held while a runner works in this clone; a second runner stops at once, saying so."""
    path = RUNNER_LOCK if path is None else path
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks; one runner at a time by hand
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            who = fh.read().strip() or "another process"
            raise SystemExit(
                f"another python -m helpers.run is working in this clone ({who}); two at "
                "once would undo each other's files. Wait until it ends, then run again."
            ) from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()}, started {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M:%S} UTC")
        fh.flush()
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def main(argv=None) -> int:
    from tqdm.auto import tqdm

    parser = argparse.ArgumentParser(description="Run the notebook series headless.")
    parser.add_argument("numbers", nargs="*", help="notebook numbers to run (default: all)")
    parser.add_argument("--fast", action="store_true", help="FAST mode; outputs are not saved")
    parser.add_argument("--timeout", type=int, default=3600, help="seconds allowed per cell")
    parser.add_argument(
        "--no-record", action="store_true", help="do not update benchmarks/results/series_*.json"
    )
    parser.add_argument(
        "--normalise",
        action="store_true",
        help="only rewrite the notebooks' metadata as JupyterLab writes it (no execution)",
    )
    args = parser.parse_args(argv)
    if args.normalise:
        return normalise_files(notebooks(args.numbers))

    # The kernels inherit this environment: choose the mode explicitly, quiet TensorFlow.
    if args.fast:
        os.environ[config.FAST_ENV] = "1"
    else:
        os.environ.pop(config.FAST_ENV, None)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

    paths = notebooks(args.numbers)
    if not args.no_record:  # a damaged record stops the run now, not after every notebook
        try:
            check_series_file(results_path(args.fast))
        except schema.ResultsFileError as exc:
            raise SystemExit(f"{exc}") from None
    with runner_lock():
        return _run(paths, args, tqdm)


def _run(paths, args, tqdm) -> int:
    results = []
    bar = tqdm(paths, desc="notebooks", unit="nb")
    for path in bar:
        bar.set_postfix_str(path.name)
        result = execute(path, write=not args.fast, timeout=args.timeout)
        results.append(result)
        memory = f", peak {result.peak_memory_mb:.0f} MB" if result.peak_memory_mb else ""
        tqdm.write(f"{path.name}: {result.status} in {result.seconds:.0f} s{memory}")
        if result.status != "ok":
            tqdm.write(
                f"{path.name} FAILED: the notebook, its figures and results were left as they "
                f"were; the failing cell and its traceback are printed above, and the executed "
                f"copy is in {_shown(FAILED_DIR)}/."
            )
    bar.close()

    width = max([len(r.notebook) for r in results] + [8])
    print(f"\n{'notebook':<{width}}  {'seconds':>8}  {'peak MB':>8}  status")
    for r in results:
        memory = f"{r.peak_memory_mb:8.0f}" if r.peak_memory_mb is not None else f"{'?':>8}"
        print(f"{r.notebook:<{width}}  {r.seconds:>8.1f}  {memory}  {r.status}")
    total = sum(r.seconds for r in results)
    print(f"{'total':<{width}}  {total:>8.1f}  {'':>8}  mode: {'FAST' if args.fast else 'full'}")
    good = [r for r in results if r.status == "ok"]
    if not args.no_record and good:  # a failure keeps the notebook's last good entry
        path = record(good, args.fast)
        print(f"recorded in {_shown(path)}")
    failed = [r for r in results if r.status != "ok"]
    for r in failed:
        print(f"FAILED: {r.notebook} {r.status.removeprefix('FAILED ')}", file=sys.stderr)
    return 0 if not failed else 1


if __name__ == "__main__":
    sys.exit(main())
