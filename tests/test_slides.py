"""Slides for class (``python -m helpers.slides``): every deck builds offline and reads well.

The decks are built once, in-process, with every network connection refused (a build that
tried to fetch reveal.js or MathJax would fail here). For every notebook:

- the deck has a title slide (the notebook's ``# NN · Title``) and then exactly one slide
  per ``## `` section, in order, titled with the section heading;
- the screens nbconvert made (reveal.js sections) are the ones :func:`helpers.slides.screens`
  measures, and none holds more than ``SCREEN_LINES`` lines of source + output (markdown
  wrapped at ``WRAP`` characters, headings counted larger, figures by their height);
- the committed notebooks carry slide metadata, and its slides and skips are where the
  structure puts them (``python -m helpers.slides --write`` re-applies it after a notebook
  changes; where a long section is cut depends on outputs and is re-derived by the build).
"""

from __future__ import annotations

import re
import shutil
import socket

import nbformat
import pytest
from bs4 import BeautifulSoup

from helpers import slides

NOTEBOOKS = slides.notebooks()
IDS = [p.name for p in NOTEBOOKS]


@pytest.fixture(scope="module")
def decks(tmp_path_factory):
    out = tmp_path_factory.mktemp("slides")
    copies = tmp_path_factory.mktemp("notebooks")  # one snapshot for the build and the checks
    for path in NOTEBOOKS:
        shutil.copy(path, copies / path.name)

    def refuse(*args, **kwargs):
        raise OSError(f"network access during the slide build: {args!r}")

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(socket.socket, "connect", refuse)
        mp.setattr(socket.socket, "connect_ex", refuse)
        mp.setattr(socket, "create_connection", refuse)
        written = slides.build(out, sorted(copies.glob("*.ipynb")))
    return {
        p.name.removesuffix(".slides.html"): (p, copies / p.name.replace(".slides.html", ".ipynb"))
        for p in written
    }


def section_headings(nb) -> list[str]:
    """Every ``## `` heading of the notebook's markdown, in order (outside code fences)."""
    headings = []
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        fenced = False
        for line in cell.source.split("\n"):
            if line.strip().startswith("```"):
                fenced = not fenced
            elif not fenced and line.startswith("## "):
                headings.append(line[3:].strip())
    return headings


def heading_text(tag) -> str:
    return tag.get_text(" ", strip=True).rstrip("¶").strip()


def normalise(text: str) -> str:
    return re.sub(r"[\s¶]+", " ", text).strip()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_deck_has_a_title_slide_and_one_slide_per_section(decks, path):
    html_path, copy = decks[path.stem]
    nb = nbformat.read(copy, as_version=4)
    html = html_path.read_text(encoding="utf-8")
    soup = BeautifulSoup(html, "html.parser")
    top = soup.select("div.reveal > div.slides > section")
    headings = section_headings(nb)
    assert len(top) == 1 + len(headings), (
        f"{path.name}: {len(top)} slides for a title and {len(headings)} sections"
    )
    title = top[0].find("h1")
    assert title is not None, f"{path.name}: the first slide has no title"
    assert normalise(heading_text(title)) == normalise(nb.cells[0].source.split("\n")[0][2:])
    for slide, heading in zip(top[1:], headings, strict=True):
        h2 = slide.find("h2")
        assert h2 is not None, f"{path.name}: the slide of {heading!r} has no heading"
        # MathJax is typeset in the browser: compare the text without formulas; a code
        # span (`name`) shows without its backticks
        expected = normalise(re.sub(r"`([^`]*)`", r"\1", re.sub(r"\$[^$]*\$", "", heading)))
        assert normalise(re.sub(r"\$[^$]*\$", "", heading_text(h2))) == expected


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_no_screen_holds_more_than_a_screenful(decks, path):
    html_path, copy = decks[path.stem]
    deck = slides.deck(nbformat.read(copy, as_version=4))
    screens = slides.screens(deck)
    soup = BeautifulSoup(html_path.read_text(encoding="utf-8"), "html.parser")
    innermost = [s for s in soup.select("div.slides section") if not s.find("section")]
    assert len(innermost) == len(screens), (
        f"{path.name}: nbconvert made {len(innermost)} screens, helpers.slides measured "
        f"{len(screens)}"
    )
    too_long = [
        f"screen {k} ({s.section[:40]!r}, cells {s.cells}): {s.lines} lines"
        for k, s in enumerate(screens)
        if s.lines > slides.SCREEN_LINES
    ]
    assert not too_long, (
        f"{path.name}: more than {slides.SCREEN_LINES} lines on one screen (split the cell):\n"
        + "\n".join(too_long)
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_committed_slide_metadata_is_up_to_date(path):
    """Every cell has a slide type; title, sections, setup and plumbing have the right one.

    Where a long section is cut into subslides depends on the outputs of the last run, so
    that part is not compared (the decks re-derive it); a slide or a skip in the wrong place is.
    """
    nb = nbformat.read(path, as_version=4)
    committed = [c.get("metadata", {}).get("slideshow", {}).get("slide_type") for c in nb.cells]
    derived = slides.slide_types(nb)
    wrong = [
        f"cell {i}: {have!r}, expected {want!r}"
        for i, (have, want) in enumerate(zip(committed, derived, strict=True))
        if have is None or (have != want and {"slide", "skip"} & {have, want})
    ]
    assert not wrong, (
        f"{path.name}: slide metadata is stale, run `python -m helpers.slides --write`:\n"
        + "\n".join(wrong[:20])
    )


def synthetic():
    v4 = nbformat.v4
    nb = v4.new_notebook()
    long_output = v4.new_output("stream", text="x\n" * 40)
    nb.cells = [
        v4.new_markdown_cell("# 99 · Title\n\nWhat you will learn."),
        v4.new_code_cell("import helpers", metadata={"tags": ["setup"]}),
        v4.new_markdown_cell("## 1. First\n\nSome text."),
        v4.new_code_cell("print(1)"),
        v4.new_code_cell("_ = results.record_flagship(model)"),
        v4.new_markdown_cell("### A detail"),
        v4.new_code_cell("a = 1"),
        *[v4.new_code_cell("for i in range(40):\n    print(i)", outputs=[long_output])] * 3,
        v4.new_markdown_cell("## 2. Second"),
    ]
    return nb


def test_slide_types_follow_the_structure():
    assert slides.slide_types(synthetic()) == [
        "slide",  # title
        "skip",  # setup
        "slide",  # ## section
        "fragment",  # code right after its markdown
        "skip",  # maintainer plumbing
        "subslide",  # ### heading
        "fragment",
        "-",  # still fits
        "subslide",  # would overflow the screen
        "subslide",
        "slide",
    ]


def test_long_markdown_is_cut_into_screens_without_losing_text():
    paragraphs = [f"Paragraph {k}: " + "word " * 60 for k in range(12)]
    source = "## 3. Long\n\n" + "\n\n".join(paragraphs) + "\n\n$$\na = b\n\nc = d\n$$"
    chunks = slides.split_markdown(source)
    assert len(chunks) > 1
    assert all(slides.markdown_lines(c) <= slides.SCREEN_LINES for c in chunks)
    assert "\n\n".join(chunks) == source
    assert chunks[0].startswith("## 3. Long") and "$$\na = b\n\nc = d\n$$" in chunks[-1]
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# 99 · T"), nbformat.v4.new_markdown_cell(source)]
    deck = slides.deck(nb)
    assert len(deck.cells) == 1 + len(chunks) and len(nb.cells) == 2
    kinds = [c.metadata["slideshow"]["slide_type"] for c in deck.cells]
    assert kinds == ["slide", "slide"] + ["subslide"] * (len(chunks) - 1)
