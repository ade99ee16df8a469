"""Proof search commands: prove, write-back (thin layer over `prover.driver`)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from . import App, emit_json, handle_errors, info, main, pass_app
from .options import ConfigOptions, config_options, json_option
from .ray_options import open_runtime, ray_address_option


def _backend_options(values: tuple[str, ...], repl: str | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for value in values:
        key, sep, val = value.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"'{value}' is not KEY=VALUE", param_hint="--backend-option")
        out[key.strip()] = val
    if repl is not None:
        out["repl_path"] = repl
    return out


def prover_options(fn: Any) -> Any:
    """Options that build a `ProverConfig` (shared by `prove` and `run`)."""
    options = [
        click.option("--backend", default="repl", show_default=True, help="Lean backend (registry name)."),
        click.option("--backend-option", "backend_options", multiple=True, metavar="KEY=VALUE",
                     help="A backend setting, e.g. command='lake env /opt/repl/.lake/build/bin/repl', "
                     "header_timeout=900, memory_limit_mb=8000, restart_every=50 (repeatable)."),
        click.option("--repl", default=None, metavar="PATH",
                     help="The Lean REPL binary built for the project's toolchain (repl backend)."),
        click.option("--generator", default="automation", show_default=True, metavar="automation|DIR",
                     help="'automation' (no model: --tactics at every state) or a local Hugging Face model "
                     "directory (e.g. ReProver's leandojo-lean4-tacgen-byt5-small)."),
        click.option("--tactics", default=None, metavar="T1,T2,...",
                     help="Tactics of the automation generator [default: rfl,simp,simp_all,omega,decide,aesop,"
                     "norm_num,linarith,trivial,assumption]."),
        click.option("--num-candidates", type=int, default=8, show_default=True,
                     help="Tactics generated per state (ReProver: 64)."),
        click.option("--decoding", type=click.Choice(["beam", "sample"]), default="beam", show_default=True,
                     help="Beam search (scores: summed token log-probabilities) or seeded sampling."),
        click.option("--max-input-bytes", type=int, default=2300, show_default=True,
                     help="Byte budget of the generator's input (state + retrieved premises)."),
        click.option("--prompt-layout", type=click.Choice(["state-first", "premises-first"]), default="state-first",
                     show_default=True, help="premises-first is the layout ReProver's retriever-tacgen was "
                     "trained on."),
        click.option("--num-premises", type=int, default=10, show_default=True,
                     help="Premises retrieved per state for a model generator (0: none)."),
        click.option("--checkpoint", default=None, help="Retriever checkpoint id [default: the latest; "
                     "the base encoder when there is none]."),
        click.option("--device", default="auto", show_default=True, help="cpu, cuda, cuda:N or auto."),
        click.option("--precision", type=click.Choice(["auto", "fp32", "bf16"]), default=None,
                     help="Generator and premise-encoder precision; auto: measured once per device (cached in the "
                     "home), bf16 only where faster and as exact [default: bf16 on a GPU that supports it, fp32 on "
                     "CPU]."),
        click.option("--timeout", type=float, default=600.0, show_default=True, help="Seconds per theorem."),
        click.option("--tactic-timeout", type=float, default=60.0, show_default=True, help="Seconds per tactic."),
        click.option("--max-expansions", type=int, default=None, help="Expanded states per theorem [no limit]."),
        click.option("--max-lean-calls", type=int, default=None, help="Requests to Lean per theorem [no limit]."),
        click.option("--expansion-batch", type=int, default=1, show_default=True,
                     help="States generated for in one batch (1: strict best-first)."),
        click.option("--verify-timeout", type=float, default=600.0, show_default=True,
                     help="Seconds for the whole-file check of a found proof."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def build_prover_config(app: App, store: Any, *, backend: str, backend_options: tuple[str, ...], repl: str | None,
                        generator: str, tactics: str | None, num_candidates: int, decoding: str,
                        max_input_bytes: int, prompt_layout: str, num_premises: int, checkpoint: str | None,
                        device: str, precision: str | None, timeout: float, tactic_timeout: float,
                        max_expansions: int | None, max_lean_calls: int | None, expansion_batch: int,
                        verify_timeout: float) -> tuple[Any, int | None]:
    """(ProverConfig, the retriever checkpoint the results belong to)."""
    from prover.generator import AutomationConfig, GeneratorConfig
    from prover.lean.verify import VerifyConfig
    from prover.proving import BackendSpec, ProverConfig, RetrievalSpec
    from prover.search import SearchConfig

    gen: GeneratorConfig | AutomationConfig
    retrieval = None
    checkpoint_id: int | None = None
    if generator == "automation":
        gen = AutomationConfig(tactics=tuple(t.strip() for t in tactics.split(","))) if tactics else AutomationConfig()
    else:
        if tactics:
            raise click.BadParameter("--tactics is for --generator automation", param_hint="--tactics")
        gen = GeneratorConfig(model=generator, num_candidates=num_candidates, decoding=decoding,  # type: ignore[arg-type]
                              max_input_bytes=max_input_bytes, prompt_layout=prompt_layout,  # type: ignore[arg-type]
                              num_premises=num_premises, device=device, precision=precision,
                              home=str(app.home.root))
        if num_premises > 0:
            from prover.retrieval.api import EvalConfig, build_index, latest_checkpoint

            if checkpoint is not None and not checkpoint.isdigit():
                raise click.BadParameter(f"'{checkpoint}' is not a checkpoint id", param_hint="--checkpoint")
            checkpoint_id = int(checkpoint) if checkpoint is not None else latest_checkpoint(store)
            enc_device = "cpu" if device == "auto" else device
            index = build_index(store, app.home, checkpoint_id=checkpoint_id,
                                config=EvalConfig(device=enc_device, precision=precision or "fp32", progress=True))
            if index.added:
                info(f"premise index: {index.added} premise(s) encoded")
            retrieval = RetrievalSpec(home=str(app.home.root), checkpoint_id=checkpoint_id, device=enc_device,
                                      precision=precision)
    backend_opts: dict[str, str] = _backend_options(backend_options, repl)
    if backend == "leandojo":
        backend_opts.setdefault("home", str(app.home.root))  # where `add --tracer leandojo` traced it
        backend_opts.pop("repl_path", None)
    config = ProverConfig(
        generator=gen, backend=BackendSpec(name=backend, options=backend_opts),
        search=SearchConfig(timeout=timeout, tactic_timeout=tactic_timeout, max_expansions=max_expansions,
                            max_lean_calls=max_lean_calls, expansion_batch=expansion_batch),
        verify=VerifyConfig(timeout=verify_timeout), retrieval=retrieval)
    return config, checkpoint_id


def _line(row: dict[str, Any]) -> str:
    mark = {"proved": "✓", "failed": "✗", "error": "!"}[row["status"]]
    what = row["stop_reason"]
    if row["open_reason"]:
        what += f" ({row['open_reason']})"
    if row["verification"] and row["verification"] != "accepted":
        what += f"; verification {row['verification']}: {row['verification_message']}"
    elif row["verification"] == "accepted":
        what = "accepted by Lean" + (" (depends on a sorry placeholder)" if row["depends_on_sorry"] else "")
    return (f"{mark} {row['theorem']}  [{what}; {row['nodes_expanded']} expanded, {row['lean_calls']} Lean calls, "
            f"{row['seconds']:.1f} s]")


class _Progress:
    """A bar over a repository's theorems, and one line per result, on stderr."""

    def __init__(self, name: str, verb: str, *, quiet: bool) -> None:
        self.name, self.verb, self.quiet = name, verb, quiet
        self.bar: Any = None

    def start(self, total: int) -> None:
        from tqdm import tqdm

        info(f"{self.name}: {total} theorem(s) to {self.verb}")
        self.bar = tqdm(total=total, unit="thm", desc=self.name[:20], leave=False, disable=self.quiet)

    def done(self, outcome: Any, n: int, total: int) -> None:
        from tqdm import tqdm

        from prover.driver import result_row

        self.bar.update(1)
        tqdm.write(_line(result_row(outcome)), file=sys.stderr)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


@main.command()
@click.argument("repo_ref", metavar="[REPO]", required=False)
@click.option("--theorem", "theorems", multiple=True, metavar="NAME",
              help="Only this theorem (full name or last component; repeatable).")
@click.option("--evaluate", is_flag=True,
              help="Re-prove the already-proven theorems of --split with their proofs hidden and report Pass@1 "
              "(stored in evaluations). The split is the retriever's, chosen by the data options below with "
              "`train`'s and `run`'s defaults: by default the test theorems they hold out from training.")
@click.option("--split", type=click.Choice(["test", "val", "train"]), default="test", show_default=True,
              help="With --evaluate: which split of the retriever's splits to re-prove.")
@config_options("data")
@click.option("--limit", type=int, default=None, help="At most N theorems per repository.")
@prover_options
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Theorems proved at once, each by a Ray actor with its own generator, retriever and Lean "
              "backend (see --ray-address); 1 proves in this process, without Ray.")
@click.option("--gpus-per-worker", type=click.FloatRange(min=0), default=0.0, show_default=True,
              help="GPUs each worker reserves on the Ray cluster (fractions share a GPU; more than 0 proves on "
              "Ray even with one worker).")
@ray_address_option
@json_option("the results")
@pass_app
@handle_errors
def prove(app: App, repo_ref: str | None, theorems: tuple[str, ...], evaluate: bool, split: str, limit: int | None,
          workers: int, gpus_per_worker: float, ray_address: str | None, as_json: bool, options: ConfigOptions,
          **prover_opts: Any) -> None:
    """Search for proofs of a repository's sorry theorems (all repositories without REPO).

    A proof counts only once Lean accepts it in its file (whole-file check, standard
    axioms only); accepted proofs are stored with their provenance and the theorem is
    marked proved. Needs a Lean toolchain: without one, says what to install and exits 1.
    With --workers N, N Ray actors prove at once; this process still writes every result.
    With --evaluate, the data options (--queries, --split-scheme, the fractions,
    --split-seed) choose the retriever's split exactly as for `train` and `run`; without
    it they are not used.
    """
    from leanagent.distributed.proving import open_executor, uses_pool
    from prover.driver import ProveRequest, split_leak

    summaries = []
    data = options.data()
    with app.store() as store:
        repos = [store.find_repository(repo_ref)] if repo_ref else store.repositories()
        if not repos:
            raise click.ClickException("no repository yet: add one with `leanagent add SOURCE`")
        config, checkpoint_id = build_prover_config(app, store, **prover_opts)
        requests = {repo.id: ProveRequest(purpose="evaluate" if evaluate else "sorry", theorems=theorems,
                                          split=split, data=data, limit=limit, checkpoint_id=checkpoint_id)
                    for repo in repos}
        if evaluate:
            info(f"Pass@1 on the {split} split of scheme {data.scheme}")
            leak = split_leak(store, next(iter(requests.values())))
            if leak is not None:
                info(f"warning: {leak}")
        parallel = uses_pool(workers, gpus_per_worker)
        if parallel:  # the in-process path checks per repository; here before Ray starts
            _check_toolchain(store, repos, requests, config, strict=repo_ref is not None)
        with open_runtime(app, ray_address, want_ray=parallel) as rt, \
                open_executor(rt, config, workers=workers, gpus_per_worker=gpus_per_worker, on_event=info) as run:
            for repo in repos:
                summary = _prove_one(store, repo, config, requests[repo.id], run, evaluate=evaluate,
                                     strict=repo_ref is not None, quiet=as_json)
                if summary is not None:
                    summaries.append(summary)
    if as_json:
        emit_json(summaries[0] if repo_ref else summaries)


def _check_toolchain(store: Any, repos: list[Any], requests: dict[int, Any], config: Any, *, strict: bool) -> None:
    """`ToolchainMissing` unless the backend runs in every repository with something to prove."""
    from prover.driver import ProveError, check_toolchain, proof_tasks

    for repo in repos:
        try:
            tasks = proof_tasks(store, repo, requests[repo.id])
        except ProveError:
            if strict:
                raise
            continue  # reported as skipped when its turn comes
        if tasks:
            check_toolchain(config, tasks[0].theorem.project)


def _prove_one(store: Any, repo: Any, config: Any, request: Any, executor: Any, *, evaluate: bool, strict: bool,
               quiet: bool) -> dict[str, Any] | None:
    from prover.driver import ProveError, prove_repository

    progress = _Progress(repo.name, "re-prove" if evaluate else "prove", quiet=quiet)
    try:
        summary = prove_repository(store, repo, config=config, request=request, on_start=progress.start,
                                   on_outcome=progress.done, executor=executor)
    except ProveError as exc:
        if strict:
            raise
        info(f"{repo.name}: skipped: {exc}")  # one repository without sources does not stop the others
        return None
    finally:
        progress.close()
    c = summary.counts
    if c["attempted"]:
        flagged = c["depends_on_sorry"]
        # Pass@1 counts clean proofs only; placeholder-dependent ones are shown beside it.
        extra = f" (+{c['pass_at_1_depends_on_sorry']:.1f}% only through sorry placeholders)" if flagged else ""
        tail = (f"; Pass@1 {c['pass_at_1']:.1f}%{extra} (stored in evaluations)" if evaluate else "")
        through = f" ({flagged} only through a sorry placeholder)" if flagged else ""
        info(f"{repo.name}: {c['proved']} of {c['attempted']} proved{through}, {c['failed']} failed, "
             f"{c['errors']} error(s){tail}; stop reasons: "
             + ", ".join(f"{k} {v}" for k, v in c["by_stop_reason"].items()))
    else:
        info(f"{repo.name}: nothing to {'re-prove' if evaluate else 'prove'}")
    return summary.as_json()


@main.command("write-back")
@click.argument("repo_ref", metavar="REPO")
@click.option("--branch", default=None, help="New branch [default: leanagent/proofs-<UTC time>].")
@click.option("--patch", "patch_path", type=click.Path(dir_okay=False), default=None,
              help="Where to write the patch [default: HOME/reports/<repo>-<branch>.patch].")
@json_option("the result")
@pass_app
@handle_errors
def write_back_cmd(app: App, repo_ref: str, branch: str | None, patch_path: str | None, as_json: bool) -> None:
    """Write the accepted proofs of REPO into its source, committed on a new git branch,
    with a patch file. Refuses (changing nothing) if a file changed since indexing.
    Nothing is pushed. Leaves the checkout on the new branch: `git checkout` the previous
    one before proving again (theorems below a change would stop with source_changed)."""
    import re

    from prover.driver import repository_root
    from prover.writeback import default_branch_name, write_back

    with app.store(readonly=True) as store:
        repo = store.find_repository(repo_ref)
        proofs = store.proof_attempts.accepted_proofs(repo)
    branch = branch or default_branch_name()
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", f"{repo.name}-{branch}").strip("-")
    patch = Path(patch_path) if patch_path else app.home.reports / f"{slug}.patch"
    result = write_back(repository_root(repo), proofs, patch=patch, branch=branch)
    flagged = sum(p.depends_on_sorry for p in proofs)
    info(f"{len(result.proofs)} proof(s) written to {len(result.files)} file(s) on branch {result.branch} "
         f"(commit {result.commit[:12]}; you were on {result.previous}: `git switch {result.previous}` to go back); "
         f"patch: {result.patch}" + (f"; {flagged} depend on sorry placeholders" if flagged else "") + ". Nothing pushed.")
    note = result.checkout_note(repository_root(repo))
    info(note)
    if as_json:
        emit_json({"branch": result.branch, "previous": result.previous, "commit": result.commit,
                   "patch": str(result.patch), "files": list(result.files), "proofs": list(result.proofs),
                   "checks": result.checks, "depends_on_sorry": flagged, "note": note})
