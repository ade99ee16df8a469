"""Speed of the static indexer: lines/s and files/s on a large generated Lean tree,
name resolution and database writes included (target: 20,000 lines/s on 2 cores).

    python benchmarks/static_index.py [--quick] [--files N] [--workers N]

Indexes the tree twice, serially and with the process pool, and prints both; `ratio`
(= lines/s / 20000) is that of the configuration `leanagent add` uses for this tree
(`StaticIndexConfig()` defaults). The load average is printed because other processes on
a 2-core machine change the parallel result a lot. Ends with one JSON line:
{"name", "ratio", "target": 1.0, "config", ...}.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TARGET_LINES_PER_S = 20_000


def _theorem(rng: random.Random, mod: str, i: int, known: list[str]) -> str:
    uses = rng.sample(known, min(len(known), 3))
    style = rng.random()
    doc = f"/-- Lemma {i} about `{mod}`: a + b = b + a, not `sorry`. -/\n" if rng.random() < 0.3 else ""
    attrs = "@[simp] " if rng.random() < 0.2 else ""
    stmt = f"theorem thm_{i} (a b : Nat) (h : a ≤ b) : a + {i} ≤ b + {i}"
    if style < 0.6:
        body = (
            " := by\n"
            f"  have h₁ : a ≤ b := h\n"
            f"  simp only [{', '.join(uses) or 'Nat.le_refl'}] at h₁ ⊢\n"
            "  · omega\n"
            "  induction a with\n"
            "  | zero => simp\n"
            "  | succ n ih =>\n"
            f"    rw [{uses[0] if uses else 'Nat.add_comm'}]\n"
            "    exact Nat.add_le_add_right h _\n"
        )
    elif style < 0.85:
        body = f" :=\n  Nat.add_le_add_right h {i}  -- term proof\n"
    else:
        body = " := by\n  sorry\n"
    return f"{doc}{attrs}{stmt}{body}\n"


def generate(root: Path, n_files: int, per_file: int, seed: int = 0) -> int:
    rng = random.Random(seed)
    (root / "lean-toolchain").write_text("leanprover/lean4:v4.19.0\n")
    (root / "lakefile.toml").write_text('name = "bench"\n\n[[lean_lib]]\nname = "Bench"\n')
    lines = 0
    for f in range(n_files):
        mod = f"Bench.Part{f // 50}.File{f}"
        path = root / (mod.replace(".", "/") + ".lean")
        path.parent.mkdir(parents=True, exist_ok=True)
        imports = sorted({rng.randrange(f) for _ in range(min(f, 3))}) if f else []
        out = [f"import Bench.Part{j // 50}.File{j}\n" for j in imports]
        out.append("\n/-!\n# Generated\nA module docstring /- nested -/ with `sorry`.\n-/\n\n")
        out.append(f"namespace Bench.F{f}\n\nopen Nat\n\nvariable {{α : Type}}\n\n")
        out.append(f'def tag_{f} : String := s!"file {{{f}}}"\n\n')
        known = [f"Bench.F{j}.thm_{k}" for j in imports for k in range(0, per_file, 7)]
        for i in range(per_file):
            out.append(_theorem(rng, mod, i, known + [f"thm_{k}" for k in range(max(0, i - 3), i)]))
        out.append(f"structure S{f} where\n  x : Nat\n  y : Nat := 0\n  deriving Repr\n\n")
        out.append(f"end Bench.F{f}\n")
        text = "".join(out)
        lines += text.count("\n")
        path.write_text(text)
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a smaller tree (under a minute)")
    ap.add_argument("--files", type=int, default=None)
    ap.add_argument("--per-file", type=int, default=25, help="theorems per file")
    ap.add_argument("--workers", type=int, default=None, help="parser processes (default: one per CPU)")
    args = ap.parse_args()
    n_files = args.files or (150 if args.quick else 800)

    from database.records import RepoInfo
    from database.store import Store
    from leanagent.tracing.static import StaticIndexConfig, index_repository
    from leanagent.tracing.static.indexer import pool_workers

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "bench"
        root.mkdir()
        lines = generate(root, n_files, args.per_file)
        total_bytes = sum(p.stat().st_size for p in root.rglob("*.lean"))
        # What `leanagent add` does with this tree: StaticIndexConfig() decides serial or pool.
        default_workers = pool_workers(StaticIndexConfig(workers=args.workers), total_bytes, n_files)
        default_label = "serial" if default_workers == 1 else "parallel"
        results = {}
        load_before = _loadavg()
        for label, workers in (("serial", 1), ("parallel", args.workers)):
            store = Store(Path(tmp) / f"{label}.db")
            t0 = time.perf_counter()
            summary = index_repository(store, root, RepoInfo(url=str(root), name="bench", commit="0" * 40),
                                       StaticIndexConfig(workers=workers, parallel_min_bytes=0))
            dt = time.perf_counter() - t0
            store.close()
            results[label] = dt
            print(f"{label:8s}: {n_files} files, {lines} lines in {dt:.2f}s = {lines / dt:,.0f} lines/s, "
                  f"{n_files / dt:,.0f} files/s; {summary.theorems} theorems, {summary.links_resolved}/"
                  f"{summary.links} links resolved")
    pool = pool_workers(StaticIndexConfig(workers=args.workers, parallel_min_bytes=0), total_bytes, n_files)
    print(f"parallel used {pool} processes; the default configuration ({total_bytes / 1e6:.1f} MB of Lean) "
          f"runs {default_label}; load average before/after: {load_before} / {_loadavg()}")
    dt = results[default_label]
    lps = lines / dt
    print(json.dumps({
        "name": "static_index", "ratio": round(lps / TARGET_LINES_PER_S, 3), "target": 1.0,
        "config": default_label, "lines_per_s": round(lps), "files_per_s": round(n_files / dt, 1),
        "serial_lines_per_s": round(lines / results["serial"]),
        "parallel_lines_per_s": round(lines / results["parallel"]),
        "lines": lines, "files": n_files, "serial_s": round(results["serial"], 3),
        "parallel_s": round(results["parallel"], 3), "loadavg": _loadavg(), "quick": args.quick,
    }))


def _loadavg() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:  # not available on every platform
        return None


if __name__ == "__main__":
    main()
