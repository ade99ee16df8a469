"""Lifelong-learning commands: run, metrics."""

from __future__ import annotations

import click

from . import App, emit_json, handle_errors, info, main, pass_app


def _split_repos(values: tuple[str, ...]) -> list[str]:
    # Accept both `--repos a --repos b` and `--repos a,b`.
    return [v for value in values for v in value.split(",") if v.strip()]


@main.command("run")
@click.option("--repos", "repo_refs", multiple=True, metavar="REPO[,REPO...]",
              help="Repositories to learn (name, URL, id or NAME@COMMIT); default: all.")
@click.option("--strategy", type=click.Choice(["progressive", "naive", "merge", "scratch"]),
              default="progressive", show_default=True,
              help="progressive: LeanAgent (previous checkpoint, optimizer state carried); naive: fine-tune "
              "on the new repository with a fresh optimizer; merge: all repositories so far; scratch: "
              "retrain from the base model each step.")
@click.option("--order", type=click.Choice(["easy-count", "given", "size", "random", "progress"]),
              default="easy-count", show_default=True, help="Repository order (curriculum).")
@click.option("--data", "data_mode", type=click.Choice(["single", "replay", "merge"]), default=None,
              help="Training data per step [default: single for progressive/naive, merge otherwise; "
              "replay when --replay is given].")
@click.option("--replay", type=int, default=0, show_default=True,
              help="Earlier repositories sampled into each step's data (replay mode).")
@click.option("--ewc", is_flag=True, help="EWC penalty; the Fisher is computed after each repository.")
@click.option("--ewc-lambda", type=float, default=0.1, show_default=True)
@click.option("--epochs", type=int, default=1, show_default=True, help="Epochs per repository.")
@click.option("--seed", type=int, default=3407, show_default=True)
@click.option("--basis", type=click.Choice(["own", "global"]), default="own", show_default=True,
              help="Difficulty percentiles over each repository's own theorems, or over all (LeanAgent).")
@click.option("--with-dependencies", is_flag=True,
              help="Count dependency theorems in the curriculum (LeanAgent).")
@click.option("--undefined", type=click.Choice(["separate", "redistribute"]), default="separate",
              show_default=True, help="Theorems without proof steps: own bucket, or LeanAgent's split.")
@click.option("--model", default=None, help="Base encoder (name or local directory) [default: the retriever's].")
@click.option("--max-steps", type=int, default=None, help="Stop each training step after N optimiser steps.")
@click.option("--batch-size", type=int, default=None, help="Training batch size.")
@click.option("--max-length", type=int, default=None, help="Token length for training and indexing.")
@click.option("--name", default=None, help="Run name [default: derived from the options].")
@click.option("--json", "as_json", is_flag=True, help="Print the run summary as JSON.")
@pass_app
@handle_errors
def run_cmd(app: App, repo_refs: tuple[str, ...], strategy: str, order: str, data_mode: str | None, replay: int,
            ewc: bool, ewc_lambda: float, epochs: int, seed: int, basis: str, with_dependencies: bool,
            undefined: str, model: str | None, max_steps: int | None, batch_size: int | None,
            max_length: int | None, name: str | None, as_json: bool) -> None:
    """Learn every repository not yet learned, in curriculum order; resumable.

    Per repository: data -> baseline -> train -> (fisher) -> index -> evaluate -> prove.
    Killed at any moment, the same command continues from the last completed stage.
    """
    from curriculum import CurriculumConfig
    from leanagent.lifelong import RetrieverLearner, RunConfig, run_lifelong

    config = RunConfig(
        strategy=strategy, order=order, data=data_mode, replay=replay, ewc=ewc, ewc_lambda=ewc_lambda,
        epochs=epochs, seed=seed,
        curriculum=CurriculumConfig(basis=basis, include_dependencies=with_dependencies,  # type: ignore[arg-type]
                                    undefined=undefined, seed=seed),  # type: ignore[arg-type]
        model=model, max_steps=max_steps, batch_size=batch_size, max_length=max_length,
    )
    with app.store() as store:
        refs = _split_repos(repo_refs)
        repos = store.find_repositories(refs) if refs else None
        learner = RetrieverLearner.create(store, app.home, config, progress=True)
        summary = run_lifelong(store, learner, config, repos=repos, name=name, on_event=info)
    info(f"run '{summary.name}': {summary.positions} repositories learned; see `leanagent metrics`")
    if as_json:
        emit_json({"run_id": summary.run_id, "name": summary.name, "positions": summary.positions,
                   "stages_done": summary.stages_done, "status": summary.status})


def _fmt(x: float | None) -> str:
    return "-" if x is None else f"{x:6.2f}"


@main.command("metrics")
@click.option("--run", "run_name", default=None, help="Run name [default: the most recent run].")
@click.option("--window", type=int, default=5, show_default=True, help="Window of WF/WP.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object.")
@pass_app
@handle_errors
def metrics_cmd(app: App, run_name: str | None, window: int, as_json: bool) -> None:
    """Accuracy matrix R (test R@10), V, baselines and lifelong-learning metrics of a run."""
    from leanagent.lifelong import run_report

    with app.store(readonly=True) as store:
        report = run_report(store, run_name, window=window)
    if as_json:
        emit_json(report)
        return
    click.echo(f"run {report['run']}: {len(report['order'])} repositories")
    click.echo("R (test R@10 after step i on repository j), V (val R@10), A (row mean):")
    for i, (name, row) in enumerate(zip(report["order"], report["R"], strict=True)):
        vals = [x for x in row if x is not None]
        mean = sum(vals) / len(vals) if vals else None
        click.echo(f"{i + 1:>3}. {name[:20]:<20} " + " ".join(_fmt(x) for x in row)
                   + f" | V {_fmt(report['V'][i])} A {_fmt(mean)}")
    for method, vals in report["baselines"].items():
        click.echo(f"baseline {method:<9} " + " ".join(_fmt(x) for x in vals))
    for key, value in report["metrics"].items():
        click.echo(f"{key:<16} {_fmt(value)}")
    if report.get("metrics_note"):
        info(report["metrics_note"])
