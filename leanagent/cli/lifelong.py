"""Lifelong-learning commands: run, metrics, runs."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any, Literal, cast

import click

from . import App, emit_json, handle_errors, info, main, pass_app
from .options import ConfigOptions, config_options, json_option, repos_option
from .ray_options import open_runtime, ray_address_option
from .text import shown

if TYPE_CHECKING:
    from leanagent.prove_stage import LifelongProving


@main.command("run")
@repos_option("to learn")
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
@click.option("--matrix", type=click.Choice(["fused", "dense"]), default="fused", show_default=True,
              help="Ranking in the accuracy matrix: dense fused with BM25 and locality (weights tuned on the "
              "validation split), or the dense encoder alone (LeanAgent).")
@click.option("--rehearsal", type=float, default=0.5, show_default=True,
              help="Rehearsal against forgetting: training examples drawn (seeded) from earlier repositories "
              "not in the step's data, per example of the step's own; 0 turns it off (LeanAgent).")
@click.option("--ewc", is_flag=True, help="EWC penalty; the Fisher is computed after each repository.")
@click.option("--ewc-lambda", type=float, default=0.1, show_default=True, help="Weight of the EWC penalty.")
@click.option("--basis", type=click.Choice(["own", "global"]), default="own", show_default=True,
              help="Difficulty percentiles over each repository's own theorems, or over all (LeanAgent).")
@click.option("--with-dependencies", is_flag=True,
              help="Count dependency theorems in the curriculum (LeanAgent).")
@click.option("--undefined", type=click.Choice(["separate", "redistribute"]), default="separate",
              show_default=True, help="Theorems without proof steps: own bucket, or LeanAgent's split.")
@config_options("encoder", "data", "train", "eval")
@click.option("--name", default=None, help="Run name [default: derived from the options].")
@ray_address_option
@click.option("--no-prove", is_flag=True, help="Skip the prove stage (recorded as skipped).")
@click.option("--prove-generator", default="automation", show_default=True, metavar="automation|DIR",
              help="Tactic generator of the prove stage (a model uses each step's checkpoint as retriever).")
@click.option("--prove-tactics", default=None, metavar="T1,T2,...", help="Tactics of the automation generator.")
@click.option("--prove-backend", default="repl", show_default=True, help="Lean backend of the prove stage.")
@click.option("--prove-backend-option", multiple=True, metavar="KEY=VALUE", help="A backend setting (repeatable).")
@click.option("--prove-repl", default=None, metavar="PATH", help="The Lean REPL binary (repl backend).")
@click.option("--prove-timeout", type=float, default=600.0, show_default=True, help="Seconds per theorem.")
@click.option("--prove-max-expansions", type=int, default=None, help="Expanded states per theorem [no limit].")
@click.option("--prove-evaluate", is_flag=True,
              help="Also re-prove the test theorems of every repository so far (Pass@1 beside R@10).")
@click.option("--prove-workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Theorems proved at once by Ray actors (as `prove --workers`; see --ray-address); 1 proves "
              "in this process.")
@click.option("--prove-gpus-per-worker", type=click.FloatRange(min=0), default=0.0, show_default=True,
              help="GPUs each prove-stage worker reserves on the Ray cluster.")
@json_option("the run summary")
@pass_app
@handle_errors
def run_cmd(app: App, repo_refs: tuple[str, ...], strategy: str, order: str, data_mode: str | None, replay: int,
            rehearsal: float, matrix: str, ewc: bool, ewc_lambda: float, basis: str, with_dependencies: bool, undefined: str,
            name: str | None, ray_address: str | None, no_prove: bool, prove_generator: str,
            prove_tactics: str | None, prove_backend: str, prove_backend_option: tuple[str, ...],
            prove_repl: str | None, prove_timeout: float, prove_max_expansions: int | None,
            prove_evaluate: bool, prove_workers: int, prove_gpus_per_worker: float, as_json: bool,
            options: ConfigOptions) -> None:
    """Learn every repository not yet learned, in curriculum order; resumable.

    Per repository: data -> baseline -> train -> (fisher) -> index -> evaluate -> prove.
    Killed at any moment, the same command continues from the last completed stage.
    --seed seeds the curriculum, the replay and rehearsal samples and training alike.
    """
    from curriculum import CurriculumConfig
    from database.errors import ConfigError
    from leanagent.distributed.encode import ray_encode
    from leanagent.distributed.proving import uses_pool
    from leanagent.lifelong import RetrieverLearner, RunConfig, run_lifelong

    train = options.train()
    seed = train.seed
    try:
        config = RunConfig(
            strategy=strategy, order=order, data=data_mode, replay=replay, rehearsal=rehearsal, ewc=ewc,
            ewc_lambda=ewc_lambda, seed=seed, matrix=matrix,
            # click.Choice has checked the two values; CurriculumConfig checks them again.
            curriculum=CurriculumConfig(basis=cast(Literal["own", "global"], basis),
                                        include_dependencies=with_dependencies,
                                        undefined=cast(Literal["separate", "redistribute"], undefined), seed=seed),
            train=train, eval=options.eval(),
        )
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from exc
    parallel_prove = not no_prove and uses_pool(prove_workers, prove_gpus_per_worker)
    with app.store() as store, open_runtime(app, ray_address, want_ray=parallel_prove) as rt:
        if parallel_prove and not rt.active:
            raise click.UsageError("--prove-workers > 1 (or --prove-gpus-per-worker) proves on Ray, but Ray is off "
                                   "here (--ray-address off, or Ray not installed: pip install 'leanagent[ray]')")
        repos = store.find_repositories(repo_refs) if repo_refs else None
        if not store.repositories():
            from database.errors import RepositoryNotFound

            raise RepositoryNotFound("the database has no repositories to learn: add one with `leanagent add SOURCE`")
        learner = RetrieverLearner.create(store, app.home, config, progress=True, encode=ray_encode(rt))
        stage = None
        if not no_prove:
            stage = replace(_prove_stage(app, prove_generator, prove_tactics, prove_backend, prove_backend_option,
                                         prove_repl, prove_timeout, prove_max_expansions, prove_evaluate),
                            workers=prove_workers, gpus_per_worker=prove_gpus_per_worker, runtime=rt)
        summary = run_lifelong(store, learner, config, repos=repos, name=name, on_event=info, prove=stage)
    info(f"run '{shown(summary.name)}': {summary.positions} repositories learned; see `leanagent metrics`")
    if as_json:
        emit_json({"run_id": summary.run_id, "name": summary.name, "positions": summary.positions,
                   "stages_done": summary.stages_done, "status": summary.status})


def _prove_stage(app: App, generator: str, tactics: str | None, backend: str, backend_options: tuple[str, ...],
                 repl: str | None, timeout: float, max_expansions: int | None, evaluate: bool) -> LifelongProving:
    """The prove stage: how to prove is a setting of this invocation, not part of the
    run's identity (like the progress bars); each stage's info records what was used."""
    from leanagent.prove_stage import LifelongProving
    from prover.generator import AutomationConfig, GeneratorConfig
    from prover.proving import BackendSpec, ProverConfig
    from prover.search import SearchConfig

    from .prove import _backend_options

    gen: GeneratorConfig | AutomationConfig
    if generator == "automation":
        gen = AutomationConfig(tactics=tuple(t.strip() for t in tactics.split(","))) if tactics else AutomationConfig()
    else:
        gen = GeneratorConfig(model=generator)
    options: dict[str, str] = _backend_options(backend_options, repl)
    if backend == "leandojo":
        options.setdefault("home", str(app.home.root))
    config = ProverConfig(generator=gen, backend=BackendSpec(name=backend, options=options),
                          search=SearchConfig(timeout=timeout, max_expansions=max_expansions))
    return LifelongProving(config, app.home, evaluate=evaluate)


def _fmt(x: float | None) -> str:
    return "-" if x is None else f"{x:6.2f}"


@main.command("metrics")
@click.option("--run", "run_names", multiple=True, metavar="NAME",
              help="Run name [default: the most recent run]. Repeat it to compare runs side by side (e.g. the "
              "random and the novel_premises split): per repository each run's final test R@10 with its 95% "
              "interval, its own baselines and the margin over the best, and AA/BWT/FWT per run.")
@click.option("--window", type=click.IntRange(min=1), default=5, show_default=True, help="Window of WF/WP.")
@json_option("a JSON object")
@pass_app
@handle_errors
def metrics_cmd(app: App, run_names: tuple[str, ...], window: int, as_json: bool) -> None:
    """Accuracy matrix R (test R@10), V, baselines and lifelong-learning metrics of a run."""
    from leanagent.comparison import compare_runs
    from leanagent.lifelong import run_report

    with app.store(readonly=True) as store:
        if len(run_names) > 1:
            out = compare_runs(store, run_names, window=window)
        else:
            out = run_report(store, run_names[0] if run_names else None, window=window)
    if as_json:
        emit_json(out)
    elif len(run_names) > 1:
        echo_comparison(out)
    else:
        echo_report(out)


def _ci(cell: dict[str, Any]) -> str:
    if cell.get("r10") is None:
        return "-"
    ci = cell.get("r10_ci")
    return f"{cell['r10']:.1f}" + (f" [{ci[0]:.1f}, {ci[1]:.1f}]" if ci else "")


def echo_comparison(out: dict[str, Any]) -> None:
    """Print `leanagent.comparison.compare_runs`'s output: per repository one line per run."""
    from leanagent.comparison import RUN_METRICS
    from leanagent.lifelong import BASELINE_METHODS

    click.echo("runs: " + "; ".join(f"{shown(r['name'])} (split {r['split']}, queries {r['queries']}, matrix "
                                     f"{r['matrix']})" for r in out["runs"]))
    for name, fields in out["differs"].items():
        click.echo(f"  {shown(name)} differs from {shown(out['runs'][0]['name'])} in: "
                   + (", ".join(fields) or "nothing"))
    width = max([len(shown(r["name"])) for r in out["runs"]] + [3])
    click.echo("Final test R@10 [bootstrap 95% interval] on each run's own test split (n: test queries); "
               "margin: over the best baseline:")
    head = f"  {'run':<{width}} {'R@10':<20} {'n':>5} " + " ".join(f"{m:<20}" for m in BASELINE_METHODS)
    for repo in out["repositories"]:
        click.echo(shown(repo["repo"]))
        click.echo(head + " margin")
        for row in repo["runs"]:
            margin = "-" if row["margin"] is None else f"{row['margin']:+.1f} ({row['best_baseline']})"
            n = "-" if row["num_queries"] is None else str(row["num_queries"])
            click.echo(f"  {shown(row['run']):<{width}} {_ci(row):<20} {n:>5} "
                       + " ".join(f"{_ci(row['baselines'][m]):<20}" for m in BASELINE_METHODS) + f" {margin}")
    click.echo(f"{'run':<{width + 2}} " + " ".join(f"{k:>7}" for k in RUN_METRICS))
    for r in out["runs"]:
        click.echo(f"{shown(r['name']):<{width + 2}} " + " ".join(
            f"{'-' if r['metrics'][k] is None else format(r['metrics'][k], '7.2f'):>7}" for k in RUN_METRICS))
        if r["note"]:
            info(f"{r['name']}: {r['note']}")


def echo_report(report: dict[str, Any]) -> None:
    """Print a run's accuracy matrix, V, baselines and metrics (`run_report`'s output)."""
    click.echo(f"run {shown(report['run'])}: {len(report['order'])} repositories")
    click.echo("R (test R@10 after step i on repository j), V (val R@10), A (row mean):")
    for i, (name, row) in enumerate(zip(report["order"], report["R"], strict=True)):
        vals = [x for x in row if x is not None]
        mean = sum(vals) / len(vals) if vals else None
        click.echo(f"{i + 1:>3}. {shown(name)[:20]:<20} " + " ".join(_fmt(x) for x in row)
                   + f" | V {_fmt(report['V'][i])} A {_fmt(mean)}")
    for i, row in enumerate(report.get("P", [])):
        click.echo(f"{f'P@1 {i + 1:>3}.':<25} " + " ".join(_fmt(x) for x in row))
    for method, vals in report["baselines"].items():
        click.echo(f"{'baseline ' + method:<25} " + " ".join(_fmt(x) for x in vals))
    for key, value in report["metrics"].items():
        click.echo(f"{key:<16} {_fmt(value)}")
    if report.get("metrics_note"):
        info(report["metrics_note"])


# -- runs -------------------------------------------------------------------------------------


@main.group(invoke_without_command=True)
@json_option("the list (same as `runs list --json`)")
@click.pass_context
def runs(ctx: click.Context, as_json: bool) -> None:
    """List lifelong runs, or show one (`runs show NAME`)."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(runs_list, as_json=as_json)


def _run_summary(store: Any, run: Any) -> dict[str, Any]:
    from leanagent.lifelong import RunConfig, RunState, stages_for

    state = RunState.load(store, run.id)
    positions = state.positions()
    stages = stages_for(RunConfig.from_json(run.config))
    done = [p for p in positions if all(state.finished(p, s) for s in stages)]
    return {
        "id": run.id,
        "name": run.name,
        # "running" only while a process holds the run's lock; a killed run is "interrupted"
        "status": store.runs.shown_status(run),
        "created_at": run.created_at,
        "updated_at": run.updated_at,
        "strategy": run.config.get("strategy"),
        "order": run.config.get("order"),
        "positions": len(positions),
        "positions_done": len(done),
        "repositories": [state.repo_at(p).name if state.stages[(p, "plan")].repo_id in state.repos
                         else str(state.stages[(p, "plan")].repo_id) for p in positions],
        "checkpoints": [state.stages[(p, "train")].info.get("checkpoint_id") if state.finished(p, "train")
                        else None for p in positions],
    }


@runs.command("list")
@json_option("a JSON list")
@pass_app
@handle_errors
def runs_list(app: App, as_json: bool) -> None:
    """Every run: status, strategy, order, repositories learned."""
    rows: list[dict[str, Any]] = []
    if app.home.db_path.exists():
        with app.store(readonly=True) as store:
            rows = [_run_summary(store, r) for r in store.runs.all()]
    if as_json:
        emit_json(rows)
        return
    if not rows:
        info("no runs yet: start one with `leanagent run`")
        return
    # Names are shown whole: runs told apart by their end (`...-rehearse0.5-novel-premises`) stay apart.
    width = max(len("name"), *(len(shown(r["name"])) for r in rows))
    click.echo(f"{'name':{width}} {'status':8} {'done':>5}  {'updated':20} repositories")
    for r in rows:
        click.echo(f"{shown(r['name']):{width}} {r['status']:8} {r['positions_done']:>2}/{r['positions']:<2}  "
                   f"{r['updated_at'][:19]:20} {', '.join(shown(x) for x in r['repositories'])}")


@runs.command("show")
@click.argument("name")
@json_option("the run, its configuration and every stage")
@pass_app
@handle_errors
def runs_show(app: App, name: str, as_json: bool) -> None:
    """Show the run called NAME: its configuration and the status, timing and results of every stage."""
    from leanagent.lifelong import RunConfig, find_run, stages_for

    with app.store(readonly=True) as store:
        run = find_run(store, name)
        order = {s: i for i, s in enumerate(("plan", *stages_for(RunConfig.from_json(run.config))))}
        stages = sorted(store.runs.stages(run.id), key=lambda s: (s.position, order.get(s.stage, len(order))))
        out = {**_run_summary(store, run), "config": run.config, "stages": [s.as_dict() for s in stages]}
    if as_json:
        emit_json(out)
        return
    click.echo(f"run {shown(out['name'])} ({out['status']}): {out['positions_done']}/{out['positions']} positions done, "
               f"updated {out['updated_at']}")
    cfg = out["config"]
    train = cfg.get("train", {})
    click.echo(f"  strategy {cfg.get('strategy')}, order {cfg.get('order')}, data {cfg.get('data')}, "
               f"ewc {cfg.get('ewc')}; model {train.get('model')}, epochs {train.get('epochs')}, "
               f"lr {train.get('lr')}, batch {train.get('batch_size')}")
    repos = out["repositories"]
    for s in out["stages"]:
        took = ""
        if s["started_at"] and s["finished_at"]:
            took = f" {s['started_at'][11:19]} -> {s['finished_at'][11:19]}"
        repo = repos[s["position"]] if s["position"] < len(repos) else str(s["repo_id"])
        status = s["status"]
        if status == "running" and out["status"] != "running":
            status = "interrupted"  # the process running it is gone
        click.echo(f"  [{s['position'] + 1}] {shown(repo)[:24]:24} {s['stage']:9} {status:11}{took}")
