"""The notebook-07 figures draw what their titles and axis labels claim."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from fakes import random_proba
from sklearn import metrics as skm

from helpers import metrics, plots


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def annotations(ax):
    return [t.get_text() for t in ax.texts]


def test_confusion_heatmap_counts_are_labelled_predicted_true():
    y, p = random_proba(n=300)
    table = metrics.confusion(y, p.argmax(axis=1))
    fig = plots.confusion_heatmap(table, title="Test set")
    ax, colorbar = fig.axes
    assert colorbar.get_ylabel() == "images"
    assert ax.get_xlabel() == "Predicted" and ax.get_ylabel() == "True"
    assert ax.get_title() == "Test set"
    texts = annotations(ax)
    assert len(texts) == 100
    # row-major annotations: the cell in row 3, column 5 shows that count
    assert texts[3 * 10 + 5] == str(table.loc[3, 5])
    assert [t.get_text() for t in ax.get_xticklabels()] == [str(d) for d in range(10)]


def test_confusion_heatmap_normalised_shows_row_percentages():
    y_true, y_pred = [0, 0, 0, 1], [0, 0, 1, 1]
    table = metrics.confusion(y_true, y_pred, normalize=True, num_classes=2)
    fig = plots.confusion_heatmap(table, title="Shares")
    ax = fig.axes[0]
    assert "% of each true row" in ax.get_title()
    assert annotations(ax) == ["66.7", "33.3", "", "100"]
    assert fig.axes[1].get_ylabel() == "share of the true row"


@pytest.mark.parametrize(
    "share, text",
    [(0, ""), (1, "100"), (0.9996, ">99.9"), (0.995, "99.5"), (0.999, "99.9"),
     (0.0005, "<0.1"), (0.001, "0.1"), (0.123, "12.3")],
)  # fmt: skip
def test_share_labels_never_print_100_or_0_for_a_share_that_is_not(share, text):
    assert plots.share_label(share) == text


def test_normalised_heatmap_of_nearly_perfect_rows_shows_no_false_100_or_0():
    # 1,999 of 2,000 right: 99.95% must not print as "100", 0.05% not as "0.0"
    y_true = np.r_[np.zeros(2000, int), np.ones(10, int)]
    y_pred = y_true.copy()
    y_pred[0] = 1
    table = metrics.confusion(y_true, y_pred, normalize=True, num_classes=2)
    texts = annotations(plots.confusion_heatmap(table).axes[0])
    assert texts == [">99.9", "<0.1", "", "100"]


def test_confusion_heatmap_rejects_a_non_square_matrix():
    with pytest.raises(ValueError, match="square"):
        plots.confusion_heatmap(np.zeros((2, 3)))


def test_confusion_pair_draws_one_heatmap_per_table():
    y, p = random_proba(n=300)
    tables = {
        "Training set": metrics.confusion(y, p.argmax(1)),
        "Test set": metrics.confusion(y, y),
    }
    fig = plots.confusion_pair(tables)
    heatmaps = [ax for ax in fig.axes if ax.get_title()]
    assert [ax.get_title() for ax in heatmaps] == ["Training set", "Test set"]
    assert all(ax.get_xlabel() == "Predicted" for ax in heatmaps)
    assert len(fig.axes) == 4  # each heatmap has its colour bar


def test_prediction_gallery_titles_true_pred_and_confidence():
    images = np.zeros((5, 28, 28))
    y_true = np.array([1, 2, 3, 4, 5])
    y_pred = np.array([1, 7, 3, 9, 5])
    conf = np.array([0.9, 0.85, 0.5, 0.625, 1.0])
    fig = plots.prediction_gallery(images, y_true, y_pred, conf, [1, 3], cols=4, title="Errors")
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titles == ["true 2, pred 7\n85.0%", "true 4, pred 9\n62.5%"]
    assert fig._suptitle.get_text() == "Errors"
    with pytest.raises(ValueError, match="empty"):
        plots.prediction_gallery(images, y_true, y_pred, conf, [])
    sure = np.array([0.99996, 1.0, 0.9994, 0.5, 0.5])  # 99.996% must not print as 100.0%
    fig = plots.prediction_gallery(images, y_true, y_pred, sure, [0, 1, 2], cols=3)
    titles = [ax.get_title().split("\n")[1] for ax in fig.axes if ax.get_title()]
    assert titles == [">99.9%", "100.0%", "99.9%"]


def test_roc_panels_plot_the_sklearn_curves_with_auc_labels():
    y, p = random_proba(n=300)
    curves = metrics.roc_curves(y, p)
    aucs = metrics.auc_table(y, p)
    fig = plots.roc_panels(curves, aucs)
    left, right = fig.axes
    assert left.get_title() == "ROC, one digit against the rest"
    assert "log scale" in right.get_title() and right.get_xscale() == "log"
    assert "false-positive rate" in left.get_xlabel() and "true-positive rate" in left.get_ylabel()
    fpr, tpr, _ = skm.roc_curve(y == 3, p[:, 3])
    x, yy = left.lines[3].get_data()
    np.testing.assert_allclose(x, fpr)
    np.testing.assert_allclose(yy, tpr)
    labels = [t.get_text() for t in right.get_legend().get_texts()]
    assert labels[3] == f"3: AUC {aucs[3]:.4f}"
    assert f"macro-average: AUC {aucs['macro']:.4f}" in labels
    # the log axis starts just below the smallest non-zero false-positive rate drawn
    smallest = min(curves[c][0][curves[c][0] > 0].min() for c in range(10))
    assert right.get_xlim()[0] < smallest and right.get_xlim()[1] == 1


@pytest.mark.parametrize(
    "auc, text",
    [(0.99995, "0.99995"), (0.9999951, "0.999995"), (1.0, "1.0000"), (0.98765, "0.9877")],
)
def test_auc_labels_never_round_an_imperfect_auc_to_one(auc, text):
    assert plots.auc_label(auc) == text


def test_pr_curves_plot_sklearn_curves_average_precision_and_marked_points():
    y, p = random_proba(n=300)
    curves = metrics.precision_recall_curves(y, p)
    aps = metrics.average_precision_table(y, p)
    fig = plots.pr_curves(curves, aps, points={"chosen on validation": (0.95, 0.97)})
    left, right = fig.axes
    precision, recall, _ = skm.precision_recall_curve(y == 2, p[:, 2])
    x, yy = left.lines[2].get_data()
    np.testing.assert_allclose(x, recall)
    np.testing.assert_allclose(yy, precision)
    labels = [t.get_text() for t in right.get_legend().get_texts()]
    assert labels[2] == f"2: AP {aps[2]:.4f}" and labels[-1] == "chosen on validation"
    assert left.lines[-1].get_data()[0][0] == 0.95


def test_outcome_gallery_rows_name_the_outcome_and_count():
    images = np.zeros((6, 28, 28))
    y_true = np.array([3, 3, 5, 3, 1, 2])
    y_pred = np.array([3, 3, 3, 8, 1, 2])
    masks = metrics.outcome_masks(y_true, y_pred, 3)
    groups = {k: (np.nonzero(m)[0], y_true, y_pred) for k, m in masks.items()}
    fig = plots.outcome_gallery(images, groups, digit=3, per_group=3)
    ylabels = [ax.get_ylabel() for ax in fig.axes if ax.get_ylabel()]
    assert ylabels == ["TP\n(2)", "FP\n(1)", "FN\n(1)", "TN\n(2)"]
    assert "Digit 3" in fig._suptitle.get_text()


def test_confidence_histogram_counts_correct_and_wrong():
    conf = np.array([0.99, 0.98, 0.6, 0.55, 0.97])
    correct = np.array([True, True, False, False, True])
    fig = plots.confidence_histogram(conf, correct)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["correct (3)", "wrong (2)"]
    assert sum(patch.get_height() for patch in ax.patches) == 5
    assert ax.get_xlabel() == "confidence = top softmax probability"


def test_reliability_diagram_shows_bin_accuracy_counts_and_the_ece():
    y, p = random_proba(n=300, skill=1.5)
    table = metrics.calibration_table(y, p)
    ece = metrics.expected_calibration_error(y, p)
    fig = plots.reliability_diagram(table, ece, min_count=30)
    top, bottom = fig.axes
    assert top.get_title() == f"Reliability diagram: ECE = {ece:.4f}"
    assert top.get_ylabel() == "accuracy"
    assert bottom.get_xlabel() == "confidence (top probability)"
    filled = table[table["count"] > 0]
    # solid bars for bins with enough images, then pale hatched ones for the sparse bins
    solid = filled[filled["count"] >= 30]
    sparse = filled[filled["count"] < 30]
    assert len(sparse) and len(solid)
    heights = [patch.get_height() for patch in top.patches]
    np.testing.assert_allclose(heights, np.r_[solid["accuracy"], sparse["accuracy"]])
    hatched = [patch for patch in top.patches if patch.get_hatch()]
    assert len(hatched) == len(sparse)
    # every filled bin is labelled with its number of images
    assert annotations(bottom) == [f"{n:,}" for n in filled["count"]]
    legend = [t.get_text() for t in top.get_legend().get_texts()]
    assert "fewer than 30 images: too noisy to read" in legend


def test_reliability_pair_titles_each_panel_with_its_ece():
    y, p = random_proba(n=300, skill=1.5)
    table = metrics.calibration_table(y, p)
    fig = plots.reliability_pair({"Before": (table, 0.1234), "After": (table, 0.0123)})
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titles == ["Before: ECE = 0.1234", "After: ECE = 0.0123"]
