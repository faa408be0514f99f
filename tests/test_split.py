"""The one fit / validation / test split: stratified, disjoint, deterministic, sized."""

import hashlib

import numpy as np
import pytest

from helpers import data, split


def _labels(n, seed=1):
    rng = np.random.default_rng(seed)
    # unequal class sizes, like MNIST (5,421 fives to 6,742 ones)
    return rng.choice(10, size=n, p=np.linspace(0.08, 0.12, 10) / np.linspace(0.08, 0.12, 10).sum())


@pytest.mark.parametrize("n", [60, 600, 4000, 60000])
def test_sizes_are_one_sixth_and_everything_is_used_once(n):
    y = _labels(n)
    fit_idx, val_idx = split.split_indices(y)
    assert len(val_idx) == round(n / 6)
    assert len(fit_idx) + len(val_idx) == n
    assert np.intersect1d(fit_idx, val_idx).size == 0  # disjoint
    assert np.array_equal(np.sort(np.concatenate([fit_idx, val_idx])), np.arange(n))


def test_full_size_is_50000_10000():
    fit_idx, val_idx = split.split_indices(_labels(60000))
    assert (len(fit_idx), len(val_idx)) == (50000, 10000)


def test_stratified_every_digit_keeps_its_share():
    y = _labels(60000)
    fit_idx, val_idx = split.split_indices(y)
    counts_val = np.bincount(y[val_idx], minlength=10)
    expected = np.bincount(y, minlength=10) / 6
    assert np.all(np.abs(counts_val - expected) <= 1)  # to within one image per digit


def test_deterministic_and_seed_dependent():
    y = _labels(6000)
    a = split.split_indices(y, seed=0)
    b = split.split_indices(y, seed=0)
    c = split.split_indices(y, seed=1)
    assert np.array_equal(a[1], b[1])
    assert not np.array_equal(a[1], c[1])


def test_make_split_keeps_images_with_their_labels():
    y = _labels(600)
    x = np.arange(600)[:, None] * np.ones((1, 3))  # the image "is" its position
    s = split.make_split(x, y, x[:50], y[:50])
    assert np.array_equal(s.x_fit[:, 0].astype(int), s.fit_idx)
    assert np.array_equal(s.y_val, y[s.val_idx])
    assert s.sizes() == {"fit": 500, "validation": 100, "test": 50}
    assert "fit 500 | validation 100 | test 50" in s.describe()


@pytest.mark.parametrize(
    "bad, message",
    [
        (np.zeros((10, 10)), "shape"),  # one-hot labels
        (np.arange(30) % 10, "too few"),
    ],
)
def test_bad_labels_get_a_clear_error(bad, message):
    with pytest.raises(ValueError, match=message):
        split.split_indices(bad)


def test_mismatched_lengths_are_refused():
    with pytest.raises(ValueError, match="x_train has 5 images but y_train 600"):
        split.make_split(np.zeros((5, 2)), _labels(600), np.zeros((1, 2)), np.zeros(1))


def test_full_mnist_split_is_the_same_on_every_machine():
    """The validation indices of the real data, fingerprinted: any change to the split
    (seed, size, library behaviour) shows up here."""
    path = data.find_mnist_file(download=False)
    if path is None:
        pytest.skip("full MNIST not available here (the offline fallback is in use)")
    arrays = data.read_npz(path)
    fit_idx, val_idx = split.split_indices(arrays["y_train"])
    assert (len(fit_idx), len(val_idx)) == (50000, 10000)
    counts = np.bincount(arrays["y_train"][val_idx], minlength=10)
    assert counts.tolist() == [987, 1124, 993, 1022, 974, 903, 986, 1044, 975, 992]
    digest = hashlib.sha256(val_idx.astype(np.int64).tobytes()).hexdigest()
    assert digest == FULL_VAL_SHA256


FULL_VAL_SHA256 = "0d1e5f976b31ca16396fefedd246b788cf703ed4514c8229e56871e92dc25788"
