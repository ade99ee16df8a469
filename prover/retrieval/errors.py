"""Errors of the retriever. They are defined with the rest of the exception tree in
`database.errors` (so that the database's checkpoint accessor can raise
`CheckpointNotFound` too) and re-exported here, where the retriever's callers meet them."""

from __future__ import annotations

from database.errors import CheckpointNotFound, IndexMismatch, ModelNotFound, NoTrainingData, RetrievalError

__all__ = ["CheckpointNotFound", "IndexMismatch", "ModelNotFound", "NoTrainingData", "RetrievalError"]
