"""Speed of the proof report: writing the static site of a large database, and loading
its pages in headless Chromium (targets: written in <= 10 s; largest page ready in <= 2 s).

    python benchmarks/report.py [--quick] [--theorems N] [--repeat 3]

The database: 10 repositories with 30,000 own theorems in all (skewed: the largest holds
a third, so its page carries a 10k-row table), a shared dependency file, `sorry`s, a
finished lifelong run over all ten (the deterministic learner of the lifelong tests),
500 training steps per checkpoint, proof attempts on 1 theorem in 6 and proofs for the
proved ones. Built through `Store.ingest` and the lifelong loop, plus direct inserts for
steps and attempts (as tests/report_fixture.py does).

"Ready" is the page's own signal (``document.body.dataset.ready``): every table drawn
and every plot rendered by Plotly, measured from navigation. The largest page (by bytes)
is loaded ``--repeat`` times in a browser that already loaded the others; the median
counts. The slowest page is printed too. Ratios: 10 s / write time, 2 s / load time;
`ratio` is the smaller, `ok` false when either misses. Ends with one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # the deterministic learner of the lifelong tests

WRITE_TARGET_S = 10.0
LOAD_TARGET_S = 2.0
SHARES = (10, 5, 3, 3, 2, 2, 2, 1.5, 1, 0.5)  # of 30: the largest repository holds a third


def build(store, total: int) -> dict:
    from test_lifelong import FakeLearner

    from database.records import FileRecord, PremiseRecord, RepoInfo, SorryRecord, StepRecord, TheoremRecord
    from leanagent.lifelong import RunConfig, run_lifelong

    dep = ".lake/packages/core/Core.lean"
    sizes = [round(total * s / sum(SHARES)) for s in SHARES]
    sizes[0] += total - sum(sizes)
    for r, n in enumerate(sizes):
        name = f"Repo{r}"
        with store.ingest(RepoInfo(url=f"https://example.org/bench/{name}", name=name, commit=f"{r:040d}",
                                   tracer="static")) as w:
            w.add_file(FileRecord(path=dep, imports=[], content_hash="core", premises=[
                PremiseRecord(f"Core.q{i}", f"theorem q{i} : True", "theorem", (i * 2 + 1, 1), (i * 2 + 2, 5))
                for i in range(50)]))
            per_file = 500
            for f in range((n + per_file - 1) // per_file):
                path = f"{name}/Part{f}.lean"
                w.add_file(FileRecord(path=path, imports=[dep], premises=[], content_hash=f"{name}-{f}"))
                for t in range(f * per_file, min(n, (f + 1) * per_file)):
                    line = 10 + (t - f * per_file) * 6
                    sorry = t % 13 == 0
                    k = 1 + (t * 7919) % 9
                    w.add_theorem(TheoremRecord(
                        file_path=path, full_name=f"{name}.Part{f}.lemma_{t}", start=(line, 1), end=(line + 5, 1),
                        statement=f"theorem lemma_{t} (a b : Nat) (h : a ≤ b) : a + {t} ≤ b + {t} ∧ 0 ≤ {k}",
                        steps=[StepRecord("simp")] * (1 if sorry else k), num_steps=1 if sorry else k,
                        sorries=[SorryRecord(line + 1, 3, "tactic")] if sorry else [], proof_style="tactic"))
    run_lifelong(store, FakeLearner(store), RunConfig(order="given"), name="bench-run")
    ckpts = [c for (c,) in store.conn.execute("SELECT id FROM checkpoints ORDER BY id")]
    theorems = [t for (t,) in store.conn.execute("SELECT id FROM theorems WHERE is_dependency = 0 ORDER BY id")]
    with store.atomic():
        store.conn.executemany(
            "INSERT INTO training_steps (checkpoint_id, step, loss, lr, seconds, examples) VALUES (?, ?, ?, ?, ?, ?)",
            [(c, s, 3.0 / (1 + s / 50) + 0.01 * c, 1e-4, s * 0.4, s * 16) for c in ckpts for s in range(1, 501)])
        statuses = ("proved", "failed", "failed", "error", "failed", "failed")
        reasons = {"proved": "proved", "failed": "budget: nodes", "error": "lean error"}
        for k, tid in enumerate(theorems[::6]):
            status = statuses[k % len(statuses)]
            cur = store.conn.execute(
                "INSERT INTO proof_attempts (theorem_id, run_id, checkpoint_id, purpose, backend, generator, status, "
                "stop_reason, verification, proof, nodes_expanded, lean_calls, seconds, generator_seconds, "
                "lean_seconds, started_at, finished_at) VALUES (?, 1, ?, 'evaluate', 'repl', 'bench', ?, ?, ?, ?, "
                "?, ?, ?, ?, ?, 't', 't')",
                (tid, ckpts[-1], status, reasons[status], "checked" if status == "proved" else None,
                 "by simp" if status == "proved" else None, k % 97, k % 89, (k % 50) / 5, (k % 50) / 10,
                 (k % 50) / 20))
            if status == "proved":
                store.conn.execute(
                    "INSERT INTO proofs (theorem_id, proof, checked_by, checkpoint_id, run_id, stats, found_at, "
                    "attempt_id) VALUES (?, 'by simp', 'repl', ?, 1, '{}', 't', ?)", (tid, ckpts[-1], cur.lastrowid))
    return {"repositories": len(sizes), "theorems": total, "largest_repository": sizes[0]}


def load_times(site: Path, pages: list[str], largest: str,
               repeat: int) -> tuple[dict[str, float], list[float], dict[str, float]]:
    from playwright.sync_api import sync_playwright

    from leanagent.report.chromium import CHROMIUM_ARGS, find_chromium

    tables_ms: dict[str, float] = {}

    def visit(browser, page_name: str) -> float:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        t0 = time.perf_counter()
        page.goto((site / page_name).as_uri())
        page.wait_for_function("document.body.dataset.ready === '1'", timeout=120_000, polling=20)
        dt = time.perf_counter() - t0
        tables_ms[page_name] = float(page.evaluate("document.body.dataset.tablesMs"))
        page.close()
        if errors:
            raise SystemExit(f"{page_name}: {errors}")
        return dt

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=find_chromium(), args=list(CHROMIUM_ARGS))
        times = {name: visit(browser, name) for name in pages}
        again = [visit(browser, largest) for _ in range(repeat)]
        browser.close()
    return times, again, tables_ms


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="3,000 theorems instead of 30,000")
    ap.add_argument("--theorems", type=int, default=None)
    ap.add_argument("--repeat", type=int, default=3, help="loads of the largest page (median counts)")
    args = ap.parse_args()
    total = args.theorems or (3_000 if args.quick else 30_000)

    from database.store import Store
    from leanagent.report import write_report
    from leanagent.report.chromium import missing_reason

    reason = missing_reason()
    if reason:
        raise SystemExit(f"cannot measure page loads: {reason}")
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        store = Store(Path(tmp) / "leanagent.db")
        shape = build(store, total)
        print(f"database: {shape} built in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        load_before = _loadavg()
        summary = write_report(store, Path(tmp) / "site")
        store.close()
        sizes = {p: (summary.out / p).stat().st_size for p in summary.pages}
        largest = max(sizes, key=lambda p: sizes[p])
        print(f"report: {len(summary.pages)} pages, {summary.bytes / 1e6:.1f} MB with assets, written in "
              f"{summary.seconds:.2f} s; largest page {largest} ({sizes[largest] / 1e6:.2f} MB)", file=sys.stderr)
        times, again, tables_ms = load_times(summary.out, summary.pages, largest, args.repeat)
    print("  page              size        ready (tables+plots)   tables drawn (page clock)", file=sys.stderr)
    for name, dt in sorted(times.items(), key=lambda kv: -kv[1]):
        print(f"  {name:16s} {sizes[name] / 1e3:9.1f} kB  {dt:6.2f} s              "
              f"{tables_ms.get(name, float('nan')) / 1000:6.2f} s", file=sys.stderr)
    load_s = statistics.median(again)
    slowest = max(times, key=lambda p: times[p])
    write_ratio = WRITE_TARGET_S / summary.seconds
    load_ratio = LOAD_TARGET_S / load_s
    print(f"largest page loads: {', '.join(f'{x:.2f}' for x in again)} s; load average before/after: "
          f"{load_before} / {_loadavg()}", file=sys.stderr)
    print(json.dumps({
        "name": "report", "ratio": round(min(write_ratio, load_ratio), 3), "target": 1.0,
        "ok": write_ratio >= 1 and load_ratio >= 1,
        "write_s": round(summary.seconds, 3), "write_ratio": round(write_ratio, 3),
        "largest_page": largest, "largest_page_bytes": sizes[largest], "largest_page_load_s": round(load_s, 3),
        "load_ratio": round(load_ratio, 3), "slowest_page": slowest, "slowest_first_load_s": round(times[slowest], 3),
        "pages": len(summary.pages), **shape, "loadavg": _loadavg(), "quick": args.quick,
    }))


def _loadavg() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


if __name__ == "__main__":
    main()
