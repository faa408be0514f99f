"""Commit the trained models notebook 09 needs, as weights only, checksummed.

    python -m benchmarks.export_models          # artifacts/full/ -> benchmarks/models/

The models are trained by the series' own code and saved (whole ``.keras`` files, with a
JSON sidecar saying how they were trained) in ``artifacts/full/``, which is not committed, so
a fresh clone would train them again before notebook 09 can run (about 77 min on 2 cores):
``benchmarks/bench_beyond_mlp.py`` trains the augmented recipes over three seeds and saves
seed 0 (``cnn_deep_augmented``, ``flagship_augmented_light``); the plain CNN's seed 0 was saved
by a full run of notebook 09 (notebook 08's protocol). Notebook 10 uses the plain CNN too.

This script writes each one to ``benchmarks/models/NAME.weights.h5`` with
:func:`helpers.committed.save`: **the weights only** (no architecture, no optimizer state), a
sidecar with the file's SHA-256, the weights' shapes and sum, and how the model was trained
(the original's sidecar, with ``source``: the original file's name and SHA-256 and what
trained it). The architecture is rebuilt by the series' builders when loading, so every
supported Keras (3.10, 3.13, 3.15) reads these files; a whole ``.keras`` file saved by Keras
3.15 is refused by 3.10 and 3.13. Each copy is checked on the spot: rebuilt and loaded with
:func:`helpers.committed.load`, it must predict what the original predicts on the 10,000
validation images (largest probability difference printed; the script stops above 1e-6).

To reproduce: ``python -m benchmarks.bench_beyond_mlp`` (the augmented models), a full run of
notebook 09 (``python -m helpers.run 09``, the plain CNN), then this script. A retrained
model has the same recipe but not the same bytes (other CPUs give other rounding).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # runnable as a plain script from anywhere
    sys.path.insert(0, str(ROOT))

TRAINED_BY = "benchmarks/bench_beyond_mlp.py"
BY_09 = "a full run of notebook 09 (notebook 08's protocol)"


def models_to_export():
    """``{committed name: (original file in artifacts/full/, who trained it, builder)}``."""
    from helpers import augment

    def recipe(name):
        return lambda: augment.build(augment.RECIPES[name], 0)

    return {
        "cnn_deep_augmented_seed0": (None, TRAINED_BY, recipe("cnn_deep_augmented")),
        "flagship_augmented_light_seed0": (None, TRAINED_BY, recipe("flagship_augmented_light")),
        "cnn_seed0": (None, BY_09, lambda: augment._build_plain_cnn(0)),
    }


def _how_and_record(info: dict) -> tuple[dict, dict]:
    """The original sidecar's ``how`` and training ``record``."""
    return info["how"], info["record"]


def export(name, original, by, build, source_dir: Path, target_dir: Path, x_check) -> Path:
    from helpers import committed, modelio

    source = source_dir / (original or f"{name}.keras")
    info = modelio.read_info(source)
    if not info:
        raise SystemExit(f"{source} has no sidecar saying how it was trained; not exported.")
    how, record = _how_and_record(info)
    model = modelio.load_model(source, compile=False)  # checksum checked, safe_mode on
    sidecar = {
        "how": how,
        "record": record,
        "source": {
            "file": source.name,
            "sha256": modelio.file_sha256(source),
            "trained_by": by,
            "kept": "weights only (architecture rebuilt by the series' builder; no optimizer)",
        },
    }
    # written and checked beside the target first: a copy that fails its check never
    # replaces the committed one
    staging = target_dir / ".export-staging"
    try:
        staged = committed.save(model, name, sidecar, directory=staging)
        copy, _ = committed.load(name, how, build, directory=staging)
        a = model.predict(x_check, batch_size=1000, verbose=0)
        b = copy.predict(x_check, batch_size=1000, verbose=0)
        diff = float(np.max(np.abs(a - b)))
        if diff > 1e-6:
            raise SystemExit(
                f"{name}: the rebuilt copy predicts differently (max diff {diff:.2e}); "
                f"{committed.path_for(name, target_dir)} left as it was."
            )
        target = committed.path_for(name, target_dir)
        os.replace(staged, target)
        os.replace(modelio.sidecar_path(staged), modelio.sidecar_path(target))
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    print(
        f"{name}: {source.stat().st_size:,} -> {target.stat().st_size:,} bytes; same "
        f"predictions on {len(x_check):,} validation images (max difference {diff:.1e})"
    )
    return target


def main(argv=None) -> int:
    from helpers import config, quiet, split

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=config.ROOT / "artifacts" / "full")
    parser.add_argument("--target", type=Path, default=config.ROOT / "benchmarks" / "models")
    parser.add_argument("names", nargs="*", help="only these (default: every model)")
    args = parser.parse_args(argv)
    if config.is_fast():
        raise SystemExit("Export the full run's models: unset the FAST switch.")
    quiet.import_tensorflow()
    sets = split.load_split(verbose=False)
    for name, (original, by, build) in models_to_export().items():
        if not args.names or name in args.names:
            export(name, original, by, build, args.source, args.target, sets.x_val)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
