"""Ray against one process, side by side in one run:

(a) proving throughput (theorems/s) with 2 worker actors vs 1, on a CPU-bound fake Lean
    environment and a tiny generator (target >= 1.6x);
(b) `add` of generated repositories through Ray (one task per repository; start-up of
    the local Ray included) vs one after the other in this process (ratio reported).

    python benchmarks/parallel.py [--quick] [--repos 20] [--theorems 16]

Ends with one JSON line {"name": "parallel", "ratio" (proving, 2 vs 1 workers),
"target": 1.6, "ok", "add_ratio", ...}. The load average is printed: on a shared
2-core machine other processes take cores from the workers.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TARGET = 1.6


def _loadavg() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


def make_repos(root: Path, n: int, files: int, per_file: int) -> list[Path]:
    from static_index import generate  # the static indexer benchmark's Lean generator

    out = []
    for i in range(n):
        repo = root / f"repo{i:02d}"
        repo.mkdir(parents=True)
        generate(repo, files, per_file, seed=i)
        out.append(repo)
    return out


def bench_add(tmp: Path, repos: list[Path]) -> dict:
    from database.home import Home
    from database.store import Store
    from leanagent.distributed.add import AddJob, add_sources
    from leanagent.distributed.runtime import Runtime, ray_runtime
    from leanagent.distributed.settings import RaySettings
    from leanagent.tracing import AddRequest

    jobs = [AddJob(AddRequest(source=str(r))) for r in repos]
    home = Home(tmp / "serial-home")
    t0 = time.perf_counter()
    with Store(home.db_path) as store:
        serial = add_sources(store, jobs, home, Runtime("in-process", RaySettings(address="off")))
    serial_s = time.perf_counter() - t0

    home = Home(tmp / "ray-home")
    t0 = time.perf_counter()
    with Store(home.db_path) as store, ray_runtime(RaySettings(address="local"), want_ray=True) as rt:
        started_s = time.perf_counter() - t0
        cpus = rt.cpus()
        parallel = add_sources(store, jobs, home, rt)
        work_s = time.perf_counter() - t0 - started_s
    ray_s = time.perf_counter() - t0  # start, work and stop
    assert all(o.status == "added" for o in serial + parallel), [o.reason for o in serial + parallel]
    with Store(tmp / "serial-home" / "leanagent.db", readonly=True) as a, \
            Store(tmp / "ray-home" / "leanagent.db", readonly=True) as b:
        counts = [sum(s.repository_summary(r)["theorems"] for r in s.repositories()) for s in (a, b)]
    assert counts[0] == counts[1], counts
    return {"repos": len(repos), "theorems": counts[0], "serial_s": round(serial_s, 2), "ray_s": round(ray_s, 2),
            "ray_startup_s": round(started_s, 2), "ray_work_s": round(work_s, 2), "ray_cpus": cpus,
            "ratio": round(serial_s / ray_s, 3), "ratio_without_startup": round(serial_s / work_s, 3)}


def make_proving_project(root: Path, n: int) -> tuple[dict[str, str], dict[str, dict]]:
    """A Lake project of `n` sorry theorems, committed in git; the fake REPL's goals and
    rules: each theorem's one tactic burns `cost` CPU seconds, then closes the goal."""
    import subprocess

    (root / "Bench").mkdir(parents=True)
    (root / "lean-toolchain").write_text("leanprover/lean4:v4.9.0\n")
    (root / "lakefile.lean").write_text("import Lake\nopen Lake DSL\n\npackage bench\n\nlean_lib Bench\n")
    body = "namespace Bench\n\n" + "".join(f"theorem t{i} (n : Nat) : n + {i} = {i} + n := by\n  sorry\n\n"
                                           for i in range(n)) + "end Bench\n"
    (root / "Bench" / "Basic.lean").write_text(body)
    git = ["git", "-C", str(root), "-c", "user.name=b", "-c", "user.email=b@example.org"]
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "bench"], check=True)
    goals = {f"Bench.t{i}": f"n : Nat\n⊢ n + {i} = {i} + n" for i in range(n)}
    return goals, {}


def bench_prove(tmp: Path, n: int, cost: float) -> dict:
    """Theorems/s with 2 prover actors vs 1 on one local Ray (started once, not timed)."""
    import shutil

    from database.home import Home
    from database.store import Store
    from leanagent.distributed.proving import RayProverPool
    from leanagent.distributed.runtime import ray_runtime
    from leanagent.distributed.settings import RaySettings
    from leanagent.tracing import AddRequest, add_source
    from prover.driver import ProveRequest, prove_repository
    from prover.generator import AutomationConfig
    from prover.proving import BackendSpec, ProverConfig
    from prover.search import SearchConfig

    src = tmp / "proving-src"
    goals, _ = make_proving_project(src, n)
    tactics = {g: {"omega": {"finished": True, "sleep": cost}} for g in goals.values()}
    scenario = tmp / "scenario.json"
    scenario.write_text(json.dumps({"counter": str(tmp / "launches"),
                                    "launches": [{"mode": "script", "theorems": goals, "tactics": tactics}]}))
    root = Path(__file__).resolve().parent.parent
    fakebin = root / "tests" / "fakebin"
    env = {"PATH": f"{fakebin}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}/usr/bin:/bin",
           "FAKE_LEAN_RULES": str(tmp / "no-rules.json")}
    (tmp / "no-rules.json").write_text("{}")
    os.environ.update(env)  # the driver checks the toolchain too (the fake `lake`)
    config = ProverConfig(
        generator=AutomationConfig(tactics=("omega",)),
        backend=BackendSpec(options={"command": (sys.executable, str(root / "benchmarks" / "cpu_repl.py"),
                                                 "--scenario", str(scenario))}),
        search=SearchConfig(timeout=120, tactic_timeout=60))
    out: dict = {"theorems": n, "cpu_seconds_per_theorem": cost}
    with ray_runtime(RaySettings(address="local"), want_ray=True) as rt:
        for workers in (1, 2):
            home = Home(tmp / f"prove-home-{workers}")
            checkout = tmp / f"proving-{workers}"
            shutil.copytree(src, checkout)
            with Store(home.db_path) as store:
                add_source(store, AddRequest(source=str(checkout), name="bench"), home)
                repo = store.find_repository("bench")
                with RayProverPool(rt, config, workers=workers, env=env) as pool:
                    pool.start()  # actors built before the clock starts: throughput, not start-up
                    t0 = time.perf_counter()
                    summary = prove_repository(store, repo, config=config, request=ProveRequest(), executor=pool)
                    dt = time.perf_counter() - t0
            assert summary.counts["proved"] == n, summary.counts
            out[f"workers_{workers}_s"] = round(dt, 2)
            out[f"workers_{workers}_theorems_per_s"] = round(n / dt, 3)
    out["ratio"] = round(out["workers_1_s"] / out["workers_2_s"], 3)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller inputs (a smoke run)")
    ap.add_argument("--repos", type=int, default=20)
    ap.add_argument("--files", type=int, default=None, help="Lean files per generated repository")
    ap.add_argument("--theorems", type=int, default=None, help="theorems to prove per worker setting")
    ap.add_argument("--cost", type=float, default=0.3, help="CPU seconds the fake Lean spends per theorem")
    args = ap.parse_args()
    files = args.files or (8 if args.quick else 40)
    load_before = _loadavg()
    results: dict = {}
    with tempfile.TemporaryDirectory(prefix="leanagent-bench-") as d:
        tmp = Path(d)
        results["prove"] = bench_prove(tmp, args.theorems or (8 if args.quick else 24), args.cost)
        repos = make_repos(tmp / "src", args.repos, files, 12)
        results["add"] = bench_add(tmp, repos)
    a = results["add"]
    print(f"add of {a['repos']} generated repositories ({a['theorems']} theorems): serially {a['serial_s']} s, "
          f"through Ray {a['ray_s']} s ({a['ray_startup_s']} s of it starting Ray, {a['ray_cpus']} CPUs): "
          f"ratio {a['ratio']} ({a['ratio_without_startup']} without start-up)")
    prove = results["prove"]
    ratio = prove["ratio"]
    print(f"proving {prove['theorems']} theorems ({prove['cpu_seconds_per_theorem']} CPU s each in the fake "
          f"Lean; Prover actors, whole-file check, results written by the driver): 1 worker "
          f"{prove['workers_1_s']} s, 2 workers {prove['workers_2_s']} s: ratio {ratio}")
    print(f"load average before/after: {load_before} / {_loadavg()}")
    print(json.dumps({
        "name": "parallel", "ratio": ratio, "target": TARGET, "ok": ratio >= TARGET,
        "add_ratio": a["ratio"], "add": a, "prove": prove, "loadavg": _loadavg(), "quick": args.quick,
    }))


if __name__ == "__main__":
    main()
