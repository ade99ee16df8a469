"""The `repl` backend at the process boundary: a fake REPL process replays the recorded
transcripts of shared/fixtures/lean-repl byte for byte (tests/fake_repl.py)."""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path

import psutil
import pytest
from hypothesis import given
from hypothesis import strategies as st
from repl_helpers import TRANSCRIPTS, launches, lean_file, scenario, theorem_ref

from prover.lean.interface import (
    BackendError,
    GoalState,
    LeanError,
    ProofFinished,
    ProofGivenUp,
    TacticResult,
    TacticTimeout,
    TheoremOpenError,
    ToolchainMissing,
)
from prover.lean.repl import (
    ReplBackend,
    ReplConfig,
    ReplProcess,
    ReplProtocolError,
    locate_repl,
    tactic_reply,
)

pytestmark = pytest.mark.skipif(not TRANSCRIPTS.is_dir(), reason=f"no REPL transcripts at {TRANSCRIPTS}")


def _blocks(raw: str) -> list[str]:
    return [b for b in re.split(r"\n[ \t]*\n", raw) if b.strip()]


def _transcript(name: str) -> tuple[list[dict], list[dict]]:
    requests = [json.loads("".join(b.splitlines())) for b in _blocks((TRANSCRIPTS / f"{name}.in").read_text())]
    responses = [json.loads(b) for b in _blocks((TRANSCRIPTS / f"{name}.expected.out").read_text())]
    return requests, responses


ALL = sorted(p.stem for p in TRANSCRIPTS.glob("*.in") if (TRANSCRIPTS / f"{p.stem}.expected.out").exists())


# -- the protocol -------------------------------------------------------------------------------


def test_every_transcript_round_trips_through_the_client(tmp_path: Path) -> None:
    """Every recorded request, encoded by the client, is what the REPL read, and every
    recorded answer is parsed back exactly (one fake process per transcript)."""
    assert len(ALL) >= 50
    for name in ALL:
        requests, responses = _transcript(name)
        proc = ReplProcess(scenario(tmp_path / name, {"transcript": name}), tmp_path)
        try:
            for request, expected in zip(requests, responses, strict=True):
                assert proc.request(request, timeout=20) == expected, name
        finally:
            proc.kill()


@given(st.dictionaries(st.sampled_from(["cmd", "tactic"]), st.text(), min_size=1))
def test_a_request_is_one_line_and_one_blank_line(request: dict) -> None:
    # Two blank lines in a row (or a raw newline splitting a request) kill the REPL.
    data = ReplProcess.encode(request)
    assert data.endswith(b"\n\n") and b"\n" not in data[:-2]
    assert json.loads(data) == request


def test_answers_map_to_the_interface() -> None:
    def reply(name: str, k: int):
        return tactic_reply(_transcript(name)[1][k])

    assert reply("proof_branching", 1).goals == (
        "case left\np q r : Prop\nh1 : p ∧ q\nh2 : q → r\n⊢ p",
        "case right\np q r : Prop\nh1 : p ∧ q\nh2 : q → r\n⊢ r",
    )
    assert reply("proof_branching", 4).kind == "finished"
    # an error with no goals left is an error, not a finished proof (repl#44)
    r = reply("invalid_tactic", 1)
    assert r.kind == "error" and "my_fake_premise" in r.message
    assert reply("unknown_tactic", 1).kind == "error"
    assert reply("app_type_mismatch", 4).kind == "error"  # metavariables
    assert reply("self_proof_rw", 2).kind == "error"  # kernel type check failed
    assert reply("tactic_mode_sorry", 1).kind == "given_up"
    assert reply("sorry_hypotheses", 1).kind == "given_up"  # goals remain, but built on sorry
    assert reply("by_cases", 3).kind == "given_up"
    with pytest.raises(ReplProtocolError, match="Unknown proof state"):
        reply("unknown_proof_state", 1)
    with pytest.raises(ReplProtocolError, match="Unknown environment"):
        tactic_reply(_transcript("unknown_environment")[1][0])


# -- the backend --------------------------------------------------------------------------------


def _backend(tmp_path: Path, *launch: dict, **config) -> ReplBackend:
    config.setdefault("check_command", (sys.executable, "-c", "pass"))  # whole-file checks are not used here
    return ReplBackend(tmp_path / "proj", ReplConfig(command=scenario(tmp_path / "fake", *launch), **config))


def _file(tmp_path: Path, text: str, name: str = "A.lean") -> Path:
    return lean_file(tmp_path / "proj", name, text)


def test_a_proof_with_several_goals(tmp_path: Path) -> None:
    text = "theorem complex_and (p q r : Prop) (h1 : p ∧ q) (h2 : q → r) : p ∧ r := by sorry\n"
    _file(tmp_path, text)
    ref = theorem_ref(tmp_path / "proj", "A.lean", text, 1,
                      "theorem complex_and (p q r : Prop) (h1 : p ∧ q) (h2 : q → r) : p ∧ r")
    with _backend(tmp_path, {"transcript": "proof_branching"}) as env:
        env.check_available()
        root = env.open(ref)
        assert root.goals == ("p q r : Prop\nh1 : p ∧ q\nh2 : q → r\n⊢ p ∧ r",)
        s1 = env.run_tactic(root, "apply And.intro", timeout=10)
        assert isinstance(s1, GoalState) and s1.num_goals == 2
        s2 = env.run_tactic(s1, "exact h1.left", timeout=10)
        assert isinstance(s2, GoalState)
        s3 = env.run_tactic(s2, "apply h2", timeout=10)
        assert isinstance(s3, GoalState) and s3.goals[0].endswith("⊢ q")
        done = env.run_tactic(s3, "exact h1.right", timeout=10)
        assert isinstance(done, ProofFinished)
        assert env.stats.lean_calls == 5 and env.stats.restarts == 0
    assert launches(tmp_path / "fake") == 1


def test_branching_from_the_root_and_distinct_handles(tmp_path: Path) -> None:
    text = "def f : Nat := by sorry\n"
    _file(tmp_path, text)
    ref = theorem_ref(tmp_path / "proj", "A.lean", text, 1, "def f : Nat")
    with _backend(tmp_path, {"transcript": "proof_step"}) as env:
        root = env.open(ref)
        a = env.run_tactic(root, "apply Int.natAbs", timeout=10)
        b = env.run_tactic(root, "have t : Nat := 42", timeout=10)
        assert isinstance(a, GoalState) and isinstance(b, GoalState) and a.id != b.id != root.id
        assert a.goals == ("⊢ Int",) and b.goals == ("t : Nat\n⊢ Nat",)
        assert isinstance(env.run_tactic(b, "exact t", timeout=10), ProofFinished)


@pytest.mark.parametrize(("transcript", "skip", "text", "statement", "tactics", "kind"), [
    ("invalid_tactic", 0, "theorem my_theorem (x : Nat) : x = x := by sorry", "theorem my_theorem (x : Nat) : x = x",
     ["exact my_fake_premise"], LeanError),
    ("unknown_tactic", 0, "def f : Nat := by sorry", "def f : Nat", ["exat 42"], LeanError),
    ("tactic_mode_sorry", 0, "def f : Nat := by sorry", "def f : Nat", ["sorry"], ProofGivenUp),
    ("sorry_hypotheses", 0, "theorem foo (x : Int) : x = x := by sorry", "theorem foo (x : Int) : x = x",
     ["have h : x = 1 := sorry"], ProofGivenUp),
    # a term-mode `sorry` is kept as written, and its proof state driven the same way
    ("app_type_mismatch", 1, "example : 1 = 0 := sorry", "example : 1 = 0", ["cases 1", "rfl", "apply ?succ"],
     LeanError),
    ("self_proof_exact_check", 1, "theorem ex : False := sorry", "theorem ex : False", ["exact ex"], LeanError),
])
def test_what_lean_says_about_a_tactic(tmp_path: Path, transcript: str, skip: int, text: str, statement: str,
                                       tactics: list[str], kind: type) -> None:
    _file(tmp_path, text + "\n")
    ref = theorem_ref(tmp_path / "proj", "A.lean", text, 1, statement)
    with _backend(tmp_path, {"transcript": transcript, "skip": skip}) as env:
        state = env.open(ref)
        for tactic in tactics[:-1]:
            step = env.run_tactic(state, tactic, timeout=10)
            assert isinstance(step, GoalState)
            state = step
        result = env.run_tactic(state, tactics[-1], timeout=10)
        assert isinstance(result, kind), result
        assert env.stats.restarts == 0


def test_header_pieces_are_elaborated_in_chained_environments(tmp_path: Path) -> None:
    text = ("variable (x y : Nat)\nvariable (f : Nat → Nat)\n"
            "theorem problem (h0 : f 5 = 3) (h1 : f (4 * x * y) = 2 * y * (f (x + y) + f (x - y))) :\n"
            "    ∃ (k : Nat), f 2015 = k := by\n  sorry\n")
    _file(tmp_path, text)
    ref = theorem_ref(tmp_path / "proj", "A.lean", text, 3,
                      "theorem problem (h0 : f 5 = 3) (h1 : f (4 * x * y) = 2 * y * (f (x + y) + f (x - y))) :\n"
                      "    ∃ (k : Nat), f 2015 = k")
    with _backend(tmp_path, {"transcript": "variables"}) as env:
        root = env.open(ref)
        assert root.goals[0].endswith("⊢ ∃ k, f 2015 = k")
        assert env.stats.lean_calls == 3


def test_a_file_prefix_is_elaborated_once_for_every_theorem_after_it(tmp_path: Path) -> None:
    text = "theorem thm1 : 1 = 1 := sorry\ntheorem thm2 : 2 = 2 := sorry\n"
    _file(tmp_path, text)
    thm1 = theorem_ref(tmp_path / "proj", "A.lean", "theorem thm1 : 1 = 1 := sorry", 1, "theorem thm1 : 1 = 1")
    thm2 = theorem_ref(tmp_path / "proj", "A.lean", text, 2, "theorem thm2 : 2 = 2")
    with _backend(tmp_path, {"transcript": "dup_sorries"}) as env:
        assert env.open(thm1).goals == ("⊢ 1 = 1",)
        # thm1's own command is the file's first piece: thm2 is stated in its env (0)
        assert env.open(thm2).goals == ("⊢ 2 = 2",)
        assert env.stats.lean_calls == 2
    _file(tmp_path / "other", text)
    thm2 = theorem_ref(tmp_path / "other" / "proj", "A.lean", text, 2, "theorem thm2 : 2 = 2")
    with _backend(tmp_path / "other", {"transcript": "dup_sorries"}) as env:
        assert env.open(thm2).goals == ("⊢ 2 = 2",)  # the header piece first, then thm2 in env 0
        assert env.stats.lean_calls == 2


def test_one_process_serves_theorems_of_several_files(tmp_path: Path) -> None:
    a = "example (x y z : Nat) (h1 : x = y) (h2 : y = z) : x = z := by sorry"
    b = "example (f : Nat → Nat) (n : Nat) (h : n = 3) : f n = f 3 := by sorry"
    _file(tmp_path, a + "\n", "A.lean")
    _file(tmp_path, b + "\n", "B.lean")
    with _backend(tmp_path, {"transcript": "proof_transitivity"}) as env:
        root = env.open(theorem_ref(tmp_path / "proj", "A.lean", a, 1, a.removesuffix(" := by sorry")))
        assert isinstance(env.run_tactic(root, "exact Eq.trans h1 h2", timeout=10), ProofFinished)
        root = env.open(theorem_ref(tmp_path / "proj", "B.lean", b, 1, b.removesuffix(" := by sorry")))
        assert isinstance(env.run_tactic(root, "exact congrArg f h", timeout=10), ProofFinished)
        with pytest.raises(BackendError, match="does not belong"):
            env.run_tactic(GoalState(10_000, ("⊢ x",)), "rfl", timeout=10)
    assert launches(tmp_path / "fake") == 1


BRANCHING = "theorem complex_and (p q r : Prop) (h1 : p ∧ q) (h2 : q → r) : p ∧ r := by sorry"


def test_a_crash_restarts_the_repl_and_states_are_restored_by_replay(tmp_path: Path) -> None:
    _file(tmp_path, BRANCHING + "\n")
    ref = theorem_ref(tmp_path / "proj", "A.lean", BRANCHING, 1, BRANCHING.removesuffix(" := by sorry"))
    env = _backend(tmp_path, {"transcript": "proof_branching", "die_at": 4, "exit_code": 137},
                   {"transcript": "proof_branching"})
    with env:
        s = env.open(ref)
        for tactic in ("apply And.intro", "exact h1.left", "apply h2"):
            step = env.run_tactic(s, tactic, timeout=10)
            assert isinstance(step, GoalState)
            s = step
        crashed = env.run_tactic(s, "exact h1.right", timeout=10)
        assert isinstance(crashed, LeanError) and "137" in crashed.message and "out of memory" in crashed.message
        assert env.stats.restarts == 1 and "137" in env.stats.restart_reasons[0]
        # The state from the dead process is restored in a new one: re-open + 3 tactics.
        done = env.run_tactic(s, "exact h1.right", timeout=10)
        assert isinstance(done, ProofFinished)
        assert env.stats.replayed_calls == 3
        assert env.stats.lean_calls == 5 + 1 + 3 + 1
    assert launches(tmp_path / "fake") == 2


def test_a_repl_over_its_memory_limit_is_restarted_between_requests(tmp_path: Path) -> None:
    _file(tmp_path, BRANCHING + "\n")
    ref = theorem_ref(tmp_path / "proj", "A.lean", BRANCHING, 1, BRANCHING.removesuffix(" := by sorry"))
    # the first process grows by 300 MiB on its third request; a fresh Python is far below 200
    env = _backend(tmp_path, {"transcript": "proof_branching", "grow_at": 2, "grow_mb": 300},
                   {"transcript": "proof_branching"}, memory_limit_mb=200)
    with env:
        s: TacticResult = env.open(ref)
        first = env._process.pid  # type: ignore[union-attr]
        assert isinstance(s, GoalState)
        s = env.run_tactic(s, "apply And.intro", timeout=10)
        assert isinstance(s, GoalState) and env.stats.restarts == 0  # under the limit: no restart
        s = env.run_tactic(s, "exact h1.left", timeout=10)  # answered; the process now holds 300 MiB more
        assert isinstance(s, GoalState) and env.stats.restarts == 0 and launches(tmp_path / "fake") == 1
        s = env.run_tactic(s, "apply h2", timeout=10)  # checked before this request: restarted, state replayed
        assert isinstance(s, GoalState) and s.goals[0].endswith("⊢ q")
        assert env.stats.restarts == 1 and env.stats.restart_reasons[0].startswith("memory limit: ")
        assert env.stats.restart_reasons[0].endswith(" MiB > 200 MiB")
        # the new process re-opens the theorem and replays the two tactics before "apply h2"
        assert env.stats.replayed_calls == 2 and env.stats.lean_calls == 1 + 2 + 1 + 2 + 1
        assert not psutil.pid_exists(first) or psutil.Process(first).status() == psutil.STATUS_ZOMBIE
        assert isinstance(env.run_tactic(s, "exact h1.right", timeout=10), ProofFinished)
        assert env.stats.restarts == 1  # the new process stays under the limit
    assert launches(tmp_path / "fake") == 2


@pytest.mark.parametrize(("every", "restarts"), [(1, 1), (2, 0)])
def test_restart_every_n_theorems(tmp_path: Path, every: int, restarts: int) -> None:
    a = "example (x y z : Nat) (h1 : x = y) (h2 : y = z) : x = z := by sorry"
    b = "example (f : Nat → Nat) (n : Nat) (h : n = 3) : f n = f 3 := by sorry"
    _file(tmp_path, a + "\n", "A.lean")
    _file(tmp_path, b + "\n", "B.lean")
    # a second process starts where the first theorem's two exchanges end
    with _backend(tmp_path, {"transcript": "proof_transitivity"}, {"transcript": "proof_transitivity", "skip": 2},
                  restart_every=every) as env:
        root = env.open(theorem_ref(tmp_path / "proj", "A.lean", a, 1, a.removesuffix(" := by sorry")))
        assert isinstance(env.run_tactic(root, "exact Eq.trans h1 h2", timeout=10), ProofFinished)
        root = env.open(theorem_ref(tmp_path / "proj", "B.lean", b, 1, b.removesuffix(" := by sorry")))
        assert isinstance(env.run_tactic(root, "exact congrArg f h", timeout=10), ProofFinished)
        assert env.stats.restarts == restarts
        assert env.stats.restart_reasons == (["scheduled after 1 theorems"] if restarts else [])
        assert env.stats.replayed_calls == 0 and env.stats.lean_calls == 4
    assert launches(tmp_path / "fake") == 1 + restarts


def test_a_hang_is_a_timeout_and_leaves_no_process(tmp_path: Path) -> None:
    text = "def f : Nat := by sorry"
    _file(tmp_path, text + "\n")
    ref = theorem_ref(tmp_path / "proj", "A.lean", text, 1, "def f : Nat")
    env = _backend(tmp_path, {"transcript": "proof_step", "hang_at": 1}, {"transcript": "unknown_tactic"})
    with env:
        root = env.open(ref)
        hung_pid = env._process.pid  # type: ignore[union-attr]
        start = time.monotonic()
        result = env.run_tactic(root, "apply Int.natAbs", timeout=0.5)
        assert isinstance(result, TacticTimeout) and result.seconds == 0.5
        assert time.monotonic() - start < 5
        assert not psutil.pid_exists(hung_pid) or psutil.Process(hung_pid).status() == psutil.STATUS_ZOMBIE
        assert env.stats.restarts == 1 and "0.5 s" in env.stats.restart_reasons[0]
        assert isinstance(env.run_tactic(root, "exat 42", timeout=10), LeanError)  # root restored
        pid = env._process.pid  # type: ignore[union-attr]
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


def test_a_repl_that_dies_at_start_is_an_open_failure_with_its_message(tmp_path: Path) -> None:
    text = "def f : Nat := by sorry"
    _file(tmp_path, text + "\n")
    ref = theorem_ref(tmp_path / "proj", "A.lean", text, 1, "def f : Nat")
    with _backend(tmp_path, {"stderr_at_start": "error: unknown executable repl\n", "exit_code": 1}) as env:
        with pytest.raises(TheoremOpenError, match="unknown executable repl") as info:
            env.open(ref)
        assert info.value.reason == "crash"


def test_a_changed_file_is_refused_before_lean_is_asked(tmp_path: Path) -> None:
    _file(tmp_path, "def f : Int := by sorry\n")
    ref = theorem_ref(tmp_path / "proj", "A.lean", "def f : Int := by sorry", 1, "def f : Nat")
    with _backend(tmp_path, {"transcript": "tactic_sorry"}) as env:
        with pytest.raises(TheoremOpenError) as info:
            env.open(ref)
        assert info.value.reason == "source_changed" and env.stats.lean_calls == 0


def test_a_header_that_does_not_elaborate(tmp_path: Path) -> None:
    text = "import Nope\n\ntheorem t : True := by sorry\n"
    _file(tmp_path, text)
    ref = theorem_ref(tmp_path / "proj", "A.lean", text, 3, "theorem t : True")
    with _backend(tmp_path, {"mode": "script", "theorems": {"t": "⊢ True"}, "header_errors": ["Nope"]}) as env:
        with pytest.raises(TheoremOpenError, match="line 1") as info:
            env.open(ref)
        assert info.value.reason == "header_error"


# -- finding the toolchain ---------------------------------------------------------------------------


def test_no_lake_says_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    (project / "lean-toolchain").write_text("leanprover/lean4:v4.9.0\n")
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    with pytest.raises(ToolchainMissing, match=r"lake.*elan.*leanprover/lean4:v4\.9\.0"):
        ReplBackend(project).check_available()


def test_lake_without_a_repl_says_how_to_build_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    (project / "lean-toolchain").write_text("leanprover/lean4:v4.9.0\n")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    lake = bin_dir / "lake"
    lake.write_text("#!/bin/sh\nexit 0\n")
    lake.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    with pytest.raises(ToolchainMissing, match=r"git checkout v4\.9\.0 && lake build"):
        ReplBackend(project).check_available()
    # A REPL the project builds as a Lake dependency is found, and started through lake.
    repl = project / ".lake" / "packages" / "repl" / ".lake" / "build" / "bin" / "repl"
    repl.parent.mkdir(parents=True)
    repl.write_text("#!/bin/sh\n")
    assert locate_repl(project)[0] == repl
    backend = ReplBackend(project)
    backend.check_available()
    assert backend.repl_command() == (str(lake), "env", str(repl))


def test_a_missing_configured_command_is_reported(tmp_path: Path) -> None:
    (tmp_path / "proj").mkdir()
    env = ReplBackend(tmp_path / "proj", ReplConfig(command=(str(tmp_path / "no-such-repl"),), check_command=("x",)))
    with pytest.raises(ToolchainMissing, match="no-such-repl"):
        env.check_available()


def test_backend_options_are_validated() -> None:
    cfg = ReplConfig.from_options({"header_timeout": "30", "command": f"{sys.executable} -m repl", "restart_every": "5"})
    assert cfg.header_timeout == 30.0 and cfg.command == (sys.executable, "-m", "repl") and cfg.restart_every == 5
    from database.errors import ConfigError

    with pytest.raises(ConfigError, match="known: "):
        ReplConfig.from_options({"header_timout": "1"})
    with pytest.raises(ConfigError, match="must be > 0"):
        ReplConfig.from_options({"command_timeout": "0"})


def test_backends_are_created_by_name(tmp_path: Path) -> None:
    from database.errors import ConfigError
    from prover.lean.backends import backend_names, create_backend

    assert {"repl", "leandojo"} <= set(backend_names())
    (tmp_path / "proj").mkdir()
    repl = create_backend("repl", tmp_path / "proj", {"header_timeout": "5"})
    assert isinstance(repl, ReplBackend) and repl.config.header_timeout == 5.0
    dojo = create_backend("leandojo", tmp_path / "proj", {"home": str(tmp_path / "home"), "open_timeout": "30"})
    assert dojo.name == "leandojo"
    with pytest.raises(ConfigError, match="home=DIR"):
        create_backend("leandojo", tmp_path / "proj", {})
    with pytest.raises(ConfigError, match=r"unknown Lean backend 'nope'.*repl"):
        create_backend("nope", tmp_path / "proj")
