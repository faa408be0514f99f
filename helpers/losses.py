"""Softmax and cross-entropy, written plainly in NumPy (notebook 02 derives every line).

Conventions: the last axis holds the classes. A single example is a 1-D array of K
numbers; a batch is an (N, K) array. Probabilities ``p`` come from :func:`softmax`;
targets are one-hot rows ``y`` (categorical) or integer labels (sparse).

Losses take ``reduction="mean"`` (the average over the batch, what Keras's loss classes
return by default), ``"sum"``, or ``"none"`` (one loss per example).

Like Keras, the probability-based losses clip ``p`` to ``[EPSILON, 1 - EPSILON]`` before
the logarithm, so a probability of exactly 0 gives a large finite loss (-ln 1e-7 = 16.1)
instead of infinity. :func:`cross_entropy_from_logits` avoids the clipping altogether by
working on logits with the log-sum-exp trick.
"""

from __future__ import annotations

import numpy as np

#: Keras's default fuzz factor (``keras.config.epsilon()``).
EPSILON = 1e-7
#: How far from 1 a row of probabilities may sum before it is rejected.
SUM_TOLERANCE = 1e-3

_REDUCTIONS = ("mean", "sum", "none")


# --------------------------------------------------------------------------- validation


def _float_array(x, name: str) -> np.ndarray:
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be numbers (a list or NumPy array), got {x!r}.") from None
    if arr.ndim == 0:
        raise ValueError(f"{name} must hold one value per class (1-D or 2-D), got a scalar {x!r}.")
    if arr.ndim > 2:
        raise ValueError(
            f"{name} must be 1-D (one example) or 2-D (examples x classes), got shape {arr.shape}."
        )
    if arr.shape[-1] < 2:
        raise ValueError(
            f"{name} needs at least 2 classes on its last axis, got shape {arr.shape}."
        )
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinity; check what produced it.")
    return arr


def _check_probabilities(p, name="y_pred") -> np.ndarray:
    p = _float_array(p, name)
    if p.min() < 0 or p.max() > 1:
        raise ValueError(
            f"{name} must be probabilities in [0, 1] (got values from {p.min():.4g} to "
            f"{p.max():.4g}). If these are raw scores (logits), apply softmax first or use "
            "cross_entropy_from_logits."
        )
    sums = p.sum(axis=-1)
    if not np.allclose(sums, 1.0, atol=SUM_TOLERANCE):
        worst = sums.flat[np.argmax(np.abs(sums - 1.0))]
        raise ValueError(
            f"each row of {name} must sum to 1 (a probability distribution over the classes); "
            f"one sums to {worst:.6g}. Apply softmax to the model's scores first."
        )
    return p


def _check_targets(y, shape, name="y_true") -> np.ndarray:
    given = np.shape(y)
    if given != shape:
        hint = ""
        if len(given) == len(shape) - 1:
            hint = " Integer labels go to sparse_categorical_crossentropy (or one-hot them first)."
        raise ValueError(
            f"{name} has shape {given} but the predictions have shape {shape}; a one-hot "
            f"target needs one row per example and one column per class.{hint}"
        )
    y = _float_array(y, name)
    if y.min() < 0 or not np.allclose(y.sum(axis=-1), 1.0, atol=SUM_TOLERANCE):
        raise ValueError(
            f"each row of {name} must be one-hot (a single 1, the rest 0) or at least a "
            "probability distribution (non-negative, summing to 1)."
        )
    return y


def _check_labels(labels, probs_shape, name="y_true") -> np.ndarray:
    arr = np.asarray(labels)
    expected = probs_shape[:-1]
    n_classes = probs_shape[-1]
    if arr.shape != expected:
        raise ValueError(
            f"{name} must hold one integer label per example, shape {expected}; got shape "
            f"{arr.shape}. One-hot targets go to categorical_crossentropy."
        )
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or not np.all(arr == np.round(arr)):
            raise ValueError(f"{name} must be whole numbers (class indices), got {labels!r}.")
        arr = arr.astype(np.int64)
    elif arr.dtype.kind not in "iu":
        raise TypeError(f"{name} must be integer class labels, got dtype {arr.dtype}.")
    if arr.size and (arr.min() < 0 or arr.max() >= n_classes):
        raise ValueError(
            f"{name} must be class indices 0..{n_classes - 1}; got values from {arr.min()} "
            f"to {arr.max()}."
        )
    return arr.astype(np.int64)


def _reduce(per_example: np.ndarray, reduction: str):
    if reduction == "mean":
        return float(np.mean(per_example))
    if reduction == "sum":
        return float(np.sum(per_example))
    if reduction == "none":
        return per_example
    raise ValueError(f"reduction must be one of {_REDUCTIONS}, got {reduction!r}.")


# --------------------------------------------------------------------------- softmax


def softmax_naive(z) -> np.ndarray:
    """exp(z) / sum(exp(z)) exactly as written: overflows for large scores (for teaching)."""
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def softmax(z) -> np.ndarray:
    """Stable softmax over the last axis: subtract each row's maximum before ``exp``.

    ``softmax(z) == softmax(z - c)`` for any constant ``c``, and with ``c = max(z)`` every
    exponent is <= 0, so ``exp`` never overflows and the largest term is exactly 1.
    """
    z = _float_array(z, "z")
    shifted = z - z.max(axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=-1, keepdims=True)


def log_softmax(z) -> np.ndarray:
    """``log(softmax(z))`` computed stably: ``z - max - log(sum(exp(z - max)))``."""
    z = _float_array(z, "z")
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


# --------------------------------------------------------------------------- losses


def categorical_crossentropy(y_true, y_pred, reduction="mean"):
    """Cross-entropy between one-hot targets and predicted probabilities.

    Per example: ``L = -sum_k y_k * ln(p_k)``, which for a one-hot ``y`` is
    ``-ln(probability given to the true class)``.
    """
    p = _check_probabilities(y_pred)
    y = _check_targets(y_true, p.shape)
    per_example = -np.sum(y * np.log(np.clip(p, EPSILON, 1.0 - EPSILON)), axis=-1)
    return _reduce(per_example, reduction)


def sparse_categorical_crossentropy(y_true, y_pred, reduction="mean"):
    """The same loss with integer labels: ``L = -ln(p[label])``; no one-hot needed."""
    p = _check_probabilities(y_pred)
    labels = _check_labels(y_true, p.shape)
    picked = np.take_along_axis(p, labels[..., None], axis=-1)[..., 0]
    per_example = -np.log(np.clip(picked, EPSILON, 1.0 - EPSILON))
    return _reduce(per_example, reduction)


def _targets_for(y_true, shape) -> np.ndarray:
    """One-hot targets of the given shape from one-hot rows or integer labels."""
    arr = np.asarray(y_true)
    if arr.shape == tuple(shape[:-1]):
        labels = _check_labels(arr, shape)
        return np.eye(shape[-1])[labels]
    return _check_targets(arr, tuple(shape))


def cross_entropy_from_logits(logits, y_true, reduction="mean"):
    """Softmax followed by cross-entropy, from raw scores (logits), without clipping.

    ``L = -sum_k y_k * log_softmax(z)_k``. ``y_true``: one-hot rows or integer labels.
    """
    logp = log_softmax(logits)
    y = _targets_for(y_true, logp.shape)
    return _reduce(-np.sum(y * logp, axis=-1), reduction)


def softmax_ce_grad(logits, y_true, reduction="mean") -> np.ndarray:
    """Gradient of softmax + cross-entropy with respect to the logits: ``p - y``.

    For one example the derivative of ``L = -sum_k y_k ln softmax(z)_k`` is
    ``dL/dz = softmax(z) - y``. With ``reduction="mean"`` over a batch of N examples each
    row is divided by N (the mean's own derivative); with ``"sum"`` or ``"none"`` it is
    ``p - y`` itself. ``y_true``: one-hot rows or integer labels.
    """
    p = softmax(logits)
    y = _targets_for(y_true, p.shape)
    grad = p - y
    if reduction == "mean":
        n = 1 if grad.ndim == 1 else grad.shape[0]
        return grad / n
    if reduction in ("sum", "none"):
        return grad
    raise ValueError(f"reduction must be one of {_REDUCTIONS}, got {reduction!r}.")
