"""`leanagent demo`: the main job on the bundled examples (library: `leanagent.demo`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from . import App, emit_json, handle_errors, info, main, pass_app
from .options import json_option, split_refs
from .text import shown

if TYPE_CHECKING:
    from leanagent.demo import DemoResult

_DEFAULTS = {"projects": "arith,logic,lists,orders,algebra", "max_steps": 12, "prove_timeout": 60.0}


@main.command("demo")
@click.option("--projects", default=_DEFAULTS["projects"], show_default=True, metavar="P[,P...]",
              help="Which bundled example projects to learn (a project's dependencies are indexed with it).")
@click.option("--examples", "examples", type=click.Path(file_okay=False, path_type=Path), default=None,
              metavar="DIR", help="The examples/ directory of a leanagent checkout [default: beside the "
              "installed package, else ./examples].")
@click.option("--max-steps", type=click.IntRange(min=1), default=_DEFAULTS["max_steps"], show_default=True,
              help="Optimiser steps of the retriever per project, at most (32 examples each).")
@click.option("--no-prove", is_flag=True, help="Skip the prove stage (recorded as skipped).")
@click.option("--repl", default=None, metavar="PATH",
              help="The Lean REPL binary built for the examples' toolchain (Lean v4.29.1) [default: looked "
              "for by the repl backend].")
@click.option("--prove-timeout", type=click.FloatRange(min=0, min_open=True), default=_DEFAULTS["prove_timeout"],
              show_default=True, help="Seconds of proof search per sorry theorem.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None, metavar="DIR",
              help="Where to write the report [default: HOME/reports/demo].")
@json_option("the demo's summary (matrix, baselines, metrics, verdict, report path)")
@pass_app
@handle_errors
def demo_cmd(app: App, projects: str, examples: Path | None, max_steps: int, no_prove: bool, repl: str | None,
             prove_timeout: float, out: Path | None, as_json: bool) -> None:
    """Run the whole pipeline on the bundled example projects, in the home: index them,
    order them by the curriculum, train the premise retriever on one after the other,
    evaluate it against the baselines, compute the lifelong metrics, prove their sorry
    theorems where a Lean toolchain is present, and write the report. Rerunning continues
    (or shows) the same run."""
    from database.errors import ConfigError
    from leanagent.demo import DemoConfig, run_demo

    try:
        config = DemoConfig(projects=split_refs([projects]), examples=examples, max_steps=max_steps,
                            prove=not no_prove, repl=repl, prove_timeout=prove_timeout, report_dir=out)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from exc
    info(f"leanagent demo: home {app.home.root}")
    result = run_demo(app.home, config, say=info)
    if as_json:
        emit_json(result.as_json())
        return
    _echo(result)


def _fmt(x: float | None) -> str:
    return "-" if x is None else f"{x:.1f}"


def _echo(result: DemoResult) -> None:
    from .lifelong import echo_report

    click.echo("")
    echo_report(result.report)
    v = result.verdict
    click.echo("")
    click.echo("trained retriever (test R@10 after the last step) vs the best baseline on each project:")
    for name, f, b, m in zip(v.projects, v.final, v.best_baseline, v.best_method, strict=False):
        mark = "beats" if f is not None and b is not None and f > b else "does not beat"
        click.echo(f"  {shown(name):<10} {_fmt(f):>6} {mark} {m or '-'} {_fmt(b)}")
    summary = (f"mean {_fmt(v.mean_final)} vs {_fmt(v.mean_best_baseline)}; higher on {v.wins} of "
               f"{len(v.final)} projects")
    if v.beats:
        click.echo(f"the trained retriever beats the baselines: {summary}")
    else:
        click.echo(f"the trained retriever does NOT beat the baselines here: {summary}")
    click.echo(f"prover: {result.prover}")
    took = ", ".join(f"{k} {s:.0f} s" for k, s in result.stage_seconds.items())
    click.echo(f"took {result.seconds:.0f} s ({took})")
    click.echo(f"report: {result.report_index.resolve().as_uri()}")
