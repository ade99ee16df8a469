"""Bootstrap confidence intervals for retrieval metrics.

A test R@10 over a few hundred queries moves by several points when the queries change,
so every R@10 leanagent reports comes with a 95% percentile-bootstrap interval over its
queries (Efron & Tibshirani, "An Introduction to the Bootstrap", 1993, ch. 13): resample
the per-query values with replacement, take the mean of each resample, and report the
2.5th and 97.5th percentiles of those means. `paired_interval` does the same for the
difference of two methods on the same queries, which is what tells whether one beats the
other (the two are correlated through the queries, so separate intervals overlap more
than the difference's own interval does).

The resampling is seeded, so a stored interval is reproducible.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

#: Resamples per interval: the percentiles of 2,000 means are stable to ~0.1 point here.
RESAMPLES = 2000
SEED = 3407


def bootstrap_interval(values: Sequence[float], *, resamples: int = RESAMPLES, seed: int = SEED,
                       level: float = 0.95) -> tuple[float, float] | None:
    """(low, high) of the mean of ``values`` at ``level``; None when there are none."""
    x = np.asarray(values, dtype=np.float64)
    if x.size == 0:
        return None
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, x.size, size=(resamples, x.size))
    means = x[idx].mean(axis=1)
    tail = (1.0 - level) / 2 * 100
    low, high = np.percentile(means, [tail, 100 - tail])
    return float(low), float(high)


def paired_interval(a: Sequence[float], b: Sequence[float], *, resamples: int = RESAMPLES, seed: int = SEED,
                    level: float = 0.95) -> tuple[float, float] | None:
    """Interval of mean(a - b) over the same queries (a and b aligned)."""
    if len(a) != len(b):
        raise ValueError(f"paired values must align: {len(a)} vs {len(b)}")
    return bootstrap_interval([x - y for x, y in zip(a, b, strict=True)], resamples=resamples, seed=seed,
                              level=level)
