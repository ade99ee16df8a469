"""The lifelong-learning loop as a resumable state machine.

A *run* learns repositories one after another, in curriculum order. Per repository
(one *position* of the run) the stages are::

    plan -> data -> baseline -> train -> [fisher] -> index -> evaluate -> prove

* ``plan``: why the repository sits at this position (the ordering's reason);
* ``data``: its train/val/test split, and which repositories this step trains on
  (``single``: it alone, as LeanAgent; ``replay``: it plus a seeded sample of earlier
  ones; ``merge``: all so far);
* ``baseline``: BM25, locality and the untrained encoder on its test split, and the
  previous checkpoint on it *before* training (for Forward Transfer);
* ``train``: one epoch by default, from the previous checkpoint or the base model
  depending on the strategy;
* ``fisher`` (only with EWC): the diagonal Fisher at the new checkpoint, used by the
  next step's penalty -- computed here, not by a separate script as in LeanAgent;
* ``index``: the checkpoint's FAISS index over every premise;
* ``evaluate``: test R@10 on every repository seen so far (one row of the accuracy
  matrix R) and validation R@10 on the new one (V);
* ``prove``: recorded as skipped until the prover exists.

All state is in the database: ``runs`` (one row, the config), ``run_stages`` (one row
per position and stage, primary key (run, position, stage)), ``checkpoints`` and
``evaluations`` (written by the learner). A stage is marked ``done`` in one transaction
with its results, after its work; a process killed at any moment (SIGKILL included)
therefore resumes with the first stage not ``done``: finished stages are never redone,
and since the matrix row lives in the ``evaluate`` stage row it cannot be duplicated.
The one waste a kill can cause is a checkpoint registered by ``train`` just before the
kill and not yet recorded as done; it is retrained (and the orphan row stays).
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from curriculum import DYNAMIC_ORDERS, ORDERS, CurriculumConfig, order_repositories, progress_history
from database.errors import ConfigError, LeanAgentError
from database.store import Repository, Store, utcnow

log = logging.getLogger(__name__)

STRATEGIES = ("progressive", "naive", "merge", "scratch")
DATA_MODES = ("single", "replay", "merge")
BASELINE_METHODS = ("bm25", "locality", "untrained")
PROVE_SKIPPED = "skipped: no prover yet (issue on proof search)"

#: strategy -> (start from the previous checkpoint?, carry the optimizer state?, default data)
_STRATEGY = {
    "progressive": (True, True, "single"),  # LeanAgent
    "naive": (True, False, "single"),  # plain fine-tuning on the new repository
    "merge": (True, True, "merge"),  # LeanAgent's merge-all experiments
    "scratch": (False, False, "merge"),  # retrain from the base model on everything so far
}


class RunError(LeanAgentError):
    """A lifelong run cannot start or continue."""


class RunConfigMismatch(RunError):
    """A run with this name exists with a different configuration."""


@dataclass(frozen=True)
class RunConfig:
    strategy: str = "progressive"
    order: str = "easy-count"
    #: None: the strategy's default (single for progressive/naive, merge otherwise).
    data: str | None = None
    #: Earlier repositories sampled into each step's data in ``replay`` mode.
    replay: int = 0
    ewc: bool = False
    ewc_lambda: float = 0.1
    epochs: int = 1
    seed: int = 3407
    curriculum: CurriculumConfig = field(default_factory=CurriculumConfig)
    #: Retriever options (None: the retriever's defaults); part of the run's identity.
    model: str | None = None
    max_steps: int | None = None
    batch_size: int | None = None
    max_length: int | None = None

    def __post_init__(self) -> None:
        if self.strategy not in STRATEGIES:
            raise ConfigError(f"unknown strategy {self.strategy!r}: choose one of {', '.join(STRATEGIES)}")
        if self.order not in ORDERS:
            raise ConfigError(f"unknown order {self.order!r}: choose one of {', '.join(ORDERS)}")
        if self.data is not None and self.data not in DATA_MODES:
            raise ConfigError(f"unknown data mode {self.data!r}: choose one of {', '.join(DATA_MODES)}")
        if self.replay < 0 or self.epochs < 1:
            raise ConfigError("--replay must be >= 0 and --epochs >= 1")
        if self.replay and self.data_mode != "replay":
            raise ConfigError(f"--replay {self.replay} needs --data replay (the data mode is {self.data_mode})")

    @property
    def data_mode(self) -> str:
        if self.data is not None:
            return self.data
        return "replay" if self.replay else _STRATEGY[self.strategy][2]

    def default_name(self) -> str:
        parts = [self.strategy, self.order, self.data_mode]
        if self.data_mode == "replay":
            parts.append(str(self.replay))
        if self.ewc:
            parts.append("ewc")
        if self.epochs != 1:
            parts.append(f"e{self.epochs}")
        return "-".join(parts)

    def as_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["data"] = self.data_mode
        return d


class Learner(Protocol):
    """What the loop needs from a retriever. `RetrieverLearner` is the real one; tests
    inject fast deterministic learners through this seam."""

    def prepare(self, repo: Repository) -> None:
        """Make the repository's train/val/test split exist (idempotent)."""

    def train(
        self, *, repos: list[Repository], parent: int | None, resume_optimizer: bool, fisher_path: str | None
    ) -> int:
        """Train one step; register and return a checkpoint id."""

    def fisher(self, *, checkpoint_id: int, repos: list[Repository]) -> str:
        """Compute the diagonal Fisher at the checkpoint; return its path."""

    def index(self, *, checkpoint_id: int) -> dict[str, Any]:
        """Index every premise with the checkpoint; return a JSON-able summary."""

    def evaluate(
        self, *, checkpoint_id: int | None, repos: list[Repository], split: str, methods: tuple[str, ...]
    ) -> dict[tuple[int, str], dict[str, Any]]:
        """Metrics per (repo id, method); rows also go to ``evaluations``."""


@dataclass(frozen=True)
class RunSummary:
    run_id: int
    name: str
    positions: int
    stages_done: int
    status: str


# -- database helpers ---------------------------------------------------------------------


def _stage_rows(store: Store, run_id: int) -> dict[tuple[int, str], dict[str, Any]]:
    out = {}
    for pos, repo_id, stage, status, info, started, finished in store.conn.execute(
        "SELECT position, repo_id, stage, status, info, started_at, finished_at FROM run_stages "
        "WHERE run_id = ? ORDER BY position",
        (run_id,),
    ):
        out[(pos, stage)] = {
            "repo_id": repo_id,
            "status": status,
            "info": json.loads(info or "{}"),
            "started_at": started,
            "finished_at": finished,
        }
    return out


def _finished(status: str) -> bool:
    return status in ("done", "skipped")


def open_run(store: Store, config: RunConfig, *, name: str | None = None) -> int:
    """The id of the run named ``name`` (default: derived from the config), created if
    new; a different config under an existing name is refused."""
    name = name or config.default_name()
    row = store.conn.execute("SELECT id, config FROM runs WHERE name = ?", (name,)).fetchone()
    wanted = json.loads(json.dumps(config.as_json()))  # tuples become lists, as stored
    if row is not None:
        stored = json.loads(row[1])
        if stored != wanted:
            diff = sorted(k for k in set(stored) | set(wanted) if stored.get(k) != wanted.get(k))
            raise RunConfigMismatch(
                f"run '{name}' exists with a different configuration ({', '.join(diff)} differ): "
                "continue it with its original options, or start another with --name NEW"
            )
        return int(row[0])
    now = utcnow()
    with store.atomic():
        cur = store.conn.execute(
            "INSERT INTO runs (name, config, status, created_at, updated_at) VALUES (?, ?, 'created', ?, ?)",
            (name, json.dumps(wanted, sort_keys=True), now, now),
        )
    return int(cur.lastrowid)


def find_run(store: Store, name: str | None = None) -> tuple[int, str, dict[str, Any]]:
    """(id, name, config) of the named run, or of the most recently updated one."""
    if name is not None:
        row = store.conn.execute("SELECT id, name, config FROM runs WHERE name = ?", (name,)).fetchone()
    else:
        row = store.conn.execute("SELECT id, name, config FROM runs ORDER BY updated_at DESC, id DESC").fetchone()
    if row is None:
        known = [r[0] for r in store.conn.execute("SELECT name FROM runs ORDER BY id")]
        what = f"no run named '{name}'" if name else "no lifelong run yet"
        raise RunError(f"{what} (runs: {', '.join(known) or 'none'}): start one with `leanagent run`")
    return int(row[0]), row[1], json.loads(row[2])


def _set_run_status(store: Store, run_id: int, status: str) -> None:
    with store.atomic():
        store.conn.execute("UPDATE runs SET status = ?, updated_at = ? WHERE id = ?", (status, utcnow(), run_id))


def _mark_running(store: Store, run_id: int, pos: int, repo_id: int, stage: str) -> None:
    with store.atomic():
        store.conn.execute(
            "INSERT INTO run_stages (run_id, position, repo_id, stage, status, started_at) "
            "VALUES (?, ?, ?, ?, 'running', ?) ON CONFLICT (run_id, position, stage) "
            "DO UPDATE SET status = 'running', started_at = excluded.started_at",
            (run_id, pos, repo_id, stage, utcnow()),
        )


def _mark_finished(
    store: Store, run_id: int, pos: int, repo_id: int, stage: str, info: dict, *, status: str = "done",
    extra: Callable[[], None] | None = None,
) -> None:
    now = utcnow()
    with store.atomic():
        store.conn.execute(
            "INSERT INTO run_stages (run_id, position, repo_id, stage, status, info, started_at, finished_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_id, position, stage) "
            "DO UPDATE SET status = excluded.status, info = excluded.info, finished_at = excluded.finished_at",
            (run_id, pos, repo_id, stage, status, json.dumps(info, sort_keys=True, default=str), now, now),
        )
        store.conn.execute("UPDATE runs SET updated_at = ? WHERE id = ?", (now, run_id))
        if extra is not None:
            extra()


# -- the loop -------------------------------------------------------------------------------


def stages_for(config: RunConfig) -> tuple[str, ...]:
    base = ["data", "baseline", "train"]
    if config.ewc:
        base.append("fisher")
    return (*base, "index", "evaluate", "prove")


@dataclass
class _Ctx:
    store: Store
    learner: Learner
    config: RunConfig
    run_id: int
    repos: dict[int, Repository]
    rows: dict[tuple[int, str], dict[str, Any]]
    on_event: Callable[[str], None]

    def repo_at(self, pos: int) -> Repository:
        return self.repos[self.rows[(pos, "plan")]["repo_id"]]

    def positions(self) -> list[int]:
        return sorted(p for (p, s) in self.rows if s == "plan")

    def info(self, pos: int, stage: str) -> dict[str, Any]:
        return self.rows[(pos, stage)]["info"]

    def checkpoint_at(self, pos: int) -> int | None:
        return None if pos < 0 else self.info(pos, "train")["checkpoint_id"]

    def lineage(self, upto: int) -> list[int | None]:
        return [None, *(self.checkpoint_at(p) for p in range(upto + 1))]


def run_lifelong(
    store: Store,
    learner: Learner,
    config: RunConfig,
    *,
    repos: Sequence[Repository] | None = None,
    name: str | None = None,
    on_event: Callable[[str], None] | None = None,
) -> RunSummary:
    """Run (or continue) the lifelong loop until every repository in ``repos`` (default:
    all) is learned. Safe to call again after any interruption."""
    run_id = open_run(store, config, name=name)
    all_repos = {r.id: r for r in store.repositories()}
    wanted = list(repos) if repos is not None else list(all_repos.values())
    ctx = _Ctx(store, learner, config, run_id, all_repos, _stage_rows(store, run_id), on_event or log.info)
    missing = [p for p in ctx.positions() if ctx.rows[(p, "plan")]["repo_id"] not in all_repos]
    if missing:
        raise RunError(f"run {run_id} refers to repositories no longer in the database (positions {missing})")
    _set_run_status(store, run_id, "running")
    stages = stages_for(config)
    while True:
        pos = next(
            (p for p in ctx.positions() if not all(_finished(ctx.rows.get((p, s), {}).get("status", "")) for s in stages)),
            None,
        )
        if pos is None:
            if not _plan(ctx, wanted):
                break
            continue
        for stage in stages:
            row = ctx.rows.get((pos, stage))
            if row is not None and _finished(row["status"]):
                continue
            repo = ctx.repo_at(pos)
            ctx.on_event(f"[{pos + 1}] {repo.name}: {stage}")
            _mark_running(store, run_id, pos, repo.id, stage)
            _STAGE_FUNCS[stage](ctx, pos, repo)
            ctx.rows = _stage_rows(store, run_id)
    _set_run_status(store, run_id, "done")
    done = sum(1 for r in ctx.rows.values() if _finished(r["status"]))
    return RunSummary(run_id, name or config.default_name(), len(ctx.positions()), done, "done")


def _plan(ctx: _Ctx, wanted: Sequence[Repository]) -> bool:
    """Append positions for repositories not yet in the run; False when none is left."""
    planned = {ctx.rows[(p, "plan")]["repo_id"] for p in ctx.positions()}
    todo = [r for r in wanted if r.id not in planned]
    if not todo:
        return False
    history = None
    dynamic = ctx.config.order in DYNAMIC_ORDERS
    start = len(ctx.positions())
    if dynamic:
        lineage = ctx.lineage(start - 1)
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
        _mark_finished(ctx.store, ctx.run_id, start + i, p.repo_id, "plan", info)
        ctx.on_event(f"[{start + i + 1}] {p.name}: {p.reason}")
    ctx.rows = _stage_rows(ctx.store, ctx.run_id)
    return True


def _stage_data(ctx: _Ctx, pos: int, repo: Repository) -> None:
    ctx.learner.prepare(repo)
    earlier = [ctx.repo_at(p) for p in range(pos)]
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
    info = {"mode": mode, "train_repo_ids": [r.id for r in train], "train_repos": [r.name for r in train],
            "why": why}
    _mark_finished(ctx.store, ctx.run_id, pos, repo.id, "data", info)


def _metric(res: dict[tuple[int, str], dict[str, Any]], repo_id: int, method: str) -> dict[str, Any]:
    m = res.get((repo_id, method)) or {}
    return {k: m.get(k) for k in ("r1", "r10", "mrr", "num_queries")}


def _stage_baseline(ctx: _Ctx, pos: int, repo: Repository) -> None:
    res = ctx.learner.evaluate(checkpoint_id=None, repos=[repo], split="test", methods=BASELINE_METHODS)
    info: dict[str, Any] = {m: _metric(res, repo.id, m) for m in BASELINE_METHODS}
    prev = ctx.checkpoint_at(pos - 1)
    if prev is None:
        info["pre"] = info["untrained"]
        info["pre_checkpoint_id"] = None
    else:
        pre = ctx.learner.evaluate(checkpoint_id=prev, repos=[repo], split="test", methods=("dense",))
        info["pre"] = _metric(pre, repo.id, "dense")
        info["pre_checkpoint_id"] = prev
    _mark_finished(ctx.store, ctx.run_id, pos, repo.id, "baseline", info)


def _stage_train(ctx: _Ctx, pos: int, repo: Repository) -> None:
    from_previous, carry_optimizer, _ = _STRATEGY[ctx.config.strategy]
    parent = ctx.checkpoint_at(pos - 1) if from_previous else None
    fisher_path = None
    if ctx.config.ewc and pos > 0 and parent is not None:
        fisher_path = ctx.info(pos - 1, "fisher")["path"]
    ids = ctx.info(pos, "data")["train_repo_ids"]
    train_repos = [ctx.repos[i] for i in ids]
    resume = bool(carry_optimizer and parent is not None)
    ckpt = ctx.learner.train(repos=train_repos, parent=parent, resume_optimizer=resume, fisher_path=fisher_path)
    info = {"checkpoint_id": ckpt, "parent_checkpoint_id": parent, "resume_optimizer": resume,
            "fisher_path": fisher_path, "epochs": ctx.config.epochs}
    _mark_finished(ctx.store, ctx.run_id, pos, repo.id, "train", info)


def _stage_fisher(ctx: _Ctx, pos: int, repo: Repository) -> None:
    ckpt = ctx.checkpoint_at(pos)
    ids = ctx.info(pos, "data")["train_repo_ids"]
    path = ctx.learner.fisher(checkpoint_id=ckpt, repos=[ctx.repos[i] for i in ids])  # type: ignore[arg-type]
    _mark_finished(ctx.store, ctx.run_id, pos, repo.id, "fisher", {"path": str(path), "checkpoint_id": ckpt})


def _stage_index(ctx: _Ctx, pos: int, repo: Repository) -> None:
    info = ctx.learner.index(checkpoint_id=ctx.checkpoint_at(pos))  # type: ignore[arg-type]
    _mark_finished(ctx.store, ctx.run_id, pos, repo.id, "index", info)


def _stage_evaluate(ctx: _Ctx, pos: int, repo: Repository) -> None:
    ckpt = ctx.checkpoint_at(pos)
    seen = [ctx.repo_at(p) for p in range(pos + 1)]
    test = ctx.learner.evaluate(checkpoint_id=ckpt, repos=seen, split="test", methods=("dense",))
    val = ctx.learner.evaluate(checkpoint_id=ckpt, repos=[repo], split="val", methods=("dense",))
    info: dict[str, Any] = {
        "checkpoint_id": ckpt,
        "test": [{"repo_id": r.id, **_metric(test, r.id, "dense")} for r in seen],
        "val": _metric(val, repo.id, "dense"),
    }
    if ctx.config.order in DYNAMIC_ORDERS:
        planned = {ctx.rows[(p, "plan")]["repo_id"] for p in ctx.positions()}
        candidates = [r for r in ctx.repos.values() if r.id not in planned]
        if candidates:
            # The teacher's next measurement of every candidate (stored in evaluations).
            for r in candidates:
                ctx.learner.prepare(r)
            ctx.learner.evaluate(checkpoint_id=ckpt, repos=candidates, split="val", methods=("dense",))
            info["probed_repo_ids"] = [r.id for r in candidates]

    own = [c for c in ctx.lineage(pos) if c is not None]

    def tag() -> None:
        # The learner wrote the evaluations; tie the rows of this run's checkpoints
        # (including pre-training evaluations made since) to the run.
        marks = ",".join("?" * len(own))
        ctx.store.conn.execute(
            f"UPDATE evaluations SET run_id = ? WHERE checkpoint_id IN ({marks}) AND run_id IS NULL",
            (ctx.run_id, *own),
        )

    _mark_finished(ctx.store, ctx.run_id, pos, repo.id, "evaluate", info, extra=tag)


def _stage_prove(ctx: _Ctx, pos: int, repo: Repository) -> None:
    sorries = len(ctx.store.theorems(repo, status="sorry"))
    info = {"reason": PROVE_SKIPPED, "sorry_theorems": sorries}
    _mark_finished(ctx.store, ctx.run_id, pos, repo.id, "prove", info, status="skipped")


_STAGE_FUNCS: dict[str, Callable[[_Ctx, int, Repository], None]] = {
    "data": _stage_data,
    "baseline": _stage_baseline,
    "train": _stage_train,
    "fisher": _stage_fisher,
    "index": _stage_index,
    "evaluate": _stage_evaluate,
    "prove": _stage_prove,
}


# -- reading results -----------------------------------------------------------------------


def run_report(store: Store, name: str | None = None, *, window: int = 5) -> dict[str, Any]:
    """The accuracy matrix, V, baselines and metrics of a run (completed positions only)."""
    from leanagent.metrics import MetricsConfig, compute_all

    run_id, run_name, config = find_run(store, name)
    rows = _stage_rows(store, run_id)
    positions = sorted(p for (p, s) in rows if s == "plan" and (p, "evaluate") in rows
                       and rows[(p, "evaluate")]["status"] == "done")
    # The matrix needs consecutive steps from the first one.
    positions = [p for i, p in enumerate(positions) if p == i]
    names = {r.id: r.name for r in store.repositories()}
    order = [names.get(rows[(p, "plan")]["repo_id"], str(rows[(p, "plan")]["repo_id"])) for p in positions]
    R: list[list[float | None]] = []
    V: list[float | None] = []
    for p in positions:
        info = rows[(p, "evaluate")]["info"]
        R.append([t["r10"] for t in info["test"]])
        V.append(info["val"]["r10"])
    baselines: dict[str, list[float | None]] = {m: [] for m in BASELINE_METHODS}
    pre: list[float | None] = []
    for p in positions:
        b = rows.get((p, "baseline"), {}).get("info", {})
        for m in BASELINE_METHODS:
            baselines[m].append((b.get(m) or {}).get("r10"))
        pre.append((b.get("pre") or {}).get("r10"))
    report: dict[str, Any] = {
        "run": run_name,
        "config": config,
        "order": order,
        "reasons": [rows[(p, "plan")]["info"].get("reason") for p in positions],
        "checkpoints": [rows[(p, "train")]["info"].get("checkpoint_id") for p in positions],
        "R": R,
        "V": V,
        "pre": pre,
        "baselines": baselines,
        "prove": [rows.get((p, "prove"), {}).get("info", {}).get("reason") for p in positions],
        "metrics": {},
    }
    complete = R and all(x is not None for row in R for x in row) and all(v is not None for v in V)
    if complete:
        report["metrics"] = compute_all(
            R,  # type: ignore[arg-type]
            V,  # type: ignore[arg-type]
            pre=pre,
            base=baselines["untrained"],
            config=MetricsConfig(window=window),
        )
    elif R:
        report["metrics_note"] = "some repository has no test or validation queries: metrics not computed"
    return report


# -- the real learner ------------------------------------------------------------------------


@dataclass(frozen=True)
class RetrieverLearner:
    """`Learner` over `prover.retrieval.api` (the dense premise retriever)."""

    store: Store
    home: Any  # database.home.Home
    train_config: Any  # prover.retrieval.api.TrainConfig
    eval_config: Any  # prover.retrieval.api.EvalConfig
    ewc_lambda: float = 0.0

    @classmethod
    def create(cls, store: Store, home: Any, config: RunConfig, *, progress: bool = False) -> RetrieverLearner:
        """``progress``: tqdm bars on stderr for training and encoding (a display choice,
        so not part of the run's configuration)."""
        from prover.retrieval import api

        overrides: dict[str, Any] = {"epochs": config.epochs, "seed": config.seed, "progress": progress}
        eval_overrides: dict[str, Any] = {"progress": progress}
        if config.model is not None:
            overrides["model"] = eval_overrides["model"] = config.model
        if config.max_length is not None:
            overrides["max_length"] = eval_overrides["max_length"] = config.max_length
        if config.batch_size is not None:
            overrides["batch_size"] = config.batch_size
        if config.max_steps is not None:
            overrides["max_steps"] = config.max_steps
        return cls(store, home, api.TrainConfig(**overrides), api.EvalConfig(**eval_overrides),
                   config.ewc_lambda if config.ewc else 0.0)

    def prepare(self, repo: Repository) -> None:
        from prover.retrieval import api

        api.ensure_splits(self.store, repo, self.train_config)

    def train(
        self, *, repos: list[Repository], parent: int | None, resume_optimizer: bool, fisher_path: str | None
    ) -> int:
        from dataclasses import replace

        from prover.retrieval import api

        config = self.train_config
        if fisher_path is not None and self.ewc_lambda > 0:
            config = replace(config, ewc_lambda=self.ewc_lambda, fisher_path=fisher_path)
        return api.train_retriever(self.store, self.home, repos=repos, parent_checkpoint_id=parent,
                                   config=config, resume_optimizer=resume_optimizer)

    def fisher(self, *, checkpoint_id: int, repos: list[Repository]) -> str:
        from prover.retrieval import api

        return str(api.compute_fisher(self.store, self.home, checkpoint_id=checkpoint_id, repos=repos,
                                      config=self.train_config))

    def index(self, *, checkpoint_id: int) -> dict[str, Any]:
        from prover.retrieval import api

        ix = api.build_index(self.store, self.home, checkpoint_id=checkpoint_id, config=self.eval_config)
        return {"index_id": ix.id, "path": str(ix.path), "num_vectors": ix.num_vectors, "added": ix.added}

    def evaluate(
        self, *, checkpoint_id: int | None, repos: list[Repository], split: str, methods: tuple[str, ...]
    ) -> dict[tuple[int, str], dict[str, Any]]:
        from prover.retrieval import api

        return api.evaluate_retriever(self.store, self.home, checkpoint_id=checkpoint_id, repos=repos,
                                      split=split, methods=methods, config=self.eval_config)
