"""save_fig's naming and folders, and the figures of notebook 01."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from helpers import config, data, plots


@pytest.fixture
def digits():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (60, 28, 28), dtype=np.uint8)
    y = np.tile(np.arange(10, dtype=np.uint8), 6)
    return x, y


@pytest.fixture
def img_dirs(monkeypatch, tmp_path):
    monkeypatch.setattr(config, "IMG_DIR", tmp_path / "img")
    monkeypatch.setattr(config, "SCRATCH_IMG_DIR", tmp_path / "img" / "scratch")
    monkeypatch.setattr(plots, "_notebook", None)
    return tmp_path / "img"


def test_save_fig_needs_the_notebook_number(img_dirs):
    plt.figure()
    with pytest.raises(RuntimeError, match="setup_notebook"):
        plots.save_fig("anything")
    plt.close("all")


def test_fast_runs_never_write_committed_figures(img_dirs, monkeypatch):
    plots.set_notebook("03")
    fig = plt.figure()
    monkeypatch.setenv(config.FAST_ENV, "1")
    path = plots.save_fig("curve", fig)
    assert path == img_dirs / "scratch" / "03_curve.png" and path.is_file()
    assert not (img_dirs / "03_curve.png").exists()
    plt.close(fig)


def test_full_runs_write_img_nn_name(img_dirs, monkeypatch):
    plots.set_notebook("03")
    monkeypatch.setenv(config.FAST_ENV, "0")
    monkeypatch.setattr(data, "last_source", data.DataSource("file", None, "full"))
    fig = plt.figure()
    path = plots.save_fig("curve", fig)
    assert path == img_dirs / "03_curve.png"
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # fallback data in a full run: kept out of img/ as well
    monkeypatch.setattr(data, "last_source", data.DataSource("fallback", None, "sample"))
    assert plots.save_fig("curve2", fig).parent == img_dirs / "scratch"
    plt.close(fig)


@pytest.mark.parametrize("bad", ["", "a/b", "name.png", "two words"])
def test_bad_figure_names(img_dirs, bad):
    plots.set_notebook("01")
    with pytest.raises(ValueError, match="plain word"):
        plots.save_fig(bad, plt.figure())
    plt.close("all")


def test_notebook_number_must_be_two_digits():
    with pytest.raises(ValueError, match="two digits"):
        plots.set_notebook("1")


def test_notebook_01_figures(digits):
    x, y = digits
    fig = plots.sample_grid(x, y, rows=2, cols=5)
    assert [ax.get_title() for ax in fig.axes[:3]] == [f"label {int(v)}" for v in y[:3]]
    fig = plots.class_balance(y, y[:20])
    assert fig.axes[0].get_title() == "training set: 60 images"
    heights = [p.get_height() for p in fig.axes[0].patches]
    assert heights == [6] * 10
    fig = plots.pixel_histogram(x)
    share = np.mean(x == 0)
    assert f"{share:.1%} are exactly 0" in fig.axes[0].get_title()
    fig = plots.mean_digits(x, y)
    shown = fig.axes[3].images[0].get_array()
    np.testing.assert_allclose(shown, x[y == 3].mean(axis=0))
    fig = plots.examples_per_class(x, y, per_class=3)
    assert len(fig.axes) == 30
    fig = plots.flatten_picture(x[0], y[0])
    np.testing.assert_array_equal(fig.axes[1].images[0].get_array()[0], x[0].ravel())
    with pytest.raises(ValueError, match="need 40 images"):
        plots.sample_grid(x[:5], y[:5], rows=5, cols=8)
    plt.close("all")
