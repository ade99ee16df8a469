"""The ``leandojo`` backend: `prover.lean.interface.LeanEnv` over `lean_dojo.Dojo`.

How LeanDojo's interaction maps onto the interface (lean-dojo 4.20.0,
``lean_dojo/interaction/dojo.py``):

=====================================  ==============================================
lean-dojo                              interface
=====================================  ==============================================
``Dojo(Theorem(...)).__enter__()``     `open` -> `GoalState` (its ``TacticState``)
``TacticState(pp, id, message)``       `GoalState` (goals = ``pp`` split on blank lines)
``ProofFinished(id, message)``         `ProofFinished`
``LeanError(error)``                   `LeanError`
``ProofGivenUp()``                     `ProofGivenUp`
``DojoTacticTimeoutError`` (raised)    `TacticTimeout`; the Lean process is restarted
``DojoCrashError`` (raised)            `LeanError` naming the crash; process restarted
``DojoInitError`` / tracing failure    `TheoremOpenError` with a ``reason``
=====================================  ==============================================

State ids: a `Dojo` numbers states per Lean process, and a restart (after a timeout or
crash) starts a new process. The backend therefore hands out its own ids and remembers
the tactic path from the initial state to each one; a state from before a restart is
rebuilt by replaying its path (each replayed tactic counts as a Lean call).

Version gate: LeanDojo's maintainers say `Dojo` does not work on Lean >= 4.19
(lean-dojo/LeanDojo#250, #211). `check_available` and `open` check the project's
``lean-toolchain`` first and raise `UnsupportedLeanVersion` pointing at ``--backend
repl``, instead of a hang or a crash later.

The project must have been traced (``leanagent add PROJECT --tracer leandojo``) into the
same lean-dojo cache (``HOME/leandojo/cache``): `Dojo` would otherwise start tracing it
inside `open`, which takes as long as a build. lean_dojo is imported lazily, through
`leandojo_support.import_lean_dojo`, with leanagent's settings.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from database.errors import ProjectNotTraced

from .interface import (
    BackendStats,
    GoalState,
    LeanEnvError,
    LeanError,
    ProofFinished,
    ProofGivenUp,
    TacticResult,
    TacticTimeout,
    TheoremOpenError,
    TheoremRef,
    ToolchainMissing,
)
from .leandojo_support import (
    LeanDojoNotInstalled,
    LeanDojoSettings,
    check_support,
    import_lean_dojo,
    installed_leandojo_version,
    read_toolchain,
)


@dataclass(frozen=True)
class LeanDojoAPI:
    """The part of lean_dojo the backend uses: the real module by default (`load`);
    tests substitute a fake `Dojo` at this boundary."""

    Dojo: Any
    Theorem: Any
    LeanGitRepo: Any
    TacticState: Any
    ProofFinished: Any
    LeanError: Any
    ProofGivenUp: Any
    DojoCrashError: Any
    DojoInitError: Any
    DojoTacticTimeoutError: Any
    is_available_in_cache: Any

    @classmethod
    def load(cls, settings: LeanDojoSettings) -> LeanDojoAPI:
        ld = import_lean_dojo(settings)
        return cls(**{name: getattr(ld, name) for name in cls.__dataclass_fields__})


@dataclass(frozen=True)
class LeanDojoBackendConfig:
    settings: LeanDojoSettings  # lean-dojo's cache and scratch dirs (inside the leanagent home)
    project: Path | None = None  # checked by `check_available` when given
    open_timeout: int = 600  # seconds for starting a theorem (Dojo elaborates the file prefix)
    build_deps: bool = True  # must match how the project was traced


@dataclass
class _Opened:
    theorem: TheoremRef
    dojo: Any  # the entered Dojo
    initial: Any  # its initial TacticState
    states: dict[int, Any] = field(default_factory=dict)  # our id -> Dojo TacticState (current process)
    paths: dict[int, tuple[str, ...]] = field(default_factory=dict)  # our id -> tactics from the start


class LeanDojoEnv:
    """`LeanEnv` backed by lean-dojo's `Dojo`. One instance serves one worker."""

    name = "leandojo"

    def __init__(self, config: LeanDojoBackendConfig, api: LeanDojoAPI | None = None) -> None:
        self.config = config
        self.stats = BackendStats()
        self._api = api
        self._opened: _Opened | None = None
        self._next_id = 0
        self._checked: dict[Path, str | None] = {}  # project -> Lean version it was checked at

    # -- availability --------------------------------------------------------------------

    def _api_loaded(self) -> LeanDojoAPI:
        if self._api is None:
            self._api = LeanDojoAPI.load(self.config.settings)
        return self._api

    def check_available(self) -> None:
        if self._api is None and installed_leandojo_version() is None:
            raise LeanDojoNotInstalled("the leandojo backend needs lean-dojo: pip install 'leanagent[leandojo]'")
        missing = [t for t in ("lake", "lean", "git") if shutil.which(t) is None]
        if missing:
            raise ToolchainMissing(
                f"the leandojo backend runs Lean through lake: {', '.join(missing)} not found on PATH. Install "
                "elan (https://github.com/leanprover/elan), which provides lake and lean, and git"
            )
        if self.config.project is not None:
            self._check_project(self.config.project)

    def _check_project(self, project: Path) -> str | None:
        project = project.resolve()
        if project not in self._checked:
            gate = check_support("dojo", read_toolchain(project), project)
            self._checked[project] = gate.lean_version
        return self._checked[project]

    def lean_version(self) -> str | None:
        project = self._opened.theorem.project if self._opened else self.config.project
        if project is None:
            return None
        tc = read_toolchain(project)
        return str(tc.version).lstrip("v") if tc is not None and tc.version is not None else None

    # -- opening -------------------------------------------------------------------------

    def open(self, theorem: TheoremRef) -> GoalState:
        self._close_opened()
        self._check_project(theorem.project)
        api = self._api_loaded()
        dojo, initial = self._enter(theorem, api)
        self._opened = _Opened(theorem, dojo, initial)
        return self._register(initial, ())

    def _enter(self, theorem: TheoremRef, api: LeanDojoAPI) -> tuple[Any, Any]:
        repo = self._repo(theorem.project, api)
        if not api.is_available_in_cache(repo):
            raise ProjectNotTraced(
                f"{theorem.project} is not traced in {self.config.settings.cache_dir}: run "
                f"`leanagent add {theorem.project} --tracer leandojo` first (Dojo would trace it on the spot, "
                "which takes as long as a build)"
            )
        thm = api.Theorem(repo, theorem.file, theorem.full_name)
        dojo = api.Dojo(thm, timeout=self.config.open_timeout, build_deps=self.config.build_deps)
        started = time.monotonic()
        self.stats.lean_calls += 1
        try:
            entered, initial = self._start(dojo, theorem, api)
        except BaseException:
            # Dojo.__enter__ may have spawned Lean and written its temporary file before
            # failing; its __exit__ (never called by a failed `with`) removes both.
            _exit(dojo)
            raise
        finally:
            self.stats.lean_seconds += time.monotonic() - started
        return entered, initial

    def _start(self, dojo: Any, theorem: TheoremRef, api: LeanDojoAPI) -> tuple[Any, Any]:
        try:
            entered, initial = dojo.__enter__()
            return entered, initial
        except api.DojoInitError as exc:
            raise TheoremOpenError(f"Dojo could not start {theorem.full_name}: {exc}", reason="init_error") from exc
        except api.DojoCrashError as exc:
            reason = "out_of_memory" if getattr(exc, "is_out_of_memory", False) else "crash"
            raise TheoremOpenError(f"Lean crashed starting {theorem.full_name}: {exc}", reason=reason) from exc
        except api.DojoTacticTimeoutError as exc:
            raise TheoremOpenError(f"Lean did not answer within {self.config.open_timeout}s starting "
                                   f"{theorem.full_name}", reason="timeout") from exc
        except (AssertionError, subprocess.CalledProcessError, OSError) as exc:
            raise TheoremOpenError(f"Dojo could not start {theorem.full_name}: {type(exc).__name__}: {exc}",
                                   reason="init_error") from exc

    def _repo(self, project: Path, api: LeanDojoAPI) -> Any:
        try:
            commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=project, capture_output=True, text=True,
                                    check=True, timeout=60).stdout.strip()
        except (OSError, subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            raise LeanEnvError(f"{project} is not a git checkout: LeanDojo works on traced git commits") from exc
        try:
            return api.LeanGitRepo(str(project), commit)
        except Exception as exc:  # lean-dojo raises asserts, git and network errors here
            raise LeanEnvError(f"lean-dojo cannot open {project} at {commit[:12]}: {type(exc).__name__}: {exc}") \
                from exc

    # -- states --------------------------------------------------------------------------

    def _register(self, state: Any, path: tuple[str, ...]) -> GoalState:
        assert self._opened is not None
        self._next_id += 1
        sid = self._next_id
        self._opened.states[sid] = state
        self._opened.paths[sid] = path
        return GoalState(sid, _goals(state.pp))

    def _dojo_state(self, state: GoalState) -> Any:
        """The current process's TacticState for `state`, replaying its path after a restart."""
        opened = self._opened
        if opened is None or state.id not in opened.paths:
            raise LeanEnvError(f"state {state.id} does not belong to the theorem opened last")
        found = opened.states.get(state.id)
        if found is not None:
            return found
        api = self._api_loaded()
        cur = opened.initial
        for tactic in opened.paths[state.id]:
            self.stats.lean_calls += 1
            res = opened.dojo.run_tac(cur, tactic)
            if not isinstance(res, api.TacticState):
                raise TheoremOpenError(f"replaying the search path after a restart failed at {tactic!r}: {res}",
                                       reason="replay_failed")
            cur = res
        opened.states[state.id] = cur
        return cur

    def run_tactic(self, state: GoalState, tactic: str, *, timeout: float) -> TacticResult:
        api = self._api_loaded()
        dstate = self._dojo_state(state)
        opened = self._opened
        assert opened is not None
        proc = getattr(opened.dojo, "proc", None)
        if proc is not None:
            # Dojo fixes its timeout when it spawns Lean; pexpect reads `spawn.timeout` on
            # every expect(), which is how a per-tactic limit reaches it.
            proc.timeout = timeout
        started = time.monotonic()
        self.stats.lean_calls += 1
        try:
            res = opened.dojo.run_tac(dstate, tactic)
        except api.DojoTacticTimeoutError:
            self.stats.lean_seconds += time.monotonic() - started
            self._restart("timeout")
            return TacticTimeout(timeout)
        except api.DojoCrashError as exc:
            self.stats.lean_seconds += time.monotonic() - started
            reason = "out_of_memory" if getattr(exc, "is_out_of_memory", False) else "crash"
            self._restart(reason)
            return LeanError(f"Lean crashed running this tactic ({exc}); the process was restarted")
        self.stats.lean_seconds += time.monotonic() - started
        if isinstance(res, api.TacticState):
            return self._register(res, (*opened.paths[state.id], tactic))
        if isinstance(res, api.ProofFinished):
            return ProofFinished(res.tactic_state_id, (res.message,) if res.message else ())
        if isinstance(res, api.ProofGivenUp):
            return ProofGivenUp()
        if isinstance(res, api.LeanError):
            return LeanError(str(res.error))
        return LeanError(f"unexpected result from Dojo.run_tac: {res!r}")

    def _restart(self, reason: str) -> None:
        opened = self._opened
        assert opened is not None
        self.stats.restarts += 1
        self.stats.restart_reasons.append(reason)
        _exit(opened.dojo)
        api = self._api_loaded()
        dojo, initial = self._enter(opened.theorem, api)
        opened.dojo, opened.initial = dojo, initial
        opened.states.clear()  # rebuilt lazily by `_dojo_state`
        root = next(sid for sid, p in opened.paths.items() if p == ())
        opened.states[root] = initial

    # -- lifecycle -----------------------------------------------------------------------

    def _close_opened(self) -> None:
        if self._opened is not None:
            _exit(self._opened.dojo)
            self._opened = None

    def close(self) -> None:
        self._close_opened()

    def __enter__(self) -> LeanDojoEnv:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _exit(dojo: Any) -> None:
    # The process may already be gone (or never started); Dojo kills its descendants.
    with contextlib.suppress(Exception):
        dojo.__exit__(None, None, None)


def _goals(pp: str) -> tuple[str, ...]:
    goals = tuple(g for g in pp.split("\n\n") if g.strip())
    return goals if goals else (pp,)


__all__ = ["LeanDojoAPI", "LeanDojoBackendConfig", "LeanDojoEnv", "ProjectNotTraced"]
