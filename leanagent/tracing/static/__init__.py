"""Static (source-level) indexing of Lean 4 repositories: no Lean toolchain needed.

`static_tracer` is the tracer `leanagent add` uses for Lean checkouts and git URLs;
`index_repository` is the library entry point. See `indexer` for the pipeline, `parser`
for what is understood of Lean's syntax and `resolve` for the premise-link rules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .indexer import INDEXER_VERSION, StaticIndexConfig, index_repository, prepare_repository

if TYPE_CHECKING:
    from pathlib import Path

    from database.home import Home
    from database.ingest import IngestSummary
    from database.records import RepoInfo
    from database.store import Store
    from leanagent.distributed.records import PreparedRepository

    from .. import AddRequest


def _config(repo: RepoInfo, workers: int | None = None) -> StaticIndexConfig:
    # A clone's lake-manifest.json may not lead the indexer out of the clone.
    return StaticIndexConfig(workers=workers, follow_path_dependencies=not repo.metadata.get("cloned"))


def _source(request: AddRequest, home: Home) -> tuple[Path, RepoInfo]:
    from database.records import RepoInfo

    from ..git import resolve_source

    src = resolve_source(request.source, home.repos, request.commit, request.name, request.url)
    repo = RepoInfo(url=src.url, name=src.name, commit=src.commit, path=str(src.path),
                    metadata={"cloned": src.cloned})
    return src.path, repo


def static_tracer(store: Store, request: AddRequest, home: Home) -> list[IngestSummary]:
    root, repo = _source(request, home)
    return [index_repository(store, root, repo, _config(repo))]


def static_prepare(request: AddRequest, home: Home, *, cpus: int | None = None) -> PreparedRepository:
    """`static_tracer` without the database: what a Ray task runs (`leanagent.distributed`),
    parsing with at most `cpus` processes."""
    root, repo = _source(request, home)
    return prepare_repository(root, repo, _config(repo, workers=cpus))


__all__ = ["INDEXER_VERSION", "StaticIndexConfig", "index_repository", "prepare_repository",
           "static_prepare", "static_tracer"]
