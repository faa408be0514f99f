"""helpers.explain: attributions, attacks, the rejection curve and predictive uncertainty.

Small Keras models with known weights stand in for the series' nets, so every expected
value is computed by hand or by NumPy, independently of TensorFlow's autodiff.
"""

import numpy as np
import pytest

from helpers import explain

keras = pytest.importorskip("keras")


def linear_softmax(weights, bias=None):
    """Flatten -> Dense(10, softmax) with the given (784, 10) weights."""
    model = keras.Sequential(
        [
            keras.Input((28, 28)),
            keras.layers.Flatten(),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model.layers[-1].set_weights(
        [weights.astype("float32"), np.zeros(10, "float32") if bias is None else bias]
    )
    return model


def smooth_net(seed=0):
    """A small smooth net (tanh), so the midpoint rule of integrated gradients converges fast."""
    keras.utils.set_random_seed(seed)
    return keras.Sequential(
        [
            keras.Input((28, 28)),
            keras.layers.Flatten(),
            keras.layers.Dense(16, activation="tanh"),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


RNG = np.random.default_rng(0)
X = RNG.random((4, 28, 28)).astype("float32")
Y = np.array([3, 0, 9, 5])


def test_input_gradient_is_the_softmax_gradient_of_a_linear_model():
    w = RNG.normal(0, 0.05, (784, 10))
    model = linear_softmax(w)
    p = softmax(X.reshape(4, -1) @ w)
    # d log p_y / dx = W[:, y] - W p  (by hand, NumPy)
    expected = (w[:, Y].T - p @ w.T).reshape(X.shape)
    assert np.allclose(explain.input_gradient(model, X, Y), expected, atol=1e-5)
    assert np.allclose(explain.gradient_x_input(model, X, Y), expected * X, atol=1e-5)


def test_input_gradient_matches_finite_differences():
    model = smooth_net()
    x = X[:1].astype("float64")
    g = explain.input_gradient(model, X[:1], Y[:1])[0]
    h = 1e-2
    for r, c in [(5, 5), (14, 14), (20, 7)]:
        up, down = x.copy(), x.copy()
        up[0, r, c] += h
        down[0, r, c] -= h
        fd = (
            explain.log_probability(model, up.astype("float32"), Y[:1])
            - explain.log_probability(model, down.astype("float32"), Y[:1])
        )[0] / (2 * h)
        assert fd == pytest.approx(g[r, c], abs=2e-3)


def test_integrated_gradients_complete_the_score_difference():
    model = smooth_net()
    base = np.zeros_like(X)
    diff = explain.log_probability(model, X, Y) - explain.log_probability(model, base, Y)
    gaps = []
    for steps in (4, 64):
        ig = explain.integrated_gradients(model, X, Y, steps=steps)
        gaps.append(np.abs(ig.sum(axis=(1, 2)) - diff).max())
    assert gaps[1] < 1e-3 * max(1.0, np.abs(diff).max())  # completeness, numerically
    assert gaps[1] < gaps[0]  # and the midpoint rule converges


def test_integrated_gradients_of_a_linear_score_are_exact():
    """For log p of a linear softmax the path integral has no closed form, but for a single
    logit it does: IG_i = (x_i - x'_i) w_i. A two-class model with one column makes log p
    nonlinear; so check with a baseline equal to x instead: all attributions are zero."""
    model = linear_softmax(RNG.normal(0, 0.05, (784, 10)))
    ig = explain.integrated_gradients(model, X, Y, baseline=X, steps=8)
    assert np.allclose(ig, 0)


def test_fgsm_against_a_hand_case():
    w = np.zeros((784, 10))
    w[0, 3] = 1.0  # only pixel (0, 0) matters, and only for digit 3
    model = linear_softmax(w)
    x = np.full((1, 28, 28), 0.5, dtype="float32")
    x[0, 0, 0] = 0.02
    # loss = -log p_3; d loss / d x00 = p_3 - 1 < 0, so FGSM lowers x00 by eps (clipped at 0);
    # every other pixel has gradient 0 and stays.
    adv = explain.fgsm(model, x, np.array([3]), 0.1)
    expected = x.copy()
    expected[0, 0, 0] = 0.0
    assert np.allclose(adv, expected)
    x[0, 0, 0] = 0.5
    adv = explain.fgsm(model, x, np.array([3]), 0.1)
    assert adv[0, 0, 0] == pytest.approx(0.4)
    # for another label the gradient is p_3 > 0: the pixel goes up
    adv = explain.fgsm(model, x, np.array([7]), 0.1)
    assert adv[0, 0, 0] == pytest.approx(0.6) and np.allclose(adv[0].ravel()[1:], 0.5)


def test_fgsm_matches_numpy_on_a_linear_model():
    w = RNG.normal(0, 0.05, (784, 10))
    model = linear_softmax(w)
    p = softmax(X.reshape(4, -1) @ w)
    loss_grad = (p @ w.T - w[:, Y].T).reshape(X.shape)
    expected = np.clip(X + 0.07 * np.sign(loss_grad), 0, 1)
    assert np.allclose(explain.fgsm(model, X, Y, 0.07), expected, atol=1e-6)


def test_pgd_stays_in_the_ball_and_one_full_step_is_fgsm():
    model = smooth_net()
    adv = explain.pgd(model, X, Y, 0.1, steps=7)
    assert np.all(np.abs(adv - X) <= 0.1 + 1e-6) and adv.min() >= 0 and adv.max() <= 1
    one = explain.pgd(model, X, Y, 0.1, steps=1, step_size=0.1)
    assert np.allclose(one, explain.fgsm(model, X, Y, 0.1), atol=1e-6)
    right = explain.predict(model, X).argmax(1) == Y
    acc = explain.accuracy_under_attack(model, X, Y, [0.0, 0.2], attack="pgd")
    assert acc[0.0] == pytest.approx(right.mean())


def test_pgd_random_start_stays_in_the_ball_and_repeats_with_its_seed():
    model = smooth_net()
    a = explain.pgd(model, X, Y, 0.1, steps=3, random_start=1)
    assert np.all(np.abs(a - X) <= 0.1 + 1e-6) and a.min() >= 0 and a.max() <= 1
    assert np.array_equal(a, explain.pgd(model, X, Y, 0.1, steps=3, random_start=1))
    assert not np.array_equal(a, explain.pgd(model, X, Y, 0.1, steps=3, random_start=2))
    assert not np.array_equal(a, explain.pgd(model, X, Y, 0.1, steps=3))
    start = explain.pgd(model, X, Y, 0.1, steps=0, step_size=0.01, random_start=1)  # the start
    assert np.abs(start - X).max() > 0.05  # spread over the ball, not at x


def test_attack_inputs_are_checked():
    model = smooth_net()
    with pytest.raises(ValueError, match="eps"):
        explain.fgsm(model, X, Y, 2)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        explain.fgsm(model, X * 255, Y, 0.1)
    with pytest.raises(ValueError, match="digits"):
        explain.fgsm(model, X, Y[:2], 0.1)


def test_smallest_flip_is_the_first_eps_of_the_grid_that_flips():
    model = smooth_net()
    y = explain.predict(model, X).argmax(1)  # the model's own digits: eps 0 flips none
    grid = [0.01, 0.03, 0.1, 0.3, 1.0]
    eps, adv, pred = explain.smallest_flip(model, X, y, grid, attack="fgsm")
    for i in range(len(X)):
        if np.isnan(eps[i]):
            assert np.array_equal(adv[i], X[i]) and pred[i] == y[i]
            continue
        assert pred[i] != y[i] and np.abs(adv[i] - X[i]).max() <= eps[i] + 1e-6
        earlier = [e for e in grid if e < eps[i]]
        if earlier:
            before = explain.fgsm(model, X[i : i + 1], y[i : i + 1], earlier[-1])
            assert explain.predict(model, before).argmax(1)[0] == y[i]


def test_rejection_curve_on_synthetic_data():
    rng = np.random.default_rng(1)
    correct = rng.random(1000) < 0.9
    # a perfect confidence: every mistake less confident than every right answer
    confidence = correct + rng.random(1000) * 0.5
    errors = 1 - correct.mean()
    shares = [0.0, errors / 2, errors, 0.5]
    acc = explain.rejection_curve(confidence, correct, shares)
    assert acc[0] == pytest.approx(correct.mean())
    assert acc[2] == pytest.approx(1.0) and acc[3] == pytest.approx(1.0)
    kept = 1000 - round(errors / 2 * 1000)
    assert acc[1] == pytest.approx(correct.sum() / kept)
    # the worst confidence: the mistakes are the most confident; refusing helps nothing
    worst = explain.rejection_curve(-confidence, correct, shares)
    assert worst[3] < worst[0]
    # by hand: confidences 0.9, 0.8, 0.7, 0.6 with right, wrong, right, wrong
    acc = explain.rejection_curve(
        [0.9, 0.8, 0.7, 0.6], np.array([1, 0, 1, 0], bool), [0, 0.25, 0.5, 0.75]
    )
    assert np.allclose(acc, [0.5, 2 / 3, 0.5, 1.0])


def test_rejection_curve_refuses_bad_input():
    with pytest.raises(ValueError, match="booleans"):
        explain.rejection_curve([0.5, 0.6], [1, 0], [0])
    with pytest.raises(ValueError, match="share"):
        explain.rejection_curve([0.5, 0.6], np.array([True, False]), [1.0])


def test_predictive_entropy():
    p = np.array([[1.0] + [0.0] * 9, [0.1] * 10, [0.5, 0.5] + [0.0] * 8])
    assert np.allclose(explain.predictive_entropy(p), [0, np.log(10), np.log(2)])
    with pytest.raises(ValueError):
        explain.predictive_entropy([[0.5, 0.6]])


def test_mc_dropout_varies_only_with_dropout_and_keeps_batchnorm_in_inference():
    keras.utils.set_random_seed(0)
    layers = [keras.Input((28, 28)), keras.layers.Flatten(), keras.layers.Dense(32, activation="relu"),
              keras.layers.BatchNormalization()]  # fmt: skip
    plain = keras.Sequential([*layers, keras.layers.Dense(10, activation="softmax")])
    samples = explain.mc_dropout_predict(plain, X, samples=3)
    assert np.allclose(samples, explain.predict(plain, X)[None], atol=1e-6)  # BN: running stats
    keras.utils.set_random_seed(0)
    with_dropout = keras.Sequential(
        [keras.Input((28, 28)), keras.layers.Flatten(), keras.layers.Dense(32, activation="relu"),
         keras.layers.Dropout(0.5), keras.layers.Dense(10, activation="softmax")]
    )  # fmt: skip
    samples = explain.mc_dropout_predict(with_dropout, X, samples=3)
    assert samples.shape == (3, 4, 10) and not np.allclose(samples[0], samples[1])
    assert np.allclose(samples.sum(axis=2), 1, atol=1e-5)
    again = explain.mc_dropout_predict(with_dropout, X, samples=3)
    assert np.allclose(samples, again)  # seeded: the same masks


def test_randomized_copy_changes_only_the_top_layers():
    model = smooth_net()
    before = [w.copy() for w in model.get_weights()]
    copy = explain.randomized_copy(model, 1)
    after = copy.get_weights()
    assert np.allclose(after[0], before[0]) and np.allclose(after[1], before[1])  # hidden kept
    assert not np.allclose(after[2], before[2])  # output layer new
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), before, strict=True))
    assert not np.allclose(explain.randomized_copy(model, 2).get_weights()[0], before[0])
    with pytest.raises(ValueError, match="n_top"):
        explain.randomized_copy(model, 3)


def test_noise_images_are_sparse_images_in_range():
    noise = explain.noise_images(5, seed=1)
    assert noise.shape == (5, 28, 28) and noise.min() >= 0 and noise.max() <= 1
    inked = (noise > 0).mean(axis=(1, 2))
    assert np.all((inked > 0.1) & (inked < 0.3))
    assert np.array_equal(noise, explain.noise_images(5, seed=1))


# --------------------------------------------------------------------------- the checkers


def test_exercise_10_checkers_accept_solutions_and_explain_mistakes(capsys):
    from helpers import checks

    assert checks.exercise_10_1(lambda x, g, e: np.clip(x + e * np.sign(g), 0, 1))
    assert not checks.exercise_10_1(lambda x, g, e: x + e * np.sign(g))
    assert "clip" in capsys.readouterr().out
    assert not checks.exercise_10_1(lambda x, g, e: np.clip(x - e * np.sign(g), 0, 1))
    assert "against the gradient" in capsys.readouterr().out
    assert not checks.exercise_10_1(lambda x, g, e: np.clip(x + e * g, 0, 1))
    assert "sign" in capsys.readouterr().out
    assert not checks.exercise_10_1(...)
    assert not checks.exercise_10_1(3.7)

    def entropy(p):
        p = np.asarray(p)
        return -np.sum(p * np.log(np.where(p > 0, p, 1.0)), axis=1)

    assert checks.exercise_10_2(entropy)
    assert not checks.exercise_10_2(lambda p: -entropy(p))
    assert "sign" in capsys.readouterr().out
    assert not checks.exercise_10_2(lambda p: entropy(p) / np.log(2))
    assert "bits" in capsys.readouterr().out
    with np.errstate(divide="ignore", invalid="ignore"):  # the learner's log(0)
        assert not checks.exercise_10_2(lambda p: -np.sum(np.asarray(p) * np.log(p), axis=1))
    assert "NaN" in capsys.readouterr().out

    def refuse(confidence, correct, share):
        order = np.argsort(-np.asarray(confidence))
        kept = len(order) - int(np.rint(share * len(order)))
        return float(np.mean(np.asarray(correct)[order[:kept]]))

    assert checks.exercise_10_3(refuse)
    assert not checks.exercise_10_3(lambda c, k, s: refuse(-np.asarray(c), k, s))
    assert "MOST confident" in capsys.readouterr().out
    assert not checks.exercise_10_3(lambda c, k, s: 100 * refuse(c, k, s))
    assert "percentage" in capsys.readouterr().out
    assert not checks.exercise_10_3(lambda c, k, s: float(np.mean(k)))
    assert not checks.exercise_10_3(lambda c, k, s: np.array([refuse(c, k, s)] * 2))
    assert not checks.exercise_10_3(True)


# --------------------------------------------------------------------------- models and inputs


class TinySplit:
    """A few hundred fit images, enough for one quick epoch."""

    def __init__(self, n=256):
        rng = np.random.default_rng(3)
        self.x_fit = rng.random((n, 28, 28)).astype("float32")
        self.y_fit = rng.integers(0, 10, n)

    def describe(self):
        return "tiny random split for tests"


def test_adversarial_training_is_saved_with_how_it_was_trained_and_loaded_again(
    tmp_path, monkeypatch, capsys
):
    from helpers import config

    monkeypatch.setattr(config, "artifacts_dir", lambda: tmp_path)
    split = TinySplit()
    model, seconds = explain.load_or_train_adversarial(split, 0.1)
    assert "Trained" in capsys.readouterr().out and seconds > 0
    p = explain.predict(model, split.x_fit[:5])
    assert p.shape == (5, 10) and np.allclose(p.sum(axis=1), 1, atol=1e-5)
    again, _ = explain.load_or_train_adversarial(split, 0.1)
    assert "Loaded" in capsys.readouterr().out
    assert np.allclose(explain.predict(again, split.x_fit[:5]), p, atol=1e-6)
    explain.load_or_train_adversarial(split, 0.05)  # another eps: another file, trained
    assert "Trained" in capsys.readouterr().out
    assert len(list(tmp_path.glob("flagship_fgsm*.keras"))) == 2


def test_letters_are_prepared_like_pad_drawings():
    letters, names = explain.letter_images(per_letter=2, seed=4)
    assert letters.shape == (2 * len(explain.LETTER_STROKES), 28, 28)
    assert letters.min() >= 0 and letters.max() <= 1 and set(names) == set(explain.LETTER_STROKES)
    inked = (letters > 0.5).mean(axis=(1, 2))
    assert np.all((inked > 0.03) & (inked < 0.4))  # strokes of MNIST's width, not blobs
    again, _ = explain.letter_images(per_letter=2, seed=4)
    assert np.array_equal(letters, again)


# --------------------------------------------------------------------------- the pad option


def test_pad_explain_option_adds_saliency_and_disagreement():
    from helpers import pad

    drawing = pad.draw_strokes(pad.THREE)
    models = {"a": smooth_net(0), "b": smooth_net(1), "c": smooth_net(2)}
    reading = pad.explain_reading(pad.read_drawing(drawing, models), models)
    sal = reading["saliency"]
    assert sal.shape == (28, 28) and sal.min() >= 0 and np.isclose(sal.max(), 1)
    first = reading["models"][0]
    g = np.abs(explain.input_gradient(models["a"], reading["image"][None], [first["digit"]])[0])
    assert np.allclose(sal, g / g.max(), atol=1e-6)
    d = reading["disagreement"]
    p = np.stack([r["probabilities"] for r in reading["models"]])
    assert d["digit"] == int(p.mean(axis=0).argmax()) and d["of"] == 3
    assert d["agree"] == sum(r["digit"] == d["digit"] for r in reading["models"])
    h_mean = explain.predictive_entropy(p.mean(axis=0, keepdims=True))[0]
    assert d["mutual_information"] == pytest.approx(
        max(h_mean - explain.predictive_entropy(p).mean(), 0)
    )
    sent = pad._to_front_end(reading)
    assert len(sent["saliency"]) == 784 and max(sent["saliency"]) == 255
    assert "of them" in sent["disagreement"] and "nats" in sent["disagreement"]
    # the same model three times: no disagreement; one model: no disagreement line
    same = {"a": models["a"], "b": models["a"], "c": models["a"]}
    calm = pad.explain_reading(pad.read_drawing(drawing, same), same)["disagreement"]
    assert calm["agree"] == 3 and calm["mutual_information"] == pytest.approx(0, abs=1e-6)
    alone = pad.explain_reading(pad.read_drawing(drawing, models["a"]), models["a"])
    assert "disagreement" not in alone and "disagreement" not in pad._to_front_end(alone)
    plain = pad._to_front_end(pad.read_drawing(drawing, models))
    assert "saliency" not in plain and "disagreement" not in plain  # off by default
