"""benchmarks/bench_numpy_mlp.py: what it counts must be right (its timings are not tested)."""

from __future__ import annotations

import numpy as np

from benchmarks import bench_numpy_mlp as bench
from helpers.numpy_nn import MLP


def test_epoch_matmul_shapes_add_up_to_the_nets_multiply_adds():
    layers = [784, 256, 128, 10]
    net = MLP(layers)
    for n, batch in [(1000, 128), (1024, 128), (77, 32)]:
        shapes = bench.epoch_matmul_shapes(layers, n, batch)
        assert sum(m * k * o for m, k, o in shapes) == net.macs_per_sample() * n
        # per batch: 3 forward, 3 weight gradients, 2 backward deltas
        assert len(shapes) == 8 * -(-n // batch)


def test_limit_and_phase_timers_run_and_cover_the_epoch():
    assert bench.time_same_shapes([(8, 16, 4), (16, 8, 4)], repeats=1) > 0
    seconds, gflops = bench.time_square(64**3 * 2, size=64, repeats=1)
    assert seconds > 0 and gflops > 0
    rng = np.random.default_rng(0)
    x, y = rng.random((300, 784), dtype=np.float32), rng.integers(0, 10, 300)
    phases = bench.phase_breakdown(MLP([784, 16, 10]), x, y, batch_size=64, lr=0.1, momentum=0.9)
    parts = sum(v for k, v in phases.items() if k != "total")
    assert set(phases) >= {"forward", "backward", "update", "total"}
    assert parts <= phases["total"] + 1e-3
