"""Knowledge-base commands: add, repos, theorems, sorries, export."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from database.errors import AlreadyImported

from . import App, emit_json, handle_errors, info, main, pass_app
from .options import json_option, repos_option


@main.command()
@click.argument("source")
@click.option(
    "--tracer",
    type=click.Choice(["auto", "export", "static", "leandojo"]),
    default="auto",
    show_default=True,
    help="How to read SOURCE: a LeanDojo export, Lean sources indexed statically (no Lean needed), "
    "or traced with LeanDojo (needs lean-dojo and the project's Lean toolchain).",
)
@click.option("--commit", default=None, help="Commit, tag or branch to index (git sources).")
@click.option("--name", default=None, help="Repository name to record (default: from the URL).")
@click.option(
    "--source",
    "source_checkout",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="For an export: the repository checkout, to inspect term-mode proofs for `sorry`.",
)
@json_option("the import summary")
@pass_app
@handle_errors
def add(app: App, source: str, tracer: str, commit: str | None, name: str | None,
        source_checkout: Path | None, as_json: bool) -> None:
    """Add a repository: SOURCE is a LeanDojo export directory, a Lean checkout or a git URL."""
    from leanagent.tracing import AddRequest, add_source, summary_json

    request = AddRequest(source=source, tracer=tracer, commit=commit, name=name, source_checkout=source_checkout)
    if tracer == "leandojo":
        info("tracing with LeanDojo: lake builds the project and lean-dojo extracts every file, which can "
             "take long (hours for Mathlib-sized projects); `leanagent -v add ...` shows its log")
    with app.store() as store:
        try:
            summaries = add_source(store, request, app.home)
        except AlreadyImported as exc:
            info(str(exc))
            if as_json:
                emit_json({"status": "already_imported", "name": exc.name, "url": exc.url, "commit": exc.commit})
            return
    for s in summaries:
        info(
            f"added {s.name} @ {s.commit[:12]}: {s.theorems - s.dependency_theorems} theorems "
            f"({s.theorems_with_sorry} with sorry), {s.dependency_theorems} dependency theorems, "
            f"{s.premises} premises in {s.files} files ({s.shared_files_reused} shared files reused), "
            f"{s.tactic_steps} tactic steps, {s.links_resolved}/{s.links} premise links resolved"
        )
        for d in s.diagnostics[:20]:
            where = f"{d.file_path}:{d.line}: " if d.file_path else ""
            info(f"  {d.severity}: {where}{d.message}")
        if len(s.diagnostics) > 20:
            info(f"  ... and {len(s.diagnostics) - 20} more (see the diagnostics table)")
    if as_json:
        emit_json({"status": "added", "repositories": summary_json(summaries)})


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
            f"{r['name'][:30]:30} {r['commit'][:12]:12} {_tracer_label(r):16} {r['files']:>6} {r['premises']:>9} "
            f"{r['theorems']:>9} {r['theorems_with_sorry']:>6} {r['tactic_steps']:>8}"
        )


def _tracer_label(row: dict) -> str:
    """Where the repository's data came from: ``leandojo+static`` when a trace superseded
    static data but some files (not covered by the trace) keep the static data."""
    sup = row.get("superseded") or {}
    kept = sup.get("files_kept") or 0
    return f"{row['tracer']}+{sup['tracer']}" if kept and sup.get("tracer") else str(row["tracer"])


_STATUS = {"proven": "proven", "sorry": "sorry", "proved": "proved_by_agent"}


@main.command()
@click.argument("repo")
@click.option("--status", type=click.Choice(sorted(_STATUS)), default=None, help="Only theorems with this status.")
@click.option("--dependencies", is_flag=True, help="Include theorems of dependency files.")
@json_option("a JSON list")
@pass_app
@handle_errors
def theorems(app: App, repo: str, status: str | None, dependencies: bool, as_json: bool) -> None:
    """List the theorems of REPO (name, URL, NAME@COMMIT or id)."""
    with app.store(readonly=True) as store:
        r = store.find_repository(repo)
        rows = store.theorems(r, status=_STATUS[status] if status else None, include_dependencies=dependencies)
    if as_json:
        emit_json(rows)
        return
    for t in rows:
        click.echo(f"{t['status']:15} {t['file']}:{t['start'][0]}  {t['full_name']}  ({t['num_steps']} steps)")
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
        click.echo(f"{s['repo']}  {s['file']}:{s['line']}  {s['kind']} {s['full_name']}  ({len(s['sorries'])} sorry)")
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
@click.option("--force", is_flag=True, help="Replace DEST if it exists.")
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
