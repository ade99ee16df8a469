import Lists.Mem
import Arith.Sum

/-!
# Folds, ranges and flattening

`upto n = [0, 1, …, n - 1]` connects list sums to `Arith.sumTo`: summing `f` over
`upto n` is `sumTo f n`. `foldR` is the right fold; `flat` concatenates a list of lists.
-/

namespace Lists

open Arith

def upto : Nat → List Nat
  | 0 => []
  | n + 1 => app (upto n) [n]

def foldR {α β : Type} (f : α → β → β) (b : β) : List α → β
  | [] => b
  | x :: xs => f x (foldR f b xs)

def flat {α : Type} : List (List α) → List α
  | [] => []
  | xs :: xss => app xs (flat xss)

theorem upto_zero : upto 0 = [] := rfl

theorem upto_succ (n : Nat) : upto (n + 1) = app (upto n) [n] := rfl

theorem foldR_nil {α β : Type} (f : α → β → β) (b : β) : foldR f b [] = b := rfl

theorem foldR_cons {α β : Type} (f : α → β → β) (b : β) (x : α) (xs : List α) :
    foldR f b (x :: xs) = f x (foldR f b xs) := rfl

theorem flat_nil {α : Type} : flat ([] : List (List α)) = [] := rfl

theorem flat_cons {α : Type} (xs : List α) (xss : List (List α)) :
    flat (xs :: xss) = app xs (flat xss) := rfl

theorem len_upto (n : Nat) : len (upto n) = n := by
  induction n with
  | zero => rfl
  | succ n ih =>
    have h1 := len_app (upto n) [n]
    have h2 : len [n] = 1 := rfl
    rw [upto_succ]
    omega

theorem lsum_lmap_upto (f : Nat → Nat) (n : Nat) : lsum (lmap f (upto n)) = sumTo f n := by
  induction n with
  | zero => rfl
  | succ n ih =>
    have h1 := lsum_app (lmap f (upto n)) (lmap f [n])
    have h2 : lsum (lmap f [n]) = f n + 0 := rfl
    have h3 := sumTo_succ f n
    rw [upto_succ, lmap_app]
    omega

theorem lsum_upto (n : Nat) : lsum (upto n) = sumTo (fun i => i) n := by
  have h := lsum_lmap_upto (fun i => i) n
  rw [lmap_id] at h
  exact h

theorem double_lsum_upto (n : Nat) : double (lsum (upto (n + 1))) = n * (n + 1) := by
  rw [lsum_upto, double_sumTo_id]

theorem mem_upto (a n : Nat) : mem a (upto n) ↔ a < n := by
  induction n with
  | zero => exact ⟨fun h => absurd h (mem_nil a), fun h => absurd h (by omega)⟩
  | succ n ih =>
    rw [upto_succ, mem_app, ih, mem_singleton]
    constructor
    · intro h
      omega
    · intro h
      omega

theorem foldR_app {α β : Type} (f : α → β → β) (b : β) (xs ys : List α) :
    foldR f b (app xs ys) = foldR f (foldR f b ys) xs := by
  induction xs with
  | nil => rfl
  | cons x xs ih => rw [app_cons, foldR_cons, foldR_cons, ih]

theorem lsum_eq_foldR (xs : List Nat) : lsum xs = foldR (fun x acc => x + acc) 0 xs := by
  induction xs with
  | nil => rfl
  | cons x xs ih => rw [lsum_cons, foldR_cons, ih]

theorem len_eq_foldR {α : Type} (xs : List α) : len xs = foldR (fun _ acc => acc + 1) 0 xs := by
  induction xs with
  | nil => rfl
  | cons x xs ih => rw [len_cons, foldR_cons, ih]

theorem lmap_eq_foldR {α β : Type} (f : α → β) (xs : List α) :
    lmap f xs = foldR (fun x acc => f x :: acc) [] xs := by
  induction xs with
  | nil => rfl
  | cons x xs ih => rw [lmap_cons, foldR_cons, ih]

theorem app_eq_foldR {α : Type} (xs ys : List α) : app xs ys = foldR (fun x acc => x :: acc) ys xs := by
  induction xs with
  | nil => rfl
  | cons x xs ih => rw [app_cons, foldR_cons, ih]

theorem flat_app {α : Type} (xss yss : List (List α)) : flat (app xss yss) = app (flat xss) (flat yss) := by
  induction xss with
  | nil => rfl
  | cons xs xss ih => rw [app_cons, flat_cons, flat_cons, ih, app_assoc3]

theorem len_flat {α : Type} (xss : List (List α)) : len (flat xss) = lsum (lmap len xss) := by
  induction xss with
  | nil => rfl
  | cons xs xss ih =>
    have h1 := len_app xs (flat xss)
    have h2 := lsum_cons (len xs) (lmap len xss)
    rw [flat_cons, lmap_cons]
    omega

theorem flat_singletons {α : Type} (xs : List α) : flat (lmap (fun x => [x]) xs) = xs := by
  induction xs with
  | nil => rfl
  | cons x xs ih => rw [lmap_cons, flat_cons, ih, app_singleton]

theorem mem_flat {α : Type} (a : α) (xss : List (List α)) :
    mem a (flat xss) ↔ ∃ xs, mem xs xss ∧ mem a xs := by
  induction xss with
  | nil =>
    constructor
    · intro h
      exact absurd h (mem_nil a)
    · intro h
      obtain ⟨xs, hxs, _⟩ := h
      exact absurd hxs (mem_nil xs)
  | cons ys yss ih =>
    rw [flat_cons, mem_app, ih]
    constructor
    · intro h
      cases h with
      | inl hy => exact ⟨ys, mem_cons_self ys yss, hy⟩
      | inr hr =>
        obtain ⟨xs, hxs, ha⟩ := hr
        exact ⟨xs, mem_cons_of_mem ys hxs, ha⟩
    · intro h
      obtain ⟨xs, hxs, ha⟩ := h
      rw [mem_cons] at hxs
      cases hxs with
      | inl e =>
        rw [e] at ha
        exact Or.inl ha
      | inr hm => exact Or.inr ⟨xs, hm, ha⟩

theorem rev_flat {α : Type} (xss : List (List α)) :
    rev (flat xss) = flat (rev (lmap rev xss)) := by
  sorry

theorem sumTo_eq_foldR (f : Nat → Nat) (n : Nat) :
    sumTo f n = foldR (fun i acc => f i + acc) 0 (upto n) := by
  sorry

end Lists
