"""Deterministic train / val / test splits (LeanDojo's two schemes), and the
``split_assignments`` table that stores a repository's split under a scheme name.

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

`SplitConfig` is the one split configuration of the export writer (both schemes,
LeanDojo's 2% / 2% by default). The retriever sizes its per-repository held-out sets in
queries rather than theorems (`split_weighted`, same two schemes).
"""

from __future__ import annotations

import random
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from .errors import ConfigError

if TYPE_CHECKING:
    from .store import Store

SPLITS = ("train", "val", "test")


class _Sortable(Hashable, Protocol):
    def __lt__(self, other: Any, /) -> bool: ...


K = TypeVar("K", bound=_Sortable)


@dataclass(frozen=True, kw_only=True)
class SplitConfig:
    """Seed and held-out fractions of a split (val and test each get at least one theorem
    when there are three or more, see `sizes`)."""

    seed: int = 3407
    val_fraction: float = 0.02
    test_fraction: float = 0.02

    def __post_init__(self) -> None:
        for name in ("val_fraction", "test_fraction"):
            value = getattr(self, name)
            if not 0 <= value < 1:
                raise ConfigError(f"{name} must be in [0, 1), got {value} (--{name.replace('_', '-')})")
        if self.val_fraction + self.test_fraction >= 1:
            raise ConfigError(
                f"val_fraction + test_fraction must be below 1 (got {self.val_fraction} + {self.test_fraction}): "
                "nothing would be left to train on"
            )

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
    ordered = sorted(keys)
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
    ordered = sorted(keys)
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


def split_weighted(
    keys: Sequence[K], weights: Mapping[K, int], *, num_val: int, num_test: int, seed: int,
    premises_used: Mapping[K, Sequence[str]] | None = None,
) -> dict[K, str]:
    """Held-out sets sized by weight (a theorem's query count) rather than by theorems.

    Without ``premises_used``: the random scheme -- shuffle (seeded, after sorting), then
    take theorems from the end into test until their weight reaches ``num_test``, then
    into val until it reaches ``num_val``. With it: the novel_premises scheme -- premises
    rarest first (then by name); all theorems using each in turn join the held-out pool
    until the pool's weight reaches ``num_val + num_test``; the shuffled pool fills val to
    ``num_val`` and the rest is test. Every held-out theorem then uses a premise that no
    training theorem uses. Val and test each get at least one theorem when there are three
    or more theorems and their target is positive."""
    ordered = sorted(keys)
    out = dict.fromkeys(ordered, "train")
    if not ordered:
        return out
    rng = random.Random(seed)
    if premises_used is None:
        rng.shuffle(ordered)
        pool = ordered[::-1]
        first, first_target, second, second_target = "test", num_test, "val", num_val
    else:
        users: dict[str, list[K]] = {}
        for k in ordered:
            for name in sorted(set(premises_used.get(k, ()))):
                users.setdefault(name, []).append(k)
        pool = []
        in_pool: set[K] = set()
        weight = 0
        for name in sorted(users, key=lambda p: (len(users[p]), p)):
            if weight >= num_val + num_test:
                break
            for k in users[name]:
                if k not in in_pool:
                    in_pool.add(k)
                    pool.append(k)
                    weight += weights.get(k, 1)
        rng.shuffle(pool)
        first, first_target, second, second_target = "val", num_val, "test", num_test
    enough = len(ordered) >= 3
    got = {first: 0, second: 0}
    taken = {first: 0, second: 0}
    for k in pool:
        if got[first] < first_target or (enough and first_target > 0 and not taken[first]):
            which = first
        elif premises_used is not None or got[second] < second_target or (
                enough and second_target > 0 and not taken[second]):
            which = second
        else:
            break
        if premises_used is None and taken[first] + taken[second] + 1 >= len(ordered):
            break  # leave at least one theorem to train on
        out[k] = which
        got[which] += weights.get(k, 1)
        taken[which] += 1
    return out


class SplitAssignments:
    """The ``split_assignments`` table (``store.split_assignments``): which split each of
    a repository's theorems is in, per scheme (``export/random`` for an imported export's
    own splits, ``leanagent/random`` for the retriever's)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def theorem_ids(self, scheme: str, repo_id: int, split: str | None = None) -> set[int]:
        """Theorems assigned under ``scheme`` (to ``split``, when given)."""
        sql = "SELECT theorem_id FROM split_assignments WHERE scheme = ? AND repo_id = ?"
        params: list[Any] = [scheme, repo_id]
        if split is not None:
            sql += " AND split = ?"
            params.append(split)
        return {int(r[0]) for r in self._store.conn.execute(sql, params)}

    def assign(self, scheme: str, repo_id: int, assignments: Iterable[tuple[int, str]]) -> None:
        """Add (theorem id, split) assignments; existing ones are kept (never moved)."""
        rows = [(scheme, repo_id, tid, split) for tid, split in assignments]
        with self._store.atomic():
            self._store.conn.executemany(
                "INSERT OR IGNORE INTO split_assignments (scheme, repo_id, theorem_id, split) VALUES (?, ?, ?, ?)",
                rows,
            )

    def counts(self, scheme: str, repo_id: int) -> dict[str, int]:
        out = dict.fromkeys(SPLITS, 0)
        for split, n in self._store.conn.execute(
            "SELECT split, COUNT(*) FROM split_assignments WHERE scheme = ? AND repo_id = ? GROUP BY split",
            (scheme, repo_id),
        ):
            out[str(split)] = int(n)
        return out
