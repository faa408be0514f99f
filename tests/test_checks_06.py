"""Notebook 06's exercise checkers: each typical mistake gets its own explanation, and what
is not a whole number is not an epoch or an index."""

import keras
import numpy as np
import pytest

from helpers import checks, models

# ------------------------------------------------- exercise 4: early_stopping_epochs


def right_early_stopping(history, monitor, patience):
    values = history[monitor]
    lower = "loss" in monitor
    best = 0
    for epoch in range(1, len(values)):
        if values[epoch] < values[best] if lower else values[epoch] > values[best]:
            best = epoch
        elif epoch - best >= patience:
            return epoch + 1, best + 1
    return len(values), best + 1


def test_exercise_06_4_accepts_a_right_function_and_says_not_yet():
    assert checks.exercise_06_4(right_early_stopping)
    assert "Not yet" in repr(checks.exercise_06_4(...))


def test_exercise_06_4_reference_is_keras_and_its_cases_teach_something():
    """The checker's reference is Keras's own EarlyStopping; its cases include a stop before
    the best epoch of the whole history, a tie at the best, and a run that is never stopped."""
    h = checks._HISTORY_06_4
    results = {case: checks.keras_early_stopping(h[case[0]], *case) for case in checks._CASES_06_4}
    for (monitor, patience), expected in results.items():
        assert right_early_stopping(h, monitor, patience) == expected
    assert results[("val_loss", 2)] == (5, 3) and int(np.argmin(h["val_loss"])) + 1 == 7
    assert results[("val_loss", 4)][0] == len(h["val_loss"])  # never stopped
    best = max(h["val_accuracy"][: results[("val_accuracy", 2)][0]])
    assert h["val_accuracy"].count(best) > 1  # a tie at the best epoch seen


def _shifted(shift=0, key=None, patience_shift=0, ties=False, flip=False):
    def wrong(history, monitor, patience):
        values = history[key(monitor) if key else monitor]
        lower = ("loss" in monitor) != flip
        best = 0
        for epoch in range(1, len(values)):
            a, b = values[epoch], values[best]
            if (a < b or (ties and a == b)) if lower else (a > b or (ties and a == b)):
                best = epoch
            elif epoch - best >= patience + patience_shift:
                return epoch + 1 + shift, best + 1 + shift
        return len(values) + shift, best + 1 + shift

    return wrong


@pytest.mark.parametrize(
    "wrong, phrase",
    [
        (_shifted(shift=-1), "counts epochs from 1"),
        (_shifted(patience_shift=1), "one epoch too many"),
        (_shifted(patience_shift=-1), "one epoch too few"),
        (_shifted(ties=True), "FIRST epoch"),
        (_shifted(flip=True), "wrong way round"),
        (_shifted(key=lambda m: m.removeprefix("val_")), "TRAINING"),
        (
            lambda h, m, p: (5, int(np.argmin(h[m]) if "loss" in m else np.argmax(h[m])) + 1),
            "never sees epoch 7",
        ),
        (lambda h, m, p: (right_early_stopping(h, m, p)[0],) * 2, "STOPPED"),
        (lambda h, m, p: right_early_stopping(h, m, p)[1], "two whole numbers"),
        (lambda h, m, p: (5, 3.5), "whole number"),
        (lambda h, m, p: (True, 3), "True"),
        (lambda h, m, p: None, "returned None"),
        (lambda h, m, p: h["val_acc"], "KeyError"),
        (lambda h, m, p: h.history, "not the History object"),
        (lambda h, m, p: (h[m].sort(), (5, 3))[1], "changed the history"),
        (lambda h, m: 3, "TypeError"),  # the two-argument function of an older version
        (3, "your function"),
    ],
)
def test_exercise_06_4_names_the_mistake(wrong, phrase):
    verdict = checks.exercise_06_4(wrong)
    assert not verdict and phrase in verdict.message, verdict.message


# --------------------------------------------------------------- exercise 1: a callback


class Right(keras.callbacks.Callback):
    def __init__(self, target):
        super().__init__()
        self.target = target

    def on_epoch_end(self, epoch, logs=None):
        if logs["val_accuracy"] >= self.target:
            self.model.stop_training = True


class WatchesTraining(Right):
    def on_epoch_end(self, epoch, logs=None):
        if logs["accuracy"] >= self.target:
            self.model.stop_training = True


class StrictlyAbove(Right):
    def on_epoch_end(self, epoch, logs=None):
        if logs["val_accuracy"] > self.target:
            self.model.stop_training = True


class WrongWayRound(Right):
    def on_epoch_end(self, epoch, logs=None):
        if logs["val_accuracy"] <= self.target:
            self.model.stop_training = True


class StopsItself(Right):  # sets the flag on the callback, not on the model
    def on_epoch_end(self, epoch, logs=None):
        if logs["val_accuracy"] >= self.target:
            self.stop_training = True


class WrongKey(Right):
    def on_epoch_end(self, epoch, logs=None):
        if logs["val_acc"] >= self.target:
            self.model.stop_training = True


class NoTarget(keras.callbacks.Callback):  # __init__ takes no target
    def on_epoch_end(self, epoch, logs=None):
        if logs["val_accuracy"] >= 0.9:
            self.model.stop_training = True


class WatchesTheLoss(Right):  # right only if the loss were 1 - accuracy
    def on_epoch_end(self, epoch, logs=None):
        if logs["val_loss"] <= 1 - self.target:
            self.model.stop_training = True


class IgnoresTarget(Right):
    def on_epoch_end(self, epoch, logs=None):
        if logs["val_accuracy"] >= 0.9:
            self.model.stop_training = True


def test_exercise_06_1_accepts_a_callback_that_stops_at_the_validation_target():
    assert checks.exercise_06_1(Right)
    assert "Not yet" in repr(checks.exercise_06_1(...))


@pytest.mark.parametrize(
    "wrong, phrase",
    [
        (WatchesTraining, "TRAINING accuracy"),
        (StrictlyAbove, "use >="),
        (WrongWayRound, "wrong way round"),
        (StopsItself, "self.model.stop_training = True"),
        (WrongKey, "KeyError"),
        (NoTarget, "__init__ should take the target"),
        (IgnoresTarget, "does it use self.target"),
        (WatchesTheLoss, "logs['val_accuracy'] >= self.target"),
        (Right(0.9), "pass the class itself"),
        (keras.callbacks.History, "__init__ should take the target"),
        (dict, "derive your class from keras.callbacks.Callback"),
        (0.9, "should be your class"),
        ("StopAtTarget", "should be your class"),
    ],
)
def test_exercise_06_1_names_the_mistake(wrong, phrase):
    verdict = checks.exercise_06_1(wrong)
    assert not verdict and phrase in verdict.message


# ------------------------------------------------- exercise 2: compile and fit, integer labels


@pytest.fixture(scope="module")
def tiny():
    rng = np.random.default_rng(0)
    x = rng.random((300, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, 300)
    return x, y, x[:60], y[:60]


def small_net(loss="sparse_categorical_crossentropy", learning_rate=1e-3, metrics=("accuracy",),
              optimizer=None):  # fmt: skip
    net = models.build_mlp(hidden=(8,))
    net.compile(
        optimizer=optimizer or keras.optimizers.Adam(learning_rate),
        loss=loss,
        metrics=list(metrics),
    )
    return net


def test_exercise_06_2_accepts_the_sparse_loss_on_integer_labels(tiny):
    x, y, xv, yv = tiny
    net = small_net()
    net.fit(x, y, batch_size=128, epochs=2, validation_data=(xv, yv), verbose=0)
    assert checks.exercise_06_2(net, n_fit=300, epochs=2, batch_size=128)
    net = small_net(loss=keras.losses.SparseCategoricalCrossentropy())  # an object works too
    net.fit(x, y, batch_size=128, epochs=2, validation_data=(xv, yv), verbose=0)
    assert checks.exercise_06_2(net, n_fit=300, epochs=2, batch_size=128)
    assert "Not yet" in repr(checks.exercise_06_2(..., n_fit=300))


def test_exercise_06_2_names_the_mistake(tiny):
    x, y, xv, yv = tiny

    def message(net):
        verdict = checks.exercise_06_2(net, n_fit=300, epochs=2, batch_size=128)
        assert not verdict
        return verdict.message

    assert "categorical_crossentropy, which needs one-hot" in message(
        small_net(loss="categorical_crossentropy")
    )
    assert "sparse_categorical_crossentropy" in message(small_net(loss="mse"))
    assert "not compiled" in message(models.build_mlp(hidden=(8,)))
    assert "SGD" in message(small_net(optimizer=keras.optimizers.SGD(1e-3)))
    assert "asks for 0.001" in message(small_net(learning_rate=1e-2))
    assert "not been trained" in message(small_net())
    net = small_net()
    net.fit(x, y, epochs=2, validation_data=(xv, yv), verbose=0)
    assert "default batch size 32" in message(net)
    net = small_net()
    net.fit(x, y, batch_size=128, epochs=2, verbose=0)
    assert "validation_data=(x_val, y_val)" in message(net)
    net = small_net(metrics=())
    net.fit(x, y, batch_size=128, epochs=2, validation_data=(xv, yv), verbose=0)
    assert "metrics=['accuracy']" in message(net)
    net = small_net()
    for _ in range(2):
        net.fit(x, y, batch_size=128, epochs=2, validation_data=(xv, yv), verbose=0)
    assert "more than once" in message(net)
    net = small_net()
    net.fit(x, y, batch_size=128, epochs=3, validation_data=(xv, yv), verbose=0)
    assert "check epochs" in message(net)
    assert "trained Keras model" in message("small")


# ------------------------------------------------- exercise 3: save, load, the worst mistake


def test_exercise_06_3_finds_the_most_confident_mistake_of_the_loaded_model(tiny, tmp_path):
    x, y, xv, yv = tiny
    keras.utils.set_random_seed(0)
    net = small_net()
    net.fit(x, y, batch_size=128, epochs=2, verbose=0)
    path = tmp_path / "mine.keras"
    net.save(path)
    loaded = keras.saving.load_model(path)
    p = net.predict(xv, verbose=0)
    predicted, sure = p.argmax(axis=1), p.max(axis=1)
    wrong = np.flatnonzero(predicted != yv)
    answer = int(wrong[np.argmax(sure[wrong])])
    assert checks.exercise_06_3(answer, loaded, net, xv, yv)
    assert checks.exercise_06_3(float(answer), loaded, net, xv, yv)

    def message(value, model=loaded):
        verdict = checks.exercise_06_3(value, model, net, xv, yv)
        assert not verdict
        return verdict.message

    position = int(np.argmax(sure[wrong]))
    if position != answer:
        assert "position of the mistake in the list of mistakes" in message(position)
    lowest_true = int(np.argmin(p[np.arange(len(yv)), yv]))
    if lowest_true not in (answer, position):
        assert "TRUE digit got the lowest probability" in message(lowest_true)
    right = int(np.flatnonzero(predicted == yv)[0])
    if right not in (position, lowest_true):
        assert "reads image" in message(right)
    others = [int(i) for i in wrong if int(i) not in (answer, position, lowest_true)]
    if others:
        assert "another mistake is made with a higher one" in message(others[0])
    assert "whole number" in message(answer + 0.5)
    for bad in (True, float("nan"), "3", [answer, answer]):
        assert not checks.exercise_06_3(bad, loaded, net, xv, yv)
    assert "not an index" in message(len(yv))
    assert "not an index" in message(-1)
    assert "the model in memory itself" in message(answer, model=net)
    assert "first save the model" in message(answer, model=...)
    assert "does not predict like" in message(answer, model=small_net())
