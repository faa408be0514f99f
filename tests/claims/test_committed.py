"""The claims helpers find exactly one cell and read numbers strictly."""

import nbformat
import pytest

from claims.committed import cell_output, find_cell, markdown, number, numbers


def _nb():
    nb = nbformat.v4.new_notebook()
    code = nbformat.v4.new_code_cell("share = measure()\nprint(f'share with ink: {share:.1%}')")
    code.outputs = [nbformat.v4.new_output("stream", name="stdout", text="share with ink: 75.6%\n")]
    text = nbformat.v4.new_markdown_cell("In this run  most\nimages have ink.")
    text.metadata["tags"] = ["claim-ink"]
    twin = nbformat.v4.new_code_cell("share = measure()  # again")
    nb.cells = [code, text, twin]
    return nb


def test_anchor_by_tag_and_by_source_line():
    nb = _nb()
    assert find_cell(nb, "tag:claim-ink")[0] == 1
    assert markdown(nb, "tag:claim-ink") == "In this run most images have ink."
    assert number(cell_output(nb, "print(f'share"), "share with ink:", percent=True) == 75.6


def test_ambiguous_or_missing_anchor_fails():
    nb = _nb()
    with pytest.raises(AssertionError, match="matches 2"):
        find_cell(nb, "share = measure()")
    with pytest.raises(AssertionError, match="matches 0"):
        find_cell(nb, "tag:nowhere")
    with pytest.raises(AssertionError, match="no committed text output"):
        cell_output(nb, "# again")


def test_number_is_strict():
    with pytest.raises(AssertionError, match="expected a percentage"):
        number("share: 0.756", "share", percent=True)
    with pytest.raises(AssertionError, match="no number after"):
        number("nothing here", "share")
    assert number("total: 60,000 images", "total") == 60000
    assert numbers("a\nsizes: 1, 2.5 and 3%\n", "sizes:") == [1, 2.5, 3]
