"""`leanagent crawl`: find Lean repositories (list file or GitHub search) and add them."""

from __future__ import annotations

from pathlib import Path

import click

from . import App, emit_json, handle_errors, info, main, pass_app
from .ray_options import open_runtime, ray_address_option, workers_option


@main.command()
@click.option("--list", "list_file", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="File of sources, one per line: a git URL or directory, optionally a commit ('#' comments).")
@click.option("--github", is_flag=True, help="Search GitHub: language Lean, most stars first "
              "(token from GITHUB_TOKEN or GITHUB_ACCESS_TOKEN).")
@click.option("--query", default=None, help="Extra GitHub search qualifiers, e.g. 'topic:mathematics'.")
@click.option("--limit", type=click.IntRange(min=1), default=None,
              help="Repositories to add [default: 15 with --github (LeanAgent's), every line of --list].")
@click.option("--min-stars", type=click.IntRange(min=0), default=None, help="GitHub: at least this many stars.")
@click.option("--min-size", "min_size_kb", type=click.IntRange(min=0), default=None,
              help="GitHub: repository size at least this many KB.")
@click.option("--min-theorems", type=click.IntRange(min=0), default=0, show_default=True,
              help="Skip (and record) repositories with fewer own theorems once indexed.")
@click.option("--deny", "deny_files", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="File of owner/name entries or URLs never to add (repeatable).")
@click.option("--no-default-deny", is_flag=True,
              help="Do not skip Lean, Mathlib and the common dependency libraries.")
@click.option("--tracer", default="static", show_default=True, help="Tracer that indexes what is found.")
@click.option("--toolchains", default=None,
              help="Toolchains to accept: any, leanagent (v4.3.0-rc2..v4.8.1) or MIN..MAX; a repository whose "
              "HEAD has another is walked back to its newest commit with one [default: what the tracer supports].")
@click.option("--retry-failed", is_flag=True, help="Retry repositories that failed before for a lasting reason.")
@click.option("--dry-run", is_flag=True, help="Print what would be added; clone nothing, write nothing.")
@click.option("--github-api", default="https://api.github.com", show_default=True,
              help="GitHub API root (GitHub Enterprise: https://HOST/api/v3).")
@click.option("--max-rate-wait", type=click.FloatRange(min=0), default=3700.0, show_default=True,
              help="Longest wait for a GitHub rate limit to reset, in seconds; beyond it the crawl stops and "
              "says when to rerun.")
@workers_option
@ray_address_option
@click.option("--json", "as_json", is_flag=True, help="Print the crawl report as JSON.")
@pass_app
@handle_errors
def crawl(app: App, list_file: Path | None, github: bool, query: str | None, limit: int | None,
          min_stars: int | None, min_size_kb: int | None, min_theorems: int, deny_files: tuple[Path, ...],
          no_default_deny: bool, tracer: str, toolchains: str | None, retry_failed: bool, dry_run: bool,
          github_api: str, max_rate_wait: float, workers: int | None, ray_address: str | None,
          as_json: bool) -> None:
    """Find Lean repositories and add them; a rerun skips what is done.

    Each repository is cloned, walked back to the newest commit whose toolchain the
    tracer supports (LeanAgent's rule), indexed in a Ray task, and written by this
    process in one transaction; every outcome is recorded with its reason.
    """
    from leanagent.crawl import CrawlConfig, read_deny_file
    from leanagent.crawl import crawl as run_crawl

    deny: set[str] = set()
    for f in deny_files:
        deny |= read_deny_file(f)
    config = CrawlConfig(
        list_file=list_file, github=github, query=query, limit=limit, min_stars=min_stars, min_size_kb=min_size_kb,
        min_theorems=min_theorems, deny=frozenset(deny), default_deny=not no_default_deny, tracer=tracer,
        toolchains=toolchains, retry_failed=retry_failed, dry_run=dry_run, github_api=github_api,
        max_rate_wait=max_rate_wait,
    )
    from .kb import print_outcome

    with app.store() as store:
        if dry_run:
            report = run_crawl(store, app.home, config, on_event=info)
        else:
            with open_runtime(app, ray_address, want_ray=limit != 1) as rt:
                report = run_crawl(store, app.home, config, runtime=rt, on_event=info, on_outcome=print_outcome,
                                   max_in_flight=workers)
    c = report.counts()
    if as_json:
        emit_json(report.as_dict())
    elif dry_run:
        for d in report.planned:
            cand = d.candidate
            stars = f" ({cand.stars} stars, {cand.size_kb} KB)" if cand.stars is not None else ""
            click.echo(f"would add {cand.full_name or cand.source}{stars}  {cand.source}"
                       + (f" @ {cand.commit}" if cand.commit else ""))
    if dry_run:
        info(f"dry run: {c['planned']} would be added, {c['skipped']} skipped")
        return
    info(f"crawl: {c['added']} added, {c['already']} already there, {c['failed']} failed, "
         f"{c['not_added']} too small, {c['skipped']} skipped; GitHub: {report.github_requests} requests, "
         f"{report.github_waited_seconds:.0f} s waiting for rate limits")
