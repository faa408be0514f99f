"""Settings: the FAST switch, run sizes, seeds, paths, the headless runner's selection."""

from __future__ import annotations

import random

import numpy as np
import pytest

from helpers import config, run


def test_fast_switch_reads_the_environment(monkeypatch):
    for value in ["1", "true", "YES", "on"]:
        monkeypatch.setenv(config.FAST_ENV, value)
        assert config.is_fast() and config.pick(10, 2) == 2
    for value in ["", "0", "false", "no"]:
        monkeypatch.setenv(config.FAST_ENV, value)
        assert not config.is_fast() and config.pick(10, 2) == 10


def test_the_suite_runs_in_fast_mode():
    """conftest.py switches FAST on, so notebook kernels started by nbval inherit it."""
    assert config.is_fast() and config.RUN is config.FAST_SIZES


def test_fast_sizes_are_smaller_but_keep_every_class():
    full, fast = config.FULL_SIZES, config.FAST_SIZES
    assert full.n_train is None and full.n_test is None  # all of MNIST
    assert 10 * 100 <= fast.n_train <= 10_000 and 10 * 50 <= fast.n_test <= 2_000
    for field in ("epochs_numpy", "epochs_flagship", "epochs_published", "epochs_compare"):
        assert 1 <= getattr(fast, field) <= getattr(full, field), field


def test_set_seed_makes_python_numpy_and_keras_repeat():
    import keras

    def draw():
        config.set_seed(123)
        return (
            random.random(),
            np.random.rand(),
            float(keras.random.uniform((1,))[0]),
        )

    assert draw() == draw()


def test_artifacts_are_separate_for_fast_and_full(monkeypatch):
    monkeypatch.setenv(config.FAST_ENV, "1")
    fast = config.artifacts_dir()
    monkeypatch.setenv(config.FAST_ENV, "0")
    full = config.artifacts_dir()
    assert fast != full and fast.parent == full.parent == config.ROOT / "artifacts"


def test_paths_point_into_the_repository():
    assert (config.ROOT / "helpers" / "config.py").is_file()
    assert config.IMG_DIR == config.ROOT / "img"
    assert config.NOTEBOOKS_DIR.is_dir()


def test_runner_selects_notebooks_in_teaching_order():
    every = run.notebooks()
    assert every == sorted(every) and every[0].name.startswith("01_")
    assert [p.name[:2] for p in run.notebooks(["1"])] == ["01"]
    with pytest.raises(SystemExit, match="no notebook numbered"):
        run.notebooks(["99"])
