"""Notebook 06's run-dependent sentences, checked against its committed full-run outputs."""

from __future__ import annotations

import re

from claims.committed import cell_output, find_cell, markdown, notebook, number, numbers

NB = notebook("06")


def test_main_run_has_a_gap_but_no_rising_validation_loss():
    text = cell_output(NB, 'lowest_val_loss_epoch = int(np.argmin(h["val_loss"])) + 1')
    after = number(text, "epochs after the lowest validation loss:")
    train_acc = number(text, "training accuracy", percent=True)
    val_acc = number(text, "validation accuracy", percent=True)
    prose = markdown(NB, "**Reading the curves: the generalisation gap.**")
    assert "the validation accuracy ends below the training accuracy" in prose
    assert val_acc < train_acc
    assert "In this run it does not" in prose and "lowest at the last epoch" in prose
    assert after == 0, "the prose says the validation loss is lowest at the last epoch"


def test_early_stopping_fired():
    text = cell_output(NB, "demo_recipe = training.Recipe(")
    assert "EarlyStopping fired: True" in text
    losses = numbers(text, "validation loss per epoch:")
    assert number(text, "epochs run:") == len(losses) < number(text, "of")
    restored = number(text, "weights restored from epoch")
    assert 1 < restored < len(losses) and max(losses[int(restored) :]) > min(losses)
    assert "reached its lowest value and then climbed" in markdown(
        NB, "In this run (printed above) the validation loss reached"
    )


def test_most_test_images_get_a_probability_above_099():
    text = cell_output(NB, "probabilities = model.predict(x_test")
    assert number(text, "test accuracy", percent=True) > 90
    sure = number(text, "share of the test images with a probability above 0.99:", percent=True)
    prose = markdown(NB, "In this run most test images get a probability above 0.99")
    assert "(the share is printed above)" in prose
    assert sure > 50, "the prose says most test images get a probability above 0.99"


def test_regularisers_and_squared_weights():
    text = cell_output(NB, "reg_table = pd.DataFrame(")
    assert "fit images" in text
    # the HTML table: squared kernel weights per model
    cell_html = "".join(
        "".join(o["data"]["text/html"])
        for o in find_cell(NB, "reg_table = pd.DataFrame(", "code")[1].outputs
        if "text/html" in o.get("data", {})
    )
    header = re.findall(r"<th>(.*?)</th>", re.search(r"<thead>(.*?)</thead>", cell_html, re.S)[1])
    column = header.index("sum of squared kernel weights") - 1
    squared = {}
    for row in re.findall(
        r"<tr>(.*?)</tr>", re.search(r"<tbody>(.*?)</tbody>", cell_html, re.S)[1], re.S
    ):
        name = re.search(r"<th>(.*?)</th>", row)[1]
        squared[name] = float(re.findall(r"<td>(.*?)</td>", row)[column])
    none = squared["no regularisation"]
    assert squared["L2 λ=1e-4"] < none and squared["L2 λ=1e-3"] < none
    assert abs(squared["Dropout 0.3"] - none) < 0.1 * none, "Dropout leaves it about where it was"


def test_claim_against_the_prediction_interval():
    text = cell_output(NB, "def prediction_interval(values")
    assert "lies inside it: False" in text
    assert "Here the claim lies outside even the prediction interval" in markdown(
        NB, "**What this evidence says, and what it does not.**"
    )


def test_uci_control_explains_most_of_the_drop():
    text = cell_output(NB, "def uci_like(image28")
    direct = number(text, "as they are:", percent=True)
    stretched = number(text, "stretched to fill 32x32:", percent=True)
    kept = number(text, "aspect ratio kept:", percent=True)
    uci = number(text, "(other writers, the real format):", percent=True)
    prose = markdown(NB, "**What the control says (this run, numbers printed above).**")
    assert "far less well in the imitated format" in prose and stretched < direct - 0.1 * direct
    assert "less badly when its aspect ratio is kept" in prose and stretched < kept < direct
    assert "most of the drop on the UCI digits is already explained by the format" in prose
    assert direct - stretched > 0.5 * (direct - uci)
    assert "small in this run" in prose and abs(stretched - uci) < 0.5 * (direct - stretched)
