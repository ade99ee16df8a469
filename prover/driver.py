"""The proving driver: theorems from the knowledge base -> `Prover` -> results written
back, one transaction per theorem (``store.proof_attempts.record``).

`prove_repository` is what ``leanagent prove`` and the lifelong loop's ``prove`` stage
call. It runs the tasks in process by default; a parallel runner passes ``executor``
(tasks in, outcomes out, in any order) and the driver still does every write, so an
interrupted run loses at most the theorems in flight and never leaves half a result.

Purposes:

* ``sorry``: the repository's own theorems whose proof holds ``sorry``; an accepted
  proof is stored and the theorem becomes ``proved_by_agent``;
* ``evaluate``: its already-proven theorems of a split (default ``test``) of the
  retriever's data configuration (`prover.retrieval.config.DataConfig`: the split
  ``leanagent train`` / ``run`` hold out from training with the same settings), re-proved
  with their proofs hidden (the theorem is stated with ``by sorry``); Pass@1 over every
  attempted theorem -- failures to start included, by reason -- goes to
  ``evaluations`` (method ``pass@1:<generator>``, per checkpoint, under the split's
  scheme name, so results on different splits never replace each other).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from database.errors import LeanAgentError
from database.evaluations import Evaluation
from database.proofs import AttemptRecord
from database.store import Repository, Store

from .lean.interface import TheoremRef
from .proving import ProofOutcome, ProofTask, Prover, ProverConfig, checked_by, summarize
from .retrieval.config import DataConfig

Executor = Callable[[Sequence[ProofTask]], Iterable[ProofOutcome]]


class ProveError(LeanAgentError):
    """A repository cannot be proved in as asked."""


@dataclass(frozen=True, kw_only=True)
class ProveRequest:
    purpose: str = "sorry"  # "sorry" or "evaluate"
    theorems: tuple[str, ...] = ()  # full names (or their last components) to restrict to
    split: str = "test"  # evaluate: which split of `data`
    #: evaluate: the retriever's data settings whose split is used (made once if missing,
    #: never moved); the defaults are ``leanagent train``'s, `LEGACY_DATA` is leanagent 0.1's.
    data: DataConfig = field(default_factory=DataConfig)
    limit: int | None = None  # at most this many theorems (in file order)
    run_id: int | None = None
    checkpoint_id: int | None = None  # the retriever checkpoint the results belong to

    def __post_init__(self) -> None:
        if self.purpose not in ("sorry", "evaluate"):
            raise ProveError(f"unknown purpose '{self.purpose}': use sorry or evaluate")
        if self.limit is not None and self.limit < 1:
            raise ProveError("--limit must be >= 1")

    @property
    def scheme(self) -> str:
        """The split's name in ``split_assignments`` and ``evaluations`` (`DataConfig.scheme`)."""
        return self.data.scheme


@dataclass
class ProveSummary:
    repo: str
    repo_id: int
    purpose: str
    generator: str | None = None
    backend: str | None = None
    scheme: str | None = None  # evaluate: the split scheme and split re-proved
    split: str | None = None
    counts: dict[str, Any] = field(default_factory=dict)
    results: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        where = {"scheme": self.scheme, "split": self.split} if self.purpose == "evaluate" else {}
        return {"repo": self.repo, "repo_id": self.repo_id, "purpose": self.purpose, "generator": self.generator,
                "backend": self.backend, **where, **self.counts, "results": self.results}


def trained_schemes(store: Store, checkpoint_id: int | None) -> list[str]:
    """The split schemes the checkpoint and its ancestors were trained on, as their
    training records say (empty for the base encoder, or for records without one)."""
    if checkpoint_id is None:
        return []
    return sorted({str(c.config["scheme"]) for c in store.checkpoints.lineage(checkpoint_id)
                   if c.config.get("scheme")})


def split_leak(store: Store, request: ProveRequest) -> str | None:
    """Why Pass@1 of ``request`` may count theorems its retriever trained on (a checkpoint
    trained on another split scheme's train split), or None."""
    others = [s for s in trained_schemes(store, request.checkpoint_id) if s != request.scheme]
    if request.purpose != "evaluate" or not others:
        return None
    return (f"retriever checkpoint {request.checkpoint_id} was trained on split scheme {', '.join(others)}, not "
            f"{request.scheme}: its training data may hold theorems of this {request.split} split (give the "
            "split options it was trained with)")


def repository_root(repo: Repository) -> Path:
    """Where the repository's sources are (``repositories.path``)."""
    if not repo.path:
        raise ProveError(f"{repo.name} has no source checkout recorded: re-add it from a checkout "
                         "(`leanagent add DIR`, or `--source DIR` for an export)")
    root = Path(repo.path).expanduser()
    if not root.is_absolute():
        root = root.resolve()
    if not root.is_dir():
        raise ProveError(f"the source checkout of {repo.name} is not at {root} any more: re-add the repository")
    return root


def sorry_placeholders(store: Store, repo: Repository) -> tuple[str, ...]:
    """Full names of the repository's definitions (own and dependencies) holding sorry.
    Theorems proved with sorry are not placeholders: a proof citing one is no proof
    (`prover.lean.verify` refuses it)."""
    names = {s["full_name"] for s in store.sorries(repo, include_dependencies=True) if s["theorem_id"] is None}
    return tuple(sorted(n for n in names if n and n != "example"))


def _selected(rows: list[dict[str, Any]], names: Sequence[str]) -> list[dict[str, Any]]:
    if not names:
        return rows
    out: list[dict[str, Any]] = []
    for name in names:
        hits = [r for r in rows if r["full_name"] == name] or \
               [r for r in rows if r["full_name"].endswith("." + name)]
        if not hits:
            raise ProveError(f"no theorem named '{name}' to attempt (see `leanagent theorems REPO`)")
        out.extend(h for h in hits if h not in out)
    return out


def proof_tasks(store: Store, repo: Repository, request: ProveRequest) -> list[ProofTask]:
    """The theorems to attempt, in file order."""
    if request.purpose == "sorry":
        rows = store.theorems(repo, status="sorry")
    else:
        from prover.retrieval.api import ensure_splits

        # The retriever's split under these settings: the one `train` / `run` made (and
        # held out from training), or made now exactly as they would make it.
        ensure_splits(store, repo, request.data)
        ids = store.split_assignments.theorem_ids(request.scheme, repo.id, request.split)
        rows = [r for r in store.theorems(repo, status="proven") if r["id"] in ids]
    rows = _selected(rows, request.theorems)
    if request.limit is not None:
        rows = rows[: request.limit]
    if not rows:
        return []
    root = repository_root(repo)
    placeholders = sorry_placeholders(store, repo)
    tasks = []
    for r in rows:
        ref = TheoremRef(project=root, file=r["file"], full_name=r["full_name"], statement=r["statement"] or "",
                         start=(r["start"][0], r["start"][1]), end=(r["end"][0], r["end"][1]), theorem_id=r["id"])
        tasks.append(ProofTask(ref, repo.id, request.purpose,
                               tuple(p for p in placeholders if p != r["full_name"])))
    return tasks


def attempt_record(outcome: ProofOutcome, *, run_id: int | None, checkpoint_id: int | None,
                   split: tuple[str, str] | None = None) -> AttemptRecord:
    """The row of one outcome; ``split``: (scheme, split) of an evaluation's theorem,
    kept in its details."""
    s = outcome.search
    assert outcome.task.theorem.theorem_id is not None
    v = outcome.verification
    return AttemptRecord(
        theorem_id=outcome.task.theorem.theorem_id, purpose=outcome.task.purpose, backend=outcome.backend,
        generator=outcome.generator, status=outcome.status, stop_reason=outcome.stop_reason,
        started_at=outcome.started_at, finished_at=outcome.finished_at, run_id=run_id, checkpoint_id=checkpoint_id,
        lean_version=outcome.lean_version, verification=v.status if v is not None else None,
        proof="\n".join(s.proof) if s.proof is not None else None, nodes_expanded=s.nodes_expanded,
        lean_calls=s.lean_calls, seconds=outcome.seconds, generator_seconds=s.generator_seconds,
        lean_seconds=s.lean_seconds,
        details={**outcome.details, **({"scheme": split[0], "split": split[1]} if split is not None else {})},
        depends_on_sorry=bool(v is not None and v.depends_on_sorry), checked_by=checked_by(outcome))


def result_row(outcome: ProofOutcome, attempt_id: int | None = None) -> dict[str, Any]:
    s = outcome.search
    v = outcome.verification
    return {"theorem": outcome.task.theorem.full_name, "theorem_id": outcome.task.theorem.theorem_id,
            "file": outcome.task.theorem.file, "status": outcome.status, "stop_reason": outcome.stop_reason,
            "open_reason": s.open_reason, "error": s.error,
            "verification": v.status if v is not None else None,
            "verification_reason": v.reason if v is not None else None,
            "verification_message": v.message if v is not None else None,
            "depends_on_sorry": bool(v is not None and v.depends_on_sorry),
            "proof": list(s.proof) if s.proof is not None else None, "nodes_expanded": s.nodes_expanded,
            "lean_calls": s.lean_calls, "seconds": round(outcome.seconds, 3), "attempt_id": attempt_id}


def prove_repository(
    store: Store,
    repo: Repository,
    *,
    config: ProverConfig,
    request: ProveRequest,
    prover: Prover | None = None,
    executor: Executor | None = None,
    on_outcome: Callable[[ProofOutcome, int, int], None] | None = None,
    on_start: Callable[[int], None] | None = None,
) -> ProveSummary:
    """Attempt the repository's theorems for ``request.purpose`` and store every result.

    Raises `ToolchainMissing` before any work when the backend cannot run. ``prover``:
    an already-built prover to reuse (kept open); otherwise one is built and closed.
    ``on_outcome(outcome, done, total)`` is called after each result is stored."""
    summary = ProveSummary(repo.name, repo.id, request.purpose)
    if request.purpose == "evaluate":
        summary.scheme, summary.split = request.scheme, request.split
    tasks = proof_tasks(store, repo, request)
    summary.counts = summarize([])
    if not tasks:
        return summary
    project = tasks[0].theorem.project
    if prover is not None:
        prover.check_available(project)
    else:
        check_toolchain(config, project)  # before loading any model
    own = prover is None and executor is None
    if own:
        prover = Prover(config)
    try:
        if prover is not None:
            summary.generator = prover.generator.name
            summary.backend = config.backend.name
        run: Executor = executor if executor is not None else prover.prove_all  # type: ignore[union-attr]
        if on_start is not None:
            on_start(len(tasks))
        outcomes: list[ProofOutcome] = []
        for outcome in run(tasks):
            recorded = store.proof_attempts.record(attempt_record(
                outcome, run_id=request.run_id, checkpoint_id=request.checkpoint_id,
                split=(request.scheme, request.split) if request.purpose == "evaluate" else None))
            outcomes.append(outcome)
            summary.generator = outcome.generator
            summary.backend = outcome.backend
            summary.results.append(result_row(outcome, recorded.attempt_id))
            if on_outcome is not None:
                on_outcome(outcome, len(outcomes), len(tasks))
    finally:
        if own and prover is not None:
            prover.close()
    summary.counts = summarize(outcomes)
    if request.purpose == "evaluate":
        # Pass@1 is a percentage in details (the metric columns are the retriever's);
        # num_queries is the number of theorems attempted, failures to start included.
        store.evaluations.record(Evaluation(
            checkpoint_id=request.checkpoint_id, method=f"pass@1:{summary.generator}", repo_id=repo.id,
            scheme=request.scheme, split=request.split, num_queries=len(outcomes), run_id=request.run_id,
            details={**summary.counts, "backend": summary.backend, "generator": summary.generator,
                     "lean_version": next((o.lean_version for o in outcomes if o.lean_version), None),
                     "search": _search_settings(config), "retriever_trained_on": trained_schemes(
                         store, request.checkpoint_id), "split_leak": split_leak(store, request)}))
    return summary


def check_toolchain(config: ProverConfig, project: Path) -> None:
    """Raise `ToolchainMissing` (saying what to install) unless the configured backend
    can run in ``project``. Starts nothing."""
    from .lean.backends import create_backend

    env = create_backend(config.backend.name, project, config.backend.options)
    try:
        env.check_available()
    finally:
        env.close()


def _search_settings(config: ProverConfig) -> dict[str, Any]:
    from dataclasses import asdict

    return asdict(config.search)
