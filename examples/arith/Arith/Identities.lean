import Arith.Fib
import Arith.MinMax

/-!
# Identities in plain arithmetic

Statements written with `+` and `*` only, proved through the named definitions and
lemmas of the other files (`double`, `tri`, `sumTo`, the multiplication lemmas).
-/

namespace Arith

theorem half_add_self (n : Nat) : half (n + n) = n := by
  rw [← double_def, half_double]

theorem add_self_eq_two_mul (n : Nat) : n + n = 2 * n := by
  rw [← double_def, double_eq_two_mul]

theorem sum_first_odds (n : Nat) : sumTo (fun i => i + i + 1) n = n * n := sumTo_odd n

theorem two_mul_tri (n : Nat) : 2 * tri n = n * (n + 1) := by
  rw [← double_eq_two_mul, double_tri]

theorem succ_mul_succ (n : Nat) : (n + 1) * (n + 1) = n * n + 2 * n + 1 := by
  have h1 := mul_succ_right (n + 1) n
  have h2 := mul_succ_left n n
  omega

theorem mul_rev_three (a b c : Nat) : a * b * c = c * b * a := by
  rw [mul_swap (a * b) c, mul_swap a b, ← mul_assoc3]

theorem mul_left_swap (a b c : Nat) : a * (b * c) = b * (a * c) := by
  rw [← mul_assoc3, mul_swap a b, mul_assoc3]

theorem le_mul_succ (a b : Nat) : a ≤ a * (b + 1) := by
  have h := mul_succ_right a b
  omega

theorem mul_add_one_left (a b : Nat) : (a + 1) * b = b + a * b := by
  have h := mul_succ_left a b
  omega

theorem even_add_self (n : Nat) : Even (n + n) := even_double n

theorem isEven_add_self (n : Nat) : isEven (n + n) = true := isEven_double n

theorem odd_two_mul_add_one (k : Nat) : Odd (2 * k + 1) := by
  rw [← double_eq_two_mul]
  exact odd_double_add_one k

theorem even_two_mul (k : Nat) : Even (2 * k) := by
  rw [← double_eq_two_mul]
  exact even_double k

theorem two_fib_le_fib_add_three (n : Nat) : fib n + fib n ≤ fib (n + 3) := by
  have h1 := fib_add_three n
  have h2 := fib_le_succ n
  have h3 := double_def (fib (n + 1))
  omega

theorem tri_add (m n : Nat) : tri (m + n) = tri m + tri n + m * n := by
  induction n with
  | zero => simp [tri_zero, mul_zero_right]
  | succ n ih =>
    have h1 : tri (m + (n + 1)) = tri (m + n) + (m + n + 1) := tri_succ (m + n)
    have h2 := tri_succ n
    have h3 := mul_succ_right m n
    omega

theorem tri_double (n : Nat) : tri (n + n) = tri n + tri n + n * n := tri_add n n

theorem sumTo_ones (n : Nat) : sumTo (fun _ => 1) n = n := by
  have h1 := sumTo_const 1 n
  have h2 := mul_one_right n
  omega

theorem sumTo_twice (f : Nat → Nat) (n : Nat) : sumTo (fun i => f i + f i) n = sumTo f n + sumTo f n :=
  sumTo_add f f n

theorem pow2_add_self (n : Nat) : pow2 (n + n) = pow2 n * pow2 n := pow2_add n n

theorem pow2_succ_eq_add (n : Nat) : pow2 (n + 1) = pow2 n + pow2 n := by
  rw [pow2_succ, double_def]

theorem fact_succ_ge (n : Nat) : fact n ≤ fact (n + 1) := fact_le_succ n

theorem max_add_min (a b : Nat) : maxN a b + minN a b = a + b := maxN_add_minN a b

theorem max_le_add (a b : Nat) : maxN a b ≤ a + b := by
  have h := maxN_cases a b
  omega

theorem min_add_max_sub (a b : Nat) : minN a b + (maxN a b - minN a b) = maxN a b := by
  have h := minN_le_maxN a b
  omega

theorem maxN_add_self (a b : Nat) : maxN (a + a) (b + b) = maxN a b + maxN a b := by
  have h1 := double_maxN a b
  have h2 := double_def (maxN a b)
  have h3 := double_def a
  have h4 := double_def b
  rw [← h3, ← h4]
  omega

theorem sq_le_sq {a b : Nat} (h : a ≤ b) : a * a ≤ b * b := by
  have h1 := mul_le_mul_right a h
  have h2 := mul_le_mul_left b h
  omega

theorem tri_le_sq (n : Nat) : tri n ≤ n * n := by
  have h1 := double_tri n
  have h2 := double_def (tri n)
  have h3 := mul_succ_right n n
  have h4 := le_tri n
  omega

theorem fact_two_mul_ge (n : Nat) : pow2 n ≤ fact (n + 1) := by
  sorry

theorem tri_mul_eight (n : Nat) : 8 * tri n + 1 = (2 * n + 1) * (2 * n + 1) := by
  sorry

end Arith
