"""What the retriever returns: a stored index's description and one retrieved premise."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


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
    precision: str | None = None  # what this call encoded at ("fp32" / "bf16"; None: nothing encoded)


@dataclass(frozen=True)
class Retrieved:
    premise_id: int
    full_name: str
    path: str
    start: tuple[int, int]
    end: tuple[int, int]
    score: float
    code: str
