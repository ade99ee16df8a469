"""Best-first search on a deterministic fake environment (tests/fake_lean_env.py)."""

from __future__ import annotations

import pytest
from fake_lean_env import FakeEnv, FakeGenerator, ref

from database.errors import ConfigError
from prover.lean.interface import TheoremOpenError, ToolchainMissing
from prover.search import NodeView, SearchConfig, StopReason, best_first_search

# A small proof space with an error, a timeout and two ways to finish.
SPACE = {
    "⊢ p → p ∧ p": {"intro h": ["h : p\n⊢ p ∧ p"], "simp": "error", "aesop": "timeout"},
    "h : p\n⊢ p ∧ p": {"constructor": ["h : p\n⊢ p", "h : p\n⊢ p"], "exact ⟨h, h⟩": "finished"},
    "h : p\n⊢ p\n\nh : p\n⊢ p": {"exact h": ["h : p\n⊢ p"]},
    "h : p\n⊢ p": {"exact h": "finished"},
}
GEN = {
    "⊢ p → p ∧ p": [("simp", -0.1), ("aesop", -0.2), ("intro h", -0.5)],
    "h : p\n⊢ p ∧ p": [("constructor", -0.3), ("exact ⟨h, h⟩", -2.0)],
    "h : p\n⊢ p\n\nh : p\n⊢ p": [("exact h", -0.1)],
    "h : p\n⊢ p": [("exact h", -0.1)],
}


def search(env: FakeEnv, gen: FakeGenerator, **config):
    return best_first_search(env, ref(), gen, config=SearchConfig(**config), clock=env.clock)


def test_finds_the_known_proof_and_handles_errors_and_timeouts() -> None:
    env = FakeEnv("⊢ p → p ∧ p", SPACE)
    r = search(env, FakeGenerator(GEN))
    assert r.stop_reason is StopReason.PROVED and r.proved
    # expanding "h : p ⊢ p ∧ p" runs its candidates in turn and stops at the first that
    # closes the goal (ReProver), though its other child is the better-scored state
    assert r.proof == ("intro h", "exact ⟨h, h⟩")
    assert r.tactic_errors == 1 and r.tactic_timeouts == 1
    assert r.nodes_expanded == 2 and r.nodes == 3
    assert r.lean_calls == 1 + len(env.calls) == r.tactics_tried + 1
    assert r.seconds == env.clock.now


def test_best_first_order_and_a_pluggable_scorer() -> None:
    space = {"⊢ a": {"x": ["⊢ b"], "y": ["⊢ c"]}, "⊢ b": {"bx": ["⊢ d"]}, "⊢ c": {"cx": "finished"}}
    gen = {"⊢ a": [("x", -0.1), ("y", -1.0)], "⊢ b": [("bx", -0.1)], "⊢ c": [("cx", -0.1)], "⊢ d": []}
    env = FakeEnv("⊢ a", space)
    r = search(env, FakeGenerator(gen))
    assert [t for _, t, _ in env.calls] == ["x", "y", "bx", "cx"]  # b (-0.1), then d (-0.2), then c (-1.0)
    assert r.proof == ("y", "cx")
    # breadth-first instead (a value model would plug in the same way): c before d
    env = FakeEnv("⊢ a", space)
    r = best_first_search(env, ref(), FakeGenerator(gen), config=SearchConfig(), clock=env.clock,
                          scorer=lambda n: -n.depth)
    assert [t for _, t, _ in env.calls] == ["x", "y", "bx", "cx"]
    env = FakeEnv("⊢ a", space)

    def deepest(n: NodeView) -> float:
        return n.depth + (1 if n.state.pp == "⊢ c" else 0)

    best_first_search(env, ref(), FakeGenerator(gen), config=SearchConfig(), clock=env.clock, scorer=deepest)
    assert [t for _, t, _ in env.calls][:3] == ["x", "y", "cx"]


def test_states_are_deduplicated_into_a_dag() -> None:
    space = {"⊢ a": {"l": ["⊢ b"], "r": ["⊢ b"], "loop": ["⊢ a"]}, "⊢ b": {"done": "finished", "bad": "error"}}
    gen = FakeGenerator({"⊢ a": [("l", -0.5), ("r", -0.1), ("loop", -0.2)], "⊢ b": [("bad", -0.1), ("done", -0.2)]})
    env = FakeEnv("⊢ a", space)
    r = search(env, gen)
    assert r.proved and r.nodes == 2 and r.duplicates == 2  # r -> b (known), loop -> a (known)
    # r found b again with a better score (its priority rose), but the proof follows the
    # path that produced the state Lean continued from
    assert r.proof == ("l", "done")
    expanded = [req.state for batch in gen.requests for req in batch]
    assert expanded == ["⊢ a", "⊢ b"]  # b expanded once although reached twice


def test_exhausted_when_nothing_is_left() -> None:
    env = FakeEnv("⊢ a", {"⊢ a": {"x": "error", "y": "sorry"}})
    r = search(env, FakeGenerator({"⊢ a": [("x", -1.0), ("y", -1.0)]}))
    assert r.stop_reason is StopReason.EXHAUSTED and r.proof is None and r.given_up == 1


def _infinite() -> tuple[dict, FakeGenerator]:
    def grow(goal: str) -> list[str]:
        return [goal + "'"]

    space: dict = {}

    class Space(dict):
        def get(self, key, default=None):  # every state has a tactic leading to a new state
            return {"grow": grow, "fail": "error"}

    return Space(space), FakeGenerator(lambda s: [("fail", -0.1), ("grow", -0.2)])


def test_max_expansions() -> None:
    space, gen = _infinite()
    env = FakeEnv("⊢ a", space)
    r = search(env, gen, max_expansions=3)
    assert r.stop_reason is StopReason.MAX_EXPANSIONS and r.nodes_expanded == 3
    assert sum(len(b) for b in gen.requests) == 3


def test_max_lean_calls_counts_the_opening_too() -> None:
    space, gen = _infinite()
    env = FakeEnv("⊢ a", space)
    r = search(env, gen, max_lean_calls=6)
    assert r.stop_reason is StopReason.MAX_LEAN_CALLS and r.lean_calls == 6 and len(env.calls) == 5


def test_time_limit_and_tactic_timeouts_never_pass_the_deadline() -> None:
    space, gen = _infinite()
    env = FakeEnv("⊢ a", space, cost=1.0)
    r = search(env, gen, timeout=3.5, tactic_timeout=60)
    assert r.stop_reason is StopReason.TIME_LIMIT and env.clock.now <= 4.0
    timeouts = [t for _, _, t in env.calls]
    assert timeouts[0] == pytest.approx(3.5) and timeouts[-1] == pytest.approx(0.5)


def test_a_proof_found_at_the_deadline_is_kept() -> None:
    env = FakeEnv("⊢ a", {"⊢ a": {"slow": "finished"}}, costs={"slow": 5.0})
    r = search(env, FakeGenerator({"⊢ a": [("slow", -0.1)]}), timeout=5.0, tactic_timeout=10)
    assert env.clock.now >= 5.0
    assert r.stop_reason is StopReason.PROVED and r.proof == ("slow",)


def test_max_depth() -> None:
    space, gen = _infinite()
    env = FakeEnv("⊢ a", space)
    r = search(env, gen, max_depth=2)
    assert r.stop_reason is StopReason.EXHAUSTED and r.nodes_expanded == 2 and r.nodes == 3


def test_expansion_batches_generate_several_states_at_once() -> None:
    space = {"⊢ a": {"x": ["⊢ b"], "y": ["⊢ c"]}, "⊢ b": {"f": "error"}, "⊢ c": {"g": "finished"}}
    gen = FakeGenerator({"⊢ a": [("x", -0.1), ("y", -0.2)], "⊢ b": [("f", -0.1)], "⊢ c": [("g", -0.1)]})
    r = search(FakeEnv("⊢ a", space), gen, expansion_batch=2)
    assert r.proved and [len(b) for b in gen.requests] == [1, 2]


def test_open_failures_and_backend_errors_are_results() -> None:
    env = FakeEnv("⊢ a", {}, open_error=TheoremOpenError("the file does not elaborate", reason="header_error"))
    r = search(env, FakeGenerator({}))
    assert r.stop_reason is StopReason.OPEN_FAILED and r.open_reason == "header_error"
    assert "does not elaborate" in (r.error or "") and r.lean_calls == 1
    env = FakeEnv("⊢ p → p ∧ p", SPACE, fail_after=2)
    r = search(env, FakeGenerator(GEN))
    assert r.stop_reason is StopReason.BACKEND_ERROR and "died for good" in (r.error or "")
    env = FakeEnv("⊢ a", {}, open_error=ToolchainMissing("install Lean"))
    with pytest.raises(ToolchainMissing):
        search(env, FakeGenerator({}))


def test_premises_are_retrieved_only_for_generators_that_use_them() -> None:
    seen = []

    def premises(state):
        seen.append(state.pp)
        return ["theorem p : True"]

    gen = FakeGenerator({"⊢ a": [("x", -0.1)]}, uses_premises=True)
    env = FakeEnv("⊢ a", {"⊢ a": {"x": "finished"}})
    best_first_search(env, ref(), gen, config=SearchConfig(), premises=premises, clock=env.clock)
    assert seen == ["⊢ a"] and gen.requests[0][0].premises == ("theorem p : True",)
    gen = FakeGenerator({"⊢ a": [("x", -0.1)]})
    best_first_search(FakeEnv("⊢ a", {"⊢ a": {"x": "finished"}}), ref(), gen, config=SearchConfig(),
                      premises=premises)
    assert seen == ["⊢ a"] and gen.requests[0][0].premises == ()


def test_config_is_validated() -> None:
    with pytest.raises(ConfigError):
        SearchConfig(timeout=0)
    with pytest.raises(ConfigError):
        SearchConfig(max_expansions=0)
