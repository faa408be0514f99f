"""Notebook 07's run-dependent sentences against its committed full-run outputs."""

import re

from claims.committed import cell_output, markdown, notebook, number, numbers

NB = notebook("07")


def test_digit_9_is_taken_because_4_and_9_are_a_top_confusion():
    printed = cell_output(NB, "guesses = [")
    line = next(x for x in printed.splitlines() if "pairs with most errors" in x)
    top_pairs = line.split(":", 1)[1].replace(" ", "").split(",")
    text = markdown(NB, "The same numbers by hand for one digit")
    assert "often confused with 4" in text
    assert "4-9" in top_pairs[:2], f"the prose says 9 is often confused with 4; top pairs: {line}"


def test_some_errors_are_made_with_high_confidence():
    printed = cell_output(NB, 'print("confidence of the errors:")')
    sure_and_wrong = number(printed, "errors made with more than 90% confidence:")
    assert "a softmax can be sure and wrong" in markdown(NB, "Look at them before judging")
    assert sure_and_wrong > 0


def test_threshold_bought_precision_and_paid_in_recall():
    printed = cell_output(NB, "def exchange_rate(")
    d_precision = numbers(printed, "precision change (threshold minus argmax):")
    d_recall = numbers(printed, "recall change (threshold minus argmax):")
    text = markdown(NB, "Read the two *change* rows")
    assert "bought precision and paid for it in recall" in text
    assert d_precision[0] > 0, "the prose says the threshold bought precision"
    assert d_recall[0] < 0 and d_recall[2] < 0, "the prose says it paid in recall"


def test_the_top_bin_holds_almost_all_images_and_much_of_the_ece():
    printed = cell_output(NB, "top_share, top_ratio = top_bin_report(")
    in_top, n_images, share_of_ece = numbers(printed, "top bin (0.9, 1.0]:")[:3]
    delivered = number(printed, "delivered", percent=True)
    stated = number(printed, "stated error rate", percent=True)
    text = markdown(NB, "Bars below the diagonal mean **over-confidence**")
    assert "almost all images sit in the top bin" in text
    assert in_top / n_images > 0.9 and share_of_ece >= 25
    summary = markdown(NB, "## Summary")
    assert "several" in summary and "times over-confident here" in summary
    assert delivered / stated >= 2, "the summary says several times over-confident"


def test_temperature_above_one_lowered_every_score_and_which_intervals_clear_0():
    fitted = cell_output(NB, "temperature = metrics.fit_temperature(")
    temperature = number(fitted, "T =")
    printed = cell_output(NB, "changes = pd.DataFrame(changes")
    text = " ".join(markdown(NB, "Read the tables and the figure together.").split())
    assert "$T$ came out above 1" in text and "lowered every score above" in text
    assert temperature > 1
    sides = {}
    for score in ("ECE (10 bins)", "class-wise ECE", "NLL", "Brier"):
        line = next(x for x in printed.splitlines() if x.startswith(f"  {score} "))
        assert numbers(printed, f"  {score} ")[0] < 0, f"{score} did not go down on test"
        sides[score] = line.rsplit("(", 1)[1].rstrip(")")
    assert "For the ECE, the NLL and the Brier score the paired interval lies below 0" in text
    assert "for the class-wise ECE it contains 0" in text
    assert sides == {
        "ECE (10 bins)": "below 0",
        "class-wise ECE": "contains 0",
        "NLL": "below 0",
        "Brier": "below 0",
    }, sides


def test_fit_is_the_top_of_the_three_sets_here():
    printed = cell_output(NB, "gap_fit = three_sets.loc")
    signed = {  # printed with a sign: +1.42% or -0.07%
        label: float(re.search(label + r" ([-+]\d+\.\d+)%", printed).group(1))
        for label in ("fit minus validation:", "validation minus test:")
    }
    fit_minus_val, val_minus_test = signed.values()
    assert "here it is the" in markdown(NB, "What the three rows mean:")
    assert fit_minus_val > 0 and fit_minus_val + val_minus_test > 0


def test_roc_curves_hug_the_corner():
    printed = cell_output(NB, "curves = metrics.roc_curves(y_test, proba_test)")
    lowest = numbers(printed, "lowest AUC: digit")[1]
    assert "All curves hug the top-left corner" in markdown(NB, "All curves hug the top-left")
    assert lowest > 0.99


def test_the_trade_is_judged_on_validation_its_line_printed_first():
    printed = cell_output(NB, "def exchange_rate(")
    lines = [x for x in printed.splitlines() if "false alarms and misses" in x]
    text = markdown(NB, "Read the two *change* rows")
    assert "with validation's exchange rate" in text and 'starts with "validation"' in text
    assert [x.split(":")[0] for x in lines] == ["validation", "test"], lines


def test_the_argmax_behaves_much_like_a_threshold_of_one_half_here():
    printed = cell_output(NB, "called_half, called_argmax_d = ")
    argmax_calls = number(printed, "argmax calls")
    half_calls = number(printed, "> 0.5 calls")
    text = markdown(NB, "## 6. ROC curves and AUC")
    assert "here most probabilities are close to 0 or 1" in text
    assert "the argmax behaves much like $t = 0.5$" in text
    assert half_calls <= argmax_calls and half_calls / argmax_calls >= 0.97, printed
