"""Run-dependent prose, checked against the committed outputs of the full run.

A sentence that reports what *this* run shows (which net was chosen, where a minimum falls,
which share is larger) cannot be checked by ``tests/test_numbers.py``, which only matches
numbers. The tests here read the committed notebook, find the cell that printed the evidence
and the markdown cell that states the claim, and check that the two still agree. A full run
that changes the outcome then fails ``pytest`` until the prose follows.

One file per notebook, ``test_claims_NN.py``, next to the others, so the author of a section
finds the tests of its sentences. The helpers are in :mod:`claims.committed`:

.. code-block:: python

    from claims.committed import cell_output, markdown, notebook, number

    NB = notebook("01")  # the committed notebooks/01_*.ipynb


    def test_frame_sentence_follows_the_measured_share():
        printed = cell_output(NB, "frame_ink_share = ")  # a distinctive source line
        share = number(printed, "hold ink in the outer frame:", percent=True)
        text = markdown(NB, "tag:claim-frame")  # or a cell tag
        assert share > 50 and "most" in text, "the prose says most images; the run says not"

Anchors: ``"tag:NAME"`` finds the one cell carrying that tag; any other string finds the one
cell whose source contains it. Zero or several matches fail with a message saying which, so a
claim test cannot silently read the wrong cell.
"""
