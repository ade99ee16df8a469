import Arith.Sum
import Arith.Parity

/-!
# Fibonacci numbers, factorials and powers of two

Growth facts proved by induction from the recursion equations. The `sorry`s at the end
are open exercises: some fall to `decide` or `omega` once the definitions are unfolded,
others (the addition formula for `fib`) need a real idea.
-/

namespace Arith

def fib : Nat → Nat
  | 0 => 0
  | 1 => 1
  | n + 2 => fib n + fib (n + 1)

def fact : Nat → Nat
  | 0 => 1
  | n + 1 => (n + 1) * fact n

/-- `pow2 n = 2 ^ n`, by doubling. -/
def pow2 : Nat → Nat
  | 0 => 1
  | n + 1 => double (pow2 n)

theorem fib_zero : fib 0 = 0 := rfl

theorem fib_one : fib 1 = 1 := rfl

theorem fib_add_two (n : Nat) : fib (n + 2) = fib n + fib (n + 1) := rfl

theorem fib_two : fib 2 = 1 := rfl

theorem fib_pos : ∀ n : Nat, 0 < fib (n + 1)
  | 0 => by decide
  | n + 1 => by
    have h : fib (n + 1 + 1) = fib n + fib (n + 1) := fib_add_two n
    have ih := fib_pos n
    omega

theorem fib_le_succ : ∀ n : Nat, fib n ≤ fib (n + 1)
  | 0 => by decide
  | n + 1 => by
    have h : fib (n + 1 + 1) = fib n + fib (n + 1) := fib_add_two n
    omega

theorem fib_le_add (m k : Nat) : fib m ≤ fib (m + k) := by
  induction k with
  | zero => exact Nat.le_refl _
  | succ k ih =>
    have h : fib (m + k) ≤ fib (m + k + 1) := fib_le_succ (m + k)
    have e : m + (k + 1) = m + k + 1 := by omega
    rw [e]
    omega

theorem fib_mono {m n : Nat} (h : m ≤ n) : fib m ≤ fib n := by
  have h1 := fib_le_add m (n - m)
  have h2 : m + (n - m) = n := by omega
  rw [h2] at h1
  exact h1

theorem fib_sum (n : Nat) : sumTo fib n + 1 = fib (n + 1) := by
  induction n with
  | zero => rfl
  | succ n ih =>
    have h1 := sumTo_succ fib n
    have h2 : fib (n + 1 + 1) = fib n + fib (n + 1) := fib_add_two n
    omega

theorem fib_add_three (n : Nat) : fib (n + 3) = fib n + double (fib (n + 1)) := by
  have h1 : fib (n + 3) = fib (n + 1) + fib (n + 2) := fib_add_two (n + 1)
  have h2 := fib_add_two n
  have h3 := double_def (fib (n + 1))
  omega

theorem fib_lt_pow_helper (n : Nat) : fib (n + 2) ≤ double (fib (n + 1)) := by
  have h1 := fib_add_two n
  have h2 := fib_le_succ n
  have h3 := double_def (fib (n + 1))
  omega

theorem fact_zero : fact 0 = 1 := rfl

theorem fact_succ (n : Nat) : fact (n + 1) = (n + 1) * fact n := rfl

theorem fact_pos (n : Nat) : 0 < fact n := by
  induction n with
  | zero => decide
  | succ n ih =>
    have h1 := fact_succ n
    have h2 := mul_succ_left n (fact n)
    omega

theorem fact_le_succ (n : Nat) : fact n ≤ fact (n + 1) := by
  have h1 := fact_succ n
  have h2 := mul_succ_left n (fact n)
  omega

theorem le_fact (n : Nat) : n ≤ fact n := by
  induction n with
  | zero => decide
  | succ n ih =>
    have h1 : 1 ≤ fact n := by
      have := fact_pos n
      omega
    have h2 := mul_le_mul_left (n + 1) h1
    have h3 := mul_one_right (n + 1)
    have h4 := fact_succ n
    omega

theorem pow2_zero : pow2 0 = 1 := rfl

theorem pow2_succ (n : Nat) : pow2 (n + 1) = double (pow2 n) := rfl

theorem pow2_pos (n : Nat) : 0 < pow2 n := by
  induction n with
  | zero => decide
  | succ n ih =>
    have h1 := pow2_succ n
    have h2 := double_def (pow2 n)
    omega

theorem lt_pow2 (n : Nat) : n < pow2 n := by
  induction n with
  | zero => decide
  | succ n ih =>
    have h1 := pow2_succ n
    have h2 := double_def (pow2 n)
    omega

theorem pow2_add (a b : Nat) : pow2 (a + b) = pow2 a * pow2 b := by
  induction b with
  | zero => simp [pow2_zero, mul_one_right]
  | succ b ih =>
    have h1 : pow2 (a + (b + 1)) = double (pow2 (a + b)) := pow2_succ (a + b)
    have h2 : pow2 a * pow2 (b + 1) = pow2 a * double (pow2 b) := by rw [pow2_succ]
    have h3 := mul_double_right (pow2 a) (pow2 b)
    have h4 := double_def (pow2 (a + b))
    have h5 := double_def (pow2 a * pow2 b)
    omega

theorem sumTo_pow2 (n : Nat) : sumTo pow2 n + 1 = pow2 n := by
  induction n with
  | zero => rfl
  | succ n ih =>
    have h1 := sumTo_succ pow2 n
    have h2 := pow2_succ n
    have h3 := double_def (pow2 n)
    omega

theorem even_pow2_succ (n : Nat) : Even (pow2 (n + 1)) := ⟨pow2 n, pow2_succ n⟩

theorem isEven_pow2_succ (n : Nat) : isEven (pow2 (n + 1)) = true := by
  rw [pow2_succ, isEven_double]

theorem fib_ten : fib 10 = 55 := by
  sorry

theorem fact_five : fact 5 = 120 := by
  sorry

theorem double_le_pow2 (n : Nat) : double n ≤ pow2 n + 1 := by
  sorry

theorem fib_add (m n : Nat) : fib (m + n + 1) = fib m * fib n + fib (m + 1) * fib (n + 1) := by
  sorry

theorem fib_even_three (n : Nat) : Even (fib (3 * n)) := by
  sorry

end Arith
