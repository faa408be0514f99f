"""Every architecture of the series under one protocol (notebook 08).

A comparison is only fair when everything but the architecture is the same. The
:class:`Protocol` fixes it: the series' one fit / validation / test split
(:func:`helpers.split.load_split`), Adam with the same learning rate and batch size,
sparse categorical cross-entropy, the same epoch budget, and **early stopping on the
validation accuracy** that restores the weights of the best validation epoch. So the
number of epochs of every run is chosen on validation, like every other choice; the test
images are predicted once per run, at the end, and never used to choose. Only the seed
(the initial weights, the Dropout masks and the order of the batches) changes between
repeats, which is what measures the training noise.

:func:`run_all` trains every candidate (the Keras builders of :mod:`helpers.models`, the
flagship's ablations and the from-scratch NumPy net of :mod:`helpers.numpy_nn`) for every
seed and returns one row per run, with each run's predicted digit for every validation
and test image (stored compactly as a string of digits). From those rows:

* :func:`summarize` gives the mean over seeds with an interval that covers both sources of
  doubt, the seeds and the test images (:func:`stats.procedure_accuracy`);
* :func:`choose` ranks the architectures on **validation** and picks one, comparing
  training procedures with :func:`stats.compare_procedures` on the validation images;
* :func:`paired_tests` answers the planned questions "is procedure A better than B on new
  images?" with the same method on the test images (reported once), corrected for the
  number of comparisons (Holm), and :func:`findings` turns it all into the sentences
  notebook 08 shows. McNemar's test (:func:`stats.mcnemar`) is shown per seed: it asks about
  two trained networks, not about two procedures.

:func:`save_results` / :func:`load_results` keep the runs in
``benchmarks/results/architectures.json``. ``benchmarks/bench_architectures.py`` trains them
and stores them compactly (:func:`save_stored_runs`: predictions as uint8 arrays, with a
SHA-256 manifest); notebook 08 loads those by default (:func:`load_stored_runs`, checksums
verified) and trains them itself only when the reader sets ``TRAIN_YOURSELF = True``.

A new architecture (say a CNN) joins by adding a :class:`Candidate` whose ``base`` names a
builder of :func:`helpers.models.build`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from helpers import config, quiet, stats, training
from helpers.results import (
    machine,  # re-exported: notebook 08 prints it
    write_atomic,
)
from helpers.schema import ResultsFileError

#: The measured table of the last full run (committed).
RESULTS_FILE = config.RESULTS_DIR / "architectures.json"
#: Where FAST runs and runs on the fallback data keep theirs (git-ignored).
SCRATCH_FILE = config.ROOT / "benchmarks" / "scratch" / "architectures.json"

#: The small networks train in seconds: notebook 08 trains them with this many times the
#: protocol's seeds (6 instead of 3 in a full run), which narrows the seed part of their
#: intervals; the flagships and the joined CNN keep the protocol's seeds.
CHEAP_SEED_FACTOR = 2
CHEAP = (
    "mlp_100",
    "mlp_300_100",
    "mlp_128_64_32_sigmoid",
    "mlp_128_64_32_relu",
    "mlp_256_sigmoid",
    "numpy_mlp",
)

#: Where equivalence is the point (choosing a smaller model "as good as" the best), a model
#: counts as good as the best only when the whole 95% interval of (best - it) on validation
#: lies below this margin (a fraction: 0.002 = 0.2 points = 20 of 10,000 images). Fixed
#: before looking at any result; "no evidence of a difference" is never enough.
MARGIN = 0.002


@dataclass(frozen=True)
class Protocol:
    """Everything that is the same for every architecture."""

    max_epochs: int
    seeds: tuple[int, ...]
    #: stop when the validation accuracy has not improved for this many epochs, and
    #: restore the weights of the best validation epoch
    patience: int = 2
    batch_size: int = 256
    learning_rate: float = 1e-3
    optimizer: str = "adam"
    #: Keras runs this many batches per call into TensorFlow (less fixed per-step cost;
    #: the arithmetic and the result are the same as one batch at a time).
    steps_per_execution: int = 32

    def describe(self) -> str:
        return (
            f"up to {self.max_epochs} epochs with early stopping on the validation accuracy "
            f"(patience {self.patience}, best epoch's weights restored), batch "
            f"{self.batch_size}, {self.optimizer} (learning rate {self.learning_rate:g}), "
            f"seeds {list(self.seeds)}"
        )

    def with_seeds(self, *seeds: int) -> Protocol:
        """The same protocol with other seeds (e.g. to add repeats)."""
        return replace(self, seeds=tuple(int(s) for s in seeds))


def protocol() -> Protocol:
    """The protocol for this run: epochs and seeds come from ``config.RUN`` (FAST or full)."""
    return Protocol(
        max_epochs=config.RUN.epochs_compare, seeds=tuple(range(config.RUN.seeds_compare))
    )


# --------------------------------------------------------------------------- candidates


@dataclass(frozen=True)
class Candidate:
    """One entry of the comparison.

    ``kind="keras"``: ``models.build(base, **build_kwargs)`` builds it (any builder name
    :func:`helpers.models.build` knows). ``kind="numpy"``: the from-scratch net.
    """

    name: str
    label: str
    group: str  # "architecture" or "ablation"
    kind: str = "keras"  # "keras" or "numpy"
    build_kwargs: dict = field(default_factory=dict)
    base: str | None = None  # the helpers.models architecture it builds


#: The from-scratch net of notebook 05, as notebook 08 trains it.
NUMPY_NET = dict(layer_sizes=[784, 256, 128, 10], activation="relu", init="he")

CANDIDATES: list[Candidate] = [
    Candidate("mlp_100", "784-100-10 ReLU", "architecture", base="mlp_100"),
    Candidate("mlp_300_100", "784-300-100-10 ReLU", "architecture", base="mlp_300_100"),
    Candidate(
        "mlp_128_64_32_sigmoid",
        "784-128-64-32-10 sigmoid",
        "architecture",
        base="mlp_128_64_32_sigmoid",
    ),
    Candidate(
        "mlp_128_64_32_relu", "784-128-64-32-10 ReLU", "architecture", base="mlp_128_64_32_relu"
    ),
    Candidate("mlp_256_sigmoid", "784-256-10 sigmoid", "architecture", base="mlp_256_sigmoid"),
    Candidate(
        "numpy_mlp",
        "NumPy from scratch 784-256-128-10 ReLU",
        "architecture",
        kind="numpy",
    ),
    Candidate("flagship", "flagship (BatchNorm + Dropout)", "architecture", base="flagship"),
    Candidate(
        "flagship_no_batchnorm",
        "flagship without BatchNorm",
        "ablation",
        build_kwargs=dict(batchnorm=False),
        base="flagship",
    ),
    Candidate(
        "flagship_no_dropout",
        "flagship without Dropout",
        "ablation",
        build_kwargs=dict(dropout=None),
        base="flagship",
    ),
    Candidate(
        "flagship_plain",
        "flagship without both",
        "ablation",
        build_kwargs=dict(batchnorm=False, dropout=None),
        base="flagship",
    ),
]

#: The questions notebook 08 asks, fixed before looking at any result: (A, B) = "is A
#: different from B?". Each is one McNemar test; Holm corrects for all of them together.
PLANNED_PAIRS: list[tuple[str, str]] = [
    ("mlp_300_100", "mlp_100"),  # a second hidden layer and 3x the parameters
    ("mlp_128_64_32_relu", "mlp_128_64_32_sigmoid"),  # ReLU or sigmoid, same layers
    ("mlp_300_100", "mlp_256_sigmoid"),  # two ReLU layers or one sigmoid layer
    ("numpy_mlp", "mlp_300_100"),  # from scratch against Keras, similar size
    ("flagship", "mlp_300_100"),  # the flagship's extras and size against the classic
    ("flagship", "flagship_no_batchnorm"),  # ablation: BatchNorm
    ("flagship", "flagship_no_dropout"),  # ablation: Dropout
    ("flagship", "flagship_plain"),  # ablation: both
    # notebook 09's plain CNN against the flagship MLP: planned (added here) before the CNN's runs
    # existed; tested when they are joined (see JOINED)
    ("cnn", "flagship"),
]


@dataclass(frozen=True)
class Joined:
    """An architecture trained under this protocol by another script, whose stored runs
    notebook 08 joins to its table instead of training it (to stay within class time)."""

    name: str
    file: Path  # the results file
    key: str  # its list of runs, in exactly the format of :func:`_row`
    trained_by: str  # the script that trains it
    what: str  # one line on what it is


JOINED: list[Joined] = [
    Joined(
        "cnn",
        config.RESULTS_DIR / "beyond_mlp.json",
        "cnn_runs_08",
        "benchmarks/bench_beyond_mlp.py",
        "notebook 09's plain CNN, without augmentation",
    ),
]

#: The keys of one run (:func:`_row`).
ROW_KEYS = (
    "name", "label", "group", "kind", "seed", "params", "epochs", "best_epoch",
    "seconds_per_epoch", "train_seconds", "val_accuracy", "test_accuracy", "test_errors",
    "n_fit", "n_val", "n_test", "val_predictions", "test_predictions",
)  # fmt: skip


def planned_pairs(names) -> list[tuple[str, str]]:
    """The planned pairs whose two models are both among ``names`` (a joined architecture
    whose runs are missing drops out, and Holm then corrects for one question fewer)."""
    names = set(names)
    return [(a, b) for a, b in PLANNED_PAIRS if a in names and b in names]


def candidate(name: str) -> Candidate:
    for c in CANDIDATES:
        if c.name == name:
            return c
    raise KeyError(f"no candidate named {name!r}; choose one of {[c.name for c in CANDIDATES]}.")


# --------------------------------------------------------------------------- predictions as text


def encode_labels(labels) -> str:
    """Digits 0-9, one per image, as a string ('7210...'): compact and readable in JSON."""
    a = np.asarray(labels)
    if a.dtype.kind == "f" and a.size and np.all(np.isfinite(a)) and np.all(a == np.round(a)):
        a = a.astype(np.int64)  # whole numbers stored as floats
    if a.dtype.kind not in "iu":
        raise ValueError(
            f"encode_labels takes one digit 0-9 per image as integers, got dtype {a.dtype}; "
            "predicted classes come from scores.argmax(axis=1)."
        )
    if a.ndim != 1 or (a.size and (a.min() < 0 or a.max() > 9)):
        raise ValueError("encode_labels takes one digit 0-9 per image, shape (n,).")
    return (a.astype(np.uint8) + ord("0")).tobytes().decode("ascii")


def decode_labels(text: str) -> np.ndarray:
    """The inverse of :func:`encode_labels`: an int64 array of digits."""
    if not isinstance(text, str) or not (text.isascii() and text.isdigit()):
        got = f"{text[:20]!r}" if isinstance(text, str) else type(text).__name__
        raise ValueError(
            f"decode_labels takes a string of digits (ASCII 0-9) such as '7210', got {got}."
        )
    return (np.frombuffer(text.encode("ascii"), dtype=np.uint8) - ord("0")).astype(np.int64)


# --------------------------------------------------------------------------- training


def seconds_per_epoch(seconds: list[float]) -> float:
    """Median epoch time, leaving out the first epoch when there are more (it includes
    Keras's one-off tracing and compilation of the training step)."""
    steady = seconds[1:] if len(seconds) > 1 else seconds
    return float(np.median(steady))


def build_keras(cand: Candidate, seed: int):
    """A fresh, uncompiled Keras model of ``cand`` with the initial weights of ``seed``."""
    import keras

    from helpers import models

    keras.utils.set_random_seed(seed)
    return models.build(cand.base, **cand.build_kwargs)


class KerasTrainer:
    """Trains one Keras candidate for several seeds, tracing TensorFlow's training step
    only once.

    Tracing and compiling ``fit``'s step costs seconds per model (more than a whole epoch of
    the small nets); it depends on the architecture, not on the seed. So the model is built
    and compiled once, and each seed resets every variable (weights, BatchNorm statistics,
    Dropout's random state) to those of a freshly built model with that seed, and the
    optimizer's state to its initial values: the same start as a new model, without
    tracing again.
    """

    def __init__(self, cand: Candidate, proto: Protocol):
        import keras

        keras.backend.clear_session()  # free the previous architecture's graph
        self.cand, self.proto = cand, proto
        self.model = build_keras(cand, seed=0)
        self.model.compile(
            optimizer=keras.optimizers.get(
                {"class_name": proto.optimizer, "config": {"learning_rate": proto.learning_rate}}
            ),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
            steps_per_execution=proto.steps_per_execution,
        )
        self.model.optimizer.build(self.model.trainable_variables)
        self._optimizer_start = [v.numpy() for v in self.model.optimizer.variables]

    def reset(self, seed: int) -> None:
        """Give the compiled model the start of a new model with ``seed``."""
        fresh = build_keras(self.cand, seed)
        if [v.shape for v in fresh.variables] != [v.shape for v in self.model.variables]:
            raise RuntimeError(f"{self.cand.name}: a fresh model has other variables.")
        for variable, value in zip(self.model.variables, fresh.variables, strict=True):
            variable.assign(value)
        for variable, value in zip(
            self.model.optimizer.variables, self._optimizer_start, strict=True
        ):
            variable.assign(value)

    def train(self, split, seed: int) -> dict:
        import keras

        proto, model = self.proto, self.model
        self.reset(seed)
        keras.utils.set_random_seed(seed)  # Dropout's masks
        watch = _validation_watch(split.x_val, split.y_val)
        timer = training.epoch_timer()
        stop = keras.callbacks.EarlyStopping(
            monitor="val_accuracy", mode="max", patience=proto.patience, restore_best_weights=True
        )
        start = time.perf_counter()
        model.fit(
            _fit_batches(split, proto.batch_size, seed),  # the order of the batches
            epochs=proto.max_epochs,
            shuffle=False,  # the pipeline shuffles, with the run's seed
            callbacks=[watch, timer, stop],  # the timer's epochs include the validation pass
            verbose=0,
        )
        train_seconds = time.perf_counter() - start
        return _row(
            self.cand,
            seed,
            proto,
            split,
            params=int(model.count_params()),
            val_accuracy=watch.accuracy,
            epoch_seconds=timer.seconds,
            train_seconds=train_seconds,
            # the restored best epoch's validation digits, kept from its validation pass
            val_predictions=watch.best_digits,
            test_predictions=predict_digits(model, split.x_test),
        )


#: Images per call when predicting (memory stays small even for notebook 09's CNN).
PREDICT_BATCH = 2000

# The fit images as TensorFlow tensors, converted once and shared by every model and seed.
_fit_tensors: dict = {}


def _fit_batches(split, batch_size: int, seed: int):
    """The fit images in batches of ``batch_size``, in a new order every epoch (the order
    set by ``seed``): one ``tf.data`` pipeline over tensors converted once per split.

    Keras would also take the NumPy arrays, but then converts them again at every ``fit``
    and slices them with more per-batch work (measured by ``benchmarks/profile_08.py``).
    """
    import tensorflow as tf

    key = (id(split.x_fit), id(split.y_fit))
    if key not in _fit_tensors:
        _fit_tensors.clear()  # one split at a time
        _fit_tensors[key] = (
            split.x_fit,  # kept so that the id is not reused while the tensors are cached
            tf.constant(split.x_fit),
            tf.constant(split.y_fit),
        )
    _, x, y = _fit_tensors[key]
    n = int(x.shape[0])
    return (
        tf.data.Dataset.range(n)
        .shuffle(n, seed=seed, reshuffle_each_iteration=True)
        .batch(batch_size)
        .map(lambda i: (tf.gather(x, i), tf.gather(y, i)))
        .prefetch(2)
    )


def predict_digits(model, x, batch: int = PREDICT_BATCH) -> np.ndarray:
    """The digit a Keras model predicts for every image (inference mode: Dropout off,
    BatchNorm's moving statistics), ``batch`` images per call of ``predict_on_batch``
    (lighter than ``predict``, which builds a data pipeline at every call)."""
    return np.concatenate(
        [
            np.asarray(model.predict_on_batch(x[i : i + batch])).argmax(1)
            for i in range(0, len(x), batch)
        ]
    )


def _validation_watch(x_val, y_val):
    """A Keras callback that predicts the validation images after every epoch, puts their
    accuracy into the logs as ``val_accuracy`` (for ``EarlyStopping``) and keeps the digits
    of the best epoch so far: the same first-best epoch ``EarlyStopping`` restores, so its
    predictions need not be computed again."""
    import keras

    class ValidationWatch(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.accuracy: list[float] = []
            self.best_digits = None

        def on_epoch_end(self, epoch, logs=None):
            digits = predict_digits(self.model, x_val)
            accuracy = float(np.mean(digits == y_val))
            if not self.accuracy or accuracy > max(self.accuracy):
                self.best_digits = digits
            self.accuracy.append(accuracy)
            if logs is not None:
                logs["val_accuracy"] = accuracy

    return ValidationWatch()


class _Stop(Exception):
    """Raised inside the NumPy net's training loop when patience has run out."""


def _numpy_net_with_early_stopping(seed: int, patience: int):
    """The NumPy MLP of notebook 05 with early stopping on validation accuracy.

    ``MLP.fit`` evaluates the validation images after every epoch through the public
    ``evaluate``; this subclass watches those evaluations: it keeps a copy of the weights
    of the best epoch, stops training when the accuracy has not improved for ``patience``
    epochs, and :meth:`restore_best` puts the best weights back (what Keras's
    ``EarlyStopping(restore_best_weights=True)`` does).
    """
    from helpers.numpy_nn import MLP

    class WatchedMLP(MLP):
        def watch(self):
            self.val_accuracy, self.epoch_seconds = [], []
            self._best, self._tick = None, time.perf_counter()

        def evaluate(self, x, y, batch_size: int = 4096) -> dict:
            result = super().evaluate(x, y, batch_size)
            if not hasattr(self, "val_accuracy"):
                return result
            now = time.perf_counter()
            self.epoch_seconds.append(now - self._tick)
            self._tick = now
            self.val_accuracy.append(result["accuracy"])
            best = int(np.argmax(self.val_accuracy))
            if best == len(self.val_accuracy) - 1:
                self._best = self.get_weights()
            elif len(self.val_accuracy) - 1 - best >= patience:
                raise _Stop
            return result

        def restore_best(self):
            if self._best is not None:
                self.set_weights(self._best)

    net = WatchedMLP(**NUMPY_NET, seed=seed)
    net.watch()
    return net


def train_numpy(cand: Candidate, split, seed: int, proto: Protocol) -> dict:
    """Train the from-scratch NumPy net under the same protocol."""
    net = _numpy_net_with_early_stopping(seed, proto.patience)
    flat = split.x_fit.reshape(len(split.x_fit), -1)
    flat_val = split.x_val.reshape(len(split.x_val), -1)
    start = time.perf_counter()
    with contextlib.suppress(_Stop):
        net.fit(
            flat,
            split.y_fit,
            epochs=proto.max_epochs,
            batch_size=proto.batch_size,
            lr=proto.learning_rate,
            optimizer=proto.optimizer,
            x_val=flat_val,
            y_val=split.y_val,
            verbose=0,
        )
    train_seconds = time.perf_counter() - start
    if not net.val_accuracy:
        raise RuntimeError("MLP.fit no longer evaluates the validation set through evaluate().")
    net.restore_best()
    return _row(
        cand,
        seed,
        proto,
        split,
        params=int(net.count_params()),
        val_accuracy=net.val_accuracy,
        epoch_seconds=net.epoch_seconds,
        train_seconds=train_seconds,
        val_predictions=net.predict(flat_val),
        test_predictions=net.predict(split.x_test.reshape(len(split.x_test), -1)),
    )


def _row(
    cand,
    seed,
    proto,
    split,
    *,
    params,
    val_accuracy,
    epoch_seconds,
    train_seconds,
    val_predictions,
    test_predictions,
) -> dict:
    val_right = int(np.count_nonzero(np.asarray(val_predictions) == split.y_val))
    test_errors = int(np.count_nonzero(np.asarray(test_predictions) != split.y_test))
    return dict(
        name=cand.name,
        label=cand.label,
        group=cand.group,
        kind=cand.kind,
        seed=int(seed),
        params=params,
        epochs=len(val_accuracy),
        best_epoch=int(np.argmax(val_accuracy)) + 1,
        seconds_per_epoch=round(seconds_per_epoch(epoch_seconds), 3),
        train_seconds=round(train_seconds, 2),
        val_accuracy=round(val_right / len(split.y_val), 5),
        test_accuracy=round(1 - test_errors / len(split.y_test), 5),
        test_errors=test_errors,
        n_fit=len(split.y_fit),
        n_val=len(split.y_val),
        n_test=len(split.y_test),
        val_predictions=encode_labels(val_predictions),
        test_predictions=encode_labels(test_predictions),
    )


def seeds_for(name: str, proto: Protocol, more_seeds: bool = True) -> tuple[int, ...]:
    """The seeds a candidate is trained with: the protocol's, and for the :data:`CHEAP`
    ones (``more_seeds``) the next ones up to :data:`CHEAP_SEED_FACTOR` times as many."""
    seeds = tuple(proto.seeds)
    if not more_seeds or name not in CHEAP or not seeds:
        return seeds
    extra = (CHEAP_SEED_FACTOR - 1) * len(seeds)
    return seeds + tuple(range(max(seeds) + 1, max(seeds) + 1 + extra))


def run_all(split, proto: Protocol, names=None, verbose: bool = True, more_seeds: bool = False):
    """Train every candidate (or ``names``) for every seed; one row per run (a DataFrame).

    ``split`` is a :class:`helpers.split.Split` (images as float32 in [0, 1], integer
    labels). Prints one line per run, so a long comparison shows its progress.
    ``more_seeds``: train the cheap candidates with more seeds (:func:`seeds_for`).
    """
    import pandas as pd

    x_fit = np.asarray(split.x_fit)
    if x_fit.dtype == np.uint8:
        raise ValueError(
            "pass normalised images (float32 in [0, 1]): load_split(normalize_pixels=True)."
        )
    if np.asarray(split.y_fit).ndim != 1:
        raise ValueError("pass integer labels, not one-hot (load_split gives integers).")
    chosen = CANDIDATES if names is None else [candidate(n) for n in names]
    rows = []
    for cand in chosen:
        with quiet.retracing_warnings_hidden():
            trainer = KerasTrainer(cand, proto) if cand.kind == "keras" else None
            for seed in seeds_for(cand.name, proto, more_seeds):
                if trainer is None:
                    row = train_numpy(cand, split, seed, proto)
                else:
                    row = trainer.train(split, seed)
                rows.append(row)
                if verbose:
                    print(run_line(row), flush=True)
    return pd.DataFrame(rows)


def run_line(row) -> str:
    """One run as :func:`run_all` prints it: seconds per epoch, epochs, best epoch, accuracies."""
    return (
        f"{row['name']:<22} seed {row['seed']}  {row['seconds_per_epoch']:5.2f} s/epoch  "
        f"{row['epochs']:>2} epochs, best {row['best_epoch']:>2}: "
        f"val {row['val_accuracy']:.4f}  test {row['test_accuracy']:.4f}"
    )


def print_runs(runs) -> None:
    """Print every run of a runs table, one line each, as :func:`run_all` does."""
    for row in runs.to_dict(orient="records"):
        print(run_line(row))


# --------------------------------------------------------------------------- summaries


def _procedure(y_true, preds, confidence):
    """:func:`stats.procedure_accuracy`, or ``None`` with a single seed (no interval)."""
    if len(preds) < 2:
        return None
    return stats.procedure_accuracy(y_true, preds, confidence)


def summarize(runs, y_val, y_test, confidence: float = 0.95):
    """Mean over seeds with an interval that covers **both** sources of doubt, one row per
    candidate, in the order of :data:`CANDIDATES` (then any others in the order they appear).

    ``*_low`` / ``*_high``: :func:`stats.procedure_accuracy` on the validation and test
    images (the seeds and the images; on the log-odds scale, so inside [0, 1]); NaN with a
    single seed (the seed-to-seed spread is unknown, not zero). ``*_sd``: the standard
    deviation of the seeds' accuracies (the seeds alone); ``*_seed_share``: the share of the
    interval's variance that comes from the seeds.
    """
    import pandas as pd

    known = [c.name for c in CANDIDATES]
    present = list(dict.fromkeys(runs["name"]))
    order = [n for n in known if n in present] + [n for n in present if n not in known]
    rows = {}
    for name in order:
        r = runs[runs["name"] == name]
        row = dict(
            label=r["label"].iloc[0],
            group=r["group"].iloc[0],
            params=int(r["params"].iloc[0]),
            seconds_per_epoch=float(r["seconds_per_epoch"].mean()),
            train_seconds=float(r["train_seconds"].mean()),
            epochs=float(r["epochs"].mean()),
            best_epoch=float(r["best_epoch"].mean()),
        )
        for which, y in (("val", y_val), ("test", y_test)):
            est = _procedure(y, predictions(runs, name, which), confidence)
            acc = r[f"{which}_accuracy"].to_numpy(dtype=float)
            row[f"{which}_accuracy"] = float(acc.mean())
            row[f"{which}_low"] = np.nan if est is None else est.low
            row[f"{which}_high"] = np.nan if est is None else est.high
            row[f"{which}_sd"] = float(acc.std(ddof=1)) if len(acc) > 1 else np.nan
            row[f"{which}_seed_share"] = (
                np.nan if est is None or est.se == 0 else est.seed_variance / est.se**2
            )
        row["test_errors"] = float(r["test_errors"].mean())
        row["seeds"] = int(r["seed"].nunique())
        rows[name] = row
    return pd.DataFrame.from_dict(rows, orient="index")


def _interval(mean, low, high) -> str:
    if np.isnan(low):
        return f"{100 * mean:.2f} (1 seed: no interval)"
    return f"{100 * mean:.2f} [{100 * low:.2f}, {100 * high:.2f}]"


def display_table(summary):
    """The summary as a student reads it: percentages with their 95% intervals (seeds and
    test images)."""
    import pandas as pd

    s = summary
    return pd.DataFrame(
        {
            "model": s["label"],
            "parameters": s["params"].map("{:,}".format),
            "seeds": s["seeds"],
            "s / epoch": s["seconds_per_epoch"].map("{:.2f}".format),
            "epochs run (best)": [
                f"{e:.1f} ({b:.1f})" for e, b in zip(s["epochs"], s["best_epoch"], strict=True)
            ],
            "validation acc % [95% CI]": [
                _interval(*v)
                for v in zip(s["val_accuracy"], s["val_low"], s["val_high"], strict=True)
            ],
            "test acc % [95% CI]": [
                _interval(*v)
                for v in zip(s["test_accuracy"], s["test_low"], s["test_high"], strict=True)
            ],
        }
    ).set_index("model")


def predictions(runs, name: str, which: str = "test") -> np.ndarray:
    """``(seeds, images)`` array of one candidate's predicted digits (``which``: 'val' or 'test')."""
    if which not in ("val", "test"):
        raise ValueError(f"which must be 'val' or 'test', got {which!r}.")
    r = runs[runs["name"] == name].sort_values("seed")
    if r.empty:
        raise KeyError(f"no runs of {name!r}; have {sorted(set(runs['name']))}.")
    return np.stack([decode_labels(t) for t in r[f"{which}_predictions"]])


def majority_vote(predictions) -> np.ndarray:
    """The digit most seeds predicted for each image; a tie goes to the first seed's digit.

    ``predictions``: ``(seeds, images)`` array of digits.
    """
    p = np.asarray(predictions)
    if p.ndim != 2:
        raise ValueError(
            f"pass one row of predictions per seed, shape (seeds, images), got {p.shape}."
        )
    images = np.arange(p.shape[1])
    votes = np.zeros((10, p.shape[1]), dtype=np.int64)
    for row in p:
        np.add.at(votes, (row, images), 1)
    vote = votes.argmax(axis=0)
    first_is_tied = votes[p[0], images] == votes.max(axis=0)
    return np.where(first_is_tied, p[0], vote)


def ensembles(runs, which: str = "test") -> dict[str, np.ndarray]:
    """The majority vote over seeds of every candidate: one prediction per image."""
    return {
        name: majority_vote(predictions(runs, name, which)) for name in dict.fromkeys(runs["name"])
    }


def paired_tests(runs, y_true, pairs=None, which: str = "test", confidence: float = 0.95):
    """ "Is training procedure A better than procedure B on new images?" for each planned
    pair (:func:`planned_pairs` of the models in ``runs``, unless ``pairs`` are given):
    :func:`stats.compare_procedures` on the images ``which`` (seeds and images), Holm-corrected.

    One row per pair: ``difference_points`` (A - B, mean over seeds) with ``low_points`` /
    ``high_points``, ``seed_share`` (the share of the variance from the seeds), ``p_value``,
    ``p_holm``, ``verdict``; and ``per_seed_p``: McNemar's test of seed i of A against seed i
    of B, which asks about those two trained networks only. A pair with a single seed on
    either side gets no interval, no p-value and the verdict "one seed: no test".
    """
    import pandas as pd

    pairs = planned_pairs(runs["name"]) if pairs is None else list(pairs)
    labels = dict(zip(runs["name"], runs["label"], strict=True))
    rows = []
    for a, b in pairs:
        pa, pb = predictions(runs, a, which), predictions(runs, b, which)
        k = min(len(pa), len(pb))
        row = dict(
            comparison=f"{labels[a]}  vs  {labels[b]}",
            a=a,
            b=b,
            seeds=f"{len(pa)} / {len(pb)}",
            difference_points=100
            * float(np.mean(pa == y_true, axis=1).mean() - np.mean(pb == y_true, axis=1).mean()),
            per_seed_p=[stats.mcnemar(y_true, pa[i], pb[i]).p_value for i in range(k)],
        )
        if k >= 2:
            c = stats.compare_procedures(y_true, pa, pb, confidence)
            row.update(
                low_points=100 * c.low,
                high_points=100 * c.high,
                seed_share=c.seed_variance / c.se**2 if c.se > 0 else np.nan,
                p_value=c.p_value,
            )
        else:
            row.update(low_points=np.nan, high_points=np.nan, seed_share=np.nan, p_value=np.nan)
        rows.append(row)
    table = pd.DataFrame(rows)
    if len(table):
        tested = table["p_value"].notna()
        table["p_holm"] = np.nan
        if tested.any():
            table.loc[tested, "p_holm"] = stats.holm(table.loc[tested, "p_value"].to_numpy())
        table["verdict"] = [
            stats.verdict(ph, pr) if np.isfinite(pr) else "one seed: no test"
            for ph, pr in zip(table["p_holm"], table["p_value"], strict=True)
        ]
    return table


def display_tests(tests):
    """The procedure comparisons as a student reads them."""
    import pandas as pd

    t = tests.set_index("comparison")
    return pd.DataFrame(
        {
            "seeds": t["seeds"],
            "A - B (points)": t["difference_points"].map("{:+.2f}".format),
            "95% CI (seeds + images)": [
                "-" if np.isnan(lo) else f"[{lo:+.2f}, {hi:+.2f}]"
                for lo, hi in zip(t["low_points"], t["high_points"], strict=True)
            ],
            "from seeds": t["seed_share"].map(lambda v: "-" if np.isnan(v) else f"{v:.0%}"),
            "p": t["p_value"].map("{:.2g}".format),
            "p (Holm)": t["p_holm"].map("{:.2g}".format),
            "verdict": t["verdict"],
            "McNemar p, seed by seed": t["per_seed_p"].map(
                lambda ps: " / ".join(f"{p:.2g}" for p in ps)
            ),
        },
        index=t.index,
    )


def choose(runs, y_val, group: str = "architecture", margin: float = MARGIN) -> dict:
    """Rank the architectures on **validation** and choose one; the test set plays no part.

    The best is the highest mean validation accuracy. Every other architecture is compared
    with it as a training procedure (:func:`stats.compare_procedures` on the validation
    images, seeds and images; Holm-corrected): ``tests``, and ``not_distinguished`` those
    with no clear difference (which does *not* make them equal). ``within_margin``: those
    whose whole 95% interval of (best - it) lies below ``margin``, i.e. shown to be at most
    ``margin`` worse; ``smallest`` is the one with the fewest parameters among the best and
    those within the margin.
    """
    summary_val = {
        n: float(np.mean(predictions(runs, n, "val") == y_val, axis=1).mean())
        for n in dict.fromkeys(runs["name"])
    }
    groups = dict(zip(runs["name"], runs["group"], strict=True))
    params = dict(zip(runs["name"], runs["params"], strict=True))
    names = [n for n in summary_val if groups[n] == group]
    ranking = sorted(names, key=lambda n: summary_val[n], reverse=True)
    best, others = ranking[0], ranking[1:]
    tests = paired_tests(runs, y_val, [(best, o) for o in others], which="val")
    not_distinguished = [
        o for o, v in zip(others, tests["verdict"], strict=True) if v != "clear"
    ] if others else []  # fmt: skip
    within = [
        o
        for o, hi in zip(others, tests["high_points"] if others else [], strict=True)
        if np.isfinite(hi) and hi / 100 < margin
    ]
    smallest = min([best, *within], key=lambda n: params[n])
    return dict(
        best=best,
        ranking=ranking,
        not_distinguished=not_distinguished,
        within_margin=within,
        margin=margin,
        smallest=smallest,
        tests=tests,
    )


def speed_ratio(summary, slow: str, fast: str) -> float:
    """How many times longer an epoch of ``slow`` takes than one of ``fast``."""
    return float(summary.loc[slow, "seconds_per_epoch"] / summary.loc[fast, "seconds_per_epoch"])


def timing_spread(runs) -> float:
    """The largest factor between the slowest and the fastest seed of one model, over the
    models trained in one session (same code, same machine, minutes apart): how much an
    epoch time moves from run to run by itself. Joined runs (timed elsewhere) are left out;
    1.0 when no model has two runs."""
    r = runs[runs["kind"] != "joined"]
    spread = r.groupby("name")["seconds_per_epoch"].agg(lambda x: x.max() / x.min())
    counts = r.groupby("name")["seconds_per_epoch"].size()
    spread = spread[counts > 1]
    return float(spread.max()) if len(spread) else 1.0


def fastest_group(summary, rule: float, names=None) -> list[str]:
    """The fastest model and every one within ``rule`` times its epoch time (use the
    measured :func:`timing_spread`: closer than that, timings are not a ranking)."""
    s = summary if names is None else summary.loc[list(names)]
    fastest = s["seconds_per_epoch"].min()
    return list(s.index[s["seconds_per_epoch"] < rule * fastest])


def findings(summary, tests, choice, rule: float) -> str:
    """What the measurements say, as Markdown bullet points computed from the tables (so
    they stay true whatever a re-run measures). ``rule``: the measured timing spread."""
    label = summary["label"].to_dict()

    def pct(name, column):
        return f"{100 * summary.loc[name, column]:.2f}%"

    def interval(name):
        lo, hi = summary.loc[name, "test_low"], summary.loc[name, "test_high"]
        return "one seed: no interval" if np.isnan(lo) else f"95% CI {100 * lo:.2f}-{100 * hi:.2f}%"

    best, smallest = choice["best"], choice["smallest"]
    within = choice["within_margin"]
    lines = [
        f"- Chosen on validation: **{label[best]}** (validation {pct(best, 'val_accuracy')}); "
        f"its test accuracy, reported once: {pct(best, 'test_accuracy')} ({interval(best)}, "
        "seeds and test images).",
        f"- Shown on validation to be at most {100 * choice['margin']:.1f} points worse than it "
        "(the whole 95% interval below the margin): "
        + (", ".join(label[n] for n in within) if within else "none")
        + f". The smallest of the best and these: **{label[smallest]}**.",
    ]
    for row in tests.itertuples():
        if np.isnan(row.p_value):
            lines.append(f"- {label[row.a]} against {label[row.b]}: one seed, no test.")
            continue
        lines.append(
            f"- {label[row.a]} against {label[row.b]} (procedures, new images): "
            f"{row.difference_points:+.2f} points [{row.low_points:+.2f}, {row.high_points:+.2f}], "
            f"p = {row.p_value:.2g}, after Holm {row.p_holm:.2g}: **{row.verdict}**."
        )
    archs = [n for n in summary.index if summary.loc[n, "group"] == "architecture"]
    group = fastest_group(summary, rule, archs)
    lines.append(
        f"- Fastest per epoch, within {rule:.2f}x of each other (the largest run-to-run spread "
        "of one model's epoch time in these runs; no ranking among them): "
        + ", ".join(f"{label[n]} ({summary.loc[n, 'seconds_per_epoch']:.2f} s)" for n in group)
        + "."
    )
    return "\n".join(lines)


# --------------------------------------------------------------------------- storing


def results_file(full_run: bool) -> Path:
    """The committed file for a full run on the full data; a scratch file otherwise."""
    return RESULTS_FILE if full_run else SCRATCH_FILE


def save_results(runs, proto: Protocol, split, full_run: bool, total_seconds: float) -> Path:
    """Write the runs (with their predictions), the labels and how it was measured to JSON."""
    path = results_file(full_run)
    payload = dict(
        measured=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        mode="full" if full_run else "FAST or fallback",
        protocol=asdict(proto),
        split=split.describe(),
        total_seconds=round(total_seconds, 1),
        machine=machine(),
        labels=dict(val=encode_labels(split.y_val), test=encode_labels(split.y_test)),
        runs=runs.to_dict(orient="records"),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, json.dumps(payload, indent=1) + "\n")
    return path


def _shown(path: Path) -> str:
    """A path as the notebook prints it: relative to the repository when inside it."""
    try:
        return str(path.relative_to(config.ROOT))
    except ValueError:
        return path.name


def load_results(path: Path | None = None):
    """``(runs DataFrame, meta dict)`` of a stored comparison (default: the last full run).

    ``meta["y_val"]`` and ``meta["y_test"]`` are the true labels the predictions belong to.
    """
    import pandas as pd

    from helpers import schema

    path = Path(path or RESULTS_FILE)
    if not path.exists():
        raise FileNotFoundError(
            f"no stored comparison at {_shown(path)}: run notebook 08 in full "
            "mode once, or python -m benchmarks.bench_architectures."
        )
    fix = (
        f"Restore it (git checkout -- {_shown(path)}), or measure again with "
        "python -m benchmarks.bench_architectures."
    )
    payload = schema.load(path, schema.ARCHITECTURES, fix)
    labels = payload["labels"]
    for i, run in enumerate(payload["runs"]):
        schema.same_length(
            path,
            fix,
            [
                (f"runs[{i}].{which}_predictions", run[f"{which}_predictions"], len(labels[which]))
                for which in ("val", "test")
            ],
        )
    runs = pd.DataFrame(payload.pop("runs"))
    labels = payload.pop("labels")
    payload["y_val"], payload["y_test"] = (
        decode_labels(labels["val"]),
        decode_labels(labels["test"]),
    )
    return runs, payload


#: The stored runs notebook 08 loads by default (``TRAIN_YOURSELF = False``), written by
#: ``benchmarks/bench_architectures.py``: every run's row (:data:`ROW_KEYS` but the
#: predictions) in a small JSON file, its predicted digits as uint8 arrays in an ``.npz``
#: file, and a ``sha256sum``-style manifest of both, checked before anything is used.
STORED_DIR = config.RESULTS_DIR
STORED_META = "architectures_runs.json"
STORED_ARRAYS = "architectures_runs.npz"
STORED_MANIFEST = "architectures_runs.sha256"
STORED_BENCH = "benchmarks/bench_architectures.py"


class StoredRunsError(ResultsFileError):
    """Stored runs that cannot be used (missing, changed, damaged): says which file and the fix."""


def _sha256(path: Path) -> str:
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def save_stored_runs(runs, meta: dict, y_val, y_test, folder: Path | None = None) -> list[Path]:
    """Write ``runs`` (one row per run, :data:`ROW_KEYS`, predictions as digit strings) as
    the stored runs: rows and ``meta`` (protocol, split, machine, seconds) as JSON, the
    predictions and true labels as uint8 arrays (``.npz``), and the SHA-256 manifest."""
    import io

    folder = Path(folder or STORED_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    records = runs.to_dict(orient="records")
    missing = [k for k in ROW_KEYS if k not in runs.columns]
    if missing:
        raise ValueError(f"the runs lack the columns {missing} (rows of compare.run_all).")
    arrays = {
        f"{which}_predictions": np.stack(
            [decode_labels(r[f"{which}_predictions"]) for r in records]
        ).astype(np.uint8)
        for which in ("val", "test")
    }
    arrays["y_val"] = np.asarray(y_val).astype(np.uint8)
    arrays["y_test"] = np.asarray(y_test).astype(np.uint8)
    rows = [
        {k: (v.item() if isinstance(v, np.generic) else v) for k, v in r.items()} for r in records
    ]
    rows = [{k: r[k] for k in ROW_KEYS if not k.endswith("_predictions")} for r in rows]
    payload = {**meta, "arrays": STORED_ARRAYS, "runs": rows}
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    meta_path = write_atomic(folder / STORED_META, json.dumps(payload, indent=1) + "\n")
    arrays_path = write_atomic(folder / STORED_ARRAYS, buffer.getvalue())
    lines = "".join(f"{_sha256(p)}  {p.name}\n" for p in (meta_path, arrays_path))
    return [meta_path, arrays_path, write_atomic(folder / STORED_MANIFEST, lines)]


def training_time(folder: Path | None = None) -> str:
    """One line: how long training every stored run took when they were made, and on what
    machine (read from the stored runs' JSON; the checksums are checked when they are loaded)."""
    path = Path(folder or STORED_DIR) / STORED_META
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
        seconds, m, n = meta["total_seconds"], meta["machine"], len(meta["runs"])
        load, cpus = m["load_average"], m["cpus"]
    except (OSError, ValueError, KeyError, TypeError):
        return f"training time unknown: {_shown(path)} is missing or unreadable"
    busy = (
        ""
        if load is None
        else (f", 1-minute load average {load:g}: a {'busy' if load > cpus else 'quiet'} machine")
    )
    return (
        f"training every run yourself took {seconds / 60:.1f} min when the stored runs were made "
        f"({n} runs on {cpus} cores{busy})"
    )


def _stored_fix(name: str) -> str:
    return (
        f"Restore the committed file (git checkout -- benchmarks/results/{name}), or set "
        f"TRAIN_YOURSELF = True at the top of notebook 08 to train the runs now, or write "
        f"them again with python -m benchmarks.bench_architectures (which trains them)."
    )


def load_stored_runs(folder: Path | None = None):
    """``(runs DataFrame, meta dict)`` of the stored runs, as :func:`load_results` gives them,
    after checking both files against the SHA-256 manifest, the arrays' types and shapes,
    and every run's recorded accuracy against the one its predictions give.

    Raises :class:`StoredRunsError` naming the file and what to do, and uses nothing of a
    file that fails a check. Arrays are read with ``allow_pickle=False``.
    """
    import pandas as pd

    folder = Path(folder or STORED_DIR)
    manifest = folder / STORED_MANIFEST
    if not manifest.is_file():
        raise StoredRunsError(
            f"no stored runs: {_shown(manifest)} is missing. {_stored_fix(STORED_MANIFEST)}"
        )
    expected = {}
    for line in manifest.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) != 2 or len(parts[0]) != 64:
            raise StoredRunsError(
                f"{_shown(manifest)}: the line {line[:80]!r} is not 'sha256  file'. "
                + _stored_fix(STORED_MANIFEST)
            )
        expected[parts[1]] = parts[0].lower()
    for name in (STORED_META, STORED_ARRAYS):
        path = folder / name
        if name not in expected:
            raise StoredRunsError(
                f"{_shown(manifest)} lists no checksum for {name}. {_stored_fix(STORED_MANIFEST)}"
            )
        if not path.is_file():
            raise StoredRunsError(f"{_shown(path)} is missing. {_stored_fix(name)}")
        got = _sha256(path)
        if got != expected[name]:
            raise StoredRunsError(
                f"{_shown(path)} does not match its SHA-256 checksum in {STORED_MANIFEST} "
                f"(expected {expected[name][:16]}..., the file has {got[:16]}...): it was "
                f"changed or damaged, so its runs are not the measured ones and are not used. "
                + _stored_fix(name)
            )

    def bad(what: str, name: str = STORED_ARRAYS):
        return StoredRunsError(f"{_shown(folder / name)}: {what}. {_stored_fix(name)}")

    try:
        payload = json.loads((folder / STORED_META).read_text(encoding="utf-8"))
        rows = payload.pop("runs")
        with np.load(folder / STORED_ARRAYS, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in ("val_predictions", "test_predictions", "y_val", "y_test")}
    except (ValueError, KeyError, OSError, TypeError) as error:
        raise bad(f"cannot be read ({type(error).__name__}: {error})") from None
    for key, a in arrays.items():
        if a.dtype != np.uint8 or (a.size and a.max() > 9):
            raise bad(f"{key} must hold digits 0-9 as uint8, got {a.dtype}")
    for which in ("val", "test"):
        shape = (len(rows), len(arrays[f"y_{which}"]))
        if arrays[f"{which}_predictions"].shape != shape:
            raise bad(f"{which}_predictions has shape {arrays[f'{which}_predictions'].shape}, "
                      f"expected {shape} (runs x images)")  # fmt: skip
    for i, r in enumerate(rows):
        for which in ("val", "test"):
            acc = float(np.mean(arrays[f"{which}_predictions"][i] == arrays[f"y_{which}"]))
            if abs(acc - r[f"{which}_accuracy"]) > 1e-4:
                raise bad(f"run {i} ({r['name']}, seed {r['seed']}): its {which} predictions give "
                          f"{acc:.5f}, its row says {r[f'{which}_accuracy']}", STORED_META)  # fmt: skip
        r["val_predictions"] = encode_labels(arrays["val_predictions"][i])
        r["test_predictions"] = encode_labels(arrays["test_predictions"][i])
    runs = pd.DataFrame(rows)
    payload["y_val"] = arrays["y_val"].astype(np.int64)
    payload["y_test"] = arrays["y_test"].astype(np.int64)
    return runs, payload


# --------------------------------------------------------------------------- joined runs


def _stored_rows(joined: Joined, payload, labels: dict, proto: dict) -> tuple[list, str]:
    """``(rows, "")`` when ``payload`` holds complete runs of ``joined`` for this split
    (``labels``: the encoded validation and test labels) and protocol (``proto``: as
    ``dataclasses.asdict`` and JSON give it), else ``([], why not)``. Plain Python on
    JSON, so ``benchmarks/report.py`` uses it too."""
    shown = _shown(joined.file)
    if payload is None:
        return [], f"{shown} does not exist yet ({joined.trained_by} writes it)"
    rows = payload.get(joined.key) or []
    if not rows:
        return [], f"{shown} holds no runs under {joined.key!r} yet"
    if payload.get("labels") != labels:
        return [], f"its runs in {shown} were measured on another split than this run's"
    theirs = (payload.get("recipes") or {}).get(joined.name, payload.get("protocol"))
    if theirs != proto:
        return [], f"its runs in {shown} were trained under another protocol: {theirs}"
    seeds = sorted(r.get("seed") for r in rows)
    if seeds != sorted(proto["seeds"]):
        return [], f"{shown} has seeds {seeds}; this protocol's are {sorted(proto['seeds'])}"
    for r in rows:
        if set(r) != set(ROW_KEYS) or r["name"] != joined.name:
            return [], f"{shown}: a row of {joined.key!r} is not in notebook 08's format"
        for which in ("val", "test"):
            truth, predicted = labels[which], r[f"{which}_predictions"]
            right = sum(a == b for a, b in zip(truth, predicted, strict=True))
            if abs(right / len(truth) - r[f"{which}_accuracy"]) > 1e-4:
                return (
                    [],
                    f"{shown}: seed {r['seed']}'s {which} predictions disagree with its accuracy",
                )
    by = Path(joined.trained_by).name
    return [{**r, "label": f"{r['label']} (stored: {by})", "kind": "joined"} for r in rows], ""


def stored_runs(
    labels: dict, proto: dict, results_dir: Path | None = None
) -> tuple[list, list[str]]:
    """The runs of every :data:`JOINED` architecture that fit this split and protocol,
    and one line per architecture saying what was joined or why not (``results_dir``:
    where to look for the files instead of ``benchmarks/results/``). A damaged file is
    refused (:class:`helpers.schema.ResultsFileError`, naming the file, the field and the fix)."""
    from helpers import schema

    rows, lines = [], []
    for joined in JOINED:
        file = joined.file if results_dir is None else Path(results_dir) / joined.file.name
        joined = replace(joined, file=file)
        payload = None
        if file.exists() or file.is_symlink():  # a broken link is refused, not skipped
            fix = f"Restore it (git checkout -- {_shown(file)}) or run {joined.trained_by} again."
            payload = schema.load(file, schema.JOINABLE, fix)
            rows_schema = schema.List(schema.Obj(required=dict(seed=schema.Int(0))), null=True)
            schema.validate(payload, schema.Obj(optional={joined.key: rows_schema}), file, fix)
            for i, r in enumerate(payload.get(joined.key) or []):
                if set(r) == set(ROW_KEYS) and payload.get("labels") == labels:
                    where = f"(in {joined.key}[{i}]) {fix}"
                    schema.validate(r, schema.COMPARE_RUN, file, where)
                    schema.same_length(file, where, [
                        (f"{w}_predictions", r[f"{w}_predictions"], len(labels[w]))
                        for w in ("val", "test")
                    ])  # fmt: skip
        found, why = _stored_rows(joined, payload, labels, proto)
        if found:
            rows += found
            lines.append(
                f"{found[0]['label']} ({joined.what}): {len(found)} runs joined from "
                f"{_shown(joined.file)}, trained under this protocol by {joined.trained_by} "
                f"(measured {str(payload.get('measured', '?'))[:16]}, load "
                f"{(payload.get('machine') or {}).get('load_average', '?')}); not trained here"
            )
        else:
            lines.append(f"{joined.what} not joined: {why}")
    return rows, lines


def join_stored(runs, y_val, y_test, proto: Protocol, verbose: bool = True):
    """``runs`` with the stored runs of the :data:`JOINED` architectures (e.g. notebook
    09's plain CNN) added when they were measured on this split under this protocol; prints
    one line per architecture (joined, or why not: no file yet, FAST mode, ...)."""
    import pandas as pd

    labels = dict(val=encode_labels(y_val), test=encode_labels(y_test))
    rows, lines = stored_runs(labels, json.loads(json.dumps(asdict(proto))))
    if verbose:
        print("\n".join(lines))
    if not rows:
        return runs
    return pd.concat([runs, pd.DataFrame(rows)], ignore_index=True)


def mult_adds(name: str) -> int:
    """Multiply-adds of one forward pass of one image through the model ``name``."""
    from helpers import models

    if name in getattr(models, "CNN_ARCHITECTURES", {}):
        return int(models.cnn_mult_adds(name)["total"])
    cand = candidate(name)
    sizes = NUMPY_NET["layer_sizes"] if cand.kind == "numpy" else models.layer_sizes(cand.base)
    return int(models.cost(sizes)["mult_adds_per_image"])
