"""Reading a run's results: the accuracy matrix, V, baselines and metrics."""

from __future__ import annotations

from typing import Any

from database.store import Store
from leanagent.metrics import MetricsConfig, compute_all

from .loop import BASELINE_METHODS, prove_line
from .state import RunState, find_run


def run_report(store: Store, name: str | None = None, *, window: int = 5) -> dict[str, Any]:
    """The accuracy matrix, V, baselines and metrics of a run (completed positions only)."""
    run = find_run(store, name)
    state = RunState.load(store, run.id)
    stages = state.stages
    positions = [p for p in state.positions() if (p, "evaluate") in stages and stages[(p, "evaluate")].status == "done"]
    # The matrix needs consecutive steps from the first one.
    positions = [p for i, p in enumerate(positions) if p == i]
    names = {r.id: r.name for r in state.repos.values()}

    def info(p: int, stage: str) -> dict[str, Any]:
        row = stages.get((p, stage))
        return row.info if row is not None else {}

    order = [names.get(stages[(p, "plan")].repo_id, str(stages[(p, "plan")].repo_id)) for p in positions]
    R: list[list[float | None]] = [[t["r10"] for t in info(p, "evaluate")["test"]] for p in positions]
    V: list[float | None] = [info(p, "evaluate")["val"]["r10"] for p in positions]
    baselines: dict[str, list[float | None]] = {m: [] for m in BASELINE_METHODS}
    pre: list[float | None] = []
    for p in positions:
        b = info(p, "baseline")
        for m in BASELINE_METHODS:
            baselines[m].append((b.get(m) or {}).get("r10"))
        pre.append((b.get("pre") or {}).get("r10"))
    report: dict[str, Any] = {
        "run": run.name,
        "config": run.config,
        "order": order,
        "reasons": [info(p, "plan").get("reason") for p in positions],
        "checkpoints": [info(p, "train").get("checkpoint_id") for p in positions],
        "R": R,
        "V": V,
        "pre": pre,
        "baselines": baselines,
        "prove": [prove_line(info(p, "prove")) if (p, "prove") in stages else None for p in positions],
        "metrics": {},
    }
    # Pass@1 after step i on repositories 0..i, where the prove stage measured it.
    P = [[e.get("pass_at_1") for e in info(p, "prove").get("evaluate", [])] for p in positions]
    if any(P):
        report["P"] = P
    full_R = [[x for x in row if x is not None] for row in R]
    full_V = [v for v in V if v is not None]
    complete = bool(R) and all(len(a) == len(b) for a, b in zip(full_R, R, strict=True)) and len(full_V) == len(V)
    if complete:
        report["metrics"] = compute_all(full_R, full_V, pre=pre, base=baselines["untrained"],
                                        config=MetricsConfig(window=window))
    elif R:
        report["metrics_note"] = "some repository has no test or validation queries: metrics not computed"
    return report
