"""The loop: per position, run every stage not yet finished, in order; plan new positions
when every planned one is done. See the package docstring for the stages and why a kill
at any moment is safe."""

from __future__ import annotations

import contextlib
import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from curriculum import DYNAMIC_ORDERS, order_repositories, progress_history
from database.errors import RunError
from database.store import Repository, Store

from .config import STRATEGY, RunConfig
from .learner import Learner, Results
from .state import RunState, open_run, stages_for

log = logging.getLogger(__name__)

BASELINE_METHODS = ("bm25", "locality", "untrained")
PROVE_SKIPPED = "skipped: no prover configured for this run"


class ProveStage(Protocol):
    """What the ``prove`` stage runs (`leanagent.prove_stage.LifelongProving` is the real
    one): returns the stage's status (``done`` or ``skipped``) and its info, whose
    ``reason`` says why when skipped."""

    def __call__(self, store: Store, repo: Repository, *, checkpoint_id: int | None, run_id: int,
                 seen: list[Repository]) -> tuple[str, dict[str, Any]]: ...


def prove_line(info: dict[str, Any]) -> str:
    """One line about a prove stage: why it was skipped, or what it proved."""
    if info.get("reason"):
        return str(info["reason"])
    return f"{info.get('proved', 0)} of {info.get('attempted', 0)} sorry theorem(s) proved"


@dataclass(frozen=True)
class RunSummary:
    run_id: int
    name: str
    positions: int
    stages_done: int
    status: str


@dataclass
class _Ctx:
    state: RunState
    learner: Learner
    config: RunConfig
    on_event: Callable[[str], None]
    prove: ProveStage | None = None

    @property
    def store(self) -> Store:
        return self.state.store


def run_lifelong(
    store: Store,
    learner: Learner,
    config: RunConfig,
    *,
    repos: Sequence[Repository] | None = None,
    name: str | None = None,
    on_event: Callable[[str], None] | None = None,
    prove: ProveStage | None = None,
) -> RunSummary:
    """Run (or continue) the lifelong loop until every repository in ``repos`` (default:
    all) is learned. Safe to call again after any interruption.

    One process at a time runs a given run: it holds the run's lock (released by the
    operating system however the process ends); a second one is refused with a message
    naming the first (PID, start time)."""
    run_name = name or config.default_name()
    lock = store.runs.lock(run_name)
    try:
        return _run_locked(store, learner, config, repos=repos, name=run_name, on_event=on_event, prove=prove)
    finally:
        if lock is not None:
            lock.release()


def _run_locked(store: Store, learner: Learner, config: RunConfig, *, repos: Sequence[Repository] | None,
                name: str, on_event: Callable[[str], None] | None, prove: ProveStage | None) -> RunSummary:
    run_id = open_run(store, config, name=name)
    state = RunState.load(store, run_id)
    wanted = list(repos) if repos is not None else list(state.repos.values())
    ctx = _Ctx(state, learner, config, on_event or log.info, prove)
    missing = [p for p in state.positions() if state.stages[(p, "plan")].repo_id not in state.repos]
    if missing:
        raise RunError(f"run {run_id} refers to repositories no longer in the database (positions {missing})")
    store.runs.set_status(run_id, "running")
    stages = stages_for(config)
    try:
        while True:
            pos = next((p for p in state.positions() if not all(state.finished(p, s) for s in stages)), None)
            if pos is None:
                if not _plan(ctx, wanted):
                    break
                continue
            for stage in stages:
                if state.finished(pos, stage):
                    continue
                repo = state.repo_at(pos)
                ctx.on_event(f"[{pos + 1}] {repo.name}: {stage}")
                state.mark_running(pos, repo.id, stage)
                _STAGE_FUNCS[stage](ctx, pos, repo)
                state.reload()
    except BaseException as exc:
        # Not "running" any more: a later `runs` shows how it stopped (a SIGKILL cannot
        # be caught; then the released run lock tells, see Runs.shown_status).
        with contextlib.suppress(Exception):
            store.runs.set_status(run_id, "interrupted" if isinstance(exc, KeyboardInterrupt | SystemExit)
                                  else "failed")
        raise
    store.runs.set_status(run_id, "done")
    done = sum(1 for s in state.stages.values() if s.finished)
    return RunSummary(run_id, name, len(state.positions()), done, "done")


def _plan(ctx: _Ctx, wanted: Sequence[Repository]) -> bool:
    """Append positions for repositories not yet in the run; False when none is left."""
    state = ctx.state
    planned = state.planned_repo_ids()
    todo = [r for r in wanted if r.id not in planned]
    if not todo:
        return False
    history = None
    dynamic = ctx.config.order in DYNAMIC_ORDERS
    start = len(state.positions())
    if dynamic:
        lineage = state.lineage(start - 1)
        if start == 0:
            # The teacher's first measurement of every candidate: the untrained encoder.
            for r in todo:
                ctx.learner.prepare(r)
            ctx.learner.evaluate(checkpoint_id=None, repos=todo, split="val", methods=("untrained",))
        history = progress_history(ctx.store, [r.id for r in todo], lineage)
    placements = order_repositories(ctx.store, todo, ctx.config.order, ctx.config.curriculum, history=history)
    if dynamic:
        placements = placements[:1]  # the teacher is asked again after the next step
    for i, p in enumerate(placements):
        info = {"order": ctx.config.order, "reason": p.reason, "key": p.key, "name": p.name}
        state.mark_finished(start + i, p.repo_id, "plan", info)
        ctx.on_event(f"[{start + i + 1}] {p.name}: {p.reason}")
    return True


def _stage_data(ctx: _Ctx, pos: int, repo: Repository) -> None:
    ctx.learner.prepare(repo)
    earlier = [ctx.state.repo_at(p) for p in range(pos)]
    mode = ctx.config.data_mode
    if mode == "single":
        train = [repo]
        why = "this repository only (LeanAgent's single-repository mode)"
    elif mode == "merge":
        train = [*earlier, repo]
        why = "every repository so far"
    else:
        k = min(ctx.config.replay, len(earlier))
        # Seeded per position so that a resumed run samples the same repositories.
        sample = sorted(random.Random(ctx.config.seed * 1000 + pos).sample(range(len(earlier)), k))
        train = [*(earlier[i] for i in sample), repo]
        why = f"this repository plus {k} earlier one(s) sampled with seed {ctx.config.seed}"
    info: dict[str, Any] = {"mode": mode, "train_repo_ids": [r.id for r in train],
                            "train_repos": [r.name for r in train], "why": why}
    if ctx.config.rehearsal:
        in_data = {r.id for r in train}
        rehearse = [r for r in earlier if r.id not in in_data]
        info["rehearse_repo_ids"] = [r.id for r in rehearse]
        info["rehearsal"] = ctx.config.rehearsal
        if rehearse:
            info["why"] += (f", plus {ctx.config.rehearsal:g} rehearsed example(s) per own example from "
                            f"{len(rehearse)} earlier one(s)")
    ctx.state.mark_finished(pos, repo.id, "data", info)


#: What a stage keeps of each evaluation, beyond the four metrics, when the learner
#: reports it (``per_query_r10`` stays in ``evaluations``).
_EXTRA_KEYS = ("r10_ci", "scheme", "precision")


def _metric(res: Results, repo_id: int, method: str) -> dict[str, Any]:
    m = res.get((repo_id, method)) or {}
    out = {k: m.get(k) for k in ("r1", "r10", "mrr", "num_queries")}
    out.update({k: m[k] for k in _EXTRA_KEYS if k in m})
    return out


def _matrix_methods(config: RunConfig) -> tuple[str, ...]:
    return ("dense", "fused") if config.matrix == "fused" else ("dense",)


def _matrix_metric(res: Results, repo_id: int, matrix: str) -> dict[str, Any]:
    """A cell of the accuracy matrix by the run's method. A fused cell whose weights could
    not be chosen (too few validation queries so far: `EvalConfig.min_fusion_queries`)
    holds the dense number instead, and says so (``method`` and ``note``), rather than
    leaving a hole in R or tuning on noise."""
    m = _metric(res, repo_id, matrix)
    if matrix == "fused" and m.get("r10") is None:
        note = (res.get((repo_id, "fused")) or {}).get("note") or "fusion weights not tuned"
        return {**_metric(res, repo_id, "dense"), "method": "dense", "note": f"fused {note}; dense shown"}
    return {**m, "method": matrix}


def _stage_baseline(ctx: _Ctx, pos: int, repo: Repository) -> None:
    res = ctx.learner.evaluate(checkpoint_id=None, repos=[repo], split="test", methods=BASELINE_METHODS)
    info: dict[str, Any] = {m: _metric(res, repo.id, m) for m in BASELINE_METHODS}
    prev = ctx.state.checkpoint_at(pos - 1)
    if prev is None:
        info["pre"] = info["untrained"]
        info["pre_checkpoint_id"] = None
    else:
        # The previous checkpoint, by the matrix's method (fusion weights as tuned for it
        # on the validation data of the repositories it had seen).
        pre = ctx.learner.evaluate(checkpoint_id=prev, repos=[repo], split="test",
                                   methods=_matrix_methods(ctx.config))
        info["pre"] = _matrix_metric(pre, repo.id, ctx.config.matrix)
        info["pre_checkpoint_id"] = prev
    ctx.state.mark_finished(pos, repo.id, "baseline", info)


def _train_repos(ctx: _Ctx, pos: int) -> list[Repository]:
    return [ctx.state.repos[int(i)] for i in ctx.state.info(pos, "data")["train_repo_ids"]]


def _rehearse_repos(ctx: _Ctx, pos: int) -> list[Repository]:
    return [ctx.state.repos[int(i)] for i in ctx.state.info(pos, "data").get("rehearse_repo_ids", [])]


def _trained_checkpoint(ctx: _Ctx, pos: int) -> int:
    ckpt = ctx.state.checkpoint_at(pos)
    if ckpt is None:  # the train stage always records one
        raise RunError(f"run {ctx.state.run_id}: position {pos} has no trained checkpoint")
    return ckpt


def _stage_train(ctx: _Ctx, pos: int, repo: Repository) -> None:
    strategy = STRATEGY[ctx.config.strategy]
    parent = ctx.state.checkpoint_at(pos - 1) if strategy.from_previous else None
    fisher_path = None
    if ctx.config.ewc and pos > 0 and parent is not None:
        fisher_path = ctx.state.info(pos - 1, "fisher")["path"]
    resume = bool(strategy.carry_optimizer and parent is not None)
    rehearse = _rehearse_repos(ctx, pos)
    # Only passed when there is something to rehearse: learners without rehearsal (the
    # `Learner` protocol's older form) keep working with it off.
    extra: dict[str, Any] = {"rehearse": rehearse} if rehearse else {}
    ckpt = ctx.learner.train(repos=_train_repos(ctx, pos), parent=parent, resume_optimizer=resume,
                             fisher_path=fisher_path, **extra)
    # What happened, not what was asked: the trainer records whether it found the
    # parent's optimiser state (a pruned checkpoint directory has none).
    resumed = ctx.store.checkpoints.get(ckpt).config.get("optimizer_resumed", resume)
    info = {"checkpoint_id": ckpt, "parent_checkpoint_id": parent, "resume_optimizer": bool(resumed),
            "resume_requested": resume, "fisher_path": fisher_path, "epochs": ctx.config.train.epochs,
            **({"rehearse_repo_ids": [r.id for r in rehearse]} if rehearse else {})}
    ctx.state.mark_finished(pos, repo.id, "train", info)


def _stage_fisher(ctx: _Ctx, pos: int, repo: Repository) -> None:
    ckpt = _trained_checkpoint(ctx, pos)
    path = ctx.learner.fisher(checkpoint_id=ckpt, repos=_train_repos(ctx, pos))
    ctx.state.mark_finished(pos, repo.id, "fisher", {"path": str(path), "checkpoint_id": ckpt})


def _stage_index(ctx: _Ctx, pos: int, repo: Repository) -> None:
    info = ctx.learner.index(checkpoint_id=_trained_checkpoint(ctx, pos))
    ctx.state.mark_finished(pos, repo.id, "index", info)


def _stage_evaluate(ctx: _Ctx, pos: int, repo: Repository) -> None:
    state = ctx.state
    ckpt = _trained_checkpoint(ctx, pos)
    seen = [state.repo_at(p) for p in range(pos + 1)]
    methods = _matrix_methods(ctx.config)
    matrix = ctx.config.matrix
    # With fused, its weights are tuned here on the validation split of every repository
    # seen so far (never on test data), then used for the test row and for V.
    test = ctx.learner.evaluate(checkpoint_id=ckpt, repos=seen, split="test", methods=methods)
    val = ctx.learner.evaluate(checkpoint_id=ckpt, repos=[repo], split="val", methods=methods)
    info: dict[str, Any] = {
        "checkpoint_id": ckpt,
        "method": matrix,
        "test": [{"repo_id": r.id, **_matrix_metric(test, r.id, matrix),
                  **({"dense": _metric(test, r.id, "dense")} if matrix != "dense" else {})} for r in seen],
        "val": _matrix_metric(val, repo.id, matrix),
    }
    fusion = (test.get((repo.id, "fused")) or {}).get("fusion")
    if fusion is not None:
        info["fusion"] = fusion
    if ctx.config.order in DYNAMIC_ORDERS:
        planned = state.planned_repo_ids()
        candidates = [r for r in state.repos.values() if r.id not in planned]
        if candidates:
            # The teacher's next measurement of every candidate (stored in evaluations).
            for r in candidates:
                ctx.learner.prepare(r)
            ctx.learner.evaluate(checkpoint_id=ckpt, repos=candidates, split="val", methods=("dense",))
            info["probed_repo_ids"] = [r.id for r in candidates]

    own = [c for c in state.lineage(pos) if c is not None]

    def tag() -> None:
        # The learner wrote the evaluations; tie the rows of this run's checkpoints
        # (including pre-training evaluations made since) to the run.
        ctx.store.evaluations.tag_run(state.run_id, own)

    state.mark_finished(pos, repo.id, "evaluate", info, also=tag)


def _stage_prove(ctx: _Ctx, pos: int, repo: Repository) -> None:
    info: dict[str, Any]
    if ctx.prove is None:
        sorries = len(ctx.store.theorems(repo, status="sorry"))
        status, info = "skipped", {"reason": PROVE_SKIPPED, "sorry_theorems": sorries}
    else:
        state = ctx.state
        seen = [state.repo_at(p) for p in range(pos + 1)]
        status, info = ctx.prove(ctx.store, repo, checkpoint_id=_trained_checkpoint(ctx, pos), run_id=state.run_id,
                                 seen=seen)
        ctx.on_event(f"[{pos + 1}] {repo.name}: prove: {prove_line(info)}")
    ctx.state.mark_finished(pos, repo.id, "prove", info, status=status)


_STAGE_FUNCS: dict[str, Callable[[_Ctx, int, Repository], None]] = {
    "data": _stage_data,
    "baseline": _stage_baseline,
    "train": _stage_train,
    "fisher": _stage_fisher,
    "index": _stage_index,
    "evaluate": _stage_evaluate,
    "prove": _stage_prove,
}
