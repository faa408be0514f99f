"""Seeds, paths and the FAST switch: the settings every notebook shares.

Import this module before TensorFlow: it quiets TensorFlow's C++ start-up logs, which
otherwise land in notebook outputs.

FAST mode
---------
Set the environment variable ``MNIST_FAST=1`` to make every notebook a small, quick run
(a few thousand images, one or two epochs). The test suite sets it; class use and
``python -m helpers.run`` do not. Notebooks never hard-code run sizes: they read them
from :data:`RUN` (e.g. ``config.RUN.epochs_flagship``), which depends on the mode.

Accepted values (any case, spaces ignored): ``1``, ``true``, ``yes``, ``on`` mean FAST;
unset, empty, ``0``, ``false``, ``no``, ``off`` mean full. Anything else (``2``, ``fast``,
``y``) is refused with a ``ValueError`` saying so, at import and on every reading, rather
than silently meaning full mode.

One reading of the mode: everything reads the environment afresh, when it is used.
:func:`is_fast`, ``config.FAST``, ``config.RUN``, :func:`pick`, :func:`artifacts_dir` and
the results folders all call :func:`is_fast`, so setting ``MNIST_FAST`` after ``helpers``
was imported switches all of them together (``FAST`` and ``RUN`` are computed on each
access, not stored at import). Only values a module computed from them at its own import
(e.g. ``helpers.training.IMPROVED_RECIPE``) keep the mode of that moment: set the
variable before the first import, or restart the kernel, to be safe.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# Quiet TensorFlow before anyone imports it (and in the kernels that inherit os.environ).
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

#: Name of the environment variable that switches FAST mode on ("1", "true", "yes", "on").
FAST_ENV = "MNIST_FAST"
#: The values of ``$MNIST_FAST`` that mean FAST mode, and those that mean full mode.
FAST_VALUES = ("1", "true", "yes", "on")
FULL_VALUES = ("", "0", "false", "no", "off")

#: Repository root (the folder that holds helpers/, notebooks/, img/).
ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS_DIR = ROOT / "notebooks"
#: Committed figures of full runs.
IMG_DIR = ROOT / "img"
#: Figures of FAST runs and runs on the offline fallback data (git-ignored).
SCRATCH_IMG_DIR = IMG_DIR / "scratch"
#: Hand-drawn digit images shipped with the series (notebook 06).
SAMPLES_DIR = ROOT / "samples"
#: Measured results committed with the repository (benchmarks, notebook 08's table).
RESULTS_DIR = ROOT / "benchmarks" / "results"

#: The one seed of the series.
SEED = 0


def is_fast() -> bool:
    """True when the environment asks for FAST mode (read afresh on every call).

    Raises ``ValueError`` for a value that is neither in :data:`FAST_VALUES` nor in
    :data:`FULL_VALUES`, instead of guessing.
    """
    raw = os.environ.get(FAST_ENV, "")
    value = raw.strip().lower()
    if value in FAST_VALUES:
        return True
    if value in FULL_VALUES:
        return False
    raise ValueError(
        f"${FAST_ENV} is set to {raw!r}, which means neither mode. Set {FAST_ENV}=1 for FAST "
        f"mode (also accepted: {', '.join(FAST_VALUES[1:])}), or unset it (or set it to 0, "
        "false, no, off) for a full run."
    )


is_fast()  # refuse a value that means neither mode at once, on import


def __getattr__(name: str):
    """``config.FAST`` and ``config.RUN`` are read from the environment on every access."""
    if name == "FAST":
        return is_fast()
    if name == "RUN":
        return run_sizes()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def artifacts_dir() -> Path:
    """Where notebooks keep trained models between notebooks (git-ignored).

    FAST and full runs use separate folders, so a quick test run never replaces the model
    a full run trained.
    """
    path = ROOT / "artifacts" / ("fast" if is_fast() else "full")
    path.mkdir(parents=True, exist_ok=True)
    return path


def pick(full, fast):
    """Return ``full`` in a normal run and ``fast`` in FAST mode."""
    return fast if is_fast() else full


@dataclass(frozen=True)
class RunSizes:
    """How much data and how many epochs each part of the series uses.

    ``None`` for a number of images means "all of them".
    """

    n_train: int | None
    n_test: int | None
    #: notebook 05, the from-scratch NumPy net
    epochs_numpy: int
    epochs_numpy_stalled: int
    #: design B of notebook 05: 100 full-batch epochs with a tiny learning rate, as published
    epochs_numpy_tiny_lr: int
    #: notebook 06, the flagship Keras MLP (improved recipe) and the published recipe
    epochs_flagship: int
    epochs_published: int
    epochs_small: int
    #: notebook 08, every architecture under one protocol
    epochs_compare: int
    seeds_compare: int
    #: notebook 06's Going further: L2 and Dropout compared; the UCI digits read (None: all)
    epochs_regularisation: int
    n_outside: int | None


FULL_SIZES = RunSizes(
    n_train=None,
    n_test=None,
    epochs_numpy=15,
    epochs_numpy_stalled=10,
    epochs_numpy_tiny_lr=100,
    epochs_flagship=30,
    epochs_published=10,
    epochs_small=5,
    epochs_compare=15,
    seeds_compare=3,
    epochs_regularisation=15,
    n_outside=None,
)

FAST_SIZES = RunSizes(
    n_train=4000,
    n_test=1000,
    epochs_numpy=2,
    epochs_numpy_stalled=1,
    epochs_numpy_tiny_lr=5,
    epochs_flagship=2,
    epochs_published=1,
    epochs_small=1,
    epochs_compare=1,
    seeds_compare=1,
    epochs_regularisation=2,
    n_outside=300,
)


def run_sizes() -> RunSizes:
    """The sizes for this run: :data:`FAST_SIZES` or :data:`FULL_SIZES`, by :func:`is_fast`.

    ``config.RUN`` is this, read afresh on every access.
    """
    return FAST_SIZES if is_fast() else FULL_SIZES


def set_seed(seed: int = SEED) -> None:
    """Seed Python's ``random``, NumPy and, when it is installed, Keras/TensorFlow.

    ``keras.utils.set_random_seed`` seeds Python, NumPy and the backend together; the
    explicit calls keep notebooks that never import Keras reproducible as well.

    Unseeded ``keras.random`` draws come from Keras's global ``SeedGenerator``. Keras 3.11+
    drops it in ``set_random_seed`` (the next draw recreates it from the Python seed just
    set); Keras 3.10 (Colab, 2025) keeps it, so its draws would not repeat. Dropping it here
    as well makes the same seed give the same numbers on every supported Keras.
    """
    random.seed(seed)
    np.random.seed(seed)
    from helpers import quiet

    if quiet.import_tensorflow():  # the NumPy-only parts also run without TensorFlow
        import keras

        keras.utils.set_random_seed(seed)
        try:  # no public API for this; where the module moves, Keras does it itself
            from keras.src.backend.common import global_state
        except ImportError:  # pragma: no cover - newer Keras
            return
        global_state.set_global_attribute("global_seed_generator", None)
