"""The one fit / validation / test split of the series, defined once.

Every notebook from 05 on calls :func:`load_split` and gets the same three sets:

* **fit** (50,000 images in a full run): the images the weights are fitted to;
* **validation** (10,000): held out from the official training images, stratified by
  digit, with the series' fixed seed. Every choice is made here: recipe, number of
  epochs, learning rate, architecture, temperature, decision threshold;
* **test** (10,000): the official MNIST test images, evaluated once per final model and
  reported, never used to choose.

Validation is exactly one sixth of the official training images, so in a full run it has
as many images as the test set, and an accuracy measured on it is just as precise
(binomial standard error sqrt(p(1-p)/n) with the same n). FAST mode and the offline
fallback use fewer images (see :data:`helpers.config.RUN`), split the same way.

The split is a pure function of the labels and the seed (:func:`split_indices`), so it is
the same on every machine; ``tests/test_split.py`` checks that it is stratified, disjoint,
deterministic and of the documented sizes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from helpers import config

__all__ = ["VALIDATION_FRACTION", "Split", "load_split", "make_split", "split_indices"]

#: Share of the official training images held out for validation (10,000 of 60,000).
VALIDATION_FRACTION = 1 / 6


def validation_size(n_train: int) -> int:
    """How many of ``n_train`` training images go to validation: one sixth, rounded."""
    return round(n_train * VALIDATION_FRACTION)


def split_indices(y_train, seed: int = config.SEED) -> tuple[np.ndarray, np.ndarray]:
    """``(fit_idx, val_idx)``: positions in the training set, each sorted, stratified by digit.

    Every digit keeps its share in both parts (to within one image). The same labels and
    seed give the same indices on every machine.
    """
    from sklearn.model_selection import train_test_split

    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise TypeError(f"seed must be a whole number >= 0 such as 0, got {seed!r}.")
    y_train = np.asarray(y_train)
    if y_train.ndim != 1:
        raise ValueError(
            f"y_train must be integer labels of shape (n,), got shape {y_train.shape}; "
            "pass labels before one-hot encoding."
        )
    if y_train.dtype.kind not in "iu":
        raise ValueError(f"y_train must hold integer labels 0-9, got dtype {y_train.dtype}.")
    digits, counts = np.unique(y_train, return_counts=True)
    if len(digits) and counts.min() < 2:
        rare = [int(d) for d, c in zip(digits, counts, strict=True) if c < 2]
        raise ValueError(
            f"digit(s) {rare} have only one training image: a stratified split needs at least "
            "two of every digit (one for fitting, one for validation). Load more images."
        )
    n_val = validation_size(len(y_train))
    if n_val < 10 or len(y_train) - n_val < 10:
        raise ValueError(
            f"{len(y_train)} training images are too few to hold out a validation set "
            "with every digit in it; use at least 60."
        )
    fit_idx, val_idx = train_test_split(
        np.arange(len(y_train)), test_size=n_val, stratify=y_train, random_state=seed
    )
    return np.sort(fit_idx), np.sort(val_idx)


@dataclass(frozen=True)
class Split:
    """The three sets. Images keep the form they were loaded in; labels are integers.

    ``fit_idx`` and ``val_idx`` are positions in the official training set, so a later
    notebook can tell which training images a model was fitted to.
    """

    x_fit: np.ndarray
    y_fit: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    fit_idx: np.ndarray
    val_idx: np.ndarray
    seed: int = config.SEED

    def sizes(self) -> dict[str, int]:
        """``{"fit": n, "validation": n, "test": n}``."""
        return {"fit": len(self.y_fit), "validation": len(self.y_val), "test": len(self.y_test)}

    def describe(self) -> str:
        """One line, e.g. 'fit 50,000 | validation 10,000 | test 10,000 (stratified, seed 0)'."""
        s = self.sizes()
        return (
            f"fit {s['fit']:,} | validation {s['validation']:,} | test {s['test']:,} "
            f"(validation stratified by digit, seed {self.seed})"
        )

    def fingerprint(self) -> str:
        """16 hex digits of a SHA-256 over the labels of the three sets and the positions of
        the validation images. Another data file (the offline fallback, a FAST subset) or
        another seed gives another fingerprint, so results stored for one split (such as a
        benchmark's test predictions) are never read against another."""
        import hashlib

        digest = hashlib.sha256()
        for part in (self.y_fit, self.y_val, self.y_test, self.val_idx):
            digest.update(np.ascontiguousarray(np.asarray(part, dtype=np.int64)).tobytes())
        return digest.hexdigest()[:16]


def make_split(x_train, y_train, x_test, y_test, seed: int = config.SEED) -> Split:
    """Hold out one sixth of the training images (stratified) for validation."""
    x_train, y_train = np.asarray(x_train), np.asarray(y_train)
    if len(x_train) != len(y_train):
        raise ValueError(f"x_train has {len(x_train)} images but y_train {len(y_train)} labels.")
    fit_idx, val_idx = split_indices(y_train, seed)
    return Split(
        x_fit=x_train[fit_idx],
        y_fit=y_train[fit_idx],
        x_val=x_train[val_idx],
        y_val=y_train[val_idx],
        x_test=np.asarray(x_test),
        y_test=np.asarray(y_test),
        fit_idx=fit_idx,
        val_idx=val_idx,
        seed=seed,
    )


def load_split(
    normalize_pixels: bool = True,
    flatten_images: bool = False,
    seed: int = config.SEED,
    verbose: bool = True,
) -> Split:
    """Load MNIST (at this run's size, ``config.RUN``) and split it the series' one way.

    Labels are integers (``data.one_hot`` makes one-hot labels when a notebook wants them).
    """
    from helpers import data

    (x_train, y_train), (x_test, y_test) = data.load_mnist(
        normalize_pixels=normalize_pixels,
        flatten_images=flatten_images,
        limit=config.RUN.n_train,
        test_limit=config.RUN.n_test,
        verbose=verbose,
    )
    split = make_split(x_train, y_train, x_test, y_test, seed=seed)
    if verbose:
        print("Split:", split.describe())
    return split
