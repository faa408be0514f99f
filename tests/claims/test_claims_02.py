"""Notebook 02: the sentences about this run's first losses follow the committed outputs."""

import math

from claims.committed import cell_output, markdown, notebook, numbers

NB = notebook("02")


def _row(printed, name):
    clipped, share, from_logits = numbers(printed, name)
    return clipped, share, from_logits


def test_first_loss_sentences_follow_the_table():
    printed = cell_output(NB, 'x_raw = sets.x_val[:1000].astype("float32")')
    text = markdown(NB, "Shuffled labels leave the first loss near")
    shuffled = _row(printed, "shuffled labels")
    raw = _row(printed, "pixels 0-255")
    large = _row(printed, "weights x 10")
    assert abs(shuffled[2] - math.log(10)) < 0.5, "the prose says shuffled labels stay near ln 10"
    assert min(raw[0], large[0]) > 2 * math.log(10), "the prose says both push it far above"
    # "in this run most of the images ... sit at the clip": the number is mostly the ceiling
    assert 'in this run most of the images of "pixels 0-255" sit at the clip' in text
    assert "mostly the ceiling" in text and raw[1] > 50
    # "from the logits the same images cost far more, and so do those of the oversized weights"
    assert "from the logits the same images cost far more" in text
    assert raw[2] > 2 * raw[0] and large[2] > 2 * large[0]


def test_ceiling_is_minus_ln_epsilon():
    printed = cell_output(NB, "certain_and_wrong = np.eye(10)[[0]]")
    ceiling = numbers(printed, "ceiling -ln(EPSILON) =")[0]
    assert abs(ceiling - (-math.log(1e-7))) < 1e-3
    assert f"{ceiling:.2f}" in markdown(NB, "**In code the loss has a ceiling.**")
