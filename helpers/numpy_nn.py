"""A small, readable multilayer perceptron in NumPy, and its gradient check (notebook 05).

Everything a network does is written out here in matrix form over a mini-batch, float32
throughout, with no Python loop over samples. Notebook 05 derives each line; notebook 08
reuses the class as the "from scratch" entry of the comparison.

The API (kept stable, other notebooks rely on it)
--------------------------------------------------
``MLP(layer_sizes, activation="relu", output="softmax", init="he", seed=0, dtype=np.float32,
loss=None, init_scale=None)``
    ``layer_sizes`` like ``[784, 256, 128, 10]``: inputs, hidden widths, classes.
    ``[784, 10]`` (no hidden layer) is softmax regression, the linear classifier: the very
    same forward and backward code with a single Dense layer.
    ``activation``: hidden-layer activation, ``"relu"``, ``"sigmoid"`` or ``"tanh"``.
    ``output``: ``"softmax"`` (loss: categorical cross-entropy) or ``"sigmoid"`` (one
    independent sigmoid per class; ``loss="bce"``, the default, sums binary cross-entropy
    over the classes, whose gradient at the output is exactly ``a - y``; ``loss="mse"`` is
    half the summed squared error, whose gradient is ``(a - y) * a * (1 - a)``).
    ``init``: ``"he"`` (normal, std sqrt(2 / fan_in)), ``"xavier"`` (Glorot uniform, Keras's
    default, limit sqrt(6 / (fan_in + fan_out))), ``"small"`` (normal, std 0.01) or
    ``"normal"`` (standard normal, std 1, like ``np.random.randn``); ``init_scale`` changes
    the std of the last two. Biases start at zero. ``seed`` fixes the weights and the
    shuffling.

``net.forward(x)``
    Output probabilities, shape (n, classes). Keeps every layer's activation in
    ``net.activations`` (``[x, a1, ..., a_out]``) for ``backward``.
``net.backward(y, weight_decay=0.0)``
    Gradients of the mean loss over the batch of the last ``forward``: a list of
    ``(dW, db)``, one pair per layer, with the shapes of ``(W, b)``. With
    ``weight_decay`` = lambda > 0 the loss has the L2 term (lambda / 2) sum_l ||W_l||^2
    (weights only, not biases), so every dW gains lambda W.
``net.fit(x, y, epochs, batch_size=128, lr=0.1, optimizer="sgd", x_val=None, y_val=None,
shuffle=True, verbose=1, progress=False, momentum=0.9, beta1=0.9, beta2=0.999, eps=1e-7,
lr_decay=1.0, track_grad_norms=False, weight_decay=0.0)``
    Mini-batch training on the mean gradient of each batch (``batch_size=None``: the whole
    training set at once). ``optimizer``: ``"sgd"``, ``"momentum"`` or ``"adam"`` (case
    does not matter); epoch e (from 0) uses the rate ``lr * lr_decay**e``. ``verbose=1`` prints one line
    per epoch, ``progress=True`` shows a tqdm bar over the batches. Returns the history, a
    dict of per-epoch lists: ``loss``, ``accuracy``, ``val_loss``, ``val_accuracy`` (empty
    without a validation set), ``seconds`` (wall time of each epoch) and, with
    ``track_grad_norms=True``, ``grad_norms`` (mean norm of dW of each layer).
    ``weight_decay``: L2 regularisation as above (the update becomes
    W -= lr (dW + lambda W)); ``loss`` in the history is the data loss alone, without the
    penalty, so runs with and without weight decay compare.
``net.predict_proba(x)``, ``net.predict(x)``, ``net.evaluate(x, y)``, ``net.loss(x, y,
weight_decay=0.0)``, ``net.penalty(weight_decay)``
    Probabilities, predicted labels, ``{"loss": ..., "accuracy": ...}``, the mean loss
    (plus the L2 penalty when ``weight_decay`` > 0), the L2 penalty alone.
``net.count_params()``, ``net.copy(dtype=None)``
    The number of weights and biases; an independent copy (optionally float64).
``net.get_weights()`` / ``net.set_weights(ws)``
    ``[W1, b1, W2, b2, ...]`` with ``W`` of shape (inputs, outputs): the layout of Keras
    ``Dense`` layers, so ``keras_model.set_weights(net.get_weights())`` gives Keras the
    very same starting point.
``net.flops_per_sample()``, ``net.macs_per_sample()``
    Multiply-adds of one forward and backward pass per image (the backward pass skips
    the gradient with respect to the input images, which no one needs).
``gradient_check(net, x, y, per_layer=5, eps=1e-5, seed=0, nonzero=False, weight_decay=0.0)``
    Central differences on ``per_layer`` random weights and biases of every layer,
    computed in float64 on a copy of the net; returns a list of dicts (layer, parameter,
    index, analytic, numeric, rel_error). With ``nonzero=True`` the entries are drawn only
    from those whose gradient is not exactly zero (a zero gradient passes any check, so it
    proves nothing). ``max_rel_error(rows)`` summarises it.

Inputs are flattened images, float (n, 784) in [0, 1], and integer labels (n,). Wrong
shapes, labels out of range and NaN/inf values raise a ``ValueError`` that says what to do.
"""

from __future__ import annotations

import time

import numpy as np

ACTIVATIONS = ("relu", "sigmoid", "tanh")
OUTPUTS = ("softmax", "sigmoid")
INITS = ("he", "xavier", "small", "normal")
OPTIMIZERS = ("sgd", "momentum", "adam")
LOSSES = {"softmax": ("cross_entropy",), "sigmoid": ("bce", "mse")}


# --------------------------------------------------------------------------- the functions


def sigmoid(z):
    """1 / (1 + exp(-z)), written so that it never overflows."""
    # exp of non-positive numbers only: for z >= 0 it is 1 / (1 + e^-z); for z < 0, times
    # e^z above and below, e^z / (1 + e^z). Both cases at once:
    a = np.exp(np.minimum(z, 0))  # 1 for z >= 0, e^z for z < 0
    a /= 1 + np.exp(-np.abs(z))
    return a


def softmax(z):
    """Row-wise softmax; subtracting the row maximum keeps exp from overflowing."""
    e = np.exp(z - z.max(axis=1, keepdims=True))
    e /= e.sum(axis=1, keepdims=True)
    return e


def activate(name: str, z):
    """Apply activation ``name`` to the pre-activations ``z``."""
    if name == "relu":
        return np.maximum(z, 0)
    if name == "sigmoid":
        return sigmoid(z)
    if name == "tanh":
        return np.tanh(z)
    raise ValueError(f"unknown activation {name!r}; choose one of {ACTIVATIONS}.")


def activation_derivative(name: str, a):
    """d activation / dz, written in terms of the activation ``a`` the forward pass kept.

    ReLU: 1 where a > 0 else 0; sigmoid: a (1 - a); tanh: 1 - a^2.
    """
    if name == "relu":
        return (a > 0).astype(a.dtype)
    if name == "sigmoid":
        return a * (1 - a)
    if name == "tanh":
        return 1 - a * a
    raise ValueError(f"unknown activation {name!r}; choose one of {ACTIVATIONS}.")


def _check_weight_decay(weight_decay):
    if not (np.isfinite(weight_decay) and weight_decay >= 0):
        raise ValueError(
            f"weight_decay must be a number >= 0 (0 switches it off), got {weight_decay!r}."
        )


def _check_choice(value, options, what):
    if value not in options:
        raise ValueError(f"unknown {what} {value!r}; choose one of {tuple(options)}.")


# --------------------------------------------------------------------------- the network


class MLP:
    """A fully connected network: Dense -> activation, ..., Dense -> softmax (or sigmoid).

    See the module docstring for the whole API. The parameters are ``net.W`` and ``net.b``,
    lists with one array per layer (``W[l]`` of shape (inputs, outputs)).
    """

    def __init__(
        self,
        layer_sizes,
        activation: str = "relu",
        output: str = "softmax",
        init: str = "he",
        seed: int = 0,
        dtype=np.float32,
        loss: str | None = None,
        init_scale: float | None = None,
    ):
        sizes = list(layer_sizes)
        if len(sizes) < 2 or not all(isinstance(s, int | np.integer) and s >= 1 for s in sizes):
            raise ValueError(
                "layer_sizes must list at least two positive integers (inputs, ..., classes), "
                f"like [784, 128, 10]; got {layer_sizes!r}."
            )
        _check_choice(activation, ACTIVATIONS, "activation")
        _check_choice(output, OUTPUTS, "output")
        _check_choice(init, INITS, "init")
        loss = loss or LOSSES[output][0]
        if loss not in LOSSES[output]:
            raise ValueError(
                f"loss {loss!r} does not go with output {output!r}; choose one of {LOSSES[output]}."
            )
        if output == "softmax" and sizes[-1] < 2:
            raise ValueError("a softmax output needs at least 2 classes.")
        self.layer_sizes = [int(s) for s in sizes]
        self.activation = activation
        self.output = output
        self.loss_name = loss
        self.init = init
        if init_scale is None:
            init_scale = 1.0 if init == "normal" else 0.01
        self.init_scale = float(init_scale)
        self.seed = seed
        self.dtype = np.dtype(dtype)
        if self.dtype.kind != "f":
            raise ValueError(f"dtype must be a float type such as np.float32, got {self.dtype}.")
        self.rng = np.random.default_rng(seed)
        self.W, self.b = [], []
        for fan_in, fan_out in zip(self.layer_sizes[:-1], self.layer_sizes[1:], strict=True):
            self.W.append(self._initial_weights(fan_in, fan_out))
            self.b.append(np.zeros(fan_out, dtype=self.dtype))
        self.activations: list[np.ndarray] = []

    # ------------------------------------------------------------------ set-up and copies

    def _initial_weights(self, fan_in, fan_out):
        if self.init == "he":
            w = self.rng.normal(0.0, np.sqrt(2.0 / fan_in), size=(fan_in, fan_out))
        elif self.init == "xavier":
            limit = np.sqrt(6.0 / (fan_in + fan_out))
            w = self.rng.uniform(-limit, limit, size=(fan_in, fan_out))
        else:  # "small" and "normal"
            w = self.rng.normal(0.0, self.init_scale, size=(fan_in, fan_out))
        return w.astype(self.dtype)

    @property
    def n_layers(self) -> int:
        return len(self.W)

    def count_params(self) -> int:
        return int(sum(w.size + b.size for w, b in zip(self.W, self.b, strict=True)))

    def get_weights(self) -> list[np.ndarray]:
        """Copies of ``[W1, b1, W2, b2, ...]`` (the order and shapes Keras Dense layers use)."""
        out = []
        for w, b in zip(self.W, self.b, strict=True):
            out += [w.copy(), b.copy()]
        return out

    def set_weights(self, weights) -> None:
        """Load ``[W1, b1, W2, b2, ...]`` (for instance from ``keras_model.get_weights()``)."""
        weights = list(weights)
        if len(weights) != 2 * self.n_layers:
            raise ValueError(
                f"expected {2 * self.n_layers} arrays [W1, b1, ...], got {len(weights)}."
            )
        for layer in range(self.n_layers):
            w, b = np.asarray(weights[2 * layer]), np.asarray(weights[2 * layer + 1])
            if w.shape != self.W[layer].shape or b.shape != self.b[layer].shape:
                raise ValueError(
                    f"layer {layer + 1}: expected W {self.W[layer].shape} and b "
                    f"{self.b[layer].shape}, got {w.shape} and {b.shape}."
                )
            self.W[layer] = w.astype(self.dtype, copy=True)
            self.b[layer] = b.astype(self.dtype, copy=True)

    def copy(self, dtype=None) -> MLP:
        """An independent copy, optionally in another dtype (the gradient check uses float64)."""
        new = MLP.__new__(MLP)
        new.__dict__.update(self.__dict__)
        new.dtype = np.dtype(dtype or self.dtype)
        new.rng = np.random.default_rng(self.seed)
        new.W = [w.astype(new.dtype, copy=True) for w in self.W]
        new.b = [b.astype(new.dtype, copy=True) for b in self.b]
        new.activations = []
        return new

    def __repr__(self) -> str:
        sizes = "-".join(map(str, self.layer_sizes))
        return (
            f"MLP({sizes}, activation={self.activation!r}, output={self.output!r}, "
            f"loss={self.loss_name!r}, init={self.init!r}, {self.count_params():,} parameters, "
            f"{self.dtype})"
        )

    # ------------------------------------------------------------------ checking inputs

    def _check_x(self, x, name="x"):
        x = np.asarray(x)
        n_in = self.layer_sizes[0]
        if x.ndim == 3 and x.shape[1] * x.shape[2] == n_in:
            raise ValueError(
                f"{name} has shape {x.shape}: flatten the images first, e.g. "
                f"{name}.reshape(len({name}), -1), to get (n, {n_in})."
            )
        if x.ndim != 2 or x.shape[1] != n_in:
            raise ValueError(
                f"{name} must have shape (n, {n_in}) (one flattened image per row); got {x.shape}."
            )
        if x.shape[0] == 0:
            raise ValueError(f"{name} is empty.")
        if not (np.issubdtype(x.dtype, np.number) or x.dtype == bool):
            raise ValueError(f"{name} must hold numbers, got dtype {x.dtype}.")
        x = np.ascontiguousarray(x, dtype=self.dtype)
        # min and max are NaN if any value is, and +-inf if any value is: no mask needed
        if not (np.isfinite(x.min()) and np.isfinite(x.max())):
            bad = int(np.size(x) - np.count_nonzero(np.isfinite(x)))
            raise ValueError(f"{name} contains {bad} NaN or infinite values; clean the data.")
        return x

    def _check_y(self, y, n, name="y"):
        y = np.asarray(y)
        k = self.layer_sizes[-1]
        if y.ndim == 2 and y.shape == (n, k):
            raise ValueError(
                f"{name} looks one-hot, shape {y.shape}; pass integer labels instead: "
                f"{name}.argmax(axis=1)."
            )
        if y.ndim != 1 or y.shape[0] != n:
            raise ValueError(f"{name} must be integer labels of shape ({n},); got {y.shape}.")
        if not (np.issubdtype(y.dtype, np.integer) or np.issubdtype(y.dtype, np.floating)):
            raise ValueError(f"{name} must hold integer labels, got dtype {y.dtype}.")
        if np.issubdtype(y.dtype, np.floating):
            if not np.isfinite(y).all():
                raise ValueError(f"{name} contains NaN or infinite values.")
            if not np.all(y == np.round(y)):
                raise ValueError(f"{name} must hold whole numbers (class labels 0..{k - 1}).")
        if y.min() < 0 or y.max() >= k:
            raise ValueError(
                f"labels must lie in 0..{k - 1} for {k} output units; {name} has values "
                f"from {y.min()} to {y.max()}."
            )
        return y.astype(np.intp, copy=False)

    # ------------------------------------------------------------------ forward and backward

    def forward(self, x, keep: bool = True):
        """Output probabilities for a batch ``x`` of shape (n, inputs).

        a0 = x;  z_l = a_{l-1} W_l + b_l;  a_l = activation(z_l) (softmax or sigmoid at the
        output). With ``keep`` the activations are stored in ``self.activations`` for
        :meth:`backward`.
        """
        x = self._check_x(x)
        return self._forward(x, keep)

    def _forward(self, x, keep=True):
        a = x
        acts = [a]
        last = self.n_layers - 1
        for layer, (w, b) in enumerate(zip(self.W, self.b, strict=True)):
            z = a @ w
            z += b
            if layer < last:
                # z is not needed again (the derivatives use a), so ReLU can work in place
                a = (
                    np.maximum(z, 0, out=z)
                    if self.activation == "relu"
                    else activate(self.activation, z)
                )
            elif self.output == "softmax":
                a = softmax(z)
            else:
                a = sigmoid(z)
            if keep:
                acts.append(a)
        if keep:
            self.activations = acts
        return a

    def _output_delta(self, y):
        """dL/dz of the output layer, for the mean loss over the batch."""
        a = self.activations[-1]
        n = a.shape[0]
        delta = a.copy()
        # a - y with y one-hot, without building the one-hot matrix
        delta[np.arange(n), y] -= 1
        if self.loss_name == "mse":
            delta *= a * (1 - a)
        delta /= n
        return delta

    def backward(self, y, weight_decay: float = 0.0):
        """Gradients of the mean loss for the batch of the last :meth:`forward` call.

        delta_L = dL/dz_L (softmax + cross-entropy: (p - y) / n), then for each layer from
        the last: dW_l = a_{l-1}^T delta_l, db_l = column sums of delta_l, and
        delta_{l-1} = (delta_l W_l^T) * activation'(a_{l-1}). Returns ``[(dW, db), ...]``.
        ``weight_decay`` = lambda adds the gradient of (lambda / 2) ||W_l||^2, lambda W_l.
        """
        if not self.activations:
            raise RuntimeError("call forward(x) before backward(y).")
        y = self._check_y(y, self.activations[0].shape[0])
        _check_weight_decay(weight_decay)
        return self._backward(y, weight_decay)

    def _backward(self, y, weight_decay=0.0):
        acts = self.activations
        delta = self._output_delta(y)
        grads = [None] * self.n_layers
        for layer in range(self.n_layers - 1, -1, -1):
            a_prev = acts[layer]
            dw = a_prev.T @ delta
            if weight_decay:
                dw += weight_decay * self.W[layer]
            grads[layer] = (dw, delta.sum(axis=0))
            if layer > 0:  # no gradient for the input images themselves
                delta = delta @ self.W[layer].T
                if self.activation == "relu":  # * relu'(a) = [a > 0], in place
                    delta *= a_prev > 0
                else:
                    delta *= activation_derivative(self.activation, a_prev)
        return grads

    def _loss_from_output(self, a, y):
        n = a.shape[0]
        tiny = np.finfo(a.dtype).tiny
        if self.loss_name == "cross_entropy":
            return float(-np.mean(np.log(np.maximum(a[np.arange(n), y], tiny))))
        onehot = np.zeros_like(a)
        onehot[np.arange(n), y] = 1
        if self.loss_name == "mse":
            return float(0.5 * np.sum((a - onehot) ** 2) / n)
        # bce, summed over the classes, averaged over the samples
        a_c = np.clip(a, tiny, 1 - np.finfo(a.dtype).epsneg)
        return float(-np.sum(onehot * np.log(a_c) + (1 - onehot) * np.log(1 - a_c)) / n)

    def penalty(self, weight_decay: float) -> float:
        """The L2 term of the loss, (weight_decay / 2) * sum of every squared weight."""
        if not weight_decay:
            return 0.0
        return float(0.5 * weight_decay * sum(np.sum(w.astype(np.float64) ** 2) for w in self.W))

    def loss(self, x, y, weight_decay: float = 0.0) -> float:
        """The mean loss over the batch, plus the L2 penalty when ``weight_decay`` > 0
        (no side effects on the stored activations)."""
        x = self._check_x(x)
        y = self._check_y(y, x.shape[0])
        return self._loss_from_output(self._forward(x, keep=False), y) + self.penalty(weight_decay)

    # ------------------------------------------------------------------ prediction

    def predict_proba(self, x, batch_size: int = 4096):
        """Output probabilities, computed in chunks of ``batch_size`` rows."""
        x = self._check_x(x)
        return np.concatenate(
            [self._forward(x[i : i + batch_size], keep=False) for i in range(0, len(x), batch_size)]
        )

    def predict(self, x, batch_size: int = 4096):
        """Predicted labels: the class with the highest probability."""
        return self.predict_proba(x, batch_size).argmax(axis=1)

    def evaluate(self, x, y, batch_size: int = 4096) -> dict:
        """``{"loss": mean loss, "accuracy": share of correct predictions}``."""
        x = self._check_x(x)
        y = self._check_y(y, x.shape[0])
        proba = self.predict_proba(x, batch_size)
        return {
            "loss": self._loss_from_output(proba, y),
            "accuracy": float(np.mean(proba.argmax(axis=1) == y)),
        }

    # ------------------------------------------------------------------ cost

    def macs_per_sample(self) -> int:
        """Multiply-adds of one training step per image: the forward pass (a W), the weight
        gradients (a^T delta) and the backward deltas (delta W^T) of every layer but the first.
        """
        pairs = list(zip(self.layer_sizes[:-1], self.layer_sizes[1:], strict=True))
        forward = sum(i * o for i, o in pairs)
        return 2 * forward + sum(i * o for i, o in pairs[1:])

    def flops_per_sample(self) -> int:
        """Floating-point operations of the matrix products per training image (2 per MAC)."""
        return 2 * self.macs_per_sample()

    # ------------------------------------------------------------------ training

    def fit(
        self,
        x,
        y,
        epochs: int = 10,
        batch_size: int | None = 128,
        lr: float = 0.1,
        optimizer: str = "sgd",
        x_val=None,
        y_val=None,
        shuffle: bool = True,
        verbose: int = 1,
        progress: bool = False,
        momentum: float = 0.9,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-7,
        lr_decay: float = 1.0,
        track_grad_norms: bool = False,
        weight_decay: float = 0.0,
    ) -> dict:
        """Mini-batch training; returns the per-epoch history (see the module docstring).

        ``sgd``: W -= lr dW.  ``momentum``: v = momentum v - lr dW; W += v.
        ``adam``: Kingma & Ba with bias correction, exactly as ``keras.optimizers.Adam``:
        m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;
        W -= lr sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps).
        ``lr_decay``: the learning rate of epoch e (from 0) is ``lr * lr_decay**e``.
        ``weight_decay``: L2 penalty (lambda / 2) sum ||W||^2, i.e. dW += lambda W.
        Calling ``fit`` again continues training; the optimizer state starts afresh.
        """
        x = self._check_x(x)
        y = self._check_y(y, x.shape[0])
        has_val = x_val is not None or y_val is not None
        if has_val:
            if x_val is None or y_val is None:
                raise ValueError("pass both x_val and y_val, or neither.")
            x_val = self._check_x(x_val, "x_val")
            y_val = self._check_y(y_val, x_val.shape[0], "y_val")
        if not (isinstance(epochs, int | np.integer) and epochs >= 1):
            raise ValueError(f"epochs must be a positive integer, got {epochs!r}.")
        n = x.shape[0]
        if batch_size is None:
            batch_size = n
        if not (isinstance(batch_size, int | np.integer) and batch_size >= 1):
            raise ValueError(f"batch_size must be a positive integer or None, got {batch_size!r}.")
        batch_size = min(int(batch_size), n)
        if not (np.isfinite(lr) and lr > 0):
            raise ValueError(f"lr must be a positive number, got {lr!r}.")
        if not (np.isfinite(lr_decay) and 0 < lr_decay <= 1):
            raise ValueError(f"lr_decay must be in (0, 1], got {lr_decay!r}.")
        optimizer = str(optimizer).lower()
        _check_choice(optimizer, OPTIMIZERS, "optimizer")
        _check_weight_decay(weight_decay)

        params = [p for pair in zip(self.W, self.b, strict=True) for p in pair]
        state1 = [np.zeros_like(p) for p in params] if optimizer != "sgd" else None
        state2 = [np.zeros_like(p) for p in params] if optimizer == "adam" else None
        step = 0
        history = {"loss": [], "accuracy": [], "val_loss": [], "val_accuracy": [], "seconds": []}
        if track_grad_norms:
            history["grad_norms"] = []
        n_batches = -(-n // batch_size)
        bar = None
        if progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=epochs * n_batches, unit="batch", leave=False)

        for epoch in range(epochs):
            start = time.perf_counter()
            epoch_lr = lr * lr_decay**epoch
            # a new order every epoch (one batch of all the images needs none)
            order = self.rng.permutation(n) if shuffle and batch_size < n else None
            loss_sum, correct = 0.0, 0
            norm_sums = np.zeros(self.n_layers)
            for first in range(0, n, batch_size):
                if order is None:
                    xb, yb = x[first : first + batch_size], y[first : first + batch_size]
                else:
                    idx = order[first : first + batch_size]
                    xb, yb = x[idx], y[idx]
                out = self._forward(xb)
                loss_sum += self._loss_from_output(out, yb) * len(yb)
                correct += int(np.count_nonzero(out.argmax(axis=1) == yb))
                grads = self._backward(yb, weight_decay)
                if track_grad_norms:
                    norm_sums += [np.linalg.norm(dw) for dw, _ in grads]
                flat = [g for pair in grads for g in pair]
                step += 1
                self._update(
                    params,
                    flat,
                    optimizer,
                    epoch_lr,
                    momentum,
                    beta1,
                    beta2,
                    eps,
                    step,
                    state1,
                    state2,
                )
                if bar is not None:
                    bar.update(1)
            if not (np.isfinite(loss_sum) and all(np.isfinite(w).all() for w in self.W)):
                if bar is not None:
                    bar.close()
                raise FloatingPointError(
                    f"training diverged in epoch {epoch + 1} (loss or weights are not finite); "
                    "lower the learning rate."
                )
            history["loss"].append(loss_sum / n)
            history["accuracy"].append(correct / n)
            if track_grad_norms:
                history["grad_norms"].append(norm_sums / n_batches)
            if has_val:
                val = self.evaluate(x_val, y_val)
                history["val_loss"].append(val["loss"])
                history["val_accuracy"].append(val["accuracy"])
            history["seconds"].append(time.perf_counter() - start)
            if verbose:
                line = (
                    f"epoch {epoch + 1:>{len(str(epochs))}}/{epochs}  "
                    f"loss {history['loss'][-1]:.4f}  accuracy {history['accuracy'][-1]:.4f}"
                )
                if has_val:
                    line += (
                        f"  val_loss {history['val_loss'][-1]:.4f}  "
                        f"val_accuracy {history['val_accuracy'][-1]:.4f}"
                    )
                line += f"  ({history['seconds'][-1]:.2f} s)"
                if bar is not None:
                    bar.write(line)
                else:
                    print(line)
        if bar is not None:
            bar.close()
        self.activations = []  # do not keep the last batch alive
        return history

    @staticmethod
    def _update(params, grads, optimizer, lr, momentum, beta1, beta2, eps, step, m, v):
        """Update every parameter array in place."""
        if optimizer == "sgd":
            for p, g in zip(params, grads, strict=True):
                g *= lr
                p -= g
        elif optimizer == "momentum":
            for p, g, vel in zip(params, grads, m, strict=True):
                vel *= momentum
                g *= lr
                vel -= g
                p += vel
        else:  # adam
            corr = lr * np.sqrt(1 - beta2**step) / (1 - beta1**step)
            for p, g, m_, v_ in zip(params, grads, m, v, strict=True):
                m_ *= beta1
                m_ += (1 - beta1) * g
                v_ *= beta2
                g *= g
                g *= 1 - beta2
                v_ += g
                # p -= corr * m / (sqrt(v) + eps), Keras's form (Kingma & Ba's "epsilon hat"),
                # written with as few temporaries as possible
                denom = np.sqrt(v_)
                denom += eps
                np.divide(m_, denom, out=denom)
                denom *= corr
                p -= denom


# --------------------------------------------------------------------------- gradient check


def gradient_check(
    net: MLP,
    x,
    y,
    per_layer: int = 5,
    eps: float = 1e-5,
    seed: int = 0,
    nonzero: bool = False,
    weight_decay: float = 0.0,
):
    """Compare backprop's gradients with central differences, in float64.

    For ``per_layer`` random entries of every weight matrix and every bias vector (with
    ``nonzero=True``: random entries among those whose gradient is not exactly zero, as a
    zero passes any check; a parameter whose every gradient is zero is skipped):
    numeric = (L(theta + eps) - L(theta - eps)) / (2 eps), analytic from :meth:`MLP.backward`,
    rel_error = |analytic - numeric| / max(|analytic| + |numeric|, 1e-12).
    Works on a float64 copy, so ``net`` itself is not changed. Returns one dict per entry.
    """
    if per_layer < 1:
        raise ValueError(f"per_layer must be at least 1, got {per_layer}.")
    net64 = net.copy(dtype=np.float64)
    x = net64._check_x(x)
    y = net64._check_y(y, x.shape[0])
    _check_weight_decay(weight_decay)

    def total_loss():
        out = net64._forward(x, keep=False)
        return net64._loss_from_output(out, y) + net64.penalty(weight_decay)

    net64._forward(x)
    grads = net64._backward(y, weight_decay)
    rng = np.random.default_rng(seed)
    rows = []
    for layer in range(net64.n_layers):
        for name, param, grad in (
            ("W", net64.W[layer], grads[layer][0]),
            ("b", net64.b[layer], grads[layer][1]),
        ):
            candidates = np.flatnonzero(grad) if nonzero else np.arange(param.size)
            if len(candidates) == 0:
                continue
            flat_idx = rng.choice(candidates, size=min(per_layer, len(candidates)), replace=False)
            for fi in flat_idx:
                idx = np.unravel_index(fi, param.shape)
                old = param[idx]
                param[idx] = old + eps
                plus = total_loss()
                param[idx] = old - eps
                minus = total_loss()
                param[idx] = old
                numeric = (plus - minus) / (2 * eps)
                analytic = float(grad[idx])
                rel = abs(analytic - numeric) / max(abs(analytic) + abs(numeric), 1e-12)
                rows.append(
                    {
                        "layer": layer + 1,
                        "parameter": f"{name}{layer + 1}",
                        "index": tuple(int(i) for i in idx),
                        "analytic": analytic,
                        "numeric": numeric,
                        "rel_error": rel,
                    }
                )
    return rows


def max_rel_error(rows) -> float:
    """The largest relative error of a :func:`gradient_check` result."""
    return max(r["rel_error"] for r in rows)
