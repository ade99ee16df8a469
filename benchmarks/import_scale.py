"""Import a Mathlib-scale synthetic LeanDojo export and report theorems/s, peak RSS and
database size. Target: the full run (100k theorems of 5 steps, 160k premises in 5k
files) in under 60 s and under 2 GB RSS.

    python benchmarks/import_scale.py            # full scale
    python benchmarks/import_scale.py --quick    # 10x smaller, same code

The import runs in a child process so that its peak RSS is measured alone; the final
line is JSON: ratio = theorems/s ÷ (100,000 / 60 s), target 1.0.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))  # the shared factories (tests/factories.py)
sys.path.insert(0, str(HERE.parent))

TARGET_RATE = 100_000 / 60.0
RSS_LIMIT = 2 * 1024**3

_CHILD = """
import resource, sys, time, json
from pathlib import Path
from database.store import Store
from database.leandojo_export import import_export
t = time.perf_counter()
with Store(Path(sys.argv[2])) as store:
    s = import_export(store, Path(sys.argv[1]))[0]
dt = time.perf_counter() - t
# VmHWM is this process's own peak; ru_maxrss would also count the parent that spawned
# us (Linux keeps it across exec), i.e. the memory of the export generator.
try:
    hwm = [l for l in open("/proc/self/status") if l.startswith("VmHWM:")][0]
    rss = int(hwm.split()[1]) * 1024
except OSError:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"seconds": dt, "rss": rss, "theorems": s.theorems, "steps": s.tactic_steps,
                  "premises": s.premises, "links": s.links, "resolved": s.links_resolved}))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="10x smaller run of the same code")
    ap.add_argument("--keep", type=Path, default=None, help="keep the generated export here")
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
        db = work / "bench.db"
        out = subprocess.run(
            [sys.executable, "-c", _CHILD, str(export), str(db)],
            check=True, capture_output=True, text=True, cwd=HERE.parent,
        )
        r = json.loads(out.stdout.strip().splitlines()[-1])
        db_size = sum(p.stat().st_size for p in work.glob("bench.db*"))
        rate = r["theorems"] / r["seconds"]
        print(f"imported {r['theorems']} theorems, {r['steps']} steps, {r['premises']} premises, "
              f"{r['resolved']}/{r['links']} links resolved in {r['seconds']:.1f} s", file=sys.stderr)
        print(f"theorems/s: {rate:,.0f}  (target {TARGET_RATE:,.0f}/s: 100k in 60 s)", file=sys.stderr)
        print(f"peak RSS: {r['rss'] / 1e6:,.0f} MB (limit {RSS_LIMIT / 1e6:,.0f} MB)", file=sys.stderr)
        print(f"database size: {db_size / 1e6:,.0f} MB", file=sys.stderr)
        print(json.dumps({
            "name": "import_scale" + ("_quick" if args.quick else ""),
            "ratio": round(rate / TARGET_RATE, 3),
            "target": 1.0,
            "theorems": r["theorems"],
            "seconds": round(r["seconds"], 2),
            "theorems_per_s": round(rate, 1),
            "peak_rss_mb": round(r["rss"] / 1e6, 1),
            "rss_ok": r["rss"] < RSS_LIMIT,
            "db_mb": round(db_size / 1e6, 1),
        }))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
