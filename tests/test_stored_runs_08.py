"""Notebook 08's stored runs: the loader trusts only files that match their checksums, and the
stored runs are the ones the notebook shows.

``benchmarks/bench_architectures.py`` writes ``architectures_runs.{json,npz,sha256}``;
``compare.load_stored_runs`` is what notebook 08 calls with ``TRAIN_YOURSELF = False``.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil

import numpy as np
import pandas as pd
import pytest
from claims.committed import cell_output, notebook

from helpers import compare, config

FILES = (compare.STORED_META, compare.STORED_ARRAYS, compare.STORED_MANIFEST)


@pytest.fixture(scope="module")
def committed():
    return compare.load_stored_runs()


@pytest.fixture
def stored(tmp_path, committed):
    """A small copy of the stored runs (four runs) written by save_stored_runs into tmp_path."""
    runs, meta = committed
    keep = {k: meta[k] for k in ("measured", "mode", "protocol", "total_seconds", "machine")}
    compare.save_stored_runs(runs.head(4), keep, meta["y_val"], meta["y_test"], tmp_path)
    return tmp_path


def _reseal(folder):
    """Rewrite the manifest so that it matches the files as they are now (a consistent forgery)."""
    lines = "".join(
        f"{hashlib.sha256((folder / n).read_bytes()).hexdigest()}  {n}\n"
        for n in (compare.STORED_META, compare.STORED_ARRAYS)
    )
    (folder / compare.STORED_MANIFEST).write_text(lines)


def test_round_trip_gives_the_runs_back_with_uint8_predictions(stored, committed):
    runs, meta = compare.load_stored_runs(stored)
    pd.testing.assert_frame_equal(runs, committed[0].head(4))
    np.testing.assert_array_equal(meta["y_test"], committed[1]["y_test"])
    with np.load(stored / compare.STORED_ARRAYS, allow_pickle=False) as npz:
        assert npz["test_predictions"].dtype == np.uint8
        assert npz["test_predictions"].shape == (4, len(meta["y_test"]))
    manifest = (stored / compare.STORED_MANIFEST).read_text().splitlines()
    assert [line.split()[1] for line in manifest] == [compare.STORED_META, compare.STORED_ARRAYS]


def test_a_changed_prediction_is_refused_with_the_fix(stored):
    path = stored / compare.STORED_ARRAYS
    with np.load(path, allow_pickle=False) as npz:
        arrays = {k: npz[k].copy() for k in npz.files}
    arrays["test_predictions"][0, 0] = (arrays["test_predictions"][0, 0] + 1) % 10
    np.savez_compressed(path, **arrays)
    with pytest.raises(compare.StoredRunsError) as caught:
        compare.load_stored_runs(stored)
    message = str(caught.value)
    assert compare.STORED_ARRAYS in message and "does not match its SHA-256 checksum" in message
    assert "git checkout -- benchmarks/results/architectures_runs.npz" in message
    assert "TRAIN_YOURSELF = True" in message and "bench_architectures" in message


def test_a_changed_accuracy_is_refused(stored):
    path = stored / compare.STORED_META
    payload = json.loads(path.read_text())
    payload["runs"][1]["test_accuracy"] = 0.999
    path.write_text(json.dumps(payload))
    with pytest.raises(compare.StoredRunsError, match="does not match its SHA-256"):
        compare.load_stored_runs(stored)
    _reseal(stored)  # even with a manifest forged to match, the predictions disagree
    with pytest.raises(compare.StoredRunsError, match=r"run 1 .*predictions give"):
        compare.load_stored_runs(stored)


def test_pickled_arrays_are_never_unpickled(stored):
    path = stored / compare.STORED_ARRAYS
    with np.load(path, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    arrays["y_test"] = np.array([{"not": "data"}] * 3, dtype=object)
    np.savez(path, **arrays)
    _reseal(stored)
    with pytest.raises(compare.StoredRunsError, match="cannot be read"):
        compare.load_stored_runs(stored)


@pytest.mark.parametrize("broken", ["missing manifest", "missing arrays", "bad line"])
def test_missing_or_garbled_files_say_what_to_do(stored, broken):
    if broken == "missing manifest":
        (stored / compare.STORED_MANIFEST).unlink()
    elif broken == "missing arrays":
        (stored / compare.STORED_ARRAYS).unlink()
    else:
        (stored / compare.STORED_MANIFEST).write_text("not a checksum line\n")
    with pytest.raises(compare.StoredRunsError, match="git checkout"):
        compare.load_stored_runs(stored)


def test_the_committed_stored_runs_are_the_ones_architectures_json_holds(committed):
    runs, meta = committed
    full, full_meta = compare.load_results()
    pd.testing.assert_frame_equal(runs, full)
    np.testing.assert_array_equal(meta["y_val"], full_meta["y_val"])
    assert meta["mode"] == "full" and meta["total_seconds"] == full_meta["total_seconds"]
    for name in FILES:
        assert (config.RESULTS_DIR / name).stat().st_size < 100_000, name  # small


def test_the_accuracies_the_notebook_prints_come_from_the_stored_predictions(committed):
    """Every run line of section 4's committed output: its validation and test accuracy are
    recomputed here from the stored predictions and the true labels."""
    runs, meta = committed
    printed = cell_output(notebook("08"), "runs, meta = compare.load_stored_runs()")
    assert printed.startswith("LOADED, NOT TRAINED"), printed[:80]
    lines = re.findall(r"^(\w+)\s+seed (\d+) .* val ([\d.]+)\s+test ([\d.]+)$", printed, re.M)
    assert len(lines) == len(runs)
    for name, seed, val, test in lines:
        row = runs[(runs["name"] == name) & (runs["seed"] == int(seed))].iloc[0]
        for which, shown in (("val", val), ("test", test)):
            pred = compare.decode_labels(row[f"{which}_predictions"])
            accuracy = np.mean(pred == meta[f"y_{which}"])
            assert abs(accuracy - float(shown)) <= 5e-5, (name, seed, which)


def test_the_benchmark_stores_the_committed_runs_again(tmp_path, committed):
    from benchmarks import bench_architectures

    bench_architectures.from_results(compare.RESULTS_FILE, tmp_path)
    runs, meta = compare.load_stored_runs(tmp_path)
    pd.testing.assert_frame_equal(runs, committed[0])
    a = json.loads((tmp_path / compare.STORED_META).read_text())
    b = json.loads((config.RESULTS_DIR / compare.STORED_META).read_text())
    assert a == b


def test_the_training_time_line_reads_the_stored_runs(tmp_path, stored):
    line = compare.training_time(stored)
    assert "4 runs" in line and "min" in line
    shutil.rmtree(stored)
    assert "unknown" in compare.training_time(stored)
