"""Tidy tables of a classifier's results (notebook 07): scikit-learn computes, we arrange.

Every function takes integer labels ``y_true`` (0..K-1) and either predicted labels
``y_pred`` or the model's probabilities ``proba`` (one row per image, one column per
class, rows summing to 1, as a softmax layer gives). They return pandas DataFrames or
Series with readable names, so a notebook can show them as they are.

    confusion(y_true, y_pred)                 counts (or row shares) as a labelled table
    classification_table(y_true, y_pred)      precision, recall, F1, support + averages
    most_confused_pairs(y_true, y_pred)       the (true, predicted) pairs with most errors
    one_digit_counts(y_true, y_pred, digit)   TP, FP, FN, TN for one digit against the rest
    misclassified(y_true, proba)              every error: true, predicted, confidence
    roc_curves(y_true, proba)                 one-vs-rest ROC curves + micro and macro average
    auc_table(y_true, proba)                  AUC per class + micro and macro average
    calibration_table(y_true, proba)          reliability-diagram bins
    expected_calibration_error(y_true, proba) the ECE, one number
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn import metrics as skm

NUM_CLASSES = 10


# --------------------------------------------------------------------------- input checks


def _labels(y, name: str, num_classes: int) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(
            f"{name} should be a 1-D array of integer labels, got shape {y.shape}. "
            "For one-hot rows or probabilities, take .argmax(axis=1) first."
        )
    if y.size and not np.issubdtype(y.dtype, np.integer):
        if not np.all(np.equal(np.mod(y, 1), 0)):
            raise ValueError(f"{name} should hold integer class labels, got dtype {y.dtype}.")
        y = y.astype(int)
    if y.size and (y.min() < 0 or y.max() >= num_classes):
        raise ValueError(
            f"{name} holds labels from {y.min()} to {y.max()}; expected 0..{num_classes - 1}."
        )
    return y.astype(int)


def _pair(y_true, y_pred, num_classes: int) -> tuple[np.ndarray, np.ndarray]:
    y_true = _labels(y_true, "y_true", num_classes)
    y_pred = _labels(y_pred, "y_pred", num_classes)
    if len(y_true) != len(y_pred):
        raise ValueError(
            f"y_true has {len(y_true)} labels but y_pred has {len(y_pred)}: "
            "they must describe the same images."
        )
    if len(y_true) == 0:
        raise ValueError("no labels given: y_true and y_pred are empty.")
    return y_true, y_pred


def _proba(y_true, proba) -> tuple[np.ndarray, np.ndarray]:
    proba = np.asarray(proba, dtype=np.float64)
    if proba.ndim != 2:
        raise ValueError(
            f"proba should be a 2-D array (images x classes), got shape {proba.shape}: "
            "pass model.predict(x), not the predicted labels."
        )
    y_true = _labels(y_true, "y_true", proba.shape[1])
    if len(y_true) != len(proba):
        raise ValueError(f"y_true has {len(y_true)} labels but proba has {len(proba)} rows.")
    if proba.min() < 0 or proba.max() > 1 or not np.allclose(proba.sum(axis=1), 1, atol=1e-3):
        raise ValueError(
            "proba rows should be probabilities in [0, 1] that sum to 1 (a softmax output); "
            "if you have logits, apply softmax first."
        )
    return y_true, proba


# --------------------------------------------------------------------------- confusion matrix


def confusion(y_true, y_pred, normalize: bool = False, num_classes: int = NUM_CLASSES):
    """The confusion matrix as a DataFrame: rows = true class, columns = predicted class.

    ``normalize=True`` divides every row by its total (sklearn's ``normalize="true"``): the
    diagonal is then each class's recall.
    """
    y_true, y_pred = _pair(y_true, y_pred, num_classes)
    labels = list(range(num_classes))
    cm = skm.confusion_matrix(
        y_true, y_pred, labels=labels, normalize="true" if normalize else None
    )
    if normalize:  # a class with no images gives a row of 0 in sklearn; keep it
        cm = np.nan_to_num(cm)
    table = pd.DataFrame(cm, index=labels, columns=labels)
    table.index.name = "True"
    table.columns.name = "Predicted"
    return table


def most_confused_pairs(y_true, y_pred, top: int = 10, num_classes: int = NUM_CLASSES):
    """The ``top`` off-diagonal cells of the confusion matrix, largest first.

    Columns: ``true``, ``predicted``, ``count`` and ``share_of_true`` (count divided by the
    number of images of the true class). Ties are broken by true, then predicted digit.
    """
    counts = confusion(y_true, y_pred, num_classes=num_classes).to_numpy()
    row_totals = counts.sum(axis=1)
    rows = [
        dict(
            true=t,
            predicted=p,
            count=int(counts[t, p]),
            share_of_true=counts[t, p] / row_totals[t] if row_totals[t] else 0.0,
        )
        for t in range(num_classes)
        for p in range(num_classes)
        if t != p and counts[t, p] > 0
    ]
    table = pd.DataFrame(rows, columns=["true", "predicted", "count", "share_of_true"])
    table = table.sort_values(["count", "true", "predicted"], ascending=[False, True, True])
    return table.head(top).reset_index(drop=True)


def one_digit_counts(y_true, y_pred, digit: int, num_classes: int = NUM_CLASSES):
    """TP, FP, FN, TN of ``digit`` against all other classes, as a Series.

    TP: a ``digit`` predicted as ``digit``; FP: another class predicted as ``digit``;
    FN: a ``digit`` predicted as something else; TN: neither true nor predicted ``digit``.
    Computed by scikit-learn's ``multilabel_confusion_matrix``.
    """
    y_true, y_pred = _pair(y_true, y_pred, num_classes)
    if not 0 <= int(digit) < num_classes:
        raise ValueError(f"digit must be 0..{num_classes - 1}, got {digit}.")
    (tn, fp), (fn, tp) = skm.multilabel_confusion_matrix(y_true, y_pred, labels=[int(digit)])[0]
    return pd.Series({"TP": tp, "FP": fp, "FN": fn, "TN": tn}, name=f"digit {digit}").astype(int)


def outcome_masks(y_true, y_pred, digit: int) -> dict[str, np.ndarray]:
    """Boolean masks selecting the TP, FP, FN and TN images of ``digit``."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    is_true, is_pred = y_true == digit, y_pred == digit
    return {
        "TP": is_true & is_pred,
        "FP": ~is_true & is_pred,
        "FN": is_true & ~is_pred,
        "TN": ~is_true & ~is_pred,
    }


# --------------------------------------------------------------------------- report


def classification_table(y_true, y_pred, num_classes: int = NUM_CLASSES):
    """scikit-learn's classification report as a DataFrame.

    One row per class (index 0..K-1), then ``macro avg`` and ``weighted avg``; columns
    ``precision``, ``recall``, ``f1-score`` (fractions) and ``support`` (integer count).
    The accuracy is left out (it is one number, not a row).
    """
    y_true, y_pred = _pair(y_true, y_pred, num_classes)
    labels = list(range(num_classes))
    report = skm.classification_report(
        y_true, y_pred, labels=labels, output_dict=True, zero_division=0
    )
    rows = {k: report[str(k)] for k in labels}
    rows["macro avg"] = report["macro avg"]
    rows["weighted avg"] = report["weighted avg"]
    table = pd.DataFrame(rows).T[["precision", "recall", "f1-score", "support"]]
    table["support"] = table["support"].astype(int)
    table.index.name = "class"
    return table


def misclassified(y_true, proba):
    """Every wrong prediction, most confident first.

    Index: the image's position; columns ``true``, ``predicted``, ``confidence`` (the
    probability of the predicted class) and ``p_true`` (the probability of the true class).
    """
    y_true, proba = _proba(y_true, proba)
    y_pred = proba.argmax(axis=1)
    (idx,) = np.nonzero(y_pred != y_true)
    table = pd.DataFrame(
        {
            "true": y_true[idx],
            "predicted": y_pred[idx],
            "confidence": proba[idx, y_pred[idx]],
            "p_true": proba[idx, y_true[idx]],
        },
        index=pd.Index(idx, name="image"),
    )
    return table.sort_values("confidence", ascending=False, kind="stable")


# --------------------------------------------------------------------------- ROC and AUC


def roc_curves(y_true, proba) -> dict:
    """One-vs-rest ROC curves: ``{class: (fpr, tpr, thresholds), "micro": ..., "macro": ...}``.

    Class k's curve treats "image is a k" as positive and ranks images by the probability
    of k. "micro" pools every (image, class) pair into one binary problem; "macro" is the
    mean of the class curves' true-positive rates on a common false-positive-rate grid
    (it has no thresholds: ``None``).
    """
    y_true, proba = _proba(y_true, proba)
    k = proba.shape[1]
    onehot = np.eye(k, dtype=int)[y_true]  # (label_binarize gives 1 column for 2 classes)
    curves = {c: skm.roc_curve(onehot[:, c], proba[:, c]) for c in range(k)}
    curves["micro"] = skm.roc_curve(onehot.ravel(), proba.ravel())
    grid = np.unique(np.concatenate([curves[c][0] for c in range(k)]))
    mean_tpr = np.mean([np.interp(grid, curves[c][0], curves[c][1]) for c in range(k)], axis=0)
    curves["macro"] = (grid, mean_tpr, None)
    return curves


def auc_table(y_true, proba):
    """AUC of every one-vs-rest ROC curve, then the micro and macro averages (a Series).

    Per class and "micro" come from ``roc_auc_score``; "macro" is the mean of the class
    AUCs, which is ``roc_auc_score(..., average="macro")``.
    """
    y_true, proba = _proba(y_true, proba)
    k = proba.shape[1]
    onehot = np.eye(k, dtype=int)[y_true]  # (label_binarize gives 1 column for 2 classes)
    missing = [c for c in range(k) if onehot[:, c].all() or not onehot[:, c].any()]
    if missing:
        raise ValueError(
            f"classes {missing} have no positive (or no negative) image, so their ROC curve "
            "is undefined; evaluate on a set that contains every class."
        )
    per_class = skm.roc_auc_score(onehot, proba, average=None)
    values = dict(zip(range(k), per_class, strict=True))
    values["micro"] = skm.roc_auc_score(onehot, proba, average="micro")
    values["macro"] = skm.roc_auc_score(onehot, proba, average="macro")
    return pd.Series(values, name="AUC")


# --------------------------------------------------------------------------- calibration


def calibration_table(y_true, proba, n_bins: int = 10):
    """Reliability-diagram bins of the top probability (the model's confidence).

    Bins are equal widths of (0, 1], right-closed like ``sklearn.calibration.calibration_curve``
    with ``strategy="uniform"``. Columns: ``lower``, ``upper``, ``count``, ``confidence``
    (mean top probability in the bin), ``accuracy`` (share of correct predictions in the
    bin) and ``gap`` = |accuracy - confidence|. Empty bins have NaN confidence/accuracy.
    """
    y_true, proba = _proba(y_true, proba)
    if int(n_bins) < 1:
        raise ValueError(f"n_bins must be a positive integer, got {n_bins}.")
    confidence = proba.max(axis=1)
    correct = (proba.argmax(axis=1) == y_true).astype(float)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    bin_ids = np.searchsorted(edges[1:-1], confidence)
    count = np.bincount(bin_ids, minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_conf = np.bincount(bin_ids, weights=confidence, minlength=n_bins) / count
        accuracy = np.bincount(bin_ids, weights=correct, minlength=n_bins) / count
    return pd.DataFrame(
        {
            "lower": edges[:-1],
            "upper": edges[1:],
            "count": count,
            "confidence": mean_conf,
            "accuracy": accuracy,
            "gap": np.abs(accuracy - mean_conf),
        }
    )


def expected_calibration_error(y_true, proba, n_bins: int = 10) -> float:
    """ECE = sum over bins of (images in bin / all images) * |accuracy - confidence|."""
    table = calibration_table(y_true, proba, n_bins)
    filled = table[table["count"] > 0]
    return float((filled["count"] / table["count"].sum() * filled["gap"]).sum())


def classwise_calibration_error(y_true, proba, n_bins: int = 10) -> float:
    """Class-wise ECE: for every class k, the ECE of "is it a k?" with ``p_k`` as the
    stated probability (all images, every value of ``p_k``, not only the top one), averaged
    over the classes.

    For class k the images are binned by ``p_k`` into ``n_bins`` equal widths of [0, 1] (the
    bins of ``sklearn.calibration.calibration_curve``); in each bin the share of true k's is
    compared with the mean ``p_k``, weighted by the bin's share of the images. Top-label ECE
    (:func:`expected_calibration_error`) judges only the confidence of the predicted class;
    this judges the nine other probabilities too. 0 is perfect.
    """
    y_true, proba = _proba(y_true, proba)
    if int(n_bins) < 1:
        raise ValueError(f"n_bins must be a positive integer, got {n_bins}.")
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    n = len(y_true)
    errors = []
    for k in range(proba.shape[1]):
        p = proba[:, k]
        is_k = (y_true == k).astype(float)
        ids = np.searchsorted(edges[1:-1], p)
        count = np.bincount(ids, minlength=n_bins)
        gap = np.abs(
            np.bincount(ids, weights=is_k, minlength=n_bins)
            - np.bincount(ids, weights=p, minlength=n_bins)
        )  # |n_b * (share of k - mean p_k)| per bin
        errors.append(gap[count > 0].sum() / n)
    return float(np.mean(errors))


def change_by_index(metric, y_true, before, after):
    """A function ``change(idx)``: ``metric(after) - metric(before)`` on the images at
    positions ``idx`` (repeats allowed), for a *paired* bootstrap of a change: both models'
    probabilities are scored on the same drawn images. ``metric(y_true, proba)`` is e.g.
    :func:`nll`, :func:`brier` or :func:`expected_calibration_error`."""
    y_true = np.asarray(y_true)
    before, after = np.asarray(before), np.asarray(after)
    if not (len(y_true) == len(before) == len(after)):
        raise ValueError(
            f"y_true, before and after must cover the same images; got lengths "
            f"{len(y_true)}, {len(before)} and {len(after)}."
        )

    def change(idx) -> float:
        idx = np.asarray(idx, dtype=int)
        return float(metric(y_true[idx], after[idx]) - metric(y_true[idx], before[idx]))

    return change


# --------------------------------------------------------------------------- precision-recall


def precision_recall_curves(y_true, proba) -> dict:
    """One-vs-rest precision-recall curves: ``{class: (precision, recall, thresholds)}``,
    scikit-learn's ``precision_recall_curve`` of "image is a k" ranked by the probability of k."""
    y_true, proba = _proba(y_true, proba)
    return {c: skm.precision_recall_curve(y_true == c, proba[:, c]) for c in range(proba.shape[1])}


def average_precision_table(y_true, proba):
    """Average precision (the area under the step-wise PR curve) per class and its macro mean."""
    y_true, proba = _proba(y_true, proba)
    k = proba.shape[1]
    values = {c: skm.average_precision_score(y_true == c, proba[:, c]) for c in range(k)}
    values["macro"] = float(np.mean(list(values.values())))
    return pd.Series(values, name="average precision")


def precision_recall_at(is_positive, scores, threshold: float) -> tuple[float, float]:
    """``(precision, recall)`` of the rule "positive if score >= threshold".

    Precision is 0 when nothing is called positive (scikit-learn's ``zero_division=0``).
    """
    is_positive = np.asarray(is_positive, dtype=bool)
    called = np.asarray(scores) >= threshold
    tp = int(np.sum(called & is_positive))
    precision = tp / called.sum() if called.any() else 0.0
    recall = tp / is_positive.sum() if is_positive.any() else 0.0
    return float(precision), float(recall)


def threshold_for_precision(is_positive, scores, target: float) -> float:
    """The lowest threshold whose precision reaches ``target`` (so the highest recall that
    keeps precision at or above it), read off scikit-learn's precision-recall curve.

    Choose it on validation images, then report what it gives on the test images.
    """
    if not 0 < target <= 1:
        raise ValueError(f"target is a precision between 0 and 1 (e.g. 0.995), got {target}.")
    is_positive = np.asarray(is_positive, dtype=bool)
    if not is_positive.any():
        raise ValueError("is_positive has no positive image: no precision can be measured.")
    precision, _, thresholds = skm.precision_recall_curve(is_positive, scores)
    reached = np.flatnonzero(precision[:-1] >= target)
    if not len(reached):
        raise ValueError(
            f"no threshold reaches a precision of {target:.2%} on these images "
            f"(the best is {precision[:-1].max():.2%}); choose a lower target."
        )
    return float(thresholds[reached[0]])


# --------------------------------------------------------------------------- bootstrap helper


def macro_auc_by_index(y_true, proba):
    """A fast function ``macro_auc(idx)``: the macro-average one-vs-rest AUC of the images at
    positions ``idx`` (repeats allowed), for bootstrap intervals.

    ``macro_auc(np.arange(n))`` equals ``auc_table(y_true, proba)["macro"]``. Each image is
    counted as often as it appears in ``idx``; the AUC is then the weighted share of
    (positive, negative) pairs ranked the right way round, ties counting one half. The
    images are sorted once per class here, so each call costs only a few passes over them.
    """
    y_true, proba = _proba(y_true, proba)
    n, k = proba.shape
    prepared = []
    for c in range(k):
        order = np.argsort(proba[:, c], kind="stable")
        sorted_scores = proba[order, c]
        starts = np.flatnonzero(np.r_[True, sorted_scores[1:] != sorted_scores[:-1]])
        prepared.append((order, starts, (y_true[order] == c).astype(float)))

    def macro_auc(idx) -> float:
        weights = np.bincount(np.asarray(idx, dtype=int), minlength=n).astype(float)
        aucs = []
        for order, starts, positive in prepared:
            w = weights[order]
            pos = np.add.reduceat(w * positive, starts)
            neg = np.add.reduceat(w * (1 - positive), starts)
            below = np.cumsum(neg) - neg  # negatives with a strictly lower score
            pairs = pos.sum() * neg.sum()
            aucs.append(np.sum(pos * (below + 0.5 * neg)) / pairs if pairs else np.nan)
        return float(np.mean(aucs))

    return macro_auc


def share_by_index(hit, among):
    """A fast function ``share(idx)``: of the images at positions ``idx`` (repeats allowed)
    for which ``among`` is true, the share for which ``hit`` is true; for bootstrap intervals.

    Precision of digit d is ``share_by_index(right & called, called)`` (of the images called d,
    the share that are d); recall is ``share_by_index(right & really, really)``. NaN when no
    drawn image is in ``among``.
    """
    hit = np.asarray(hit, dtype=float)
    among = np.asarray(among, dtype=float)
    if hit.shape != among.shape or hit.ndim != 1:
        raise ValueError(
            f"hit and among must be flat masks of the same images, got {hit.shape} and {among.shape}."
        )
    if np.any(hit > among):
        raise ValueError(
            "every hit must also be in among (e.g. hit = right & called, among = called)."
        )

    def share(idx) -> float:
        weights = np.bincount(np.asarray(idx, dtype=int), minlength=len(hit))
        total = weights @ among
        return float(weights @ hit / total) if total else float("nan")

    return share


# --------------------------------------------------------------------------- temperature scaling

#: Smallest float32 above 0: a probability that underflowed to 0 is raised to it before log.
LOG_FLOOR = float(np.finfo(np.float32).tiny)


def log_probabilities(proba) -> np.ndarray:
    """``log p`` (float64), with exact zeros raised to :data:`LOG_FLOOR` first.

    Softmax ignores a constant added to a row, and ``log softmax(z) = z - logsumexp(z)`` is
    such a shift, so the log-probabilities serve as the logits: ``softmax(log p) = p``.
    """
    proba = np.asarray(proba, dtype=np.float64)
    if proba.ndim != 2:
        raise ValueError(f"proba should be images x classes, got shape {proba.shape}.")
    return np.log(np.clip(proba, LOG_FLOOR, 1.0))


def softmax(logits) -> np.ndarray:
    """Row-wise softmax, computed stably (the row maximum is subtracted first)."""
    z = np.asarray(logits, dtype=np.float64)
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def apply_temperature(logits, temperature: float) -> np.ndarray:
    """``softmax(logits / T)``: T > 1 softens the probabilities, T < 1 sharpens them."""
    if not temperature > 0:
        raise ValueError(f"the temperature must be positive, got {temperature}.")
    return softmax(np.asarray(logits, dtype=np.float64) / temperature)


def nll(y_true, proba) -> float:
    """Negative log-likelihood: the mean of ``-log p(true class)`` (zeros floored as above).
    The same as scikit-learn's ``log_loss`` and Keras's categorical cross-entropy."""
    y_true, proba = _proba(y_true, proba)
    p_true = np.clip(proba[np.arange(len(y_true)), y_true], LOG_FLOOR, 1.0)
    return float(-np.mean(np.log(p_true)))


def brier(y_true, proba) -> float:
    """Multi-class Brier score: the mean over images of ``sum_k (p_k - [y = k])**2`` (0 to 2)."""
    y_true, proba = _proba(y_true, proba)
    onehot = np.eye(proba.shape[1])[y_true]
    return float(np.mean(np.sum((proba - onehot) ** 2, axis=1)))


def fit_temperature(logits, y_true, bounds=(0.05, 20.0)) -> float:
    """The temperature T that minimises the NLL of ``softmax(logits / T)`` on these labels.

    Fit it on VALIDATION logits. The search runs over log T (so T stays positive and the
    scale is even), by scipy's bounded scalar minimiser.
    """
    from scipy.optimize import minimize_scalar

    logits = np.asarray(logits, dtype=np.float64)
    if logits.ndim != 2:
        raise ValueError(f"logits should be images x classes, got shape {logits.shape}.")
    y_true = _labels(y_true, "y_true", logits.shape[1])
    if len(y_true) != len(logits):
        raise ValueError(f"y_true has {len(y_true)} labels but logits has {len(logits)} rows.")
    rows = np.arange(len(y_true))

    def loss(log_t: float) -> float:
        z = logits / np.exp(log_t)
        z = z - z.max(axis=1, keepdims=True)
        return float(np.mean(np.log(np.exp(z).sum(axis=1)) - z[rows, y_true]))

    log_bounds = (np.log(bounds[0]), np.log(bounds[1]))
    result = minimize_scalar(loss, bounds=log_bounds, method="bounded", options={"xatol": 1e-6})
    return float(np.exp(result.x))
