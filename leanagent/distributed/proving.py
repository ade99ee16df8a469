"""Parallel proving: a pool of Ray actors, each a `prover.proving.Prover`.

Each actor builds its prover once from the frozen, picklable `ProverConfig` -- tactic
generator, premise retriever and its index, a warm Lean backend -- and then proves one
theorem per call. `RayProverPool` is an executor for `prover.driver.prove_repository`:
theorems go to whichever actor is free, outcomes come back as they finish, and the
driver writes each one (one transaction per theorem) while the others keep working.

ReProver, LeanAgent and LeanDojo-v2 ``sys.exit(1)`` on any ``RayActorError``. Here a
worker that dies (killed, out of memory, a crash in native code) is replaced by a new
one, and the theorem it held is retried once on the new worker; if that worker dies on
it too, the theorem is recorded as failed, stop reason ``worker_died``, with Ray's
message, and the run goes on. A worker that cannot even start (a missing model, a bad
config) stops the run instead: a new one would fail the same way.

Nothing outlives the pool. Lean backends run in their own sessions (so that ``lake`` and
the Lean it spawns die together, `prover.lean.processes`), which also means a worker's
death does not take them along: a REPL busy in a long tactic would go on until it next
reads its (closed) stdin. So each actor kills its own Lean process groups when it is
told to stop -- through a second concurrency group, which answers while a proof is
running -- and, from a watchdog thread, when its parent (the raylet) is gone, which is
what happens to a local Ray whose driver crashed. `open_executor` is the one way the
CLI and the lifelong loop get an executor: in process for one worker, this pool for
more.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from database.errors import LeanAgentError

from .runtime import Runtime, task_threads

if TYPE_CHECKING:
    from prover.proving import ProofOutcome, ProofTask, ProverConfig

log = logging.getLogger(__name__)

#: The stop reason of a theorem whose worker died on every attempt.
WORKER_DIED = "worker_died"
#: The stop reason of a theorem on which `Prover.prove` raised inside the worker.
WORKER_ERROR = "worker_error"


class WorkerStartError(LeanAgentError):
    """A proving worker could not be built (its message says why)."""


#: The actor's second concurrency group: `ProverActor.stop` runs there, beside a proof.
CONTROL_GROUP = "control"
#: How often an actor's watchdog checks that its parent (the raylet) is alive.
WATCHDOG_SECONDS = 1.0


def kill_descendants(pid: int | None = None) -> list[int]:
    """SIGKILL every descendant of ``pid`` (default: this process), each with its
    process group when it leads one (a Lean backend's session: lake and its Lean)."""
    import psutil

    try:
        children = psutil.Process(pid or os.getpid()).children(recursive=True)
    except psutil.Error:
        return []
    killed = []
    for child in children:
        with contextlib.suppress(psutil.Error, OSError):
            if os.getpgid(child.pid) == child.pid:
                os.killpg(child.pid, signal.SIGKILL)
            else:
                child.kill()
            killed.append(child.pid)
    return killed


def _die(code: int) -> None:
    """Kill this process's Lean processes and exit at once, not returning to a proof
    in another thread. Twice: a backend that saw its REPL die may have started a new
    one in between."""
    kill_descendants()
    kill_descendants()
    os._exit(code)


def _watch_parent(parent: int) -> None:
    """Once this actor's parent is gone (it was re-parented), end like `_die`."""
    while True:
        time.sleep(WATCHDOG_SECONDS)
        if os.getppid() != parent:
            _die(1)


class ProverActor:
    """One Ray actor: a `Prover` built once, proving one theorem per call."""

    def __init__(self, config: ProverConfig) -> None:
        from prover.proving import Prover

        self.threads = task_threads()
        threading.Thread(target=_watch_parent, args=(os.getppid(),), name="leanagent-watchdog", daemon=True).start()
        self.prover = Prover(config)

    def ready(self) -> dict[str, Any]:
        return {"pid": os.getpid(), "threads": self.threads, "generator": self.prover.generator.name}

    def prove(self, task: ProofTask) -> ProofOutcome:
        return self.prover.prove(task)

    def close(self) -> None:
        self.prover.close()

    def stop(self) -> None:
        """Kill this worker's Lean processes and end the worker, without waiting for
        the proof in progress (called in `CONTROL_GROUP`, so it runs beside one)."""
        _die(0)


def lost_outcome(task: ProofTask, *, status: str, stop_reason: str, backend: str, generator: str, reason: str,
                 started_at: str, seconds: float, details: dict[str, Any]) -> ProofOutcome:
    """The outcome recorded for a theorem whose worker gave no outcome (it died, or
    `Prover.prove` raised), so that it stays in the denominator with its reason."""
    from database.store import utcnow
    from prover.proving import ProofOutcome
    from prover.search import SearchResult, StopReason

    search = SearchResult(stop_reason=StopReason.BACKEND_ERROR, proof=None, nodes_expanded=0, nodes=0,
                          lean_calls=0, seconds=seconds, generator_seconds=0.0, lean_seconds=0.0, error=reason)
    return ProofOutcome(
        task=task, status=status, stop_reason=stop_reason, search=search, verification=None, backend=backend,
        generator=generator, lean_version=None, started_at=started_at, finished_at=utcnow(), seconds=seconds,
        details={**details, "error": reason, "search": search.as_json()},
    )


@dataclass
class _Slot:
    actor: Any
    pid: int | None = None
    generation: int = 0


@dataclass
class RayProverPool:
    """``workers`` prover actors (``cpus_per_worker`` CPUs and ``gpus_per_worker`` GPUs
    each, fractions allowed), used as a `prover.driver.Executor`."""

    runtime: Runtime
    config: ProverConfig
    workers: int = 2
    cpus_per_worker: float = 1.0
    gpus_per_worker: float = 0.0
    #: Attempts per theorem when workers die under it (the first and one retry).
    max_attempts: int = 2
    #: Environment variables for the workers (e.g. PATH to a Lean toolchain); None: the
    #: nodes' own environment.
    env: dict[str, str] | None = None
    on_event: Callable[[str], None] = field(default=lambda _m: None)
    deaths: int = field(default=0, init=False)
    replacements: int = field(default=0, init=False)
    _slots: list[_Slot] = field(default_factory=list, init=False, repr=False)
    _running: dict[Any, tuple[_Slot, ProofTask, int, str, float]] = field(default_factory=dict, init=False,
                                                                          repr=False)
    _names: tuple[str, str] = field(default=("?", "?"), init=False, repr=False)
    _busy: set[int] = field(default_factory=set, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.workers < 1:
            raise LeanAgentError("--workers must be >= 1")
        if not self.runtime.active:
            raise LeanAgentError("parallel proving needs Ray: give --ray-address, or --workers 1 to prove here")

    # -- workers -----------------------------------------------------------------------

    def _spawn(self) -> _Slot:
        ray = self.runtime.ray
        options: dict[str, Any] = {"num_cpus": self.cpus_per_worker, "num_gpus": self.gpus_per_worker,
                                   "max_restarts": 0, "max_task_retries": 0}
        if self.env:
            options["runtime_env"] = {"env_vars": dict(self.env)}
        # Ray takes concurrency groups only in `ray.remote`, not in `.options`.
        cls = ray.remote(concurrency_groups={CONTROL_GROUP: 1})(ProverActor).options(**options)
        return _Slot(cls.remote(self.config))

    def _wait_ready(self, slots: list[_Slot]) -> None:
        ray = self.runtime.ray
        try:
            infos = ray.get([s.actor.ready.remote() for s in slots])
        except ray.exceptions.RayActorError as exc:
            raise WorkerStartError(f"a proving worker could not start: {_cause(exc)}") from exc
        for s, i in zip(slots, infos, strict=True):
            s.pid = int(i["pid"])
        self._names = (self.config.backend.name, str(infos[0]["generator"]))

    def fitting_workers(self) -> int:
        """How many workers the cluster's resources hold now (an actor that does not fit
        would wait for resources forever on a fixed-size cluster)."""
        res = self.runtime.resources()
        n = self.workers
        if self.cpus_per_worker > 0:
            n = min(n, int(res.get("CPU", 0) // self.cpus_per_worker))
        if self.gpus_per_worker > 0:
            n = min(n, int(res.get("GPU", 0) // self.gpus_per_worker))
        return n

    def start(self) -> None:
        if self._slots:
            return
        n = self.fitting_workers()
        if n < 1:
            raise WorkerStartError(
                f"no proving worker fits on {self.runtime.describe()}: each needs {self.cpus_per_worker:g} CPU(s) "
                f"and {self.gpus_per_worker:g} GPU(s); lower --gpus-per-worker or add nodes"
            )
        if n < self.workers:
            self.on_event(f"only {n} of {self.workers} proving workers fit the cluster's resources; using {n}")
        slots = [self._spawn() for _ in range(n)]
        self._wait_ready(slots)
        self._slots = slots
        self.on_event(f"proving with {n} worker(s) on {self.runtime.describe()}")

    def _replace(self, dead: _Slot) -> _Slot:
        self.runtime.ray.kill(dead.actor, no_restart=True)
        new = self._spawn()
        new.generation = dead.generation + 1
        self._wait_ready([new])
        self._slots[self._slots.index(dead)] = new
        self.replacements += 1
        return new

    def worker_pids(self) -> list[int | None]:
        return [s.pid for s in self._slots]

    def running(self) -> list[tuple[str, int | None]]:
        """(theorem full name, worker pid) of every theorem being proved now."""
        return [(task.theorem.full_name, slot.pid) for slot, task, *_ in self._running.values()]

    # -- the executor ------------------------------------------------------------------

    def __call__(self, tasks: Sequence[ProofTask]) -> Iterator[ProofOutcome]:
        from database.store import utcnow

        ray = self.runtime.ray
        self.start()
        queue: deque[tuple[ProofTask, int, str, float]] = deque((t, 1, utcnow(), time.monotonic()) for t in tasks)
        free = list(self._slots)
        try:
            while queue or self._running:
                while queue and free:
                    task, attempt, started, t0 = queue.popleft()
                    slot = free.pop()
                    self._running[slot.actor.prove.remote(task)] = (slot, task, attempt, started, t0)
                done, _ = ray.wait(list(self._running), num_returns=1)
                ref = done[0]
                slot, task, attempt, started, t0 = self._running.pop(ref)
                try:
                    outcome = ray.get(ref)
                except ray.exceptions.RayActorError as exc:
                    self.deaths += 1
                    reason = f"the worker (pid {slot.pid}) died: {_cause(exc)}"
                    free.append(self._replace(slot))
                    if attempt < self.max_attempts:
                        self.on_event(f"{task.theorem.full_name}: {reason}; retrying on a new worker")
                        queue.appendleft((task, attempt + 1, started, t0))
                        continue
                    self.on_event(f"{task.theorem.full_name}: {reason} again; recorded as failed")
                    backend, generator = self._names
                    yield lost_outcome(task, status="failed", stop_reason=WORKER_DIED, backend=backend,
                                       generator=generator, reason=reason, started_at=started,
                                       seconds=time.monotonic() - t0, details={"worker_deaths": attempt})
                    continue
                except ray.exceptions.RayTaskError as exc:
                    # `Prover.prove` raised (it reports theorem-level problems as outcomes,
                    # so this is a bug): the worker lives on; the theorem keeps its reason.
                    free.append(slot)
                    backend, generator = self._names
                    yield lost_outcome(task, status="error", stop_reason=WORKER_ERROR, backend=backend,
                                       generator=generator, reason=_cause(exc), started_at=started,
                                       seconds=time.monotonic() - t0, details={})
                    continue
                free.append(slot)
                yield outcome
        finally:
            # Interrupted (Ctrl-C, an error in the driver) with proofs in flight: those
            # workers are busy, and `close` would wait for their proofs to end.
            self._busy = {id(slot.actor) for slot, *_ in self._running.values()}
            self._running.clear()

    def close(self) -> None:
        """Stop every worker: an idle one closes its prover (its Lean processes end
        cleanly); a busy one has its Lean processes killed at once. Then the actors go."""
        ray = self.runtime.ray
        busy = [s for s in self._slots if id(s.actor) in self._busy]
        idle = [s for s in self._slots if id(s.actor) not in self._busy]
        calls = [s.actor.stop.options(concurrency_group=CONTROL_GROUP).remote() for s in busy]
        calls += [s.actor.close.remote() for s in idle]
        if calls:
            try:
                ray.wait(calls, num_returns=len(calls), timeout=30)
            except Exception:  # a dead or hung worker: killed below either way
                log.debug("stopping the prover workers failed", exc_info=True)
        for s in self._slots:
            with contextlib.suppress(Exception):
                ray.kill(s.actor, no_restart=True)
        self._slots = []
        self._busy = set()

    def __enter__(self) -> RayProverPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _cause(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return " ".join(line.strip() for line in text[:3])[:400] if text else type(exc).__name__


def uses_pool(workers: int, gpus_per_worker: float) -> bool:
    """Whether proving goes to Ray actors: more than one worker, or a worker that needs
    a GPU of the cluster. One CPU worker proves in this process, with no Ray at all."""
    return workers > 1 or gpus_per_worker > 0


@contextlib.contextmanager
def open_executor(
    runtime: Runtime | None,
    config: ProverConfig,
    *,
    workers: int = 1,
    gpus_per_worker: float = 0.0,
    cpus_per_worker: float = 1.0,
    env: dict[str, str] | None = None,
    on_event: Callable[[str], None] = lambda _m: None,
) -> Iterator[RayProverPool | None]:
    """The executor for `prover.driver.prove_repository`: None (prove in this process)
    unless `uses_pool`, else a `RayProverPool` (its workers start on first use), closed
    -- workers and their Lean processes gone -- when the block ends, however it ends."""
    if workers < 1:
        raise LeanAgentError(f"--workers must be >= 1 (got {workers})")
    if gpus_per_worker < 0:
        raise LeanAgentError(f"--gpus-per-worker must be >= 0 (got {gpus_per_worker:g})")
    if not uses_pool(workers, gpus_per_worker):
        yield None
        return
    if runtime is None or not runtime.active:
        raise LeanAgentError(
            f"--workers {workers}" + (f" --gpus-per-worker {gpus_per_worker:g}" if gpus_per_worker else "")
            + " proves on Ray, but Ray is off here (--ray-address off, or Ray is not installed: "
            "pip install 'leanagent[ray]'); use --workers 1 to prove in this process")
    with RayProverPool(runtime, config, workers=workers, cpus_per_worker=cpus_per_worker,
                       gpus_per_worker=gpus_per_worker, env=env, on_event=on_event) as pool:
        yield pool
