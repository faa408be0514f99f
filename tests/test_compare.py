"""helpers.compare: the protocol of notebook 07, its statistics, and what it stores."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers import compare, models, split, stats


def fake_runs(val_acc: dict[str, list[float]], y_val, y_test, rng=None, test_acc=None):
    """Runs whose stored predictions have exactly the given accuracies (errors at random
    images, the wrong digit = true digit + 1)."""
    rng = rng or np.random.default_rng(0)
    test_acc = test_acc or val_acc

    def preds(y, acc):
        wrong = rng.choice(len(y), size=round((1 - acc) * len(y)), replace=False)
        p = np.array(y)
        p[wrong] = (p[wrong] + 1) % 10
        return p

    rows = []
    for name, accs in val_acc.items():
        cand = compare.candidate(name)
        for seed, acc in enumerate(accs):
            pv, pt = preds(y_val, acc), preds(y_test, test_acc[name][seed])
            rows.append(
                dict(
                    name=name, label=cand.label, group=cand.group, kind=cand.kind, seed=seed,
                    params=models.count_params([784, 100, 10])["total"] if name == "mlp_100" else 10**6,
                    epochs=5, best_epoch=3, seconds_per_epoch=1.0 + seed, train_seconds=5.0,
                    val_accuracy=float(np.mean(pv == y_val)),
                    test_accuracy=float(np.mean(pt == y_test)),
                    test_errors=int(np.sum(pt != y_test)), n_fit=8, n_val=len(y_val),
                    n_test=len(y_test), val_predictions=compare.encode_labels(pv),
                    test_predictions=compare.encode_labels(pt),
                )
            )  # fmt: skip
    return pd.DataFrame(rows)


@pytest.fixture
def labels():
    rng = np.random.default_rng(3)
    return rng.integers(0, 10, 2000), rng.integers(0, 10, 2000)


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
    assert {n for pair in compare.PLANNED_PAIRS for n in pair} <= set(names)
    with pytest.raises(KeyError, match="no candidate named"):
        compare.candidate("resnet")


def test_predictions_round_trip_as_a_string_of_digits():
    y = np.array([7, 2, 1, 0, 4, 9])
    assert compare.encode_labels(y) == "721049"
    np.testing.assert_array_equal(compare.decode_labels("721049"), y)
    with pytest.raises(ValueError, match="digit"):
        compare.encode_labels([10])
    with pytest.raises(ValueError, match="string of digits"):
        compare.decode_labels("7a")


def test_majority_vote_and_its_ties():
    p = np.array([[1, 2, 3, 4], [1, 5, 6, 4], [0, 5, 7, 9]])
    # image 0: 1 twice; image 1: 5 twice; image 2: all differ -> first seed; 3: 4 twice
    np.testing.assert_array_equal(compare.majority_vote(p), [1, 5, 3, 4])
    np.testing.assert_array_equal(compare.majority_vote(p[:2]), [1, 2, 3, 4])  # 1-1 tie
    with pytest.raises(ValueError, match="one row of predictions per seed"):
        compare.majority_vote(p[0])


def test_summary_means_and_t_intervals(labels):
    y_val, y_test = labels
    runs = fake_runs({"mlp_100": [0.97, 0.98, 0.99], "flagship": [0.98]}, y_val, y_test)
    s = compare.summarize(runs)
    assert list(s.index) == ["mlp_100", "flagship"]  # order of CANDIDATES
    assert s.loc["mlp_100", "val_accuracy"] == pytest.approx(0.98)
    # t-interval with 2 degrees of freedom: 4.303 * 0.01 / sqrt(3)
    assert s.loc["mlp_100", "val_high"] - 0.98 == pytest.approx(4.3027 * 0.01 / np.sqrt(3), rel=1e-3)  # fmt: skip
    assert np.isnan(s.loc["flagship", "val_low"])  # one seed: spread unknown, not zero
    table = compare.display_table(s)
    assert table.loc["784-100-10 ReLU", "validation acc % [95% CI]"] == "98.00 [95.52, 100.48]"
    assert table.loc["flagship (BatchNorm + Dropout)", "test acc % [95% CI]"] == "98.00"


def test_paired_tests_use_the_majority_vote_and_holm(labels):
    y_val, y_test = labels
    runs = fake_runs(
        {"mlp_300_100": [0.99] * 3, "mlp_100": [0.90] * 3, "flagship": [0.99] * 3},
        y_val,
        y_test,
    )
    pairs = [("mlp_300_100", "mlp_100"), ("flagship", "mlp_300_100")]
    t = compare.paired_tests(runs, y_test, pairs)
    votes = {n: compare.majority_vote(compare.predictions(runs, n)) for n in ("mlp_300_100", "mlp_100")}  # fmt: skip
    m = stats.mcnemar(y_test, votes["mlp_300_100"], votes["mlp_100"])
    assert (t.loc[0, "only_a_right"], t.loc[0, "only_b_right"]) == (m.only_a_right, m.only_b_right)
    assert t.loc[0, "verdict"] == "clear"  # 9 points on 2,000 images
    assert t.loc[1, "verdict"] == "no evidence"  # equally good
    np.testing.assert_allclose(t["p_holm"], stats.holm(t["p_value"]))
    assert len(t.loc[0, "per_seed_p"]) == 3
    assert "p (Holm)" in compare.display_tests(t).columns


def test_choice_is_made_on_validation_not_on_test(labels):
    y_val, y_test = labels
    # mlp_300_100 best on validation, mlp_100 best on test: the choice follows validation
    runs = fake_runs(
        {"mlp_300_100": [0.99] * 3, "mlp_100": [0.95] * 3},
        y_val,
        y_test,
        test_acc={"mlp_300_100": [0.95] * 3, "mlp_100": [0.99] * 3},
    )
    choice = compare.choose(runs, y_val)
    assert choice["best"] == "mlp_300_100" and choice["tied"] == []
    assert choice["ranking"] == ["mlp_300_100", "mlp_100"]
    # equal on validation: tied, and the smaller one is named
    runs = fake_runs({"mlp_300_100": [0.97] * 3, "mlp_100": [0.97] * 3}, y_val, y_test)
    choice = compare.choose(runs, y_val)
    assert choice["smallest"] == "mlp_100"


def test_speed_rule():
    s = pd.DataFrame({"seconds_per_epoch": [1.0, 1.4, 1.6, 5.0]}, index=["a", "b", "c", "d"])
    assert compare.fastest_group(s) == ["a", "b"]
    assert compare.speed_ratio(s, "d", "a") == 5.0


def test_seconds_per_epoch_leaves_out_the_first_epoch():
    assert compare.seconds_per_epoch([9.0, 1.0, 2.0, 3.0]) == 2.0
    assert compare.seconds_per_epoch([5.0]) == 5.0


@pytest.fixture
def tiny_split():
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(10), 30)
    x = (rng.random((300, 28, 28)) * (y[:, None, None] + 1) / 10).astype(np.float32)
    return split.make_split(x, y, x[:50], y[:50])


def test_a_reset_model_starts_exactly_like_a_fresh_one(tiny_split):
    proto = compare.Protocol(max_epochs=2, seeds=(0,), batch_size=32)
    trainer = compare.KerasTrainer(compare.candidate("flagship"), proto)
    trainer.train(tiny_split, seed=0)  # moves weights, BatchNorm statistics, optimizer state
    trainer.reset(seed=1)
    fresh = compare.build_keras(compare.candidate("flagship"), seed=1)
    for a, b in zip(trainer.model.variables, fresh.variables, strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    assert int(trainer.model.optimizer.iterations.numpy()) == 0
    assert float(trainer.model.optimizer.learning_rate.numpy()) == pytest.approx(1e-3)


def test_training_gives_complete_rows_with_early_stopping(tiny_split):
    proto = compare.Protocol(max_epochs=12, seeds=(0, 1), batch_size=32, patience=2)
    runs = compare.run_all(tiny_split, proto, names=["mlp_100", "numpy_mlp"], verbose=False)
    assert list(runs["name"]) == ["mlp_100", "mlp_100", "numpy_mlp", "numpy_mlp"]
    assert list(runs["params"]) == [79_510, 79_510, 235_146, 235_146]
    for row in runs.to_dict(orient="records"):
        val_pred = compare.decode_labels(row["val_predictions"])
        test_pred = compare.decode_labels(row["test_predictions"])
        assert len(val_pred) == row["n_val"] == len(tiny_split.y_val)
        assert row["val_accuracy"] == pytest.approx(np.mean(val_pred == tiny_split.y_val), abs=1e-5)  # fmt: skip
        assert row["test_errors"] == np.sum(test_pred != tiny_split.y_test)
        # stopped by patience (the tiny set is learnt quickly), best epoch restored
        assert row["best_epoch"] <= row["epochs"] <= row["best_epoch"] + proto.patience
        assert row["epochs"] < proto.max_epochs, row["name"]
    with pytest.raises(ValueError, match="normalised"):
        bad = split.make_split((tiny_split.x_fit * 255).astype(np.uint8), tiny_split.y_fit,
                               tiny_split.x_test, tiny_split.y_test)  # fmt: skip
        compare.run_all(bad, proto, names=["mlp_100"], verbose=False)


def test_numpy_net_restores_its_best_validation_epoch(tiny_split):
    net = compare._numpy_net_with_early_stopping(seed=0, patience=100)
    x_fit = tiny_split.x_fit.reshape(len(tiny_split.x_fit), -1)
    x_val = tiny_split.x_val.reshape(len(tiny_split.x_val), -1)
    net.fit(x_fit, tiny_split.y_fit, epochs=6, lr=0.05, optimizer="sgd", batch_size=16,
            x_val=x_val, y_val=tiny_split.y_val, verbose=0)  # fmt: skip
    assert len(net.val_accuracy) == 6
    net.restore_best()
    accuracy = np.mean(net.predict(x_val) == tiny_split.y_val)
    assert accuracy == pytest.approx(max(net.val_accuracy))


def test_stored_results_round_trip(tmp_path, monkeypatch, labels, tiny_split):
    y_val, y_test = tiny_split.y_val, tiny_split.y_test
    runs = fake_runs({"mlp_100": [0.9, 0.8]}, y_val, y_test)
    monkeypatch.setattr(compare, "SCRATCH_FILE", tmp_path / "a.json")
    proto = compare.Protocol(max_epochs=1, seeds=(0, 1))
    path = compare.save_results(runs, proto, tiny_split, full_run=False, total_seconds=12.345)
    back, meta = compare.load_results(path)
    pd.testing.assert_frame_equal(back, runs)
    np.testing.assert_array_equal(meta["y_test"], y_test)
    np.testing.assert_array_equal(meta["y_val"], y_val)
    assert meta["protocol"]["seeds"] == [0, 1] and meta["total_seconds"] == 12.3
    with pytest.raises(FileNotFoundError, match="run notebook 07"):
        compare.load_results(compare.RESULTS_FILE.with_name("missing.json"))
