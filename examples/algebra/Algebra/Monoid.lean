import Lists.Fold
import Lists.TakeDrop

/-!
# Monoids

A monoid is a type with an associative operation `⋆` and a neutral element `Mon.e`.
The axioms are class fields; the lemmas `assoc`, `e_op` and `op_e` restate them, and
everything after is derived: powers `mpow`, products of lists `mconcat`.
-/

namespace Algebra

open Arith Lists

class Mon (M : Type) where
  op : M → M → M
  e : M
  op_assoc' : ∀ a b c : M, op (op a b) c = op a (op b c)
  e_op' : ∀ a : M, op e a = a
  op_e' : ∀ a : M, op a e = a

infixl:70 " ⋆ " => Mon.op

variable {M : Type} [Mon M]

theorem assoc (a b c : M) : a ⋆ b ⋆ c = a ⋆ (b ⋆ c) := Mon.op_assoc' a b c

theorem e_op (a : M) : Mon.e ⋆ a = a := Mon.e_op' a

theorem op_e (a : M) : a ⋆ Mon.e = a := Mon.op_e' a

theorem e_unique {u : M} (h : ∀ a : M, u ⋆ a = a) : u = Mon.e := by
  have h2 := h Mon.e
  rw [op_e] at h2
  exact h2

theorem e_unique_right {u : M} (h : ∀ a : M, a ⋆ u = a) : u = Mon.e := by
  have h2 := h Mon.e
  rw [e_op] at h2
  exact h2

theorem assoc4 (a b c d : M) : a ⋆ b ⋆ c ⋆ d = a ⋆ (b ⋆ (c ⋆ d)) := by
  rw [assoc, assoc]

theorem assoc_mid (a b c d : M) : a ⋆ (b ⋆ c) ⋆ d = a ⋆ b ⋆ (c ⋆ d) := by
  rw [assoc, assoc, assoc]

/-! ## Powers -/

def mpow (a : M) : Nat → M
  | 0 => Mon.e
  | n + 1 => a ⋆ mpow a n

theorem mpow_zero (a : M) : mpow a 0 = Mon.e := rfl

theorem mpow_succ (a : M) (n : Nat) : mpow a (n + 1) = a ⋆ mpow a n := rfl

theorem mpow_one (a : M) : mpow a 1 = a := by
  have h : mpow a 1 = a ⋆ mpow a 0 := rfl
  rw [h, mpow_zero, op_e]

theorem mpow_e (n : Nat) : mpow (Mon.e : M) n = Mon.e := by
  induction n with
  | zero => rfl
  | succ n ih => rw [mpow_succ, ih, e_op]

theorem mpow_add (a : M) (m n : Nat) : mpow a (m + n) = mpow a m ⋆ mpow a n := by
  induction m with
  | zero => rw [Nat.zero_add, mpow_zero, e_op]
  | succ m ih =>
    have hmn : m + 1 + n = m + n + 1 := by omega
    rw [hmn, mpow_succ, mpow_succ, ih, assoc]

theorem mpow_op_comm (a : M) (n : Nat) : mpow a n ⋆ a = a ⋆ mpow a n := by
  induction n with
  | zero => rw [mpow_zero, e_op, op_e]
  | succ n ih => rw [mpow_succ, assoc, ih]

theorem mpow_succ_right (a : M) (n : Nat) : mpow a (n + 1) = mpow a n ⋆ a := by
  rw [mpow_succ, mpow_op_comm]

theorem mpow_comm (a : M) (m n : Nat) : mpow a m ⋆ mpow a n = mpow a n ⋆ mpow a m := by
  rw [← mpow_add, ← mpow_add, Nat.add_comm]

theorem mpow_mul (a : M) (m n : Nat) : mpow a (m * n) = mpow (mpow a m) n := by
  induction n with
  | zero => rw [mul_zero_right, mpow_zero, mpow_zero]
  | succ n ih => rw [mul_succ_right, mpow_add, ih, mpow_succ, mpow_op_comm]

theorem mpow_two (a : M) : mpow a 2 = a ⋆ a := by
  have h : mpow a 2 = a ⋆ mpow a 1 := rfl
  rw [h, mpow_one]

theorem mpow_double (a : M) (n : Nat) : mpow a (double n) = mpow a n ⋆ mpow a n := by
  rw [double_def, mpow_add]

/-! ## Products of lists -/

def mconcat : List M → M
  | [] => Mon.e
  | x :: xs => x ⋆ mconcat xs

theorem mconcat_nil : mconcat ([] : List M) = Mon.e := rfl

theorem mconcat_cons (x : M) (xs : List M) : mconcat (x :: xs) = x ⋆ mconcat xs := rfl

theorem mconcat_singleton (a : M) : mconcat [a] = a := by
  rw [mconcat_cons, mconcat_nil, op_e]

theorem mconcat_app (xs ys : List M) : mconcat (app xs ys) = mconcat xs ⋆ mconcat ys := by
  induction xs with
  | nil => rw [app_nil_left, mconcat_nil, e_op]
  | cons x xs ih => rw [app_cons, mconcat_cons, mconcat_cons, ih, assoc]

theorem mconcat_rep (n : Nat) (a : M) : mconcat (rep n a) = mpow a n := by
  induction n with
  | zero => rfl
  | succ n ih => rw [rep_succ, mconcat_cons, ih, mpow_succ]

theorem mconcat_flat (xss : List (List M)) : mconcat (flat xss) = mconcat (lmap mconcat xss) := by
  induction xss with
  | nil => rfl
  | cons xs xss ih => rw [flat_cons, mconcat_app, ih, lmap_cons, mconcat_cons]

theorem mconcat_app_singleton (xs : List M) (a : M) : mconcat (app xs [a]) = mconcat xs ⋆ a := by
  rw [mconcat_app, mconcat_singleton]

theorem mconcat_rep_add (m n : Nat) (a : M) :
    mconcat (rep (m + n) a) = mpow a m ⋆ mpow a n := by
  rw [mconcat_rep, mpow_add]

theorem mconcat_takeN_dropN (n : Nat) (xs : List M) :
    mconcat xs = mconcat (takeN n xs) ⋆ mconcat (dropN n xs) := by
  sorry

end Algebra
