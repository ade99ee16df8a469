"""The home directory: the one place leanagent writes to.

Layout (documented in the README)::

    HOME/leanagent.db     the knowledge base (SQLite, WAL)
    HOME/indexes/         FAISS indexes, one directory per checkpoint
    HOME/checkpoints/     retriever checkpoints (save_pretrained directories)
    HOME/repos/           clones of git URLs given to `leanagent add`
    HOME/reports/         generated reports and dashboards
    HOME/tmp/             scratch space (cleaned by the code that made it)

Resolving *which* directory is home (flag, environment) is the application's job
(`leanagent.config`); this module only knows the layout.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Home:
    root: Path

    @property
    def db_path(self) -> Path:
        return self.root / "leanagent.db"

    @property
    def indexes(self) -> Path:
        return self.root / "indexes"

    @property
    def checkpoints(self) -> Path:
        return self.root / "checkpoints"

    @property
    def repos(self) -> Path:
        return self.root / "repos"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def tmp(self) -> Path:
        return self.root / "tmp"

    def ensure(self) -> Home:
        """Create the root directory (sub-directories are made by the code that fills them)."""
        self.root.mkdir(parents=True, exist_ok=True)
        return self
