"""The trained models committed in benchmarks/models/ (weights only, checksummed), and the
checks of helpers/committed.py that guard them.

The models are read on every CI stack (pinned Keras 3.15, oldest 3.10, Colab's 3.13): each is
rebuilt by the series' builders, its weights read, and its probabilities on fixed noise images
compared with the ones recorded when it was exported (by Keras 3.15), to a tolerance. No data
set is needed, so these tests run in FAST mode and offline as well.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from helpers import augment, committed, modelio  # noqa: E402

#: Every committed model and the builder that gives its architecture.
BUILDERS = {
    "cnn_deep_augmented_seed0": lambda: augment.build(augment.RECIPES["cnn_deep_augmented"], 0),
    "flagship_augmented_light_seed0": lambda: augment.build(
        augment.RECIPES["flagship_augmented_light"], 0
    ),
    "cnn_seed0": lambda: augment._build_plain_cnn(0),
}


def test_every_committed_file_is_listed_here_and_small():
    on_disk = {p.name.removesuffix(committed.SUFFIX) for p in committed.COMMITTED_DIR.glob("*.h5")}
    assert on_disk == set(BUILDERS)
    assert not list(
        committed.COMMITTED_DIR.glob("*.keras")
    )  # whole .keras files: not readable by every Keras
    for name in BUILDERS:
        assert committed.path_for(name).stat().st_size < 3_000_000, name  # weights only


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_committed_model_loads_on_this_keras_and_computes_what_it_computed_when_saved(name):
    side = committed.describe(name)
    how = side["info"]["how"]
    model, info = committed.load(name, how, BUILDERS[name])  # checksum, shapes, sum checked
    assert model is not None and info["how"] == how
    assert getattr(model, "optimizer", None) is None  # weights only: nothing to train on
    got = model.predict(committed.check_images(), verbose=0)
    want = np.array(side["check_probabilities"])
    # saved by Keras 3.15 (pinned stack); float32 through other Keras/TF builds: tolerance
    np.testing.assert_allclose(got, want, atol=1e-5, err_msg=f"{name} on Keras {keras.__version__}")


# --------------------------------------------------------------------------- the checks


def _saved(tmp_path, name="tiny"):
    from helpers import models

    keras.utils.set_random_seed(0)
    model = models.build("cnn_small")
    info = {"how": {"what": "a test model", "seed": 0}, "record": {"seconds": 1.0}}
    return model, committed.save(model, name, info, directory=tmp_path), info


def _build():
    from helpers import models

    keras.utils.set_random_seed(1)  # other initial weights than the saved ones
    return models.build("cnn_small")


def test_save_then_load_gives_the_same_model_and_refuses_another_recipe(tmp_path):
    model, path, info = _saved(tmp_path)
    assert path.name == "tiny.weights.h5" and modelio.sidecar_path(path).is_file()
    loaded, got = committed.load("tiny", info["how"], _build, directory=tmp_path)
    x = committed.check_images()
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert got == info
    # the Keras version is not part of the match (weights are the same arrays in every Keras)
    assert committed.load("tiny", {**info["how"], "keras": "3.10.0"}, _build, tmp_path)[0]
    assert committed.load("tiny", {**info["how"], "seed": 1}, _build, tmp_path)[0] is None
    assert committed.load("other", info["how"], _build, tmp_path)[0] is None  # no file
    assert not list(tmp_path.glob(".*partial*"))


def test_a_changed_file_is_refused_before_its_weights_are_used(tmp_path):
    _, path, info = _saved(tmp_path)
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 1
    path.write_bytes(bytes(raw))
    with pytest.raises(modelio.ModelFileError, match="SHA-256"):
        committed.load("tiny", info["how"], _build, directory=tmp_path)


def test_a_missing_sidecar_a_non_hdf5_file_and_another_architecture_are_refused(tmp_path):
    from helpers import models

    _, path, info = _saved(tmp_path)
    with pytest.raises(modelio.ModelFileError, match="another architecture"):
        committed.load("tiny", info["how"], lambda: models.build("cnn"), directory=tmp_path)
    side = modelio.sidecar_path(path)
    content = json.loads(side.read_text())
    path.write_bytes(b"not an HDF5 file at all")
    content["sha256"] = modelio.file_sha256(path)  # a consistent checksum of a wrong file
    side.write_text(json.dumps(content))
    with pytest.raises(modelio.ModelFileError, match="not an HDF5"):
        committed.load("tiny", info["how"], _build, directory=tmp_path)
    side.unlink()
    with pytest.raises(modelio.ModelFileError, match="no checksum file"):
        committed.load("tiny", info["how"], _build, directory=tmp_path)


def test_weights_that_do_not_add_up_to_the_recorded_sum_are_refused(tmp_path):
    _, path, info = _saved(tmp_path)
    side = modelio.sidecar_path(path)
    content = json.loads(side.read_text())
    content["abs_sum"] *= 1.001  # as if a weight had been skipped or altered when reading
    side.write_text(json.dumps(content))
    with pytest.raises(modelio.ModelFileError, match="do not add up"):
        committed.load("tiny", info["how"], _build, directory=tmp_path)


def test_a_truncated_file_is_refused_and_named_before_its_weights_are_used(tmp_path):
    _, path, info = _saved(tmp_path)
    path.write_bytes(path.read_bytes()[:1000])  # an interrupted copy or download
    with pytest.raises(modelio.ModelFileError, match="SHA-256") as caught:
        committed.load("tiny", info["how"], _build, directory=tmp_path)
    assert str(path) in str(caught.value) and "git checkout" in str(caught.value)


@pytest.mark.parametrize(
    "edit, what",
    [
        (lambda c: "{not json", "cannot be read"),
        (lambda c: json.dumps({k: v for k, v in c.items() if k != "abs_sum"}), "'abs_sum'"),
        (lambda c: json.dumps({**c, "abs_sum": "12.5"}), "'abs_sum'"),
        (lambda c: json.dumps({**c, "abs_sum": float("nan")}), "'abs_sum'"),
        (lambda c: json.dumps({**c, "weight_shapes": None}), "'weight_shapes'"),
        (lambda c: json.dumps({**c, "weight_shapes": [[3, 3.5]]}), "'weight_shapes'"),
        (lambda c: json.dumps({**c, "info": [1]}), "cannot be read"),
    ],
)
def test_a_damaged_sidecar_is_refused_naming_it_and_the_git_fix(tmp_path, edit, what):
    """Before anything is built or read: the sidecar's name, what is wrong, and the fix for a
    committed model (restore from git; not notebook 06's 'delete it and retrain')."""
    _, path, info = _saved(tmp_path)
    side = modelio.sidecar_path(path)
    side.write_text(edit(json.loads(side.read_text())))
    built = []
    with pytest.raises(modelio.ModelFileError, match=what) as caught:
        committed.load("tiny", info["how"], lambda: built.append(1) or _build(), tmp_path)
    message = str(caught.value)
    assert side.name in message and "git checkout" in message and "notebook 06" not in message
    assert not built  # refused before the architecture was even built


def test_a_folder_in_place_of_the_file_is_refused(tmp_path):
    _, path, info = _saved(tmp_path)
    path.unlink()
    path.mkdir()
    with pytest.raises(modelio.ModelFileError, match="not a file"):
        committed.load("tiny", info["how"], _build, directory=tmp_path)


def test_export_replaces_a_committed_model_only_with_a_copy_that_passed_its_check(tmp_path):
    from benchmarks import export_models
    from helpers import models

    source, target = tmp_path / "source", tmp_path / "target"
    keras.utils.set_random_seed(0)
    model = models.build("cnn_small")
    info = {"how": {"what": "a test model", "seed": 0}, "record": {"seconds": 1.0}}
    modelio.save_model(model, source / "tiny.keras", info=info)
    x = committed.check_images()
    path = export_models.export("tiny", None, "a test", _build, source, target, x)
    assert path == committed.path_for("tiny", target) and modelio.sidecar_path(path).is_file()
    assert not (target / ".export-staging").exists()
    before = path.read_bytes(), modelio.sidecar_path(path).read_bytes()
    # a builder of another architecture: the staged copy fails its check, the committed stays
    with pytest.raises(modelio.ModelFileError, match="another architecture"):
        export_models.export("tiny", None, "a test", lambda: models.build("cnn"), source, target, x)
    assert (path.read_bytes(), modelio.sidecar_path(path).read_bytes()) == before
    assert not (target / ".export-staging").exists()
