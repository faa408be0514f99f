"""Saving and loading trained Keras models with an integrity check.

:func:`save_model` writes the model (``.keras``, or the legacy HDF5 ``.h5`` without the log
line Keras prints about the format) and, beside it, a small JSON *sidecar*
``<file>.json`` that holds the SHA-256 of the model file and anything the caller wants to
remember about it (``info``: the recipe, the data, the accuracy measured on validation...).

:func:`load_model` checks the file before Keras reads it:

* the file must exist, be a file, and not be empty;
* a ``.keras`` file must be a complete zip archive with Keras's members, a ``.h5`` file
  must be a readable HDF5 file;
* when the sidecar exists, the file's SHA-256 must equal the one recorded at saving time
  (a flipped bit in one weight is caught: Keras itself would load it silently).

Every failure raises :class:`ModelFileError`, naming the file and saying what to do.
Keras loads with ``safe_mode=True``: a model file cannot run code (no ``Lambda`` layers
are deserialised), and nothing is unpickled.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import zipfile
from pathlib import Path

__all__ = [
    "FIX",
    "ModelFileError",
    "file_sha256",
    "load_model",
    "read_info",
    "save_model",
    "sidecar_path",
]

#: What to do about a bad model file of the series (notebook 06 saves the flagship).
FIX = "Delete it and rerun notebook 06 to retrain."

#: File name endings Keras can load, and the format each one is.
FORMATS = {".keras": "keras", ".h5": "h5", ".hdf5": "h5"}

#: The first bytes of every HDF5 file (it may also start after a user block of 512 * 2^k).
HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"

#: Members every ``.keras`` archive holds (Keras 3).
KERAS_MEMBERS = ("config.json", "metadata.json")


class ModelFileError(ValueError):
    """A model file is missing parts, corrupt, altered since it was saved, or not a model."""


def sidecar_path(path) -> Path:
    """The JSON file beside a model file: ``flagship.keras`` -> ``flagship.keras.json``."""
    path = Path(path)
    return path.with_name(path.name + ".json")


def file_sha256(path) -> str:
    """SHA-256 of a file's bytes (read in chunks)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _format(path: Path) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ModelFileError(
            f"{path}: a Keras model file name ends in .keras (or the legacy .h5), "
            f"got {path.name!r}."
        )
    return fmt


@contextlib.contextmanager
def _quiet_absl():
    """Hide Keras's absl WARNING lines for the duration (errors still show)."""
    from absl import logging as absl_logging

    level = absl_logging.get_verbosity()
    absl_logging.set_verbosity(absl_logging.ERROR)
    try:
        yield
    finally:
        absl_logging.set_verbosity(level)


def _write_text_atomically(path: Path, text: str) -> None:
    from helpers.results import write_atomic  # a unique temporary name, removed on failure

    write_atomic(path, text)


def save_model(model, path, info: dict | None = None) -> Path:
    """Save ``model`` to ``path`` (``.keras`` or legacy ``.h5``) and its sidecar JSON.

    The model is written to a temporary name first and renamed when complete, so an
    interrupted save never leaves half a file under ``path``. ``info`` (anything JSON can
    hold) is stored in the sidecar; :func:`read_info` gives it back. Returns ``path``.
    """
    from helpers import quiet

    quiet.import_tensorflow()
    path = Path(path)
    fmt = _format(path)
    if info is not None:
        json.dumps(info)  # fail now, before anything is written, if info is not JSON
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.stem}.partial{path.suffix}")
    try:
        with _quiet_absl():  # the .h5 format's "legacy" notice; notebook 06 says it in prose
            model.save(partial)
        sidecar = {
            "file": path.name,
            "format": fmt,
            "sha256": file_sha256(partial),
            "bytes": partial.stat().st_size,
            "saved": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "info": info or {},
        }
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    _write_text_atomically(sidecar_path(path), json.dumps(sidecar, indent=1) + "\n")
    return path


def _read_sidecar(path: Path) -> dict | None:
    side = sidecar_path(path)
    if not side.is_file():
        return None
    try:
        content = json.loads(side.read_text(encoding="utf-8"))
        if not isinstance(content, dict) or not isinstance(content.get("sha256"), str):
            raise ValueError("it holds no 'sha256' entry")
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ModelFileError(
            f"{side} (the checksum file of {path.name}) cannot be read ({exc}), so the "
            f"model cannot be checked. {FIX} (Delete {side.name} too.)"
        ) from exc
    return content


def read_info(path) -> dict | None:
    """The ``info`` stored when ``path`` was saved by :func:`save_model` (None: no sidecar)."""
    content = _read_sidecar(Path(path))
    if content is None:
        return None
    info = content.get("info") or {}
    if not isinstance(info, dict):
        side = sidecar_path(Path(path))
        raise ModelFileError(
            f"{side} (the checksum file of {Path(path).name}): its 'info' should be an object "
            f"(what save_model was given), got {type(info).__name__} {info!r:.40}. It was "
            f"edited or written by something else. {FIX} (Delete {side.name} too.)"
        )
    return dict(info)


def _check_container(path: Path, fmt: str, fix: str) -> None:
    """The file is a complete zip (``.keras``) or HDF5 (``.h5``) file, before Keras sees it."""
    if fmt == "keras":
        try:
            with zipfile.ZipFile(path) as archive:
                names = set(archive.namelist())
                bad = archive.testzip()  # CRC of every member: truncation, flipped bits
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise ModelFileError(
                f"{path} is not a complete .keras file (a .keras file is a zip archive; "
                f"this one cannot be opened: {exc}). It may be truncated, or not a model. {fix}"
            ) from exc
        missing = [m for m in KERAS_MEMBERS if m not in names]
        if missing:
            raise ModelFileError(
                f"{path} is a zip archive but not a Keras model (no {', '.join(missing)}). {fix}"
            )
        if bad is not None:
            raise ModelFileError(
                f"{path} is corrupt: its member {bad!r} fails its CRC check. {fix}"
            )
        return
    with open(path, "rb") as fh:
        head = fh.read(8)
    if head != HDF5_SIGNATURE:
        raise ModelFileError(
            f"{path} is not an HDF5 file (a legacy .h5 model starts with the HDF5 signature; "
            f"this one starts with {head[:8]!r}). {fix}"
        )
    import h5py

    try:
        with h5py.File(path, "r") as h5:
            if "model_config" not in h5.attrs:
                raise ModelFileError(
                    f"{path} is an HDF5 file but holds no Keras model (no model_config). {fix}"
                )
    except ModelFileError:
        raise
    except Exception as exc:  # h5py raises OSError without the file's name
        raise ModelFileError(f"{path} is a corrupt or truncated HDF5 file ({exc}). {fix}") from exc


def load_model(path, compile: bool = True, fix: str = FIX):
    """Load a Keras model after checking the file (see the module's docstring).

    Raises ``FileNotFoundError`` when there is no file at ``path`` and
    :class:`ModelFileError` (naming the file, saying what to do) for anything wrong with
    it. ``safe_mode`` stays on. ``fix`` is the advice the errors end with.
    """
    from helpers import quiet

    path = Path(path).expanduser()
    if not path.exists():
        raise FileNotFoundError(f"No model file at {path}. Run notebook 06 to train and save it.")
    if path.is_dir():
        raise ModelFileError(f"{path} is a folder; give the path of a .keras or .h5 model file.")
    fmt = _format(path)
    size = path.stat().st_size
    if size == 0:
        raise ModelFileError(
            f"{path} is empty (0 bytes), not a model (perhaps an interrupted save). {fix}"
        )
    sidecar = _read_sidecar(path)
    if sidecar is not None and file_sha256(path) != sidecar["sha256"]:
        then = sidecar.get("bytes")
        sizes = f"{size:,} bytes now, {then:,} then" if isinstance(then, int) else f"{size:,} bytes"
        raise ModelFileError(
            f"{path} has changed since it was saved: its SHA-256 differs from the one recorded "
            f"in {sidecar_path(path).name} ({sizes}). A changed bit in a weight gives "
            f"silently wrong predictions. {fix}"
        )
    _check_container(path, fmt, fix)
    quiet.import_tensorflow()
    import keras

    try:
        with _quiet_absl():  # "compiled metrics have yet to be built" after a .h5 load
            return keras.saving.load_model(path, compile=compile, safe_mode=True)
    except Exception as exc:
        reason = " ".join(str(exc).split())[:400]
        raise ModelFileError(
            f"Keras cannot load {path} ({type(exc).__name__}: {reason}). "
            f"Load only model files from a trusted source (safe mode stays on). {fix}"
        ) from exc
