"""Statistics for honest comparisons: paired tests, multiple comparisons, intervals.

The computing is scipy's; this module only names the steps the notebooks teach.

* :func:`mcnemar` - are two models, scored on the *same* images, really different? Only the
  images where exactly one of them is right carry information; under "no difference" each
  such image is a fair coin flip, so the count of one side is Binomial(n, 1/2) and the
  exact two-sided p-value is scipy's ``binomtest``.
* :func:`holm` - several comparisons at once: Holm's step-down correction keeps the
  chance of *any* false "real difference" at most alpha.
* :func:`t_interval` - the mean over a few seeds with a confidence interval from the
  t-distribution (n - 1 degrees of freedom: with 3 seeds the 95% multiplier is 4.30, not 2).
* :func:`welch` - two sets of seed results compared without assuming equal spreads.
* :func:`bootstrap_interval` - a confidence interval for any metric of a test set,
  by resampling its images (scipy's ``bootstrap``, paired over the arrays given).
* :func:`verdict` - the words the series uses for a p-value after correction.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "ALPHA",
    "McNemar",
    "bootstrap_interval",
    "compare_pairs",
    "holm",
    "mcnemar",
    "t_interval",
    "verdict",
    "welch",
]

#: The significance level the series uses, after correction for the number of comparisons.
ALPHA = 0.05


def _labels(values, name: str) -> np.ndarray:
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(
            f"{name} must be one label per image, shape (n,), got shape {array.shape}; "
            "for probabilities pass probabilities.argmax(axis=1)."
        )
    return array


@dataclass(frozen=True)
class McNemar:
    """The result of an exact McNemar test of model A against model B on the same images."""

    only_a_right: int
    only_b_right: int
    both_right: int
    both_wrong: int
    p_value: float

    @property
    def discordant(self) -> int:
        """Images where exactly one model is right: the only ones that tell them apart."""
        return self.only_a_right + self.only_b_right


def mcnemar(y_true, pred_a, pred_b) -> McNemar:
    """Exact two-sided McNemar test of two classifiers' predictions on the same images.

    With ``b`` images only A gets right and ``c`` only B gets right, "no difference" means
    each of the ``b + c`` discordant images is equally likely to favour either model, so
    ``b ~ Binomial(b + c, 1/2)``; the p-value is the exact two-sided binomial tail.
    """
    from scipy.stats import binomtest

    y_true = _labels(y_true, "y_true")
    pred_a, pred_b = _labels(pred_a, "pred_a"), _labels(pred_b, "pred_b")
    if not len(y_true) == len(pred_a) == len(pred_b):
        raise ValueError(
            f"y_true, pred_a and pred_b must cover the same images; got lengths "
            f"{len(y_true)}, {len(pred_a)} and {len(pred_b)}."
        )
    a_right, b_right = pred_a == y_true, pred_b == y_true
    b = int(np.sum(a_right & ~b_right))
    c = int(np.sum(~a_right & b_right))
    p = 1.0 if b + c == 0 else float(binomtest(b, b + c, 0.5).pvalue)
    return McNemar(
        only_a_right=b,
        only_b_right=c,
        both_right=int(np.sum(a_right & b_right)),
        both_wrong=int(np.sum(~a_right & ~b_right)),
        p_value=p,
    )


def holm(p_values) -> np.ndarray:
    """Holm-adjusted p-values, in the order given.

    Sort the m p-values ascending; the i-th smallest (i = 0, 1, ...) is multiplied by
    ``m - i``; a running maximum keeps the adjusted values in the same order; cap at 1.
    A comparison is significant at level alpha when its adjusted p-value is below alpha.
    """
    p = np.asarray(p_values, dtype=float)
    if p.ndim != 1:
        raise ValueError(f"p_values must be a flat list of numbers, got shape {p.shape}.")
    if np.any((p < 0) | (p > 1)) or np.any(np.isnan(p)):
        raise ValueError(f"p-values lie between 0 and 1; got {p.tolist()}.")
    m = len(p)
    order = np.argsort(p, kind="stable")
    scaled = p[order] * (m - np.arange(m))
    adjusted_sorted = np.minimum(np.maximum.accumulate(scaled), 1.0)
    adjusted = np.empty(m)
    adjusted[order] = adjusted_sorted
    return adjusted


def t_interval(values, confidence: float = 0.95) -> tuple[float, float, float]:
    """``(mean, low, high)``: the mean of a few measurements (e.g. seeds) and its
    confidence interval from the t-distribution with ``n - 1`` degrees of freedom.

    With a single value the spread is unknown: the bounds are NaN, not the mean.
    """
    from scipy import stats

    x = np.asarray(values, dtype=float)
    if x.ndim != 1 or len(x) == 0:
        raise ValueError(f"values must be a non-empty list of numbers, got shape {x.shape}.")
    mean = float(x.mean())
    if len(x) < 2:
        return mean, float("nan"), float("nan")
    half = float(stats.t.ppf(0.5 + confidence / 2, df=len(x) - 1) * x.std(ddof=1) / np.sqrt(len(x)))
    return mean, mean - half, mean + half


def welch(a, b) -> float:
    """Two-sided p-value of Welch's t-test: do two sets of seed results differ in mean?

    NaN when either side has fewer than two values (no spread to compare with).
    """
    from scipy import stats

    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if len(a) < 2 or len(b) < 2:
        return float("nan")
    return float(stats.ttest_ind(a, b, equal_var=False).pvalue)


def bootstrap_interval(
    statistic,
    *arrays,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
    method: str = "percentile",
) -> tuple[float, float, float]:
    """``(value, low, high)``: a metric of a test set and its bootstrap interval.

    ``statistic(*arrays)`` computes the metric (e.g. ``lambda t, p: recall(t, p)``); the
    images are resampled with replacement, the same rows of every array together (paired),
    ``n_resamples`` times. scipy's ``bootstrap`` does the resampling.
    """
    from scipy import stats

    if not arrays:
        raise ValueError("pass at least one array to resample (e.g. y_true, y_pred).")
    arrays = tuple(np.asarray(a) for a in arrays)
    if len({len(a) for a in arrays}) != 1:
        raise ValueError(
            f"the arrays must have one row per image each; got lengths {[len(a) for a in arrays]}."
        )
    value = float(statistic(*arrays))
    result = stats.bootstrap(
        arrays,
        statistic,
        n_resamples=n_resamples,
        confidence_level=confidence,
        paired=True,
        vectorized=False,
        method=method,
        rng=np.random.default_rng(seed),
    )
    ci = result.confidence_interval
    return value, float(ci.low), float(ci.high)


def verdict(p_adjusted: float, p_raw: float | None = None, alpha: float = ALPHA) -> str:
    """The series' words for a comparison.

    * ``"clear"``: significant after the correction for multiple comparisons;
    * ``"suggestive"``: significant on its own (``p_raw < alpha``) but not after correction;
    * ``"no evidence"``: otherwise. Not the same as "equal": the test could not tell.
    """
    if p_adjusted < alpha:
        return "clear"
    if p_raw is not None and p_raw < alpha:
        return "suggestive"
    return "no evidence"


def compare_pairs(y_true, predictions: dict, pairs, alpha: float = ALPHA):
    """McNemar for each ``(a, b)`` in ``pairs`` on the same images, Holm-corrected.

    ``predictions`` maps a model name to its predicted labels. Returns a DataFrame, one row
    per pair: images only A / only B gets right, the difference in accuracy (points), the
    raw and Holm-adjusted p-values, and the verdict.
    """
    import pandas as pd

    y_true = _labels(y_true, "y_true")
    rows = []
    for a, b in pairs:
        for name in (a, b):
            if name not in predictions:
                raise KeyError(f"no predictions for {name!r}; have {sorted(predictions)}.")
        m = mcnemar(y_true, predictions[a], predictions[b])
        rows.append(
            dict(
                a=a,
                b=b,
                only_a_right=m.only_a_right,
                only_b_right=m.only_b_right,
                difference_points=100 * (m.only_a_right - m.only_b_right) / len(y_true),
                p_value=m.p_value,
            )
        )
    table = pd.DataFrame(rows)
    if len(table):
        table["p_holm"] = holm(table["p_value"].to_numpy())
        table["verdict"] = [
            verdict(pa, pr, alpha) for pa, pr in zip(table["p_holm"], table["p_value"], strict=True)
        ]
    return table
