"""Turn a photo or scan of a handwritten digit into an MNIST-like 28x28 image.

MNIST's digits were made like this (LeCun et al.): the ink of each digit was cropped, scaled
to fit a 20x20 box *keeping its aspect ratio* (with anti-aliasing, hence the grey edges),
and pasted into a 28x28 field so that its *centre of mass* sits at the centre. The ink is
bright (255) on a black (0) background. A network trained on MNIST only knows digits that
look like that, so a user's image has to go through the same steps first:

1. decode with Pillow (PNG, JPEG, ...; any size, colour or grey; never unpickled);
2. grey scale in [0, 1];
3. invert if the ink is dark on a light background (judged from the image's border);
4. remove the background (uneven lighting of a photo) and stretch the ink to [0, 1];
5. crop to the ink (small specks of noise far from the digit are ignored);
6. scale so the longest side is 20 px, keeping the aspect ratio;
7. paste into 28x28 so the centre of mass is at pixel (14, 14), as in MNIST.

:func:`prepare_digit` does all of it; :func:`preparation_steps` returns every stage, for
the figure in notebook 06. Bad input (not an image, an empty file, a blank image) raises
:class:`DigitImageError` saying what is wrong.
"""

from __future__ import annotations

import io
import re
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError
from scipy import ndimage

#: Side of the output image and of the box the digit is scaled into (MNIST's numbers).
SIZE = 28
BOX = 20
#: Where MNIST puts the centre of mass (row, column); the mean over the training set is
#: (14.0, 14.0) to within 0.01 pixel.
CENTRE = (14.0, 14.0)
#: Larger inputs are shrunk to this longest side first (speed; the result is 28x28 anyway).
WORK_SIDE = 256
#: An image whose brightest and darkest parts differ by less than this is "blank".
MIN_CONTRAST = 0.08
#: The only file formats decoded (Pillow's names). Anything else - EPS/PostScript, which
#: Pillow would hand to Ghostscript, PDF, ICO, ... - is refused before any decoder runs.
FORMATS = ("PNG", "JPEG", "GIF", "BMP", "TIFF", "WEBP")
FORMAT_NAMES = "PNG, JPEG, GIF, BMP, TIFF or WebP"
#: Ink found in at least this many separate pieces, covering at least this share of the
#: image, is speckle (noise), not a handwritten digit (digits have 1-3 pieces).
NOISE_PIECES = 8
NOISE_COVER = 0.15


class NoDigitWarning(UserWarning):
    """The image was prepared, but what it shows does not look like one written digit."""


class DigitImageError(ValueError):
    """The input cannot be turned into a digit image (not an image, empty, blank)."""


# --------------------------------------------------------------------------- decoding


def _open(source) -> Image.Image:
    """Decode a path, bytes or file object with Pillow; clear errors for bad input."""
    name = "the input"
    if isinstance(source, (str, Path)):
        path = Path(source).expanduser()
        name = str(path)
        if not path.exists():
            raise FileNotFoundError(
                f"No file at {path}. Check the path (it is relative to the "
                "notebook's folder when you run a notebook)."
            )
        if path.is_dir():
            raise DigitImageError(f"{path} is a folder; give the path of one image file.")
        if path.stat().st_size == 0:
            raise DigitImageError(f"{path} is an empty file (0 bytes), not an image.")
        data = path.read_bytes()
    elif isinstance(source, (bytes, bytearray)):
        data = bytes(source)
    elif hasattr(source, "read"):
        name = str(getattr(source, "name", "the file object"))
        data = "" if isinstance(source, io.TextIOBase) else source.read()
        if isinstance(data, str):
            raise TypeError(
                f"{name} was opened in text mode, so it gives text, not the bytes of an "
                "image: open it in binary mode, open(path, 'rb'), or pass the path itself."
            )
        if not isinstance(data, (bytes, bytearray)):
            raise TypeError(f"{name}.read() gave a {type(data).__name__}, not bytes.")
    else:
        raise TypeError(
            "prepare_digit takes a file path, the bytes of an image file, a PIL image or a "
            f"NumPy array; got {type(source).__name__}."
        )
    if len(data) == 0:
        raise DigitImageError(f"{name} is empty (0 bytes), not an image.")
    try:
        with warnings.catch_warnings():  # between 1x and 2x Pillow's limit it only warns
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=FORMATS)
            frames = getattr(image, "n_frames", 1)
            if frames > 1:
                raise DigitImageError(
                    f"{name} is an animation ({image.format} with {frames} frames): which "
                    "frame shows the digit is not clear, and only one is read. Save the "
                    "frame with the digit as a single image (PNG or JPEG) and use that."
                )
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        limit = Image.MAX_IMAGE_PIXELS
        found = re.search(r"\((\d+) pixels\)", str(exc))
        claim = f"claims {int(found.group(1)):,} pixels" if found else "is too large"
        raise DigitImageError(
            f"{name} {claim}, more than the limit of {limit:,} pixels (Pillow's guard "
            "against 'decompression bombs': small files that would fill the memory when "
            "decoded). Use a smaller image of the digit: a few hundred pixels across is plenty."
        ) from exc
    except DigitImageError:
        raise
    except UnidentifiedImageError as exc:
        raise DigitImageError(
            f"{name} is not an image in a format read here ({FORMAT_NAMES}; others, such "
            "as EPS, PDF or HEIC, are refused unread). Save the digit as PNG or JPEG."
        ) from exc
    except (OSError, SyntaxError, ValueError) as exc:  # truncated or corrupt image data
        raise DigitImageError(f"{name} looks like an image but cannot be decoded ({exc}).") from exc
    return image


def _grey_from_pil(image: Image.Image) -> np.ndarray:
    """Any Pillow image -> 2-D float32 grey in [0, 1]; transparency becomes white paper."""
    image = ImageOps.exif_transpose(image)  # phone photos store their rotation in EXIF
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        image = image.convert("RGBA")
        paper = Image.new("RGBA", image.size, (255, 255, 255, 255))
        image = Image.alpha_composite(paper, image)
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "F"):  # 16-bit and float grey files
        try:
            return _grey_from_array(np.asarray(image))  # the same value rule as for arrays
        except DigitImageError as exc:  # advice for a file, not for an array
            detail = str(exc).replace(" Divide by the value of white first.", "")
            raise DigitImageError(
                f"a 32-bit integer or floating-point image (Pillow mode {image.mode!r}) whose "
                f"values cannot be read as grey levels: {detail} Export the image as an 8-bit "
                "PNG or JPEG (any image editor does it) and use that file."
            ) from None
    return (np.asarray(image.convert("L"), dtype=np.float64) / 255.0).astype(np.float32)


#: Weights of red, green and blue in the grey level (ITU-R 601-2 luma, as Pillow's "L").
LUMA = np.array([0.299, 0.587, 0.114])


def value_scale(array: np.ndarray) -> float:
    """The number that maps ``array``'s pixel values to [0, 1]: the value of white.

    One rule for every shape (grey, RGB, RGBA) and dtype:

    * ``bool``: False is black, True is white (scale 1);
    * integers: values 0 and 1 only are a black-and-white mask (scale 1); otherwise the
      values are levels of the smallest bit depth of at least 8 bits that holds the
      largest value: 255 for 8-bit data, 4095 for 12-bit camera/scanner data (stored in
      ``uint16``), 65535 for 16-bit. So a 12-bit image is neither wrapped nor dimmed
      16-fold, and uint8 images keep their usual meaning;
    * floats: in [0, 1] (scale 1) or in [0, 255] (scale 255), whatever the shape.

    Negative, NaN or infinite values, integers beyond 16 bits and floats above 255 raise
    :class:`DigitImageError`: there is no safe way to guess what they mean.
    """
    if array.dtype == bool:
        return 1.0
    if np.issubdtype(array.dtype, np.integer):
        low, high = int(array.min()), int(array.max())
        if low < 0:
            raise DigitImageError(f"pixel values must not be negative (minimum {low}).")
        if high <= 1:
            return 1.0
        bits = max(8, high.bit_length())
        if bits > 16:
            raise DigitImageError(
                f"pixel values go up to {high}, more than 16 bits per channel: not image "
                "levels this function can interpret. Scale them to 0..255 or 0..1 first."
            )
        return float(2**bits - 1)
    values = array.astype(np.float64, copy=False)
    if not np.all(np.isfinite(values)):
        raise DigitImageError("the array contains NaN or infinite values.")
    low, high = float(values.min()), float(values.max())
    if low < 0:
        raise DigitImageError(f"pixel values must not be negative (minimum {low:.3g}).")
    if high <= 1:
        return 1.0
    if high <= 255:
        return 255.0
    raise DigitImageError(
        f"float pixel values must be 0..1 or 0..255; the maximum is {high:.4g}. "
        "Divide by the value of white first."
    )


def _grey_from_array(array: np.ndarray) -> np.ndarray:
    """A 2-D grey or 3-D grey/RGB(A) array (channels last) -> grey float32 in [0, 1].

    Pixel values are read with :func:`value_scale` (the same rule for every shape and
    dtype); colour becomes grey by the luma weights; transparency becomes white paper.
    """
    array = np.asarray(array)
    if array.size == 0:
        raise DigitImageError(f"the array is empty (shape {array.shape}).")
    if not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        raise DigitImageError(f"the array must hold numbers, got dtype {array.dtype}.")
    if np.issubdtype(array.dtype, np.complexfloating):
        raise DigitImageError(f"the array must hold real numbers, got dtype {array.dtype}.")
    if array.ndim == 3 and array.shape[-1] not in (1, 2, 3, 4):
        hint = (
            " It looks channels-first: use np.moveaxis(array, 0, -1)."
            if array.shape[0] in (1, 3, 4)
            else " For one image out of a batch, index it: array[0]."
        )
        raise DigitImageError(
            f"a 3-D image array needs its colour channels last (1, 2, 3 or 4 of them); "
            f"got shape {array.shape}.{hint}"
        )
    if array.ndim not in (2, 3):
        raise DigitImageError(
            f"an image array must be 2-D (grey) or 3-D with 1 to 4 colour channels; "
            f"got shape {array.shape}."
        )
    values = array.astype(np.float64) / value_scale(array)
    if values.ndim == 2:
        return values.astype(np.float32)
    channels = values.shape[-1]
    colour = values[..., : 3 if channels >= 3 else 1]
    grey = colour @ LUMA if colour.shape[-1] == 3 else colour[..., 0]
    if channels in (2, 4):  # alpha: where the drawing is transparent, the paper is white
        alpha = values[..., -1]
        grey = alpha * grey + (1.0 - alpha)
    return np.clip(grey, 0.0, 1.0).astype(np.float32)


def load_grey(source) -> np.ndarray:
    """Decode ``source`` (path, bytes, file object, PIL image or array) to grey in [0, 1]."""
    if isinstance(source, Image.Image):
        grey = _grey_from_pil(source)
    elif isinstance(source, np.ndarray):
        grey = _grey_from_array(source)
    else:
        grey = _grey_from_pil(_open(source))
    if min(grey.shape) < 2:
        raise DigitImageError(f"the image is only {grey.shape[1]}x{grey.shape[0]} pixels.")
    if max(grey.shape) > WORK_SIDE:  # shrink big photos first: same result, much faster
        scale = WORK_SIDE / max(grey.shape)
        size = (max(2, round(grey.shape[1] * scale)), max(2, round(grey.shape[0] * scale)))
        grey = np.asarray(
            Image.fromarray(np.ascontiguousarray(grey, dtype=np.float32)).resize(
                size, Image.Resampling.BOX
            )
        )
    return np.clip(grey, 0, 1).astype(np.float32)


# --------------------------------------------------------------------------- the steps


def border_level(grey: np.ndarray) -> float:
    """Median brightness of the outer frame (about 5% of each side): the paper's colour."""
    h, w = grey.shape
    k = max(1, round(0.05 * min(h, w)))
    frame = np.concatenate(
        [grey[:k].ravel(), grey[-k:].ravel(), grey[:, :k].ravel(), grey[:, -k:].ravel()]
    )
    return float(np.median(frame))


def is_dark_on_light(grey: np.ndarray) -> bool:
    """True when the background (the border) is brighter than middle grey."""
    return border_level(grey) > 0.5


def _remove_background(ink: np.ndarray) -> np.ndarray:
    """Subtract a smooth background estimate, so uneven lighting does not count as ink.

    A grey-scale opening (minimum then maximum filter) wider than a pen stroke removes the
    strokes and keeps the background; what remains after subtracting it is the ink. The
    window is at least a sixth of the image and wider than the thickest stroke (measured
    with a distance transform of the strokes; at most a quarter of the image), so a thick
    marker digit is not hollowed out.
    """
    strokes = ink > _otsu(ink)
    widest = 2 * float(ndimage.distance_transform_edt(strokes).max()) if strokes.any() else 0
    size = max(3, round(min(ink.shape) / 6), min(int(np.ceil(widest)) + 2, min(ink.shape) // 4)) | 1
    background = ndimage.grey_opening(ink, size=(size, size))
    background = ndimage.uniform_filter(background, size=size)
    if float(background.max() - background.min()) < 0.15:
        # evenly lit (a scan, a drawing, an MNIST image): one level, taken from the border,
        # so thick strokes are never mistaken for background
        background = np.full_like(ink, border_level(ink))
    return np.clip(ink - background, 0, None)


def _otsu(values: np.ndarray) -> float:
    """Otsu's threshold: the level that best splits the values into two groups."""
    hist, edges = np.histogram(values, bins=256, range=(0.0, 1.0))
    centres = (edges[:-1] + edges[1:]) / 2
    weight0 = np.cumsum(hist)
    weight1 = weight0[-1] - weight0
    sum0 = np.cumsum(hist * centres)
    mean0 = sum0 / np.maximum(weight0, 1)
    mean1 = (sum0[-1] - sum0) / np.maximum(weight1, 1)
    between = weight0 * weight1 * (mean0 - mean1) ** 2
    return float(centres[int(np.argmax(between))])


def _ink_mask(ink: np.ndarray) -> np.ndarray:
    """Pixels that belong to the digit: above Otsu's level, in the larger connected pieces."""
    mask = ink > max(_otsu(ink), 0.2)
    labels, n = ndimage.label(mask, structure=np.ones((3, 3)))
    if n > 1:  # drop specks of noise, keep every piece at least 5% the size of the largest
        sizes = ndimage.sum_labels(mask, labels, index=np.arange(1, n + 1))
        keep = np.flatnonzero(sizes >= 0.05 * sizes.max()) + 1
        mask = np.isin(labels, keep)
    return mask


def _resize(array: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Anti-aliased resize of a float image to (width, height)."""
    image = Image.fromarray(np.ascontiguousarray(array, dtype=np.float32))
    return np.asarray(image.resize(size, Image.Resampling.LANCZOS), dtype=np.float32)


def centre_by_mass(box: np.ndarray, size: int = SIZE, centre=CENTRE) -> np.ndarray:
    """Paste ``box`` into a ``size`` x ``size`` field with its centre of mass at ``centre``.

    The shift is rounded to whole pixels (no extra blur) and limited so the digit stays
    inside the field.
    """
    h, w = box.shape
    if h > size or w > size:
        raise ValueError(f"a {h}x{w} box does not fit into {size}x{size}.")
    com_row, com_col = ndimage.center_of_mass(box)
    top = int(np.clip(round(centre[0] - com_row), 0, size - h))
    left = int(np.clip(round(centre[1] - com_col), 0, size - w))
    field = np.zeros((size, size), dtype=np.float32)
    field[top : top + h, left : left + w] = box
    return field


def preparation_steps(source, invert: bool | None = None) -> dict[str, np.ndarray]:
    """Every stage from the input to the MNIST-like 28x28, in order, keyed by a short name.

    ``invert``: ``None`` decides from the image's border (dark paper -> no inversion);
    ``True``/``False`` force it.
    """
    if invert is not None and not isinstance(invert, (bool, np.bool_)):
        raise TypeError(
            f"invert must be None (decide from the border), True or False; got {invert!r}. "
            "A string such as 'no' would count as True: write invert=False."
        )
    try:
        return _steps(load_grey(source), invert)
    except DigitImageError as exc:  # name the file in every error found after decoding
        if isinstance(source, (str, Path)) and str(Path(source).expanduser()) not in str(exc):
            raise DigitImageError(f"{Path(source).expanduser()}: {exc}") from exc
        raise


def _steps(grey: np.ndarray, invert: bool | None) -> dict[str, np.ndarray]:
    if float(grey.max() - grey.min()) < MIN_CONTRAST:
        tone = "white" if grey.mean() > 0.5 else ("black" if grey.mean() < 0.1 else "one grey")
        raise DigitImageError(
            f"the image is blank (all {tone}, brightness {grey.min():.2f}..{grey.max():.2f}): "
            "there is no digit to read. Check that the file shows a written digit."
        )
    if invert is None:
        invert = is_dark_on_light(grey)
    ink = 1.0 - grey if invert else grey.copy()
    clean = _remove_background(ink)
    top = float(np.percentile(clean, 99.9))
    if top < MIN_CONTRAST:
        raise DigitImageError(
            "no ink found: the image has no strokes that stand out from the background "
            "(it may be blank, or a smooth gradient). Check that the file shows a digit."
        )
    clean = np.clip(clean / top, 0, 1)
    mask = _ink_mask(clean)
    if not mask.any():
        raise DigitImageError("no ink found after removing the background.")
    pieces = ndimage.label(mask, structure=np.ones((3, 3)))[1]
    if pieces >= NOISE_PIECES and mask.mean() >= NOISE_COVER:
        warnings.warn(
            f"the image looks like noise or speckle, not one written digit: its ink is in "
            f"{pieces} separate pieces covering {mask.mean():.0%} of it. The 28x28 image is "
            "returned, but what the network says about it means little; check the file.",
            NoDigitWarning,
            stacklevel=3,
        )
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    crop = clean[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    # faint haze around the strokes becomes background, soft edges stay
    crop = np.where(crop > 0.1, crop, 0).astype(np.float32)
    h, w = crop.shape
    scale = BOX / max(h, w)
    new_w, new_h = max(1, round(w * scale)), max(1, round(h * scale))
    box = np.clip(_resize(crop, (new_w, new_h)), 0, None)
    if box.max() <= 0:
        raise DigitImageError("the digit vanished when scaled to 20 px (it is too faint).")
    box = np.clip(box / box.max(), 0, 1)
    final = centre_by_mass(box)
    return {
        "input (grey)": grey,
        "inverted" if invert else "not inverted": ink,
        "background removed": clean,
        "cropped to the ink": crop,
        f"scaled to {new_h}x{new_w}": box,
        "centred 28x28": final,
    }


def prepare_digit(source, invert: bool | None = None) -> np.ndarray:
    """An image of one handwritten digit -> MNIST-like (28, 28) float32 in [0, 1].

    ``source``: a path (PNG, JPEG, ... any size, colour or grey), the bytes of such a file,
    a file object, a PIL image, or a NumPy array (2-D grey or 3-D RGB(A); 0..255 or 0..1).
    Light ink on a dark background and dark ink on light paper both work (``invert=None``
    decides from the border). Raises :class:`DigitImageError` for an empty file, a file
    that is not an image, or an image with no digit (all white, all black).
    """
    return preparation_steps(source, invert=invert)["centred 28x28"]
