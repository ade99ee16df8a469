import Lists.Fold
import Lists.Filter
import Lists.TakeDrop

/-!
# Lengths and sums of composite lists

Facts that combine several list functions; each proof chains the lemmas of the other
files (and of `Arith`) rather than inducting again.
-/

namespace Lists

open Arith

theorem len_rev_app {α : Type} (xs ys : List α) : len (rev (app xs ys)) = len xs + len ys := by
  rw [len_rev, len_app]

theorem len_app_rev {α : Type} (xs ys : List α) : len (app (rev xs) ys) = len xs + len ys := by
  rw [len_app, len_rev]

theorem lsum_rep_two (n : Nat) : lsum (rep n 2) = double n := by
  rw [lsum_rep, mul_two_right]

theorem lsum_rep_one (n : Nat) : lsum (rep n 1) = n := by
  rw [lsum_rep, mul_one_right]

theorem len_filt_true {α : Type} (xs : List α) : len (filt (fun _ => true) xs) = len xs := by
  rw [filt_true]

theorem cnt_true {α : Type} (xs : List α) : cnt (fun _ => true) xs = len xs := by
  rw [← len_filt, filt_true]

theorem lsum_upto_twice (n : Nat) : lsum (upto (n + 1)) + lsum (upto (n + 1)) = n * (n + 1) := by
  rw [← double_def, double_lsum_upto]

theorem mem_lmap_double {a : Nat} {xs : List Nat} (h : mem a xs) : mem (a + a) (lmap double xs) :=
  mem_lmap_of_mem double h

theorem len_takeN_len {α : Type} (xs : List α) : len (takeN (len xs) xs) = len xs := by
  rw [takeN_len]

theorem le_lsum_of_mem {x : Nat} {xs : List Nat} (h : mem x xs) : x ≤ lsum xs := by
  induction xs with
  | nil => exact absurd h (mem_nil x)
  | cons y ys ih =>
    have h1 := lsum_cons y ys
    rw [mem_cons] at h
    cases h with
    | inl hxy => omega
    | inr hm =>
      have h2 := ih hm
      omega

theorem rev_lmap_rev {α β : Type} (f : α → β) (xs : List α) : rev (lmap f (rev xs)) = lmap f xs := by
  rw [lmap_rev, rev_rev]

theorem app_rep_singleton {α : Type} (n : Nat) (a : α) : app (rep n a) [a] = rep (n + 1) a :=
  app_rep n 1 a

theorem lsum_takeN_le (n : Nat) (xs : List Nat) : lsum (takeN n xs) ≤ lsum xs := by
  have h := lsum_takeN_add_dropN n xs
  omega

theorem lsum_dropN_le (n : Nat) (xs : List Nat) : lsum (dropN n xs) ≤ lsum xs := by
  have h := lsum_takeN_add_dropN n xs
  omega

theorem len_flat_rep {α : Type} (n : Nat) (xs : List α) : len (flat (rep n xs)) = n * len xs := by
  induction n with
  | zero => rw [rep_zero, flat_nil, len_nil, mul_zero_left]
  | succ n ih =>
    rw [rep_succ, flat_cons, len_app, ih, mul_succ_left]
    omega

theorem lsum_lmap_succ (xs : List Nat) : lsum (lmap (fun x => x + 1) xs) = lsum xs + len xs := by
  have h1 : lsum (lmap (fun x => x + 1) xs) = lsum (lmap (fun x => x) xs) + lsum (lmap (fun _ => 1) xs) :=
    lsum_lmap_add (fun x => x) (fun _ => 1) xs
  have h2 := lsum_lmap_const 1 xs
  have h3 := mul_one_right (len xs)
  rw [lmap_id] at h1
  omega

theorem len_upto_app (m n : Nat) : len (app (upto m) (upto n)) = m + n := by
  rw [len_app, len_upto, len_upto]

theorem lsum_upto_succ (n : Nat) : lsum (upto (n + 1)) = lsum (upto n) + n := by
  have h1 := lsum_cons n []
  have h2 := lsum_nil
  rw [upto_succ, lsum_app]
  omega

theorem mem_upto_succ_self (n : Nat) : mem n (upto (n + 1)) := (mem_upto n (n + 1)).mpr (by omega)

theorem cnt_app_comm {α : Type} (p : α → Bool) (xs ys : List α) :
    cnt p (app xs ys) = cnt p (app ys xs) := by
  rw [cnt_app, cnt_app]
  omega

theorem len_filt_app_le {α : Type} (p : α → Bool) (xs ys : List α) :
    len (filt p (app xs ys)) ≤ len xs + len ys := by
  rw [← len_app]
  exact len_filt_le p (app xs ys)

theorem lsum_rev_app (xs ys : List Nat) : lsum (rev (app xs ys)) = lsum xs + lsum ys := by
  rw [lsum_rev, lsum_app]

theorem foldR_len_app {α : Type} (xs ys : List α) :
    foldR (fun _ acc => acc + 1) 0 (app xs ys) = len xs + len ys := by
  rw [← len_eq_foldR, len_app]

theorem lsum_lmap_double_upto (n : Nat) : lsum (lmap double (upto n)) = double (lsum (upto n)) :=
  lsum_lmap_double (upto n)

theorem allP_upto_lt (n : Nat) : allP (fun a => a < n) (upto n) := by
  rw [allP_iff_mem]
  intro a ha
  exact (mem_upto a n).mp ha

theorem lsum_le_len_mul {xs : List Nat} {c : Nat} (h : allP (fun a => a ≤ c) xs) :
    lsum xs ≤ len xs * c := by
  sorry

theorem len_filt_lmap {α β : Type} (p : β → Bool) (f : α → β) (xs : List α) :
    len (filt p (lmap f xs)) = cnt (fun a => p (f a)) xs := by
  rw [filt_lmap, len_lmap, len_filt]

end Lists
