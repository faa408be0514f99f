"""The MNIST loader against good, corrupt, truncated, altered and hostile files."""

from __future__ import annotations

import pickle
import warnings
from pathlib import Path

import numpy as np
import pytest

from helpers import data


@pytest.fixture
def isolated(monkeypatch, tmp_path):
    """No $MNIST_PATH, an empty Keras cache and no network: nothing outside tmp_path."""
    monkeypatch.delenv("MNIST_PATH", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))

    def offline():
        raise Exception("URL fetch failure on https://example.invalid/mnist.npz: offline")

    monkeypatch.setattr(data, "_download", offline)
    return tmp_path


def fake_official(monkeypatch, arrays):
    """Make small synthetic arrays count as 'official' so good files can be tested fast."""
    table = {k: (v.shape, data.sha256_of(v)) for k, v in arrays.items()}
    monkeypatch.setattr(data, "OFFICIAL", table)


def small_arrays(seed=0):
    rng = np.random.default_rng(seed)
    y_train = np.tile(np.arange(10, dtype=np.uint8), 20)
    y_test = np.tile(np.arange(10, dtype=np.uint8), 5)
    return {
        "x_train": rng.integers(0, 256, (200, 28, 28), dtype=np.uint8),
        "y_train": y_train,
        "x_test": rng.integers(0, 256, (50, 28, 28), dtype=np.uint8),
        "y_test": y_test,
    }


# --------------------------------------------------------------------------- locating


def test_mnist_path_pointing_nowhere_is_a_clear_error(isolated, monkeypatch):
    monkeypatch.setenv("MNIST_PATH", str(isolated / "nope" / "mnist.npz"))
    with pytest.raises(FileNotFoundError, match=r"\$MNIST_PATH .* no file there"):
        data.load_mnist()


def test_mnist_path_wins_over_the_cache(isolated, monkeypatch):
    arrays = small_arrays()
    fake_official(monkeypatch, arrays)
    chosen = isolated / "mine.npz"
    np.savez(chosen, **arrays)
    cache = data.keras_cache_path()
    cache.parent.mkdir(parents=True)
    cache.write_bytes(b"not even a zip file")  # would fail if it were read
    monkeypatch.setenv("MNIST_PATH", str(chosen))
    (x, y), _ = data.load_mnist(verbose=False)
    assert data.last_source.path == chosen
    np.testing.assert_array_equal(x, arrays["x_train"])


def test_keras_cache_is_used_when_no_env(isolated, monkeypatch):
    arrays = small_arrays()
    fake_official(monkeypatch, arrays)
    cache = data.keras_cache_path()
    cache.parent.mkdir(parents=True)
    np.savez_compressed(cache, **arrays)
    (x, y), (xt, yt) = data.load_mnist(verbose=False)
    assert data.last_source.path == cache and data.last_source.is_full
    assert x.shape == (200, 28, 28) and x.dtype == np.uint8
    assert x.flags.writeable and x.flags.c_contiguous  # an ordinary array a student can change
    np.testing.assert_array_equal(yt, arrays["y_test"])


# --------------------------------------------------------------------------- bad files


def test_corrupt_file_named_by_mnist_path_is_never_called_safe_to_delete(isolated, monkeypatch):
    bad = isolated / "mnist.npz"
    bad.write_bytes(b"PK\x03\x04 garbage that is not a zip archive" * 10)
    monkeypatch.setenv("MNIST_PATH", str(bad))
    with pytest.raises(data.MnistFileError) as info:
        data.load_mnist()
    message = str(info.value)
    assert message.startswith(str(bad)) and "not a complete one" in message
    assert "delete it" not in message.lower() and "$MNIST_PATH names it" in message
    assert bad.read_bytes().startswith(b"PK\x03\x04 garbage")  # left as it was


def test_corrupt_keras_cache_may_be_deleted_and_downloaded_again(isolated):
    cache = data.keras_cache_path()
    cache.parent.mkdir(parents=True)
    cache.write_bytes(b"PK\x03\x04 garbage that is not a zip archive" * 10)
    with pytest.raises(data.MnistFileError) as info:
        data.load_mnist()
    message = str(info.value)
    assert message.startswith(str(cache)) and "Keras's download cache" in message
    assert "delete it and run again to download" in message and cache.exists()


def test_an_unreadable_file_is_not_called_damaged(isolated, monkeypatch):
    cache = data.keras_cache_path()
    cache.parent.mkdir(parents=True)
    cache.write_bytes(b"PK\x03\x04")
    real_open = open

    def no_permission(file, *args, **kwargs):
        if str(file) == str(cache):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr("builtins.open", no_permission)
    with pytest.raises(data.MnistFileError) as info:
        data.load_mnist()
    message = str(info.value)
    assert str(cache) in message and "Permission denied" in message
    assert "delete it" not in message.lower() and "permissions" in message


def test_truncated_file_is_reported(isolated, monkeypatch):
    arrays = small_arrays()
    fake_official(monkeypatch, arrays)
    good = isolated / "good.npz"
    np.savez_compressed(good, **arrays)
    truncated = isolated / "truncated.npz"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    monkeypatch.setenv("MNIST_PATH", str(truncated))
    with pytest.raises(data.MnistFileError, match="truncated.npz"):
        data.load_mnist()


def test_wrong_keys_are_listed(isolated, monkeypatch):
    path = isolated / "other.npz"
    np.savez(path, images=np.zeros((3, 28, 28), np.uint8), labels=np.zeros(3, np.uint8))
    monkeypatch.setenv("MNIST_PATH", str(path))
    with pytest.raises(data.MnistFileError, match=r"no array\(s\) \['x_test', 'x_train'"):
        data.load_mnist()


def test_pickle_bearing_file_is_never_unpickled(isolated, monkeypatch):
    marker = isolated / "pwned"

    class Payload:
        def __reduce__(self):
            return (Path.touch, (marker,))

    arrays = small_arrays()
    hostile = dict(arrays, x_train=np.array([Payload()], dtype=object))
    path = isolated / "hostile.npz"
    np.savez(path, **hostile)
    monkeypatch.setenv("MNIST_PATH", str(path))
    with pytest.raises(data.MnistFileError, match="pickled Python objects") as info:
        data.load_mnist()
    assert not marker.exists() and "x_train" in str(info.value)
    # the payload is real: unpickling it would have created the marker
    pickle.loads(pickle.dumps(Payload()))
    assert marker.exists()


def test_altered_contents_fail_the_checksum(isolated, monkeypatch):
    arrays = small_arrays()
    fake_official(monkeypatch, arrays)
    altered = dict(arrays)
    altered["y_train"] = arrays["y_train"].copy()
    altered["y_train"][0] = (altered["y_train"][0] + 1) % 10  # one flipped label
    path = isolated / "altered.npz"
    np.savez(path, **altered)
    monkeypatch.setenv("MNIST_PATH", str(path))
    with pytest.raises(data.MnistFileError, match="y_train differ from the official MNIST"):
        data.load_mnist()


def test_wrong_shape_or_dtype_is_reported(isolated, monkeypatch):
    arrays = small_arrays()
    fake_official(monkeypatch, arrays)
    path = isolated / "float.npz"
    np.savez(path, **dict(arrays, x_test=arrays["x_test"].astype(np.float32)))
    monkeypatch.setenv("MNIST_PATH", str(path))
    with pytest.raises(data.MnistFileError, match="x_test has shape .* float32"):
        data.load_mnist()


def test_real_checksums_reject_a_non_mnist_file(isolated, monkeypatch):
    """With the genuine OFFICIAL table, random arrays of the right shape are refused."""
    rng = np.random.default_rng(1)
    arrays = {
        key: rng.integers(0, 10, shape, dtype=np.uint8)
        for key, (shape, _digest) in data.OFFICIAL.items()
    }
    path = isolated / "random.npz"
    np.savez(path, **arrays)
    monkeypatch.setenv("MNIST_PATH", str(path))
    with pytest.raises(data.MnistFileError, match="SHA-256 mismatch"):
        data.load_mnist()


# --------------------------------------------------------------------------- fallback


def test_offline_without_file_falls_back_loudly(isolated, capsys):
    with pytest.warns(data.MnistFallbackWarning):
        (x, y), (xt, yt) = data.load_mnist()
    err = capsys.readouterr().err
    assert "MNIST FALLBACK" in err and "will differ" in err
    assert data.last_source.kind == "fallback" and not data.last_source.is_full
    assert x.shape == (4000, 28, 28) and xt.shape == (1000, 28, 28)
    assert x.dtype == np.uint8 and y.dtype == np.uint8
    assert set(np.unique(y)) == set(range(10)) == set(np.unique(yt))
    assert 0 <= x.min() and x.max() == 255
    # real digits, not noise: most pixels are background
    assert np.mean(x == 0) > 0.7


def test_download_is_not_attempted_when_disabled(isolated, monkeypatch):
    def must_not_run():
        raise AssertionError("download attempted")

    monkeypatch.setattr(data, "_download", must_not_run)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", data.MnistFallbackWarning)
        data.load_mnist(download=False, verbose=False)
    assert data.last_source.kind == "fallback"


# --------------------------------------------------------------------------- full data


def test_full_mnist_if_available(monkeypatch):
    """On a machine with the real file (CI restores it), the known facts hold."""
    monkeypatch.delenv("MNIST_PATH", raising=False)
    path = data.find_mnist_file(download=False)
    if path is None:
        pytest.skip("full MNIST not present (offline fallback machine)")
    arrays = data.read_npz(path)  # verifies all four checksums
    assert arrays["x_train"].shape == (60000, 28, 28)
    counts = np.bincount(arrays["y_train"], minlength=10)
    assert counts.tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    assert np.bincount(arrays["y_test"]).tolist() == [
        980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009,
    ]  # fmt: skip
    x = data.normalize(arrays["x_train"])
    assert abs(float(x.mean()) - 0.1307) < 5e-5 and abs(float(x.std()) - 0.3081) < 5e-5


# --------------------------------------------------------------------------- IDX files


def idx_bytes(array: np.ndarray) -> bytes:
    """The IDX encoding of a uint8 array (what the official MNIST files hold)."""
    header = bytes([0, 0, 0x08, array.ndim]) + np.array(array.shape, dtype=">u4").tobytes()
    return header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()


def write_idx_folder(folder: Path, arrays: dict, gzipped=True) -> Path:
    import gzip

    folder.mkdir(parents=True, exist_ok=True)
    for key, stem in data.IDX_FILES.items():
        raw = idx_bytes(arrays[key])
        if gzipped:
            (folder / f"{stem}.gz").write_bytes(gzip.compress(raw, compresslevel=1, mtime=0))
        else:
            (folder / stem).write_bytes(raw)
    return folder


@pytest.mark.parametrize("gzipped", [True, False], ids=["gzipped", "plain"])
def test_mnist_path_may_name_a_folder_of_idx_files(isolated, monkeypatch, gzipped):
    arrays = small_arrays()
    fake_official(monkeypatch, arrays)
    folder = write_idx_folder(isolated / "idx", arrays, gzipped=gzipped)
    monkeypatch.setenv("MNIST_PATH", str(folder))
    (x, y), (xt, yt) = data.load_mnist(verbose=False)
    assert data.last_source.is_full and data.last_source.path == folder
    assert "IDX files" in data.last_source.description
    for got, key in [(x, "x_train"), (y, "y_train"), (xt, "x_test"), (yt, "y_test")]:
        np.testing.assert_array_equal(got, arrays[key])
        assert got.dtype == np.uint8 and got.flags.writeable


def test_idx_files_named_as_some_mirrors_name_them(isolated, monkeypatch):
    arrays = small_arrays()
    fake_official(monkeypatch, arrays)
    folder = isolated / "mirror"
    folder.mkdir()
    for key, stem in data.IDX_FILES.items():  # train-images.idx3-ubyte, not gzipped
        (folder / stem.replace("-idx", ".idx")).write_bytes(idx_bytes(arrays[key]))
    np.testing.assert_array_equal(data.read_mnist(folder)["x_test"], arrays["x_test"])


def test_read_idx_is_strict_about_header_and_length(tmp_path):
    labels = np.arange(10, dtype=np.uint8)
    good = tmp_path / "labels-idx1-ubyte"
    good.write_bytes(idx_bytes(labels))
    np.testing.assert_array_equal(data.read_idx(good), labels)
    cases = {
        "short": (idx_bytes(labels)[:-1], "truncated"),
        "long": (idx_bytes(labels) + b"\0", "more data than its header"),
        "magic": (b"\x01\x02" + idx_bytes(labels)[2:], "not an IDX file"),
        "float": (bytes([0, 0, 0x0D, 1]) + idx_bytes(labels)[4:], "type code is 0x0d"),
        "header": (idx_bytes(labels)[:6], "inside its IDX header"),
    }
    for name, (raw, message) in cases.items():
        path = tmp_path / f"{name}-idx1-ubyte"
        path.write_bytes(raw)
        with pytest.raises(data.MnistFileError, match=message) as info:
            data.read_idx(path)
        assert str(path) in str(info.value), name
    with pytest.raises(
        data.MnistFileError, match=r"shape \(10,\); this MNIST file's is \(60000,\)"
    ):
        data.read_idx(good, expected_shape=(60000,))


def test_a_partial_idx_folder_lists_what_is_missing(isolated, monkeypatch):
    arrays = small_arrays()
    folder = write_idx_folder(isolated / "idx", arrays)
    (folder / "t10k-labels-idx1-ubyte.gz").unlink()
    (folder / "train-images-idx3-ubyte.gz").unlink()
    monkeypatch.setenv("MNIST_PATH", str(folder))
    with pytest.raises(data.MnistFileError) as info:
        data.load_mnist()
    message = str(info.value)
    assert str(folder) in message and "lacks 2 of the four" in message
    assert "train-images-idx3-ubyte(.gz)" in message and "t10k-labels-idx1-ubyte(.gz)" in message
    assert "t10k-images-idx3-ubyte.gz" in message  # what it does hold


def test_altered_idx_file_fails_the_checksum_and_is_named(isolated, monkeypatch):
    arrays = small_arrays()
    fake_official(monkeypatch, arrays)
    altered = dict(arrays, y_test=arrays["y_test"].copy())
    altered["y_test"][3] = 9
    folder = write_idx_folder(isolated / "idx", altered)
    monkeypatch.setenv("MNIST_PATH", str(folder))
    with pytest.raises(
        data.MnistFileError, match="t10k-labels-idx1-ubyte.gz: the contents of y_test"
    ):
        data.load_mnist()


def test_the_real_idx_files_load_with_the_official_checksums(tmp_path, monkeypatch):
    """The official download's four IDX files, rebuilt from the full npz, verify and load."""
    monkeypatch.delenv("MNIST_PATH", raising=False)
    path = data.find_mnist_file(download=False)
    if path is None:
        pytest.skip("full MNIST not present (offline fallback machine)")
    arrays = data.read_mnist(path)
    folder = write_idx_folder(tmp_path / "official", arrays)
    from_idx = data.read_mnist(folder)  # verifies all four checksums
    for key in data.OFFICIAL:
        np.testing.assert_array_equal(from_idx[key], arrays[key])


# --------------------------------------------------------------------------- preprocessing


def test_one_hot_by_hand():
    y = np.array([0, 3, 9, 3])
    expected = np.zeros((4, 10), np.float32)
    expected[[0, 1, 2, 3], [0, 3, 9, 3]] = 1
    out = data.one_hot(y)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, expected)
    np.testing.assert_array_equal(out.argmax(axis=1), y)


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        (np.array([0, 10]), r"0\.\.9"),
        (np.array([-1, 2]), r"0\.\.9"),
        (np.zeros((3, 10)), "1-D"),
        (np.array([0.5, 1.0]), "whole numbers"),
    ],
)
def test_one_hot_rejects_bad_labels(labels, message):
    with pytest.raises(ValueError, match=message):
        data.one_hot(labels)


def test_normalize_and_its_errors():
    x = np.array([[[0, 51, 255]]], dtype=np.uint8)
    out = data.normalize(x)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, [[[0.0, 0.2, 1.0]]])
    with pytest.raises(ValueError, match="divided by 255 a second time"):
        data.normalize(out)


def test_flatten_keeps_row_order():
    x = np.arange(2 * 28 * 28).reshape(2, 28, 28)
    flat = data.flatten(x)
    assert flat.shape == (2, 784)
    assert flat[1, 28 * 5 + 7] == x[1, 5, 7]
    with pytest.raises(ValueError, match=r"\(n, 28, 28\)"):
        data.flatten(np.zeros((2, 784)))


def test_balanced_subset_counts_and_errors():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 10, 500)
    x = np.arange(500)
    xs, ys = data.balanced_subset(x, y, per_class=7, seed=3)
    assert np.bincount(ys, minlength=10).tolist() == [7] * 10
    np.testing.assert_array_equal(y[xs], ys)  # images stay with their labels
    assert np.all(np.diff(xs) > 0)  # original order, no repeats
    xs2, _ = data.balanced_subset(x, y, per_class=7, seed=3)
    np.testing.assert_array_equal(xs, xs2)  # deterministic
    with pytest.raises(ValueError, match="fewer than per_class"):
        data.balanced_subset(x, y, per_class=400)
    with pytest.raises(ValueError, match="labels"):
        data.balanced_subset(x[:10], y, per_class=1)


def test_limit_keeps_every_class_and_proportions(isolated, monkeypatch):
    arrays = small_arrays()
    fake_official(monkeypatch, arrays)
    path = isolated / "m.npz"
    np.savez(path, **arrays)
    monkeypatch.setenv("MNIST_PATH", str(path))
    (x, y), (xt, yt) = data.load_mnist(limit=50, test_limit=20, verbose=False)
    assert len(y) == 50 and len(yt) == 20
    assert np.bincount(y, minlength=10).tolist() == [5] * 10
    with pytest.raises(ValueError, match="at least 10"):
        data.load_mnist(limit=5, verbose=False)


def test_load_options_compose(isolated, monkeypatch):
    arrays = small_arrays()
    fake_official(monkeypatch, arrays)
    path = isolated / "m.npz"
    np.savez(path, **arrays)
    monkeypatch.setenv("MNIST_PATH", str(path))
    (x, y), (xt, yt) = data.load_mnist(
        normalize_pixels=True, flatten_images=True, one_hot_labels=True, verbose=False
    )
    assert x.shape == (200, 784) and x.dtype == np.float32 and x.max() <= 1.0
    assert y.shape == (200, 10) and yt.shape == (50, 10)
    np.testing.assert_array_equal(y.argmax(1), arrays["y_train"])
