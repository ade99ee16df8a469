/-!
# Doubling, halving and triangular numbers

The first definitions of the examples: everything else builds on `double`, `half` and
`tri`. Each definition comes with its equations as named lemmas (`double_def`,
`half_add_two`, `tri_succ`), which later proofs cite instead of unfolding.
-/

namespace Arith

/-- Twice `n`. -/
def double (n : Nat) : Nat := n + n

/-- Half of `n`, rounded down. -/
def half : Nat → Nat
  | 0 => 0
  | 1 => 0
  | n + 2 => half n + 1

/-- The triangular number `0 + 1 + ⋯ + n`. -/
def tri : Nat → Nat
  | 0 => 0
  | n + 1 => tri n + (n + 1)

theorem double_def (n : Nat) : double n = n + n := rfl

theorem double_zero : double 0 = 0 := rfl

theorem double_one : double 1 = 2 := rfl

theorem double_succ (n : Nat) : double (n + 1) = double n + 2 := by
  have h1 := double_def (n + 1)
  have h2 := double_def n
  omega

theorem double_add (a b : Nat) : double (a + b) = double a + double b := by
  have h1 := double_def (a + b)
  have h2 := double_def a
  have h3 := double_def b
  omega

theorem double_eq_two_mul (n : Nat) : double n = 2 * n := by
  have h := double_def n
  omega

theorem le_double (n : Nat) : n ≤ double n := by
  have h := double_def n
  omega

theorem double_inj {a b : Nat} (h : double a = double b) : a = b := by
  have ha := double_def a
  have hb := double_def b
  omega

theorem double_lt_double {a b : Nat} (h : a < b) : double a < double b := by
  have ha := double_def a
  have hb := double_def b
  omega

theorem double_le_double {a b : Nat} (h : a ≤ b) : double a ≤ double b := by
  have ha := double_def a
  have hb := double_def b
  omega

theorem double_ne_one (n : Nat) : double n ≠ 1 := by
  have h := double_def n
  omega

theorem double_sub (a b : Nat) : double (a - b) = double a - double b := by
  have h1 := double_def (a - b)
  have h2 := double_def a
  have h3 := double_def b
  omega

theorem half_zero : half 0 = 0 := rfl

theorem half_one : half 1 = 0 := rfl

theorem half_add_two (n : Nat) : half (n + 2) = half n + 1 := rfl

theorem half_double (n : Nat) : half (double n) = n := by
  induction n with
  | zero => rfl
  | succ n ih => rw [double_succ, half_add_two, ih]

theorem half_double_add_one (n : Nat) : half (double n + 1) = n := by
  induction n with
  | zero => rfl
  | succ n ih =>
    have h1 := double_succ n
    have h2 : double (n + 1) + 1 = double n + 1 + 2 := by omega
    rw [h2, half_add_two, ih]

theorem half_le : ∀ n : Nat, half n ≤ n
  | 0 => by decide
  | 1 => by decide
  | n + 2 => by
    have ih := half_le n
    have h := half_add_two n
    omega

theorem double_half_le : ∀ n : Nat, double (half n) ≤ n
  | 0 => by decide
  | 1 => by decide
  | n + 2 => by
    have ih := double_half_le n
    have h1 := half_add_two n
    have h2 := double_succ (half n)
    rw [h1]
    omega

theorem half_add_double (a n : Nat) : half (a + double n) = half a + n := by
  induction n with
  | zero => simp [double_zero]
  | succ n ih =>
    have h1 := double_succ n
    have h2 : a + double (n + 1) = a + double n + 2 := by omega
    have h3 := half_add_two (a + double n)
    rw [h2, h3]
    omega

theorem tri_zero : tri 0 = 0 := rfl

theorem tri_one : tri 1 = 1 := rfl

theorem tri_succ (n : Nat) : tri (n + 1) = tri n + (n + 1) := rfl

theorem le_tri (n : Nat) : n ≤ tri n := by
  induction n with
  | zero => decide
  | succ n ih =>
    have h := tri_succ n
    omega

theorem tri_le_add (m k : Nat) : tri m ≤ tri (m + k) := by
  induction k with
  | zero => exact Nat.le_refl _
  | succ k ih =>
    have h : tri (m + (k + 1)) = tri (m + k) + (m + k + 1) := tri_succ (m + k)
    omega

theorem tri_mono {m n : Nat} (h : m ≤ n) : tri m ≤ tri n := by
  have h2 := tri_le_add m (n - m)
  have h3 : m + (n - m) = n := by omega
  rw [h3] at h2
  exact h2

theorem tri_add_one_pos (n : Nat) : 0 < tri (n + 1) := by
  have h := tri_succ n
  omega

theorem double_tri_succ (n : Nat) : double (tri (n + 1)) = double (tri n) + double n + 2 := by
  have h1 := tri_succ n
  have h2 := double_def (tri (n + 1))
  have h3 := double_def (tri n)
  have h4 := double_def n
  omega

end Arith
