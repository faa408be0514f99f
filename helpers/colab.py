"""Open-in-Colab badges and the setup cell of every notebook, generated from one URL.

The repository URL is written once, in ``pyproject.toml`` (``[project.urls] Repository``).
``python -m helpers.colab --write`` rewrites each notebook's badge line (in its first
markdown cell) and its setup cell (the code cell tagged ``setup``) from it;
``python -m helpers.colab --check`` (and the hygiene tests) fail when one is out of date.
"""

from __future__ import annotations

import argparse
import platform
import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

from helpers import config

#: The setup cell's first line: a Colab form title (``# @title``, the spelling Colab itself
#: writes and ``ruff format`` keeps; Colab also reads ``#@title``), so Colab's form view shows
#: this one line instead of the code; JupyterLab hides the code by the cell metadata
#: :data:`SETUP_METADATA` (Notebook 7 and VS Code ignore it and show the code).
SETUP_TITLE = (
    "# @title Setup (run me first): fetch the series on Colab, check versions, set the seed"
)
#: Cell metadata of the setup cell: JupyterLab's collapsed input (``jupyter.source_hidden``)
#: and Colab's form view (``cellView: form``, the code hidden behind the ``# @title``).
SETUP_METADATA = {"jupyter": {"source_hidden": True}, "cellView": "form"}
BADGE_RE = re.compile(r"^\[!\[Open In Colab\]\(.*?\)\]\(.*?\)[ \t]*$", re.MULTILINE)
SETUP_TAG = "setup"
#: What the setup cell installs on Colab, as shell words for ``%pip install -q``: every
#: package the series needs beyond Colab's usual stack, each asked for at a floor that
#: Colab's current runtime already meets (constraints/colab.txt, from Colab's published
#: pip freeze; tests/test_colab.py checks it), so on today's Colab it installs nothing and
#: upgrades nothing under a running session; on a runtime that lacks one it installs it.
#: mlxtend: the offline fallback data (the supported floor). anywidget: the drawing pad,
#: which works with Colab's anywidget 0.9 (tests/test_pad_browser.py runs on the CI end
#: "Colab now" with anywidget 0.9.21).
COLAB_PIP = '"mlxtend>=0.23.4" "anywidget>=0.9.21"'

#: How the version report names each distribution, and the module it imports as.
DISPLAY = {
    "tensorflow": "TensorFlow",
    "keras": "Keras",
    "numpy": "NumPy",
    "scikit-learn": "scikit-learn",
    "matplotlib": "matplotlib",
    "scipy": "SciPy",
    "pandas": "pandas",
    "seaborn": "seaborn",
    "pillow": "Pillow",
    "tqdm": "tqdm",
    "mlxtend": "mlxtend",
}
MODULE = {"scikit-learn": "sklearn", "pillow": "PIL"}
#: The versions the setup cell always prints (the others only when out of range).
SHOWN = ("tensorflow", "keras", "numpy")
RESTART = "restart the session (on Colab: Runtime > Restart session) and run this cell again"


def repo_url() -> str:
    """The repository URL from pyproject.toml, without a trailing slash or .git."""
    with open(config.ROOT / "pyproject.toml", "rb") as fh:
        url = tomllib.load(fh)["project"]["urls"]["Repository"]
    return url.rstrip("/").removesuffix(".git")


def repo_name() -> str:
    return repo_url().rsplit("/", 1)[-1]


def badge_markdown(notebook: str | Path, branch: str = "main") -> str:
    """The Open-in-Colab badge for ``notebooks/<name>.ipynb``."""
    name = Path(notebook).name
    slug = repo_url().removeprefix("https://github.com/")
    target = f"https://colab.research.google.com/github/{slug}/blob/{branch}/notebooks/{name}"
    return f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({target})"


def image_url(name: str, branch: str = "main") -> str:
    """Absolute raw GitHub URL of ``img/<name>``: renders on GitHub and on Colab alike.

    A notebook's markdown may show a repository image only through this URL (a relative
    ``../img/...`` link is broken on Colab, which opens the notebook without the repository).
    """
    slug = repo_url().removeprefix("https://github.com/")
    return f"https://raw.githubusercontent.com/{slug}/{branch}/img/{name}"


def setup_cell_source(number: str) -> str:
    """The first code cell of notebook ``number``: Colab set-up, versions, seeds, style.

    On Colab it clones the repository into a temporary folder and moves it into place only
    when the clone is complete (a folder left by an interrupted clone is removed and cloned
    again; a failed clone stops with a clear error), installs :data:`COLAB_PIP`, and makes
    ``helpers`` importable without duplicate ``sys.path`` entries. Elsewhere it imports the
    ``helpers`` of the repository the notebook sits in (put first on ``sys.path``, so that
    another installed copy, say an editable install of a second clone, is not used
    instead), an installed copy when the notebook is outside a repository, and says what to
    do when there is neither. Then it reports the library versions (:func:`check_versions`).
    """
    url, name = repo_url(), repo_name()
    folder = f"/content/{name}"
    return f'''{SETUP_TITLE}
# Run this cell first. On Google Colab it fetches the series; everywhere it checks the
# library versions, sets the seed and the figure style. (Generated by helpers/colab.py.)
import os
import sys

if "google.colab" in sys.modules:
    import shutil

    repo = "{folder}"
    if not os.path.isfile(repo + "/helpers/__init__.py"):  # not yet cloned, or interrupted
        shutil.rmtree(repo, ignore_errors=True)
        shutil.rmtree(repo + ".partial", ignore_errors=True)
        !git clone --depth 1 {url} {folder}.partial --quiet
        # the top-level names of the commit fetched (empty when the clone failed)
        cloned = !git -C {{repo}}.partial ls-tree --name-only HEAD 2>/dev/null
        if cloned and "helpers" not in cloned:
            shutil.rmtree(repo + ".partial", ignore_errors=True)
            raise RuntimeError(
                "{url} was cloned, but it has no helpers/ folder: this notebook needs a "
                "repository of the series with its helpers/ (a class copy of the notebooks "
                "must include helpers/ too). Ask your teacher for the right link."
            )
        if not os.path.isfile(repo + ".partial/helpers/__init__.py"):
            raise RuntimeError(
                "The git clone above failed (its message is above): check this runtime's "
                "internet connection, then run this cell again."
            )
        os.rename(repo + ".partial", repo)
    %pip install -q {COLAB_PIP}
    if repo not in sys.path:
        sys.path.insert(0, repo)
    os.chdir("{folder}/notebooks")
elif os.path.isfile("../helpers/__init__.py"):
    # in a clone: the helpers beside this notebook come first, even if another copy is installed
    if os.path.abspath("..") not in sys.path:
        sys.path.insert(0, os.path.abspath(".."))

try:
    import helpers
except ModuleNotFoundError as error:
    raise ModuleNotFoundError(
        f"{{error}}. Open this notebook from the notebooks/ folder of the series' "
        "repository, or install the repository (`pip install -e .` in its folder) "
        "and restart the kernel."
    ) from None
import helpers.colab

helpers.colab.check_versions()
helpers.setup_notebook("{number}")'''


# --------------------------------------------------------------------------- versions


def supported_range() -> dict[str, str]:
    """The supported version range of Python and of each dependency, e.g. ``">=2.19,<2.22"``.

    Read from ``pyproject.toml`` (the one place the range is written); from the installed
    package's metadata when the helpers are installed without the repository.
    """
    from packaging.requirements import Requirement

    path = config.ROOT / "pyproject.toml"
    if path.is_file():
        with open(path, "rb") as fh:
            project = tomllib.load(fh)["project"]
        python, lines = project["requires-python"], project["dependencies"]
    else:  # pragma: no cover - an installed copy without the repository
        meta = metadata.metadata("mnist-nn-series")
        python, lines = meta["Requires-Python"], metadata.requires("mnist-nn-series") or []
    found = {"python": python}
    for line in lines:
        requirement = Requirement(line)
        if requirement.marker is None:
            found[requirement.name.lower()] = str(requirement.specifier)
    return found


def installed_versions(names) -> dict[str, tuple[str | None, str | None]]:
    """For each distribution: (the version this session has loaded, the version installed).

    The loaded version is ``None`` until the module is imported; after a ``%pip install``
    without a restart the two differ.
    """
    found = {}
    for name in names:
        module = sys.modules.get(MODULE.get(name, name))
        loaded = getattr(module, "__version__", None) if module else None
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed = None
        found[name] = (loaded, installed)
    return found


def _requirement_pins() -> dict[str, str]:
    path = config.ROOT / "requirements.txt"
    if not path.is_file():  # pragma: no cover - an installed copy without the repository
        return {}
    pins = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            pins[re.split(r"[\s~=<>!\[;]", line, maxsplit=1)[0].lower()] = line
    return pins


def check_versions(versions=None, python: str | None = None) -> list[str]:
    """Print the versions this session runs on; say plainly what is outside the supported range.

    For a library outside the range, print the one ``%pip install`` line that fixes it
    (requirements.txt's tested pin) and that a restart is needed; nothing is installed here,
    because upgrading a library a running session has imported needs a restart on Colab.
    ``versions`` ({name: (loaded, installed)}) and ``python`` replace what this session has
    (for tests). Returns the problems found (empty when everything is in range).
    """
    from packaging.specifiers import SpecifierSet

    ranges = supported_range()
    names = [n for n in DISPLAY if n in ranges]
    versions = installed_versions(names) if versions is None else versions
    python = python or platform.python_version()
    shown = [f"Python {python}"]
    problems, fixes = [], []
    if not SpecifierSet(ranges["python"]).contains(python):
        problems.append(f"Python {python} is outside the supported range ({ranges['python']}).")
    for name in names:
        loaded, installed = versions.get(name, (None, None))
        running = loaded or installed
        label = DISPLAY[name]
        if name in SHOWN:
            shown.append(f"{label} {running or 'not installed'}")
        if running is None:
            problems.append(f"{label} is not installed (supported: {ranges[name]}).")
            fixes.append(name)
        elif not SpecifierSet(ranges[name]).contains(running, prereleases=True):
            problems.append(
                f"{label} {running} is outside the supported range ({ranges[name]}): "
                "some cells may fail or print something else than the committed notebook."
            )
            fixes.append(name)
        elif loaded and installed and loaded != installed:
            problems.append(
                f"{label} {installed} is installed but this session still runs {loaded}: {RESTART}."
            )
    print("Running on " + " · ".join(shown) + ("" if problems else " (supported)"))
    for problem in problems:
        print("Version problem: " + problem)
    if fixes:
        pins = _requirement_pins()
        words = " ".join(f'"{pins.get(n, n + ranges[n])}"' for n in fixes)
        print(f"To fix it, run this line in a new cell, then {RESTART}:")
        print(f"    %pip install -q {words}")
    return problems


def notebook_number(path: str | Path) -> str:
    stem = Path(path).stem
    number = stem[:2]
    if not number.isdigit():
        raise ValueError(f"notebook file names start with two digits (NN_topic), got {stem!r}.")
    return number


def expected_changes(nb, path: Path) -> list[str]:
    """Apply the badge and setup cell to ``nb`` in place; return what had to change."""
    changes = []
    markdown = [c for c in nb.cells if c.cell_type == "markdown"]
    if not markdown:
        raise ValueError(f"{path.name}: no markdown cell for the title and badge.")
    first = markdown[0]
    badge = badge_markdown(path)
    if BADGE_RE.search(first.source):
        new = BADGE_RE.sub(badge, first.source, count=1)
    else:
        lines = first.source.split("\n")
        new = "\n".join([lines[0], "", badge, *lines[1:]])
    if new != first.source:
        changes.append("badge")
        first.source = new
    setup = [c for c in nb.cells if SETUP_TAG in c.get("metadata", {}).get("tags", [])]
    if len(setup) != 1:
        raise ValueError(
            f"{path.name}: expected exactly one code cell tagged {SETUP_TAG!r}, found {len(setup)}."
        )
    source = setup_cell_source(notebook_number(path))
    if setup[0].source != source:
        changes.append("setup cell")
        setup[0].source = source
    metadata = setup[0].setdefault("metadata", {})
    if any(_missing(metadata, key, value) for key, value in SETUP_METADATA.items()):
        changes.append("setup cell metadata (collapsed)")
        for key, value in SETUP_METADATA.items():
            if isinstance(value, dict):
                metadata.setdefault(key, {}).update(value)
            else:
                metadata[key] = value
    return changes


def _missing(metadata, key, value) -> bool:
    """Whether ``metadata[key]`` lacks ``value`` (for a dict: any of its items)."""
    if isinstance(value, dict):
        found = metadata.get(key, {})
        return not isinstance(found, dict) or any(found.get(k) != v for k, v in value.items())
    return metadata.get(key) != value


COLAB_LINK_RE = re.compile(r"https://colab\.research\.google\.com/github/[^)\s\"'>]+")


def readme_problems(readme: str | None = None) -> list[str]:
    """What is wrong with README's Open-in-Colab badges (README is written by hand).

    Every notebook needs its badge in README's notebook table, and every Colab link in
    README must be the one :func:`badge_markdown` generates for an existing notebook.
    """
    if readme is None:
        readme = (config.ROOT / "README.md").read_text(encoding="utf-8")
    paths = sorted(config.NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))
    problems = []
    for path in paths:
        if badge_markdown(path) not in readme:
            problems.append(
                f"README.md: no Open-in-Colab badge for {path.name}: add {badge_markdown(path)}"
            )
    targets = {badge_markdown(p).rsplit("(", 1)[-1].rstrip(")") for p in paths}
    for link in COLAB_LINK_RE.findall(readme):
        if link not in targets:
            problems.append(
                f"README.md: Colab link {link} matches no notebook and this repository URL"
            )
    return problems


def main(argv=None) -> int:
    import nbformat

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true", help="update notebooks in place")
    mode.add_argument("--check", action="store_true", help="fail if any notebook is stale")
    args = parser.parse_args(argv)
    stale = []
    for path in sorted(config.NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        changes = expected_changes(nb, path)
        if changes:
            stale.append(f"{path.name}: {', '.join(changes)}")
            if args.write:
                nbformat.write(nb, path)
    for line in stale:
        print(("updated " if args.write else "stale ") + line)
    readme = readme_problems()
    for line in readme:  # README is written by hand: reported, never rewritten
        print(line)
    if args.check and not (stale or readme):
        print("badges and setup cells are up to date")
    return 1 if (args.check and (stale or readme)) else 0


if __name__ == "__main__":
    sys.exit(main())
