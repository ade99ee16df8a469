"""Turning sources into knowledge-base records.

`add_source` is what `leanagent add` calls. It picks a *tracer* for the source and runs
it inside one database transaction. Tracers:

* ``export``   -- a LeanDojo benchmark export directory (`database.leandojo_export`);
* ``static``   -- the source-level indexer (no Lean toolchain needed);
* ``leandojo`` -- tracing with LeanDojo on a machine with a Lean toolchain
  (`leanagent.tracing.leandojo`; lean_dojo itself is only imported by its worker process).

Other packages can add tracers through the ``leanagent.tracers`` entry-point group.

A tracer is a function ``(store, request, home) -> list[IngestSummary]``; `tracers()`
lists them. ``auto`` picks ``export`` for an export directory and ``static`` otherwise
(a local Lean checkout or a git URL, which the static tracer clones).
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
    url: str | None = None  # the repository's URL, when the source does not say it (add --url)


Tracer = Callable[[Store, AddRequest, Home], list[IngestSummary]]


def _export_tracer(store: Store, request: AddRequest, home: Home) -> list[IngestSummary]:
    from database.leandojo_export import ExportImportConfig, import_export

    root = Path(request.source)
    if request.commit:
        raise ConfigError("--commit does not apply to an export: its metadata names the commit")
    url = None
    if request.url is not None:
        from .git import check_url

        url = check_url(request.url)
    return import_export(store, root, ExportImportConfig(source=request.source_checkout, name=request.name, url=url))


#: Entry-point group through which other packages add tracers (e.g. a ``leandojo``
#: tracer for machines with a Lean toolchain): ``name = "module:function"``.
TRACER_ENTRY_POINTS = "leanagent.tracers"


def tracers() -> dict[str, Tracer]:
    from importlib.metadata import entry_points

    from .static import static_tracer

    found: dict[str, Tracer] = {"export": _export_tracer, "static": static_tracer, "leandojo": _leandojo_tracer}
    for ep in entry_points(group=TRACER_ENTRY_POINTS):
        # Built-in names win: an installed plugin cannot silently replace them.
        if ep.name not in found:
            found[ep.name] = _lazy_entry_point(ep)
    return found


def _leandojo_tracer(store: Store, request: AddRequest, home: Home) -> list[IngestSummary]:
    from .leandojo import leandojo_tracer

    return leandojo_tracer(store, request, home)


#: A tracer that can also run away from the database (in a Ray task, possibly on
#: another machine) offers a *preparer* of the same name: ``(request, home, *, cpus)
#: -> PreparedRepository`` (``cpus``: how many processes it may use), whose records the
#: driver writes (`leanagent.distributed`). The source may already be cloned and
#: checked out at the commit to index (the crawler's walk-back): a preparer resolves
#: it with `leanagent.tracing.git.resolve_source`, which reuses the clone. Tracers
#: without a preparer run in the driver process.
PREPARER_ENTRY_POINTS = "leanagent.preparers"


def preparers() -> dict[str, Callable[..., Any]]:
    from importlib.metadata import entry_points

    from .static import static_prepare

    found: dict[str, Callable[..., Any]] = {"static": static_prepare}
    for ep in entry_points(group=PREPARER_ENTRY_POINTS):
        if ep.name not in found:
            found[ep.name] = _lazy_callable(ep)
    return found


def _lazy_callable(ep: Any) -> Callable[..., Any]:
    def run(*args: Any, **kwargs: Any) -> Any:
        return ep.load()(*args, **kwargs)

    return run


def _lazy_entry_point(ep: Any) -> Tracer:
    def run(store: Store, request: AddRequest, home: Home) -> list[IngestSummary]:
        return ep.load()(store, request, home)

    return run


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
