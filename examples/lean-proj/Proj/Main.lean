import Proj.Basic
import Mathlib.Tactic

open Proj

namespace Proj.Main

variable {k : Nat}

lemma uses_double (n : Nat) : double n = n + n := by
  rw [double]

theorem two_steps (a b : Nat) (h : a = b) : double a = double b := by
  subst h
  · rfl

theorem tactic_nested (n : Nat) : double (n + 0) = double n := by
  induction n with
  | zero => simp [double_zero]
  | succ m ih =>
    have hm : m + 1 + 0 = m + 1 := by
      simp
    rw [hm]

theorem with_sorry (x : Nat) : x = x := by
  constructor <;> sorry

theorem term_sorry : double 1 = 2 := sorry

theorem local_shadow (double_add : Nat) : double_add = double_add := by
  exact rfl

theorem eqns : ∀ n : Nat, double n = 2 * n
  | 0 => rfl
  | n + 1 => by unfold double; omega

def uses_sorry : Nat := sorry  -- a def with sorry

example : double 2 = 4 := by sorry

open Proj.Point in
theorem fields (p : Point) : p.x = Point.x p := rfl

proof_wanted hard_one : double 3 = 6

end Proj.Main
