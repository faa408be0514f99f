"""Training the flagship MLP (notebook 05), and getting it back in later notebooks.

Two recipes train the same layers (:func:`helpers.models.build_flagship`):

* :data:`PUBLISHED_RECIPE`: what a published write-up of this architecture used - Dropout
  0.5/0.4/0.3, batch 32, Adam at a constant learning rate of 0.001, 10 epochs;
* :data:`IMPROVED_RECIPE`: Dropout 0.3 in every block, batch 128, Adam whose learning rate
  rises linearly for a short warm-up and then follows half a cosine down to zero, 30 epochs.

Both hold out the last 20% of the training images for validation and use categorical
cross-entropy on one-hot labels. The numbers of epochs come from
:data:`helpers.config.RUN` (``epochs_flagship`` and ``epochs_published``), so FAST mode
trains for one or two epochs only.

:func:`load_or_train_flagship` is what notebook 06 (and anyone else) calls: it loads the
model notebook 05 saved to :func:`flagship_path`, or trains the improved recipe if the file
is not there yet, and says in one line which of the two it did.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from helpers import config

__all__ = [
    "IMPROVED_RECIPE",
    "PUBLISHED_RECIPE",
    "Recipe",
    "compile_flagship",
    "epoch_timer",
    "flagship_path",
    "learning_rate_schedule",
    "load_legacy_h5",
    "load_or_train_flagship",
    "make_callbacks",
    "save_legacy_h5",
    "steps_per_epoch",
    "train_flagship",
]


@dataclass(frozen=True)
class Recipe:
    """Everything that decides how the flagship is trained (the layers never change).

    ``schedule`` is ``"constant"`` (Adam at ``learning_rate`` throughout) or
    ``"warmup_cosine"`` (linear warm-up from ``warmup_from`` to ``learning_rate`` over
    ``warmup_epochs`` epochs, then a cosine decay to 0 over the remaining steps).
    ``steps_per_execution`` only changes how many batches Keras runs per call into
    TensorFlow (less fixed overhead per step); the arithmetic is the same.
    """

    name: str
    dropout: tuple[float, float, float]
    batch_size: int
    epochs: int
    learning_rate: float = 1e-3
    schedule: str = "constant"
    warmup_epochs: int = 0
    warmup_from: float = 0.0
    validation_split: float = 0.2
    early_stopping_patience: int = 5
    steps_per_execution: int = 16
    notes: tuple[str, ...] = field(default=(), compare=False)

    def __post_init__(self):
        if self.schedule not in {"constant", "warmup_cosine"}:
            raise ValueError(
                f"schedule must be 'constant' or 'warmup_cosine', got {self.schedule!r}."
            )
        if not 0.0 < self.validation_split < 1.0:
            raise ValueError(
                f"validation_split is the share held out, 0 < share < 1; got {self.validation_split}."
            )
        for name in ("batch_size", "epochs", "steps_per_execution"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive whole number, got {value!r}.")

    def describe(self) -> str:
        """One line, e.g. 'improved: dropout 0.3/0.3/0.3, batch 128, 30 epochs, Adam ...'."""
        drop = "/".join(f"{r:g}" for r in self.dropout)
        if self.schedule == "constant":
            lr = f"Adam, constant lr {self.learning_rate:g}"
        else:
            lr = (
                f"Adam, {self.warmup_epochs}-epoch warm-up to lr {self.learning_rate:g}, "
                "then cosine decay to 0"
            )
        return (
            f"{self.name}: dropout {drop}, batch {self.batch_size}, {self.epochs} epochs, "
            f"{lr}, {self.validation_split:.0%} held out for validation"
        )

    def with_(self, **changes) -> Recipe:
        """A copy with some fields changed, e.g. ``IMPROVED_RECIPE.with_(epochs=3)``."""
        return replace(self, **changes)


#: The recipe of the published write-up (measured here: below its claimed 98.76%).
PUBLISHED_RECIPE = Recipe(
    name="published",
    dropout=(0.5, 0.4, 0.3),
    batch_size=32,
    epochs=config.RUN.epochs_published,
    learning_rate=1e-3,
    schedule="constant",
    early_stopping_patience=5,
)

#: The recipe this series trains its flagship with.
IMPROVED_RECIPE = Recipe(
    name="improved",
    dropout=(0.3, 0.3, 0.3),
    batch_size=128,
    epochs=config.RUN.epochs_flagship,
    learning_rate=1e-3,
    schedule="warmup_cosine",
    warmup_epochs=min(2, config.RUN.epochs_flagship // 5),  # none in short FAST runs
    warmup_from=0.0,
    early_stopping_patience=8,
)


def steps_per_epoch(n_train: int, recipe: Recipe) -> int:
    """Batches per epoch on the part of ``n_train`` images that is not held out."""
    n_fit = n_train - int(n_train * recipe.validation_split)
    return -(-n_fit // recipe.batch_size)  # ceiling division: the last batch may be smaller


def learning_rate_schedule(recipe: Recipe, steps_per_epoch: int):
    """The learning rate Adam gets: a number, or a Keras schedule over the training steps."""
    import keras

    if recipe.schedule == "constant":
        return recipe.learning_rate
    total = recipe.epochs * steps_per_epoch
    warmup = recipe.warmup_epochs * steps_per_epoch
    return keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=recipe.warmup_from,
        decay_steps=max(total - warmup, 1),
        alpha=0.0,
        warmup_target=recipe.learning_rate,
        warmup_steps=warmup,
    )


def compile_flagship(model, recipe: Recipe = None, steps_per_epoch: int = 1):
    """Compile ``model`` for ``recipe``: Adam (with the recipe's learning-rate schedule),
    categorical cross-entropy on one-hot labels, accuracy. Returns the model."""
    import keras

    recipe = IMPROVED_RECIPE if recipe is None else recipe
    model.compile(
        optimizer=keras.optimizers.Adam(
            learning_rate=learning_rate_schedule(recipe, steps_per_epoch)
        ),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
        steps_per_execution=recipe.steps_per_execution,
    )
    return model


def epoch_timer():
    """A Keras callback that records the wall-clock seconds of every epoch in ``.seconds``.

    (Built inside a function so that importing this module does not import TensorFlow.)
    """
    import keras

    class EpochTimer(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.seconds: list[float] = []
            self._start = 0.0

        def on_epoch_begin(self, epoch, logs=None):
            self._start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.seconds.append(time.perf_counter() - self._start)

    return EpochTimer()


def make_callbacks(recipe: Recipe, monitor: str = "val_accuracy") -> list:
    """EarlyStopping that keeps the best epoch's weights (the schedule lives in the optimizer)."""
    import keras

    return [
        keras.callbacks.EarlyStopping(
            monitor=monitor,
            patience=recipe.early_stopping_patience,
            restore_best_weights=True,
            verbose=0,
        )
    ]


def _check_training_data(x_train, y_train_int):
    x = np.asarray(x_train)
    y = np.asarray(y_train_int)
    if x.ndim != 3 or x.shape[1:] != (28, 28):
        raise ValueError(
            f"x_train must hold 28x28 images, shape (n, 28, 28); got shape {x.shape}. "
            "Load it with helpers.data.load_mnist(normalize_pixels=True)."
        )
    if x.size and float(x.max()) > 1.0:
        raise ValueError(
            "x_train has pixel values above 1: scale them to [0, 1] first "
            "(load_mnist(normalize_pixels=True) or helpers.data.normalize)."
        )
    if y.ndim != 1 or len(y) != len(x):
        raise ValueError(
            f"y_train_int must be one integer label per image, shape ({len(x)},); got {y.shape}. "
            "Pass integer labels 0..9: train_flagship one-hot encodes them itself."
        )
    return x, y


def train_flagship(
    x_train,
    y_train_int,
    recipe: Recipe = None,
    seed: int = config.SEED,
    verbose: int = 2,
    callbacks=None,
):
    """Build the flagship with the recipe's Dropout, compile it and fit it.

    ``x_train``: (n, 28, 28) float images in [0, 1]; ``y_train_int``: integer labels (they
    are one-hot encoded here). The last ``recipe.validation_split`` of the images is held
    out for validation. Returns ``(model, history, seconds)``: the trained model (with the
    best epoch's weights), Keras's ``History`` (with ``history.epoch_seconds``, the wall
    time of every epoch) and the total seconds ``fit`` took.
    """
    import keras

    from helpers import data, models

    recipe = IMPROVED_RECIPE if recipe is None else recipe
    x, y = _check_training_data(x_train, y_train_int)
    keras.utils.set_random_seed(seed)
    model = models.build_flagship(dropout=recipe.dropout, batchnorm=True)
    compile_flagship(model, recipe, steps_per_epoch(len(x), recipe))
    timer = epoch_timer()
    all_callbacks = [timer, *make_callbacks(recipe), *(callbacks or [])]
    start = time.perf_counter()
    history = model.fit(
        x,
        data.one_hot(y),
        batch_size=recipe.batch_size,
        epochs=recipe.epochs,
        validation_split=recipe.validation_split,
        callbacks=all_callbacks,
        verbose=verbose,
    )
    seconds = time.perf_counter() - start
    history.epoch_seconds = list(timer.seconds)
    return model, history, seconds


@contextlib.contextmanager
def _quiet_absl():
    """Hide Keras's absl WARNING lines for the duration (errors still show)."""
    from absl import logging as absl_logging

    level = absl_logging.get_verbosity()
    absl_logging.set_verbosity(absl_logging.ERROR)
    try:
        yield
    finally:
        absl_logging.set_verbosity(level)


def save_legacy_h5(model, path) -> Path:
    """Save ``model`` in the legacy HDF5 format (``.h5``) without the log line Keras writes
    to say the format is legacy (notebook 05 explains that in prose instead)."""
    path = Path(path)
    if path.suffix not in {".h5", ".hdf5"}:
        raise ValueError(f"a legacy HDF5 file name ends in .h5, got {path.name!r}.")
    with _quiet_absl():
        model.save(path)
    return path


def load_legacy_h5(path):
    """Load a legacy ``.h5`` model without the log line Keras writes about its metrics
    ("compiled metrics have yet to be built"), which only says they fill in on first use."""
    import keras

    path = Path(path)
    if path.suffix not in {".h5", ".hdf5"}:
        raise ValueError(f"a legacy HDF5 file name ends in .h5, got {path.name!r}.")
    with _quiet_absl():
        return keras.saving.load_model(path)


def flagship_path() -> Path:
    """Where notebook 05 saves the trained flagship (FAST and full runs use separate folders)."""
    return config.artifacts_dir() / "flagship.keras"


def _display(path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(config.ROOT))
    except ValueError:
        return Path(path).name


def load_or_train_flagship(verbose: int = 0, path: Path | None = None):
    """The trained flagship: loaded from :func:`flagship_path` if notebook 05 saved it,
    otherwise trained now with :data:`IMPROVED_RECIPE` (on ``config.RUN.n_train`` images)
    and saved there. Prints one line saying which of the two happened.

    ``verbose`` is passed to ``fit`` when training (0 = silent, 2 = one line per epoch).
    """
    import keras

    from helpers import data

    path = flagship_path() if path is None else Path(path)
    if path.exists():
        model = keras.saving.load_model(path)  # safe_mode stays on: no arbitrary code runs
        print(f"Loaded the trained flagship from {_display(path)}.")
        return model
    (x_train, y_train), _ = data.load_mnist(
        normalize_pixels=True,
        limit=config.RUN.n_train,
        test_limit=config.RUN.n_test,
        verbose=False,
    )
    model, history, seconds = train_flagship(x_train, y_train, IMPROVED_RECIPE, verbose=verbose)
    path.parent.mkdir(parents=True, exist_ok=True)
    model.save(path)
    print(
        f"No saved flagship at {_display(path)}: trained it now ({IMPROVED_RECIPE.name} recipe, "
        f"{len(history.epoch)} epochs on {len(x_train):,} images, {seconds:.0f} s) and saved it there."
    )
    return model
