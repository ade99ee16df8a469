import Orders.Bounds

/-!
# The least element, and sortedness of sublists

`minFrom a l` is the least element of `a :: l`. For a sorted list it is the head
(`sorted_minFrom`); prefixes, suffixes and filters of a sorted list are sorted.
-/

namespace Orders

open Arith Logic Lists

def minFrom (a : Nat) : List Nat → Nat
  | [] => a
  | x :: xs => minN a (minFrom x xs)

theorem minFrom_nil (a : Nat) : minFrom a [] = a := rfl

theorem minFrom_cons (a x : Nat) (xs : List Nat) : minFrom a (x :: xs) = minN a (minFrom x xs) := rfl

theorem minFrom_le_self (a : Nat) (l : List Nat) : minFrom a l ≤ a := by
  cases l with
  | nil => exact Nat.le_refl a
  | cons x xs =>
    rw [minFrom_cons]
    exact minN_le_left a (minFrom x xs)

theorem minFrom_le_of_mem {a b : Nat} {l : List Nat} (h : mem b l) : minFrom a l ≤ b := by
  induction l generalizing a with
  | nil => exact absurd h (mem_nil b)
  | cons x xs ih =>
    rw [minFrom_cons]
    have h1 := minN_le_right a (minFrom x xs)
    rw [mem_cons] at h
    cases h with
    | inl hb =>
      have h2 := minFrom_le_self x xs
      omega
    | inr hm =>
      have h2 := @ih x hm
      omega

theorem minFrom_mem (a : Nat) (l : List Nat) : mem (minFrom a l) (a :: l) := by
  induction l generalizing a with
  | nil =>
    rw [minFrom_nil]
    exact mem_cons_self a []
  | cons x xs ih =>
    rw [minFrom_cons]
    cases minN_cases a (minFrom x xs) with
    | inl h =>
      rw [h.2]
      exact mem_cons_self a (x :: xs)
    | inr h =>
      rw [h.2]
      exact mem_cons_of_mem a (ih x)

theorem le_minFrom {a c : Nat} {l : List Nat} (ha : c ≤ a) (hl : allP (fun y => c ≤ y) l) :
    c ≤ minFrom a l := by
  induction l generalizing a with
  | nil =>
    rw [minFrom_nil]
    exact ha
  | cons x xs ih =>
    rw [minFrom_cons]
    rw [allP_cons] at hl
    exact le_minN ha (@ih x hl.1 hl.2)

theorem minFrom_le_maxL (x : Nat) (xs : List Nat) : minFrom x xs ≤ maxL (x :: xs) :=
  Nat.le_trans (minFrom_le_self x xs) (le_maxL (mem_cons_self x xs))

theorem sorted_minFrom {x : Nat} {xs : List Nat} (h : Sorted (x :: xs)) : minFrom x xs = x := by
  have h1 := minFrom_le_self x xs
  have h2 := head_le_of_sorted h (minFrom x xs) (minFrom_mem x xs)
  omega

theorem minFrom_isort_le (x : Nat) (l : List Nat) : minFrom x (isort l) ≤ minFrom x l := by
  apply le_minFrom (minFrom_le_self x (isort l))
  rw [allP_iff_mem]
  intro a ha
  exact minFrom_le_of_mem ((mem_isort a l).mpr ha)

theorem mem_of_mem_takeN {a : Nat} {n : Nat} {xs : List Nat} (h : mem a (takeN n xs)) : mem a xs := by
  induction xs generalizing n with
  | nil =>
    rw [takeN_nil] at h
    exact absurd h (mem_nil a)
  | cons x xs ih =>
    cases n with
    | zero =>
      rw [takeN_zero] at h
      exact absurd h (mem_nil a)
    | succ n =>
      rw [takeN_succ_cons, mem_cons] at h
      rw [mem_cons]
      exact h.elim Or.inl (fun h' => Or.inr (@ih n h'))

theorem sorted_takeN (n : Nat) (l : List Nat) (h : Sorted l) : Sorted (takeN n l) := by
  induction l generalizing n with
  | nil =>
    rw [takeN_nil]
    exact sorted_nil
  | cons x xs ih =>
    have h2 := (sorted_cons_iff x xs).mp h
    cases n with
    | zero =>
      rw [takeN_zero]
      exact sorted_nil
    | succ n =>
      rw [takeN_succ_cons, sorted_cons_iff]
      refine ⟨?_, ih n h2.2⟩
      rw [allP_iff_mem]
      intro a ha
      exact (allP_iff_mem (fun y => x ≤ y) xs).mp h2.1 a (mem_of_mem_takeN ha)

theorem sorted_dropN (n : Nat) (l : List Nat) (h : Sorted l) : Sorted (dropN n l) := by
  induction l generalizing n with
  | nil =>
    rw [dropN_nil]
    exact sorted_nil
  | cons x xs ih =>
    cases n with
    | zero =>
      rw [dropN_zero]
      exact h
    | succ n =>
      rw [dropN_succ_cons]
      exact ih n (sorted_tail h)

theorem sorted_filt (p : Nat → Bool) (l : List Nat) (h : Sorted l) : Sorted (filt p l) := by
  induction l with
  | nil => exact sorted_nil
  | cons x xs ih =>
    have h2 := (sorted_cons_iff x xs).mp h
    cases hp : p x with
    | true =>
      rw [filt_cons_pos p x xs hp, sorted_cons_iff]
      refine ⟨?_, ih h2.2⟩
      rw [allP_iff_mem]
      intro a ha
      exact (allP_iff_mem (fun y => x ≤ y) xs).mp h2.1 a ((mem_filt p a xs).mp ha).1
    | false =>
      rw [filt_cons_neg p x xs hp]
      exact ih h2.2

theorem sorted_isort_takeN (n : Nat) (l : List Nat) : Sorted (takeN n (isort l)) :=
  sorted_takeN n (isort l) (sorted_isort l)

theorem sorted_isort_dropN (n : Nat) (l : List Nat) : Sorted (dropN n (isort l)) :=
  sorted_dropN n (isort l) (sorted_isort l)

theorem sorted_isort_filt (p : Nat → Bool) (l : List Nat) : Sorted (filt p (isort l)) :=
  sorted_filt p (isort l) (sorted_isort l)

theorem len_ins_pos (x : Nat) (l : List Nat) : 0 < len (ins x l) := by
  rw [len_ins]
  omega

theorem mem_ins_self (x : Nat) (l : List Nat) : mem x (ins x l) := (mem_ins x x l).mpr (Or.inl rfl)

theorem ins_ne_nil (x : Nat) (l : List Nat) : ins x l ≠ [] := by
  intro h
  have h2 := len_ins x l
  rw [h, len_nil] at h2
  omega

theorem isort_singleton (x : Nat) : isort [x] = [x] := rfl

theorem isort_pair_le {a b : Nat} (h : a ≤ b) : isort [a, b] = [a, b] := isort_of_sorted [a, b] (sorted_pair h)

theorem isort_pair_gt {a b : Nat} (h : b < a) : isort [a, b] = [b, a] := by
  rw [isort_cons, isort_singleton]
  exact ins_cons_gt a b [] (by omega)

theorem lsum_isort_app (xs ys : List Nat) : lsum (isort (app xs ys)) = lsum xs + lsum ys := by
  rw [lsum_isort, lsum_app]

theorem maxL_isort_app (xs ys : List Nat) : maxL (isort (app xs ys)) = maxN (maxL xs) (maxL ys) := by
  rw [maxL_isort, maxL_app]

theorem le_maxL_of_mem_isort {a : Nat} {l : List Nat} (h : mem a (isort l)) : a ≤ maxL l :=
  le_maxL ((mem_isort a l).mp h)

theorem lsum_isort_le (l : List Nat) : lsum (isort l) ≤ len l * maxL l := by
  rw [lsum_isort]
  exact lsum_le_len_mul_maxL l

theorem maxL_lmap_add_le (c : Nat) (l : List Nat) : maxL (lmap (fun x => x + c) l) ≤ maxL l + c := by
  induction l with
  | nil => exact Nat.zero_le _
  | cons x xs ih =>
    rw [lmap_cons, maxL_cons, maxL_cons]
    have h1 := maxN_cases (x + c) (maxL (lmap (fun x => x + c) xs))
    have h2 := maxN_cases x (maxL xs)
    omega

theorem minFrom_app_le (a : Nat) (xs ys : List Nat) : minFrom a (app xs ys) ≤ minFrom a xs := by
  sorry

theorem minFrom_isort (x : Nat) (l : List Nat) : minFrom x (isort l) = minFrom x l := by
  sorry

end Orders
