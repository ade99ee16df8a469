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
"""

from __future__ import annotations

import logging
import os
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from database.errors import LeanAgentError

from .runtime import Runtime, task_threads

if TYPE_CHECKING:
    # The prover lands separately; until it has, these names are unknown to mypy.
    from prover.proving import (  # type: ignore[import-not-found, unused-ignore]
        ProofOutcome,
        ProofTask,
        ProverConfig,
    )

log = logging.getLogger(__name__)

#: The stop reason of a theorem whose worker died on every attempt.
WORKER_DIED = "worker_died"
#: The stop reason of a theorem on which `Prover.prove` raised inside the worker.
WORKER_ERROR = "worker_error"


class WorkerStartError(LeanAgentError):
    """A proving worker could not be built (its message says why)."""


class ProverActor:
    """One Ray actor: a `Prover` built once, proving one theorem per call."""

    def __init__(self, config: ProverConfig) -> None:
        from prover.proving import Prover  # type: ignore[import-not-found, unused-ignore]

        self.threads = task_threads()
        self.prover = Prover(config)

    def ready(self) -> dict[str, Any]:
        return {"pid": os.getpid(), "threads": self.threads, "generator": self.prover.generator.name}

    def prove(self, task: ProofTask) -> ProofOutcome:
        return self.prover.prove(task)

    def close(self) -> None:
        self.prover.close()


def lost_outcome(task: ProofTask, *, status: str, stop_reason: str, backend: str, generator: str, reason: str,
                 started_at: str, seconds: float, details: dict[str, Any]) -> ProofOutcome:
    """The outcome recorded for a theorem whose worker gave no outcome (it died, or
    `Prover.prove` raised), so that it stays in the denominator with its reason."""
    from database.store import utcnow
    from prover.proving import ProofOutcome  # type: ignore[import-not-found, unused-ignore]
    from prover.search import SearchResult, StopReason  # type: ignore[import-not-found, unused-ignore]

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
        cls = ray.remote(ProverActor).options(**options)
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
            self._running.clear()

    def close(self) -> None:
        ray = self.runtime.ray
        for s in self._slots:
            try:
                ray.get(s.actor.close.remote(), timeout=30)
            except Exception:  # a dead or hung worker: killed below either way
                log.debug("closing prover worker %s failed", s.pid, exc_info=True)
            ray.kill(s.actor, no_restart=True)
        self._slots = []

    def __enter__(self) -> RayProverPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _cause(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return " ".join(line.strip() for line in text[:3])[:400] if text else type(exc).__name__
