"""Source surgery: where a declaration's command begins, where its proof begins, command
boundaries of a header, the `sorry` command, and writing a proof in place."""

from __future__ import annotations

import itertools
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from prover.lean.source import (
    SourceFile,
    has_sorry_in_statement,
    render_proof,
    replace_proof,
    sorry_command,
    statement_matches,
)

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

TEXT = """\
import Mathlib.Tactic
public import Foo.Bar

open Nat

namespace A

/-- A docstring
spanning lines. -/
@[simp,
  norm_cast]
protected theorem t1 (n : Nat) : n + 0 = n := by
  simp

set_option maxHeartbeats 400000 in
open Foo in
theorem t2 : (have m := 1; m) = 1 := rfl

mutual
def isEven : Nat → Bool
  | 0 => true
  | n + 1 => isOdd n
def isOdd : Nat → Bool
  | 0 => false
  | n + 1 => isEven n
end

theorem t3 (x : Int) : |x| = |x| := by sorry

theorem t4 : ∀ n : Nat, n = n
  | 0 => rfl
  | _ + 1 => rfl

end A
"""


def _src() -> SourceFile:
    return SourceFile(TEXT)


def _at(src: SourceFile, needle: str) -> tuple[int, int]:
    return src.position(src.text.index(needle))


def test_a_command_begins_at_its_docstring_attributes_modifiers_and_in_prefixes() -> None:
    src = _src()
    d1 = src.declaration(_at(src, "theorem t1"), _at(src, "\n\nset_option"))
    assert src.text[d1.start:].startswith("/-- A docstring")
    d2 = src.declaration(_at(src, "theorem t2"), _at(src, "\n\nmutual"))
    assert src.text[d2.start:].startswith("set_option maxHeartbeats 400000 in\nopen Foo in\ntheorem t2")


def test_the_proof_begins_after_the_statement() -> None:
    src = _src()
    d2 = src.declaration(_at(src, "theorem t2"), _at(src, "\n\nmutual"))
    assert d2.statement(src.text) == "theorem t2 : (have m := 1; m) = 1"  # the `have`'s := is not the body
    d3 = src.declaration(_at(src, "theorem t3"), _at(src, "\n\ntheorem t4"))
    assert d3.statement(src.text) == "theorem t3 (x : Int) : |x| = |x|"  # |x| is no equation
    d4 = src.declaration(_at(src, "theorem t4"), _at(src, "\n\nend A"))
    assert src.text[d4.body:].startswith("| 0 => rfl")
    s = SourceFile("theorem t5 : have m := 1; m = 1 := rfl\n")  # a `have` at depth 0
    assert s.declaration((1, 1), (1, 39)).statement(s.text) == "theorem t5 : have m := 1; m = 1"


def test_header_boundaries_cut_whole_commands() -> None:
    src = _src()
    upto = src.declaration(_at(src, "theorem t3"), _at(src, "\n\ntheorem t4")).start
    cuts = src.boundaries(upto)
    pieces = [src.text[a:b].strip() for a, b in itertools.pairwise(cuts)]
    assert pieces[0] == "import Mathlib.Tactic\npublic import Foo.Bar"  # imports alone, first
    assert pieces[1:4] == ["open Nat", "namespace A", TEXT[TEXT.index("/--"):TEXT.index("\n\nset_option")]]
    assert pieces[4].startswith("set_option") and pieces[4].endswith(":= rfl")
    assert pieces[5].startswith("mutual") and pieces[5].endswith("end")  # never cut inside mutual
    assert len(pieces) == 6 and cuts[-1] == upto


def test_the_sorry_command() -> None:
    src = _src()
    d1 = src.declaration(_at(src, "theorem t1"), _at(src, "\n\nset_option"))
    cmd, at = sorry_command(src, d1)
    assert cmd.startswith("/-- A docstring") and cmd.endswith("n + 0 = n := by sorry") and cmd[at:] == "sorry"
    d3 = src.declaration(_at(src, "theorem t3"), _at(src, "\n\ntheorem t4"))
    cmd, at = sorry_command(src, d3)
    assert cmd == "theorem t3 (x : Int) : |x| = |x| := by sorry"  # already `by sorry`: kept as written
    d4 = src.declaration(_at(src, "theorem t4"), _at(src, "\n\nend A"))
    assert sorry_command(src, d4)[0] == "theorem t4 : ∀ n : Nat, n = n\n  := by sorry"


def test_statements_compare_without_comments_or_layout() -> None:
    src = _src()
    d1 = src.declaration(_at(src, "theorem t1"), _at(src, "\n\nset_option"))
    assert statement_matches(src, d1, "theorem t1 (n : Nat) :\n    n + 0 = n")
    assert not statement_matches(src, d1, "theorem t1 (n : Int) : n + 0 = n")
    assert not has_sorry_in_statement(src, d1)
    s = SourceFile("theorem t (h : (have x : Nat := sorry; x = x)) : True := trivial\n")
    assert has_sorry_in_statement(s, s.declaration((1, 1), (1, 65)))


def test_a_proof_is_written_in_place_with_its_indentation() -> None:
    src = _src()
    d3 = src.declaration(_at(src, "theorem t3"), _at(src, "\n\ntheorem t4"))
    out = replace_proof(src, d3, ["cases x", "· rfl\n  done", "rfl"])
    assert "theorem t3 (x : Int) : |x| = |x| := by\n  cases x\n  · rfl\n    done\n  rfl\n\ntheorem t4" in out
    assert out.replace("  cases x\n  · rfl\n    done\n  rfl", "sorry").replace(":= by\nsorry", ":= by sorry") == TEXT
    assert render_proof(["a\n\n  b"], 4) == ":= by\n    a\n\n      b"


@given(st.lists(st.text(alphabet="abc xyz⊢←\n·", min_size=1, max_size=20).filter(lambda t: t.strip()),
                min_size=1, max_size=4))
def test_only_the_proof_changes(tactics: list[str]) -> None:
    src = _src()
    d3 = src.declaration(_at(src, "theorem t3"), _at(src, "\n\ntheorem t4"))
    out = replace_proof(src, d3, tactics)
    assert out.startswith(TEXT[: d3.body]) and out.endswith(TEXT[d3.end :])


def test_every_theorem_of_the_example_projects_is_found() -> None:
    paths = sorted(p for p in EXAMPLES.glob("*/**/*.lean") if ".lake" not in p.parts)
    assert len(paths) >= 20, "the bundled example projects were not found"
    for path in paths:
        src = SourceFile(path.read_text())
        assert src.boundaries(len(src.text))[0] == 0
