"""Record numbers a notebook measured, for README's results (``benchmarks/report.py``).

A full run on the full data set writes ``benchmarks/results/<name>.json``; FAST runs and
runs on the offline fallback write to ``benchmarks/scratch/`` instead, so they never
replace a committed measurement. Each quote is one row of README's "Other measurements"
table: ``dict(quantity=..., value=..., unit=..., note=...)``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import platform
import tempfile
from importlib import metadata
from pathlib import Path

from helpers import config


def write_atomic(path, data: str | bytes) -> Path:
    """Write ``data`` to ``path`` so that ``path`` is either its old self or the new file.

    The bytes go to a temporary file in the same folder, are flushed to disk, and only then
    replace ``path`` (``os.replace``, atomic on one file system). A full disk, a size limit or
    an interruption leaves the old file as it was and no temporary file behind. A new file
    gets the usual permissions (0666 less the umask), as ``open()`` would give it.
    """
    path = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            mode = path.stat().st_mode & 0o7777
        except OSError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return path


def machine() -> dict:
    """What a measurement ran on: cores, platform, versions, the 1-minute load average."""
    versions = {}
    for package in ("tensorflow", "keras", "numpy"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
        "system": platform.system(),
        "python": platform.python_version(),
        **versions,
        "load_average": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
    }


#: Set by ``python -m helpers.run`` while it executes a notebook: a folder where figures and
#: results are written instead, and moved into place only if the whole notebook succeeds.
STAGING_ENV = "MNIST_STAGING_DIR"


def staged(path: Path) -> Path:
    """Where to write ``path`` (a file inside the repository) now.

    During ``python -m helpers.run`` that is the same relative path under
    ``$MNIST_STAGING_DIR``, so a notebook that fails halfway changes no committed figure or
    result; the runner moves the files into place when the notebook succeeds. Otherwise
    (a notebook opened by hand, the tests) it is ``path`` itself.
    """
    root = os.environ.get(STAGING_ENV, "").strip()
    if not root:
        return Path(path)
    try:
        relative = Path(path).resolve().relative_to(config.ROOT)
    except ValueError:  # outside the repository: nothing committed to protect
        return Path(path)
    target = Path(root) / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    return target


def _full_run() -> bool:
    from helpers import data

    return not config.is_fast() and data.last_source is not None and data.last_source.is_full


def record(name: str, quotes: list[dict], details: dict | None = None) -> Path:
    """Write the quotes (and any details) as JSON; return the path written (see :func:`staged`)."""
    if not name.replace("_", "").isalnum():
        raise ValueError(f"results name must be a plain word like 'flagship', got {name!r}.")
    for quote in quotes:
        missing = {"quantity", "value"} - set(quote)
        if missing:
            raise ValueError(f"every quote needs 'quantity' and 'value'; {quote} lacks {missing}.")
    folder = config.RESULTS_DIR if _full_run() else config.ROOT / "benchmarks" / "scratch"
    folder.mkdir(parents=True, exist_ok=True)
    payload = {
        "measured": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        **machine(),
        "readme": quotes,
        "details": details or {},
    }
    path = folder / f"{name}.json"
    write_atomic(staged(path), json.dumps(payload, indent=1) + "\n")
    return path  # where it is (or, during python -m helpers.run, will be on success)
