"""Notebook 04's step checkers: right code passes, each typical mistake gets its own message.

Every diagnosis the checker promises (wrong shape, transposed weight, missing 1/N, forgotten
bias gradient, ReLU mask on the wrong tensor, no shuffling, ...) is provoked here with a
deliberately wrong implementation, and the test asserts the specific message, that the
verdict is "Not yet" and that the notebook goes on with the reference implementation.
"""

from __future__ import annotations

import numpy as np
import pytest

from helpers import stepcheck as sc

R = sc.REFERENCE


def run(capsys, name, fn):
    """(returned function, printed text) of ``checked(name, fn)``."""
    out = sc.checked(name, fn)
    return out, capsys.readouterr().out


def assert_not_yet(capsys, name, fn, *phrases):
    out, text = run(capsys, name, fn)
    assert out is R[name], text
    assert "Not yet" in text and "continuing with the reference implementation" in text, text
    for phrase in phrases:
        assert phrase in text, f"expected {phrase!r} in:\n{text}"
    return text


@pytest.mark.parametrize("name", list(sc.REFERENCE))
def test_the_reference_passes_every_check_and_is_kept(capsys, name):
    out, text = run(capsys, name, R[name])
    assert out is R[name]
    assert "Not yet" not in text and "all Correct" in text, text


@pytest.mark.parametrize("name", list(sc.REFERENCE))
def test_an_unfinished_skeleton_says_not_yet_and_continues(capsys, name):
    def skeleton(*args, **kwargs):
        raise NotImplementedError

    text = assert_not_yet(capsys, name, skeleton, "NotImplementedError")
    assert "Traceback" not in text


def test_a_learner_function_that_is_right_is_returned(capsys):
    def my_relu(z):
        return z * (z > 0)

    out, text = run(capsys, "relu", my_relu)
    assert out is my_relu and "using your relu" in text


def test_dense_without_bias_and_with_a_transposed_weight(capsys):
    assert_not_yet(capsys, "dense", lambda x, W, b: x @ W, "the bias b is missing")
    assert_not_yet(
        capsys, "dense", lambda x, W, b: (W.T @ x.T).T[:, :3], "wrong shape", "expected (6, 7)"
    )
    assert_not_yet(capsys, "dense", lambda x, W, b: x @ W.T + b, "matrix product does not fit")


def test_relu_mistakes(capsys):
    assert_not_yet(capsys, "relu", lambda z: (z > 0).astype(float), "this is the mask")
    assert_not_yet(capsys, "relu", lambda z: np.minimum(z, 0), "negative values are kept")


def test_forward_mistakes(capsys):
    def relu_on_logits(params, x):
        logits, cache = R["forward"](params, x)
        return np.maximum(logits, 0), cache

    def no_relu(params, x):
        h = x
        for W, b in params:
            h = h @ W + b
        return h, []

    assert_not_yet(capsys, "forward", relu_on_logits, "a ReLU after the last layer")
    assert_not_yet(capsys, "forward", no_relu, "no ReLU between the layers")
    assert_not_yet(capsys, "forward", lambda p, x: R["forward"](p, x)[0], "return 2 values")


def test_cross_entropy_missing_one_over_n_and_unstable(capsys):
    def summed(logits, labels):
        return R["cross_entropy"](logits, labels) * len(labels)

    def naive(logits, labels):
        with np.errstate(all="ignore"):
            p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
            return -np.mean(np.log(p[np.arange(len(labels)), labels]))

    assert_not_yet(capsys, "cross_entropy", summed, "the 1/N of the mean is missing")
    text = assert_not_yet(capsys, "cross_entropy", naive, "NaN or infinite")
    assert "subtract each row's maximum" in text


def test_cross_entropy_grad_mistakes(capsys):
    def no_mean(z, y):
        return R["cross_entropy_grad"](z, y) * len(y)

    def no_onehot(z, y):
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True) / len(y)

    assert_not_yet(capsys, "cross_entropy_grad", no_mean, "6 times too large", "1/N")
    assert_not_yet(capsys, "cross_entropy_grad", no_onehot, "subtract the one-hot labels")
    assert_not_yet(capsys, "cross_entropy_grad", lambda z, y: -no_mean(z, y) / 6, "sign")


def test_dense_backward_mistakes(capsys):
    def transposed(dz, x, W):
        return dz @ W.T, dz.T @ x, dz.sum(axis=0)

    def no_bias(dz, x, W):
        return dz @ W.T, x.T @ dz, np.zeros(W.shape[1])

    def not_summed(dz, x, W):
        return dz @ W.T, x.T @ dz, dz

    def averaged(dz, x, W):
        return dz @ W.T, x.T @ dz, dz.mean(axis=0)

    assert_not_yet(capsys, "dense_backward", transposed, "transpose of (12, 7)", "transposed")
    assert_not_yet(capsys, "dense_backward", no_bias, "all zeros")
    assert_not_yet(capsys, "dense_backward", not_summed, "one row per example", "sum(axis=0)")
    assert_not_yet(capsys, "dense_backward", averaged, "6 times too small")
    assert_not_yet(
        capsys,
        "dense_backward",
        lambda dz, x, W: (dz @ W, x.T @ dz, dz.sum(0)),
        "matrix product does not fit",
    )


def test_relu_backward_mask_on_the_wrong_tensor(capsys):
    assert_not_yet(capsys, "relu_backward", lambda dh, z: dh * (dh > 0), "mask on the wrong tensor")
    assert_not_yet(capsys, "relu_backward", lambda dh, z: dh * np.maximum(z, 0), "relu(z)")
    assert_not_yet(capsys, "relu_backward", lambda dh, z: dh, "ReLU is skipped")
    assert_not_yet(capsys, "relu_backward", lambda dh, z: (z > 0) * 1.0, "the mask (z > 0) alone")


def backward_with(dense_backward=None, relu_backward=None, grad_scale=1.0):
    """The reference backward with one piece swapped for a wrong one."""
    dense_backward = dense_backward or R["dense_backward"]
    relu_backward = relu_backward or R["relu_backward"]

    def backward(params, cache, labels):
        dz = R["cross_entropy_grad"](cache[-1][1], labels) * grad_scale
        grads = [None] * len(params)
        for i in reversed(range(len(params))):
            dh, dW, db = dense_backward(dz, cache[i][0], params[i][0])
            grads[i] = (dW, db)
            if i > 0:
                dz = relu_backward(dh, cache[i - 1][1])
        return grads

    return backward


def test_backward_diagnoses_each_layer(capsys):
    text = assert_not_yet(capsys, "backward", backward_with(grad_scale=6.0), "1/N of the mean")
    assert text.count("times too large") == 6  # every dW and db of 3 layers
    text = assert_not_yet(
        capsys,
        "backward",
        backward_with(relu_backward=lambda dh, z: dh * (dh > 0)),
        "ReLU mask on the wrong tensor",
    )
    assert "layer 3 dW   Correct" in text and "layer 3 db   Correct" in text  # last layer is right
    text = assert_not_yet(
        capsys,
        "backward",
        backward_with(dense_backward=lambda dz, x, W: (dz @ W.T, x.T @ dz, 0 * dz.sum(0))),
        "all zeros",
    )
    assert text.count("all zeros") == 3  # the forgotten bias gradient, in every layer
    transposed = backward_with(dense_backward=lambda dz, x, W: (dz @ W.T, (x.T @ dz).T, dz.sum(0)))
    assert_not_yet(capsys, "backward", transposed, "the matrix is transposed")


def test_backward_with_the_mask_from_the_layer_input(capsys):
    """Equal widths (7, 7) make the mask of the wrong tensor fit, so only the values tell."""

    def backward(params, cache, labels):
        dz = R["cross_entropy_grad"](cache[-1][1], labels)
        grads = [None] * len(params)
        for i in reversed(range(len(params))):
            dh, dW, db = R["dense_backward"](dz, cache[i][0], params[i][0])
            grads[i] = (dW, db)
            if i > 0:
                dz = dh * (cache[i - 1][0] > 0)  # the input of layer i-1, not its z
        return grads

    sizes = (7, 7, 7, 5)
    ok = sc._check_backward(backward, sizes=sizes)
    text = capsys.readouterr().out
    assert not ok and "the mask comes from the layer's input" in text, text


def test_numeric_gradient_mistakes(capsys):
    def no_restore(f, A, index, h=1e-5):
        A[index] += h
        return f()

    def one_sided_2h(f, A, index, h=1e-5):
        old = A[index]
        A[index] = old + h
        up = f()
        A[index] = old - h
        down = f()
        A[index] = old
        return (up - down) / h

    def forward_difference(f, A, index, h=1e-3):
        old = A[index]
        base = f()
        A[index] = old + h
        up = f()
        A[index] = old
        return (up - base) / h

    assert_not_yet(capsys, "numeric_gradient", no_restore, "put the entry back")
    assert_not_yet(capsys, "numeric_gradient", one_sided_2h, "divide by 2h")
    assert_not_yet(capsys, "numeric_gradient", forward_difference, "not centred")


def test_rel_error_and_sgd_mistakes(capsys):
    assert_not_yet(
        capsys, "rel_error", lambda a, b: np.abs(a - b) / np.maximum(np.abs(a), 1e-12), "|a| alone"
    )

    def uphill(params, grads, lr):
        return [(W + lr * dW, b + lr * db) for (W, b), (dW, db) in zip(params, grads, strict=True)]

    def weights_only(params, grads, lr):
        return [(W - lr * dW, b) for (W, b), (dW, _) in zip(params, grads, strict=True)]

    assert_not_yet(capsys, "sgd_step", uphill, "a step up the gradient")
    assert_not_yet(capsys, "sgd_step", weights_only, "b is unchanged")


def test_train_epoch_mistakes(capsys):
    def unshuffled(params, x, labels, batch_size, lr, rng):
        return R["train_epoch"](params, x, labels, batch_size, lr, _Identity())

    def drops_last(params, x, labels, batch_size, lr, rng):
        order = rng.permutation(len(x))
        for start in range(0, len(x) - batch_size + 1, batch_size):
            idx = order[start : start + batch_size]
            _, cache = R["forward"](params, x[idx])
            params = R["sgd_step"](params, R["backward"](params, cache, labels[idx]), lr)
        return params

    assert_not_yet(capsys, "train_epoch", unshuffled, "not shuffled")
    assert_not_yet(capsys, "train_epoch", drops_last, "the last, smaller batch is skipped")


class _Identity:
    def permutation(self, n):
        return np.arange(n)


@pytest.mark.parametrize("bad", [None, "0.5", True, (1, 2)])
def test_cmp_refuses_non_arrays_and_says_why(capsys, bad):
    assert not sc.cmp("x", bad, np.zeros(3))
    assert "Not yet" in capsys.readouterr().out


def test_cmp_reports_exact_tolerance_and_nan(capsys):
    ref = np.array([1.0, 2.0, 3.0])
    assert sc.cmp("x", ref.copy(), ref) and "exact" in capsys.readouterr().out
    assert sc.cmp("x", ref + 1e-12, ref) and "within tolerance" in capsys.readouterr().out
    assert not sc.cmp("x", ref + 1e-3, ref)
    assert "max difference 1.00e-03" in capsys.readouterr().out
    assert not sc.cmp("x", np.array([1.0, np.nan, 3.0]), ref)
    assert "NaN" in capsys.readouterr().out


def test_unknown_step_and_non_function(capsys):
    with pytest.raises(ValueError, match="no step named"):
        sc.checked("fowrard", R["forward"])
    out, text = run(capsys, "relu", 3)
    assert out is R["relu"] and "not a function" in text


# ------------------------------------- a second-year student's attempts (review of 04)


def test_forward_checks_the_cache_backward_reads(capsys):
    """Logits right but the cache keeps each layer's output: caught here, not in section 4."""

    def caches_outputs(params, x):
        cache, h = [], x
        for i, (W, b) in enumerate(params):
            z = x_ = h @ W + b
            h = np.maximum(z, 0) if i < len(params) - 1 else z
            cache.append((h, x_))
        return h, cache

    assert_not_yet(capsys, "forward", caches_outputs, "the cache keeps its INPUT")


def test_forward_hints_give_away_no_backward_formula(capsys):
    text = assert_not_yet(capsys, "dense", lambda x, W, b: W @ x + b, "which order gives")
    assert "W.T" not in text and "x.T" not in text, text


def test_cross_entropy_indexing_axis_and_class_mean(capsys):
    def log_p(logits):
        shifted = logits - logits.max(axis=1, keepdims=True)
        return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))

    def every_column(logits, labels):
        return -log_p(logits)[:, labels].mean()

    def over_all_entries(logits, labels):
        return -(np.eye(logits.shape[1])[labels] * log_p(logits)).mean()

    def column_softmax(logits, labels):
        shifted = logits - logits.max(axis=1, keepdims=True)
        lp = shifted - np.log(np.exp(shifted).sum(axis=0, keepdims=True))
        return -lp[np.arange(len(labels)), labels].mean()

    assert_not_yet(capsys, "cross_entropy", every_column, "one entry per image")
    assert_not_yet(capsys, "cross_entropy", over_all_entries, "the number of classes")
    assert_not_yet(capsys, "cross_entropy", column_softmax, "sum over axis=1")


def test_float32_results_are_accepted_with_a_note(capsys):
    """A right answer computed in float32 passes (float32 tolerance) and is told why to keep
    float64; the +1000 logits lose float32 digits but are no overflow."""

    def ce32(logits, labels):
        logits = logits.astype(np.float32)
        shifted = logits - logits.max(axis=1, keepdims=True)
        lp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        return -lp[np.arange(len(labels)), labels].mean()

    out, text = run(capsys, "cross_entropy", ce32)
    assert out is ce32 and "overflow" not in text, text
    assert "float32 tolerance" in text and "float64" in text, text


def test_equivalent_answers_written_differently_pass(capsys):
    def numeric_in_place(f, A, index, h=1e-5):  # A is back to rounding, not bit for bit
        A[index] += h
        up = f()
        A[index] -= 2 * h
        down = f()
        A[index] += h
        return (up - down) / (2 * h)

    def rel_where(a, b):
        a, b = np.asarray(a, float), np.asarray(b, float)
        d = np.abs(a) + np.abs(b)
        return np.divide(np.abs(a - b), d, out=np.zeros_like(d), where=d > 0)

    for name, fn in (
        ("numeric_gradient", numeric_in_place),
        ("rel_error", rel_where),
        ("dense", lambda x, W, b: np.einsum("ni,ij->nj", x, W) + b),
        ("relu_backward", lambda dh, z: np.where(z > 0, dh, 0.0)),
    ):
        out, text = run(capsys, name, fn)
        assert out is fn, text


def test_mask_from_the_wrong_layer_and_nan_in_rel_error(capsys):
    def mask_this_layer(params, cache, labels):
        dz = R["cross_entropy_grad"](cache[-1][1], labels)
        grads = [None] * len(params)
        for i in reversed(range(len(params))):
            dh, dW, db = R["dense_backward"](dz, cache[i][0], params[i][0])
            grads[i] = (dW, db)
            if i > 0:
                dz = dh * (cache[i][1] > 0)  # this layer's z: one layer too high
        return grads

    assert_not_yet(capsys, "backward", mask_this_layer, "the z of the layer below")

    def plain_formula(a, b):
        with np.errstate(invalid="ignore"):
            return np.abs(a - b) / (np.abs(a) + np.abs(b))

    assert_not_yet(capsys, "rel_error", plain_formula, "0 / 0 where a and b are both 0")


def test_more_named_mistakes(capsys):
    def every_row(logits, labels):
        p = np.exp(logits - logits.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        p[:, labels] -= 1
        return p / len(labels)

    def labels_unshuffled(params, x, labels, batch_size, lr, rng):
        order = rng.permutation(len(x))
        x = x[order]
        for start in range(0, len(x), batch_size):
            _, cache = R["forward"](params, x[start : start + batch_size])
            grads = R["backward"](params, cache, labels[start : start + batch_size])
            params = R["sgd_step"](params, grads, lr)
        return params

    assert_not_yet(capsys, "cross_entropy_grad", every_row, "once per row")
    assert_not_yet(capsys, "train_epoch", labels_unshuffled, "not the labels")
    assert_not_yet(capsys, "relu", lambda z: np.max(z, 0), "np.maximum(z, 0)")
    assert_not_yet(
        capsys,
        "dense_backward",
        lambda dz, x, W: (dz @ W.T, x.T @ dz, dz.sum(axis=0, keepdims=True)),
        "keepdims",
    )
