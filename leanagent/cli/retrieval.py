"""Retriever commands: train, eval, retrieve, checkpoints (a thin layer over
`prover.retrieval.api` and ``store.checkpoints``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from . import App, emit_json, handle_errors, info, main, pass_app
from .options import ConfigOptions, config_options, json_option, repos_option
from .ray_options import open_runtime, ray_address_option
from .text import shown

if TYPE_CHECKING:
    from database.store import Store

_METHODS = ("dense", "fused", "untrained", "bm25", "locality")


def _some_repositories(store: Store, refs: tuple[str, ...], doing: str) -> list[Any]:
    """The repositories named (all by default); an empty database is an error here,
    not an empty result that looks like success."""
    from database.errors import RepositoryNotFound

    repos = store.find_repositories(refs)
    if not repos:
        raise RepositoryNotFound(f"the database has no repositories to {doing}: add one with `leanagent add SOURCE`")
    return repos


def checkpoint_options(fn: Any) -> Any:
    fn = click.option("--base", is_flag=True, help="Use the untrained base encoder.")(fn)
    return click.option("--checkpoint", default=None, help="Checkpoint id [default: the latest].")(fn)


def _checkpoint(store: Store, ref: str | None, base: bool) -> int | None:
    if base:
        return None
    if ref is None:
        return store.checkpoints.latest_id()
    if not ref.isdigit():
        raise click.BadParameter(f"'{ref}' is not a checkpoint id (see `leanagent checkpoints`)",
                                 param_hint="--checkpoint")
    return int(ref)


@main.command()
@repos_option("to train on")
@click.option("--parent", default=None, help="Checkpoint id to continue from [default: the latest; "
              "the base encoder when there is none].")
@click.option("--from-base", is_flag=True, help="Start from the base encoder even if checkpoints exist.")
@config_options("encoder", "data", "train")
@json_option("the new checkpoint")
@pass_app
@handle_errors
def train(app: App, repo_refs: tuple[str, ...], parent: str | None, from_base: bool, as_json: bool,
          options: ConfigOptions) -> None:
    """Train the premise retriever on the train split of repositories (one checkpoint)."""
    from prover.retrieval.api import train_retriever

    config = options.train(progress=True)
    with app.store() as store:
        repos = _some_repositories(store, repo_refs, "train on")
        parent_id = _checkpoint(store, parent, from_base)
        info(f"training on {', '.join(r.name for r in repos)} from "
             f"{'checkpoint ' + str(parent_id) if parent_id is not None else config.model}")
        cid = train_retriever(store, app.home, repos=repos, parent_checkpoint_id=parent_id, config=config)
        ckpt = store.checkpoints.get(cid)
    cfg = ckpt.config
    info(f"checkpoint {cid}: {cfg['examples']} examples, {cfg['steps']} steps in {cfg['seconds']:.1f} s, "
         f"loss {cfg['loss_mean_first_quarter']:.3f} -> {cfg['loss_mean_last_quarter']:.3f} "
         f"(first/last quarter means); saved in {app.home.root / ckpt.path}")
    if as_json:
        emit_json({"checkpoint_id": cid, "parent_id": ckpt.parent_id, "path": str(app.home.root / ckpt.path),
                   "config": cfg})


@main.command(name="eval")
@repos_option("to evaluate")
@checkpoint_options
@click.option("--split", type=click.Choice(["val", "test", "train"]), default="test", show_default=True,
              help="Which split of each repository to evaluate on.")
@click.option("--methods", default=",".join(_METHODS), show_default=True,
              help="Comma-separated: " + ", ".join(_METHODS) + ".")
@config_options("encoder", "data", "eval")
@ray_address_option
@json_option("the results")
@pass_app
@handle_errors
def eval_(app: App, repo_refs: tuple[str, ...], checkpoint: str | None, base: bool, split: str, methods: str,
          ray_address: str | None, as_json: bool, options: ConfigOptions) -> None:
    """R@1, R@10 and MRR per repository for a checkpoint and every baseline.

    Premises an index lacks are encoded across Ray workers when --ray-address joins or
    starts a Ray (in this process otherwise, where torch already uses every core).
    """
    from leanagent.distributed.encode import ray_encode
    from prover.retrieval.api import evaluate_retriever

    wanted = tuple(dict.fromkeys(m.strip() for m in methods.split(",") if m.strip()))
    if not wanted:
        raise click.BadParameter("name at least one method", param_hint="--methods")
    unknown = [m for m in wanted if m not in _METHODS]
    if unknown:
        raise click.BadParameter(f"unknown method(s) {', '.join(unknown)}: choose among {', '.join(_METHODS)}",
                                 param_hint="--methods")
    config = options.eval(progress=True)
    with app.store() as store, open_runtime(app, ray_address, want_ray=False) as rt:
        repos = _some_repositories(store, repo_refs, "evaluate")
        cid = _checkpoint(store, checkpoint, base)
        if cid is None:
            info("no checkpoint: evaluating the base encoder (train one with `leanagent train`)")
        results = evaluate_retriever(store, app.home, checkpoint_id=cid, repos=repos, split=split,
                                     methods=wanted, config=config, encode=ray_encode(rt))
    rows = [
        {"repo": r.name, "repo_id": r.id, "method": m, "checkpoint_id": cid if m in ("dense", "fused") else None,
         "split": split, **{k: v for k, v in results[(r.id, m)].items() if k != "per_query_r10"}}
        for r in repos for m in wanted
    ]
    if as_json:
        emit_json(rows)
        return
    click.echo(f"{'repository':30} {'method':10} {'R@1':>7} {'R@10':>7} {'95% CI':>15} {'MRR':>6} {'queries':>8}")
    for row in rows:
        ci = row.get("r10_ci")
        ci_text = f"[{ci[0]:5.1f}, {ci[1]:5.1f}]" if ci else "-"
        click.echo(f"{shown(row['repo'])[:30]:30} {row['method']:10} {_fmt(row['r1'], '7.2f')} "
                   f"{_fmt(row['r10'], '7.2f')} {ci_text:>15} {_fmt(row['mrr'], '6.3f')} {row['num_queries']:8d}")
    precision = next((r["precision"] for r in rows if r.get("precision")), None)
    if precision:
        info(f"precision {precision['precision']} ({precision['requested']}: {precision['reason']}); "
             f"split {results[(repos[0].id, wanted[0])]['scheme'] if repos else '-'}")
    notes = dict.fromkeys(row["note"] for row in rows if row.get("note"))
    for note in notes:
        info(f"fused: {note}")


def _fmt(x: float | None, spec: str) -> str:
    return "-" if x is None else format(x, spec)


@main.command()
@click.argument("query")
@click.option("--repo", "repo_ref", required=True, help="Repository whose premises to search.")
@click.option("--file", "file", default=None, help="File of the theorem (path in the repository): only "
              "premises accessible from it are returned.")
@click.option("--line", type=click.IntRange(min=1), default=None, help="Line of the theorem in --file (1-based).")
@click.option("--col", type=click.IntRange(min=1), default=1, show_default=True,
              help="Column of the theorem in --file (1-based).")
@click.option("--k", "k", type=click.IntRange(min=1), default=10, show_default=True,
              help="How many premises to return.")
@checkpoint_options
@click.option("--method", type=click.Choice(["auto", "dense", "fused"]), default="auto", show_default=True,
              help="auto: fused when its validation R@10 beat dense for this encoder, else dense.")
@config_options("encoder", "eval")
@json_option("the premises")
@pass_app
@handle_errors
def retrieve(app: App, query: str, repo_ref: str, file: str | None, line: int | None, col: int, k: int,
             checkpoint: str | None, base: bool, method: str, as_json: bool, options: ConfigOptions) -> None:
    """The top-k premises for QUERY (a goal state or statement) accessible in a repository.

    QUERY `-` reads the query from standard input (for goal states longer than a command
    line may be)."""
    from prover.retrieval.api import retrieve as do_retrieve
    from prover.retrieval.checkpoints import read_fusion_for

    if line is not None and file is None:
        raise click.BadParameter("--line needs --file", param_hint="--line")
    if query == "-":
        with click.open_file("-") as stdin:
            query = stdin.read()
    if not query.strip():
        raise click.BadParameter("the query is empty", param_hint="QUERY")
    config = options.eval(progress=True)
    with app.store() as store:
        repo = store.find_repository(repo_ref)
        cid = _checkpoint(store, checkpoint, base)
        if method == "auto":
            fusion = read_fusion_for(store, cid, model=config.model, max_length=config.max_length, repo=repo)
            method = "fused" if fusion is not None and fusion.val_r10_gain > 0 else "dense"
        found = do_retrieve(store, app.home, checkpoint_id=cid, query=query, repo=repo, file=file,
                            position=(line, col) if line is not None else None, k=k, method=method,
                            config=config)
    if as_json:
        emit_json([{"premise_id": p.premise_id, "full_name": p.full_name, "path": p.path, "start": p.start,
                    "end": p.end, "score": p.score, "code": p.code} for p in found])
        return
    info(f"{len(found)} premises ({method}, {'checkpoint ' + str(cid) if cid is not None else 'base encoder'})")
    for i, p in enumerate(found, 1):
        click.echo(f"{i:3d}. {p.score:7.4f}  {shown(p.full_name)}  ({shown(p.path)}:{p.start[0]})")


# -- checkpoints ----------------------------------------------------------------------------


@main.group(invoke_without_command=True)
@json_option("the list (same as `checkpoints list --json`)")
@click.pass_context
def checkpoints(ctx: click.Context, as_json: bool) -> None:
    """List retriever checkpoints, or show one (`checkpoints show ID`)."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(checkpoints_list, as_json=as_json)


def _checkpoint_summary(store: Store, ckpt: Any) -> dict[str, Any]:
    cfg = ckpt.config
    steps = store.checkpoints.training_steps(ckpt.id)
    fusion = store.fusion_weights.for_checkpoint(ckpt.id)
    return {
        "id": ckpt.id,
        "parent_id": ckpt.parent_id,
        "created_at": ckpt.created_at,
        "model": ckpt.model_name,
        "path": ckpt.path,
        "repos": cfg.get("repos", []),
        "examples": cfg.get("examples"),
        "steps": cfg.get("steps"),
        "seconds": cfg.get("seconds"),
        "loss_first": steps[0].loss if steps else cfg.get("loss_first"),
        "loss_last": steps[-1].loss if steps else cfg.get("loss_last"),
        "fusion": fusion.as_dict() if fusion is not None else None,
    }


@checkpoints.command("list")
@json_option("a JSON list")
@pass_app
@handle_errors
def checkpoints_list(app: App, as_json: bool) -> None:
    """Every checkpoint: parent, repositories trained on, steps and loss."""
    rows: list[dict[str, Any]] = []
    if app.home.db_path.exists():
        with app.store(readonly=True) as store:
            rows = [_checkpoint_summary(store, c) for c in store.checkpoints.all()]
    if as_json:
        emit_json(rows)
        return
    if not rows:
        info("no checkpoints yet: train one with `leanagent train` or `leanagent run`")
        return
    click.echo(f"{'id':>4} {'parent':>6} {'created':20} {'steps':>6} {'loss':>15}  repositories")
    for r in rows:
        loss = "-" if r["loss_first"] is None else f"{r['loss_first']:.3f} -> {r['loss_last']:.3f}"
        names = ", ".join(shown(str(x).split("@")[0]) for x in r["repos"])
        parent = "-" if r["parent_id"] is None else str(r["parent_id"])
        click.echo(f"{r['id']:>4} {parent:>6} {r['created_at'][:19]:20} {r['steps'] or 0:>6} {loss:>15}  {names}")


@checkpoints.command("show")
@click.argument("checkpoint_id", type=int)
@json_option("the checkpoint, its loss curve, evaluations and indexes")
@pass_app
@handle_errors
def checkpoints_show(app: App, checkpoint_id: int, as_json: bool) -> None:
    """Show checkpoint CHECKPOINT_ID: its training record, loss curve, evaluations and indexes."""
    with app.store(readonly=True) as store:
        ckpt = store.checkpoints.get(checkpoint_id)
        out = {
            **_checkpoint_summary(store, ckpt),
            "lineage": [c.id for c in store.checkpoints.lineage(checkpoint_id)],
            "data_fingerprint": ckpt.data_fingerprint,
            "config": ckpt.config,
            "training_steps": [s.as_dict() for s in store.checkpoints.training_steps(checkpoint_id)],
            "evaluations": [e.as_dict() for e in store.evaluations.find(checkpoint_id=checkpoint_id)],
            "indexes": [i.as_dict() for i in store.faiss_indexes.for_checkpoint(checkpoint_id)],
        }
        names = {r.id: r.name for r in store.repositories()}
    if as_json:
        emit_json(out)
        return
    click.echo(f"checkpoint {out['id']} (parent {out['parent_id'] or '-'}; lineage "
               f"{' -> '.join(map(str, out['lineage']))}), created {out['created_at']}")
    click.echo(f"  model {out['model']}, saved in {app.home.root / str(out['path'])}")
    click.echo(f"  trained on {', '.join(shown(x) for x in out['repos']) or '-'}: {out['examples']} examples, {out['steps']} steps "
               f"in {out['seconds']} s")
    curve = out["training_steps"]
    if curve:
        click.echo(f"  loss {curve[0]['loss']:.4f} (step 1) -> {curve[-1]['loss']:.4f} (step {curve[-1]['step']})")
    if out["fusion"]:
        f = out["fusion"]
        click.echo(f"  fusion weights: w_bm25 {f['w_bm25']}, w_loc {f['w_loc']} (val R@10 gain "
                   f"{f['val_r10_gain']:+.2f} on {f['val_queries']} queries of "
                   f"{', '.join(shown(t) for t in f['tuned_on']) or '?'})")
    for e in out["evaluations"]:
        click.echo(f"  {e['split']:5} {e['method']:9} {shown(names.get(e['repo_id'], e['repo_id'])):30} "
                   f"R@10 {_fmt(e['r10'], '6.2f')}  MRR {_fmt(e['mrr'], '5.3f')}  ({e['num_queries']} queries)")
    for i in out["indexes"]:
        click.echo(f"  index {i['kind']} of {i['num_vectors']} premises at {app.home.root / i['path']}")
