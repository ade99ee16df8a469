import Arith.Mul

/-!
# Lists: length, append, reverse, map, sum, replicate

The list functions are this project's own (`len`, `app`, `rev`, `lmap`, `lsum`, `rep`)
rather than core's, so every fact about them is proved here from their equations.
-/

namespace Lists

open Arith

def len {α : Type} : List α → Nat
  | [] => 0
  | _ :: xs => len xs + 1

def app {α : Type} : List α → List α → List α
  | [], ys => ys
  | x :: xs, ys => x :: app xs ys

def rev {α : Type} : List α → List α
  | [] => []
  | x :: xs => app (rev xs) [x]

def lmap {α β : Type} (f : α → β) : List α → List β
  | [] => []
  | x :: xs => f x :: lmap f xs

def lsum : List Nat → Nat
  | [] => 0
  | x :: xs => x + lsum xs

def rep {α : Type} : Nat → α → List α
  | 0, _ => []
  | n + 1, a => a :: rep n a

theorem len_nil {α : Type} : len ([] : List α) = 0 := rfl

theorem len_cons {α : Type} (x : α) (xs : List α) : len (x :: xs) = len xs + 1 := rfl

theorem app_nil_left {α : Type} (ys : List α) : app [] ys = ys := rfl

theorem app_cons {α : Type} (x : α) (xs ys : List α) : app (x :: xs) ys = x :: app xs ys := rfl

theorem rev_nil {α : Type} : rev ([] : List α) = [] := rfl

theorem rev_cons {α : Type} (x : α) (xs : List α) : rev (x :: xs) = app (rev xs) [x] := rfl

theorem lmap_nil {α β : Type} (f : α → β) : lmap f [] = [] := rfl

theorem lmap_cons {α β : Type} (f : α → β) (x : α) (xs : List α) :
    lmap f (x :: xs) = f x :: lmap f xs := rfl

theorem lsum_nil : lsum [] = 0 := rfl

theorem lsum_cons (x : Nat) (xs : List Nat) : lsum (x :: xs) = x + lsum xs := rfl

theorem rep_zero {α : Type} (a : α) : rep 0 a = [] := rfl

theorem rep_succ {α : Type} (n : Nat) (a : α) : rep (n + 1) a = a :: rep n a := rfl

theorem app_nil_right {α : Type} (xs : List α) : app xs [] = xs := by
  induction xs with
  | nil => rfl
  | cons x xs ih => rw [app_cons, ih]

theorem app_assoc3 {α : Type} (xs ys zs : List α) : app (app xs ys) zs = app xs (app ys zs) := by
  induction xs with
  | nil => rfl
  | cons x xs ih => simp only [app_cons, ih]

theorem app_singleton {α : Type} (x : α) (xs : List α) : app [x] xs = x :: xs := rfl

theorem len_app {α : Type} (xs ys : List α) : len (app xs ys) = len xs + len ys := by
  induction xs with
  | nil =>
    have h := len_nil (α := α)
    rw [app_nil_left]
    omega
  | cons x xs ih =>
    have h1 := len_cons x (app xs ys)
    have h2 := len_cons x xs
    rw [app_cons]
    omega

theorem len_app_self {α : Type} (xs : List α) : len (app xs xs) = double (len xs) := by
  have h1 := len_app xs xs
  have h2 := double_def (len xs)
  omega

theorem len_app_comm {α : Type} (xs ys : List α) : len (app xs ys) = len (app ys xs) := by
  have h1 := len_app xs ys
  have h2 := len_app ys xs
  omega

theorem rev_app {α : Type} (xs ys : List α) : rev (app xs ys) = app (rev ys) (rev xs) := by
  induction xs with
  | nil => rw [app_nil_left, rev_nil, app_nil_right]
  | cons x xs ih => simp only [app_cons, rev_cons, ih, app_assoc3]

theorem rev_singleton {α : Type} (x : α) : rev [x] = [x] := rfl

theorem rev_rev {α : Type} (xs : List α) : rev (rev xs) = xs := by
  induction xs with
  | nil => rfl
  | cons x xs ih => rw [rev_cons, rev_app, ih, rev_singleton, app_singleton]

theorem len_rev {α : Type} (xs : List α) : len (rev xs) = len xs := by
  induction xs with
  | nil => rfl
  | cons x xs ih =>
    have h1 := len_app (rev xs) [x]
    have h2 : len [x] = 1 := rfl
    have h3 := len_cons x xs
    rw [rev_cons]
    omega

theorem rev_cons_app {α : Type} (x : α) (xs ys : List α) :
    rev (app xs (x :: ys)) = app (rev ys) (x :: rev xs) := by
  rw [rev_app, rev_cons, app_assoc3, app_singleton]

theorem lmap_app {α β : Type} (f : α → β) (xs ys : List α) :
    lmap f (app xs ys) = app (lmap f xs) (lmap f ys) := by
  induction xs with
  | nil => rfl
  | cons x xs ih => simp only [app_cons, lmap_cons, ih]

theorem len_lmap {α β : Type} (f : α → β) (xs : List α) : len (lmap f xs) = len xs := by
  induction xs with
  | nil => rfl
  | cons x xs ih => rw [lmap_cons, len_cons, len_cons, ih]

theorem lmap_rev {α β : Type} (f : α → β) (xs : List α) : lmap f (rev xs) = rev (lmap f xs) := by
  induction xs with
  | nil => rfl
  | cons x xs ih => simp only [rev_cons, lmap_app, lmap_cons, lmap_nil, ih]

theorem lmap_lmap {α β γ : Type} (f : α → β) (g : β → γ) (xs : List α) :
    lmap g (lmap f xs) = lmap (fun x => g (f x)) xs := by
  induction xs with
  | nil => rfl
  | cons x xs ih => simp only [lmap_cons, ih]

theorem lmap_id {α : Type} (xs : List α) : lmap (fun x => x) xs = xs := by
  induction xs with
  | nil => rfl
  | cons x xs ih => rw [lmap_cons, ih]

theorem lsum_app (xs ys : List Nat) : lsum (app xs ys) = lsum xs + lsum ys := by
  induction xs with
  | nil =>
    have h := lsum_nil
    rw [app_nil_left]
    omega
  | cons x xs ih =>
    have h1 := lsum_cons x (app xs ys)
    have h2 := lsum_cons x xs
    rw [app_cons]
    omega

theorem lsum_rev (xs : List Nat) : lsum (rev xs) = lsum xs := by
  induction xs with
  | nil => rfl
  | cons x xs ih =>
    have h1 := lsum_app (rev xs) [x]
    have h2 := lsum_cons x []
    have h3 := lsum_nil
    have h4 := lsum_cons x xs
    rw [rev_cons]
    omega

theorem lsum_lmap_double (xs : List Nat) : lsum (lmap double xs) = double (lsum xs) := by
  induction xs with
  | nil => rfl
  | cons x xs ih => rw [lmap_cons, lsum_cons, lsum_cons, ih, double_add]

theorem lsum_lmap_add (f g : Nat → Nat) (xs : List Nat) :
    lsum (lmap (fun x => f x + g x) xs) = lsum (lmap f xs) + lsum (lmap g xs) := by
  induction xs with
  | nil => rfl
  | cons x xs ih =>
    have h1 := lsum_cons (f x + g x) (lmap (fun x => f x + g x) xs)
    have h2 := lsum_cons (f x) (lmap f xs)
    have h3 := lsum_cons (g x) (lmap g xs)
    rw [lmap_cons, lmap_cons, lmap_cons]
    omega

theorem lsum_lmap_mul (c : Nat) (xs : List Nat) : lsum (lmap (fun x => c * x) xs) = c * lsum xs := by
  induction xs with
  | nil => rfl
  | cons x xs ih =>
    have h1 := lsum_cons (c * x) (lmap (fun x => c * x) xs)
    have h2 : c * lsum (x :: xs) = c * (x + lsum xs) := by rw [lsum_cons]
    have h3 := mul_add_right c x (lsum xs)
    rw [lmap_cons]
    omega

theorem len_rep {α : Type} (n : Nat) (a : α) : len (rep n a) = n := by
  induction n with
  | zero => rfl
  | succ n ih =>
    have h := len_cons a (rep n a)
    rw [rep_succ]
    omega

theorem lsum_rep (n k : Nat) : lsum (rep n k) = n * k := by
  induction n with
  | zero =>
    have h := mul_zero_left k
    rw [rep_zero, lsum_nil]
    omega
  | succ n ih =>
    have h1 := lsum_cons k (rep n k)
    have h2 := mul_succ_left n k
    rw [rep_succ]
    omega

theorem app_rep {α : Type} (m n : Nat) (a : α) : app (rep m a) (rep n a) = rep (m + n) a := by
  induction m with
  | zero => simp only [rep_zero, app_nil_left, Nat.zero_add]
  | succ m ih =>
    have e : m + 1 + n = m + n + 1 := by omega
    rw [e, rep_succ, rep_succ, app_cons, ih]

theorem rev_rep {α : Type} (n : Nat) (a : α) : rev (rep n a) = rep n a := by
  induction n with
  | zero => rfl
  | succ n ih =>
    have h : app (rep n a) (rep 1 a) = rep (n + 1) a := app_rep n 1 a
    rw [rep_succ, rev_cons, ih]
    exact h

theorem lmap_rep {α β : Type} (f : α → β) (n : Nat) (a : α) : lmap f (rep n a) = rep n (f a) := by
  induction n with
  | zero => rfl
  | succ n ih => rw [rep_succ, lmap_cons, ih, rep_succ]

theorem lsum_lmap_const (c : Nat) {α : Type} (xs : List α) : lsum (lmap (fun _ => c) xs) = len xs * c := by
  induction xs with
  | nil =>
    have h := mul_zero_left c
    have h2 := len_nil (α := α)
    rw [lmap_nil, lsum_nil, h2]
    omega
  | cons x xs ih =>
    have h1 := lsum_cons c (lmap (fun _ => c) xs)
    have h2 := len_cons x xs
    have h3 := mul_succ_left (len xs) c
    rw [lmap_cons, h2]
    omega

end Lists
