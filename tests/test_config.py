"""Settings: the FAST switch, run sizes, seeds, paths, the headless runner's selection."""

from __future__ import annotations

import random

import numpy as np
import pytest

from helpers import colab, config, run


def test_fast_switch_reads_the_environment(monkeypatch):
    for value in ["1", "true", "YES", "on"]:
        monkeypatch.setenv(config.FAST_ENV, value)
        assert config.is_fast() and config.pick(10, 2) == 2
    for value in ["", "0", "false", "no"]:
        monkeypatch.setenv(config.FAST_ENV, value)
        assert not config.is_fast() and config.pick(10, 2) == 10


def test_the_suite_runs_in_fast_mode():
    """conftest.py switches FAST on, so notebook kernels started by nbval inherit it."""
    assert config.is_fast() and config.RUN is config.FAST_SIZES


def test_fast_sizes_are_smaller_but_keep_every_class():
    full, fast = config.FULL_SIZES, config.FAST_SIZES
    assert full.n_train is None and full.n_test is None  # all of MNIST
    assert 10 * 100 <= fast.n_train <= 10_000 and 10 * 50 <= fast.n_test <= 2_000
    for field in ("epochs_numpy", "epochs_flagship", "epochs_published", "epochs_compare"):
        assert 1 <= getattr(fast, field) <= getattr(full, field), field


def test_set_seed_makes_python_numpy_and_keras_repeat():
    """Same seed, same numbers, on every supported Keras: also the unseeded draws of
    ``keras.random`` (Keras 3.10 kept its global generator across ``set_random_seed``),
    weight initialisation and Dropout masks. A different seed gives different numbers."""
    import keras

    def draw(seed):
        config.set_seed(seed)
        keras.random.uniform((3,))  # the global generator moves on between the two runs
        dense = keras.layers.Dense(4)
        dense.build((None, 5))
        mask = keras.layers.Dropout(0.5)(np.ones((1, 20), "float32"), training=True)
        return (
            random.random(),
            np.random.rand(),
            float(keras.random.uniform((1,))[0]),
            float(keras.random.normal((1,))[0]),
            np.asarray(dense.kernel).round(6).tolist(),
            np.asarray(mask).tolist(),
        )

    first = draw(123)
    assert draw(123) == first
    other = draw(124)
    assert all(a != b for a, b in zip(first, other, strict=True)), "seeds 123 and 124 agree"


def test_artifacts_are_separate_for_fast_and_full(monkeypatch):
    monkeypatch.setenv(config.FAST_ENV, "1")
    fast = config.artifacts_dir()
    monkeypatch.setenv(config.FAST_ENV, "0")
    full = config.artifacts_dir()
    assert fast != full and fast.parent == full.parent == config.ROOT / "artifacts"


def test_paths_point_into_the_repository():
    assert (config.ROOT / "helpers" / "config.py").is_file()
    assert config.IMG_DIR == config.ROOT / "img"
    assert config.NOTEBOOKS_DIR.is_dir()


def test_runner_selects_notebooks_in_teaching_order():
    every = run.notebooks()
    assert every == sorted(every) and every[0].name.startswith("01_")
    assert [p.name[:2] for p in run.notebooks(["1"])] == ["01"]
    with pytest.raises(SystemExit, match="no notebook numbered"):
        run.notebooks(["99"])


# --------------------------------------------------------------------------- supported range


def pins(path) -> dict[str, str]:
    """{name: version} of a constraints file's ``name==version`` lines."""
    found = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"{path.name}: {line!r} is not pinned with =="
            found[name.strip().lower()] = version.strip()
    return found


def test_oldest_stack_is_exactly_the_floors_of_the_supported_range():
    """constraints/oldest.txt (tested in CI) pins every dependency at pyproject.toml's floor."""
    from packaging.version import Version

    ranges = colab.supported_range()
    oldest = pins(config.ROOT / "constraints" / "oldest.txt")
    dependencies = {name: spec for name, spec in ranges.items() if name != "python"}
    assert set(oldest) == set(dependencies)
    for name, spec in dependencies.items():
        floors = [s.removeprefix(">=") for s in spec.split(",") if s.startswith(">=")]
        assert len(floors) == 1, f"pyproject.toml: {name}{spec} has no single floor"
        assert Version(oldest[name]) == Version(floors[0]), (
            f"{name}: oldest.txt pins {oldest[name]}, pyproject.toml's floor is {floors[0]}"
        )


def test_newest_stack_satisfies_requirements_and_the_range():
    """constraints/pinned.txt is what requirements.txt's pins allow, inside pyproject's range,
    and TensorFlow's upper bound lies just above the newest TensorFlow tested."""
    from packaging.requirements import Requirement
    from packaging.specifiers import SpecifierSet
    from packaging.version import Version

    ranges = colab.supported_range()
    newest = pins(config.ROOT / "constraints" / "pinned.txt")
    requirements = {}
    for line in (config.ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            requirement = Requirement(line)
            requirements[requirement.name.lower()] = requirement.specifier
    assert set(newest) == set(ranges) - {"python"}
    for name, version in newest.items():
        assert requirements[name].contains(version), f"{name}=={version} vs requirements.txt"
        assert SpecifierSet(ranges[name]).contains(version), f"{name}=={version} vs pyproject"
    tf = Version(newest["tensorflow"])
    assert not SpecifierSet(ranges["tensorflow"]).contains(f"{tf.major}.{tf.minor + 1}.0")


def test_this_environment_is_inside_the_supported_range(capsys):
    """Whichever end CI tests (pinned or oldest), it runs inside the range it claims."""
    assert colab.check_versions() == [], capsys.readouterr().out


def test_readme_states_both_ends_of_the_range():
    """README's "Supported versions" table quotes the constraint files of CI's stacks (its
    columns found by their headings: oldest, Colab now, newest)."""
    readme = (config.ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Supported versions", 1)[1].split("\n## ", 1)[0]
    table = [
        line for line in section.splitlines() if line.startswith("| ") and line.count("|") >= 4
    ]
    heads = [c.strip().lower() for c in table[0].split("|")]
    rows = {line.split("|")[1].strip().lower(): line for line in table[1:]}
    names = ["tensorflow", "keras", "numpy", "scikit-learn", "matplotlib", "scipy", "pandas"]
    columns = {"oldest": "oldest.txt", "newest": "pinned.txt", "colab now": "colab.txt"}
    for head, file in columns.items():
        (column,) = [i for i, h in enumerate(heads) if h.startswith(head)]
        pinned = pins(config.ROOT / "constraints" / file)
        for name in names:
            cell = rows[name].split("|")[column].strip()
            exact = cell == pinned[name] or cell.startswith(
                pinned[name] + " ("
            )  # a note may follow
            assert exact, f"README {head} {name}: {cell} vs {pinned[name]}"
    (upper,) = [s[1:] for s in colab.supported_range()["tensorflow"].split(",") if s[0] == "<"]
    assert f"below {upper}" in rows["tensorflow"]
