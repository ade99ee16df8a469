import Orders.MaxList

/-!
# Bounds on sorted lists and list maxima

Consequences of the insertion sort and `maxL` lemmas, stated without mentioning
`ins`, `maxN` or `allP` where possible.
-/

namespace Orders

open Arith Logic Lists

theorem sorted_isort_app (xs ys : List Nat) : Sorted (isort (app xs ys)) := sorted_isort _

theorem len_isort_app (xs ys : List Nat) : len (isort (app xs ys)) = len xs + len ys := by
  rw [len_isort, len_app]

theorem lsum_isort_rev (l : List Nat) : lsum (isort (rev l)) = lsum l := by
  rw [lsum_isort, lsum_rev]

theorem maxL_le_lsum (l : List Nat) : maxL l ≤ lsum l := by
  induction l with
  | nil => exact Nat.le_refl 0
  | cons x xs ih =>
    have h1 := maxL_cons x xs
    have h2 := lsum_cons x xs
    have h3 := maxN_cases x (maxL xs)
    omega

theorem leB_self_add (a b : Nat) : leB a (a + b) = true := (leB_iff a (a + b)).mpr (by omega)

theorem leB_double (a : Nat) : leB a (double a) = true := by
  rw [double_def]
  exact leB_self_add a a

theorem four_divides_double_double (n : Nat) : Divides 4 (double (double n)) := by
  refine ⟨n, ?_⟩
  have h1 := double_def (double n)
  have h2 := double_def n
  omega

theorem divides_tri_double (n : Nat) : Divides n (double (tri n)) := by
  rw [double_tri]
  exact divides_mul_left n (n + 1)

theorem sorted_cons_cons {a b : Nat} {l : List Nat} (h : a ≤ b) (hs : Sorted (b :: l)) :
    Sorted (a :: b :: l) := by
  rw [sorted_cons_iff, allP_cons]
  refine ⟨⟨h, ?_⟩, hs⟩
  exact allP_imp (P := fun z => b ≤ z) (fun c hc => Nat.le_trans h hc) ((sorted_cons_iff b l).mp hs).1

theorem maxL_ins (x : Nat) (l : List Nat) : maxL (ins x l) = maxN x (maxL l) := by
  induction l with
  | nil => rfl
  | cons y ys ih =>
    by_cases h : x ≤ y
    · rw [ins_cons_le x y ys h, maxL_cons]
    · rw [ins_cons_gt x y ys h, maxL_cons, ih, maxL_cons]
      have h1 := maxN_cases x (maxL ys)
      have h2 := maxN_cases y (maxN x (maxL ys))
      have h3 := maxN_cases y (maxL ys)
      have h4 := maxN_cases x (maxN y (maxL ys))
      omega

theorem maxL_app_comm (xs ys : List Nat) : maxL (app xs ys) = maxL (app ys xs) := by
  rw [maxL_app, maxL_app, maxN_comm]

theorem maxL_rep_le (n a : Nat) : maxL (rep n a) ≤ a := by
  apply maxL_le
  rw [allP_iff_mem]
  intro b hb
  have e := eq_of_mem_rep hb
  omega

theorem head_le_of_sorted {x : Nat} {xs : List Nat} (h : Sorted (x :: xs)) (y : Nat) (hy : mem y (x :: xs)) :
    x ≤ y := by
  rw [mem_cons] at hy
  cases hy with
  | inl e => omega
  | inr hm => exact sorted_cons_le h hm

theorem lsum_ge_len_mul_head {x : Nat} {xs : List Nat} (h : Sorted (x :: xs)) :
    len (x :: xs) * x ≤ lsum (x :: xs) := by
  sorry

theorem maxL_upto (n : Nat) : maxL (upto (n + 1)) = n := by
  sorry

theorem isort_eq_self_iff (l : List Nat) : isort l = l ↔ Sorted l := by
  constructor
  · intro h
    rw [← h]
    exact sorted_isort l
  · exact isort_of_sorted l

theorem divides_lsum {d : Nat} {l : List Nat} (h : allP (fun a => Divides d a) l) : Divides d (lsum l) := by
  induction l with
  | nil => exact divides_zero d
  | cons x xs ih =>
    rw [allP_cons] at h
    rw [lsum_cons]
    exact divides_add h.1 (ih h.2)

theorem two_divides_lsum_double (l : List Nat) : Divides 2 (lsum (lmap double l)) := by
  rw [lsum_lmap_double]
  exact two_divides_double (lsum l)

end Orders
