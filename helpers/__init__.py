"""Shared helpers of the MNIST notebook series (one concern per module).

The notebooks hold the teaching; these modules hold what repeats: settings and seeds
(``config``), data (``data``), figures (``plots``), and later the NumPy net, Keras models,
metrics, image preparation and exercise checkers.
"""

from __future__ import annotations

import sys

from helpers import config

__all__ = ["config", "setup_notebook"]

# In a notebook, the first ``import helpers`` (or ``from helpers import ...``) quiets
# TensorFlow exactly as the setup cell does, so a student who skips the setup cell (after a
# kernel restart, say) sees no oneDNN/CUDA start-up lines. Scripts and tests import
# TensorFlow only when they need it.
if "ipykernel" in sys.modules:
    from helpers import quiet as _quiet

    _quiet.import_tensorflow()


def setup_notebook(number: str, seed: int = config.SEED) -> None:
    """Everything the first cell of notebook ``number`` needs: seeds, figure style, names.

    Prints one line with the mode, so a reader always knows whether this is a FAST run.
    """
    from helpers import plots, quiet

    quiet.import_tensorflow()  # TensorFlow's C++ start-up lines never reach the outputs
    plots.set_notebook(number)
    plots.use_style()
    config.set_seed(seed)
    mode = "FAST (small, quick run)" if config.is_fast() else "full"
    print(f"Notebook {number} | mode: {mode} | seed: {seed}")
