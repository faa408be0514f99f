"""Draw a digit and watch the network read it: a drawing pad for Jupyter (anywidget).

``DrawingPad(model)`` shows a 280x280 canvas (mouse, pen or finger; a Clear button). When a
stroke ends, the browser shrinks the drawing to :data:`SIDE` x :data:`SIDE` grey levels and
sends them to Python, which prepares them exactly like a photo
(:func:`helpers.images.prepare_digit`), asks every model and sends back the 28x28 image the
network sees, the predicted digit and ten probabilities per model. anywidget runs in
JupyterLab 4, Notebook 7, VS Code and Colab; the front end is the plain ES module
``pad.js`` (with ``pad.css``) next to this file, nothing to build.

A static render (GitHub, nbviewer) cannot run a widget: :func:`still` draws the same view
with matplotlib (``python -m helpers.pad`` makes notebook 06's ``img/06_drawing_pad.png``).

:func:`upload_digit` reads your own photo: on Colab through ``google.colab.files.upload``,
elsewhere from a path or an upload button; any file name, the label unknown unless given.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from helpers import images, quiet

HERE = Path(__file__).resolve().parent
#: Side of the canvas in the browser (pixels) and of the grey image sent to Python.
CANVAS = 280
SIDE = 56
#: Pen width on the 280 px canvas: a digit drawn about 200 px tall is scaled to MNIST's
#: 20 px box (factor 10), so 20 px becomes about 2 px, the width of MNIST's ink.
STROKE = 20


# --------------------------------------------------------------------------- the reading


def _named_models(models) -> list[tuple[str, object]]:
    """One model, a list of models or a dict name -> model, as (name, model) pairs."""
    if models is None:
        return []
    if isinstance(models, dict):
        pairs = list(models.items())
    elif isinstance(models, (list, tuple)) and all(
        isinstance(m, tuple) and len(m) == 2 and isinstance(m[0], str) for m in models
    ):
        pairs = list(models)  # already (name, model) pairs
    elif isinstance(models, (list, tuple)):
        pairs = [(getattr(m, "name", f"model {i + 1}"), m) for i, m in enumerate(models)]
    else:
        pairs = [(getattr(models, "name", "model"), models)]
    for name, model in pairs:
        if not callable(model):
            raise TypeError(f"{name!r} is a {type(model).__name__}, not a Keras model.")
    return [(str(name), model) for name, model in pairs]


def probabilities(model, prepared: np.ndarray) -> np.ndarray:
    """The model's ten probabilities for each 28x28 image in ``prepared`` (n, 28, 28).

    Uses ``model.predict_on_batch``: Keras's compiled prediction step, without the loop
    that ``model.predict`` sets up. For one drawing and the flagship, measured on a busy
    2-core CPU (load 7-13): 0.4-1.3 ms (median), against 18-25 ms for an eager
    ``model(x, training=False)`` and 145-270 ms for ``model.predict``. A plain callable
    (not a Keras model) is called as ``model(x, training=False)``. A model whose last
    layer gives logits (not probabilities) gets a softmax here.
    """
    import keras

    x = np.asarray(prepared, dtype=np.float32)
    if hasattr(model, "predict_on_batch"):
        # a batch of one after the notebook's large batches: TensorFlow traces one more
        # prediction step and, after a few of those, warns about "retracing" - expected here
        with quiet.retracing_warnings_hidden():
            out = model.predict_on_batch(x)
    else:
        out = model(x, training=False)
    out = keras.ops.convert_to_numpy(out).astype(np.float64)
    if out.ndim != 2 or out.shape[1] != 10:
        raise ValueError(f"the model must give 10 outputs per image, got shape {out.shape}.")
    if not np.all(np.isfinite(out)):
        raise ValueError(
            "the model gave NaN or infinite outputs, so it reads no digit (argmax would say "
            "0). Its weights are probably NaN: a training run diverged. Train it again, "
            "e.g. with a smaller learning rate, or load a saved model."
        )
    sums = out.sum(axis=1)
    if np.any(out < 0) or not np.allclose(sums, 1, atol=1e-3):
        out = np.exp(out - out.max(axis=1, keepdims=True))
        out /= out.sum(axis=1, keepdims=True)
    return out


#: The pen was made for a digit about this tall on the canvas (the hint says "as large as the
#: box"): then STROKE becomes MNIST's stroke width after the scaling to 20 px.
DESIGN_HEIGHT = 200


def thin_to_scale(drawing, pen: float) -> np.ndarray:
    """A drawing made with a pen of ``pen`` pixels, redrawn as if the digit had been drawn
    :data:`DESIGN_HEIGHT` / :data:`CANVAS` of the canvas tall with the same pen.

    The pen has a fixed width in canvas pixels, but the preparation scales every digit to
    MNIST's 20 px box: a digit drawn small in a corner has its strokes blown up with it,
    several times fatter than MNIST's ink (a small 3 read as an 8). So the ink is enlarged
    to the size the pen was made for and then thinned back to the pen's width (a grey
    erosion with a disc), which makes the strokes of a small digit as thin, relative to its
    size, as those of a large one. A digit drawn that large or larger is returned as it is.
    """
    drawing = np.asarray(drawing, dtype=np.float32)
    ink = drawing > 0.5
    if not ink.any():
        return drawing
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    size = max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1  # with the pen's width
    target = DESIGN_HEIGHT * drawing.shape[0] / CANVAS  # the same height in these pixels
    if size >= 0.8 * target:
        return drawing
    margin = int(np.ceil(pen))
    top, left = max(0, rows[0] - margin), max(0, cols[0] - margin)
    crop = drawing[top : rows[-1] + margin + 1, left : cols[-1] + margin + 1]
    factor = target / size
    from PIL import Image
    from scipy import ndimage

    big = Image.fromarray(np.ascontiguousarray(crop, dtype=np.float32)).resize(
        (round(crop.shape[1] * factor), round(crop.shape[0] * factor)), Image.Resampling.BICUBIC
    )
    big = np.clip(np.asarray(big, dtype=np.float32), 0, 1)
    r = round((pen * factor - pen) / 2)  # the enlarged strokes, thinned back to the pen's width
    if r < 1:
        return big
    y, x = np.ogrid[-r : r + 1, -r : r + 1]
    return ndimage.grey_erosion(big, footprint=(x * x + y * y) <= r * r)


def explain_reading(reading: dict, models) -> dict:
    """Add what notebook 10 teaches to a reading of :func:`read_drawing`: ``saliency``, the
    absolute input gradient of the first model's log-probability of its digit over the
    28x28 image it sees (scaled so its largest value is 1), and, with two or more models,
    ``disagreement``: the digit of the averaged probabilities, how many models give it, and
    the mutual information H(mean) - mean(H) in nats (0 when all models give the same ten
    probabilities). Returns the reading, changed in place."""
    from helpers import explain

    pairs = _named_models(models)
    first = reading["models"][0]
    grad = np.abs(explain.input_gradient(pairs[0][1], reading["image"][None], [first["digit"]])[0])
    reading["saliency"] = grad / grad.max() if grad.max() > 0 else grad
    if len(reading["models"]) >= 2:
        p = np.stack([r["probabilities"] for r in reading["models"]])
        mean = p.mean(axis=0, keepdims=True)
        digit = int(mean.argmax())
        information = float(
            explain.predictive_entropy(mean)[0] - explain.predictive_entropy(p).mean()
        )
        reading["disagreement"] = {
            "digit": digit,
            "agree": sum(r["digit"] == digit for r in reading["models"]),
            "of": len(reading["models"]),
            "mutual_information": max(information, 0.0),
        }
    return reading


def read_drawing(drawing, models, pen: float | None = None) -> dict:
    """What the pad shows for ``drawing`` (2-D grey, ink bright on black, or dark on light).

    ``pen``: the pen's width in the drawing's pixels, when known (the pad's is
    ``STROKE * SIDE / CANVAS``): then a digit drawn small is thinned to scale first
    (:func:`thin_to_scale`), so that its size does not change what the network sees.

    Returns ``{"image": 28x28 prepared (float32), "models": [{"name", "digit",
    "probabilities"}], "seconds": time of preparation + prediction}``; raises
    :class:`helpers.images.DigitImageError` for an empty drawing.
    """
    start = time.perf_counter()
    drawing = np.asarray(drawing)
    if pen is not None:
        drawing = thin_to_scale(drawing, pen)
    prepared = images.prepare_digit(drawing)
    readings = []
    for name, model in _named_models(models):
        p = probabilities(model, prepared[None])[0]
        readings.append({"name": name, "digit": int(np.argmax(p)), "probabilities": p})
    return {"image": prepared, "models": readings, "seconds": time.perf_counter() - start}


def _to_front_end(reading: dict) -> dict:
    """JSON-friendly: the image as 784 grey levels 0..255, probabilities as floats."""
    out = {
        "image": np.round(255 * np.clip(reading["image"], 0, 1)).astype(int).ravel().tolist(),
        "models": [
            {
                "name": r["name"],
                "digit": r["digit"],
                "probabilities": [round(float(v), 5) for v in r["probabilities"]],
            }
            for r in reading["models"]
        ],
        "message": f"read in {1000 * reading['seconds']:.0f} ms",
    }
    if "saliency" in reading:  # the option explain=True (notebook 10)
        out["saliency"] = np.round(255 * reading["saliency"]).astype(int).ravel().tolist()
    if "disagreement" in reading:
        d = reading["disagreement"]
        out["disagreement"] = (
            f"average of {d['of']} models: {d['digit']}, given by {d['agree']} of them; "
            f"disagreement (mutual information) {d['mutual_information']:.3f} nats"
        )
    return out


def drawing_from_list(values, side: int = SIDE) -> np.ndarray:
    """The flat list of grey levels the browser sends (0 paper .. 255 ink) as a 2-D array."""
    array = np.asarray(values, dtype=np.float32)
    if array.size != side * side:
        raise ValueError(f"a drawing has {side * side} grey levels, got {array.size}.")
    return np.clip(array.reshape(side, side) / 255.0, 0, 1)


# --------------------------------------------------------------------------- the widget


def _widget_class():
    import anywidget
    import traitlets

    class DrawingPad(anywidget.AnyWidget):
        """Draw a digit; every model's reading appears beside the canvas."""

        __qualname__ = "DrawingPad"

        _esm = HERE / "pad.js"
        _css = HERE / "pad.css"
        canvas_size = traitlets.Int(CANVAS).tag(sync=True)
        side = traitlets.Int(SIDE).tag(sync=True)
        stroke_width = traitlets.Int(STROKE).tag(sync=True)
        drawing = traitlets.List([]).tag(sync=True)
        reading = traitlets.Dict({}).tag(sync=True)
        #: show the saliency map and the models' disagreement (notebook 10)
        explain = traitlets.Bool(False).tag(sync=True)

        def __init__(self, models, **kwargs):
            super().__init__(**kwargs)
            self.models = _named_models(models)
            if not self.models:
                raise ValueError("DrawingPad needs at least one model to read the drawing.")
            blank = np.zeros((1, 28, 28), dtype=np.float32)
            for _, model in self.models:  # the first call builds the graph: do it now
                probabilities(model, blank)
            self.count = 0  # drawings read so far
            self.last = None  # the last reading (with the prepared image), for still()
            self.observe(self._on_drawing, names="drawing")

        def __repr__(self):  # what a static render shows instead of the live pad
            names = ", ".join(name for name, _ in self.models)
            return f"Drawing pad for {names} (a live widget: run this cell to draw on it)"

        def _on_drawing(self, change):
            # every drawing gets a new reading (its number makes it differ from the last),
            # so the front end knows when all it sent has been read
            self.count += 1
            values = change["new"]
            if not values:
                self.last, self.reading = None, {"count": self.count}
                return
            try:
                drawing = drawing_from_list(values, self.side)
                pen = self.stroke_width * self.side / self.canvas_size
                self.last = read_drawing(drawing, self.models, pen=pen)
                if self.explain:
                    explain_reading(self.last, self.models)
                self.last["drawing"] = drawing
                self.reading = {**_to_front_end(self.last), "count": self.count}
            except images.DigitImageError:
                self.last = None
                self.reading = {"message": "no ink yet: draw a digit", "count": self.count}
            except ValueError as exc:  # e.g. a model that gives NaN: say so on the pad
                self.last = None
                self.reading = {"message": f"cannot read: {exc}", "count": self.count}

    return DrawingPad


_PAD_CLASS = None


def DrawingPad(models, **kwargs):
    """A drawing pad that reads each drawing with ``models`` (one Keras model, a list, or
    a dict name -> model, shown side by side). Display it as a cell's last expression.
    ``explain=True`` also shows the first model's saliency map of the drawing and, with
    several models (an ensemble), how much they disagree (:func:`explain_reading`)."""
    global _PAD_CLASS
    if _PAD_CLASS is None:
        _PAD_CLASS = _widget_class()
    return _PAD_CLASS(models, **kwargs)


# --------------------------------------------------------------------------- still image


def draw_strokes(strokes, size: int = CANVAS, width: int = STROKE) -> np.ndarray:
    """A drawing made of polylines (lists of (x, y) on a ``size`` canvas), as the pad
    draws it: black round-capped strokes of ``width`` px on white; returns grey in [0, 1]
    with ink bright (1) on black (0), like the levels the pad sends."""
    from PIL import Image, ImageDraw

    image = Image.new("L", (size, size), 255)
    pen = ImageDraw.Draw(image)
    for line in strokes:
        points = [tuple(map(float, p)) for p in line]
        pen.line(points, fill=0, width=width, joint="curve")
        for x, y in (points[0], points[-1]):
            pen.ellipse((x - width / 2, y - width / 2, x + width / 2, y + width / 2), fill=0)
    return 1 - np.asarray(image, dtype=np.float32) / 255


def _arc(cx, cy, r, start, stop, n=16):
    t = np.radians(np.linspace(start, stop, n))
    return [(round(cx + r * np.cos(a)), round(cy + r * np.sin(a))) for a in t]


#: A "3" drawn in two strokes (two bowls) on the 280 px canvas, about 210 px tall (the
#: browser test, tests/test_pad_browser.py, draws the same points in the browser).
THREE = [_arc(138, 95, 50, -160, 90), _arc(138, 200, 55, -90, 150)]
#: A "1": one slightly slanted stroke.
ONE = [[(150, 40), (145, 140), (138, 250)]]


def still(drawing, reading: dict, label=None, title="The drawing pad: draw a digit, see it read"):
    """The pad's view as a matplotlib figure: the drawing, the 28x28 the network sees, and
    each model's ten probabilities (the bars of the series' other figures)."""
    import matplotlib.pyplot as plt

    from helpers import plots

    n = len(reading["models"])
    fig, axes = plt.subplots(1, 2 + n, figsize=(2.6 * 2 + 3.4 * n, 2.9),
                             gridspec_kw={"width_ratios": [1, 1] + [1.5] * n})  # fmt: skip
    axes[0].imshow(1 - np.asarray(drawing), cmap="gray", vmin=0, vmax=1)
    axes[0].set_title("the drawing", fontsize=9)
    axes[1].imshow(reading["image"], cmap="gray", vmin=0, vmax=1)
    axes[1].set_title("what the network sees\n(28x28)", fontsize=9)
    for ax in axes[:2]:
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():  # the canvas's frame
            spine.set_visible(True)
            spine.set_color("#888888")
    kinds = set()
    for ax, one in zip(axes[2:], reading["models"], strict=True):
        kinds |= plots._probability_bars(ax, one["probabilities"], label)
        ax.set_title(f"{one['name']}: predicted {one['digit']}", fontsize=9)
        ax.set_xlabel("digit", fontsize=8)
    fig.suptitle(title)
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    plots._bar_legend(fig, kinds)
    return fig


# --------------------------------------------------------------------------- your own photo


def _in_colab() -> bool:
    import sys

    return "google.colab" in sys.modules


def read_files(files: dict, models, label=None, show: bool = True) -> list[dict]:
    """Prepare and read each file (name -> bytes); draw them unless ``show`` is False.

    Returns one dict per file: ``name``, ``prepared`` (28x28), ``probabilities`` of the
    first model, ``predicted``. A file that is not a readable image raises
    :class:`helpers.images.DigitImageError` naming it.
    """
    named = _named_models(models)
    if not named:
        raise ValueError("give the model that should read the digit (e.g. model=model).")
    if not files:
        print("No file was uploaded.")
        return []
    results = []
    for name, content in files.items():
        try:
            prepared = images.prepare_digit(content)
        except images.DigitImageError as exc:
            raise images.DigitImageError(f"{name}: {exc}") from exc
        p = probabilities(named[0][1], prepared[None])[0]
        results.append({"name": name, "prepared": prepared, "probabilities": p,
                        "predicted": int(np.argmax(p)), "original": images.load_grey(content)})  # fmt: skip
    for r in results:
        print(f"{r['name']}: predicted {r['predicted']} with probability "
              f"{r['probabilities'].max():.3f}" + ("" if label is None else f" (you wrote {label})"))  # fmt: skip
    if show:
        import matplotlib.pyplot as plt

        from helpers import plots

        plots.own_digit_predictions([r["original"] for r in results],
                                    np.stack([r["prepared"] for r in results]),
                                    np.stack([r["probabilities"] for r in results]),
                                    [r["name"] for r in results], [label] * len(results),
                                    title="Your digit: the file, what the model sees, what it says")  # fmt: skip
        plt.show()
    return results


def _checked_label(label):
    """``label`` as an int 0..9, or None; anything else is refused, naming it."""
    if label is None:
        return None
    if isinstance(label, (bool, np.bool_)) or not isinstance(label, (int, np.integer)):
        raise TypeError(
            f"label is the digit you wrote, a whole number 0..9 (or None if unknown); got "
            f"{label!r} ({type(label).__name__}). Write it as a number, e.g. label=7."
        )
    if not 0 <= int(label) <= 9:
        raise ValueError(f"label must be a digit 0..9 (or None), got {label!r}.")
    return int(label)


def upload_digit(model, path=None, label=None, show: bool = True):
    """Read your own photo of one digit with ``model``.

    * ``path`` given (any file name, anywhere): read that file;
    * on Colab: a "Choose files" button (``google.colab.files.upload``), then read them;
    * elsewhere (JupyterLab, Notebook 7, VS Code): an upload button, shown at once; the
      reading appears under it as soon as a file is chosen. It returns an
      :class:`UploadReadings` whose ``results`` hold the readings; as a cell's last line it
      shows nothing more (the button is not shown twice).

    ``label``: the digit you wrote, if you want it scored; unknown (None) otherwise.
    Returns the list of readings of :func:`read_files` (or the widget, see above).
    """
    label = _checked_label(label)
    if path is not None:
        path = Path(path).expanduser()
        if not path.is_file():
            raise FileNotFoundError(
                f"No file at {path}. On Colab, upload it (call upload_digit(model) without a "
                "path) or drag it into the Files panel and give /content/<its name>."
            )
        return read_files({path.name: path.read_bytes()}, model, label, show)
    if _in_colab():
        from google.colab import files

        return read_files(files.upload(), model, label, show)
    return _upload_widget(model, label, show)


class UploadReadings:
    """What ``upload_digit`` returns in Jupyter: the button box (``box``) and the readings of
    the last upload (``results``). The box is displayed once, by ``upload_digit``: this
    object displays nothing more as a cell's last line."""

    def __init__(self, box):
        self.box = box
        self.results: list[dict] = []

    def _ipython_display_(self):  # already shown: a second button would confuse
        pass

    def __repr__(self):
        return f"UploadReadings({len(self.results)} readings)"


def _upload_widget(model, label, show):
    import ipywidgets
    from IPython.display import display

    # width: the label in full ("Choose a photo"), not cut to the default button width
    button = ipywidgets.FileUpload(accept="image/*", multiple=False,
                                   description="Choose a photo", icon="upload",
                                   layout=ipywidgets.Layout(width="max-content"))  # fmt: skip
    output = ipywidgets.Output()
    box = ipywidgets.VBox([button, output])
    readings = UploadReadings(box)

    def on_upload(change):
        output.clear_output()
        with output:
            uploaded = {item["name"]: bytes(item["content"]) for item in change["new"]}
            try:
                readings.results = read_files(uploaded, model, label, show)
            except images.DigitImageError as exc:
                readings.results = []
                print(exc)

    button.observe(on_upload, names="value")
    display(box)
    return readings


# --------------------------------------------------------------------------- the still image


def main() -> None:
    """Render notebook 06's still of the pad with the trained flagship (a "3" drawn as in
    :data:`THREE`) into img/06_drawing_pad.png (img/scratch/ in FAST mode or on the
    fallback data, as every figure), and print how long one reading takes."""
    import matplotlib

    matplotlib.use("Agg")
    from helpers import plots, quiet, training

    quiet.import_tensorflow()
    plots.set_notebook("06")
    plots.use_style()
    model = training.load_or_train_flagship()
    drawing = draw_strokes(THREE)
    reading = read_drawing(drawing, {"flagship MLP": model})
    still(drawing, reading)
    print(f"saved {plots.save_fig('drawing_pad')}")


if __name__ == "__main__":
    main()
