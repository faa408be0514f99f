"""The student edition: every notebook without its solutions, ready to hand out.

``python -m helpers.student OUTDIR`` writes a copy of every notebook into OUTDIR with

- every cell tagged ``solution`` removed (cell metadata ``"tags": ["solution"]``, the
  convention nbgrader and Jupyter Book know), and the ``### Solutions`` heading above them;
  the sentence "Solutions are at the end..." becomes "The solutions are not part of this
  student edition.";
- the outputs of the exercise cells cleared (a cell that calls ``checks.exercise_...``
  with an unanswered ``...``); the checkers themselves stay, so a student who runs the
  notebook top to bottom sees "Not yet" under each exercise and no error;
- the Open-in-Colab badge and the Colab setup cell pointing at the student copies.

Where the student copies are published is written once, in ``pyproject.toml``::

    [tool.mnist-series]
    student-url = "https://github.com/OWNER/REPO/tree/main/student"

(a GitHub repository, optionally with ``/tree/<branch>/<folder>``; the folder holds the
student notebooks and the repository must contain ``helpers/``, which the notebooks import).
Without it the student copies are expected in this repository's ``student/`` folder.

The committed notebooks (the teacher edition) are read, never written. The command refuses
to write into ``notebooks/`` and, without ``--force``, into a folder that is not empty; with
``--force`` it replaces only the notebooks it writes and leaves other files alone.

It also refuses a notebook that still has a checker call with an answer outside a cell tagged
``solution`` (an untagged solution would otherwise be handed out).

Implementation steps (notebook 04: the learner writes the forward pass, the backward pass,
the training loop) keep the teacher's code between nbgrader's markers, inside a function::

    def relu(z):
        # the ReLU, element-wise (the docstring stays)
        ### BEGIN SOLUTION
        return np.maximum(z, 0)
        ### END SOLUTION

The student edition replaces each marked region with a skeleton at the same indentation,
``# YOUR CODE HERE`` and ``raise NotImplementedError`` (signature and docstring kept), or
``# YOUR CODE HERE`` alone for a region at the top level of a cell. In a notebook with such
regions, the outputs of every code cell from the first marked cell on are cleared (they
depend on the learner's code); the step checkers then say "Not yet" and continue with their
reference implementation. A region without its END marker is refused.
"""

from __future__ import annotations

import argparse
import ast
import copy
import os
import re
import sys
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

from helpers import colab, config

SOLUTION_TAG = "solution"
DEFAULT_FOLDER = "student"
SOLUTIONS_HEADING_RE = re.compile(r"^\s*#{2,4}\s*Solutions?\b", re.IGNORECASE)
SOLUTIONS_SENTENCE_RE = re.compile(r"Solutions are at the end[^.\n]*\.")
STUDENT_SENTENCE = "The solutions are not part of this student edition."
CHECKER_RE = re.compile(r"\bchecks\.(exercise_\w+)\s*\(")
GITHUB_RE = re.compile(
    r"^https://github\.com/(?P<slug>[^/\s]+/[^/\s]+?)(?:\.git)?"
    r"(?:/tree/(?P<branch>[^/\s]+)(?:/(?P<folder>\S+?))?)?/?$"
)


# ------------------------------------------------------------------ what a cell is


def tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def is_solution(cell) -> bool:
    return SOLUTION_TAG in tags(cell)


@dataclass(frozen=True)
class CheckerCall:
    """One call ``checks.exercise_X(answer, ...)`` in a code cell."""

    checker: str
    answered: bool  #: False when the answer is ``...`` (directly or through a variable)
    asserted: bool  #: True for ``assert checks.exercise_X(...)`` (a solution's form)


def _ellipsis_names(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and _is_ellipsis(node.value):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            if _is_ellipsis(node.value) and isinstance(node.target, ast.Name):
                names.add(node.target.id)
    return names


def _is_ellipsis(node) -> bool:
    return isinstance(node, ast.Constant) and node.value is Ellipsis


def checker_calls(source: str) -> list[CheckerCall]:
    """Every ``checks.exercise_...`` call in a code cell's source, in order.

    A cell that Python cannot parse (IPython magics) is read with a regex: each call counts
    as answered unless the cell assigns ``...``.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        unanswered = re.search(r"=\s*\.\.\.\s*$", source, re.MULTILINE) is not None
        return [CheckerCall(m.group(1), not unanswered, False) for m in CHECKER_RE.finditer(source)]
    ellipsis_names = _ellipsis_names(tree)
    asserted = {
        id(node.test)
        for node in ast.walk(tree)
        if isinstance(node, ast.Assert) and isinstance(node.test, ast.Call)
    }
    calls = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        func = node.func
        if not (
            isinstance(func.value, ast.Name)
            and func.value.id == "checks"
            and func.attr.startswith("exercise_")
        ):
            continue
        first = node.args[0] if node.args else None
        unanswered = first is not None and (
            _is_ellipsis(first) or (isinstance(first, ast.Name) and first.id in ellipsis_names)
        )
        calls.append(CheckerCall(func.attr, not unanswered, id(node) in asserted))
    calls.sort(key=lambda c: source.find(f"checks.{c.checker}"))
    return calls


def is_exercise(cell) -> bool:
    """A code cell, not a solution, that hands a checker an unanswered ``...``."""
    if cell.cell_type != "code" or is_solution(cell):
        return False
    return any(not call.answered for call in checker_calls(cell.source))


def untagged_solutions(nb) -> list[int]:
    """Indices of code cells outside ``solution`` cells that pass a checker a real answer."""
    return [
        i
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code"
        and not is_solution(cell)
        and any(call.answered for call in checker_calls(cell.source))
    ]


# ---------------------------------------------------------------- solution regions

BEGIN_MARK = "### BEGIN SOLUTION"
END_MARK = "### END SOLUTION"
SKELETON_COMMENT = "# YOUR CODE HERE"


def has_solution_region(cell) -> bool:
    return cell.cell_type == "code" and BEGIN_MARK in cell.source


def strip_solution_regions(source: str, where: str = "cell") -> str:
    """``source`` with each BEGIN/END SOLUTION region replaced by a skeleton."""
    lines, out, inside = source.splitlines(), [], None
    for number, line in enumerate(lines, 1):
        stripped = line.strip()
        if stripped == BEGIN_MARK:
            if inside is not None:
                raise ValueError(f"{where}: line {number} opens a solution region inside another")
            indent = line[: len(line) - len(line.lstrip())]
            inside = number
            out.append(indent + SKELETON_COMMENT)
            if indent:
                out.append(indent + "raise NotImplementedError")
        elif stripped == END_MARK:
            if inside is None:
                raise ValueError(f"{where}: line {number} closes a solution region never opened")
            inside = None
        elif inside is None:
            out.append(line)
    if inside is not None:
        raise ValueError(
            f"{where}: the solution region opened on line {inside} has no {END_MARK!r}; add it "
            "so the student edition knows where the solution ends."
        )
    return "\n".join(out) + ("\n" if source.endswith("\n") else "")


# --------------------------------------------------------------- where copies live


@dataclass(frozen=True)
class Publication:
    """Where the student notebooks are published: GitHub repository, branch, folder."""

    slug: str
    branch: str
    folder: str

    @property
    def repo_url(self) -> str:
        return f"https://github.com/{self.slug}"

    @property
    def name(self) -> str:
        return self.slug.rsplit("/", 1)[-1]


def parse_student_url(url: str) -> Publication:
    m = GITHUB_RE.match(url.strip())
    if not m:
        raise ValueError(
            f"student-url {url!r} is not a GitHub URL: write it as "
            "https://github.com/OWNER/REPO or https://github.com/OWNER/REPO/tree/BRANCH/FOLDER "
            "in [tool.mnist-series] of pyproject.toml."
        )
    return Publication(
        m.group("slug"), m.group("branch") or "main", (m.group("folder") or DEFAULT_FOLDER)
    )


def publication(pyproject: Path | None = None) -> Publication:
    """From ``[tool.mnist-series] student-url`` in pyproject.toml, else this repository."""
    path = pyproject or config.ROOT / "pyproject.toml"
    with open(path, "rb") as fh:
        url = tomllib.load(fh).get("tool", {}).get("mnist-series", {}).get("student-url")
    if url:
        return parse_student_url(url)
    return parse_student_url(f"{colab.repo_url()}/tree/main/{DEFAULT_FOLDER}")


def badge_markdown(notebook: str | Path, pub: Publication) -> str:
    name = Path(notebook).name
    target = (
        f"https://colab.research.google.com/github/{pub.slug}/blob/{pub.branch}/{pub.folder}/{name}"
    )
    return f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({target})"


def setup_cell_source(number: str, pub: Publication) -> str:
    """The teacher edition's setup cell, cloning the student repository instead."""
    source = colab.setup_cell_source(number)
    teacher_folder = f"/content/{colab.repo_name()}"
    replacements = [
        (
            f'os.chdir("{teacher_folder}/notebooks")',
            f'os.chdir("/content/{pub.name}/{pub.folder}")',
        ),
        (f"{colab.repo_url()} {teacher_folder}", f"{pub.repo_url} /content/{pub.name}"),
        (f'"{teacher_folder}"', f'"/content/{pub.name}"'),
        ("(Generated by helpers/colab.py.)", "(Student edition, helpers/student.py.)"),
    ]
    for old, new in replacements:
        if old not in source:  # pragma: no cover - colab.setup_cell_source changed shape
            raise RuntimeError(f"helpers.colab's setup cell no longer contains {old!r}")
        source = source.replace(old, new)
    return source


# ---------------------------------------------------------------- the edition


def student_notebook(nb, path: Path, pub: Publication):
    """A student copy of notebook ``nb`` (read from ``path``); ``nb`` is not changed."""
    untagged = untagged_solutions(nb)
    if untagged:
        raise ValueError(
            f"{Path(path).name}: cells {untagged} pass a checker an answer but are not tagged "
            f"{SOLUTION_TAG!r}; tag them (cell metadata tags) so the student edition drops them."
        )
    out = copy.deepcopy(nb)
    cells = []
    marked = [i for i, c in enumerate(out.cells) if has_solution_region(c)]
    first_marked = marked[0] if marked else len(out.cells)
    for i, cell in enumerate(out.cells):
        if is_solution(cell):
            continue
        following = out.cells[i + 1] if i + 1 < len(out.cells) else None
        if (
            cell.cell_type == "markdown"
            and SOLUTIONS_HEADING_RE.match(cell.source)
            and following is not None
            and is_solution(following)
        ):
            continue  # the heading of the solutions, left untagged
        if cell.cell_type == "markdown":
            cell.source = SOLUTIONS_SENTENCE_RE.sub(STUDENT_SENTENCE, cell.source)
        if is_exercise(cell) or (cell.cell_type == "code" and i >= first_marked):
            cell.outputs = []
            cell.execution_count = None
        if has_solution_region(cell):
            cell.source = strip_solution_regions(cell.source, f"{Path(path).name} cell {i}")
        cells.append(cell)
    out.cells = cells
    first_md = next((c for c in out.cells if c.cell_type == "markdown"), None)
    if first_md is not None and colab.BADGE_RE.search(first_md.source):
        first_md.source = colab.BADGE_RE.sub(badge_markdown(path, pub), first_md.source, count=1)
    number = colab.notebook_number(path)
    for cell in out.cells:
        if colab.SETUP_TAG in tags(cell):
            cell.source = setup_cell_source(number, pub)
    out.metadata["mnist_series"] = {"edition": "student"}
    return out


def check_outdir(outdir: Path, force: bool) -> Path:
    """The resolved output folder, or ValueError saying why it may not be written."""
    outdir = Path(outdir).resolve()
    notebooks = config.NOTEBOOKS_DIR.resolve()
    if outdir == notebooks or notebooks in outdir.parents:
        raise ValueError(
            f"{outdir} is the repository's own notebooks/ folder (the teacher edition): "
            "choose another folder, e.g. `python -m helpers.student student`."
        )
    if outdir.exists() and not outdir.is_dir():
        raise ValueError(f"{outdir} exists and is not a folder: choose another OUTDIR.")
    if not outdir.exists():
        existing = next(p for p in outdir.parents if p.exists())
        if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
            raise ValueError(
                f"cannot create {outdir}: {existing} is not a folder you may write into. "
                "Choose a folder in your home or the repository, e.g. "
                "`python -m helpers.student student`."
            )
    if outdir.is_dir() and any(outdir.iterdir()) and not force:
        raise ValueError(
            f"{outdir} is not empty: nothing was written. Choose an empty folder, or pass "
            "--force to replace the student notebooks in it (other files are left alone)."
        )
    return outdir


def write_student_edition(outdir: str | Path, force: bool = False, pub=None) -> list[Path]:
    """Write the student copy of every notebook into ``outdir``; return the written paths."""
    import nbformat

    outdir = check_outdir(Path(outdir), force)
    pub = pub or publication()
    paths = sorted(config.NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))
    editions = []
    for path in paths:  # build all first: a refused notebook leaves nothing half-written
        nb = nbformat.read(path, as_version=4)
        editions.append((path.name, student_notebook(nb, path, pub)))
    outdir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, nb in editions:  # each written to a temporary file first, then moved in place
        target = outdir / name
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=outdir, suffix=".tmp",
                                         delete=False) as tmp:  # fmt: skip
            nbformat.write(nb, tmp)
        os.replace(tmp.name, target)
        written.append(target)
    return written


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outdir", type=Path, help="folder for the student notebooks")
    parser.add_argument(
        "--force", action="store_true", help="write into a non-empty folder (same names replaced)"
    )
    args = parser.parse_args(argv)
    try:
        pub = publication()
        written = write_student_edition(args.outdir, force=args.force, pub=pub)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # a folder that cannot be written after all (full disk, ...)
        print(f"error: cannot write the student edition into {args.outdir}: "
              f"{exc.strerror or exc}. Choose another folder.", file=sys.stderr)  # fmt: skip
        return 2
    for path in written:
        print(f"wrote {path}")
    print(
        f"{len(written)} student notebooks; badges open them from "
        f"{pub.repo_url}/tree/{pub.branch}/{pub.folder}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
