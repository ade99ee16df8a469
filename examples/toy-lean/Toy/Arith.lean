import Toy.Basic
import Mathlib.Algebra.Group.Defs

/-! Arithmetic facts. A commented-out `sorry` must not count: -/
/- theorem old : 1 = 2 := sorry -/

namespace Toy

-- sorry in a comment


theorem add_swap (a b : Nat) : a + b = b + a := by
  rw [Nat.add_comm a b]
  -- "sorry" in a comment inside the proof

theorem αβ_lemma (α β : Nat) : α + β = β + α := by
  exact not_sorry_lemma; sorry

theorem term_sorry : 1 = 1 := sorry -- "sorry"

end Toy
