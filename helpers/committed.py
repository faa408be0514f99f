"""Trained models committed to the repository as **weights only**, checksummed.

A fresh clone (or Colab) should not have to train for many minutes before notebooks 09 and
10 can show their results, so the models they need are committed in
``benchmarks/models/``. Each one is two files:

* ``NAME.weights.h5``: the trained weights only (Keras's ``save_weights`` format: HDF5
  arrays, no architecture, no optimizer state, nothing that runs code or is unpickled);
* ``NAME.weights.h5.json``: the sidecar of :mod:`helpers.modelio` (the file's SHA-256, its
  size, and ``info``: how the model was trained, its training record, who trained it), plus
  the shape of every weight, the sum of their absolute values, and the probabilities the
  model gave :func:`check_images` when it was saved (the tests compare every Keras with them).

The architecture is **rebuilt by the series' own builder functions** from the recipe
(:func:`helpers.augment.build`, :func:`helpers.models.build_flagship`, ...), and then the
weights are read into it. A whole ``.keras`` file stores each layer's configuration as the
Keras that saved it wrote it, and an older Keras refuses keys it does not know (Keras 3.10
and 3.13 cannot read a ``Dense`` saved by 3.15: ``quantization_config``); the arrays of a
``.weights.h5`` file are the same in every Keras 3, so the committed models load on every
supported stack. :func:`load` checks, in this order, before any weight is used:

1. the sidecar exists, is complete (how the model was trained, every weight's shape, the
   weights' sum) and says the model was trained exactly as the caller asks;
2. the file's SHA-256 equals the recorded one (a changed bit is refused);
3. the file is an HDF5 file, and the rebuilt model's weight shapes equal the recorded ones;
4. after Keras read the arrays, their sum of absolute values equals the recorded one
   (relative tolerance 1e-6): a weight Keras skipped would be caught here.

Every failure raises :class:`helpers.modelio.ModelFileError` naming the file and the fix.
What the checks guard against: a damaged, truncated or edited file, and a sidecar that does
not match it. They do not prove who made a file: a change that rewrites the weights and
their sidecar together passes, so review changes to ``benchmarks/models/`` like code
(reading the file itself runs no code: HDF5 arrays through h5py, nothing unpickled).
``benchmarks/export_models.py`` writes these files from the trained models.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable
from pathlib import Path

from helpers import config

__all__ = [
    "COMMITTED_DIR",
    "SUFFIX",
    "check_images",
    "describe",
    "fingerprint",
    "load",
    "path_for",
    "save",
]

#: Where the committed models live.
COMMITTED_DIR = config.ROOT / "benchmarks" / "models"
#: The file name ending of a committed model (Keras requires ``.weights.h5``).
SUFFIX = ".weights.h5"
#: Relative tolerance on the weights' sum of absolute values after loading.
FINGERPRINT_RTOL = 1e-6
FIX = "Restore it with git checkout -- benchmarks/models/, or train it yourself."


def path_for(name: str, directory: Path | None = None) -> Path:
    """``benchmarks/models/<name>.weights.h5`` (``name`` without an ending)."""
    return Path(COMMITTED_DIR if directory is None else directory) / f"{name}{SUFFIX}"


def _shapes(model) -> list[list[int]]:
    return [[int(d) for d in w.shape] for w in model.weights]


def fingerprint(model) -> float:
    """The sum of the absolute values of every weight of ``model`` (float64)."""
    import numpy as np

    return float(sum(np.abs(np.asarray(w, dtype=np.float64)).sum() for w in model.get_weights()))


def check_images():
    """16 fixed (28, 28) images (uniform noise, seed 0, float32) that need no data set: the
    probabilities a committed model gives them are recorded when it is saved, so any Keras can
    be checked to compute the same function (``tests/test_beyond_mlp.py``)."""
    import numpy as np

    return np.random.default_rng(0).random((16, 28, 28), dtype=np.float32)


def _without_keras(how: dict) -> dict:
    return {k: v for k, v in (how or {}).items() if k != "keras"}


def save(model, name: str, info: dict, directory: Path | None = None) -> Path:
    """Write ``model``'s weights to :func:`path_for` and the checksummed sidecar (``info``
    must say how the model was trained, under ``"how"``). Written under a temporary name and
    renamed when complete. Returns the path."""
    import keras

    from helpers import modelio

    json.dumps(info)  # fail before anything is written if info is not JSON
    path = path_for(name, directory)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{name}.partial{SUFFIX}")
    try:
        model.save_weights(partial)
        sidecar = {
            "file": path.name,
            "format": "weights.h5",
            "sha256": modelio.file_sha256(partial),
            "bytes": partial.stat().st_size,
            "saved": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "saved_by_keras": keras.__version__,
            "weight_shapes": _shapes(model),
            "abs_sum": fingerprint(model),
            "check_probabilities": model.predict(check_images(), verbose=0).tolist(),
            "info": info,
        }
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    modelio._write_text_atomically(modelio.sidecar_path(path), json.dumps(sidecar, indent=1) + "\n")
    return path


def describe(name: str, directory: Path | None = None) -> dict | None:
    """The whole sidecar of a committed model (None when there is none)."""
    from helpers import modelio

    return modelio._read_sidecar(path_for(name, directory))


def _read_checked_sidecar(path: Path) -> tuple[dict, dict]:
    """``(sidecar, info)`` of the committed model at ``path``, every entry :func:`load` relies
    on checked first; a missing, unreadable or incomplete sidecar raises
    :class:`helpers.modelio.ModelFileError` naming it and the fix (restore it from git: a
    committed model is never deleted or retrained to repair its sidecar)."""
    import math

    from helpers import modelio

    side_path = modelio.sidecar_path(path)
    fix = f"Restore both files with git checkout -- benchmarks/models/{path.name}*."
    try:
        side = modelio._read_sidecar(path)
        info = modelio.read_info(path) if side is not None else None
    except modelio.ModelFileError as exc:
        reason = str(exc.__cause__ or "").strip() or "it is not the sidecar export_models wrote"
        raise modelio.ModelFileError(
            f"{side_path} (the checksum file of {path.name}) cannot be read ({reason}), so "
            f"the committed model cannot be checked. {fix}"
        ) from exc
    if side is None:
        raise modelio.ModelFileError(
            f"{path} has no checksum file ({side_path.name}), so it cannot be checked before "
            f"loading. {fix}"
        )
    shapes, total = side.get("weight_shapes"), side.get("abs_sum")
    problem = None
    if not isinstance(info.get("how"), dict):
        problem = "no 'how' (how the model was trained)"
    elif not (
        isinstance(shapes, list)
        and shapes
        and all(
            isinstance(shape, list)
            and all(isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in shape)
            for shape in shapes
        )
    ):
        problem = f"no valid 'weight_shapes' (got {shapes!r:.60})"
    elif not (
        isinstance(total, int | float) and not isinstance(total, bool) and math.isfinite(total)
    ):
        problem = f"no valid 'abs_sum' (got {total!r:.60})"
    if problem is not None:
        raise modelio.ModelFileError(
            f"{side_path} (the checksum file of {path.name}) has {problem}, so the committed "
            f"model cannot be checked. {fix}"
        )
    return side, info


def load(name: str, how: dict, build: Callable, directory: Path | None = None):
    """``(model, info)``: the committed model ``name`` when its sidecar says it was trained
    exactly as ``how`` says (the Keras version aside: weights are the same arrays in every
    Keras 3), else ``(None, reason)``. ``build()`` must return the fresh, uncompiled
    architecture (the series' builder); the weights are read into it after the checks of
    this module's docstring. A changed, truncated or mismatched file raises
    :class:`helpers.modelio.ModelFileError`; it is never used."""
    from helpers import modelio

    path = path_for(name, directory)
    shown = f"benchmarks/models/{path.name}"
    if not path.exists():
        return None, f"no committed copy at {shown}"
    if not path.is_file():
        raise modelio.ModelFileError(f"{path} is not a file. {FIX}")
    side, info = _read_checked_sidecar(path)
    if _without_keras(info.get("how")) != _without_keras(how):
        return None, f"{shown} was trained with another recipe, split or seed"
    if modelio.file_sha256(path) != side["sha256"]:
        raise modelio.ModelFileError(
            f"{path} has changed since it was committed: its SHA-256 differs from the one "
            f"recorded in {modelio.sidecar_path(path).name}. A changed bit in a weight gives "
            f"silently wrong predictions. {FIX}"
        )
    with open(path, "rb") as fh:
        if fh.read(8) != modelio.HDF5_SIGNATURE:
            raise modelio.ModelFileError(f"{path} is not an HDF5 weights file. {FIX}")
    model = build()
    if _shapes(model) != side["weight_shapes"]:
        raise modelio.ModelFileError(
            f"{path} holds weights of another architecture than the one rebuilt from its "
            f"recipe (shapes {side['weight_shapes']} vs {_shapes(model)}). {FIX}"
        )
    try:
        with modelio._quiet_absl():
            model.load_weights(path)
    except Exception as exc:
        reason = " ".join(str(exc).split())[:300]
        raise modelio.ModelFileError(
            f"Keras cannot read the weights in {path} ({type(exc).__name__}: {reason}). {FIX}"
        ) from exc
    got, want = fingerprint(model), float(side["abs_sum"])
    if abs(got - want) > FINGERPRINT_RTOL * abs(want):
        raise modelio.ModelFileError(
            f"The weights read from {path} do not add up to the recorded ones (sum of absolute "
            f"values {got:.6g}, recorded {want:.6g}): some were not loaded. {FIX}"
        )
    return model, info
