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
    np.testing.assert_array_equal(yt, arrays["y_test"])


# --------------------------------------------------------------------------- bad files


def test_corrupt_file_names_the_file_and_the_fix(isolated, monkeypatch):
    bad = isolated / "mnist.npz"
    bad.write_bytes(b"PK\x03\x04 garbage that is not a zip archive" * 10)
    monkeypatch.setenv("MNIST_PATH", str(bad))
    with pytest.raises(data.MnistFileError) as info:
        data.load_mnist()
    message = str(info.value)
    assert str(bad) in message and "Delete the file" in message


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
    with pytest.raises(data.MnistFileError, match="pickled Python objects"):
        data.load_mnist()
    assert not marker.exists()
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
