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


def _overlap(bbox, y_data, ax):
    """Whether a horizontal line at data height ``y_data`` runs through a text's bbox."""
    y_display = ax.transData.transform((0, y_data))[1]
    return bbox.y0 <= y_display <= bbox.y1


def test_class_balance_counts_clear_of_the_mean_line():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 10, 6000)
    fig = plots.class_balance(y, y[:1000])
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    for ax, labels in [(fig.axes[0], y), (fig.axes[1], y[:1000])]:
        counts = np.bincount(labels, minlength=10)
        texts = [t for t in ax.texts if t.get_text().replace(",", "").isdigit()]
        assert [int(t.get_text().replace(",", "")) for t in texts] == counts.tolist()
        mean_line = ax.lines[0]
        assert mean_line.get_ydata()[0] == pytest.approx(counts.mean())
        for t in texts:
            assert not _overlap(t.get_window_extent(renderer), counts.mean(), ax), t.get_text()
    plt.close("all")


def test_pixel_histogram_shades_and_counts_the_grey_band():
    x = np.array([0, 0, 10, 100, 200, 255, 255, 255], dtype=np.uint8).reshape(1, 2, 4)
    fig = plots.pixel_histogram(x, band=(26, 229))
    legend = fig.axes[1].get_legend().get_texts()[0].get_text()
    assert "greys 26-229: 33.3% of the ink" in legend  # 100 and 200 of six inked pixels
    plt.close("all")


def test_flatten_picture_marks_rows_at_28_times_the_row():
    image = np.arange(784, dtype=np.uint8).reshape(28, 28)
    fig = plots.flatten_picture(image, 3, rows=(7, 14))
    ax_img, ax_row = fig.axes
    assert [line.get_ydata()[0] for line in ax_img.lines] == [6.5, 13.5]
    assert [line.get_xdata()[0] for line in ax_row.lines] == [28 * 7 - 0.5, 28 * 14 - 0.5]
    assert {"row 7 starts: 196", "row 14 starts: 392"} <= {t.get_text() for t in ax_row.texts}
    plt.close("all")


def test_best_of_k_plots_percent_and_marks_the_truth():
    ks = [1, 2, 5]
    fig = plots.best_of_k(ks, [0.98, 0.982, 0.985], [0.98, 0.9821, 0.9849], 0.98, n_test=1000)
    ax = fig.axes[0]
    expected_line = ax.lines[0]
    np.testing.assert_allclose(expected_line.get_ydata(), [98.0, 98.21, 98.49])
    truth = next(line for line in ax.lines if line.get_linestyle() == ":")
    assert truth.get_ydata()[0] == pytest.approx(98.0)
    assert "1,000 images" in ax.get_title()
    plt.close("all")


def test_use_style_sets_the_colour_blind_palette():
    import seaborn as sns

    plots.use_style()
    cycle = [c.lower() for c in matplotlib.rcParams["axes.prop_cycle"].by_key()["color"]]
    assert cycle == [c.lower() for c in sns.color_palette("colorblind").as_hex()]
    assert cycle == [c.lower() for c in plots.CB_COLORS]


def test_accuracy_vs_cost_draws_models_of_almost_equal_size_side_by_side():
    """Notebook 08's figure: the flagship (571,018 parameters) and its ablations (567,434 and
    571,018) are drawn apart on the size axis, the flagship among them, however their sizes
    fall against a rounding grid; models 13% apart are not moved."""
    import pandas as pd

    names = ["mlp_300_100", "numpy_mlp", "flagship", "no_bn", "no_do", "plain"]
    params = [266_610, 235_146, 571_018, 567_434, 571_018, 567_434]
    groups = ["architecture"] * 3 + ["ablation"] * 3
    summary = pd.DataFrame(
        dict(
            label=names,
            params=params,
            group=groups,
            seconds_per_epoch=1.0,
            val_accuracy=0.98,
            val_low=0.97,
            val_high=0.99,
        ),
        index=names,
    )
    runs = pd.DataFrame(dict(name=names, params=params, seconds_per_epoch=1.0, val_accuracy=0.98))
    fig = plots.accuracy_vs_cost(summary, runs)
    size_axis = fig.axes[0]
    # one errorbar container per model, labelled with it; its first artist is the marker
    x = {c.get_label(): float(c[0].get_xdata()[0]) for c in size_axis.containers}
    plt.close(fig)
    four = sorted(["flagship", "no_bn", "no_do", "plain"], key=x.get)
    gaps = np.diff([np.log(x[n]) for n in four])
    assert (gaps > 0.05).all(), {n: x[n] for n in four}  # apart, not on top of each other
    assert four.index("flagship") in (1, 2), four  # the flagship among its ablations
    assert x["mlp_300_100"] == pytest.approx(266_610) and x["numpy_mlp"] == pytest.approx(235_146)
