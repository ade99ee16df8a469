import Algebra.Monoid

/-!
# Groups

A group structure on a monoid adds `Grp.inv` with the single axiom `inv a ⋆ a = e`;
the right inverse, cancellation, uniqueness of inverses and `inv (a ⋆ b)` are derived.
-/

namespace Algebra

class Grp (G : Type) [Mon G] where
  inv : G → G
  inv_op' : ∀ a : G, inv a ⋆ a = Mon.e

open Grp

variable {G : Type} [Mon G] [Grp G]

theorem inv_op (a : G) : inv a ⋆ a = Mon.e := Grp.inv_op' a

theorem op_left_cancel {a b c : G} (h : a ⋆ b = a ⋆ c) : b = c := by
  have h2 : inv a ⋆ (a ⋆ b) = inv a ⋆ (a ⋆ c) := by rw [h]
  rw [← assoc, ← assoc, inv_op, e_op, e_op] at h2
  exact h2

theorem op_inv (a : G) : a ⋆ inv a = Mon.e := by
  apply op_left_cancel (a := inv a)
  rw [← assoc, inv_op, e_op, op_e]

theorem op_right_cancel {a b c : G} (h : b ⋆ a = c ⋆ a) : b = c := by
  have h2 : b ⋆ a ⋆ inv a = c ⋆ a ⋆ inv a := by rw [h]
  rw [assoc, assoc, op_inv, op_e, op_e] at h2
  exact h2

theorem inv_inv (a : G) : inv (inv a) = a := by
  apply op_left_cancel (a := inv a)
  rw [op_inv, inv_op]

theorem inv_unique {a b : G} (h : a ⋆ b = Mon.e) : b = inv a := by
  apply op_left_cancel (a := a)
  rw [h, op_inv]

theorem inv_unique_left {a b : G} (h : b ⋆ a = Mon.e) : b = inv a := by
  apply op_right_cancel (a := a)
  rw [h, inv_op]

theorem inv_e : inv (Mon.e : G) = Mon.e := (inv_unique (op_e Mon.e)).symm

theorem inv_op_rev (a b : G) : inv (a ⋆ b) = inv b ⋆ inv a := by
  have h : a ⋆ b ⋆ (inv b ⋆ inv a) = Mon.e := by
    rw [assoc, ← assoc b, op_inv, e_op, op_inv]
  exact (inv_unique h).symm

theorem inv_inj {a b : G} (h : inv a = inv b) : a = b := by
  rw [← inv_inv a, h, inv_inv]

theorem op_inv_cancel_left (a b : G) : a ⋆ (inv a ⋆ b) = b := by
  rw [← assoc, op_inv, e_op]

theorem inv_op_cancel_left (a b : G) : inv a ⋆ (a ⋆ b) = b := by
  rw [← assoc, inv_op, e_op]

theorem op_inv_cancel_right (a b : G) : a ⋆ b ⋆ inv b = a := by
  rw [assoc, op_inv, op_e]

theorem eq_inv_op_of_op_eq {a b c : G} (h : a ⋆ b = c) : b = inv a ⋆ c := by
  rw [← h, inv_op_cancel_left]

theorem eq_op_inv_of_op_eq {a b c : G} (h : a ⋆ b = c) : a = c ⋆ inv b := by
  rw [← h, op_inv_cancel_right]

theorem op_eq_e_iff {a b : G} : a ⋆ b = Mon.e ↔ b = inv a := by
  constructor
  · exact inv_unique
  · intro h
    rw [h, op_inv]

theorem mpow_inv (a : G) (n : Nat) : mpow (inv a) n = inv (mpow a n) := by
  induction n with
  | zero => rw [mpow_zero, mpow_zero, inv_e]
  | succ n ih => rw [mpow_succ, ih, mpow_succ_right, inv_op_rev]

theorem mpow_op_inv_mpow (a : G) (n : Nat) : mpow a n ⋆ mpow (inv a) n = Mon.e := by
  rw [mpow_inv, op_inv]

theorem conj_mpow (g a : G) (n : Nat) :
    mpow (g ⋆ a ⋆ inv g) n = g ⋆ mpow a n ⋆ inv g := by
  sorry

theorem inv_op_inv_of_comm {a b : G} (h : a ⋆ b = b ⋆ a) : inv a ⋆ inv b = inv b ⋆ inv a := by
  sorry

end Algebra
