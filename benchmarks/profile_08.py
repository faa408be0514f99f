"""Where a training run of notebook 08 spends its time, before and after its speed-ups.

    nice python benchmarks/profile_08.py            # mlp_100, mlp_300_100, flagship
    nice python benchmarks/profile_08.py --quick    # FAST sizes: a smoke test (scratch/)

For each model, in ONE process and interleaved (so both ways see the same load), the parts
of a run of :class:`helpers.compare.KerasTrainer` are timed the way ``compare`` did it
before and the way it does it now:

* ``epoch``: one pass over the fit images; before, NumPy arrays given to ``fit`` (Keras
  converts and slices them at every call), now one ``tf.data`` pipeline over tensors
  converted once (:func:`helpers.compare._fit_batches`);
* ``validation``: the pass over the validation images after every epoch; before,
  ``evaluate`` (loss and accuracy, batches of 2,000), now :func:`helpers.compare.predict_digits`
  (``predict_on_batch``, batches of 2,000), whose best epoch's digits are kept;
* ``final predictions``: after training; before, ``predict`` of the validation and the test
  images, now the test images only (the validation digits were kept);
* ``reset`` (per seed) and ``trace`` (the first epoch's extra time, once per architecture).

CPU seconds (``time.process_time``: every thread of this process) are what other users of
a shared machine disturb least; wall seconds and the load average are recorded too. The
median of ``--repeats`` interleaved repeats is kept. Writes
``benchmarks/results/architectures_profile.json`` (``--quick``: ``benchmarks/scratch/``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # runnable as a plain script from anywhere
    sys.path.insert(0, str(ROOT))
if "--quick" in sys.argv:  # before helpers.config reads it
    os.environ["MNIST_FAST"] = "1"

from helpers import compare, config, data, quiet, results, split  # noqa: E402
from helpers.results import write_atomic  # noqa: E402

NAMES = ["mlp_100", "mlp_300_100", "flagship"]


def _timed(f) -> tuple[float, float]:
    cpu, wall = time.process_time(), time.perf_counter()
    f()
    return time.process_time() - cpu, time.perf_counter() - wall


def profile(name: str, s, repeats: int) -> dict:
    proto = compare.protocol()
    b = proto.batch_size
    parts: dict[str, list[tuple[float, float]]] = {}

    def add(part, f):
        parts.setdefault(part, []).append(_timed(f))

    with quiet.retracing_warnings_hidden():
        made = []
        start = _timed(lambda: made.append(compare.KerasTrainer(compare.candidate(name), proto)))
        trainer = made[0]
        m = trainer.model
        first = _timed(
            lambda: m.fit(compare._fit_batches(s, b, 0), epochs=1, verbose=0, shuffle=False)
        )
        m.fit(s.x_fit, s.y_fit, batch_size=b, epochs=1, verbose=0)  # trace the NumPy path too
        m.evaluate(s.x_val, s.y_val, batch_size=2000, verbose=0)
        m.predict(s.x_val, batch_size=2000, verbose=0)
        compare.predict_digits(m, s.x_val)
        for _ in range(repeats):
            add("epoch before", lambda: m.fit(s.x_fit, s.y_fit, batch_size=b, epochs=1, verbose=0))
            add(
                "epoch now",
                lambda: m.fit(compare._fit_batches(s, b, 0), epochs=1, verbose=0, shuffle=False),
            )
            add(
                "validation before",
                lambda: m.evaluate(s.x_val, s.y_val, batch_size=2000, verbose=0),
            )
            add("validation now", lambda: compare.predict_digits(m, s.x_val))
            add(
                "final predictions before",
                lambda: (
                    m.predict(s.x_val, batch_size=2000, verbose=0),
                    m.predict(s.x_test, batch_size=2000, verbose=0),
                ),
            )
            add("final predictions now", lambda: compare.predict_digits(m, s.x_test))
            add("reset", lambda: trainer.reset(1))
    out = {
        part: dict(
            cpu=round(statistics.median(c for c, _ in v), 3),
            wall=round(statistics.median(w for _, w in v), 3),
        )
        for part, v in parts.items()
    }
    out["trace"] = dict(
        cpu=round(start[0] + first[0] - out["epoch now"]["cpu"], 3),
        wall=round(start[1] + first[1] - out["epoch now"]["wall"], 3),
    )
    return out


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="FAST sizes, scratch output")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--names", nargs="+", default=NAMES)
    args = parser.parse_args(argv)
    quiet.import_tensorflow()
    s = split.load_split()
    load_start = os.getloadavg()[0]
    profiles = {}
    for name in args.names:
        profiles[name] = profile(name, s, args.repeats)
        print(name, json.dumps(profiles[name]), f"load {os.getloadavg()[0]:.1f}", flush=True)
    full = not config.is_fast() and data.last_source.is_full
    path = (
        config.RESULTS_DIR if full else ROOT / "benchmarks" / "scratch"
    ) / "architectures_profile.json"
    payload = dict(
        measured=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        command="nice python benchmarks/profile_08.py",
        machine=results.machine(),
        load_average_start=round(load_start, 2),
        note="seconds of one part (median of the repeats), CPU and wall; measured on a shared "
        "machine: compare before/now within this file (ratios), not with other files",
        protocol=compare.protocol().describe(),
        split=s.describe(),
        profiles=profiles,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, json.dumps(payload, indent=1) + "\n")
    print("written to", path.relative_to(ROOT))


if __name__ == "__main__":
    main()
