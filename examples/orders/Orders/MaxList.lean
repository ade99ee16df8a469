import Orders.Sorted
import Arith.MinMax
import Lists.TakeDrop

/-!
# The largest element of a list

`maxL l` folds `Arith.maxN` over the list (0 for the empty list). It bounds every
member (`le_maxL`), is a member itself (`maxL_mem`), and bounds the sum
(`lsum_le_len_mul_maxL`).
-/

namespace Orders

open Arith Logic Lists

def maxL : List Nat → Nat
  | [] => 0
  | x :: xs => maxN x (maxL xs)

theorem maxL_nil : maxL [] = 0 := rfl

theorem maxL_cons (x : Nat) (xs : List Nat) : maxL (x :: xs) = maxN x (maxL xs) := rfl

theorem maxL_singleton (x : Nat) : maxL [x] = x := by
  rw [maxL_cons, maxL_nil, maxN_zero_right]

theorem le_maxL {a : Nat} {l : List Nat} (h : mem a l) : a ≤ maxL l := by
  induction l with
  | nil => exact absurd h (mem_nil a)
  | cons x xs ih =>
    rw [mem_cons] at h
    rw [maxL_cons]
    cases h with
    | inl e =>
      rw [e]
      exact le_maxN_left x (maxL xs)
    | inr hm => exact Nat.le_trans (ih hm) (le_maxN_right x (maxL xs))

theorem maxL_le {c : Nat} {l : List Nat} (h : allP (fun a => a ≤ c) l) : maxL l ≤ c := by
  induction l with
  | nil => exact Nat.zero_le c
  | cons x xs ih =>
    rw [allP_cons] at h
    rw [maxL_cons]
    exact maxN_le h.1 (ih h.2)

theorem maxL_le_iff (c : Nat) (l : List Nat) : maxL l ≤ c ↔ allP (fun a => a ≤ c) l := by
  constructor
  · intro h
    rw [allP_iff_mem]
    intro a ha
    exact Nat.le_trans (le_maxL ha) h
  · exact maxL_le

theorem maxL_app (xs ys : List Nat) : maxL (app xs ys) = maxN (maxL xs) (maxL ys) := by
  induction xs with
  | nil => rw [app_nil_left, maxL_nil, maxN_zero_left]
  | cons x xs ih => rw [app_cons, maxL_cons, maxL_cons, ih, maxN_assoc]

theorem maxL_rev (l : List Nat) : maxL (rev l) = maxL l := by
  induction l with
  | nil => rfl
  | cons x xs ih =>
    rw [rev_cons, maxL_app, ih, maxL_singleton, maxL_cons, maxN_comm]

theorem maxL_rep (n a : Nat) : maxL (rep (n + 1) a) = a := by
  induction n with
  | zero => rw [rep_succ, rep_zero, maxL_singleton]
  | succ n ih => rw [rep_succ, maxL_cons, ih, maxN_self]

theorem maxL_mem (x : Nat) (xs : List Nat) : mem (maxL (x :: xs)) (x :: xs) := by
  induction xs generalizing x with
  | nil =>
    rw [maxL_singleton]
    exact mem_cons_self x []
  | cons y ys ih =>
    rw [maxL_cons]
    cases maxN_cases x (maxL (y :: ys)) with
    | inl h =>
      rw [h.2]
      exact mem_cons_of_mem x (ih y)
    | inr h =>
      rw [h.2]
      exact mem_cons_self x (y :: ys)

theorem lsum_le_len_mul_maxL (l : List Nat) : lsum l ≤ len l * maxL l := by
  induction l with
  | nil => exact Nat.zero_le _
  | cons x xs ih =>
    have h1 := lsum_cons x xs
    have h2 := len_cons x xs
    have h3 := maxL_cons x xs
    have h4 := le_maxN_left x (maxL xs)
    have h5 := le_maxN_right x (maxL xs)
    have h6 := mul_le_mul_left (len xs) h5
    have h7 := mul_succ_left (len xs) (maxN x (maxL xs))
    rw [h2, h3]
    omega

theorem maxL_isort (l : List Nat) : maxL (isort l) = maxL l := by
  apply Nat.le_antisymm
  · apply maxL_le
    rw [allP_iff_mem]
    intro a ha
    exact le_maxL ((mem_isort a l).mp ha)
  · apply maxL_le
    rw [allP_iff_mem]
    intro a ha
    exact le_maxL ((mem_isort a l).mpr ha)

theorem maxL_lmap_double (l : List Nat) : maxL (lmap double l) = double (maxL l) := by
  induction l with
  | nil => rfl
  | cons x xs ih => rw [lmap_cons, maxL_cons, maxL_cons, ih, double_maxN]

theorem maxL_filt_le (p : Nat → Bool) (l : List Nat) : maxL (filt p l) ≤ maxL l := by
  apply maxL_le
  rw [allP_iff_mem]
  intro a ha
  exact le_maxL ((mem_filt p a l).mp ha).1

theorem sorted_last_eq_maxL (x : Nat) (xs : List Nat) (h : Sorted (app xs [x])) :
    maxL (app xs [x]) = x := by
  sorry

theorem maxL_takeN_le (n : Nat) (l : List Nat) : maxL (takeN n l) ≤ maxL l := by
  sorry

end Orders
