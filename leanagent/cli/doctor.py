"""`leanagent doctor`: what this machine can do (thin layer over `leanagent.doctor`)."""

from __future__ import annotations

import sys

import click

from . import App, emit_json, main, pass_app

_COLORS = {"ok": "green", "missing": "yellow", "warning": "yellow", "error": "red"}


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--no-measure", is_flag=True,
              help="Skip the measurements (the bf16 matmul probe, importing lean-dojo in a child process).")
@pass_app
def doctor(app: App, as_json: bool, no_measure: bool) -> None:
    """Check Python, packages, git, the Lean toolchain and REPL, lean-dojo, torch/CUDA/bf16, Ray and
    Chromium; print what is missing with the command that fixes it. Exit 0 when the core works."""
    from database.errors import LeanAgentError
    from leanagent.doctor import DoctorConfig, format_report, run_checks

    home, error = None, None
    try:
        home = app.home.root
    except LeanAgentError as exc:  # a bad --home is one of the things to report, not a crash
        error = str(exc)
    report = run_checks(DoctorConfig(home=home, home_error=error, measure=not no_measure))
    if as_json:
        emit_json(report.as_dict())
    else:
        tty = sys.stdout.isatty()
        click.echo(format_report(report, color=(lambda t, s: click.style(t, fg=_COLORS.get(s))) if tty else None))
    if not report.core_ok:
        sys.exit(1)
