"""Exercise checkers: a learner passes an answer, gets told what is right or what is wrong.

Every checker returns a :class:`Verdict` (truthy when correct) and prints one line, so in
a notebook ``checks.exercise_01_1(my_answer)`` is all a learner types. A wrong answer says
*what* is wrong (the shape, the sign, off by a factor of 255, ...), never just "wrong".

Checkers compute the expected answer themselves from the data they are given or from
first principles; none holds a hard-coded number that depends on the data set.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import io
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
    do instead of raising, so a notebook always runs top to bottom. An answer that holds
    text where numbers belong (a string, an array of strings) is told so in plain words
    instead of a NumPy error from deep inside the checker.
    """

    @functools.wraps(func)
    def wrapper(answer, *args, **kwargs):
        if answer is Ellipsis or answer is None:
            v = Verdict(False, "replace the ... with your answer and run the cell again.")
            _show_unanswered(v, func.__name__, expected_answer(func, *args, **kwargs))
            return v
        try:
            return func(answer, *args, **kwargs)
        except (TypeError, ValueError) as exc:
            if not _holds_text(answer):
                raise  # not the answer's fault: a checker's own argument is wrong
            return verdict(
                False,
                f"your answer holds text ({_short(answer)}); answer with numbers, e.g. 3 or "
                f"np.array([...]), not in quotes. ({type(exc).__name__})",
            )

    return wrapper


# --------------------------------------------------------------------------- the expected answer
#
# tests/test_exercise_answers.py checks that no output printed before an exercise shows its
# answer. The answer is the checker's own reference, obtained by *probing* the checker: it is
# called with a probe instead of an answer, and the first comparison it makes (check_number,
# check_integer, _check_count) reports what it compares with and the tolerance, instead of
# judging. A checker whose answer is code (a function to write) or an array has no single
# printed number to leak; the probe then finds none.


class _Expected(Exception):
    def __init__(self, value, rel_tol: float, abs_tol: float):
        super().__init__(value)
        self.found = {"value": float(value), "rel_tol": float(rel_tol), "abs_tol": float(abs_tol)}


class _ProbeAnswer:
    """Stands for an answer while probing; the number helpers read it as 0."""

    def __repr__(self) -> str:
        return "<probe>"


_PROBE = _ProbeAnswer()
_PROBING = contextvars.ContextVar("probing", default=False)
#: Output metadata key of an unanswered exercise's "Not yet" line.
METADATA_KEY = "mnist-series"


def _probe_point(expected, rel_tol: float, abs_tol: float) -> None:
    if _PROBING.get():
        raise _Expected(expected, rel_tol, abs_tol)


def expected_answer(func, *args, **kwargs) -> dict | None:
    """The number checker ``func`` (undecorated or decorated) compares an answer with, with
    its tolerance: ``{"value", "rel_tol", "abs_tol"}``; None when it compares no single number.
    Nothing is printed."""
    func = getattr(func, "__wrapped__", func)
    token = _PROBING.set(True)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            func(_PROBE, *args, **kwargs)
    except _Expected as found:
        return found.found
    except Exception:  # a checker that cannot take the probe compares no number
        return None
    finally:
        _PROBING.reset(token)
    return None


def _show_unanswered(v: Verdict, name: str, expected: dict | None) -> None:
    """Print the "Not yet" line; in a notebook kernel, as display data whose (invisible)
    metadata records the checker's expected answer for the tests."""
    try:
        from IPython import get_ipython
        from IPython.display import publish_display_data
    except ImportError:  # pragma: no cover - IPython is always there with Jupyter
        get_ipython = None
    shell = get_ipython() if get_ipython else None
    if shell is None or not hasattr(shell, "kernel"):
        print(repr(v))
        return
    record = {"checker": name, "expected": expected}
    publish_display_data({"text/plain": repr(v)}, metadata={METADATA_KEY: record})


def _holds_text(answer) -> bool:
    """Whether ``answer`` is text or an array/list holding text."""
    if isinstance(answer, (str, bytes)):
        return True
    try:
        kind = np.asarray(answer).dtype.kind
    except Exception:  # ragged lists and other odd objects
        return False
    return kind in "USO" and any(isinstance(a, (str, bytes)) for a in np.ravel(answer)[:1000])


def _short(answer) -> str:
    text = repr(answer)
    return text if len(text) <= 40 else text[:37] + "..."


def _as_array(answer, name="answer"):
    try:
        return np.asarray(answer)
    except Exception as exc:  # pragma: no cover - numpy accepts nearly anything
        raise TypeError(f"{name} could not be turned into an array: {exc}") from exc


#: Integer answers: how far from a whole number a float may be and still count as one
#: (relative to its size), e.g. 79510.0000001 for 79,510 (float arithmetic), not 3.7.
INTEGER_REL_TOL = 1e-9


def as_number(answer, what="the value"):
    """``(float value, None)`` for one real number, else ``(None, what is wrong)``.

    Refused: booleans (``True`` is not 1), text, arrays of more than one value, complex
    numbers, NaN and infinity. A one-element array or a NumPy scalar is fine.
    """
    if answer is _PROBE:
        return 0.0, None
    if isinstance(answer, (bool, np.bool_)):
        return None, f"{what} should be a number, not {answer!r} (a boolean)."
    if isinstance(answer, (str, bytes)):
        return None, f"{what} should be a single number, got the text {_short(answer)}."
    array = np.asarray(answer) if not np.isscalar(answer) else None
    if array is not None:
        if array.dtype == object or array.dtype.kind in "USb" or array.size != 1:
            shape = f"shape {array.shape}" if array.dtype != object else _short(answer)
            return None, f"{what} should be a single number, got {shape}."
        answer = array.reshape(()).item()
        if isinstance(answer, bool):
            return None, f"{what} should be a number, not {answer!r} (a boolean)."
    if isinstance(answer, (complex, np.complexfloating)):
        return None, f"{what} should be a real number, got {answer!r}."
    try:
        value = float(answer)
    except (TypeError, ValueError, OverflowError):
        return None, f"{what} should be a single number, got {_short(answer)}."
    if not np.isfinite(value):
        return None, f"{what} should be a finite number, got {value!r}."
    return value, None


def as_integer(answer, what="the value"):
    """``(int value, None)`` for a whole number, else ``(None, what is wrong)``.

    A float counts when it is within :data:`INTEGER_REL_TOL` (relative) of a whole number,
    so 79510.0000001 is 79,510 but 3.7 is not 3 and 100.4 is not 100.
    """
    value, problem = as_number(answer, what)
    if problem:
        return None, problem
    whole = round(value)
    if abs(value - whole) > INTEGER_REL_TOL * max(1.0, abs(value)):
        return None, f"{what} should be a whole number, got {value:.10g}."
    return int(whole), None


def check_integer(answer, expected: int, what="the value", hints=()):
    """Compare a whole number exactly (after :func:`as_integer`); ``hints`` as in
    :func:`check_number` (compared exactly too)."""
    _probe_point(expected, 0.0, 0.0)
    number, problem = as_number(answer, what)
    if problem:
        return verdict(False, problem)
    for wrong, explanation in hints:  # a hint may be a fraction (a count divided by 1024)
        if number != expected and np.isclose(number, wrong, rtol=INTEGER_REL_TOL, atol=0):
            return verdict(False, explanation)
    value, problem = as_integer(number, what)
    if problem:
        return verdict(False, problem)
    if value == int(expected):
        return verdict(True, f"{what} is {int(expected):,}.")
    direction = "too large" if value > expected else "too small"
    return verdict(False, f"{what} = {value:,} is {direction}.")


def check_number(answer, expected, rel_tol=1e-3, abs_tol=1e-9, what="the value", hints=()):
    """Compare a number within ``rel_tol`` (relative) or ``abs_tol`` (absolute), whichever
    is looser; ``hints`` is a list of (wrong_value, explanation) to recognise. Booleans,
    text, several values, NaN and infinity are refused with a message (:func:`as_number`)."""
    _probe_point(expected, rel_tol, abs_tol)
    value, problem = as_number(answer, what)
    if problem:
        return verdict(False, problem)
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


def _scalar(answer, what):
    """``(value, None)`` for a real, finite number; ``(None, verdict)`` saying what is wrong.

    Rejects what ``float()`` would quietly accept: ``True``/``False``, strings such as ``"0.5"``,
    NaN and infinities, and arrays of more than one number (the core's :func:`as_number`).
    """
    value, problem = as_number(answer, what)
    return (value, None) if problem is None else (None, verdict(False, problem))


def _whole(answer, what):
    """``(int, None)`` for a whole number (within :data:`INTEGER_REL_TOL` relative, as
    :func:`as_integer`); ``(None, verdict)`` otherwise."""
    value, problem = as_number(answer, what)
    if problem is not None:
        return None, verdict(False, problem)
    whole, problem = as_integer(value, what)
    if problem is not None:
        return None, verdict(
            False, f"{what} is a whole number; {value:g} is not: give the exact count."
        )
    return whole, None


# --------------------------------------------------------------------------- notebook 01


#: The frame of notebook 01: the outer 4 pixels on every side of a 28 x 28 image.
FRAME_WIDTH = 4


def _frame_mask(shape, width: int) -> np.ndarray:
    """True on the outer ``width`` pixels of every side of an image of ``shape``."""
    frame = np.ones(shape, dtype=bool)
    frame[width:-width, width:-width] = False
    return frame


def _frame_ink(x, width=FRAME_WIDTH):
    x = np.asarray(x)
    return (x[:, _frame_mask(x.shape[1:], width)] > 0).any(axis=1)


def _frame_mistakes(x, width: int) -> dict[str, float]:
    """What the typical wrong ``frame_ink_share(x, width)`` returns, by mistake."""
    x = np.asarray(x)
    share = float(np.mean(_frame_ink(x, width)))
    frame = _frame_mask(x.shape[1:], width)
    rows = np.zeros(x.shape[1:], dtype=bool)
    rows[:width], rows[-width:] = True, True
    total_ink = x.sum(dtype=np.int64)
    return {
        "fixed": float(np.mean(_frame_ink(x, FRAME_WIDTH))),
        "wider": float(np.mean(_frame_ink(x, width + 1))),
        "narrower": float(np.mean(_frame_ink(x, width - 1))) if width > 1 else np.nan,
        "percent": 100 * share,
        "without": 1 - share,
        "count": float(np.sum(_frame_ink(x, width))),
        "pixels": float(np.mean(x[:, frame] > 0)),
        "ink": float(x[:, frame].sum(dtype=np.int64) / total_ink) if total_ink else np.nan,
        "hole": float(np.mean((x[:, ~frame] > 0).any(axis=1))),
        "zero": 1.0,
        "rows": float(np.mean((x[:, rows] > 0).any(axis=1))),
        "columns": float(np.mean((x[:, rows.T] > 0).any(axis=1))),
    }


#: What each typical mistake of exercise 01_1 did, recognised by what it returns on every case.
_FRAME_MISTAKES = {
    "fixed": "your function ignores `width`: it always gives the share for a frame "
    f"{FRAME_WIDTH} pixels wide; use `width`.",
    "wider": "your frame is one pixel too wide (for width 4 it is 5 pixels wide): the frame is "
    "the first and last `width` rows and columns, images[:, :width] and images[:, -width:] "
    "(the middle images[:, width:-width, width:-width] is not frame).",
    "narrower": "your frame is one pixel too narrow (for width 4 it is 3 pixels wide): the "
    "frame is the first and last `width` rows and columns, images[:, :width] and "
    "images[:, -width:] (the middle images[:, width:-width, width:-width] is not frame).",
    "percent": "that looks like a percentage; return a fraction between 0 and 1.",
    "without": "that is the share WITHOUT ink in the frame; count the images with ink.",
    "count": "that is the NUMBER of images with ink in the frame; divide by the number of "
    "images (np.mean of the yes/no per image).",
    "pixels": "that is the share of inked frame PIXELS; count the IMAGES with any ink there: "
    "(images[:, frame] > 0).any(axis=1).",
    "ink": "that is the share of all the INK that lies in the frame (section 5's second "
    "number); count the IMAGES with any ink there.",
    "hole": "that is the share of images with ink in the MIDDLE, images[:, width:-width, "
    "width:-width]; the frame is everything outside it.",
    "zero": "every image counts: ink is a pixel ABOVE 0 (> 0), not >= 0.",
    "rows": "your frame has only the top and bottom rows; it also has the left and right "
    "`width` columns.",
    "columns": "your frame has only the left and right columns; it also has the top and "
    "bottom `width` rows.",
}


def _frame_cases():
    """Seven small test images, each inked in one place of its own (image 5 is blank paper)."""
    x = np.zeros((7, 28, 28), dtype=np.uint8)
    x[0, 0, 0] = 255  # a corner: in every frame
    x[1, 3, 14] = 90  # row 3: in the 4-pixel frame, not in the 2-pixel one
    x[2, 4, 14] = 90  # row 4: just inside the 4-pixel frame's hole
    x[3, 14, 27] = 1  # the last column, the faintest ink
    x[4, 14, 14] = 200  # centre only
    x[6, 12:16, 1] = 30  # a short faint stroke in column 1: in the 2- and 4-pixel frames
    return x


def _frame_result(value, call: str):
    """``(float, None)`` for one share returned by the learner's function, else
    ``(None, what is wrong)``."""
    if value is None:
        return None, f"{call} returned None: end your function with `return` and the share."
    number, problem = as_number(value, f"what {call} returned")
    if problem and np.ndim(value) == 1 and not _holds_text(value):
        problem += " One share for all the images: the mean of the yes/no per image."
    return number, problem


@exercise
def exercise_01_1(answer, x_test):
    """A function ``frame_ink_share(images, width)``: the share of images with ink.

    Ink is a pixel above 0 in the outer ``width``-pixel frame. The function is run on seven
    small images of the checker's own (widths 4 and 2) and on ``x_test`` (widths 4 and 2);
    its input must come back unchanged. A wrong function is recognised by what it returns on
    all four cases (a fixed width, a percentage, frame pixels instead of images, ...).
    """
    if not callable(answer):
        return verdict(
            False,
            "answer_1 should be your FUNCTION (answer_1 = frame_ink_share), not its result "
            f"(got a {type(answer).__name__}).",
        )
    x_test = np.asarray(x_test)
    small = _frame_cases()
    cases = [("seven small images", small, 4), ("seven small images", small, 2)]
    cases += [("x_test", x_test, FRAME_WIDTH), ("x_test", x_test, 2)]
    got, expected = [], []
    for name, images, width in cases:
        call = f"frame_ink_share({name}, width={width})"
        given = images.copy()
        try:
            value = answer(given, width)
        except Exception as exc:  # the learner's code: report what it raised, on which input
            return verdict(False, f"{call} raised {type(exc).__name__}: {exc}")
        if not np.array_equal(given, images):
            return verdict(False, "your function changed the images it was given; read only.")
        value, problem = _frame_result(value, call)
        if problem:
            return verdict(False, problem)
        got.append(value)
        expected.append(float(np.mean(_frame_ink(images, width))))
    got, expected = np.array(got), np.array(expected)
    if np.allclose(got, expected, rtol=1e-4, atol=1e-9):
        return verdict(
            True,
            f"right on the checker's images (widths 4 and 2); on x_test {expected[2]:.4f} of "
            "the test images have ink in the 4-pixel frame.",
        )
    for mistake, message in _FRAME_MISTAKES.items():
        wrong = np.array([_frame_mistakes(images, width)[mistake] for _, images, width in cases])
        if np.allclose(got, wrong, rtol=1e-4, atol=1e-9):
            return verdict(False, message)
    i = int(np.flatnonzero(~np.isclose(got, expected, rtol=1e-4, atol=1e-9))[0])
    name, _, width = cases[i]
    if name == "x_test":
        direction = "too large" if got[i] > expected[i] else "too small"
        return verdict(
            False, f"frame_ink_share(x_test, width={width}) returned {got[i]:.6g}: {direction}."
        )
    inked = [int(k) for k in np.flatnonzero(_frame_ink(small, width))]
    return verdict(
        False,
        f"frame_ink_share(seven small images, width={width}) returned {got[i]:.6g}; the share "
        f"is {expected[i]:.6g}: of the checker's seven images (each inked in one place, see "
        f"checks._frame_cases) images {inked} have ink in the {width}-pixel frame.",
    )


@exercise
def exercise_01_2(answer, x_train, y_train):
    """The digit whose training images have the highest mean pixel value (the most ink)."""
    value, problem = _whole(answer, "the digit")
    if problem is not None:
        return problem
    x, y = np.asarray(x_train), np.asarray(y_train)
    ink = np.array([x[y == d].mean() if np.any(y == d) else np.nan for d in range(10)])
    expected = int(np.nanargmax(ink))
    if not 0 <= value <= 9:
        return verdict(False, f"{value} is not a digit; answer 0-9.")
    if value == expected:
        return verdict(
            True, f"digit {expected} uses the most ink (mean pixel {ink[expected]:.2f})."
        )
    if value == int(np.nanargmin(ink)):
        return verdict(False, f"digit {value} uses the LEAST ink (mean pixel {ink[value]:.2f}).")
    if value == int(np.argmax(np.bincount(y, minlength=10))):
        return verdict(
            False, f"digit {value} has the most IMAGES; compare the mean pixel of each digit."
        )
    return verdict(
        False,
        f"digit {value} has a mean pixel of {ink[value]:.2f}; another digit has more ink. "
        "Try x_train[y_train == d].mean() for each d.",
    )


def _unit_float_verdict(got, image, where: str):
    """The verdict on one image (or batch) scaled to float32 in [0, 1]."""
    image = np.asarray(image)
    expected = image.astype(np.float32) / 255.0
    if got is None:
        return verdict(False, f"on {where} your function returned None: end it with `return`.")
    got = _as_array(got)
    if got.shape != image.shape:
        return verdict(
            False, f"on {where} the shape changed to {got.shape}; keep it {image.shape}."
        )
    if (
        np.issubdtype(got.dtype, np.integer)
        and image.max() > 0
        and np.array_equal(got, image // 255)
    ):
        return verdict(False, "// is floor division: every grey level below 255 became 0; use /.")
    if got.dtype == np.uint8:
        return verdict(False, "still uint8: convert to float32 before dividing.")
    if got.dtype == bool or not np.issubdtype(got.dtype, np.number):
        return verdict(False, f"the result should hold numbers, got dtype {got.dtype}.")
    if not np.isfinite(got).all():
        return verdict(False, f"on {where} the result holds NaN or infinite values.")
    if got.size == 0:  # nothing to scale: only the dtype can be wrong
        if got.dtype != np.float32:
            return verdict(False, f"on {where} the dtype is {got.dtype}; use float32.")
        return None
    if got.max() > 1.0 + 1e-6:
        return verdict(
            False, f"the largest value is {got.max():.4g}; divide by 255 to reach [0, 1]."
        )
    if np.allclose(got, expected / 255.0, atol=1e-9) and image.max() > 0:
        return verdict(False, "divided by 255 twice: the values are far too small.")
    if got.dtype != np.float32 and np.allclose(got, expected, atol=1e-3):
        return verdict(False, f"values are right but the dtype is {got.dtype}; use float32.")
    if not np.allclose(got, expected, atol=1e-6):
        if image.max() > 0 and np.allclose(got, image / 256.0, atol=1e-6):
            return verdict(False, "divided by 256; the largest grey level is 255.")
        if image.max() > 0 and np.allclose(got, image / image.max(), atol=1e-6):
            return verdict(
                False,
                f"divided by the largest value on {where} ({image.max()}), not by 255: a faint "
                "image would come out as dark as a bold one.",
            )
        return verdict(False, f"on {where} the values differ from images / 255.")
    return None


@exercise
def exercise_01_3(answer, image):
    """A function ``to_unit_float(images)``: uint8 grey levels to float32 in [0, 1].

    Run on ``image`` (one image), on a batch of the checker's own (0 and 255 included), on a
    faint image alone (no pixel above 85) and on an empty batch; the input must come back
    unchanged.
    """
    if not callable(answer):
        return verdict(
            False,
            "answer_3 should be your FUNCTION (answer_3 = to_unit_float), not its result "
            f"(got a {type(answer).__name__}).",
        )
    if getattr(answer, "__module__", None) == "helpers.data":
        return verdict(False, "that is the series' own helpers.data function: write yours.")
    rng = np.random.default_rng(1)
    batch = rng.integers(0, 256, size=(3, 28, 28), dtype=np.uint8)
    batch[0, 0, 0], batch[0, 0, 1] = 0, 255
    batch[1] //= 3  # a faint image: its largest grey level is about 85
    cases = [("your image", np.asarray(image)), ("a batch of three images", batch)]
    cases.append(("a faint image alone", batch[1:2].copy()))
    cases.append(("an empty batch", np.zeros((0, 28, 28), dtype=np.uint8)))
    for name, images in cases:
        given = images.copy()
        try:
            got = answer(given)
        except Exception as exc:  # the learner's code: report what it raised, on which input
            return verdict(False, f"on {name} your function raised {type(exc).__name__}: {exc}")
        if not np.array_equal(given, images) or given.dtype != images.dtype:
            return verdict(
                False,
                "your function changed the images it was given (an in-place division?); "
                "return a new array and leave the uint8 images as they were.",
            )
        result = _unit_float_verdict(got, images, name)
        if result is not None:
            return result
    return verdict(True, "float32 in [0, 1], pixel for pixel images / 255, the input untouched.")


@exercise
def exercise_01_4(answer, row: int, col: int):
    """Index of pixel (row, col) in the flattened 784-vector."""
    expected = 28 * row + col
    value, problem = _whole(answer, "the flat index")
    if problem is not None:
        return problem
    return check_number(
        value,
        expected,
        rel_tol=0,
        abs_tol=1e-9,
        what=f"the flat index of pixel (row {row}, column {col})",
        hints=[(28 * col + row, "rows and columns are swapped: the row counts 28 each.")],
    )


def _expected_best_of_k(k: int, n: int, p: float) -> float:
    """Exact expected maximum of k independent Binomial(n, p) / n scores."""
    from scipy import stats

    m = np.arange(n + 1)
    cdf = stats.binom.cdf(m, n, p)
    below = np.concatenate([[0.0], cdf[:-1]])
    return float(np.sum(m / n * (cdf**k - below**k)))


@exercise
def exercise_01_5(answer, n_test: int, k: int = 20, p: float = 0.98, n_before: int | None = None):
    """Experiment: optimism (percentage points) of the best of k models on n_test images."""
    answer, problem = _scalar(answer, "the optimism")
    if problem is not None:
        return problem
    expected = 100 * (_expected_best_of_k(k, n_test, p) - p)
    hints = [
        (expected / 100, "that looks like a fraction; give percentage points (x 100)."),
        (100 * p + expected, "that is the reported accuracy itself; subtract the true 98%."),
    ]
    if n_before:
        before = 100 * (_expected_best_of_k(k, n_before, p) - p)
        hints.insert(0, (before, f"that is the optimism with {n_before:,} images; use more."))
    v = check_number(
        answer,
        expected,
        rel_tol=0.1,
        abs_tol=0.005,
        what=f"the optimism of the best of {k} on {n_test:,} images (points)",
        hints=hints,
    )
    if v and n_before:
        before = 100 * (_expected_best_of_k(k, n_before, p) - p)
        print(
            f"  With {n_before:,} images it was {before:.3f} points: {n_test / n_before:g} times "
            f"the images, {before / expected:.2f} times less optimism (about "
            f"sqrt({n_test / n_before:g}) = {np.sqrt(n_test / n_before):.2f}). More test images "
            "shrink it, but never to 0: only not choosing on the test set does."
        )
    return v


# --------------------------------------------------------------------------- notebook 02


@exercise
def exercise_02_one_hot(answer):
    """A learner's ``my_one_hot(labels, k)``: (N,) integer labels -> (N, k) rows of 0 and 1, and
    a ``ValueError`` that names the label for any label outside 0..k-1.

    Called on a few batches of its own (k = 10 and k = 3, MNIST's uint8 labels, a single
    label) and compared with ``np.eye(k)[labels]``; then on labels k and -1, which NumPy's
    fancy indexing would reject with an IndexError or, for -1, silently put in column k-1.
    """
    if not callable(answer):
        return verdict(
            False,
            "answer should be your FUNCTION (answer = my_one_hot), not its result "
            f"(got a {type(answer).__name__}).",
        )
    cases = [
        ("labels [5, 0, 4, 1, 9] with k=10", np.array([5, 0, 4, 1, 9]), 10),
        ("labels [2, 0, 1, 1] with k=3", np.array([2, 0, 1, 1]), 3),
        ("uint8 labels 0-9 with k=10", np.arange(10, dtype=np.uint8)[::-1].copy(), 10),
        ("one label [0] with k=4", np.array([0]), 4),
    ]
    for name, labels, k in cases:
        given = labels.copy()
        try:
            got = answer(given, k)
        except Exception as exc:  # the learner's code: report what it raised, on which input
            return verdict(False, f"on {name} your function raised {type(exc).__name__}: {exc}.")
        if not np.array_equal(given, labels):
            return verdict(False, "your function changed the labels it was given; leave them.")
        got = _as_array(got)
        expected = np.eye(k)[labels]
        n = len(labels)
        if got.shape == (k, n) and n != k:
            return verdict(
                False,
                f"on {name} the result has shape {got.shape}: transposed. One ROW per label, "
                f"one column per class: shape (N, k) = {(n, k)}.",
            )
        if got.shape == (n, k + 1) or got.shape == (n, k - 1):
            return verdict(
                False,
                f"on {name} the result has {got.shape[1]} columns: off by one. Classes 0..k-1 "
                "are k columns: np.zeros((len(labels), k)).",
            )
        if got.shape != (n, k):
            return verdict(
                False,
                f"on {name} the result has shape {got.shape}; it should be {(n, k)}, one row "
                "per label and one column per class (use k, not a fixed 10).",
            )
        if got.dtype == bool or not np.issubdtype(got.dtype, np.number):
            return verdict(
                False, f"the rows should hold the numbers 0.0 and 1.0, got dtype {got.dtype}."
            )
        if np.allclose(got, expected, rtol=0, atol=1e-12):
            continue
        if np.allclose(got, np.roll(expected, -1, axis=1)) or np.allclose(
            got, np.roll(expected, 1, axis=1)
        ):
            return verdict(
                False,
                f"on {name} every 1 sits one column off: label c goes to column c (counted "
                "from 0), not c - 1 or c + 1.",
            )
        if np.allclose(got.sum(axis=1), 1.0):
            return verdict(
                False,
                f"on {name} a row has its 1 in the wrong column: row i gets column labels[i].",
            )
        return verdict(
            False, f"on {name} the rows are not one-hot: each needs exactly one 1, at its label."
        )
    for bad, labels, k in [(10, np.array([3, 10, 1]), 10), (-1, np.array([2, -1]), 10)]:
        try:
            got = answer(labels.copy(), k)
        except ValueError as exc:
            if str(bad) not in str(exc):
                return verdict(
                    False,
                    f"a ValueError for label {bad}, good, but its message ({str(exc)!r}) does "
                    f"not name the label: say which label is wrong and that labels must be in "
                    f"0..k-1, e.g. f'label {{bad}} is outside 0..{{k - 1}}'.",
                )
            continue
        except IndexError as exc:
            return verdict(
                False,
                f"label {bad} with k={k} raised NumPy's IndexError ({exc}): not a clear error "
                "for the person who passed the labels. Check the range first and raise "
                "ValueError naming the label and 0..k-1.",
            )
        except Exception as exc:  # the learner's code
            return verdict(
                False,
                f"label {bad} with k={k} raised {type(exc).__name__} ({exc}); raise a "
                "ValueError that names the label and the allowed range 0..k-1.",
            )
        got = np.asarray(got)
        if bad < 0:
            return verdict(
                False,
                f"label -1 with k={k} was accepted: NumPy reads index -1 as the LAST column, "
                f"so it silently became class {k - 1}. Check labels.min() >= 0 and raise a "
                "ValueError.",
            )
        return verdict(
            False,
            f"label {bad} with k={k} was accepted (result shape {got.shape}): classes are "
            "0..k-1; raise a ValueError naming the label instead of growing the array.",
        )
    return verdict(
        True,
        "your my_one_hot equals np.eye(k)[labels] for k = 10 and k = 3, and rejects labels k "
        "and -1 with a ValueError that names them.",
    )


def _log_softmax_rows(z):
    from scipy.special import log_softmax

    return log_softmax(np.asarray(z, dtype=float), axis=1)


@exercise
def exercise_02_cross_entropy(answer):
    """A learner's ``my_cross_entropy(logits, y)``: the MEAN over the batch of
    -sum_k y_k ln softmax(z)_k, finite for logits in the thousands (log-sum-exp).

    Compared, on batches of its own (small logits, logits in the thousands, rows far apart,
    soft targets), with Keras's ``categorical_crossentropy(y, z, from_logits=True)``
    averaged over the batch, within 1e-6 relative (the cases are float64 arrays, and
    Keras keeps their precision).
    """
    import warnings

    import keras

    if not callable(answer):
        return verdict(
            False,
            "answer should be your FUNCTION (answer = my_cross_entropy), not its result "
            f"(got a {type(answer).__name__}).",
        )
    rng = np.random.default_rng(2)
    eye = np.eye(10)
    small = rng.normal(size=(6, 10))
    y_small = eye[[3, 1, 4, 1, 5, 9]]
    huge = rng.normal(scale=1000.0, size=(5, 10))
    y_huge = eye[[2, 7, 1, 8, 2]]
    apart = np.array([[0.0, 1.0, 2.0, -1.0], [3000.0, 3001.0, 2999.0, 3002.0]])
    y_apart = np.eye(4)[[1, 2]]
    soft = rng.normal(scale=3.0, size=(4, 5))
    y_soft = np.full((4, 5), 0.1 / 4)
    y_soft[np.arange(4), [0, 4, 2, 2]] = 0.9
    cases = [
        ("small logits (6 x 10)", small, y_small),
        ("logits in the thousands (5 x 10)", huge, y_huge),
        ("rows far apart (2 x 4)", apart, y_apart),
        ("soft targets, label smoothing (4 x 5)", soft, y_soft),
    ]
    for name, z, y in cases:
        z_given, y_given = z.copy(), y.copy()
        expected = float(
            np.mean(
                keras.ops.convert_to_numpy(
                    keras.losses.categorical_crossentropy(y, z, from_logits=True)
                )
            )
        )
        try:
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                got = answer(z_given, y_given)
        except Exception as exc:  # the learner's code
            hint = ""
            if "broadcast" in str(exc):
                hint = (
                    " A row's maximum or sum needs keepdims=True (shape (N, 1)) to be "
                    "subtracted from every entry of that row."
                )
            return verdict(
                False, f"on {name} your function raised {type(exc).__name__}: {exc}.{hint}"
            )
        if not (np.array_equal(z_given, z) and np.array_equal(y_given, y)):
            return verdict(False, "your function changed its input arrays; compute on copies.")
        got = _as_array(got)
        n = len(z)
        if got.shape == (n,):
            return verdict(
                False,
                f"on {name} you returned one loss per example, shape {got.shape}: return their "
                "MEAN over the batch, one number (what Keras's loss reports).",
            )
        if got.size != 1 or got.dtype == bool or not np.issubdtype(got.dtype, np.number):
            return verdict(False, f"on {name} the result should be one number, got {_short(got)}.")
        value = float(got.reshape(()))
        if not np.isfinite(value):
            return verdict(
                False,
                f"inf or NaN on {name}: exp overflows above about 709 (or a row's exp all "
                "underflow to 0). Use log-sum-exp with each ROW's own maximum m: "
                "ln sum_j e^(z_j) = m + ln sum_j e^(z_j - m).",
            )
        if np.isclose(value, expected, rtol=1e-6, atol=1e-9):
            continue
        log_p = _log_softmax_rows(z)
        per_example = -np.sum(y * log_p, axis=1)
        hard = -log_p[np.arange(n), y.argmax(axis=1)]
        by_column = -np.sum(y * _log_softmax_rows(z.T).T, axis=1)
        row_max = z.max(axis=1) * y.sum(axis=1)  # y sums to 1: the m of each row, once
        for wrong, explanation in [
            (
                expected - row_max.mean(),
                "you left m out: ln sum_j e^(z_j) = m + ln sum_j e^(z_j - m); subtracting m "
                "inside the exp must be undone by adding m outside the log.",
            ),
            (
                expected + row_max.mean(),
                "m is counted twice: either subtract m from z and use ln sum_j e^(z_j - m), "
                "or keep z and use m + ln sum_j e^(z_j - m), not both.",
            ),
            (-expected, "the sign is flipped: the loss is MINUS the log-probability."),
            (
                per_example.sum(),
                f"that is the SUM over the batch ({n} examples); the loss is the MEAN: "
                "divide by N.",
            ),
            (expected / np.log(2), "that is log2 (bits); cross-entropy uses the natural log."),
            (expected / np.log(10), "that is log10; cross-entropy uses the natural log."),
            (
                by_column.mean(),
                "wrong axis: your softmax runs down the COLUMNS (over the batch); it runs over "
                "the classes of one example, axis=1, with keepdims=True.",
            ),
            (
                hard.mean(),
                "you used only the class where y is largest; with soft targets every class "
                "counts: -sum_k y_k ln p_k.",
            ),
            (
                np.mean(np.minimum(per_example, -np.log(1e-7))),
                "your loss is capped near 16.12: a clipped probability. Compute ln p from the "
                "logits, z - logsumexp(z), without forming p.",
            ),
        ]:
            if np.isclose(value, wrong, rtol=1e-6, atol=1e-9) and not np.isclose(
                wrong, expected, rtol=1e-6, atol=1e-9
            ):
                return verdict(False, f"on {name}: {explanation}")
        return verdict(
            False,
            f"on {name} your loss is {value:.6g}; Keras's categorical_crossentropy("
            f"from_logits=True), averaged, gives {expected:.6g}.",
        )
    return verdict(
        True,
        "your my_cross_entropy equals Keras's categorical_crossentropy(from_logits=True), "
        "averaged over the batch, on small logits, logits in the thousands, rows far apart "
        "and soft targets.",
    )


def _rows_softmax(z):
    """Reference softmax of every row, from SciPy (independent of helpers.losses)."""
    from scipy.special import softmax

    return softmax(np.asarray(z, dtype=float), axis=1)


@exercise
def exercise_02_2(answer, logits=None):
    """A learner's stable softmax for a batch: a function from (N, K) scores to (N, K) rows.

    It is called on small scores, on scores in the thousands, on a batch whose rows lie
    far apart and on a row whose scores lie 1,505 apart (subtracting the row's minimum or
    mean overflows there, only the maximum works), and compared with
    ``scipy.special.softmax(z, axis=1)`` to 1e-9. ``logits``
    adds one more batch to try.
    """
    import warnings

    if not callable(answer):
        return verdict(
            False,
            "answer should be your FUNCTION (answer = my_softmax), not its result "
            f"(got a {type(answer).__name__}).",
        )
    small = np.array([[2.0, 1.0, 0.1, -1.0], [0.5, 2.5, -1.0, 0.0], [0.0, 0.0, 0.0, 0.0]])
    square = np.array([[1.0, 2.0, 3.0], [0.0, -1.0, 4.0], [2.0, 2.0, -3.0]])
    huge = np.array([[1000.0, 1001.0, 1002.0], [-1000.0, -1001.0, -1003.0]])
    apart = np.array([[0.0, 1.0, 2.0], [1000.0, 1001.0, 1002.0]])
    spread = np.array([[-5.0, 1500.0, 0.0], [2.0, 1.0, 0.0]])  # 1505 apart within a row
    cases = [("small scores", small), ("a square batch", square)]
    cases += [("scores in the thousands", huge), ("rows far apart", apart)]
    cases += [("a row whose scores lie 1,505 apart", spread)]
    if logits is not None and np.ndim(logits) == 2:
        cases.append(("your batch", np.asarray(logits, dtype=float)))
    for name, z in cases:
        given = z.copy()
        try:
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                got = np.asarray(answer(given), dtype=float)
        except Exception as exc:  # the learner's code: report what it raised, on which input
            hint = ""
            if "broadcast" in str(exc):
                hint = " Divide each row by its own sum: .sum(axis=1, keepdims=True)."
            return verdict(
                False,
                f"on {name} {z.shape} your function raised {type(exc).__name__}: {exc}.{hint}",
            )
        if not np.array_equal(given, z):
            return verdict(
                False,
                "your function changed its input array; compute on a copy (z - max makes one).",
            )
        expected = _rows_softmax(z)
        if got.shape != z.shape:
            return verdict(
                False, f"on {name} the result has shape {got.shape}; it should be {z.shape}."
            )
        if not np.isfinite(got).all() and z is spread:
            return verdict(
                False,
                f"inf or NaN on {name} ({z[0].tolist()}): subtracting the row's minimum or "
                "mean still leaves exponents far above 709. Subtract the row's MAXIMUM: then "
                "every exponent is <= 0 and the largest term is e^0 = 1.",
            )
        if not np.isfinite(got).all():
            one_row = np.array([[1000.0, 1001.0, 1002.0]])
            try:
                with np.errstate(all="ignore"), warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    alone = np.asarray(answer(one_row.copy()), dtype=float)
                handles_one_row = np.allclose(alone, _rows_softmax(one_row), atol=1e-9)
            except Exception:  # the learner's code
                handles_one_row = False
            if handles_one_row:
                return verdict(
                    False,
                    f"NaN on {name}: subtract each ROW's own maximum "
                    "(z.max(axis=1, keepdims=True)); one maximum for the whole batch makes "
                    "every exp of a much lower row 0, and 0 / 0 is NaN.",
                )
            return verdict(
                False,
                f"inf or NaN on {name}: exp overflows above about 709; subtract each row's "
                "maximum before exp (section 2).",
            )
        if np.allclose(got, expected, rtol=0, atol=1e-9):
            continue
        e = np.exp(z - z.max(axis=1, keepdims=True))
        if np.allclose(got, e, atol=1e-9) or np.allclose(got, np.exp(z), atol=1e-9):
            return verdict(False, "the rows do not sum to 1: divide exp by each row's sum.")
        if np.isclose(got.sum(), 1.0, atol=1e-6):
            return verdict(
                False,
                "the whole batch sums to 1: divide by each ROW's sum (axis=1), not by one total.",
            )
        if np.allclose(got.sum(axis=0), 1.0, atol=1e-6):
            return verdict(
                False, "each COLUMN sums to 1: sum along axis=1, over the classes of one image."
            )
        if z.shape[0] == z.shape[1] and np.allclose(got, e / e.sum(axis=1), atol=1e-9):
            return verdict(
                False,
                "each row is divided by the wrong sum: without keepdims=True the row sums "
                "are spread along the columns. Use .sum(axis=1, keepdims=True).",
            )
        if np.allclose(got.sum(axis=1), 1.0, atol=1e-6) and np.allclose(got, expected, atol=1e-6):
            return verdict(
                False,
                f"on {name} the values are off by up to {np.max(np.abs(got - expected)):.2g}: "
                "float32 rounding. Compute in float64, NumPy's default (no astype(np.float32)); "
                "the checker compares to 1e-9.",
            )
        if np.allclose(got.sum(axis=1), 1.0, atol=1e-6):
            return verdict(
                False,
                f"on {name} the rows sum to 1 but the values are off by up to "
                f"{np.max(np.abs(got - expected)):.2g}: exp of (z - row max), then divide.",
            )
        return verdict(
            False,
            f"on {name} the result differs from softmax by up to "
            f"{np.max(np.abs(got - expected)):.2g}, and its rows do not sum to 1.",
        )
    return verdict(
        True,
        "your softmax matches scipy.special.softmax on small scores, scores in the thousands, "
        "rows far apart and a row whose own scores lie far apart.",
    )


@exercise
def exercise_02_constant_loss(answer, labels):
    """The lowest mean cross-entropy a CONSTANT predictor (the same q for every image)
    reaches on ``labels``: q = the class frequencies f, loss = -sum_k f_k ln f_k."""
    answer, problem = _scalar(answer, "the lowest loss of a constant predictor")
    if problem is not None:
        return problem
    labels = np.asarray(labels).astype(int).ravel()
    k = max(10, int(labels.max()) + 1)
    f = np.bincount(labels, minlength=k) / len(labels)
    seen = f[f > 0]
    expected = float(-np.sum(seen * np.log(seen)))
    uniform = float(np.log(k))
    tolerance = 6e-5  # the minimum printed to 4 decimals passes; ln 10 is 1.4e-3 away on MNIST
    _probe_point(expected, 0.0, tolerance)
    value, _ = _scalar(answer, "the lowest loss of a constant predictor")
    if abs(value - expected) <= tolerance:
        return verdict(
            True,
            f"the best constant predictor gives each digit its frequency and scores "
            f"{expected:.5f}, {uniform - expected:.5f} below ln {k} = {uniform:.5f}: the classes "
            "are not exactly balanced. Any model must beat this to have learned anything "
            "from the images.",
        )
    hints = [
        (
            uniform,
            f"that is ln {k}, the uniform guess 1/{k}; a constant guess can do better: "
            "give each digit its share of the labels.",
        ),
        (expected * len(labels), "that is the SUM over the images; report the MEAN loss."),
        (expected / np.log(2), "that is in bits (log2); use the natural log, np.log."),
        (expected / np.log(10), "that is log10; use the natural log, np.log."),
        (-expected, "the sign is flipped: the loss is MINUS the mean log-probability."),
    ]
    for wrong, explanation in hints:
        if np.isclose(value, wrong, rtol=1e-4, atol=2e-5):
            return verdict(False, explanation)
    for decimals in (1, 2, 3):
        if abs(value - round(expected, decimals)) < 1e-12:
            return verdict(
                False,
                f"{value:g} looks rounded: too coarse to tell the best "
                "constant predictor from a worse one. Give the number your code computes, "
                f"unrounded (the checker accepts it within {tolerance:g}).",
            )
    if value < expected:
        return verdict(
            False,
            f"{value:.6g} is below what any constant predictor can reach on these labels: "
            "check that you average -ln q[label] over the labels, with q summing to 1.",
        )
    if value < uniform:
        return verdict(
            False,
            f"{value:.6g} beats ln {k}, but a constant guess can go lower still: try "
            "q = the share of each digit among the labels (np.bincount).",
        )
    return verdict(
        False,
        f"{value:.6g} is not below ln {k} = {uniform:.5f}: the uniform guess already does "
        "that well. Try q = the share of each digit among the labels.",
    )


# --------------------------------------------------------------------------- notebook 03


def _sizes_text(layer_sizes) -> str:
    return "-".join(str(s) for s in layer_sizes)


def _check_count(answer, expected: int, what: str, hints=()):
    """An exact whole number (a count of parameters, bytes, operations), shown with commas."""
    _probe_point(expected, 0.0, 0.0)
    value, problem = _scalar(answer, what)
    if problem is not None:
        return problem
    for wrong, explanation in hints:  # first: a recognised mistake may be a fraction (KiB)
        if wrong != expected and np.isclose(value, wrong, rtol=1e-9, atol=1e-9):
            return verdict(False, explanation)
    value, problem = _whole(value, what)
    if problem is not None:
        return problem
    if value == expected:
        return verdict(True, f"{what}: {expected:,}.")
    direction = "too large" if value > expected else "too small"
    return verdict(False, f"{what}: {value:,} is {direction}.")


def _count_hints(sizes):
    """(wrong count, explanation) of the typical mistakes in counting a plain MLP."""
    pairs = [(sizes[i], sizes[i + 1]) for i in range(len(sizes) - 1)]
    weights = sum(a * b for a, b in pairs)
    right = sum((a + 1) * b for a, b in pairs)
    hints = [
        (weights, "only the weights: add one bias per output unit."),
        (sum(a * (b + 1) for a, b in pairs), "biases go with the OUTPUT units: (in + 1) x out."),
        (
            right + sizes[0],
            "the input layer has no biases: it is data, not a layer of neurons.",
        ),
        (
            weights + sum(sizes),
            "the input layer has no biases: it is data, not a layer of neurons.",
        ),
    ]
    if len(pairs) > 1:
        hints += [
            (
                right - (sizes[-2] + 1) * sizes[-1],
                "off by one layer: the output layer is missing (there are len(sizes) - 1 Dense "
                "layers, one per pair of neighbouring widths).",
            ),
            (
                right - (sizes[0] + 1) * sizes[1],
                "off by one layer: the first Dense layer (input to first hidden) is missing; "
                "there is one per pair of neighbouring widths.",
            ),
        ]
    return hints


def _bn_hints(sizes):
    """(wrong count, explanation) of the typical mistakes with BatchNorm (4 per hidden unit)."""
    dense = sum((sizes[i] + 1) * sizes[i + 1] for i in range(len(sizes) - 1))
    hidden = sum(sizes[1:-1])
    return [
        (dense, "batchnorm=True: add the BatchNormalization layers, 4 numbers per hidden unit."),
        (
            dense + 2 * hidden,
            "that is the TRAINABLE count; count_params() also counts the moving mean and "
            "variance: 4 per hidden unit.",
        ),
        (
            dense + 4 * hidden + 4 * sizes[-1],
            "a BatchNormalization after the OUTPUT layer too; only after the hidden ones.",
        ),
        (
            dense + 4 * sum(sizes[:-1]),
            "a BatchNormalization on the input too; only after the hidden layers.",
        ),
    ]


def _keras_count(sizes, batchnorm=False) -> int:
    """``count_params()`` of a Keras MLP with these widths: the checker's reference."""
    import keras

    layers = [keras.Input(shape=(sizes[0],))]
    for units in sizes[1:-1]:
        layers.append(keras.layers.Dense(units))
        if batchnorm:
            layers.append(keras.layers.BatchNormalization())
    layers.append(keras.layers.Dense(sizes[-1]))
    return keras.Sequential(layers).count_params()


def _architectures_03():
    """(sizes, batchnorm) the checker draws itself: no hidden layer, tiny, random deep ones,
    and some of them with BatchNorm."""
    rng = np.random.default_rng(3)
    cases = [[784, 64, 32, 10], [784, 10], [3, 2, 4]]
    for depth in (1, 3, 4):
        hidden = [int(n) for n in rng.integers(2, 400, size=depth)]
        cases.append([int(rng.integers(10, 1000)), *hidden, int(rng.integers(2, 20))])
    return [(sizes, False) for sizes in cases] + [
        ([784, 64, 32, 10], True),
        ([784, 10], True),
        (cases[-1], True),
    ]


def _call_learner(func, name, *args, **kwargs):
    """``(result, None)`` or ``(None, verdict)`` when the learner's function raised."""
    try:
        return func(*args, **kwargs), None
    except Exception as exc:  # a learner's function may raise anything
        shown = ", ".join([_short(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()])
        message = f"{name}({shown}) raised {type(exc).__name__}: {exc}"
        if isinstance(exc, TypeError) and "batchnorm" in str(exc):
            message += f" (give it a second argument: def {name}(sizes, batchnorm=False))"
        return None, verdict(False, message)


@exercise
def exercise_03_1(answer, layer_sizes=None):
    """Your function ``count_parameters(sizes, batchnorm=False)``: what Keras's
    ``count_params()`` says for an MLP with these widths (input first), biases included, and
    with ``batchnorm=True`` a BatchNormalization after every hidden Dense layer. The checker
    builds Keras models of architectures of its own and compares.

    For one architecture ``layer_sizes`` a number is checked too (the checker's number form)."""
    if not callable(answer):
        if layer_sizes is None:
            return verdict(
                False, f"answer your function count_parameters (no brackets), got {_short(answer)}."
            )
        sizes = [int(n) for n in layer_sizes]
        return _check_count(
            answer,
            _keras_count(sizes),
            what=f"parameters of {_sizes_text(sizes)}",
            hints=_count_hints(sizes),
        )
    for sizes, batchnorm in _architectures_03():
        kwargs = {"batchnorm": True} if batchnorm else {}
        got, problem = _call_learner(answer, "count_parameters", list(sizes), **kwargs)
        if problem is not None:
            return problem
        if got is None:
            return verdict(False, "count_parameters returned None: did you forget `return`?")
        expected = _keras_count(sizes, batchnorm)
        what = f"count_parameters({sizes}{', batchnorm=True' if batchnorm else ''})"
        hints = _bn_hints(sizes) if batchnorm else _count_hints(sizes)
        with contextlib.redirect_stdout(io.StringIO()):  # one message, below
            v = _check_count(got, expected, what=what, hints=hints)
        if not v:
            return verdict(
                False, f"{v.message} (Keras's count_params() of that network: {expected:,})"
            )
    n = len(_architectures_03())
    return verdict(
        True,
        f"count_parameters equals Keras's count_params() on {n} networks of the checker's "
        "own, from 784-10 (no hidden layer) to four hidden layers, with and without BatchNorm.",
    )


def _judge_model(model, sizes, batchnorm):
    """What is wrong with ``model`` as the ReLU MLP ``sizes`` (softmax output; with
    ``batchnorm``, a BatchNormalization after every hidden Dense layer), or None."""
    import keras

    from helpers import models

    hidden = sizes[1:-1]
    if not isinstance(model, keras.Model):
        return (
            f"build_mlp should return a Keras model (keras.Sequential([...])), got {_short(model)}."
        )
    if not model.built or not model.inputs:
        return f"the model has no input: start it with keras.Input(shape=({sizes[0]},))."
    if tuple(model.inputs[0].shape[1:]) != (sizes[0],):
        return (
            f"the input has shape {tuple(model.inputs[0].shape[1:])}; it should be "
            f"({sizes[0]},), the first width."
        )
    layers = [
        layer
        for layer in model.layers
        if isinstance(layer, (keras.layers.Dense, keras.layers.BatchNormalization))
    ]
    dense = [layer for layer in layers if isinstance(layer, keras.layers.Dense)]
    units = [layer.units for layer in dense]
    if units != sizes[1:]:
        return f"the Dense layers have {units} units; they should have {sizes[1:]}."
    if dense[-1].activation is not keras.activations.softmax:
        return "the last Dense layer should output probabilities: activation='softmax'."
    if any(layer.activation is not keras.activations.relu for layer in dense[:-1]):
        return "the hidden Dense layers should use activation='relu'."
    if any(not layer.use_bias for layer in dense):
        return "a Dense layer has use_bias=False; keep the biases."
    kinds = [
        "bn" if isinstance(layer, keras.layers.BatchNormalization) else "dense" for layer in layers
    ]
    if not batchnorm and "bn" in kinds:
        return "with batchnorm=False the model should have no BatchNormalization layer."
    if batchnorm:
        if kinds[0] == "bn":
            return (
                f"a BatchNormalization comes before the first Dense layer: that normalises the "
                f"{sizes[0]} inputs. Put one AFTER each hidden Dense layer."
            )
        if kinds[-1] == "bn":
            return (
                "a BatchNormalization follows the output layer; BatchNorm goes after the hidden "
                "layers only (the output's scores go straight into the softmax)."
            )
        if kinds != ["dense", "bn"] * len(hidden) + ["dense"]:
            return (
                f"with batchnorm=True put exactly one BatchNormalization after each of the "
                f"{len(hidden)} hidden Dense layers; the model has {kinds.count('bn')}."
            )
    expected = models.count_params(sizes, batchnorm=batchnorm)
    got = models.keras_counts(model)
    if got != expected:  # pragma: no cover - the layers above fix the count
        return f"the model counts {got}, the hand count {expected}."
    return None


def _build_cases_03():
    """(sizes, batchnorm) the build_mlp checker builds: the exercise's, no hidden layer, small."""
    return [
        ([784, 128, 64, 10], False),
        ([784, 200, 50, 10], True),
        ([784, 10], False),
        ([784, 10], True),
        ([30, 8, 6, 5, 4], True),
    ]


@exercise
def exercise_03_2(answer):
    """Your function ``build_mlp(sizes, batchnorm=False)``: a ``keras.Sequential`` ReLU MLP
    with the widths ``sizes`` (input first; softmax output), with ``batchnorm=True`` a
    BatchNormalization after every hidden Dense layer. The checker builds networks of its
    own with it and reads their layers and counts."""
    import keras

    from helpers import models

    if isinstance(answer, keras.Model) or not callable(answer):
        return verdict(
            False,
            f"answer your function build_mlp (no brackets), not a model or a number; got "
            f"{_short(answer)}.",
        )
    for sizes, batchnorm in _build_cases_03():
        model, problem = _call_learner(answer, "build_mlp", list(sizes), batchnorm=batchnorm)
        if problem is not None:
            return problem
        wrong = _judge_model(model, list(sizes), batchnorm)
        if wrong is not None:
            return verdict(False, f"build_mlp({sizes}, batchnorm={batchnorm}): {wrong}")
    sizes = [784, 200, 50, 10]
    counts = models.count_params(sizes, batchnorm=True)
    return verdict(
        True,
        f"build_mlp builds all {len(_build_cases_03())} networks right. With batchnorm=True, "
        f"{_sizes_text(sizes)} has {counts['non_trainable']:,} non-trainable parameters (a "
        f"moving mean and a moving variance for each of its {sum(sizes[1:-1])} hidden units) "
        f"and {counts['trainable']:,} trainable. Was your prediction right?",
    )


def _step_cases_03():
    """(sizes, batch) the training-step checker runs a learner's function on."""
    rng = np.random.default_rng(30)
    cases = [([784, 400, 200, 10], 32), ([784, 10], 1), ([20, 7, 5, 3], 5)]
    hidden = [int(n) for n in rng.integers(2, 300, size=3)]
    cases.append(([int(rng.integers(10, 900)), *hidden, 10], int(rng.integers(2, 600))))
    return cases


def _step_hints(sizes, batch):
    """(wrong count, explanation) of the typical mistakes in the training-step rule."""
    pairs = [(sizes[i], sizes[i + 1]) for i in range(len(sizes) - 1)]
    forward = sum(a * b for a, b in pairs)
    first, last = pairs[0][0] * pairs[0][1], pairs[-1][0] * pairs[-1][1]
    step = 3 * forward - first
    with_biases = 3 * sum((a + 1) * b for a, b in pairs) - (pairs[0][0] + 1) * pairs[0][1]
    return [
        (step, "that is one image: multiply by the batch (every image goes through the step)."),
        (
            3 * forward * batch,
            "that also computes the gradient for the input pixels; the first layer skips it.",
        ),
        (
            (3 * forward - last) * batch,
            "the LAST layer's input gradient was skipped; it is the FIRST layer whose input "
            "gradient nobody needs (below it are the pixels).",
        ),
        (
            (step - first) * batch,
            "the first layer's WEIGHT gradient x^T delta was skipped too; only its INPUT "
            "gradient is left out (W1 still needs its gradient to learn).",
        ),
        (2 * forward * batch, "forward + weight gradients; add the gradients passed down."),
        (forward * batch, "that is the forward pass alone; add the backward pass."),
        (2 * step * batch, "that counts FLOPs (a multiply AND an add); give multiply-adds."),
        (with_biases * batch, "biases are added, not multiplied: count in x out per layer."),
    ]


@exercise
def exercise_03_3(answer):
    """Your function ``training_step_madds(sizes, batch)``: the multiply-adds of one training
    step (forward and backward) on a batch of ``batch`` images, by the series' rule (section 6).
    The checker runs it on architectures and batch sizes of its own."""
    from helpers import models

    if not callable(answer):
        return verdict(
            False, f"answer your function training_step_madds (no brackets), got {_short(answer)}."
        )
    cases = _step_cases_03()
    for sizes, batch in cases:
        got, problem = _call_learner(answer, "training_step_madds", list(sizes), batch)
        if problem is not None:
            return problem
        if got is None:
            return verdict(False, "training_step_madds returned None: did you forget `return`?")
        expected = models.cost(sizes)["train_mult_adds_per_image"] * batch
        what = f"training_step_madds({sizes}, {batch})"
        with contextlib.redirect_stdout(io.StringIO()):  # one message, below
            v = _check_count(got, expected, what=what, hints=_step_hints(sizes, batch))
        if not v:
            return verdict(False, v.message)
    return verdict(
        True,
        f"training_step_madds follows the rule on {len(cases)} networks and batch sizes of "
        "the checker's own (one Dense layer, three, four; batches of 1 to hundreds).",
    )


# ------------------------------------------------ notebook 05: training dynamics, its exercises


#: exercise_05_symmetry's set-up: the first layer's weights all start at this value.
SYMMETRY_START = 0.05


def symmetry_experiment(x, y, width=16, equal_output_layer=False, seed=0):
    """exercise_05_symmetry's experiment: MLP([784, width, 10], seed), every first-layer weight at
    ``SYMMETRY_START`` and its biases at 0 (the output layer keeps its random start,
    unless ``equal_output_layer``), one epoch of SGD (batch 32, lr 0.1) on ``x, y``.

    Returns (the largest difference between two hidden units, the largest distance any
    first-layer weight moved): ``np.ptp(W[0], axis=1).max()`` and ``|W[0] - start|.max()``.
    """
    net = _symmetry_net(x, y, width, equal_output_layer, seed)
    spread = float(np.ptp(net.W[0], axis=1).max())
    moved = float(np.abs(net.W[0] - SYMMETRY_START).max())
    return spread, moved


def _symmetry_net(x, y, width=16, equal_output_layer=False, seed=0):
    """The net :func:`symmetry_experiment` trains, after its epoch."""
    from helpers.numpy_nn import MLP

    x = np.asarray(x).reshape(len(x), -1)
    net = MLP([x.shape[1], width, 10], seed=seed)
    weights = net.get_weights()
    weights[0] = np.full_like(weights[0], SYMMETRY_START)
    weights[1] = np.zeros_like(weights[1])
    if equal_output_layer:
        weights[2] = np.full_like(weights[2], SYMMETRY_START)
    net.set_weights(weights)
    net.fit(x, y, epochs=1, batch_size=32, lr=0.1, verbose=0)
    return net


def _near_miss(value, expected, rtol, measured_how):
    """A verdict for an answer a few times the tolerance away (a rounded or slightly
    different measurement), else None."""
    if not np.isclose(value, expected, rtol=10 * rtol, atol=0):
        return None
    off = abs(value - expected) / abs(expected)
    return verdict(
        False,
        f"close, but {off:.2%} from the checker's measurement, more than the {rtol:.1%} it "
        "accepts. Pass the value your code computed, not a rounded one; if you did, "
        f"{measured_how}",
    )


def momentum_buildup_steps(mu=0.9, share=0.9) -> int:
    """How many momentum steps, from v = 0 under a constant gradient, until a step is at least
    ``share`` of its limit lr g / (1 - mu): the smallest t with 1 - mu^t >= share."""
    step, limit, t = 0.0, 1 / (1 - mu), 0
    while step < share * limit * (1 - 1e-12):
        step = mu * step + 1.0  # v_t = mu v_{t-1} - lr g, with lr g = -1
        t += 1
    return t


@exercise
def exercise_05_momentum_buildup(answer, mu=0.9, share=0.9):
    """Experiment: under a constant gradient, after how many momentum steps (from v = 0) is
    the step at least ``share`` of its limit lr g / (1 - mu)? A count: whole numbers only."""
    t = momentum_buildup_steps(mu, share)
    _probe_point(t, 0.0, 0.0)
    value, problem = _whole(answer, "the number of steps")
    if problem is not None:
        return problem
    reached = 1 - mu**t
    if value == t:
        return verdict(
            True,
            f"after t steps the step is lr g (1 - mu^t) / (1 - mu); 1 - {mu:g}^{t} = "
            f"{reached:.1%} of the limit, and {t - 1} steps give {1 - mu ** (t - 1):.1%}. "
            "Momentum needs a couple of dozen steps of a steady gradient to build its speed.",
        )
    if value == t - 1:
        return verdict(
            False,
            f"one short: after {t - 1} steps the step is {1 - mu ** (t - 1):.2%} of the limit, "
            f"below {share:.0%}. Count the first step, v_1 = -lr g, as step 1.",
        )
    if abs(value - 1 / (1 - mu)) < 1e-9:
        return verdict(
            False,
            "1 / (1 - mu) is the factor the limit is larger than one plain step, not the "
            "number of steps it takes to get near it: run the steps (or solve 1 - mu^t >= "
            f"{share:g}).",
        )
    direction = "too many" if value > t else "too few"
    return verdict(
        False,
        f"{value} steps is {direction}. Start from v = 0, apply v = mu * v - lr * g with a "
        f"constant g, and count the steps until |v| >= {share:g} * lr * |g| / (1 - mu).",
    )


@exercise
def exercise_05_symmetry(answer, x, y, width=16):
    """Experiment: the first layer's weights all equal (0.05, biases 0), the output layer
    random, one epoch; the answer is the largest difference between two hidden units
    divided by the largest distance a first-layer weight moved,
    ``np.ptp(net.W[0], axis=1).max() / np.abs(net.W[0] - 0.05).max()``. The checker runs
    the same experiment (:func:`symmetry_experiment`) and accepts the answer within 1%
    (relative): a seeded run repeats on one machine, and another CPU's float summation
    order moves it far less."""
    net = _symmetry_net(x, y, width)
    spread = float(np.ptp(net.W[0], axis=1).max())
    moved = float(np.abs(net.W[0] - SYMMETRY_START).max())
    expected = spread / moved
    _probe_point(expected, 0.01, 0.0)
    value, problem = _scalar(answer, "the ratio of the two differences")
    if problem is not None:
        return problem
    if np.isclose(value, expected, rtol=0.01, atol=0):
        return verdict(
            True,
            f"the units came apart by {spread:.3g}, {expected:.3g} times the weights' own "
            f"largest movement ({moved:.3g}): hidden unit k's delta is (sum_c delta_c "
            "W2[k, c]) f'(z_k), so different OUTGOING weights give every unit its own "
            "gradient. Symmetry needs equal weights on both sides of a unit (section 1); one "
            "random layer breaks it.",
        )
    if abs(value) < 1e-4:
        return verdict(
            False,
            "about 0 is what equal weights in BOTH layers give (section 1). Here only W[0] "
            "starts equal: keep the output layer's random weights (set W[0] and b[0] only).",
        )
    if np.isclose(value, spread, rtol=0.01, atol=0):
        return verdict(False, "that is the difference itself; divide it by the largest movement.")
    if np.isclose(value, moved, rtol=0.01, atol=0):
        return verdict(False, "that is the largest movement itself; divide the difference by it.")
    if np.isclose(value, 1 / expected, rtol=0.01, atol=0):
        return verdict(False, "upside down: the difference between units divided by the movement.")
    within_units = float(np.ptp(net.W[0], axis=0).max()) / moved
    if np.isclose(value, within_units, rtol=0.01, atol=0):
        return verdict(
            False,
            "that is np.ptp over axis=0: the spread of ONE unit's weights over the pixels. "
            "W[0] has one column per hidden unit; the difference between units is across a "
            "row: np.ptp(net.W[0], axis=1).max().",
        )
    setup = (
        f"check the set-up: MLP([784, {width}, 10], seed=0), W[0] = 0.05 everywhere, b[0] = 0, "
        f"output layer untouched, one epoch on the {len(x):,} images you give this checker, "
        "batch_size=32, lr=0.1."
    )
    near = _near_miss(value, expected, 0.01, setup)
    if near is not None:
        return near
    return verdict(
        False,
        f"{value:.3g} is not what this experiment gives: {setup} Then "
        "np.ptp(net.W[0], axis=1).max() divided by np.abs(net.W[0] - 0.05).max().",
    )


def weight_decay_experiment(x, y, weight_decay=0.01, width=32, seed=0):
    """Exercise 05_weight_decay's experiment: ``MLP([784, width, 10], seed)`` trained one
    epoch by plain SGD (batch 32, lr 0.1) on ``x, y``, once without and once with
    ``weight_decay``. Returns a dict of the first layer's norms and the number of steps."""
    from helpers.numpy_nn import MLP

    x = np.asarray(x).reshape(len(x), -1)
    nets = {}
    for lam in (0.0, weight_decay):
        net = MLP([x.shape[1], width, 10], seed=seed)
        net.fit(x, y, epochs=1, batch_size=32, lr=0.1, weight_decay=lam, verbose=0)
        nets[lam] = net
    plain, decayed = nets[0.0], nets[weight_decay]
    return {
        "W1_plain": float(np.linalg.norm(plain.W[0])),
        "W1_decayed": float(np.linalg.norm(decayed.W[0])),
        "all_plain": float(np.sqrt(sum(np.sum(w**2) for w in plain.W))),
        "all_decayed": float(np.sqrt(sum(np.sum(w**2) for w in decayed.W))),
        "steps": -(-len(x) // 32),
    }


@exercise
def exercise_05_weight_decay(answer, x, y, weight_decay=0.01):
    """Experiment: by what fraction is W1 smaller with weight decay after one epoch of plain
    SGD (MLP([784, 32, 10], seed=0), batch 32, lr 0.1) on ``x, y``:
    1 - ||W1 with decay|| / ||W1 without||. The checker runs the same two trainings
    (:func:`weight_decay_experiment`) and accepts the answer within 0.1% (relative): another
    CPU's float summation order moves it far less, and the typical mistakes below land
    further away."""
    got = weight_decay_experiment(x, y, weight_decay)
    ratio = got["W1_decayed"] / got["W1_plain"]
    expected = 1 - ratio
    _probe_point(expected, 1e-3, 0.0)
    value, problem = _scalar(answer, "the fraction")
    if problem is not None:
        return problem
    predicted = 1 - (1 - 0.1 * weight_decay) ** got["steps"]

    def near(target, rtol=1e-3):
        return np.isclose(value, target, rtol=rtol, atol=0)

    if near(expected):
        return verdict(
            True,
            f"the decayed W1 ends {expected:.2%} smaller. Shrinking alone, 1 - (1 - "
            f"lr*lambda)^steps over {got['steps']} steps, would predict {predicted:.2%}: the "
            "data's gradient also moves the weights, and pushes back where they matter.",
        )
    # the prediction the exercise asks for first: recognise it, also rounded to 3 significant
    # digits (rtol 3e-3; with the step count one off, as len(x) // 32 gives, 1.5% away)
    for steps in (got["steps"], got["steps"] - 1, got["steps"] + 1):
        if near(1 - (1 - 0.1 * weight_decay) ** steps, rtol=3e-3):
            return verdict(
                False,
                f"that is the prediction 1 - (1 - lr*lambda)^steps with {steps} steps, not "
                "the measurement: train the two nets and compare np.linalg.norm(net.W[0]).",
            )
    hints = [
        (ratio, "that is the ratio of the norms; the question asks how much smaller: 1 - ratio."),
        (100 * expected, "that is a percentage; give a fraction (0.05 for 5%)."),
        (1 / ratio - 1, "measured against the decayed net: divide by the norm WITHOUT decay."),
        (1 - ratio**2, "that uses squared norms: use np.linalg.norm (no square)."),
        (
            1 - got["all_decayed"] / got["all_plain"],
            "that is the norm of all weights; the question asks for the first layer's, W[0].",
        ),
    ]
    for target, message in hints:
        if near(target):
            return verdict(False, message)
    if abs(value) < 1e-9:
        return verdict(False, "0 means no difference: train the second net with weight_decay=0.01.")
    setup = (
        f"check the set-up: both nets MLP([784, 32, 10], seed=0), one epoch of plain SGD "
        f"(no optimizer argument) on the {len(x):,} images you give this checker, "
        "batch_size=32, lr=0.1, the second with weight_decay=0.01."
    )
    close = _near_miss(value, expected, 1e-3, setup)
    if close is not None:
        return close
    return verdict(
        False,
        f"{value:.4g} is not what this experiment gives: {setup} Then "
        "1 - np.linalg.norm(decayed.W[0]) / np.linalg.norm(plain.W[0]).",
    )


# --------------------------------------------------------------------------- notebook 06


def _keras_model(obj) -> bool:
    return hasattr(obj, "layers") and hasattr(obj, "predict")


#: Losses the callback of exercise 06_1 sees beside the accuracies: unrelated numbers, so a
#: callback that watches a loss (``val_loss <= 1 - target``) does not pass by accident.
_LOSSES_06_1 = {"loss": [0.45, 0.30, 0.22, 0.17, 0.14], "val_loss": [0.40, 0.33, 0.31, 0.30, 0.32]}


def _stop_epoch(callback_class, target, val_accuracy, accuracy):
    """Drive a callback of ``callback_class(target)`` through epochs with these logs, on a
    one-unit Keras model: (the 0-based epoch after which it asked fit to stop or None,
    None) or (None, what went wrong)."""
    import keras

    try:
        callback = callback_class(target)
    except TypeError as error:
        return None, (
            f"StopAtTarget({target}) failed ({error}): __init__ should take the target, "
            "def __init__(self, target), call super().__init__() and keep it (self.target = target)."
        )
    model = keras.Sequential([keras.Input(shape=(1,)), keras.layers.Dense(1)], name="probe")
    model.stop_training = False
    callback.set_model(model)
    losses = zip(_LOSSES_06_1["loss"], _LOSSES_06_1["val_loss"], strict=True)
    for epoch, (val, train, (loss, val_loss)) in enumerate(
        zip(val_accuracy, accuracy, losses, strict=True)
    ):
        logs = {"loss": loss, "accuracy": train, "val_loss": val_loss, "val_accuracy": val}
        try:
            callback.on_epoch_end(epoch, logs)
        except Exception as error:  # the learner's code: say what it raised, and where
            return None, (
                f"on_epoch_end raised {type(error).__name__}: {error}. The logs Keras passes "
                f"after each epoch hold {sorted(logs)} (with validation_data)."
            )
        if getattr(model, "stop_training", False) is True:
            return epoch, None
    return None, None


@exercise
def exercise_06_1(answer):
    """A callback class ``answer(target)`` that stops training at the end of the first
    epoch whose validation accuracy reaches ``target`` (>=), and never earlier."""
    import keras

    if isinstance(answer, keras.callbacks.Callback):
        return verdict(False, "that is an instance; pass the class itself: "
                       "checks.exercise_06_1(StopAtTarget), not StopAtTarget(0.9).")  # fmt: skip
    if not isinstance(answer, type):
        return verdict(False, f"the answer should be your class (class StopAtTarget(...):), "
                       f"got {_short(answer)}.")  # fmt: skip
    if not issubclass(answer, keras.callbacks.Callback):
        return verdict(False, "derive your class from keras.callbacks.Callback "
                       "(class StopAtTarget(keras.callbacks.Callback):), so that fit can call it.")  # fmt: skip
    # validation accuracy reaches 0.9 exactly at the third epoch; training accuracy at the second
    val = [0.80, 0.88, 0.90, 0.93, 0.95]
    train = [0.85, 0.91, 0.95, 0.97, 0.98]
    stop, problem = _stop_epoch(answer, 0.9, val, train)
    if problem:
        return verdict(False, problem)
    if stop is None:
        return verdict(False, "your callback never stopped training, although the validation "
                       "accuracy reached the target at the third epoch: set "
                       "self.model.stop_training = True in on_epoch_end when "
                       "logs['val_accuracy'] >= self.target (the target given to __init__, "
                       "not a number of your own; on the model, not on the callback).")  # fmt: skip
    if stop == 0:
        return verdict(False, "your callback stopped after the first epoch, when the validation "
                       "accuracy (0.80) was still below the target 0.9: is the comparison the "
                       "wrong way round?")  # fmt: skip
    if stop == 1:
        return verdict(False, "your callback stopped after the second epoch, when the TRAINING "
                       "accuracy reached the target (0.91) but the validation accuracy had not "
                       "(0.88): watch logs['val_accuracy'] (every target is a validation target).")  # fmt: skip
    if stop == 3:
        return verdict(False, "your callback stopped one epoch late: the validation accuracy was "
                       "exactly 0.9 after the third epoch, and reaching the target counts: use >=.")  # fmt: skip
    if stop != 2:
        return verdict(False, f"your callback stopped after epoch {stop + 1}; the validation "
                       "accuracy reached 0.9 after epoch 3.")  # fmt: skip
    # a target never reached: no stop at all
    stop, problem = _stop_epoch(answer, 0.99, val, train)
    if problem:
        return verdict(False, problem)
    if stop is not None:
        return verdict(False, f"with target 0.99, which the validation accuracy never reaches, your "
                       f"callback still stopped after epoch {stop + 1}: does it use self.target?")  # fmt: skip
    return verdict(True, "your callback stops after the first epoch whose validation accuracy "
                   "reaches the target, and only then.")  # fmt: skip


def _loss_name(loss) -> str:
    if isinstance(loss, str):
        return loss
    name = getattr(loss, "name", None) or getattr(loss, "__name__", None)
    return str(name or type(loss).__name__)


@exercise
def exercise_06_2(answer, n_fit, epochs=2, batch_size=128, learning_rate=1e-3):
    """A Keras model compiled with Adam(learning_rate) and the sparse categorical
    cross-entropy with an accuracy metric, fitted once for ``epochs`` epochs on ``n_fit``
    images with integer labels in batches of ``batch_size``, with validation data."""
    import keras

    if not _keras_model(answer):
        return verdict(False, f"the answer should be your trained Keras model, got "
                       f"{type(answer).__name__}.")  # fmt: skip
    if getattr(answer, "optimizer", None) is None or getattr(answer, "loss", None) is None:
        return verdict(False, "your model is not compiled yet: model.compile(optimizer=..., "
                       "loss=..., metrics=['accuracy']), then model.fit(...).")  # fmt: skip
    loss = _loss_name(answer.loss).lower()
    if "sparse" not in loss:
        if "categorical" in loss:
            return verdict(False, "you trained with categorical_crossentropy, which needs one-hot "
                           "labels: it trains the same, but this exercise asks for the integer "
                           "labels y_fit with sparse_categorical_crossentropy.")  # fmt: skip
        return verdict(False, f"the loss is {loss}; with integer labels 0..9 use "
                       "loss='sparse_categorical_crossentropy'.")  # fmt: skip
    optimizer = answer.optimizer
    if not isinstance(optimizer, keras.optimizers.Adam):
        return verdict(False, f"the optimizer is {type(optimizer).__name__}; use "
                       f"keras.optimizers.Adam(learning_rate={learning_rate:g}).")  # fmt: skip
    rate = float(keras.ops.convert_to_numpy(optimizer.learning_rate))
    if not np.isclose(rate, learning_rate, rtol=1e-4):
        return verdict(False, f"Adam's learning rate is {rate:g}; the exercise asks for "
                       f"{learning_rate:g}.")  # fmt: skip
    steps = int(keras.ops.convert_to_numpy(optimizer.iterations))
    expected = epochs * -(-int(n_fit) // batch_size)
    if steps == 0:
        return verdict(False, "your model has not been trained yet: call .fit(...).")
    if steps != expected:
        if steps == epochs * -(-int(n_fit) // 32):
            return verdict(False, f"{steps:,} steps is {epochs} epochs at Keras's default batch size "
                           f"32: pass batch_size={batch_size}.")  # fmt: skip
        if steps % expected == 0:
            return verdict(False, f"your model took {steps:,} steps, {steps // expected} times "
                           f"{expected:,}: did fit run more than once? Build and compile a new "
                           "model, then fit it once.")  # fmt: skip
        return verdict(False, f"your model took {steps:,} optimizer steps; {epochs} epochs of the "
                       f"{int(n_fit):,} fit images in batches of {batch_size} take {expected:,}: "
                       "check epochs, batch_size and that you fitted x_fit.")  # fmt: skip
    history = getattr(getattr(answer, "history", None), "history", None) or {}
    if "val_loss" not in history:
        return verdict(False, "fit did not report the validation images: pass "
                       "validation_data=(x_val, y_val).")  # fmt: skip
    if "val_accuracy" not in history:
        return verdict(False, "compile with metrics=['accuracy'], so that fit reports the "
                       "validation accuracy too.")  # fmt: skip
    return verdict(True, f"{epochs} epochs on integer labels with the sparse loss, "
                   f"{steps:,} steps, last validation accuracy {history['val_accuracy'][-1]:.2%}.")  # fmt: skip


@exercise
def exercise_06_3(answer, loaded, model, x, y):
    """The index in ``x`` of the most confident mistake of ``model``: among the images it
    gets wrong, the one whose predicted (wrong) digit has the highest probability.
    ``loaded`` must be the model read back from a file (a different object that predicts
    the same)."""
    if loaded is Ellipsis or loaded is None:
        return verdict(False, "first save the model and load it back: loaded = "
                       "keras.saving.load_model(path).")  # fmt: skip
    if loaded is model:
        return verdict(False, "loaded is the model in memory itself; load it back from the "
                       "file you saved: loaded = keras.saving.load_model(path).")  # fmt: skip
    if not _keras_model(loaded):
        return verdict(False, f"loaded should be a Keras model, got {type(loaded).__name__}.")
    import keras

    # calling the models directly: no predict function traced again for every call
    p = np.asarray(keras.ops.convert_to_numpy(model(x, training=False)), dtype=float)
    p_loaded = np.asarray(keras.ops.convert_to_numpy(loaded(x, training=False)), dtype=float)
    if p_loaded.shape != p.shape or not np.allclose(p_loaded, p, atol=1e-5):
        return verdict(False, "the model you loaded does not predict like the trained flagship: "
                       "save `model` after training (model.save(path)), then load that file.")  # fmt: skip
    y = np.asarray(y).astype(int)
    value, problem = as_number(answer, "the index of the most confident mistake")
    if problem is not None:
        return verdict(False, problem)
    index, problem = as_integer(value)
    if problem is not None:
        return verdict(False, f"an index in x_val is a whole number; {value:g} is not.")
    predicted, sure = p.argmax(axis=1), p.max(axis=1)
    wrong = np.flatnonzero(predicted != y)
    if len(wrong) == 0:
        return verdict(False, "this model makes no mistake on these images: nothing to find.")
    best = sure[wrong].max()
    position = int(np.argmax(sure[wrong]))
    if not 0 <= index < len(y):
        return verdict(False, f"{index} is not an index of these {len(y):,} images.")
    if index in set(wrong.tolist()) and np.isclose(sure[index], best, rtol=0, atol=1e-6):
        return verdict(True, f"image {index} is read as {predicted[index]} with probability "
                       f"{sure[index]:.4f}; its true digit is {y[index]}.")  # fmt: skip
    lowest_true = int(np.argmin(p[np.arange(len(y)), y]))
    if index == position:
        return verdict(False, "that is the position of the mistake in the list of mistakes; give "
                       "its index in the images (wrong[position]).")  # fmt: skip
    if index == lowest_true:
        return verdict(False, "that is the image whose TRUE digit got the lowest probability; the "
                       "question asks for the mistake made with the highest probability for the "
                       "predicted digit.")  # fmt: skip
    if predicted[index] == y[index]:
        return verdict(False, f"the model reads image {index} correctly (a {y[index]}); the "
                       "question is about the images it gets wrong.")  # fmt: skip
    return verdict(False, f"image {index} is a mistake, made with probability {sure[index]:.4f}; "
                   "another mistake is made with a higher one.")  # fmt: skip


def warmup_cosine(step, peak, warmup_steps, decay_steps, start=0.0):
    """Learning rate at ``step`` of a linear warm-up from ``start`` to ``peak`` over
    ``warmup_steps``, then a cosine from ``peak`` down to 0 over ``decay_steps``."""
    if step < warmup_steps:
        return start + (peak - start) * step / warmup_steps
    t = min(step - warmup_steps, decay_steps) / decay_steps
    return 0.5 * peak * (1 + np.cos(np.pi * t))


def _squared_weights(model, kernels_only=True) -> float:
    """Sum of squared weights of a Keras model's Dense kernels (or of every weight)."""
    import keras

    total = 0.0
    for layer in model.layers:
        if kernels_only and hasattr(layer, "kernel"):
            total += float(np.sum(keras.ops.convert_to_numpy(layer.kernel) ** 2))
        elif not kernels_only:
            for w in layer.trainable_weights:
                total += float(np.sum(keras.ops.convert_to_numpy(w) ** 2))
    return total


def _l2_strengths(model) -> list[float]:
    """The L2 strength of every Dense kernel's regulariser (0.0 where there is none)."""
    out = []
    for layer in model.layers:
        if hasattr(layer, "kernel"):
            reg = getattr(layer, "kernel_regularizer", None)
            out.append(float(getattr(reg, "l2", 0.0)) if reg is not None else 0.0)
    return out


@exercise
def exercise_06_5(answer, plain_model, decayed_model, l2=None):
    """How many times larger the sum of squared kernel weights of ``plain_model`` is than
    that of ``decayed_model`` (trained the same way with an L2 penalty of strength ``l2``,
    when given)."""
    if decayed_model is Ellipsis or decayed_model is None:
        return verdict(False, "first build and train your penalised model (the line above "
                       "the answer), then compute the ratio from the two models.")  # fmt: skip
    if not hasattr(decayed_model, "layers"):
        return verdict(False, f"the model to compare with should be a Keras model, got "
                       f"{type(decayed_model).__name__}.")  # fmt: skip
    strengths = _l2_strengths(decayed_model)
    if not any(strengths):
        return verdict(False, "your model has no L2 penalty on its kernels: build it with "
                       "regularised_net(l2=...) before training it.")  # fmt: skip
    if l2 is not None and not np.allclose(strengths, l2):
        return verdict(False, f"your model's penalty is lambda = {max(strengths):g}; this "
                       f"exercise asks for lambda = {l2:g}.")  # fmt: skip
    optimizer = getattr(decayed_model, "optimizer", None)
    if optimizer is not None and int(optimizer.iterations.numpy()) == 0:
        return verdict(False, "your model has not been trained yet: fit it exactly as part A "
                       "trained the others, then compute the ratio.")  # fmt: skip
    plain, decayed = _squared_weights(plain_model), _squared_weights(decayed_model)
    expected = plain / decayed
    all_plain, all_decayed = (_squared_weights(m, kernels_only=False)
                              for m in (plain_model, decayed_model))  # fmt: skip
    hints = [
        (1 / expected, "that is the ratio the other way round: the model WITHOUT the penalty "
         "goes on top, and the answer is above 1 if the penalty shrank the weights."),
        (np.sqrt(expected), "that is the ratio of the norms ||W||; the penalty is "
         "lambda * sum(w**2), so compare the sums of SQUARED weights."),
        (all_plain / all_decayed, "that includes the biases (and any other weights); the L2 "
         "penalty is on the layers' kernels only (layer.kernel)."),
    ]  # fmt: skip
    return check_number(
        answer, expected, rel_tol=1e-3, what="the ratio of the sums of squared kernel weights",
        hints=hints,
    )  # fmt: skip


#: The history exercise 4 runs the learner's ``early_stopping_epochs`` on: ten epochs of a run
#: that was NOT stopped. With patience 2 EarlyStopping would have stopped after epoch 5 and
#: restored epoch 3, although epoch 7 is better; validation accuracy has a tie at its best.
_HISTORY_06_4 = {
    "loss": [0.90, 0.50, 0.40, 0.33, 0.28, 0.24, 0.21, 0.18, 0.16, 0.14],
    "accuracy": [0.80, 0.88, 0.90, 0.92, 0.93, 0.94, 0.95, 0.96, 0.965, 0.97],
    "val_loss": [0.60, 0.40, 0.38, 0.39, 0.41, 0.35, 0.33, 0.36, 0.37, 0.40],
    "val_accuracy": [0.85, 0.90, 0.91, 0.91, 0.90, 0.92, 0.93, 0.93, 0.92, 0.91],
}
#: (monitor, patience) cases: a stop before the best epoch, a tie, and a run never stopped.
_CASES_06_4 = (("val_loss", 2), ("val_accuracy", 2), ("val_loss", 4), ("val_accuracy", 1))


def keras_early_stopping(values, monitor: str, patience: int) -> tuple[int, int]:
    """(epochs run, epoch restored), both counted from 1, when Keras's own
    ``EarlyStopping(monitor, patience, restore_best_weights=True)`` watches ``values`` (the
    lowest is best for a loss, the highest otherwise): the reference of exercise 06_4."""
    import keras

    mode = "min" if "loss" in monitor else "max"
    stopper = keras.callbacks.EarlyStopping(
        monitor=monitor, patience=patience, mode=mode, restore_best_weights=True
    )
    model = keras.Sequential([keras.Input(shape=(1,)), keras.layers.Dense(1)], name="probe")
    model.stop_training = False
    stopper.set_model(model)
    stopper.on_train_begin()
    run = len(values)
    for epoch, value in enumerate(values):
        stopper.on_epoch_end(epoch, {monitor: float(value)})
        if model.stop_training:
            run = epoch + 1
            break
    return run, stopper.best_epoch + 1


def _simulated_stop(values, lower_is_better: bool, patience: int, ties_count: bool = False):
    """(epochs run, epoch restored) of a patience rule, for recognising mistakes."""
    best = 0
    for epoch in range(1, len(values)):
        a, b = values[epoch], values[best]
        better = (
            (a < b or (ties_count and a == b))
            if lower_is_better
            else (a > b or (ties_count and a == b))
        )
        if better:
            best = epoch
        elif epoch - best >= patience:
            return epoch + 1, best + 1
    return len(values), best + 1


def _early_stopping_mistake(got, history, monitor, patience, expected):
    """What a wrong ``early_stopping_epochs(history, monitor, patience)`` = ``got`` did."""
    run, restored = got
    values = history[monitor]
    lower = "loss" in monitor
    ends = f"stops after epoch {expected[0]} and restores epoch {expected[1]}"
    if got == (expected[0] - 1, expected[1] - 1):
        return "both are one too small: Keras counts epochs from 1 (Epoch 1/10); add 1."
    for other, how in ((patience + 1, "one epoch too many"), (patience - 1, "one epoch too few")):
        if other >= 1 and got == _simulated_stop(values, lower, other):
            return (f"that is EarlyStopping with patience {other}: you waited {how}. It stops at "
                    f"the end of the epoch that makes {patience} epoch(s) in a row without "
                    "improvement (epochs since the best >= patience).")  # fmt: skip
    globally = int(np.argmin(values) if lower else np.argmax(values)) + 1
    if restored == globally and globally > expected[0]:
        return (f"epoch {globally} is the best of the whole history, but with patience "
                f"{patience} EarlyStopping {ends}: it never sees epoch {globally}.")  # fmt: skip
    if got == _simulated_stop(values, lower, patience, ties_count=True):
        return ("an equal value is no improvement for EarlyStopping: after a tie it keeps the "
                "FIRST epoch and keeps counting towards patience.")  # fmt: skip
    if got == _simulated_stop(values, not lower, patience):
        return ("you watched it the wrong way round: for a loss lower is better, for an "
                "accuracy higher is better; tell them apart from the name of the monitor.")  # fmt: skip
    train_key = monitor.removeprefix("val_")
    if train_key in history and got == _simulated_stop(history[train_key], lower, patience):
        return f"that follows the TRAINING {train_key}; watch history[monitor], here {monitor}."
    if restored == expected[1] and abs(run - expected[0]) == 1:
        return (f"the restored epoch is right, the stop is one epoch {'late' if run > expected[0] else 'early'}: "
                f"EarlyStopping stops at the end of the epoch that makes {patience} epoch(s) in a "
                "row without improvement (epoch best + patience).")  # fmt: skip
    if run == expected[0] and restored == run and restored != expected[1]:
        return ("that is the last epoch run, where training STOPPED; restore_best_weights puts "
                f"back the best {monitor} seen up to then.")  # fmt: skip
    return None


@exercise
def exercise_06_4(answer):
    """A function ``answer(history, monitor, patience)`` that returns ``(epochs run, epoch
    restored)``, both counted from 1, for ``EarlyStopping(monitor=monitor, patience=patience,
    restore_best_weights=True)`` watching a run whose whole ``history`` (a dict of lists) is
    given. The reference is Keras's own EarlyStopping, driven on the same values."""
    if not callable(answer):
        return verdict(False, f"the answer should be your function (def early_stopping_epochs("
                       f"history, monitor, patience): ...), got {_short(answer)}.")  # fmt: skip
    for monitor, patience in _CASES_06_4:
        history = {k: list(v) for k, v in _HISTORY_06_4.items()}
        call = (f"early_stopping_epochs(history, {monitor!r}, patience={patience}) with "
                f"{monitor} = {_HISTORY_06_4[monitor]}")  # fmt: skip
        try:
            got = answer(history, monitor, patience)
        except Exception as error:  # the learner's code: say what it raised
            hint = ""
            if isinstance(error, AttributeError) and "history" in str(error):
                hint = (" `history` is already the dict (demo_history.history), not the "
                        "History object: read history[monitor].")  # fmt: skip
            return verdict(False, f"{call} raised {type(error).__name__}: {error}.{hint}")
        if history != _HISTORY_06_4:
            return verdict(False, f"{call} changed the history it was given; read only.")
        if got is None:
            return verdict(False, f"{call} returned None: end your function with `return`.")
        if isinstance(got, (str, bytes)) or np.ndim(got) != 1 or len(got) != 2:
            return verdict(False, f"{call} returned {_short(got)}; return two whole numbers: "
                           "(epochs run, epoch restored).")  # fmt: skip
        pair = []
        for part, what in zip(got, ("epochs run", "epoch restored"), strict=True):
            number, problem = as_integer(part, f"the {what} ({_short(part)})")
            if problem is not None:
                return verdict(False, f"{call}: {problem}")
            pair.append(number)
        expected = keras_early_stopping(_HISTORY_06_4[monitor], monitor, patience)
        if tuple(pair) == expected:
            continue
        hint = _early_stopping_mistake(tuple(pair), _HISTORY_06_4, monitor, patience, expected)
        return verdict(False, f"{call} returned {tuple(pair)}, but EarlyStopping runs "
                       f"{expected[0]} epochs and restores epoch {expected[1]}"
                       + (f": {hint}" if hint else "."))  # fmt: skip
    return verdict(True, "early_stopping_epochs stops where Keras's EarlyStopping stops and "
                   "restores the same epoch, for a loss and an accuracy, ties and a run "
                   "never stopped included.")  # fmt: skip


# --------------------------------------------------------------------------- notebook 07


def _cm(cm) -> np.ndarray:
    cm = np.asarray(cm)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1]:
        raise ValueError(f"the confusion matrix should be square, got shape {cm.shape}.")
    return cm


def _confusion_cases():
    """Label pairs the checker runs a learner's confusion function on: a digit that is never
    predicted, a digit that never occurs, Python lists, one image."""
    rng = np.random.default_rng(7)
    y_true = rng.integers(0, 10, 400)
    y_pred = np.where(rng.random(400) < 0.7, y_true, rng.integers(0, 10, 400))
    y_pred[y_pred == 7] = 1  # 7 is never predicted: its column must still be there (zeros)
    keep = y_true != 2  # 2 never occurs: its row must still be there (zeros)
    return [
        (y_true, y_pred),
        (y_true[keep], y_pred[keep]),
        ([3, 3, 5, 0], [3, 5, 5, 8]),
        (np.array([4]), np.array([9])),
    ]


@exercise
def exercise_07_1(answer, y_true=None, y_pred=None):
    """A function ``confusion_counts(y_true, y_pred)``: the 10 x 10 count matrix, row the true
    digit, column the predicted one, written with NumPy (checked on cases of the checker's own,
    then on ``y_true``/``y_pred`` if given, against scikit-learn)."""
    from sklearn.metrics import confusion_matrix

    if not callable(answer):
        return verdict(
            False, f"answer a function confusion_counts(y_true, y_pred), got {_short(answer)}."
        )
    cases = _confusion_cases()
    if y_true is not None and y_pred is not None:
        cases.append((np.asarray(y_true), np.asarray(y_pred)))
    for t, p in cases:
        try:
            got = np.asarray(answer(t, p))
        except Exception as exc:  # a learner's function may raise anything
            return verdict(False, f"confusion_counts raised {type(exc).__name__}: {exc}")
        want = confusion_matrix(t, p, labels=range(10))
        n = len(t)
        if got.shape != (10, 10):
            return verdict(
                False,
                f"on {n} images your matrix has shape {got.shape}; it must be 10 x 10 even when "
                "a digit never occurs or is never predicted (start from np.zeros((10, 10))).",
            )
        if got.dtype.kind not in "iuf" or not np.all(np.isfinite(got)):
            return verdict(False, f"the matrix holds {got.dtype} values; it should hold counts.")
        if np.allclose(got, want, rtol=0, atol=1e-9):
            continue
        if np.allclose(got, want.T, rtol=0, atol=1e-9):
            return verdict(
                False,
                "that is the transpose: rows are the TRUE digit, columns the PREDICTED one, "
                "so image n adds 1 to cell [y_true[n], y_pred[n]].",
            )
        if np.isclose(got.sum(), 1) or np.allclose(got.sum(axis=1), (want.sum(axis=1) > 0)):
            return verdict(False, "those are shares; count the images (whole numbers).")
        if np.allclose(got, np.diag(np.diag(want)), atol=1e-9):
            return verdict(
                False, "only the correct answers are counted; errors go off the diagonal."
            )
        if not np.isclose(got.sum(), n):
            return verdict(
                False,
                f"on {n} images your counts add up to {got.sum():g}; every image adds exactly 1 "
                "to one cell (with fancy indexing M[t, p] += 1 a repeated pair is counted once: "
                "use np.add.at or np.bincount).",
            )
        i, j = np.argwhere(~np.isclose(got, want, rtol=0, atol=1e-9))[0]
        return verdict(
            False,
            f"on {n} images cell [{i}, {j}] (true {i}, predicted {j}) is {got[i, j]:g}, should "
            f"be {want[i, j]}.",
        )
    where = f" and on the {len(cases[-1][0]):,} images you passed" if y_true is not None else ""
    return verdict(True, f"your matrix equals scikit-learn's on the checker's cases{where}.")


def _labels_from_confusion(cm):
    """Label arrays (true, predicted) whose confusion matrix is ``cm``."""
    k = cm.shape[0]
    true = np.repeat(np.repeat(np.arange(k), k), cm.ravel())
    pred = np.repeat(np.tile(np.arange(k), k), cm.ravel())
    return true, pred


def _confusion_matrices_07():
    """Count matrices the checker runs a learner's function on: a typical one, one with an
    empty column (a digit never predicted) and an empty row (a digit that never occurs), one
    where precision and recall differ a lot."""
    from sklearn.metrics import confusion_matrix

    rng = np.random.default_rng(70)
    matrices = []
    for n, right in ((600, 0.8), (300, 0.6)):
        y_true = rng.integers(0, 10, n)
        y_pred = np.where(rng.random(n) < right, y_true, rng.integers(0, 10, n))
        matrices.append(confusion_matrix(y_true, y_pred, labels=range(10)))
    y_pred[y_pred == 7] = 1  # 7 is never predicted: an empty column
    keep = y_true != 2  # 2 never occurs: an empty row
    matrices.insert(1, confusion_matrix(y_true[keep], y_pred[keep], labels=range(10)))
    return matrices


def _as_vector(values, name, k):
    """``(float array of shape (k,), None)`` or ``(None, what is wrong)``."""
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        return None, f"{name} should be {k} numbers, got {_short(values)}."
    if array.shape != (k,):
        return None, f"{name} has shape {array.shape}; it should hold one number per digit: ({k},)."
    return array, None


@exercise
def exercise_07_2(answer, cm=None):
    """Your function ``precision_recall_from_confusion(cm)``: from a K x K count matrix (row the
    true digit, column the predicted one), the precision and the recall of every digit, as
    ``(precision, recall)``, two arrays of K numbers; a digit never predicted (an empty column)
    gets precision 0, one that never occurs recall 0, as scikit-learn reports them. Checked on
    matrices of the checker's own, then on ``cm`` if given, against scikit-learn."""
    from sklearn.metrics import precision_recall_fscore_support

    if not callable(answer):
        return verdict(
            False,
            "answer your function precision_recall_from_confusion (no brackets), got "
            f"{_short(answer)}.",
        )
    matrices = _confusion_matrices_07()
    if cm is not None:
        matrices.append(np.asarray(cm).astype(int))
    for matrix in matrices:
        k = matrix.shape[0]
        true, pred = _labels_from_confusion(matrix)
        want_p, want_r, _, _ = precision_recall_fscore_support(
            true, pred, labels=range(k), zero_division=0
        )
        n = f"a matrix of {matrix.sum():,} images"
        with np.errstate(all="ignore"):  # a 0/0 is reported below, not as a warning
            try:
                got = answer(matrix.copy())
            except ZeroDivisionError:
                return verdict(
                    False,
                    "ZeroDivisionError: a digit that is never predicted has an empty column "
                    "(total 0); give it precision 0, as scikit-learn does (likewise recall 0 "
                    "for a digit that never occurs).",
                )
            except Exception as exc:  # a learner's function may raise anything
                return verdict(
                    False, f"precision_recall_from_confusion raised {type(exc).__name__}: {exc}"
                )
        if not isinstance(got, (tuple, list, np.ndarray)) or len(got) != 2:
            return verdict(False, f"return two arrays, (precision, recall); got {_short(got)}.")
        precision, problem = _as_vector(got[0], "precision", k)
        if problem is None:
            recall, problem = _as_vector(got[1], "recall", k)
        if problem is not None:
            return verdict(False, problem)

        def close(a, b):
            return a.shape == b.shape and np.allclose(a, b, rtol=1e-6, atol=1e-9)

        if close(precision, want_p) and close(recall, want_r):
            continue
        if not (np.all(np.isfinite(precision)) and np.all(np.isfinite(recall))):
            empty_col = np.flatnonzero(matrix.sum(axis=0) == 0)
            return verdict(
                False,
                f"on {n} your answer holds nan or inf: digit(s) {[int(d) for d in empty_col]} are never "
                "predicted (an empty column, 0 / 0). Give precision 0 there (and recall 0 for a "
                "digit that never occurs), as scikit-learn does.",
            )
        if close(precision, want_r) and close(recall, want_p):
            return verdict(
                False,
                "precision and recall are swapped (rows and columns): precision divides the "
                "diagonal by the COLUMN total (all images called the digit), recall by the ROW "
                "total (all images that are the digit).",
            )
        if close(precision, 100 * want_p) or close(recall, 100 * want_r):
            return verdict(False, "those look like percentages; give fractions between 0 and 1.")
        for name, got_v, want_v in (("precision", precision, want_p), ("recall", recall, want_r)):
            if not close(got_v, want_v):
                d = int(np.flatnonzero(~np.isclose(got_v, want_v, rtol=1e-6, atol=1e-9))[0])
                return verdict(
                    False,
                    f"on {n}: the {name} of digit {d} is {got_v[d]:.6g}; scikit-learn says "
                    f"{want_v[d]:.6g}.",
                )
    where = " and on the matrix you passed" if cm is not None else ""
    return verdict(
        True,
        f"precision and recall of every digit equal scikit-learn's on {len(matrices)} "
        f"matrices (an empty column and an empty row among them){where}.",
    )


def _auc_cases_07():
    """(is_positive, scores) pairs: six images with a tie, random ones with many ties, lists."""
    rng = np.random.default_rng(73)
    cases = [
        (
            np.array([True, True, True, False, False, False]),
            np.array([0.9, 0.6, 0.3, 0.6, 0.2, 0.1]),
        )
    ]
    for n, rounding in ((40, 1), (250, 2), (120, 0)):
        is_pos = rng.random(n) < 0.3
        is_pos[:2] = [True, False]  # both classes present
        scores = np.round(rng.random(n) + 0.5 * is_pos, rounding)  # rounding makes ties
        cases.append((is_pos, scores))
    cases.append(([False, True, False, True], [0.2, 0.2, 0.7, 0.9]))  # lists
    return cases


@exercise
def exercise_07_3(answer):
    """Your function ``auc_by_pairs(is_positive, scores)``: the share of (positive, negative)
    pairs in which the positive scores higher, a tie counting one half. Checked against
    ``sklearn.metrics.roc_auc_score`` on cases of the checker's own (many with ties)."""
    from sklearn.metrics import roc_auc_score

    if not callable(answer):
        return verdict(
            False, f"answer your function auc_by_pairs (no brackets), got {_short(answer)}."
        )
    cases = _auc_cases_07()
    for is_pos, scores in cases:
        got, problem = _call_learner(answer, "auc_by_pairs", is_pos, scores)
        if problem is not None:
            return problem
        if got is None:
            return verdict(False, "auc_by_pairs returned None: did you forget `return`?")
        value, problem = as_number(got, "auc_by_pairs's result")
        if problem is not None:
            return verdict(False, problem)
        pos_mask = np.asarray(is_pos, dtype=bool)
        s = np.asarray(scores, dtype=float)
        diff = s[pos_mask][:, None] - s[~pos_mask][None, :]
        expected = roc_auc_score(pos_mask, s)
        if np.isclose(value, expected, rtol=1e-9, atol=1e-12):
            continue
        n = len(s)
        hints = [
            (
                1 - expected,
                "that is the share of WRONGLY ordered pairs; count the pairs where "
                "the positive scores higher.",
            ),
            (np.mean(diff > 0), "a tie should count one half; yours counts it 0."),
            (np.mean(diff >= 0), "a tie should count one half; yours counts it 1."),
            (100 * expected, "that looks like a percentage; give a share between 0 and 1."),
            (
                np.sum(diff > 0) + 0.5 * np.sum(diff == 0),
                "that is the number of well-ordered "
                "pairs; divide by the number of (positive, negative) pairs.",
            ),
        ]
        for wrong, explanation in hints:
            if not np.isclose(wrong, expected) and np.isclose(value, wrong, rtol=1e-9):
                return verdict(False, f"on {n} images: {explanation}")
        return verdict(
            False,
            f"on {n} images ({pos_mask.sum()} positive) auc_by_pairs gives {value:.6g}; "
            f"roc_auc_score gives {expected:.6g}.",
        )
    return verdict(
        True,
        f"auc_by_pairs equals roc_auc_score on {len(cases)} cases of the checker's own, ties "
        "included.",
    )


@exercise
def exercise_07_4(
    answer, is_positive_val, scores_val, target, is_positive_test=None, scores_test=None
):
    """A threshold chosen on VALIDATION: the lowest one whose validation precision reaches
    ``target`` (any threshold that makes the same calls on validation is accepted)."""
    from helpers import metrics

    threshold, problem = as_number(answer, "the threshold")
    if problem is not None:
        return verdict(False, problem)
    best = metrics.threshold_for_precision(is_positive_val, scores_val, target)
    got = metrics.precision_recall_at(is_positive_val, scores_val, threshold)
    want = metrics.precision_recall_at(is_positive_val, scores_val, best)
    if got == want:
        return verdict(
            True,
            f"on validation it gives precision {want[0]:.4f} and recall "
            f"{want[1]:.4f}; now see what it gives on the test images.",
        )
    if is_positive_test is not None and scores_test is not None:
        try:
            on_test = metrics.threshold_for_precision(is_positive_test, scores_test, target)
        except ValueError:
            on_test = None
        if on_test is not None and np.isclose(threshold, on_test, rtol=0, atol=1e-12):
            return verdict(
                False,
                "that threshold was chosen on the TEST images; choose it on "
                "validation, then the test set can judge it honestly.",
            )
    if got[0] < target:
        return verdict(
            False,
            f"at {threshold:.6g} the validation precision is {got[0]:.4f}, "
            f"below the target {target}: raise the threshold.",
        )
    return verdict(
        False,
        f"{threshold:.6g} reaches the precision but finds fewer of the digit "
        f"than it could (validation recall {got[1]:.4f} vs {want[1]:.4f}): take "
        "the LOWEST threshold that reaches the target.",
    )


# --------------------------------------------------------------------------- notebook 08


#: (only A right, only B right, both right, both wrong): the cases the McNemar checker runs a
#: learner's function on, chosen so that each typical mistake gives another p-value.
_MCNEMAR_CASES = ((12, 4, 30, 4), (5, 5, 40, 0), (30, 2, 100, 8), (89, 76, 9800, 35),
                  (0, 3, 20, 1), (0, 0, 10, 2))  # fmt: skip


def _mcnemar_case(only_a, only_b, both, neither, seed=8):
    """Two boolean arrays (right per image) with those counts, shuffled."""
    right_a = np.array([1] * only_a + [0] * only_b + [1] * both + [0] * neither, dtype=bool)
    right_b = np.array([0] * only_a + [1] * only_b + [1] * both + [0] * neither, dtype=bool)
    order = np.random.default_rng(seed).permutation(len(right_a))
    return right_a[order], right_b[order]


def _mcnemar_p(b: int, c: int) -> float:
    from scipy.stats import binomtest

    return 1.0 if b + c == 0 else float(binomtest(b, b + c, 0.5).pvalue)


def _mcnemar_mistake(got: float, b: int, c: int, total: int) -> str | None:
    from scipy.stats import binom, binomtest, chi2

    n = b + c
    if n == 0:
        return None
    close = lambda x: np.isclose(got, x, rtol=1e-6, atol=1e-12)  # noqa: E731
    tail = float(binom.cdf(min(b, c), n, 0.5))
    if close(tail):
        return ("that is one tail only; the question is two-sided (is EITHER model better?): "
                "add the other tail, which for p = 1/2 is the same size.")  # fmt: skip
    if close(2 * tail) and 2 * tail > 1:
        return "when b = c the doubled tail exceeds 1: a p-value is capped at 1 (min(1, ...))."
    if close(chi2.sf((b - c) ** 2 / n, 1)) or close(chi2.sf((abs(b - c) - 1) ** 2 / n, 1)):
        return "that is the chi-square approximation; the exact test sums the binomial tail."
    if close(binomtest(min(b, c), total, 0.5).pvalue):
        return f"count only the {n} images where exactly one model is right, not all {total}."
    if close(2 * float(binom.cdf(min(b, c) - 1, n, 0.5))) or close(
        2 * float(binom.sf(max(b, c), n, 0.5))
    ):
        return ("off by one in the tail: P(X >= max(b, c)) includes max(b, c) itself "
                "(binom.sf(k, ...) is P(X > k), so use binom.sf(max(b, c) - 1, ...)).")  # fmt: skip
    return None


@exercise
def exercise_08_1(answer, right_a=None, right_b=None):
    """A function ``mcnemar_exact(right_a, right_b)``: the exact two-sided McNemar p-value of
    two models from their right/wrong per image (boolean arrays), checked against scipy's
    binomial test on cases of the checker's own (then on ``right_a``, ``right_b`` if given)."""
    if not callable(answer):
        return verdict(False, f"answer a function mcnemar_exact(right_a, right_b), got "
                       f"{_short(answer)}.")  # fmt: skip
    cases = [_mcnemar_case(*counts) for counts in _MCNEMAR_CASES]
    cases.append(tuple(a.astype(int).tolist() for a in _mcnemar_case(7, 2, 11, 1)))  # lists of 0/1
    if right_a is not None and right_b is not None:
        cases.append((np.asarray(right_a, dtype=bool), np.asarray(right_b, dtype=bool)))
    for ra, rb in cases:
        a, b_ = np.asarray(ra, dtype=bool), np.asarray(rb, dtype=bool)
        b, c = int(np.sum(a & ~b_)), int(np.sum(~a & b_))
        call = f"mcnemar_exact on {len(a)} images ({b} only A right, {c} only B right)"
        try:
            got = answer(ra, rb)
        except Exception as error:  # the learner's code: say what it raised
            hint = (" With no deciding image (b = c = 0) nothing tells the models apart: "
                    "return p = 1 before any binomial call." if b + c == 0 else "")  # fmt: skip
            return verdict(False, f"{call} raised {type(error).__name__}: {error}.{hint}")
        value, problem = as_number(got, f"the p-value of {call}")
        if problem is not None:
            return verdict(False, problem + " Return one number, the p-value.")
        want = _mcnemar_p(b, c)
        if np.isclose(value, want, rtol=1e-6, atol=1e-12):
            continue
        hint = _mcnemar_mistake(value, b, c, len(a))
        if hint is None and not 0 <= value <= 1:
            hint = "a p-value is a probability, between 0 and 1; return the p-value, not a count."
        hint = hint or ("the exact test: under 'equally good', b ~ Binomial(b + c, 1/2); "
                        "p = min(1, 2 P(X >= max(b, c))).")  # fmt: skip
        return verdict(False, f"{call} gave {value:.6g}, the exact p-value is {want:.6g}: {hint}")
    return verdict(True, "mcnemar_exact agrees with scipy's exact binomial test on every case, "
                   "ties (p = 1) and no disagreement at all included.")  # fmt: skip


#: Per-seed accuracies (fractions) the interval checker runs a learner's function on.
_SEED_CASES = (
    ([0.9801, 0.9794, 0.9788], [0.9760, 0.9739, 0.9779, 0.9793, 0.9775, 0.9800], 0.95),
    ([0.9747, 0.9757, 0.9748, 0.9702, 0.9743, 0.9762], [0.9699, 0.9715, 0.9713], 0.95),
    ([0.971, 0.969], [0.968, 0.9695], 0.9),
    ([0.5, 0.7, 0.6, 0.65], [0.55, 0.52, 0.58, 0.61, 0.5], 0.99),
)


def _welch(a, b, confidence):
    from scipy.stats import ttest_ind

    ci = ttest_ind(a, b, equal_var=False).confidence_interval(confidence)
    return float(ci.low), float(ci.high)


def _seed_interval_mistake(got, a, b, confidence) -> str | None:
    from scipy.stats import norm, t, ttest_ind

    a, b = np.asarray(a), np.asarray(b)
    d = a.mean() - b.mean()
    close = lambda lo, hi: np.allclose(got, [lo, hi], rtol=1e-6, atol=1e-9)  # noqa: E731
    low, high = _welch(a, b, confidence)
    if close(100 * low, 100 * high):
        return "those are percentage points; keep the units of the accuracies (fractions)."
    if close(-high, -low):
        return "that is B - A; the interval is for mean(acc_a) - mean(acc_b)."
    pooled = ttest_ind(a, b, equal_var=True).confidence_interval(confidence)
    if close(pooled.low, pooled.high):
        return ("that is the pooled (equal-variance) t-interval; two architectures' seeds "
                "spread differently: use Welch's, with Satterthwaite's degrees of freedom.")  # fmt: skip
    se = np.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b))
    z = norm.ppf(0.5 + confidence / 2)
    if close(d - z * se, d + z * se):
        return (f"that uses the normal quantile {z:.3f}; with a few seeds the spread is itself "
                "uncertain: use Student's t with Welch's degrees of freedom.")  # fmt: skip
    if not np.isclose(confidence, 0.95):
        q95 = t.ppf(0.975, (se**4) / ((a.var(ddof=1) / len(a)) ** 2 / (len(a) - 1)
                                      + (b.var(ddof=1) / len(b)) ** 2 / (len(b) - 1)))  # fmt: skip
        if close(d - q95 * se, d + q95 * se):
            return (f"that is the 95% interval; this call asked for confidence={confidence}: "
                    "take the t quantile at 0.5 + confidence / 2.")  # fmt: skip
    se0 = np.sqrt(a.var() / len(a) + b.var() / len(b))
    va0, vb0 = a.var() / len(a), b.var() / len(b)
    welch_df0 = (va0 + vb0) ** 2 / (va0**2 / (len(a) - 1) + vb0**2 / (len(b) - 1))
    for s in (se0,):
        for df in (len(a) + len(b) - 2, min(len(a), len(b)) - 1, welch_df0):
            q = t.ppf(0.5 + confidence / 2, df)
            if close(d - q * s, d + q * s):
                return "the standard deviation of a sample of seeds divides by k - 1 (ddof=1)."
    for df in (len(a) + len(b) - 2, min(len(a), len(b)) - 1, len(a) - 1):
        q = t.ppf(0.5 + confidence / 2, df)
        if close(d - q * se, d + q * se):
            return (f"right standard error, but {df} degrees of freedom; Welch's are "
                    "(va + vb)^2 / (va^2/(kA - 1) + vb^2/(kB - 1)), va = sA^2/kA.")  # fmt: skip
    if close(d - 2 * se, d + 2 * se) or close(d - se, d + se):
        return "the half width is t times the standard error, t from Student's t at the confidence."
    return None


@exercise
def exercise_08_2(answer):
    """A function ``seed_interval(acc_a, acc_b, confidence=0.95)``: Welch's t-interval
    ``(low, high)`` of mean(acc_a) - mean(acc_b) over independent seeds, checked against
    ``scipy.stats.ttest_ind(equal_var=False).confidence_interval`` on cases of its own."""
    if not callable(answer):
        return verdict(False, "answer a function seed_interval(acc_a, acc_b, confidence=0.95), "
                       f"got {_short(answer)}.")  # fmt: skip
    for a, b, confidence in _SEED_CASES:
        call = f"seed_interval({len(a)} seeds, {len(b)} seeds, confidence={confidence})"
        try:
            got = answer(list(a), np.array(b), confidence)
        except Exception as error:  # the learner's code: say what it raised
            return verdict(False, f"{call} raised {type(error).__name__}: {error}.")
        try:
            got = np.asarray(got, dtype=float).ravel()
        except (TypeError, ValueError):
            return verdict(False, f"{call} returned {_short(got)}; return two numbers (low, high).")
        if got.shape != (2,) or not np.all(np.isfinite(got)):
            return verdict(False, f"{call} returned {_short(got)}; return two finite numbers "
                           "(low, high).")  # fmt: skip
        low, high = _welch(a, b, confidence)
        if np.allclose(got, [low, high], rtol=1e-6, atol=1e-9):
            continue
        hint = _seed_interval_mistake(got, a, b, confidence) or (
            "Welch: se = sqrt(sA^2/kA + sB^2/kB) (ddof=1), Satterthwaite's degrees of freedom, "
            "and t from scipy.stats.t.ppf."
        )
        return verdict(False, f"{call} gave [{got[0]:.6f}, {got[1]:.6f}], Welch's interval is "
                       f"[{low:.6f}, {high:.6f}]: {hint}")  # fmt: skip
    return verdict(True, "seed_interval is Welch's t-interval on every case: the seeds' own "
                   "spread, nothing of the test images.")  # fmt: skip


#: How far (in points) a width may be from the checker's: half a hundredth of a point, so a
#: width rounded to two decimals passes, a width from other seeds or images does not.
WIDTH_TOLERANCE = 0.005


def _widths(runs, y_true, a, b, ks):
    from helpers import compare, stats

    pa, pb = compare.predictions(runs, a), compare.predictions(runs, b)
    out = []
    for k in ks:
        c = stats.compare_procedures(y_true, pa[:k], pb[:k])
        out.append(100 * (c.high - c.low))
    return np.array(out)


@exercise
def exercise_08_3(answer, runs, y_test, a="mlp_128_64_32_relu", b="mlp_100"):
    """The widths (in points) of the 95% interval of procedure ``a`` minus ``b`` (seeds and
    test images, ``stats.compare_procedures``) with only the first k seeds of each, for
    k = 2, 3, ... up to the seeds both have; within :data:`WIDTH_TOLERANCE` points."""
    from helpers import compare, stats

    k_max = min(len(compare.predictions(runs, a)), len(compare.predictions(runs, b)))
    ks = list(range(2, k_max + 1))
    want = _widths(runs, y_test, a, b, ks)
    try:
        got = np.asarray(answer, dtype=float).ravel()
    except (TypeError, ValueError):
        return verdict(False, f"answer an array of {len(ks)} widths (k = {ks[0]} ... {ks[-1]}), "
                       f"got {_short(answer)}.")  # fmt: skip
    if got.shape != want.shape:
        return verdict(False, f"answer {len(ks)} widths, one for each k = {ks[0]}, ..., {ks[-1]} "
                       f"(your answer has {got.size}).")  # fmt: skip
    if not np.all(np.isfinite(got)):
        return verdict(
            False, "some widths are NaN or infinite: k starts at 2 (one seed has no spread)."
        )
    if np.allclose(got, want, rtol=0, atol=WIDTH_TOLERANCE):
        shown = ", ".join(f"{k} seeds {w:.2f}" for k, w in zip(ks, want, strict=True))
        return verdict(True, f"the widths in points: {shown}.")
    if np.allclose(got, want / 100, rtol=0, atol=WIDTH_TOLERANCE / 100):
        return verdict(False, "those are fractions; the widths are asked in points (times 100).")
    if np.allclose(got, want / 2, rtol=0, atol=WIDTH_TOLERANCE):
        return verdict(
            False, "those are half widths (estimate to one end); the width is high - low."
        )
    pa, pb = compare.predictions(runs, a), compare.predictions(runs, b)
    seeds_only = [stats.compare_procedures(y_test, pa[:k], pb[:k]).seeds_only() for k in ks]
    if np.allclose(got, [100 * (c.high - c.low) for c in seeds_only], rtol=0, atol=WIDTH_TOLERANCE):
        return verdict(False, "those are the seeds-only (Welch) widths: .seeds_only() leaves out "
                       "the test images; the question asks for both sources, the interval "
                       "compare_procedures returns itself.")  # fmt: skip
    return verdict(False, f"with k = {ks[0]}: {got[0]:.4f} points, expected {want[0]:.4f}. Use "
                   "stats.compare_procedures(y_test, preds_a[:k], preds_b[:k]) on the TEST "
                   "predictions of the two models, with the first k seeds of each.")  # fmt: skip


# --------------------------------------------------------------------------- notebook 09


#: The layers exercise 09_1 checks a function on: (side, kernel, channels, filters, padding).
CONV_CASES = (
    (28, 5, 1, 16, "valid"),
    (13, 3, 32, 64, "valid"),
    (28, 3, 1, 8, "same"),
    (11, 4, 3, 5, "same"),
    (9, 1, 6, 2, "valid"),
)


def _keras_conv(side, kernel, channels, filters, padding):
    """(output side, parameters) of a Keras Conv2D layer, measured by building it."""
    import keras

    layer = keras.layers.Conv2D(filters, kernel, padding=padding)
    out = layer.compute_output_shape((None, side, side, channels))
    layer.build((None, side, side, channels))
    assert out[1] == out[2]
    return int(out[1]), int(layer.count_params())


def _conv_mistake(got, side, kernel, channels, filters, padding) -> str | None:
    """What a wrong (side, parameters) pair most likely got wrong, or None."""
    out_side, params = got
    want_side = side if padding == "same" else side - kernel + 1
    weights = kernel * kernel * channels * filters
    if (params, out_side) == (want_side, weights + filters) and params != out_side:
        return "the pair is the wrong way round: return (output side, parameters)."
    if out_side != want_side:
        if padding == "valid" and out_side == side - kernel:
            return (
                f"off by one: the kernel's top-left corner can sit at positions 0 .. "
                f"{side - kernel}, that is side - kernel + 1 = {side - kernel + 1} of them."
            )
        if padding == "valid" and out_side == side:
            return "without padding ('valid') the kernel fits in fewer positions than the side."
        if padding == "same" and out_side == side - kernel + 1:
            return (
                "with padding='same' Keras adds zeros around the border so that the output keeps "
                "the input's side (at stride 1); only 'valid' loses kernel - 1."
            )
        return f"the output side should be {want_side}, got {out_side}."
    if params == weights:
        return "you counted the weights; every filter also has one bias."
    if params == (kernel * kernel + 1) * filters and channels > 1:
        return (
            f"each kernel spans all {channels} input channels: it has kernel x kernel x channels "
            "weights (and one bias)."
        )
    if params == weights + kernel * kernel * channels:
        return "one bias per filter (per output map), not one per kernel weight."
    if params in (
        want_side**2 * filters,
        side * side * filters,
        want_side**2 * (weights + filters),
    ):
        return (
            "the weights are shared: a filter has the same weights at every position, so the "
            "image size does not enter the parameter count."
        )
    return None


@exercise
def exercise_09_1(answer):
    """A function ``conv_output_side_and_params(side, kernel, channels, filters, padding)``:
    ``(output side, parameters)`` of ``keras.layers.Conv2D(filters, kernel, padding=padding)``
    (stride 1) on ``side`` x ``side`` x ``channels`` inputs; checked against Keras on
    :data:`CONV_CASES`."""
    if not callable(answer):
        return verdict(
            False,
            "answer the function itself: answer = conv_output_side_and_params "
            f"(without brackets), got {_short(answer)}.",
        )
    for case in CONV_CASES:
        side, kernel, channels, filters, padding = case
        call = (
            f"conv_output_side_and_params({side}, {kernel}, {channels}, {filters}, "
            f"padding={padding!r})"
        )
        try:
            got = answer(side, kernel, channels, filters, padding=padding)
        except Exception as exc:  # a learner's function may raise anything
            return verdict(False, f"{call} raised {type(exc).__name__}: {exc}")
        if got is None:
            return verdict(False, f"{call} returned None: did you forget the return line?")
        if (
            _holds_text(got)
            or isinstance(got, dict)
            or not hasattr(got, "__len__")
            or len(got) != 2
        ):
            return verdict(
                False, f"{call} should return a pair (output side, parameters); got {_short(got)}."
            )
        values = []
        for value, what in zip(got, ("the output side", "the number of parameters"), strict=True):
            number, problem = _whole(value, f"{what} of {call}")
            if problem is not None:
                return problem
            values.append(number)
        want = _keras_conv(*case)
        if tuple(values) != want:
            hint = _conv_mistake(values, *case) or "compare with the formulas of section 4."
            return verdict(
                False, f"{call} returned {tuple(values)}; Keras's Conv2D gives {want}: {hint}"
            )
    return verdict(
        True,
        f"equal to Keras's Conv2D on all {len(CONV_CASES)} layers: side - kernel + 1 without "
        "padding, the same side with 'same', and (kernel x kernel x channels + 1) x filters "
        "parameters whatever the image size.",
    )


def _rotated_accuracy(model, x, y, degrees):
    from scipy import ndimage

    from helpers import augment

    turned = ndimage.rotate(
        np.asarray(x, dtype="float32"),
        degrees,
        axes=(1, 2),
        reshape=False,
        order=1,
        mode="constant",
    )
    return float(np.mean(augment.predict_digits(model, turned)[0] == np.asarray(y)))


@exercise
def exercise_09_2(answer, model, x, y, degrees=30):
    """An experiment: ``model``'s accuracy (a fraction) on the images ``x`` turned by
    ``degrees`` (counter-clockwise, section 2's ``rotate``). Within 0.003: another
    interpolation of the turned pixels moves a few digits, not more."""
    expected = _rotated_accuracy(model, x, y, degrees)
    if _PROBING.get():
        _probe_point(expected, 0.0, 0.003)
    value, problem = as_number(answer, "the accuracy")
    if problem:
        return verdict(False, problem)
    if not np.isclose(value, expected, rtol=0, atol=0.003):
        hints = [
            (100 * expected, "that looks like a percentage; give a fraction between 0 and 1."),
            (1 - expected, "that is the error rate; give the share of digits it gets RIGHT."),
            (
                _rotated_accuracy(model, x, y, 0),
                "that is the accuracy on the digits as they "
                f"are; turn them by {degrees} degrees first (rotate(x, {degrees})).",
            ),
            (
                _rotated_accuracy(model, x, y, -degrees),
                f"that is the accuracy on digits turned the other way (-{degrees} degrees, "
                f"clockwise); the exercise turns them by +{degrees} (rotate(x_curve, {degrees})).",
            ),
        ]
        for wrong, explanation in hints:
            if np.isclose(value, wrong, rtol=0, atol=0.003):
                return verdict(False, explanation)
        if value > 1:
            return verdict(False, f"{value:.6g} is above 1: an accuracy is a share of the digits.")
        return verdict(
            False,
            f"{value:.4f} is not what the model scores on these {len(y):,} digits turned by "
            f"{degrees} degrees: did you pass the same images (x_curve, y_curve) and the "
            "model asked for?",
        )
    return verdict(
        True,
        f"turned by {degrees} degrees, the model gets {expected:.2%} of these {len(y):,} "
        "digits right. Now compare with section 7's table.",
    )


@exercise
def exercise_09_3(answer):
    """A function ``shift_right(images, k)``: move (n, 28, 28) images k pixels right, zeros in."""
    if not callable(answer):
        return verdict(False, f"answer a function shift_right(images, k), got {answer!r}.")
    rng = np.random.default_rng(8)
    images = rng.random((3, 28, 28)).astype(np.float32)
    for k in (1, 3, 0):
        try:
            got = answer(images.copy(), k)
        except Exception as exc:  # a learner's function may raise anything
            hint = ""
            if k == 0 and isinstance(exc, ValueError | IndexError):
                hint = (
                    " (with k = 0, images[:, :, :-k] is images[:, :, :0], an EMPTY slice: "
                    "write images[:, :, : 28 - k] or images[:, :, : images.shape[2] - k])"
                )
            return verdict(
                False, f"shift_right(images, {k}) raised {type(exc).__name__}: {exc}{hint}"
            )
        if got is None:
            return verdict(
                False, f"shift_right(images, {k}) returned None: did you forget the return line?"
            )
        got = np.asarray(got)
        expected = np.zeros_like(images)
        expected[:, :, k:] = images[:, :, : 28 - k]
        if got.shape != images.shape:
            return verdict(False, f"the shape must stay {images.shape}; got {got.shape}.")
        if np.allclose(got, expected):
            continue
        if np.allclose(got, np.roll(images, k, axis=2)):
            return verdict(
                False,
                "np.roll wraps the right edge around to the left; the new left columns must be 0 (no ink).",
            )
        if np.allclose(got[:, k:, :], images[:, : 28 - k, :]):
            return verdict(
                False,
                "that moves the image down (axis 1, rows); right is along axis 2, the columns.",
            )
        if k and np.allclose(got[:, :, : 28 - k], images[:, :, k:]):
            return verdict(
                False, "that moves it left; to the right, column j takes the value of column j - k."
            )
        return verdict(False, f"shift_right(images, {k}) differs from the expected shift.")
    return verdict(
        True, "column j now holds column j - k, and the k new columns on the left are blank."
    )


@exercise
def exercise_09_4(answer):
    """A function ``max_pool(maps)``: (height, width, channels) feature maps -> the maximum of
    each 2 x 2 block, per channel, as ``keras.layers.MaxPooling2D(2)`` does (an odd last row or
    column is dropped)."""
    import keras

    if not callable(answer):
        return verdict(False, f"answer a function max_pool(maps), got {_short(answer)}.")
    rng = np.random.default_rng(9)
    for shape in [(4, 4, 1), (26, 26, 3), (13, 11, 2)]:
        maps = rng.normal(size=shape).astype("float32")
        try:
            got = answer(maps.copy())
            if got is None:
                return verdict(False, "max_pool returned None: did you forget the return line?")
            got = np.asarray(got, dtype=float)
        except Exception as exc:  # a learner's function may raise anything
            return verdict(False, f"max_pool raised {type(exc).__name__}: {exc}")
        want = keras.ops.convert_to_numpy(keras.layers.MaxPooling2D(2)(maps[None]))[0]
        h, w, c = shape
        if got.shape != want.shape:
            if got.shape == ((h + 1) // 2, (w + 1) // 2, c) and (h % 2 or w % 2):
                return verdict(
                    False,
                    f"for {h} x {w} maps the result should be {want.shape}: like Keras, drop an odd "
                    "last row or column (no padding), do not pool it alone.",
                )
            if got.shape == (h // 2, w // 2):
                return verdict(False, "pool each channel on its own: keep the channels axis.")
            if got.shape == (h - 1, w - 1, c):
                return verdict(
                    False, "the 2 x 2 windows overlap (stride 1); move them by 2 (stride 2)."
                )
            return verdict(
                False,
                f"for maps of shape {shape} the result should have shape "
                f"{want.shape}, got {got.shape}.",
            )
        if np.allclose(got, want, atol=1e-6):
            continue
        blocks = maps[: h // 2 * 2, : w // 2 * 2].reshape(h // 2, 2, w // 2, 2, c)
        if np.allclose(got, blocks.mean(axis=(1, 3)), atol=1e-6):
            return verdict(
                False, "that is the MEAN of each block (average pooling); take the maximum."
            )
        if np.allclose(got, blocks.min(axis=(1, 3)), atol=1e-6):
            return verdict(False, "that is the minimum of each block; take the maximum.")
        if np.allclose(got, maps[: h // 2 * 2 : 2, : w // 2 * 2 : 2], atol=1e-6):
            return verdict(
                False, "that keeps the top-left value of each block; take the largest of the four."
            )
        mixed = maps[: h // 2 * 2, : w // 2 * 2].reshape(h // 2, w // 2, 2, 2, c)
        if np.allclose(got, mixed.max(axis=(2, 3)), atol=1e-6):
            return verdict(
                False,
                "your 2 x 2 groups are not the blocks of the map: reshape(h // 2, w // 2, 2, 2, c) "
                "mixes rows and columns. Keep each axis's pair next to it: reshape(h // 2, 2, "
                "w // 2, 2, c), then the maximum over axes 1 and 3.",
            )
        wrong = int(np.sum(~np.isclose(got, want, atol=1e-6)))
        return verdict(
            False,
            f"for maps of shape {shape}, {wrong} of {want.size} values differ "
            "from the maximum of their 2 x 2 block.",
        )
    return verdict(
        True,
        "each value is the largest of its 2 x 2 block, channel by channel, as in "
        "MaxPooling2D (odd edges dropped).",
    )


# ------------------------------------------------------- notebook 04: backprop, written by you
# The checking lives in helpers/stepcheck.py (TensorFlow and Keras as the references); these
# wrappers give the exercises the series' checker form ("Not yet" for ..., a Verdict).


@exercise
def exercise_04_momentum(answer):
    """``momentum_step(params, grads, velocity, lr, mu)``, three steps against Keras's SGD."""
    from helpers import stepcheck

    return verdict(*stepcheck.exercise_momentum(answer))


@exercise
def exercise_04_weight_decay(answer):
    """``backward_l2(params, cache, labels, lam)`` against TensorFlow's gradient of the
    loss plus (lam / 2) times the sum of the squared weights."""
    from helpers import stepcheck

    return verdict(*stepcheck.exercise_weight_decay(answer))


@exercise
def exercise_04_input_gradient(answer):
    """``input_gradient(params, x, labels)``: dL/dx against TensorFlow's."""
    from helpers import stepcheck

    return verdict(*stepcheck.exercise_input_gradient(answer))


@exercise
def exercise_04_value_tanh(answer, value_class, backward_graph):
    """``value_tanh(v)``: a new operation for notebook 04's ``Value``, against TensorFlow."""
    from helpers import stepcheck

    return verdict(*stepcheck.exercise_value_tanh(answer, value_class, backward_graph))


# ============================================================================ notebook 10
# (owner: notebook 10 "what the network looks at"; the checkers of its three exercises)


def _call(func, name, *args):
    """``(result, None)`` or ``(None, verdict)`` when the learner's function raised."""
    try:
        return np.asarray(func(*args), dtype=float), None
    except Exception as exc:  # a learner's function may raise anything
        return None, verdict(False, f"{name} raised {type(exc).__name__}: {exc}")


@exercise
def exercise_10_1(answer):
    """A function ``fgsm_step(x, gradient, eps)``: clip(x + eps * sign(gradient), 0, 1)."""
    if not callable(answer):
        return verdict(False, f"answer a function fgsm_step(x, gradient, eps), got {answer!r:.60}.")
    rng = np.random.default_rng(10)
    x = rng.random((3, 28, 28)).astype(np.float32)
    x[:, :4] = 0.0  # blank paper: a step down must stay at 0
    x[:, -4:] = 1.0  # full ink: a step up must stay at 1
    gradient = rng.normal(size=x.shape).astype(np.float32)
    gradient[0, 10, :5] = 0.0  # no gradient: the pixel stays
    for eps in (0.1, 0.03):
        got, failed = _call(answer, "fgsm_step(x, gradient, eps)", x.copy(), gradient.copy(), eps)
        if failed is not None:
            return failed
        expected = np.clip(x + eps * np.sign(gradient), 0, 1)
        if got.shape != x.shape:
            return verdict(
                False, f"the result must have the images' shape {x.shape}; got {got.shape}."
            )
        if np.allclose(got, expected, atol=1e-6):
            continue
        if np.allclose(got, np.clip(x - eps * np.sign(gradient), 0, 1), atol=1e-6):
            return verdict(
                False,
                "that steps against the gradient, making the loss smaller; FGSM adds eps * sign(gradient).",
            )
        if np.allclose(got, x + eps * np.sign(gradient), atol=1e-6):
            return verdict(
                False, "right step, but pixels must stay in [0, 1]: clip the result (np.clip)."
            )
        if np.allclose(got, np.clip(x + eps * gradient, 0, 1), atol=1e-6):
            return verdict(
                False,
                "that scales the gradient itself; FGSM uses only its sign (np.sign), so every pixel moves by exactly eps.",
            )
        return verdict(False, f"with eps = {eps} the result differs from clip(x + eps * sign(gradient), 0, 1) "
                       f"by up to {np.abs(got - expected).max():.3g}.")  # fmt: skip
    return verdict(
        True, "every pixel moves by eps in the direction that raises the loss, and stays in [0, 1]."
    )


@exercise
def exercise_10_2(answer):
    """A function ``entropy(p)``: -sum_k p_k ln p_k of every row, with 0 ln 0 = 0."""
    if not callable(answer):
        return verdict(False, f"answer a function entropy(p), got {answer!r:.60}.")
    rng = np.random.default_rng(11)
    p = rng.dirichlet(np.full(10, 0.3), size=6)
    p[0] = 0.0
    p[0, 3] = 1.0  # a sure answer: entropy 0
    p[1] = 0.1  # ten equal probabilities: ln 10
    p[2, :5], p[2, 5:] = 0.2, 0.0  # zeros next to equal shares: ln 5
    expected = -np.sum(np.where(p > 0, p * np.log(np.where(p > 0, p, 1)), 0), axis=1)
    got, failed = _call(answer, "entropy(p)", p.copy())
    if failed is not None:
        return failed
    if got.shape != (len(p),):
        return verdict(
            False, f"one entropy per row: shape ({len(p)},); got {got.shape} (sum over axis=1)."
        )
    if np.any(np.isnan(got)):
        return verdict(
            False,
            "NaN where a probability is 0: 0 * log 0 is taken as 0 (np.where, or add nothing for p = 0).",
        )
    if np.allclose(got, expected, atol=1e-6):
        return verdict(
            True,
            "0 for a sure answer, ln 10 = 2.303 for ten equal probabilities, in between otherwise.",
        )
    if np.allclose(got, -expected, atol=1e-6):
        return verdict(
            False, "the sign: log p is negative, so the entropy is MINUS the sum of p log p."
        )
    if np.allclose(got, expected / np.log(2), atol=1e-6):
        return verdict(False, "that is in bits (log2); the series uses nats (np.log).")
    return verdict(
        False, f"expected {np.round(expected, 3).tolist()}, got {np.round(got, 3).tolist()}."
    )


@exercise
def exercise_10_3(answer):
    """A function ``accuracy_after_refusing(confidence, correct, share)``."""
    if not callable(answer):
        return verdict(
            False,
            f"answer a function accuracy_after_refusing(confidence, correct, share), got {answer!r:.60}.",
        )
    rng = np.random.default_rng(12)
    confidence = rng.random(200)
    correct = rng.random(200) < 0.3 + 0.7 * confidence  # the surer, the more often right
    for share in (0.0, 0.1, 0.45):
        got, failed = _call(
            answer, "accuracy_after_refusing(...)", confidence.copy(), correct.copy(), share
        )
        if failed is not None:
            return failed
        kept = 200 - int(np.rint(share * 200))
        order = np.argsort(-confidence)
        expected = correct[order[:kept]].mean()
        if got.shape != ():
            return verdict(
                False, f"return one number (the accuracy), got an array of shape {got.shape}."
            )
        if np.isclose(got, expected, atol=1e-9):
            continue
        if share and np.isclose(got, correct[order[200 - kept :]].mean(), atol=1e-9):
            return verdict(
                False,
                "that refuses the MOST confident inputs; refuse the least confident (sort by -confidence).",
            )
        if np.isclose(got, 100 * expected, atol=1e-6):
            return verdict(False, "a share between 0 and 1, not a percentage.")
        if share and np.isclose(got, correct.mean(), atol=1e-9):
            return verdict(
                False, "that is the accuracy on all inputs: drop the refused ones before averaging."
            )
        return verdict(
            False, f"refusing {share:.0%}: expected {expected:.4f}, got {float(got):.4f}."
        )
    return verdict(
        True, "the least confident inputs are refused first, and the accuracy is over the rest."
    )
