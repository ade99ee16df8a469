"""The knowledge base: SQLite schema and migrations, the typed store, the ingest writer,
and the LeanDojo export format. The bottom layer: imports no other leanagent package
and never torch."""

from .errors import LeanAgentError
from .home import Home
from .store import Repository, Store

__all__ = ["Home", "LeanAgentError", "Repository", "Store"]
