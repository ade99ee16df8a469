import Lists.Mem
import Logic.Bool

/-!
# Filtering and counting

`filt p xs` keeps the elements on which the boolean test `p` is `true`; `cnt p xs`
counts them. The two equations of `filt` on a cons cell (`filt_cons_pos`,
`filt_cons_neg`) carry every proof below.
-/

namespace Lists

open Arith Logic

def filt {α : Type} (p : α → Bool) : List α → List α
  | [] => []
  | x :: xs => if p x = true then x :: filt p xs else filt p xs

def cnt {α : Type} (p : α → Bool) : List α → Nat
  | [] => 0
  | x :: xs => (if p x = true then 1 else 0) + cnt p xs

theorem filt_nil {α : Type} (p : α → Bool) : filt p [] = [] := rfl

theorem filt_cons_pos {α : Type} (p : α → Bool) (x : α) (xs : List α) (h : p x = true) :
    filt p (x :: xs) = x :: filt p xs := by
  show (if p x = true then x :: filt p xs else filt p xs) = x :: filt p xs
  exact if_pos h

theorem filt_cons_neg {α : Type} (p : α → Bool) (x : α) (xs : List α) (h : p x = false) :
    filt p (x :: xs) = filt p xs := by
  have hn : ¬ (p x = true) := by
    rw [h]
    decide
  show (if p x = true then x :: filt p xs else filt p xs) = filt p xs
  exact if_neg hn

theorem cnt_nil {α : Type} (p : α → Bool) : cnt p [] = 0 := rfl

theorem cnt_cons_pos {α : Type} (p : α → Bool) (x : α) (xs : List α) (h : p x = true) :
    cnt p (x :: xs) = cnt p xs + 1 := by
  have e : (if p x = true then 1 else 0) = 1 := if_pos h
  show (if p x = true then 1 else 0) + cnt p xs = cnt p xs + 1
  omega

theorem cnt_cons_neg {α : Type} (p : α → Bool) (x : α) (xs : List α) (h : p x = false) :
    cnt p (x :: xs) = cnt p xs := by
  have hn : ¬ (p x = true) := by
    rw [h]
    decide
  have e : (if p x = true then 1 else 0) = 0 := if_neg hn
  show (if p x = true then 1 else 0) + cnt p xs = cnt p xs
  omega

theorem len_filt {α : Type} (p : α → Bool) (xs : List α) : len (filt p xs) = cnt p xs := by
  induction xs with
  | nil => rfl
  | cons x xs ih =>
    cases hp : p x with
    | true =>
      rw [filt_cons_pos p x xs hp, cnt_cons_pos p x xs hp, len_cons, ih]
    | false =>
      rw [filt_cons_neg p x xs hp, cnt_cons_neg p x xs hp, ih]

theorem cnt_le_len {α : Type} (p : α → Bool) (xs : List α) : cnt p xs ≤ len xs := by
  induction xs with
  | nil => exact Nat.le_refl 0
  | cons x xs ih =>
    have h := len_cons x xs
    cases hp : p x with
    | true =>
      rw [cnt_cons_pos p x xs hp]
      omega
    | false =>
      rw [cnt_cons_neg p x xs hp]
      omega

theorem len_filt_le {α : Type} (p : α → Bool) (xs : List α) : len (filt p xs) ≤ len xs := by
  rw [len_filt]
  exact cnt_le_len p xs

theorem filt_app {α : Type} (p : α → Bool) (xs ys : List α) :
    filt p (app xs ys) = app (filt p xs) (filt p ys) := by
  induction xs with
  | nil => rfl
  | cons x xs ih =>
    cases hp : p x with
    | true =>
      rw [app_cons, filt_cons_pos p x (app xs ys) hp, filt_cons_pos p x xs hp, app_cons, ih]
    | false =>
      rw [app_cons, filt_cons_neg p x (app xs ys) hp, filt_cons_neg p x xs hp, ih]

theorem cnt_app {α : Type} (p : α → Bool) (xs ys : List α) :
    cnt p (app xs ys) = cnt p xs + cnt p ys := by
  rw [← len_filt, ← len_filt, ← len_filt, filt_app, len_app]

theorem filt_rev {α : Type} (p : α → Bool) (xs : List α) : filt p (rev xs) = rev (filt p xs) := by
  induction xs with
  | nil => rfl
  | cons x xs ih =>
    cases hp : p x with
    | true =>
      have e : filt p [x] = [x] := filt_cons_pos p x [] hp
      rw [rev_cons, filt_app, ih, e, filt_cons_pos p x xs hp, rev_cons]
    | false =>
      have e : filt p [x] = [] := filt_cons_neg p x [] hp
      rw [rev_cons, filt_app, ih, e, app_nil_right, filt_cons_neg p x xs hp]

theorem cnt_rev {α : Type} (p : α → Bool) (xs : List α) : cnt p (rev xs) = cnt p xs := by
  rw [← len_filt, ← len_filt, filt_rev, len_rev]

theorem mem_filt {α : Type} (p : α → Bool) (a : α) (xs : List α) :
    mem a (filt p xs) ↔ mem a xs ∧ p a = true := by
  induction xs with
  | nil => exact ⟨fun h => absurd h (mem_nil a), fun h => absurd h.1 (mem_nil a)⟩
  | cons x xs ih =>
    cases hp : p x with
    | true =>
      rw [filt_cons_pos p x xs hp, mem_cons, mem_cons, ih]
      constructor
      · intro h
        cases h with
        | inl e =>
          rw [e]
          exact ⟨Or.inl rfl, hp⟩
        | inr h' => exact ⟨Or.inr h'.1, h'.2⟩
      · intro h
        cases h.1 with
        | inl e => exact Or.inl e
        | inr h' => exact Or.inr ⟨h', h.2⟩
    | false =>
      rw [filt_cons_neg p x xs hp, mem_cons, ih]
      constructor
      · intro h
        exact ⟨Or.inr h.1, h.2⟩
      · intro h
        cases h.1 with
        | inl e =>
          rw [e, hp] at h
          exact absurd h.2 (by decide)
        | inr h' => exact ⟨h', h.2⟩

theorem allP_filt {α : Type} (p : α → Bool) (xs : List α) : allP (fun a => p a = true) (filt p xs) := by
  rw [allP_iff_mem]
  intro a ha
  exact ((mem_filt p a xs).mp ha).2

theorem filt_filt {α : Type} (p : α → Bool) (xs : List α) : filt p (filt p xs) = filt p xs := by
  induction xs with
  | nil => rfl
  | cons x xs ih =>
    cases hp : p x with
    | true => rw [filt_cons_pos p x xs hp, filt_cons_pos p x (filt p xs) hp, ih]
    | false => rw [filt_cons_neg p x xs hp, ih]

theorem filt_true {α : Type} (xs : List α) : filt (fun _ => true) xs = xs := by
  induction xs with
  | nil => rfl
  | cons x xs ih => rw [filt_cons_pos (fun _ => true) x xs rfl, ih]

theorem filt_lmap {α β : Type} (p : β → Bool) (f : α → β) (xs : List α) :
    filt p (lmap f xs) = lmap f (filt (fun a => p (f a)) xs) := by
  induction xs with
  | nil => rfl
  | cons x xs ih =>
    cases hp : p (f x) with
    | true =>
      rw [lmap_cons, filt_cons_pos p (f x) (lmap f xs) hp,
        filt_cons_pos (fun a => p (f a)) x xs hp, lmap_cons, ih]
    | false =>
      rw [lmap_cons, filt_cons_neg p (f x) (lmap f xs) hp,
        filt_cons_neg (fun a => p (f a)) x xs hp, ih]

theorem cnt_rep {α : Type} (p : α → Bool) (n : Nat) (a : α) (h : p a = true) : cnt p (rep n a) = n := by
  induction n with
  | zero => rfl
  | succ n ih => rw [rep_succ, cnt_cons_pos p a (rep n a) h, ih]

theorem lsum_filt_le (p : Nat → Bool) (xs : List Nat) : lsum (filt p xs) ≤ lsum xs := by
  induction xs with
  | nil => exact Nat.le_refl 0
  | cons x xs ih =>
    have h := lsum_cons x xs
    cases hp : p x with
    | true =>
      rw [filt_cons_pos p x xs hp]
      have h2 := lsum_cons x (filt p xs)
      omega
    | false =>
      rw [filt_cons_neg p x xs hp]
      omega

theorem cnt_add_cnt_not {α : Type} (p : α → Bool) (xs : List α) :
    cnt p xs + cnt (fun a => negB (p a)) xs = len xs := by
  sorry

theorem filt_comm {α : Type} (p q : α → Bool) (xs : List α) :
    filt p (filt q xs) = filt q (filt p xs) := by
  sorry

end Lists
