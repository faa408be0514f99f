"""The results report, README's results block, and the runner's measurements.

Timings are never asserted here (they are measured, not tested); what is tested is that
every number README quotes is the one in the measured results files, and that the report
and the runner compute and record them correctly.
"""

from __future__ import annotations

import json
import os

import pytest

from benchmarks import report
from helpers import run


def test_readme_results_block_is_generated_from_the_results():
    text = report.README.read_text(encoding="utf-8")
    block = report.readme_block(text)
    assert block is not None, (
        f"README.md has no results block: add the lines {report.START} and {report.END}, "
        "then run `python -m benchmarks.report --write-readme`"
    )
    assert block == report.readme_text(), (
        "README's results block differs from the measured results: run "
        "`python -m benchmarks.report --write-readme`"
    )


def test_results_files_are_up_to_date():
    for path, text in report.expected_files().items():
        assert path.is_file(), f"{path.name} missing: run `python -m benchmarks.report`"
        assert path.read_text(encoding="utf-8") == text, (
            f"{path.name} is out of date: run `python -m benchmarks.report`"
        )


# --------------------------------------------------------------------------- on made-up data


def _run(name, seed, acc, n_test=10_000, params=1000, spe=1.0):
    return dict(
        name=name,
        label=name.upper(),
        group="architecture",
        kind="keras",
        seed=seed,
        params=params,
        epochs=3,
        seconds_per_epoch=spe,
        train_seconds=3 * spe,
        best_epoch=3,
        val_accuracy=acc + 0.001,  # what notebook 08 ranks on
        test_accuracy=acc,
        test_errors=round((1 - acc) * n_test),
        n_fit=50_000,
        n_val=10_000,
        n_test=n_test,
    )


@pytest.fixture
def fake_root(tmp_path):
    (tmp_path / "notebooks").mkdir()
    for name in ["01_a.ipynb", "02_b.ipynb"]:
        (tmp_path / "notebooks" / name).write_text("{}")
    results = tmp_path / "benchmarks" / "results"
    results.mkdir(parents=True)
    machine = dict(cpus=2, python="3.11", tensorflow="2.21", numpy="2.4", load_average=0.5)
    arch = dict(
        measured="2026-01-02T03:04:05+00:00",
        mode="full",
        protocol=dict(epochs=3, seeds=[0, 1], batch_size=128, learning_rate=0.001),
        total_seconds=600.0,
        machine=machine,
        runs=[_run("m1", 0, 0.98), _run("m1", 1, 0.982), _run("m2", 0, 0.95, spe=2.0)],
    )
    (results / "architectures.json").write_text(json.dumps(arch))
    entry = dict(
        seconds=30.0, peak_memory_mb=800.0, status="ok", finished="2026-01-02T00:00:00+00:00",
        load_average=3.5,
    )  # fmt: skip
    series = dict(mode="full", machine=machine, notebooks={"01_a.ipynb": entry})
    (results / "series_full.json").write_text(json.dumps(series))
    failed = {**entry, "status": "FAILED: boom", "seconds": 5.0, "load_average": 0.1}
    fast = dict(
        mode="FAST",
        machine=machine,
        notebooks={"01_a.ipynb": {**entry, "load_average": 0.1}, "02_b.ipynb": failed},
    )
    (results / "series_fast.json").write_text(json.dumps(fast))
    (results / "numpy_speed.json").write_text(
        json.dumps({"readme": [{"quantity": "NumPy epoch", "value": 0.41, "unit": "s"}]})
    )
    return tmp_path


def test_models_mean_and_spread_over_seeds(fake_root):
    models = {m["name"]: m for m in report.gather(fake_root)["models"]["models"]}
    assert models["m1"]["test_accuracy"] == pytest.approx(0.981)
    # sample standard deviation of (0.980, 0.982) = 0.002 / sqrt(2)
    assert models["m1"]["test_accuracy_sd"] == pytest.approx(0.0014142, abs=1e-5)
    assert models["m1"]["seeds"] == 2 and models["m1"]["test_errors"] == 190
    assert models["m2"]["test_accuracy_sd"] is None  # one seed: spread unknown, not zero
    assert models["m2"]["seconds_per_epoch"] == 2.0
    assert models["m1"]["val_accuracy"] == pytest.approx(0.982)  # mean over the seeds


def test_series_totals_missing_failed_and_busy(fake_root):
    results = report.gather(fake_root)
    full, fast = results["series"]["full"], results["series"]["fast"]
    assert full["total_seconds"] == 30.0 and full["peak_memory_mb"] == 800.0
    assert full["missing"] == ["02_b.ipynb"] and not full["complete"]
    assert fast["failed"] == ["02_b.ipynb"] and not fast["complete"]
    text = report.markdown(results)
    assert "(incomplete)" in text
    assert "not measured yet for 02_b.ipynb" in text
    assert "FAILED for 02_b.ipynb" in text
    assert "busy machine" in text and "load average up to 3.5" in text  # full mode only
    assert text.count("busy machine") == 1
    assert "| M1 | 1,000 | 2 | 1.00 | 98.20 | 98.10 ± 0.14 | 190 |" in text
    assert "| M2 | 1,000 | 1 | 2.00 | 95.10 | 95.00 | 500 |" in text
    assert "| NumPy epoch | 0.41 s |" in text


def test_nothing_measured_says_so(tmp_path):
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "benchmarks" / "results").mkdir(parents=True)
    text = report.markdown(report.gather(tmp_path))
    assert "Not measured yet" in text and "python -m helpers.run 08" in text


def test_with_block_replaces_only_the_block():
    text = f"# T\n\nbefore\n{report.START}\nold\n{report.END}\nafter\n"
    new = report.with_block(text, "\n\nNEW\n\n")
    assert new == f"# T\n\nbefore\n{report.START}\n\nNEW\n\n{report.END}\nafter\n"
    assert report.readme_block(new) == "\n\nNEW\n\n"
    with pytest.raises(SystemExit, match="no results block"):
        report.with_block("# T\n", "x")


# --------------------------------------------------------------------------- the runner


def test_peak_memory_of_this_process_is_plausible():
    peak = run.peak_memory_mb(os.getpid())
    assert peak is not None and 10 < peak < 1_000_000


def test_runner_record_merges_and_keeps_other_notebooks(tmp_path):
    names = [p.name for p in run.notebooks()]
    if len(names) < 2:
        pytest.skip("needs two notebooks")
    path = tmp_path / "series.json"

    def result(name, seconds):
        return run.Result(name, seconds, 100.0, "ok", 3, "2026-01-01T00:00:00+00:00", 0.5)

    run.record([result(names[0], 10.04), result(names[1], 20.0)], fast=True, path=path)
    run.record([result(names[1], 7.0)], fast=True, path=path)
    data = json.loads(path.read_text())
    assert data["mode"] == "FAST"
    assert data["notebooks"][names[0]]["seconds"] == 10.0  # kept, rounded
    assert data["notebooks"][names[1]]["seconds"] == 7.0  # replaced
    # an entry for a notebook that no longer exists is dropped
    data["notebooks"]["99_gone.ipynb"] = data["notebooks"][names[0]]
    path.write_text(json.dumps(data))
    run.record([], fast=True, path=path)
    assert "99_gone.ipynb" not in json.loads(path.read_text())["notebooks"]


def test_keras_overhead_fit_separates_step_cost_from_image_cost():
    from benchmarks.bench_keras_overhead import BATCHES, fit_costs

    n = 60_000
    steps = [-(-n // b) for b in BATCHES]
    seconds = [0.004 * s + 2e-5 * n for s in steps]  # 4 ms per step, 20 us per image
    costs = fit_costs(BATCHES, seconds, n)
    assert costs["per_step_ms"] == pytest.approx(4.0, rel=1e-6)
    assert costs["per_image_us"] == pytest.approx(20.0, rel=1e-6)
    assert costs["largest_misfit_percent"] == 0.0


# --------------------------------------------------------------------------- the CNN's arithmetic
# (issue 24, perf: benchmarks/bench_cnn_limit.py counts an epoch's products from the layers)


def _tiny_cnn():
    import keras
    from keras import layers

    return keras.Sequential(
        [
            keras.Input(shape=(5, 5, 1)),
            layers.Conv2D(2, 3, name="conv"),  # 3x3x2 outputs, 3*3*1 products each
            layers.MaxPooling2D(1),
            layers.Flatten(),  # 18 values
            layers.Dense(4, name="dense"),
        ]
    )


def test_cnn_limit_counts_a_hand_case():
    from benchmarks.bench_cnn_limit import layer_mult_adds, training_mult_adds

    rows = layer_mult_adds(_tiny_cnn())
    assert [(r["name"], r["macs"]) for r in rows] == [("conv", 3 * 3 * 2 * 9), ("dense", 18 * 4)]
    counts = training_mult_adds(_tiny_cnn())
    forward = 162 + 72
    # backward: the weights' gradients redo every product; the inputs' gradients too, except
    # the first layer's (the image needs no gradient)
    assert counts == dict(forward=forward, grad_weights=forward, grad_inputs=72, total=540)


def test_cnn_limit_count_agrees_with_the_hand_formula_of_the_series_cnns():
    from benchmarks.bench_cnn_limit import training_mult_adds
    from helpers import augment, models

    for name in ("cnn", "cnn_deep"):
        hand = models.cnn_mult_adds(name)["total"]  # notebook 03/09's per-layer formula
        counted = training_mult_adds(models.build(name))
        assert counted["forward"] == hand
        first_conv = 26 * 26 * 32 * 3 * 3 * 1
        assert counted["total"] == 3 * hand - first_conv
    # the augmentation block in front has no products: the chosen recipe counts the same
    aug = augment.build(augment.RECIPES["cnn_deep_augmented"], seed=0)
    assert training_mult_adds(aug) == training_mult_adds(models.build("cnn_deep"))
    # issue 24's estimate: about 9.8 M multiply-adds per image forward
    assert 9.7e6 < training_mult_adds(aug)["forward"] < 9.9e6


def test_cnn_limit_refuses_a_layer_it_cannot_count():
    import keras
    from keras import layers

    from benchmarks.bench_cnn_limit import layer_mult_adds

    model = keras.Sequential([keras.Input(shape=(8,)), layers.Embedding(10, 3)])
    with pytest.raises(ValueError, match="Embedding"):
        layer_mult_adds(model)


def test_cnn_limit_fixed_step_cost_fit_recovers_a_made_up_line():
    from benchmarks.bench_cnn_limit import fixed_step_cost

    sweep = {str(b): {"per_step_seconds": [0.003 + 1e-4 * b]} for b in (64, 128, 512)}
    fit = fixed_step_cost(sweep)
    assert fit["per_step_seconds"] == pytest.approx(0.003, rel=1e-6)
    assert fit["per_image_seconds"] == pytest.approx(1e-4, rel=1e-6)
    assert fixed_step_cost({"64": {"error": "x"}, "128": {"per_step_seconds": [1.0]}}) is None


def test_cnn_limit_fused_batchnorm_matches_keras_batchnorm():
    """The benchmark's fused BatchNorm (one FusedBatchNormV3 op) computes what Keras's
    layer computes: outputs, the three gradients, the moving mean and variance (Keras keeps
    the biased batch variance), and the inference pass."""
    import keras
    import numpy as np
    import tensorflow as tf

    from benchmarks.bench_cnn_limit import fused_batchnorm_class

    rng = np.random.default_rng(0)
    x = tf.constant((3 * rng.standard_normal((16, 6, 6, 5)) + 1).astype("float32"))
    dy = tf.constant(rng.standard_normal(x.shape).astype("float32"))
    gamma = rng.uniform(0.5, 2, 5).astype("float32")
    beta = rng.standard_normal(5).astype("float32")
    results = []
    for layer in (keras.layers.BatchNormalization(), fused_batchnorm_class()()):
        layer.build(x.shape)
        layer.gamma.assign(gamma)
        layer.beta.assign(beta)
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = layer(x, training=True)
            loss = tf.reduce_sum(y * dy)
        grads = tape.gradient(loss, [x, layer.gamma, layer.beta])
        results.append(
            [y, *grads, layer.moving_mean, layer.moving_variance, layer(x, training=False)]
        )
    keras_bn, fused = results
    # the fused path really runs: one FusedBatchNormV3 op in the traced training pass
    layer = fused_batchnorm_class()()
    layer.build(x.shape)
    graph = tf.function(lambda t: layer(t, training=True)).get_concrete_function(x).graph
    ops = {op.type for op in graph.get_operations()}
    assert "FusedBatchNormV3" in ops and "Mean" not in ops
    names = ["output", "d/dx", "d/dgamma", "d/dbeta", "moving mean", "moving variance", "inference"]
    for name, a, b in zip(names, keras_bn, fused, strict=True):
        np.testing.assert_allclose(np.asarray(b), np.asarray(a), rtol=1e-4, atol=1e-5, err_msg=name)
    # the moving variance moved (momentum 0.99) towards the biased batch variance
    batch_var = np.var(np.asarray(x), axis=(0, 1, 2))
    np.testing.assert_allclose(np.asarray(fused[5]), 0.99 + 0.01 * batch_var, rtol=1e-5)


def test_cnn_limit_raw_augmentation_moves_ink_within_the_recipe_s_ranges():
    import numpy as np
    import tensorflow as tf

    from benchmarks.bench_cnn_limit import _raw_tf_augment

    images = np.zeros((64, 28, 28), "float32")
    images[:, 12:16, 12:16] = 1.0  # a centred square of ink
    tf.random.set_seed(0)  # the op-level seeds' draws then do not depend on earlier tests
    out = np.asarray(_raw_tf_augment(tf.constant(images), seed=1))
    assert out.shape == images.shape and out.dtype == np.float32
    assert out.min() >= 0.0 and out.max() <= 1.0 + 1e-6
    assert not np.allclose(out, images)  # the images were moved
    ink = out.sum(axis=(1, 2))
    # a zoom of 0.9-1.1 scales the area by 0.81-1.21 (bilinear resampling of a rotated
    # square adds or loses up to about a pixel's worth); nothing leaves the 28-pixel frame
    assert np.all(ink > 16 * 0.9**2 - 1) and np.all(ink < 16 * 1.1**2 + 1)
    # the centre of ink stays within the largest shift (2.8 px) plus the rotation's sway
    rows = (out.sum(axis=2) * np.arange(28)).sum(axis=1) / ink
    assert np.all(np.abs(rows - 13.5) < 2.8 + 0.5)
