"""Small synthetic inputs shared by several test modules."""

from __future__ import annotations

import numpy as np


def random_proba(n=400, k=10, seed=0, skill=2.0):
    """Labels and softmax outputs that favour the true class: a plausible, imperfect model."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % k
    logits = rng.normal(size=(n, k))
    logits[np.arange(n), y] += skill
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    return y, p / p.sum(axis=1, keepdims=True)
