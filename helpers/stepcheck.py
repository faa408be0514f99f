"""Step checkers for notebook 04 (backpropagation, written by you), and the reference code.

Each implementation step of notebook 04 ends with one line::

    relu = stepcheck.checked("relu", relu)

:func:`checked` runs the learner's function on inputs it makes itself, compares every result
with **TensorFlow** (its ops for the forward pass, ``tf.GradientTape`` through softmax and
then log for every gradient, Keras's SGD for the update; never the formula the learner is
asked to write) and prints, in the spirit of the ``cmp()`` of Karpathy's *makemore part 4*,
one line per result: ``exact``, ``within tolerance`` (with the largest difference) or
``Not yet`` with the largest difference and, when the result matches a typical mistake, that
mistake by name (wrong shape, transposed weight, missing 1/N, forgotten bias gradient, ReLU
mask on the wrong tensor, ...).

It returns the learner's function when every result agrees, and otherwise the reference
implementation of this module (the same name in :data:`REFERENCE`), saying "continuing with
the reference implementation", so that the rest of the notebook still runs, for instance in
the student edition where every step still says ``raise NotImplementedError``.

Conventions (those of ``helpers.numpy_nn`` and Keras's ``Dense``): images are rows, ``x`` has
shape (N, inputs); a layer is ``z = x @ W + b`` with ``W`` of shape (inputs, outputs) and
``b`` of shape (outputs,); ``params`` is a list of ``(W, b)`` pairs, first layer first;
``labels`` are integer class indices of shape (N,); the loss is the mean cross-entropy.
"""

from __future__ import annotations

import itertools

import numpy as np

__all__ = ["REFERENCE", "checked", "cmp", "init_params"]

#: float64 results that differ from TensorFlow's by at most this (absolute, plus the same
#: relative) count as equal: rounding of sums in another order stays far below it.
ATOL = 1e-8
RTOL = 1e-6
#: a result computed in float32 (from the float64 inputs of a check) is accepted within these:
#: float32 keeps about 7 significant digits, and logits shifted from near 1000 lose a few more.
ATOL32 = 1e-4
RTOL32 = 1e-4


# ----------------------------------------------------------------------- the reference


def init_params(sizes, rng, dtype=np.float64):
    """He-initialised ``[(W1, b1), (W2, b2), ...]`` for layer sizes like ``[784, 128, 10]``."""
    params = []
    for n_in, n_out in itertools.pairwise(sizes):
        W = (rng.standard_normal((n_in, n_out)) * np.sqrt(2.0 / n_in)).astype(dtype)
        params.append((W, np.zeros(n_out, dtype=dtype)))
    return params


def _dense(x, W, b):
    return x @ W + b


def _relu(z):
    return np.maximum(z, 0)


def _forward(params, x):
    cache, h = [], x
    for i, (W, b) in enumerate(params):
        z = _dense(h, W, b)
        cache.append((h, z))
        h = _relu(z) if i < len(params) - 1 else z
    return h, cache


def _log_softmax(logits):
    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def _cross_entropy(logits, labels):
    return -np.mean(_log_softmax(logits)[np.arange(len(labels)), labels])


def _cross_entropy_grad(logits, labels):
    p = np.exp(_log_softmax(logits))
    p[np.arange(len(labels)), labels] -= 1
    return p / len(labels)


def _dense_backward(dz, x, W):
    return dz @ W.T, x.T @ dz, dz.sum(axis=0)


def _relu_backward(dh, z):
    return dh * (z > 0)


def _backward(params, cache, labels):
    dz = _cross_entropy_grad(cache[-1][1], labels)
    grads = [None] * len(params)
    for i in reversed(range(len(params))):
        h, _ = cache[i]
        dh, dW, db = _dense_backward(dz, h, params[i][0])
        grads[i] = (dW, db)
        if i > 0:
            dz = _relu_backward(dh, cache[i - 1][1])
    return grads


def _numeric_gradient(f, A, index, h=1e-5):
    old = A[index]
    A[index] = old + h
    up = f()
    A[index] = old - h
    down = f()
    A[index] = old
    return (up - down) / (2 * h)


def _rel_error(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), 1e-12)


def _sgd_step(params, grads, lr):
    return [(W - lr * dW, b - lr * db) for (W, b), (dW, db) in zip(params, grads, strict=True)]


def _train_epoch(params, x, labels, batch_size, lr, rng):
    order = rng.permutation(len(x))
    for start in range(0, len(x), batch_size):
        batch = order[start : start + batch_size]
        _, cache = _forward(params, x[batch])
        params = _sgd_step(params, _backward(params, cache, labels[batch]), lr)
    return params


#: The reference implementation of every step, used when the learner's is not ready yet.
REFERENCE = {
    "dense": _dense,
    "relu": _relu,
    "forward": _forward,
    "cross_entropy": _cross_entropy,
    "cross_entropy_grad": _cross_entropy_grad,
    "dense_backward": _dense_backward,
    "relu_backward": _relu_backward,
    "backward": _backward,
    "numeric_gradient": _numeric_gradient,
    "rel_error": _rel_error,
    "sgd_step": _sgd_step,
    "train_epoch": _train_epoch,
}


# ------------------------------------------------------------------- the comparison


def _tf():
    from helpers import quiet

    quiet.import_tensorflow()
    import tensorflow as tf

    return tf


def _close(a, b, scale=1.0) -> bool:
    try:
        return a.shape == b.shape and bool(np.allclose(a, b * scale, rtol=RTOL, atol=ATOL))
    except (TypeError, ValueError):
        return False


def cmp(
    name, mine, ref, n=None, variants=None, show=True, against="TensorFlow's", nan_hint=None
) -> bool:
    """Compare ``mine`` with TensorFlow's ``ref``; print one line; True when they agree.

    The line says ``exact`` (every entry equal), ``within tolerance`` (the largest absolute
    difference, at most ATOL + RTOL * |ref|), or ``Not yet`` with what is wrong: the type or
    the shape (a transposed shape is named), NaN/inf, a result N times too large (the missing
    1/N of a batch mean; ``n`` is the batch size), the sign, all zeros, or one of
    ``variants`` ({message: array}, typical mistakes computed from TensorFlow's values),
    and otherwise the largest difference and where it is.
    """
    ok, text = compare(mine, ref, n=n, variants=variants, against=against, nan_hint=nan_hint)
    if show:
        print(f"{name:<12} {'Correct' if ok else 'Not yet'}: {text}")
    return ok


def compare(
    mine, ref, n=None, variants=None, against="TensorFlow's", nan_hint=None
) -> tuple[bool, str]:
    """``(agrees, what to say)``: the comparison :func:`cmp` prints.

    A result in float32 (or float16) is held to :data:`ATOL32` / :data:`RTOL32` instead, and
    the line says so; ``nan_hint`` replaces the default guess at where a NaN came from.
    """
    ref = np.asarray(ref, dtype=np.float64)
    low_precision = getattr(mine, "dtype", None) in (np.float32, np.float16)

    def say(ok, text):
        return ok, text

    if mine is None or mine is Ellipsis:
        return say(False, f"got {mine!r}; return an array of shape {ref.shape}.")
    if isinstance(mine, (bool, str, bytes, tuple, list, dict)) and not (
        isinstance(mine, (tuple, list)) and np.asarray(mine, dtype=object).shape == ref.shape
    ):
        return say(
            False, f"got a {type(mine).__name__}; return a NumPy array of shape {ref.shape}."
        )
    try:
        mine = np.asarray(mine, dtype=np.float64)
    except (TypeError, ValueError):
        return say(False, f"could not read it as numbers ({type(mine).__name__}).")
    if mine.shape != ref.shape:
        if mine.shape == ref.shape[::-1] and mine.ndim == 2 and _close(mine.T, ref):
            return say(
                False,
                f"shape {mine.shape} is the transpose of {ref.shape}: the values are right, "
                "the matrix is transposed (check the order of the matrix product).",
            )
        if n is not None and ref.ndim == 1 and mine.shape == (n, *ref.shape):
            hint = " (sum it over the batch axis, axis=0)"
            if _close(mine.sum(axis=0), ref):
                hint = " - its sum over axis=0 is right: add .sum(axis=0)"
            return say(
                False, f"shape {mine.shape}, expected {ref.shape}: one row per example{hint}."
            )
        if mine.size == ref.size and _close(mine.reshape(ref.shape), ref):
            return say(
                False,
                f"shape {mine.shape}, expected {ref.shape}: the values are right, the shape has "
                "an extra axis of length 1 (a keepdims=True, or b[:, None]?).",
            )
        if ref.ndim == 2 and mine.shape in ((ref.shape[0],), (ref.shape[1],)):
            return say(
                False,
                f"wrong shape {mine.shape}, expected {ref.shape}: something reduced an axis "
                "(np.max(z, 0) is the largest entry along axis 0; np.maximum(z, 0) compares "
                "entry by entry).",
            )
        return say(False, f"wrong shape {mine.shape}, expected {ref.shape}.")
    if not np.all(np.isfinite(mine)):
        bad = int(np.sum(~np.isfinite(mine)))
        hint = nan_hint or (
            "an exp() that overflowed? subtract the row maximum first; a log(0)? a 0/0?"
        )
        return say(False, f"{bad} entries are NaN or infinite ({hint}).")
    diff = np.abs(mine - ref)
    if np.array_equal(mine, ref):
        return say(True, f"exact (every entry equal to {against}).")
    if np.all(diff <= ATOL + RTOL * np.abs(ref)):
        return say(True, f"within tolerance: max difference {diff.max():.1e} from {against}.")
    if low_precision and np.all(diff <= ATOL32 + RTOL32 * np.abs(ref)):
        return say(
            True,
            f"within float32 tolerance: max difference {diff.max():.1e} from {against}. Your "
            "result is float32 although the inputs were float64: fine for training, but keep "
            "the inputs' dtype (no astype(np.float32)), because section 4's finite "
            "differences need float64.",
        )
    worst = np.unravel_index(int(np.argmax(diff)), diff.shape)
    where = f"max difference {diff.max():.2e} at index {tuple(int(i) for i in worst)}"
    if np.any(ref != 0) and not np.any(mine):
        return say(False, f"all zeros ({where}): is this gradient computed at all?")
    if n is not None and n != 1 and _close(mine, ref, scale=n):
        return say(
            False, f"{n} times too large, the batch size ({where}): the 1/N of the mean is missing."
        )
    if n is not None and n != 1 and _close(mine, ref, scale=1 / n):
        return say(
            False, f"{n} times too small, the batch size ({where}): divided by N once too often."
        )
    if _close(mine, ref, scale=-1.0):
        return say(False, f"the sign is flipped ({where}).")
    for message, variant in (variants or {}).items():
        if _close(mine, np.asarray(variant, dtype=np.float64)):
            return say(False, f"{message} ({where}).")
    return say(False, where + ".")


def _split3(result, names):
    if not isinstance(result, (tuple, list)) or len(result) != len(names):
        got = (
            f"{len(result)} values" if isinstance(result, (tuple, list)) else type(result).__name__
        )
        raise _Mistake(f"return {len(names)} values ({', '.join(names)}), got {got}.")
    return result


class _Mistake(Exception):
    """A result of the wrong form, told to the learner as is."""


# ------------------------------------------------------------------ TensorFlow's side


def _case(seed=0, sizes=(12, 7, 5), n=6):
    rng = np.random.default_rng(seed)
    params = init_params(list(sizes), rng)
    params = [(W, rng.normal(scale=0.3, size=b.shape)) for W, b in params]
    x = rng.normal(size=(n, sizes[0]))
    labels = rng.integers(0, sizes[-1], size=n)
    return params, x, labels


def _tf_forward(tf, params, x):
    """TensorFlow's logits and, per layer, (input, pre-activation) tensors."""
    h, tape_vals = tf.constant(x), []
    for i, (W, b) in enumerate(params):
        z = tf.matmul(h, W) + b
        tape_vals.append((h, z))
        h = tf.nn.relu(z) if i < len(params) - 1 else z
    return h, tape_vals


def _tf_loss(tf, logits, labels):
    """Mean cross-entropy through softmax, then log (not TensorFlow's fused op)."""
    y = tf.one_hot(labels, logits.shape[1], dtype=logits.dtype)
    return -tf.reduce_mean(tf.reduce_sum(y * tf.math.log(tf.nn.softmax(logits)), axis=1))


def _tf_gradients(params, x, labels):
    """Loss, gradients [(dW, db)], and per hidden layer (input, z, dL/dh) from TensorFlow."""
    tf = _tf()
    variables = [(tf.Variable(W), tf.Variable(b)) for W, b in params]
    with tf.GradientTape(persistent=True) as tape:
        h, hidden = tf.constant(x), []
        for i, (W, b) in enumerate(variables):
            z = tf.matmul(h, W) + b
            if i < len(variables) - 1:
                a = tf.nn.relu(z)
                hidden.append((h, z, a))
                h = a
            else:
                h = z
        loss = _tf_loss(tf, h, labels)
    grads = [tuple(g.numpy() for g in tape.gradient(loss, [W, b])) for W, b in variables]
    inner = [(hin.numpy(), z.numpy(), tape.gradient(loss, a).numpy()) for hin, z, a in hidden]
    return float(loss.numpy()), grads, inner


# ---------------------------------------------------------------------- the checks


def _check_dense(fn):
    tf = _tf()
    (W, b), _ = _case()[0]
    x = _case()[1]
    mine = fn(x, W, b)
    ref = (tf.matmul(tf.constant(x), W) + b).numpy()
    return cmp("z", mine, ref, variants={"the bias b is missing": x @ W})


def _check_relu(fn):
    tf = _tf()
    z = np.random.default_rng(1).normal(size=(5, 7))
    mine = fn(z.copy())
    return cmp(
        "relu(z)",
        mine,
        tf.nn.relu(z).numpy(),
        variants={
            "this is the mask (z > 0), not the activation max(z, 0)": (z > 0).astype(float),
            "negative values are kept and positive ones zeroed: max(z, 0) keeps the positive ones": np.minimum(
                z, 0
            ),
        },
    )


def _check_forward(fn):
    tf = _tf()
    ok = True
    for sizes in ((12, 7, 5), (12, 7, 6, 5)):
        params, x, _ = _case(sizes=sizes)
        result = fn(params, x)
        logits = _split3(result, ["logits", "cache"])[0]
        ref, tape_vals = _tf_forward(tf, params, x)
        nohid = _dense(_dense(x, *params[0]), *params[1]) if len(params) == 2 else None
        variants = {}
        if nohid is not None:
            variants["no ReLU between the layers"] = nohid
        with_last = _relu(ref.numpy())
        variants["a ReLU after the last layer too: the logits are the last z, no ReLU"] = with_last
        ok &= cmp(f"logits {len(sizes) - 2}h", logits, ref.numpy(), variants=variants)
        if ok:  # the cache is what backward() reads; checked once the logits are right
            ok &= _check_cache(result[1], tape_vals, len(sizes) - 2)
    return ok


def _check_cache(cache, tape_vals, hidden):
    """The cache backward() will read: one (input, z) pair per layer, input first."""
    label = f"cache {hidden}h"
    if not isinstance(cache, (list, tuple)) or len(cache) != len(tape_vals):
        got = f"{len(cache)} entries" if isinstance(cache, (list, tuple)) else type(cache).__name__
        print(f"{label:<12} Not yet: one (input, z) pair per layer: {len(tape_vals)}, got {got}.")
        return False
    ok = True
    for i, (pair, (h_ref, z_ref)) in enumerate(zip(cache, tape_vals, strict=True), 1):
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            print(f"{label:<12} Not yet: entry {i} should be a pair (input of layer {i}, its z).")
            return False
        h, z = pair
        h_ref, z_ref = h_ref.numpy(), z_ref.numpy()
        output = _relu(z_ref) if i < len(tape_vals) else z_ref
        if np.shape(h) == output.shape and _close(np.asarray(h, dtype=float), output):
            print(
                f"{label:<12} Not yet: layer {i} input: this is layer {i}'s output; the cache "
                f"keeps its INPUT (x for layer 1), which backward needs for dW = input.T @ dz."
            )
            return False
        ok_h, text_h = compare(
            h,
            h_ref,
            variants={
                f"this is layer {i}'s output; the cache keeps its INPUT (what came in: x "
                "for layer 1), which backward needs for dW = input.T @ dz": output,
            },
        )
        ok_z, text_z = compare(
            z,
            z_ref,
            variants={"this is relu(z); keep the pre-activation z itself": _relu(z_ref)},
        )
        if not ok_h:
            print(f"{label:<12} Not yet: layer {i} input: {text_h}")
        if not ok_z:
            print(f"{label:<12} Not yet: layer {i} z: {text_z}")
        ok &= ok_h and ok_z
    if ok:
        print(f"{label:<12} Correct: every layer's (input, z) equals TensorFlow's.")
    return ok


def _check_cross_entropy(fn):
    tf = _tf()
    rng = np.random.default_rng(2)
    logits = rng.normal(scale=3.0, size=(6, 5))
    labels = rng.integers(0, 5, size=6)
    ref = _tf_loss(tf, tf.constant(logits), labels).numpy()
    mine = fn(logits.copy(), labels)
    n, k = logits.shape
    log_p = _log_softmax(logits)
    rows = np.arange(n)
    shifted = logits - logits.max(axis=1, keepdims=True)
    wrong_axis = logits - np.log(np.exp(logits).sum(axis=0, keepdims=True))
    wrong_axis_shifted = shifted - np.log(np.exp(shifted).sum(axis=0, keepdims=True))
    variants = {
        "the sum of the log-probabilities without the minus sign: L = -mean(log p)": -ref,
        f"{k} times too small, the number of classes: the mean runs over the N images, "
        "not over all N x K entries of the one-hot product": ref / k,
        "the softmax normalises each column (axis=0); one image is a row: sum over axis=1": (
            -np.mean(wrong_axis[rows, labels])
        ),
        "the softmax normalises each column (axis=0) of the shifted logits; one image is a "
        "row: sum over axis=1": -np.mean(wrong_axis_shifted[rows, labels]),
        "log_p[:, labels] takes every label's column for every image; take one entry per "
        "image: log_p[np.arange(N), labels]": -np.mean(log_p[:, labels]),
    }
    ok = cmp("loss", mine, ref, n=n, variants=variants)
    # stability: softmax does not change when a constant is added to every logit
    big = fn(logits + 1000.0, labels)
    ok_big = cmp(
        "loss +1000",
        big,
        ref,
        n=n,
        nan_hint="logits near 1000 overflow exp(): subtract each row's maximum first",
    )
    return ok and ok_big


def _check_cross_entropy_grad(fn):
    tf = _tf()
    rng = np.random.default_rng(3)
    logits = rng.normal(scale=2.0, size=(6, 5))
    labels = rng.integers(0, 5, size=6)
    z = tf.Variable(logits)
    with tf.GradientTape() as tape:
        loss = _tf_loss(tf, z, labels)
    ref = tape.gradient(loss, z).numpy()
    p = tf.nn.softmax(logits).numpy()
    every_column = p.copy()
    every_column[:, labels] -= 1
    return cmp(
        "dlogits",
        fn(logits.copy(), labels),
        ref,
        n=len(labels),
        variants={
            "this is softmax(z) / N: subtract the one-hot labels, p - y": p / len(labels),
            "p[:, labels] -= 1 subtracts 1 in every label's column of every row; subtract it "
            "once per row: p[np.arange(N), labels] -= 1": every_column / len(labels),
            "this is (y - p) / N, the sign is flipped: p - y": -ref,
        },
    )


def _check_dense_backward(fn):
    tf = _tf()
    params, x, _ = _case()
    W, b = params[0]
    dz = np.random.default_rng(4).normal(size=(len(x), W.shape[1]))
    xv, Wv, bv = tf.Variable(x), tf.Variable(W), tf.Variable(b)
    with tf.GradientTape() as tape:
        z = tf.matmul(xv, Wv) + bv
    ref = [g.numpy() for g in tape.gradient(z, [xv, Wv, bv], output_gradients=tf.constant(dz))]
    dx, dW, db = _split3(fn(dz.copy(), x, W), ["dx", "dW", "db"])
    n = len(x)
    ok = cmp("dx", dx, ref[0], n=n)
    ok &= cmp("dW", dW, ref[1], n=n)
    ok &= cmp(
        "db",
        db,
        ref[2],
        n=n,
        variants={
            "the mean over the batch, not the sum: dz already holds the 1/N": dz.mean(axis=0),
        },
    )
    return ok


def _check_relu_backward(fn):
    tf = _tf()
    rng = np.random.default_rng(5)
    z, dh = rng.normal(size=(6, 7)), rng.normal(size=(6, 7))
    zv = tf.Variable(z)
    with tf.GradientTape() as tape:
        h = tf.nn.relu(zv)
    ref = tape.gradient(h, zv, output_gradients=tf.constant(dh)).numpy()
    return cmp("dz", fn(dh.copy(), z.copy()), ref, variants=_mask_variants(dh, z))


def _mask_variants(dh, z, x_in=None, backprop=lambda dz: dz):
    """Typical ReLU-backward mistakes, each pushed through ``backprop`` (e.g. to dW)."""
    out = {
        "ReLU mask on the wrong tensor: the mask comes from the incoming gradient (dh > 0); "
        "it must come from this layer's pre-activation (z > 0)": backprop(dh * (dh > 0)),
        "multiplied by relu(z), the activation, instead of the mask (z > 0)": backprop(
            dh * np.maximum(z, 0)
        ),
        "the ReLU is skipped on the way back: multiply by the mask (z > 0)": backprop(dh),
        "the mask (z > 0) alone: multiply it by the incoming gradient dh": backprop(
            (z > 0).astype(float)
        ),
    }
    if x_in is not None and x_in.shape == z.shape:
        out[
            "ReLU mask on the wrong tensor: the mask comes from the layer's input, not its "
            "own pre-activation z"
        ] = backprop(dh * (x_in > 0))
    return out


def _check_backward(fn, sizes=(12, 7, 6, 5)):
    params, x, labels = _case(sizes=sizes)
    cache = _forward(params, x)[1]
    _, ref, inner = _tf_gradients(params, x, labels)
    grads = fn(params, cache, labels)
    if not isinstance(grads, (list, tuple)) or len(grads) != len(params):
        got = len(grads) if isinstance(grads, (list, tuple)) else type(grads).__name__
        raise _Mistake(f"return one (dW, db) pair per layer: {len(params)} pairs, got {got}.")
    ok = True
    n = len(x)
    for i, ((dW_ref, db_ref), pair) in enumerate(zip(ref, grads, strict=True)):
        dW, db = _split3(pair, ["dW", "db"])
        variants_W, variants_b = {}, {}
        if i < len(inner):  # a hidden layer: its dz went through a ReLU mask
            h_in, z, dh = inner[i]
            variants_W = _mask_variants(dh, z, h_in, lambda dz, h_in=h_in: h_in.T @ dz)
            variants_b = _mask_variants(dh, z, h_in, lambda dz: dz.sum(axis=0))
        ok &= cmp(f"layer {i + 1} dW", dW, dW_ref, n=n, variants=variants_W)
        ok &= cmp(f"layer {i + 1} db", db, db_ref, n=n, variants=variants_b)
    return ok


def _check_numeric_gradient(fn):
    params, x, labels = _case(seed=6)
    _, ref, _ = _tf_gradients(params, x, labels)
    W = params[0][0]
    before = W.copy()

    def f():
        return _cross_entropy(_forward(params, x)[0], labels)

    coords = [(0, 0), (3, 2), (11, 6)]
    mine = [fn(f, W, c) for c in coords]
    # put back to rounding: A[i] += h; A[i] -= 2h; A[i] += h may miss the old value by an ulp
    if not np.allclose(W, before, rtol=1e-12, atol=1e-15):
        print("numeric      Not yet: W changed: put the entry back to its old value at the end.")
        return False
    mine_arr = np.array([np.nan if m is None else m for m in mine], dtype=float)
    want = np.array([ref[0][0][c] for c in coords])
    # centred differences are accurate to about h^2; compare at 1e-6 relative
    ok = mine_arr.shape == want.shape and np.allclose(mine_arr, want, rtol=1e-6, atol=1e-9)
    if ok:
        print(
            f"numeric      Correct: within tolerance: max difference "
            f"{np.max(np.abs(mine_arr - want)):.1e} from TensorFlow's gradient."
        )
        return True
    if np.allclose(mine_arr, 2 * want, rtol=1e-4, atol=1e-9):
        msg = "twice TensorFlow's gradient: divide by 2h (the step from -h to +h), not h"
    elif np.allclose(mine_arr, want, rtol=1e-2, atol=1e-6):
        msg = "close but not centred: use (f(A + h) - f(A - h)) / (2h), accurate to h^2"
    else:
        msg = f"max difference {np.nanmax(np.abs(mine_arr - want)):.2e} from TensorFlow's"
    print(f"numeric      Not yet: {msg}.")
    return False


def _check_rel_error(fn):
    a = np.array([1.0, -2.0, 0.0, 1e-3])
    b = np.array([1.0, -2.2, 0.0, 2e-3])
    want = np.array([0.0, 0.2 / 4.2, 0.0, 1e-3 / 3e-3])
    mine = fn(a, b)
    return cmp(
        "rel_error",
        mine,
        want,
        variants={
            "relative to |a| alone: divide by |a| + |b| (symmetric, never by zero)": np.abs(a - b)
            / np.maximum(np.abs(a), 1e-12),
            "divided by max(|a|, |b|), another convention; this notebook divides by |a| + |b|": (
                np.abs(a - b) / np.maximum(np.maximum(np.abs(a), np.abs(b)), 1e-12)
            ),
        },
        nan_hint="0 / 0 where a and b are both 0: return 0 there, e.g. divide by "
        "np.maximum(|a| + |b|, 1e-12) or use np.where",
    )


def _keras_sgd(params, grads, lr):
    tf = _tf()
    import keras

    variables = [tf.Variable(p) for pair in params for p in pair]
    opt = keras.optimizers.SGD(learning_rate=lr)
    opt.apply_gradients(
        zip([tf.constant(g) for pair in grads for g in pair], variables, strict=True)
    )
    values = [v.numpy() for v in variables]
    return [(values[i], values[i + 1]) for i in range(0, len(values), 2)]


def _check_sgd_step(fn):
    params, x, labels = _case(seed=7)
    _, grads, _ = _tf_gradients(params, x, labels)
    lr = 0.5
    ref = _keras_sgd(params, grads, lr)
    copies = [(W.copy(), b.copy()) for W, b in params]
    new = fn(copies, grads, lr)
    if not isinstance(new, (list, tuple)) or len(new) != len(params):
        raise _Mistake("return the new parameters: a list of (W, b) pairs, one per layer.")
    ok = True
    for i, ((W_ref, b_ref), pair) in enumerate(zip(ref, new, strict=True)):
        W, b = _split3(pair, ["W", "b"])
        W0, b0 = params[i]
        ok &= cmp(
            f"layer {i + 1} W",
            W,
            W_ref,
            variants={
                "W + lr dW: a step up the gradient; subtract it": W0 + lr * grads[i][0],
                "W is unchanged": W0,
            },
        )
        ok &= cmp(
            f"layer {i + 1} b",
            b,
            b_ref,
            variants={
                "b is unchanged: update it too": b0,
                "b + lr db: a step up the gradient; subtract it": b0 + lr * grads[i][1],
            },
        )
    return ok


def _check_train_epoch(fn):
    params, _, _ = _case(seed=8, sizes=(12, 7, 5))
    rng = np.random.default_rng(9)
    x = rng.normal(size=(22, 12))
    labels = rng.integers(0, 5, size=22)
    lr, batch = 0.25, 8  # 3 batches (8, 8, 6); 0.25 is exact in float32, Keras's lr dtype
    copies = [(W.copy(), b.copy()) for W, b in params]
    new = fn(copies, x, labels, batch, lr, np.random.default_rng(10))
    order = np.random.default_rng(10).permutation(len(x))

    def reference(order, keep_last=True, label_order=None):
        ps = params
        label_order = order if label_order is None else label_order
        for start in range(0, len(x), batch):
            idx = order[start : start + batch]
            if len(idx) < batch and not keep_last:
                break
            _, grads, _ = _tf_gradients(ps, x[idx], labels[label_order[start : start + batch]])
            ps = _keras_sgd(ps, grads, lr)
        return ps

    ref = reference(order)
    unshuffled = reference(np.arange(len(x)))
    dropped = reference(order, keep_last=False)
    labels_unshuffled = reference(order, label_order=np.arange(len(x)))
    if not isinstance(new, (list, tuple)) or len(new) != len(params):
        raise _Mistake("return the new parameters: a list of (W, b) pairs, one per layer.")
    ok = True
    for i, pair in enumerate(new):
        W, _b = _split3(pair, ["W", "b"])
        ok &= cmp(
            f"layer {i + 1} W",
            W,
            ref[i][0],
            variants={
                "not shuffled: visit the examples in the order rng.permutation(len(x)) gives": unshuffled[
                    i
                ][0],
                "the last, smaller batch is skipped: train on it too": dropped[i][0],
                "the images are shuffled but not the labels: index both with the same "
                "order": labels_unshuffled[i][0],
                "W is unchanged after the epoch (params = sgd_step(...) in the loop?)": params[i][
                    0
                ],
            },
        )
    if not ok:
        print(
            "             (the checker replays your epoch with the order "
            "rng.permutation(len(x)), drawn once per epoch from the rng passed in, not "
            "np.random; batches order[0:batch], order[batch:2 batch], ...)"
        )
    return ok


CHECKS = {
    "dense": _check_dense,
    "relu": _check_relu,
    "forward": _check_forward,
    "cross_entropy": _check_cross_entropy,
    "cross_entropy_grad": _check_cross_entropy_grad,
    "dense_backward": _check_dense_backward,
    "relu_backward": _check_relu_backward,
    "backward": _check_backward,
    "numeric_gradient": _check_numeric_gradient,
    "rel_error": _check_rel_error,
    "sgd_step": _check_sgd_step,
    "train_epoch": _check_train_epoch,
}

CONTINUE = "continuing with the reference implementation."

_FORWARD_STEPS = ("dense", "relu", "forward", "cross_entropy")


def _error_hint(name, exc, text):
    """A hint for an error the learner's step raised, that gives away no later step."""
    if not isinstance(exc, ValueError):
        return ""
    if "truth value of an array" in text:
        return (
            " An `if` or max() on a whole array: the checker passes arrays, so work entry by "
            "entry with NumPy (np.where, np.maximum)."
        )
    if "broadcast" in text and name in ("relu_backward", "backward"):
        return (
            " Two arrays of different shapes met in an element-wise product: the ReLU mask "
            "has the shape of the gradient it masks, so it comes from the z the ReLU was "
            "applied to, the z of the layer below (cache[i - 1])."
        )
    if "matmul" in text or "shape" in text or "broadcast" in text:
        if name in _FORWARD_STEPS:
            return (
                " A matrix product does not fit: x is (N, inputs) and W is (inputs, outputs); which "
                "order gives (N, outputs)?"
            )
        return (
            " A matrix product does not fit: every gradient has the shape of what it is the "
            "gradient of (dx like x, dW like W, db like b); let the shapes pick the order "
            "and the transposes."
        )
    return ""


def checked(name: str, fn):
    """Check the learner's ``fn`` for step ``name``; return it if right, else the reference.

    Prints one line per compared result, then, when anything is not right yet (including a
    ``NotImplementedError`` from an unfinished skeleton or any other error), "Not yet -
    continuing with the reference implementation."
    """
    if name not in CHECKS:
        raise ValueError(f"no step named {name!r}; the steps are {', '.join(CHECKS)}.")
    if not callable(fn):
        print(f"{name}: Not yet - {name} is not a function ({type(fn).__name__}); {CONTINUE}")
        return REFERENCE[name]
    try:
        ok = CHECKS[name](fn)
    except NotImplementedError:
        print(f"{name}: Not yet - still raises NotImplementedError; {CONTINUE}")
        return REFERENCE[name]
    except _Mistake as exc:
        print(f"{name}: Not yet - {exc} Meanwhile, {CONTINUE}")
        return REFERENCE[name]
    except Exception as exc:  # the learner's code failed: say how, and go on
        text = str(exc).splitlines()[0][:200] if str(exc) else ""
        hint = _error_hint(name, exc, text)
        print(f"{name}: Not yet - it raised {type(exc).__name__}: {text}.{hint} {CONTINUE}")
        return REFERENCE[name]
    if ok:
        print(f"{name}: all Correct - using your {name} from here on.")
        return fn
    print(f"{name}: Not yet - {CONTINUE}")
    return REFERENCE[name]


# ------------------------------------------------------------ the end-of-notebook exercises
# Each returns (correct, message); helpers.checks wraps them as exercise_04_... checkers.


def _call(fn, *args):
    """``(result, None)``, or ``(None, message)`` when the learner's function fails."""
    if not callable(fn):
        return None, (
            f"the answer should be your FUNCTION (answer = my_function), not a {type(fn).__name__}."
        )
    try:
        return fn(*args), None
    except NotImplementedError:
        return None, "your function still raises NotImplementedError: write its body."
    except Exception as exc:  # the learner's code: say what it raised
        return None, f"your function raised {type(exc).__name__}: {str(exc)[:200]}."


def _pairs(result, n_layers, what):
    if not isinstance(result, (list, tuple)) or len(result) != n_layers:
        return f"{what} should be a list of {n_layers} (W, b) pairs, one per layer."
    if not all(isinstance(p, (list, tuple)) and len(p) == 2 for p in result):
        return f"each entry of {what} should be a pair (W, b)."
    return None


def exercise_momentum(fn) -> tuple[bool, str]:
    """``momentum_step(params, grads, velocity, lr, mu) -> (params, velocity)`` against Keras.

    Three steps with changing gradients from zero velocity, compared with
    ``keras.optimizers.SGD(learning_rate=lr, momentum=mu)`` (its velocity may be kept in
    either common form: v = mu v - lr g, or v = mu v + g with the step lr v).
    """
    tf = _tf()
    import keras

    params, x, labels = _case(seed=11)
    lr, mu = 0.25, 0.5  # exact in float32, the dtype of Keras's hyperparameters
    variables = [tf.Variable(p) for pair in params for p in pair]
    opt = keras.optimizers.SGD(learning_rate=lr, momentum=mu)
    mine = [(W.copy(), b.copy()) for W, b in params]
    velocity = [(np.zeros_like(W), np.zeros_like(b)) for W, b in params]
    plain = [(W.copy(), b.copy()) for W, b in params]
    for step in range(3):
        current = [
            (v[0].numpy(), v[1].numpy()) for v in zip(variables[::2], variables[1::2], strict=True)
        ]
        _, grads, _ = _tf_gradients(current, x[step:], labels[step:])
        flat = [tf.constant(g) for pair in grads for g in pair]
        opt.apply_gradients(zip(flat, variables, strict=True))
        result, problem = _call(
            fn, [(W.copy(), b.copy()) for W, b in mine], grads, velocity, lr, mu
        )
        if problem:
            return False, problem
        if not isinstance(result, (list, tuple)) or len(result) != 2:
            return False, "return two things: (new_params, new_velocity)."
        mine, velocity = result
        for what, value in (("new_params", mine), ("new_velocity", velocity)):
            problem = _pairs(value, len(params), what)
            if problem:
                return False, problem
        plain = _sgd_step(plain, grads, lr)
        ref = [v.numpy() for v in variables]
        for i, (W, b) in enumerate(mine):
            for name, got, want, plain_value in (
                (f"W{i + 1}", W, ref[2 * i], plain[i][0]),
                (f"b{i + 1}", b, ref[2 * i + 1], plain[i][1]),
            ):
                ok, text = compare(got, want, against="Keras's SGD with momentum")
                if not ok:
                    if _close(np.asarray(got, dtype=float), plain_value):
                        text = (
                            "this is plain SGD: the velocity is not used (v = mu v - lr g; W += v)."
                        )
                    return False, f"after step {step + 1}, {name}: {text}"
    return True, (
        "three steps from zero velocity equal Keras's SGD(momentum=0.5) to "
        f"{ATOL:.0e} (plus {RTOL:.0e} relative)."
    )


def exercise_weight_decay(fn) -> tuple[bool, str]:
    """``backward_l2(params, cache, labels, lam)``: the gradient of the loss plus
    (lam / 2) * sum of every squared weight (not the biases), against TensorFlow."""
    tf = _tf()
    params, x, labels = _case(seed=12, sizes=(12, 7, 6, 5))
    lam = 0.1
    cache = _forward(params, x)[1]
    variables = [(tf.Variable(W), tf.Variable(b)) for W, b in params]
    with tf.GradientTape() as tape:
        h = tf.constant(x)
        for i, (W, b) in enumerate(variables):
            h = tf.matmul(h, W) + b
            h = tf.nn.relu(h) if i < len(variables) - 1 else h
        loss = _tf_loss(tf, h, labels) + lam / 2 * sum(tf.reduce_sum(W**2) for W, _ in variables)
    flat = [g.numpy() for g in tape.gradient(loss, [v for pair in variables for v in pair])]
    ref = [(flat[i], flat[i + 1]) for i in range(0, len(flat), 2)]
    plain = _backward(params, cache, labels)
    result, problem = _call(fn, params, cache, labels, lam)
    if problem:
        return False, problem
    problem = _pairs(result, len(params), "the gradients")
    if problem:
        return False, problem
    for i, ((dW, db), (dW_ref, db_ref), (W, b), (dW0, db0)) in enumerate(
        zip(result, ref, params, plain, strict=True)
    ):
        ok, text = compare(
            dW,
            dW_ref,
            n=len(x),
            variants={
                "no weight decay in it: add lam * W to dW": dW0,
                "lam * 2W: the derivative of (lam / 2) W^2 is lam * W": dW0 + 2 * lam * W,
                "lam / 2 * W: the derivative of (lam / 2) W^2 is lam * W": dW0 + lam / 2 * W,
                "the decay has the wrong sign: the penalty pulls W towards 0, add + lam * W": dW0
                - lam * W,
            },
        )
        if not ok:
            return False, f"layer {i + 1} dW: {text}"
        ok, text = compare(
            db,
            db_ref,
            n=len(x),
            variants={
                "the biases are decayed too: weight decay here is on the weights only": db0
                + lam * b,
            },
        )
        if not ok:
            return False, f"layer {i + 1} db: {text}"
    return True, "every dW and db equals TensorFlow's gradient of the loss plus (lam/2) sum W^2."


def exercise_input_gradient(fn) -> tuple[bool, str]:
    """``input_gradient(params, x, labels)``: dL/dx of the mean loss, shape (N, inputs),
    against TensorFlow's gradient with respect to the images."""
    tf = _tf()
    params, x, labels = _case(seed=13, sizes=(12, 7, 6, 5))
    xv = tf.Variable(x)
    with tf.GradientTape() as tape:
        h = xv
        for i, (W, b) in enumerate(params):
            h = tf.matmul(h, W) + b
            h = tf.nn.relu(h) if i < len(params) - 1 else h
        loss = _tf_loss(tf, h, labels)
    ref = tape.gradient(loss, xv).numpy()
    result, problem = _call(fn, params, x.copy(), labels)
    if problem:
        return False, problem
    grads = _backward(params, _forward(params, x)[1], labels)
    variants = {}
    if np.shape(result) == grads[0][0].shape:
        return (
            False,
            "this has the shape of dW1: the gradient wanted is with respect to x, (N, inputs).",
        )
    ok, text = compare(result, ref, n=len(x), variants=variants)
    if not ok:
        return False, text
    return True, f"dL/dx equals TensorFlow's gradient with respect to the images ({text[:-1]})."


def exercise_value_tanh(fn, value_class, backward_graph) -> tuple[bool, str]:
    """``value_tanh(v)``: a new ``Value`` holding tanh(v.data) that passes gradient back with
    the local derivative 1 - tanh(v)^2; checked in a small graph against TensorFlow.

    ``value_class`` and ``backward_graph`` are notebook 04's ``Value`` and ``backward_graph``.
    The graph applies it twice to the same input (L = t1 * t2 + t1 * 0.5, t1 and t2 both
    tanh(a * b + a)), so a ``pass_back`` that overwrites instead of adding (``=`` for ``+=``)
    is caught too.
    """
    import math

    tf = _tf()
    a_val, b_val = 0.7, -1.3
    a, b = value_class(a_val), value_class(b_val)
    u = a * b + a
    t, problem = _call(fn, u)
    if problem:
        return False, problem
    if not isinstance(t, value_class):
        return False, (
            f"value_tanh returned a {type(t).__name__}; return a new Value (v.unary(...) makes "
            "one), so that the graph can pass gradient back through it."
        )
    if t is u:
        return False, "value_tanh returned its input; return a new Value made from it."
    want_data = math.tanh(u.data)
    if not math.isclose(t.data, want_data, rel_tol=1e-12, abs_tol=1e-12):
        return False, f"its data is {t.data:.6g}; tanh({u.data:.6g}) = {want_data:.6g}."
    t2, problem = _call(fn, u)
    if problem:
        return False, problem
    loss = t * t2 + t * 0.5
    try:
        backward_graph(loss)
    except Exception as exc:  # the learner's pass_back
        return False, f"backward_graph raised {type(exc).__name__}: {str(exc)[:200]}."
    av, bv = tf.Variable(a_val, dtype=tf.float64), tf.Variable(b_val, dtype=tf.float64)
    with tf.GradientTape() as tape:
        ut = av * bv + av
        lt = tf.math.tanh(ut) * tf.math.tanh(ut) + tf.math.tanh(ut) * 0.5
    ref = [float(g.numpy()) for g in tape.gradient(lt, [av, bv])]
    mine = [a.grad, b.grad]
    if all(math.isclose(m, r, rel_tol=1e-9, abs_tol=1e-12) for m, r in zip(mine, ref, strict=True)):
        return True, (
            f"dL/da = {mine[0]:+.6f} and dL/db = {mine[1]:+.6f} equal TensorFlow's "
            "(to 1e-9 relative)."
        )
    # the typical slips, each pushed through the same graph: dL/du = (2t + 0.5) * local
    dl_dt = 2 * want_data + 0.5
    du_da, du_db = b_val + 1, a_val
    slips = {
        "the local derivative is tanh'(u) = 1 - tanh(u)^2, written with the OUTPUT tanh(u); "
        "1 - u^2 uses the input": 1 - u.data**2,
        "the local derivative is 1 - tanh(u)^2, not tanh(u)": want_data,
        "the local derivative is 1 - tanh(u)^2, not 1 + tanh(u)^2": 1 + want_data**2,
        "no gradient reaches the input: pass it back with the local derivative "
        "(v.unary(value, local_derivative))": 0.0,
    }
    slips = list(slips.items())
    for share in (want_data + 0.5, want_data):  # one of the two uses of u lost
        slips.append(
            (
                "u is used twice and got the gradient of one use only: pass_back must ADD to "
                "v.grad (+=), not overwrite it (=)",
                (1 - want_data**2) * share / dl_dt,
            )
        )
    for message, local in slips:
        slip = [dl_dt * local * du_da, dl_dt * local * du_db]
        if all(
            math.isclose(m, s, rel_tol=1e-9, abs_tol=1e-12) for m, s in zip(mine, slip, strict=True)
        ):
            return False, message + "."
    return False, (
        f"dL/da = {mine[0]:+.6f}, dL/db = {mine[1]:+.6f}; TensorFlow's: {ref[0]:+.6f}, "
        f"{ref[1]:+.6f}. The data is right: check the local derivative 1 - tanh(u)^2."
    )
