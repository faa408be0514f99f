"""What a network looks at, how to fool it, and when it should say "I don't know" (notebook 10).

Attribution maps (the input gradient, gradient x input, integrated gradients), a weight
randomisation for their sanity check, two attacks in the L-infinity ball (FGSM and PGD),
a short FGSM adversarial training of the flagship MLP, and predictive uncertainty (MC-Dropout,
a small deep ensemble) with the rejection curve that scores it.

Every score here is the **log-probability** of a class, ``log p_c(x)``: the models of the
series end in a softmax, and ``log p_c`` is a smooth function of the pixels whose gradient
is the cross-entropy's with the sign flipped. Images are ``(n, 28, 28)`` floats in [0, 1].
Gradients come from ``tf.GradientTape`` (the series runs Keras 3 on TensorFlow).
"""

from __future__ import annotations

import time

import numpy as np

from helpers import config, quiet

__all__ = [
    "ADVERSARIAL_EPOCHS",
    "accuracy_under_attack",
    "ensemble_predict",
    "fgsm",
    "gradient_x_input",
    "input_gradient",
    "integrated_gradients",
    "load_or_train_adversarial",
    "load_or_train_flagship_seed",
    "mc_dropout_predict",
    "noise_images",
    "pgd",
    "predictive_entropy",
    "randomized_copy",
    "rejection_curve",
    "smallest_flip",
    "train_adversarial",
]


def _images(x, name="x") -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    if x.ndim != 3 or x.shape[1:] != (28, 28):
        raise ValueError(f"{name} must hold 28x28 images, shape (n, 28, 28); got {x.shape}.")
    if x.size and (float(x.min()) < 0 or float(x.max()) > 1):
        raise ValueError(f"{name} must be pixels in [0, 1]; scale them first (x / 255).")
    return x


def _labels(y, n: int, name="y") -> np.ndarray:
    y = np.asarray(y)
    if y.shape != (n,) or y.dtype.kind not in "iu" or (n and (y.min() < 0 or y.max() > 9)):
        raise ValueError(f"{name} must be {n} integer digits 0..9, one per image; got {y!r:.80}.")
    return y.astype(np.int32)


# --------------------------------------------------------------------------- attributions


_COMPILED: dict = {}


def _compiled(model, kind: str):
    """One ``tf.function`` per model and kind, kept for the session (no eager overhead per call)."""
    import keras
    import tensorflow as tf

    key = (id(model), kind)
    if key in _COMPILED and _COMPILED[key][0] is model:
        return _COMPILED[key][1]
    if kind == "gradient":

        def fn(x, target):
            with tf.GradientTape() as tape:
                tape.watch(x)
                p = model(x, training=False)
                score = tf.math.log(tf.gather(p, target, axis=1, batch_dims=1) + 1e-12)
            return tape.gradient(score, x)

    else:  # "dropout": Dropout layers on, everything else (BatchNorm) in inference mode

        def fn(x, seed):  # seed: two int32; each Dropout layer draws its own stateless mask
            for i, layer in enumerate(model.layers):
                if isinstance(layer, keras.layers.Dropout):
                    keep = (
                        tf.random.stateless_uniform(tf.shape(x), seed + tf.constant([0, i]))
                        >= layer.rate
                    )
                    x = tf.where(keep, x / (1 - layer.rate), 0.0)
                else:
                    x = layer(x, training=False)
            return x

    compiled = tf.function(fn, reduce_retracing=True)
    _COMPILED[key] = (model, compiled)
    return compiled


def input_gradient(model, x, target, batch_size: int = 2000) -> np.ndarray:
    """d log p_target(x) / dx for every image: the saliency map before taking |.|.

    ``target``: one digit per image (the label, or the model's own prediction)."""
    import tensorflow as tf

    x = _images(x)
    target = _labels(target, len(x), "target")
    fn = _compiled(model, "gradient")
    out = np.empty_like(x)
    with quiet.retracing_warnings_hidden():
        for i in range(0, len(x), batch_size):
            sl = slice(i, i + batch_size)
            out[sl] = fn(tf.constant(x[sl]), tf.constant(target[sl])).numpy()
    return out


def gradient_x_input(model, x, target) -> np.ndarray:
    """The input gradient times the image, pixel by pixel (zero where there is no ink)."""
    return input_gradient(model, x, target) * _images(x)


def integrated_gradients(model, x, target, baseline=None, steps: int = 64) -> np.ndarray:
    """Integrated gradients from ``baseline`` (default: a blank image) to ``x``:

    (x - x') * mean over the midpoints a = (k - 1/2)/steps of grad F(x' + a (x - x')),

    the midpoint rule for the path integral; the attributions sum to F(x) - F(x') up to the
    rule's error, which shrinks as ``steps`` grows (the tests check it)."""
    x = _images(x)
    target = _labels(target, len(x), "target")
    base = np.zeros_like(x) if baseline is None else np.broadcast_to(baseline, x.shape)
    base = _images(np.array(base), "baseline")
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be a positive whole number, got {steps!r}.")
    alphas = (np.arange(steps) + 0.5) / steps  # the midpoints
    path = base[None] + alphas[:, None, None, None] * (x - base)[None]  # (steps, n, 28, 28)
    grads = input_gradient(model, path.reshape(-1, 28, 28), np.tile(target, steps))
    return (x - base) * grads.reshape(path.shape).mean(axis=0)


def log_probability(model, x, target) -> np.ndarray:
    """log p_target(x) for every image: the score the attributions explain."""
    x = _images(x)
    target = _labels(target, len(x), "target")
    with quiet.retracing_warnings_hidden():
        p = np.asarray(model(x, training=False), dtype=np.float64)
    return np.log(p[np.arange(len(x)), target] + 1e-12)


def randomized_copy(model, n_top: int, seed: int = config.SEED):
    """A copy of ``model`` whose top ``n_top`` weighted layers (Dense or Conv2D, counted
    from the output) have fresh He-uniform random weights (biases zero);
    the layers below keep the trained weights. Adebayo et al. (2018)'s cascading
    randomisation: an explanation of the *model* must change when its weights do."""
    import keras

    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    weighted = [
        layer
        for layer in copy.layers
        if isinstance(layer, keras.layers.Dense | keras.layers.Conv2D)
    ]
    if not 0 <= n_top <= len(weighted):
        raise ValueError(f"n_top must be between 0 and {len(weighted)}, got {n_top}.")
    rng = np.random.default_rng(seed)
    for layer in weighted[len(weighted) - n_top :]:
        kernel, bias = layer.kernel, layer.bias
        fan_in = int(np.prod(kernel.shape[:-1]))
        limit = np.sqrt(6 / fan_in)  # He-uniform, the series' initialiser for ReLU layers
        kernel.assign(rng.uniform(-limit, limit, kernel.shape).astype("float32"))
        if bias is not None:
            bias.assign(np.zeros(bias.shape, dtype="float32"))
    return copy


# --------------------------------------------------------------------------- attacks


def _check_eps(eps) -> float:
    if isinstance(eps, bool) or not np.isfinite(eps) or not 0 <= float(eps) <= 1:
        raise ValueError(f"eps must be a number in [0, 1] (pixel units), got {eps!r}.")
    return float(eps)


def loss_gradient(model, x, y) -> np.ndarray:
    """d(cross-entropy)/dx = -d log p_y / dx: the direction that makes the label less likely."""
    return -input_gradient(model, x, y)


def fgsm(model, x, y, eps) -> np.ndarray:
    """The fast gradient sign method: x + eps * sign(d loss / dx), clipped to [0, 1]."""
    eps = _check_eps(eps)
    x = _images(x)
    return np.clip(x + eps * np.sign(loss_gradient(model, x, y)), 0, 1).astype(np.float32)


def pgd(model, x, y, eps, steps: int = 10, step_size=None, random_start=None) -> np.ndarray:
    """Projected gradient descent in the L-infinity ball: ``steps`` FGSM steps of
    ``step_size`` (default 2.5 eps / steps), each followed by projection back into
    [x - eps, x + eps] and [0, 1]. Starts at x, so it is deterministic; ``random_start``
    (a seed) starts instead at a point drawn uniformly from the ball (clipped to [0, 1]),
    as Madry et al. (2018) do for restarts."""
    eps = _check_eps(eps)
    x = _images(x)
    step = 2.5 * eps / steps if step_size is None else float(step_size)
    adv = x.copy()
    if random_start is not None:
        jitter = np.random.default_rng(random_start).uniform(-eps, eps, x.shape)
        adv = np.clip(x + jitter, 0, 1).astype(np.float32)
    for _ in range(steps):
        adv = adv + step * np.sign(loss_gradient(model, adv, y))
        adv = np.clip(np.clip(adv, x - eps, x + eps), 0, 1).astype(np.float32)
    return adv


def predict(model, x, batch_size: int = 1000) -> np.ndarray:
    """The model's probabilities (inference mode), in batches."""
    x = np.asarray(x, dtype=np.float32)
    out = []
    with quiet.retracing_warnings_hidden():
        for i in range(0, len(x), batch_size):
            out.append(np.asarray(model(x[i : i + batch_size], training=False)))
    return np.concatenate(out) if out else np.zeros((0, 10), dtype=np.float32)


def accuracy_under_attack(model, x, y, eps_values, attack="fgsm", batch_size=1000, **kwargs):
    """{eps: share of images still read right after ``attack`` ("fgsm" or "pgd") with eps}."""
    attack_fn = {"fgsm": fgsm, "pgd": pgd}[attack]
    x = _images(x)
    y = _labels(y, len(x))
    result = {}
    for eps in eps_values:
        right = 0
        for i in range(0, len(x), batch_size):
            xb, yb = x[i : i + batch_size], y[i : i + batch_size]
            adv = attack_fn(model, xb, yb, eps, **kwargs) if eps > 0 else xb
            right += int(np.sum(predict(model, adv).argmax(axis=1) == yb))
        result[float(eps)] = right / len(x)
    return result


def smallest_flip(model, x, y, eps_grid, attack="pgd", **kwargs):
    """For each image, the smallest eps of ``eps_grid`` at which ``attack`` changes the
    model's digit, and that adversarial image. Returns ``(eps, adversarial, predicted)``;
    eps is NaN (and the image unchanged) where no eps of the grid flips it."""
    attack_fn = {"fgsm": fgsm, "pgd": pgd}[attack]
    x = _images(x)
    y = _labels(y, len(x))
    found = np.full(len(x), np.nan)
    adv_out = x.copy()
    pred_out = predict(model, x).argmax(axis=1)
    for eps in sorted(eps_grid):
        todo = np.flatnonzero(np.isnan(found))
        if not len(todo):
            break
        adv = attack_fn(model, x[todo], y[todo], eps, **kwargs)
        pred = predict(model, adv).argmax(axis=1)
        flipped = pred != y[todo]
        found[todo[flipped]] = eps
        adv_out[todo[flipped]] = adv[flipped]
        pred_out[todo[flipped]] = pred[flipped]
    return found, adv_out, pred_out


# --------------------------------------------------------------------------- uncertainty


def predictive_entropy(p) -> np.ndarray:
    """-sum_k p_k log p_k per row (nats): 0 for a sure answer, log 10 for ten equal ones."""
    p = np.asarray(p, dtype=np.float64)
    if p.ndim != 2 or np.any(p < 0) or not np.allclose(p.sum(axis=1), 1, atol=1e-4):
        raise ValueError("p must be rows of probabilities (n, classes), each summing to 1.")
    return -np.sum(np.where(p > 0, p * np.log(np.where(p > 0, p, 1)), 0.0), axis=1)


def mc_dropout_predict(model, x, samples: int = 30, seed: int = config.SEED, batch_size=2000):
    """MC-Dropout: ``samples`` forward passes with the Dropout layers **on** (each unit kept
    with probability 1 - rate and scaled by 1 / (1 - rate), as Keras's Dropout does in
    training) and everything else (BatchNorm) in inference mode. The masks come from
    stateless draws keyed by ``seed``, so the same call gives the same numbers.
    Returns an array (samples, n, 10)."""
    import tensorflow as tf

    x = _images(x)
    fn = _compiled(model, "dropout")
    out = np.empty((samples, len(x), 10), dtype=np.float32)
    with quiet.retracing_warnings_hidden():
        for s in range(samples):
            for i in range(0, len(x), batch_size):
                key = tf.constant([seed, s * 100_000 + i], dtype=tf.int32)  # a mask per sample
                out[s, i : i + batch_size] = fn(tf.constant(x[i : i + batch_size]), key).numpy()
    return out


def ensemble_predict(models, x) -> np.ndarray:
    """Every member's probabilities, an array (members, n, 10)."""
    x = _images(x)
    return np.stack([predict(m, x) for m in models])


def rejection_curve(confidence, correct, refused_shares):
    """Accuracy on the inputs kept when the least confident share is refused.

    For every share r of ``refused_shares`` (0 <= r < 1), the round(r n) inputs with the
    lowest ``confidence`` are refused (ties: the later input first, a stable order) and the
    accuracy of the rest is returned. Returns an array, one accuracy per share.
    """
    confidence = np.asarray(confidence, dtype=np.float64)
    correct = np.asarray(correct)
    if confidence.ndim != 1 or correct.shape != confidence.shape or not len(correct):
        raise ValueError("confidence and correct must be 1-D, of the same non-zero length.")
    if correct.dtype != bool:
        raise ValueError("correct must be booleans: True where the model was right.")
    order = np.argsort(-confidence, kind="stable")  # most confident first
    hits = np.cumsum(correct[order])
    out = []
    for r in refused_shares:
        if not 0 <= r < 1:
            raise ValueError(f"a refused share must be in [0, 1), got {r!r}.")
        kept = len(correct) - int(np.rint(r * len(correct)))
        out.append(hits[kept - 1] / kept)
    return np.array(out)


def noise_images(n: int, seed: int = config.SEED) -> np.ndarray:
    """``n`` images that are not digits: blurred random blobs, as bright and as sparse as
    MNIST's ink on average (about a fifth of the pixels inked)."""
    from scipy import ndimage

    rng = np.random.default_rng(seed)
    raw = ndimage.gaussian_filter(rng.random((n, 28, 28)), sigma=(0, 1.5, 1.5))
    cut = np.quantile(raw.reshape(n, -1), 0.81, axis=1)[:, None, None]
    return np.clip((raw - cut) / (raw.max(axis=(1, 2), keepdims=True) - cut), 0, 1).astype(
        "float32"
    )


# --------------------------------------------------------------------------- models


def _flagship_seed_path(seed: int):
    return config.artifacts_dir() / f"flagship_seed{seed}.keras"


def load_or_train_flagship_seed(seed: int, split):
    """The flagship MLP trained with notebook 06's recipe and ``seed``: seed 0 is notebook
    06's own model (:func:`helpers.training.load_or_train_flagship`); other seeds are loaded
    from ``artifacts/<mode>/flagship_seed<seed>.keras`` when trained earlier with exactly
    this recipe, split and seed (checksummed, :mod:`helpers.modelio`), otherwise trained
    now and saved there. Prints one line saying which."""
    from helpers import modelio, training

    if seed == config.SEED:
        return training.load_or_train_flagship()
    path = _flagship_seed_path(seed)
    wanted = training.flagship_info(training.IMPROVED_RECIPE, split, seed)  # Keras version too
    if path.exists() and modelio.read_info(path) == wanted:
        model = modelio.load_model(path)  # checksum verified, safe_mode on
        print(f"Loaded the flagship, seed {seed}, from {path.parent.name}/{path.name}.")
        return model
    model, history, seconds = training.train_flagship(
        split.x_fit, split.y_fit, split.x_val, split.y_val, training.IMPROVED_RECIPE,
        seed=seed, verbose=0,
    )  # fmt: skip
    path.parent.mkdir(parents=True, exist_ok=True)
    modelio.save_model(model, path, info=wanted)
    print(
        f"Trained the flagship, seed {seed} (notebook 06's recipe, {len(history.epoch)} epochs, "
        f"{seconds:.0f} s); saved to {path.parent.name}/{path.name}."
    )
    return model


#: Epochs of the short adversarial training (FAST mode: 1).
ADVERSARIAL_EPOCHS = 5


def train_adversarial(split, eps: float, seed: int = config.SEED, epochs=None, batch_size=256):
    """The flagship's layers (Dropout 0.3) trained for a few epochs on batches that hold
    each fit image twice: as it is and as FGSM with ``eps`` against the current weights
    makes it (eps = 0: the clean image twice, the same loop at the same cost). Adam with
    notebook 06's warm-up and cosine schedule. Returns ``(model, seconds)``."""
    import keras
    import tensorflow as tf

    from helpers import models, training

    eps = _check_eps(eps)
    epochs = (1 if config.is_fast() else ADVERSARIAL_EPOCHS) if epochs is None else epochs
    x = _images(split.x_fit)
    y = _labels(split.y_fit, len(x))
    keras.utils.set_random_seed(seed)
    model = models.build_flagship(dropout=(0.3, 0.3, 0.3), batchnorm=True)
    steps = -(-len(x) // batch_size)
    schedule = training.warmup_cosine(4e-3, epochs, min(1, epochs - 1), steps)
    optimizer = keras.optimizers.Adam(learning_rate=schedule)
    ce = keras.losses.SparseCategoricalCrossentropy()

    @tf.function
    def step(xb, yb):
        with tf.GradientTape() as tape:
            tape.watch(xb)
            loss = ce(yb, model(xb, training=False))
        adv = tf.clip_by_value(xb + eps * tf.sign(tape.gradient(loss, xb)), 0.0, 1.0)
        both, labels = tf.concat([xb, adv], 0), tf.concat([yb, yb], 0)
        with tf.GradientTape() as tape:
            loss = ce(labels, model(both, training=True))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=True))
        return loss

    rng = np.random.default_rng(seed)
    start = time.perf_counter()
    for _ in range(epochs):
        order = rng.permutation(len(x))
        for i in range(0, len(x), batch_size):
            idx = order[i : i + batch_size]
            step(tf.constant(x[idx]), tf.constant(y[idx]))
    return model, time.perf_counter() - start


def _adversarial_path(eps: float, seed: int):
    return config.artifacts_dir() / f"flagship_fgsm{round(1000 * eps):03d}_seed{seed}.keras"


def load_or_train_adversarial(split, eps: float, seed: int = config.SEED):
    """``(model, seconds)`` of :func:`train_adversarial`: loaded (checksummed) when trained
    earlier with this eps, seed, split and number of epochs, otherwise trained and saved."""
    import keras

    from helpers import modelio

    epochs = 1 if config.is_fast() else ADVERSARIAL_EPOCHS
    how = {"fgsm_eps": float(eps), "epochs": epochs, "split": split.describe(), "seed": seed}
    how["keras"] = keras.__version__  # a file saved by a newer Keras may not load in an older one
    path = _adversarial_path(eps, seed)
    stored = modelio.read_info(path) if path.exists() else None
    if stored and stored.get("how") == how:
        model = modelio.load_model(path, compile=False)
        print(f"Loaded {path.name} (trained earlier in {stored['seconds']:.0f} s).")
        return model, float(stored["seconds"])
    model, seconds = train_adversarial(split, eps, seed=seed, epochs=epochs)
    modelio.save_model(model, path, info={"how": how, "seconds": seconds})
    print(f"Trained the MLP with FGSM eps = {eps:g} for {epochs} epochs in {seconds:.0f} s.")
    return model, seconds


# --------------------------------------------------------------------------- non-digits

#: Capital letters as pen strokes on the drawing pad's 280 px canvas (polylines of (x, y)),
#: none of them shaped like a digit (no I, O, S, Z, B, G, L, Q, D).
LETTER_STROKES = {
    "A": [[(60, 240), (140, 40), (220, 240)], [(95, 160), (185, 160)]],
    "E": [[(200, 40), (80, 40), (80, 240), (200, 240)], [(80, 140), (180, 140)]],
    "F": [[(200, 40), (80, 40), (80, 240)], [(80, 140), (180, 140)]],
    "H": [[(70, 40), (70, 240)], [(210, 40), (210, 240)], [(70, 140), (210, 140)]],
    "K": [[(80, 40), (80, 240)], [(210, 40), (80, 150)], [(120, 120), (210, 240)]],
    "M": [[(50, 240), (60, 40), (140, 170), (220, 40), (230, 240)]],
    "N": [[(70, 240), (70, 40), (210, 240), (210, 40)]],
    "R": [
        [(80, 240), (80, 40), (170, 45), (200, 90), (170, 135), (80, 140)],
        [(130, 140), (210, 240)],
    ],
    "T": [[(50, 40), (230, 40)], [(140, 40), (140, 240)]],
    "V": [[(60, 40), (140, 240), (220, 40)]],
    "W": [[(40, 40), (90, 240), (140, 100), (190, 240), (240, 40)]],
    "X": [[(60, 40), (220, 240)], [(220, 40), (60, 240)]],
    "Y": [[(60, 40), (140, 140), (220, 40)], [(140, 140), (140, 240)]],
}


def letter_images(per_letter: int = 10, seed: int = config.SEED):
    """``(images, letters)``: every letter of :data:`LETTER_STROKES` drawn ``per_letter``
    times with the pad's pen (:func:`helpers.pad.draw_strokes`), each time with its points
    moved at random by up to 15 px, and prepared exactly like a drawing on the pad
    (:func:`helpers.images.prepare_digit`): (n, 28, 28) in [0, 1]."""
    from helpers import images, pad

    rng = np.random.default_rng(seed)
    out, names = [], []
    for letter, strokes in LETTER_STROKES.items():
        for _ in range(per_letter):
            moved = [[(x + rng.uniform(-15, 15), y + rng.uniform(-15, 15)) for x, y in line]
                     for line in strokes]  # fmt: skip
            out.append(images.prepare_digit(pad.draw_strokes(moved)))
            names.append(letter)
    return np.stack(out).astype(np.float32), np.array(names)
