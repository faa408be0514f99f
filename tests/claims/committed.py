"""Read a committed notebook's cells and outputs: the evidence a prose claim is checked against.

See the package docstring (``tests/claims/__init__.py``) for an example.
"""

from __future__ import annotations

import re
from functools import cache

import nbformat

from helpers import config

__all__ = ["cell_output", "find_cell", "markdown", "notebook", "number", "numbers", "output_text"]


@cache
def notebook(number: str) -> nbformat.NotebookNode:
    """The committed ``notebooks/NN_*.ipynb`` (read once; do not modify the result)."""
    paths = sorted(config.NOTEBOOKS_DIR.glob(f"{number}_*.ipynb"))
    assert len(paths) == 1, f"expected one notebook {number}_*.ipynb, found {paths}"
    return nbformat.read(paths[0], as_version=4)


def find_cell(nb, anchor: str, cell_type: str | None = None) -> tuple[int, nbformat.NotebookNode]:
    """(index, cell) of the one cell matching ``anchor``: ``"tag:NAME"`` or a source substring."""
    if anchor.startswith("tag:"):
        tag = anchor[4:]
        hits = [
            (i, c) for i, c in enumerate(nb.cells) if tag in c.get("metadata", {}).get("tags", [])
        ]
    else:
        hits = [(i, c) for i, c in enumerate(nb.cells) if anchor in c.source]
    if cell_type is not None:
        hits = [(i, c) for i, c in hits if c.cell_type == cell_type]
    assert len(hits) == 1, (
        f"anchor {anchor!r} matches {len(hits)} {cell_type or ''} cells "
        f"({[i for i, _ in hits]}); it must match exactly one: make it more distinctive"
    )
    return hits[0]


def output_text(cell) -> str:
    """A code cell's text outputs (streams and text/plain results), joined."""
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            parts.append(out.get("text", ""))
        elif out.get("output_type") in ("execute_result", "display_data"):
            text = out.get("data", {}).get("text/plain")
            if text is not None:
                parts.append("".join(text) if isinstance(text, list) else text)
        elif out.get("output_type") == "error":
            raise AssertionError(f"the committed cell failed: {out.get('ename')}")
    return "\n".join(parts)


def cell_output(nb, anchor: str) -> str:
    """The text printed by the one code cell matching ``anchor``; it must have printed something."""
    i, cell = find_cell(nb, anchor, "code")
    text = output_text(cell)
    assert text.strip(), f"code cell {i} (anchor {anchor!r}) has no committed text output"
    return text


def markdown(nb, anchor: str) -> str:
    """The source of the one markdown cell matching ``anchor``, whitespace collapsed."""
    _, cell = find_cell(nb, anchor, "markdown")
    return re.sub(r"\s+", " ", cell.source)


_NUMBER = r"(-?\d[\d,]*(?:\.\d+)?(?:[eE][-+]?\d+)?)\s*(%?)"


def number(text: str, label: str, percent: bool | None = None) -> float:
    """The first number printed after ``label`` in ``text`` (thousands separators allowed).

    ``percent=True`` requires a ``%`` after it, ``False`` forbids one; a missing label fails.
    """
    m = re.search(re.escape(label) + r"\s*[:=]?\s*" + _NUMBER, text)
    assert m, f"no number after {label!r} in the output:\n{text[:500]}"
    if percent is not None:
        assert bool(m.group(2)) == percent, f"{label!r}: expected a percentage: {m.group(0)!r}"
    return float(m.group(1).replace(",", ""))


def numbers(text: str, label: str) -> list[float]:
    """Every number on the first line of ``text`` that contains ``label``, after the label."""
    for line in text.splitlines():
        if label in line:
            tail = line[line.index(label) + len(label) :]
            return [float(v.replace(",", "")) for v, _ in re.findall(_NUMBER, tail)]
    raise AssertionError(f"no line with {label!r} in the output:\n{text[:500]}")
