"""Colab support: badges and setup cells generated from the one repository URL, and a
setup cell that does the right thing on Colab and nothing but imports elsewhere."""

from __future__ import annotations

import os
import re
import sys
import tomllib
import types
from pathlib import Path

import nbformat
import pytest
from IPython.core.inputtransformer2 import TransformerManager

from helpers import colab, config

NOTEBOOKS = sorted(config.NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))
IDS = [p.name for p in NOTEBOOKS]


def pyproject_url() -> str:
    with open(config.ROOT / "pyproject.toml", "rb") as fh:
        return tomllib.load(fh)["project"]["urls"]["Repository"]


# --------------------------------------------------------------------------- generation


def test_repository_url_comes_from_pyproject():
    url = colab.repo_url()
    assert url == pyproject_url().rstrip("/").removesuffix(".git")
    assert re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", url), url


def test_badge_points_at_the_notebook_in_this_repository():
    badge = colab.badge_markdown("notebooks/08_architecture_comparison.ipynb")
    slug = colab.repo_url().removeprefix("https://github.com/")
    assert badge == (
        "[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
        f"(https://colab.research.google.com/github/{slug}/blob/main/notebooks/"
        "08_architecture_comparison.ipynb)"
    )
    assert colab.BADGE_RE.fullmatch(badge)


def test_image_url_is_absolute_raw_github():
    slug = colab.repo_url().removeprefix("https://github.com/")
    assert colab.image_url("08_x.png") == (
        f"https://raw.githubusercontent.com/{slug}/main/img/08_x.png"
    )


def test_notebook_number_rejects_unnumbered_names():
    assert colab.notebook_number("notebooks/05_backprop.ipynb") == "05"
    with pytest.raises(ValueError, match="two digits"):
        colab.notebook_number("notebooks/backprop.ipynb")


def test_write_inserts_badge_and_setup_then_check_passes(tmp_path):
    """A new notebook with a placeholder setup cell becomes exactly what the generator makes."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# 09 · Test\n\nWhat you will learn: x"),
        nbformat.v4.new_code_cell("placeholder", metadata={"tags": ["setup"]}),
    ]
    path = tmp_path / "09_test.ipynb"
    assert sorted(colab.expected_changes(nb, path)) == [
        "badge",
        "setup cell",
        "setup cell metadata (collapsed)",
    ]
    assert nb.cells[0].source.splitlines()[:3] == ["# 09 · Test", "", colab.badge_markdown(path)]
    assert nb.cells[1].source == colab.setup_cell_source("09")
    assert colab.expected_changes(nb, path) == []  # idempotent


def test_setup_cell_must_be_tagged_exactly_once(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# 09 · T"), nbformat.v4.new_code_cell("x = 1")]
    with pytest.raises(ValueError, match="exactly one code cell tagged"):
        colab.expected_changes(nb, tmp_path / "09_t.ipynb")


def requirement_lines(path) -> dict[str, str]:
    return {
        re.split(r"[\s~=<>!\[;]", line.strip(), maxsplit=1)[0].lower(): line.strip()
        for line in path.read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    }


def test_colab_installs_nothing_that_upgrades_colabs_stack():
    """What the setup cell installs on Colab: every package at a floor (``>=``) that Colab's
    current runtime (constraints/colab.txt, its published pip freeze) already meets, so on
    today's Colab ``%pip`` installs and upgrades nothing; a package of the supported range
    is asked for at exactly its supported floor."""
    from packaging.requirements import Requirement

    ranges = colab.supported_range()
    colab_now = {
        name: line.split("==", 1)[1]
        for name, line in requirement_lines(config.ROOT / "constraints" / "colab.txt").items()
    }
    words = [w.strip('"') for w in colab.COLAB_PIP.split()]
    assert words and all(w for w in words)
    for word in words:
        requirement = Requirement(word)
        name = requirement.name.lower()
        assert str(requirement.specifier).startswith(">=") and "," not in str(
            requirement.specifier
        ), f"setup cell installs {word!r}: only floors, so nothing Colab has is upgraded"
        assert name in colab_now, f"constraints/colab.txt does not say which {name} Colab has"
        assert requirement.specifier.contains(colab_now[name]), (
            f"setup cell installs {word!r}, which Colab's {name} {colab_now[name]} does not "
            "meet: it would upgrade it under a running session"
        )
        if name in ranges:
            assert word == name + ranges[name], (
                f"setup cell installs {word!r}; the supported range is {ranges[name]!r}"
            )
    # shell-safe: every requirement with a comparison is quoted (an unquoted > redirects)
    for word in colab.COLAB_PIP.split():
        assert not re.search(r"[<>]", word) or (word.startswith('"') and word.endswith('"'))


def test_colab_constraints_are_inside_the_supported_range_with_date_and_source():
    """constraints/colab.txt (CI's end "Colab now") pins exactly, inside pyproject.toml's
    range, and says where its versions come from and when they were read."""
    from packaging.specifiers import SpecifierSet

    path = config.ROOT / "constraints" / "colab.txt"
    text = path.read_text(encoding="utf-8")
    assert "googlecolab/backend-info" in text and "pip-freeze.txt" in text
    assert re.search(r"\b20\d\d-\d\d-\d\d\b", text), "colab.txt must date its versions"
    ranges = colab.supported_range()
    pins = requirement_lines(path)
    assert {"tensorflow", "keras", "numpy", "anywidget"} <= set(pins)
    for name, line in pins.items():
        assert "==" in line, f"{path.name}: {line!r} is not an exact pin"
        if name in ranges:
            version = line.split("==", 1)[1]
            assert SpecifierSet(ranges[name]).contains(version), (
                f"{path.name}: Colab's {name} {version} is outside the supported range "
                f"{ranges[name]}: widen pyproject.toml (and test it) or say why not"
            )


# --------------------------------------------------------------------------- running it


class FakeIPython:
    """Records the shell commands and magics the setup cell would run on Colab."""

    def __init__(self):
        self.calls: list[tuple[str, str]] = []

    def system(self, command):
        self.calls.append(("!", command))

    def run_line_magic(self, magic, line, _stack_depth=1):
        self.calls.append(("%" + magic, line))

    def getoutput(self, command):  # `names = !command`; IPython expands {name} first
        command = command.format(**sys._getframe(1).f_globals)
        self.calls.append(("!=", command))
        return self.listing(command)

    def listing(self, command):
        return []

    def run_cell_magic(self, magic, line, cell):  # pragma: no cover - fails the test below
        self.calls.append(("%%" + magic, line))


def run_setup_cell(source: str, monkeypatch, on_colab: bool, shell=None) -> FakeIPython:
    """Execute the setup cell the way IPython would, with Colab present or absent."""
    code = TransformerManager().transform_cell(source)
    shell = shell or FakeIPython()
    chdirs: list[str] = []
    monkeypatch.setattr(os, "chdir", chdirs.append)
    monkeypatch.setattr(sys, "path", list(sys.path))
    if on_colab:
        monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    else:
        monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    exec(compile(code, "<setup cell>", "exec"), {"get_ipython": lambda: shell})
    shell.chdirs = chdirs
    return shell


class FakeColab(FakeIPython):
    """A Colab shell whose ``git clone`` writes a complete repository, a partial one,
    nothing, or a complete clone of a repository without helpers/ (``outcome`` "ok",
    "interrupted", "offline", "no helpers")."""

    def __init__(self, outcome="ok"):
        super().__init__()
        self.outcome = outcome

    def system(self, command):
        super().system(command)
        if command.startswith("git clone") and self.outcome != "offline":
            target = Path(command.split()[5])
            (target / ".git").mkdir(parents=True)
            if self.outcome in ("ok", "no helpers"):
                (target / "notebooks").mkdir()
            if self.outcome == "ok":
                (target / "helpers").mkdir()
                (target / "helpers" / "__init__.py").write_text("")

    def listing(self, command):  # `git ls-tree --name-only HEAD` of the clone
        target = Path(command.split()[2])
        if self.outcome == "interrupted" or not target.is_dir():
            return []  # no commit fetched: git prints nothing (its error goes to /dev/null)
        return sorted(p.name for p in target.iterdir() if p.name != ".git")


def colab_source(tmp_path, number="08") -> tuple[str, Path]:
    """The setup cell with Colab's /content/ folder moved into ``tmp_path``."""
    folder = f"/content/{colab.repo_name()}"
    source = colab.setup_cell_source(number)
    assert source.count(folder) >= 3
    return source.replace(folder, str(tmp_path / colab.repo_name())), tmp_path / colab.repo_name()


def test_setup_cell_locally_only_imports(monkeypatch, capsys):
    before = list(sys.path)
    shell = run_setup_cell(colab.setup_cell_source("08"), monkeypatch, on_colab=False)
    assert shell.calls == [], f"the setup cell ran {shell.calls} outside Colab"
    assert shell.chdirs == []
    assert sys.path == before
    out = capsys.readouterr().out
    assert "Notebook 08 | mode:" in out
    import keras
    import numpy as np
    import tensorflow as tf

    assert (
        f"TensorFlow {tf.__version__} · Keras {keras.__version__} · NumPy {np.__version__}" in out
    )


def test_setup_cell_on_colab_clones_installs_and_seeds(monkeypatch, capsys, tmp_path):
    import numpy as np

    source, repo = colab_source(tmp_path)
    shell = run_setup_cell(source, monkeypatch, on_colab=True, shell=FakeColab())
    clones = [c for kind, c in shell.calls if kind == "!" and c.startswith("git clone")]
    assert clones == [f"git clone --depth 1 {colab.repo_url()} {repo}.partial --quiet"]
    assert (repo / "helpers" / "__init__.py").is_file()
    assert not Path(f"{repo}.partial").exists()
    pips = [line for kind, line in shell.calls if kind == "%pip"]
    assert pips == [f"install -q {colab.COLAB_PIP}"]
    assert sys.path.count(str(repo)) == 1
    assert shell.chdirs == [f"{repo}/notebooks"]
    out = capsys.readouterr().out
    assert "Notebook 08 | mode:" in out and "Running on Python" in out
    # the seed was set: NumPy's global generator is at the seed's first draw
    first = np.random.rand()
    np.random.seed(config.SEED)
    assert first == np.random.rand()


def test_setup_cell_twice_neither_reclones_nor_duplicates_the_path(monkeypatch, tmp_path):
    source, repo = colab_source(tmp_path)
    shell = FakeColab()
    run_setup_cell(source, monkeypatch, on_colab=True, shell=shell)
    (repo / "notes.txt").write_text("a student's file")
    code = TransformerManager().transform_cell(source)
    exec(compile(code, "<setup cell>", "exec"), {"get_ipython": lambda: shell})
    clones = [c for kind, c in shell.calls if c.startswith("git clone")]
    assert len(clones) == 1
    assert sys.path.count(str(repo)) == 1
    assert (repo / "notes.txt").read_text() == "a student's file"


@pytest.mark.parametrize("leftover", ["empty folder", "partial clone", "partial temporary"])
def test_setup_cell_recovers_from_an_interrupted_clone(monkeypatch, tmp_path, leftover):
    source, repo = colab_source(tmp_path)
    if leftover == "empty folder":
        repo.mkdir()
    elif leftover == "partial clone":
        (repo / ".git").mkdir(parents=True)
        (repo / "README.md").write_text("half")
    else:
        (Path(f"{repo}.partial") / ".git").mkdir(parents=True)
    shell = run_setup_cell(source, monkeypatch, on_colab=True, shell=FakeColab())
    assert [c for kind, c in shell.calls if c.startswith("git clone")]
    assert (repo / "helpers" / "__init__.py").is_file()
    assert not (repo / "README.md").exists() and not Path(f"{repo}.partial").exists()


@pytest.mark.parametrize("outcome", ["offline", "interrupted"])
def test_setup_cell_stops_when_the_clone_fails(monkeypatch, tmp_path, outcome):
    source, repo = colab_source(tmp_path)
    shell = FakeColab(outcome)
    with pytest.raises(RuntimeError, match=r"git clone above failed.*run this cell again"):
        run_setup_cell(source, monkeypatch, on_colab=True, shell=shell)
    assert not repo.exists(), "a failed clone must not leave a folder that looks cloned"
    assert [kind for kind, _ in shell.calls] == ["!", "!="], "nothing runs after a failed clone"
    # the next run starts afresh and succeeds
    shell.outcome = "ok"
    code = TransformerManager().transform_cell(source)
    exec(compile(code, "<setup cell>", "exec"), {"get_ipython": lambda: shell})
    assert (repo / "helpers" / "__init__.py").is_file()


def test_setup_cell_reports_a_clone_without_helpers_as_such(monkeypatch, tmp_path):
    """A clone that worked, of a repository without helpers/ (a class copy of the notebooks
    alone), is not reported as a network failure: the message names the repository and what
    it lacks, nothing is installed, and no half folder is left behind."""
    source, repo = colab_source(tmp_path)
    shell = FakeColab("no helpers")
    with pytest.raises(RuntimeError) as caught:
        run_setup_cell(source, monkeypatch, on_colab=True, shell=shell)
    message = str(caught.value)
    assert colab.repo_url() in message and "no helpers/ folder" in message
    assert "internet" not in message
    assert not repo.exists() and not Path(f"{repo}.partial").exists()
    assert not any(kind.startswith("%") for kind, _ in shell.calls), "nothing installed"


def test_setup_cell_on_an_old_colab_says_so_and_offers_one_pip_line(monkeypatch, capsys, tmp_path):
    """Colab with TensorFlow 2.18 / Keras 3.8: the cell says so plainly and prints the one
    %pip line that fixes it, but installs nothing but COLAB_PIP (no silent upgrade)."""
    real = colab.installed_versions

    def old_colab(names):
        found = real(names)
        found.update(tensorflow=("2.18.0", "2.18.0"), keras=(None, "3.8.0"))
        return found

    monkeypatch.setattr(colab, "installed_versions", old_colab)
    source, _ = colab_source(tmp_path)
    shell = run_setup_cell(source, monkeypatch, on_colab=True, shell=FakeColab())
    assert [line for kind, line in shell.calls if kind == "%pip"] == [
        f"install -q {colab.COLAB_PIP}"
    ]
    out = capsys.readouterr().out
    ranges = colab.supported_range()
    assert "Running on Python" in out and "TensorFlow 2.18.0 · Keras 3.8.0" in out
    assert f"TensorFlow 2.18.0 is outside the supported range ({ranges['tensorflow']})" in out
    assert f"Keras 3.8.0 is outside the supported range ({ranges['keras']})" in out
    pins = requirement_lines(config.ROOT / "requirements.txt")
    fix = f'%pip install -q "{pins["tensorflow"]}" "{pins["keras"]}"'
    assert [line.strip() for line in out.splitlines() if "%pip" in line] == [fix]
    assert "Restart session" in out


def without_installed_helpers(monkeypatch):
    """Make ``import helpers`` fail as it does where the series is not installed."""
    monkeypatch.setattr(
        sys,
        "meta_path",
        [f for f in sys.meta_path if not getattr(f, "__module__", "").startswith("__editable")],
    )
    for name in [m for m in sys.modules if m == "helpers" or m.startswith("helpers.")]:
        monkeypatch.delitem(sys.modules, name)
    root = str(config.ROOT)
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p not in ("", ".", root)])


def test_setup_cell_outside_the_repository_says_what_to_do(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    without_installed_helpers(monkeypatch)
    with pytest.raises(ModuleNotFoundError) as caught:
        run_setup_cell(colab.setup_cell_source("08"), monkeypatch, on_colab=False)
    message = str(caught.value)
    assert "No module named 'helpers'" in message
    assert "notebooks/ folder" in message and "pip install -e ." in message
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_setup_cell_in_the_repository_imports_helpers_without_install(
    monkeypatch, tmp_path, capsys
):
    """Opened from a clone's notebooks/ folder without `pip install -e .`: the cell finds
    the repository's helpers (a stand-in package here) and puts its folder on sys.path once."""
    fake = tmp_path / "clone"
    (fake / "helpers").mkdir(parents=True)
    (fake / "notebooks").mkdir()
    (fake / "helpers" / "__init__.py").write_text(
        "def setup_notebook(number):\n    print('stand-in setup', number)\n"
    )
    (fake / "helpers" / "colab.py").write_text(
        "def check_versions():\n    print('stand-in versions')\n"
    )
    monkeypatch.chdir(fake / "notebooks")
    without_installed_helpers(monkeypatch)
    run_setup_cell(colab.setup_cell_source("08"), monkeypatch, on_colab=False)
    assert capsys.readouterr().out == "stand-in versions\nstand-in setup 08\n"
    assert sys.path.count(str(fake)) == 1


def test_setup_cell_in_a_clone_uses_its_own_helpers_even_when_another_copy_is_installed(
    monkeypatch, tmp_path, capsys
):
    """Two clones, one of them installed (``pip install -e .``): a notebook of the other clone
    must run on the helpers beside it, not on the installed clone's."""
    import importlib.util

    assert importlib.util.find_spec("helpers") is not None  # the real series is importable
    fake = tmp_path / "second_clone"
    (fake / "helpers").mkdir(parents=True)
    (fake / "notebooks").mkdir()
    (fake / "helpers" / "__init__.py").write_text(
        "def setup_notebook(number):\n    print('second clone', number)\n"
    )
    (fake / "helpers" / "colab.py").write_text("def check_versions():\n    pass\n")
    monkeypatch.chdir(fake / "notebooks")
    for name in [m for m in sys.modules if m == "helpers" or m.startswith("helpers.")]:
        monkeypatch.delitem(sys.modules, name)  # a fresh kernel: nothing imported yet
    run_setup_cell(colab.setup_cell_source("06"), monkeypatch, on_colab=False)
    assert capsys.readouterr().out == "second clone 06\n"
    assert sys.modules["helpers"].__file__ == str(fake / "helpers" / "__init__.py")
    assert sys.path[0] == str(fake)


def test_check_versions_names_the_problem_and_the_fix(capsys):
    ranges = colab.supported_range()
    good = {name: (None, "99") for name in ranges if name != "python"}
    good |= dict(tensorflow=(None, "2.21.0"), keras=(None, "3.15.1"), numpy=(None, "2.4.6"))
    for name in good:
        if name not in ("tensorflow", "keras", "numpy"):
            floor = ranges[name].split(",")[0].removeprefix(">=")
            good[name] = (None, floor)
    assert colab.check_versions(good, python="3.12.1") == []
    out = capsys.readouterr().out
    assert (
        out
        == "Running on Python 3.12.1 · TensorFlow 2.21.0 · Keras 3.15.1 · NumPy 2.4.6 (supported)\n"
    )

    too_new = good | {"tensorflow": ("2.22.0", "2.22.0")}
    (problem,) = colab.check_versions(too_new, python="3.12.1")
    assert "TensorFlow 2.22.0 is outside the supported range" in problem
    assert "%pip install -q" in capsys.readouterr().out

    restarted = good | {"numpy": ("2.0.2", "2.4.6")}
    (problem,) = colab.check_versions(restarted, python="3.12.1")
    assert "2.4.6 is installed but this session still runs 2.0.2" in problem
    assert "%pip" not in capsys.readouterr().out  # a restart fixes it, not an install

    old_python = colab.check_versions(good, python="3.10.12")
    assert old_python == [f"Python 3.10.12 is outside the supported range ({ranges['python']})."]


def test_setup_cell_never_mounts_drive():
    source = colab.setup_cell_source("08")
    assert "drive" not in source.lower()
    assert "mount" not in source


# --------------------------------------------------------------------------- the notebooks


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_badge_and_setup_cell_are_generated(path):
    nb = nbformat.read(path, as_version=4)
    changes = colab.expected_changes(nb, path)
    assert changes == [], (
        f"{path.name}: {', '.join(changes)} out of date: run `python -m helpers.colab --write` "
        "and commit the notebooks (it rewrites only their badge line and setup cell)"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_badge_at_top_and_setup_is_first_code_cell(path):
    nb = nbformat.read(path, as_version=4)
    first = nb.cells[0]
    assert first.cell_type == "markdown", f"{path.name}: the first cell must be the title"
    lines = first.source.splitlines()
    assert colab.badge_markdown(path) in lines[:3], f"{path.name}: badge not under the title"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert "setup" in code[0].metadata.get("tags", []), (
        f"{path.name}: the first code cell must be the setup cell (tagged 'setup')"
    )
    for cell in nb.cells:
        text = cell.source.lower()
        assert "drive.mount" not in text and "from google.colab import drive" not in text, (
            f"{path.name}: mounts Google Drive; the series never needs it"
        )


def test_readme_has_a_badge_for_every_notebook():
    problems = colab.readme_problems()
    assert problems == [], "\n".join(problems)


def test_readme_problems_detects_missing_and_foreign_badges():
    if not NOTEBOOKS:
        pytest.skip("no notebooks yet")
    good = "\n".join(colab.badge_markdown(p) for p in NOTEBOOKS)
    assert colab.readme_problems(good) == []
    missing = "\n".join(colab.badge_markdown(p) for p in NOTEBOOKS[1:])
    assert any(NOTEBOOKS[0].name in p for p in colab.readme_problems(missing))
    foreign = good + "\n(https://colab.research.google.com/github/someone/else/blob/main/x.ipynb)"
    assert any("someone/else" in p for p in colab.readme_problems(foreign))


def test_check_command_passes():
    assert colab.main(["--check"]) == 0, "run `python -m helpers.colab --write`"


# --------------------------------------------------------------------------- collapsed setup cell


def test_setup_cell_source_opens_with_a_one_line_colab_form_title():
    source = colab.setup_cell_source("07")
    first, second = source.splitlines()[:2]
    assert first == colab.SETUP_TITLE
    assert re.fullmatch(r"# ?@title [^\n]{10,100}", first), first  # Colab's form title syntax
    assert "run" in first.lower() and "setup" in first.lower(), "say what the cell does"
    assert "@title" not in second, "one title line only"


def test_write_collapses_the_setup_cell_and_check_notices_when_it_is_not(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# 09 · Test\n\n" + colab.badge_markdown("09_test.ipynb")),
        nbformat.v4.new_code_cell(colab.setup_cell_source("09"), metadata={"tags": ["setup"]}),
    ]
    path = tmp_path / "09_test.ipynb"
    assert colab.expected_changes(nb, path) == ["setup cell metadata (collapsed)"]
    meta = nb.cells[1].metadata
    assert meta["jupyter"]["source_hidden"] is True and meta["cellView"] == "form"
    assert meta["tags"] == ["setup"], "other metadata is kept"
    nbformat.validate(nb)
    assert colab.expected_changes(nb, path) == []
    meta["jupyter"]["source_hidden"] = False  # someone expanded it and saved
    assert colab.expected_changes(nb, path) == ["setup cell metadata (collapsed)"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_setup_cell_is_collapsed_in_jupyterlab_and_colab(path):
    nb = nbformat.read(path, as_version=4)
    (setup,) = [c for c in nb.cells if colab.SETUP_TAG in c.metadata.get("tags", [])]
    assert setup.source.splitlines()[0].startswith("# @title "), (
        f"{path.name}: the setup cell's first line should be its Colab form title: run "
        "`python -m helpers.colab --write`"
    )
    assert setup.metadata.get("jupyter", {}).get("source_hidden") is True, (
        f"{path.name}: the setup cell is not collapsed in JupyterLab (metadata "
        "jupyter.source_hidden): run `python -m helpers.colab --write`"
    )
    assert setup.metadata.get("cellView") == "form", (
        f"{path.name}: the setup cell is not in Colab's form view (metadata cellView: form)"
    )
