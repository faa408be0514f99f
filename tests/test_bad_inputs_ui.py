"""Bad input at the learner- and teacher-facing entry points (issue 23, items 8 and 11):
images, the drawing pad, the slides, the student edition and the Colab setup cell.

Each case asserts the exception type (or the exit status of a command), that the message
names the input, says what is wrong and what to do, and that no file was written, changed
or deleted (a snapshot of the folder involved and of the repository's output folders).
"""

from __future__ import annotations

import io
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from helpers import config, images, pad, slides, student

WATCHED = [config.IMG_DIR, config.ROOT / "slides", config.ROOT / "build", config.NOTEBOOKS_DIR]


def snapshot(*folders: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``folders`` with its size and modification time."""
    found = {}
    for folder in folders:
        if folder.exists():
            for path in folder.rglob("*"):
                if path.is_file():
                    stat = path.stat()
                    found[str(path)] = (stat.st_size, stat.st_mtime_ns)
    return found


@pytest.fixture
def nothing_written(tmp_path):
    """A folder for the test's input files; fails the test if a file appears, changes or
    disappears in the repository's output folders, or in that folder beyond the files the
    test made before its first call (each test snapshots those itself)."""
    before = snapshot(*WATCHED)
    yield tmp_path
    changed = set(snapshot(*WATCHED).items()) ^ set(before.items())
    assert not changed, f"files changed: {sorted(changed)[:5]}"
    extra = [p.name for p in tmp_path.iterdir() if p.suffix in (".tmp", ".html", ".ipynb")]
    assert extra == [] or extra == ["deck.html"], f"files written: {extra}"


def file_bytes(save, **options) -> bytes:
    buffer = io.BytesIO()
    save(buffer, **options)
    return buffer.getvalue()


# --------------------------------------------------------------------------- images (item 8)


def test_eps_is_refused_unread_so_it_never_reaches_ghostscript(nothing_written, monkeypatch):
    path = nothing_written / "digit.eps"
    path.write_bytes(b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 28 28\nshowpage\n")
    before = snapshot(nothing_written)
    from PIL import EpsImagePlugin

    def ghostscript(*args, **kwargs):  # pragma: no cover - the failure this test guards
        raise AssertionError("Ghostscript was called for an uploaded EPS file")

    monkeypatch.setattr(EpsImagePlugin, "Ghostscript", ghostscript, raising=False)
    with pytest.raises(images.DigitImageError) as caught:
        images.prepare_digit(path)
    message = str(caught.value)
    assert str(path) in message  # the input
    assert "not an image in a format read here" in message and "EPS" in message  # what
    assert "Save the digit as PNG or JPEG" in message  # the fix
    assert snapshot(nothing_written) == before


def test_an_animated_gif_is_explained_not_called_blank(nothing_written):
    frames = [Image.new("L", (40, 40), 255), Image.new("L", (40, 40), 255)]
    frames[1].paste(0, (15, 5, 25, 35))  # the digit is on frame 2
    path = nothing_written / "animated.gif"
    path.write_bytes(file_bytes(frames[0].save, format="GIF", save_all=True,
                                append_images=frames[1:]))  # fmt: skip
    with pytest.raises(images.DigitImageError) as caught:
        images.prepare_digit(path)
    message = str(caught.value)
    assert str(path) in message
    assert "animation" in message and "2 frames" in message and "blank" not in message
    assert "Save the frame with the digit as a single image" in message


def test_a_text_mode_file_object_is_named_with_the_fix(nothing_written):
    path = nothing_written / "digit.png"
    Image.new("L", (28, 28), 0).save(path)
    with open(path, encoding="latin-1") as handle, pytest.raises(TypeError) as caught:
        images.prepare_digit(handle)
    message = str(caught.value)
    assert str(path) in message and "text mode" in message and "open(path, 'rb')" in message


def test_a_float_tiff_gets_advice_a_file_can_follow(nothing_written):
    values = np.zeros((40, 40), dtype=np.float32)
    values[5:35, 15:25] = 4000.0  # no meaning as grey levels
    path = nothing_written / "scan.tif"
    Image.fromarray(values).save(path)
    with pytest.raises(images.DigitImageError) as caught:
        images.prepare_digit(path)
    message = str(caught.value)
    assert str(path) in message and "floating-point" in message and "4000" in message
    assert "Divide by the value of white" not in message  # advice for arrays, not files
    assert "Export the image as an 8-bit PNG or JPEG" in message


@pytest.mark.parametrize("invert", ["no", "False", 0.0, 1])
def test_invert_must_be_none_true_or_false(invert, nothing_written):
    with pytest.raises(TypeError) as caught:
        images.prepare_digit(np.eye(28), invert=invert)
    message = str(caught.value)
    assert repr(invert) in message and "invert must be None" in message
    assert "invert=False" in message


def test_pure_noise_is_returned_with_a_warning(nothing_written):
    noise = np.random.default_rng(0).random((100, 100))
    with pytest.warns(images.NoDigitWarning, match=r"noise or speckle.*pieces.*check the file"):
        out = images.prepare_digit(noise)
    assert out.shape == (28, 28)
    # a real digit gets no such warning
    with warnings.catch_warnings():
        warnings.simplefilter("error", images.NoDigitWarning)
        images.prepare_digit(config.SAMPLES_DIR / "3_drawn_pen_like.png")


# --------------------------------------------------------------------------- the pad


@pytest.mark.parametrize("label", ["seven", "7", 7.9, 7.0, True, [7]])
def test_upload_digit_label_must_be_a_whole_digit(label, nothing_written):
    image = nothing_written / "7.png"
    Image.new("L", (28, 28), 0).save(image)
    before = snapshot(nothing_written)
    with pytest.raises(TypeError) as caught:
        pad.upload_digit(lambda x, training=False: x, path=image, label=label)
    message = str(caught.value)
    assert repr(label) in message and "whole number 0..9" in message and "label=7" in message
    assert snapshot(nothing_written) == before


@pytest.mark.parametrize("label", [10, -1])
def test_upload_digit_label_out_of_range(label):
    with pytest.raises(ValueError, match=rf"label must be a digit 0\.\.9.*{label}"):
        pad.upload_digit(lambda x, training=False: x, path="x.png", label=label)


def test_nan_probabilities_are_refused_not_read_as_digit_0():
    def broken(x, training=False):  # a model whose training diverged
        return np.full((len(x), 10), np.nan, dtype=np.float32)

    with pytest.raises(ValueError) as caught:
        pad.probabilities(broken, np.zeros((1, 28, 28), dtype=np.float32))
    message = str(caught.value)
    assert "NaN" in message and "argmax would say 0" in message and "Train it again" in message


# --------------------------------------------------------------------------- slides


@pytest.mark.parametrize("folder", ["", "   "])
def test_slides_build_with_an_empty_folder_name_exits_with_a_message(
    folder, capsys, nothing_written
):
    with pytest.raises(SystemExit) as stopped:
        slides.main(["--build", folder])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "--build was given an empty folder name" in err and "--build slides" in err


def test_slides_build_onto_a_file_leaves_it_alone(capsys, nothing_written):
    target = nothing_written / "deck.html"
    target.write_text("my notes")
    before = snapshot(nothing_written)
    with pytest.raises(SystemExit) as stopped:
        slides.main(["--build", str(target)])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert str(target) in err and "is a file, not a folder" in err and "--build slides" in err
    assert snapshot(nothing_written) == before and target.read_text() == "my notes"


# --------------------------------------------------------------------------- student edition


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs Linux's /proc")
def test_student_edition_into_proc_is_a_message_not_a_traceback(capsys, nothing_written):
    assert student.main(["/proc/x"]) == 2
    err = capsys.readouterr().err
    assert "/proc/x" in err and "Choose" in err and "Traceback" not in err
    assert not Path("/proc/x").exists()


# --------------------------------------------------------------------------- Colab


def test_colab_clone_without_helpers_is_not_called_a_failed_clone():
    """The full check lives in tests/test_colab.py (it runs the setup cell against a fake
    Colab); here: the message the cell raises names the repository, what it lacks and what
    to do."""
    from helpers import colab

    source = colab.setup_cell_source("06")
    assert "has no helpers/ folder" in source and "{url}" not in source
    assert colab.repo_url() in source.split("has no helpers/ folder")[0].rsplit("raise", 1)[1]
    assert "Ask your teacher for the right link" in source


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__]))
