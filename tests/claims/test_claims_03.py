"""Notebook 03: the sentences about the cost rule follow the committed outputs."""

from claims.committed import cell_output, markdown, notebook, number

NB = notebook("03")


def test_tensorflow_backward_pass_does_the_rules_arithmetic():
    printed = cell_output(NB, "def graph_multiply_adds(with_pixel_gradient):")
    rule = number(printed, "rule, training step")
    graph = number(printed, "TensorFlow's graph, weights only")
    with_pixels = number(printed, "TensorFlow's graph, pixels' gradient too:")
    text = markdown(NB, "TensorFlow's own backward pass does exactly the rule's arithmetic")
    assert graph == rule, "the prose says TensorFlow's graph does exactly the rule's arithmetic"
    assert with_pixels - graph == 784 * 512 and "784 \\times 512" in text


def test_skipped_share_sentence():
    printed = cell_output(NB, "print(f\"  as a share of the rule's training step")
    of_step = number(printed, "as a share of the rule's training step :", percent=True)
    of_three = number(printed, "as a share of 3 x forward              :", percent=True)
    text = markdown(NB, "The skipped product is")
    assert f"{of_step:.1f}% of the flagship's training step" in text
    assert f"({of_three:.1f}% of" in text
    assert f"by {of_step:.1f}%" in text, "the overcount, relative to the rule, is the step share"


def test_ratio_range_names_the_right_architectures():
    printed = cell_output(NB, "training multiply-adds per weight: from")
    line = next(ln for ln in printed.splitlines() if "multiply-adds per weight: from" in ln)
    low, high = number(line, "from"), number(line, "to")
    low_name = line.split("(")[1].split(")")[0]
    high_name = line.split("(")[2].split(")")[0]
    text = markdown(NB, "The forward multiply-adds per image are almost the parameter count")
    assert 2 <= low <= high < 3 and "between 2 and 3 multiply-adds per weight" in text
    assert f"from {low:.2f} (`{low_name}`) to {high:.2f} (the {high_name})" in text
