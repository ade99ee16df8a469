"""Proving one theorem: retriever + generator + Lean backend + search + verification.

A `Prover` is built once from a frozen, picklable `ProverConfig` -- it loads the tactic
generator, the premise retriever and its index, and keeps a warm Lean backend per
repository -- and then proves theorems one call at a time: `Prover.prove` takes a
`ProofTask` and returns a `ProofOutcome`, both plain frozen dataclasses. It never
writes to the database (the driver does, `prover.driver`), so the same object can run
in process or inside a worker actor, one per worker::

    with Prover(config) as prover:
        prover.check_available(project)      # ToolchainMissing before any work
        outcome = prover.prove(task)

Backends are chosen by name (`prover.lean.backends`); a proof counts only after
`prover.lean.verify` accepted it in its file.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from database.errors import ConfigError
from database.store import utcnow

from .generator import AutomationConfig, GeneratorConfig, TacticGenerator, load_generator, resolve_precision
from .lean.backends import create_backend
from .lean.interface import FileChecker, GoalState, LeanEnv, TheoremRef
from .lean.verify import ACCEPTED, ERROR, REJECTED, LakeFileChecker, Verification, VerifyConfig, verify_proof
from .retrieval.config import DEFAULT_MAX_LENGTH, DEFAULT_MODEL
from .search import SearchConfig, SearchResult, StopReason, best_first_search

if TYPE_CHECKING:
    import numpy as np

    from .retrieval.data import Access, Corpus
    from .retrieval.index import PremiseIndex
    from .retrieval.model import Encoder


@dataclass(frozen=True, kw_only=True)
class BackendSpec:
    """A Lean backend by registry name, with its own options."""

    name: str = "repl"
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class RetrievalSpec:
    """Which premise retriever feeds the generator: a checkpoint (None: the base
    encoder ``model``) and its FAISS index, both under ``home``. The index must exist
    (the driver builds it; a worker only reads)."""

    home: str
    checkpoint_id: int | None = None
    model: str = DEFAULT_MODEL
    max_length: int = DEFAULT_MAX_LENGTH  # the retriever's (its index is keyed by it)
    device: str = "cpu"
    precision: str | None = None  # for encoding states: auto / fp32 / bf16; None: the device's default
    index_kind: str = "flat"


@dataclass(frozen=True, kw_only=True)
class ProverConfig:
    generator: GeneratorConfig | AutomationConfig = field(default_factory=AutomationConfig)
    backend: BackendSpec = field(default_factory=BackendSpec)
    search: SearchConfig = field(default_factory=SearchConfig)
    verify: VerifyConfig = field(default_factory=VerifyConfig)
    retrieval: RetrievalSpec | None = None


@dataclass(frozen=True)
class ProofTask:
    """One theorem to prove. ``placeholders``: definitions of the repository that hold
    ``sorry`` (full names): a proof whose ``sorryAx`` Lean traces to these alone is
    accepted, flagged ``depends_on_sorry`` (`prover.lean.verify`)."""

    theorem: TheoremRef
    repo_id: int
    purpose: str = "sorry"  # "sorry" (prove a sorry theorem) or "evaluate" (re-prove, for Pass@1)
    placeholders: tuple[str, ...] = ()


@dataclass(frozen=True)
class ProofOutcome:
    """The result of one `Prover.prove` call. ``status``: ``proved`` (Lean accepted the
    proof in its file), ``failed`` (no proof, or Lean rejected it), ``error`` (the theorem
    could not be opened, Lean could not go on, or the proof could not be checked)."""

    task: ProofTask
    status: str
    stop_reason: str
    search: SearchResult
    verification: Verification | None
    backend: str
    generator: str
    lean_version: str | None
    started_at: str
    finished_at: str
    seconds: float
    details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def proof(self) -> tuple[str, ...] | None:
        return self.search.proof

    @property
    def accepted(self) -> bool:
        return self.status == "proved"


def outcome_status(search: SearchResult, verification: Verification | None) -> str:
    if search.proved:
        assert verification is not None
        return {ACCEPTED: "proved", REJECTED: "failed", ERROR: "error"}[verification.status]
    if search.stop_reason in (StopReason.OPEN_FAILED, StopReason.BACKEND_ERROR):
        return "error"
    return "failed"


class PremiseRetriever:
    """The dense retriever, loaded once: encoder, FAISS index, corpus; accessibility
    masks per (repository, file, position) cached."""

    def __init__(self, spec: RetrievalSpec) -> None:
        from database.home import Home
        from database.store import Store

        from .retrieval.api import EvalConfig
        from .retrieval.index import ensure_index

        self.spec = spec
        self.home = Home(Path(spec.home))
        self._store = Store(self.home.db_path, readonly=True)
        device = spec.device
        self.bf16 = resolve_precision(spec.precision, device, home=spec.home).name == "bf16"
        config = EvalConfig(model=spec.model, max_length=spec.max_length, device=device,
                            precision="bf16" if self.bf16 else "fp32",
                            index_kind=spec.index_kind)
        try:
            self.index: PremiseIndex
            self.corpus: Corpus
            self.encoder: Encoder
            self.index, _, self.corpus, self.encoder = ensure_index(self._store, self.home,
                                                                    checkpoint_id=spec.checkpoint_id, config=config)
        except Exception as exc:  # a read-only store refuses to (re)build a missing or stale index
            import sqlite3

            if isinstance(exc, sqlite3.OperationalError) and "readonly" in str(exc):
                raise ConfigError("the premise index is missing or out of date: build it first with "
                                  "`leanagent eval` (or let `leanagent prove` build it)") from exc
            raise
        self._access: dict[int, Access] = {}
        self._masks: dict[tuple[int, str, tuple[int, int]], np.ndarray] = {}

    def mask(self, task: ProofTask) -> np.ndarray:
        from .retrieval.data import Access

        key = (task.repo_id, task.theorem.file, task.theorem.start)
        cached = self._masks.get(key)
        if cached is not None:
            return cached
        access = self._access.get(task.repo_id)
        if access is None:
            access = Access(self._store, self._store.get_repository(task.repo_id), self.corpus)
            self._access[task.repo_id] = access
        file_id = access.path_to_file.get(task.theorem.file)
        mask = access.mask(file_id, task.theorem.start)
        if len(self._masks) > 4096:
            self._masks.clear()
        self._masks[key] = mask
        return mask

    def premises(self, task: ProofTask, state: GoalState, k: int) -> list[str]:
        from .retrieval.model import format_state

        query = self.encoder.encode([format_state(state.pp)], batch_size=1, bf16=self.bf16)
        rows, _ = self.index.search(query, [self.mask(task)], k)[0]
        return [self.corpus.text(int(r)) for r in rows]

    def close(self) -> None:
        self._store.close()


class Prover:
    """Proves theorems one at a time (see the module doc). Not thread-safe: one per worker."""

    def __init__(self, config: ProverConfig) -> None:
        self.config = config
        self.generator: TacticGenerator = load_generator(config.generator)
        self.retriever: PremiseRetriever | None = None
        if config.retrieval is not None and self.generator.uses_premises:
            self.retriever = PremiseRetriever(config.retrieval)
        self._backends: dict[Path, LeanEnv] = {}

    # -- backends --------------------------------------------------------------------------

    def backend(self, project: Path) -> LeanEnv:
        """The warm backend for ``project``, created on first use. One repository at a
        time: switching closes the previous one's processes."""
        project = Path(project).resolve()
        env = self._backends.get(project)
        if env is None:
            for other in list(self._backends):
                self._backends.pop(other).close()
            env = create_backend(self.config.backend.name, project, self.config.backend.options)
            self._backends[project] = env
        return env

    def check_available(self, project: Path) -> None:
        """Raise `ToolchainMissing` (saying what to install) unless ``project`` can be proved in."""
        self.backend(project).check_available()

    # -- proving ------------------------------------------------------------------------------

    def prove(self, task: ProofTask) -> ProofOutcome:
        started = utcnow()
        t0 = time.monotonic()
        env = self.backend(task.theorem.project)
        premises = None
        if self.retriever is not None and isinstance(self.config.generator, GeneratorConfig):
            retriever, k = self.retriever, self.config.generator.num_premises

            def premises(state: GoalState) -> list[str]:
                return retriever.premises(task, state, k)

        search = best_first_search(env, task.theorem, self.generator, config=self.config.search, premises=premises)
        verification: Verification | None = None
        if search.proved and search.proof is not None:
            # The backend checks the file if it can; otherwise `lake env lean` does.
            checker: FileChecker = env if isinstance(env, FileChecker) else LakeFileChecker()
            verification = verify_proof(checker, task.theorem, search.proof, config=self.config.verify,
                                        placeholders=task.placeholders)
        status = outcome_status(search, verification)
        details: dict[str, Any] = {"search": search.as_json()}
        if verification is not None:
            details["verification"] = verification.as_json()
        precision = getattr(self.generator, "precision", None)
        if precision is not None:
            details["precision"] = {"name": precision.name, "reason": precision.reason}
        if self.retriever is not None:
            details["retrieval"] = {"checkpoint_id": self.retriever.spec.checkpoint_id,
                                    "model": self.retriever.encoder.name}
        return ProofOutcome(
            task=task, status=status, stop_reason=str(search.stop_reason), search=search,
            verification=verification, backend=env.name, generator=self.generator.name,
            lean_version=env.lean_version(),
            started_at=started, finished_at=utcnow(), seconds=time.monotonic() - t0, details=details)

    def prove_all(self, tasks: Iterable[ProofTask]) -> Iterator[ProofOutcome]:
        """`prove` each task in turn (the in-process executor)."""
        for task in tasks:
            yield self.prove(task)

    # -- lifecycle ------------------------------------------------------------------------------

    def close(self) -> None:
        for env in self._backends.values():
            env.close()
        self._backends.clear()
        if self.retriever is not None:
            self.retriever.close()

    def __enter__(self) -> Prover:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def checked_by(outcome: ProofOutcome) -> str | None:
    """How an accepted proof was checked: the whole-file command and Lean version."""
    v = outcome.verification
    if v is None or not v.command:
        return None
    prefix = " ".join(v.command[:-2]) if len(v.command) > 2 else " ".join(v.command)
    return f"{prefix} (Lean {outcome.lean_version or '?'}, whole file, #print axioms)"


def summarize(outcomes: Sequence[ProofOutcome]) -> dict[str, Any]:
    """Counts over outcomes: Pass@1 keeps every attempted theorem in the denominator and
    counts only clean proofs (standard axioms only). ``proved`` is every proof Lean
    accepted: ``proved_clean`` of them plus ``depends_on_sorry`` ones that hold only
    because a sorry placeholder does (reported beside Pass@1, never inside it)."""
    by_reason: dict[str, int] = {}
    by_open: dict[str, int] = {}
    by_verification: dict[str, int] = {}
    for o in outcomes:
        by_reason[o.stop_reason] = by_reason.get(o.stop_reason, 0) + 1
        if o.search.open_reason:
            by_open[o.search.open_reason] = by_open.get(o.search.open_reason, 0) + 1
        if o.verification is not None:
            key = o.verification.status + (f":{o.verification.reason}" if o.verification.reason else "")
            by_verification[key] = by_verification.get(key, 0) + 1
    n = len(outcomes)
    proved = sum(o.status == "proved" for o in outcomes)
    flagged = sum(bool(o.verification and o.verification.depends_on_sorry) for o in outcomes
                  if o.status == "proved")
    return {
        "attempted": n,
        "proved": proved,
        "proved_clean": proved - flagged,
        "depends_on_sorry": flagged,
        "failed": sum(o.status == "failed" for o in outcomes),
        "errors": sum(o.status == "error" for o in outcomes),
        "pass_at_1": 100.0 * (proved - flagged) / n if n else None,
        "pass_at_1_depends_on_sorry": 100.0 * flagged / n if n else None,
        "by_stop_reason": dict(sorted(by_reason.items())),
        "by_open_reason": dict(sorted(by_open.items())),
        "by_verification": dict(sorted(by_verification.items())),
    }
