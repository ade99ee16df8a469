"""The knowledge base: SQLite schema and migrations, the typed store and its per-table
accessors, the ingest writer, and the LeanDojo export format. The bottom layer: imports
no other leanagent package and never torch.

Importing the package is cheap: the names below are loaded on first use (sqlite-utils
alone costs most of `leanagent --help`'s start-up), so ``from database.errors import
ConfigError`` does not pay for the store.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .errors import LeanAgentError
    from .home import Home
    from .store import Repository, Store

__all__ = ["Home", "LeanAgentError", "Repository", "Store"]

_WHERE = {"Home": ".home", "LeanAgentError": ".errors", "Repository": ".store", "Store": ".store"}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'database' has no attribute {name!r}")
    return getattr(import_module(module, __name__), name)
