"""Errors of the retriever (all `LeanAgentError`s, so the CLI prints their message)."""

from __future__ import annotations

from database.errors import LeanAgentError


class RetrievalError(LeanAgentError):
    """Base class of retriever errors."""


class ModelNotFound(RetrievalError):
    """An encoder name or path cannot be loaded without the network."""


class CheckpointNotFound(RetrievalError):
    """A checkpoint id is not in the database or its directory is missing."""


class NoTrainingData(RetrievalError):
    """The requested repositories have no (query, premise) pairs in their train split."""


class IndexMismatch(RetrievalError):
    """A stored FAISS index does not match its manifest row or the checkpoint."""
