"""A full disk never destroys a file: every writer of the runner, the results, the figures
and the model sidecars writes a temporary file in the same folder and renames it into place.

Each case runs the writer in a subprocess whose file-size limit (``RLIMIT_FSIZE``) is far
below what it writes, as a full disk would stop it, and checks that the old file is intact
byte for byte and that no temporary file is left behind.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from helpers import config

resource = pytest.importorskip("resource")  # POSIX only

LIMIT = 8192  # bytes: every writer below writes more than this

PRELUDE = """
import resource, signal, sys
from pathlib import Path
sys.path.insert(0, {root!r})
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit raises OSError(EFBIG)
target = Path({target!r})
def limited():
    resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, {limit}))
"""

WRITERS = {
    "results.write_atomic": """
from helpers import results
limited()
results.write_atomic(target, "x" * 100_000)
""",
    "run.write_notebook": """
import nbformat
from helpers import run
nb = nbformat.v4.new_notebook()
nb.cells = [nbformat.v4.new_code_cell("x = 1"), nbformat.v4.new_markdown_cell("y" * 100_000)]
limited()
run.write_notebook(nb, target)
""",
    "run.record (series_*.json)": """
from helpers import run
names = [p.name for p in run.notebooks()]
results = [run.Result(n, 1.0, 1.0, "ok" + " " * 20_000, 3, "t", 0.1) for n in names]
limited()
run.record(results, fast=True, path=target)
""",
    "run._restore (a file put back)": """
from helpers import run
run.KEPT_DIR = target.parent / "kept"
before = {target: b"z" * 100_000}
limited()
run._restore(before, [target.parent])
""",
    "results.record": """
import os
from helpers import config, data, results
config.RESULTS_DIR = target.parent
config.ROOT = target.parent  # the scratch folder too
os.environ["MNIST_FAST"] = "0"
data.last_source = data.DataSource("file", None, "full")
data.last_source.__class__.is_full = property(lambda self: True)
limited()
results.record(target.stem, [dict(quantity="q", value=1, note="n" * 100_000)])
""",
    "plots.save_fig": """
import os
os.environ["MNIST_FAST"] = "0"
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from helpers import config, data, plots
config.IMG_DIR = target.parent
plots.figure_dir = lambda: target.parent
plots._notebook = "99"
fig = plt.figure(figsize=(8, 8))
plt.imshow(np.random.default_rng(0).random((200, 200)))
limited()
plots.save_fig("x", fig)
""",
    "compare.save_results (architectures.json)": """
import numpy as np
import pandas as pd
from types import SimpleNamespace
from helpers import compare
compare.results_file = lambda full_run: target
labels = np.arange(10) % 10
split = SimpleNamespace(describe=lambda: "a split", y_val=labels, y_test=labels)
runs = pd.DataFrame([{"name": "m", "note": "n" * 100_000}])
limited()
compare.save_results(runs, compare.protocol(), split, True, 1.0)
""",
    "modelio sidecar": """
from helpers import modelio
limited()
modelio._write_text_atomically(target, "s" * 100_000)
""",
}

TARGETS = {
    "run.record (series_*.json)": "series_fast.json",
    "results.record": "x.json",
    "plots.save_fig": "99_x.png",
}


@pytest.mark.parametrize("writer", list(WRITERS))
def test_a_full_disk_leaves_the_old_file_intact(writer, tmp_path):
    target = tmp_path / TARGETS.get(writer, "file.txt")
    old = b"the old, good content\n" * 10
    target.write_bytes(old)
    script = PRELUDE.format(root=str(config.ROOT), target=str(target), limit=LIMIT)
    script += textwrap.dedent(WRITERS[writer])
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=300
    )
    assert done.returncode != 0, f"{writer} wrote past the limit?\n{done.stderr[-2000:]}"
    assert "File too large" in done.stderr or "EFBIG" in done.stderr, done.stderr[-2000:]
    assert target.read_bytes() == old, f"{writer} damaged the old file"
    left = [p.name for p in tmp_path.iterdir() if p.name != target.name and p.name != "kept"]
    assert left == [], f"{writer} left temporary files: {left}"


def test_the_old_way_loses_the_file(tmp_path):
    """The check above can fail: a plain in-place write under the same limit truncates."""
    target = tmp_path / "file.txt"
    old = b"the old, good content\n" * 10
    target.write_bytes(old)
    script = PRELUDE.format(root=str(config.ROOT), target=str(target), limit=LIMIT)
    script += "limited()\ntarget.write_text('x' * 100_000)\n"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode != 0 and target.read_bytes() != old
