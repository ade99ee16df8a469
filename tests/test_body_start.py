"""One rule for where a declaration's body starts (`database.lean_text.body_start`),
shared by the static indexer and the REPL backend's source surgery."""

from __future__ import annotations

from pathlib import Path

import pytest

from database.lean_text import blank_non_code, body_start
from leanagent.tracing.static.parser import parse_text
from prover.lean.source import SourceFile, normalize

ROOT = Path(__file__).resolve().parent.parent

# (declaration, kind, text the body starts with or None, style)
CASES = [
    ("theorem t (a b : Nat) : a + b = b + a := by\n  omega", "theorem", ":= by", "tactic"),
    ("theorem t : True := trivial", "theorem", ":= trivial", "term"),
    ("theorem t : (have m := 1; m) = 1 := rfl", "theorem", ":= rfl", "term"),  # the have's := is not it
    ("theorem t ⦃a b : Nat⦄ (h : a = b) : b = a := h.symm", "theorem", ":= h.symm", "term"),
    # a strict-implicit binder holding a default value: `⦃ ⦄` are brackets too
    ("theorem t ⦃n : Nat := 0⦄ : n = n := rfl", "theorem", ":= rfl", "term"),
    # a pipeline continued on the next line is not an equation
    ("theorem t (l : List Nat) :\n    l.map id\n    |>.length = l.length := by simp", "theorem", ":= by simp", "tactic"),
    ("theorem t (x : Int) : |x| = |x| := rfl", "theorem", ":= rfl", "term"),  # absolute value
    ("def f : Nat → Nat\n  | 0 => 1\n  | n + 1 => f n", "def", "| 0 => 1", "equations"),
    ("inductive T\n  | a | b", "inductive", "| a | b", "equations"),
    ("inductive T where\n  | a", "inductive", "where", "where"),
    ("instance : Add Nat := ⟨Nat.add⟩", "instance", ":= ⟨Nat.add⟩", "term"),
    ("structure S\n  deriving Repr", "structure", None, "none"),
    ("def f (n : Nat) : Nat\ntermination_by n", "def", None, "none"),
    ("theorem t : True -- := not this\n  := trivial", "theorem", ":= trivial", "term"),
]


@pytest.mark.parametrize(("text", "kind", "body", "style"), CASES)
def test_body_start(text: str, kind: str, body: str | None, style: str) -> None:
    off, got_style = body_start(blank_non_code(text), 0, len(text), kind)
    assert got_style == style
    if body is None:
        assert off is None
    else:
        assert off is not None and text[off:].startswith(body)


@pytest.mark.parametrize(("text", "kind", "body", "style"), [c for c in CASES if c[1] == "theorem"])
def test_source_file_uses_the_same_rule(text: str, kind: str, body: str | None, style: str) -> None:
    """The REPL backend cuts a theorem's statement where the indexer did."""
    src = SourceFile(text + "\n")
    decl = src.declaration((1, 1), src.position(len(text)))
    assert decl.body is not None and body is not None
    assert text[decl.body:].startswith(body)


def test_statements_agree_on_the_examples() -> None:
    """For every theorem of the bundled example projects, the statement the REPL backend
    sends (everything before the body `SourceFile` finds) is the one the indexer stored."""
    checked = 0
    for path in sorted((ROOT / "examples").rglob("*.lean")):
        if ".lake" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        src = SourceFile(text)
        for d in parse_text(text, str(path)).decls:
            if not d.is_theorem or d.statement is None:
                continue
            decl = src.declaration(d.keyword_pos, d.end)
            assert normalize(decl.statement(text)) == normalize(d.statement), (path, d.full_name)
            checked += 1
    assert checked > 500
