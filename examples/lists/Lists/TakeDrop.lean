import Lists.Basic
import Arith.MinMax

/-!
# Prefixes and suffixes

`takeN n xs` and `dropN n xs` split a list after `n` elements; their lengths are
`minN n (len xs)` and `len xs - n`, which is where `Arith.MinMax` comes in.
-/

namespace Lists

open Arith

def takeN {α : Type} : Nat → List α → List α
  | 0, _ => []
  | _ + 1, [] => []
  | n + 1, x :: xs => x :: takeN n xs

def dropN {α : Type} : Nat → List α → List α
  | 0, xs => xs
  | _ + 1, [] => []
  | n + 1, _ :: xs => dropN n xs

theorem takeN_zero {α : Type} (xs : List α) : takeN 0 xs = [] := by
  cases xs <;> rfl

theorem takeN_nil {α : Type} (n : Nat) : takeN n ([] : List α) = [] := by
  cases n <;> rfl

theorem takeN_succ_cons {α : Type} (n : Nat) (x : α) (xs : List α) :
    takeN (n + 1) (x :: xs) = x :: takeN n xs := rfl

theorem dropN_zero {α : Type} (xs : List α) : dropN 0 xs = xs := by
  cases xs <;> rfl

theorem dropN_nil {α : Type} (n : Nat) : dropN n ([] : List α) = [] := by
  cases n <;> rfl

theorem dropN_succ_cons {α : Type} (n : Nat) (x : α) (xs : List α) :
    dropN (n + 1) (x :: xs) = dropN n xs := rfl

theorem takeN_app_dropN {α : Type} (n : Nat) (xs : List α) : app (takeN n xs) (dropN n xs) = xs := by
  induction xs generalizing n with
  | nil => rw [takeN_nil, dropN_nil, app_nil_left]
  | cons x xs ih =>
    cases n with
    | zero => rw [takeN_zero, dropN_zero, app_nil_left]
    | succ n => rw [takeN_succ_cons, dropN_succ_cons, app_cons, ih]

theorem len_takeN {α : Type} (n : Nat) (xs : List α) : len (takeN n xs) = minN n (len xs) := by
  induction xs generalizing n with
  | nil =>
    have h1 := minN_cases n (len ([] : List α))
    have h2 := len_nil (α := α)
    rw [takeN_nil]
    omega
  | cons x xs ih =>
    cases n with
    | zero =>
      have h := minN_zero_left (len (x :: xs))
      rw [takeN_zero, len_nil, h]
    | succ n =>
      have h1 := ih n
      have h2 := minN_cases (n + 1) (len (x :: xs))
      have h3 := minN_cases n (len xs)
      have h4 := len_cons x xs
      have h5 := len_cons x (takeN n xs)
      rw [takeN_succ_cons]
      omega

theorem len_dropN {α : Type} (n : Nat) (xs : List α) : len (dropN n xs) = len xs - n := by
  induction xs generalizing n with
  | nil =>
    have h := len_nil (α := α)
    rw [dropN_nil]
    omega
  | cons x xs ih =>
    cases n with
    | zero => rw [dropN_zero, Nat.sub_zero]
    | succ n =>
      have h1 := ih n
      have h2 := len_cons x xs
      rw [dropN_succ_cons]
      omega

theorem len_takeN_le {α : Type} (n : Nat) (xs : List α) : len (takeN n xs) ≤ n := by
  have h1 := len_takeN n xs
  have h2 := minN_le_left n (len xs)
  omega

theorem takeN_len_app {α : Type} (xs ys : List α) : takeN (len xs) (app xs ys) = xs := by
  induction xs with
  | nil => rw [len_nil, takeN_zero]
  | cons x xs ih => rw [len_cons, app_cons, takeN_succ_cons, ih]

theorem dropN_len_app {α : Type} (xs ys : List α) : dropN (len xs) (app xs ys) = ys := by
  induction xs with
  | nil => rw [len_nil, dropN_zero, app_nil_left]
  | cons x xs ih => rw [len_cons, app_cons, dropN_succ_cons, ih]

theorem takeN_len {α : Type} (xs : List α) : takeN (len xs) xs = xs := by
  have h := takeN_len_app xs []
  rw [app_nil_right] at h
  exact h

theorem dropN_len {α : Type} (xs : List α) : dropN (len xs) xs = [] := by
  have h := dropN_len_app xs []
  rw [app_nil_right] at h
  exact h

theorem dropN_dropN {α : Type} (m n : Nat) (xs : List α) : dropN m (dropN n xs) = dropN (n + m) xs := by
  induction xs generalizing n with
  | nil => rw [dropN_nil, dropN_nil, dropN_nil]
  | cons x xs ih =>
    cases n with
    | zero => rw [dropN_zero, Nat.zero_add]
    | succ n =>
      have e : n + 1 + m = n + m + 1 := by omega
      rw [dropN_succ_cons, e, dropN_succ_cons, ih]

theorem takeN_takeN_self {α : Type} (n : Nat) (xs : List α) : takeN n (takeN n xs) = takeN n xs := by
  induction xs generalizing n with
  | nil => rw [takeN_nil, takeN_nil]
  | cons x xs ih =>
    cases n with
    | zero => rw [takeN_zero, takeN_zero]
    | succ n => rw [takeN_succ_cons, takeN_succ_cons, ih]

theorem takeN_lmap {α β : Type} (f : α → β) (n : Nat) (xs : List α) :
    takeN n (lmap f xs) = lmap f (takeN n xs) := by
  induction xs generalizing n with
  | nil => simp only [lmap_nil, takeN_nil]
  | cons x xs ih =>
    cases n with
    | zero => simp only [takeN_zero, lmap_nil]
    | succ n => rw [lmap_cons, takeN_succ_cons, takeN_succ_cons, lmap_cons, ih]

theorem dropN_lmap {α β : Type} (f : α → β) (n : Nat) (xs : List α) :
    dropN n (lmap f xs) = lmap f (dropN n xs) := by
  induction xs generalizing n with
  | nil => simp only [lmap_nil, dropN_nil]
  | cons x xs ih =>
    cases n with
    | zero => rw [dropN_zero, dropN_zero]
    | succ n => rw [lmap_cons, dropN_succ_cons, dropN_succ_cons, ih]

theorem lsum_takeN_add_dropN (n : Nat) (xs : List Nat) :
    lsum (takeN n xs) + lsum (dropN n xs) = lsum xs := by
  have h1 := lsum_app (takeN n xs) (dropN n xs)
  rw [takeN_app_dropN] at h1
  omega

theorem len_takeN_add_len_dropN {α : Type} (n : Nat) (xs : List α) :
    len (takeN n xs) + len (dropN n xs) = len xs := by
  have h1 := len_takeN n xs
  have h2 := len_dropN n xs
  have h3 := minN_cases n (len xs)
  omega

theorem takeN_rep {α : Type} (m n : Nat) (a : α) : takeN m (rep n a) = rep (minN m n) a := by
  sorry

theorem rev_takeN {α : Type} (n : Nat) (xs : List α) :
    rev (takeN n xs) = dropN (len xs - n) (rev xs) := by
  sorry

end Lists
