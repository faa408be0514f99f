"""The student edition (``python -m helpers.student OUTDIR``): no solutions, runs, leaves the teacher edition alone.

The command is run once, as a learner's teacher would run it, into a temporary folder.
Then: no cell tagged ``solution`` and no line of a solution in any student notebook; the
exercise cells are the teacher's, with their outputs cleared; badges and setup cells point
at the student copies; the committed notebooks are byte-for-byte unchanged; and every
student notebook runs top to bottom on a fresh kernel in FAST mode with the exercises
unanswered and no error, each checker saying "Not yet" (the slow test: one kernel per
notebook, about as long as the FAST run of the series).
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import time

import nbformat
import pytest

from helpers import colab, config, student

NOTEBOOKS = sorted(config.NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))
IDS = [p.name for p in NOTEBOOKS]


def fingerprint(folder) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        if p.is_file()
    }


def output_text(cell) -> str:
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            parts.append(out.get("text", ""))
        elif out.get("output_type") in ("execute_result", "display_data"):
            parts.append(str(out.get("data", {}).get("text/plain", "")))
    return "\n".join(parts)


@pytest.fixture(scope="module")
def edition(tmp_path_factory):
    out = tmp_path_factory.mktemp("student")
    before = fingerprint(config.NOTEBOOKS_DIR)
    proc = subprocess.run(
        [sys.executable, "-m", "helpers.student", str(out), "--force"],
        capture_output=True,
        text=True,
        cwd=config.ROOT,
        check=False,
    )
    after = fingerprint(config.NOTEBOOKS_DIR)
    if proc.returncode != 0:
        pytest.fail(f"python -m helpers.student failed:\n{proc.stdout}{proc.stderr}")
    return out, before, after


def pairs(out):
    for path in NOTEBOOKS:
        yield (
            path.name,
            nbformat.read(path, as_version=4),
            nbformat.read(out / path.name, as_version=4),
        )


def test_teacher_edition_is_unchanged_by_the_command(edition):
    out, before, after = edition
    assert before == after
    assert sorted(p.name for p in out.glob("*.ipynb")) == IDS


def test_no_solution_cell_and_no_solution_text(edition):
    out, _, _ = edition
    problems = []
    for name, teacher, pupil in pairs(out):
        solution_cells = [c for c in teacher.cells if student.is_solution(c)]
        if not solution_cells:
            problems.append(f"{name}: the teacher edition has no cell tagged 'solution'")
        secret_lines = {
            line.strip()
            for c in solution_cells
            for line in c.source.splitlines()
            if len(line.strip()) >= 12 and not line.strip().startswith("#")
        }
        secret_lines -= {  # a line the exercises share (a checker's arguments) is no secret
            line.strip()
            for c in teacher.cells
            if not student.is_solution(c)
            for line in c.source.splitlines()
        }
        secret_outputs = {
            line.strip()
            for c in solution_cells
            for line in output_text(c).splitlines()
            if line.startswith("Correct")
        }
        for i, cell in enumerate(pupil.cells):
            if student.is_solution(cell):
                problems.append(f"{name}: student cell {i} is tagged 'solution'")
            if cell.cell_type == "code" and any(
                c.answered for c in student.checker_calls(cell.source)
            ):
                problems.append(f"{name}: student cell {i} passes a checker an answer")
            if cell.cell_type == "markdown" and student.SOLUTIONS_HEADING_RE.match(cell.source):
                problems.append(f"{name}: student cell {i} is a Solutions heading")
            if "Solutions are at the end" in cell.source:
                problems.append(f"{name}: student cell {i} promises solutions at the end")
            lines = {line.strip() for line in cell.source.splitlines()}
            for line in sorted(secret_lines & lines):
                problems.append(f"{name}: student cell {i} holds solution line {line!r}")
            for line in output_text(cell).splitlines():
                if line.strip() in secret_outputs:
                    problems.append(f"{name}: student cell {i} shows solution output {line!r}")
    assert not problems, "\n".join(problems)


def test_exercises_are_kept_with_their_outputs_cleared(edition):
    out, _, _ = edition
    for name, teacher, pupil in pairs(out):
        taught = [c.source for c in teacher.cells if student.is_exercise(c)]
        given = [c for c in pupil.cells if student.is_exercise(c)]
        assert [c.source for c in given] == taught, f"{name}: exercise cells differ"
        assert taught, f"{name}: no exercise cells"
        for cell in given:
            assert cell.outputs == [] and cell.execution_count is None, name
        kept = [c for c in teacher.cells if not student.is_solution(c)]
        assert len(pupil.cells) >= len(kept) - 1, f"{name}: lost cells besides the solutions"


def test_badge_and_setup_cell_point_at_the_student_copies(edition):
    out, _, _ = edition
    pub = student.publication()
    for name, _, pupil in pairs(out):
        first = next(c for c in pupil.cells if c.cell_type == "markdown")
        assert student.badge_markdown(name, pub) in first.source, name
        (setup,) = [c for c in pupil.cells if colab.SETUP_TAG in student.tags(c)]
        assert f"git clone --depth 1 {pub.repo_url} /content/{pub.name}" in setup.source
        assert f'os.chdir("/content/{pub.name}/{pub.folder}")' in setup.source
        assert pupil.metadata["mnist_series"] == {"edition": "student"}


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://github.com/a/b", ("a/b", "main", "student")),
        ("https://github.com/a/b.git", ("a/b", "main", "student")),
        ("https://github.com/a/b/tree/dev", ("a/b", "dev", "student")),
        ("https://github.com/a/b/tree/main/class/2026/", ("a/b", "main", "class/2026")),
    ],
)
def test_student_url(url, expected):
    pub = student.parse_student_url(url)
    assert (pub.slug, pub.branch, pub.folder) == expected


def test_student_url_default_and_bad(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    pub = student.publication(tmp_path / "pyproject.toml")
    assert pub.repo_url == colab.repo_url() and pub.folder == "student"
    (tmp_path / "pyproject.toml").write_text(
        "[tool.mnist-series]\nstudent-url = 'https://example.org/x'\n"
    )
    with pytest.raises(ValueError, match="student-url"):
        student.publication(tmp_path / "pyproject.toml")


def test_refuses_the_notebooks_folder_and_a_non_empty_folder(tmp_path, capsys):
    before = fingerprint(config.NOTEBOOKS_DIR)
    assert student.main([str(config.NOTEBOOKS_DIR)]) == 2
    assert student.main([str(config.NOTEBOOKS_DIR / "sub"), "--force"]) == 2
    assert "notebooks/ folder" in capsys.readouterr().err
    assert fingerprint(config.NOTEBOOKS_DIR) == before
    notes = tmp_path / "notes.txt"
    notes.write_text("mine")
    assert student.main([str(tmp_path)]) == 2
    assert "not empty" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def synthetic_notebook():
    v4 = nbformat.v4
    setup = v4.new_code_cell("import helpers", metadata={"tags": ["setup"]})
    nb = v4.new_notebook()
    nb.cells = [
        v4.new_markdown_cell(f"# 99 · Test\n\n{colab.badge_markdown('99_test.ipynb')}\n"),
        setup,
        v4.new_markdown_cell("## Exercises\n\nTry them. Solutions are at the end; try first."),
        v4.new_code_cell(
            "answer = ...\nchecks.exercise_01_4(answer, row=10, col=3)",
            outputs=[v4.new_output("stream", text="Not yet: replace the ...\n")],
        ),
        v4.new_markdown_cell("### Solutions"),
        v4.new_code_cell(
            "assert checks.exercise_01_4(28 * 10 + 3, row=10, col=3)",
            metadata={"tags": ["solution"]},
        ),
        v4.new_markdown_cell("Typical mistakes:", metadata={"tags": ["solution"]}),
    ]
    return nb


def test_student_notebook_on_a_synthetic_notebook():
    nb = synthetic_notebook()
    pub = student.parse_student_url("https://github.com/school/class/tree/main/handout")
    pupil = student.student_notebook(nb, config.NOTEBOOKS_DIR / "99_test.ipynb", pub)
    sources = [c.source for c in pupil.cells]
    assert len(pupil.cells) == 4 and len(nb.cells) == 7  # the original is untouched
    assert "github/school/class/blob/main/handout/99_test.ipynb" in sources[0]
    assert "git clone --depth 1 https://github.com/school/class /content/class" in sources[1]
    assert student.STUDENT_SENTENCE in sources[2] and "at the end" not in sources[2]
    assert pupil.cells[3].outputs == [] and "answer = ..." in sources[3]
    assert not any("28 * 10" in s or "Solutions" in s for s in sources)


def test_an_untagged_solution_is_refused():
    nb = synthetic_notebook()
    nb.cells[5].metadata["tags"] = []
    with pytest.raises(ValueError, match=r"cells \[5\].*not tagged 'solution'"):
        student.student_notebook(nb, config.NOTEBOOKS_DIR / "99_test.ipynb", student.publication())


def test_student_notebooks_run_in_fast_mode_and_say_not_yet(edition):
    """Every student notebook, fresh kernel, FAST mode: no error, each checker 'Not yet'."""
    from nbclient import NotebookClient

    out, _, _ = edition
    problems, seconds = [], {}
    for path in sorted(out.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        start = time.perf_counter()
        client = NotebookClient(
            nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(out)}}
        )
        try:
            client.execute()
        except Exception as exc:  # CellExecutionError names the cell and the traceback
            problems.append(f"{path.name}: {type(exc).__name__}: {str(exc)[-1500:]}")
            continue
        seconds[path.name] = time.perf_counter() - start
        for i, cell in enumerate(nb.cells):
            if student.is_exercise(cell):
                calls = len(student.checker_calls(cell.source))
                if output_text(cell).count("Not yet") < calls:
                    problems.append(f"{path.name} cell {i}: no 'Not yet' from the checker")
    print("student notebooks, FAST, seconds (busy machine):", seconds)
    assert not problems, "\n".join(problems)


# ------------------------------------------- implementation steps (notebook 04's markers)

STEPS_NB = next(iter(sorted(config.NOTEBOOKS_DIR.glob("04_*written_by_you.ipynb"))), None)
needs_04 = pytest.mark.skipif(STEPS_NB is None, reason="notebook 04 (backprop, written by you)")


def test_solution_regions_become_skeletons():
    source = (
        "def relu(z):\n"
        '    """max(z, 0)."""\n'
        "    ### BEGIN SOLUTION\n"
        "    return np.maximum(z, 0)\n"
        "    ### END SOLUTION\n"
        "\n\n"
        'relu = stepcheck.checked("relu", relu)\n'
        "### BEGIN SOLUTION\n"
        "top_level = 1\n"
        "### END SOLUTION\n"
    )
    out = student.strip_solution_regions(source)
    assert "np.maximum" not in out and "top_level" not in out and "SOLUTION" not in out
    assert '    """max(z, 0)."""\n    # YOUR CODE HERE\n    raise NotImplementedError\n' in out
    assert out.endswith('relu = stepcheck.checked("relu", relu)\n# YOUR CODE HERE\n')
    namespace = {}
    exec(out.replace('relu = stepcheck.checked("relu", relu)', ""), namespace)  # it parses
    with pytest.raises(NotImplementedError):
        namespace["relu"](1.0)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("def f():\n    ### BEGIN SOLUTION\n    return 1\n", "has no '### END SOLUTION'"),
        ("x = 1\n### END SOLUTION\n", "never opened"),
        ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION\n", "inside another"),
    ],
)
def test_broken_solution_regions_are_refused(source, message):
    with pytest.raises(ValueError, match=message):
        student.strip_solution_regions(source, "04 cell 6")


def test_marked_cells_lose_their_outputs_and_solutions():
    v4 = nbformat.v4
    nb = synthetic_notebook()
    marked = v4.new_code_cell(
        "def f(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION\n",
        outputs=[v4.new_output("stream", text="f: all Correct\n")],
        execution_count=3,
    )
    after = v4.new_code_cell("print(f(1))", outputs=[v4.new_output("stream", text="2\n")])
    nb.cells[2:2] = [marked, after]
    pupil = student.student_notebook(
        nb, config.NOTEBOOKS_DIR / "99_test.ipynb", student.publication()
    )
    assert "return 2 * x" not in pupil.cells[2].source
    assert "raise NotImplementedError" in pupil.cells[2].source
    assert pupil.cells[2].outputs == [] and pupil.cells[3].outputs == []  # from the first on
    assert "return 2 * x" in nb.cells[2].source  # the teacher's notebook is untouched


@needs_04
def test_teacher_edition_of_04_passes_every_step_check():
    nb = nbformat.read(STEPS_NB, as_version=4)
    steps = [c for c in nb.cells if c.cell_type == "code" and "stepcheck.checked(" in c.source]
    assert len(steps) >= 10, "notebook 04 should check at least ten implementation steps"
    for cell in steps:
        assert student.BEGIN_MARK in cell.source, cell.source[:60]
        text = output_text(cell)
        n_steps = cell.source.count("stepcheck.checked(")
        assert text.count("all Correct") == n_steps and "Not yet" not in text, text


@needs_04
def test_student_edition_of_04_runs_in_fast_mode_with_every_step_not_yet(tmp_path, monkeypatch):
    """The student copy of 04, FAST mode, fresh kernel: each step says Not yet and goes on."""
    from nbclient import NotebookClient

    teacher = nbformat.read(STEPS_NB, as_version=4)
    pupil = student.student_notebook(teacher, STEPS_NB, student.publication())
    secret = {
        line.strip()
        for c in teacher.cells
        if student.has_solution_region(c)
        for line in c.source.split(student.BEGIN_MARK, 1)[1].split(student.END_MARK)[0].splitlines()
        if line.strip()
    }
    visible = {line.strip() for c in pupil.cells for line in c.source.splitlines()}
    assert not (secret & visible), secret & visible
    monkeypatch.setenv(config.FAST_ENV, "1")
    client = NotebookClient(
        pupil,
        timeout=900,
        kernel_name="python3",
        resources={"metadata": {"path": str(config.NOTEBOOKS_DIR)}},
    )
    client.execute()  # raises CellExecutionError, naming the cell, on any error
    steps = [c for c in pupil.cells if c.cell_type == "code" and "stepcheck.checked(" in c.source]
    assert len(steps) >= 10
    for cell in steps:
        text = output_text(cell)
        expected = cell.source.count("stepcheck.checked(")
        assert text.count("NotImplementedError; continuing with the reference") == expected, text
        assert "all Correct" not in text
    training = next(c for c in pupil.cells if "train_epoch(params, x_fit" in c.source)
    assert "validation accuracy" in output_text(training)
    errors = [o for c in pupil.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors
