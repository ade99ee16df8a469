"""The ``repl`` backend: Lean through the leanprover-community/repl JSON protocol.

One REPL process per backend (one per worker), started inside the repository so that
its imports resolve (``lake env <repl>``, or a command the user configures), reused
across theorems, and restarted after a crash, a timeout or a memory limit -- each
restart counted in `BackendStats`.

The protocol (docs/proving.md, ``shared/fixtures/lean-repl/README.md``): a request is
one JSON object followed by a blank line; the answer is one (pretty-printed) JSON object
followed by a blank line. ``{"cmd": …}`` elaborates commands in a fresh environment
(only such a command may ``import``), ``{"cmd": …, "env": n}`` continues environment n;
``{"tactic": …, "proofState": n}`` runs a tactic on a proof state taken from a
``sorry``. Two blank lines in a row or malformed JSON make the REPL print
``uncaught exception: …`` on stderr and exit, so requests are always compact JSON (no
raw newline) followed by exactly one blank line.

Opening a theorem: the text of its file before it is cut at command boundaries
(`prover.lean.source`); each piece is elaborated once, in the environment of the pieces
before it, and the environment after every prefix is cached, so the import header and
the file's earlier declarations are elaborated once per process and shared by every
theorem of the file. The theorem is then stated with ``by sorry`` in that environment
and its sorry's ``proofState`` is the root.

`GoalState.id` is this backend's own handle, not a REPL ``proofState``: after a restart
the REPL's ids are gone, so a handle remembers the tactic that produced it from its
parent and is restored, when next used, by re-opening the theorem and replaying the
tactics on its path (counted in ``BackendStats.replayed_calls``).
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import selectors
import shutil
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import IO, Any

from database.errors import ConfigError

from .interface import (
    BackendError,
    BackendStats,
    FileCheckResult,
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
from .processes import describe_exit, kill_tree, spawn, tree_rss_mb
from .source import (
    SourceError,
    SourceFile,
    chunk_key,
    has_sorry_in_statement,
    is_blank_code,
    sorry_command,
    statement_matches,
)

log = logging.getLogger(__name__)

REPL_GIT = "https://github.com/leanprover-community/repl"
ELAN_URL = "https://github.com/leanprover/elan"


# -- configuration ------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ReplConfig:
    """How to run the REPL. Every field can be given as a backend option
    (``--backend-option key=value`` on the command line)."""

    #: The whole command that starts a REPL inside the project (e.g.
    #: ``("lake", "env", "/opt/repl/.lake/build/bin/repl")``); None: ``lake env <repl>``
    #: with the REPL binary found by `locate_repl`.
    command: tuple[str, ...] | None = None
    #: The REPL binary (``…/repl/.lake/build/bin/repl``) built for the project's toolchain.
    repl_path: str | None = None
    lake: str = "lake"
    #: Command prefix that checks a whole file (``… --json FILE`` is appended).
    check_command: tuple[str, ...] | None = None
    #: Seconds to elaborate one piece of a file's header (an ``import Mathlib`` header
    #: can take minutes on a cold cache).
    header_timeout: float = 600.0
    #: Seconds to elaborate a theorem's statement.
    command_timeout: float = 120.0
    #: Restart the REPL once the resident memory of its process tree exceeds this
    #: (checked after every request); None: no limit. Environments live as long as the
    #: process, so a long-lived REPL grows.
    memory_limit_mb: int | None = None
    #: Restart the REPL after this many opened theorems (None: never).
    restart_every: int | None = None

    def __post_init__(self) -> None:
        for name in ("header_timeout", "command_timeout"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"repl option {name} must be > 0 (got {getattr(self, name)})")
        if self.memory_limit_mb is not None and self.memory_limit_mb <= 0:
            raise ConfigError("repl option memory_limit_mb must be > 0")
        if self.restart_every is not None and self.restart_every < 1:
            raise ConfigError("repl option restart_every must be >= 1")
        if self.command is not None and not self.command:
            raise ConfigError("repl option command is empty: give the program that starts the REPL")

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> ReplConfig:
        """Build from backend options (strings from the command line are converted);
        unknown keys are refused with the list of known ones."""
        known = {f.name: f for f in fields(cls)}
        kwargs: dict[str, Any] = {}
        for key, value in options.items():
            if key not in known:
                raise ConfigError(f"unknown option '{key}' for the repl backend (known: {', '.join(sorted(known))})")
            kwargs[key] = _convert(key, value)
        return cls(**kwargs)


def _convert(key: str, value: Any) -> Any:
    if not isinstance(value, str):
        return tuple(value) if isinstance(value, list) else value
    if key in ("command", "check_command"):
        import shlex

        return tuple(shlex.split(value))
    if key in ("header_timeout", "command_timeout"):
        try:
            return float(value)
        except ValueError as exc:
            raise ConfigError(f"repl option {key} must be a number of seconds, not '{value}'") from exc
    if key in ("memory_limit_mb", "restart_every"):
        try:
            return int(value)
        except ValueError as exc:
            raise ConfigError(f"repl option {key} must be an integer, not '{value}'") from exc
    return value


# -- locating the toolchain -------------------------------------------------------------------


def project_toolchain(project: Path) -> str | None:
    """The project's ``lean-toolchain`` (e.g. ``leanprover/lean4:v4.9.0``), if any."""
    path = project / "lean-toolchain"
    try:
        text = path.read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return text or None


def toolchain_version(toolchain: str | None) -> str | None:
    """``v4.9.0`` for ``leanprover/lean4:v4.9.0``."""
    if not toolchain:
        return None
    return toolchain.rsplit(":", 1)[-1].strip() or None


def _lean_interact_caches() -> list[Path]:
    """Where LeanInteract keeps the REPLs it builds: its package's ``cache/`` (older
    releases) and ``~/.cache/lean_interact``. Found without importing it (its import
    creates directories and installs log handlers)."""
    import importlib.util

    roots = [Path.home() / ".cache" / "lean_interact"]
    try:
        spec = importlib.util.find_spec("lean_interact")
    except (ImportError, ValueError):
        spec = None
    if spec is not None and spec.submodule_search_locations:
        roots.extend(Path(p) / "cache" for p in spec.submodule_search_locations)
    return [r for r in roots if r.is_dir()]


def locate_repl(project: Path, repl_path: str | None = None) -> tuple[Path | None, list[str]]:
    """The REPL binary to use for ``project`` and the places looked at.

    Order: an explicit path; a REPL the project builds as a Lake dependency
    (``.lake/packages/repl``); one LeanInteract built for the project's Lean version;
    ``repl`` on PATH."""
    looked: list[str] = []
    if repl_path:
        path = Path(repl_path).expanduser()
        looked.append(str(path))
        return (path if path.is_file() else None), looked
    for package in ("repl", "REPL"):
        path = project / ".lake" / "packages" / package / ".lake" / "build" / "bin" / "repl"
        looked.append(str(path))
        if path.is_file():
            return path, looked
    version = toolchain_version(project_toolchain(project))
    if version:
        for root in _lean_interact_caches():
            pattern = f"**/repl_*_{version}/.lake/build/bin/repl"
            looked.append(str(root / pattern))
            for found in sorted(root.glob(pattern)):
                if found.is_file():
                    return found, looked
    on_path = shutil.which("repl")
    looked.append("repl on PATH")
    return (Path(on_path) if on_path else None), looked


def _executable(name: str) -> str | None:
    if os.sep in name:
        return name if os.access(name, os.X_OK) and Path(name).is_file() else None
    found = shutil.which(name)
    if found is None:
        elan = Path.home() / ".elan" / "bin" / name
        found = str(elan) if elan.is_file() else None
    return found


def install_instructions(project: Path, what: str) -> str:
    toolchain = project_toolchain(project) or "the toolchain your project names in lean-toolchain"
    version = toolchain_version(project_toolchain(project)) or "<your Lean version>"
    if what == "lake":
        return (
            "the repl backend needs Lean 4's build tool `lake` on PATH and none was found. Install elan "
            f"({ELAN_URL}; `curl -sSfL https://raw.githubusercontent.com/leanprover/elan/master/elan-init.sh | sh`), "
            f"which installs {toolchain} on first use; build the project once with `lake build` in {project}; "
            "then build the Lean REPL for the same version (see docs/proving.md)."
        )
    return (
        f"no Lean REPL binary built for {toolchain} was found. Build it once: "
        f"`git clone {REPL_GIT} && cd repl && git checkout {version} && lake build`, then pass "
        "--repl PATH/TO/repl/.lake/build/bin/repl (or `--backend-option command=...` for a custom command). "
        "A REPL that LeanInteract (pip install lean-interact) built for this version is found automatically."
    )


# -- the process and the protocol -------------------------------------------------------------


class ReplCrashed(Exception):
    def __init__(self, code: int | None, stderr: str) -> None:
        self.code = code
        self.stderr = stderr
        tail = stderr.strip().splitlines()[-3:] if stderr.strip() else []
        super().__init__(f"the REPL {describe_exit(code)}" + (f": {' | '.join(tail)}" if tail else ""))


class ReplTimeout(Exception):
    pass


class ReplProtocolError(Exception):
    pass


class ReplProcess:
    """One running REPL. `request` sends one JSON request and returns the parsed answer;
    it raises `ReplTimeout` (the caller must `kill`), `ReplCrashed` or
    `ReplProtocolError`."""

    def __init__(self, command: tuple[str, ...], cwd: Path) -> None:
        self.command = command
        # Lives as long as the process (closed by `kill`): stderr never fills a pipe.
        self._stderr: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115
        try:
            self.proc = spawn(command, cwd=cwd, stderr=self._stderr)
        except BaseException:
            self._stderr.close()
            raise
        assert self.proc.stdout is not None and self.proc.stdin is not None
        self._fd = self.proc.stdout.fileno()
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._fd, selectors.EVENT_READ)
        self._buffer = bytearray()

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stderr_text(self) -> str:
        try:
            self._stderr.seek(0)
            return self._stderr.read()[-4000:].decode("utf-8", "replace")
        except (OSError, ValueError):
            return ""

    @staticmethod
    def encode(request: Mapping[str, Any]) -> bytes:
        # Compact JSON has no raw newline (json escapes them), so the request is one
        # line; exactly one blank line ends it.
        return json.dumps(request, ensure_ascii=False, separators=(", ", ": ")).encode() + b"\n\n"

    def request(self, request: Mapping[str, Any], *, timeout: float) -> dict[str, Any]:
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write(self.encode(request))
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            raise ReplCrashed(self._reap(), self.stderr_text()) from exc
        return self._read(time.monotonic() + timeout)

    def _read(self, deadline: float) -> dict[str, Any]:
        while True:
            end = self._buffer.find(b"\n\n")
            if end >= 0:
                block = bytes(self._buffer[:end]).strip()
                del self._buffer[: end + 2]
                if not block:
                    continue
                start = block.find(b"{")
                if start < 0:
                    log.debug("REPL printed non-JSON output: %r", block[:200])
                    continue
                try:
                    obj = json.loads(block[start:])
                except json.JSONDecodeError as exc:
                    raise ReplProtocolError(f"the REPL answered with invalid JSON ({exc}): {block[:200]!r}") from exc
                if not isinstance(obj, dict):
                    raise ReplProtocolError(f"the REPL answered with {type(obj).__name__}, not an object")
                return obj
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ReplTimeout()
            if not self._selector.select(timeout=remaining):
                continue
            chunk = os.read(self._fd, 1 << 16)
            if not chunk:
                raise ReplCrashed(self._reap(), self.stderr_text())
            self._buffer.extend(chunk)

    def _reap(self) -> int | None:
        try:
            return self.proc.wait(timeout=5)
        except Exception:
            return None

    def kill(self) -> int | None:
        code = kill_tree(self.proc)
        self._selector.close()
        self._stderr.close()
        return code


# -- answers -> results ---------------------------------------------------------------------------


def _errors(response: Mapping[str, Any]) -> list[str]:
    return [str(m.get("data", "")) for m in response.get("messages") or () if m.get("severity") == "error"]


@dataclass(frozen=True)
class TacticReply:
    """A tactic answer mapped to the interface's vocabulary, before handles are given."""

    kind: str  # "goals", "finished", "error", "given_up"
    goals: tuple[str, ...] = ()
    proof_state: int | None = None
    message: str = ""
    messages: tuple[str, ...] = ()


_UNKNOWN = ("Unknown proof state", "Unknown environment")


def tactic_reply(response: Mapping[str, Any]) -> TacticReply:
    """Map a REPL answer to a tactic request (LeanDojo's `run_tac` semantics).

    * ``{"message": "Lean error: …"}`` (a parse error) and any error message: a Lean error;
    * a ``sorries`` entry (the tactic used ``sorry``, even inside a ``have``): given up;
    * ``proofStatus`` (newer REPLs validate the finished proof, after repl#44):
      ``Completed`` is finished, ``Incomplete: contains sorry`` given up, anything else
      that is not "open goals remain" (metavariables, a kernel error) an error;
    * otherwise no goals is finished and goals are a new state.

    ``Unknown proof state`` / ``Unknown environment`` are the client's bookkeeping
    failing, not Lean rejecting the tactic: `ReplProtocolError`."""
    if "proofState" not in response and "message" in response:
        text = str(response["message"])
        if text.startswith(_UNKNOWN):
            raise ReplProtocolError(f"the REPL says: {text}")
        return TacticReply("error", message=text.removeprefix("Lean error:").strip() or text)
    errors = _errors(response)
    status = response.get("proofStatus")
    goals = tuple(str(g) for g in response.get("goals") or ())
    ps = response.get("proofState")
    others = tuple(str(m.get("data", "")) for m in response.get("messages") or () if m.get("severity") != "error")
    if errors:
        return TacticReply("error", message="\n".join(errors))
    if response.get("sorries"):
        return TacticReply("given_up", message="the tactic uses sorry")
    if isinstance(status, str):
        if status == "Completed":
            return TacticReply("finished", proof_state=ps, messages=others)
        if status.startswith("Incomplete: contains sorry"):
            return TacticReply("given_up", message=status)
        if status.startswith("Incomplete: open goals remain") and goals:
            return TacticReply("goals", goals=goals, proof_state=ps, messages=others)
        return TacticReply("error", message=status)
    if not goals:
        return TacticReply("finished", proof_state=ps, messages=others)
    return TacticReply("goals", goals=goals, proof_state=ps, messages=others)


# -- the backend --------------------------------------------------------------------------------


@dataclass
class _Node:
    parent: int | None
    tactic: str | None
    goals: tuple[str, ...]
    proof_state: int | None
    generation: int


@dataclass
class _Opened:
    theorem: TheoremRef
    root: int
    file_text: str
    nodes: dict[int, _Node] = field(default_factory=dict)


class ReplBackend:
    """`LeanEnv` (and `FileChecker`) over the Lean REPL. Use as a context manager, or
    call `close`: the REPL's whole process group is killed then."""

    name = "repl"

    def __init__(self, project: Path | str, config: ReplConfig | None = None) -> None:
        self.project = Path(project).resolve()
        self.config = config or ReplConfig()
        self.stats = BackendStats()
        self._process: ReplProcess | None = None
        self._generation = 0
        self._envs: dict[str, int | None] = {}  # prefix key -> env id, for this generation
        self._opened: _Opened | None = None
        self._next_handle = 0
        self._theorems_since_start = 0
        self._lean_version: str | None = None
        self._version_checked = False
        self._command: tuple[str, ...] | None = None

    # -- availability ---------------------------------------------------------------------

    def repl_command(self) -> tuple[str, ...]:
        """The command that starts the REPL; raises `ToolchainMissing` when it cannot run."""
        if self._command is not None:
            return self._command
        if not self.project.is_dir():
            raise LeanEnvError(f"the repository directory {self.project} does not exist: re-add the repository "
                               "with `leanagent add` or fix its path")
        if self.config.command is not None:
            exe = self.config.command[0]
            if _executable(exe) is None:
                raise ToolchainMissing(f"the configured REPL command '{exe}' was not found or is not executable "
                                       f"(command: {' '.join(self.config.command)})")
            self._command = self.config.command
            return self._command
        lake = _executable(self.config.lake)
        if lake is None:
            raise ToolchainMissing(install_instructions(self.project, "lake"))
        repl, looked = locate_repl(self.project, self.config.repl_path)
        if repl is None:
            where = "; ".join(looked)
            raise ToolchainMissing(install_instructions(self.project, "repl") + f" (looked in: {where})")
        self._command = (lake, "env", str(repl))
        return self._command

    def check_available(self) -> None:
        self.repl_command()
        if self.config.check_command is None and self.config.command is not None and _executable(self.config.lake) is None:
            raise ToolchainMissing(install_instructions(self.project, "lake")
                                   + " (the REPL command is configured, but whole-file checks need "
                                   "`lake env lean`; set check_command to check files another way)")

    def check_command(self) -> tuple[str, ...]:
        if self.config.check_command is not None:
            return self.config.check_command
        lake = _executable(self.config.lake)
        if lake is None:
            raise ToolchainMissing(install_instructions(self.project, "lake"))
        return (lake, "env", "lean")

    def lean_version(self) -> str | None:
        if not self._version_checked:
            self._version_checked = True
            from .verify import lean_version

            try:
                self._lean_version = lean_version(self.check_command(), self.project)
            except ToolchainMissing:
                self._lean_version = None
            if self._lean_version is None:
                self._lean_version = (toolchain_version(project_toolchain(self.project)) or "").lstrip("v") or None
        return self._lean_version

    # -- process lifecycle ----------------------------------------------------------------

    def _ensure_process(self) -> ReplProcess:
        if self._process is not None and self._process.alive():
            return self._process
        if self._process is not None:
            self._restart(f"the REPL {describe_exit(self._process.proc.poll())}", start=False)
        command = self.repl_command()
        try:
            self._process = ReplProcess(command, self.project)
        except (FileNotFoundError, PermissionError) as exc:
            raise ToolchainMissing(f"cannot start the REPL ({' '.join(command)}): {exc}") from exc
        self._theorems_since_start = 0
        return self._process

    def _restart(self, reason: str, *, start: bool = False) -> None:
        """Drop the current process (killing it), its environments and proof states."""
        if self._process is not None:
            self._process.kill()
            self._process = None
        self.stats.restarts += 1
        self.stats.restart_reasons.append(reason)
        self._generation += 1
        self._envs.clear()
        log.info("restarting the REPL: %s", reason)
        if start:
            self._ensure_process()

    def close(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process = None
        self._opened = None

    def __enter__(self) -> ReplBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- requests ---------------------------------------------------------------------------

    def _send(self, request: Mapping[str, Any], *, timeout: float, replay: bool = False) -> dict[str, Any]:
        """One request, counted. A timeout, a crash or a protocol error restarts the
        process (counted) and re-raises: every id the caller holds is then stale."""
        proc = self._ensure_process()
        start = time.monotonic()
        self.stats.lean_calls += 1
        if replay:
            self.stats.replayed_calls += 1
        try:
            return proc.request(request, timeout=timeout)
        except ReplTimeout:
            self._restart(f"no answer within {timeout:g} s")
            raise
        except ReplCrashed as exc:
            self._restart(str(exc))
            raise
        except ReplProtocolError as exc:
            self._restart(f"protocol error: {exc}")
            raise
        finally:
            self.stats.lean_seconds += time.monotonic() - start

    def _check_memory(self) -> None:
        """Restart a REPL that outgrew the memory limit -- only between requests, so that
        no id from the old process is mistaken for one of the new."""
        limit = self.config.memory_limit_mb
        if limit is not None and self._process is not None and self._process.alive():
            rss = tree_rss_mb(self._process.pid)
            if rss > limit:
                self._restart(f"memory limit: {rss:.0f} MiB > {limit} MiB")

    # -- opening ------------------------------------------------------------------------------

    def open(self, theorem: TheoremRef) -> GoalState:
        self._check_memory()
        if self._process is not None and self.config.restart_every is not None \
                and self._theorems_since_start >= self.config.restart_every:
            self._restart(f"scheduled after {self._theorems_since_start} theorems")
        if Path(theorem.project).resolve() != self.project:
            raise LeanEnvError(f"this repl backend runs in {self.project}, but {theorem.full_name} belongs to "
                               f"{theorem.project}: use one backend per repository")
        path = self.project / theorem.file
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise TheoremOpenError(f"cannot read {path}: {exc}", reason="source_missing") from exc
        self._opened = None
        ps, goal = self._open_text(theorem, text)
        self._theorems_since_start += 1
        handle = self._new_handle()
        opened = _Opened(theorem, handle, text)
        opened.nodes[handle] = _Node(None, None, (goal,), ps, self._generation)
        self._opened = opened
        return GoalState(handle, (goal,))

    def _new_handle(self) -> int:
        self._next_handle += 1
        return self._next_handle

    def _open_text(self, theorem: TheoremRef, text: str) -> tuple[int, str]:
        """Elaborate the header and state the theorem; its root (proofState, goal)."""
        where = f"{theorem.full_name} ({theorem.file}:{theorem.start[0]})"
        src = SourceFile(text)
        try:
            decl = src.declaration(theorem.start, theorem.end)
        except SourceError as exc:
            raise TheoremOpenError(f"{where}: {exc}: the file changed since it was indexed; re-add the repository",
                                   reason="source_changed") from exc
        if not statement_matches(src, decl, theorem.statement):
            raise TheoremOpenError(
                f"{where}: the file no longer has the indexed statement at line {theorem.start[0]}; "
                "it changed since indexing: re-add the repository", reason="source_changed")
        if has_sorry_in_statement(src, decl):
            raise TheoremOpenError(f"{where}: the statement itself contains sorry; a proof would prove a placeholder",
                                   reason="statement_has_sorry")
        try:
            command, sorry_at = sorry_command(src, decl)
        except SourceError as exc:
            raise TheoremOpenError(f"{where}: {exc}", reason="unsupported") from exc
        env, key = self._header_env(theorem, src, decl.start)
        request: dict[str, Any] = {"cmd": command}
        if env is not None:
            request["env"] = env
        try:
            response = self._send(request, timeout=self.config.command_timeout)
        except ReplTimeout as exc:
            raise TheoremOpenError(f"{where}: stating the theorem took longer than {self.config.command_timeout:g} s",
                                   reason="timeout") from exc
        except (ReplCrashed, ReplProtocolError) as exc:
            raise TheoremOpenError(f"{where}: {exc}", reason="crash") from exc
        if "env" not in response and "message" in response:
            raise TheoremOpenError(f"{where}: the REPL refused the statement: {response['message']}",
                                   reason="statement_error")
        errors = _errors(response)
        if errors:
            line = src.position(decl.start)[0]
            raise TheoremOpenError(f"{where}: the statement does not elaborate (from line {line}): {errors[0]}",
                                   reason="statement_error")
        # The command's own text equals the file's piece: later theorems reuse its env.
        after = src.text[decl.start : decl.end]
        if after == command and isinstance(response.get("env"), int):
            self._envs[chunk_key(key, command)] = response["env"]
        sorry = self._pick_sorry(response.get("sorries") or [], command, sorry_at)
        if sorry is None:
            raise TheoremOpenError(f"{where}: Lean reported no goal for the theorem's sorry", reason="no_goal")
        return int(sorry["proofState"]), str(sorry.get("goal", ""))

    @staticmethod
    def _pick_sorry(sorries: list[dict[str, Any]], command: str, sorry_at: int) -> dict[str, Any] | None:
        """The sorry that stands for the proof (a statement may hold others)."""
        with_state = [s for s in sorries if isinstance(s.get("proofState"), int)]
        if not with_state:
            return None
        before = command[:sorry_at]
        line = before.count("\n") + 1
        col = sorry_at - (before.rfind("\n") + 1)
        for s in with_state:
            pos = s.get("pos") or {}
            if pos.get("line") == line and pos.get("column") == col:
                return s
        return with_state[-1]

    def _header_env(self, theorem: TheoremRef, src: SourceFile, upto: int) -> tuple[int | None, str]:
        """The environment after ``src.text[:upto]`` (None: empty prefix) and its key."""
        bounds = src.boundaries(upto)
        keys = [theorem.file]
        for a, b in itertools.pairwise(bounds):
            keys.append(chunk_key(keys[-1], src.text[a:b].rstrip()))
        # the longest prefix whose environment this process already has
        have = 0
        for i in range(len(keys) - 1, 0, -1):
            if keys[i] in self._envs:
                have = i
                break
        env = self._envs.get(keys[have]) if have else None
        for i in range(have, len(bounds) - 1):
            a, b = bounds[i], bounds[i + 1]
            piece = src.text[a:b].rstrip()
            if not is_blank_code(piece):
                env = self._elaborate_piece(theorem, src, a, piece, env)
            self._envs[keys[i + 1]] = env
        return env, keys[-1]

    def _elaborate_piece(self, theorem: TheoremRef, src: SourceFile, offset: int, piece: str,
                         env: int | None) -> int:
        where = f"{theorem.file}:{src.position(offset)[0]}"
        request: dict[str, Any] = {"cmd": piece}
        if env is not None:
            request["env"] = env
        try:
            response = self._send(request, timeout=self.config.header_timeout)
        except ReplTimeout as exc:
            raise TheoremOpenError(f"elaborating {where} took longer than {self.config.header_timeout:g} s "
                                   "(raise header_timeout for big imports)", reason="timeout") from exc
        except (ReplCrashed, ReplProtocolError) as exc:
            raise TheoremOpenError(f"elaborating {where}: {exc}", reason="crash") from exc
        if "env" not in response:
            raise TheoremOpenError(f"elaborating {where}: the REPL said {response.get('message', response)!r}",
                                   reason="header_error")
        errors = [m for m in response.get("messages") or () if m.get("severity") == "error"]
        if errors:
            first = errors[0]
            line = src.position(offset)[0] + int((first.get("pos") or {}).get("line", 1)) - 1
            text = str(first.get("data", ""))
            hint = ""
            if "object file" in text or "unknown module prefix" in text or "unknown package" in text:
                hint = f" (build the project first: `lake build` in {self.project})"
            raise TheoremOpenError(f"{theorem.file} does not elaborate before {theorem.full_name}: line {line}: "
                                   f"{text}{hint}", reason="header_error")
        return int(response["env"])

    # -- tactics ---------------------------------------------------------------------------------

    def run_tactic(self, state: GoalState, tactic: str, *, timeout: float) -> TacticResult:
        opened = self._opened
        if opened is None or state.id not in opened.nodes:
            raise BackendError(f"state {state.id} does not belong to the theorem opened last on this backend")
        if not tactic.strip():
            return LeanError("empty tactic")
        self._check_memory()
        ps = self._materialize(opened, state.id)
        try:
            response = self._send({"tactic": tactic, "proofState": ps}, timeout=timeout)
        except ReplTimeout:
            return TacticTimeout(timeout)
        except ReplCrashed as exc:
            return LeanError(f"Lean crashed running this tactic ({exc}); the REPL was restarted")
        except ReplProtocolError as exc:
            raise BackendError(str(exc)) from exc
        try:
            reply = tactic_reply(response)
        except ReplProtocolError as exc:
            self._restart(str(exc))
            raise BackendError(str(exc)) from exc
        if reply.kind == "error":
            return LeanError(reply.message)
        if reply.kind == "given_up":
            return ProofGivenUp(reply.message)
        handle = self._new_handle()
        opened.nodes[handle] = _Node(state.id, tactic, reply.goals, reply.proof_state, self._generation)
        if reply.kind == "finished":
            return ProofFinished(handle, reply.messages)
        return GoalState(handle, reply.goals)

    def _materialize(self, opened: _Opened, handle: int) -> int:
        """The REPL proofState of ``handle`` in the current process, restoring it (re-open
        and replay its path) when it comes from a process that is gone."""
        path = []
        h: int | None = handle
        while h is not None:
            node = opened.nodes[h]
            if node.generation == self._generation and node.proof_state is not None:
                break
            path.append(h)
            h = node.parent
        for h in reversed(path):
            node = opened.nodes[h]
            if node.parent is None:
                try:
                    ps, goal = self._open_text(opened.theorem, opened.file_text)
                except TheoremOpenError as exc:
                    raise BackendError(f"cannot re-open {opened.theorem.full_name} after a restart: {exc}") from exc
                if (goal,) != node.goals:
                    raise BackendError(f"re-opening {opened.theorem.full_name} gave a different goal")
                node.proof_state, node.generation = ps, self._generation
                continue
            parent = opened.nodes[node.parent]
            assert node.tactic is not None and parent.proof_state is not None
            try:
                response = self._send({"tactic": node.tactic, "proofState": parent.proof_state},
                                      timeout=self.config.command_timeout, replay=True)
                reply = tactic_reply(response)
            except (ReplTimeout, ReplCrashed, ReplProtocolError) as exc:
                raise BackendError(f"replaying `{node.tactic}` after a restart failed: {exc}") from exc
            if reply.kind not in ("goals", "finished") or reply.goals != node.goals:
                raise BackendError(f"replaying `{node.tactic}` after a restart gave a different result")
            node.proof_state, node.generation = reply.proof_state, self._generation
        restored = opened.nodes[handle].proof_state
        assert restored is not None
        return restored

    # -- whole files -------------------------------------------------------------------------------

    def check_file(self, project: Path, relative_path: str, text: str, *, timeout: float) -> FileCheckResult:
        from .verify import check_lean_file

        return check_lean_file(self.check_command(), Path(project), relative_path, text, timeout=timeout)


def create(project: Path, options: Mapping[str, Any]) -> ReplBackend:
    """Registry factory (`prover.lean.backends`)."""
    return ReplBackend(project, ReplConfig.from_options(options))

