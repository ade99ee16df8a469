import Algebra.Instances

/-!
# Concrete facts from abstract algebra

Identities about `+` on `Nat` and `Int`, `xorB` on `Bool`, list sums and function
iteration, each obtained by instantiating a general monoid or group lemma.
-/

namespace Algebra

open Arith Lists Logic

theorem nat_add_right_comm (a b c : Nat) : a + b + c = a + c + b := op_right_comm a b c

theorem nat_add_left_comm (a b c : Nat) : a + (b + c) = b + (a + c) := op_left_comm a b c

theorem nat_add_add_add_comm (a b c d : Nat) : a + b + (c + d) = a + c + (b + d) :=
  op_op_op_comm a b c d

theorem nat_add_assoc4 (a b c d : Nat) : a + b + c + d = a + (b + (c + d)) := assoc4 a b c d

theorem int_add_right_cancel {a b c : Int} (h : b + a = c + a) : b = c := op_right_cancel (G := Int) h

theorem int_eq_neg_of_add_eq_zero {a b : Int} (h : a + b = 0) : b = -a := inv_unique (G := Int) h

theorem int_neg_add_cancel_left (a b : Int) : -a + (a + b) = b := inv_op_cancel_left a b

theorem int_add_neg_cancel_right (a b : Int) : a + b + -b = a := op_inv_cancel_right a b

theorem int_add_neg_cancel_left (a b : Int) : a + (-a + b) = b := op_inv_cancel_left a b

theorem int_neg_inj {a b : Int} (h : -a = -b) : a = b := inv_inj (G := Int) h

theorem int_neg_neg_add (a b : Int) : -(-a + -b) = b + a := by
  rw [int_neg_add, int_neg_neg, int_neg_neg]

theorem bool_xor_cancel_left (a b : Bool) : xorB a (xorB a b) = b := inv_op_cancel_left a b

theorem bool_xor_left_comm (a b c : Bool) : xorB a (xorB b c) = xorB b (xorB a c) := op_left_comm a b c

theorem bool_xor_assoc (a b c : Bool) : xorB (xorB a b) c = xorB a (xorB b c) := assoc a b c

theorem bool_xor_eq_iff {a b c : Bool} (h : xorB a b = c) : b = xorB a c :=
  eq_inv_op_of_op_eq (G := Bool) h

theorem xor_mpow_even (a : Bool) (n : Nat) : mpow a (2 * n) = false := by
  rw [mpow_mul, xor_mpow_two]
  exact mpow_e n

theorem double_double_mpow (a n : Nat) : double (double (mpow a n)) = mpow (double (double a)) n :=
  comp_mpow doubleHom doubleHom a n

theorem lsum_rep_eq_mpow (n a : Nat) : lsum (rep n a) = mpow a n := by
  rw [← natAdd_mconcat, mconcat_rep]

theorem mul_lsum (c : Nat) (l : List Nat) : c * lsum l = lsum (lmap (fun a => c * a) l) := by
  rw [← natAdd_mconcat, ← natAdd_mconcat]
  exact hom_mconcat (mulHom c) l

theorem lsum_app_comm (xs ys : List Nat) : lsum (app xs ys) = lsum (app ys xs) := by
  rw [← natAdd_mconcat, ← natAdd_mconcat, mconcat_app_comm]

theorem lsum_lmap_add_pair (f g : Nat → Nat) (l : List Nat) :
    lsum (lmap (fun i => f i + g i) l) = lsum (lmap f l) + lsum (lmap g l) := by
  rw [← natAdd_mconcat, ← natAdd_mconcat, ← natAdd_mconcat]
  exact mconcat_lmap_op f g l

theorem iterate_succ_add (m n : Nat) : mpow (fun k : Nat => k + 1) m n = m + n := by
  induction m with
  | zero =>
    rw [endo_mpow_zero_apply]
    omega
  | succ m ih =>
    rw [endo_mpow_succ_apply, ih]
    omega

theorem iterate_double (k n : Nat) : mpow double k n = pow2 k * n := by
  induction k with
  | zero =>
    rw [endo_mpow_zero_apply, pow2_zero, mul_one_left]
  | succ k ih =>
    rw [endo_mpow_succ_apply, ih, pow2_succ, double_mul_left]

theorem iterate_comm {α : Type} (f : α → α) (m n : Nat) (x : α) :
    mpow f m (mpow f n x) = mpow f n (mpow f m x) := by
  rw [← endo_mpow_add_apply, ← endo_mpow_add_apply, Nat.add_comm]

theorem nat_mpow_one (n : Nat) : mpow (1 : Nat) n = n := by
  rw [natAdd_mpow, mul_one_right]

theorem lsum_mpow_rep (n a : Nat) : lsum (rep n a) = n * a := by
  rw [lsum_rep_eq_mpow, natAdd_mpow]

theorem int_mpow_neg (a : Int) (n : Nat) : mpow (-a) n = -(mpow a n) := mpow_inv a n

theorem bool_mconcat_rep_even (a : Bool) (n : Nat) : mconcat (rep (2 * n) a) = false := by
  rw [mconcat_rep, xor_mpow_even]

theorem int_neg_sum (l : List Int) : -(mconcat l) = mconcat (rev (lmap (fun a => -a) l)) := by
  sorry

end Algebra
