import Algebra.Group
import Lists.Filter

/-!
# Commutative monoids

With `CommMon`, products can be reordered: `op_left_comm`, powers of products
(`mpow_op_distrib`), and the product of a list does not depend on its order
(`mconcat_rev`).
-/

namespace Algebra

open Arith Lists

class CommMon (M : Type) [Mon M] : Prop where
  comm' : ∀ a b : M, a ⋆ b = b ⋆ a

variable {M : Type} [Mon M] [CommMon M]

theorem op_comm (a b : M) : a ⋆ b = b ⋆ a := CommMon.comm' a b

theorem op_left_comm (a b c : M) : a ⋆ (b ⋆ c) = b ⋆ (a ⋆ c) := by
  rw [← assoc, op_comm a b, assoc]

theorem op_right_comm (a b c : M) : a ⋆ b ⋆ c = a ⋆ c ⋆ b := by
  rw [assoc, op_comm b c, ← assoc]

theorem op_op_op_comm (a b c d : M) : a ⋆ b ⋆ (c ⋆ d) = a ⋆ c ⋆ (b ⋆ d) := by
  rw [assoc, op_left_comm b c d, ← assoc]

theorem mpow_op_distrib (a b : M) (n : Nat) : mpow (a ⋆ b) n = mpow a n ⋆ mpow b n := by
  induction n with
  | zero => rw [mpow_zero, mpow_zero, mpow_zero, op_e]
  | succ n ih => rw [mpow_succ, mpow_succ, mpow_succ, ih, op_op_op_comm]

theorem mconcat_rev (l : List M) : mconcat (rev l) = mconcat l := by
  induction l with
  | nil => rfl
  | cons x xs ih => rw [rev_cons, mconcat_app, ih, mconcat_singleton, mconcat_cons, op_comm]

theorem mconcat_app_comm (xs ys : List M) : mconcat (app xs ys) = mconcat (app ys xs) := by
  rw [mconcat_app, mconcat_app, op_comm]

theorem mconcat_lmap_op (f g : Nat → M) (l : List Nat) :
    mconcat (lmap (fun i => f i ⋆ g i) l) = mconcat (lmap f l) ⋆ mconcat (lmap g l) := by
  induction l with
  | nil => rw [lmap_nil, lmap_nil, lmap_nil, mconcat_nil, op_e]
  | cons x xs ih =>
    rw [lmap_cons, lmap_cons, lmap_cons, mconcat_cons, mconcat_cons, mconcat_cons, ih,
      op_op_op_comm]

theorem mpow_comm_op (a b : M) (n : Nat) : mpow a n ⋆ b = b ⋆ mpow a n := op_comm _ _

theorem mconcat_rotate (l : List M) (x : M) : mconcat (x :: l) = mconcat (app l [x]) := by
  rw [mconcat_cons, mconcat_app_singleton, op_comm]

theorem mconcat_filt_mul (p : M → Bool) (l : List M) :
    mconcat (filt p l) ⋆ mconcat (filt (fun a => Logic.negB (p a)) l) = mconcat l := by
  sorry

end Algebra
