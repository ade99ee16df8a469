"""Runs side by side: per repository, each run's final test R@10 (with its bootstrap 95%
interval) next to the baselines measured on the same run's test split, and the margin
over the best of them; AA, BWT and FWT per run.

Made for the two splits (``leanagent run`` and ``leanagent run --split-scheme
novel_premises``): each run is measured on its own split, so each row carries its own
baselines and test-query count, and a margin is only ever taken against baselines on the
same test queries. ``leanagent metrics --run A --run B`` prints it (`compare_runs`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from database.errors import RunError
from database.store import Store

#: Metrics shown per run (textbook definitions, `leanagent.metrics`).
RUN_METRICS = ("AA", "BWT", "FWT")


def _cell(metric: dict[str, Any] | None) -> dict[str, Any]:
    m = metric or {}
    return {"r10": m.get("r10"), "r10_ci": m.get("r10_ci"), "num_queries": m.get("num_queries")}


def _run_rows(store: Store, name: str, window: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(the run's summary, one row per repository it learned, in its order)."""
    from leanagent.lifelong import BASELINE_METHODS, RunConfig, find_run, run_report

    report = run_report(store, name, window=window)
    run = find_run(store, name)
    data = RunConfig.from_json(run.config).train.data
    info = {(s.position, s.stage): s.info for s in store.runs.stages(run.id)}
    last = len(report["order"]) - 1
    final = info.get((last, "evaluate"), {}).get("test", []) if last >= 0 else []
    rows = []
    for pos, (repo, cell) in enumerate(zip(report["order"], final, strict=True)):
        own = info[(pos, "evaluate")]["test"][pos]  # right after training on it (the diagonal)
        baselines = {m: _cell(info.get((pos, "baseline"), {}).get(m)) for m in BASELINE_METHODS}
        known = {m: b["r10"] for m, b in baselines.items() if b["r10"] is not None}
        best = max(known, key=lambda m: known[m]) if known else None
        r10 = cell.get("r10")
        rows.append({
            "run": report["run"], "repo": repo, "repo_id": cell["repo_id"], "position": pos,
            "method": cell.get("method", report["config"].get("matrix", "dense")), "note": cell.get("note"),
            **_cell(cell), "after_own_step": _cell(own), "baselines": baselines, "best_baseline": best,
            "margin": None if r10 is None or best is None else round(r10 - known[best], 2),
        })
    metrics = report.get("metrics") or {}
    summary = {
        "name": report["run"], "scheme": data.scheme, "split": data.split, "queries": data.queries,
        "matrix": report["config"].get("matrix", "dense"), "repositories": len(report["order"]),
        "metrics": {k: metrics.get(k) for k in RUN_METRICS},
        "note": report.get("metrics_note") or (None if report["order"] else "no repository learned yet"),
    }
    return summary, rows


def compare_runs(store: Store, names: Sequence[str], *, window: int = 5) -> dict[str, Any]:
    """The runs ``names`` side by side (see the module doc). ``repositories``: one entry
    per repository any of them learned (the first run's order, then the others'), each
    with one row per run that learned it, in the order of ``names``. ``differs``: the
    configuration fields where each later run differs from the first."""
    from leanagent.lifelong import find_run
    from leanagent.lifelong.config import config_diff

    if len(set(names)) != len(names):
        twice = sorted({n for n in names if list(names).count(n) > 1})
        raise RunError(f"run {', '.join(twice)} is named more than once: name each run to compare once")
    if not names:
        raise RunError("no run to compare: name them (`leanagent metrics --run A --run B`)")
    runs, by_repo, order = [], {}, []
    for name in names:
        summary, rows = _run_rows(store, name, window)
        runs.append(summary)
        for row in rows:
            if row["repo_id"] not in by_repo:
                by_repo[row["repo_id"]] = {"repo": row["repo"], "repo_id": row["repo_id"], "runs": []}
                order.append(row["repo_id"])
            by_repo[row["repo_id"]]["runs"].append(row)
    first = find_run(store, names[0]).config
    differs = {n: config_diff(first, find_run(store, n).config) for n in names[1:]}
    return {"runs": runs, "repositories": [by_repo[i] for i in order], "differs": differs}
