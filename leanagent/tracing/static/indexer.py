"""The static indexer: a Lean 4 checkout -> knowledge-base records, without Lean.

Pipeline: find the `.lean` files (own files, then dependency sources under
`.lake/packages/*`), parse them (in a process pool when there is enough text to pay for
it), map `import` module names to files, compute each file's transitive imports, build
the name table, then write everything through `store.ingest` in one transaction: files
and premises first (written while the pool is still parsing), theorems with their
resolved links after.

Imports that name no indexed file (``import Mathlib.Tactic`` when Mathlib's sources are
not under `.lake/packages`) are left out of `FileRecord.imports`, which lists only real
files of the knowledge base (the import graph stays closed); they are counted per
module in the repository's metadata (``unresolved_imports``) and their declarations are
simply not linkable.
"""

from __future__ import annotations

import contextlib
import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from database.ingest import IngestSummary
from database.records import (
    DeclarationSorries,
    Diagnostic,
    FileRecord,
    LinkRecord,
    PremiseRecord,
    RepoInfo,
    SorryRecord,
    StepRecord,
    TheoremRecord,
)
from database.store import Store

from .parser import parse_bytes
from .project import ProjectInfo, read_project
from .resolve import NameTable, import_closures, resolve_references
from .rows import PreparedFile, SorryDeclRow, prepare

if TYPE_CHECKING:
    from leanagent.distributed.records import PreparedRepository, RecordSink

#: Bumped when the records the indexer produces change for the same input.
INDEXER_VERSION = "2"

_SKIP_DIRS = frozenset({".git", ".lake", "lake-packages", "build", ".github", "node_modules", "__pycache__"})


@dataclass(frozen=True)
class StaticIndexConfig:
    #: Parser processes; None = one per CPU (at most 4). 1 = parse in this process.
    workers: int | None = None
    #: Index dependency sources found under `.lake/packages/*` (and `lake-packages/*`).
    include_dependencies: bool = True
    #: Below this much source text a process pool costs more than it saves (measured with
    #: benchmarks/static_index.py: workers return compact rows, see `rows`, and a forked
    #: pool already wins on ~250 KB of Lean; below that the whole run takes < 0.2 s).
    parallel_min_bytes: int = 200_000


def tracer_version() -> str:
    from leanagent import __version__

    return f"leanagent {__version__} / static indexer {INDEXER_VERSION}"


# -- discovery ---------------------------------------------------------------------------


def _walk(base: Path, rel_prefix: str, skip_lakefile: bool) -> Iterator[str]:
    for dirpath, dirnames, filenames in os.walk(base):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS and not d.startswith("."))
        rel_dir = os.path.relpath(dirpath, base)
        rel_dir = "" if rel_dir == "." else rel_dir.replace(os.sep, "/") + "/"
        for f in sorted(filenames):
            if not f.endswith(".lean"):
                continue
            if skip_lakefile and not rel_dir and f == "lakefile.lean":
                continue
            yield rel_prefix + rel_dir + f


def discover(root: Path, include_dependencies: bool = True) -> list[str]:
    """Paths (relative to `root`, POSIX) of the files to index: own files, then packages."""
    paths = list(_walk(root, "", True))
    if include_dependencies:
        for pkgs_rel in (".lake/packages", "lake-packages"):
            pkgs = root / pkgs_rel
            if not pkgs.is_dir():
                continue
            for pkg in sorted(p for p in pkgs.iterdir() if p.is_dir() and not p.name.startswith(".")):
                paths.extend(_walk(pkg, f"{pkgs_rel}/{pkg.name}/", True))
    return paths


# -- parsing -----------------------------------------------------------------------------


def _parse_one(args: tuple[str, str]) -> PreparedFile:
    root, rel = args
    try:
        data = Path(root, rel).read_bytes()
    except OSError as exc:
        return PreparedFile(rel, "unreadable", 0, (), False, ((None, f"cannot read file: {exc}"),), (), (), ())
    return prepare(parse_bytes(data, rel))


def pool_workers(config: StaticIndexConfig, total_bytes: int, n_files: int) -> int:
    """How many parser processes `config` uses for `n_files` files of `total_bytes` bytes
    (1 = parse in this process)."""
    workers = config.workers or min(4, os.cpu_count() or 1)
    if workers <= 1 or total_bytes < config.parallel_min_bytes or n_files < 8:
        return 1
    return workers


def parse_files(root: Path, paths: list[str], config: StaticIndexConfig) -> Iterator[PreparedFile]:
    total = 0
    for p in paths:
        with contextlib.suppress(OSError):
            total += (root / p).stat().st_size
    workers = pool_workers(config, total, len(paths))
    args = [(str(root), p) for p in paths]
    if workers <= 1:
        yield from map(_parse_one, args)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # fork: workers start in milliseconds and need no importable __main__; they only run
    # `_parse_one` (pure: read a file, parse it) and never touch the inherited SQLite
    # connection. Elsewhere (macOS, Windows) the platform default is used.
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else None)
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        chunk = max(1, min(64, len(args) // (workers * 8)))
        yield from pool.map(_parse_one, args, chunksize=chunk)


# -- imports -----------------------------------------------------------------------------


def module_map(paths: list[str], project: ProjectInfo, package_src_dirs: dict[str, list[str]]) -> dict[str, int]:
    """Module name -> index into `paths`; the repository's own files win over packages."""
    out: dict[str, int] = {}
    for idx, path in enumerate(paths):
        prefix, roots = "", project.src_dirs
        for pkgs_rel in (".lake/packages/", "lake-packages/"):
            if path.startswith(pkgs_rel):
                pkg = path[len(pkgs_rel):].split("/", 1)[0]
                prefix = f"{pkgs_rel}{pkg}/"
                roots = package_src_dirs.get(prefix, [""])
        rel = path[len(prefix):]
        for r in roots:
            r = f"{r}/" if r else ""
            if rel.startswith(r):
                mod = rel[len(r):-len(".lean")].replace("/", ".")
                out.setdefault(mod, idx)
    return out


def _package_src_dirs(root: Path, paths: list[str]) -> dict[str, list[str]]:
    prefixes = sorted({"/".join(p.split("/", 3)[:3]) + "/" for p in paths if p.startswith(".lake/packages/")}
                      | {"/".join(p.split("/", 2)[:2]) + "/" for p in paths if p.startswith("lake-packages/")})
    out: dict[str, list[str]] = {}
    for prefix in prefixes:
        roots = read_project(root / prefix).src_dirs
        if prefix.endswith("/lean4/"):
            roots = [*roots, "src/lean", "src"]  # Lean core copied by LeanDojo's tracer
        out[prefix] = roots
    return out


# -- the tracer --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Plan:
    info: RepoInfo
    paths: list[str]
    modules: dict[str, int]
    core_init: int | None
    project: ProjectInfo


def _plan(root: Path, repo: RepoInfo, config: StaticIndexConfig) -> _Plan:
    project = read_project(root)
    paths = discover(root, config.include_dependencies)
    pkg_dirs = _package_src_dirs(root, paths)
    modules = module_map(paths, project, pkg_dirs)
    core_init = modules.get("Init") if any(p.startswith(".lake/packages/lean4/") for p in paths) else None
    meta = dict(repo.metadata)
    meta.update(project.as_metadata())
    info = RepoInfo(
        url=repo.url, name=repo.name, commit=repo.commit, lean_version=repo.lean_version or project.lean_version,
        tracer="static", tracer_version=tracer_version(), path=repo.path or str(root), metadata=meta,
    )
    return _Plan(info, paths, modules, core_init, project)


def _emit(root: Path, plan: _Plan, config: StaticIndexConfig, w: RecordSink) -> Counter[str]:
    """Feed the repository's records to `w` (an `Ingest`, or a recorder with the same
    methods); return the import names that resolved to no indexed file."""
    paths, modules, core_init = plan.paths, plan.modules, plan.core_init
    files: list[PreparedFile] = []
    imports: list[list[int]] = []
    unresolved: Counter[str] = Counter()
    for fname, msg in plan.project.diagnostics:
        w.add_diagnostic(Diagnostic(fname, None, msg))
    for idx, pf in enumerate(parse_files(root, paths, config)):
        files.append(pf)
        deps: list[int] = []
        for mod in pf.imports:
            j = modules.get(mod)
            if j is None or j == idx:
                unresolved[mod] += 1
            elif j not in deps:
                deps.append(j)
        if core_init is not None and not pf.prelude and core_init != idx and core_init not in deps:
            deps.append(core_init)
        imports.append(deps)
        w.add_file(FileRecord(
            path=pf.path,
            imports=[paths[j] for j in deps],
            premises=[PremiseRecord(*p) for p in pf.premises],
            content_hash=pf.content_hash,
            num_lines=pf.num_lines,
        ))
        for line, msg in pf.diagnostics:
            w.add_diagnostic(Diagnostic(pf.path, line, msg))
    table = NameTable(files, import_closures(imports))
    for idx, pf in enumerate(files):
        _write_declarations(w, table, idx, pf)
    return unresolved


def _unresolved_metadata(unresolved: Counter[str]) -> dict[str, Any]:
    if not unresolved:
        return {}
    return {"unresolved_imports": dict(unresolved.most_common(200)),
            "unresolved_import_count": sum(unresolved.values())}


def index_repository(store: Store, root: Path, repo: RepoInfo, config: StaticIndexConfig | None = None
                     ) -> IngestSummary:
    """Index the checkout at `root` as `repo` (url/name/commit given by the caller)."""
    config = config or StaticIndexConfig()
    plan = _plan(root, repo, config)
    with store.ingest(plan.info) as w:
        unresolved = _emit(root, plan, config, w)
    # metadata written with the repository row cannot know the unresolved imports yet
    extra = _unresolved_metadata(unresolved)
    if extra:
        store.set_repository_metadata(w.repo_id, {**plan.info.metadata, **extra})
    return w.summary


def prepare_repository(root: Path, repo: RepoInfo, config: StaticIndexConfig | None = None
                       ) -> PreparedRepository:
    """The records `index_repository` would write, without a database: for a Ray task,
    whose result the driver writes with `leanagent.distributed.records.write_prepared`."""
    from leanagent.distributed.records import PreparedRepository, RecordingSink

    config = config or StaticIndexConfig()
    plan = _plan(root, repo, config)
    sink = RecordingSink()
    unresolved = _emit(root, plan, config, sink)
    info = replace(plan.info, metadata={**plan.info.metadata, **_unresolved_metadata(unresolved)})
    return PreparedRepository(info, sink.events)


def _write_declarations(w: RecordSink, table: NameTable, idx: int, pf: PreparedFile) -> None:
    for d in pf.decls:
        if isinstance(d, SorryDeclRow):
            w.add_declaration_sorries(DeclarationSorries(
                file_path=pf.path, full_name=d.full_name, kind=d.kind, start=d.start,
                sorries=[SorryRecord(line, col, ctx) for line, col, ctx in d.sorries],
            ))
            continue
        w.add_theorem(TheoremRecord(
            file_path=pf.path,
            full_name=d.full_name,
            start=d.start,
            end=d.end,
            statement=d.statement,
            kind=d.kind,
            proof_style=d.proof_style,
            steps=[StepRecord(tactic=s.tactic, start=s.start, structure=s.structure) for s in d.steps],
            num_steps=len(d.steps),
            links=[LinkRecord(t.full_name, t.path, t.pos, t.end, how) for t, how in resolve_references(table, idx, d)],
            sorries=[SorryRecord(line, col, ctx) for line, col, ctx in d.sorries],
        ))
