"""Exercise checkers: right answers pass, typical mistakes get a specific message."""

from __future__ import annotations

import numpy as np
import pytest

from helpers import checks, data


def test_unanswered_exercise_nudges_instead_of_failing(capsys):
    verdict = checks.exercise_01_4(..., row=1, col=2)
    assert not verdict and "replace the ..." in capsys.readouterr().out


def _frame_images():
    x = np.zeros((4, 28, 28), np.uint8)
    x[0, 0, 0] = 10  # ink in the outermost ring
    x[1, 3, 14] = 200  # ink in the frame's innermost row (row 3)
    x[2, 4, 14] = 200  # ink just inside the frame: not counted
    x[3, 14, 14] = 200  # centre only
    return x


def _inked(width):
    def share(images, w):
        frame = np.ones(images.shape[1:], bool)
        frame[width:-width, width:-width] = False  # ``width`` fixed: ignores ``w``
        return float(np.mean((images[:, frame] > 0).any(axis=1)))

    return share


def right_share(images, width):
    frame = np.ones(images.shape[1:], bool)
    frame[width:-width, width:-width] = False
    return float(np.mean((images[:, frame] > 0).any(axis=1)))


def test_exercise_01_frame_share():
    x = _frame_images()
    verdict = checks.exercise_01_1(right_share, x)
    assert verdict and "0.5000 of the test images" in verdict.message  # images 0 and 1
    assert "pixels wide; use `width`" in checks.exercise_01_1(_inked(4), x).message  # fixed 4
    assert "percentage" in checks.exercise_01_1(lambda im, w: 100 * right_share(im, w), x).message
    assert "WITHOUT" in checks.exercise_01_1(lambda im, w: 1 - right_share(im, w), x).message

    def pixel_share(images, width):
        frame = np.ones(images.shape[1:], bool)
        frame[width:-width, width:-width] = False
        return float(np.mean(images[:, frame] > 0))

    assert "PIXELS" in checks.exercise_01_1(pixel_share, x).message
    assert "5 pixels wide" in checks.exercise_01_1(lambda im, w: right_share(im, w + 1), x).message
    assert not checks.exercise_01_1(lambda im, w: right_share(im, w) + 0.01, x)

    def in_place(images, width):
        images[:] = 0
        return 0.0

    assert "changed the images" in checks.exercise_01_1(in_place, x).message
    assert "raised ZeroDivisionError" in checks.exercise_01_1(lambda im, w: 1 / 0, x).message
    assert "FUNCTION" in checks.exercise_01_1(0.5, x).message  # the result, not the function
    assert "returned None" in checks.exercise_01_1(lambda im, w: None, x).message  # the stub
    for bad, text in [
        (True, "not True"),
        ("0.5", "text"),
        (float("nan"), "finite"),
        (np.array([0.5, 0.5]), "single number"),
    ]:
        assert text in checks.exercise_01_1(lambda im, w, bad=bad: bad, x).message


def _frame(images, width):
    frame = np.ones(images.shape[1:], bool)
    frame[width:-width, width:-width] = False
    return frame


@pytest.mark.parametrize(
    "wrong, phrase",
    [
        (lambda im, w: float(np.sum((im[:, _frame(im, w)] > 0).any(axis=1))), "NUMBER of images"),
        (lambda im, w: (im[:, _frame(im, w)] > 0).any(axis=1), "One share for all the images"),
        (lambda im, w: float(np.mean((im[:, _frame(im, w)] >= 0).any(axis=1))), "> 0"),
        (lambda im, w: float(np.mean((im[:, w:-w, w:-w] > 0).any(axis=(1, 2)))), "MIDDLE"),
        (lambda im, w: right_share(im, w - 1), "3 pixels wide"),
        (
            lambda im, w: float(im[:, _frame(im, w)].sum() / im.sum()),
            "share of all the INK",
        ),
        (
            lambda im, w: float(
                np.mean((np.concatenate([im[:, :w], im[:, -w:]], axis=1) > 0).any(axis=(1, 2)))
            ),
            "only the top and bottom rows",
        ),
    ],
)
def test_exercise_01_frame_share_names_the_mistake(wrong, phrase):
    """A wrong function is recognised by what it returns on all the checker's cases (its own
    seven images and the images it is given, at widths 4 and 2), once: no "Correct" line for a
    case on the way to "Not yet"."""
    verdict = checks.exercise_01_1(wrong, _frame_images())
    assert not verdict and phrase in verdict.message, verdict.message


def test_exercise_01_frame_share_prints_one_line(capsys):
    assert checks.exercise_01_1(right_share, _frame_images())
    assert capsys.readouterr().out.count("\n") == 1
    assert not checks.exercise_01_1(_inked(4), _frame_images())
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "Correct" not in out


def test_exercise_01_most_ink():
    y = np.array([0, 1, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9])  # 1 is the commonest digit
    rows = {0: 10, 1: 3, 2: 1}  # inked rows per image: 0 the most ink, 2 the least
    x = np.zeros((len(y), 28, 28), np.uint8)
    for i, d in enumerate(y):
        x[i, : rows.get(int(d), 5)] = 255
    assert checks.exercise_01_2(0, x, y)
    assert checks.exercise_01_2(np.int64(0), x, y)
    assert "most IMAGES" in checks.exercise_01_2(1, x, y).message
    assert "LEAST ink" in checks.exercise_01_2(2, x, y).message
    assert "another digit has more ink" in checks.exercise_01_2(5, x, y).message
    assert "not a digit" in checks.exercise_01_2(12, x, y).message
    assert "whole number" in checks.exercise_01_2(0.4, x, y).message  # not truncated to 0
    assert "not True" in checks.exercise_01_2(True, x, y).message  # True is not the digit 1
    assert "text" in checks.exercise_01_2("0", x, y).message


def test_exercise_01_normalise():
    image = np.array([[0, 51, 255]] * 28, np.uint8)[:, :3]

    def right(images):
        return images.astype(np.float32) / 255

    assert checks.exercise_01_3(right, image)
    for wrong, text in [
        (lambda im: im, "still uint8"),
        (lambda im: im / 255 / 255, "twice"),
        (lambda im: im / 255, "dtype is float64"),
        (lambda im: im / 256, "256"),  # the values are checked before the dtype
        (lambda im: im / 300, "differ"),
        (lambda im: im.astype(np.float32) / im.max(), "largest value"),  # faint image
        (lambda im: np.full(im.shape, "a"), "numbers"),
        (lambda im: np.full(im.shape, np.nan, np.float32), "NaN"),
        (lambda im: im.ravel() / 255, "shape changed"),
        (lambda im: im.astype(np.float32), "divide by 255"),
        (lambda im: 1 / 0, "raised ZeroDivisionError"),
        (lambda im: None, "returned None"),  # the unwritten stub, or no `return`
        (lambda im: im // 255, "floor division"),
        (lambda im: im.astype(np.float16) / 255, "dtype is float16"),  # not "values differ"
        (data.normalize, "helpers.data"),  # the exercise says: without data.normalize
    ]:
        verdict = checks.exercise_01_3(wrong, image)
        assert not verdict and text in verdict.message, (text, verdict.message)

    def in_place(images):
        result = images.astype(np.float32) / 255
        images[...] = 0  # "frees" the input
        return result

    assert "changed the images" in checks.exercise_01_3(in_place, image).message
    assert "FUNCTION" in checks.exercise_01_3(right(image), image).message


def test_exercise_01_flat_index():
    assert checks.exercise_01_4(28 * 4 + 9, row=4, col=9)
    assert "swapped" in checks.exercise_01_4(28 * 9 + 4, row=4, col=9).message
    assert not checks.exercise_01_4(28 * 4 + 10, row=4, col=9)
    assert "whole number" in checks.exercise_01_4(28 * 4 + 9.4, row=4, col=9).message


def test_check_array_reports_shape_then_values():
    assert checks.check_array([1, 2], np.array([1, 2]))
    assert "shape" in checks.check_array([1, 2, 3], np.array([1, 2])).message
    assert "1 wrong entries" in checks.check_array([1, 5], np.array([1, 2])).message


def test_exercise_01_best_of_k_experiment(capsys):
    # the checker's exact expected value, against a simulation with many repeats
    rng = np.random.default_rng(0)
    n, k = 4000, 20
    simulated = 100 * (rng.binomial(n, 0.98, size=(20000, k)).max(axis=1).mean() / n - 0.98)
    assert checks.exercise_01_5(simulated, n_test=n, k=k, n_before=1000)
    assert "times less optimism" in capsys.readouterr().out
    # the optimism of the smaller set is recognised and explained
    before = 100 * (rng.binomial(1000, 0.98, size=(20000, k)).max(axis=1).mean() / 1000 - 0.98)
    verdict = checks.exercise_01_5(before, n_test=n, k=k, n_before=1000)
    assert not verdict and "1,000 images" in verdict.message
    assert not checks.exercise_01_5(simulated / 100, n_test=n, k=k)  # a fraction, not points
    assert not checks.exercise_01_5(0.0, n_test=n, k=k)  # no optimism at all is wrong for k = 20
    assert not checks.exercise_01_5(..., n_test=n)
    # k = 1: no choice, no optimism
    assert checks.exercise_01_5(0.0, n_test=n, k=1)
