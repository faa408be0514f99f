"""Every architecture of the series under one protocol (notebook 07).

A comparison is only fair when everything but the architecture is the same. The
:class:`Protocol` fixes it: one stratified train/validation split of the 60,000 training
images (the same for every model and seed), Adam with the same learning rate, the same
batch size and the same number of epochs, sparse categorical cross-entropy, and the final
weights evaluated once on the 10,000 test images. Only the seed (the initial weights and
the order of the batches) changes between repeats, which is what measures the noise.

:func:`run_all` trains every candidate (the Keras builders of :mod:`helpers.models`, the
flagship's ablations and the from-scratch NumPy net of :mod:`helpers.numpy_nn`) for every
seed and returns one row per run; :func:`summarize` turns the runs into mean and spread
per architecture; :func:`save_results` / :func:`load_results` keep the measured table in
``benchmarks/results/architectures.json``, so the notebook can show the last full run
without retraining (``MNIST_07_STORED=1``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from helpers import config, training
from helpers.results import machine  # re-exported: notebook 07 prints it

#: Set this environment variable to "1" to make notebook 07 show the stored results of
#: the last full run instead of training (instant; the notebook says so loudly).
STORED_ENV = "MNIST_07_STORED"

#: The measured table of the last full run (committed).
RESULTS_FILE = config.RESULTS_DIR / "architectures.json"
#: Where FAST runs and runs on the fallback data keep theirs (git-ignored).
SCRATCH_FILE = config.ROOT / "benchmarks" / "scratch" / "architectures.json"


@dataclass(frozen=True)
class Protocol:
    """Everything that is the same for every architecture."""

    epochs: int
    seeds: tuple[int, ...]
    batch_size: int = 128
    learning_rate: float = 1e-3
    optimizer: str = "adam"
    val_fraction: float = 0.2
    split_seed: int = config.SEED
    #: Keras runs this many batches per call into TensorFlow (less fixed per-step cost;
    #: the arithmetic and the result are the same as one batch at a time).
    steps_per_execution: int = 32

    def describe(self) -> str:
        return (
            f"{self.epochs} epochs, batch {self.batch_size}, {self.optimizer} "
            f"(learning rate {self.learning_rate:g}), {self.val_fraction:.0%} of the training "
            f"images held out for validation (stratified, split seed {self.split_seed}), "
            f"seeds {list(self.seeds)}"
        )


def protocol() -> Protocol:
    """The protocol for this run: epochs and seeds come from ``config.RUN`` (FAST or full)."""
    return Protocol(epochs=config.RUN.epochs_compare, seeds=tuple(range(config.RUN.seeds_compare)))


# --------------------------------------------------------------------------- candidates


@dataclass(frozen=True)
class Candidate:
    """One entry of the comparison: a Keras architecture (with options) or the NumPy net."""

    name: str
    label: str
    group: str  # "architecture" or "ablation"
    kind: str = "keras"  # "keras" or "numpy"
    build_kwargs: dict = field(default_factory=dict)
    base: str | None = None  # the helpers.models architecture it builds


#: The from-scratch net of notebook 04, as notebook 07 trains it.
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


def candidate(name: str) -> Candidate:
    for c in CANDIDATES:
        if c.name == name:
            return c
    raise KeyError(f"no candidate named {name!r}; choose one of {[c.name for c in CANDIDATES]}.")


# --------------------------------------------------------------------------- data


@dataclass
class Split:
    """The one split every run uses: images as float32 in [0, 1], labels as integers."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray

    def sizes(self) -> dict:
        return dict(n_train=len(self.y_train), n_val=len(self.y_val), n_test=len(self.y_test))


def make_split(x_train, y_train, x_test, y_test, proto: Protocol) -> Split:
    """Hold out ``proto.val_fraction`` of the training images, stratified by digit.

    The test set is never touched until each model's final evaluation.
    """
    from sklearn.model_selection import train_test_split

    x_train, y_train = np.asarray(x_train), np.asarray(y_train)
    if x_train.dtype == np.uint8:
        raise ValueError(
            "pass normalised images (float32 in [0, 1]): load_mnist(normalize_pixels=True)."
        )
    if y_train.ndim != 1:
        raise ValueError("pass integer labels, not one-hot: load_mnist(one_hot_labels=False).")
    x_fit, x_val, y_fit, y_val = train_test_split(
        x_train,
        y_train,
        test_size=proto.val_fraction,
        stratify=y_train,
        random_state=proto.split_seed,
    )
    return Split(
        x_fit.astype(np.float32),
        y_fit.astype(np.int64),
        x_val.astype(np.float32),
        y_val.astype(np.int64),
        np.asarray(x_test, dtype=np.float32),
        np.asarray(y_test, dtype=np.int64),
    )


# --------------------------------------------------------------------------- training


def seconds_per_epoch(seconds: list[float]) -> float:
    """Median epoch time, leaving out the first epoch when there are more (it includes
    Keras's one-off tracing and compilation of the training step)."""
    steady = seconds[1:] if len(seconds) > 1 else seconds
    return float(np.median(steady))


@contextlib.contextmanager
def _quiet_retracing():
    """Every model here gets freshly traced training and prediction functions. TensorFlow's
    retracing detector counts those as "retracing" and logs a warning after a few models;
    here it is expected and harmless, so TensorFlow's Python logger is set to errors only
    while one model trains."""
    logger = logging.getLogger("tensorflow")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def build_keras(cand: Candidate, seed: int):
    import keras

    from helpers import models

    keras.backend.clear_session()  # free the previous model's graph; fresh layer names
    keras.utils.set_random_seed(seed)
    return models.build(cand.base, **cand.build_kwargs)


def train_keras(cand: Candidate, split: Split, seed: int, proto: Protocol) -> dict:
    """Train one Keras candidate under the protocol; return its measured row."""
    import keras

    model = build_keras(cand, seed)
    model.compile(
        optimizer=keras.optimizers.get(
            {"class_name": proto.optimizer, "config": {"learning_rate": proto.learning_rate}}
        ),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        steps_per_execution=proto.steps_per_execution,
    )
    timer = training.epoch_timer()
    start = time.perf_counter()
    history = model.fit(
        split.x_train,
        split.y_train,
        batch_size=proto.batch_size,
        epochs=proto.epochs,
        validation_data=(split.x_val, split.y_val),
        validation_batch_size=2000,
        callbacks=[timer],
        verbose=0,
    )
    train_seconds = time.perf_counter() - start
    probabilities = model.predict(split.x_test, batch_size=2000, verbose=0)
    return _row(
        cand,
        seed,
        proto,
        split,
        params=int(model.count_params()),
        val_accuracy=history.history["val_accuracy"],
        epoch_seconds=timer.seconds,
        train_seconds=train_seconds,
        predictions=probabilities.argmax(axis=1),
    )


def train_numpy(cand: Candidate, split: Split, seed: int, proto: Protocol) -> dict:
    """Train the from-scratch NumPy net under the same protocol."""
    from helpers.numpy_nn import MLP

    net = MLP(**NUMPY_NET, seed=seed)
    flat = split.x_train.reshape(len(split.x_train), -1)
    flat_val = split.x_val.reshape(len(split.x_val), -1)
    start = time.perf_counter()
    history = net.fit(
        flat,
        split.y_train,
        epochs=proto.epochs,
        batch_size=proto.batch_size,
        lr=proto.learning_rate,
        optimizer=proto.optimizer,
        x_val=flat_val,
        y_val=split.y_val,
        verbose=0,
    )
    train_seconds = time.perf_counter() - start
    predictions = net.predict(split.x_test.reshape(len(split.x_test), -1))
    return _row(
        cand,
        seed,
        proto,
        split,
        params=int(net.count_params()),
        val_accuracy=history["val_accuracy"],
        epoch_seconds=history["seconds"],
        train_seconds=train_seconds,
        predictions=predictions,
    )


def _row(cand, seed, proto, split, *, params, val_accuracy, epoch_seconds, train_seconds,
         predictions) -> dict:  # fmt: skip
    errors = int(np.count_nonzero(np.asarray(predictions) != split.y_test))
    best = int(np.argmax(val_accuracy))
    return dict(
        name=cand.name,
        label=cand.label,
        group=cand.group,
        kind=cand.kind,
        seed=int(seed),
        params=params,
        epochs=proto.epochs,
        seconds_per_epoch=round(seconds_per_epoch(epoch_seconds), 3),
        train_seconds=round(train_seconds, 2),
        best_val_accuracy=round(float(val_accuracy[best]), 5),
        best_epoch=best + 1,
        final_val_accuracy=round(float(val_accuracy[-1]), 5),
        test_accuracy=round(1 - errors / len(split.y_test), 5),
        test_errors=errors,
        **split.sizes(),
    )


def train(cand: Candidate, split: Split, seed: int, proto: Protocol) -> dict:
    if cand.kind == "numpy":
        return train_numpy(cand, split, seed, proto)
    return train_keras(cand, split, seed, proto)


def run_all(split: Split, proto: Protocol, names=None, verbose: bool = True):
    """Train every candidate (or ``names``) for every seed; one row per run (a DataFrame).

    Prints one line per run, so a long comparison shows its progress without pages of output.
    """
    import pandas as pd

    chosen = CANDIDATES if names is None else [candidate(n) for n in names]
    rows = []
    for seed in proto.seeds:
        for cand in chosen:
            with _quiet_retracing():
                row = train(cand, split, seed, proto)
            rows.append(row)
            if verbose:
                print(
                    f"seed {seed}  {cand.name:<22} {row['seconds_per_epoch']:5.2f} s/epoch  "
                    f"best val {row['best_val_accuracy']:.4f} (epoch {row['best_epoch']:>2})  "
                    f"test {row['test_accuracy']:.4f} ({row['test_errors']} errors)",
                    flush=True,
                )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- summaries


def summarize(runs):
    """Mean and spread over seeds, one row per candidate, in the order of :data:`CANDIDATES`.

    ``*_sd`` columns are the sample standard deviation over seeds (0 with a single seed,
    where the spread is unknown, not zero: see ``seeds``).
    """
    import pandas as pd

    order = [c.name for c in CANDIDATES if c.name in set(runs["name"])]
    grouped = runs.groupby("name", sort=False)
    table = pd.DataFrame(
        {
            "label": grouped["label"].first(),
            "group": grouped["group"].first(),
            "params": grouped["params"].first(),
            "seconds_per_epoch": grouped["seconds_per_epoch"].mean(),
            "train_seconds": grouped["train_seconds"].mean(),
            "best_val_accuracy": grouped["best_val_accuracy"].mean(),
            "test_accuracy": grouped["test_accuracy"].mean(),
            "test_accuracy_sd": grouped["test_accuracy"].std(ddof=1).fillna(0.0),
            "test_errors": grouped["test_errors"].mean(),
            "test_errors_min": grouped["test_errors"].min(),
            "test_errors_max": grouped["test_errors"].max(),
            "seeds": grouped["seed"].nunique(),
        }
    )
    return table.loc[order]


def display_table(summary, n_test: int):
    """The summary as a student reads it: percentages, mean ± spread over seeds, rounded."""
    import pandas as pd

    def pm(mean, sd, n):
        return f"{100 * mean:.2f} ± {100 * sd:.2f}" if n > 1 else f"{100 * mean:.2f}"

    def errors(mean, lo, hi):
        return f"{mean:.0f}" if lo == hi else f"{mean:.0f} ({lo}-{hi})"

    s = summary
    return pd.DataFrame(
        {
            "model": s["label"],
            "parameters": s["params"].map("{:,}".format),
            "s / epoch": s["seconds_per_epoch"].map("{:.2f}".format),
            "training s": s["train_seconds"].map("{:.0f}".format),
            "best val acc %": (100 * s["best_val_accuracy"]).map("{:.2f}".format),
            "test acc % (mean ± sd)": [
                pm(*v)
                for v in zip(s["test_accuracy"], s["test_accuracy_sd"], s["seeds"], strict=True)
            ],
            f"test errors of {n_test:,}": [
                errors(*v)
                for v in zip(
                    s["test_errors"], s["test_errors_min"], s["test_errors_max"], strict=True
                )
            ],
        }
    ).set_index("model")


def test_set_noise(accuracy: float, n_test: int) -> float:
    """Standard error of an accuracy measured on ``n_test`` independent test images:
    sqrt(p (1 - p) / n). Two models closer than about twice this are not told apart by
    the test set, however many seeds are run."""
    return float(np.sqrt(accuracy * (1 - accuracy) / n_test))


def compare_pair(summary, a: str, b: str, n_test: int) -> dict:
    """Is ``a`` better than ``b`` by more than the noise? Noise = the larger of twice the
    standard error of the seed means and twice the test-set sampling error."""
    ra, rb = summary.loc[a], summary.loc[b]
    diff = float(ra["test_accuracy"] - rb["test_accuracy"])
    n = min(int(ra["seeds"]), int(rb["seeds"]))
    seed_noise = (
        2 * float(np.sqrt(ra["test_accuracy_sd"] ** 2 / n + rb["test_accuracy_sd"] ** 2 / n))
        if n > 1
        else float("nan")
    )
    sampling = 2 * test_set_noise(float((ra["test_accuracy"] + rb["test_accuracy"]) / 2), n_test)
    noise = max(sampling, seed_noise) if n > 1 else sampling
    return dict(
        a=a,
        b=b,
        difference=diff,
        noise=noise,
        seed_noise=seed_noise,
        sampling_noise=sampling,
        verdict="clear" if abs(diff) > noise else "within the noise",
    )


def verdicts(summary, pairs, n_test: int):
    """:func:`compare_pair` for several pairs, as a table in percentage points."""
    import pandas as pd

    rows = []
    for a, b in pairs:
        c = compare_pair(summary, a, b, n_test)
        rows.append(
            {
                "comparison": f"{summary.loc[a, 'label']}  vs  {summary.loc[b, 'label']}",
                "difference (points)": round(100 * c["difference"], 2),
                "noise (points)": round(100 * c["noise"], 2),
                "verdict": c["verdict"],
            }
        )
    return pd.DataFrame(rows).set_index("comparison")


# --------------------------------------------------------------------------- storing


def results_file(full_run: bool) -> Path:
    """The committed file for a full run on the full data; a scratch file otherwise."""
    return RESULTS_FILE if full_run else SCRATCH_FILE


def save_results(runs, proto: Protocol, full_run: bool, total_seconds: float) -> Path:
    """Write the per-run table and how it was measured to JSON; return the path."""
    path = results_file(full_run)
    payload = dict(
        measured=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        mode="full" if full_run else "FAST or fallback",
        protocol=asdict(proto),
        total_seconds=round(total_seconds, 1),
        machine=machine(),
        runs=runs.to_dict(orient="records"),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
    return path


def _shown(path: Path) -> str:
    """A path as the notebook prints it: relative to the repository when inside it."""
    try:
        return str(path.relative_to(config.ROOT))
    except ValueError:
        return path.name


def load_results(path: Path | None = None):
    """``(runs DataFrame, meta dict)`` of a stored comparison (default: the last full run)."""
    import pandas as pd

    path = path or RESULTS_FILE
    if not path.is_file():
        raise FileNotFoundError(
            f"no stored comparison at {_shown(path)}: run notebook 07 in full "
            f"mode once (python -m helpers.run 07), or unset {STORED_ENV} to train now."
        )
    payload = json.loads(path.read_text(encoding="utf-8"))
    runs = pd.DataFrame(payload.pop("runs"))
    return runs, payload


def stored_requested() -> bool:
    """True when the reader asked for the stored results instead of training."""
    return os.environ.get(STORED_ENV, "").strip().lower() in {"1", "true", "yes", "on"}
