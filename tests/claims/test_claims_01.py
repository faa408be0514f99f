"""Notebook 01: the sentences about this data set's outcome follow the committed outputs."""

from claims.committed import cell_output, markdown, notebook, number

NB = notebook("01")


def test_rarest_and_commonest_digit_are_the_ones_named():
    printed = cell_output(NB, "rarest digit: {share.idxmin()}")
    rarest, commonest = number(printed, "rarest digit:"), number(printed, "commonest:")
    text = markdown(NB, "The classes are close to balanced")
    assert f"the rarest digit, {rarest:.0f}," in text, "the prose names another rarest digit"
    assert f"the most common, {commonest:.0f}," in text, "the prose names another commonest digit"


def test_frame_sentence_follows_the_measured_share():
    printed = cell_output(NB, "frame_ink = (x_train[:, frame] > 0).any(axis=1)")
    share = number(printed, "training images with ink in the frame:")  # the count, then the %
    line = next(ln for ln in printed.splitlines() if "with ink in the frame" in ln)
    percent = float(line.rsplit("(", 1)[1].rstrip(")%\n"))
    text = markdown(NB, "tag:claim-frame")
    assert f"{percent:.1f}% of the images ({share:,.0f} of" in text
    # "would cut ink from most images" needs a majority
    assert percent > 50 and "cut ink from most images" in text, (
        f"the prose says cropping damages most images; this run measured {percent}%"
    )


def test_least_and_most_alike_mean_digits_are_the_ones_named():
    printed = cell_output(NB, "pairs = sorted((cosine[a, b], a, b)")
    low = next(ln for ln in printed.splitlines() if ln.startswith("least alike:"))
    high = next(ln for ln in printed.splitlines() if ln.startswith("most alike:"))
    low_pair = low.split(":")[1].split(",")[0].strip()  # "0 and 1"
    high_pair = high.split(":")[1].split(",")[0].strip()
    text = markdown(NB, "tag:claim-mean-overlap")
    assert f"the least alike mean digits are {low_pair}" in text
    assert f"The most alike are {high_pair}" in text
    assert number(low, "cosine") > 0.2, "the prose says even the least alike pair overlaps"


def test_baselines_sentence_follows_the_table():
    printed = cell_output(NB, "validation accuracy %")
    nearest = number(printed, "nearest mean digit")
    linear = number(printed, "linear softmax (logistic regression)")
    text = markdown(NB, "Read the table by its validation column")
    assert "Ten mean images already get most digits" in text and nearest > 50
    assert "one linear layer does better still" in text and linear > nearest


def test_mean_and_std_sentence_follows_the_printed_numbers():
    printed = cell_output(NB, 'print(f"mean {x_train_n.mean():.4f}, std {x_train_n.std():.4f}")')
    mean, std = number(printed, "mean"), number(printed, "std")
    text = markdown(NB, "tag:claim-mean-std")
    assert f"$\\mu = {mean:.4f}$" in text and f"$\\sigma = {std:.4f}$" in text
    summary = markdown(NB, "## Summary")
    assert f"mean {mean:.4f}, std {std:.4f}" in summary


def test_summary_numbers_are_the_printed_ones():
    summary = " ".join(markdown(NB, "## Summary").split())  # one line: the prose is wrapped
    pixels = cell_output(NB, 'print(f"pixels exactly 0:   {zero_share:.1%}")')
    assert f"{number(pixels, 'pixels exactly 0:', percent=True):.1f}% of all pixels" in summary
    frame = cell_output(NB, "frame_ink = (x_train[:, frame] > 0).any(axis=1)")
    line = next(ln for ln in frame.splitlines() if "with ink in the frame" in ln)
    assert f"{float(line.rsplit('(', 1)[1].rstrip(')%')):.1f}% of the training images" in summary
    shares = cell_output(NB, "rarest digit: {share.idxmin()}")
    rarest = number(shares, f"rarest digit: {number(shares, 'rarest digit:'):.0f} (")
    commonest = number(shares, f"commonest: {number(shares, 'commonest:'):.0f} (")
    assert f"between {rarest:.1f}% and {commonest:.1f}%" in summary
    cosine = cell_output(NB, "pairs = sorted((cosine[a, b], a, b)")
    assert f"cosine similarity of {number(cosine, 'cosine'):.2f}" in summary
    se = cell_output(NB, "validation as precise as test:")
    assert f"standard error, {number(se, 'SE ='):.3f} points" in summary
    best = cell_output(NB, "optimism = best_of.loc[k, ")
    assert f"{number(best, 'on average,'):.2f} points too much" in summary
