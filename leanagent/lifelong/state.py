"""A run's state, as the loop reads and advances it: which repository sits at each
position, which stages are finished and what they found. Everything lives in the
database (``store.runs``: the ``runs`` and ``run_stages`` tables); this module is the
loop's view of it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from database.errors import RunConfigMismatch, RunError
from database.runs import Run, Stage
from database.store import Repository, Store

from .config import RunConfig, config_diff


def stages_for(config: RunConfig) -> tuple[str, ...]:
    """The stages of one position, in order (``plan`` comes before all of them)."""
    base = ["data", "baseline", "train"]
    if config.ewc:
        base.append("fisher")
    return (*base, "index", "evaluate", "prove")


def open_run(store: Store, config: RunConfig, *, name: str | None = None) -> int:
    """The id of the run named ``name`` (default: derived from the config), created if
    new; a different config under an existing name is refused."""
    name = name or config.default_name()
    wanted = config.as_json()
    run = store.runs.get(name)
    if run is None:
        return store.runs.create(name, wanted)
    stored = RunConfig.from_json(run.config).as_json()
    if stored != wanted:
        raise RunConfigMismatch(
            f"run '{name}' exists with a different configuration ({', '.join(config_diff(stored, wanted))} "
            "differ): continue it with its original options (`leanagent runs show NAME` lists them), or start "
            "another with --name NEW"
        )
    if run.config != wanted:  # stored in an older layout: store it as it reads now
        store.runs.set_config(run.id, wanted)
    return run.id


def find_run(store: Store, name: str | None = None) -> Run:
    """The named run, or the most recently updated one."""
    run = store.runs.get(name) if name is not None else store.runs.latest()
    if run is None:
        known = [r.name for r in store.runs.all()]
        what = f"no run named '{name}'" if name else "no lifelong run yet"
        raise RunError(f"{what} (runs: {', '.join(known) or 'none'}): start one with `leanagent run`")
    return run


@dataclass
class RunState:
    """The stages of one run, keyed by (position, stage), reloaded after every write."""

    store: Store
    run_id: int
    repos: dict[int, Repository]
    stages: dict[tuple[int, str], Stage] = field(default_factory=dict)

    @classmethod
    def load(cls, store: Store, run_id: int) -> RunState:
        state = cls(store, run_id, {r.id: r for r in store.repositories()})
        state.reload()
        return state

    def reload(self) -> None:
        self.stages = {(s.position, s.stage): s for s in self.store.runs.stages(self.run_id)}

    def positions(self) -> list[int]:
        return sorted(p for (p, s) in self.stages if s == "plan")

    def planned_repo_ids(self) -> set[int]:
        return {self.stages[(p, "plan")].repo_id for p in self.positions()}

    def repo_at(self, pos: int) -> Repository:
        return self.repos[self.stages[(pos, "plan")].repo_id]

    def finished(self, pos: int, stage: str) -> bool:
        row = self.stages.get((pos, stage))
        return row is not None and row.finished

    def info(self, pos: int, stage: str) -> dict[str, Any]:
        return self.stages[(pos, stage)].info

    def checkpoint_at(self, pos: int) -> int | None:
        """The checkpoint trained at ``pos`` (None before the first position)."""
        if pos < 0:
            return None
        ckpt = self.info(pos, "train")["checkpoint_id"]
        return None if ckpt is None else int(ckpt)

    def lineage(self, upto: int) -> list[int | None]:
        """None (the untrained encoder), then the checkpoints of positions 0..upto."""
        return [None, *(self.checkpoint_at(p) for p in range(upto + 1))]

    def mark_running(self, pos: int, repo_id: int, stage: str) -> None:
        self.store.runs.mark_running(self.run_id, pos, repo_id, stage)

    def mark_finished(self, pos: int, repo_id: int, stage: str, info: dict[str, Any], *, status: str = "done",
                      also: Callable[[], None] | None = None) -> None:
        self.store.runs.mark_finished(self.run_id, pos, repo_id, stage, info, status=status, also=also)
        self.reload()
