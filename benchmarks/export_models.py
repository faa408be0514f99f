"""Commit notebook 09's seed-0 models small: copies without optimizer state, checksummed.

    python -m benchmarks.export_models          # artifacts/full/ -> benchmarks/models/

``benchmarks/bench_beyond_mlp.py`` trains notebook 09's models over three seeds and saves
the seed-0 model of every augmented recipe in ``artifacts/full/`` (the plain CNN's seed 0
was saved there by a full run of notebook 09, with the same procedure) (with a JSON sidecar: how it was
trained, its training record, the file's SHA-256). Those files are not committed, so a fresh
clone would train them again when notebook 09 runs (about 25-60 min for the deeper CNN on 2
cores). This script copies the ones notebook 09 uses into ``benchmarks/models/``:

* loaded with :func:`helpers.modelio.load_model` (checksum checked, ``safe_mode`` on) and
  without compiling, then saved again with :func:`helpers.modelio.save_model`: the same
  layers and weights, **without Adam's state** (two moment tensors per weight, which a model
  that is only evaluated does not need), about a third of the size;
* the sidecar keeps the original's ``how`` (recipe, split, seed, Keras version) and
  ``record`` (validation accuracy and seconds per epoch), and adds ``source``: the original
  file's name and SHA-256, the script that trained it, and that the optimizer state was
  dropped;
* the copy must predict exactly what the original predicts on the 10,000 validation
  images (largest probability difference printed; the script stops if it is above 1e-6).

Notebook 09 loads these copies (:func:`helpers.augment.load_or_train`) unless its
``TRAIN_YOURSELF`` switch is on. To reproduce them: ``python -m benchmarks.bench_beyond_mlp``
(seed 0 of each recipe is saved to ``artifacts/full/``), then this script. A retrained
model has the same recipe but not the same bytes (other CPUs give other rounding).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # runnable as a plain script from anywhere
    sys.path.insert(0, str(ROOT))

#: The seed-0 models notebook 09 uses, as ``artifacts/full/`` names them.
MODELS = (
    "cnn_deep_augmented_seed0.keras",
    "flagship_augmented_light_seed0.keras",
    "cnn_seed0.keras",
)
TRAINED_BY = "benchmarks/bench_beyond_mlp.py"
#: The plain CNN's seed 0 was trained by notebook 09 itself (the benchmark saves only the
#: augmented recipes' models), with the procedure of the benchmark's ``cnn`` candidate.
TRAINED_BY_NOTEBOOK = {"cnn_seed0.keras": "a full run of notebook 09 (notebook 08's protocol)"}


def export(name: str, source_dir: Path, target_dir: Path, x_check) -> Path:
    from helpers import modelio

    source = source_dir / name
    info = modelio.read_info(source)
    if not info or "how" not in info:
        raise SystemExit(f"{source} has no sidecar saying how it was trained; not exported.")
    original = modelio.load_model(source, compile=False)  # checksum checked, safe_mode on
    info = {
        **info,
        "source": {
            "file": name,
            "sha256": modelio.file_sha256(source),
            "trained_by": TRAINED_BY_NOTEBOOK.get(name, TRAINED_BY),
            "optimizer_state": "dropped (the copy is for evaluation only)",
        },
    }
    target = modelio.save_model(original, target_dir / name, info=info)
    copy = modelio.load_model(target, compile=False)
    a = original.predict(x_check, batch_size=1000, verbose=0)
    b = copy.predict(x_check, batch_size=1000, verbose=0)
    diff = float(np.max(np.abs(a - b)))
    if diff > 1e-6:
        target.unlink()
        raise SystemExit(f"{name}: the copy predicts differently (max diff {diff:.2e}).")
    print(
        f"{name}: {source.stat().st_size:,} -> {target.stat().st_size:,} bytes; "
        f"same predictions on {len(x_check):,} validation images (max difference {diff:.1e})"
    )
    return target


def main(argv=None) -> int:
    from helpers import augment, config, quiet, split

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=config.ROOT / "artifacts" / "full")
    parser.add_argument("--target", type=Path, default=augment.COMMITTED_DIR)
    args = parser.parse_args(argv)
    if config.is_fast():
        raise SystemExit("Export the full run's models: unset the FAST switch.")
    quiet.import_tensorflow()
    sets = split.load_split(verbose=False)
    for name in MODELS:
        export(name, args.source, args.target, sets.x_val)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
