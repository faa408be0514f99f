"""Training the flagship MLP (notebook 06), and getting it back in later notebooks.

Two recipes train the same layers (:func:`helpers.models.build_flagship`):

* :data:`PUBLISHED_RECIPE`: what a published write-up of this architecture used - Dropout
  0.5/0.4/0.3, batch 32, Adam at a constant learning rate of 0.001, 10 epochs;
* :data:`IMPROVED_RECIPE`: the recipe chosen by the random search on the VALIDATION images
  in ``benchmarks/search_flagship.py`` (its trials are in
  ``benchmarks/results/flagship_search.json``; notebook 06 shows the table).

Every recipe is fitted to the fit images of :func:`helpers.split.load_split` and watched on
its validation images (``validation_data=``; nothing is held out by Keras itself); the test
images play no part in training or in choosing. The numbers of epochs come from
:data:`helpers.config.RUN` in FAST mode, so a FAST run trains for one or two epochs only.

:func:`load_or_train_flagship` is what notebook 07 (and anyone else) calls: it loads the
model notebook 06 saved to :func:`flagship_path`, or trains :data:`IMPROVED_RECIPE` on
``split.x_fit`` if the file is not there yet (or was trained with another recipe or split),
and says in one line which of the two it did.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from helpers import config, quiet

__all__ = [
    "BENCHMARK_FILE",
    "IMPROVED_RECIPE",
    "IMPROVED_RECIPE_FULL",
    "PUBLISHED_RECIPE",
    "SEARCH_SPACE",
    "FlagshipRun",
    "Recipe",
    "choose_trial",
    "compile_flagship",
    "epoch_timer",
    "flagship_info",
    "flagship_path",
    "flagship_run",
    "learning_rate_schedule",
    "load_legacy_h5",
    "load_or_train_flagship",
    "make_callbacks",
    "random_search",
    "sample_recipes",
    "save_flagship",
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
    ``early_stopping_patience`` is ``None`` (train every epoch: the number of epochs was
    chosen on validation) or a number of epochs for ``keras.callbacks.EarlyStopping``.
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
    early_stopping_patience: int | None = None
    steps_per_execution: int = 16
    notes: tuple[str, ...] = field(default=(), compare=False)

    def __post_init__(self):
        if self.schedule not in {"constant", "warmup_cosine"}:
            raise ValueError(
                f"schedule must be 'constant' or 'warmup_cosine', got {self.schedule!r}."
            )
        if len(self.dropout) != 3 or not all(0.0 <= r < 1.0 for r in self.dropout):
            raise ValueError(
                f"dropout must be three rates in [0, 1), one per hidden block; got {self.dropout!r}."
            )
        if not self.learning_rate > 0:
            raise ValueError(f"learning_rate must be positive, got {self.learning_rate!r}.")
        for name in ("batch_size", "epochs", "steps_per_execution"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive whole number, got {value!r}.")
        if self.early_stopping_patience is not None and (
            isinstance(self.early_stopping_patience, bool)
            or not isinstance(self.early_stopping_patience, int)
            or self.early_stopping_patience < 1
        ):
            raise ValueError(
                "early_stopping_patience must be None (no early stopping) or a positive "
                f"whole number of epochs, got {self.early_stopping_patience!r}."
            )

    def describe(self) -> str:
        """One line, e.g. 'improved: dropout 0.3/0.3/0.3, batch 128, 30 epochs, Adam ...'."""
        drop = "/".join(f"{r:g}" for r in self.dropout)
        if self.schedule == "constant":
            lr = f"Adam, constant lr {self.learning_rate:g}"
        elif self.warmup_epochs:
            lr = (
                f"Adam, {self.warmup_epochs}-epoch warm-up to lr {self.learning_rate:g}, "
                "then cosine decay to 0"
            )
        else:
            lr = f"Adam, lr {self.learning_rate:g} with cosine decay to 0"
        return f"{self.name}: dropout {drop}, batch {self.batch_size}, {self.epochs} epochs, {lr}"

    def with_(self, **changes) -> Recipe:
        """A copy with some fields changed, e.g. ``IMPROVED_RECIPE.with_(epochs=3)``."""
        return replace(self, **changes)

    def as_dict(self) -> dict:
        """The fields that decide training, as plain JSON-able values (no ``notes``)."""
        d = asdict(self)
        d.pop("notes")
        d["dropout"] = list(d["dropout"])
        return d


#: The recipe of the published write-up (claimed 98.76% test accuracy; measured here: below).
PUBLISHED_RECIPE = Recipe(
    name="published",
    dropout=(0.5, 0.4, 0.3),
    batch_size=32,
    epochs=config.RUN.epochs_published,
    learning_rate=1e-3,
    schedule="constant",
)

#: The recipe this series trains its flagship with, as chosen (full run, full data) by the
#: random search on validation in benchmarks/search_flagship.py: its results file
#: benchmarks/results/flagship_search.json names this very recipe (tests/test_training.py
#: checks that they agree).
IMPROVED_RECIPE_FULL = Recipe(
    name="improved",
    dropout=(0.3, 0.3, 0.3),
    batch_size=256,
    epochs=10,
    learning_rate=4e-3,
    schedule="warmup_cosine",
    warmup_epochs=2,
)

#: The recipe for this run: :data:`IMPROVED_RECIPE_FULL`, with FAST mode's few epochs
#: (and no warm-up in so short a run) when ``MNIST_FAST`` is set.
IMPROVED_RECIPE = (
    IMPROVED_RECIPE_FULL.with_(
        epochs=config.RUN.epochs_flagship,
        warmup_epochs=min(IMPROVED_RECIPE_FULL.warmup_epochs, config.RUN.epochs_flagship // 5),
    )
    if config.FAST
    else IMPROVED_RECIPE_FULL
)


#: Test-accuracy floors far below what the flagship reaches (notebook 06 measures 98%):
#: a broken pipeline fails them, another CPU, a GPU or Colab does not.
ACCURACY_FLOORS = {"full": 0.90, "fallback": 0.70, "fast": 0.40}


def accuracy_floor() -> float:
    """The floor a flagship's test accuracy must clear in this run: full MNIST in a full run,
    the 5,000-image offline fallback, or FAST mode (a few thousand images, two epochs)."""
    from helpers import data

    if config.is_fast():
        return ACCURACY_FLOORS["fast"]
    source = data.last_source
    return ACCURACY_FLOORS["full" if source is not None and source.is_full else "fallback"]


def steps_per_epoch(n_fit: int, recipe: Recipe) -> int:
    """Batches per epoch when ``n_fit`` images are fitted (the validation images are separate)."""
    return -(-n_fit // recipe.batch_size)  # ceiling division: the last batch may be smaller


def warmup_cosine(
    learning_rate: float,
    epochs: int,
    warmup_epochs: int,
    steps_per_epoch: int,
    warmup_from: float = 0.0,
):
    """A Keras schedule: a linear warm-up from ``warmup_from`` to ``learning_rate`` over
    ``warmup_epochs`` epochs, then a cosine decay to 0 over the remaining steps (with no
    warm-up, the decay starts at ``learning_rate``)."""
    import keras

    total = epochs * steps_per_epoch
    warmup = warmup_epochs * steps_per_epoch
    return keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=warmup_from if warmup else learning_rate,
        decay_steps=max(total - warmup, 1),
        alpha=0.0,
        warmup_target=learning_rate if warmup else None,
        warmup_steps=warmup,
    )


def learning_rate_schedule(recipe: Recipe, steps_per_epoch: int):
    """The learning rate Adam gets: a number, or a Keras schedule over the training steps."""
    if recipe.schedule == "constant":
        return recipe.learning_rate
    return warmup_cosine(
        recipe.learning_rate,
        recipe.epochs,
        recipe.warmup_epochs,
        steps_per_epoch,
        warmup_from=recipe.warmup_from,
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


def make_callbacks(recipe: Recipe, monitor: str = "val_loss") -> list:
    """``[EarlyStopping]`` that keeps the best epoch's weights when the recipe asks for it
    (``early_stopping_patience``), else ``[]``: the recipes of notebook 06 train for the
    number of epochs chosen on validation, with the schedule in the optimizer."""
    import keras

    if recipe.early_stopping_patience is None:
        return []
    return [
        keras.callbacks.EarlyStopping(
            monitor=monitor,
            patience=recipe.early_stopping_patience,
            restore_best_weights=True,
            verbose=0,
        )
    ]


def _check_training_data(x, y, which="x_fit"):
    x = np.asarray(x)
    y = np.asarray(y)
    labels = "y_fit" if which == "x_fit" else "y_val"
    if x.ndim != 3 or x.shape[1:] != (28, 28):
        raise ValueError(
            f"{which} must hold 28x28 images, shape (n, 28, 28); got shape {x.shape}. "
            "Load it with helpers.split.load_split() (normalize_pixels=True)."
        )
    if x.size and float(x.max()) > 1.0:
        raise ValueError(
            f"{which} has pixel values above 1: scale them to [0, 1] first "
            "(load_split(normalize_pixels=True) or helpers.data.normalize)."
        )
    if y.ndim != 1 or len(y) != len(x):
        raise ValueError(
            f"{labels} must be one integer label per image, shape ({len(x)},); got {y.shape}. "
            "Pass integer labels 0..9: train_flagship one-hot encodes them itself."
        )
    return x, y


def train_flagship(
    x_fit,
    y_fit,
    x_val,
    y_val,
    recipe: Recipe = None,
    seed: int = config.SEED,
    verbose: int = 2,
    callbacks=None,
):
    """Build the flagship with the recipe's Dropout, compile it and fit it.

    ``x_fit``/``x_val``: (n, 28, 28) float images in [0, 1], e.g. ``split.x_fit`` and
    ``split.x_val`` of :func:`helpers.split.load_split`; ``y_fit``/``y_val``: integer labels
    (one-hot encoded here). The model is fitted to the fit images only; the validation
    images are scored after every epoch (``validation_data=``). Returns
    ``(model, history, seconds)``: the trained model, Keras's ``History`` (with
    ``history.epoch_seconds``, the wall time of every epoch) and the total seconds ``fit``
    took.
    """
    import keras

    from helpers import data, models

    recipe = IMPROVED_RECIPE if recipe is None else recipe
    x, y = _check_training_data(x_fit, y_fit, "x_fit")
    xv, yv = _check_training_data(x_val, y_val, "x_val")
    keras.utils.set_random_seed(seed)
    model = models.build_flagship(dropout=recipe.dropout, batchnorm=True)
    compile_flagship(model, recipe, steps_per_epoch(len(x), recipe))
    timer = epoch_timer()
    all_callbacks = [timer, *make_callbacks(recipe), *(callbacks or [])]
    start = time.perf_counter()
    # many flagships in one session: retracing is expected, not a problem
    with quiet.retracing_warnings_hidden():
        history = model.fit(
            x,
            data.one_hot(y),
            batch_size=recipe.batch_size,
            epochs=recipe.epochs,
            validation_data=(xv, data.one_hot(yv)),
            callbacks=all_callbacks,
            verbose=verbose,
        )
    seconds = time.perf_counter() - start
    history.epoch_seconds = list(timer.seconds)
    return model, history, seconds


# ------------------------------------------------------- runs stored by the benchmark

#: Where ``benchmarks/bench_flagship.py`` stores both recipes over seeds 0, 1, 2, with each
#: model's test predictions.
BENCHMARK_FILE = config.RESULTS_DIR / "flagship.json"


@dataclass(frozen=True)
class FlagshipRun:
    """One recipe trained with one seed: what notebook 06's comparison table needs.

    ``val_accuracy`` is in percent (last epoch, on the validation images); ``test_pred``
    holds the model's digit for every test image; ``source`` says where the run comes from
    (this session, or the benchmark's results file); ``load_average`` is the machine's
    one-minute load when it was timed (``None`` where the system does not report one), so
    that a time measured on a busy machine is read as such.
    """

    recipe: Recipe
    seed: int
    epochs: int
    seconds: float
    seconds_per_epoch: float
    val_accuracy: float
    test_pred: np.ndarray
    source: str
    load_average: float | None = None

    @property
    def timed(self) -> str:
        """Where and under what load the seconds were measured, e.g. for a table."""
        where = "by the benchmark" if self.source.startswith("read from") else "here"
        load = "" if self.load_average is None else f", load average {self.load_average:g}"
        return where + load

    def test_accuracy(self, y_test) -> float:
        """Share of ``y_test`` predicted right (0..1)."""
        y_test = np.asarray(y_test)
        if y_test.shape != self.test_pred.shape:
            raise ValueError(
                f"y_test has shape {y_test.shape} but this run predicted "
                f"{self.test_pred.shape[0]:,} test images: pass the labels of the same split."
            )
        return float(np.mean(self.test_pred == y_test))


def _stored_run(recipe: Recipe, split, seed: int, path: Path):
    """``(run, None)`` from the benchmark file, or ``(None, why not)``."""
    from helpers import schema

    shown = _display(path)
    if not path.exists() and not path.is_symlink():  # a broken link is refused below
        return None, f"{shown} is not there"
    fix = "Restore it (git checkout) or measure again (python benchmarks/bench_flagship.py)."
    stored = schema.load(path, schema.FLAGSHIP, fix)  # types, ranges, finite numbers
    if stored.get("split") != split.describe() or stored.get("split_fingerprint") != (
        split.fingerprint()
    ):
        return None, f"{shown} was measured on another split ({stored.get('split')})"
    names = [
        name
        for name, r in stored.get("recipes", {}).items()
        if {k: v for k, v in r.items() if k != "describe"} == recipe.as_dict()
    ]
    runs = [r for r in stored.get("runs", []) if r.get("recipe") in names and r.get("seed") == seed]
    if not runs:
        return None, f"{shown} holds no run of this recipe ({recipe.describe()}) with seed {seed}"
    run = runs[0]
    if "test_predictions" not in run:
        return None, f"{shown} does not keep the test predictions of its runs"
    test_pred = _decode(run["test_predictions"], len(split.y_test), shown, run["recipe"], seed)
    recomputed = round(100 * float(np.mean(test_pred == np.asarray(split.y_test))), 2)
    if recomputed != run.get("test_accuracy"):
        raise ValueError(
            f"{shown}: the stored predictions of {run['recipe']} seed {seed} score "
            f"{recomputed}% on the test labels, but the file says {run.get('test_accuracy')}%. "
            "Restore it (git checkout) or measure again (python benchmarks/bench_flagship.py)."
        )
    source = (
        f"read from {shown}: trained by benchmarks/bench_flagship.py on "
        f"{run['measured'][:10]} (load average {run.get('load_average', 'not recorded')}), "
        "not trained again here"
    )
    return FlagshipRun(recipe, seed, run["epochs"], run["seconds"], run["seconds_per_epoch"],
                       run["val_accuracy"], test_pred, source, run.get("load_average")), None  # fmt: skip


def _decode(text, n: int, shown: str, name: str, seed: int) -> np.ndarray:
    """The stored digit string of one run (the layout of :func:`helpers.compare.encode_labels`),
    checked to hold one digit per test image."""
    from helpers import compare  # here, not at the top: compare imports this module

    try:
        predicted = compare.decode_labels(text)
    except ValueError:  # not a string of ASCII digits
        predicted = None
    if predicted is None or len(predicted) != n:
        got = f"{len(text)} characters" if isinstance(text, str) else type(text).__name__
        raise ValueError(
            f"{shown}: the test predictions of {name} seed {seed} should be a string of {n:,} "
            f"digits 0..9, one per test image; got {got}. Restore the file (git checkout) or "
            "measure again (python benchmarks/bench_flagship.py)."
        )
    return predicted


def flagship_run(recipe: Recipe, split, seed: int = config.SEED, path: Path | None = None):
    """``recipe`` trained with ``seed`` on ``split``: read from the benchmark's results file
    (:data:`BENCHMARK_FILE`) when it holds exactly this recipe, seed and split, otherwise
    trained now with :func:`train_flagship`. Returns a :class:`FlagshipRun`; its ``source``
    says which of the two happened, and why it trained.

    The benchmark ran the very same code (``train_flagship``, then ``predict`` on the
    validation and test images), so reading it only saves the training time; a FAST run
    or the offline fallback has another split and trains.
    """
    path = BENCHMARK_FILE if path is None else Path(path)
    run, why = _stored_run(recipe, split, seed, path)
    if run is not None:
        return run
    model, history, seconds = train_flagship(
        split.x_fit, split.y_fit, split.x_val, split.y_val, recipe, seed=seed, verbose=0
    )
    test_pred = model.predict(split.x_test, batch_size=1024, verbose=0).argmax(axis=1)
    return FlagshipRun(
        recipe,
        seed,
        epochs=len(history.epoch),
        seconds=round(seconds, 1),
        seconds_per_epoch=round(float(np.median(history.epoch_seconds)), 2),
        val_accuracy=round(100 * float(history.history["val_accuracy"][-1]), 2),
        test_pred=test_pred,
        source=f"trained here ({why})",
        load_average=_load_average(),
    )


def _load_average() -> float | None:
    import os

    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):  # Windows has no load average
        return None


# --------------------------------------------------------------------------- the search

#: What the random search of ``benchmarks/search_flagship.py`` (and notebook 06) may pick.
#: The layers stay the flagship's; only how it is trained changes.
SEARCH_SPACE = {
    "dropout": [(0.2, 0.2, 0.2), (0.3, 0.3, 0.3), (0.4, 0.4, 0.4), (0.5, 0.4, 0.3)],
    "batch_size": [64, 128, 256],
    "learning_rate": [5e-4, 1e-3, 2e-3, 4e-3],
    "schedule": ["constant", "warmup_cosine"],
    "epochs": [6, 10, 15],
}


def sample_recipes(n: int, space: dict | None = None, seed: int = config.SEED) -> list[Recipe]:
    """``n`` different recipes drawn at random (without repeats) from ``space``.

    Every combination of the values in ``space`` is equally likely; a warm-up + cosine
    recipe warms up for one epoch in five (at most 2). The same ``seed`` gives the same list.
    """
    import itertools

    space = SEARCH_SPACE if space is None else space
    keys = list(space)
    grid = list(itertools.product(*(space[k] for k in keys)))
    if not 1 <= n <= len(grid):
        raise ValueError(f"n must be between 1 and {len(grid)} (the size of the space), got {n}.")
    picks = np.random.default_rng(seed).choice(len(grid), size=n, replace=False)
    recipes = []
    for i, pick in enumerate(picks, start=1):
        values = dict(zip(keys, grid[pick], strict=True))
        warmup = min(2, values["epochs"] // 5) if values["schedule"] == "warmup_cosine" else 0
        recipes.append(Recipe(name=f"trial {i}", warmup_epochs=warmup, **values))
    return recipes


def random_search(
    recipes, x_fit, y_fit, x_val, y_val, seed: int = config.SEED, budget_seconds=None, log=print
) -> list[dict]:
    """Train every recipe once (same ``seed``) on the fit images and score it on the
    validation images after its last epoch. Stops starting new trials once
    ``budget_seconds`` have passed. Returns one dict per trial: the recipe, the validation
    accuracy and loss after the last epoch (and per epoch), and the seconds it took.
    The test images are not an argument: the search cannot see them.
    """
    trials = []
    start = time.perf_counter()
    for recipe in recipes:
        trial = _one_trial(recipe, x_fit, y_fit, x_val, y_val, seed, start, budget_seconds)
        if trial is None:
            log(
                f"budget of {budget_seconds:.0f} s used up: {len(recipes) - len(trials)} trials not run"
            )
            break
        trials.append(trial)
        log(
            f"{recipe.name:>8}: {recipe.describe().split(': ', 1)[1]} -> validation accuracy "
            f"{trial['val_accuracy']:.2%}, loss {trial['val_loss']:.4f} ({trial['seconds']:.0f} s)"
        )
    return trials


def _one_trial(recipe, x_fit, y_fit, x_val, y_val, seed, start, budget_seconds):
    if budget_seconds is not None and time.perf_counter() - start > budget_seconds:
        return None
    model, history, seconds = train_flagship(
        x_fit, y_fit, x_val, y_val, recipe, seed=seed, verbose=0
    )
    h = history.history
    return {
        "trial": recipe.name,
        "dropout": "/".join(f"{r:g}" for r in recipe.dropout),
        "batch": recipe.batch_size,
        "peak lr": recipe.learning_rate,
        "schedule": recipe.schedule,
        "epochs": recipe.epochs,
        "val_accuracy": float(h["val_accuracy"][-1]),
        "val_loss": float(h["val_loss"][-1]),
        "seconds": round(seconds, 1),
        "val_accuracy_per_epoch": [round(float(v), 5) for v in h["val_accuracy"]],
        "recipe": recipe.as_dict(),
    }


def choose_trial(trials: list[dict], n_val: int) -> tuple[dict, str]:
    """The search's rule: the highest validation accuracy wins, unless a trial with fewer
    epochs (cheaper to train) is within one binomial standard error of it,
    sqrt(p (1 - p) / n_val), i.e. indistinguishable on these validation images; then the
    cheapest such trial (ties: the higher accuracy). Returns ``(trial, reason)``."""
    if not trials:
        raise ValueError("no trials to choose from: run the search first.")
    best = max(trials, key=lambda t: t["val_accuracy"])
    p = best["val_accuracy"]
    se = math.sqrt(p * (1 - p) / n_val)
    close = [t for t in trials if t["val_accuracy"] >= p - se]
    chosen = min(close, key=lambda t: (t["epochs"], -t["val_accuracy"]))
    if chosen is best:
        reason = f"highest validation accuracy ({p:.2%}; standard error {se:.2%})"
    else:
        reason = (
            f"within one standard error ({se:.2%}) of the best ({best['trial']}, {p:.2%}) "
            f"with fewer epochs ({chosen['epochs']} vs {best['epochs']})"
        )
    return chosen, reason


def save_legacy_h5(model, path) -> Path:
    """Save ``model`` in the legacy HDF5 format (``.h5``) without the log line Keras writes
    to say the format is legacy (notebook 06 explains that in prose instead)."""
    from helpers import modelio

    path = Path(path)
    if path.suffix not in {".h5", ".hdf5"}:
        raise ValueError(f"a legacy HDF5 file name ends in .h5, got {path.name!r}.")
    return modelio.save_model(model, path)  # quiet, with a SHA-256 sidecar <file>.json


def load_legacy_h5(path):
    """Load a legacy ``.h5`` model without the log line Keras writes about its metrics
    ("compiled metrics have yet to be built"), which only says they fill in on first use."""
    from helpers import modelio

    path = Path(path)
    if path.suffix not in {".h5", ".hdf5"}:
        raise ValueError(f"a legacy HDF5 file name ends in .h5, got {path.name!r}.")
    return modelio.load_model(path)  # checksum verified when saved by save_legacy_h5


def flagship_path() -> Path:
    """Where notebook 06 saves the trained flagship (FAST and full runs use separate folders)."""
    return config.artifacts_dir() / "flagship.keras"


def _display(path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(config.ROOT))
    except ValueError:
        return Path(path).name


def flagship_info(recipe: Recipe, split, seed: int = config.SEED) -> dict:
    """What a saved flagship was trained with: recipe, split and seed (stored beside the file,
    so a model from an older recipe or another split is never silently reused), and the Keras
    that saved it (a file saved by a newer Keras may not load in an older one: then it is
    trained again instead)."""
    import keras

    return {
        "recipe": recipe.as_dict(),
        "split": split.describe(),
        "seed": seed,
        "keras": keras.__version__,
    }


def _modelio():
    """helpers.modelio (checksummed model files with a JSON sidecar), when it exists."""
    try:
        from helpers import modelio
    except ImportError:
        return None
    return modelio


def save_flagship(model, recipe: Recipe, split, path: Path | None = None, seed: int = config.SEED):
    """Save the trained flagship to ``path`` (default :func:`flagship_path`) together with
    :func:`flagship_info`. Returns the path."""
    path = flagship_path() if path is None else Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    modelio = _modelio()
    if modelio is None:
        model.save(path)
        return path
    return modelio.save_model(model, path, info=flagship_info(recipe, split, seed))


def load_or_train_flagship(verbose: int = 0, path: Path | None = None):
    """The trained flagship: loaded from :func:`flagship_path` if notebook 06 saved it with
    the current :data:`IMPROVED_RECIPE` and split, otherwise trained now with that recipe on
    ``split.x_fit`` (validation on ``split.x_val``) and saved there. Prints one line saying
    which of the two happened (and why it retrained, if a stored model was stale).

    ``verbose`` is passed to ``fit`` when training (0 = silent, 2 = one line per epoch).
    """
    import keras

    from helpers import split as split_module

    path = flagship_path() if path is None else Path(path)
    split = split_module.load_split(verbose=False)
    wanted = flagship_info(IMPROVED_RECIPE, split)
    modelio = _modelio()
    why = f"No saved flagship at {_display(path)}"
    if path.exists():
        if modelio is None:
            model = keras.saving.load_model(path)  # safe_mode stays on: no code runs
            print(f"Loaded the trained flagship from {_display(path)}.")
            return model
        stored = modelio.read_info(path)
        if stored == wanted:
            model = modelio.load_model(path)  # checksum verified, safe_mode on
            print(f"Loaded the trained flagship from {_display(path)}.")
            return model
        why = (
            f"The flagship at {_display(path)} was trained with another recipe or split"
            if stored
            else f"The flagship at {_display(path)} does not say how it was trained"
        )
    model, history, seconds = train_flagship(
        split.x_fit, split.y_fit, split.x_val, split.y_val, IMPROVED_RECIPE, verbose=verbose
    )
    save_flagship(model, IMPROVED_RECIPE, split, path)
    print(
        f"{why}: trained it now ({IMPROVED_RECIPE.name} recipe, {len(history.epoch)} epochs "
        f"on the {len(split.x_fit):,} fit images, {seconds:.0f} s) and saved it there."
    )
    return model
