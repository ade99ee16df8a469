"""Static (source-level) indexing of Lean 4 repositories: no Lean toolchain needed.

`static_tracer` is the tracer `leanagent add` uses for Lean checkouts and git URLs;
`index_repository` is the library entry point. See `indexer` for the pipeline, `parser`
for what is understood of Lean's syntax and `resolve` for the premise-link rules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .indexer import INDEXER_VERSION, StaticIndexConfig, index_repository

if TYPE_CHECKING:
    from database.home import Home
    from database.ingest import IngestSummary
    from database.store import Store

    from .. import AddRequest


def static_tracer(store: Store, request: AddRequest, home: Home) -> list[IngestSummary]:
    from database.records import RepoInfo

    from ..git import resolve_source

    src = resolve_source(request.source, home.repos, request.commit, request.name)
    repo = RepoInfo(url=src.url, name=src.name, commit=src.commit, path=str(src.path),
                    metadata={"cloned": src.cloned})
    return [index_repository(store, src.path, repo, StaticIndexConfig())]


__all__ = ["INDEXER_VERSION", "StaticIndexConfig", "index_repository", "static_tracer"]
