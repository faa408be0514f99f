"""python -m helpers.run: a failed notebook loses nothing, and says where it failed.

The notebooks here are tiny and plain Python (no helpers import, so a kernel starts fast);
they write files the way plots.save_fig and results.record do, through
``results.staged``, plus one file written behind the runner's back.
"""

from __future__ import annotations

import json
import os

import nbformat
import pytest

from helpers import config, results, run


def notebook(path, *cells):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) for src in cells]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)
    return path


STAGED_WRITE = """
import os, pathlib
stage = pathlib.Path(os.environ["MNIST_STAGING_DIR"])
target = stage / {rel!r}
target.parent.mkdir(parents=True, exist_ok=True)
target.write_text("new figure")
"""


@pytest.fixture
def scratch_target():
    """A file inside the repository (git-ignored scratch) that a test notebook writes."""
    rel = f"benchmarks/scratch/test_run_{__import__('os').getpid()}.txt"
    target = config.ROOT / rel
    target.unlink(missing_ok=True)
    yield rel, target
    target.unlink(missing_ok=True)


def test_a_failing_notebook_changes_nothing_and_says_where(
    tmp_path, scratch_target, monkeypatch, capsys
):
    rel, target = scratch_target
    monkeypatch.setattr(run, "KEPT_DIR", tmp_path / "kept")
    monkeypatch.setattr(run, "FAILED_DIR", tmp_path / "failed")
    protected = tmp_path / "results"
    protected.mkdir()
    good = protected / "series.json"
    good.write_text('{"good": true}')
    nb_path = notebook(
        tmp_path / "01_fails.ipynb",
        STAGED_WRITE.format(rel=rel),
        f"open({str(good)!r}, 'w').write('half-written')\n"
        f"open({str(protected / 'new.json')!r}, 'w').write('{{}}')",
        "x = 1",
        "print('line', 1)\nprint('line', 2)\nraise ValueError('\\x1b[31mthe pipeline broke\\x1b[0m')",
        "y = 2",
    )
    before = nb_path.read_bytes()
    result = run.execute(nb_path, write=True, timeout=120, protected=[protected])
    # the whole story is printed: the cell's source, what it printed, the whole traceback
    err = capsys.readouterr().err
    assert "--- cell 4 of 5, its source:\nprint('line', 1)" in err
    assert "line 1\nline 2" in err and "----> 3 raise ValueError" in err
    assert "ValueError: the pipeline broke" in err and "\x1b" not in err
    # and the executed copy is kept to open (git-ignored), the notebook itself untouched
    copy = nbformat.read(tmp_path / "failed" / "01_fails.ipynb", as_version=4)
    assert copy.cells[3].outputs[-1]["output_type"] == "error"
    assert result.status.startswith("FAILED at cell 4 of 5")
    assert "ValueError: the pipeline broke" in result.status
    assert "\x1b" not in result.status  # no terminal colour codes in tables or JSON
    assert nb_path.read_bytes() == before  # the notebook is not rewritten
    assert not target.exists()  # the staged figure was not published
    assert good.read_text() == '{"good": true}'  # put back as it was
    assert sorted(p.name for p in protected.iterdir()) == ["series.json"]
    assert not run.staging_dir(nb_path).exists()
    # nothing is lost: what was put back or removed is kept (another process may have written it)
    kept = {p.name: p.read_text() for p in (tmp_path / "kept").rglob("*") if p.is_file()}
    assert kept == {"series.json": "half-written", "new.json": "{}"}


def test_a_good_notebook_publishes_and_is_written_as_jupyterlab_would(tmp_path, scratch_target):
    rel, target = scratch_target
    nb_path = notebook(
        tmp_path / "02_works.ipynb",
        STAGED_WRITE.format(rel=rel),
        "print(6 * 7)",
        "# a comment first\nimport time\ntime.sleep(1.0)",
    )
    result = run.execute(nb_path, write=True, timeout=120, protected=[])
    assert result.status == "ok"
    # where the time went: every code cell timed, the longest first, named by its first line
    assert len(result.slowest_cells) == 3
    slowest = result.slowest_cells[0]
    assert slowest["cell"] == 3 and slowest["first_line"] == "import time"
    assert slowest["seconds"] >= 1.0  # it slept 1 s
    assert target.read_text() == "new figure"
    nb = nbformat.read(nb_path, as_version=4)
    assert nb.metadata["kernelspec"] == run.KERNELSPEC
    assert nb.metadata["kernelspec"]["display_name"] == "Python 3 (ipykernel)"
    assert all("execution" not in c.metadata for c in nb.cells)  # no timing metadata
    assert nb.cells[1].outputs[0]["text"] == "42\n"


def test_record_keeps_the_good_entry_when_a_notebook_failed(tmp_path, monkeypatch):
    names = [p.name for p in run.notebooks()]
    path = tmp_path / "series_full.json"

    def result(name, status):
        return run.Result(name, 12.0, 100.0, status, 3, "2026-01-01T00:00:00+00:00", 0.5)

    run.record([result(names[0], "ok")], fast=False, path=path)
    before = path.read_text()
    monkeypatch.setenv("MNIST_FAST", os.environ.get("MNIST_FAST", ""))  # main() changes it
    monkeypatch.setattr(run, "results_path", lambda fast: path)
    monkeypatch.setattr(run, "execute", lambda *a, **k: result(names[0], "FAILED at cell 2"))
    assert run.main([names[0][:2]]) == 1
    assert path.read_text() == before  # the last good measurement stays
    monkeypatch.setattr(run, "execute", lambda *a, **k: result(names[0], "ok"))
    assert run.main([names[0][:2]]) == 0
    assert json.loads(path.read_text())["notebooks"][names[0]]["status"] == "ok"


def test_staged_paths_only_while_the_runner_runs(tmp_path, monkeypatch):
    inside = config.RESULTS_DIR / "x.json"
    monkeypatch.delenv(results.STAGING_ENV, raising=False)
    assert results.staged(inside) == inside
    monkeypatch.setenv(results.STAGING_ENV, str(tmp_path))
    assert results.staged(inside) == tmp_path / "benchmarks" / "results" / "x.json"
    assert (tmp_path / "benchmarks" / "results").is_dir()
    outside = tmp_path.parent / "elsewhere.json"
    assert results.staged(outside) == outside


def test_record_and_save_fig_write_to_the_staging_folder(tmp_path, monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from helpers import data, plots

    monkeypatch.setenv(results.STAGING_ENV, str(tmp_path))
    monkeypatch.setattr(data, "last_source", data.DataSource("file", None, "full"))
    monkeypatch.setattr(config, "is_fast", lambda: False)
    monkeypatch.setattr(plots, "_notebook", "99")
    fig = plt.figure()
    returned = plots.save_fig("staging_check", fig)
    plt.close(fig)
    assert returned == config.IMG_DIR / "99_staging_check.png" and not returned.exists()
    assert (tmp_path / "img" / "99_staging_check.png").is_file()
    path = results.record("staging_check", [{"quantity": "q", "value": 1}])
    assert path == config.RESULTS_DIR / "staging_check.json" and not path.exists()
    assert (tmp_path / "benchmarks" / "results" / "staging_check.json").is_file()


def test_strip_ansi():
    assert run.strip_ansi("\x1b[0;31mValueError\x1b[0m: bad") == "ValueError: bad"


def test_importing_helpers_in_a_notebook_quiets_tensorflow(tmp_path, monkeypatch):
    """A student who skips the setup cell: the first helpers import quiets TensorFlow."""
    for name in ("TF_CPP_MIN_LOG_LEVEL", "TF_ENABLE_ONEDNN_OPTS"):
        monkeypatch.delenv(name, raising=False)  # the kernel inherits this environment
    nb_path = notebook(
        tmp_path / "03_no_setup.ipynb",
        "import os\nprint(os.environ.get('TF_CPP_MIN_LOG_LEVEL'))",
        "from helpers import data",
        "import keras\nimport tensorflow as tf\nprint(int(tf.constant(41) + 1))",
    )
    result = run.execute(nb_path, write=True, timeout=300, protected=[])
    assert result.status == "ok"
    cells = nbformat.read(nb_path, as_version=4).cells
    assert [o.get("text") for o in cells[0].outputs] == ["None\n"]  # really not quieted before
    assert cells[1].outputs == []
    assert [(o["name"], o["text"]) for o in cells[2].outputs] == [("stdout", "42\n")]


def test_normalise_only_touches_metadata(tmp_path):
    nb_path = notebook(tmp_path / "05_meta.ipynb", "print(1)")
    nb = nbformat.read(nb_path, as_version=4)
    nb.cells[0].metadata["execution"] = {"iopub.status.busy": "2026-11-21T07:10:23.129219Z"}
    nb.cells[0].metadata["tags"] = ["keep"]
    nb.cells[0].outputs = [nbformat.v4.new_output("stream", name="stdout", text="1\n")]
    nbformat.write(nb, nb_path)
    run.normalise_files([nb_path])
    again = nbformat.read(nb_path, as_version=4)
    assert again.metadata["kernelspec"] == run.KERNELSPEC
    assert again.cells[0].metadata == {"tags": ["keep"]}
    assert again.cells[0].outputs == nb.cells[0].outputs
    text = nb_path.read_text()
    run.normalise_files([nb_path])
    assert nb_path.read_text() == text  # idempotent: nothing to do the second time


def test_a_failed_run_puts_back_every_file_it_can_touch():
    img, res = config.IMG_DIR, config.RESULTS_DIR
    assert config.NOTEBOOKS_DIR in run.PROTECTED and img in run.PROTECTED and res in run.PROTECTED
    assert run._guarded(img / "06_learning_curves.png", "06")
    assert run._guarded(img / "08_models.png", "06")  # another notebook's figure too
    assert run._guarded(config.NOTEBOOKS_DIR / "07_evaluation_confusion_roc.ipynb", "06")
    assert not run._guarded(img / "scratch" / "06_x.png", "06")  # FAST figures: not committed
    assert run._guarded(res / "flagship.json", "06")
    assert not run._guarded(res / "series_full.json", "06")  # only run.record writes it


def test_a_second_runner_in_the_same_clone_stops_at_once(tmp_path, monkeypatch):
    """Two runners in one clone would undo each other's files: the second one refuses."""
    lock = tmp_path / "runner.lock"
    monkeypatch.setattr(run, "RUNNER_LOCK", lock)
    monkeypatch.setenv("MNIST_FAST", os.environ.get("MNIST_FAST", ""))  # main() changes it

    def never(*a, **k):
        raise AssertionError("the second runner ran a notebook")

    monkeypatch.setattr(run, "execute", never)
    name = run.notebooks()[0].name[:2]
    with run.runner_lock(lock):
        with pytest.raises(SystemExit, match="another python -m helpers.run is working"):
            run.main([name, "--no-record"])
    with run.runner_lock(lock):  # released: the next runner gets it
        pass


def test_the_progress_output_carries_no_kernel_tcp_warning(tmp_path, capfd):
    """ipykernel warns at start-up that its TCP traffic is unencrypted; the runner's kernels
    start at log level ERROR, so that line does not reach the runner's output."""
    nb_path = notebook(tmp_path / "06_quiet.ipynb", "print('hello')")
    assert run.execute(nb_path, write=False, timeout=120, protected=[]).status == "ok"
    out = capfd.readouterr()
    assert "without encryption" not in out.err + out.out
    assert "--IPKernelApp.log_level=ERROR" in run.KERNEL_ARGUMENTS
