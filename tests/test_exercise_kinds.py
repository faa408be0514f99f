"""Exercises are things to do: every notebook has at least three the student *does*.

A "doing" exercise is one of two kinds, marked by a tag on its exercise cell (the code cell
with ``answer = ...`` and the checker call; tags are invisible in the notebook):

- ``exercise-write``: the student writes code. The cell must define a function or class whose
  body is left unwritten (``...`` or ``raise NotImplementedError``), and the answer handed to
  the checker is that code, which the checker runs on cases of its own;
- ``exercise-experiment``: the student runs an experiment (trains, measures, simulates) and
  hands in the number it gave; the checker redoes the measurement itself and compares within a
  tolerance. Whether a cell so tagged is really an experiment is for the reviewer to read; this
  test counts it.

An untagged exercise cell is a look-up or a calculation: allowed, but it does not count. That
no exercise's answer is printed before it is ``tests/test_exercise_answers.py``'s job.
"""

from __future__ import annotations

import ast

import nbformat
import pytest

from helpers import student
from tests.test_exercises import IDS, NOTEBOOKS, analyse

MIN_DOING = 3
WRITE, EXPERIMENT = "exercise-write", "exercise-experiment"


def _is_stub(body) -> bool:
    """True for a body that is only ``...`` or a ``raise`` (after an optional docstring)."""
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        if isinstance(body[0].value.value, str):
            body = body[1:]  # the docstring may stay
    return len(body) == 1 and (
        (
            isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and body[0].value.value is Ellipsis
        )
        or isinstance(body[0], ast.Raise)
    )


def unwritten_definitions(source: str) -> list[str]:
    """Names of the functions and classes in ``source`` left for the student to write.

    A function is unwritten when its body is only ``...`` or a ``raise`` (a docstring may
    stay); a class when it has methods and every one of them is unwritten.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:  # IPython magics (the setup cell): no definitions to read
        return []
    names = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and _is_stub(node.body):
            names.append(node.name)
        elif isinstance(node, ast.ClassDef):
            methods = [s for s in node.body if isinstance(s, ast.FunctionDef)]
            if methods and all(_is_stub(m.body) for m in methods):
                names.append(node.name)
    return names


def kinds(path) -> tuple[dict[str, list[int]], list[str]]:
    """The doing exercises of one notebook by kind, and what is wrong with their tags."""
    _, exercises, _, problems = analyse(path)
    found = {WRITE: [], EXPERIMENT: []}
    for i, cell in exercises:
        tags = set(cell.metadata.get("tags", []))
        if WRITE in tags:
            if not unwritten_definitions(cell.source):
                problems.append(
                    f"cell {i} is tagged {WRITE!r} but defines no unwritten function or class "
                    "(`def name(...): ...`) for the student to write"
                )
                continue
            found[WRITE].append(i)
        elif EXPERIMENT in tags:
            found[EXPERIMENT].append(i)
    return found, problems


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_every_notebook_has_three_doing_exercises(path):
    found, problems = kinds(path)
    assert not problems, f"{path.name}:\n" + "\n".join(problems)
    doing = len(found[WRITE]) + len(found[EXPERIMENT])
    assert doing >= MIN_DOING, (
        f"{path.name}: {doing} exercise(s) in which the student writes code or runs an "
        f"experiment ({found}); at least {MIN_DOING} expected. Convert a look-up into one, and "
        f"tag its exercise cell {WRITE!r} or {EXPERIMENT!r}"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_the_student_edition_leaves_the_code_to_write(path):
    """In the student edition every write-it exercise still has its body to write."""
    found, _ = kinds(path)
    nb = nbformat.read(path, as_version=4)
    edition = student.student_notebook(nb, path, student.publication())
    sources = [c.source for c in edition.cells if c.cell_type == "code"]
    for i in found[WRITE]:
        names = unwritten_definitions(nb.cells[i].source)
        assert any(set(names) <= set(unwritten_definitions(s)) for s in sources), (
            f"{path.name}: the student edition lost exercise cell {i}'s unwritten {names}"
        )


def test_the_tag_rules_can_fail(tmp_path):
    """A look-up, or code already written, tagged as code to write is caught."""
    nb = nbformat.v4.new_notebook()
    lookup = nbformat.v4.new_code_cell("answer = ...\nchecks.exercise_01_1(answer)")
    lookup.metadata["tags"] = [WRITE]
    bare = nbformat.v4.new_code_cell("answer = ...\nchecks.exercise_01_2(answer)")
    bare.metadata["tags"] = [EXPERIMENT]
    written = nbformat.v4.new_code_cell(
        "def f(x):\n    return x\n\n\nanswer = ...\nchecks.exercise_01_3(answer)"
    )
    written.metadata["tags"] = [WRITE]
    good = nbformat.v4.new_code_cell(
        'def f(x):\n    """Doc."""\n    ...\n\n\nanswer = ...\nchecks.exercise_01_1(answer)'
    )
    good.metadata["tags"] = [WRITE]
    nb.cells = [lookup, bare, written, good]
    path = tmp_path / "99_x.ipynb"
    nbformat.write(nb, path)
    found, problems = kinds(path)
    assert found == {WRITE: [3], EXPERIMENT: [1]}
    assert len(problems) == 2
    assert "cell 0" in problems[0] and "cell 2" in problems[1]


def test_unwritten_definitions_reads_stubs():
    assert unwritten_definitions("def f(x): ...") == ["f"]
    assert unwritten_definitions("def f(x):\n    raise NotImplementedError") == ["f"]
    assert unwritten_definitions("def f(x):\n    return 1") == []
    assert unwritten_definitions("class C:\n    def on_epoch_end(self, e, logs=None): ...") == ["C"]
    assert (
        unwritten_definitions("class C:\n    def a(self): ...\n    def b(self):\n        return 1")
        == []
    )
    assert unwritten_definitions('def f(x):\n    """Doc."""\n    ...') == ["f"]
    assert unwritten_definitions("if True:\n    def f(x): ...") == []  # top level only
