"""Repository orderings. Each placement records *why* the repository sits where it does.

* ``easy-count``: most easy theorems first (LeanAgent); ties by order added.
* ``given``: the order the repositories were added to the knowledge base.
* ``size``: most own theorems first -- what LeanAgent's easy-count effectively was,
  because its counts were dominated by Mathlib theorems (docs/method.md, "Curriculum").
* ``random``: a seeded shuffle.
* ``progress``: a teacher (in the spirit of Matiisen et al.'s teacher-student
  curriculum) that picks the repository whose validation R@10 has risen most while
  training on the others, from evaluations already in the database; it is *dynamic*:
  the lifelong loop asks it again after every step. Candidates with fewer than two
  measurements rank after measured ones, by easy count, and their reason says so.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from database.errors import ConfigError
from database.store import Repository, Store

from .difficulty import CurriculumConfig, RepoDifficulty, repository_difficulties

Order = Literal["easy-count", "given", "size", "random", "progress"]
ORDERS: tuple[str, ...] = ("easy-count", "given", "size", "random", "progress")
DYNAMIC_ORDERS = frozenset({"progress"})


@dataclass(frozen=True)
class Placement:
    repo_id: int
    name: str
    position: int  # 0-based among the repositories ordered in this call
    reason: str
    key: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "repo_id": self.repo_id,
            "name": self.name,
            "position": self.position,
            "reason": self.reason,
            "key": dict(self.key),
        }


#: repo id -> validation R@10 measurements in time order (first = untrained encoder).
ProgressHistory = Mapping[int, Sequence[float]]


def progress_history(
    store: Store, repo_ids: Sequence[int], checkpoint_ids: Sequence[int | None]
) -> dict[int, list[float]]:
    """Validation R@10 of each repository along a lineage of checkpoints, from the
    ``evaluations`` table: ``None`` in the lineage is the untrained encoder (method
    ``untrained``), a checkpoint id its ``dense`` evaluation. Missing measurements are
    skipped, so a list can be shorter than the lineage."""
    out: dict[int, list[float]] = {rid: [] for rid in repo_ids}
    for ckpt in checkpoint_ids:
        method = "untrained" if ckpt is None else "dense"
        latest: dict[int, float] = {}
        for ev in store.evaluations.find(checkpoint_id=ckpt, method=method, split="val"):
            if ev.r10 is not None:
                latest[ev.repo_id] = float(ev.r10)  # the last row wins if a method wrote several
        for rid in repo_ids:
            if rid in latest:
                out[rid].append(latest[rid])
    return out


def _place(items: list[tuple[RepoDifficulty, str, dict[str, Any]]]) -> list[Placement]:
    return [
        Placement(repo_id=d.repo_id, name=d.name, position=i, reason=reason, key=key)
        for i, (d, reason, key) in enumerate(items)
    ]


def order_repositories(
    store: Store,
    repos: Sequence[Repository],
    order: str,
    config: CurriculumConfig | None = None,
    *,
    history: ProgressHistory | None = None,
) -> list[Placement]:
    """Order ``repos`` (given in the order added) by ``order``."""
    config = config or CurriculumConfig()
    if order not in ORDERS:
        raise ConfigError(f"unknown repository order {order!r}: choose one of {', '.join(ORDERS)}")
    if not repos:
        return []
    diffs = repository_difficulties(store, repos, config)
    added = {r.id: i for i, r in enumerate(repos)}
    basis = "own" if config.basis == "own" else "global"
    if order == "easy-count":
        ranked = sorted(diffs, key=lambda d: (-d.counts["easy"], added[d.repo_id]))
        return _place(
            [
                (
                    d,
                    f"{d.counts['easy']} easy theorems (thresholds over {basis} theorems"
                    f"{', dependencies included' if config.include_dependencies else ''}); "
                    "more easy theorems go first, ties in the order added",
                    {"easy": d.counts["easy"], "thresholds_steps": d.thresholds},
                )
                for d in ranked
            ]
        )
    if order == "given":
        return _place(
            [(d, f"added #{added[d.repo_id] + 1} to the knowledge base", {"added": added[d.repo_id]}) for d in diffs]
        )
    if order == "size":
        ranked = sorted(diffs, key=lambda d: (-d.num_theorems, added[d.repo_id]))
        return _place(
            [
                (d, f"{d.num_theorems} theorems; larger repositories go first", {"theorems": d.num_theorems})
                for d in ranked
            ]
        )
    if order == "random":
        ranked = sorted(diffs, key=lambda d: d.repo_id)
        random.Random(config.seed).shuffle(ranked)
        return _place(
            [
                (d, f"seeded shuffle (seed {config.seed}), draw {i + 1}", {"seed": config.seed, "draw": i})
                for i, d in enumerate(ranked)
            ]
        )
    return _progress(diffs, added, history or {})


def learning_progress(scores: Sequence[float]) -> float | None:
    """Change of validation R@10 from the first measurement to the latest; None with
    fewer than two measurements."""
    if len(scores) < 2:
        return None
    return float(scores[-1] - scores[0])


def _progress(diffs: list[RepoDifficulty], added: dict[int, int], history: ProgressHistory) -> list[Placement]:
    measured: list[tuple[RepoDifficulty, float]] = []
    unmeasured: list[RepoDifficulty] = []
    for d in diffs:
        lp = learning_progress(history.get(d.repo_id, ()))
        if lp is None:
            unmeasured.append(d)
        else:
            measured.append((d, lp))
    measured.sort(key=lambda x: (-x[1], added[x[0].repo_id]))
    unmeasured.sort(key=lambda d: (-d.counts["easy"], added[d.repo_id]))
    items: list[tuple[RepoDifficulty, str, dict[str, Any]]] = []
    for d, lp in measured:
        scores = list(history[d.repo_id])
        items.append(
            (
                d,
                f"learning progress {lp:+.2f} val R@10 ({scores[0]:.2f} -> {scores[-1]:.2f} over "
                f"{len(scores)} measurements while training on other repositories); largest first",
                {"progress": lp, "measurements": len(scores)},
            )
        )
    for d in unmeasured:
        n = len(history.get(d.repo_id, ()))
        items.append(
            (
                d,
                f"no learning progress measured yet ({n} measurement{'s' if n != 1 else ''}); "
                f"placed after measured ones by easy count ({d.counts['easy']})",
                {"progress": None, "measurements": n, "easy": d.counts["easy"]},
            )
        )
    return _place(items)
