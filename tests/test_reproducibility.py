"""A seeded training repeats bit for bit on one machine (another CPU may differ: see
``benchmarks/bench_machine_variation.py`` for by how much, next to the spread over seeds)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from helpers import data, models, quiet, training

quiet.import_tensorflow()
import keras  # noqa: E402


@pytest.fixture(scope="module")
def subset():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", data.MnistFallbackWarning)  # offline machines
        (x, y), (xt, _) = data.load_mnist(
            normalize_pixels=True, limit=1200, test_limit=300, verbose=False
        )
    return x, y, xt


def train_once(x, y, x_test, seed):
    """The flagship (BatchNorm and Dropout included), seeded, two short epochs."""
    recipe = training.IMPROVED_RECIPE.with_(epochs=2, warmup_epochs=0)
    keras.utils.set_random_seed(seed)
    model = models.build_flagship(dropout=recipe.dropout, batchnorm=True)
    training.compile_flagship(model, recipe, training.steps_per_epoch(len(x), recipe))
    model.fit(x, data.one_hot(y), batch_size=recipe.batch_size, epochs=recipe.epochs, verbose=0)
    return model.predict(x_test, batch_size=300, verbose=0)


def test_the_seeded_flagship_trains_to_identical_predictions(subset):
    x, y, x_test = subset
    first = train_once(x, y, x_test, seed=0)
    second = train_once(x, y, x_test, seed=0)
    np.testing.assert_array_equal(first, second)  # every probability, bit for bit
    other_seed = train_once(x, y, x_test, seed=1)
    assert not np.array_equal(first, other_seed)  # the seed is what makes them equal
