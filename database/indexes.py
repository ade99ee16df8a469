"""The ``faiss_indexes`` table: the manifest of each stored FAISS index, and the only code
that writes or reads it.

An index belongs to an encoder (the retriever's encoder key: ``ckpt-<id>`` or
``base-<model>-<length>``); its files live under the home directory at ``path``, and
the row records what a loader checks them against (kind, dimension, number of vectors,
the fingerprint of the premise ids they cover). The retriever (``prover.retrieval.index``)
owns the files; this module owns the rows.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .clock import utcnow

if TYPE_CHECKING:
    from .store import Store


@dataclass(frozen=True, kw_only=True)
class IndexRecord:
    """One ``faiss_indexes`` row."""

    id: int
    checkpoint_id: int | None
    encoder: str
    path: str  # relative to the home root
    kind: str  # "flat", "ivf", "hnsw"
    dim: int
    num_vectors: int
    corpus_fingerprint: str | None
    created_at: str

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


_COLUMNS = "id, checkpoint_id, encoder, path, kind, dim, num_vectors, corpus_fingerprint, created_at"


def _record(row: Sequence[Any]) -> IndexRecord:
    return IndexRecord(id=int(row[0]), checkpoint_id=None if row[1] is None else int(row[1]), encoder=str(row[2]),
                       path=str(row[3]), kind=str(row[4]), dim=int(row[5]), num_vectors=int(row[6]),
                       corpus_fingerprint=row[7], created_at=str(row[8]))


class FaissIndexes:
    """The ``faiss_indexes`` table (``store.faiss_indexes``)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def latest(self, encoder: str) -> IndexRecord | None:
        row = self._store.conn.execute(
            f"SELECT {_COLUMNS} FROM faiss_indexes WHERE encoder = ? ORDER BY id DESC LIMIT 1", (encoder,)
        ).fetchone()
        return None if row is None else _record(row)

    def for_checkpoint(self, checkpoint_id: int) -> list[IndexRecord]:
        return [_record(r) for r in self._store.conn.execute(
            f"SELECT {_COLUMNS} FROM faiss_indexes WHERE checkpoint_id = ? ORDER BY id", (checkpoint_id,))]

    def replace(self, *, encoder: str, checkpoint_id: int | None, path: str, kind: str, dim: int,
                num_vectors: int, corpus_fingerprint: str) -> int:
        """Make this the encoder's only manifest row; return its id."""
        with self._store.atomic():
            self._store.conn.execute("DELETE FROM faiss_indexes WHERE encoder = ?", (encoder,))
            cur = self._store.conn.execute(
                "INSERT INTO faiss_indexes (checkpoint_id, encoder, path, kind, dim, num_vectors, "
                "corpus_fingerprint, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (checkpoint_id, encoder, path, kind, dim, num_vectors, corpus_fingerprint, utcnow()),
            )
        return int(cur.lastrowid or 0)
