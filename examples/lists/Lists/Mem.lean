import Lists.Basic
import Logic.Prop

/-!
# Membership and "every element satisfies"

`mem a xs` and `allP P xs` are propositions defined by recursion; the lemmas turn
them into statements about `app`, `rev`, `lmap` and `rep`, using the propositional
lemmas of `Logic` to reshuffle the connectives.
-/

namespace Lists

open Logic

def mem {α : Type} (a : α) : List α → Prop
  | [] => False
  | x :: xs => a = x ∨ mem a xs

def allP {α : Type} (P : α → Prop) : List α → Prop
  | [] => True
  | x :: xs => P x ∧ allP P xs

theorem mem_nil {α : Type} (a : α) : ¬ mem a [] := fun h => h

theorem mem_cons {α : Type} (a x : α) (xs : List α) : mem a (x :: xs) ↔ a = x ∨ mem a xs :=
  Iff.rfl

theorem mem_cons_self {α : Type} (a : α) (xs : List α) : mem a (a :: xs) :=
  (mem_cons a a xs).mpr (Or.inl rfl)

theorem mem_cons_of_mem {α : Type} {a : α} (x : α) {xs : List α} (h : mem a xs) : mem a (x :: xs) :=
  (mem_cons a x xs).mpr (Or.inr h)

theorem mem_singleton {α : Type} (a x : α) : mem a [x] ↔ a = x :=
  ⟨fun h => Or.elim h id (fun h' => absurd h' (mem_nil a)), Or.inl⟩

theorem mem_app {α : Type} (a : α) (xs ys : List α) : mem a (app xs ys) ↔ mem a xs ∨ mem a ys := by
  induction xs with
  | nil =>
    rw [app_nil_left]
    exact ⟨Or.inr, fun h => h.elim (fun h' => absurd h' (mem_nil a)) id⟩
  | cons x xs ih =>
    rw [app_cons, mem_cons, mem_cons, ih]
    exact iff_flip or_regroup

theorem mem_app_left {α : Type} {a : α} {xs : List α} (ys : List α) (h : mem a xs) : mem a (app xs ys) :=
  (mem_app a xs ys).mpr (Or.inl h)

theorem mem_app_right {α : Type} {a : α} (xs : List α) {ys : List α} (h : mem a ys) : mem a (app xs ys) :=
  (mem_app a xs ys).mpr (Or.inr h)

theorem mem_app_comm {α : Type} (a : α) (xs ys : List α) : mem a (app xs ys) ↔ mem a (app ys xs) := by
  rw [mem_app, mem_app]
  exact or_flip_iff

theorem mem_rev {α : Type} (a : α) (xs : List α) : mem a (rev xs) ↔ mem a xs := by
  induction xs with
  | nil => exact Iff.rfl
  | cons x xs ih =>
    rw [rev_cons, mem_app, ih, mem_singleton, mem_cons]
    exact or_flip_iff

theorem mem_lmap_of_mem {α β : Type} (f : α → β) {a : α} {xs : List α} (h : mem a xs) :
    mem (f a) (lmap f xs) := by
  induction xs with
  | nil => exact absurd h (mem_nil a)
  | cons x xs ih =>
    rw [lmap_cons, mem_cons]
    rw [mem_cons] at h
    exact h.elim (fun e => Or.inl (congrArg f e)) (fun h' => Or.inr (ih h'))

theorem exists_of_mem_lmap {α β : Type} (f : α → β) {b : β} {xs : List α} (h : mem b (lmap f xs)) :
    ∃ a, mem a xs ∧ f a = b := by
  induction xs with
  | nil => exact absurd h (mem_nil b)
  | cons x xs ih =>
    rw [lmap_cons, mem_cons] at h
    cases h with
    | inl e => exact ⟨x, mem_cons_self x xs, e.symm⟩
    | inr h' =>
      obtain ⟨a, ha, hfa⟩ := ih h'
      exact ⟨a, mem_cons_of_mem x ha, hfa⟩

theorem eq_of_mem_rep {α : Type} {a b : α} {n : Nat} (h : mem a (rep n b)) : a = b := by
  induction n with
  | zero =>
    rw [rep_zero] at h
    exact absurd h (mem_nil a)
  | succ n ih =>
    rw [rep_succ, mem_cons] at h
    exact h.elim id ih

theorem mem_rep_succ {α : Type} (a : α) (n : Nat) : mem a (rep (n + 1) a) := by
  rw [rep_succ]
  exact mem_cons_self a (rep n a)

theorem allP_nil {α : Type} (P : α → Prop) : allP P [] ↔ True := Iff.rfl

theorem allP_cons {α : Type} (P : α → Prop) (x : α) (xs : List α) :
    allP P (x :: xs) ↔ P x ∧ allP P xs := Iff.rfl

theorem allP_app {α : Type} (P : α → Prop) (xs ys : List α) :
    allP P (app xs ys) ↔ allP P xs ∧ allP P ys := by
  induction xs with
  | nil =>
    rw [app_nil_left, allP_nil]
    exact ⟨fun h => ⟨trivial, h⟩, fun h => h.2⟩
  | cons x xs ih =>
    rw [app_cons, allP_cons, allP_cons, ih]
    exact iff_flip and_regroup

theorem allP_iff_mem {α : Type} (P : α → Prop) (xs : List α) :
    allP P xs ↔ ∀ a, mem a xs → P a := by
  induction xs with
  | nil => exact ⟨fun _ a h => absurd h (mem_nil a), fun _ => trivial⟩
  | cons x xs ih =>
    rw [allP_cons]
    constructor
    · intro h a ha
      rw [mem_cons] at ha
      cases ha with
      | inl e =>
        rw [e]
        exact h.1
      | inr hm => exact ih.mp h.2 a hm
    · intro h
      exact ⟨h x (mem_cons_self x xs), ih.mpr (fun a ha => h a (mem_cons_of_mem x ha))⟩

theorem allP_rev {α : Type} (P : α → Prop) (xs : List α) : allP P (rev xs) ↔ allP P xs := by
  rw [allP_iff_mem, allP_iff_mem]
  exact ⟨fun h a ha => h a ((mem_rev a xs).mpr ha), fun h a ha => h a ((mem_rev a xs).mp ha)⟩

theorem allP_lmap {α β : Type} (P : β → Prop) (f : α → β) (xs : List α) :
    allP P (lmap f xs) ↔ allP (fun a => P (f a)) xs := by
  induction xs with
  | nil => exact Iff.rfl
  | cons x xs ih =>
    rw [lmap_cons, allP_cons, allP_cons, ih]

theorem allP_rep {α : Type} (P : α → Prop) (n : Nat) (a : α) (h : P a) : allP P (rep n a) := by
  induction n with
  | zero => trivial
  | succ n ih =>
    rw [rep_succ, allP_cons]
    exact ⟨h, ih⟩

theorem allP_imp {α : Type} {P Q : α → Prop} (hPQ : ∀ a, P a → Q a) {xs : List α} (h : allP P xs) :
    allP Q xs := by
  rw [allP_iff_mem] at h ⊢
  exact fun a ha => hPQ a (h a ha)

theorem allP_and {α : Type} (P Q : α → Prop) (xs : List α) :
    allP (fun a => P a ∧ Q a) xs ↔ allP P xs ∧ allP Q xs := by
  rw [allP_iff_mem, allP_iff_mem, allP_iff_mem]
  constructor
  · intro h
    exact ⟨fun a ha => (h a ha).1, fun a ha => (h a ha).2⟩
  · intro h a ha
    exact ⟨h.1 a ha, h.2 a ha⟩

theorem not_mem_of_allP_not {α : Type} {a : α} {xs : List α} (h : allP (fun b => b ≠ a) xs) :
    ¬ mem a xs := by
  intro hm
  rw [allP_iff_mem] at h
  exact h a hm rfl

end Lists
