"""helpers.compare: the protocol of notebook 07, its noise rule, and what it stores."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers import compare, models


def fake_runs(accuracies: dict[str, list[float]], n_test=10_000):
    rows = []
    for name, accs in accuracies.items():
        cand = compare.candidate(name)
        for seed, acc in enumerate(accs):
            rows.append(
                dict(
                    name=name, label=cand.label, group=cand.group, kind=cand.kind, seed=seed,
                    params=1, epochs=1, seconds_per_epoch=1.0, train_seconds=1.0,
                    best_val_accuracy=acc, best_epoch=1, final_val_accuracy=acc,
                    test_accuracy=acc, test_errors=round((1 - acc) * n_test),
                    n_train=8, n_val=2, n_test=n_test,
                )
            )  # fmt: skip
    return pd.DataFrame(rows)


def test_candidates_cover_every_architecture_and_the_ablation():
    names = [c.name for c in compare.CANDIDATES]
    assert len(set(names)) == len(names)
    keras_bases = {c.base for c in compare.CANDIDATES if c.kind == "keras"}
    assert keras_bases == set(models.ARCHITECTURES)
    assert [c.kind for c in compare.CANDIDATES].count("numpy") == 1
    ablation = {c.name: c.build_kwargs for c in compare.CANDIDATES if c.group == "ablation"}
    assert ablation == {
        "flagship_no_batchnorm": {"batchnorm": False},
        "flagship_no_dropout": {"dropout": None},
        "flagship_plain": {"batchnorm": False, "dropout": None},
    }
    with pytest.raises(KeyError, match="no candidate named"):
        compare.candidate("resnet")


def test_split_is_stratified_fixed_and_leaves_the_test_set_alone():
    rng = np.random.default_rng(1)
    y = np.repeat(np.arange(10), 50)
    x = rng.random((500, 28, 28), dtype=np.float32)
    xt, yt = x[:30], y[:30]
    proto = compare.Protocol(epochs=1, seeds=(0,))
    a = compare.make_split(x, y, xt, yt, proto)
    b = compare.make_split(x, y, xt, yt, proto)
    assert len(a.y_val) == 100 and len(a.y_train) == 400
    assert (np.bincount(a.y_val) == 10).all()  # every digit keeps its share
    np.testing.assert_array_equal(a.y_val, b.y_val)  # the same split every time
    np.testing.assert_array_equal(a.x_test, xt)
    with pytest.raises(ValueError, match="normalised"):
        compare.make_split((x * 255).astype(np.uint8), y, xt, yt, proto)


def test_seconds_per_epoch_leaves_out_the_first_epoch():
    assert compare.seconds_per_epoch([9.0, 1.0, 2.0, 3.0]) == 2.0
    assert compare.seconds_per_epoch([5.0]) == 5.0


def test_summary_mean_and_sample_spread():
    runs = fake_runs({"mlp_100": [0.97, 0.98, 0.99], "flagship": [0.98]})
    summary = compare.summarize(runs)
    assert list(summary.index) == ["mlp_100", "flagship"]  # order of CANDIDATES
    assert summary.loc["mlp_100", "test_accuracy"] == pytest.approx(0.98)
    assert summary.loc["mlp_100", "test_accuracy_sd"] == pytest.approx(0.01)  # ddof=1
    assert summary.loc["flagship", "test_accuracy_sd"] == 0.0
    assert summary.loc["mlp_100", "test_errors_min"] == 100
    table = compare.display_table(summary, 10_000)
    assert table.loc["784-100-10 ReLU", "test acc % (mean ± sd)"] == "98.00 ± 1.00"


def test_test_set_noise_is_the_binomial_standard_error():
    assert compare.test_set_noise(0.98, 10_000) == pytest.approx(0.0014)
    assert compare.test_set_noise(0.5, 100) == pytest.approx(0.05)


def test_noise_rule_separates_real_differences_from_noise():
    n = 10_000
    # 0.5 points apart, seeds agree to 0.02 points: clear
    runs = fake_runs({"mlp_100": [0.9750, 0.9752, 0.9748], "flagship": [0.9800, 0.9802, 0.9798]})
    c = compare.compare_pair(compare.summarize(runs), "flagship", "mlp_100", n)
    assert c["difference"] == pytest.approx(0.005) and c["verdict"] == "clear"
    # 0.1 points apart: below twice the test-set error (0.28 points)
    runs = fake_runs({"mlp_100": [0.979, 0.979, 0.979], "flagship": [0.980, 0.980, 0.980]})
    c = compare.compare_pair(compare.summarize(runs), "flagship", "mlp_100", n)
    assert c["verdict"] == "within the noise"
    assert c["noise"] == pytest.approx(c["sampling_noise"])
    # 0.5 points apart on average but the seeds scatter by a point: within the noise
    runs = fake_runs({"mlp_100": [0.965, 0.975, 0.985], "flagship": [0.970, 0.980, 0.990]})
    c = compare.compare_pair(compare.summarize(runs), "flagship", "mlp_100", n)
    assert c["seed_noise"] > c["sampling_noise"] and c["verdict"] == "within the noise"


def test_training_one_keras_and_the_numpy_candidate_gives_complete_rows():
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(10), 20)
    x = (rng.random((200, 28, 28)) * (y[:, None, None] + 1) / 10).astype(np.float32)
    proto = compare.Protocol(epochs=2, seeds=(0,), batch_size=32)
    split = compare.make_split(x, y, x[:50], y[:50], proto)
    runs = compare.run_all(split, proto, names=["mlp_100", "numpy_mlp"], verbose=False)
    assert list(runs["name"]) == ["mlp_100", "numpy_mlp"]
    assert list(runs["params"]) == [79_510, 235_146]
    for row in runs.to_dict(orient="records"):
        assert row["test_errors"] == round((1 - row["test_accuracy"]) * 50)
        assert 1 <= row["best_epoch"] <= 2 and row["seconds_per_epoch"] > 0
        assert row["best_val_accuracy"] >= row["final_val_accuracy"]


def test_stored_results_round_trip(tmp_path, monkeypatch):
    runs = fake_runs({"mlp_100": [0.97, 0.98]})
    monkeypatch.setattr(compare, "SCRATCH_FILE", tmp_path / "a.json")
    proto = compare.Protocol(epochs=1, seeds=(0, 1))
    path = compare.save_results(runs, proto, full_run=False, total_seconds=12.345)
    back, meta = compare.load_results(path)
    pd.testing.assert_frame_equal(back, runs)
    assert meta["protocol"]["seeds"] == [0, 1] and meta["total_seconds"] == 12.3
    with pytest.raises(FileNotFoundError, match="run notebook 07"):
        compare.load_results(compare.RESULTS_FILE.with_name("missing.json"))
