"""Theorem difficulty and easy / medium / hard buckets (LeanAgent's, with its flaws fixed:
docs/method.md, "Curriculum").

Difficulty is ``e^S`` with ``S`` the number of proof steps stored for the theorem
(LeanDojo traced steps, or the static indexer's count). Since ``exp`` is monotone the
buckets are computed on ``S`` itself, which also avoids overflow for long proofs.

* sorry theorems are apart (bucket ``sorry``): they have no proof to measure;
* ``S = 0`` (term-mode proofs, or nothing traced) is *undefined*: by default such
  theorems stay in their own ``undefined`` bucket and are reported, because a term
  proof is not necessarily easy; ``undefined="redistribute"`` reproduces LeanAgent
  (``n // 3`` each to easy, medium and hard, the remainder to hard);
* the thresholds are the 33rd / 67th percentiles over the repository's **own**
  theorems by default. ``basis="global"`` with ``include_dependencies=True`` is
  LeanAgent's choice (all theorems of all repositories, dependencies included), which
  turned its curriculum into a sort by Mathlib size.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from database.errors import ConfigError
from database.store import Repository, Store

Bucket = Literal["easy", "medium", "hard", "sorry", "undefined"]
BUCKETS: tuple[Bucket, ...] = ("easy", "medium", "hard", "sorry", "undefined")


@dataclass(frozen=True)
class CurriculumConfig:
    #: "own": thresholds over each repository's own theorems; "global": over every
    #: repository given (LeanAgent).
    basis: Literal["own", "global"] = "own"
    #: Count dependency theorems (shared Mathlib etc.) too, as LeanAgent did.
    include_dependencies: bool = False
    undefined: Literal["separate", "redistribute"] = "separate"
    percentiles: tuple[float, float] = (33.0, 67.0)
    #: Seed of the `random` ordering.
    seed: int = 3407

    def __post_init__(self) -> None:
        if self.basis not in ("own", "global"):
            raise ConfigError(f"curriculum basis must be 'own' or 'global', not {self.basis!r}")
        if self.undefined not in ("separate", "redistribute"):
            raise ConfigError(
                f"undefined-difficulty handling must be 'separate' or 'redistribute', not {self.undefined!r}"
            )
        lo, hi = self.percentiles
        if not 0 <= lo <= hi <= 100:
            raise ConfigError(f"percentiles must satisfy 0 <= low <= high <= 100, got {self.percentiles}")


def difficulty(num_steps: int, status: str) -> float | None:
    """``e^S``; ``inf`` for a sorry theorem (as LeanAgent), None when undefined (S = 0).
    Proofs too long for a float give ``inf`` too -- buckets use S, not this value."""
    if status == "sorry":
        return math.inf
    if num_steps <= 0:
        return None
    return math.exp(num_steps) if num_steps < 709 else math.inf


def percentile_thresholds(steps: Sequence[int], percentiles: tuple[float, float]) -> tuple[float, float] | None:
    """The two thresholds (in steps) with numpy's default linear interpolation, as
    LeanAgent; None when there is no defined difficulty to measure."""
    if not steps:
        return None
    import numpy as np

    lo, hi = np.percentile(np.asarray(steps, dtype=float), list(percentiles))
    return float(lo), float(hi)


def classify(num_steps: int, status: str, thresholds: tuple[float, float] | None) -> Bucket:
    if status == "sorry":
        return "sorry"
    if num_steps <= 0 or thresholds is None:
        return "undefined"
    lo, hi = thresholds
    if num_steps <= lo:
        return "easy"
    if num_steps <= hi:
        return "medium"
    return "hard"


@dataclass(frozen=True)
class RepoDifficulty:
    repo_id: int
    name: str
    #: Thresholds in proof steps (S, not e^S); None when no theorem has a defined one.
    thresholds: tuple[float, float] | None
    counts: dict[str, int] = field(default_factory=dict)
    #: Theorems counted (own, plus dependencies when configured).
    num_theorems: int = 0
    #: The undefined-difficulty theorems moved into buckets when redistributing.
    redistributed: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "repo_id": self.repo_id,
            "name": self.name,
            "thresholds_steps": list(self.thresholds) if self.thresholds else None,
            "counts": dict(self.counts),
            "num_theorems": self.num_theorems,
            "redistributed": self.redistributed,
        }


def _rows(store: Store, repo: Repository, config: CurriculumConfig) -> list[tuple[int, str]]:
    return [
        (int(t["num_steps"] or 0), t["status"])
        for t in store.theorems(repo, include_dependencies=config.include_dependencies)
    ]


def _defined_steps(rows: Iterable[tuple[int, str]]) -> list[int]:
    return [s for s, status in rows if status != "sorry" and s > 0]


def repository_difficulties(
    store: Store, repos: Sequence[Repository], config: CurriculumConfig = CurriculumConfig()
) -> list[RepoDifficulty]:
    """Bucket counts per repository, in the order given."""
    rows = {r.id: _rows(store, r, config) for r in repos}
    global_thresholds = None
    if config.basis == "global":
        every = [s for rs in rows.values() for s in _defined_steps(rs)]
        global_thresholds = percentile_thresholds(every, config.percentiles)
    out = []
    for repo in repos:
        rs = rows[repo.id]
        thresholds = (
            global_thresholds
            if config.basis == "global"
            else percentile_thresholds(_defined_steps(rs), config.percentiles)
        )
        counts: dict[str, int] = dict.fromkeys(BUCKETS, 0)
        for steps, status in rs:
            counts[classify(steps, status, thresholds)] += 1
        moved = 0
        if config.undefined == "redistribute" and counts["undefined"]:
            n = counts["undefined"]
            third = n // 3
            counts["easy"] += third
            counts["medium"] += third
            counts["hard"] += n - 2 * third
            counts["undefined"] = 0
            moved = n
        out.append(
            RepoDifficulty(
                repo_id=repo.id,
                name=repo.name,
                thresholds=thresholds,
                counts=counts,
                num_theorems=len(rs),
                redistributed=moved,
            )
        )
    return out


def theorem_buckets(
    store: Store, repo: Repository, config: CurriculumConfig = CurriculumConfig()
) -> dict[int, Bucket]:
    """theorem id -> bucket for one repository with the ``own`` basis (undefined kept
    apart: which undefined theorem LeanAgent put where was arbitrary)."""
    theorems = store.theorems(repo, include_dependencies=config.include_dependencies)
    steps = _defined_steps((int(t["num_steps"] or 0), t["status"]) for t in theorems)
    thresholds = percentile_thresholds(steps, config.percentiles)
    return {t["id"]: classify(int(t["num_steps"] or 0), t["status"], thresholds) for t in theorems}
