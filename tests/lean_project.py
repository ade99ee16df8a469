"""A small Lean project in a real git repository, indexed into a real knowledge base, and
the scripted fake REPL / fake `lake` that stand in for Lean (tests only)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from repl_helpers import FAKE_REPL

FAKEBIN = Path(__file__).with_name("fakebin")

BASIC = """\
import Demo.Defs

/-! Demo theorems, some with `sorry`. -/

namespace Demo

theorem double_zero : double 0 = 0 := by
  rfl

theorem easy (x : Nat) : x = x := by
  sorry

set_option maxHeartbeats 400000 in
@[simp] theorem attr_thm (n : Nat) :
    n + 0 = n := by
  sorry

theorem about_placeholder : placeholder = placeholder := sorry

theorem hard : 1 = 2 := by
  sorry

theorem uses_double (n : Nat) : double n = n + n := by
  unfold double
  rfl

end Demo
"""

DEFS = """\
namespace Demo

def double (n : Nat) : Nat := n + n

def placeholder : Nat := sorry

end Demo
"""

#: Goals the fake REPL gives each theorem, and what tactics do there.
GOALS = {
    "Demo.easy": "x : Nat\n⊢ x = x",
    "Demo.attr_thm": "n : Nat\n⊢ n + 0 = n",
    "Demo.about_placeholder": "⊢ placeholder = placeholder",
    "Demo.hard": "⊢ 1 = 2",
    "Demo.double_zero": "⊢ double 0 = 0",
    "Demo.uses_double": "n : Nat\n⊢ double n = n + n",
}
TACTICS = {
    "x : Nat\n⊢ x = x": {"rfl": {"finished": True}, "simp": {"error": "simp made no progress"}},
    "n : Nat\n⊢ n + 0 = n": {"simp": {"goals": ["n : Nat\n⊢ n = n"]}, "rfl": {"error": "not rfl"}},
    "n : Nat\n⊢ n = n": {"rfl": {"finished": True}},
    "⊢ placeholder = placeholder": {"rfl": {"finished": True}},
    "⊢ 1 = 2": {"simp": {"error": "simp made no progress"}, "decide": {"error": "decide failed"}},
    "⊢ double 0 = 0": {"rfl": {"finished": True}},
    "n : Nat\n⊢ double n = n + n": {"simp": {"goals": ["n : Nat\n⊢ n + n = n + n"]}},
    "n : Nat\n⊢ n + n = n + n": {"rfl": {"finished": True}},
}


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), "-c", "user.name=test", "-c", "user.email=test@example.org",
                           *args], check=True, capture_output=True, text=True).stdout


def make_project(root: Path) -> Path:
    """The Demo project, committed in a fresh git repository."""
    (root / "Demo").mkdir(parents=True)
    (root / "lean-toolchain").write_text("leanprover/lean4:v4.9.0\n")
    (root / "lakefile.lean").write_text('import Lake\nopen Lake DSL\n\npackage demo\n\n@[default_target]\nlean_lib Demo\n')
    (root / "Demo" / "Basic.lean").write_text(BASIC)
    (root / "Demo" / "Defs.lean").write_text(DEFS)
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "init")
    return root


def index_project(store, home: Path, root: Path):
    from database.home import Home
    from leanagent.tracing import AddRequest, add_source

    add_source(store, AddRequest(source=str(root), name="demo"), Home(home))
    return store.find_repository("demo")


def fake_repl_command(directory: Path, **rules) -> tuple[str, ...]:
    """The fake REPL in script mode with the Demo project's goals and tactics."""
    directory.mkdir(parents=True, exist_ok=True)
    spec = {"mode": "script", "theorems": GOALS, "tactics": TACTICS, **rules}
    path = directory / "scenario.json"
    path.write_text(json.dumps({"counter": str(directory / "launches"), "launches": [spec]}))
    return (sys.executable, str(FAKE_REPL), "--scenario", str(path))


def use_fake_lake(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, rules: dict | None = None) -> Path:
    """Put the fake `lake` first on PATH; return the directory where it dumps checked files."""
    monkeypatch.setenv("PATH", f"{FAKEBIN}:{Path(sys.executable).parent}:/usr/bin:/bin")
    rules_path = tmp_path / "lean-rules.json"
    rules_path.write_text(json.dumps(rules or {}))
    monkeypatch.setenv("FAKE_LEAN_RULES", str(rules_path))
    dump = tmp_path / "checked"
    monkeypatch.setenv("FAKE_LEAN_DUMP", str(dump))
    return dump


def set_lean_rules(tmp_path: Path, rules: dict) -> None:
    (tmp_path / "lean-rules.json").write_text(json.dumps(rules))
