"""Notebook 08: run-dependent sentences against the committed full run's outputs and results.

The verdicts, intervals and the choice are written by ``compare.findings`` from the tables,
so they cannot drift; what is checked here is the prose written by hand about what this run
shows, and that the committed run is the one ``benchmarks/results/architectures.json`` holds.
"""

from __future__ import annotations

import json
import re

import numpy as np

from claims.committed import cell_output, markdown, notebook, number, numbers
from helpers import compare, config

NB = notebook("08")


def _results():
    return json.loads((config.RESULTS_DIR / "architectures.json").read_text(encoding="utf-8"))


def test_the_committed_run_is_the_stored_full_run_with_more_seeds_for_the_small_nets():
    """c0/c11: by default the notebook loads the stored runs (TRAIN_YOURSELF = False), says so,
    and those runs are the full run of architectures.json, with twice the seeds for the small
    networks."""
    payload = _results()
    assert payload["mode"] == "full"
    seeds = {}
    for r in payload["runs"]:
        seeds.setdefault(r["name"], set()).add(r["seed"])
    proto = set(payload["protocol"]["seeds"])
    for name, s in seeds.items():
        want = len(proto) * (compare.CHEAP_SEED_FACTOR if name in compare.CHEAP else 1)
        assert len(s) == want, f"{name}: {len(s)} seeds stored, the notebook says {want}"
    switch = next(c for c in NB.cells if c.cell_type == "code" and "TRAIN_YOURSELF =" in c.source)
    assert "TRAIN_YOURSELF = False" in switch.source
    printed = cell_output(NB, "runs, meta = compare.load_stored_runs()")
    assert printed.startswith(f"LOADED, NOT TRAINED: {len(payload['runs'])} stored runs"), printed[
        :80
    ]
    assert f"in {payload['total_seconds'] / 60:.1f} minutes" in printed.splitlines()[0]


def test_the_loaded_runs_say_who_trained_them_when_and_under_which_protocol():
    """c0/c11: 'those of its own full run on a 2-core machine', 'the first lines say ... who
    trained them, when, on how many cores, under which protocol'."""
    stored = json.loads((config.RESULTS_DIR / compare.STORED_META).read_text(encoding="utf-8"))
    payload = _results()
    assert stored["measured"] == payload["measured"]  # the stored runs are the full run's
    assert stored["trained_by"].startswith("notebook 08's full run"), stored["trained_by"]
    assert "its own full run on a 2-core machine" in markdown(NB, "# 08 ")
    assert stored["machine"]["cpus"] == 2
    lines = cell_output(NB, "runs, meta = compare.load_stored_runs()").splitlines()
    assert f"{stored['measured'][:16]} UTC" in lines[0] and "on 2 cores" in lines[0], lines[0]
    assert lines[1] == f"trained by: {stored['trained_by']}", lines[1]
    proto = compare.Protocol(**{**stored["protocol"], "seeds": tuple(stored["protocol"]["seeds"])})
    assert lines[2] == f"under: {proto.describe()}", lines[2]


def test_validation_is_as_large_as_the_test_set_in_the_full_run():
    """c6: 'In a full run validation holds as many images as the test set'."""
    assert "In a full run" in markdown(NB, "## 2. One split for everyone")
    printed = cell_output(NB, "split = load_split()")
    assert "validation 10,000 | test 10,000" in printed, printed


def test_the_small_networks_are_the_cheap_ones_at_most_266610_parameters():
    """c4: 'The six small networks (at most 266,610 parameters, section 3)'."""
    assert "six small networks (at most 266,610 parameters" in markdown(NB, "## 1. The protocol")
    params = {r["name"]: r["params"] for r in _results()["runs"]}
    assert len(compare.CHEAP) == 6
    assert max(params[n] for n in compare.CHEAP) == 266_610
    assert min(p for n, p in params.items() if n not in compare.CHEAP) > 266_610


def test_one_ablation_interval_has_its_seed_part_set_to_zero():
    """c38: 'the flagship against the flagship without both has its seed part set to 0 ...
    Its interval is the narrowest of the three'."""
    text = markdown(NB, "## 11. Ablation")
    assert "flagship without both has its seed part set to 0" in text
    assert "narrowest of the three" in text
    payload = _results()
    runs = compare.load_results()[0]
    y_test = compare.decode_labels(payload["labels"]["test"])
    others = ("flagship_no_batchnorm", "flagship_no_dropout", "flagship_plain")
    ablations = [("flagship", o) for o in others]
    tests = compare.paired_tests(runs, y_test, ablations)
    assert tests["seed_share"].iloc[2] == 0, tests["seed_share"].tolist()
    assert (tests["seed_share"].iloc[:2] > 0).all(), tests["seed_share"].tolist()
    widths = (tests["high_points"] - tests["low_points"]).to_numpy()
    assert widths[2] < widths[:2].min(), widths
    printed = cell_output(NB, "tests = compare.paired_tests(runs, y_test)")
    from_seeds = re.findall(r"\s(\d+)%\s+[\d.e+-]+\s*$", printed, flags=re.M)
    assert "0" in from_seeds, from_seeds  # the committed table shows the 0%


def test_seeds_disagree_on_many_more_images_than_their_accuracies_differ_by():
    text = markdown(NB, "The counts above show it")
    assert "disagree on many more images than their accuracies differ by" in text
    printed = cell_output(NB, 'name = "mlp_100"')
    accs = numbers(printed, "test accuracy of each (%):")
    n = number(printed, "images on which the seeds' predictions differ:")
    n_test = numbers(printed, "images on which the seeds' predictions differ:")[1]
    spread_images = (max(accs) - min(accs)) / 100 * n_test
    assert len(accs) >= 2 and n > 3 * spread_images, (accs, n)


def test_the_majority_vote_paragraph_matches_what_the_cell_shows():
    text = markdown(NB, "Two tempting ways to")
    printed = cell_output(NB, "tag:majority-vote")
    # "single seeds can disagree with each other": one seed's McNemar test is below 0.05,
    # another's is not
    per_seed = [float(p) for p in re.findall(r"McNemar p = ([\d.e+-]+)", printed)]
    assert "single seeds can disagree" in text
    assert min(per_seed) < 0.05 <= max(per_seed), per_seed
    # "the vote can even reverse the order of the seed means": shown by at least one pair
    gaps = re.findall(
        r"mean of the seeds ([+-][\d.]+) points, majority votes ([+-][\d.]+)", printed
    )
    assert "reverse the order of the seed means" in text
    assert any(float(a) * float(b) < 0 for a, b in gaps), gaps
    # "voting helps some models more than others": the printed gains differ
    gain = [
        float(line.rsplit(None, 1)[1])
        for line in printed.split("what the vote adds to the mean of the seeds (points):")[1]
        .strip()
        .splitlines()
    ]
    assert "helps some models more than others" in text
    assert max(gain) - min(gain) >= 0.1, gain


def test_no_table_calls_a_seed_only_interval_a_confidence_interval_of_the_accuracy():
    """Every interval the notebook prints as 'how sure are we' covers the test images too."""
    tables = [
        cell_output(NB, "summary = compare.summarize(runs, y_val, y_test)"),
        cell_output(NB, "tests = compare.paired_tests(runs, y_test)"),
    ]
    assert "seeds + images" in tables[1]
    for source in (c.source for c in NB.cells if c.cell_type == "code"):
        assert "stats.t_interval(" not in source, "a seed-only t-interval is printed"
    assert "majority" not in "".join(
        c.source for c in NB.cells if c.cell_type == "code" and "paired_tests" in c.source
    )


def test_choice_and_test_report_follow_validation():
    printed = cell_output(NB, "choice = compare.choose(runs, y_val)")
    best = re.search(r"best on validation: (.+)", printed).group(1).strip()
    chosen = re.search(r"chosen: (.+)", printed).group(1).strip()
    payload = _results()
    joined, _ = compare.stored_runs(payload["labels"], payload["protocol"])
    means = {}
    for r in payload["runs"] + joined:
        if r["group"] == "architecture":
            means.setdefault(r["label"], []).append(r["val_accuracy"])
    assert best == max(means, key=lambda label: np.mean(means[label]))
    if "within the margin of it: none" in printed:
        assert chosen == best


def _speed_cell():
    return cell_output(NB, "rule = compare.timing_spread(runs)")


def test_the_committed_run_was_timed_on_a_busy_machine_and_says_what_its_timings_rank():
    """The switch cell's line, c42 and the markdown after the speed table: the stored runs'
    timings were measured under load, and the paragraph says whether its spread exceeds every gap between
    the models trained here (nothing ranks) or not (only the larger gaps rank). A quiet rerun
    (load below the cores), or one whose spread crosses the largest gap, fails this test until
    the prose says what that run shows."""
    switch = cell_output(NB, "TRAIN_YOURSELF = False")
    assert "a busy machine" in switch, switch  # the stored runs' training, load above the cores
    text = markdown(NB, "The stored runs were timed on a busy machine")
    printed = _speed_cell()
    spread = number(printed, "largest slowest/fastest seed ratio of one model:")
    load, cpus = numbers(printed, "1-minute load average at the end of training:")[:2]
    assert f"{spread:.2f}x" in text and f"{load:g}" in text and f"on {cpus:g} cores" in text
    assert load > cpus, "the machine was not busy: rewrite the busy-machine paragraph"
    payload = _results()
    assert payload["machine"]["load_average"] > payload["machine"]["cpus"]
    per_model = {}
    for r in payload["runs"]:
        per_model.setdefault(r["name"], []).append(r["seconds_per_epoch"])
    means = {n: np.mean(s) for n, s in per_model.items()}
    largest_gap = max(means.values()) / min(means.values())
    if spread > largest_gap:  # the spread exceeds every gap: nothing ranks
        assert "this run's timings rank nothing" in text, (spread, largest_gap)
    else:  # the larger gaps rank, the smaller ones do not
        assert f"only gaps larger than {spread:.2f}x rank" in text, (spread, largest_gap)
        assert "smaller than the largest gaps" in text
    # "the NumPy net's seeds alone ran between 4.31 and 16.05 seconds per epoch"
    numpy_times = per_model["numpy_mlp"]
    low, high = numbers(text.split("seeds alone ran between")[1], "")[:2]
    assert np.isclose(min(numpy_times), low, atol=0.005)
    assert np.isclose(max(numpy_times), high, atol=0.005)


def test_the_cnn_runs_took_longer_than_all_the_others_together():
    """c7: 'on a CPU the CNN's runs take longer than all of the others together'."""
    assert "take longer than all of the others together" in markdown(NB, "Joined, not trained")
    payload = _results()
    joined, _ = compare.stored_runs(payload["labels"], payload["protocol"])
    cnn_seconds = sum(r["train_seconds"] for r in joined if r["name"] == "cnn")
    assert cnn_seconds > payload["total_seconds"], (cnn_seconds, payload["total_seconds"])
