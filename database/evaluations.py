"""The ``evaluations`` table: one result per (checkpoint, method, repository, split
scheme, split), and the only code that writes or reads it.

A result is general: ``method`` names what was measured (retrieval: ``dense``,
``fused``, ``bm25``, ``locality``, ``untrained``; other evaluations add their own names),
``num_queries`` is its denominator (queries, theorems attempted...), ``r1``/``r10``/
``mrr`` hold retrieval metrics when the method has them (None otherwise), and
``details`` (JSON) holds everything else a method reports. ``checkpoint_id`` is None for
results that do not depend on a trained checkpoint (lexical baselines, the untrained
encoder); ``run_id`` ties a result to the lifelong run whose checkpoints produced it.

Writing a result *replaces* an earlier one with the same key, so re-running an
evaluation never duplicates a row (the accuracy matrix relies on that).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any

from .clock import utcnow
from .errors import ConfigError

if TYPE_CHECKING:
    from .store import Store


class _Any(Enum):
    ANY = "any"


#: "Any value" for a filter of `Evaluations.find` whose None means SQL NULL.
ANY = _Any.ANY


@dataclass(frozen=True, kw_only=True)
class Evaluation:
    """One ``evaluations`` row (``id`` and ``created_at`` are None until stored)."""

    checkpoint_id: int | None
    method: str
    repo_id: int
    scheme: str
    split: str
    num_queries: int
    r1: float | None = None
    r10: float | None = None
    mrr: float | None = None
    run_id: int | None = None
    details: dict[str, Any] = field(default_factory=dict)
    id: int | None = None
    created_at: str | None = None

    def __post_init__(self) -> None:
        for name in ("method", "scheme", "split"):
            if not getattr(self, name):
                raise ConfigError(f"an evaluation needs a non-empty {name}")
        if self.num_queries < 0:
            raise ConfigError(f"num_queries must be >= 0, got {self.num_queries}")

    def metrics(self) -> dict[str, Any]:
        """The retrieval metrics and the denominator, as the retriever reports them."""
        return {"r1": self.r1, "r10": self.r10, "mrr": self.mrr, "num_queries": self.num_queries}

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


_COLUMNS = ("id, checkpoint_id, method, repo_id, scheme, split, r1, r10, mrr, num_queries, run_id, details, "
            "created_at")


def _evaluation(row: Sequence[Any]) -> Evaluation:
    return Evaluation(
        id=int(row[0]),
        checkpoint_id=None if row[1] is None else int(row[1]),
        method=str(row[2]),
        repo_id=int(row[3]),
        scheme=str(row[4]),
        split=str(row[5]),
        r1=row[6],
        r10=row[7],
        mrr=row[8],
        num_queries=int(row[9]),
        run_id=None if row[10] is None else int(row[10]),
        details=json.loads(row[11] or "{}"),
        created_at=row[12],
    )


class Evaluations:
    """The ``evaluations`` table (``store.evaluations``)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def record(self, result: Evaluation) -> int:
        """Store ``result``, replacing the row with the same (checkpoint, method,
        repository, scheme, split); return the new row's id."""
        conn = self._store.conn
        with self._store.atomic():
            # "IS" matches NULL checkpoints too.
            conn.execute(
                "DELETE FROM evaluations WHERE checkpoint_id IS ? AND method = ? AND repo_id = ? AND scheme = ? "
                "AND split = ?",
                (result.checkpoint_id, result.method, result.repo_id, result.scheme, result.split),
            )
            cur = conn.execute(
                "INSERT INTO evaluations (checkpoint_id, method, repo_id, scheme, split, r1, r10, mrr, num_queries, "
                "run_id, details, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (result.checkpoint_id, result.method, result.repo_id, result.scheme, result.split, result.r1,
                 result.r10, result.mrr, result.num_queries, result.run_id,
                 json.dumps(result.details, sort_keys=True, default=str), result.created_at or utcnow()),
            )
        return int(cur.lastrowid or 0)

    def find(
        self,
        *,
        checkpoint_id: int | _Any | None = ANY,
        method: str | None = None,
        repo_id: int | None = None,
        scheme: str | None = None,
        split: str | None = None,
        run_id: int | _Any | None = ANY,
    ) -> list[Evaluation]:
        """Stored results matching every filter given, oldest first. ``checkpoint_id=None``
        selects results without a checkpoint; leave it out for any checkpoint."""
        where: list[str] = []
        params: list[Any] = []
        for column, value in (("checkpoint_id", checkpoint_id), ("run_id", run_id)):
            if value is not ANY:
                where.append(f"{column} IS ?")
                params.append(value)
        for column, wanted in (("method", method), ("repo_id", repo_id), ("scheme", scheme), ("split", split)):
            if wanted is not None:
                where.append(f"{column} = ?")
                params.append(wanted)
        sql = f"SELECT {_COLUMNS} FROM evaluations"
        if where:
            sql += " WHERE " + " AND ".join(where)
        return [_evaluation(r) for r in self._store.conn.execute(sql + " ORDER BY id", params)]

    def tag_run(self, run_id: int, checkpoint_ids: Sequence[int]) -> None:
        """Tie the untagged results of these checkpoints to a run."""
        if not checkpoint_ids:
            return
        marks = ",".join("?" * len(checkpoint_ids))
        with self._store.atomic():
            self._store.conn.execute(
                f"UPDATE evaluations SET run_id = ? WHERE checkpoint_id IN ({marks}) AND run_id IS NULL",
                (run_id, *checkpoint_ids),
            )
