"""Exercise checkers: a learner passes an answer, gets told what is right or what is wrong.

Every checker returns a :class:`Verdict` (truthy when correct) and prints one line, so in
a notebook ``checks.exercise_01_1(my_answer)`` is all a learner types. A wrong answer says
*what* is wrong (the shape, the sign, off by a factor of 255, ...), never just "wrong".

Checkers compute the expected answer themselves from the data they are given or from
first principles; none holds a hard-coded number that depends on the data set.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Verdict:
    correct: bool
    message: str

    def __bool__(self) -> bool:
        return self.correct

    def __repr__(self) -> str:  # what a notebook shows when the verdict is the cell's value
        return ("Correct: " if self.correct else "Not yet: ") + self.message

    def _ipython_display_(self) -> None:
        """Show nothing as a cell's value: the checker has printed its message already."""


def verdict(correct: bool, message: str, show: bool = True) -> Verdict:
    v = Verdict(bool(correct), message)
    if show:
        print(repr(v))
    return v


def exercise(func):
    """Decorator for every exercise checker: an unanswered ``...`` gets a friendly nudge.

    Exercise cells ship with ``answer = ...``; running them before answering prints what to
    do instead of raising, so a notebook always runs top to bottom.
    """

    @functools.wraps(func)
    def wrapper(answer, *args, **kwargs):
        if answer is Ellipsis or answer is None:
            return verdict(False, "replace the ... with your answer and run the cell again.")
        return func(answer, *args, **kwargs)

    return wrapper


def _as_array(answer, name="answer"):
    try:
        return np.asarray(answer)
    except Exception as exc:  # pragma: no cover - numpy accepts nearly anything
        raise TypeError(f"{name} could not be turned into an array: {exc}") from exc


def check_number(answer, expected, rel_tol=1e-3, abs_tol=1e-9, what="the value", hints=()):
    """Compare a number; ``hints`` is a list of (wrong_value, explanation) to recognise."""
    try:
        value = float(answer)
    except (TypeError, ValueError):
        return verdict(False, f"{what} should be a single number, got {answer!r}.")
    if np.isclose(value, expected, rtol=rel_tol, atol=abs_tol):
        return verdict(True, f"{what} is {expected:.6g}.")
    for wrong, explanation in hints:
        if np.isclose(value, wrong, rtol=rel_tol, atol=abs_tol):
            return verdict(False, explanation)
    direction = "too large" if value > expected else "too small"
    return verdict(False, f"{what} = {value:.6g} is {direction}.")


def check_array(answer, expected, what="the array", atol=1e-6):
    """Compare an array: shape first, then dtype kind, then values."""
    got = _as_array(answer)
    expected = np.asarray(expected)
    if got.shape != expected.shape:
        return verdict(False, f"{what} has shape {got.shape}; it should be {expected.shape}.")
    if not np.issubdtype(got.dtype, np.number) and got.dtype != bool:
        return verdict(False, f"{what} should hold numbers, got dtype {got.dtype}.")
    if not np.allclose(got, expected, atol=atol):
        wrong = int(np.sum(~np.isclose(got, expected, atol=atol)))
        return verdict(False, f"{what} has the right shape but {wrong} wrong entries.")
    return verdict(True, f"{what} matches, shape {expected.shape}.")


# --------------------------------------------------------------------------- notebook 01


@exercise
def exercise_01_1(answer, x_train):
    """Share of training pixels that are exactly 0 (a fraction between 0 and 1)."""
    expected = float(np.mean(np.asarray(x_train) == 0))
    return check_number(
        answer,
        expected,
        rel_tol=1e-4,
        what="the fraction of zero pixels",
        hints=[
            (expected * 100, "that looks like a percentage; give a fraction between 0 and 1."),
            (1 - expected, "that is the share of NON-zero (ink) pixels; count the zeros."),
        ],
    )


@exercise
def exercise_01_2(answer, y_train):
    """The digit with the most training images."""
    counts = np.bincount(np.asarray(y_train), minlength=10)
    expected = int(np.argmax(counts))
    try:
        value = int(answer)
    except (TypeError, ValueError):
        return verdict(False, f"answer with one digit 0-9, got {answer!r}.")
    if value == expected:
        return verdict(True, f"digit {expected} has the most images ({counts[expected]:,}).")
    if not 0 <= value <= 9:
        return verdict(False, f"{value} is not a digit; answer 0-9.")
    if counts[value] == counts.min():
        return verdict(False, f"digit {value} has the FEWEST images ({counts[value]:,}).")
    return verdict(
        False,
        f"digit {value} has {counts[value]:,} images; another digit has more. "
        "Try np.bincount(y_train).",
    )


@exercise
def exercise_01_3(answer, image):
    """Normalise one uint8 image to float32 in [0, 1]."""
    image = np.asarray(image)
    expected = image.astype(np.float32) / 255.0
    got = _as_array(answer)
    if got.shape != image.shape:
        return verdict(False, f"the shape changed to {got.shape}; keep it {image.shape}.")
    if got.dtype == np.uint8:
        return verdict(False, "still uint8: convert to float32 before dividing.")
    if got.max() > 1.0 + 1e-6:
        return verdict(
            False, f"the largest value is {got.max():.4g}; divide by 255 to reach [0, 1]."
        )
    if np.allclose(got, expected / 255.0, atol=1e-9) and image.max() > 0:
        return verdict(False, "divided by 255 twice: the values are far too small.")
    if got.dtype != np.float32:
        return verdict(False, f"values are right but the dtype is {got.dtype}; use float32.")
    if not np.allclose(got, expected, atol=1e-6):
        return verdict(False, "the values differ from image / 255.")
    return verdict(True, "float32 in [0, 1], pixel for pixel image / 255.")


@exercise
def exercise_01_4(answer, row: int, col: int):
    """Index of pixel (row, col) in the flattened 784-vector."""
    expected = 28 * row + col
    return check_number(
        answer,
        expected,
        rel_tol=0,
        abs_tol=0.5,
        what=f"the flat index of pixel (row {row}, column {col})",
        hints=[(28 * col + row, "rows and columns are swapped: the row counts 28 each.")],
    )
