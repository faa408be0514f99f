"""No exercise's answer is printed before it.

For every exercise cell (``answer = ...`` and a checker, see tests/test_exercises.py), the
committed full run recorded the checker's own expected answer: an unanswered checker probes
itself (``helpers.checks.expected_answer``: the number its first comparison uses, with its
tolerance) and stores it in the invisible metadata of its "Not yet" output. This test reads
every number printed before the exercise cell (outputs of earlier cells, and markdown, where
numbers come from outputs anyway) and fails when one of them is the answer as printed, that
is the answer rounded to the decimals shown, as written or read as a percentage (``98.5%`` for
0.9851), and the checker accepts it: a number a student could copy. (A number that an
experiment's loose tolerance happens to accept, but that is not the answer rounded, is not a copy.)

What it cannot see, said plainly:
- answers that are code (a function to write) or arrays: they have no printed number, and the
  probe finds none (recorded as ``expected: null``);
- whole-number answers below :data:`SMALL` (a digit, an epoch): such numbers are printed as
  labels everywhere, so a match says nothing; these are skipped;
- an answer given in words ("digit 1 has the most ink").
A notebook whose exercise outputs carry no record was not rerun since the probe existed: the
test fails and says to rerun it (``python -m helpers.run NN``).
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from helpers import checks
from tests.test_exercises import IDS, NOTEBOOKS, analyse, output_text

#: Whole-number answers below this are not looked for (digits and small counts are printed
#: as labels everywhere).
SMALL = 100
NUMBER_RE = re.compile(
    r"(?<![\w.,])-?\d{1,3}(?:,\d{3})+(?:\.\d+)?(?!\d|,\d)|(?<![\w.,])-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?(?!\d|,\d)"
)
ANSI_RE = re.compile(r"\x1b\[[0-9;]*m")


def printed_numbers(text: str) -> list[tuple[str, float, bool]]:
    """(as written, value, followed by %) for every number in ``text``."""
    text = ANSI_RE.sub("", text).replace("{,}", ",").replace("\\%", "%")
    found = []
    for m in NUMBER_RE.finditer(text):
        written = m.group(0)
        try:
            value = float(written.replace(",", ""))
        except ValueError:
            continue
        percent = text[m.end() : m.end() + 2].lstrip().startswith("%")
        found.append((written, value, percent))
    return found


def decimals(written: str) -> int:
    mantissa = written.lower().split("e")[0]
    return len(mantissa.split(".")[1]) if "." in mantissa else 0


def copies(expected: dict, value: float, places: int) -> bool:
    """``value``, written with ``places`` decimals, is the answer as printed (the answer rounded
    to those decimals) and the checker accepts it: a number a student could copy. A number the
    checker accepts only because its tolerance is loose (an experiment's 10%) is not a copy."""
    x = expected["value"]
    rounded = abs(value - x) <= 0.5 * 10.0**-places * (1 + 1e-9) + 1e-12
    accepted = np.isclose(value, x, rtol=expected["rel_tol"], atol=expected["abs_tol"])
    return bool(rounded and accepted)


def leaks(expected: dict, text: str) -> list[str]:
    """The numbers in ``text`` that print the answer (as written or as a percentage) in a form
    the checker accepts."""
    found = []
    for written, value, percent in printed_numbers(text):
        places = decimals(written)
        if copies(expected, value, places) or (
            percent and copies(expected, value / 100, places + 2)
        ):
            found.append(written + ("%" if percent else ""))
    return found


def records(cell) -> list[dict]:
    found = []
    for out in cell.get("outputs", []):
        record = out.get("metadata", {}).get(checks.METADATA_KEY)
        if record is not None:
            found.append(record)
    return found


def shown_text(cell) -> str:
    return cell.source if cell.cell_type == "markdown" else output_text(cell)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_no_answer_is_printed_before_its_exercise(path):
    nb, exercises, _, _ = analyse(path)
    problems = []
    for i, cell in exercises:
        found = records(cell)
        if not found:
            problems.append(
                f"cell {i}: its output records no expected answer (run before the probe "
                "existed): rerun the notebook in full (python -m helpers.run NN)"
            )
            continue
        for record in found:
            expected = record["expected"]
            if expected is None:
                continue  # code or an array: no single number to print
            value = expected["value"]
            if value == round(value) and abs(value) < SMALL and expected["rel_tol"] < 0.5:
                continue  # a small whole number: printed as a label everywhere
            for j in range(i):
                shown = leaks(expected, shown_text(nb.cells[j]))
                if shown:
                    where = "markdown" if nb.cells[j].cell_type == "markdown" else "output"
                    problems.append(
                        f"cell {i} ({record['checker']}, answer {value:.6g}): {where} of cell "
                        f"{j} shows {', '.join(shown)}, which the checker accepts"
                    )
    assert not problems, f"{path.name}:\n" + "\n".join(problems)


# --------------------------------------------------------------------------- the machinery


def test_probe_finds_the_checkers_reference_and_tolerance():
    assert checks.expected_answer(checks.exercise_01_4, 3, 5) == {
        "value": 89.0,
        "rel_tol": 0.0,
        "abs_tol": 1e-09,
    }
    found = checks.expected_answer(checks.exercise_03_1, [784, 256, 10])
    assert found["value"] == (784 + 1) * 256 + (256 + 1) * 10 and found["rel_tol"] == 0


def test_probe_prints_nothing_and_leaves_checkers_judging(capsys):
    checks.expected_answer(checks.exercise_01_4, 3, 5)
    assert capsys.readouterr().out == ""
    assert checks.exercise_01_4(89, 3, 5) and not checks.exercise_01_4(0, 3, 5)


def test_leaks_finds_copyable_forms_and_ignores_others():
    share = {"value": 0.13066, "rel_tol": 1e-3, "abs_tol": 1e-9}
    assert leaks(share, "mean pixel 0.1307 of x") == ["0.1307"]
    assert leaks(share, "that is 13.066 % of the ink") == ["13.066%"]
    assert leaks(share, "about 0.13, or 13%") == []  # too rounded: the checker rejects them
    loose = {"value": 0.1296, "rel_tol": 0.1, "abs_tol": 0.005}  # an experiment's tolerance
    assert leaks(loose, "mean 0.1307, 11.2%") == []  # accepted, but not the answer rounded
    assert leaks(loose, "optimism 0.13 points") == ["0.13"]
    count = {"value": 203530.0, "rel_tol": 0.0, "abs_tol": 0.0}
    assert leaks(count, "Total params: 203,530 (795.04 KB)") == ["203,530"]
    assert leaks(count, "x_203530 and 203,531") == []
    assert leaks({"value": 500.0, "rel_tol": 0.0, "abs_tol": 0.0}, "\x1b[34m235,500\x1b[0m") == []


def test_a_printed_answer_is_caught(tmp_path):
    import nbformat

    nb = nbformat.v4.new_notebook()
    record = {
        "checker": "exercise_03_1",
        "expected": {"value": 203530.0, "rel_tol": 0.0, "abs_tol": 0.0},
    }
    nb.cells = [
        nbformat.v4.new_code_cell(
            "model.summary()",
            outputs=[nbformat.v4.new_output("stream", text="Total params: 203,530\n")],
        ),
        nbformat.v4.new_code_cell(
            "answer = ...\nchecks.exercise_03_1(answer, [784, 256, 10])",
            outputs=[
                nbformat.v4.new_output(
                    "display_data",
                    data={"text/plain": "Not yet: replace the ..."},
                    metadata={checks.METADATA_KEY: record},
                )
            ],
        ),
    ]
    path = tmp_path / "99_x.ipynb"
    nbformat.write(nb, path)
    with pytest.raises(AssertionError, match="output of cell 0 shows 203,530"):
        test_no_answer_is_printed_before_its_exercise(path)
