"""Turning sources into knowledge-base records.

`add_source` is what `leanagent add` calls. It picks a *tracer* for the source and runs
it inside one database transaction. Tracers:

* ``export``   -- a LeanDojo benchmark export directory (`database.leandojo_export`);
* ``static``   -- the source-level indexer (no Lean toolchain needed);
* ``leandojo`` -- tracing with LeanDojo on a machine with a Lean toolchain (to come).

A tracer is a function ``(store, request) -> list[IngestSummary]`` registered in
`TRACERS`; ``auto`` picks ``export`` for an export directory and ``static`` otherwise.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from database.errors import ConfigError, SourceError
from database.home import Home
from database.ingest import IngestSummary
from database.store import Store


@dataclass(frozen=True)
class AddRequest:
    source: str  # a directory (export or Lean checkout) or a git URL
    tracer: str = "auto"
    commit: str | None = None
    name: str | None = None
    source_checkout: Path | None = None  # for exports: the repository's sources


Tracer = Callable[[Store, AddRequest, Home], list[IngestSummary]]


def _export_tracer(store: Store, request: AddRequest, home: Home) -> list[IngestSummary]:
    from database.leandojo_export import ExportImportConfig, import_export

    root = Path(request.source)
    if request.commit:
        raise ConfigError("--commit does not apply to an export: its metadata names the commit")
    return import_export(store, root, ExportImportConfig(source=request.source_checkout, name=request.name))


def tracers() -> dict[str, Tracer]:
    found: dict[str, Tracer] = {"export": _export_tracer}
    try:
        from .static import static_tracer  # provided by the static indexer
    except ImportError:
        pass
    else:
        found["static"] = static_tracer
    return found


def choose_tracer(request: AddRequest) -> str:
    from database.leandojo_export import is_export_dir

    if request.tracer != "auto":
        return request.tracer
    path = Path(request.source)
    if path.is_dir() and is_export_dir(path):
        return "export"
    return "static"


def add_source(store: Store, request: AddRequest, home: Home) -> list[IngestSummary]:
    name = choose_tracer(request)
    available = tracers()
    if name not in available:
        if name == "static":
            raise SourceError(
                f"{request.source} is not a LeanDojo export (no corpus.jsonl / random/*.json) and the "
                "static indexer is not available in this build"
            )
        raise ConfigError(f"unknown tracer '{name}': choose one of auto, {', '.join(sorted(available))}")
    return available[name](store, request, home)


def summary_json(summaries: list[IngestSummary]) -> list[dict[str, Any]]:
    return [s.as_dict() for s in summaries]
