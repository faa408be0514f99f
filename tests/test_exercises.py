"""Exercises that do not hand out their answers, and solutions that are really checked.

For every committed notebook (static checks; executing the notebooks runs the cells):

- every cell that calls a checker (``checks.exercise_...``) outside the solutions passes it
  an unanswered ``...`` (directly or through ``answer = ...``), and its committed output
  shows the checker's "Not yet" for each call;
- each checker used by an exercise is decorated with ``@exercise`` and says "Not yet" when
  called with ``...`` (Ellipsis);
- every exercise has a solution: a cell tagged ``solution`` that asserts the checker
  accepts an answer (``assert checks.exercise_X(answer, ...)``), whose committed output
  shows "Correct" and no error;
- solutions sit at the end: every cell from the first ``solution`` cell on is tagged
  ``solution`` (headings and remarks included), so the student edition
  (``python -m helpers.student``) drops exactly them;
- a notebook has at least three exercises (CONTRIBUTING.md).
"""

from __future__ import annotations

import nbformat
import pytest

from helpers import checks, config, student

NOTEBOOKS = sorted(config.NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))
IDS = [p.name for p in NOTEBOOKS]
MIN_EXERCISES = 3


def output_text(cell) -> str:
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            parts.append(out.get("text", ""))
        elif out.get("output_type") in ("execute_result", "display_data"):
            parts.append(str(out.get("data", {}).get("text/plain", "")))
        elif out.get("output_type") == "error":
            parts.append(f"ERROR {out.get('ename')}: {out.get('evalue')}")
    return "\n".join(parts)


def has_error(cell) -> bool:
    return any(out.get("output_type") == "error" for out in cell.get("outputs", []))


def analyse(path):
    """(exercise cells, solution cells, problems) of one notebook."""
    nb = nbformat.read(path, as_version=4)
    problems = []
    exercises, solutions = [], []
    for i, cell in enumerate(nb.cells):
        if student.is_solution(cell):
            solutions.append((i, cell))
        elif cell.cell_type == "code" and student.checker_calls(cell.source):
            calls = student.checker_calls(cell.source)
            answered = [c.checker for c in calls if c.answered]
            if answered:
                problems.append(
                    f"cell {i} passes {', '.join(answered)} an answer outside the solutions: "
                    f"tag it {student.SOLUTION_TAG!r} if it is a solution (at the end), or "
                    "give the exercise `answer = ...`"
                )
            else:
                exercises.append((i, cell))
    return nb, exercises, solutions, problems


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_exercises_are_unanswered_and_say_not_yet(path):
    nb, exercises, _, problems = analyse(path)
    assert len(exercises) >= MIN_EXERCISES, (
        f"{path.name}: {len(exercises)} exercise cells with `answer = ...` and a checker; "
        f"at least {MIN_EXERCISES} expected"
    )
    for i, cell in exercises:
        calls = student.checker_calls(cell.source)
        said = output_text(cell).count("Not yet")
        if said < len(calls):
            problems.append(
                f"cell {i}: the committed output shows 'Not yet' {said} times for "
                f"{len(calls)} checker call(s): rerun the notebook (python -m helpers.run NN)"
            )
        for call in calls:
            checker = getattr(checks, call.checker, None)
            if checker is None:
                problems.append(f"cell {i}: helpers.checks has no {call.checker}")
                continue
            if not hasattr(checker, "__wrapped__"):
                problems.append(f"cell {i}: checks.{call.checker} is not decorated with @exercise")
            verdict = checker(Ellipsis)
            if verdict or not repr(verdict).startswith("Not yet"):
                problems.append(f"cell {i}: checks.{call.checker}(...) does not say 'Not yet'")
    assert not problems, f"{path.name}:\n" + "\n".join(problems)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_every_exercise_has_an_asserted_solution_at_the_end(path):
    nb, exercises, solutions, problems = analyse(path)
    if not exercises:
        pytest.skip(f"{path.name} has no exercise cells (see the test above)")
    if not solutions:
        pytest.fail(
            f"{path.name}: no cell tagged {student.SOLUTION_TAG!r}: tag the solution cells "
            '(cell metadata "tags": ["solution"]) at the end of the notebook'
        )
    first_solution = solutions[0][0]
    last_exercise = exercises[-1][0]
    if first_solution < last_exercise:
        problems.append(
            f"solution cell {first_solution} comes before exercise cell {last_exercise}: "
            "solutions go at the end"
        )
    untagged = [
        i for i in range(first_solution, len(nb.cells)) if not student.is_solution(nb.cells[i])
    ]
    if untagged:
        problems.append(
            f"cells {untagged} follow the first solution cell but are not tagged "
            f"{student.SOLUTION_TAG!r} (the student edition would keep them)"
        )
    accepted = set()
    for i, cell in solutions:
        if cell.cell_type != "code":
            continue
        asserted = [c.checker for c in student.checker_calls(cell.source) if c.asserted]
        accepted.update(asserted)
        if has_error(cell):
            problems.append(f"solution cell {i} has an error output")
        if asserted and output_text(cell).count("Correct") < len(set(asserted)):
            problems.append(
                f"solution cell {i}: the committed output does not show 'Correct' for "
                f"{sorted(set(asserted))}: rerun the notebook"
            )
    for i, cell in exercises:
        for call in student.checker_calls(cell.source):
            if call.checker not in accepted:
                problems.append(
                    f"exercise cell {i} ({call.checker}): no solution cell asserts it, e.g. "
                    f"`assert checks.{call.checker}(right_answer, ...)` in a cell tagged "
                    f"{student.SOLUTION_TAG!r}"
                )
    assert not problems, f"{path.name}:\n" + "\n".join(problems)


def test_checker_calls_are_read_correctly():
    source = (
        "answer_1 = ...\n"
        "checks.exercise_01_1(answer_1, x)\n"
        "checks.exercise_01_2(..., y)\n"
        "assert checks.exercise_01_3(x / 255, x)\n"
        "assert not checks.exercise_01_4(3, row=1, col=2)\n"
    )
    assert student.checker_calls(source) == [
        student.CheckerCall("exercise_01_1", answered=False, asserted=False),
        student.CheckerCall("exercise_01_2", answered=False, asserted=False),
        student.CheckerCall("exercise_01_3", answered=True, asserted=True),
        student.CheckerCall("exercise_01_4", answered=True, asserted=False),
    ]


def test_an_answered_exercise_is_caught(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("answer = 28 * 10 + 3\nchecks.exercise_01_4(answer, 10, 3)"),
        nbformat.v4.new_code_cell("answer = ...\nchecks.exercise_01_4(answer, 10, 3)"),
    ]
    path = tmp_path / "99_x.ipynb"
    nbformat.write(nb, path)
    _, exercises, _, problems = analyse(path)
    assert [i for i, _ in exercises] == [1]
    assert len(problems) == 1 and "cell 0" in problems[0]
