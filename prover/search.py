"""Best-first proof search over a DAG of proof states.

ReProver's algorithm (reference: LeanAgent §9.1) with its flaws fixed:

* the node with the highest priority is expanded next; the priority is a pluggable
  `Scorer` (default: the cumulative log-probability of the tactics that led to the
  state, as ReProver), so that a value model can slot in;
* expanding a node asks the generator for candidates and runs them in Lean one after
  the other, best first, stopping at the first that finishes the proof;
* states with the same goals are one node (`GoalState.key`): the search space is a DAG,
  and a tactic that leads back to a known state adds nothing to explore;
* budgets on wall time, expansions and Lean calls; a proof found is never lost when a
  budget runs out (ReProver and LeanAgent reset the root to "open" at the deadline and
  report a found proof as a failure), and the per-tactic timeout never runs past the
  search's deadline;
* the result names exactly one reason why the search stopped (`StopReason`); a theorem
  whose environment could not start is a result with that reason, never dropped.

Search knows Lean only through `prover.lean.interface`.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

from database.errors import ConfigError

from .generator import GenerationRequest, TacticGenerator
from .lean.interface import (
    GoalState,
    LeanEnv,
    LeanEnvError,
    LeanError,
    ProofFinished,
    ProofGivenUp,
    TacticTimeout,
    TheoremOpenError,
    TheoremRef,
    ToolchainMissing,
)


class StopReason(StrEnum):
    """Why a search stopped (``proof_attempts.stop_reason``)."""

    PROVED = "proved"  # a tactic closed every goal (verification still decides)
    EXHAUSTED = "exhausted"  # no state left to expand: every candidate failed or repeated
    TIME_LIMIT = "time_limit"
    MAX_EXPANSIONS = "max_expansions"
    MAX_LEAN_CALLS = "max_lean_calls"
    OPEN_FAILED = "open_failed"  # the theorem's environment could not start (see open_reason)
    BACKEND_ERROR = "backend_error"  # Lean could not go on (its process could not be restored)


@dataclass(frozen=True, kw_only=True)
class SearchConfig:
    timeout: float = 600.0  # wall seconds per theorem, opening included (LeanAgent: 600)
    max_expansions: int | None = None  # None: unlimited (LeanAgent's default)
    max_lean_calls: int | None = None  # requests to Lean for this theorem, opening included
    tactic_timeout: float = 60.0  # seconds for one tactic (never past the deadline)
    max_depth: int | None = None  # states deeper than this are not expanded
    expansion_batch: int = 1  # states whose candidates are generated in one batch (1: strict best-first)

    def __post_init__(self) -> None:
        if self.timeout <= 0 or self.tactic_timeout <= 0:
            raise ConfigError("--timeout and --tactic-timeout must be > 0 seconds")
        for name in ("max_expansions", "max_lean_calls", "max_depth"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ConfigError(f"{name.replace('_', '-')} must be >= 1 (or unset for no limit)")
        if self.expansion_batch < 1:
            raise ConfigError("expansion_batch must be >= 1")


@dataclass(frozen=True)
class NodeView:
    """What a scorer sees of a state."""

    state: GoalState
    cumulative_logprob: float
    depth: int


#: Priority of a node: higher is expanded first.
Scorer = Callable[[NodeView], float]


def cumulative_logprob(node: NodeView) -> float:
    return node.cumulative_logprob


#: Premises for the generator at a state (serialised, best first).
PremiseSource = Callable[[GoalState], Sequence[str]]


@dataclass(frozen=True)
class SearchResult:
    stop_reason: StopReason
    proof: tuple[str, ...] | None  # the tactics, in order, when a proof was found
    nodes_expanded: int
    nodes: int  # distinct states seen (root included)
    lean_calls: int
    seconds: float
    generator_seconds: float
    lean_seconds: float
    retrieval_seconds: float = 0.0
    restarts: int = 0
    tactics_tried: int = 0
    tactic_errors: int = 0
    tactic_timeouts: int = 0
    given_up: int = 0
    duplicates: int = 0  # tactics that led to a state already in the DAG
    open_reason: str | None = None
    error: str | None = None  # the open failure's or backend error's message

    @property
    def proved(self) -> bool:
        return self.stop_reason is StopReason.PROVED

    def as_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["stop_reason"] = str(self.stop_reason)
        d["proof"] = list(self.proof) if self.proof is not None else None
        return d


@dataclass
class _Node:
    state: GoalState
    logprob: float
    depth: int
    parent: str | None  # key of the node whose state this one's was produced from
    tactic: str | None
    expanded: bool = False


class _Budget(Exception):
    def __init__(self, reason: StopReason) -> None:
        self.reason = reason


def best_first_search(
    env: LeanEnv,
    theorem: TheoremRef,
    generator: TacticGenerator,
    *,
    config: SearchConfig,
    premises: PremiseSource | None = None,
    scorer: Scorer = cumulative_logprob,
    clock: Callable[[], float] = time.monotonic,
) -> SearchResult:
    """Search for a proof of ``theorem`` with ``env`` (already started or not).

    `ToolchainMissing` propagates (nothing can be proved: the caller says so); every
    other Lean failure becomes this theorem's result."""
    start = clock()
    calls0, secs0, restarts0 = env.stats.lean_calls, env.stats.lean_seconds, env.stats.restarts
    counts = {"tactics_tried": 0, "tactic_errors": 0, "tactic_timeouts": 0, "given_up": 0, "duplicates": 0}
    gen_seconds = 0.0
    ret_seconds = 0.0
    expanded = 0
    nodes: dict[str, _Node] = {}

    def result(reason: StopReason, proof: tuple[str, ...] | None = None, *, open_reason: str | None = None,
               error: str | None = None) -> SearchResult:
        return SearchResult(
            stop_reason=reason, proof=proof, nodes_expanded=expanded, nodes=len(nodes),
            lean_calls=env.stats.lean_calls - calls0, seconds=clock() - start, generator_seconds=gen_seconds,
            lean_seconds=env.stats.lean_seconds - secs0, retrieval_seconds=ret_seconds,
            restarts=env.stats.restarts - restarts0, open_reason=open_reason, error=error, **counts)

    def check(*, expanding: bool) -> None:
        if clock() - start >= config.timeout:
            raise _Budget(StopReason.TIME_LIMIT)
        if config.max_lean_calls is not None and env.stats.lean_calls - calls0 >= config.max_lean_calls:
            raise _Budget(StopReason.MAX_LEAN_CALLS)
        if expanding and config.max_expansions is not None and expanded >= config.max_expansions:
            raise _Budget(StopReason.MAX_EXPANSIONS)

    try:
        root = env.open(theorem)
    except ToolchainMissing:
        raise
    except TheoremOpenError as exc:
        return result(StopReason.OPEN_FAILED, open_reason=exc.reason, error=str(exc))
    except LeanEnvError as exc:
        return result(StopReason.BACKEND_ERROR, error=str(exc))

    heap: list[tuple[float, int, str]] = []
    seq = 0

    def push(key: str) -> None:
        nonlocal seq
        node = nodes[key]
        if config.max_depth is not None and node.depth >= config.max_depth:
            return
        heapq.heappush(heap, (-scorer(NodeView(node.state, node.logprob, node.depth)), seq, key))
        seq += 1

    def path(key: str) -> list[str]:
        tactics: list[str] = []
        k: str | None = key
        while k is not None:
            node = nodes[k]
            if node.tactic is not None:
                tactics.append(node.tactic)
            k = node.parent
        return tactics[::-1]

    nodes[root.key] = _Node(root, 0.0, 0, None, None)
    push(root.key)
    try:
        while True:
            check(expanding=True)
            batch: list[str] = []
            while heap and len(batch) < config.expansion_batch:
                _, _, key = heapq.heappop(heap)
                if not nodes[key].expanded and key not in batch:
                    batch.append(key)
            if not batch:
                return result(StopReason.EXHAUSTED)
            requests = []
            for key in batch:
                state = nodes[key].state
                found: Sequence[str] = ()
                if premises is not None and generator.uses_premises:
                    t = time.monotonic()
                    found = premises(state)
                    ret_seconds += time.monotonic() - t
                requests.append(GenerationRequest(state.pp, tuple(found)))
            t = time.monotonic()
            candidates = generator.generate(requests)
            gen_seconds += time.monotonic() - t
            for key, cands in zip(batch, candidates, strict=True):
                if config.max_expansions is not None and expanded >= config.max_expansions:
                    raise _Budget(StopReason.MAX_EXPANSIONS)
                node = nodes[key]
                node.expanded = True
                expanded += 1
                for cand in cands:
                    check(expanding=False)
                    remaining = config.timeout - (clock() - start)
                    outcome = env.run_tactic(node.state, cand.tactic,
                                             timeout=max(0.001, min(config.tactic_timeout, remaining)))
                    counts["tactics_tried"] += 1
                    if isinstance(outcome, ProofFinished):
                        return result(StopReason.PROVED, (*path(key), cand.tactic))
                    if isinstance(outcome, GoalState):
                        logprob = node.logprob + cand.logprob
                        known = nodes.get(outcome.key)
                        if known is not None:
                            counts["duplicates"] += 1
                            if not known.expanded and logprob > known.logprob:
                                # A better path to a state not yet expanded raises its
                                # priority; its state (and proof path) stay those Lean gave
                                # first, so the proof replays exactly what was run.
                                known.logprob = logprob
                                push(outcome.key)
                            continue
                        nodes[outcome.key] = _Node(outcome, logprob, node.depth + 1, key, cand.tactic)
                        push(outcome.key)
                    elif isinstance(outcome, LeanError):
                        counts["tactic_errors"] += 1
                    elif isinstance(outcome, ProofGivenUp):
                        counts["given_up"] += 1
                    elif isinstance(outcome, TacticTimeout):
                        counts["tactic_timeouts"] += 1
    except _Budget as stop:
        return result(stop.reason)
    except ToolchainMissing:
        raise
    except LeanEnvError as exc:
        return result(StopReason.BACKEND_ERROR, error=str(exc))
