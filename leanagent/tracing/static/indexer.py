"""The static indexer: a Lean 4 checkout -> knowledge-base records, without Lean.

Pipeline: find the `.lean` files (own files, then dependency sources under
`.lake/packages/*`), parse them (in a process pool when there is enough text to pay for
it), map `import` module names to files, compute each file's transitive imports, build
the name table, then write everything through `store.ingest` in one transaction: files
and premises first, theorems with their resolved links after. Parsing ends before the
transaction starts (the write lock is not held while the pool parses).

Imports that name no indexed file (``import Mathlib.Tactic`` when Mathlib's sources are
not under `.lake/packages`) are left out of `FileRecord.imports`, which lists only real
files of the knowledge base (the import graph stays closed); they are counted per
module in the repository's metadata (``unresolved_imports``) and their declarations are
simply not linkable.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from database.errors import AlreadyImported
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
    redact_url,
)
from database.source_files import MAX_SOURCE_BYTES, Skipped, is_within, read_source
from database.store import Store
from leanagent.processes import die_with_parent

from .parser import parse_bytes
from .project import ProjectInfo, read_project
from .resolve import NameTable, import_closures, resolve_references
from .rows import PreparedFile, SorryDeclRow, prepare

if TYPE_CHECKING:
    from leanagent.distributed.records import PreparedRepository, RecordSink

#: Bumped when the records the indexer produces change for the same input.
INDEXER_VERSION = "2"

#: The content hash of a file that was not read (a FIFO, too big ...): it is reported,
#: never stored.
UNREAD = "unread"

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
    #: Larger source files are skipped with a diagnostic (`database.source_files`).
    max_file_bytes: int = MAX_SOURCE_BYTES
    #: Follow a `.lake/packages/NAME` link out of the repository when lake-manifest.json
    #: declares NAME a `path` dependency whose `dir` is that link's target (sibling
    #: checkouts, as `require x from "../x"` makes them). Off for cloned URLs: a clone's
    #: manifest must not make the indexer read the user's other directories.
    follow_path_dependencies: bool = True


def tracer_version() -> str:
    from leanagent import __version__

    return f"leanagent {__version__} / static indexer {INDEXER_VERSION}"


# -- discovery ---------------------------------------------------------------------------


@dataclass
class Discovery:
    """The files to index (paths relative to the root, POSIX): own files, then packages;
    and what was left out, with why (reported as diagnostics)."""

    paths: list[str]
    skipped: list[tuple[str, str]]  # (path, reason)
    #: For each path, the directory it must stay inside once symbolic links are
    #: resolved: the repository for its own files, the package's directory for a
    #: dependency's.
    within: dict[str, str]


def _walk(base: Path, rel_prefix: str, skip_lakefile: bool, within: str, out: Discovery) -> None:
    for dirpath, dirnames, filenames in os.walk(base):  # never follows directory links
        rel_dir = os.path.relpath(dirpath, base)
        rel_dir = "" if rel_dir == "." else rel_dir.replace(os.sep, "/") + "/"
        keep = []
        for d in sorted(dirnames):
            if d in _SKIP_DIRS or d.startswith("."):
                continue
            if os.path.islink(os.path.join(dirpath, d)):
                out.skipped.append((f"{rel_prefix}{rel_dir}{d}", "a symbolic link to a directory: not followed"))
                continue
            keep.append(d)
        dirnames[:] = keep
        for f in sorted(filenames):
            if not f.endswith(".lean"):
                continue
            if skip_lakefile and not rel_dir and f == "lakefile.lean":
                continue
            rel = rel_prefix + rel_dir + f
            full = os.path.join(dirpath, f)
            if os.path.islink(full) and not is_within(full, within):
                out.skipped.append((rel, "a symbolic link to a file outside the repository: not read"))
                continue
            out.paths.append(rel)
            out.within[rel] = within


def declared_path_dependencies(root: Path, project: ProjectInfo) -> dict[str, str]:
    """Package name -> resolved directory of every `path` dependency the project's
    lake-manifest.json declares (what Lake itself builds from)."""
    return {p["name"]: os.path.realpath(root / p["dir"]) for p in project.manifest_packages
            if p.get("type") == "path" and isinstance(p.get("name"), str) and isinstance(p.get("dir"), str)}


def discover(root: Path, include_dependencies: bool = True,
             path_dependencies: Mapping[str, str] | None = None) -> Discovery:
    """The files to index: own files, then dependency sources under `.lake/packages/*`.

    Only files whose resolved path stays inside the repository (a dependency's: inside
    its package directory) are listed; directory links are not followed, and a package
    directory that is a link out of the repository is skipped, unless
    ``path_dependencies`` (`declared_path_dependencies`) names it with that very target."""
    out = Discovery([], [], {})
    real_root = os.path.realpath(root)
    declared = path_dependencies or {}
    _walk(root, "", True, real_root, out)
    if include_dependencies:
        for pkgs_rel in (".lake/packages", "lake-packages"):
            pkgs = root / pkgs_rel
            if not pkgs.is_dir() or not is_within(pkgs, real_root):
                if pkgs.is_dir():
                    out.skipped.append((pkgs_rel, "a symbolic link out of the repository: not followed"))
                continue
            for pkg in sorted(p for p in pkgs.iterdir() if p.is_dir() and not p.name.startswith(".")):
                rel = f"{pkgs_rel}/{pkg.name}"
                if not is_within(pkg, real_root) and declared.get(pkg.name) != os.path.realpath(pkg):
                    out.skipped.append((rel, "a symbolic link out of the repository: not followed"))
                    continue
                _walk(pkg, rel + "/", True, os.path.realpath(pkg), out)
    return out


# -- parsing -----------------------------------------------------------------------------


def _parse_one(args: tuple[str, str, str, int]) -> PreparedFile:
    root, rel, within, limit = args
    try:
        data = read_source(Path(root, rel), within=Path(within), limit=limit)
    except Skipped as exc:
        return PreparedFile(rel, UNREAD, 0, (), False, ((None, exc.reason),), (), (), ())
    return prepare(parse_bytes(data, rel))


def pool_workers(config: StaticIndexConfig, total_bytes: int, n_files: int) -> int:
    """How many parser processes `config` uses for `n_files` files of `total_bytes` bytes
    (1 = parse in this process)."""
    workers = config.workers or min(4, os.cpu_count() or 1)
    if workers <= 1 or total_bytes < config.parallel_min_bytes or n_files < 8:
        return 1
    return workers


def parse_files(root: Path, found: Discovery, config: StaticIndexConfig) -> Iterator[PreparedFile]:
    paths = found.paths
    total = 0
    for p in paths:
        with contextlib.suppress(OSError):
            st = (root / p).stat()
            if stat.S_ISREG(st.st_mode):
                total += min(st.st_size, config.max_file_bytes)
    workers = pool_workers(config, total, len(paths))
    args = [(str(root), p, found.within.get(p, str(root)), config.max_file_bytes) for p in paths]
    if workers <= 1:
        yield from map(_parse_one, args)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # fork: workers start in milliseconds and need no importable __main__; they only run
    # `_parse_one` (pure: read a file, parse it) and never touch the inherited SQLite
    # connection. Elsewhere (macOS, Windows) the platform default is used. Workers die
    # with this process, even when it is killed (`leanagent.processes`).
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else None)
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=die_with_parent,
                             initargs=(os.getpid(),)) as pool:
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
    found: Discovery
    modules: dict[str, int]
    core_init: int | None
    project: ProjectInfo

    @property
    def paths(self) -> list[str]:
        return self.found.paths


def _plan(root: Path, repo: RepoInfo, config: StaticIndexConfig) -> _Plan:
    project = read_project(root)
    found = discover(root, config.include_dependencies,
                     declared_path_dependencies(root, project) if config.follow_path_dependencies else None)
    paths = found.paths
    pkg_dirs = _package_src_dirs(root, paths)
    modules = module_map(paths, project, pkg_dirs)
    core_init = modules.get("Init") if any(p.startswith(".lake/packages/lean4/") for p in paths) else None
    meta = dict(repo.metadata)
    meta.update(project.as_metadata())
    info = RepoInfo(
        url=repo.url, name=repo.name, commit=repo.commit, lean_version=repo.lean_version or project.lean_version,
        tracer="static", tracer_version=tracer_version(), path=repo.path or str(root), metadata=meta,
    )
    return _Plan(info, found, modules, core_init, project)


@dataclass
class _Parsed:
    """Every file parsed, with its resolved imports: all the indexer knows before it
    writes anything."""

    files: list[PreparedFile]
    imports: list[list[int]]
    unread: set[int]  # files that were not read (reported, never stored)
    unresolved: Counter[str]


def _parse(root: Path, plan: _Plan, config: StaticIndexConfig) -> _Parsed:
    files = list(parse_files(root, plan.found, config))
    unread = {i for i, pf in enumerate(files) if pf.content_hash == UNREAD}
    imports: list[list[int]] = []
    unresolved: Counter[str] = Counter()
    for idx, pf in enumerate(files):
        deps: list[int] = []
        for mod in pf.imports:
            j = plan.modules.get(mod)
            if j is None or j == idx or j in unread:
                unresolved[mod] += 1
            elif j not in deps:
                deps.append(j)
        if plan.core_init is not None and not pf.prelude and plan.core_init != idx and plan.core_init not in deps:
            deps.append(plan.core_init)
        imports.append(deps)
    return _Parsed(files, imports, unread, unresolved)


def _emit(plan: _Plan, parsed: _Parsed, w: RecordSink) -> None:
    """Feed the repository's records to `w` (an `Ingest`, or a recorder with the same
    methods)."""
    paths = plan.paths
    for fname, msg in plan.project.diagnostics:
        w.add_diagnostic(Diagnostic(fname, None, msg))
    for path, reason in plan.found.skipped:
        w.add_diagnostic(Diagnostic(path, None, reason))
    for idx, pf in enumerate(parsed.files):
        if idx not in parsed.unread:  # a file not read is reported, not stored
            w.add_file(FileRecord(
                path=pf.path,
                imports=[paths[j] for j in parsed.imports[idx]],
                premises=[PremiseRecord(*p) for p in pf.premises],
                content_hash=pf.content_hash,
                num_lines=pf.num_lines,
            ))
        for line, msg in pf.diagnostics:
            w.add_diagnostic(Diagnostic(pf.path, line, msg))
    table = NameTable(parsed.files, import_closures(parsed.imports))
    for idx, pf in enumerate(parsed.files):
        if idx not in parsed.unread:
            _write_declarations(w, table, idx, pf)


def _unresolved_metadata(unresolved: Counter[str]) -> dict[str, Any]:
    if not unresolved:
        return {}
    return {"unresolved_imports": dict(unresolved.most_common(200)),
            "unresolved_import_count": sum(unresolved.values())}


def index_repository(store: Store, root: Path, repo: RepoInfo, config: StaticIndexConfig | None = None
                     ) -> IngestSummary:
    """Index the checkout at `root` as `repo` (url/name/commit given by the caller).

    Every file is parsed before the import's write transaction starts, so another
    process can write to the database while this one parses; the write itself is one
    `store.ingest` transaction."""
    config = config or StaticIndexConfig()
    name = store.imported_name(redact_url(repo.url), repo.commit)
    if name is not None:  # checked again inside the transaction; this saves the parse
        raise AlreadyImported(name, redact_url(repo.url), repo.commit)
    plan = _plan(root, repo, config)
    parsed = _parse(root, plan, config)
    with store.ingest(plan.info) as w:
        _emit(plan, parsed, w)
    # metadata written with the repository row cannot know the unresolved imports yet
    extra = _unresolved_metadata(parsed.unresolved)
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
    parsed = _parse(root, plan, config)
    sink = RecordingSink()
    _emit(plan, parsed, sink)
    info = replace(plan.info, metadata={**plan.info.metadata, **_unresolved_metadata(parsed.unresolved)})
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
