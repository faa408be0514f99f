"""helpers.compare: the protocol of notebook 08, its statistics, and what it stores."""

from __future__ import annotations

import dataclasses
import json

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
    joined = {j.name for j in compare.JOINED}
    assert {n for pair in compare.PLANNED_PAIRS for n in pair} <= set(names) | joined
    assert ("cnn", "flagship") in compare.PLANNED_PAIRS  # planned before the CNN's runs existed
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


def test_summary_means_and_intervals_of_both_sources(labels):
    y_val, y_test = labels
    runs = fake_runs({"mlp_100": [0.97, 0.98, 0.99], "flagship": [0.98]}, y_val, y_test)
    s = compare.summarize(runs, y_val, y_test)
    assert list(s.index) == ["mlp_100", "flagship"]  # order of CANDIDATES
    assert s.loc["mlp_100", "val_accuracy"] == pytest.approx(0.98)
    est = stats.procedure_accuracy(y_val, compare.predictions(runs, "mlp_100", "val"))
    assert (s.loc["mlp_100", "val_low"], s.loc["mlp_100", "val_high"]) == pytest.approx(
        (est.low, est.high)
    )
    # seeds 0.97 / 0.98 / 0.99 on 2,000 images: the interval is wider than the seeds' own
    # t-interval would be without the images, and stays inside [0, 1]
    assert 0 < s.loc["mlp_100", "val_low"] < 0.98 < s.loc["mlp_100", "val_high"] < 1
    assert s.loc["mlp_100", "val_sd"] == pytest.approx(0.01)
    assert 0 < s.loc["mlp_100", "val_seed_share"] < 1
    assert np.isnan(s.loc["flagship", "val_low"])  # one seed: spread unknown, not zero
    assert s.loc["mlp_100", "seeds"] == 3
    table = compare.display_table(s)
    assert table.loc["flagship (BatchNorm + Dropout)", "test acc % [95% CI]"] == (
        "98.00 (1 seed: no interval)"
    )


def test_paired_tests_compare_procedures_on_seeds_and_images_with_holm(labels):
    y_val, y_test = labels
    runs = fake_runs(
        {"mlp_300_100": [0.99] * 3, "mlp_100": [0.90] * 3, "flagship": [0.99] * 2},
        y_val,
        y_test,
    )
    pairs = [("mlp_300_100", "mlp_100"), ("flagship", "mlp_300_100")]
    t = compare.paired_tests(runs, y_test, pairs)
    c = stats.compare_procedures(
        y_test, compare.predictions(runs, "mlp_300_100"), compare.predictions(runs, "mlp_100")
    )
    assert t.loc[0, "p_value"] == pytest.approx(c.p_value)
    assert (t.loc[0, "low_points"], t.loc[0, "high_points"]) == pytest.approx(
        (100 * c.low, 100 * c.high)
    )
    assert t.loc[0, "difference_points"] == pytest.approx(9.0)
    assert t.loc[0, "verdict"] == "clear"  # 9 points on 2,000 images
    assert t.loc[1, "verdict"] == "no evidence"  # equally good
    assert t.loc[1, "seeds"] == "2 / 3"
    np.testing.assert_allclose(t["p_holm"], stats.holm(t["p_value"]))
    assert len(t.loc[0, "per_seed_p"]) == 3 and len(t.loc[1, "per_seed_p"]) == 2
    m = stats.mcnemar(y_test, compare.predictions(runs, "mlp_300_100")[1], compare.predictions(runs, "mlp_100")[1])  # fmt: skip
    assert t.loc[0, "per_seed_p"][1] == pytest.approx(m.p_value)
    assert "p (Holm)" in compare.display_tests(t).columns


def test_a_single_seed_gets_no_test(labels):
    y_val, y_test = labels
    runs = fake_runs({"mlp_300_100": [0.99] * 3, "mlp_100": [0.90]}, y_val, y_test)
    t = compare.paired_tests(runs, y_test, [("mlp_300_100", "mlp_100")])
    assert t.loc[0, "verdict"] == "one seed: no test" and np.isnan(t.loc[0, "p_holm"])
    assert compare.display_tests(t).iloc[0]["95% CI (seeds + images)"] == "-"


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
    assert choice["best"] == "mlp_300_100" and choice["not_distinguished"] == []
    assert choice["ranking"] == ["mlp_300_100", "mlp_100"]
    assert choice["within_margin"] == [] and choice["smallest"] == "mlp_300_100"


def test_no_evidence_of_a_difference_is_not_equivalence(labels):
    y_val, y_test = labels
    # equal on 2,000 validation images: no evidence of a difference, but the interval is
    # wider than 0.2 points, so the smaller model is NOT shown to be as good
    runs = fake_runs({"mlp_300_100": [0.97] * 3, "mlp_100": [0.97] * 3}, y_val, y_test)
    choice = compare.choose(runs, y_val)
    assert choice["not_distinguished"] == ["mlp_100"] or choice["best"] == "mlp_100"
    assert choice["within_margin"] == []
    # with a margin of 2 points the interval fits, and the smaller one is named
    choice = compare.choose(runs, y_val, margin=0.02)
    assert choice["smallest"] == "mlp_100"


def test_speed_rule_comes_from_the_measured_spread():
    s = pd.DataFrame({"seconds_per_epoch": [1.0, 1.4, 1.6, 5.0]}, index=["a", "b", "c", "d"])
    assert compare.fastest_group(s, 1.5) == ["a", "b"]
    assert compare.fastest_group(s, 1.7) == ["a", "b", "c"]
    assert compare.speed_ratio(s, "d", "a") == 5.0
    runs = pd.DataFrame(
        {
            "name": ["a", "a", "b", "b", "b", "c", "cnn"],
            "kind": ["keras"] * 6 + ["joined"],
            "seconds_per_epoch": [1.0, 1.2, 2.0, 3.0, 2.5, 9.0, 50.0],
        }
    )
    assert compare.timing_spread(runs) == pytest.approx(1.5)  # b: 3.0 / 2.0; c has one run


def test_cheap_candidates_get_more_seeds():
    proto = compare.Protocol(max_epochs=2, seeds=(0, 1, 2))
    assert compare.seeds_for("mlp_100", proto) == (0, 1, 2, 3, 4, 5)
    assert compare.seeds_for("flagship", proto) == (0, 1, 2)
    assert compare.seeds_for("mlp_100", proto, more_seeds=False) == (0, 1, 2)
    assert compare.seeds_for("numpy_mlp", proto.with_seeds(0)) == (0, 1)


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


def test_kept_validation_digits_are_those_of_the_restored_weights(tiny_split):
    # the validation pass of the best epoch is kept instead of predicted again at the end:
    # it must be what the restored (best-epoch) weights predict
    proto = compare.Protocol(max_epochs=6, seeds=(0,), batch_size=32, patience=1)
    trainer = compare.KerasTrainer(compare.candidate("mlp_100"), proto)
    row = trainer.train(tiny_split, seed=0)
    again = compare.predict_digits(trainer.model, tiny_split.x_val)
    np.testing.assert_array_equal(compare.decode_labels(row["val_predictions"]), again)
    assert row["val_accuracy"] == pytest.approx(np.mean(again == tiny_split.y_val), abs=1e-5)
    # the same seed gives the same run (the batch order is seeded)
    assert trainer.train(tiny_split, seed=0)["val_predictions"] == row["val_predictions"]


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
    with pytest.raises(FileNotFoundError, match="run notebook 08"):
        compare.load_results(compare.RESULTS_FILE.with_name("missing.json"))


# --------------------------------------------------------------------------- joined runs (the CNN)


def cnn_rows(y_val, y_test, seeds=(0, 1, 2), acc=0.99):
    """Rows as benchmarks/bench_beyond_mlp.py writes them under 'cnn_runs_08'."""
    rng = np.random.default_rng(1)
    rows = []
    for seed in seeds:
        pv, pt = np.array(y_val), np.array(y_test)
        for p in (pv, pt):
            wrong = rng.choice(len(p), size=round((1 - acc) * len(p)), replace=False)
            p[wrong] = (p[wrong] + 1) % 10
        rows.append(
            dict(
                name="cnn", label="CNN conv32-pool-conv64-pool-dense128", group="architecture",
                kind="keras", seed=seed, params=225_034, epochs=8, best_epoch=6,
                seconds_per_epoch=30.0, train_seconds=240.0,
                val_accuracy=float(np.mean(pv == y_val)), test_accuracy=float(np.mean(pt == y_test)),
                test_errors=int(np.sum(pt != y_test)), n_fit=50_000, n_val=len(y_val),
                n_test=len(y_test), val_predictions=compare.encode_labels(pv),
                test_predictions=compare.encode_labels(pt),
            )
        )  # fmt: skip
    return rows


@pytest.fixture
def joined_file(tmp_path, monkeypatch, labels):
    """A fake beyond_mlp.json, and compare.JOINED pointing at it."""
    y_val, y_test = labels
    path = tmp_path / "beyond_mlp.json"
    joined = compare.Joined("cnn", path, "cnn_runs_08", "benchmarks/bench_beyond_mlp.py", "the CNN")
    monkeypatch.setattr(compare, "JOINED", [joined])
    proto = compare.Protocol(max_epochs=15, seeds=(0, 1, 2))
    payload = dict(
        measured="2026-11-21T14:00:00+00:00",
        machine=dict(load_average=3.0),
        recipes=dict(cnn=json.loads(json.dumps(dataclasses.asdict(proto)))),
        labels=dict(val=compare.encode_labels(y_val), test=compare.encode_labels(y_test)),
        cnn_runs_08=cnn_rows(y_val, y_test),
    )

    def write(**changes):
        path.write_text(json.dumps({**payload, **changes}))

    return path, proto, write


def test_without_the_stored_file_the_table_has_no_cnn(joined_file, labels, capsys):
    y_val, y_test = labels
    _, proto, _ = joined_file  # not written: a fresh clone before the benchmark ran
    runs = fake_runs({"flagship": [0.98] * 3}, y_val, y_test)
    out = compare.join_stored(runs, y_val, y_test, proto)
    assert out is runs
    line = capsys.readouterr().out.strip()
    assert line.startswith("the CNN not joined:") and "does not exist yet" in line
    assert "bench_beyond_mlp.py writes it" in line and len(line.splitlines()) == 1
    # the planned CNN comparison drops out; Holm corrects for the pairs that remain
    assert ("cnn", "flagship") not in compare.planned_pairs(out["name"])


def test_stored_cnn_runs_join_the_table_the_choice_and_the_tests(joined_file, labels, capsys):
    y_val, y_test = labels
    _, proto, write = joined_file
    write()
    runs = fake_runs({"flagship": [0.98] * 3, "mlp_300_100": [0.97] * 3}, y_val, y_test)
    out = compare.join_stored(runs, y_val, y_test, proto)
    assert "3 runs joined" in capsys.readouterr().out
    cnn = out[out["name"] == "cnn"]
    assert list(cnn["seed"]) == [0, 1, 2] and set(cnn["kind"]) == {"joined"}
    assert cnn["label"].iloc[0].endswith("(stored: bench_beyond_mlp.py)")
    summary = compare.summarize(out, y_val, y_test)
    assert list(summary.index) == ["mlp_300_100", "flagship", "cnn"]
    assert summary.loc["cnn", "val_accuracy"] == pytest.approx(0.99, abs=1e-3)
    choice = compare.choose(out, y_val)  # on validation, the CNN included
    assert choice["best"] == "cnn"
    tests = compare.paired_tests(out, y_test)
    assert [tuple(p) for p in tests[["a", "b"]].to_numpy()] == [
        ("flagship", "mlp_300_100"),
        ("cnn", "flagship"),
    ]
    c = stats.compare_procedures(
        y_test, compare.predictions(out, "cnn"), compare.predictions(out, "flagship")
    )
    assert tests.loc[1, "p_value"] == pytest.approx(c.p_value)
    np.testing.assert_allclose(tests["p_holm"], stats.holm(tests["p_value"]))  # m = 2 questions
    assert "(stored: bench_beyond_mlp.py)" in tests.loc[1, "comparison"]


@pytest.mark.parametrize(
    "change, why",
    [
        ("fast", "another split"),
        ("protocol", "another protocol"),
        ("seeds", "has seeds [0]"),
        ("accuracy", "disagree with its accuracy"),
        ("empty", "no runs under 'cnn_runs_08' yet"),
    ],
)
def test_stored_runs_that_do_not_fit_are_skipped_with_one_line(joined_file, labels, capsys, change, why):  # fmt: skip
    y_val, y_test = labels
    _, proto, write = joined_file
    rows = cnn_rows(y_val, y_test)
    if change == "fast":  # e.g. FAST mode: fewer validation images than the stored runs
        write(
            labels=dict(val=compare.encode_labels(y_val[:100]), test=compare.encode_labels(y_test))
        )
    elif change == "protocol":
        write(recipes=dict(cnn=dict(dataclasses.asdict(proto), batch_size=1024, seeds=[0, 1, 2])))
    elif change == "seeds":
        write(cnn_runs_08=rows[:1])
    elif change == "accuracy":
        rows[2]["val_accuracy"] = 0.5
        write(cnn_runs_08=rows)
    else:
        write(cnn_runs_08=[])
    runs = fake_runs({"flagship": [0.98] * 3}, y_val, y_test)
    assert compare.join_stored(runs, y_val, y_test, proto) is runs
    line = capsys.readouterr().out.strip()
    assert "not joined" in line and why in line and len(line.splitlines()) == 1


def test_mult_adds_of_every_model():
    assert compare.mult_adds("mlp_100") == 784 * 100 + 100 * 10
    assert compare.mult_adds("numpy_mlp") == 784 * 256 + 256 * 128 + 128 * 10
    if "cnn" in getattr(models, "CNN_ARCHITECTURES", {}):
        # conv 3x3: 26*26*32*9 + 11*11*64*9*32, then dense 5*5*64*128 + 128*10
        assert (
            compare.mult_adds("cnn") == 26 * 26 * 32 * 9 + 11 * 11 * 64 * 9 * 32 + 1600 * 128 + 1280
        )


def test_readme_table_shows_the_joined_cnn_when_stored(joined_file, labels, tmp_path):
    from benchmarks import report

    y_val, y_test = labels
    path, proto, write = joined_file
    results = tmp_path / "root" / "benchmarks" / "results"
    results.mkdir(parents=True)
    runs = fake_runs({"flagship": [0.98] * 3}, y_val, y_test)
    payload = dict(
        measured="2026-11-21T14:00:00+00:00", mode="full", total_seconds=100.0,
        machine=dict(cpus=2, tensorflow="2.21.0", numpy="2.4.6", load_average=1.0),
        protocol=json.loads(json.dumps(dataclasses.asdict(proto))),
        labels=dict(val=compare.encode_labels(y_val), test=compare.encode_labels(y_test)),
        runs=runs.to_dict(orient="records"),
    )  # fmt: skip
    (results / "architectures.json").write_text(json.dumps(payload))
    text = report.markdown(report.gather(tmp_path / "root"))
    assert "(stored: bench_beyond_mlp.py)" not in text  # no results file of the CNN: no row
    write()
    path.rename(results / path.name)
    text = report.markdown(report.gather(tmp_path / "root"))
    row = next(line for line in text.splitlines() if "(stored: bench_beyond_mlp.py)" in line)
    assert row.startswith("| CNN conv32-pool-conv64-pool-dense128") and "| 225,034 |" in row
    assert "rows marked stored" in text
