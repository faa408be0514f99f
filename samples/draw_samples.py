"""Draw the synthetic sample digits of notebook 06 (run: ``python samples/draw_samples.py``).

These are NOT photos or scans of handwriting: every file is drawn by this script, stroke
by stroke with Pillow, with a little random wobble, and then made to look like the kinds
of image a learner's own digits come in (dark pen on white paper, chalk on a blackboard,
a colour phone photo with uneven light and noise saved as JPEG, a small digit off in a
corner, a thin pencil line, a marker on grey scanner paper). The names say so: ``drawn``,
and ``..._like`` for the look they imitate. They test the preparation of
:mod:`helpers.images`, not how well the model reads real handwriting (notebook 06 uses
scikit-learn's UCI optical digits, written by real people, for that). Each file name starts
with the digit it shows, so notebook 06 can compare the model's answer with the truth.
Deterministic: the same files every time."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

HERE = Path(__file__).resolve().parent


def arc(cx, cy, rx, ry, start_deg, end_deg, n=40):
    """Points along an ellipse arc (angles in degrees, 0 = right, 90 = down in images)."""
    t = np.radians(np.linspace(start_deg, end_deg, n))
    return list(zip(cx + rx * np.cos(t), cy + ry * np.sin(t), strict=True))


#: Strokes of each digit in a unit square (x right, y down); each stroke is a polyline.
STROKES = {
    0: [arc(0.5, 0.5, 0.3, 0.45, -90, 275)],
    1: [[(0.35, 0.22), (0.55, 0.05), (0.55, 0.95)]],
    2: [[*arc(0.5, 0.3, 0.3, 0.25, 190, 370)[:-8], (0.15, 0.95), (0.88, 0.95)]],
    3: [arc(0.48, 0.28, 0.3, 0.23, 200, 450), arc(0.48, 0.72, 0.34, 0.24, 270, 520)],
    4: [[(0.62, 0.05), (0.1, 0.65), (0.9, 0.65)], [(0.66, 0.3), (0.66, 0.97)]],
    5: [
        [(0.8, 0.06), (0.28, 0.06), (0.24, 0.45)],
        [(0.24, 0.45), *arc(0.5, 0.67, 0.33, 0.28, 230, 500)[4:]],
    ],
    6: [[(0.7, 0.05), (0.35, 0.45), *arc(0.5, 0.7, 0.28, 0.25, 200, 560)]],
    7: [[(0.12, 0.08), (0.88, 0.08), (0.4, 0.96)], [(0.35, 0.52), (0.78, 0.52)]],
    8: [arc(0.5, 0.27, 0.24, 0.22, 90, 450), arc(0.5, 0.72, 0.3, 0.25, -90, 270)],
    9: [[*arc(0.5, 0.3, 0.28, 0.25, 0, 365), (0.76, 0.35), (0.68, 0.97)]],
}


def draw_digit(
    digit,
    canvas=(280, 280),
    box=(40, 30, 240, 250),
    width=18,
    ink=0,
    paper=255,
    mode="L",
    wobble=0.012,
    seed=0,
):
    """Draw ``digit`` into ``box`` (left, top, right, bottom) of a new image."""
    rng = np.random.default_rng(seed)
    image = Image.new(mode, canvas, paper)
    pen = ImageDraw.Draw(image)
    left, top, right, bottom = box
    for stroke in STROKES[digit]:
        pts = np.array(stroke, dtype=float)
        pts += rng.normal(0, wobble, size=pts.shape).cumsum(axis=0) * 0.5
        xy = [(left + x * (right - left), top + y * (bottom - top)) for x, y in pts]
        pen.line(xy, fill=ink, width=width, joint="curve")
        r = width / 2 - 0.5
        for x, y in (xy[0], xy[-1]):  # round pen tips
            pen.ellipse((x - r, y - r, x + r, y + r), fill=ink)
    return image


def photo_like(image_l, seed=0):
    """A grey drawing -> a colour 'phone photo': warm paper, blue ink, shading, noise."""
    rng = np.random.default_rng(seed)
    ink = 1 - np.asarray(image_l, dtype=float) / 255  # 1 where the pen went
    h, w = ink.shape
    yy, xx = np.mgrid[0:h, 0:w]
    light = (
        0.95
        - 0.3 * (xx / w) * (yy / h)
        - 0.08 * ((xx - w / 2) ** 2 + (yy - h / 2) ** 2) / (w * h / 2)
    )
    paper = np.stack([light * 245, light * 235, light * 210], axis=-1)
    pen = np.array([40, 50, 120], dtype=float)
    rgb = paper * (1 - ink[..., None]) + pen * ink[..., None]
    rgb += rng.normal(0, 6, size=rgb.shape)
    return Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8), "RGB").filter(
        ImageFilter.GaussianBlur(1.2)
    )


def main() -> None:
    made = []

    # 1. dark felt pen on white paper, PNG
    img = draw_digit(3, canvas=(300, 300), box=(70, 40, 230, 260), width=20, seed=1)
    made.append(("3_drawn_pen_like.png", img))

    # 2. light chalk on a dark board, PNG (no inversion needed; a little chalk dust)
    img = draw_digit(7, canvas=(320, 260), box=(90, 30, 230, 230), width=16, ink=235, paper=40)
    dust = np.asarray(img, dtype=float) + np.random.default_rng(2).normal(0, 10, (260, 320))
    made.append(("7_drawn_chalk_like.png", Image.fromarray(np.clip(dust, 0, 255).astype(np.uint8))))

    # 3. made to look like a colour phone photo: uneven light, blue ink, noise, blur, JPEG
    base = draw_digit(4, canvas=(400, 360), box=(110, 60, 290, 300), width=16, seed=3)
    made.append(("4_drawn_photo_like_blue_ink.jpg", photo_like(base, seed=3)))

    # 4. a small digit off in the corner of a wide page, PNG
    img = draw_digit(2, canvas=(480, 300), box=(330, 170, 420, 270), width=10, seed=4)
    made.append(("2_drawn_off_centre.png", img))

    # 5. a thin, tall one: its aspect ratio must be kept (scaled to 20 px high, narrow)
    img = draw_digit(1, canvas=(200, 300), box=(60, 40, 140, 260), width=9, seed=5)
    made.append(("1_drawn_thin_pencil_like.png", img.filter(ImageFilter.GaussianBlur(0.8))))

    # 6. marker on grey scanner paper, JPEG
    img = draw_digit(5, canvas=(260, 260), box=(50, 30, 210, 230), width=22, ink=30, paper=200)
    made.append(("5_drawn_scan_like_marker.jpg", img))

    for name, image in made:
        path = HERE / name
        if name.endswith(".jpg"):
            image.save(path, quality=85, optimize=True)
        else:
            image.save(path, optimize=True)
        print(
            f"{path.name}: {image.size[0]}x{image.size[1]} {image.mode}, "
            f"{path.stat().st_size / 1024:.1f} KiB"
        )


if __name__ == "__main__":
    main()
