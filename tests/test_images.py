"""helpers/images.py: a user's digit photo becomes an MNIST-like 28x28; bad input is refused."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageDraw
from scipy import ndimage

from helpers import config, images
from helpers.images import DigitImageError, preparation_steps, prepare_digit

SAMPLES = sorted(p for p in config.SAMPLES_DIR.iterdir() if p.suffix in {".png", ".jpg"})


def drawn_digit(size=(200, 300), box=(60, 40, 140, 260), ink=0, paper=255, width=14, mode="L"):
    """A plain '1'-like bar with a flag, drawn dark on light (or as asked)."""
    image = Image.new(mode, size, paper)
    pen = ImageDraw.Draw(image)
    left, top, right, bottom = box
    mid = (left + right) // 2
    pen.line([(left, top + 40), (mid, top), (mid, bottom)], fill=ink, width=width)
    return image


def check_mnist_like(result):
    assert result.shape == (28, 28)
    assert result.dtype == np.float32
    assert result.min() >= 0.0 and result.max() == pytest.approx(1.0)
    rows = np.flatnonzero(result.max(axis=1) > 0)
    cols = np.flatnonzero(result.max(axis=0) > 0)
    height, width = rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1
    assert max(height, width) <= images.BOX + 2  # the digit fits the 20x20 box (+ soft edge)
    com = ndimage.center_of_mass(result)
    assert np.allclose(com, images.CENTRE, atol=0.75)  # centred by mass, to the pixel
    # background black (0), ink bright: most of the field is background, as in MNIST
    assert (result == 0).mean() > 0.5


@pytest.mark.parametrize("path", SAMPLES, ids=[p.name for p in SAMPLES])
def test_every_shipped_sample_becomes_mnist_like(path):
    assert int(path.name[0]) in range(10)  # file names start with the digit they show
    check_mnist_like(prepare_digit(path))


def test_samples_are_shipped_in_both_formats_and_polarities():
    assert len(SAMPLES) >= 5
    assert {p.suffix for p in SAMPLES} == {".png", ".jpg"}
    inverted = {p.name: images.is_dark_on_light(images.load_grey(p)) for p in SAMPLES}
    assert any(inverted.values()) and not all(inverted.values())


def test_dark_on_light_and_light_on_dark_give_the_same_digit():
    dark_on_light = prepare_digit(drawn_digit(ink=0, paper=255))
    light_on_dark = prepare_digit(drawn_digit(ink=255, paper=0))
    check_mnist_like(dark_on_light)
    np.testing.assert_allclose(dark_on_light, light_on_dark, atol=1e-5)


def test_colour_file_bytes_array_and_pil_inputs_agree(tmp_path):
    grey = drawn_digit()
    rgb = Image.merge("RGB", [grey, grey, grey])
    path = tmp_path / "digit.png"
    rgb.save(path)
    from_path = prepare_digit(path)
    np.testing.assert_allclose(prepare_digit(path.read_bytes()), from_path, atol=1e-6)
    np.testing.assert_allclose(prepare_digit(io.BytesIO(path.read_bytes())), from_path, atol=1e-6)
    np.testing.assert_allclose(prepare_digit(grey), from_path, atol=1e-5)
    np.testing.assert_allclose(prepare_digit(np.asarray(rgb)), from_path, atol=1e-5)
    np.testing.assert_allclose(
        prepare_digit(np.asarray(grey, dtype=np.float32) / 255), from_path, atol=1e-5
    )


def test_aspect_ratio_is_kept_tall_digit_is_20_high_and_narrow():
    steps = preparation_steps(drawn_digit(box=(60, 40, 140, 260), width=10))
    box = steps[next(k for k in steps if k.startswith("scaled to"))]
    assert box.shape[0] == images.BOX  # the longer side (height) becomes 20
    assert box.shape[1] < 12  # the width shrinks by the same factor, not stretched to 20
    assert list(steps)[-1] == "centred 28x28"


def test_small_digit_in_a_corner_is_found_scaled_up_and_centred():
    image = drawn_digit(size=(600, 400), box=(500, 300, 540, 380), width=5)
    check_mnist_like(prepare_digit(image))


def test_uneven_light_and_noise_do_not_count_as_ink():
    rng = np.random.default_rng(0)
    ink = 1 - np.asarray(drawn_digit(), dtype=float) / 255
    h, w = ink.shape
    light = 0.95 - 0.35 * np.mgrid[0:h, 0:w][1] / w  # a shadow across the page
    photo = light * (1 - 0.8 * ink) + rng.normal(0, 0.02, ink.shape)
    clean = prepare_digit(np.clip(photo, 0, 1))
    check_mnist_like(clean)
    reference = prepare_digit(drawn_digit())
    # same digit: most of the ink lands on the same pixels
    overlap = np.minimum(clean, reference).sum() / reference.sum()
    assert overlap > 0.6


def test_an_mnist_image_comes_back_nearly_unchanged():
    rng = np.random.default_rng(1)
    digit = np.zeros((28, 28), np.float32)
    digit[4:24, 12:17] = 1.0  # a "1" 20 px tall with a base: already 20 px high and
    digit[22:24, 10:19] = 1.0  # centred by mass (14.2, 14.0), as MNIST's digits are
    out = prepare_digit(0.98 * digit + rng.uniform(0, 0.02, digit.shape).astype(np.float32))
    check_mnist_like(out)
    assert np.abs(out - digit).mean() < 0.05


def test_invert_is_decided_from_the_border_or_forced():
    dark_on_light, light_on_dark = drawn_digit(ink=0, paper=255), drawn_digit(ink=255, paper=0)
    assert "inverted" in preparation_steps(dark_on_light)
    assert "not inverted" in preparation_steps(light_on_dark)
    assert "inverted" in preparation_steps(dark_on_light, invert=True)
    assert "not inverted" in preparation_steps(light_on_dark, invert=False)
    # forcing the inversion of a grey picture turns it into its negative, drawn the same way
    np.testing.assert_allclose(
        prepare_digit(np.asarray(dark_on_light), invert=True),
        prepare_digit(255 - np.asarray(dark_on_light), invert=False),
        atol=1e-5,
    )


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: p.write_text("these are not the pixels you are looking for"), "not an image"),
        (lambda p: p.write_bytes(b""), "empty"),
        (lambda p: Image.new("L", (120, 90), 255).save(p), "blank \\(all white"),
        (lambda p: Image.new("RGB", (64, 64), (0, 0, 0)).save(p), "blank \\(all black"),
        (lambda p: p.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 40), "image"),
    ],
    ids=["text file", "empty file", "all white", "all black", "broken png"],
)
def test_bad_files_give_a_clear_error(tmp_path, make, message):
    path = tmp_path / "digit.png"
    make(path)
    with pytest.raises(DigitImageError, match=message):
        prepare_digit(path)


def test_other_bad_input_is_refused_with_a_reason(tmp_path):
    with pytest.raises(FileNotFoundError, match="No file at"):
        prepare_digit(tmp_path / "missing.png")
    with pytest.raises(DigitImageError, match="folder"):
        prepare_digit(tmp_path)
    with pytest.raises(DigitImageError, match="empty"):
        prepare_digit(b"")
    with pytest.raises(DigitImageError, match="empty"):
        prepare_digit(np.zeros((0, 5)))
    with pytest.raises(DigitImageError, match="2-D|3 or 4"):
        prepare_digit(np.zeros((4, 5, 6, 7)))
    with pytest.raises(DigitImageError, match="NaN"):
        prepare_digit(np.full((30, 30), np.nan))
    with pytest.raises(DigitImageError, match="negative"):
        prepare_digit(np.full((30, 30), -1.0))
    with pytest.raises(DigitImageError, match="0..255"):
        prepare_digit(np.full((30, 30), 1000.0))
    with pytest.raises(TypeError, match="file path"):
        prepare_digit(12345)
    assert issubclass(DigitImageError, ValueError)


def test_a_smooth_gradient_has_no_digit():
    ramp = np.tile(np.linspace(0.2, 0.9, 200), (150, 1))
    with pytest.raises(DigitImageError, match="no ink|blank"):
        prepare_digit(ramp)


def test_centre_by_mass_puts_the_mass_at_14_14_and_refuses_big_boxes():
    box = np.zeros((20, 10), np.float32)
    box[:, :3] = 1.0  # mass on the left edge of the box
    field = images.centre_by_mass(box)
    assert field.sum() == pytest.approx(box.sum())
    assert np.allclose(ndimage.center_of_mass(field), (14, 14), atol=0.5)
    with pytest.raises(ValueError, match="does not fit"):
        images.centre_by_mass(np.ones((30, 10)))


def test_transparent_png_from_a_drawing_app_counts_as_white_paper(tmp_path):
    grey = drawn_digit()
    rgba = Image.new("RGBA", grey.size, (0, 0, 0, 0))  # fully transparent "paper"
    rgba.putalpha(Image.eval(grey, lambda v: 255 - v))  # black ink where the pen went
    path = tmp_path / "drawing.png"
    rgba.save(path)
    np.testing.assert_allclose(prepare_digit(path), prepare_digit(grey), atol=0.02)


def test_a_large_photo_is_shrunk_first_and_still_prepared():
    big = drawn_digit(size=(4000, 3000), box=(1500, 800, 2300, 2400), width=120)
    assert max(images.load_grey(big).shape) == images.WORK_SIDE
    check_mnist_like(prepare_digit(big))


# --------------------------------------------------------------------------- one value rule


def _grey_digit(ink=0.35, paper=0.92):
    """A digit drawn in grey ink on light paper, as floats in [0, 1]."""
    mask = 1 - np.asarray(drawn_digit(), dtype=np.float64) / 255
    return paper + (ink - paper) * mask


@pytest.mark.parametrize(
    "encode",
    [
        lambda g: np.round(g * 255).astype(np.uint8),  # 8-bit grey
        lambda g: np.round(g * 4095).astype(np.uint16),  # 12-bit grey in uint16
        lambda g: np.round(g * 65535).astype(np.uint16),  # 16-bit grey
        lambda g: np.round(g * 255).astype(np.int64),  # 8-bit levels in a wide int
        lambda g: g.astype(np.float32),  # float 0..1
        lambda g: (g * 255).astype(np.float64),  # float 0..255
        lambda g: np.repeat(np.round(g * 4095).astype(np.uint16)[..., None], 3, -1),  # 12-bit RGB
        lambda g: np.repeat((g * 255)[..., None], 3, -1),  # float RGB 0..255, grey ink
        lambda g: np.repeat(g[..., None], 3, -1).astype(np.float32),  # float RGB 0..1
        lambda g: np.dstack([np.repeat(np.round(g * 255)[..., None], 3, -1), np.full(g.shape, 255)]).astype(np.uint8),  # RGBA
        lambda g: (g * 255).astype(np.float32)[..., None],  # (h, w, 1)
    ],
    ids=["uint8", "uint16-12bit", "uint16-16bit", "int64-8bit", "float01", "float255",
         "rgb-uint16-12bit", "rgb-float255", "rgb-float01", "rgba-uint8", "hw1-float255"],
)  # fmt: skip
def test_every_shape_and_dtype_follows_one_value_rule(encode):
    """The same grey-ink digit in any dtype, bit depth or channel layout reads the same:
    12-bit RGB is not wrapped into an inverted outline, float RGB 0..255 is not clipped."""
    grey = _grey_digit()
    reference = prepare_digit(grey)
    out = prepare_digit(encode(grey))
    check_mnist_like(out)
    assert np.corrcoef(out.ravel(), reference.ravel())[0, 1] > 0.99
    loaded = images.load_grey(encode(grey))
    assert abs(float(loaded.max()) - 0.92) < 0.01 and abs(float(loaded.min()) - 0.35) < 0.01


def test_value_scale_by_bit_depth():
    assert images.value_scale(np.array([0, 1], np.uint8)) == 1.0  # a 0/1 mask
    assert images.value_scale(np.array([0, 200], np.uint8)) == 255.0
    assert images.value_scale(np.array([0, 200], np.uint16)) == 255.0
    assert images.value_scale(np.array([0, 1023], np.uint16)) == 1023.0  # 10-bit
    assert images.value_scale(np.array([0, 3000], np.uint16)) == 4095.0  # 12-bit
    assert images.value_scale(np.array([0, 65535], np.uint16)) == 65535.0
    assert images.value_scale(np.array([0.0, 0.7])) == 1.0
    assert images.value_scale(np.array([0.0, 254.5])) == 255.0
    assert images.value_scale(np.array([True, False])) == 1.0
    with pytest.raises(DigitImageError, match="16 bits"):
        images.value_scale(np.array([0, 70000], np.uint32))
    with pytest.raises(DigitImageError, match="negative"):
        images.value_scale(np.array([-3, 7], np.int16))


def test_a_16_bit_png_file_reads_like_the_array(tmp_path):
    grey = _grey_digit()
    levels = np.round(grey * 65535).astype(np.uint16)
    path = tmp_path / "scan16.png"
    Image.fromarray(levels).save(path)
    assert Image.open(path).mode.startswith("I")
    np.testing.assert_allclose(prepare_digit(path), prepare_digit(levels), atol=1e-5)


def test_channels_first_and_batches_get_a_hint():
    with pytest.raises(DigitImageError, match="moveaxis"):
        prepare_digit(np.zeros((3, 40, 40), np.uint8))
    with pytest.raises(DigitImageError, match=r"array\[0\]"):
        prepare_digit(np.zeros((10, 28, 28), np.float32))
