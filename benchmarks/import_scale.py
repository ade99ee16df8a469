"""Import a Mathlib-scale synthetic LeanDojo export and report theorems/s, peak RSS and
database size. Target: the full run (100k theorems of 5 steps, 160k premises in 5k
files) in under 60 s and under 2 GB RSS.

    python benchmarks/import_scale.py            # full scale
    python benchmarks/import_scale.py --quick    # 10x smaller, same code
    python benchmarks/import_scale.py --against 8857f37 --repeat 2
        # side by side: the same export imported by the code of that commit and by this
        # checkout, alternately, in one run (a regression shows as ratio_vs_base < 1)

The import runs in a child process so that its peak RSS is measured alone; the final
line is JSON: ratio = theorems/s ÷ (100,000 / 60 s), target 1.0. On a shared machine
wall time follows the load: every run also reports its CPU seconds and the load average
around it, and with ``--against`` the comparison is the median of alternating runs.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))  # the shared factories (tests/factories.py)
sys.path.insert(0, str(HERE.parent))

TARGET_RATE = 100_000 / 60.0
RSS_LIMIT = 2 * 1024**3

# Run with the code root as working directory: `python -c` puts it first on sys.path, so
# `database` is that checkout's.
_CHILD = """
import resource, sys, time, json
from pathlib import Path
from database.store import Store
from database.leandojo_export import import_export
t = time.perf_counter()
c = time.process_time()
with Store(Path(sys.argv[2])) as store:
    s = import_export(store, Path(sys.argv[1]))[0]
dt = time.perf_counter() - t
cpu = time.process_time() - c
# VmHWM is this process's own peak; ru_maxrss would also count the parent that spawned
# us (Linux keeps it across exec), i.e. the memory of the export generator.
try:
    hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM:")][0]
    rss = int(hwm.split()[1]) * 1024
except OSError:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"seconds": dt, "cpu_seconds": cpu, "rss": rss, "theorems": s.theorems, "steps": s.tactic_steps,
                  "premises": s.premises, "links": s.links, "resolved": s.links_resolved}))
"""


def _load() -> float:
    return round(os.getloadavg()[0], 2)


def _import(code_root: Path, export: Path, work: Path) -> dict[str, Any]:
    """One import into a fresh database by the code at ``code_root``."""
    db = work / "bench.db"
    for p in work.glob("bench.db*"):
        p.unlink()
    load_before = _load()
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(export), str(db)],
        check=True, capture_output=True, text=True, cwd=code_root,
    )
    r: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    r["db_size"] = sum(p.stat().st_size for p in work.glob("bench.db*"))
    r["load"] = [load_before, _load()]
    return r


def _checkout(rev: str, dest: Path) -> Path:
    """The files of commit ``rev`` of this repository, unpacked at ``dest`` (git archive:
    the repository's worktrees and branches are left alone)."""
    dest.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", rev, "database"], cwd=HERE.parent, check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="10x smaller run of the same code")
    ap.add_argument("--keep", type=Path, default=None, help="keep the generated export here")
    ap.add_argument("--against", metavar="REV", default=None,
                    help="also import with the database/ package of this git commit, alternating runs")
    ap.add_argument("--repeat", type=int, default=1, help="runs of each side (the median is reported)")
    args = ap.parse_args()
    scale = 10 if args.quick else 1
    theorems, premises, files = 100_000 // scale, 160_000 // scale, 5_000 // scale

    from factories import generate_export

    work = Path(tempfile.mkdtemp(prefix="leanagent-bench-"))
    try:
        export = args.keep or work / "export"
        t = time.perf_counter()
        generate_export(export, theorems=theorems, files=files, premises=premises)
        gen = time.perf_counter() - t
        size = sum(p.stat().st_size for p in export.rglob("*") if p.is_file())
        print(f"generated {theorems} theorems, {premises} premises in {files} files "
              f"({size / 1e6:.0f} MB) in {gen:.1f} s", file=sys.stderr)
        sides = {"this": HERE.parent}
        if args.against:
            sides = {"base": _checkout(args.against, work / "base"), **sides}
        runs: dict[str, list[dict[str, Any]]] = {k: [] for k in sides}
        for i in range(max(1, args.repeat)):
            for side, root in sides.items():
                r = _import(root, export, work)
                runs[side].append(r)
                print(f"[{side} {i + 1}] {r['seconds']:.1f} s wall, {r['cpu_seconds']:.1f} s CPU, "
                      f"peak RSS {r['rss'] / 1e6:,.0f} MB, load {r['load'][0]}-{r['load'][1]}", file=sys.stderr)
        mine = runs["this"]
        r = mine[0]
        seconds = statistics.median(x["seconds"] for x in mine)
        cpu = statistics.median(x["cpu_seconds"] for x in mine)
        rss = max(x["rss"] for x in mine)
        rate = r["theorems"] / seconds
        print(f"imported {r['theorems']} theorems, {r['steps']} steps, {r['premises']} premises, "
              f"{r['resolved']}/{r['links']} links resolved in {seconds:.1f} s", file=sys.stderr)
        print(f"theorems/s: {rate:,.0f}  (target {TARGET_RATE:,.0f}/s: 100k in 60 s)", file=sys.stderr)
        print(f"peak RSS: {rss / 1e6:,.0f} MB (limit {RSS_LIMIT / 1e6:,.0f} MB)", file=sys.stderr)
        print(f"database size: {r['db_size'] / 1e6:,.0f} MB", file=sys.stderr)
        result: dict[str, Any] = {
            "name": "import_scale" + ("_quick" if args.quick else ""),
            "ratio": round(rate / TARGET_RATE, 3),
            "target": 1.0,
            "ok": rate >= TARGET_RATE and rss < RSS_LIMIT,
            "theorems": r["theorems"],
            "seconds": round(seconds, 2),
            "cpu_seconds": round(cpu, 2),
            "theorems_per_s": round(rate, 1),
            "peak_rss_mb": round(rss / 1e6, 1),
            "rss_ok": rss < RSS_LIMIT,
            "db_mb": round(r["db_size"] / 1e6, 1),
            "load": [x["load"] for x in mine],
        }
        if args.against:
            base = runs["base"]
            base_s = statistics.median(x["seconds"] for x in base)
            base_cpu = statistics.median(x["cpu_seconds"] for x in base)
            if any(x["theorems"] != r["theorems"] or x["links"] != r["links"] for x in base):
                print("warning: the two sides stored different counts", file=sys.stderr)
            print(f"base {args.against}: {base_s:.1f} s wall, {base_cpu:.1f} s CPU (median of {len(base)}); "
                  f"this: {seconds:.1f} s, {cpu:.1f} s", file=sys.stderr)
            result.update({
                "against": args.against,
                "base_seconds": round(base_s, 2),
                "base_cpu_seconds": round(base_cpu, 2),
                "base_peak_rss_mb": round(max(x["rss"] for x in base) / 1e6, 1),
                # > 1: this checkout is faster than the base
                "ratio_vs_base": round(base_s / seconds, 3),
                "cpu_ratio_vs_base": round(base_cpu / cpu, 3),
                "base_load": [x["load"] for x in base],
            })
        print(json.dumps(result))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
