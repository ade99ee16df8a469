"""What the loop needs from a retriever (`Learner`), and the real one over
`prover.retrieval.api` (`RetrieverLearner`). Tests plug fast deterministic learners into
the same seam."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from database.home import Home
from database.store import Repository, Store
from prover.retrieval.config import EvalConfig, TrainConfig

from .config import RunConfig

if TYPE_CHECKING:
    from prover.retrieval.index import EncodeFn

#: Per (repo id, method): ``{"r1", "r10", "mrr", "num_queries", ...}``.
Results = dict[tuple[int, str], dict[str, Any]]


class Learner(Protocol):
    """What the loop needs from a retriever."""

    def prepare(self, repo: Repository) -> None:
        """Make the repository's train/val/test split exist (idempotent)."""

    def train(
        self, *, repos: list[Repository], parent: int | None, resume_optimizer: bool, fisher_path: str | None,
        rehearse: list[Repository] = ...,
    ) -> int:
        """Train one step on ``repos``, plus examples rehearsed from ``rehearse`` (earlier
        repositories; passed only when the run rehearses); register and return a
        checkpoint id."""

    def fisher(self, *, checkpoint_id: int, repos: list[Repository]) -> str:
        """Compute the diagonal Fisher at the checkpoint; return its path (relative to
        the home, so that a moved home still resumes; `train` takes it back)."""

    def index(self, *, checkpoint_id: int) -> dict[str, Any]:
        """Index every premise with the checkpoint; return a JSON-able summary (paths
        relative to the home)."""

    def evaluate(
        self, *, checkpoint_id: int | None, repos: list[Repository], split: str, methods: tuple[str, ...]
    ) -> Results:
        """Metrics per (repo id, method); rows also go to ``evaluations``."""


@dataclass(frozen=True)
class RetrieverLearner:
    """`Learner` over `prover.retrieval.api` (the dense premise retriever)."""

    store: Store
    home: Home
    train_config: TrainConfig
    eval_config: EvalConfig
    ewc_lambda: float = 0.0
    #: Rehearsed examples per own example, and the seed of their sample (`RunConfig`).
    rehearsal: float = 0.0
    rehearsal_seed: int = 0
    #: How index builds encode premises (None: in this process), e.g. across Ray workers.
    encode: EncodeFn | None = None

    @classmethod
    def create(cls, store: Store, home: Home, config: RunConfig, *, progress: bool = False,
               encode: EncodeFn | None = None) -> RetrieverLearner:
        """``progress``: tqdm bars on stderr for training and encoding (a display choice,
        so not part of the run's configuration); ``encode``: where encoding runs (neither
        is part of the run's identity: both give the same vectors)."""
        return cls(store, home, dataclasses.replace(config.train, progress=progress),
                   dataclasses.replace(config.eval, progress=progress), config.ewc_lambda if config.ewc else 0.0,
                   config.rehearsal, config.seed, encode)

    def prepare(self, repo: Repository) -> None:
        from prover.retrieval import api

        api.ensure_splits(self.store, repo, self.train_config)

    def train(
        self, *, repos: list[Repository], parent: int | None, resume_optimizer: bool, fisher_path: str | None,
        rehearse: list[Repository] | None = None,
    ) -> int:
        from prover.retrieval import api

        config = self.train_config
        if fisher_path is not None and self.ewc_lambda > 0:
            config = dataclasses.replace(config, ewc_lambda=self.ewc_lambda, fisher_path=str(self._abs(fisher_path)))
        rehearsal = None
        if rehearse and self.rehearsal > 0:
            # Seeded by the run and the step's own repositories: a resumed step draws the same sample.
            seed = self.rehearsal_seed * 1000 + sum(r.id for r in repos)
            rehearsal = api.Rehearsal(tuple(rehearse), self.rehearsal, seed)
        return api.train_retriever(self.store, self.home, repos=repos, parent_checkpoint_id=parent,
                                   config=config, resume_optimizer=resume_optimizer, rehearsal=rehearsal)

    def fisher(self, *, checkpoint_id: int, repos: list[Repository]) -> str:
        from prover.retrieval import api

        path = api.compute_fisher(self.store, self.home, checkpoint_id=checkpoint_id, repos=repos,
                                  config=self.train_config)
        return self._rel(path)

    def index(self, *, checkpoint_id: int) -> dict[str, Any]:
        from prover.retrieval import api

        ix = api.build_index(self.store, self.home, checkpoint_id=checkpoint_id, config=self.eval_config,
                             encode=self.encode)
        return {"index_id": ix.id, "path": self._rel(ix.path), "num_vectors": ix.num_vectors, "added": ix.added}

    def _rel(self, path: Path) -> str:
        """A path under the home, relative to it (run stages are stored this way)."""
        try:
            return Path(path).resolve().relative_to(self.home.root.resolve()).as_posix()
        except ValueError:
            return str(path)

    def _abs(self, stored: str) -> Path:
        """A path as a run stage stored it: relative to the home (absolute in runs from
        before paths were stored relative)."""
        p = Path(stored)
        return p if p.is_absolute() else self.home.root / p

    def evaluate(
        self, *, checkpoint_id: int | None, repos: list[Repository], split: str, methods: tuple[str, ...]
    ) -> Results:
        from prover.retrieval import api

        return api.evaluate_retriever(self.store, self.home, checkpoint_id=checkpoint_id, repos=repos,
                                      split=split, methods=methods, config=self.eval_config, encode=self.encode)
