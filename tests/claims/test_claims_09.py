"""Notebook 09's run-dependent sentences against its committed full-run outputs."""

from claims.committed import cell_output, markdown, notebook, number, numbers

NB = notebook("09")
MODELS = ["flagship MLP", "plain CNN", "MLP + augmentation", "CNN + augmentation"]


def _by_angle_and_shift():
    printed = cell_output(NB, 'curves = {"flagship MLP": robustness(flagship)}')
    shift = numbers(printed, "accuracy by shift (pixels):")[1::2]  # {0: a, 1: b, ...}
    angle = numbers(printed, "accuracy by rotation (degrees):")[1::2]
    return dict(zip([0, 1, 2, 3, 4], shift, strict=True)), dict(
        zip([-20, -15, -10, -5, 0, 5, 10, 15, 20], angle, strict=True)
    )


def _robustness_tables():
    """{model: {shift: accuracy}} and {model: {angle: accuracy}} from section 7's tables."""
    printed = cell_output(NB, 'curves["plain CNN"] = robustness(plain_cnn)')
    tables, current = [], None
    for line in printed.splitlines():
        if line.startswith(("shift (px)", "rotation (degrees)")):
            current = {}
            tables.append(current)
        elif current is not None and line.strip() and line.split()[0].lstrip("-").isdigit():
            key, *values = line.split()
            current[int(key)] = [float(v) for v in values]
    assert len(tables) == 2, printed
    return [{m: {k: row[i] for k, row in t.items()} for i, m in enumerate(MODELS)} for t in tables]


def test_section_2_shifts_cost_the_flagship_much_more_than_turns_of_15_degrees():
    shift, angle = _by_angle_and_shift()
    text = markdown(NB, "Two pixels, less than a tenth of the frame")
    assert "already cost the flagship accuracy" in text and "wrong on most digits" in text
    assert shift[2] < shift[0] - 0.05 and shift[4] < 0.5
    summary = markdown(NB, "## Summary")
    assert "a much smaller" in summary and "15 degrees" in summary
    turn_cost = angle[0] - min(angle[-15], angle[15])
    assert turn_cost < (shift[0] - shift[2]) / 2, (
        "the summary says turns of 15 degrees cost much less"
    )


def test_section_7_architecture_and_augmentation_each_help_against_shifts():
    by_shift, _ = _robustness_tables()
    text = markdown(NB, "What the table shows in the full run committed here")
    assert "far less sensitive to shifts" in text and "holds up best at the largest shifts" in text
    assert by_shift["plain CNN"][4] > by_shift["flagship MLP"][4] + 0.2  # architecture alone
    assert by_shift["MLP + augmentation"][2] > by_shift["flagship MLP"][2] + 0.05  # augmentation
    assert by_shift["MLP + augmentation"][4] < by_shift["MLP + augmentation"][2]  # falls beyond
    assert by_shift["CNN + augmentation"][4] == max(t[4] for t in by_shift.values())


def test_like_for_like_comparisons_follow_the_printed_intervals():
    printed = cell_output(NB, "procedures = {}")
    rows = {
        label: numbers(printed, label)
        for label in ("both augmented", "both plain", "augmentation, MLP", "augmentation, CNN")
    }
    text = " ".join(markdown(NB, "**Reading the comparisons.**").split())
    assert "more accurate architecture in both" in text and "lie above 0 for both" in text
    text = markdown(NB, "The estimated gap is larger for the plain pair")
    for label in ("both augmented", "both plain"):
        difference, low = rows[label][-5], rows[label][-4]  # ... points [low, high], p = ...
        assert difference > 0 and low > 0, (label, rows[label])
    assert rows["both plain"][-5] > rows["both augmented"][-5]
    assert rows["augmentation, MLP"][-5] > rows["augmentation, CNN"][-5]
    assert "interval that contains 0" in text
    assert "their\nintervals do not overlap" in text or "intervals do not overlap" in text
    assert rows["augmentation, MLP"][-4] > rows["augmentation, CNN"][-3]  # MLP low > CNN high
    assert rows["augmentation, CNN"][-4] < 0 < rows["augmentation, CNN"][-3]


def test_expected_optimism_is_below_a_tenth_of_a_point():
    printed = cell_output(NB, "k_best = np.random.default_rng(config.SEED)")
    lines = [line for line in printed.splitlines() if "had picked the best of" in line]
    bounds = [numbers(line, "had picked the best of")[1] for line in lines]
    q95 = [numbers(line, "1 race in 20 exceeds")[0] for line in lines]
    text = markdown(NB, "**Reading the verdict.** For both groups")
    assert "expected optimism is below a tenth of a point" in text
    assert len(bounds) == 2 and max(bounds) < 0.1
    assert all(q > b for q, b in zip(q95, bounds, strict=True))  # a race can exceed the mean


def test_the_cnn_target_is_cleared_by_less_than_the_seed_spread():
    printed = cell_output(NB, 'TARGETS = {"MLP + augmentation"')
    line = next(x for x in printed.splitlines() if x.startswith("CNN ("))
    target = numbers(line, "target")[0]
    low, high = numbers(line, "seeds-only 95% interval")
    text = markdown(NB, "**Reading the targets.**")
    assert "clears its target by less than the" in text and "contains the target" in text
    assert "reached" in line and low < target < high, line


def test_maps_zero_for_the_shown_digit_are_not_dead_filters():
    printed = cell_output(NB, "to_conv = keras.Model(")
    dead = printed.split("dead filters (0 on all", 1)[1].split(":", 1)[1].splitlines()[0]
    silent = printed.split("0 everywhere for this digit:", 1)[1].split(";")[0]
    text = " ".join(markdown(NB, "**Zero for this digit is not dead.**").split())
    assert "in the run committed here, none of the 32" in text
    assert dead.strip() == "[]", dead
    shown_silent = [int(f) for f in silent.strip(" []").split(",") if f.strip()]
    count = {1: "one", 2: "two", 3: "three"}.get(len(shown_silent))
    assert f'marked "0 here" in the figure; in the run committed here, {count})' in text, silent


def test_batchnorm_makes_the_two_device_loss_differ():
    printed = cell_output(NB, "strategy = distribute.mirrored_strategy(2)")
    relative = numbers(printed, "flagship: the two losses differ by")[1]
    assert "its two losses differ" in markdown(NB, "For the CNN the loss is the same")
    assert relative > 1e-4


# ------------------------------------------------------------------ trained here, or loaded
# (issue 24, perf: the committed run is a fresh clone's, loading benchmarks/models/)


def test_section_1_loading_is_said_and_training_takes_longer_than_a_lesson():
    text = markdown(NB, "### Trained here, or loaded")
    assert "far longer than a lesson can wait" in text
    printed = cell_output(NB, "TRAIN_YOURSELF = False")
    # a lesson: at most 60 minutes (the series' class length)
    assert number(printed, "together:") > 60, printed
    # every model this run used was loaded, and each load says from where
    loads = [
        cell_output(NB, "mlp_aug, mlp_record = augment.load_or_train("),
        cell_output(NB, "cnn, cnn_record = augment.load_or_train("),
    ]
    for out in loads:
        assert "Loaded" in out and "Trained" not in out, out
        assert "benchmarks/models/" in out or "full/" in out, out
