"""Knowledge-base commands: add, repos, theorems, sorries, export."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from . import App, emit_json, handle_errors, info, main, pass_app
from .options import json_option, repos_option
from .ray_options import open_runtime, ray_address_option, workers_option
from .text import shown, terminal_safe

if TYPE_CHECKING:
    from database.ingest import IngestSummary
    from leanagent.distributed.add import AddOutcome


@main.command()
@click.argument("sources", nargs=-1, required=True, metavar="SOURCE...")
@click.option(
    "--tracer",
    type=click.Choice(["auto", "export", "static", "leandojo"]),
    default="auto",
    show_default=True,
    help="How to read SOURCE: a LeanDojo export, Lean sources indexed statically (no Lean needed), "
    "or traced with LeanDojo (needs lean-dojo and the project's Lean toolchain).",
)
@click.option("--commit", default=None, help="Commit, tag or branch to index (git sources; one SOURCE).")
@click.option("--name", default=None, help="Repository name to record (default: from the URL; one SOURCE).")
@click.option(
    "--source",
    "source_checkout",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="For an export: the repository checkout, to inspect term-mode proofs for `sorry` (one SOURCE).",
)
@click.option("--url", default=None, help="The repository's URL, recorded as its identity and exported "
              "(default: the git URL, or a local checkout's git remote; one SOURCE).")
@workers_option
@ray_address_option
@json_option("the import summary")
@pass_app
@handle_errors
def add(app: App, sources: tuple[str, ...], tracer: str, commit: str | None, name: str | None,
        source_checkout: Path | None, url: str | None, workers: int | None, ray_address: str | None,
        as_json: bool) -> None:
    """Add repositories: each SOURCE... is a LeanDojo export directory, a Lean checkout or a git URL.

    Several SOURCEs are prepared in parallel (one Ray task each); each is written in its
    own transaction, and one that fails is reported and recorded without stopping the others.
    """
    from leanagent.distributed.add import AddJob, add_sources
    from leanagent.tracing import AddRequest

    if len(sources) > 1 and (commit or name or source_checkout or url):
        raise click.UsageError("--commit, --name, --source and --url apply to a single SOURCE")
    jobs = [AddJob(AddRequest(source=src, tracer=tracer, commit=commit, name=name,
                              source_checkout=source_checkout, url=url)) for src in sources]
    if tracer == "leandojo":
        info("tracing with LeanDojo: lake builds the project and lean-dojo extracts every file, which can "
             "take long (hours for Mathlib-sized projects); `leanagent -v add ...` shows its log")
    with app.store() as store, open_runtime(app, ray_address, want_ray=len(jobs) > 1) as rt:
        where = rt.describe()
        outcomes = add_sources(store, jobs, app.home, rt, max_in_flight=workers,
                               on_outcome=print_outcome if len(jobs) > 1 else None,
                               record_unsuccessful=len(jobs) > 1)
    if len(jobs) == 1:
        [o] = outcomes
        if o.status == "failed":
            raise click.ClickException(terminal_safe(o.reason or "failed"))
        if o.status == "already":
            info(o.reason or "already imported")
            if as_json:
                emit_json({"status": "already_imported", "name": o.name, "url": o.url, "commit": o.commit})
            return
        _print_summaries(o.summaries)
        if as_json:
            emit_json({"status": "added", "repositories": summary_json(o.summaries)})
        return
    failed = [o for o in outcomes if o.status == "failed"]
    counts = {k: sum(o.status == k for o in outcomes) for k in ("added", "already", "failed")}
    info(f"{counts['added']} added, {counts['already']} already in the database, {counts['failed']} failed "
         f"({where})")
    if as_json:
        emit_json({"status": "partial" if failed else "added", **counts,
                   "outcomes": [o.as_dict() for o in outcomes]})
    if failed:
        raise click.ClickException(
            f"{len(failed)} of {len(outcomes)} sources failed: "
            + "; ".join(f"{shown(o.source)}: {terminal_safe(o.reason or '')}" for o in failed)
        )


def summary_json(summaries: list[IngestSummary]) -> list[dict[str, Any]]:
    from leanagent.tracing import summary_json as _json

    return _json(summaries)


def _print_summaries(summaries: list[IngestSummary]) -> None:
    for s in summaries:
        info(
            f"added {shown(s.name)} @ {shown(s.commit[:12])}: {s.theorems - s.dependency_theorems} theorems "
            f"({s.theorems_with_sorry} with sorry), {s.dependency_theorems} dependency theorems, "
            f"{s.premises} premises in {s.files} files ({s.shared_files_reused} shared files reused), "
            f"{s.tactic_steps} tactic steps, {s.links_resolved}/{s.links} premise links resolved"
        )
        # Caveats first and always: they change what the numbers above mean.
        caveats = [d for d in s.diagnostics if d.severity == "caveat"]
        others = [d for d in s.diagnostics if d.severity != "caveat"]
        for d in caveats:
            info(f"  caveat: {shown(d.message)}")
        for d in others[:20]:
            where = _where(d.file_path, d.line)
            info(f"  {d.severity}: {where}{shown(d.message)}")
        if len(others) > 20:
            info(f"  ... and {len(others) - 20} more (see the diagnostics table)")


def _where(file_path: str | None, line: int | None) -> str:
    """``file:line: ``, ``file: `` when the line is not known, nothing without a file."""
    if not file_path:
        return ""
    return f"{shown(file_path)}:{line}: " if line is not None else f"{shown(file_path)}: "


def print_outcome(o: AddOutcome) -> None:
    if o.status == "added":
        _print_summaries(o.summaries)
    else:
        info(f"{o.status}: {shown(o.source)}: {o.reason}")


@main.command()
@json_option("a JSON list")
@pass_app
@handle_errors
def repos(app: App, as_json: bool) -> None:
    """List the repositories in the knowledge base with their counts."""
    if not app.home.db_path.exists():
        rows: list[dict[str, Any]] = []
    else:
        with app.store(readonly=True) as store:
            rows = [store.repository_summary(r) for r in store.repositories()]
    if as_json:
        emit_json(rows)
        return
    if not rows:
        info("no repositories yet: add one with `leanagent add SOURCE`")
        return
    click.echo(f"{'name':30} {'commit':12} {'tracer':16} {'files':>6} {'premises':>9} {'theorems':>9} "
               f"{'sorry':>6} {'steps':>8}")
    for r in rows:
        click.echo(
            f"{shown(r['name'])[:30]:30} {shown(r['commit'])[:12]:12} {_tracer_label(r):16} {r['files']:>6} "
            f"{r['premises']:>9} {r['theorems']:>9} {r['theorems_with_sorry']:>6} {r['tactic_steps']:>8}"
        )
    unchecked = sum(r["theorems_not_inspected"] for r in rows)
    if unchecked:
        info(f"{unchecked} theorems were not inspected for `sorry` (see `leanagent theorems REPO --status "
             "not-inspected`)")


def _tracer_label(row: dict) -> str:
    """Where the repository's data came from: ``leandojo+static`` when a trace superseded
    static data but some files (not covered by the trace) keep the static data."""
    sup = row.get("superseded") or {}
    kept = sup.get("files_kept") or 0
    return f"{row['tracer']}+{sup['tracer']}" if kept and sup.get("tracer") else str(row["tracer"])


_STATUS = {"proven": "proven", "sorry": "sorry", "proved": "proved_by_agent", "not-inspected": "not_inspected"}


@main.command()
@click.argument("repo")
@click.option("--status", type=click.Choice(sorted(_STATUS)), default=None, help="Only theorems with this status.")
@click.option("--dependencies", is_flag=True, help="Include theorems of dependency files.")
@json_option("a JSON list")
@pass_app
@handle_errors
def theorems(app: App, repo: str, status: str | None, dependencies: bool, as_json: bool) -> None:
    """List the theorems of REPO (name, URL, NAME@COMMIT or id). A theorem proved only
    through a sorry placeholder shows as `proved_by_agent (depends on sorry)`
    (`depends_on_sorry` in --json)."""
    from database.store import status_label

    with app.store(readonly=True) as store:
        r = store.find_repository(repo)
        rows = store.theorems(r, status=_STATUS[status] if status else None, include_dependencies=dependencies)
    if as_json:
        emit_json(rows)
        return
    for t in rows:
        click.echo(f"{status_label(t):15} {shown(t['file'])}:{t['start'][0]}  {shown(t['full_name'])}  "
                   f"({t['num_steps']} steps)")
    info(f"{len(rows)} theorems")


@main.command()
@click.argument("repo", required=False)
@click.option("--dependencies", is_flag=True, help="Include declarations of dependency files.")
@json_option("a JSON list")
@pass_app
@handle_errors
def sorries(app: App, repo: str | None, dependencies: bool, as_json: bool) -> None:
    """List every declaration holding `sorry`, in REPO or in every repository."""
    if not app.home.db_path.exists() and repo is None:
        rows: list[dict[str, Any]] = []
    else:
        with app.store(readonly=True) as store:
            targets = [store.find_repository(repo)] if repo else store.repositories()
            rows = [s for r in targets for s in store.sorries(r, include_dependencies=dependencies)]
    if as_json:
        emit_json(rows)
        return
    for s in rows:
        click.echo(f"{shown(s['repo'])}  {shown(s['file'])}:{s['line']}  {shown(s['kind'])} {shown(s['full_name'])}  "
                   f"({len(s['sorries'])} sorry)")
    info(f"{len(rows)} declarations with sorry")


@main.command()
@click.argument("dest", type=click.Path(file_okay=False, path_type=Path))
@repos_option("to export")
@click.option("--seed", type=int, default=3407, show_default=True, help="Seed of the random splits.")
@click.option("--val-fraction", type=click.FloatRange(0, 0.5), default=0.02, show_default=True,
              help="Fraction of theorems in each scheme's val split.")
@click.option("--test-fraction", type=click.FloatRange(0, 0.5), default=0.02, show_default=True,
              help="Fraction of theorems in each scheme's test split.")
@click.option("--own-only", is_flag=True, help="Leave out dependency theorems (LeanDojo includes them).")
@click.option("--force", is_flag=True, help="Replace DEST if it is empty, or an earlier leanagent export: its "
              ".leanagent-export marker parses and DEST holds only the files the marker lists; never anything else.")
@json_option("the export summary")
@pass_app
@handle_errors
def export(app: App, dest: Path, repo_refs: tuple[str, ...], seed: int, val_fraction: float,
           test_fraction: float, own_only: bool, force: bool, as_json: bool) -> None:
    """Write a merged LeanDojo-format dataset of repositories to DEST."""
    from database.errors import ConfigError
    from database.export_writer import ExportConfig, export_dataset
    from database.splits import SplitConfig

    try:
        splits = SplitConfig(seed=seed, val_fraction=val_fraction, test_fraction=test_fraction)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from exc
    config = ExportConfig(splits=splits, own_only=own_only, overwrite=force)
    with app.store(readonly=True) as store:
        repos_ = store.find_repositories(repo_refs)
        result = export_dataset(store, repos_, dest, config)
    for w in result.warnings:
        info(f"warning: {w}")
    info(
        f"exported {result.theorems} theorems, {result.premises} premises in {result.files} files "
        f"from {len(repos_)} repositories to {dest}"
    )
    if as_json:
        emit_json(result.as_dict())
