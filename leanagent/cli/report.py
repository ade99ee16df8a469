"""Report commands: report (a static site), dashboard (the same pages, live)."""

from __future__ import annotations

import signal
from pathlib import Path

import click

from . import App, emit_json, handle_errors, info, main, pass_app


@main.command("report")
@click.option("--run", "run_name", default=None, help="Run the overview follows [default: the most recent].")
@click.option("--out", "out", type=click.Path(file_okay=False), default=None,
              help="Directory to write [default: HOME/reports/report]; DIR/index.html is the entry page.")
@click.option("--window", type=int, default=5, show_default=True, help="Window of WF/WP.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary.")
@pass_app
@handle_errors
def report_cmd(app: App, run_name: str | None, out: str | None, window: int, as_json: bool) -> None:
    """Write a self-contained static report (works offline, from file://)."""
    from leanagent.report import write_report

    target = Path(out) if out else app.home.reports / "report"
    with app.store(readonly=True) as store:
        summary = write_report(store, target, run=run_name, window=window)
    info(f"report: {summary.index} ({len(summary.pages)} pages, {summary.bytes / 1e6:.1f} MB, "
         f"{summary.seconds:.1f} s)")
    if as_json:
        emit_json(summary.as_json())


@main.command("dashboard")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; anything but loopback exposes the dashboard (no authentication).")
@click.option("--port", type=int, default=8765, show_default=True, help="Port (0 picks a free one).")
@click.option("--run", "run_name", default=None, help="Run the overview follows [default: the most recent].")
@click.option("--refresh", type=float, default=5.0, show_default=True,
              help="Seconds between the pages' checks for new data.")
@click.option("--window", type=int, default=5, show_default=True, help="Window of WF/WP.")
@pass_app
@handle_errors
def dashboard_cmd(app: App, host: str, port: int, run_name: str | None, refresh: float, window: int) -> None:
    """Serve the report's pages live from the database (read-only) until Ctrl-C."""
    from leanagent.report import Dashboard

    dash = Dashboard(app.home.db_path, host=host, port=port, run=run_name, refresh=refresh, window=window)
    if not dash.loopback:
        info(f"warning: listening on {host}: anyone who can reach this machine can read the dashboard "
             "(it has no authentication)")
    info(f"dashboard: {dash.url} (reading {app.home.db_path} read-only; Ctrl-C stops)")

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        dash.serve()
    except KeyboardInterrupt:
        info("dashboard stopped")
