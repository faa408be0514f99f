"""Slides for class: reveal.js decks of every notebook, with slide metadata derived from its structure.

``python -m helpers.slides --write`` sets each cell's ``slideshow.slide_type`` (what
``jupyter nbconvert --to slides`` and JupyterLab's RISE extension, ``jupyterlab-rise``, read):

- ``slide``     the title cell and every ``## `` section heading (one slide per section);
- ``subslide``  every ``### `` heading, and wherever the cells so far would overflow one
  screen (more than :data:`SCREEN_LINES` lines of source + output, see :func:`cell_lines`);
- ``fragment``  a code cell right after the markdown that introduces it (the class reads
  the idea, then the code and its output appear);
- ``skip``      the setup cell and maintainer plumbing (``results.record...``, cells tagged
  ``maintainer``);
- ``-``         everything else (continues the current slide).

It is derived, not hand-set, so it can be re-applied whenever a notebook changes;
``--check`` fails when a notebook's metadata is stale. ``python -m helpers.slides --build
[OUTDIR]`` writes ``OUTDIR/NN_topic.slides.html`` for every notebook (default
``slides/``, git-ignored) with ``jupyter nbconvert --to slides``, applying the metadata to a
copy first, with CSS that keeps figures and long outputs inside one screen.

The decks work **offline**: the build copies reveal.js, require.js, jQuery and MathJax 3
(from npm, ``npm ci --prefix web``, pinned in ``web/package-lock.json``) into
``OUTDIR/_vendor/`` and points every deck at them, so a deck opened from disk on a projector
laptop without a network shows its slides and rendered formulas (tests/test_slides_browser.py
checks it in headless Chromium). MathJax 3's SVG output needs no font files. ``--cdn``
builds decks that load them from CDNs instead (smaller; they then need the internet).

"""

from __future__ import annotations

import argparse
import base64
import copy
import math
import re
import struct
import sys
from dataclasses import dataclass
from pathlib import Path

from helpers import config

#: One screen: reveal.js's 960x700 canvas holds about 22 lines of body text (measured in
#: headless Chromium at 1280x720); a figure counts its height in lines.
SCREEN_LINES = 22
#: Characters per line before markdown or output text wraps on a slide.
WRAP = 80
#: Pixel height of one line of slide text, to turn figure heights into lines.
LINE_PX = 28
#: Figures are shown at most this tall (CSS added to every deck), so one fits a slide.
MAX_IMAGE_PX = 300
#: A long text output scrolls inside a box of this many lines (CSS added to every deck).
MAX_OUTPUT_LINES = 10
#: A cell's outputs together scroll inside a box of this many lines.
MAX_OUTPUTS_LINES = 11
#: Long code cells scroll inside a box of this many lines (CSS added to every deck).
MAX_CODE_LINES = 12
#: Pixel height of one line of code or text output (smaller than body text).
CODE_PX = 22
DEFAULT_OUTDIR = config.ROOT / "slides"
#: npm packages the decks (and the book, helpers/book.py) use offline: web/package.json.
WEB = config.ROOT / "web"
#: What is copied from web/node_modules/ into a deck folder's _vendor/ (package -> parts).
VENDOR = {
    "reveal.js": ["dist", "plugin/notes", "LICENSE"],
    "requirejs": ["require.js"],
    "jquery": ["dist/jquery.min.js", "LICENSE.txt"],
    "mathjax-full": ["es5/tex-svg-full.js", "LICENSE"],
}
#: MathJax 3 (one file, SVG output) and the delimiters the notebooks use.
MATHJAX3 = """<script>
window.MathJax = {{
  tex: {{inlineMath: [["$", "$"], ["\\\\(", "\\\\)"]], displayMath: [["$$", "$$"], ["\\\\[", "\\\\]"]],
        processEscapes: true, processEnvironments: true, tags: "ams"}},
  svg: {{fontCache: "global"}}
}};
</script>
<script src="{src}"></script>
"""
MATHJAX2_BLOCK_RE = re.compile(
    r"<!-- Load mathjax -->.*?<!-- End of mathjax configuration -->", re.S
)
MERMAID_RE = re.compile(r"<script type=\"module\">\s*import mermaid.*?</script>", re.S)


class SlidesError(ValueError):
    """A deck cannot be built as asked (a bad output folder, the npm packages missing)."""


def vendor(outdir: Path) -> Path:
    """Copy reveal.js, require.js, jQuery and MathJax 3 from web/node_modules into
    ``outdir/_vendor`` (quick when they are there already); return that folder."""
    import shutil

    modules = WEB / "node_modules"
    missing = [name for name, parts in VENDOR.items()
               if not all((modules / name / part).exists() for part in parts)]  # fmt: skip
    if missing:
        raise SlidesError(
            f"{', '.join(missing)} not found in {modules}: the offline decks copy them from "
            f"there. Install them once with `npm ci --prefix {WEB}` (needs Node.js and npm), "
            "or build with --cdn (the decks then load them from the internet when opened)."
        )
    target = Path(outdir) / "_vendor"
    for name, parts in VENDOR.items():
        for part in parts:
            source, dest = modules / name / part, target / name / part
            if source.is_dir():
                shutil.copytree(source, dest, dirs_exist_ok=True)
            elif not dest.exists() or dest.stat().st_size != source.stat().st_size:
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, dest)
    return target


def offline_html(html: str) -> str:
    """A deck's HTML with MathJax 2 from a CDN replaced by the vendored MathJax 3 (SVG), and
    nbconvert's mermaid import (unused by the series, from a CDN) dropped."""
    src = "_vendor/mathjax-full/es5/tex-svg-full.js"
    html, n = MATHJAX2_BLOCK_RE.subn(lambda _: MATHJAX3.format(src=src), html, count=1)
    if n != 1:
        raise SlidesError("nbconvert's slides template changed: no MathJax block to replace.")
    html = MERMAID_RE.sub("", html, count=1)
    # the template re-typesets with MathJax 2's API on every slide change; MathJax 3 has
    # typeset every slide at load already
    return html.replace(
        "var update = function(event){",
        "var update = function(event){ if (!window.MathJax || !MathJax.Hub) return;",
    )


BADGE_RE = re.compile(r"\[!\[Open In Colab\]\([^)]*\)\]\(([^)]*)\)")
MAINTAINER_RE = re.compile(r"\bresults\.record\w*\(")
SKIP_TAGS = {"setup", "maintainer", "remove-cell"}

DECK_CSS = f"""
<style>
/* added by helpers/slides.py: every figure, output and code cell fits one screen */
.reveal .jp-OutputArea-output img {{ max-height: {MAX_IMAGE_PX}px; width: auto; }}
.reveal .jp-OutputArea-output pre {{ max-height: {MAX_OUTPUT_LINES * CODE_PX}px; overflow: auto; }}
.reveal .jp-Cell-outputArea {{ max-height: {MAX_OUTPUTS_LINES * LINE_PX}px; overflow-y: auto; }}
.reveal .jp-InputArea-editor pre {{
  white-space: pre-wrap; max-height: {MAX_CODE_LINES * CODE_PX}px; overflow-y: auto;
}}
.reveal .jp-RenderedHTMLCommon table {{ font-size: 0.6em; }}
.reveal .jp-InputArea .jp-InputPrompt, .reveal .jp-OutputPrompt {{ display: none; }}
</style>
"""


def _tags(cell) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []))


def _wrapped(text: str) -> int:
    return sum(max(1, math.ceil(len(line) / WRAP)) for line in text.split("\n"))


def png_height(data: str, width_limit: int = 900) -> int:
    """Display height in pixels of a base64 PNG (scaled to ``width_limit``, capped)."""
    raw = base64.b64decode(data[:64] if len(data) > 64 else data)
    width, height = struct.unpack(">II", raw[16:24])
    shown = height * min(1.0, width_limit / width) if width else height
    return int(min(shown, MAX_IMAGE_PX))


def output_lines(cell) -> int:
    lines = 0
    for out in cell.get("outputs", []):
        kind = out.get("output_type")
        if kind == "stream":
            lines += min(_wrapped(out.get("text", "").rstrip("\n")), MAX_OUTPUT_LINES)
        elif kind in ("execute_result", "display_data"):
            data = out.get("data", {})
            if "image/png" in data:
                lines += math.ceil(png_height(data["image/png"]) / LINE_PX)
            elif "text/html" in data:
                html = "".join(data["text/html"])
                rows = html.count("<tr")
                lines += max(1, math.ceil(rows * 0.75)) if rows else _wrapped(html)
            elif "text/plain" in data:
                text = "".join(data["text/plain"]).rstrip("\n")
                lines += min(_wrapped(text), MAX_OUTPUT_LINES)
        elif kind == "error":
            lines += MAX_OUTPUT_LINES
    return min(lines, MAX_OUTPUTS_LINES)


LINK_RE = re.compile(r"\]\([^)]*\)")
#: Extra lines a heading takes (its font is larger): level -> (extra lines, characters per line).
HEADINGS = {1: (2.0, 26), 2: (1.0, 45), 3: (0.5, 60)}


def markdown_lines(source: str) -> float:
    """Lines a markdown cell takes on a slide: wrapped text, half a line per blank line."""
    lines = 0.0
    for line in source.split("\n"):
        visible = LINK_RE.sub("]", line).strip()  # a link shows its text, not its URL
        if not visible:
            lines += 0.5
            continue
        level = len(visible) - len(visible.lstrip("#"))
        if level in HEADINGS and visible[level : level + 1] == " ":
            extra, width = HEADINGS[level]
            lines += (1 + extra) * math.ceil(len(visible) / width)
        elif visible.startswith("[![") or visible.startswith("!["):
            lines += 1.5 if "colab-badge" in line else 8  # the badge, or an image
        else:
            lines += math.ceil(len(visible) / WRAP)
    return lines + 0.5  # spacing below the cell


def cell_lines(cell) -> int:
    """How many lines of a slide a cell takes: its source (wrapped) plus its outputs.

    Code cells count at most MAX_CODE_LINES lines of source and MAX_OUTPUT_LINES of each text
    output (longer ones scroll in their box), figures at most MAX_IMAGE_PX.
    """
    source = cell.source.strip("\n")
    if cell.cell_type == "markdown":
        return math.ceil(markdown_lines(source))
    if cell.cell_type == "code":
        code = min(_wrapped(source), MAX_CODE_LINES) * CODE_PX / LINE_PX
        return math.ceil(code + 1 + output_lines(cell))  # + padding of the code box
    return 0


def is_skipped(cell) -> bool:
    return bool(_tags(cell) & SKIP_TAGS) or (
        cell.cell_type == "code" and MAINTAINER_RE.search(cell.source) is not None
    )


def slide_types(nb) -> list[str]:
    """The slide type of every cell of ``nb``, derived from its structure."""
    types = []
    used = 0  # lines on the current (sub)slide
    previous = None  # the previous shown cell
    for i, cell in enumerate(nb.cells):
        source = cell.source.lstrip()
        size = cell_lines(cell)
        if is_skipped(cell) or not source:
            types.append("skip")
            continue
        if i == 0 or (cell.cell_type == "markdown" and re.match(r"#{1,2} ", source)):
            kind = "slide"
        elif cell.cell_type == "markdown" and source.startswith("### "):
            kind = "subslide"
        elif used + size > SCREEN_LINES:
            kind = "subslide"
        elif cell.cell_type == "code" and previous is not None and previous.cell_type == "markdown":
            kind = "fragment"
        else:
            kind = "-"
        used = size if kind in ("slide", "subslide") else used + size
        types.append(kind)
        previous = cell
    return types


@dataclass
class Slide:
    """One screen of a deck: the cells shown on it and their measured lines."""

    section: str
    kind: str  # "slide" or "subslide"
    cells: list[int]
    lines: int


def screens(nb) -> list[Slide]:
    """The screens nbconvert makes of ``nb`` from its slide metadata, in order."""
    result: list[Slide] = []
    section = ""
    for i, cell in enumerate(nb.cells):
        kind = cell.get("metadata", {}).get("slideshow", {}).get("slide_type", "-")
        if kind in ("skip", "notes"):
            continue
        if kind == "slide" and cell.cell_type == "markdown":
            section = cell.source.strip().split("\n")[0]
        if kind in ("slide", "subslide") or not result:
            result.append(Slide(section, "slide" if kind == "slide" else "subslide", [], 0))
        result[-1].cells.append(i)
        result[-1].lines += cell_lines(cell)
    return result


SECTION_RE = re.compile(r"#{1,2} ")
ITEM_RE = re.compile(r"^\s*(?:[-*+]|\d+\.)\s")


def _blocks(source: str) -> list[str]:
    """Paragraphs of markdown (blank-line separated; display math and fences kept whole)."""
    blocks, current, fence = [], [], None
    for line in source.split("\n"):
        stripped = line.strip()
        if fence is None and (stripped.startswith("```") or stripped.startswith("$$")):
            if not (stripped.startswith("$$") and stripped.count("$$") >= 2 and len(stripped) > 2):
                fence = stripped[:3] if stripped.startswith("```") else "$$"
        elif fence is not None and fence in stripped:
            fence = None
        if not stripped and fence is None:
            if current:
                blocks.append("\n".join(current))
            current = []
        else:
            current.append(line)
    if current:
        blocks.append("\n".join(current))
    return blocks


def _pieces(block: str) -> list[str]:
    """A block too long for one screen, cut before its list items."""
    if markdown_lines(block) <= SCREEN_LINES - 2:
        return [block]
    pieces, current = [], []
    for line in block.split("\n"):
        if ITEM_RE.match(line) and current:
            pieces.append("\n".join(current))
            current = []
        current.append(line)
    pieces.append("\n".join(current))
    return pieces


def split_markdown(source: str, budget: int = SCREEN_LINES) -> list[str]:
    """``source`` cut at paragraph (or list item) boundaries into chunks that fit ``budget``.

    A ``## `` heading inside a cell always starts a new chunk (its own slide).
    """
    inner_heading = re.search(r"\n#{1,2} ", source.lstrip()) is not None
    if markdown_lines(source) <= budget and not inner_heading:
        return [source]
    chunks, current = [], []
    for block in _blocks(source):
        for piece in _pieces(block):
            candidate = "\n\n".join([*current, piece])
            if current and (markdown_lines(candidate) > budget or SECTION_RE.match(piece)):
                chunks.append("\n\n".join(current))
                current = [piece]
            else:
                current.append(piece)
    if current:
        chunks.append("\n\n".join(current))
    # a list cut before an item continues on the next screen: join item pieces with one newline
    return [re.sub(r"\n\n(?=\s*(?:[-*+]|\d+\.)\s)", "\n", c) for c in chunks]


def deck(nb):
    """A copy of ``nb`` ready for reveal.js: long markdown cells cut into screens, metadata set.

    The notebook itself keeps its cells (RISE, which presents the live notebook, scrolls a
    long cell instead: ``--write`` sets ``rise.scroll``).
    """
    import nbformat

    out = copy.deepcopy(nb)
    cells = []
    for cell in out.cells:
        if cell.cell_type == "markdown":  # the badge as a text link: no image to fetch
            cell.source = BADGE_RE.sub(lambda m: f"[Open in Colab]({m.group(1)})", cell.source)
        chunks = split_markdown(cell.source) if cell.cell_type == "markdown" else [cell.source]
        if len(chunks) == 1:
            cells.append(cell)
            continue
        for k, chunk in enumerate(chunks):
            part = nbformat.v4.new_markdown_cell(chunk, metadata=copy.deepcopy(cell.metadata))
            part.id = f"{cell.get('id', 'cell')}-{k}"[:64]
            cells.append(part)
    out.cells = cells
    apply(out)
    return out


def apply(nb) -> list[int]:
    """Set the slide metadata of ``nb`` in place; return the indices of changed cells."""
    rise = nb.metadata.setdefault("rise", {})
    changed = [] if rise.get("scroll") else [-1]
    rise["scroll"] = True  # RISE scrolls a cell longer than the screen
    for i, (cell, kind) in enumerate(zip(nb.cells, slide_types(nb), strict=True)):
        meta = cell.setdefault("metadata", {})
        if meta.get("slideshow", {}).get("slide_type") != kind:
            meta["slideshow"] = {**meta.get("slideshow", {}), "slide_type": kind}
            changed.append(i)
    return changed


def notebooks() -> list[Path]:
    return sorted(config.NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))


def _outdir(outdir) -> Path:
    """The deck folder, checked: a name is given, and it is not an existing file."""
    if outdir is None or not str(outdir).strip():
        raise SlidesError(
            "--build was given an empty folder name: give a folder for the decks, e.g. "
            "`python -m helpers.slides --build slides`, or --build alone for slides/."
        )
    outdir = Path(outdir).expanduser()
    if outdir.exists() and not outdir.is_dir():
        raise SlidesError(
            f"{outdir} is a file, not a folder: the decks are written into a folder (one "
            "HTML file per notebook). Give a folder name, e.g. `--build slides`; the file "
            "was left as it is."
        )
    return outdir


def build(
    outdir: Path = DEFAULT_OUTDIR,
    paths=None,
    reveal_prefix: str | None = None,
    mathjax_url: str | None = None,
    cdn: bool = False,
) -> list[Path]:
    """Build a reveal.js deck per notebook into ``outdir``; return the written files.

    Offline by default (see the module's docstring); ``cdn=True`` keeps nbconvert's CDN
    links. Each deck is written to a temporary file first and then moved into place.
    """
    import os
    import tempfile

    import nbformat
    from nbconvert import SlidesExporter

    outdir = _outdir(outdir)
    offline = not cdn and not reveal_prefix and not mathjax_url
    if offline:
        vendor(outdir)  # checks the npm packages before anything is written
    outdir.mkdir(parents=True, exist_ok=True)
    options = {}
    if offline:
        options = {
            "reveal_url_prefix": "_vendor/reveal.js",
            "require_js_url": "_vendor/requirejs/require.js",
            "jquery_url": "_vendor/jquery/dist/jquery.min.js",
        }
    if reveal_prefix:
        options["reveal_url_prefix"] = reveal_prefix
    if mathjax_url:
        options["mathjax_url"] = mathjax_url
    exporter = SlidesExporter(**options)
    written = []
    for path in paths or notebooks():
        slides_nb = deck(nbformat.read(path, as_version=4))
        html, _ = exporter.from_notebook_node(
            slides_nb, resources={"metadata": {"name": path.stem}}
        )
        html = html.replace("</head>", DECK_CSS + "</head>", 1)
        if offline:
            html = offline_html(html)
        target = outdir / f"{path.stem}.slides.html"
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=outdir, suffix=".tmp",
                                         delete=False) as tmp:  # fmt: skip
            tmp.write(html)
        os.replace(tmp.name, target)
        written.append(target)
    return written


def main(argv=None) -> int:
    import nbformat

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true", help="set slide metadata in the notebooks")
    mode.add_argument("--check", action="store_true", help="fail if slide metadata is stale")
    mode.add_argument(
        "--build",
        nargs="?",
        const=str(DEFAULT_OUTDIR),
        metavar="OUTDIR",
        help=f"build the decks (default {DEFAULT_OUTDIR.relative_to(config.ROOT)}/)",
    )
    parser.add_argument("--cdn", action="store_true",
                        help="load reveal.js and MathJax from CDNs (the decks need the internet)")  # fmt: skip
    parser.add_argument("--reveal-prefix", help="where the decks load reveal.js from")
    parser.add_argument("--mathjax-url", help="where the decks load MathJax 2 from")
    args = parser.parse_args(argv)
    if args.build is not None:
        try:
            written = build(args.build, None, args.reveal_prefix, args.mathjax_url, args.cdn)
        except SlidesError as exc:
            parser.exit(2, f"helpers.slides: {exc}\n")
        for path in written:
            print(f"wrote {path}")
        return 0
    stale = []
    for path in notebooks():
        nb = nbformat.read(path, as_version=4)
        changed = apply(nb)
        if changed:
            stale.append(f"{path.name}: {len([i for i in changed if i >= 0])} cells")
            if args.write:
                nbformat.write(nb, path)
    for line in stale:
        print(("updated " if args.write else "stale slide metadata: ") + line)
    if args.check and stale:
        print("run `python -m helpers.slides --write`")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
