"""The one interface between proof search and Lean.

A backend opens a theorem and returns its initial `GoalState`; running a tactic on a state
returns a `TacticResult`: a new `GoalState`, `ProofFinished`, `LeanError`, `ProofGivenUp`
or `TacticTimeout`. Search, the prover and the CLI know nothing else about Lean: they never
see a process, a JSON message or a LeanDojo object. Backends (``repl``, ``leandojo``)
implement `LeanEnv`; test doubles implement it in ``tests/`` only.

Semantics follow LeanDojo's ``Dojo.run_tac`` (see docs/architecture.md): a state is the
pretty-printed goals, two states with the same goals are the same state (search keys its
DAG on `GoalState.key`), and a tactic that closes every goal is `ProofFinished` only when
Lean raised no error for it. `ProofFinished` from a backend is *not* the final word on a
proof: a proof counts only after the whole file is re-checked (``prover.lean.verify``),
because tactic-mode REPLs have accepted wrong proofs (leanprover-community/repl#44).

Additions since the first version (all additive): `BackendError` (a backend cannot go on
with the theorem opened last), `OPEN_FAILURE_REASONS` (the reasons every backend uses),
`BackendStats.replayed_calls`, and the whole-file check a backend may offer beside
`LeanEnv`: `FileChecker`, `FileCheckResult`, `LeanMessage`. Backends are created by name
through ``prover.lean.backends``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

# The backend errors belong to the one exception tree (`database.errors`); they are part
# of this contract and importable from here.
from database.errors import LeanEnvError, TheoremOpenError, ToolchainMissing

__all__ = [
    "OPEN_FAILURE_REASONS",
    "BackendError",
    "BackendStats",
    "FileCheckResult",
    "FileChecker",
    "GoalState",
    "LeanEnv",
    "LeanEnvError",
    "LeanError",
    "LeanMessage",
    "ProofFinished",
    "ProofGivenUp",
    "TacticResult",
    "TacticTimeout",
    "TheoremOpenError",
    "TheoremRef",
    "ToolchainMissing",
]


#: Why a theorem could not be opened (`TheoremOpenError.reason`), shared by every backend:
#:
#: * ``source_missing``  -- the file is not where the knowledge base says;
#: * ``source_changed``  -- the statement at the indexed position is not the indexed one
#:   (the file changed since indexing: re-add the repository);
#: * ``statement_has_sorry`` -- the statement itself holds ``sorry``: a proof would prove
#:   a placeholder;
#: * ``header_error``    -- the file does not elaborate up to the theorem;
#: * ``statement_error`` -- the statement does not elaborate in its context;
#: * ``no_goal``         -- Lean elaborated the statement but reported no goal for it;
#: * ``timeout``         -- starting or elaborating took longer than the limit;
#: * ``crash``           -- the Lean process died while opening;
#: * ``unsupported``     -- the backend cannot open this kind of declaration.
OPEN_FAILURE_REASONS = (
    "source_missing",
    "source_changed",
    "statement_has_sorry",
    "header_error",
    "statement_error",
    "no_goal",
    "timeout",
    "crash",
    "unsupported",
)


class BackendError(LeanEnvError):
    """The backend cannot go on with the theorem opened last (its process died and the
    theorem could not be re-opened, a state could not be restored, the protocol was
    violated). Search stops that theorem with the reason ``backend_error``."""


@dataclass(frozen=True, kw_only=True)
class TheoremRef:
    """What a backend needs to open one theorem of a Lean project.

    Positions are those of the knowledge base (``theorems.start_line/start_col`` ...):
    1-based lines and 1-based columns, ``start`` at the declaration keyword (after
    attributes and modifiers such as ``@[simp]`` or ``protected``).
    """

    project: Path  # root of the Lean project (where lean-toolchain / lakefile live)
    file: str  # path of the theorem's file, relative to ``project``, POSIX separators
    full_name: str
    statement: str  # the declaration up to its proof, e.g. "theorem foo (n : Nat) : n + 0 = n"
    start: tuple[int, int]
    end: tuple[int, int]
    theorem_id: int | None = None  # row in the knowledge base, when there is one


@dataclass(frozen=True)
class GoalState:
    """Open goals after some tactics. ``id`` is the backend's handle for the state (the
    REPL's ``proofState``, LeanDojo's ``TacticState.id``); ``goals`` are pretty-printed
    goals, one string per goal, as Lean prints them (hypotheses, then ``⊢ target``)."""

    id: int
    goals: tuple[str, ...]

    @property
    def pp(self) -> str:
        """The state as one text, goals separated by blank lines (LeanDojo's ``pp``
        without the "N goals" header): what the generator and the retriever read."""
        return "\n\n".join(self.goals)

    @property
    def key(self) -> str:
        """Identity for de-duplication: two states with the same goals are one node."""
        return self.pp

    @property
    def num_goals(self) -> int:
        return len(self.goals)


@dataclass(frozen=True)
class ProofFinished:
    """The tactic closed every goal without an error reported by Lean."""

    state_id: int
    messages: tuple[str, ...] = ()


@dataclass(frozen=True)
class LeanError:
    """Lean rejected the tactic (parse or elaboration error, failed validation); the
    message is Lean's, possibly shortened."""

    message: str


@dataclass(frozen=True)
class ProofGivenUp:
    """The tactic produced a proof that uses ``sorry`` (or ``admit``)."""

    message: str = "the tactic uses sorry"


@dataclass(frozen=True)
class TacticTimeout:
    """No answer within the per-tactic time limit; the backend restarted its process if
    it had to (counted in `BackendStats.restarts`)."""

    seconds: float


TacticResult = GoalState | ProofFinished | LeanError | ProofGivenUp | TacticTimeout


@dataclass
class BackendStats:
    """Counters a backend keeps over its life (reported with every search result)."""

    lean_calls: int = 0  # tactic runs and theorem openings sent to Lean
    lean_seconds: float = 0.0  # wall time spent waiting for Lean
    restarts: int = 0  # process restarts after a crash, a timeout or a memory limit
    restart_reasons: list[str] = field(default_factory=list)
    replayed_calls: int = 0  # of lean_calls: tactics re-run to restore states after a restart


@runtime_checkable
class LeanEnv(Protocol):
    """A Lean backend. One instance serves one worker and is reused across theorems;
    it is a context manager that ends its processes on exit (leaving none behind)."""

    name: str  # "repl", "leandojo", ...
    stats: BackendStats

    def check_available(self) -> None:
        """Raise `ToolchainMissing` (with what to install) unless this backend can run."""

    def lean_version(self) -> str | None:
        """The Lean version proofs are checked with (e.g. "4.19.0"), when known."""

    def open(self, theorem: TheoremRef) -> GoalState:
        """The theorem's initial state; raise `TheoremOpenError` when it cannot start."""

    def run_tactic(self, state: GoalState, tactic: str, *, timeout: float) -> TacticResult:
        """Run one tactic on a state this backend returned for the theorem opened last."""

    def close(self) -> None:
        """End every process this backend started."""

    def __enter__(self) -> LeanEnv: ...

    def __exit__(self, *exc: object) -> None: ...


# -- whole-file checks (additive: used by ``prover.lean.verify``) ---------------------------


@dataclass(frozen=True)
class LeanMessage:
    """One message Lean printed while checking a file: ``severity`` is ``error``,
    ``warning`` or ``info``; positions are Lean's (1-based line, 0-based column)."""

    severity: str
    line: int | None
    column: int | None
    text: str


@dataclass(frozen=True)
class FileCheckResult:
    """What checking one whole file produced. ``timed_out``: Lean did not finish within
    the limit (its processes were killed); ``returncode`` is None then."""

    messages: tuple[LeanMessage, ...]
    returncode: int | None
    seconds: float
    timed_out: bool = False
    stderr: str = ""
    command: tuple[str, ...] = ()


@runtime_checkable
class FileChecker(Protocol):
    """Checks a whole Lean file in a project's context (``lake env lean FILE``). Backends
    that can do it implement this beside `LeanEnv`; verification uses it, so that a
    proof is accepted by the same toolchain and configuration that searched for it."""

    def check_file(self, project: Path, relative_path: str, text: str, *, timeout: float) -> FileCheckResult:
        """Check ``text`` as the content of ``relative_path`` in ``project`` (the file on
        disk is not modified)."""
