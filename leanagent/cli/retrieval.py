"""Retriever commands: train, eval, retrieve (thin layer over `prover.retrieval.api`)."""

from __future__ import annotations

import click

from . import App, emit_json, handle_errors, info, main, pass_app

_METHODS = ("dense", "fused", "untrained", "bm25", "locality")


def _model_options(fn):
    fn = click.option("--model", default=None,
                      help="Base encoder: a Hugging Face name in the local cache or a model directory "
                      "[default: the packaged all-MiniLM-L6-v2].")(fn)
    fn = click.option("--max-length", type=int, default=256, show_default=True,
                      help="Token limit for queries and premises (training and indexing).")(fn)
    fn = click.option("--device", default="auto", show_default=True, help="cpu, cuda, cuda:N or auto.")(fn)
    fn = click.option("--no-bf16", is_flag=True, help="Run in fp32 instead of bf16 autocast.")(fn)
    return fn


def _checkpoint(store, ref: str | None, base: bool) -> int | None:
    from prover.retrieval.api import latest_checkpoint

    if base:
        return None
    if ref is None:
        return latest_checkpoint(store)
    if not ref.isdigit():
        raise click.BadParameter(f"'{ref}' is not a checkpoint id", param_hint="--checkpoint")
    return int(ref)


def _eval_config(model: str | None, max_length: int, device: str, no_bf16: bool, **kw):
    from prover.retrieval.api import DEFAULT_MODEL, EvalConfig

    return EvalConfig(model=model or DEFAULT_MODEL, max_length=max_length, device=device, bf16=not no_bf16,
                      progress=True, **kw)


@main.command()
@click.option("--repos", "repo_refs", multiple=True, help="Repository to train on (repeatable; default: all).")
@click.option("--parent", default=None, help="Checkpoint id to continue from [default: the latest; "
              "the base encoder when there is none].")
@click.option("--from-base", is_flag=True, help="Start from the base encoder even if checkpoints exist.")
@click.option("--epochs", type=int, default=1, show_default=True)
@click.option("--batch-size", type=int, default=8, show_default=True)
@click.option("--grad-accum", type=int, default=1, show_default=True)
@click.option("--lr", type=float, default=1e-4, show_default=True)
@click.option("--max-steps", type=int, default=None, help="Stop after this many optimiser steps.")
@click.option("--seed", type=int, default=3407, show_default=True)
@_model_options
@click.option("--json", "as_json", is_flag=True, help="Print the new checkpoint as JSON.")
@pass_app
@handle_errors
def train(app: App, repo_refs: tuple[str, ...], parent: str | None, from_base: bool, epochs: int,
          batch_size: int, grad_accum: int, lr: float, max_steps: int | None, seed: int, model: str | None,
          max_length: int, device: str, no_bf16: bool, as_json: bool) -> None:
    """Train the premise retriever on the train split of repositories (one checkpoint)."""
    from prover.retrieval.api import DEFAULT_MODEL, TrainConfig, train_retriever
    from prover.retrieval.checkpoints import checkpoint_row

    config = TrainConfig(model=model or DEFAULT_MODEL, max_length=max_length, batch_size=batch_size,
                         grad_accum=grad_accum, lr=lr, epochs=epochs, max_steps=max_steps, seed=seed,
                         bf16=not no_bf16, device=device, progress=True)
    with app.store() as store:
        repos = store.find_repositories(list(repo_refs))
        parent_id = _checkpoint(store, parent, from_base)
        info(f"training on {', '.join(r.name for r in repos)} from "
             f"{'checkpoint ' + str(parent_id) if parent_id is not None else config.model}")
        cid = train_retriever(store, app.home, repos=repos, parent_checkpoint_id=parent_id, config=config)
        row = checkpoint_row(store, cid)
    cfg = row["config"]
    info(f"checkpoint {cid}: {cfg['examples']} examples, {cfg['steps']} steps in {cfg['seconds']:.1f} s, "
         f"loss {cfg['loss_mean_first_quarter']:.3f} -> {cfg['loss_mean_last_quarter']:.3f} "
         f"(first/last quarter means); saved in {app.home.root / row['path']}")
    if as_json:
        emit_json({"checkpoint_id": cid, "parent_id": row["parent_id"], "path": str(app.home.root / row["path"]),
                   "config": cfg})


@main.command(name="eval")
@click.option("--repos", "repo_refs", multiple=True, help="Repository to evaluate (repeatable; default: all).")
@click.option("--checkpoint", default=None, help="Checkpoint id [default: the latest].")
@click.option("--base", is_flag=True, help="Evaluate the untrained base encoder as 'dense'.")
@click.option("--split", type=click.Choice(["val", "test", "train"]), default="test", show_default=True)
@click.option("--methods", default=",".join(_METHODS), show_default=True,
              help="Comma-separated: " + ", ".join(_METHODS) + ".")
@_model_options
@click.option("--json", "as_json", is_flag=True, help="Print results as JSON.")
@pass_app
@handle_errors
def eval_(app: App, repo_refs: tuple[str, ...], checkpoint: str | None, base: bool, split: str, methods: str,
          model: str | None, max_length: int, device: str, no_bf16: bool, as_json: bool) -> None:
    """R@1, R@10 and MRR per repository for a checkpoint and every baseline."""
    from prover.retrieval.api import evaluate_retriever

    wanted = tuple(m.strip() for m in methods.split(",") if m.strip())
    config = _eval_config(model, max_length, device, no_bf16)
    with app.store() as store:
        repos = store.find_repositories(list(repo_refs))
        cid = _checkpoint(store, checkpoint, base)
        if cid is None:
            info("no checkpoint: evaluating the base encoder (train one with `leanagent train`)")
        results = evaluate_retriever(store, app.home, checkpoint_id=cid, repos=repos, split=split,
                                     methods=wanted, config=config)
    rows = [
        {"repo": r.name, "repo_id": r.id, "method": m, "checkpoint_id": cid if m in ("dense", "fused") else None,
         "split": split, **results[(r.id, m)]}
        for r in repos for m in wanted
    ]
    if as_json:
        emit_json(rows)
        return

    def fmt(x, spec):
        return "-" if x is None else format(x, spec)

    click.echo(f"{'repository':30} {'method':10} {'R@1':>7} {'R@10':>7} {'MRR':>6} {'queries':>8}")
    for row in rows:
        click.echo(f"{row['repo'][:30]:30} {row['method']:10} {fmt(row['r1'], '7.2f')} {fmt(row['r10'], '7.2f')} "
                   f"{fmt(row['mrr'], '6.3f')} {row['num_queries']:8d}")


@main.command()
@click.argument("query")
@click.option("--repo", "repo_ref", required=True, help="Repository whose premises to search.")
@click.option("--file", "file", default=None, help="File of the theorem (path in the repository): only "
              "premises accessible from it are returned.")
@click.option("--line", type=int, default=None, help="Line of the theorem in --file (1-based).")
@click.option("--col", type=int, default=1, show_default=True)
@click.option("--k", "k", type=int, default=10, show_default=True)
@click.option("--checkpoint", default=None, help="Checkpoint id [default: the latest].")
@click.option("--base", is_flag=True, help="Use the untrained base encoder.")
@click.option("--method", type=click.Choice(["auto", "dense", "fused"]), default="auto", show_default=True,
              help="auto: fused when its validation R@10 beat dense for this encoder, else dense.")
@_model_options
@click.option("--json", "as_json", is_flag=True, help="Print the premises as JSON.")
@pass_app
@handle_errors
def retrieve(app: App, query: str, repo_ref: str, file: str | None, line: int | None, col: int, k: int,
             checkpoint: str | None, base: bool, method: str, model: str | None, max_length: int, device: str,
             no_bf16: bool, as_json: bool) -> None:
    """The top-k premises for QUERY (a goal state or statement) accessible in a repository."""
    from prover.retrieval.api import retrieve as do_retrieve
    from prover.retrieval.checkpoints import encoder_key, encoder_spec, read_fusion

    if line is not None and file is None:
        raise click.BadParameter("--line needs --file", param_hint="--line")
    config = _eval_config(model, max_length, device, no_bf16)
    with app.store() as store:
        repo = store.find_repository(repo_ref)
        cid = _checkpoint(store, checkpoint, base)
        if method == "auto":
            name, length = encoder_spec(store, cid, model=config.model, max_length=config.max_length)
            fusion = read_fusion(store, app.home, cid, encoder_key(cid, name, length))
            method = "fused" if fusion and fusion.get("val_r10_gain", 0) > 0 else "dense"
        found = do_retrieve(store, app.home, checkpoint_id=cid, query=query, repo=repo, file=file,
                            position=(line, col) if line is not None else None, k=k, method=method,
                            config=config)
    if as_json:
        emit_json([{"premise_id": p.premise_id, "full_name": p.full_name, "path": p.path, "start": p.start,
                    "end": p.end, "score": p.score, "code": p.code} for p in found])
        return
    info(f"{len(found)} premises ({method}, {'checkpoint ' + str(cid) if cid is not None else 'base encoder'})")
    for i, p in enumerate(found, 1):
        click.echo(f"{i:3d}. {p.score:7.4f}  {p.full_name}  ({p.path}:{p.start[0]})")
