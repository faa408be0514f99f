"""Notebook 04 (backpropagation, written by you): the sentences about this run's training.

The learner's own loop must reach the 95% validation target in the committed full run, and
the prose that says so (section 5, the summary) must follow the printed epochs.
"""

from claims.committed import cell_output, markdown, notebook, number

NB = notebook("04")
TRAINING = "params = train_epoch(params, x_fit, y_fit, batch_size, lr, rng)"


def epochs_printed():
    """[(epoch, validation accuracy in %)] from the training cell's committed output."""
    text = cell_output(NB, TRAINING)
    rows = [line for line in text.splitlines() if line.startswith("epoch ")]
    assert rows, text
    return [
        (int(line.split(":")[0].split()[1]), number(line, "validation accuracy", percent=True))
        for line in rows
    ]


def test_the_loop_reaches_the_validation_target():
    text = cell_output(NB, TRAINING)
    final = number(text.split("your loop:")[1], "validation accuracy", percent=True)
    assert final >= 95.0, f"the committed run ends at {final}% validation accuracy"
    assert "(target 95%: reached)" in text
    assert "validation" in text and "test" not in text.replace("the test images are not used", "")


def test_prose_on_when_the_target_was_cleared():
    rows = epochs_printed()
    first = next(epoch for epoch, acc in rows if acc >= 95.0)
    text = markdown(NB, "In this full run your loop")
    words = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth"}
    assert f"cleared the 95% validation target after its {words[first]} epoch" in text
    assert all(acc >= 95.0 for epoch, acc in rows if epoch >= first), (
        "the prose says the loop stayed above the target once it got there"
    )
    assert "ended above it" in text and rows[-1][1] >= 95.0


def test_summary_says_the_full_run_passed_the_target():
    text = markdown(NB, "## Summary")
    assert (
        "In the full run, your mini-batch SGD loop trained the 784-128-10 net past the 95%" in text
    )
    assert epochs_printed()[-1][1] >= 95.0
