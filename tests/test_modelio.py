"""helpers.modelio: a saved model comes back exactly, and a damaged file is a clear error."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pytest

from helpers import modelio, quiet

quiet.import_tensorflow()
import h5py  # noqa: E402
import keras  # noqa: E402

FORMATS = [".keras", ".h5"]


@pytest.fixture(scope="module")
def model():
    keras.utils.set_random_seed(0)
    net = keras.Sequential(
        [keras.Input((6,)), keras.layers.Dense(5), keras.layers.Dense(3, activation="softmax")]
    )
    net.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    rng = np.random.default_rng(1)
    net.fit(rng.normal(size=(32, 6)), np.eye(3)[rng.integers(0, 3, 32)], epochs=1, verbose=0)
    return net


@pytest.fixture(scope="module")
def x():
    return np.random.default_rng(0).normal(size=(200, 6)).astype(np.float32)


def flip_bit_in_h5_weight(h5_bytes: bytes) -> tuple[bytes, float, float]:
    """Flip the top exponent bit of the first weight of the first kernel in an HDF5 file."""
    with h5py.File(io.BytesIO(h5_bytes), "r") as h5:
        datasets = []
        h5.visititems(
            lambda name, obj: datasets.append(obj) if isinstance(obj, h5py.Dataset) else None
        )
        kernel = next(d for d in datasets if d.ndim == 2 and d.dtype == np.float32)
        offset = kernel.id.get_offset()  # contiguous storage: first float at this byte
        before = float(kernel[0, 0])
    assert offset is not None
    raw = bytearray(h5_bytes)
    raw[offset + 3] ^= 0x40  # little-endian float32: byte 3 holds the sign and exponent
    with h5py.File(io.BytesIO(bytes(raw)), "r") as h5:
        datasets = []
        h5.visititems(
            lambda name, obj: datasets.append(obj) if isinstance(obj, h5py.Dataset) else None
        )
        after = float(next(d for d in datasets if d.ndim == 2 and d.dtype == np.float32)[0, 0])
    return bytes(raw), before, after


def flip_bit_in_weight(path):
    """Alter one weight of a saved model file so that the file is still well-formed."""
    if path.suffix == ".h5":
        raw, before, after = flip_bit_in_h5_weight(path.read_bytes())
        path.write_bytes(raw)
        return before, after
    with zipfile.ZipFile(path) as archive:  # .keras: rewrite the zip with valid CRCs
        members = {name: archive.read(name) for name in archive.namelist()}
    members["model.weights.h5"], before, after = flip_bit_in_h5_weight(members["model.weights.h5"])
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return before, after


@pytest.mark.parametrize("suffix", FORMATS)
def test_round_trip_gives_the_same_predictions_and_info(model, x, tmp_path, suffix):
    info = {"recipe": "test", "val_accuracy": 0.5}
    path = modelio.save_model(model, tmp_path / f"m{suffix}", info=info)
    assert path == tmp_path / f"m{suffix}"
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"m{suffix}", f"m{suffix}.json"]
    side = json.loads(modelio.sidecar_path(path).read_text())
    assert side["sha256"] == modelio.file_sha256(path) and side["file"] == path.name
    assert modelio.read_info(path) == info
    loaded = modelio.load_model(path)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_read_info_without_sidecar_is_none(tmp_path):
    assert modelio.read_info(tmp_path / "nothing.keras") is None


@pytest.mark.parametrize("suffix", FORMATS)
def test_a_flipped_bit_in_a_weight_is_caught(model, x, tmp_path, suffix):
    path = modelio.save_model(model, tmp_path / f"m{suffix}")
    before, after = flip_bit_in_weight(path)
    assert before != after  # the weight really changed ...
    if suffix == ".h5":  # ... and Keras alone would load it without complaint
        silently = keras.saving.load_model(path)
        assert not np.array_equal(silently.predict(x, verbose=0), model.predict(x, verbose=0))
    with pytest.raises(modelio.ModelFileError, match=r"changed since it was saved") as err:
        modelio.load_model(path)
    assert str(path) in str(err.value) and "rerun notebook 06" in str(err.value)


@pytest.mark.parametrize("suffix", FORMATS)
@pytest.mark.parametrize("damage", ["truncated", "empty", "text"])
@pytest.mark.parametrize("with_sidecar", [False, True])
def test_damaged_files_name_the_file_and_the_fix(model, tmp_path, suffix, damage, with_sidecar):
    path = modelio.save_model(model, tmp_path / f"m{suffix}")
    content = path.read_bytes()
    if damage == "truncated":
        path.write_bytes(content[: len(content) // 2])
    elif damage == "empty":
        path.write_bytes(b"")
    else:
        path.write_text("this is not a model\n")
    if not with_sidecar:
        modelio.sidecar_path(path).unlink()
    with pytest.raises(modelio.ModelFileError) as err:
        modelio.load_model(path)
    message = str(err.value)
    assert str(path) in message
    assert "Delete it and rerun notebook 06 to retrain" in message
    assert "File not found" not in message


def test_keras_archive_with_a_corrupt_member_is_caught_without_sidecar(model, tmp_path):
    path = modelio.save_model(model, tmp_path / "m.keras")
    modelio.sidecar_path(path).unlink()
    raw = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("model.weights.h5")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    raw[start + info.compress_size // 2] ^= 0x01  # inside the stored weights
    path.write_bytes(bytes(raw))
    with pytest.raises(modelio.ModelFileError, match=r"m\.keras"):
        modelio.load_model(path)


def test_missing_file_and_wrong_names(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"nope\.keras"):
        modelio.load_model(tmp_path / "nope.keras")
    (tmp_path / "model.pkl").write_bytes(b"\x80\x04")
    with pytest.raises(modelio.ModelFileError, match=r"model\.pkl"):
        modelio.load_model(tmp_path / "model.pkl")
    with pytest.raises(modelio.ModelFileError, match="folder"):
        modelio.load_model(tmp_path)


def test_a_garbled_sidecar_is_reported(model, tmp_path):
    path = modelio.save_model(model, tmp_path / "m.keras")
    modelio.sidecar_path(path).write_text("{not json")
    with pytest.raises(modelio.ModelFileError, match=r"m\.keras\.json"):
        modelio.load_model(path)


def test_lambda_layers_are_refused_safe_mode_stays_on(tmp_path, x):
    net = keras.Sequential([keras.Input((6,)), keras.layers.Lambda(lambda t: t * 2)])
    path = modelio.save_model(net, tmp_path / "lam.keras")
    with pytest.raises(modelio.ModelFileError, match=r"lam\.keras"):
        modelio.load_model(path)


def test_saving_never_leaves_a_partial_file(model, tmp_path, monkeypatch):
    def broken_save(self, filepath, *args, **kwargs):
        with open(filepath, "wb") as fh:
            fh.write(b"half a model")
        raise RuntimeError("disk full")

    path = modelio.save_model(model, tmp_path / "m.keras", info={"n": 1})
    good = path.read_bytes()
    monkeypatch.setattr(type(model), "save", broken_save)
    with pytest.raises(RuntimeError, match="disk full"):
        modelio.save_model(model, path, info={"n": 2})
    assert path.read_bytes() == good and modelio.read_info(path) == {"n": 1}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.keras", "m.keras.json"]


def test_info_must_be_json(model, tmp_path):
    with pytest.raises(TypeError):
        modelio.save_model(model, tmp_path / "m.keras", info={"bad": object()})
    assert list(tmp_path.iterdir()) == []
