"""Checkpoint bookkeeping: the ``checkpoints``, ``training_steps`` and ``fusion_weights``
tables, and the only code that writes or reads them.

A checkpoint row registers a trained encoder directory (its path relative to the home
root, so a home can be moved), its parent, the fingerprint of its training data and
its training record (`Checkpoint.config`: the training configuration and summary
numbers). Its loss curve is one `TrainingStep` per optimiser step, written in the same
transaction as the row, so that a checkpoint never exists without its curve.

Fusion weights (`FusionWeights`) belong to an *encoder* -- a checkpoint, or the
untrained base model at one token length, named by the retriever's encoder key
(``ckpt-<id>`` or ``base-<model>-<length>``) -- and to the set of repositories whose
validation queries chose them (`repositories_key`). They are chosen when first needed
and kept here, one row per (encoder, repositories); a lookup for other repositories
finds none, so weights tuned on one set never change a fused number on another.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .clock import utcnow
from .errors import CheckpointNotFound

if TYPE_CHECKING:
    from .store import Store


@dataclass(frozen=True, kw_only=True)
class Checkpoint:
    """One ``checkpoints`` row."""

    id: int
    parent_id: int | None
    path: str  # relative to the home root (absolute for rows written by hand)
    model_name: str
    data_fingerprint: str | None
    config: dict[str, Any]
    created_at: str

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True, kw_only=True)
class TrainingStep:
    """One optimiser step of a checkpoint's training: the loss averaged over the step's
    micro-batches, the learning rate it used, seconds since training started and the
    number of examples seen so far."""

    step: int
    loss: float
    lr: float | None = None
    seconds: float | None = None
    examples: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True, kw_only=True)
class FusionWeights:
    """Weights of the fused ranker (dense + w_bm25 * BM25 + w_loc * locality) and how
    they were chosen: validation R@10 with them and with dense alone, and the
    repositories whose validation split they were tuned on."""

    w_bm25: float
    w_loc: float
    val_r10: float | None = None
    val_r10_dense: float | None = None
    #: > 0 only when fusion beat dense on validation (then `retrieve --method auto` fuses).
    val_r10_gain: float = 0.0
    val_queries: int = 0
    tuned_on: tuple[str, ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "tuned_on": list(self.tuned_on)}


_COLUMNS = "id, parent_id, path, model_name, data_fingerprint, config, created_at"


def _checkpoint(row: Sequence[Any]) -> Checkpoint:
    return Checkpoint(
        id=int(row[0]),
        parent_id=None if row[1] is None else int(row[1]),
        path=str(row[2]),
        model_name=str(row[3]),
        data_fingerprint=row[4],
        config=json.loads(row[5] or "{}"),
        created_at=str(row[6]),
    )


class Checkpoints:
    """The ``checkpoints`` and ``training_steps`` tables (``store.checkpoints``)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def add(
        self,
        *,
        parent_id: int | None,
        path: str,
        model_name: str,
        data_fingerprint: str | None,
        config: dict[str, Any],
        steps: Sequence[TrainingStep] = (),
    ) -> int:
        """Register a checkpoint and its loss curve in one transaction; return its id."""
        conn = self._store.conn
        with self._store.atomic():
            cur = conn.execute(
                "INSERT INTO checkpoints (parent_id, path, model_name, data_fingerprint, config, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (parent_id, path, model_name, data_fingerprint, json.dumps(config, sort_keys=True, default=str),
                 utcnow()),
            )
            checkpoint_id = int(cur.lastrowid or 0)
            conn.executemany(
                "INSERT INTO training_steps (checkpoint_id, step, loss, lr, seconds, examples) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [(checkpoint_id, s.step, s.loss, s.lr, s.seconds, s.examples) for s in steps],
            )
        return checkpoint_id

    def get(self, checkpoint_id: int) -> Checkpoint:
        row = self._store.conn.execute(
            f"SELECT {_COLUMNS} FROM checkpoints WHERE id = ?", (checkpoint_id,)
        ).fetchone()
        if row is None:
            raise CheckpointNotFound(
                f"no checkpoint with id {checkpoint_id}: list them with `leanagent checkpoints`, train one "
                "with `leanagent train` (or omit the checkpoint to use the base encoder)"
            )
        return _checkpoint(row)

    def all(self) -> list[Checkpoint]:
        """Every checkpoint, oldest first."""
        return [_checkpoint(r) for r in self._store.conn.execute(f"SELECT {_COLUMNS} FROM checkpoints ORDER BY id")]

    def latest_id(self) -> int | None:
        """The most recently registered checkpoint id, or None when there is none."""
        row = self._store.conn.execute("SELECT MAX(id) FROM checkpoints").fetchone()
        return None if row is None or row[0] is None else int(row[0])

    def lineage(self, checkpoint_id: int) -> list[Checkpoint]:
        """The checkpoint and its ancestors, root first."""
        out: list[Checkpoint] = []
        current: int | None = checkpoint_id
        seen: set[int] = set()
        while current is not None and current not in seen:
            seen.add(current)
            ckpt = self.get(current)
            out.append(ckpt)
            current = ckpt.parent_id
        return out[::-1]

    def training_steps(self, checkpoint_id: int) -> list[TrainingStep]:
        """The loss curve of a checkpoint, by step (empty for checkpoints registered
        before curves were stored)."""
        return [
            TrainingStep(step=int(s), loss=float(loss), lr=lr, seconds=sec, examples=ex)
            for s, loss, lr, sec, ex in self._store.conn.execute(
                "SELECT step, loss, lr, seconds, examples FROM training_steps WHERE checkpoint_id = ? "
                "ORDER BY step",
                (checkpoint_id,),
            )
        ]


def repositories_key(repos: Iterable[tuple[str, str]]) -> tuple[str, list[str]]:
    """The key of a set of repositories given as (url, commit): the SHA-256 of their
    sorted ``url@commit`` lines, and those lines."""
    lines = sorted({f"{url}@{commit}" for url, commit in repos})
    return hashlib.sha256("\n".join(lines).encode()).hexdigest(), lines


_FUSION_COLUMNS = "w_bm25, w_loc, val_r10, val_r10_dense, val_r10_gain, val_queries, tuned_on"


def _fusion(row: Sequence[Any]) -> FusionWeights:
    return FusionWeights(w_bm25=float(row[0]), w_loc=float(row[1]), val_r10=row[2], val_r10_dense=row[3],
                         val_r10_gain=float(row[4]), val_queries=int(row[5]),
                         tuned_on=tuple(json.loads(row[6] or "[]")))


class FusionWeightsTable:
    """The ``fusion_weights`` table (``store.fusion_weights``): one row per encoder and
    set of repositories the weights were tuned on."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def get(self, encoder: str, repos: Iterable[tuple[str, str]]) -> FusionWeights | None:
        """The weights of ``encoder`` tuned on exactly ``repos`` ((url, commit) pairs)."""
        key, _ = repositories_key(repos)
        row = self._store.conn.execute(
            f"SELECT {_FUSION_COLUMNS} FROM fusion_weights WHERE encoder = ? AND repos_key = ?", (encoder, key)
        ).fetchone()
        return None if row is None else _fusion(row)

    def covering(self, encoder: str, repo: tuple[str, str]) -> FusionWeights | None:
        """The weights of ``encoder`` tuned on ``repo`` alone, else the most recent ones
        whose tuning set includes it (for retrieving in one repository)."""
        alone = self.get(encoder, [repo])
        if alone is not None:
            return alone
        line = f"{repo[0]}@{repo[1]}"
        row = self._store.conn.execute(
            f"SELECT {_FUSION_COLUMNS} FROM fusion_weights WHERE encoder = ? AND repos_key != 'legacy' "
            "AND EXISTS (SELECT 1 FROM json_each(fusion_weights.repos) WHERE value = ?) "
            "ORDER BY created_at DESC, rowid DESC LIMIT 1",
            (encoder, line),
        ).fetchone()
        return None if row is None else _fusion(row)

    def record(self, encoder: str, repos: Iterable[tuple[str, str]], weights: FusionWeights, *,
               checkpoint_id: int | None) -> None:
        """Store (or replace) the weights of ``encoder`` tuned on ``repos``."""
        key, lines = repositories_key(repos)
        with self._store.atomic():
            self._store.conn.execute(
                "INSERT OR REPLACE INTO fusion_weights (encoder, repos_key, repos, checkpoint_id, w_bm25, w_loc, "
                "val_r10, val_r10_dense, val_r10_gain, val_queries, tuned_on, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (encoder, key, json.dumps(lines), checkpoint_id, weights.w_bm25, weights.w_loc, weights.val_r10,
                 weights.val_r10_dense, weights.val_r10_gain, weights.val_queries,
                 json.dumps(list(weights.tuned_on)), utcnow()),
            )

    def all_for(self, encoder: str) -> list[FusionWeights]:
        """Every set of weights of ``encoder``, newest first (legacy rows included)."""
        return [_fusion(r) for r in self._store.conn.execute(
            f"SELECT {_FUSION_COLUMNS} FROM fusion_weights WHERE encoder = ? ORDER BY created_at DESC, rowid DESC",
            (encoder,))]

    def for_checkpoint(self, checkpoint_id: int) -> FusionWeights | None:
        """The checkpoint's most recently chosen weights (any tuning set)."""
        row = self._store.conn.execute(
            f"SELECT {_FUSION_COLUMNS} FROM fusion_weights WHERE checkpoint_id = ? "
            "ORDER BY created_at DESC, rowid DESC LIMIT 1",
            (checkpoint_id,),
        ).fetchone()
        return None if row is None else _fusion(row)
