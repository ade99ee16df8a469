"""The retriever's public API: train, evaluate, index and retrieve, everything stored in
the knowledge base (checkpoints, faiss_indexes, evaluations, split_assignments).

Used by the CLI (`leanagent train/eval/retrieve`) and by the lifelong loop. Every
function takes the open `Store`, the `Home` (where checkpoints and indexes live) and a
small frozen config object; all arguments after those are keyword-only.

Checkpoint ids are rows of ``checkpoints``; ``None`` always means "the untrained base
encoder" named by the config's ``model``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from database.errors import ConfigError
from database.splits import SplitConfig

from . import data as _data
from . import evaluate as _evaluate
from . import index as _index
from . import train as _train
from .config import DEFAULT_MODEL, INDEX_KINDS, METHODS, SPLIT_SCHEME, DataConfig, EvalConfig, TrainConfig
from .results import IndexInfo, Retrieved
from .train import Rehearsal

if TYPE_CHECKING:
    from database.home import Home
    from database.store import Repository, Store

    from .index import EncodeFn

__all__ = [
    "DEFAULT_MODEL",
    "INDEX_KINDS",
    "METHODS",
    "SPLIT_SCHEME",
    "DataConfig",
    "EvalConfig",
    "IndexInfo",
    "Rehearsal",
    "Retrieved",
    "SplitConfig",
    "TrainConfig",
    "build_index",
    "compute_fisher",
    "ensure_splits",
    "evaluate_retriever",
    "latest_checkpoint",
    "retrieve",
    "train_retriever",
]


def ensure_splits(store: Store, repo: Repository, config: DataConfig | TrainConfig | EvalConfig) -> None:
    """Assign the repository's own theorems to train/val/test under the data
    configuration's scheme name (`DataConfig.scheme`), once (idempotent: existing
    assignments are kept; theorems without one are added as train so earlier val/test
    sets never change)."""
    _data.ensure_splits(store, repo, config if isinstance(config, DataConfig) else config.data)


def train_retriever(
    store: Store,
    home: Home,
    *,
    repos: list[Repository],
    parent_checkpoint_id: int | None,
    config: TrainConfig,
    resume_optimizer: bool = False,
    rehearsal: Rehearsal | None = None,
) -> int:
    """Train on the train split of ``repos`` (plus, with ``rehearsal``, a seeded sample of
    earlier repositories' training examples) starting from the parent checkpoint (or the
    base encoder when None); save a checkpoint directory under ``home.checkpoints``,
    register it in ``checkpoints`` and return its id."""
    return _train.train_retriever(
        store, home, repos=repos, parent_checkpoint_id=parent_checkpoint_id, config=config,
        resume_optimizer=resume_optimizer, rehearsal=rehearsal,
    )


def compute_fisher(
    store: Store, home: Home, *, checkpoint_id: int, repos: list[Repository], config: TrainConfig
) -> Path:
    """Empirical diagonal Fisher of the InfoNCE loss at the checkpoint's weights over the
    train split of ``repos``; saved (safetensors) in the checkpoint directory."""
    return _train.compute_fisher(store, home, checkpoint_id=checkpoint_id, repos=repos, config=config)


def evaluate_retriever(
    store: Store,
    home: Home,
    *,
    checkpoint_id: int | None,
    repos: list[Repository],
    split: str,
    methods: tuple[str, ...] = ("dense",),
    config: EvalConfig,
    encode: EncodeFn | None = None,
) -> dict[tuple[int, str], dict[str, Any]]:
    """R@1, R@10 (as percentages) and MRR per (repo_id, method) on ``split`` of each repo.

    Result values: ``{"r1", "r10", "mrr", "num_queries", ...}`` (metrics None when there
    are no queries). Rows are written to ``evaluations``, replacing an earlier row for
    the same (checkpoint, method, repo, scheme, split). Baselines "bm25" and "locality"
    do not depend on a checkpoint and are stored with checkpoint_id NULL; "untrained" is
    the base encoder (stored with checkpoint_id NULL and the model in details).
    ``encode``: how indexes that need (re)building are encoded (`build_index`).
    """
    return _evaluate.evaluate_retriever(store, home, checkpoint_id=checkpoint_id, repos=repos, split=split, methods=methods,
                 config=config, encode=encode)


def build_index(store: Store, home: Home, *, checkpoint_id: int | None, config: EvalConfig,
                encode: EncodeFn | None = None) -> IndexInfo:
    """Make the checkpoint's FAISS index cover every premise in the database: create it,
    or encode and add only premises added since (the checkpoint is immutable).
    ``encode`` replaces in-process encoding (e.g. by Ray workers; `index.EncodeFn`)."""
    return _index.build_index(store, home, checkpoint_id=checkpoint_id, config=config, encode=encode)


def retrieve(
    store: Store,
    home: Home,
    *,
    checkpoint_id: int | None,
    query: str,
    repo: Repository,
    file: str | None = None,
    position: tuple[int, int] | None = None,
    k: int = 10,
    method: str = "dense",
    config: EvalConfig,
) -> list[Retrieved]:
    """Top-k premises for ``query`` that are accessible from ``position`` in ``file`` of
    ``repo`` (same file and ending before it, or in a transitively imported file).
    Without ``file`` every premise of the repository (own and dependencies) counts as
    accessible; without ``position`` the whole of ``file`` is. ``method`` is "dense" or
    "fused" (dense + BM25 + locality with the weights recorded for the checkpoint)."""
    if k < 1:
        raise ConfigError(f"k must be >= 1, got {k} (--k)")
    return _index.retrieve(store, home, checkpoint_id=checkpoint_id, query=query, repo=repo, file=file,
                     position=position, k=k, method=method, config=config)


def latest_checkpoint(store: Store) -> int | None:
    """The most recently registered checkpoint id, or None when there is none."""
    return store.checkpoints.latest_id()
