"""Notebook 10's run-dependent sentences against its committed full-run outputs."""

import re

from claims.committed import cell_output, markdown, notebook, number, numbers

NB = notebook("10")
METHODS = ["softmax", "MC-Dropout", "ensemble"]


def _table(printed: str, first_line: str, columns: int) -> dict[str, list[float]]:
    """{row label: numbers} of a pandas table printed after the line ``first_line``."""
    lines = printed.splitlines()
    start = next(i for i, line in enumerate(lines) if first_line in line)
    rows = {}
    for line in lines[start + 1 :]:
        values = re.findall(r"-?\d+\.\d+(?:e-?\d+)?", line)
        label = re.split(r"\s{2,}", line.strip())[0]
        if len(values) == columns:
            rows[label] = [float(v) for v in values]
        elif rows:
            break
    return rows


def test_section_2_the_cnn_gradient_sits_closer_to_the_ink():
    printed = cell_output(NB, "near_ink = ndimage.binary_dilation")
    mlp = number(printed, "MLP: share of |gradient| on or next to the ink, 200 validation images:")
    cnn = number(printed, "CNN: share of |gradient| on or next to the ink, 200 validation images:")
    text = markdown(NB, "How to read it (the shares above are this run's)")
    assert "The CNN's gradient puts a larger share of its weight on and next to the strokes" in text
    assert cnn > mlp
    frame = number(printed, "share of the pixels that are on or next to the ink:")
    assert "as if it had no preference" in text and abs(mlp - frame) < 5  # percentage points


def _sanity_table():
    printed = cell_output(NB, "sanity, examples = {}, {}")
    corr = {}
    for line in printed.splitlines():
        for model in ("MLP", "CNN"):
            for kind in ("gradient x input", "gradient"):
                if line.startswith(f"{model}, {kind} "):
                    corr.setdefault((model, kind), [float(v) for v in line.split()[-5:]])
    assert len(corr) == 4, printed
    return printed, corr


def test_section_3_the_measure_is_checked_on_maps_that_know_nothing():
    printed = cell_output(NB, "know_nothing = rng.normal")
    whole = number(printed, "two random maps times the image: r =")
    floor = number(printed, "over all 784 pixels,")
    text = markdown(NB, "**What this run shows** (the tables above). Over all 784 pixels")
    assert "two random maps times the image already score about 0.99" in " ".join(text.split())
    assert abs(whole - 0.99) < 0.01 and floor < 0.6


def test_section_3_the_gradient_forgets_gradient_x_input_keeps_the_image():
    printed, corr = _sanity_table()
    floor = number(cell_output(NB, "know_nothing = rng.normal"), "over all 784 pixels,")
    text = markdown(NB, "**What this run shows** (the tables above). Over all 784 pixels")
    flat = " ".join(text.split())
    assert "keeps almost nothing of the trained map with every layer random" in flat
    assert "the MLP's from the top layer on, the CNN's a little more slowly" in flat
    for model in ("MLP", "CNN"):
        grad, gxi = corr[(model, "gradient")], corr[(model, "gradient x input")]
        assert grad[4] < 0.1, (model, grad)  # almost nothing left
        assert all(b > a for a, b in zip(grad[1:], gxi[1:], strict=True)), (model, grad, gxi)
        assert gxi[1] < 0.8  # "changes too"
    assert corr[("MLP", "gradient")][1] < corr[("CNN", "gradient")][1] < 0.5
    assert "settles at about the correlation of two random maps times the image" in flat
    for model in ("MLP", "CNN"):
        assert abs(corr[(model, "gradient x input")][4] - floor) < 0.05, (model, floor)
    random_cnn = number(
        printed, "CNN with every weighted layer random: share of |gradient| on or next to the ink"
    )
    trained = number(
        cell_output(NB, "near_ink = ndimage.binary_dilation"),
        "CNN: share of |gradient| on or next to the ink, 200 validation images:",
    )
    assert "puts an even larger share of its gradient on and next to the ink" in flat
    assert random_cnn > trained


def _attack_table():
    printed = cell_output(NB, "attack_curves = {}")
    rows = {}
    for line in printed.splitlines():
        parts = line.split()
        if len(parts) == 5 and re.fullmatch(r"\d\.\d+", parts[0]):
            rows[float(parts[0])] = [float(v) for v in parts[1:]]
    # columns: (MLP, FGSM), (MLP, PGD), (CNN, FGSM), (CNN, PGD)
    assert len(rows) == 7, printed
    return rows


def test_section_4_attacks_cost_the_mlp_more_than_the_cnn_and_pgd_is_stronger():
    rows = _attack_table()
    text = markdown(NB, "**What this run shows** (the table above): a change of 0.1")
    assert "most of its accuracy" in text and "at every budget up to 0.2" in text
    assert "at 0.3 PGD leaves both at zero" in text
    assert "PGD is at least as strong as FGSM for both" in text
    assert rows[0.1][0] < rows[0.0][0] / 2  # MLP, FGSM, eps 0.1: most of the accuracy gone
    for eps, (mlp_fgsm, mlp_pgd, cnn_fgsm, cnn_pgd) in rows.items():
        if 0 < eps <= 0.2:
            assert cnn_fgsm > mlp_fgsm and cnn_pgd > mlp_pgd, eps
        assert mlp_pgd <= mlp_fgsm and cnn_pgd <= cnn_fgsm, eps
    assert rows[0.3][1] == 0 and rows[0.3][3] == 0
    assert "FGSM overstates the CNN's robustness far more than the MLP's" in text
    gaps = {eps: r[2] - r[3] for eps, r in rows.items()}  # CNN: FGSM minus PGD
    assert "at eps = 0.15 it leaves the CNN" in text and gaps[0.15] == max(gaps.values())
    assert gaps[0.15] > 2 * max(r[0] - r[1] for r in rows.values())  # MLP: FGSM minus PGD


def test_section_5_the_rule_chose_the_smallest_budget():
    printed = cell_output(NB, "CANDIDATES = [0.0, 0.05, 0.1, 0.2]")
    assert number(printed, "chosen by the rule: eps =") == 0.05
    robust = {e: numbers(printed, f"{e:.2f}  ")[1] for e in (0.05, 0.1, 0.2)}
    text = markdown(NB, "In this run the rule chose eps = 0.05")
    assert (
        "the smallest budget gave the most robustness" in text
        and "the largest budget the least" in text
    )
    assert robust[0.05] > robust[0.1] > robust[0.2]


def test_section_5_a_stronger_attack_and_a_transfer_attack_find_no_hidden_gradient():
    printed = cell_output(NB, "def right_under_strong_pgd(")
    text = " ".join(markdown(NB, "In this run (above) the stronger attack found only").split())
    assert "found only a little more than 10-step PGD against either network" in text
    assert "fooled the adversarial network far less often than its own gradient did" in text
    for name in ("reference (eps 0)", "adversarial"):
        values = numbers(printed, f"{name:18s} validation accuracy under PGD 0.1")
        ten, strong = values[1], values[3]  # "10 steps a%, with the 40-step restarts b%"
        assert 0 <= ten - strong < 3, (name, ten, strong)  # percentage points: "a little"
    robust_ten = numbers(printed, "adversarial        validation accuracy under PGD 0.1")[1]
    borrowed = number(printed, "adversarial, on PGD 0.1 images made against the reference:")
    assert borrowed > robust_ten + 5


def test_section_5_adversarial_training_buys_robustness_not_clearly_costing_clean_accuracy():
    printed = cell_output(NB, "x_test, y_test = sets.x_test, sets.y_test")
    clean = numbers(printed, "clean    test accuracy:")
    attacked = numbers(printed, "PGD 0.1  test accuracy:")
    # adversarial %, reference %, difference, low, high, McNemar p
    text = markdown(NB, "the adversarially trained MLP is far more")
    assert "far more accurate under the PGD attack" in text
    assert "the two are indistinguishable in this run" in text
    assert attacked[2] > 10 and attacked[3] > 0  # far more accurate, interval above 0
    assert clean[3] < 0 < clean[4] and clean[5] > 0.05  # interval contains 0, p large
    summary = markdown(NB, "## Summary")
    assert "no clear change in clean accuracy in this run" in summary


def test_section_6_refusals_follow_the_tables():
    printed = cell_output(NB, "outside_p = {name: three_ways(x)")
    text = (
        markdown(NB, "**What this run shows** (the tables above): at the threshold")
        + " "
        + markdown(NB, "None of them refuses everything that is not a digit")
    )
    refused = _table(printed, "share refused at that threshold:", 4)
    auc = _table(printed, "ROC AUC, validation digits against each set", 4)
    # columns (alphabetical): UCI digits, letters, noise, turned digits
    cols = {"UCI digits": 0, "letters": 1, "noise": 2, "turned digits": 3}
    assert set(refused) == set(METHODS) and set(auc) == set(METHODS), (refused, auc)

    def r(m, s):
        return refused[m][cols[s]]

    assert (
        "every method refuses more than half of the noise, of the letters and of the turned" in text
    )
    assert all(r(m, s) > 0.5 for m in METHODS for s in ("noise", "letters", "turned digits"))
    assert "about half of the UCI digits" in text
    assert all(0.4 < r(m, "UCI digits") < 0.6 for m in METHODS)
    assert (
        "refuse more of the noise, the letters and the turned digits than the plain softmax" in text
    )
    for m in ("MC-Dropout", "ensemble"):
        for s in ("noise", "letters", "turned digits"):
            assert r(m, s) > r("softmax", s), (m, s)
        assert auc[m][cols["noise"]] > auc["softmax"][cols["noise"]]
    assert "on letters and turned digits the differences are a few points" in text
    assert all(
        abs(r(m, s) - r("softmax", s)) < 0.06 for m in METHODS for s in ("letters", "turned digits")
    )
    assert "more than a third of the letters and about a quarter of the turned digits" in text
    assert all(r(m, "letters") < 2 / 3 for m in METHODS)
    assert all(0.2 < 1 - r(m, "turned digits") < 0.35 for m in METHODS)
    uci = printed[printed.index("accuracy on the UCI digits:") :]
    assert "about three in four of those right" in text
    assert 0.7 < number(uci, "'softmax':") < 0.8


def test_section_6_mc_dropout_and_ensemble_are_better_calibrated_on_validation():
    printed = cell_output(NB, "val_p = three_ways(x_val)")
    table = _table(printed, "validation images:", 3)  # accuracy, NLL, ECE
    text = markdown(NB, "In this run (the table above) MC-Dropout and the ensemble both have")
    assert "a lower NLL and a lower ECE" in " ".join(text.split())
    for m in ("MC-Dropout", "ensemble"):
        assert table[m][1] < table["softmax"][1] and table[m][2] < table["softmax"][2]


def test_section_6_only_the_ensembles_calibration_gain_beats_the_image_noise():
    printed = cell_output(NB, "def nll_per_image(p, y):")
    text = " ".join(markdown(NB, "In this run (above) the ensemble's gains").split())
    assert (
        "the ensemble's gains in NLL and in ECE have intervals above 0; MC-Dropout's include 0"
        in text
    )
    gains = {
        m: numbers(printed, f"{m:10s} gain over the softmax") for m in ("MC-Dropout", "ensemble")
    }
    # ... (validation images): NLL value [low, high], ECE value [low, high]
    for m, g in gains.items():
        nll, ece = g[-6:-3], g[-3:]
        assert nll[1] <= nll[0] <= nll[2] and ece[1] <= ece[0] <= ece[2], (m, g)
        if m == "ensemble":
            assert nll[1] > 0 and ece[1] > 0, g
        else:
            assert nll[1] < 0 < nll[2] and ece[1] < 0 < ece[2], g
    summary = " ".join(markdown(NB, "## Summary").split())
    assert "only the ensemble's calibration gain over the softmax was larger than" in summary


def test_section_6_refusing_helps_on_the_uci_digits():
    printed = cell_output(NB, "SHARES = np.linspace(0, 0.5, 26)")
    text = (
        markdown(NB, "**What this run shows** (the tables above): at the threshold")
        + " "
        + markdown(NB, "None of them refuses everything that is not a digit")
    )
    assert "raises the accuracy on the rest for every method" in text
    for m in METHODS:
        values = numbers(printed, f"UCI digits        {m:10s}: accuracy")
        start, end = values[0], values[3]  # ... -> a% refusing 10% -> b% refusing 50%
        assert end > start, m
