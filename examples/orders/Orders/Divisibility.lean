import Orders.Bounds
import Arith.Fib

/-!
# Divisibility facts and the boolean order as a relation

Factorials are divisible by every smaller positive number, sums of multiples are
multiples, and `leB` is a total, antisymmetric preorder.
-/

namespace Orders

open Arith Logic Lists

theorem divides_fact_succ (n : Nat) : Divides (n + 1) (fact (n + 1)) := by
  rw [fact_succ]
  exact divides_mul_left (n + 1) (fact n)

theorem divides_fact {m : Nat} (n : Nat) (h1 : 0 < m) (h2 : m ≤ n) : Divides m (fact n) := by
  induction n with
  | zero => exact absurd h2 (by omega)
  | succ n ih =>
    by_cases hm : m = n + 1
    · rw [hm]
      exact divides_fact_succ n
    · have h3 := ih (by omega)
      rw [fact_succ, mul_swap]
      exact divides_mul_right (n + 1) h3

theorem two_divides_fact {n : Nat} (h : 2 ≤ n) : Divides 2 (fact n) := divides_fact n (by omega) h

theorem even_fact {n : Nat} (h : 2 ≤ n) : Even (fact n) := (even_iff_two_divides (fact n)).mpr (two_divides_fact h)

theorem divides_lsum_rep (d n a : Nat) (h : Divides d a) : Divides d (lsum (rep n a)) :=
  divides_lsum (allP_rep _ n a h)

theorem divides_lsum_lmap_mul (d : Nat) (l : List Nat) : Divides d (lsum (lmap (fun x => d * x) l)) := by
  rw [lsum_lmap_mul]
  exact divides_mul_left d (lsum l)

theorem divides_tri_two_mul (n : Nat) : Divides n (2 * tri n) := by
  rw [← double_eq_two_mul]
  exact divides_tri_double n

theorem divides_pow2_succ (n : Nat) : Divides 2 (pow2 (n + 1)) := by
  rw [pow2_succ]
  exact two_divides_double (pow2 n)

theorem divides_double_self (n : Nat) : Divides n (double n) := by
  rw [double_eq_two_mul, mul_swap]
  exact divides_mul_left n 2

theorem divides_sumTo_const (d n : Nat) : Divides d (sumTo (fun _ => d) n) := by
  rw [sumTo_const, mul_swap]
  exact divides_mul_left d n

theorem leB_isPreorder : IsPreorder (fun a b : Nat => leB a b = true) :=
  ⟨leB_refl, fun _ _ _ h1 h2 => leB_trans h1 h2⟩

theorem leB_isTotal : IsTotal (fun a b : Nat => leB a b = true) := leB_total

theorem leB_isAntisymm : IsAntisymm (fun a b : Nat => leB a b = true) :=
  fun _ _ h1 h2 => leB_antisymm h1 h2

theorem leB_filt_le (c : Nat) (l : List Nat) : allP (fun a => a ≤ c) (filt (fun a => leB a c) l) := by
  rw [allP_iff_mem]
  intro a ha
  exact (leB_iff a c).mp ((mem_filt _ a l).mp ha).2

theorem maxL_filt_leB (c : Nat) (l : List Nat) : maxL (filt (fun a => leB a c) l) ≤ c :=
  maxL_le (leB_filt_le c l)

theorem leB_maxL {a : Nat} {l : List Nat} (h : mem a l) : leB a (maxL l) = true :=
  (leB_iff a (maxL l)).mpr (le_maxL h)

theorem divides_fact_fact (m n : Nat) (h : m ≤ n) : Divides (fact m) (fact n) := by
  sorry

end Orders
