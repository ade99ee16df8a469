"""Adding many repositories at once: one Ray task per repository, the driver writes.

Each task clones its repository (or reads a local checkout), reads its toolchain,
walks back to a supported commit when asked (the crawler), and indexes it with the
tracer's *preparer* -- without touching the database. The driver writes every result
in one transaction (`write_prepared`), together with its ``source_attempts`` row.
A repository that fails is recorded with its reason and the others go on.

Sources whose tracer has no preparer (LeanDojo exports, which the importer reads
straight into the database) and, through Ray Client, local directories (the cluster
cannot see the driver's disk) are added by the driver itself, between results.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from database.errors import AlreadyImported, InputError, LeanAgentError, SourceError, UnsafeSourceError
from database.home import Home
from database.source_attempts import AttemptStatus, SourceAttempt, add_attempt, record_attempt

from .records import PreparedRepository, write_prepared

if TYPE_CHECKING:
    from database.ingest import IngestSummary
    from database.store import Store
    from leanagent.crawl import ToolchainRule
    from leanagent.tracing import AddRequest

    from .runtime import Runtime

Origin = Literal["add", "crawl"]


@dataclass(frozen=True)
class AddJob:
    """One source to add. ``walk_back``: check out the newest commit whose toolchain
    the rule accepts (clones of a URL without a requested commit; a local checkout or
    a requested commit is only checked, never moved). ``min_theorems``: record as
    skipped when it has fewer own theorems."""

    request: AddRequest
    origin: Origin = "add"
    walk_back: ToolchainRule | None = None
    min_theorems: int = 0
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class AddOutcome:
    job: AddJob
    status: AttemptStatus
    summaries: list[IngestSummary] = field(default_factory=list)
    reason: str | None = None
    retryable: bool = False
    url: str | None = None
    name: str | None = None
    commit: str | None = None
    seconds: float = 0.0
    where: Literal["driver", "ray"] = "driver"
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def source(self) -> str:
        return self.job.request.source

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source, "status": self.status, "reason": self.reason, "retryable": self.retryable,
            "url": self.url, "name": self.name, "commit": self.commit, "seconds": round(self.seconds, 3),
            "where": self.where, "details": self.details,
            "repositories": [s.as_dict() for s in self.summaries],
        }


@dataclass
class _Finished:
    """What a task returns when there is nothing to write."""

    status: AttemptStatus
    reason: str | None
    retryable: bool = False
    url: str | None = None
    name: str | None = None
    commit: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


_TaskResult = PreparedRepository | _Finished


def _failure(exc: BaseException, details: dict[str, Any], url: str | None = None,
             name: str | None = None, commit: str | None = None) -> _Finished:
    from leanagent.crawl import UnsupportedToolchain

    if isinstance(exc, LeanAgentError):
        # A clone can fail on the network (retry later); a refused URL, a toolchain no
        # tracer supports or malformed input will fail the same way again.
        retryable = isinstance(exc, SourceError) and not isinstance(
            exc, UnsafeSourceError | UnsupportedToolchain | InputError)
        return _Finished("failed", str(exc), retryable, url, name, commit, details)
    return _Finished("failed", f"{type(exc).__name__}: {exc}", False, url, name, commit, details)


def prepare_job(job: AddJob, home_root: str, known: frozenset[tuple[str, str]], cpus: int | None = None
                ) -> _TaskResult:
    """The body of one Ray task (also run in process): resolve, walk back, index.

    Never opens the database; returns the records, or why there are none. Exceptions
    become a `_Finished` failure so that the driver gets the reason as text. ``cpus``:
    processes the tracer may use (1 in a task: the parallelism is across repositories,
    and a Ray worker should not fork a pool).
    """
    from leanagent.crawl import UnsupportedToolchain
    from leanagent.tracing import choose_tracer, preparers
    from leanagent.tracing.git import resolve_source

    home = Home(Path(home_root))
    request = job.request
    details: dict[str, Any] = dict(job.details)
    timings: dict[str, float] = {}
    url = name = commit = None
    try:
        tracer = choose_tracer(request)
        preparer = preparers().get(tracer)
        if preparer is None:
            raise LeanAgentError(f"the {tracer} tracer cannot run in a Ray task; add this source on its own")
        t0 = time.perf_counter()
        src = resolve_source(request.source, home.repos, request.commit, request.name, request.url)
        url, name, commit = src.url, src.name, src.commit
        timings["resolve"] = time.perf_counter() - t0
        if job.walk_back is not None:
            if src.cloned and request.commit is None:
                from leanagent.crawl import walk_back

                t1 = time.perf_counter()
                wb = walk_back(src.path, job.walk_back)
                timings["walk_back"] = time.perf_counter() - t1
                details["walk_back"] = wb.as_dict()
                commit = wb.commit
            else:
                # A local checkout (the user's working tree) or a commit the user chose:
                # checked, never moved.
                why = job.walk_back.check(_working_tree_toolchain(src.path))
                if why is not None:
                    what = "a local checkout" if not src.cloned else f"the requested commit {request.commit}"
                    raise UnsupportedToolchain(f"{src.url}: {why}; {what} is not walked back")
        if (url, commit) in known:
            return _Finished("already", f"{name} at {commit[:12]} is already in the database", False,
                             url, name, commit, details)
        t2 = time.perf_counter()
        # A cloned source is indexed at the chosen commit, named explicitly: the preparer
        # resolves the source again, and a clone without a commit is fetched and moved to
        # the remote's HEAD (`clone`), which would undo the walk-back.
        prepared: PreparedRepository = preparer(replace(request, commit=commit) if src.cloned else request, home,
                                                cpus=cpus)
        timings["index"] = time.perf_counter() - t2
        info = prepared.info
        meta = dict(info.metadata)
        if "walk_back" in details:
            meta["walk_back"] = details["walk_back"]
        prepared.info = replace(info, metadata=meta)
        prepared.timings.update(timings)
        own = prepared.own_theorems()
        if own < job.min_theorems:
            return _Finished("skipped", f"{own} own theorems, fewer than --min-theorems {job.min_theorems}",
                             False, url, name, info.commit, {**details, "own_theorems": own})
        return prepared
    except Exception as exc:
        return _failure(exc, details, url, name, commit)


def _working_tree_toolchain(root: Path) -> str | None:
    try:
        lines = (root / "lean-toolchain").read_text(encoding="utf-8").strip().splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    return lines[0].strip() if lines else None


def known_pairs(store: Store) -> frozenset[tuple[str, str]]:
    return frozenset((r.url, r.commit) for r in store.repositories())


def _attempt(outcome: AddOutcome, repo_id: int | None, started: str | None) -> SourceAttempt:
    from database.store import utcnow

    req = outcome.job.request
    return SourceAttempt(
        source=req.source, origin=outcome.job.origin, status=outcome.status, url=outcome.url, name=outcome.name,
        commit=outcome.commit, tracer=req.tracer, reason=outcome.reason, retryable=outcome.retryable,
        repo_id=repo_id, details={**outcome.details, "seconds": round(outcome.seconds, 3), "where": outcome.where},
        started_at=started, finished_at=utcnow(),
    )


def _repo_id(store: Store, url: str | None, commit: str | None) -> int | None:
    if url is None or commit is None:
        return None
    return next((r.id for r in store.repositories() if r.url == url and r.commit == commit), None)


def write_result(store: Store, job: AddJob, result: _TaskResult, *, seconds: float, where: Literal["driver", "ray"],
                 started: str | None = None, record_unsuccessful: bool = True) -> AddOutcome:
    """Write one task's result (one transaction with its attempt row) and say how it went.
    ``record_unsuccessful`` False: an attempt that added nothing leaves no row either."""
    def note(outcome: AddOutcome, repo_id: int | None) -> None:
        if record_unsuccessful:
            add_attempt(store, _attempt(outcome, repo_id, started))

    if isinstance(result, _Finished):
        outcome = AddOutcome(job, result.status, reason=result.reason, retryable=result.retryable, url=result.url,
                             name=result.name, commit=result.commit, seconds=seconds, where=where,
                             details=result.details)
        note(outcome, _repo_id(store, result.url, result.commit))
        return outcome
    info = result.info
    outcome = AddOutcome(job, "added", url=info.url, name=info.name, commit=info.commit, seconds=seconds,
                         where=where, details={"timings": {k: round(v, 3) for k, v in result.timings.items()},
                                               **({"walk_back": info.metadata["walk_back"]}
                                                  if "walk_back" in info.metadata else {})})
    try:
        summary = write_prepared(store, result,
                                 before_commit=lambda w: record_attempt(store.conn, _attempt(outcome, w.repo_id, started)))
    except AlreadyImported as exc:
        outcome.status, outcome.reason = "already", str(exc)
        note(outcome, _repo_id(store, info.url, info.commit))
        return outcome
    except LeanAgentError as exc:
        outcome.status, outcome.reason = "failed", str(exc)
        note(outcome, None)
        return outcome
    outcome.summaries = [summary]
    return outcome


def add_in_driver(store: Store, job: AddJob, home: Home, *, record_unsuccessful: bool = True) -> AddOutcome:
    """The in-process path of `leanagent add` (the tracer writes as it reads)."""
    from database.store import utcnow
    from leanagent.tracing import add_source

    started, t0 = utcnow(), time.perf_counter()
    outcome = AddOutcome(job, "added")
    try:
        outcome.summaries = add_source(store, job.request, home)
    except AlreadyImported as exc:
        outcome.status, outcome.reason = "already", str(exc)
        outcome.url, outcome.name, outcome.commit = exc.url, exc.name, exc.commit
    except LeanAgentError as exc:
        f = _failure(exc, {})
        outcome.status, outcome.reason, outcome.retryable = "failed", f.reason, f.retryable
    outcome.seconds = time.perf_counter() - t0
    if outcome.summaries:
        s = outcome.summaries[0]
        outcome.url, outcome.name, outcome.commit = s.url, s.name, s.commit
    repo_id = outcome.summaries[0].repo_id if outcome.summaries else _repo_id(store, outcome.url, outcome.commit)
    if outcome.status == "added" or record_unsuccessful:
        add_attempt(store, _attempt(outcome, repo_id, started))
    return outcome


def _runs_remotely(job: AddJob, runtime: Runtime, preparer_names: set[str]) -> bool:
    from leanagent.tracing import choose_tracer
    from leanagent.tracing.git import is_git_url

    if not runtime.active or choose_tracer(job.request) not in preparer_names:
        return False
    return is_git_url(job.request.source) or not runtime.is_client


def _clone_key(job: AddJob) -> str:
    from leanagent.tracing.git import is_git_url, normalize_url

    src = job.request.source
    return normalize_url(src) if is_git_url(src) else str(Path(src).expanduser().resolve())


def add_sources(
    store: Store,
    jobs: Iterable[AddJob],
    home: Home,
    runtime: Runtime,
    *,
    limit: int | None = None,
    on_outcome: Callable[[AddOutcome], None] | None = None,
    max_in_flight: int | None = None,
    record_unsuccessful: bool = True,
) -> list[AddOutcome]:
    """Add every job's source, in parallel when `runtime` is Ray; stop launching new
    jobs once ``limit`` repositories were added. Outcomes come in completion order.

    Every outcome is recorded in ``source_attempts``; with ``record_unsuccessful``
    False only additions are (`leanagent add` of one source: a failure is reported to
    the user and leaves the database exactly as it was).
    """
    from database.store import utcnow
    from leanagent.tracing import choose_tracer, preparers
    from leanagent.tracing.git import is_git_url

    report = on_outcome or (lambda _o: None)
    outcomes: list[AddOutcome] = []
    names = set(preparers())
    known = known_pairs(store)
    slots = (max_in_flight or max(2, 2 * runtime.cpus())) if runtime.active else 1
    source: Iterator[AddJob] = iter(jobs)
    deferred: deque[AddJob] = deque()
    in_flight: dict[Any, tuple[AddJob, float, str, str]] = {}
    busy: set[str] = set()

    def added() -> int:
        return sum(o.status == "added" for o in outcomes)

    def finish(outcome: AddOutcome) -> None:
        nonlocal known
        outcomes.append(outcome)
        if outcome.status in ("added", "already") and outcome.url and outcome.commit:
            known = known | {(outcome.url, outcome.commit)}
        report(outcome)

    def next_job() -> AddJob | None:
        for _ in range(len(deferred)):
            job = deferred.popleft()
            if _clone_key(job) not in busy:
                return job
            deferred.append(job)
        for job in source:
            if _clone_key(job) in busy:
                deferred.append(job)  # the same clone directory: after the one in flight
                continue
            return job
        return None

    remote_fn = None
    while True:
        while (limit is None or added() + len(in_flight) < limit) and len(in_flight) < slots:
            job = next_job()
            if job is None:
                break
            if not _runs_remotely(job, runtime, names):
                plain = job.walk_back is None and job.min_theorems == 0
                if runtime.active or plain or choose_tracer(job.request) not in names:
                    finish(add_in_driver(store, job, home, record_unsuccessful=record_unsuccessful))
                else:  # the crawler in process: same path as a task, without Ray
                    started, t0 = utcnow(), time.perf_counter()
                    result = prepare_job(job, str(home.root), known)
                    finish(write_result(store, job, result, seconds=time.perf_counter() - t0, where="driver",
                                        started=started, record_unsuccessful=record_unsuccessful))
                if limit is not None and added() >= limit:
                    break
                continue
            if not is_git_url(job.request.source):
                # A worker's working directory need not be ours: send an absolute path.
                local = str(Path(job.request.source).expanduser().resolve())
                job = replace(job, request=replace(job.request, source=local))
            if remote_fn is None:
                remote_fn = runtime.ray.remote(prepare_job)
            # One CPU each: the parallelism is across repositories (the indexer's own
            # process pool is not used inside a Ray worker). A worker that dies is
            # retried once by Ray; the task's own errors come back as results.
            options: dict[str, Any] = {"num_cpus": 1, "max_retries": 1, "retry_exceptions": False}
            node = runtime.driver_node_id()
            if not is_git_url(job.request.source) and node is not None:
                from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

                # A local directory exists on this node only.
                options["scheduling_strategy"] = NodeAffinitySchedulingStrategy(node_id=node, soft=False)
            ref = remote_fn.options(**options).remote(job, str(home.root), known, 1)
            key = _clone_key(job)
            busy.add(key)
            in_flight[ref] = (job, time.perf_counter(), utcnow(), key)
        if not in_flight:
            break
        ready, _ = runtime.ray.wait(list(in_flight), num_returns=1)
        ref = ready[0]
        job, t0, started, key = in_flight.pop(ref)
        busy.discard(key)
        try:
            result = runtime.ray.get(ref)
        except runtime.ray.exceptions.RayError as exc:
            # The worker died (OOM, a crash): the task's own exceptions come back as text.
            result = _Finished("failed", f"Ray task failed: {type(exc).__name__}: {str(exc)[:500]}", True)
        finish(write_result(store, job, result, seconds=time.perf_counter() - t0, where="ray", started=started,
                            record_unsuccessful=record_unsuccessful))
    return outcomes
