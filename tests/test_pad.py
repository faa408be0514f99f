"""The drawing pad's Python side (helpers/pad.py): a drawing in, the model's reading out.

The browser side is tested in tests/test_pad_browser.py.
"""

from __future__ import annotations

import datetime
import sys
import types

import numpy as np
import pytest
from PIL import Image

from helpers import config, images, pad, quiet

quiet.import_tensorflow()
import keras  # noqa: E402


@pytest.fixture(scope="module")
def mnist_and_model():
    """A softmax regression trained here in seconds, and test digits it has not seen."""
    from helpers import data

    (x_train, y_train), (x_test, y_test) = data.load_mnist(
        normalize_pixels=True, limit=3000, test_limit=500, verbose=False
    )
    keras.utils.set_random_seed(config.SEED)
    model = keras.Sequential([
        keras.Input(shape=(28, 28)), keras.layers.Flatten(),
        keras.layers.Dense(10, activation="softmax"),
    ])  # fmt: skip
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    model.fit(x_train, y_train, epochs=5, batch_size=128, verbose=0)
    return x_test[:40], y_test[:40], model


def as_canvas_drawing(digit: np.ndarray) -> np.ndarray:
    """An MNIST digit scaled up to the 280 px canvas and shrunk to the levels the browser
    sends (SIDE x SIDE, box-averaged, as a canvas drawImage does), ink bright on black."""
    big = Image.fromarray(digit.astype(np.float32)).resize(
        (pad.CANVAS, pad.CANVAS), Image.Resampling.BILINEAR
    )
    return np.asarray(big.resize((pad.SIDE, pad.SIDE), Image.Resampling.BOX))


def test_a_drawn_mnist_digit_gets_the_prediction_the_digit_gets(mnist_and_model):
    x, y, model = mnist_and_model
    direct = keras.ops.convert_to_numpy(model(x, training=False)).argmax(axis=1)
    assert np.mean(direct == y) > 0.5  # a model that reads digits, far below its accuracy
    via_pad, likeness = [], []
    for digit in x:
        reading = pad.read_drawing(as_canvas_drawing(digit), model)
        (one,) = reading["models"]
        assert reading["image"].shape == (28, 28) and reading["image"].dtype == np.float32
        assert one["probabilities"].shape == (10,)
        assert np.isclose(one["probabilities"].sum(), 1, atol=1e-5)
        assert one["digit"] == int(np.argmax(one["probabilities"]))
        via_pad.append(one["digit"])
        likeness.append(np.corrcoef(reading["image"].ravel(), digit.ravel())[0, 1])
    # the pad prepares the drawing back into an MNIST-like digit: nearly the original
    # (the typical digit here correlates 0.98 with its original)
    assert np.median(likeness) > 0.9 and min(likeness) > 0.6
    agree = np.mean(np.array(via_pad) == direct)
    # the round trip (scale up, shrink, crop, rescale, centre) moves pixels a little: nearly
    # every digit keeps its prediction; a broken preparation (not inverted, off centre,
    # transposed) agrees on few
    assert agree >= 0.9, f"only {agree:.0%} of drawn digits got the model's own prediction"


def test_reading_is_what_the_model_says_about_the_prepared_image(mnist_and_model):
    x, _, model = mnist_and_model
    drawing = as_canvas_drawing(x[0])
    reading = pad.read_drawing(drawing, {"A": model, "B": model})
    expected = model.predict(images.prepare_digit(drawing)[None], verbose=0)[0]
    assert [r["name"] for r in reading["models"]] == ["A", "B"]
    for one in reading["models"]:
        np.testing.assert_allclose(one["probabilities"], expected, atol=1e-5)


def test_the_widget_reads_what_the_browser_sends(mnist_and_model):
    """The list of grey levels the front end sets (0 paper .. 255 ink) -> `reading`."""
    x, _, model = mnist_and_model
    widget = pad.DrawingPad({"tiny": model})
    assert widget.reading == {} and widget.canvas_size == pad.CANVAS
    assert repr(widget) == "Drawing pad for tiny (a live widget: run this cell to draw on it)"
    drawing = as_canvas_drawing(x[1])
    levels = np.round(255 * np.clip(drawing, 0, 1)).astype(int).ravel().tolist()
    widget.drawing = levels
    expected = pad.read_drawing(pad.drawing_from_list(levels), model)["models"][0]
    (shown,) = widget.reading["models"]
    assert shown["name"] == "tiny" and shown["digit"] == expected["digit"]
    np.testing.assert_allclose(shown["probabilities"], expected["probabilities"], atol=1e-4)
    assert len(widget.reading["image"]) == 784 and max(widget.reading["image"]) <= 255
    assert widget.last["image"].shape == (28, 28)
    widget.drawing = [0] * (pad.SIDE * pad.SIDE)  # a blank canvas: no reading, a hint
    assert "models" not in widget.reading and "draw" in widget.reading["message"]
    widget.drawing = []  # Clear
    assert widget.reading == {"count": 3} and widget.last is None


def test_logits_get_a_softmax_and_bad_models_a_clear_error():
    logits = keras.Sequential([keras.Input(shape=(28, 28)), keras.layers.Flatten(),
                               keras.layers.Dense(10)])  # fmt: skip
    p = pad.probabilities(logits, np.random.default_rng(0).random((2, 28, 28)))
    assert np.allclose(p.sum(axis=1), 1) and np.all(p > 0)
    with pytest.raises(TypeError, match="not a Keras model"):
        pad.read_drawing(np.eye(28), {"oops": "model.keras"})
    with pytest.raises(ValueError, match="at least one model"):
        pad.DrawingPad([])
    with pytest.raises(ValueError, match="3136 grey levels"):
        pad.drawing_from_list([0] * 10)


def test_still_image_shows_drawing_input_and_bars(mnist_and_model):
    _, _, model = mnist_and_model
    drawing = pad.draw_strokes(pad.THREE)
    assert drawing.shape == (pad.CANVAS, pad.CANVAS) and 0.02 < drawing.mean() < 0.3
    reading = pad.read_drawing(drawing, {"one": model, "two": model})
    fig = pad.still(drawing, reading)
    axes = fig.get_axes()
    assert len(axes) == 4  # the drawing, the 28x28, one bar chart per model
    assert [len(ax.patches) for ax in axes[2:]] == [10, 10]
    assert axes[2].get_title().endswith(f"predicted {reading['models'][0]['digit']}")


# --------------------------------------------------------------------------- your own photo


@pytest.fixture
def fake_colab(monkeypatch):
    """A stand-in google.colab whose files.upload() returns what a student picked."""
    picked = {}
    google = types.ModuleType("google")
    colab = types.ModuleType("google.colab")
    files = types.ModuleType("google.colab.files")
    files.upload = lambda: dict(picked)
    colab.files = files
    google.colab = colab
    monkeypatch.setitem(sys.modules, "google", google)
    monkeypatch.setitem(sys.modules, "google.colab", colab)
    monkeypatch.setitem(sys.modules, "google.colab.files", files)
    return picked


def test_upload_on_colab_accepts_any_file_name(fake_colab, mnist_and_model):
    _, _, model = mnist_and_model
    photo = config.SAMPLES_DIR / "3_drawn_pen_like.png"
    fake_colab["IMG_2041.jpg"] = photo.read_bytes()  # a phone's name, not a digit
    (result,) = pad.upload_digit(model, show=False)
    assert result["name"] == "IMG_2041.jpg"
    expected = model.predict(images.prepare_digit(photo)[None], verbose=0)[0]
    np.testing.assert_allclose(result["probabilities"], expected, atol=1e-5)
    assert result["predicted"] == int(np.argmax(expected))


def test_upload_on_colab_names_a_file_it_cannot_read(fake_colab, mnist_and_model):
    _, _, model = mnist_and_model
    fake_colab["IMG_2042.HEIC"] = b"\x00\x00\x00\x18ftypheic" + bytes(64)
    with pytest.raises(images.DigitImageError, match=r"IMG_2042\.HEIC.*not an image"):
        pad.upload_digit(model, show=False)
    fake_colab.clear()
    assert pad.upload_digit(model, show=False) == []  # the dialog was cancelled


def test_upload_from_a_path_and_with_a_label(tmp_path, mnist_and_model, capsys):
    _, _, model = mnist_and_model
    mine = tmp_path / "my photo (1).png"
    mine.write_bytes((config.SAMPLES_DIR / "7_drawn_chalk_like.png").read_bytes())
    (result,) = pad.upload_digit(model, path=mine, label=7, show=True)
    assert result["name"] == mine.name
    assert "(you wrote 7)" in capsys.readouterr().out
    with pytest.raises(FileNotFoundError, match="No file at"):
        pad.upload_digit(model, path=tmp_path / "missing.jpg")
    with pytest.raises(ValueError, match="label must be a digit"):
        pad.upload_digit(model, path=mine, label=12)


def test_upload_elsewhere_offers_an_upload_button(mnist_and_model, monkeypatch):
    _, _, model = mnist_and_model
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    box = pad.upload_digit(model, show=False)
    button, output = box.box.children
    button.value = ({"name": "IMG_0001.png", "type": "image/png", "size": 1,
                     "content": memoryview((config.SAMPLES_DIR / "1_drawn_thin_pencil_like.png").read_bytes()),
                     "last_modified": datetime.datetime(2026, 1, 1)},)  # fmt: skip
    (result,) = box.results
    assert result["name"] == "IMG_0001.png" and result["probabilities"].shape == (10,)


def test_upload_button_is_shown_once_with_its_whole_label(mnist_and_model, monkeypatch):
    """``pad.upload_digit(model)`` as a cell's last line: upload_digit displays the button;
    what it returns displays nothing more (before: the button appeared twice). The button
    is as wide as its label (before: "Choose a phot...")."""
    from IPython.core.formatters import DisplayFormatter

    _, _, model = mnist_and_model
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda *objs, **kw: shown.extend(objs))
    readings = pad.upload_digit(model, show=False)
    assert shown == [readings.box]
    button = readings.box.children[0]
    assert button.description == "Choose a photo" and button.layout.width == "max-content"
    # what IPython does with a cell's last value: _ipython_display_ shows nothing more
    data, _ = DisplayFormatter().format(readings)
    assert readings._ipython_display_() is None and "_ipython_display_" in dir(readings)
    assert (
        "UploadReadings" in repr(readings)
        and data.get("application/vnd.jupyter.widget-view+json") is None
    )


def _arc(cx, cy, r, a0, a1, n=32, ry=None):
    t = np.radians(np.linspace(a0, a1, n))
    return [(cx + r * np.cos(a), cy + (ry or r) * np.sin(a)) for a in t]


#: A few digits as pad strokes on the 280 px canvas, about 200 px tall.
DRAWN = {
    0: [_arc(140, 140, 60, 0, 360, 40, ry=95)],
    1: pad.ONE,
    3: pad.THREE,
    4: [[(170, 45), (80, 170), (205, 170)], [(170, 45), (170, 250)]],
    7: [[(75, 45), (205, 45), (120, 250)]],
}


def _placed(strokes, scale, corner):
    """``strokes`` scaled by ``scale`` and moved into a corner of the canvas."""
    points = np.array([p for line in strokes for p in line], dtype=float)
    low, high = points.min(axis=0), points.max(axis=0)
    half = (high - low) * scale / 2 + pad.STROKE
    at = {"centre": np.array([140.0, 140.0]), "top-left": half, "bottom-right": 280 - half}
    return [[tuple(p) for p in (np.array(line) - (low + high) / 2) * scale + at[corner]]
            for line in strokes]  # fmt: skip


def _sent(strokes):
    """What the browser sends for a drawing: the canvas box-averaged to SIDE x SIDE."""
    canvas = Image.fromarray((255 * pad.draw_strokes(strokes)).astype(np.uint8))
    return np.asarray(canvas.resize((pad.SIDE, pad.SIDE), Image.Resampling.BOX)) / 255.0


def test_a_small_digit_in_a_corner_reads_like_a_large_one():
    """The pen is fixed in canvas pixels, so a digit drawn small had, after the scaling to
    MNIST's 20 px box, strokes several times fatter than MNIST's (a small 3 read as 8).
    With the pen width known, the pad thins a small drawing to scale first. Measured on five
    digits drawn at 60%, 40% and 30% of the large size in a corner: the ink of the 28x28 the
    network sees stays near the large drawing's, and a nearest-mean-digit reader of MNIST
    reads each small digit as it reads the large one."""
    from helpers import data

    (x, y), _ = data.load_mnist(normalize_pixels=True, verbose=False)
    means = np.stack([x[y == d].mean(axis=0).ravel() for d in range(10)])
    means /= np.linalg.norm(means, axis=1, keepdims=True)

    def read(image):
        return int(np.argmax(means @ image.ravel()))

    pen = pad.STROKE * pad.SIDE / pad.CANVAS
    before_ratio, after_ratio = [], []
    for digit, strokes in DRAWN.items():
        large = pad.read_drawing(_sent(_placed(strokes, 1.0, "centre")), None, pen=pen)["image"]
        for scale, corner in [(0.6, "top-left"), (0.4, "bottom-right"), (0.3, "top-left")]:
            sent = _sent(_placed(strokes, scale, corner))
            after = pad.read_drawing(sent, None, pen=pen)["image"]
            before = images.prepare_digit(sent)  # without the pen's width: no thinning
            assert read(after) == read(large), f"{digit} at {scale:.0%} read {read(after)}"
            before_ratio.append(before.sum() / large.sum())
            after_ratio.append(after.sum() / large.sum())
            assert 0.5 < after_ratio[-1] < 1.7, (digit, scale, after_ratio[-1])
    # the fix is real: without it the small digits carry far more ink than the large ones
    print(
        f"ink ratio small/large: before {np.mean(before_ratio):.2f}, after {np.mean(after_ratio):.2f}"
    )
    assert np.mean(before_ratio) > 1.5 and np.mean(after_ratio) < 1.35, (
        np.mean(before_ratio), np.mean(after_ratio))  # fmt: skip


def test_a_large_drawing_is_not_changed_by_the_thinning():
    sent = _sent(_placed(pad.THREE, 1.0, "centre"))
    np.testing.assert_array_equal(pad.thin_to_scale(sent, 4.0), sent.astype(np.float32))
