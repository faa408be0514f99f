"""Every formula in every notebook's markdown renders, and markdown holds no control characters.

A formula that does not render is invisible to the tests that execute the notebooks: it is
markdown. Two checks keep the series readable:

- **Control characters.** A ``\\t`` or ``\\f`` inside a JSON string of LaTeX (``"\\text"``
  written where ``"\\\\text"`` was meant) turns ``\\text`` into TAB + ``ext`` and ``\\frac``
  into form-feed + ``rac``. MathJax then renders ``ext`` and ``rac`` as italic letters
  without complaint, so only this check catches it. Markdown may contain newlines, nothing
  else below U+0020 (no tabs either) and no DEL or C1 control characters.
- **MathJax.** Every ``$...$``, ``$$...$$``, ``\\[...\\]`` and ``\\begin{env}...\\end{env}``
  is rendered by MathJax 3 (the engine JupyterLab, Notebook 7 and nbconvert's HTML use),
  headless and offline, by ``tests/mathjax/render.js`` under Node.js. It is stricter than a
  reader's Jupyter: a parse error or an undefined macro fails the test, naming the
  notebook, the cell and the formula.

MathJax comes from npm (``mathjax-full``, pinned in ``tests/mathjax/package-lock.json``);
``.ci/install.d/20-mathjax.sh`` installs it (``npm ci --prefix tests/mathjax``). Without
Node.js or the package the MathJax test fails on CI (``CI`` set) and is skipped, loudly,
elsewhere.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import unicodedata
from pathlib import Path

import nbformat
import pytest

from helpers import config

NOTEBOOKS = sorted(config.NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))
IDS = [p.name for p in NOTEBOOKS]
MATHJAX_DIR = Path(__file__).parent / "mathjax"
RENDER_JS = MATHJAX_DIR / "render.js"
INSTALL_HINT = (
    "install it with `npm ci --prefix tests/mathjax` (or bash .ci/install.d/20-mathjax.sh)"
)

FENCED_CODE_RE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.MULTILINE | re.DOTALL)
INLINE_CODE_RE = re.compile(r"(`+)(?!`).+?(?<!`)\1(?!`)", re.DOTALL)
#: Math as Jupyter's markdown renderer finds it, display forms first.
MATH_RE = re.compile(
    r"(?<!\\)\$\$(?P<dd>.+?)\$\$"
    r"|\\\[(?P<bracket>.+?)\\\]"
    r"|(?P<env>\\begin\{(?P<name>[A-Za-z]+\*?)\}.*?\\end\{(?P=name)\})"
    r"|\\\((?P<paren>.+?)\\\)"
    r"|(?<![\\$])\$(?P<d>[^$]+?)(?<!\\)\$",
    re.DOTALL,
)


def _blank(match: re.Match) -> str:
    """Replace code with spaces (newlines kept), so dollars in code are not read as math."""
    return re.sub(r"[^\n]", " ", match.group(0))


def formulas(markdown: str) -> list[tuple[str, bool]]:
    """The formulas of one markdown cell as (TeX, display?) pairs, in order."""
    text = INLINE_CODE_RE.sub(_blank, FENCED_CODE_RE.sub(_blank, markdown))
    found = []
    for m in MATH_RE.finditer(text):
        if m.group("dd") is not None:
            found.append((m.group("dd"), True))
        elif m.group("bracket") is not None:
            found.append((m.group("bracket"), True))
        elif m.group("env") is not None:
            found.append((m.group("env"), True))
        elif m.group("paren") is not None:
            found.append((m.group("paren"), False))
        else:
            found.append((m.group("d"), False))
    return found


def control_characters(text: str) -> list[str]:
    """Descriptions of the control characters in ``text`` other than newline."""
    bad = []
    for line_no, line in enumerate(text.split("\n"), start=1):
        for ch in line:
            if unicodedata.category(ch) == "Cc":
                name = {"\t": "TAB", "\f": "FORM FEED", "\r": "CARRIAGE RETURN"}.get(ch)
                name = name or unicodedata.name(ch, f"U+{ord(ch):04X}")
                bad.append(f"{name} (U+{ord(ch):04X}) on line {line_no}: {line.strip()[:80]!r}")
    return bad


def markdown_cells(path: Path):
    nb = nbformat.read(path, as_version=4)
    return [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "markdown"]


def control_character_problems(name: str, cells) -> list[str]:
    return [
        f"{name} cell {i}: {problem}"
        for i, cell in cells
        for problem in control_characters(cell.source)
    ]


def mathjax_available() -> str | None:
    """None when MathJax can run, else why not."""
    if shutil.which("node") is None:
        return "Node.js (`node`) is not installed"
    if not (MATHJAX_DIR / "node_modules" / "mathjax-full").is_dir():
        return f"the npm package mathjax-full is not installed in {MATHJAX_DIR}"
    return None


def require_mathjax() -> None:
    missing = mathjax_available()
    if missing is None:
        return
    message = f"MathJax check NOT RUN: {missing}; {INSTALL_HINT}."
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def render(items: list[dict]) -> dict:
    """Run render.js on [{key, tex, display}] and return its JSON answer."""
    proc = subprocess.run(
        ["node", str(RENDER_JS)],
        input=json.dumps(items),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"render.js failed (exit {proc.returncode}): {proc.stderr[-2000:]}")
    return json.loads(proc.stdout)


def mathjax_problems(name: str, cells) -> tuple[int, list[str]]:
    items, where = [], {}
    for i, cell in cells:
        for k, (tex, display) in enumerate(formulas(cell.source)):
            key = f"{i}:{k}"
            items.append({"key": key, "tex": tex, "display": display})
            where[key] = (i, tex)
    answer = render(items)
    problems = []
    for failure in answer["failures"]:
        i, tex = where[failure["key"]]
        problems.append(f"{name} cell {i}: {failure['error']} in formula {tex!r}")
    return answer["rendered"], problems


# ------------------------------------------------------------------------------ tests


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_markdown_has_no_control_characters(path):
    problems = control_character_problems(path.name, markdown_cells(path))
    assert not problems, (
        "Control characters in markdown (a \\t or \\f in a JSON string of LaTeX is a "
        "backslash that went missing: write '\\\\text', '\\\\frac'):\n" + "\n".join(problems)
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_every_formula_renders_with_mathjax(path):
    require_mathjax()
    cells = markdown_cells(path)
    rendered, problems = mathjax_problems(path.name, cells)
    assert not problems, "MathJax cannot render:\n" + "\n".join(problems)
    has_math = any(formulas(c.source) for _, c in cells)
    assert rendered > 0 or not has_math


def test_formula_finder():
    md = (
        "Inline $a+b$ and display $$\\frac{1}{2}$$, `code $x$` and\n"
        "```python\nprice = '$5 $6'\n```\n"
        "\\[ x^2 \\] then \\begin{align} a &= b \\end{align} and 5 \\$ only."
    )
    assert formulas(md) == [
        ("a+b", False),
        ("\\frac{1}{2}", True),
        (" x^2 ", True),
        ("\\begin{align} a &= b \\end{align}", True),
    ]


def test_control_characters_catch_the_lost_backslash():
    # what json.loads makes of "\text" and "\frac" written with one backslash
    broken = json.loads('"$$\\text{precision} = \\frac{a}{b}$$"')
    assert "\t" in broken and "\f" in broken
    problems = control_characters(broken)
    assert [p.split(" (")[0] for p in problems] == ["TAB", "FORM FEED"]
    assert control_characters("$$\\text{a}\n\\frac{1}{2}$$") == []


def test_mathjax_reports_broken_formulas():
    require_mathjax()
    answer = render(
        [
            {"key": "ok", "tex": "\\frac{\\partial L}{\\partial z} = p - y", "display": True},
            {"key": "undefined", "tex": "\\fracc{a}{b}", "display": False},
            {"key": "brace", "tex": "x^{2", "display": False},
        ]
    )
    assert answer["rendered"] == 3
    assert {f["key"] for f in answer["failures"]} == {"undefined", "brace"}
