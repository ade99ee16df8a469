"""The ``leandojo`` backend (prover.lean.leandojo) with `Dojo` faked at its boundary."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import fake_dojo
import leandojo_fixture as F
import pytest

from prover.lean.interface import (
    GoalState,
    LeanEnv,
    LeanError,
    ProofFinished,
    ProofGivenUp,
    TacticTimeout,
    TheoremOpenError,
    TheoremRef,
    ToolchainMissing,
)
from prover.lean.leandojo import LeanDojoBackendConfig, LeanDojoEnv, ProjectNotTraced
from prover.lean.leandojo_support import LeanDojoSettings, UnsupportedLeanVersion


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "toy"
    F.write_project(root)
    (root / "lean-toolchain").write_text("leanprover/lean4:v4.9.0\n")  # Dojo works before Lean 4.19
    F.git(root, "commit", "-qam", "lean 4.9")
    return root


@pytest.fixture
def tools(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("lake", "lean"):
        (bin_dir / name).write_text("#!/bin/sh\nexit 0\n")
        (bin_dir / name).chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")


def _ref(project: Path) -> TheoremRef:
    return TheoremRef(project=project, file="Toy/Arith.lean", full_name="Toy.add_zero'",
                      statement="theorem add_zero' (n : Nat) : n + 0 = n", start=(5, 1), end=(6, 20))


def _env(tmp_path: Path, lean: fake_dojo.Lean, project: Path | None = None) -> LeanDojoEnv:
    settings = LeanDojoSettings.for_home(tmp_path / "home")
    return LeanDojoEnv(LeanDojoBackendConfig(settings=settings, project=project, open_timeout=77),
                       api=fake_dojo.api(lean))


SCRIPT = {
    "intro": ("state", "case h\nn : Nat\n⊢ n = n\n\ncase g\n⊢ True"),
    "rfl": ("finished",),
    "bad": ("error", "unknown tactic"),
    "sorry": ("sorry",),
    "slow": ("timeout",),
    "boom": ("crash", "OOM"),
    "die": ("crash", "Unexpected EOF"),
}


def test_results_map_onto_the_interface(tmp_path, project, tools):
    lean = fake_dojo.Lean(script=SCRIPT)
    with _env(tmp_path, lean, project) as env:
        assert isinstance(env, LeanEnv)
        env.check_available()
        assert env.lean_version() == "4.9.0"
        s0 = env.open(_ref(project))
        assert s0 == GoalState(s0.id, ("n : Nat\n⊢ n + 0 = n",))
        s1 = env.run_tactic(s0, "intro", timeout=5)
        assert isinstance(s1, GoalState)
        assert s1.num_goals == 2 and s1.goals[1] == "case g\n⊢ True"
        assert isinstance(env.run_tactic(s1, "rfl", timeout=5), ProofFinished)
        assert env.run_tactic(s0, "bad", timeout=5) == LeanError("unknown tactic")
        assert env.run_tactic(s0, "sorry", timeout=5) == ProofGivenUp()
        # the per-tactic limit reaches Dojo's pexpect process; opening uses the configured one
        assert lean.timeouts_seen == [5, 5, 5, 5] and lean.dojo_kwargs[0]["timeout"] == 77
        assert env.stats.lean_calls == 5 and env.stats.restarts == 0
    assert lean.alive == 0  # close ended the Lean process


def test_timeout_and_crash_restart_lean_and_replay_older_states(tmp_path, project, tools):
    lean = fake_dojo.Lean(script=SCRIPT)
    env = _env(tmp_path, lean)
    s0 = env.open(_ref(project))
    s1 = env.run_tactic(s0, "intro", timeout=5)
    assert isinstance(s1, GoalState)
    assert env.run_tactic(s1, "slow", timeout=2.5) == TacticTimeout(2.5)
    assert lean.processes == 2 and lean.alive == 1
    # s1 came from the dead process: the backend replays "intro" in the new one
    assert isinstance(env.run_tactic(s1, "rfl", timeout=5), ProofFinished)
    assert lean.calls[-2:] == ["intro", "rfl"]
    res = env.run_tactic(s0, "boom", timeout=5)
    assert isinstance(res, LeanError) and "OOM" in res.message and "restarted" in res.message
    res = env.run_tactic(s0, "die", timeout=5)
    assert isinstance(res, LeanError) and "Unexpected EOF" in res.message
    assert env.stats.restarts == 3 and env.stats.restart_reasons == ["timeout", "out_of_memory", "crash"]
    env.close()
    assert lean.alive == 0


def test_open_failures_become_theorem_open_errors(tmp_path, project, tools):
    lean = fake_dojo.Lean(init_error="Failed to locate the theorem")
    env = _env(tmp_path, lean)
    with pytest.raises(TheoremOpenError) as err:
        env.open(_ref(project))
    assert err.value.reason == "init_error" and "Failed to locate" in str(err.value)
    assert lean.alive == 0  # the half-started Lean process was ended
    with pytest.raises(ProjectNotTraced, match="--tracer leandojo"):
        _env(tmp_path, fake_dojo.Lean(traced=False)).open(_ref(project))


def test_lean_4_19_and_later_is_refused_pointing_at_the_repl_backend(tmp_path, project, tools):
    (project / "lean-toolchain").write_text("leanprover/lean4:v4.19.0\n")
    lean = fake_dojo.Lean(script=SCRIPT)
    with pytest.raises(UnsupportedLeanVersion, match="--backend repl"):
        _env(tmp_path, lean, project).check_available()
    with pytest.raises(UnsupportedLeanVersion, match="--backend repl"):
        _env(tmp_path, lean).open(_ref(project))
    assert lean.processes == 0  # refused before any Lean started


def test_missing_toolchain_says_what_to_install(tmp_path, project, monkeypatch):
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    with pytest.raises(ToolchainMissing, match="elan"):
        _env(tmp_path, fake_dojo.Lean()).check_available()


def test_stand_ins_match_the_installed_lean_dojo(tmp_path):
    if not F.HAS_LEANDOJO:
        pytest.skip(F.NO_LEANDOJO)
    code = textwrap.dedent("""
        import dataclasses, inspect, json, sys
        sys.path.insert(0, sys.argv[1])
        import fake_dojo, lean_dojo
        from prover.lean.leandojo import LeanDojoAPI
        out = {}
        def params(fn):
            return [p for p in inspect.signature(fn).parameters if p != "self"]
        for name in LeanDojoAPI.__dataclass_fields__:
            real = getattr(lean_dojo, name)
            fake = getattr(fake_dojo, "FakeDojo" if name == "Dojo" else name, None)
            if name == "is_available_in_cache":
                out[name] = [params(real), ["repo"]]
                continue
            if dataclasses.is_dataclass(real):
                out[name] = [[f.name for f in dataclasses.fields(real) if f.init],
                             [f.name for f in dataclasses.fields(fake) if f.init]]
            elif isinstance(real, type) and issubclass(real, Exception):
                out[name] = [[issubclass(real, Exception), hasattr(real, "is_out_of_memory")],
                             [issubclass(fake, Exception), hasattr(fake, "is_out_of_memory")]]
            else:
                out[name] = [{m: params(getattr(real, m)) for m in ("__init__", "__enter__", "__exit__", "run_tac")},
                             {m: params(getattr(fake, m)) for m in ("__init__", "__enter__", "__exit__", "run_tac")}]
        print(json.dumps(out))
    """)
    env = {**os.environ, "CACHE_DIR": str(tmp_path / "cache"), "DISABLE_REMOTE_CACHE": "1",
           "PYTHON_DOTENV_DISABLED": "1"}
    res = subprocess.run([sys.executable, "-c", code, str(Path(__file__).parent)], capture_output=True, text=True,
                         env=env, timeout=240, cwd=tmp_path)
    assert res.returncode == 0, res.stderr[-3000:]
    for name, (real, fake) in json.loads(res.stdout.strip().splitlines()[-1]).items():
        if name in ("TacticState",):
            real = [f for f in real if f != "goals"]
        if name == "LeanGitRepo":
            real = real[:2]  # url, commit (the rest are derived, init=False)
        assert real == fake, name
