"""Exercises are things to do: every notebook has at least three the student *does*.

A "doing" exercise is one of two kinds, marked by a tag on its exercise cell (the code cell
with ``answer = ...`` and the checker call; tags are invisible in the notebook):

- ``exercise-write``: the student writes code. The cell must define a function or class whose
  body is left unwritten (``...`` or ``raise NotImplementedError``), and the answer handed to
  the checker is that code, which the checker runs on cases of its own (tested here: some
  solution hands that checker a function or class, not a number);
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


def _code_handed_to_checkers(sources: list[str]) -> set[str]:
    """The checkers that ``sources`` (the solution cells) hand code: a call
    ``checks.exercise_X(first, ...)`` whose ``first`` is a lambda, or a name bound in the
    solutions to a ``def``, a ``class`` or a lambda (directly or through ``answer = name``)."""
    trees = []
    for source in sources:
        try:
            trees.append(ast.parse(source))
        except SyntaxError:
            continue
    code, aliases = set(), {}
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                code.add(node.name)
            elif isinstance(node, ast.Assign):
                for target in node.targets:
                    if not isinstance(target, ast.Name):
                        continue
                    if isinstance(node.value, ast.Lambda):
                        code.add(target.id)
                    elif isinstance(node.value, ast.Name):
                        aliases[target.id] = node.value.id
    handed = set()
    for tree in trees:
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            func = node.func
            if not (isinstance(func.value, ast.Name) and func.value.id == "checks" and node.args):
                continue
            first = node.args[0]
            if isinstance(first, ast.Lambda) or (
                isinstance(first, ast.Name) and aliases.get(first.id, first.id) in code
            ):
                handed.add(func.attr)
    return handed


def write_exercises_handing_over_code(path) -> list[str]:
    """What is wrong with the write-it exercises of one notebook: for every one, a solution
    must hand its checker code (a function or class, as the student will), so that the checker
    is one that runs code, not one that compares a number computed beside the stub."""
    found, _ = kinds(path)
    nb, _, solutions, _ = analyse(path)
    handed = _code_handed_to_checkers([cell.source for _, cell in solutions])
    problems = []
    for i in found[WRITE]:
        for call in student.checker_calls(nb.cells[i].source):
            if call.checker not in handed:
                problems.append(
                    f"cell {i} is tagged {WRITE!r}, but no solution hands checks.{call.checker} "
                    "a function or class: the checker of a write-it exercise runs the "
                    "student's code"
                )
    return problems


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_write_exercises_hand_the_checker_the_code(path):
    problems = write_exercises_handing_over_code(path)
    assert not problems, f"{path.name}:\n" + "\n".join(problems)


def test_handing_over_code_can_fail(tmp_path):
    """A solution that hands the checker a number, not a function, is caught; one that hands
    it a function (directly or through a name) passes."""
    nb = nbformat.v4.new_notebook()
    exercise_cell = nbformat.v4.new_code_cell(
        "def share(x): ...\n\n\nanswer = ...\nchecks.exercise_01_1(answer, x)"
    )
    exercise_cell.metadata["tags"] = [WRITE]
    number = nbformat.v4.new_code_cell(
        "def share(x):\n    return 0.5\n\n\nassert checks.exercise_01_1(share(x), x)"
    )
    number.metadata["tags"] = [student.SOLUTION_TAG]
    nb.cells = [exercise_cell, number]
    path = tmp_path / "99_x.ipynb"
    nbformat.write(nb, path)
    assert len(write_exercises_handing_over_code(path)) == 1
    number.source = (
        "def share(x):\n    return 0.5\n\n\nanswer = share\nchecks.exercise_01_1(answer, x)"
    )
    nbformat.write(nb, path)
    assert write_exercises_handing_over_code(path) == []
    number.source = "assert checks.exercise_01_1(lambda x: 0.5, x)"
    nbformat.write(nb, path)
    assert write_exercises_handing_over_code(path) == []
