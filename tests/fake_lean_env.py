"""A deterministic, scripted Lean environment and generator (test doubles; tests only).

The "proof space" is a table ``{goal: {tactic: outcome}}``; an outcome is a list of goals
(a new state), ``"finished"``, ``"error"``, ``"timeout"``, ``"sorry"``, or a callable
``(goal) -> outcome`` for infinite spaces. Every tactic advances a fake clock by its
cost, so time budgets are tested without waiting.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prover.generator import Candidate, GenerationRequest
from prover.lean.interface import (
    BackendError,
    BackendStats,
    GoalState,
    LeanEnvError,
    LeanError,
    ProofFinished,
    ProofGivenUp,
    TacticResult,
    TacticTimeout,
    TheoremRef,
)


@dataclass
class FakeClock:
    now: float = 0.0

    def __call__(self) -> float:
        return self.now


def ref(name: str = "t", project: Path = Path("/nonexistent")) -> TheoremRef:
    return TheoremRef(project=project, file="A.lean", full_name=name, statement=f"theorem {name} : P",
                      start=(1, 1), end=(1, 20))


@dataclass
class FakeEnv:
    root: str
    space: Mapping[str, Any]
    clock: FakeClock = field(default_factory=FakeClock)
    cost: float = 1.0  # fake seconds per tactic
    costs: Mapping[str, float] = field(default_factory=dict)  # per tactic
    open_error: LeanEnvError | None = None
    fail_after: int | None = None  # raise BackendError at this tactic call
    name: str = "fake"
    stats: BackendStats = field(default_factory=BackendStats)
    calls: list[tuple[str, str, float]] = field(default_factory=list)  # (state pp, tactic, timeout)
    _states: dict[int, GoalState] = field(default_factory=dict)
    _next: int = 0

    def check_available(self) -> None:
        return None

    def lean_version(self) -> str | None:
        return "4.99.0-fake"

    def _state(self, goals: Sequence[str]) -> GoalState:
        self._next += 1
        s = GoalState(self._next, tuple(goals))
        self._states[s.id] = s
        return s

    def open(self, theorem: TheoremRef) -> GoalState:
        self.stats.lean_calls += 1
        if self.open_error is not None:
            raise self.open_error
        return self._state([self.root])

    def run_tactic(self, state: GoalState, tactic: str, *, timeout: float) -> TacticResult:
        assert self._states.get(state.id) == state, "a state this env never returned"
        if self.fail_after is not None and len(self.calls) >= self.fail_after:
            raise BackendError("the fake Lean died for good")
        self.calls.append((state.pp, tactic, timeout))
        self.stats.lean_calls += 1
        cost = self.costs.get(tactic, self.cost)
        outcome: Any = self.space.get(state.pp, {}).get(tactic, "error")
        if callable(outcome):
            outcome = outcome(state.pp)
        if outcome == "timeout" or cost > timeout:
            self.clock.now += min(cost, timeout)
            self.stats.lean_seconds += min(cost, timeout)
            return TacticTimeout(timeout)
        self.clock.now += cost
        self.stats.lean_seconds += cost
        if outcome == "finished":
            return ProofFinished(self._next + 1000)
        if outcome == "error":
            return LeanError(f"{tactic} failed")
        if outcome == "sorry":
            return ProofGivenUp()
        return self._state(outcome)

    def close(self) -> None:
        return None

    def __enter__(self) -> FakeEnv:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


@dataclass
class FakeGenerator:
    """Candidates per state text: ``{pp: [(tactic, logprob), ...]}`` or a callable."""

    table: Mapping[str, Sequence[tuple[str, float]]] | Callable[[str], Sequence[tuple[str, float]]]
    name: str = "fake-gen"
    uses_premises: bool = False
    requests: list[list[GenerationRequest]] = field(default_factory=list)

    def generate(self, requests: Sequence[GenerationRequest]) -> list[list[Candidate]]:
        self.requests.append(list(requests))
        out = []
        for r in requests:
            cands = self.table(r.state) if callable(self.table) else self.table.get(r.state, ())
            out.append([Candidate(t, lp) for t, lp in cands])
        return out
