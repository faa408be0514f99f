"""Run the whole series headless: ``python -m helpers.run``.

Executes every notebook in ``notebooks/`` in order on a fresh kernel (nbclient), in full
mode, writes the outputs back into the notebooks and the figures into ``img/``, and ends
with a table of notebook, seconds and status.

    python -m helpers.run                 # the whole series, full mode
    python -m helpers.run 04 05           # only notebooks 04 and 05
    python -m helpers.run --fast          # FAST mode; notebooks are NOT overwritten
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from helpers import config


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


def execute(path: Path, write: bool, timeout: int | None) -> tuple[float, str]:
    """Execute one notebook on a fresh kernel; return (seconds, status)."""
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
    start = time.perf_counter()
    status = "ok"
    try:
        client.execute()
    except CellExecutionError as exc:
        status = "FAILED: " + str(exc).strip().splitlines()[-1][:120]
    seconds = time.perf_counter() - start
    if write and status == "ok":
        nbformat.write(nb, path)
    return seconds, status


def main(argv=None) -> int:
    from tqdm.auto import tqdm

    parser = argparse.ArgumentParser(description="Run the notebook series headless.")
    parser.add_argument("numbers", nargs="*", help="notebook numbers to run (default: all)")
    parser.add_argument("--fast", action="store_true", help="FAST mode; outputs are not saved")
    parser.add_argument("--timeout", type=int, default=3600, help="seconds allowed per cell")
    args = parser.parse_args(argv)

    # The kernels inherit this environment: choose the mode explicitly, quiet TensorFlow.
    if args.fast:
        os.environ[config.FAST_ENV] = "1"
    else:
        os.environ.pop(config.FAST_ENV, None)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

    paths = notebooks(args.numbers)
    rows = []
    bar = tqdm(paths, desc="notebooks", unit="nb")
    for path in bar:
        bar.set_postfix_str(path.name)
        seconds, status = execute(path, write=not args.fast, timeout=args.timeout)
        rows.append((path.name, seconds, status))
        tqdm.write(f"{path.name}: {status} in {seconds:.0f} s")
    bar.close()

    width = max(len(r[0]) for r in rows) if rows else 10
    print(f"\n{'notebook':<{width}}  {'seconds':>8}  status")
    for name, seconds, status in rows:
        print(f"{name:<{width}}  {seconds:>8.1f}  {status}")
    total = sum(r[1] for r in rows)
    print(f"{'total':<{width}}  {total:>8.1f}  mode: {'FAST' if args.fast else 'full'}")
    return 0 if all(r[2] == "ok" for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
