"""Colab support: badges and setup cells generated from the one repository URL, and a
setup cell that does the right thing on Colab and nothing but imports elsewhere."""

from __future__ import annotations

import os
import re
import sys
import tomllib
import types

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
    badge = colab.badge_markdown("notebooks/07_architecture_comparison.ipynb")
    slug = colab.repo_url().removeprefix("https://github.com/")
    assert badge == (
        "[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
        f"(https://colab.research.google.com/github/{slug}/blob/main/notebooks/"
        "07_architecture_comparison.ipynb)"
    )
    assert colab.BADGE_RE.fullmatch(badge)


def test_image_url_is_absolute_raw_github():
    slug = colab.repo_url().removeprefix("https://github.com/")
    assert colab.image_url("07_x.png") == (
        f"https://raw.githubusercontent.com/{slug}/main/img/07_x.png"
    )


def test_notebook_number_rejects_unnumbered_names():
    assert colab.notebook_number("notebooks/04_backprop.ipynb") == "04"
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
    assert sorted(colab.expected_changes(nb, path)) == ["badge", "setup cell"]
    assert nb.cells[0].source.splitlines()[:3] == ["# 09 · Test", "", colab.badge_markdown(path)]
    assert nb.cells[1].source == colab.setup_cell_source("09")
    assert colab.expected_changes(nb, path) == []  # idempotent


def test_setup_cell_must_be_tagged_exactly_once(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# 09 · T"), nbformat.v4.new_code_cell("x = 1")]
    with pytest.raises(ValueError, match="exactly one code cell tagged"):
        colab.expected_changes(nb, tmp_path / "09_t.ipynb")


def test_colab_pins_match_requirements():
    """What the setup cell installs on Colab is pinned exactly as requirements.txt pins it."""
    requirements = {
        line.split("~=")[0].split("==")[0].strip().lower(): line.strip()
        for line in (config.ROOT / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    for requirement in colab.COLAB_PIP.split():
        assert re.search(r"(~=|==)\d", requirement), f"{requirement!r} is not pinned"
        name = re.split(r"[~=<>]", requirement)[0].lower()
        assert requirements.get(name) == requirement, (
            f"setup cell installs {requirement!r}; requirements.txt has {requirements.get(name)!r}"
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

    def run_cell_magic(self, magic, line, cell):  # pragma: no cover - fails the test below
        self.calls.append(("%%" + magic, line))


def run_setup_cell(source: str, monkeypatch, on_colab: bool) -> FakeIPython:
    """Execute the setup cell the way IPython would, with Colab present or absent."""
    code = TransformerManager().transform_cell(source)
    shell = FakeIPython()
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


def test_setup_cell_locally_only_imports(monkeypatch, capsys):
    before = list(sys.path)
    shell = run_setup_cell(colab.setup_cell_source("07"), monkeypatch, on_colab=False)
    assert shell.calls == [], f"the setup cell ran {shell.calls} outside Colab"
    assert shell.chdirs == []
    assert sys.path == before
    assert "Notebook 07 | mode:" in capsys.readouterr().out


def test_setup_cell_on_colab_clones_installs_pinned_and_seeds(monkeypatch, capsys):
    import numpy as np

    shell = run_setup_cell(colab.setup_cell_source("07"), monkeypatch, on_colab=True)
    folder = f"/content/{colab.repo_name()}"
    commands = shell.calls
    clones = [c for kind, c in commands if kind == "!" and c.startswith("git clone")]
    if os.path.isdir(folder):  # pragma: no cover - only on a real Colab
        assert clones == []
    else:
        assert clones == [f"git clone --depth 1 {colab.repo_url()} {folder}"]
    pips = [line for kind, line in commands if kind == "%pip"]
    assert pips == [f"install -q {colab.COLAB_PIP}"]
    assert folder in sys.path
    assert shell.chdirs == [f"{folder}/notebooks"]
    assert "Notebook 07 | mode:" in capsys.readouterr().out
    # the seed was set: NumPy's global generator is at the seed's first draw
    first = np.random.rand()
    np.random.seed(config.SEED)
    assert first == np.random.rand()


def test_setup_cell_never_mounts_drive():
    source = colab.setup_cell_source("07")
    assert "drive" not in source.lower()
    assert "mount" not in source


# --------------------------------------------------------------------------- the notebooks


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_badge_and_setup_cell_are_generated(path):
    nb = nbformat.read(path, as_version=4)
    changes = colab.expected_changes(nb, path)
    assert changes == [], (
        f"{path.name}: {', '.join(changes)} out of date: run `python -m helpers.colab --write`"
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
