import Lists.Filter
import Lists.Fold
import Orders.Relations

/-!
# Sorted lists and insertion sort

`Sorted l` says every element is at most every later one (stated with `Lists.allP`).
`ins` inserts into a sorted list and `isort` sorts by repeated insertion; the main
results are `sorted_isort` and that `isort` keeps length, members, sum and counts.
-/

namespace Orders

open Arith Logic Lists

def Sorted : List Nat → Prop
  | [] => True
  | x :: xs => allP (fun y => x ≤ y) xs ∧ Sorted xs

def ins (x : Nat) : List Nat → List Nat
  | [] => [x]
  | y :: ys => if x ≤ y then x :: y :: ys else y :: ins x ys

def isort : List Nat → List Nat
  | [] => []
  | x :: xs => ins x (isort xs)

theorem sorted_nil : Sorted [] := trivial

theorem sorted_cons_iff (x : Nat) (xs : List Nat) :
    Sorted (x :: xs) ↔ allP (fun y => x ≤ y) xs ∧ Sorted xs := Iff.rfl

theorem sorted_singleton (x : Nat) : Sorted [x] :=
  (sorted_cons_iff x []).mpr ⟨trivial, sorted_nil⟩

theorem sorted_tail {x : Nat} {xs : List Nat} (h : Sorted (x :: xs)) : Sorted xs :=
  ((sorted_cons_iff x xs).mp h).2

theorem sorted_cons_le {x a : Nat} {xs : List Nat} (h : Sorted (x :: xs)) (hm : mem a xs) : x ≤ a :=
  (allP_iff_mem (fun y => x ≤ y) xs).mp ((sorted_cons_iff x xs).mp h).1 a hm

theorem sorted_pair {a b : Nat} (h : a ≤ b) : Sorted [a, b] := by
  rw [sorted_cons_iff, allP_cons]
  exact ⟨⟨h, trivial⟩, sorted_singleton b⟩

theorem sorted_rep (n a : Nat) : Sorted (rep n a) := by
  induction n with
  | zero => exact sorted_nil
  | succ n ih =>
    rw [rep_succ, sorted_cons_iff]
    exact ⟨allP_rep (fun y => a ≤ y) n a (Nat.le_refl a), ih⟩

theorem ins_nil (x : Nat) : ins x [] = [x] := rfl

theorem ins_cons_le (x y : Nat) (ys : List Nat) (h : x ≤ y) : ins x (y :: ys) = x :: y :: ys := by
  show (if x ≤ y then x :: y :: ys else y :: ins x ys) = x :: y :: ys
  exact if_pos h

theorem ins_cons_gt (x y : Nat) (ys : List Nat) (h : ¬ x ≤ y) : ins x (y :: ys) = y :: ins x ys := by
  show (if x ≤ y then x :: y :: ys else y :: ins x ys) = y :: ins x ys
  exact if_neg h

theorem isort_nil : isort [] = [] := rfl

theorem isort_cons (x : Nat) (xs : List Nat) : isort (x :: xs) = ins x (isort xs) := rfl

theorem len_ins (x : Nat) (l : List Nat) : len (ins x l) = len l + 1 := by
  induction l with
  | nil => rfl
  | cons y ys ih =>
    by_cases h : x ≤ y
    · rw [ins_cons_le x y ys h, len_cons, len_cons]
    · rw [ins_cons_gt x y ys h, len_cons, len_cons, ih]

theorem mem_ins (x a : Nat) (l : List Nat) : mem a (ins x l) ↔ a = x ∨ mem a l := by
  induction l with
  | nil =>
    rw [ins_nil, mem_singleton]
    exact ⟨Or.inl, fun h => h.elim id (fun h' => absurd h' (mem_nil a))⟩
  | cons y ys ih =>
    by_cases h : x ≤ y
    · rw [ins_cons_le x y ys h, mem_cons]
    · rw [ins_cons_gt x y ys h, mem_cons, ih, mem_cons]
      exact or_left_swap

theorem allP_ins (P : Nat → Prop) (x : Nat) (l : List Nat) :
    allP P (ins x l) ↔ P x ∧ allP P l := by
  rw [allP_iff_mem, allP_iff_mem]
  constructor
  · intro h
    exact ⟨h x ((mem_ins x x l).mpr (Or.inl rfl)), fun a ha => h a ((mem_ins x a l).mpr (Or.inr ha))⟩
  · intro h a ha
    cases (mem_ins x a l).mp ha with
    | inl e =>
      rw [e]
      exact h.1
    | inr hm => exact h.2 a hm

theorem sorted_ins (x : Nat) (l : List Nat) (h : Sorted l) : Sorted (ins x l) := by
  induction l with
  | nil =>
    rw [ins_nil]
    exact sorted_singleton x
  | cons y ys ih =>
    rw [sorted_cons_iff] at h
    by_cases hxy : x ≤ y
    · rw [ins_cons_le x y ys hxy, sorted_cons_iff, sorted_cons_iff]
      refine ⟨?_, h.1, h.2⟩
      rw [allP_cons]
      exact ⟨hxy, allP_imp (P := fun z => y ≤ z) (fun b hb => Nat.le_trans hxy hb) h.1⟩
    · rw [ins_cons_gt x y ys hxy, sorted_cons_iff, allP_ins]
      exact ⟨⟨by omega, h.1⟩, ih h.2⟩

theorem sorted_isort (l : List Nat) : Sorted (isort l) := by
  induction l with
  | nil => exact sorted_nil
  | cons x xs ih =>
    rw [isort_cons]
    exact sorted_ins x (isort xs) ih

theorem len_isort (l : List Nat) : len (isort l) = len l := by
  induction l with
  | nil => rfl
  | cons x xs ih => rw [isort_cons, len_ins, ih, len_cons]

theorem mem_isort (a : Nat) (l : List Nat) : mem a (isort l) ↔ mem a l := by
  induction l with
  | nil => exact Iff.rfl
  | cons x xs ih => rw [isort_cons, mem_ins, ih, mem_cons]

theorem lsum_ins (x : Nat) (l : List Nat) : lsum (ins x l) = x + lsum l := by
  induction l with
  | nil => rfl
  | cons y ys ih =>
    by_cases h : x ≤ y
    · rw [ins_cons_le x y ys h, lsum_cons]
    · rw [ins_cons_gt x y ys h, lsum_cons, lsum_cons, ih]
      omega

theorem lsum_isort (l : List Nat) : lsum (isort l) = lsum l := by
  induction l with
  | nil => rfl
  | cons x xs ih => rw [isort_cons, lsum_ins, ih, lsum_cons]

theorem cnt_ins (p : Nat → Bool) (x : Nat) (l : List Nat) : cnt p (ins x l) = cnt p (x :: l) := by
  induction l with
  | nil => rfl
  | cons y ys ih =>
    by_cases h : x ≤ y
    · rw [ins_cons_le x y ys h]
    · rw [ins_cons_gt x y ys h]
      have e1 : cnt p (y :: ins x ys) = (if p y = true then 1 else 0) + cnt p (ins x ys) := rfl
      have e2 : cnt p (x :: ys) = (if p x = true then 1 else 0) + cnt p ys := rfl
      have e3 : cnt p (x :: y :: ys) =
          (if p x = true then 1 else 0) + ((if p y = true then 1 else 0) + cnt p ys) := rfl
      omega

theorem cnt_isort (p : Nat → Bool) (l : List Nat) : cnt p (isort l) = cnt p l := by
  induction l with
  | nil => rfl
  | cons x xs ih =>
    have e1 : cnt p (x :: isort xs) = (if p x = true then 1 else 0) + cnt p (isort xs) := rfl
    have e2 : cnt p (x :: xs) = (if p x = true then 1 else 0) + cnt p xs := rfl
    rw [isort_cons, cnt_ins]
    omega

theorem ins_of_allP (x : Nat) (l : List Nat) (h : allP (fun y => x ≤ y) l) : ins x l = x :: l := by
  cases l with
  | nil => rfl
  | cons y ys =>
    rw [allP_cons] at h
    exact ins_cons_le x y ys h.1

theorem isort_of_sorted (l : List Nat) (h : Sorted l) : isort l = l := by
  induction l with
  | nil => rfl
  | cons x xs ih =>
    have h2 := (sorted_cons_iff x xs).mp h
    rw [isort_cons, ih h2.2, ins_of_allP x xs h2.1]

theorem isort_idem (l : List Nat) : isort (isort l) = isort l :=
  isort_of_sorted (isort l) (sorted_isort l)

theorem isort_rep (n a : Nat) : isort (rep n a) = rep n a :=
  isort_of_sorted (rep n a) (sorted_rep n a)

theorem sorted_app_iff (xs ys : List Nat) :
    Sorted (app xs ys) ↔ Sorted xs ∧ Sorted ys ∧ ∀ a b, mem a xs → mem b ys → a ≤ b := by
  sorry

theorem sorted_upto (n : Nat) : Sorted (upto n) := by
  sorry

theorem isort_app_comm (xs ys : List Nat) : isort (app xs ys) = isort (app ys xs) := by
  sorry

end Orders
