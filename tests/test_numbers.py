"""Numbers in prose come from outputs: a Summary sentence cannot drift from what was measured.

- Every notebook's ``## Summary`` cell: each decimal (``0.1307``), percentage (``98.5%``)
  and count written with thousands separators (``60,000``) must be produced by the notebook
  itself (a cell output of the committed full run) or stand in a measured results file
  (``benchmarks/results/*.json``). A quote may round what was printed: ``98.5%`` matches a
  printed ``0.98517`` or ``98.517``, to the precision the quote shows; counts must match
  exactly. Integers without separators (``28``, ``10 epochs``) are definitions, not
  measurements, and are not checked.
- README's results block is generated from the results files by ``benchmarks/report.py``
  (means over seeds, minutes, MB), and ``tests/test_benchmarks.py`` asserts the block equals
  the report: that test covers README's numbers, this one does not repeat it.
"""

from __future__ import annotations

import json
import math
import re

import nbformat
import pytest

from helpers import config

NOTEBOOKS = sorted(config.NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))
IDS = [p.name for p in NOTEBOOKS]

#: A quoted number: a count with thousands separators, a decimal, or an integer percentage.
QUOTE_RE = re.compile(
    r"(?<![\w.,/])(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+\.\d+|\d+(?=\s?%))(?P<pct>\s?%)?(?![\w]|\.\d)"
)
#: Any number in an output or a results file (thousands separators allowed).
VALUE_RE = re.compile(r"-?\d[\d,]*(?:\.\d+)?(?:[eE][-+]?\d+)?")
CODE_RE = re.compile(r"`[^`]*`")


def quotes(text: str) -> list[tuple[str, bool]]:
    """(number as written, is a percentage) for every checked number in ``text``."""
    text = CODE_RE.sub(" ", text)
    return [(m.group("num"), bool(m.group("pct"))) for m in QUOTE_RE.finditer(text)]


def values_in_text(text: str, kind: str = "plain") -> set[tuple[float, str]]:
    """Every number in ``text`` as (value, kind): "percent" when a % sign follows it."""
    found = set()
    for m in VALUE_RE.finditer(text):
        try:
            value = float(m.group(0).replace(",", ""))
        except ValueError:
            continue
        is_percent = text[m.end() : m.end() + 2].lstrip().startswith("%")
        found.add((value, "percent" if is_percent else kind))
    return found


def values_in_json(obj) -> set[tuple[float, str]]:
    """Results files store accuracies as fractions or as percentages: either may be meant."""
    found = set()
    if isinstance(obj, bool):
        return found
    if isinstance(obj, int | float):
        found.add((float(obj), "either"))
    elif isinstance(obj, str):
        found |= values_in_text(obj, kind="either")
    elif isinstance(obj, dict):
        for v in obj.values():
            found |= values_in_json(v)
    elif isinstance(obj, list):
        for v in obj:
            found |= values_in_json(v)
    return found


#: Results files a notebook quotes besides those that name it ("notebook NN").
EXTRA_RESULTS = {"07": ("architectures.json",)}
#: Aggregates of the other files (README's report, the runner's timings): never quoted.
NOT_QUOTED = {"results.json", "series_full.json", "series_fast.json"}


def results_values(number: str) -> set[tuple[float, str]]:
    """Values of the results files of notebook ``number``: those naming it, and EXTRA_RESULTS."""
    found = set()
    for path in sorted(config.RESULTS_DIR.glob("*.json")):
        text = path.read_text(encoding="utf-8")
        if path.name in NOT_QUOTED:
            continue
        if f"notebook {number}" in text or path.name in EXTRA_RESULTS.get(number, ()):
            found |= values_in_json(json.loads(text))
    return found


def output_text(cell) -> str:
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            parts.append(out.get("text", ""))
        elif out.get("output_type") in ("execute_result", "display_data"):
            data = out.get("data", {})
            for mime in ("text/plain", "text/html", "text/markdown", "text/latex"):
                if mime in data:
                    text = data[mime]
                    parts.append("".join(text) if isinstance(text, list) else text)
    return "\n".join(parts)


#: How a printed value may be quoted: (value kind, quoted as a percentage?) -> factors.
FACTORS = {
    ("plain", True): (100.0,),
    ("plain", False): (1.0,),
    ("percent", True): (1.0,),
    ("percent", False): (0.01,),
    ("either", True): (1.0, 100.0),
    ("either", False): (1.0, 0.01),
}


def supported(number: str, percent: bool, values: set[tuple[float, str]]) -> bool:
    """Is the quoted ``number`` one of ``values``, to the precision it is written with?"""
    q = float(number.replace(",", ""))
    decimals = len(number.split(".")[1]) if "." in number else 0
    if "," in number and not decimals and not percent:  # a count: exactly
        return any(v == q for v, kind in values if kind != "percent")
    tol = 0.5 * 10.0**-decimals + 1e-9
    for v, kind in values:
        if not math.isfinite(v):
            continue
        for f in FACTORS[kind, percent]:
            if abs(v * f - q) <= tol and round(v * f, decimals) == round(q, decimals):
                return True
    return False


def summary_cells(nb):
    return [
        (i, c)
        for i, c in enumerate(nb.cells)
        if c.cell_type == "markdown" and c.source.lstrip().startswith("## Summary")
    ]


# ------------------------------------------------------------------------------ tests


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_summary_numbers_come_from_outputs_or_results(path):
    nb = nbformat.read(path, as_version=4)
    cells = summary_cells(nb)
    assert cells, f"{path.name}: no '## Summary' cell"
    values = results_values(path.name[:2])
    for cell in nb.cells:
        if cell.cell_type == "code":
            values |= values_in_text(output_text(cell))
    problems = []
    for i, cell in cells:
        for number, percent in quotes(cell.source):
            if not supported(number, percent, values):
                shown = number + ("%" if percent else "")
                problems.append(
                    f"{path.name} cell {i} (Summary): {shown} is printed by no cell and stands "
                    "in no results file: print it in a cell (an f-string) or quote what is printed"
                )
    assert not problems, "\n".join(problems)


def test_quotes_and_matching():
    text = "We scale to $[0, 1]$ (mean 0.1307); 60,000 images, 98.5% and 9-11% each; `lr=0.001`; 28 px."
    assert quotes(text) == [("0.1307", False), ("60,000", False), ("98.5", True), ("11", True)]
    values = {(0.13066, "plain"), (60000.0, "plain"), (0.98517, "plain"), (0.1124, "plain")}
    assert supported("0.1307", False, values)
    assert supported("60,000", False, values)
    assert supported("98.5", True, values)
    assert supported("11", True, values)
    assert not supported("0.131", False, {(0.1324, "plain")})
    assert not supported("59,999", False, values)
    assert not supported("98.6", True, values)
    assert not supported("80", True, {(0.808798, "plain")})  # "about 80%" of a printed 80.9%
    assert not supported("80", True, {(80.0, "plain")})  # a count of 80 is not 80%
    assert supported("80.9", True, {(80.9, "percent")})
    assert supported("0.809", False, {(80.9, "percent")})
    assert supported("98.52", True, {(0.9852, "either")}) and supported(
        "0.9852", False, {(98.52, "either")}
    )
