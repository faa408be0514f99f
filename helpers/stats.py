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

Two sources of doubt, and which question each tool answers:

* **test images** (sampling): another 10,000 images from the same distribution would give
  other accuracies. :func:`proportion_interval` (one network's accuracy, Wilson's interval,
  always inside [0, 1]), :func:`paired_interval` and :func:`mcnemar` (two *trained*
  networks on the same images) cover this source only: "is network A better than network B
  on new images?".
* **seeds** (training randomness: initial weights, batch order, Dropout masks): training
  the same recipe again gives another network. :func:`t_interval` / :func:`welch` over the
  seeds' accuracies on *one* fixed test set cover this source only: "is procedure A better
  than procedure B on these very images?".
* **both**: :func:`procedure_accuracy` and :func:`compare_procedures` answer "is training
  procedure A better than procedure B on new images?", the question a claim about
  architectures or recipes asks. Their variance adds the seed-to-seed variance and the
  test-sampling variance (a two-way random-effects decomposition, derived in
  :func:`compare_procedures`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "ALPHA",
    "Estimate",
    "McNemar",
    "ProcedureComparison",
    "binomial_se",
    "bootstrap_interval",
    "check_confidence",
    "compare_pairs",
    "compare_procedures",
    "holm",
    "mcnemar",
    "paired_interval",
    "paired_se",
    "procedure_accuracy",
    "proportion_interval",
    "t_interval",
    "verdict",
    "welch",
]

#: The significance level the series uses, after correction for the number of comparisons.
ALPHA = 0.05


def check_confidence(confidence) -> float:
    """``confidence`` as a float strictly between 0 and 1, or a ValueError that says how
    to write it (95 means 0.95)."""
    if isinstance(confidence, bool) or not isinstance(confidence, int | float | np.floating):
        raise TypeError(f"confidence must be a number such as 0.95, got {confidence!r}.")
    c = float(confidence)
    if not 0.0 < c < 1.0:
        hint = f" (for {c:g}% write {c / 100:g})" if 1.0 < c < 100.0 else ""
        raise ValueError(
            f"confidence is a probability strictly between 0 and 1, such as 0.95; "
            f"got {confidence!r}{hint}."
        )
    return c


def _numbers(values, name: str, ndim: int = 1) -> np.ndarray:
    """``values`` as a float array of ``ndim`` dimensions with finite entries, or a clear error."""
    array = np.asarray(values)
    if array.dtype.kind not in "iuf":
        raise TypeError(
            f"{name} must hold numbers (accuracies, p-values, ...), got dtype {array.dtype}"
            + (
                " (booleans: pass them as 0/1 on purpose, e.g. x.astype(int))"
                if array.dtype.kind == "b"
                else ""
            )
            + "."
        )
    if array.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimension(s), got shape {array.shape}.")
    array = array.astype(float)
    if not np.all(np.isfinite(array)):
        raise ValueError(
            f"{name} holds NaN or infinite values ({int(np.sum(~np.isfinite(array)))} of "
            f"{array.size}); drop or fix those runs first."
        )
    return array


def _labels(values, name: str, ndim: int = 1) -> np.ndarray:
    array = np.asarray(values)
    if array.ndim != ndim:
        want = "one label per image, shape (n,)" if ndim == 1 else "shape (seeds, images)"
        raise ValueError(
            f"{name} must be {want}, got shape {array.shape}; "
            "for probabilities pass probabilities.argmax(axis=-1)."
        )
    if array.dtype.kind == "f":
        if not np.all(np.isfinite(array)):
            raise ValueError(f"{name} holds NaN or infinite labels; labels are class numbers.")
        if not np.all(array == np.round(array)):
            raise ValueError(f"{name} holds non-integer labels such as 3.7; labels are classes.")
        array = array.astype(np.int64)
    elif array.dtype.kind not in "biuUS":
        raise TypeError(
            f"{name} must hold class labels (integers, booleans or strings), got dtype "
            f"{array.dtype}."
        )
    return array


def _same_kind(y_true: np.ndarray, *predictions: np.ndarray, names=("pred_a", "pred_b")) -> None:
    """Labels and predictions must be comparable: integers with integers, text with text
    (a string '7' never equals the integer 7, so every image would count as wrong)."""

    def kind(a):
        return "text" if a.dtype.kind in "US" else "integer"

    for name, p in zip(names, predictions, strict=True):
        if len(p) and len(y_true) and kind(p) != kind(y_true):
            raise TypeError(
                f"y_true holds {kind(y_true)} labels but {name} holds {kind(p)} labels "
                f"(e.g. {y_true[0]!r} vs {p[0]!r}): they would never compare equal. Convert "
                "both to integers, e.g. np.asarray(labels).astype(int)."
            )


def _right(y_true, pred_a, pred_b) -> tuple[np.ndarray, np.ndarray]:
    """Which images each of two models gets right, after checking the inputs."""
    y_true = _labels(y_true, "y_true")
    pred_a, pred_b = _labels(pred_a, "pred_a"), _labels(pred_b, "pred_b")
    if not len(y_true) == len(pred_a) == len(pred_b):
        raise ValueError(
            f"y_true, pred_a and pred_b must cover the same images; got lengths "
            f"{len(y_true)}, {len(pred_a)} and {len(pred_b)}."
        )
    if len(y_true) == 0:
        raise ValueError("y_true is empty: there are no images to compare on.")
    _same_kind(y_true, pred_a, pred_b)
    return pred_a == y_true, pred_b == y_true


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

    The question it answers: are these two *trained networks* different on new images from
    the same distribution? Training randomness is not in it: for "is architecture A better
    than B?" use :func:`compare_procedures` over several seeds.
    """
    from scipy.stats import binomtest

    a_right, b_right = _right(y_true, pred_a, pred_b)
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

    The only source of doubt it covers is the spread of the values given (e.g. seeds on one
    fixed test set: "these procedures on these images"). It knows nothing of bounds: for
    accuracies, whose interval must stay inside [0, 1] and include test sampling, use
    :func:`procedure_accuracy`.
    """
    from scipy import stats

    confidence = check_confidence(confidence)
    x = _numbers(values, "values")
    if len(x) == 0:
        raise ValueError("values is empty: pass one number per seed.")
    mean = float(x.mean())
    if len(x) < 2:
        return mean, float("nan"), float("nan")
    half = float(stats.t.ppf(0.5 + confidence / 2, df=len(x) - 1) * x.std(ddof=1) / np.sqrt(len(x)))
    return mean, mean - half, mean + half


def welch(a, b) -> float:
    """Two-sided p-value of Welch's t-test: do two sets of seed results differ in mean?

    NaN when either side has fewer than two values (no spread to compare with).
    Covers the seeds only (the values given), like :func:`t_interval`.
    """
    from scipy import stats

    a, b = _numbers(a, "a"), _numbers(b, "b")
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

    confidence = check_confidence(confidence)
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


# --------------------------------------------------------------------------- both sources of doubt


@dataclass(frozen=True)
class Estimate:
    """A number, its interval, and the source(s) of doubt the interval covers.

    Unpacks like the older functions' tuples: ``value, low, high = estimate``.
    ``seed_variance`` and ``image_variance`` split ``se ** 2`` by source (NaN when the
    interval covers only one); ``df`` is the t-distribution's degrees of freedom (infinite:
    the normal distribution).
    """

    value: float
    low: float
    high: float
    se: float
    covers: str
    confidence: float = 0.95
    df: float = float("inf")
    seed_variance: float = float("nan")
    image_variance: float = float("nan")

    def __iter__(self):
        return iter((self.value, self.low, self.high))


def _count(value, name: str, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name} must be a whole number (a count of images), got {value!r}.")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}.")
    return int(value)


def binomial_se(accuracy, n_images) -> float:
    """Standard error of one network's accuracy from test sampling: ``sqrt(p (1 - p) / n)``.

    ``n`` images drawn from a population where the network is right with probability
    ``p``: the count right is Binomial(n, p), so the accuracy's variance is ``p(1-p)/n``
    (about 0.0014, i.e. 0.14 points, at p = 0.98 and n = 10,000).
    """
    n = _count(n_images, "n_images", minimum=1)
    p = float(_numbers([accuracy], "accuracy")[0])
    if not 0.0 <= p <= 1.0:
        raise ValueError(
            f"accuracy is a fraction between 0 and 1 (0.98, not 98); got {accuracy!r}."
        )
    return float(np.sqrt(p * (1.0 - p) / n))


def proportion_interval(successes, n_images, confidence: float = 0.95) -> Estimate:
    """One network's accuracy (``successes`` right of ``n_images``) with Wilson's interval.

    Covers test sampling only: "how accurate is *this trained network* on new images?".
    Wilson's interval (scipy's ``binomtest(...).proportion_ci(method="wilson")``) always
    lies inside [0, 1], also at 100% or 0% right, where the normal approximation
    ``p +- 1.96 se`` would give zero width or cross the bounds.
    """
    from scipy.stats import binomtest

    confidence = check_confidence(confidence)
    n = _count(n_images, "n_images", minimum=1)
    k = _count(successes, "successes")
    if k > n:
        raise ValueError(f"successes ({k}) cannot exceed n_images ({n}).")
    ci = binomtest(k, n).proportion_ci(confidence_level=confidence, method="wilson")
    p = k / n
    return Estimate(p, float(ci.low), float(ci.high), float(np.sqrt(p * (1 - p) / n)),
                    "test images", confidence)  # fmt: skip


def paired_se(y_true, pred_a, pred_b) -> float:
    """Standard error, from test sampling, of ``accuracy(A) - accuracy(B)`` on the same images.

    Per image ``d_i = [A right] - [B right]`` is -1, 0 or +1; the difference of accuracies is
    the mean of the ``d_i``, so its standard error is ``sd(d) / sqrt(n)``. Only the
    discordant images (``d_i != 0``) add to ``sd(d)``: sharing the easy images makes it far
    smaller than the unpaired ``sqrt(se_A**2 + se_B**2)``.
    """
    a_right, b_right = _right(y_true, pred_a, pred_b)
    d = a_right.astype(float) - b_right.astype(float)
    if len(d) < 2:
        raise ValueError("a standard error needs at least two images.")
    return float(d.std(ddof=1) / np.sqrt(len(d)))


def paired_interval(y_true, pred_a, pred_b, confidence: float = 0.95) -> Estimate:
    """``accuracy(A) - accuracy(B)`` of two *trained networks* on the same images, with a
    normal interval from :func:`paired_se`. Covers test sampling only: the question of
    :func:`mcnemar` (these two networks, new images), as an interval."""
    from scipy.stats import norm

    confidence = check_confidence(confidence)
    a_right, b_right = _right(y_true, pred_a, pred_b)
    difference = float(a_right.mean() - b_right.mean())
    se = paired_se(y_true, pred_a, pred_b)
    half = float(norm.ppf(0.5 + confidence / 2)) * se
    return Estimate(difference, difference - half, difference + half, se, "test images",
                    confidence)  # fmt: skip


def _right_matrix(y_true, predictions, name: str) -> np.ndarray:
    """``(seeds, images)`` float array: 1 where a seed's network is right on an image."""
    y = _labels(y_true, "y_true")
    p = _labels(predictions, name, ndim=2)
    if p.shape[1] != len(y):
        raise ValueError(
            f"{name} has {p.shape[1]} predictions per seed but y_true has {len(y)} labels: "
            "pass the predictions of the same images, one row per seed."
        )
    if len(y) < 2:
        raise ValueError("y_true must hold at least two images.")
    if p.shape[0] < 2:
        raise ValueError(
            f"{name} has {p.shape[0]} seed(s): with one seed the seed-to-seed variance is "
            "unknown, so no interval can cover training randomness. Train at least two "
            "seeds, or ask about this one network: proportion_interval / paired_interval / "
            "mcnemar (test images only)."
        )
    _same_kind(y, *p, names=[f"{name}[{i}]" for i in range(len(p))])
    return (p == y).astype(float)


def _two_way(right: np.ndarray):
    """Seeds x images table of 0/1: per-seed accuracies, per-image means over the seeds,
    and the residual mean square (the seed-by-image interaction, ANOVA without replication)."""
    k, n = right.shape
    per_seed = right.mean(axis=1)
    per_image = right.mean(axis=0)
    residual = right - per_seed[:, None] - per_image[None, :] + right.mean()
    ms_residual = float(np.sum(residual**2) / ((k - 1) * (n - 1)))
    return per_seed, per_image, ms_residual


def _satterthwaite(total: float, terms) -> float:
    """Degrees of freedom of a variance estimate ``total = sum(+-c_j MS_j)`` (Satterthwaite):
    ``total^2 / sum (c_j MS_j)^2 / df_j``, with ``terms`` = [(c_j MS_j, df_j)]."""
    denominator = sum(v * v / df for v, df in terms if df > 0)
    return float("inf") if denominator == 0 else float(total * total / denominator)


def procedure_accuracy(y_true, predictions, confidence: float = 0.95) -> Estimate:
    """The accuracy of a training *procedure* (mean over its seeds) with an interval that
    covers both seeds and test images: "how accurate are networks trained this way on new
    images?".

    ``predictions``: ``(seeds, images)`` predicted labels, one row per seed (at least two).
    The variance of the mean accuracy is estimated as in :func:`compare_procedures` (one
    procedure instead of two), and the interval is built on the log-odds scale and mapped
    back, so it always lies inside (0, 1): ``logit(m) +- t * se / (m (1 - m))``.
    """
    from scipy.stats import t as t_dist

    confidence = check_confidence(confidence)
    right = _right_matrix(y_true, predictions, "predictions")
    k, n = right.shape
    per_seed, per_image, ms_res = _two_way(right)
    s2_seed, s2_image = float(per_seed.var(ddof=1)), float(per_image.var(ddof=1))
    seed_var = max(s2_seed / k - ms_res / (k * n), 0.0)
    image_var = s2_image / n
    variance = seed_var + image_var
    mean = float(per_seed.mean())
    if seed_var > 0:
        df = _satterthwaite(
            variance,
            [(s2_seed / k, k - 1), (image_var, n - 1), (ms_res / (k * n), (k - 1) * (n - 1))],
        )
    else:
        df = float(n - 1)
    se = float(np.sqrt(variance))
    covers = "seeds and test images"
    if variance == 0 or mean in (0.0, 1.0):
        # every seed right (or wrong) on exactly the same images: only test sampling is left
        w = proportion_interval(round(mean * n), n, confidence)
        return Estimate(mean, w.low, w.high, se, covers, confidence, df, seed_var, image_var)
    multiplier = float(t_dist.ppf(0.5 + confidence / 2, df))
    logit, se_logit = np.log(mean / (1 - mean)), se / (mean * (1 - mean))
    low, high = (1 / (1 + np.exp(-(logit + sign * multiplier * se_logit))) for sign in (-1, 1))
    return Estimate(mean, float(low), float(high), se, covers, confidence, df, seed_var, image_var)


@dataclass(frozen=True)
class ProcedureComparison:
    """Training procedure A against procedure B on the same images (:func:`compare_procedures`).

    ``difference`` = mean accuracy of A's seeds minus B's (a fraction; x100 for points);
    ``low``/``high``/``p_value`` cover seeds *and* test images. ``seed_variance`` and
    ``image_variance`` are the two parts of ``se ** 2``. :meth:`seeds_only` and
    :meth:`images_only` are the partial intervals, for teaching which question each answers.
    """

    difference: float
    low: float
    high: float
    se: float
    df: float
    p_value: float
    seed_variance: float
    image_variance: float
    accuracies_a: tuple
    accuracies_b: tuple
    n_images: int
    confidence: float = 0.95

    @property
    def seeds(self) -> tuple[int, int]:
        return len(self.accuracies_a), len(self.accuracies_b)

    def seeds_only(self) -> Estimate:
        """Welch's t-interval of the difference of the seeds' mean accuracies: covers
        training randomness only ("these procedures on *these* images")."""
        from scipy.stats import t as t_dist

        a, b = np.asarray(self.accuracies_a), np.asarray(self.accuracies_b)
        va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
        se = float(np.sqrt(va + vb))
        df = _satterthwaite(va + vb, [(va, len(a) - 1), (vb, len(b) - 1)])
        half = float(t_dist.ppf(0.5 + self.confidence / 2, df)) * se if se > 0 else 0.0
        d = self.difference
        return Estimate(d, d - half, d + half, se, "seeds", self.confidence, df)

    def images_only(self) -> Estimate:
        """A normal interval with the test-sampling variance alone: covers the images only
        ("these trained networks, averaged, on new images")."""
        from scipy.stats import norm

        se = float(np.sqrt(self.image_variance))
        half = float(norm.ppf(0.5 + self.confidence / 2)) * se
        d = self.difference
        return Estimate(d, d - half, d + half, se, "test images", self.confidence)


def compare_procedures(y_true, predictions_a, predictions_b, confidence: float = 0.95):
    r"""Is training procedure A more accurate than procedure B on *new* images?

    ``predictions_a``: ``(k_A, n)`` labels predicted by A's networks, one row per seed;
    ``predictions_b``: ``(k_B, n)`` for B, on the **same** n images ``y_true`` (at least two
    seeds each; ``k_A`` and ``k_B`` may differ). Returns a :class:`ProcedureComparison`.

    The model (two-way random effects, seeds crossed with images). Write ``r_{s,i} = 1`` when
    seed s's network of A is right on image i. Then ``r_{s,i} = mu + a_s + u_i + e_{s,i}``:
    a seed effect (variance ``sigma_a^2``: some trainings are luckier), an image effect
    (``u_i``: some images are hard), and an interaction (``tau_A^2``: *which* hard images a
    seed gets right). B likewise with ``b_t, v_i, f_{t,i}``; the images are shared, so ``u_i``
    and ``v_i`` are correlated, the seeds are not. The estimate ``D = mean(r^A) - mean(r^B)``
    has, over new seeds *and* new images,

    .. math:: Var(D) = \sigma_a^2/k_A + \sigma_b^2/k_B + Var(u - v)/n
                       + \tau_A^2/(k_A n) + \tau_B^2/(k_B n).

    Estimated from three observable spreads: the variance of A's per-seed accuracies,
    ``S_A^2`` (expected ``sigma_a^2 + tau_A^2/n``; likewise ``S_B^2``); the variance over images
    of the per-image difference of the seed means, ``S_D^2`` (expected
    ``Var(u - v) + tau_A^2/k_A + tau_B^2/k_B``); and each side's residual mean square
    ``M_A`` (expected ``tau_A^2``). Each interaction appears in two spreads, so it is taken
    out once:

    .. math:: \hat V = \underbrace{S_A^2/k_A + S_B^2/k_B - M_A/(k_A n) - M_B/(k_B n)}_{seeds}
                       + \underbrace{S_D^2/n}_{test images}.

    The seed part is set to 0 if noise makes it negative (then the interval is the test
    images' alone). The interval is ``D +- t_df sqrt(V)`` with Satterthwaite's degrees of
    freedom, which with few seeds and a large seed part approach ``k - 1`` (wide), and
    with a negligible seed part approach ``n - 1`` (normal). ``p_value``: two-sided, from
    the same t.

    Why this and not a two-level bootstrap over seeds and images: with 3 seeds, resampling
    the seeds sees at most 10 distinct sets and underestimates their variance by a factor
    (k - 1)/k; the closed form is exact in expectation, instant, and checkable by hand.
    (Background: Dietterich 1998 on the training-set and test-set sources of variation;
    Bouthillier et al. 2021 on accounting for both in benchmarks.)

    The partial tools answer narrower questions: :func:`mcnemar` / :func:`paired_interval`
    (one seed of each: these two trained networks), :meth:`ProcedureComparison.seeds_only`
    (these procedures on these images).
    """
    from scipy.stats import t as t_dist

    confidence = check_confidence(confidence)
    ra = _right_matrix(y_true, predictions_a, "predictions_a")
    rb = _right_matrix(y_true, predictions_b, "predictions_b")
    (ka, n), kb = ra.shape, rb.shape[0]
    acc_a, image_a, ms_a = _two_way(ra)
    acc_b, image_b, ms_b = _two_way(rb)
    s2a, s2b = float(acc_a.var(ddof=1)), float(acc_b.var(ddof=1))
    s2d = float((image_a - image_b).var(ddof=1))
    seed_var = s2a / ka + s2b / kb - ms_a / (ka * n) - ms_b / (kb * n)
    image_var = s2d / n
    if seed_var > 0:
        df = _satterthwaite(
            seed_var + image_var,
            [(s2a / ka, ka - 1), (s2b / kb, kb - 1), (image_var, n - 1),
             (ms_a / (ka * n), (ka - 1) * (n - 1)), (ms_b / (kb * n), (kb - 1) * (n - 1))]
        )  # fmt: skip
    else:
        seed_var, df = 0.0, float(n - 1)
    se = float(np.sqrt(seed_var + image_var))
    difference = float(acc_a.mean() - acc_b.mean())
    if se == 0:
        p_value, half = (1.0 if difference == 0 else 0.0), 0.0
    else:
        p_value = float(2 * t_dist.sf(abs(difference) / se, df))
        half = float(t_dist.ppf(0.5 + confidence / 2, df)) * se
    return ProcedureComparison(
        difference=difference,
        low=difference - half,
        high=difference + half,
        se=se,
        df=df,
        p_value=p_value,
        seed_variance=float(seed_var),
        image_variance=float(image_var),
        accuracies_a=tuple(float(x) for x in acc_a),
        accuracies_b=tuple(float(x) for x in acc_b),
        n_images=int(n),
        confidence=confidence,
    )


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
