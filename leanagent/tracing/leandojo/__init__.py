"""The ``leandojo`` tracer: `lean_dojo.trace` on a repository, stored as `database.records`.

``leanagent add SOURCE --tracer leandojo [--commit C]``:

1. the source is resolved as for the static tracer (`leanagent.tracing.git`): a local git
   checkout in place, or a URL cloned into ``HOME/repos`` -- one identity (url, name,
   commit) for both tracers;
2. the toolchain gate: the checkout's ``lean-toolchain`` against what the installed
   lean-dojo can trace (`prover.lean.leandojo_support.check_support`), refused with the
   exact reason and the alternatives before anything is built;
3. a worker process (`worker`, run by `runner`) traces it with lean-dojo -- always as a
   local repository (``DISABLE_REMOTE_CACHE``), so that its cache key is the one the
   ``leandojo`` proving backend later looks up -- with lean-dojo's cache in
   ``HOME/leandojo/cache``, and writes the converted records (`convert`) to a file;
4. those records go into the knowledge base in one `Store.ingest` transaction. When the
   same commit was indexed statically, the traced data supersedes the static data of the
   files it covers, in place (`database.supersede`).

Nothing here imports lean_dojo: only the worker does.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from database.errors import AlreadyImported, SourceError

if TYPE_CHECKING:
    from database.home import Home
    from database.ingest import IngestSummary
    from database.store import Store

    from .. import AddRequest

#: Tracers whose data a LeanDojo trace of the same commit replaces.
SUPERSEDES = frozenset({"static"})


@dataclass(frozen=True)
class LeanDojoTraceConfig:
    build_deps: bool = True  # trace dependencies too (needed for the import graph and premise corpus)
    timeout: float | None = None  # seconds for the whole trace; None = no limit
    num_procs: int | None = None  # NUM_PROCS for lean-dojo; None = its default (CPU count, at most 32)
    verbose: bool = False


def _uncommitted_lean_files(path: Path) -> int:
    try:
        out = subprocess.run(["git", "status", "--porcelain", "--", "*.lean"], cwd=path, capture_output=True,
                             text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return 0
    return sum(1 for line in out.stdout.splitlines() if line.strip())


def leandojo_tracer(store: Store, request: AddRequest, home: Home,
                    config: LeanDojoTraceConfig | None = None) -> list[IngestSummary]:
    from database.records import Diagnostic, FileRecord, RepoInfo, TheoremRecord
    from database.supersede import Supersede
    from leanagent import __version__
    from prover.lean.interface import ToolchainMissing
    from prover.lean.leandojo_support import LeanDojoSettings, check_support, read_toolchain

    from ..git import resolve_source
    from . import wire
    from .runner import TraceJob, run_worker

    config = config or LeanDojoTraceConfig()
    src = resolve_source(request.source, home.repos, request.commit, request.name, request.url)
    existing = next((r for r in store.repositories() if r.url == src.url and r.commit == src.commit), None)
    if existing is not None and existing.tracer not in SUPERSEDES:
        # Said before tracing, which can take hours, rather than after it.
        raise AlreadyImported(existing.name, existing.url, existing.commit)
    if src.commit.startswith("local:"):
        raise SourceError(
            f"{src.path} is not a git checkout: LeanDojo traces a commit of a git repository. Make it one "
            "(git init && git add -A && git commit -m snapshot) or use --tracer static"
        )
    toolchain = read_toolchain(src.path)
    gate = check_support("trace", toolchain, src.path)
    missing = [tool for tool in ("lake", "lean") if shutil.which(tool) is None]
    if missing:
        raise ToolchainMissing(
            f"{' and '.join(missing)} not found on PATH: tracing builds the project with its own toolchain. "
            "Install elan (https://github.com/leanprover/elan: curl https://elan.lean-lang.org/elan-init.sh -sSf "
            f"| sh), which provides lake and lean for {toolchain.text if toolchain else 'the project'}; "
            "or use --tracer static"
        )
    diagnostics = [Diagnostic(None, None, w) for w in gate.warnings]
    dirty = _uncommitted_lean_files(src.path)
    if dirty:
        diagnostics.append(Diagnostic(None, None, f"{dirty} .lean files have uncommitted changes: LeanDojo "
                                                  f"traces commit {src.commit[:12]}, without them"))
    slug = re.sub(r"[^\w.-]+", "_", src.name).strip("._") or "repo"
    run_id = f"{slug}-{src.commit[:12]}-{uuid.uuid4().hex[:8]}"
    workdir = home.tmp / "leandojo" / run_id
    settings = LeanDojoSettings(cache_dir=home.root / "leandojo" / "cache", tmp_dir=workdir / "tmp",
                                num_procs=config.num_procs, verbose=config.verbose)
    records = workdir / "records.jsonl"
    job = TraceJob(repo_path=src.path, commit=src.commit, records=records,
                   log_path=home.root / "leandojo" / "logs" / f"{run_id}.log", workdir=workdir,
                   settings=settings, build_deps=config.build_deps, timeout=config.timeout)
    try:
        run_worker(job)
        header = wire.read_header(records)
        counts = wire.check_complete(records)
        paths = frozenset(r.path for r in wire.read_records(records) if isinstance(r, FileRecord))
        info = RepoInfo(
            url=src.url, name=src.name, commit=src.commit,
            lean_version=gate.lean_version,
            tracer="leandojo",
            tracer_version=f"lean-dojo {header.get('leandojo_version')} / leanagent {__version__}",
            path=str(src.path),
            metadata={
                "cloned": src.cloned,
                "leandojo": {
                    "traced_repo_path": header.get("traced_repo_path"),
                    "build_deps": header.get("build_deps"),
                    "traced_files": header.get("traced_files"),
                    "records": counts,
                    "log": str(job.log_path),
                },
            },
        )
        with store.ingest(info, Supersede(SUPERSEDES, paths)) as w:
            for d in diagnostics:
                w.add_diagnostic(d)
            for rec in wire.read_records(records):
                if isinstance(rec, FileRecord):
                    w.add_file(rec)
                elif isinstance(rec, TheoremRecord):
                    w.add_theorem(rec)
                elif isinstance(rec, Diagnostic):
                    w.add_diagnostic(rec)
                else:
                    w.add_declaration_sorries(rec)
        return [w.summary]
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


__all__ = ["SUPERSEDES", "LeanDojoTraceConfig", "leandojo_tracer"]
