"""Every figure of the series, and the one function that saves them: :func:`save_fig`.

Figures of full runs on the full data set go to ``img/NN_name.png`` (committed, shown in
README). FAST runs and runs on the offline fallback data go to ``img/scratch/`` instead,
so a quick test run never overwrites a committed figure.
"""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np

from helpers import config, results

#: Resolution of every saved figure.
DPI = 110

#: Set by ``helpers.setup_notebook("NN")``: the number that prefixes saved figure names.
_notebook: str | None = None

DIGIT_CMAP = "gray_r"  # ink dark on paper, as the digits were written


def set_notebook(number: str) -> None:
    """Remember which notebook is running, for :func:`save_fig`'s file names."""
    global _notebook
    if not (len(number) == 2 and number.isdigit()):
        raise ValueError(f"notebook number must be two digits like '01', got {number!r}.")
    _notebook = number


def use_style() -> None:
    """One quiet, readable style for every figure, in seaborn's colour-blind-safe palette.

    The colour cycle is seaborn's "colorblind" palette (:data:`CB_COLORS`), so a figure
    that takes its colours from the cycle (or from ``CB_COLORS``) stays readable for the
    common forms of colour blindness.
    """
    import seaborn as sns

    mpl.rcParams.update(
        {
            "axes.prop_cycle": mpl.cycler(color=sns.color_palette("colorblind").as_hex()),
            "figure.dpi": 100,
            "savefig.dpi": DPI,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.titleweight": "bold",
            "axes.titlesize": 11,
            "axes.labelsize": 10,
            "legend.frameon": False,
            "image.interpolation": "nearest",
        }
    )


def figure_dir() -> Path:
    """img/ for full runs on the full data, img/scratch/ otherwise."""
    from helpers import data

    full_data = data.last_source is None or data.last_source.is_full
    if config.is_fast() or not full_data:
        return config.SCRATCH_IMG_DIR
    return config.IMG_DIR


def save_fig(name: str, fig=None) -> Path:
    """Save ``fig`` (default: the current figure) as ``img/NN_name.png`` and return the path."""
    if _notebook is None:
        raise RuntimeError(
            "save_fig does not know which notebook is running: call "
            "helpers.setup_notebook('NN') in the setup cell first."
        )
    if not name or any(ch in name for ch in "/\\. "):
        raise ValueError(f"figure name must be a plain word like 'sample_grid', got {name!r}.")
    fig = fig if fig is not None else plt.gcf()
    folder = figure_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{_notebook}_{name}.png"
    target = results.staged(path)  # python -m helpers.run: moved into place on success only
    buffer = io.BytesIO()  # drawn in memory, then written atomically: a full disk keeps the old
    fig.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight", metadata={"Software": None})
    results.write_atomic(target, buffer.getvalue())
    return path


# --------------------------------------------------------------------------- notebook 01


def _digit_axis(ax, image, title=None, color="black"):
    ax.imshow(image, cmap=DIGIT_CMAP, vmin=0, vmax=image.max() if image.max() > 1 else 1)
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    if title is not None:
        ax.set_title(title, fontsize=9, color=color, fontweight="normal")


def sample_grid(images, labels, rows=4, cols=8, title="MNIST training images with their labels"):
    """A grid of the first rows*cols images, each titled with its label."""
    n = rows * cols
    if len(images) < n:
        raise ValueError(f"need {n} images for a {rows}x{cols} grid, got {len(images)}.")
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 1.1, rows * 1.25))
    for ax, image, label in zip(axes.flat, images[:n], labels[:n], strict=True):
        _digit_axis(ax, image, f"label {int(label)}")
    fig.suptitle(title, fontweight="bold")
    fig.tight_layout()
    return fig


def examples_per_class(images, labels, per_class=10, seed=config.SEED):
    """One row per digit 0..9, ``per_class`` random examples in each row."""
    rng = np.random.default_rng(seed)
    fig, axes = plt.subplots(10, per_class, figsize=(per_class * 0.9, 10 * 0.95))
    for digit in range(10):
        (idx,) = np.nonzero(np.asarray(labels) == digit)
        chosen = rng.choice(idx, size=min(per_class, len(idx)), replace=False)
        for col in range(per_class):
            ax = axes[digit, col]
            if col < len(chosen):
                _digit_axis(ax, images[chosen[col]])
            else:
                ax.axis("off")
        axes[digit, 0].set_ylabel(str(digit), rotation=0, labelpad=12, fontsize=12)
        axes[digit, 0].yaxis.set_visible(True)
    fig.suptitle("Ten random examples of every digit", fontweight="bold")
    fig.tight_layout()
    return fig


def class_balance(y_train, y_test):
    """Bars of images per digit for train and test, each bar labelled with its count.

    The counts sit upright in the lower half of each bar, so the dashed mean line (near the
    top of the bars) never runs through them.
    """
    digits = np.arange(10)
    train_counts = np.bincount(np.asarray(y_train), minlength=10)
    test_counts = np.bincount(np.asarray(y_test), minlength=10)
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.6))
    for ax, counts, name, color in [
        (axes[0], train_counts, "training", CB_COLORS[0]),
        (axes[1], test_counts, "test", CB_COLORS[1]),
    ]:
        bars = ax.bar(digits, counts, color=color)
        for bar, c in zip(bars, counts, strict=True):
            ax.text(
                bar.get_x() + bar.get_width() / 2,
                0.04 * counts.max(),
                f"{c:,}",
                rotation=90,
                ha="center",
                va="bottom",
                fontsize=8,
                color="white" if name == "training" else "black",
            )
        ax.axhline(counts.mean(), color="black", lw=1, ls="--", label=f"mean: {counts.mean():,.0f}")
        ax.set_xticks(digits)
        ax.set_xlabel("digit")
        ax.set_ylabel("images")
        ax.set_title(f"{name} set: {counts.sum():,} images")
        ax.set_ylim(0, counts.max() * 1.2)
        ax.legend(loc="upper right")
    fig.tight_layout()
    return fig


def best_of_k(ks, simulated, expected, p_true, spread=None, fresh=None, n_test=None):
    """The accuracy reported for the best of k equally good models, against k.

    ``simulated``: mean reported accuracy per k (from repeats of the experiment);
    ``expected``: the exact expected value per k; ``spread``: optional (low, high) arrays
    drawn as a band (e.g. the 5th and 95th percentiles); ``fresh``: optional mean score of
    the chosen model on a fresh set of images. Accuracies are fractions; shown in %.
    """
    ks = np.asarray(ks)
    fig, ax = plt.subplots(figsize=(8, 4))
    if spread is not None:
        ax.fill_between(
            ks,
            100 * np.asarray(spread[0]),
            100 * np.asarray(spread[1]),
            color=CB_COLORS[0],
            alpha=0.15,
            label="simulation: middle 90% of repeats",
        )
    ax.plot(ks, 100 * np.asarray(expected), color=CB_COLORS[0], lw=2, label="expected (exact)")
    ax.plot(ks, 100 * np.asarray(simulated), "o", color=CB_COLORS[0], label="simulation: mean")
    if fresh is not None:
        ax.plot(
            ks,
            100 * np.asarray(fresh),
            "s--",
            color=CB_COLORS[2],
            label="the chosen model, scored on fresh images",
        )
    ax.axhline(100 * p_true, color="black", lw=1, ls=":", label=f"true accuracy {p_true:.0%}")
    ax.set_xscale("log")
    ax.set_xticks(ks, [str(k) for k in ks])
    ax.minorticks_off()
    ax.set_xlabel("k = number of equally good models compared on the same test set")
    ax.set_ylabel("accuracy reported (%)")
    where = f" of {n_test:,} images" if n_test else ""
    ax.set_title(f"Choosing the best on the test set{where} inflates its score")
    ax.legend(loc="upper left", fontsize=9)
    fig.tight_layout()
    return fig


def pixel_histogram(images, band=None):
    """Histogram of all pixel values, with the share of pure-background (0) pixels.

    ``band``: optional (low, high) range of grey levels to shade in the ink panel (e.g. the
    intermediate greys the notebook counts).
    """
    values = np.asarray(images).ravel()
    zero_share = np.mean(values == 0)
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.6))
    axes[0].hist(values, bins=64, color=CB_COLORS[0])
    axes[0].set_yscale("log")
    axes[0].set_xlabel("pixel value (0 = background, 255 = full ink)")
    axes[0].set_ylabel("pixels (log scale)")
    axes[0].set_title(f"All pixel values: {zero_share:.1%} are exactly 0")
    ink = values[values > 0]
    axes[1].hist(ink, bins=64, color=CB_COLORS[2])
    if band is not None:
        share = np.mean((ink >= band[0]) & (ink <= band[1]))
        axes[1].axvspan(
            band[0],
            band[1],
            color=CB_COLORS[1],
            alpha=0.15,
            label=f"greys {band[0]}-{band[1]}: {share:.1%} of the ink,\nspread thinly over many values",
        )
        axes[1].legend(loc="upper center")
    axes[1].set_xlabel("pixel value")
    axes[1].set_ylabel("pixels")
    axes[1].yaxis.set_major_formatter(mpl.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))
    axes[1].set_title("Only the non-zero pixels (the ink)")
    fig.tight_layout()
    return fig


def mean_digits(images, labels):
    """The average image of each digit, side by side."""
    images = np.asarray(images, dtype=np.float64)
    labels = np.asarray(labels)
    fig, axes = plt.subplots(1, 10, figsize=(12, 1.7))
    for digit, ax in enumerate(axes):
        mean = images[labels == digit].mean(axis=0)
        _digit_axis(ax, mean, f"mean {digit}")
    fig.suptitle("The average image of every digit", fontweight="bold", y=1.05)
    return fig


def flatten_picture(image, label=None, rows=(7, 14, 21)):
    """A 28x28 image above the 784-long row it becomes when flattened.

    Dashed lines mark where the given image ``rows`` begin, in the image and at the same
    places (28 x row) in the flat vector, so the reader can follow the rows into the vector.
    """
    image = np.asarray(image)
    width = image.shape[1]
    fig = plt.figure(figsize=(12, 4.2))
    grid = fig.add_gridspec(2, 3, height_ratios=[4, 1], width_ratios=[1, 1, 1])
    ax_img = fig.add_subplot(grid[0, 1])
    _digit_axis(ax_img, image, f"28 x 28 image (label {label})" if label is not None else None)
    ax_row = fig.add_subplot(grid[1, :])
    ax_row.imshow(image.reshape(1, -1), aspect="auto", cmap=DIGIT_CMAP)
    color = CB_COLORS[3]
    for r in rows:
        ax_img.axhline(r - 0.5, color=color, lw=1, ls="--")
        ax_img.text(width - 0.3, r - 0.5, f" row {r}", color=color, fontsize=8, va="center")
        ax_row.axvline(width * r - 0.5, color=color, lw=1.2, ls="--")
        ax_row.text(width * r, -0.62, f"row {r} starts: {width * r}", color=color, fontsize=8)
    ax_row.set_yticks([])
    ax_row.set_xticks(np.arange(0, 785, 112))
    ax_row.set_xlabel("position in the flattened vector (row r, column c -> 28 r + c)")
    ax_row.set_title(
        "the same pixels as one row of 784 numbers (dashed: where rows "
        + ", ".join(str(r) for r in rows)
        + " begin)",
        fontsize=10,
        pad=16,
    )
    return fig


# --------------------------------------------------------------------------- notebook 02


def neg_log_curve(marks=(0.9, 0.7, 0.1, 0.01)):
    """The loss of one example, -ln(p), against the probability p given to the true class.

    Each marked point gets its label next to it, joined by a short arrow.
    """
    p = np.linspace(0.001, 1.0, 1000)
    fig, ax = plt.subplots(figsize=(7.5, 4))
    ax.plot(p, -np.log(p), color=CB_COLORS[0], lw=2)
    for q in marks:
        loss = -np.log(q)
        ax.plot([q], [loss], "o", color=CB_COLORS[3])
        ax.annotate(
            f"p = {q:g}: loss {loss:.2f}",
            (q, loss),
            textcoords="offset points",
            xytext=(-10, 22) if q > 0.5 else (16, 10),
            ha="center" if q > 0.5 else "left",
            fontsize=9,
            arrowprops=dict(arrowstyle="-", color="0.4", lw=0.8, shrinkA=0, shrinkB=4),
        )
    ax.axvspan(0, 0.1, color=CB_COLORS[3], alpha=0.08)
    ax.text(0.012, 6.3, "confident and wrong:\nthe loss explodes", fontsize=9, color="0.2")
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 7.2)
    ax.set_xlabel("p = probability the model gives to the TRUE class")
    ax.set_ylabel("cross-entropy loss  -ln(p)")
    ax.set_title("Cross-entropy punishes confident mistakes hardest")
    fig.tight_layout()
    return fig


def softmax_bars(logits, probabilities, labels=None):
    """Raw scores (logits) next to the probabilities softmax turns them into."""
    logits = np.asarray(logits, dtype=float)
    probabilities = np.asarray(probabilities, dtype=float)
    labels = [str(k) for k in range(len(logits))] if labels is None else labels
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.2))
    axes[0].bar(labels, logits, color=CB_COLORS[4])
    axes[0].axhline(0, color="black", lw=0.8)
    axes[0].set_title("logits z (any real numbers)")
    axes[0].set_xlabel("class")
    bars = axes[1].bar(labels, probabilities, color=CB_COLORS[2])
    axes[1].bar_label(bars, labels=[f"{v:.2f}" for v in probabilities], fontsize=8, padding=2)
    axes[1].set_ylim(0, 1.08)
    axes[1].set_title(f"softmax(z): positive, sum = {probabilities.sum():.3f}")
    axes[1].set_xlabel("class")
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------- notebook 03


def parameter_cost_bars(table):
    """Parameters (trainable and not, log scale) and training multiply-adds per weight.

    ``table``: a DataFrame indexed by architecture with columns ``trainable``,
    ``non_trainable``, ``mult_adds_per_image`` (forward: one per weight) and
    ``train_mult_adds_per_image`` (a training step, by the rule of notebook 03). The left
    panel draws both kinds of parameter side by side on a log axis, so BatchNorm's few
    non-trainable numbers stay visible next to hundreds of thousands of weights; the right
    panel draws the training step's multiply-adds per weight, between 2 (every layer skips its
    input gradient) and 3 (none does: "three forward passes").
    """
    names = list(table.index)
    y = np.arange(len(names))
    fig, axes = plt.subplots(1, 2, figsize=(12, 0.55 * len(names) + 1.8), sharey=True)
    trainable = table["trainable"].to_numpy(dtype=float)
    frozen = table["non_trainable"].to_numpy(dtype=float)
    h = 0.38
    axes[0].barh(y - h / 2, trainable, height=h, color=CB_COLORS[0], label="trainable")
    axes[0].barh(y + h / 2, frozen, height=h, color=CB_COLORS[1], label="non-trainable (BatchNorm)")
    for i, (t, nt) in enumerate(zip(trainable, frozen, strict=True)):
        axes[0].text(t, i - h / 2, f" {t:,.0f}", va="center", fontsize=8)
        axes[0].text(max(nt, 100), i + h / 2, f" {nt:,.0f}", va="center", fontsize=8)
    axes[0].set_xscale("log")
    axes[0].set_xlim(100, trainable.max() * 8)
    axes[0].set_xlabel("parameters (log scale)")
    axes[0].set_title("Parameters")
    axes[0].legend(loc="lower right", fontsize=8)
    ratio = table["train_mult_adds_per_image"].to_numpy(dtype=float) / table[
        "mult_adds_per_image"
    ].to_numpy(dtype=float)
    axes[1].barh(y, ratio, height=0.6, color=CB_COLORS[2])
    for i, r in enumerate(ratio):
        axes[1].text(r, i, f" {r:.2f}", va="center", fontsize=8)
    axes[1].axvline(3, color=CB_COLORS[3], linestyle="--", linewidth=1)
    axes[1].text(3, -0.8, " 3 = three forward passes", color=CB_COLORS[3], fontsize=8)
    axes[1].axvline(1, color=CB_COLORS[7], linestyle=":", linewidth=1)
    axes[1].text(1, -0.8, " 1 = forward only", color=CB_COLORS[7], fontsize=8)
    axes[1].set_xlim(0, 4.5)
    axes[1].set_xlabel("multiply-adds per weight in one training step")
    axes[1].set_title("Training arithmetic per weight")
    axes[0].set_yticks(y, names)
    axes[0].set_ylim(len(names) - 0.2, -1.1)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------- notebook 05


def activation_histograms(nets, x, bins=50):
    """One row per net, one panel per layer: histogram of that layer's activations on ``x``.

    ``nets`` maps a row title to an ``MLP`` of :mod:`helpers.numpy_nn`; the last panel of a
    row is the output layer. Saturated sigmoids pile up at 0 and 1, tiny weights at 0.5.
    """
    rows = len(nets)
    cols = max(net.n_layers for net in nets.values())
    fig, axes = plt.subplots(rows, cols, figsize=(3.1 * cols, 2.3 * rows), squeeze=False)
    for r, (title, net) in enumerate(nets.items()):
        net.forward(x)
        acts = net.activations[1:]
        for c in range(cols):
            ax = axes[r, c]
            if c >= len(acts):
                ax.axis("off")
                continue
            values = acts[c].ravel()
            ax.hist(values, bins=bins, color="#4C72B0" if c < len(acts) - 1 else "#DD8452")
            ax.set_yscale("log")
            kind = "output" if c == len(acts) - 1 else f"hidden {c + 1}"
            ax.set_title(f"{kind} ({acts[c].shape[1]} units)", fontsize=9, fontweight="normal")
            ax.tick_params(labelsize=8)
        axes[r, 0].set_ylabel(title, fontsize=9)
        net.activations = []
    fig.suptitle("Activations of every layer on the same images (counts, log scale)")
    fig.tight_layout()
    return fig


def grad_norm_curves(runs):
    """Root-mean-square gradient per weight of each layer, per epoch (log scale), one panel
    per run: ||dW_l|| / sqrt(size of W_l), so that layers of different sizes compare.

    ``runs`` maps a title to ``(history, net)``: a history from
    ``MLP.fit(..., track_grad_norms=True)`` and the net it trained.
    """
    fig, axes = plt.subplots(1, len(runs), figsize=(4.4 * len(runs), 3.4), squeeze=False)
    for ax, (title, (history, net)) in zip(axes[0], runs.items(), strict=True):
        sizes = np.sqrt([w.size for w in net.W])
        rms = np.array(history["grad_norms"]) / sizes
        epochs = np.arange(1, len(rms) + 1)
        for layer in range(rms.shape[1]):
            ax.plot(epochs, rms[:, layer], marker="o", ms=3, label=f"dW{layer + 1}")
        ax.set_yscale("log")
        ax.set_xlabel("epoch")
        ax.set_title(title, fontsize=10)
    # one legend for all panels, below them, where it covers no curve
    handles, labels = max(
        (ax.get_legend_handles_labels() for ax in axes[0]), key=lambda h: len(h[1])
    )
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=9,
               bbox_to_anchor=(0.5, -0.02))  # fmt: skip
    axes[0, 0].set_ylabel("RMS gradient per weight")
    fig.suptitle("How strongly each layer is pushed: gradient size per weight, layer by layer")
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    return fig


def history_curves(histories, keys=("loss", "accuracy")):
    """Per-epoch training curves of several runs side by side (one panel per key)."""
    fig, axes = plt.subplots(1, len(keys), figsize=(5.5 * len(keys), 3.6), squeeze=False)
    for ax, key in zip(axes[0], keys, strict=True):
        for title, history in histories.items():
            values = np.asarray(history[key], dtype=float)
            ax.plot(np.arange(1, len(values) + 1), values, marker="o", ms=2.5, label=title)
        ax.set_xlabel("epoch")
        ax.set_ylabel(f"training {key}")
        ax.legend(fontsize=8)
        if key == "loss":
            ax.set_yscale("log")
    fig.tight_layout()
    return fig


def fix_steps_chart(table):
    """Validation accuracy after each step (mean over seeds, error bar = one standard
    deviation, dots = the single seeds), in two panels: every step on the full scale, and
    the good steps zoomed in so that differences of a few tenths of a point are visible.

    ``table``: a DataFrame with columns ``step``, ``val_accuracy`` (list of per-seed values,
    0-1), one row per step, in order (the first row at the top).
    """
    import seaborn as sns

    colors = sns.color_palette("colorblind")
    seeds = [100 * np.asarray(v, dtype=float) for v in table["val_accuracy"]]
    mean = np.array([np.nanmean(v) for v in seeds])
    sd = np.array([np.nanstd(v, ddof=1) if np.isfinite(v).sum() > 1 else 0.0 for v in seeds])
    y = np.arange(len(table))
    good = mean >= np.nanmax(mean) - 6  # the zoomed panel: rows within 6 points of the best
    fig, axes = plt.subplots(1, 2, figsize=(11, 0.42 * len(table) + 1.6), sharey=True,
                             gridspec_kw={"width_ratios": [1, 1.4]})  # fmt: skip
    for ax, zoom in zip(axes, (False, True), strict=True):
        for i, values in enumerate(seeds):
            if zoom and not good[i]:
                continue
            ax.plot(values, np.full(len(values), i), "o", ms=3.5, color=colors[0], alpha=0.6)
        rows = good if zoom else np.ones(len(table), bool)
        ax.errorbar(mean[rows], y[rows], xerr=sd[rows], fmt="D", ms=6, color=colors[1],
                    capsize=3, label="mean ± sd over seeds")  # fmt: skip
        ax.grid(axis="x", alpha=0.3)
    axes[0].set_xlim(0, 100)
    axes[0].set_xlabel("validation accuracy (%), full scale")
    lo = np.nanmin([np.nanmin(v) for v, g in zip(seeds, good, strict=True) if g])
    hi = np.nanmax([np.nanmax(v) for v in seeds])
    pad = max(0.1, 0.08 * (hi - lo))
    axes[1].set_xlim(lo - pad, hi + pad)
    axes[1].set_xlabel("validation accuracy (%), zoomed on the good steps")
    handles, labels = axes[1].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=1, fontsize=9)
    for i in np.flatnonzero(~good):
        axes[1].annotate(f"{mean[i]:.1f}% (off scale)", (0.02, i), xycoords=("axes fraction", "data"),
                         va="center", fontsize=8, color="0.35")  # fmt: skip
    axes[0].set_yticks(y)
    axes[0].set_yticklabels(table["step"], fontsize=9)
    axes[0].invert_yaxis()
    fig.suptitle("Fixing one thing at a time: validation accuracy over seeds")
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    return fig


def side_by_side(table):
    """Accuracy and seconds per epoch of the NumPy and Keras nets (``table`` indexed by
    name, columns ``val_accuracy`` (or ``test_accuracy``) and ``seconds_per_epoch``)."""
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.2))
    names = list(table.index)
    colors = ["#55A868", "#8172B2"][: len(names)]
    accuracy = "val_accuracy" if "val_accuracy" in table else "test_accuracy"
    which = "validation" if accuracy == "val_accuracy" else "test"
    for ax, column, label, fmt in [
        (axes[0], accuracy, f"{which} accuracy (%)", "{:.2f}%"),
        (axes[1], "seconds_per_epoch", "seconds per epoch", "{:.2f} s"),
    ]:
        values = table[column].to_numpy() * (100 if column == accuracy else 1)
        bars = ax.bar(names, values, color=colors)
        ax.bar_label(bars, labels=[fmt.format(v) for v in values], fontsize=9, padding=2)
        ax.set_ylabel(label)
        ax.set_ylim(0, max(values) * 1.2)
    axes[0].set_ylim(0, 100)  # from 0: a bar's length is its value
    fig.suptitle("The same network, the same start, the same training: NumPy vs Keras")
    fig.tight_layout()
    return fig


def weight_templates(weights, title="The ten weight vectors of softmax regression"):
    """The columns of a (784, 10) weight matrix as ten 28x28 images (blue: ink there raises
    the digit's score, red: lowers it; one symmetric colour scale for all ten)."""
    w = np.asarray(weights)
    limit = np.abs(w).max()
    fig, axes = plt.subplots(1, w.shape[1], figsize=(1.25 * w.shape[1], 1.7))
    for digit, ax in enumerate(axes):
        im = ax.imshow(w[:, digit].reshape(28, 28), cmap="RdBu", vmin=-limit, vmax=limit)
        ax.set_title(str(digit), fontsize=10)
        ax.axis("off")
    fig.colorbar(im, ax=axes, fraction=0.02, pad=0.01)
    fig.suptitle(title, fontsize=11, fontweight="bold", y=1.04)
    return fig


def step_curves(curves, xlabel="step", ylabel="training loss (batch)", title=None, logy=True,
                ax=None, smooth=1):  # fmt: skip
    """One line per run: ``curves`` maps a label to ``(x, values)`` or to ``values``
    (plotted against 1, 2, ...). Non-finite values (a run that diverged) end the line with
    an x marker. ``smooth`` > 1 draws a running mean over that many points."""
    import seaborn as sns

    if ax is None:
        _, ax = plt.subplots(figsize=(7.5, 3.6))
    colors = sns.color_palette("colorblind")
    for i, (label, curve) in enumerate(curves.items()):
        xs, values = curve if isinstance(curve, tuple) else (None, curve)
        values = np.asarray(values, dtype=float)
        xs = np.arange(1, len(values) + 1) if xs is None else np.asarray(xs, dtype=float)
        if smooth > 1 and len(values) >= smooth:
            kernel = np.ones(smooth) / smooth
            values = np.convolve(values, kernel, mode="valid")
            xs = xs[smooth - 1 :]
        finite = np.isfinite(values)
        stop = len(values) if finite.all() else int(np.argmin(finite))
        ax.plot(xs[:stop], values[:stop], color=colors[i % 10], lw=1.4, label=label)
        if stop < len(values) and stop > 0:
            ax.plot(xs[stop - 1], values[stop - 1], "x", ms=9, mew=2, color=colors[i % 10])
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.legend(fontsize=8)
    return ax


def train_val_curves(histories, keys=("loss", "accuracy"), title=None, val_loss_panel=True):
    """Training (solid) and validation (dashed) curves per epoch, one colour per run:
    ``histories`` maps a label to an ``MLP.fit`` history with a validation set.

    With ``val_loss_panel`` (and "loss" among ``keys``) a last panel shows the validation
    loss alone on a linear scale, each run's lowest epoch circled: on the log scale next to
    a training loss near 0, a rise of the validation loss is hard to see. Epoch ticks are
    whole numbers.
    """
    import seaborn as sns
    from matplotlib.ticker import MaxNLocator

    colors = sns.color_palette("colorblind")
    extra = val_loss_panel and "loss" in keys
    n_panels = len(keys) + extra
    fig, axes = plt.subplots(1, n_panels, figsize=(5.2 * n_panels, 3.7), squeeze=False)
    for ax, key in zip(axes[0], keys, strict=False):
        for i, (label, h) in enumerate(histories.items()):
            epochs = np.arange(1, len(h[key]) + 1)
            ax.plot(epochs, h[key], color=colors[i], lw=1.6, label=f"{label}: training")
            ax.plot(epochs, h[f"val_{key}"], color=colors[i], lw=1.6, ls="--",
                    marker="o", ms=2.5, label=f"{label}: validation")  # fmt: skip
        ax.set_xlabel("epoch")
        ax.set_ylabel(key)
        if key == "loss":
            ax.set_yscale("log")
            ax.set_title("loss (log scale)", fontsize=10)
        ax.grid(alpha=0.3)
    if extra:
        ax = axes[0, -1]
        for i, h in enumerate(histories.values()):
            values = np.asarray(h["val_loss"], dtype=float)
            epochs = np.arange(1, len(values) + 1)
            ax.plot(epochs, values, color=colors[i], lw=1.6, ls="--", marker="o", ms=2.5)
            low = int(np.argmin(values))
            ax.plot(epochs[low], values[low], "o", ms=11, mfc="none", mew=1.8, color=colors[i])
        ax.set_xlabel("epoch")
        ax.set_ylabel("validation loss")
        ax.set_title("validation loss alone (linear); circle: lowest", fontsize=10)
        ax.grid(alpha=0.3)
    for ax in axes[0]:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    # one legend below the panels (a column per run: training over validation), off the curves
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(histories), fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout(rect=(0, 0.12 if n_panels == 1 else 0.1, 1, 1))
    return fig


# --------------------------------------------------------------------------- notebook 06


def learning_curves(history, best_epoch=None, title="Learning curves of the flagship"):
    """Loss and accuracy per epoch, training vs validation, from ``History.history``.

    ``best_epoch`` (1-based) marks the epoch whose weights were kept. Loss on a log scale.
    """
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    for ax, key in zip(axes, ("loss", "accuracy"), strict=True):
        for prefix, label, color in (
            ("", "training", "#4C72B0"),
            ("val_", "validation", "#DD8452"),
        ):
            values = np.asarray(history[prefix + key], dtype=float)
            ax.plot(np.arange(1, len(values) + 1), values, marker="o", ms=3, color=color,
                    label=label)  # fmt: skip
        if best_epoch is not None:
            ax.axvline(best_epoch, color="grey", ls="--", lw=1,
                       label=f"weights kept: epoch {best_epoch}")  # fmt: skip
        ax.xaxis.set_major_locator(mpl.ticker.MaxNLocator(integer=True))
        ax.set_xlabel("epoch")
        ax.set_ylabel(key)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    axes[0].set_yscale("log")
    axes[0].set_title("Loss (cross-entropy, log scale)")
    axes[1].set_title("Accuracy")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def regularisation_curves(histories, title="Regularisation compared on validation"):
    """Cross-entropy (fit dashed, validation solid) and validation accuracy per epoch, one
    colour and marker per model, from ``{name: History.history}``.

    Each history needs ``ce`` and ``val_ce`` (the cross-entropy as a metric, without any
    L2 penalty) and ``val_accuracy``.
    """
    import seaborn as sns

    palette = sns.color_palette("colorblind", n_colors=max(len(histories), 3))
    markers = "osD^v<>"
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    for i, (name, h) in enumerate(histories.items()):
        epochs = np.arange(1, len(h["val_ce"]) + 1)
        style = dict(color=palette[i], marker=markers[i % len(markers)], ms=3.5)
        axes[0].plot(epochs, h["val_ce"], label=f"{name}: validation", **style)
        axes[0].plot(epochs, h["ce"], ls="--", lw=1, alpha=0.7, color=palette[i],
                     label=f"{name}: fit")  # fmt: skip
        axes[1].plot(epochs, np.asarray(h["val_accuracy"]) * 100, label=name, **style)
    axes[0].set_yscale("log")
    axes[0].set_ylabel("cross-entropy (no penalty term)")
    axes[0].set_title("Cross-entropy: fit (dashed) and validation (solid)")
    axes[1].set_ylabel("validation accuracy (%)")
    axes[1].set_title("Validation accuracy")
    for ax in axes:
        ax.xaxis.set_major_locator(mpl.ticker.MaxNLocator(integer=True))
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=7, ncol=2)
    axes[1].legend(fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def learning_rate_curve(steps, rates, steps_per_epoch=None, title="Learning rate of each step"):
    """The learning rate a schedule gives at each training step (epochs on a second axis)."""
    fig, ax = plt.subplots(figsize=(8, 3.2))
    ax.plot(steps, rates, color="#4C72B0")
    ax.set_xlabel("training step (one batch)")
    ax.set_ylabel("learning rate")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    if steps_per_epoch:
        top = ax.secondary_xaxis(
            "top", functions=(lambda s: s / steps_per_epoch, lambda e: e * steps_per_epoch)
        )
        top.set_xlabel("epoch")
    fig.tight_layout()
    return fig


def _image_axis(ax, image, title, color="black"):
    """A grey image as stored (0 black .. 1 white), no ticks or frame."""
    ax.imshow(image, cmap="gray", vmin=0, vmax=1)
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_title(title, fontsize=8.5, color=color, fontweight="normal")


#: Bar colours of the probability charts of notebook 06 (seaborn "colorblind" blue and
#: orange, plus a hatch on a wrong prediction, so colour is never the only cue).
BAR_TRUE, BAR_WRONG, BAR_UNKNOWN, BAR_OTHER = "#0173B2", "#DE8F05", "#CC78BC", "#BBBBBB"


def _probability_bars(ax, probabilities, label=None):
    """Ten bars: the true digit blue, a wrong prediction orange and hatched, a prediction
    for an image without a label purple, the other digits grey. Returns the kinds drawn."""
    probabilities = np.asarray(probabilities, dtype=float)
    guess = int(np.argmax(probabilities))
    colors = [BAR_OTHER] * len(probabilities)
    hatches = [""] * len(probabilities)
    kinds = set()
    if label is None:
        colors[guess] = BAR_UNKNOWN
        kinds.add("unknown")
    else:
        colors[int(label)] = BAR_TRUE
        kinds.add("true")
        if int(label) != guess:
            colors[guess], hatches[guess] = BAR_WRONG, "///"
            kinds.add("wrong")
    bars = ax.bar(np.arange(len(probabilities)), probabilities, color=colors, edgecolor="white")
    for bar, hatch in zip(bars, hatches, strict=True):
        if hatch:
            bar.set_hatch(hatch)
            bar.set_edgecolor("black")
    ax.set_xticks(np.arange(len(probabilities)))
    ax.set_ylim(0, 1.2)
    ax.set_ylabel("probability", fontsize=8)
    ax.tick_params(labelsize=8)
    ax.text(guess, probabilities[guess] + 0.03, f"{probabilities[guess]:.0%}", ha="center",
            fontsize=8)  # fmt: skip
    return kinds


def _bar_legend(fig, kinds):
    """One legend for the whole figure, naming only the kinds of bar that were drawn."""
    from matplotlib.patches import Patch

    entries = {
        "true": Patch(facecolor=BAR_TRUE, label="true digit"),
        "wrong": Patch(facecolor=BAR_WRONG, hatch="///", edgecolor="black",
                       label="predicted digit, wrong"),
        "unknown": Patch(facecolor=BAR_UNKNOWN, label="predicted digit (label unknown)"),
    }  # fmt: skip
    handles = [entries[k] for k in ("true", "wrong", "unknown") if k in kinds]
    handles.append(Patch(facecolor=BAR_OTHER, label="other digits"))
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), fontsize=8,
               bbox_to_anchor=(0.5, 0.0))  # fmt: skip


def prediction_bars(images, probabilities, labels=None, title="What the model sees and says"):
    """Each image beside a bar chart of its ten probabilities: the true digit in blue, a
    wrong prediction orange and hatched (colour-blind safe; a legend says which is which)."""
    n = len(images)
    fig, axes = plt.subplots(n, 2, figsize=(6.2, 1.55 * n + 0.4), squeeze=False,
                             gridspec_kw={"width_ratios": [1, 3]})  # fmt: skip
    kinds = set()
    for i in range(n):
        label = None if labels is None else labels[i]
        guess = int(np.argmax(probabilities[i]))
        text = f"predicted {guess}" if label is None else f"true {int(label)}, predicted {guess}"
        wrong = label is not None and int(label) != guess
        _digit_axis(axes[i, 0], images[i], text + (" (wrong)" if wrong else ""),
                    color="#D55E00" if wrong else "black")  # fmt: skip
        kinds |= _probability_bars(axes[i, 1], probabilities[i], label)
    fig.suptitle(title)
    fig.tight_layout(rect=(0, 0.35 / (1.55 * n + 0.4), 1, 1))
    _bar_legend(fig, kinds)
    return fig


def preparation_steps(steps, title="From a photo to an MNIST-like 28x28"):
    """Every stage of :func:`helpers.images.preparation_steps` side by side.

    Stages are drawn as they are stored: the input dark on light, the later ones light ink
    on black, the way MNIST stores its digits (and the model sees them).
    """
    fig, axes = plt.subplots(1, len(steps), figsize=(2.1 * len(steps), 2.5))
    for ax, (name, image) in zip(axes, steps.items(), strict=True):
        _image_axis(ax, image, f"{name}\n{image.shape[0]}x{image.shape[1]}")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def own_digit_predictions(originals, prepared, probabilities, names, truths=None,
                          title="Your own digits: the file, what the model sees, what it says"):  # fmt: skip
    """One row per image: the file as it is, the prepared 28x28 and the probabilities.

    ``truths``: the digit of each image, or None (for all or for one image) when unknown.
    """
    n = len(prepared)
    fig, axes = plt.subplots(n, 3, figsize=(7.5, 1.6 * n + 0.4), squeeze=False,
                             gridspec_kw={"width_ratios": [1, 1, 3]})  # fmt: skip
    kinds = set()
    for i in range(n):
        _image_axis(axes[i, 0], originals[i], names[i])
        truth = None if truths is None else truths[i]
        guess = int(np.argmax(probabilities[i]))
        wrong = truth is not None and int(truth) != guess
        _image_axis(axes[i, 1], prepared[i], f"predicted {guess}" + (" (wrong)" if wrong else ""),
                    "#D55E00" if wrong else "black")  # fmt: skip
        kinds |= _probability_bars(axes[i, 2], probabilities[i], truth)
    fig.suptitle(title)
    fig.tight_layout(rect=(0, 0.35 / (1.6 * n + 0.4), 1, 1))
    _bar_legend(fig, kinds)
    return fig


# --------------------------------------------------------------------------- notebook 07

#: Seaborn's "colorblind" palette (Okabe-Ito-like): blue, orange, green, vermillion, ...
CB_COLORS = ["#0173B2", "#DE8F05", "#029E73", "#D55E00", "#CC78BC",
             "#CA9161", "#FBAFE4", "#949494", "#ECE133", "#56B4E9"]  # fmt: skip
#: Ten digits need more than colour: each curve also gets its own line style.
CB_STYLES = ["-", "--", "-.", ":", (0, (5, 1)), "-", "--", "-.", ":", (0, (5, 1))]


def share_label(value: float) -> str:
    """A row share as a percentage that never lies about 0 or 100.

    Exactly 0 is blank and exactly 1 is "100"; a share above 99.9% that is not 1 is ">99.9",
    and one below 0.1% that is not 0 is "<0.1" (so no rounding to "100.0" or "0.0").
    """
    if value == 0:
        return ""
    if value == 1:
        return "100"
    if value > 0.999:
        return ">99.9"
    if value < 0.001:
        return "<0.1"
    return f"{100 * value:.1f}"


def confusion_heatmap(table, title="Confusion matrix", normalized=None, ax=None):
    """A seaborn heatmap of a confusion matrix (rows True, columns Predicted), annotated,
    with a colour bar.

    ``table``: a square DataFrame or array (``helpers.metrics.confusion``). Counts are
    written as integers, row-normalised shares (``normalized=True``, guessed from the
    values when None) as percentages by :func:`share_label`. The colour scale is a power
    law (exponent 0.35) so that small off-diagonal cells stay visible. Returns the figure.
    """
    import seaborn as sns

    values = np.asarray(table, dtype=float)
    if values.ndim != 2 or values.shape[0] != values.shape[1]:
        raise ValueError(f"a confusion matrix is square, got shape {values.shape}.")
    if normalized is None:
        normalized = bool(
            values.max() <= 1.0 and np.allclose(values.sum(axis=1)[values.sum(axis=1) > 0], 1)
        )
    labels = list(getattr(table, "columns", range(values.shape[1])))
    if ax is None:
        fig, ax = plt.subplots(figsize=(6.8, 5.4))
    else:
        fig = ax.figure
    if normalized:
        annot = np.vectorize(share_label)(values)
        cbar_kws = {"label": "share of the true row", "format": mpl.ticker.PercentFormatter(1.0)}
    else:
        annot = np.vectorize(lambda v: f"{v:.0f}")(values)
        cbar_kws = {"label": "images"}
    sns.heatmap(
        values,
        annot=annot,
        fmt="",
        cmap="Blues",
        norm=mpl.colors.PowerNorm(0.35, vmin=0, vmax=values.max() or 1),
        cbar=True,
        cbar_kws={**cbar_kws, "shrink": 0.8},
        square=True,
        linewidths=0.4,
        linecolor="white",
        annot_kws={"fontsize": 7},
        xticklabels=labels,
        yticklabels=labels,
        ax=ax,
    )
    ax.set_xlabel("Predicted")
    ax.set_ylabel("True")
    ax.tick_params(axis="y", rotation=0)
    ax.set_title(title + (" (% of each true row)" if normalized else ""))
    return fig


def confusion_pair(tables, normalized=False):
    """Several confusion matrices side by side: ``tables`` maps a title to a matrix."""
    fig, axes = plt.subplots(1, len(tables), figsize=(6.0 * len(tables), 5.0), squeeze=False)
    for ax, (title, table) in zip(axes[0], tables.items(), strict=True):
        confusion_heatmap(table, title=title, normalized=normalized, ax=ax)
    fig.tight_layout()
    return fig


def prediction_gallery(images, y_true, y_pred, confidence, indices, cols=8, title=None):
    """Images at ``indices``, each titled "true t, pred p" and the confidence; wrong ones
    also in vermillion (the words say it too, so colour is not the only cue)."""
    indices = list(indices)
    if not indices:
        raise ValueError("no images to show: indices is empty.")
    rows = int(np.ceil(len(indices) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 1.25, rows * 1.55), squeeze=False)
    for ax in axes.flat[len(indices) :]:
        ax.axis("off")
    for ax, i in zip(axes.flat, indices, strict=False):
        t, p = int(y_true[i]), int(y_pred[i])
        color = "black" if t == p else CB_COLORS[3]
        conf = f"{confidence[i]:.1%}" if confidence[i] == 1 or confidence[i] < 0.9995 else ">99.9%"
        _digit_axis(ax, np.asarray(images[i]), f"true {t}, pred {p}\n{conf}", color)
    if title:
        fig.suptitle(title, fontweight="bold")
    fig.tight_layout()
    return fig


def auc_label(value: float) -> str:
    """An AUC with enough decimals that a value below 1 never prints as 1 (0.99995, not 1.0000)."""
    decimals = 4
    while value < 1 and round(value, decimals) >= 1 and decimals < 8:
        decimals += 1
    return f"{value:.{decimals}f}"


def roc_panels(curves, aucs, classes=range(10), min_tpr=0.9):
    """One-vs-rest ROC curves on a linear scale (left) and with a logarithmic false-positive
    rate (right), where the top-left corner, in which all the curves live, is spread out.

    ``curves``: ``helpers.metrics.roc_curves``; ``aucs``: ``helpers.metrics.auc_table``.
    ``min_tpr``: the lowest true-positive rate shown on the right. Points with a
    false-positive rate of exactly 0 cannot be drawn on a log axis; the axis starts at the
    smallest non-zero rate.
    """
    fig, axes = plt.subplots(1, 2, figsize=(12.5, 5.4))
    smallest = min(float(np.min(curves[c][0][curves[c][0] > 0], initial=1.0)) for c in classes)
    for ax in axes:
        for c in classes:
            fpr, tpr, _ = curves[c]
            ax.plot(fpr, tpr, color=CB_COLORS[c % 10], ls=CB_STYLES[c % 10], lw=1.3,
                    label=f"{c}: AUC {auc_label(aucs[c])}")  # fmt: skip
        for key, style in [("micro", ":"), ("macro", "--")]:
            fpr, tpr, _ = curves[key]
            ax.plot(fpr, tpr, color="black", ls=style, lw=2,
                    label=f"{key}-average: AUC {auc_label(aucs[key])}")  # fmt: skip
        ax.set_xlabel("false-positive rate (other digits called this digit)")
        ax.set_ylabel("true-positive rate (recall)")
        ax.grid(alpha=0.3)
    axes[0].plot([0, 1], [0, 1], color="grey", lw=0.8, ls="-.", label="chance (AUC 0.5)")
    axes[0].set_xlim(0, 1)
    axes[0].set_ylim(0, 1.01)
    axes[0].set_title("ROC, one digit against the rest")
    axes[1].set_xscale("log")
    axes[1].set_xlim(smallest / 1.5, 1)
    axes[1].set_ylim(min_tpr, 1.002)
    axes[1].set_title("The same curves, false-positive rate on a log scale")
    axes[1].legend(loc="lower right", fontsize=8, ncols=2)
    fig.tight_layout()
    return fig


def pr_curves(curves, aps, classes=range(10), zoom=0.9, points=None):
    """One-vs-rest precision-recall curves, whole (left) and the top-right corner (right).

    ``curves``: ``helpers.metrics.precision_recall_curves``; ``aps``:
    ``helpers.metrics.average_precision_table``. ``points`` optionally maps a label to a
    ``(recall, precision)`` pair to mark (e.g. a chosen threshold on validation and on test).
    """
    fig, axes = plt.subplots(1, 2, figsize=(12.5, 5.4))
    markers = ["o", "s", "D", "^"]
    for ax in axes:
        for c in classes:
            precision, recall, _ = curves[c]
            ax.plot(recall, precision, color=CB_COLORS[c % 10], ls=CB_STYLES[c % 10], lw=1.3,
                    drawstyle="steps-post", label=f"{c}: AP {auc_label(aps[c])}")  # fmt: skip
        for i, (label, (r, p)) in enumerate((points or {}).items()):
            ax.plot(r, p, markers[i % 4], color="black", mfc="white", ms=8, mew=1.6, label=label)
        ax.set_xlabel("recall (share of the digit found)")
        ax.set_ylabel("precision (share of the calls that are right)")
        ax.grid(alpha=0.3)
    axes[0].set_xlim(0, 1.01)
    axes[0].set_ylim(0, 1.01)
    axes[0].set_title("Precision-recall, one digit against the rest")
    axes[1].set_xlim(zoom, 1.002)
    axes[1].set_ylim(zoom, 1.002)
    axes[1].set_title("Zoom on the top-right corner")
    axes[1].legend(loc="lower left", fontsize=8, ncols=2)
    fig.tight_layout()
    return fig


def outcome_gallery(images, groups, digit, per_group=6):
    """One row per outcome (TP, FP, FN, TN) of ``digit``: ``groups`` maps the outcome name
    to ``(indices, y_true, y_pred)``; each row title gives the outcome and its count."""
    fig, axes = plt.subplots(len(groups), per_group, figsize=(per_group * 1.3, len(groups) * 1.6),
                             squeeze=False)  # fmt: skip
    for r, (name, (indices, y_true, y_pred)) in enumerate(groups.items()):
        chosen = list(indices[:per_group])
        for c in range(per_group):
            ax = axes[r, c]
            if c >= len(chosen):
                ax.axis("off")
                continue
            i = chosen[c]
            _digit_axis(ax, np.asarray(images[i]), f"true {y_true[i]}, pred {y_pred[i]}")
        axes[r, 0].set_ylabel(f"{name}\n({len(indices):,})", rotation=0, labelpad=28, fontsize=10)
        axes[r, 0].yaxis.set_visible(True)
    fig.suptitle(f"Digit {digit} against the rest: TP, FP, FN, TN", fontweight="bold")
    fig.tight_layout()
    return fig


def confidence_histogram(confidence, correct, bins=20):
    """Histogram of the top probability, correct predictions vs wrong ones (log counts)."""
    confidence = np.asarray(confidence)
    correct = np.asarray(correct, dtype=bool)
    edges = np.linspace(0, 1, bins + 1)
    fig, ax = plt.subplots(figsize=(8, 3.8))
    ax.hist(confidence[correct], bins=edges, color=CB_COLORS[0], alpha=0.7,
            label=f"correct ({correct.sum():,})")  # fmt: skip
    ax.hist(confidence[~correct], bins=edges, color=CB_COLORS[1], alpha=0.8, hatch="//",
            edgecolor="white", label=f"wrong ({(~correct).sum():,})")  # fmt: skip
    ax.set_yscale("log")
    ax.set_xlabel("confidence = top softmax probability")
    ax.set_ylabel("images (log scale)")
    ax.set_title("How sure the model is, when right and when wrong")
    ax.legend(loc="upper left")
    fig.tight_layout()
    return fig


def reliability_diagram(table, ece, min_count=30, title=None, axes=None):
    """Accuracy against confidence per bin (``helpers.metrics.calibration_table``), with the
    diagonal of perfect calibration, each bar labelled with its number of images, and how
    many images fall in each bin (bottom, log scale).

    Bins with fewer than ``min_count`` images are drawn hatched and pale: their accuracy is
    too noisy to read. ``axes``: two axes (top, bottom) to draw into; a new figure if None.
    """
    filled = table[table["count"] > 0]
    width = float((table["upper"] - table["lower"]).iloc[0])
    if axes is None:
        fig, axes = plt.subplots(2, 1, figsize=(6, 6.4), sharex=True, height_ratios=[3, 1.2])
    fig = axes[0].figure
    ax = axes[0]
    sparse = filled["count"] < min_count
    ax.bar(filled["lower"][~sparse], filled["accuracy"][~sparse], width=width, align="edge",
           color=CB_COLORS[0], edgecolor="white", label="accuracy in the bin")  # fmt: skip
    if sparse.any():
        ax.bar(filled["lower"][sparse], filled["accuracy"][sparse], width=width, align="edge",
               color=CB_COLORS[0], alpha=0.25, hatch="//", edgecolor="white",
               label=f"fewer than {min_count} images: too noisy to read")  # fmt: skip
    ax.plot(filled["confidence"], filled["confidence"], "o", color=CB_COLORS[1], ms=5,
            label="mean confidence in the bin")  # fmt: skip
    ax.plot([0, 1], [0, 1], color="black", ls="--", lw=1, label="perfect calibration")
    ax.set_ylabel("accuracy")
    ax.set_ylim(0, 1.02)
    ax.set_title(title or f"Reliability diagram: ECE = {ece:.4f}")
    ax.legend(loc="upper left", fontsize=7)
    axes[1].bar(table["lower"], table["count"].clip(lower=0), width=width, align="edge",
                color=CB_COLORS[4], edgecolor="white")  # fmt: skip
    for row in filled.itertuples():  # every filled bin labelled with its number of images
        axes[1].text(row.lower + width / 2, row.count * 1.3, f"{row.count:,}", ha="center",
                     va="bottom", fontsize=7)  # fmt: skip
    axes[1].set_yscale("log")
    axes[1].set_ylim(0.5, max(float(table["count"].max()), 1.0) * 12)
    axes[1].yaxis.set_major_formatter(mpl.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))
    axes[1].yaxis.set_minor_formatter(mpl.ticker.NullFormatter())
    axes[1].set_ylabel("images (log)")
    axes[1].set_xlabel("confidence (top probability)")
    axes[1].set_xlim(0, 1)
    fig.tight_layout()
    return fig


def reliability_pair(panels, min_count=30):
    """Reliability diagrams side by side: ``panels`` maps a title to ``(table, ece)``."""
    fig, axes = plt.subplots(2, len(panels), figsize=(5.6 * len(panels), 6.4), sharex=True,
                             height_ratios=[3, 1.2], squeeze=False)  # fmt: skip
    for col, (title, (table, ece)) in enumerate(panels.items()):
        reliability_diagram(table, ece, min_count=min_count, axes=axes[:, col],
                            title=f"{title}: ECE = {ece:.4f}")  # fmt: skip
    return fig


# --------------------------------------------------------------------------- notebook 08


#: :func:`accuracy_vs_cost` draws models side by side when their sizes differ by less than
#: this factor (2%: the flagship and its ablations differ by 0.6%, the next models by 13%).
SAME_SIZE = 1.02


def accuracy_vs_cost(summary, runs):
    """Validation accuracy (what the choice is made on) against parameters and against
    seconds per epoch: one marker per model at the mean over seeds, with its 95%
    t-interval as a bar, and small dots for the single seeds.

    Each model has its own colour AND marker, named in the legend. The flagship and its
    three ablations have (almost) the same size, so on the size axis they are drawn side
    by side around their common size (the flagship in the middle, filled and on top; the
    ablations hollow), instead of on top of each other.
    """
    import seaborn as sns

    names = list(summary.index)
    # the palette's ten colours, then a dark grey (each model also has its own marker)
    colors = [*sns.color_palette("colorblind", 10), (0.2, 0.2, 0.2)]
    markers = ["o", "s", "^", "v", "D", "P", "*", "X", "<", ">", "h", "p"]
    # side-by-side offsets (a factor on the log axis) for models of (almost) the same size:
    # sizes within SAME_SIZE of the smallest of their group, a tolerance, not a rounding grid
    # (rounding log10 put the flagship, 571,018, and its ablation without BatchNorm, 567,434,
    # on either side of a grid line, so they were drawn on top of each other)
    dodge, groups = {}, []
    for n in sorted(names, key=lambda n: summary.loc[n, "params"]):
        if groups and summary.loc[n, "params"] <= SAME_SIZE * summary.loc[groups[-1][0], "params"]:
            groups[-1].append(n)
        else:
            groups.append([n])
    for same in groups:
        if len(same) > 1:
            same.sort(key=names.index)
            same.sort(key=lambda n: summary.loc[n, "group"] != "architecture")  # flagship first
            order = [same[0]]  # the architecture in the middle, ablations to both sides
            for i, n in enumerate(same[1:]):
                order.insert(0 if i % 2 else len(order), n)
            mid = (len(order) - 1) / 2
            dodge.update({n: 1.07 ** (i - mid) for i, n in enumerate(order)})
    fig, axes = plt.subplots(1, 2, figsize=(13, 5.8), sharey=True)
    for ax, column, xlabel in [
        (axes[0], "params", "parameters (log scale; models of equal size side by side)"),
        (axes[1], "seconds_per_epoch", "seconds per epoch on this machine (log scale)"),
    ]:
        for i, name in enumerate(names):
            row = summary.loc[name]
            color, marker = colors[i % len(colors)], markers[i % len(markers)]
            factor = dodge.get(name, 1.0) if column == "params" else 1.0
            ablation = row["group"] == "ablation"
            seeds = runs[runs["name"] == name]
            ax.scatter(factor * seeds[column], 100 * seeds["val_accuracy"], s=10, color=color,
                       alpha=0.6, zorder=2)  # fmt: skip
            low, high = row["val_low"], row["val_high"]
            yerr = None if np.isnan(low) else [[100 * (row["val_accuracy"] - low)], [100 * (high - row["val_accuracy"])]]  # fmt: skip
            ax.errorbar(
                factor * row[column],
                100 * row["val_accuracy"],
                yerr=yerr,
                fmt=marker,
                ms=9 if not ablation else 8,
                mfc="white" if ablation else color,
                mew=1.6,
                capsize=3,
                color=color,
                label=row["label"],
                zorder=3 if ablation else 4,
            )
        ax.set_xscale("log")
        ax.xaxis.set_major_locator(mpl.ticker.LogLocator(subs=(1, 2, 5)))
        ax.xaxis.set_major_formatter(mpl.ticker.FuncFormatter(lambda v, _: f"{v:,.6g}"))
        ax.xaxis.set_minor_formatter(mpl.ticker.NullFormatter())
        ax.set_xlabel(xlabel)
        ax.grid(alpha=0.3, which="both")
    axes[0].set_ylabel("validation accuracy (%), mean and 95% interval")
    axes[0].set_title("Accuracy against size")
    axes[1].set_title("Accuracy against speed")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=4, fontsize=8.5, frameon=False)
    fig.tight_layout(rect=(0, 0.15, 1, 1))
    return fig


def ablation_errors(summary, runs, names, n_test):
    """Test errors of the flagship and its ablations: bars = mean over seeds, black line =
    95% t-interval of the mean, dots = single seeds."""
    import seaborn as sns

    sub = summary.loc[list(names)]
    y = np.arange(len(sub))
    fig, ax = plt.subplots(figsize=(9, 0.6 * len(sub) + 1.4))
    ax.barh(y, sub["test_errors"], color=sns.color_palette("colorblind")[0], alpha=0.8)
    for i, name in enumerate(sub.index):
        errors = runs.loc[runs["name"] == name, "test_errors"]
        ax.scatter(errors, np.full(len(errors), i), color="black", s=14, zorder=3)
        low, high = sub.loc[name, "test_low"], sub.loc[name, "test_high"]
        if not np.isnan(low):  # accuracy interval -> error-count interval
            ax.plot([(1 - high) * n_test, (1 - low) * n_test], [i - 0.25, i - 0.25], color="black",
                    lw=1.5)  # fmt: skip
        ax.text(sub.loc[name, "test_errors"], i + 0.32, f" {sub.loc[name, 'test_errors']:.0f}",
                fontsize=8)  # fmt: skip
    ax.set_yticks(y, sub["label"])
    ax.invert_yaxis()
    ax.set_xlabel(
        f"test errors out of {n_test:,} (fewer is better; dots = single seeds, line = 95% interval)"
    )
    ax.set_title("Flagship ablation: what BatchNorm and Dropout are worth")
    fig.tight_layout()
    return fig
