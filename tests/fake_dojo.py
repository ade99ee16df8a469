"""Stand-ins for the part of lean_dojo the ``leandojo`` backend uses (its `LeanDojoAPI`).

They mirror lean-dojo 4.20.0's ``lean_dojo/interaction/dojo.py`` and
``data_extraction/lean.py``: same names, fields and signatures -- which
tests/test_leandojo_backend.py checks against the installed lean-dojo in a child process,
so that an upstream change fails a test. `FakeDojo` plays a scripted Lean: each tactic
text maps to an outcome, and state ids are numbered per (fake) Lean process, as Dojo's are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from prover.lean.leandojo import LeanDojoAPI


@dataclass(frozen=True)
class TacticState:
    pp: str
    id: int = field(compare=False)
    message: str | None = field(default=None, compare=False)


@dataclass(frozen=True)
class ProofFinished:
    tactic_state_id: int
    message: str | None = field(default=None, compare=False)


@dataclass(frozen=True)
class ProofGivenUp:
    pass


@dataclass(frozen=True)
class LeanError:
    error: str


class DojoCrashError(Exception):
    @property
    def is_out_of_memory(self) -> bool:
        return str(self) == "OOM"


class DojoTacticTimeoutError(Exception):
    pass


class DojoInitError(Exception):
    pass


@dataclass(frozen=True)
class LeanGitRepo:
    url: str
    commit: str


@dataclass(frozen=True)
class Theorem:
    repo: Any
    file_path: Path
    full_name: str


@dataclass
class Lean:
    """The scripted Lean every FakeDojo of a test talks to."""

    initial: str = "n : Nat\n⊢ n + 0 = n"
    # tactic -> ("state", pp) | ("finished",) | ("error", msg) | ("sorry",) | ("timeout",) | ("crash", msg)
    script: dict[str, tuple] = field(default_factory=dict)
    init_error: str | None = None
    traced: bool = True
    processes: int = 0  # Lean processes started
    alive: int = 0  # ... and not yet ended
    calls: list[str] = field(default_factory=list)
    timeouts_seen: list[float] = field(default_factory=list)
    dojo_kwargs: list[dict] = field(default_factory=list)


class FakeDojo:
    lean: Lean  # set by `api()`

    def __init__(self, entry: Any, timeout: int = 600, additional_imports: list[str] = [],  # noqa: B006 (mirrors Dojo)
                 build_deps: bool = True) -> None:
        self.entry = entry
        self.timeout = timeout
        self.additional_imports = additional_imports
        self.build_deps = build_deps
        self.lean.dojo_kwargs.append({"timeout": timeout, "build_deps": build_deps})

    def __enter__(self) -> tuple[FakeDojo, TacticState]:
        lean = self.lean
        lean.processes += 1
        lean.alive += 1
        self.proc: SimpleNamespace | None = SimpleNamespace(timeout=self.timeout)
        if lean.init_error is not None:
            raise DojoInitError(lean.init_error)
        self._ids = {0}
        self._next = 1
        return self, TacticState(lean.initial, 0)

    def __exit__(self, exc_type: Any, exc_val: Any, exc_tb: Any) -> None:
        if getattr(self, "proc", None) is not None:
            self.lean.alive -= 1
            self.proc = None

    def run_tac(self, state: TacticState, tactic: str) -> Any:
        if state.id not in self._ids:  # a state of another (dead) Lean process
            raise RuntimeError(f"state {state.id} is not from this Lean process")
        self.lean.calls.append(tactic)
        assert self.proc is not None, "run_tac after __exit__"
        self.lean.timeouts_seen.append(self.proc.timeout)
        kind, *rest = self.lean.script.get(tactic, ("error", f"unknown tactic {tactic}"))
        if kind == "timeout":
            raise DojoTacticTimeoutError()
        if kind == "crash":
            raise DojoCrashError(rest[0])
        if kind == "error":
            return LeanError(rest[0])
        if kind == "sorry":
            return ProofGivenUp()
        sid = self._next
        self._next += 1
        self._ids.add(sid)
        if kind == "finished":
            return ProofFinished(sid, "")
        return TacticState(rest[0], sid)


def api(lean: Lean) -> LeanDojoAPI:
    dojo = type("Dojo", (FakeDojo,), {"lean": lean})
    return LeanDojoAPI(
        Dojo=dojo, Theorem=Theorem, LeanGitRepo=LeanGitRepo, TacticState=TacticState, ProofFinished=ProofFinished,
        LeanError=LeanError, ProofGivenUp=ProofGivenUp, DojoCrashError=DojoCrashError, DojoInitError=DojoInitError,
        DojoTacticTimeoutError=DojoTacticTimeoutError, is_available_in_cache=lambda repo: lean.traced,
    )
