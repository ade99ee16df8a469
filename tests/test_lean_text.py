"""`sorry` as a token: never in comments, strings, quotations or longer identifiers."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from database.lean_text import blank_non_code, declaration_keyword, sorry_positions

CASES = [
    ("exact not_sorry_lemma", []),
    ("exact sorry", [(1, 7)]),
    ("-- sorry\nsorry", [(2, 1)]),
    ("/- a /- sorry -/ sorry -/ sorry", [(1, 27)]),  # nested block comment
    ('"sorry" sorry', [(1, 9)]),
    ('s!"a {f "}" } sorry" sorry', [(1, 22)]),  # interpolated string holding a string
    ('throwError "x {y "}"} sorry" sorry', [(1, 30)]),
    ("`(tactic| sorry) sorry", [(1, 18)]),  # syntax quotation
    ("h' sorry 'x' sorry", [(1, 4), (1, 14)]),  # prime vs char literal
    ("'\\'' sorry", [(1, 6)]),
    ("⟨sorry, sorry⟩", [(1, 2), (1, 9)]),  # two on one line
    ("Foo.sorry sorry", [(1, 11)]),
    ('r#"sorry"# sorry', [(1, 12)]),  # raw string
    ("/-- doc sorry -/\ntheorem x : True := sorry", [(2, 21)]),
    ("`sorry sorry", [(1, 8)]),  # name literal
    ("a₁ sorry", [(1, 4)]),
    ("/-- info: sorry -/\n#guard_msgs in\nexample : True := by sorry", [(3, 22)]),
    ("theorem t (h : (have x : Nat := sorry; x = x)) : True := trivial", [(1, 33)]),
    ("admit", []),
    ("/- unterminated sorry", []),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_sorry_tokens(text: str, expected: list) -> None:
    assert sorry_positions(text) == expected


def test_positions_are_relative_to_a_base() -> None:
    assert sorry_positions("by\n  sorry", base=(10, 5)) == [(11, 3)]
    assert sorry_positions("x sorry", base=(10, 5)) == [(10, 7)]


@pytest.mark.parametrize(
    ("code", "keyword"),
    [
        ("@[simp] /-- def -/ private theorem foo : 1 = 1", "theorem"),
        ("noncomputable def f := 1", "def"),
        ("@[simp]\nlemma x₁_le (x₁ : Nat) : x₁ ≤ x₁", "lemma"),
        ("instance : Foo Bar := ⟨⟩", "instance"),
        ("notation x \"+\" y => f x y", None),
    ],
)
def test_declaration_keyword(code: str, keyword: str | None) -> None:
    assert declaration_keyword(code) == keyword


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab sorry\n\"'`{}()/-!#r\\s")), max_size=80) | st.text(max_size=60))
def test_blanking_keeps_shape_and_never_raises(text: str) -> None:
    blanked = blank_non_code(text)
    assert len(blanked) == len(text)
    assert [i for i, c in enumerate(blanked) if c == "\n"] == [i for i, c in enumerate(text) if c == "\n"]
    # blanking only ever turns characters into spaces
    assert all(b == t or b == " " for b, t in zip(blanked, text, strict=True))
    sorry_positions(text)
