"""Notebook 09's helpers: convolution by hand, CNN parameter counts, augmentation, more devices.

* a convolution and a max pooling computed in NumPy equal Keras's ``Conv2D`` and
  ``MaxPooling2D`` on the same weights;
* the hand count of every convolutional architecture equals Keras's;
* the augmentation is active in training only: with ``training=False`` (predict) a model
  with the augmentation block predicts exactly what the same model without it predicts;
* ``MirroredStrategy`` on two logical CPU devices trains a tiny model to the same loss as
  one device (in a subprocess: the device set-up must not leak into other tests);
* the benchmark's results file, when present, can be re-scored from its own predictions.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from helpers import augment, checks, compare, config, modelio, models, stats  # noqa: E402


def keras_numbers(model):
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    non_trainable = sum(int(np.prod(w.shape)) for w in model.non_trainable_weights)
    return dict(trainable=trainable, non_trainable=non_trainable, total=model.count_params())


# --------------------------------------------------------------------------- convolution by hand


@pytest.mark.parametrize(("k", "c_in", "filters"), [(3, 1, 4), (5, 3, 2), (1, 2, 3)])
def test_conv_by_hand_equals_keras_conv2d(k, c_in, filters):
    rng = np.random.default_rng(k * 10 + c_in)
    image = rng.random((12, 10, c_in), dtype=np.float32)
    layer = keras.layers.Conv2D(filters, k)
    layer.build((None, 12, 10, c_in))
    kernels = rng.normal(size=(k, k, c_in, filters)).astype("float32")
    bias = rng.normal(size=filters).astype("float32")
    layer.set_weights([kernels, bias])
    expected = keras.ops.convert_to_numpy(layer(image[None]))[0]
    mine = models.conv2d_by_hand(image, kernels, bias)
    assert mine.shape == expected.shape == (12 - k + 1, 10 - k + 1, filters)
    np.testing.assert_allclose(mine, expected, atol=1e-5)


def test_conv_by_hand_is_the_sum_over_the_patch():
    """One output pixel, written as the sum the notebook's formula says."""
    rng = np.random.default_rng(1)
    image, kernel = rng.random((6, 6, 1)), rng.normal(size=(3, 3, 1, 1))
    out = models.conv2d_by_hand(image, kernel, [0.5])
    assert out[2, 1, 0] == pytest.approx(0.5 + np.sum(image[2:5, 1:4, 0] * kernel[:, :, 0, 0]))


def test_max_pool_by_hand_equals_keras():
    rng = np.random.default_rng(2)
    maps = rng.normal(size=(11, 11, 3)).astype("float32")
    expected = keras.ops.convert_to_numpy(keras.layers.MaxPooling2D(2)(maps[None]))[0]
    mine = models.max_pool_by_hand(maps)
    assert mine.shape == (5, 5, 3)
    np.testing.assert_array_equal(mine, expected)


# --------------------------------------------------------------------------- parameter counts


@pytest.mark.parametrize("name", sorted(models.CNN_ARCHITECTURES))
def test_every_cnn_hand_count_equals_keras(name):
    model = models.build(name)
    hand = models.cnn_count_params(name)
    assert keras_numbers(model) == hand
    assert models.summary_counts(model) == hand
    table = models.cnn_layer_table(name)
    keras_table = models.keras_layer_table(model)
    assert list(table["layer"]) == list(keras_table["layer"])
    assert list(table["total"]) == list(keras_table["total"])
    # the output shapes the table states are the ones Keras computes
    shapes = ["x".join(str(d) for d in layer.output.shape[1:]) for layer in model.layers]
    assert list(table["output"][:-1]) == shapes


@pytest.mark.parametrize("seed", range(4))
def test_random_cnns_hand_count_equals_keras(seed):
    rng = np.random.default_rng(seed)
    spec = dict(
        conv=tuple(int(f) for f in rng.integers(1, 9, size=rng.integers(1, 3))),
        kernel=int(rng.choice([3, 5])),
        dense=tuple(int(w) for w in rng.integers(1, 20, size=rng.integers(0, 3))),
        dropout=float(rng.choice([0.0, 0.3])),
        batchnorm=bool(rng.integers(2)),
        convs_per_block=int(rng.integers(1, 3)),
    )
    model = models.build_cnn(**spec)
    assert keras_numbers(model) == models.cnn_count_params(**spec)
    assert list(models.cnn_layer_table(**spec)["layer"][:-1]) == [x.name for x in model.layers]


def test_the_series_cnn_is_the_quoted_size():
    # conv 1: (3*3*1+1)*32, conv 2: (3*3*32+1)*64, dense: (5*5*64+1)*128, output: (128+1)*10
    assert models.cnn_count_params("cnn")["total"] == 320 + 18_496 + 204_928 + 1_290
    assert models.conv2d_params(3, 32, 64) == 18_496


def test_the_deeper_cnn_has_two_convolutions_per_block():
    model = models.build("cnn_deep")
    convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    assert [c.name for c in convs] == ["conv_1a", "conv_1b", "conv_2a", "conv_2b"]
    # 28 -> 26 -> 24 -> pool 12 -> 10 -> 8 -> pool 4: the Dense layer reads 4 * 4 * 64 values
    assert model.get_layer("flatten").output.shape[1:] == (4 * 4 * 64,)
    hand = (3 * 3 * 1 + 1) * 32 + (3 * 3 * 32 + 1) * 32 + (3 * 3 * 32 + 1) * 64
    hand += (3 * 3 * 64 + 1) * 64 + 4 * (32 + 32 + 64 + 64)  # BatchNorm: 4 numbers per channel
    hand += (1024 + 1) * 128 + (128 + 1) * 10
    assert models.cnn_count_params("cnn_deep")["total"] == model.count_params() == hand
    conv = 26 * 26 * 32 * 9 + 24 * 24 * 32 * 9 * 32 + 10 * 10 * 64 * 9 * 32 + 8 * 8 * 64 * 9 * 64
    assert models.cnn_mult_adds("cnn_deep")["conv"] == conv


def test_cnn_builder_errors():
    with pytest.raises(ValueError, match="leaves no pixels"):
        models.build_cnn(conv=(8, 8, 8, 8))
    with pytest.raises(ValueError, match="leaves no pixels"):
        models.build_cnn(conv=(8, 8, 8), convs_per_block=2)  # 28 -> 12 -> 4 -> 0
    for bad in (0, 1.5, True, "2"):
        with pytest.raises(ValueError, match="convs_per_block"):
            models.build_cnn(convs_per_block=bad)
    with pytest.raises(TypeError, match="does not take"):
        models.build("cnn", hidden=(10,))
    with pytest.raises(KeyError, match="no CNN named"):
        models.cnn_layer_table("cnn_999")


def test_cnn_mult_adds_count_every_position():
    counts = models.cnn_mult_adds("cnn")
    assert counts["conv"] == 26 * 26 * 32 * 9 + 11 * 11 * 64 * 9 * 32
    assert counts["dense"] == 1600 * 128 + 128 * 10


# --------------------------------------------------------------------------- augmentation


def test_augmentation_is_off_at_inference():
    rng = np.random.default_rng(0)
    x = rng.random((16, 28, 28), dtype=np.float32)
    keras.utils.set_random_seed(0)
    plain = models.build("cnn_small")
    wrapped = augment.with_augmentation(plain, seed=0)
    same = wrapped.predict(x, verbose=0)
    np.testing.assert_array_equal(same, plain.predict(x, verbose=0))
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(wrapped(x, training=False)),
        keras.ops.convert_to_numpy(plain(x, training=False)),
    )
    # ... and on in training: the same images come out changed
    block = augment.augmentation(seed=0)
    out = keras.ops.convert_to_numpy(block(x[..., None], training=True))
    assert out.shape == (16, 28, 28, 1)
    assert not np.allclose(out[..., 0], x)
    # a bare call model(x) counts as training for Keras's random layers: the reason the
    # notebook always passes training=False (or uses predict)
    bare = keras.ops.convert_to_numpy(wrapped(x))
    assert not np.allclose(bare, same)


def test_augment_images_moves_ink_but_keeps_it_on_paper():
    x = np.zeros((8, 28, 28), dtype=np.float32)
    x[:, 10:18, 12:16] = 1.0
    out = augment.augment_images(x, seed=1)
    assert out.shape == x.shape and out.min() >= 0 and out.max() <= 1 + 1e-6
    assert not np.allclose(out, x)
    # zoom and rotation change the ink's area only a little: no image loses most of it
    assert np.all(out.sum(axis=(1, 2)) > 0.5 * x.sum(axis=(1, 2)))


def test_augmentation_rejects_bad_settings():
    with pytest.raises(ValueError, match="share of the image side"):
        augment.augmentation(shift=3)
    with pytest.raises(ValueError, match="shape"):
        augment.augment_images(np.zeros((2, 784)))


def test_recipes_build_what_they_say():
    recipe = augment.RECIPES["cnn_augmented"]
    model = augment.build(recipe, seed=0)
    assert model.layers[1].name == "augment"
    assert model.count_params() == models.cnn_count_params("cnn")["total"]
    fast = recipe.for_run()
    assert fast.epochs == (1 if config.is_fast() else recipe.epochs)
    # FAST: small batches, so that BatchNorm's running averages settle within one epoch
    assert fast.batch_size == (min(recipe.batch_size, 8) if config.is_fast() else recipe.batch_size)
    for name, recipe in augment.RECIPES.items():  # every recipe: its name, its net, augmented
        assert recipe.name == name and recipe.augment
        model = augment.build(recipe, seed=0)
        plain = models.build(recipe.architecture, **dict(recipe.build_kwargs))
        assert model.layers[1].name == "augment", name
        assert model.count_params() == plain.count_params(), name


class _TinySplit:
    """Just enough of helpers.split's Split for augment.train: 256 fit, 64 validation images."""

    def __init__(self, seed=0):
        rng = np.random.default_rng(seed)
        self.x_fit = rng.random((256, 28, 28), dtype=np.float32)
        self.y_fit = rng.integers(0, 10, 256)
        self.x_val = rng.random((64, 28, 28), dtype=np.float32)
        self.y_val = rng.integers(0, 10, 64)
        self.seed = seed

    def describe(self):
        return f"tiny random split {self.seed}"


def test_load_or_train_reuses_only_the_same_recipe_and_split(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(config, "artifacts_dir", lambda: tmp_path)
    # a tuple in the recipe (as every Dropout recipe has) must survive the JSON sidecar
    recipe = augment.Recipe(
        "tiny", "cnn_small", augment=True, epochs=1, batch_size=64, build_kwargs=(("dense", (16,)),)
    )
    data = _TinySplit()
    first, record = augment.load_or_train(recipe, data, seed=0, verbose=0)
    assert record["loaded"] is False and len(record["epoch_seconds"]) == 1
    assert augment.model_path(recipe, 0).is_file()
    # training is never silent about why nothing was loaded (it can take an hour)
    said = capsys.readouterr().out
    assert "Training tiny (seed 0) here now (no committed copy at benchmarks/models/" in said
    again, record2 = augment.load_or_train(recipe, data, seed=0, verbose=0)
    assert record2["loaded"] is True and "Loaded tiny (seed 0)" in capsys.readouterr().out
    assert record2["val_accuracy_per_epoch"] == record["val_accuracy_per_epoch"]
    np.testing.assert_array_equal(
        augment.predict_digits(again, data.x_val)[1], augment.predict_digits(first, data.x_val)[1]
    )
    # another split or another recipe under the same name: trained again, never reused
    _, other = augment.load_or_train(recipe, _TinySplit(seed=1), seed=0, verbose=0)
    assert other["loaded"] is False
    longer = augment.Recipe(
        "tiny", "cnn_small", augment=True, epochs=2, batch_size=64, build_kwargs=(("dense", (16,)),)
    )
    _, other = augment.load_or_train(longer, _TinySplit(seed=1), seed=0, verbose=0)
    assert other["loaded"] is False and len(other["epoch_seconds"]) == 2
    # a file saved by another Keras version is trained again, never loaded (it may not load)
    monkeypatch.setattr(keras, "__version__", "0.0.1")
    _, other = augment.load_or_train(longer, _TinySplit(seed=1), seed=0, verbose=0)
    assert other["loaded"] is False


class _TinySplitWithTest(_TinySplit):
    """With test images too: notebook 08's trainer predicts them after training."""

    def __init__(self, seed=0):
        super().__init__(seed)
        rng = np.random.default_rng(100 + seed)
        self.x_test = rng.random((32, 28, 28), dtype=np.float32)
        self.y_test = rng.integers(0, 10, 32)


def test_plain_cnn_is_saved_with_its_checksum_and_reused_only_for_the_same_split(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.setattr(config, "artifacts_dir", lambda: tmp_path)
    data = _TinySplitWithTest()
    first, record = augment.load_or_train_plain_cnn(data, seed=0)
    assert record["loaded"] is False and record["epochs"] >= 1
    path = tmp_path / "cnn_seed0.keras"
    assert path.is_file() and "Trained the plain CNN" in capsys.readouterr().out
    assert first.layers[0].name != "augment"  # no augmentation block: the plain CNN
    again, record2 = augment.load_or_train_plain_cnn(data, seed=0)
    assert record2["loaded"] is True and "Loaded the plain CNN" in capsys.readouterr().out
    np.testing.assert_array_equal(
        augment.predict_digits(again, data.x_val)[1], augment.predict_digits(first, data.x_val)[1]
    )
    _, other = augment.load_or_train_plain_cnn(_TinySplitWithTest(seed=1), seed=0)
    assert other["loaded"] is False  # another split: trained again, never reused
    said = capsys.readouterr().out  # and the committed copy (another split) says why not
    assert "Training the plain CNN (seed 0) here now (benchmarks/models/cnn_seed0" in said
    path.write_bytes(path.read_bytes()[:-10])  # a damaged file is refused, not loaded
    with pytest.raises(modelio.ModelFileError):
        augment.load_or_train_plain_cnn(_TinySplitWithTest(seed=1), seed=0)


def test_benchmark_cache_key_is_what_the_cache_file_holds():
    """A finished run is reused only when its stored key equals the new one; JSON turns the
    recipes' tuples into lists, so the key must already be in that form (a tuple in it once
    made every run with Dropout rates train again)."""
    from benchmarks import bench_beyond_mlp as bench

    for name in ["cnn", *augment.RECIPES]:
        key = bench._key(name, 0, _TinySplit(), quick=False)
        assert json.loads(json.dumps(key)) == key, name


def test_benchmark_choice_reads_the_validation_choice():
    assert augment.benchmark_choice(None, "cnn") == ("cnn_augmented", None)
    bench = {
        "mlp_candidates": {"a": "recipe a", "b": "recipe b"},
        "mlp_choice": {"chosen": "b"},
        "summary": {
            "a": {"val_accuracy": {"mean": 98.1}, "seeds": [0, 1, 2]},
            "b": {"val_accuracy": {"mean": 98.7}, "seeds": [0, 1, 2]},
        },
    }
    chosen, table = augment.benchmark_choice(bench, "mlp")
    assert chosen == "b" and list(table.index) == ["a", "b"]
    assert table.loc["b", "validation % (mean)"] == 98.7
    with pytest.raises(ValueError, match="group"):
        augment.benchmark_choice(bench, "rnn")


# --------------------------------------------------------------------------- more devices

DISTRIBUTED = textwrap.dedent(
    """
    import json
    import numpy as np
    from helpers import distribute, models
    names = distribute.use_logical_cpus(2)
    rng = np.random.default_rng(0)
    x = rng.random((512, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, 512)
    build = lambda: models.build("cnn_small")
    one = distribute.fit_once(build, x, y, global_batch=64, epochs=2, seed=0)
    strategy = distribute.mirrored_strategy(2)
    two = distribute.fit_once(build, x, y, global_batch=64, epochs=2, seed=0, strategy=strategy)
    print(json.dumps(dict(names=names, one=one["loss"], two=two["loss"],
                          replicas=two["replicas"], per_replica=two["per_replica_batch"])))
    """
)


def test_mirrored_strategy_on_two_logical_cpus_reaches_the_same_loss():
    done = subprocess.run(
        [sys.executable, "-c", DISTRIBUTED],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=config.ROOT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert len(result["names"]) == 2
    assert result["replicas"] == 2 and result["per_replica"] == 32
    # the same batches, gradients averaged over the two halves = the gradient of the whole batch
    np.testing.assert_allclose(result["two"], result["one"], rtol=1e-4)
    assert result["one"][1] < result["one"][0]  # and it did learn something


def test_logical_cpus_cannot_change_after_tensorflow_started():
    code = (
        "import tensorflow as tf\n"
        "tf.constant(1.0) + 1\n"  # devices initialised now
        "from helpers import distribute\n"
        "try:\n"
        "    distribute.use_logical_cpus(3)\n"
        "except RuntimeError as e:\n"
        "    print('refused:', e)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=config.ROOT
    )
    assert "refused:" in done.stdout and "restart the kernel" in done.stdout, done.stderr[-2000:]


# --------------------------------------------------------------------------- the results file

RESULTS = config.RESULTS_DIR / "beyond_mlp.json"


@pytest.mark.skipif(not RESULTS.is_file(), reason="the benchmark has not been run")
def test_results_file_can_be_rescored_from_its_predictions():
    payload = json.loads(RESULTS.read_text())
    y_val = compare.decode_labels(payload["labels"]["val"])
    y_test = compare.decode_labels(payload["labels"]["test"])
    for row in payload["runs"]:
        val = compare.decode_labels(row["val_predictions"])
        test = compare.decode_labels(row["test_predictions"])
        assert row["val_accuracy"] == pytest.approx(np.mean(val == y_val), abs=1e-5)
        assert row["test_accuracy"] == pytest.approx(np.mean(test == y_test), abs=1e-5)
        assert row["test_errors"] == int(np.sum(test != y_test))
    # the rows for notebook 08 have exactly the keys of its own rows
    stored_08 = json.loads((config.RESULTS_DIR / "architectures.json").read_text())
    for row in payload["cnn_runs_08"]:
        assert set(row) == set(stored_08["runs"][0])
        assert row["name"] == "cnn" and row["group"] == "architecture"
        assert row["n_val"] == len(y_val) and row["n_test"] == len(y_test)
    # each choice is the highest mean validation accuracy, whatever the test says
    for group, key in (("candidates", "choice"), ("mlp_candidates", "mlp_choice")):
        if payload.get(key):
            means = {n: payload["summary"][n]["val_accuracy"]["mean"] for n in payload[group]}
            assert payload[key]["chosen"] == max(means, key=means.get)
            for name in payload[group]:  # the means are those of the stored runs
                mine = [r["val_accuracy"] for r in payload["runs"] if r["name"] == name]
                assert means[name] == pytest.approx(100 * np.mean(mine), abs=1e-3)
    for test in payload["mcnemar_test"]:
        a = next(r for r in payload["runs"] if r["name"] == test["a"] and r["seed"] == test["seed"])
        b = next(r for r in payload["runs"] if r["name"] == test["b"] and r["seed"] == test["seed"])
        again = stats.mcnemar(
            y_test,
            compare.decode_labels(a["test_predictions"]),
            compare.decode_labels(b["test_predictions"]),
        )
        assert again.only_a_right == test["only_a_right"]


# --------------------------------------------------------------------------- exercises


def _conv_side_and_params(side, kernel, channels, filters, padding="valid"):
    """A right answer to exercise 1, written independently of the checker."""
    return (side if padding == "same" else side - kernel + 1), (kernel**2 * channels + 1) * filters


def test_exercise_09_1_checks_a_function_against_keras_and_names_each_mistake(capsys):
    assert checks.exercise_09_1(_conv_side_and_params)
    # floats that are whole numbers and NumPy integers are accepted
    assert checks.exercise_09_1(
        lambda *a, **k: tuple(np.int64(v) for v in _conv_side_and_params(*a, **k))
    )
    assert checks.exercise_09_1(
        lambda *a, **k: tuple(float(v) for v in _conv_side_and_params(*a, **k))
    )
    capsys.readouterr()
    mistakes = {
        "off by one": lambda s, k, c, f, padding="valid": (
            s if padding == "same" else s - k, (k * k * c + 1) * f),
        "'same'": lambda s, k, c, f, padding="valid": (s - k + 1, (k * k * c + 1) * f),
        "fewer positions": lambda s, k, c, f, padding="valid": (s, (k * k * c + 1) * f),
        "one bias": lambda s, k, c, f, padding="valid": (
            _conv_side_and_params(s, k, c, f, padding)[0], k * k * c * f),
        "all 32 input channels": lambda s, k, c, f, padding="valid": (
            _conv_side_and_params(s, k, c, f, padding)[0], (k * k + 1) * f),
        "wrong way round": lambda *a, **kw: _conv_side_and_params(*a, **kw)[::-1],
        "shared": lambda s, k, c, f, padding="valid": (
            _conv_side_and_params(s, k, c, f, padding)[0], s * s * f),
        "whole number": lambda s, k, c, f, padding="valid": (
            _conv_side_and_params(s, k, c, f, padding)[0] + 0.7, (k * k * c + 1) * f),
        "returned None": lambda *a, **kw: None,
        "raised ZeroDivisionError": lambda *a, **kw: 1 / 0,
        "should return a pair": lambda *a, **kw: _conv_side_and_params(*a, **kw)[0],
        "without brackets": (24, 416),  # the old look-up answer: a pair, not a function
    }  # fmt: skip
    for message, wrong in mistakes.items():
        assert not checks.exercise_09_1(wrong), message
        out = capsys.readouterr().out
        assert message in out, (message, out)
    assert not checks.exercise_09_1(lambda *a, **kw: (True, 416))  # a bool is not a count
    assert not checks.exercise_09_1(lambda *a, **kw: ("24", "416"))
    assert not checks.exercise_09_1(...)


def test_exercise_09_1_cases_cover_both_paddings_channels_and_a_1x1_kernel():
    paddings = {case[4] for case in checks.CONV_CASES}
    assert paddings == {"valid", "same"}
    assert any(c > 1 for _, _, c, _, _ in checks.CONV_CASES)  # channels enter the count
    assert any(k == 1 for _, k, _, _, _ in checks.CONV_CASES)
    for case in checks.CONV_CASES:  # the checker's reference is Keras, and agrees with the formula
        assert checks._keras_conv(*case) == _conv_side_and_params(*case)


def test_exercise_09_checkers():
    def shift_right(images, k):
        out = np.zeros_like(images)
        out[:, :, k:] = images[:, :, : images.shape[2] - k]
        return out

    assert checks.exercise_09_3(shift_right)
    assert not checks.exercise_09_3(lambda images, k: np.roll(images, k, axis=2))

    def minus_k(images, k):  # the classic slip: images[:, :, :-k] is empty for k = 0
        out = np.zeros_like(images)
        out[:, :, k:] = images[:, :, :-k]
        return out

    assert "EMPTY slice" in checks.exercise_09_3(minus_k).message
    assert "forget the return" in checks.exercise_09_3(lambda images, k: None).message
    assert not checks.exercise_09_3(lambda images, k: np.roll(images, k, axis=1))


def test_exercise_09_2_measures_the_accuracy_on_turned_digits():
    import keras
    from scipy import ndimage

    rng = np.random.default_rng(3)
    x = rng.random((300, 28, 28)).astype("float32")
    x[:150, :, :14] = 0  # ink on the right only: turning moves it, and the linear model notices
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [keras.Input((28, 28)), keras.layers.Flatten(), keras.layers.Dense(10)]
    )
    y = model.predict(x, verbose=0).argmax(axis=1)  # right on every unturned image
    y[:30] = (y[:30] + 1) % 10  # and wrong on 30 of them
    turned = ndimage.rotate(x, 30, axes=(1, 2), reshape=False, order=1, mode="constant")
    accuracy = float(np.mean(model.predict(turned, verbose=0).argmax(axis=1) == y))
    assert 0.2 < accuracy < 0.85  # the test needs the turned accuracy apart from the plain 0.9
    assert checks.exercise_09_2(accuracy, model, x, y, degrees=30)
    assert checks.exercise_09_2(accuracy + 0.002, model, x, y, degrees=30)  # within 0.003
    assert not checks.exercise_09_2(accuracy + 0.01, model, x, y, degrees=30)
    clockwise = ndimage.rotate(x, -30, axes=(1, 2), reshape=False, order=1, mode="constant")
    other_way = float(np.mean(model.predict(clockwise, verbose=0).argmax(axis=1) == y))
    assert abs(other_way - accuracy) > 0.01  # the test needs the two directions apart
    assert "other way" in checks.exercise_09_2(other_way, model, x, y, degrees=30).message
    assert "percentage" in checks.exercise_09_2(100 * accuracy, model, x, y, degrees=30).message
    assert "error rate" in checks.exercise_09_2(1 - accuracy, model, x, y, degrees=30).message
    assert "turn them" in checks.exercise_09_2(0.9, model, x, y, degrees=30).message
    for wrong in (True, "0.5", float("nan"), ...):
        assert not checks.exercise_09_2(wrong, model, x, y, degrees=30), wrong


def test_exercise_09_4_max_pool_against_keras():
    def max_pool(maps):
        h, w, c = maps.shape
        return maps[: h // 2 * 2, : w // 2 * 2].reshape(h // 2, 2, w // 2, 2, c).max(axis=(1, 3))

    def mean_pool(maps):
        h, w, c = maps.shape
        return maps[: h // 2 * 2, : w // 2 * 2].reshape(h // 2, 2, w // 2, 2, c).mean(axis=(1, 3))

    def padded(maps):  # pools the odd edge on its own instead of dropping it
        h, w, c = maps.shape
        out = np.full(((h + 1) // 2 * 2, (w + 1) // 2 * 2, c), -np.inf)
        out[:h, :w] = maps
        return max_pool(out)

    assert checks.exercise_09_4(max_pool)
    assert "MEAN" in checks.exercise_09_4(mean_pool).message
    assert "odd" in checks.exercise_09_4(padded).message
    assert "channel" in checks.exercise_09_4(lambda m: max_pool(m)[..., 0]).message
    assert (
        "top-left"
        in checks.exercise_09_4(
            lambda m: m[: m.shape[0] // 2 * 2 : 2, : m.shape[1] // 2 * 2 : 2]
        ).message
    )
    assert "raised" in checks.exercise_09_4(lambda m: 1 / 0).message
    assert "forget the return" in checks.exercise_09_4(lambda m: None).message

    def mixed_blocks(maps):  # reshape(h // 2, w // 2, 2, 2, c): groups that are not blocks
        h, w, c = maps.shape
        return maps[: h // 2 * 2, : w // 2 * 2].reshape(h // 2, w // 2, 2, 2, c).max(axis=(2, 3))

    assert "reshape(h // 2, 2" in checks.exercise_09_4(mixed_blocks).message
    assert not checks.exercise_09_4(...)
    assert not checks.exercise_09_4(max_pool(np.ones((4, 4, 1))))


# --------------------------------------------------------------------------- committed models
# (issue 24, perf: notebook 09 loads the seed-0 models committed in benchmarks/models/)


def test_load_or_train_falls_back_to_the_committed_copy_and_checks_it(
    tmp_path, monkeypatch, capsys
):
    import shutil

    from helpers import committed

    artifacts, committed_dir = tmp_path / "artifacts", tmp_path / "committed"
    artifacts.mkdir()
    monkeypatch.setattr(config, "artifacts_dir", lambda: artifacts)
    monkeypatch.setattr(augment, "COMMITTED_DIR", committed_dir)
    recipe = augment.Recipe("tiny", "cnn_small", augment=True, epochs=1, batch_size=64)
    data = _TinySplit()
    first, _ = augment.load_or_train(recipe, data, seed=0, verbose=0)
    path = augment.model_path(recipe, 0)
    # the committed copy: weights only, saved by another Keras version
    info = modelio.read_info(path)
    info["how"]["keras"] = "3.0.0"
    committed.save(first, path.stem, info, directory=committed_dir)
    path.unlink()
    capsys.readouterr()
    model, record = augment.load_or_train(recipe, data, seed=0, verbose=0)
    assert record["loaded"] is True and record["committed"] is True
    out = capsys.readouterr().out
    assert "benchmarks/models/tiny_seed0.weights.h5" in out and "TRAIN_YOURSELF" in out
    assert not path.exists()  # nothing trained, nothing written
    np.testing.assert_array_equal(
        augment.predict_digits(model, data.x_val)[1], augment.predict_digits(first, data.x_val)[1]
    )
    # the switch trains it here in any case, and says so
    _, record = augment.load_or_train(recipe, data, seed=0, verbose=0, train_yourself=True)
    assert record["loaded"] is False and path.exists()
    assert "here now (train_yourself=True)" in capsys.readouterr().out
    path.unlink()
    # another split: the committed copy is not used
    _, record = augment.load_or_train(recipe, _TinySplit(seed=1), seed=0, verbose=0)
    assert record["loaded"] is False
    path.unlink()
    # a changed byte, or a missing checksum file: refused before Keras reads it
    copy = committed.path_for(path.stem, committed_dir)
    shutil.copy(copy, tmp_path / "good.weights.h5")
    raw = bytearray(copy.read_bytes())
    raw[len(raw) // 2] ^= 1
    copy.write_bytes(bytes(raw))
    with pytest.raises(modelio.ModelFileError, match="SHA-256"):
        augment.load_or_train(recipe, data, seed=0, verbose=0)
    shutil.copy(tmp_path / "good.weights.h5", copy)
    modelio.sidecar_path(copy).unlink()
    with pytest.raises(modelio.ModelFileError, match="no checksum file"):
        augment.load_or_train(recipe, data, seed=0, verbose=0)


@pytest.mark.parametrize("recipe", ["cnn_deep_augmented", "flagship_augmented_light"])
def test_committed_models_are_of_the_current_recipe(recipe):
    from helpers import committed

    info = committed.describe(f"{recipe}_seed0")
    assert info is not None, f"{recipe} is not committed: run python -m benchmarks.export_models"
    wanted = json.loads(json.dumps(augment.RECIPES[recipe].as_dict()))  # tuples as lists
    assert info["info"]["how"]["recipe"] == wanted, (
        f"{recipe} changed since its model was committed: retrain it "
        "(python -m benchmarks.bench_beyond_mlp) and run python -m benchmarks.export_models"
    )
    assert info["info"]["how"]["seed"] == 0
    assert info["info"]["source"]["trained_by"] == augment.TRAINED_BY


def test_committed_plain_cnn_is_of_notebook_08s_protocol():
    import dataclasses

    from helpers import committed

    how = committed.describe("cnn_seed0")["info"]["how"]
    protocol = dataclasses.asdict(compare.protocol())
    for run_size in ("max_epochs", "seeds"):  # FAST mode's are smaller
        del protocol[run_size]
    assert {k: how["protocol"][k] for k in protocol} == protocol
    assert how["candidate"] == augment.PLAIN_CNN and how["seed"] == 0


def test_committed_table_reads_the_sidecars():
    table = augment.committed_table()
    info = modelio.read_info(augment.COMMITTED_DIR / "cnn_deep_augmented_seed0.weights.h5")
    row = table.loc["cnn_deep_augmented_seed0"]
    assert row["recipe"] == "cnn_deep_augmented"
    assert row["training (min)"] == pytest.approx(info["record"]["seconds"] / 60, abs=0.05)
    assert table.loc["cnn_seed0", "recipe"] == augment.PLAIN_CNN


def test_a_committed_copy_without_its_training_record_is_refused_by_name(tmp_path, monkeypatch):
    """Notebook 09 prints how long each committed model's training took: a sidecar without
    that record is refused with its name and the fix, not a KeyError."""
    from helpers import committed

    artifacts, committed_dir = tmp_path / "artifacts", tmp_path / "committed"
    artifacts.mkdir()
    monkeypatch.setattr(config, "artifacts_dir", lambda: artifacts)
    monkeypatch.setattr(augment, "COMMITTED_DIR", committed_dir)
    recipe = augment.Recipe("tiny", "cnn_small", augment=True, epochs=1, batch_size=64)
    data = _TinySplit()
    first, _ = augment.load_or_train(recipe, data, seed=0, verbose=0)
    path = augment.model_path(recipe, 0)
    info = modelio.read_info(path)
    del info["record"]
    committed.save(first, path.stem, info, directory=committed_dir)
    path.unlink()
    with pytest.raises(modelio.ModelFileError, match="no training record") as caught:
        augment.load_or_train(recipe, data, seed=0, verbose=0)
    assert "git checkout -- benchmarks/models/tiny_seed0" in str(caught.value)
    assert not path.exists()  # nothing trained in its place
