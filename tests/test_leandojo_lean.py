"""Integration tests on a real Lean toolchain (marked `lean`; skipped where there is none).

They trace a small Lake project with lean-dojo and prove a theorem of it through the
``leandojo`` backend. LeanDojo also needs api.github.com while tracing (it resolves the
toolchain's commit through the GitHub API, even for local repositories).
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
from pathlib import Path

import leandojo_fixture as F
import pytest
from click.testing import CliRunner

pytestmark = pytest.mark.lean

_NO_TOOLCHAIN = "no Lean toolchain here: `lake` and `lean` are not on PATH (install elan to run these tests)"


def _lean_version() -> str:
    if shutil.which("lake") is None or shutil.which("lean") is None:
        pytest.skip(_NO_TOOLCHAIN)
    if not F.HAS_LEANDOJO:
        pytest.skip(F.NO_LEANDOJO)
    out = subprocess.run(["lean", "--version"], capture_output=True, text=True, timeout=120).stdout
    m = re.search(r"version (\d+\.\d+\.\d+(?:-rc\d+)?)", out)
    if m is None:
        pytest.skip(f"cannot read the Lean version from `lean --version`: {out!r}")
    try:
        socket.create_connection(("api.github.com", 443), timeout=3).close()
    except OSError:
        pytest.skip("lean-dojo needs api.github.com while tracing, and it is unreachable")
    return "v" + m.group(1)


@pytest.fixture
def traced(tmp_path: Path, home: Path) -> tuple[Path, str]:
    from leanagent.cli import main
    from prover.lean.leandojo_support import check_support, parse_toolchain

    version = _lean_version()
    project = tmp_path / "toy"
    F.write_project(project)
    (project / "lean-toolchain").write_text(f"leanprover/lean4:{version}\n")
    F.git(project, "commit", "-qam", "installed toolchain")
    try:
        check_support("trace", parse_toolchain(f"leanprover/lean4:{version}"))
    except Exception as exc:
        pytest.skip(f"the installed Lean cannot be traced by this lean-dojo: {exc}")
    res = CliRunner().invoke(main, ["--home", str(home), "add", str(project), "--tracer", "leandojo"])
    assert res.exit_code == 0, res.output
    return project, version


def test_trace_a_small_project(traced, home: Path):
    from database.store import Store

    with Store(home / "leanagent.db", readonly=True) as store:
        (repo,) = store.repositories()
        names = {t["full_name"] for t in store.theorems(repo)}
        assert {"Toy.add_zero'", "Toy.double_zero", "Toy.with_sorry"} <= names
        states = store.conn.execute("SELECT COUNT(*) FROM tactic_steps WHERE state_before LIKE '%⊢%'").fetchone()[0]
        assert states >= 2


def test_prove_through_dojo(traced, home: Path):
    from prover.lean.interface import GoalState, ProofFinished, TheoremRef
    from prover.lean.leandojo import LeanDojoBackendConfig, LeanDojoEnv
    from prover.lean.leandojo_support import LeanDojoSettings, UnsupportedLeanVersion

    project, version = traced
    env = LeanDojoEnv(LeanDojoBackendConfig(settings=LeanDojoSettings.for_home(home), project=project))
    try:
        env.check_available()
    except UnsupportedLeanVersion as exc:
        pytest.skip(f"Dojo does not work on Lean {version}: {exc}")
    with env:
        s0 = env.open(TheoremRef(project=project, file="Toy/Arith.lean", full_name="Toy.add_zero'",
                                 statement="theorem add_zero' (n : Nat) : n + 0 = n", start=(5, 1), end=(6, 20)))
        assert isinstance(s0, GoalState) and "⊢" in s0.pp
        assert isinstance(env.run_tactic(s0, "rfl", timeout=60), ProofFinished)
