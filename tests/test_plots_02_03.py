"""The figures of notebooks 02 and 03 draw what their titles claim."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from helpers import losses, models, plots


def test_neg_log_curve_is_minus_ln_p():
    fig = plots.neg_log_curve(marks=(0.7,))
    ax = fig.axes[0]
    x, y = ax.lines[0].get_data()
    np.testing.assert_allclose(y, -np.log(x))
    assert x.min() > 0 and x.max() == pytest.approx(1.0)
    (mx,), (my,) = ax.lines[1].get_data()
    assert (mx, my) == pytest.approx((0.7, -np.log(0.7)))
    plt.close(fig)


@pytest.mark.parametrize("q", [0.9, 0.7, 0.1, 0.01])
def test_neg_log_labels_sit_next_to_their_points(q):
    fig = plots.neg_log_curve(marks=(q,))
    ax = fig.axes[0]
    fig.canvas.draw()
    (label,) = ax.texts[:1] if not ax.texts[0].get_text().startswith("confident") else ax.texts[1:]
    assert label.get_text() == f"p = {q:g}: loss {-np.log(q):.2f}"
    point = ax.transData.transform((q, -np.log(q)))
    box = label.get_window_extent(fig.canvas.get_renderer())
    # the label's nearest edge is within 25 pixels of its point, and it stays inside the axes
    dx = max(box.x0 - point[0], 0, point[0] - box.x1)
    dy = max(box.y0 - point[1], 0, point[1] - box.y1)
    assert np.hypot(dx, dy) < 25
    axes_box = ax.get_window_extent()
    assert axes_box.x0 <= box.x0 and box.x1 <= axes_box.x1 + 5
    plt.close(fig)


def test_softmax_bars_show_the_probabilities():
    z = np.array([2.0, 1.0, 0.1])
    p = losses.softmax(z)
    fig = plots.softmax_bars(z, p)
    heights = [patch.get_height() for patch in fig.axes[1].patches]
    np.testing.assert_allclose(heights, p)
    assert "sum = 1.000" in fig.axes[1].get_title()
    plt.close(fig)


def test_parameter_cost_bars_show_both_parameter_kinds_and_the_training_ratio():
    rows = {}
    for name in ("mlp_100", "flagship"):
        spec = models.ARCHITECTURES[name]
        sizes = models.layer_sizes(name)
        counts = models.count_params(sizes, batchnorm=spec.get("batchnorm", False))
        cost = models.cost(sizes)
        rows[name] = dict(
            **counts,
            mult_adds_per_image=cost["mult_adds_per_image"],
            train_mult_adds_per_image=cost["train_mult_adds_per_image"],
        )
    table = pd.DataFrame(rows).T
    fig = plots.parameter_cost_bars(table)
    widths = [patch.get_width() for patch in fig.axes[0].patches]
    assert widths == [79_510, 569_226, 0, 1_792]
    assert fig.axes[0].get_xscale() == "log"  # 1,792 next to 569,226 stays visible
    ratios = [patch.get_width() for patch in fig.axes[1].patches]
    expected = table["train_mult_adds_per_image"] / table["mult_adds_per_image"]
    np.testing.assert_allclose(ratios, expected.to_numpy(dtype=float), rtol=1e-12)
    assert all(2 <= r < 3 for r in ratios)
    plt.close(fig)
