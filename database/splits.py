"""Deterministic train / val / test splits (LeanDojo's two schemes).

Unlike LeanDojo's generator, the result depends only on the theorems and the seed: the
input is sorted by a stable key before shuffling with a private `random.Random(seed)`,
and no `set` iteration order is involved, so it does not change with PYTHONHASHSEED or
between processes.

* ``random``: shuffle, the last ``num_val + num_test`` go to val and test.
* ``novel_premises``: premises sorted by how many theorems use them (rarest first, then
  by name); all theorems using each premise in turn join the val/test pool until it
  holds at least ``num_val + num_test``; the pool is shuffled, the first ``num_val`` go
  to val and the rest to test. Test theorems therefore use premises never used in
  training.
"""

from __future__ import annotations

import random
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class SplitConfig:
    seed: int = 3407
    val_fraction: float = 0.02
    test_fraction: float = 0.02

    def sizes(self, n: int) -> tuple[int, int]:
        """Val and test sizes for n theorems: the fractions rounded, but at least one each
        when there are enough theorems for three non-empty parts."""
        num_val = round(n * self.val_fraction)
        num_test = round(n * self.test_fraction)
        if n >= 3:
            if self.val_fraction > 0:
                num_val = max(num_val, 1)
            if self.test_fraction > 0:
                num_test = max(num_test, 1)
        return num_val, num_test


def split_random(keys: Sequence[K], config: SplitConfig) -> dict[K, str]:
    ordered = sorted(keys)  # type: ignore[type-var]
    random.Random(config.seed).shuffle(ordered)
    num_val, num_test = config.sizes(len(ordered))
    out = dict.fromkeys(ordered, "train")
    held = ordered[len(ordered) - num_val - num_test :] if num_val + num_test else []
    for i, k in enumerate(held):
        out[k] = "val" if i < num_val else "test"
    return out


def split_novel_premises(
    keys: Sequence[K], premises_used: Mapping[K, Sequence[str]], config: SplitConfig
) -> dict[K, str]:
    ordered = sorted(keys)  # type: ignore[type-var]
    num_val, num_test = config.sizes(len(ordered))
    users: dict[str, list[K]] = {}
    for k in ordered:
        for name in sorted(set(premises_used.get(k, ()))):
            users.setdefault(name, []).append(k)
    pool: list[K] = []
    in_pool: set[K] = set()
    for name in sorted(users, key=lambda p: (len(users[p]), p)):
        if len(pool) >= num_val + num_test:
            break
        for k in users[name]:
            if k not in in_pool:
                in_pool.add(k)
                pool.append(k)
    random.Random(config.seed).shuffle(pool)
    out = dict.fromkeys(ordered, "train")
    for i, k in enumerate(pool):
        out[k] = "val" if i < num_val else "test"
    return out
