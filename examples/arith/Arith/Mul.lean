import Arith.Basic

/-!
# Multiplication, from the recursion equations up

Lean's `Nat.mul` recurses on its second argument, so `a * (b + 1) = a * b + a` holds by
definition (`mul_succ_right`); everything else here is proved from it by induction.
These lemmas (not the core ones) are what the other example projects cite.
-/

namespace Arith

theorem mul_zero_right (a : Nat) : a * 0 = 0 := rfl

theorem mul_succ_right (a b : Nat) : a * (b + 1) = a * b + a := rfl

theorem mul_one_right (a : Nat) : a * 1 = a := by
  have h := mul_succ_right a 0
  omega

theorem mul_zero_left (a : Nat) : 0 * a = 0 := by
  induction a with
  | zero => rfl
  | succ a ih =>
    have h := mul_succ_right 0 a
    omega

theorem mul_succ_left (a b : Nat) : (a + 1) * b = a * b + b := by
  induction b with
  | zero => rfl
  | succ b ih =>
    have h1 := mul_succ_right (a + 1) b
    have h2 := mul_succ_right a b
    omega

theorem mul_one_left (a : Nat) : 1 * a = a := by
  have h1 := mul_succ_left 0 a
  have h2 := mul_zero_left a
  omega

theorem mul_swap (a b : Nat) : a * b = b * a := by
  induction b with
  | zero =>
    have h := mul_zero_left a
    omega
  | succ b ih =>
    have h1 := mul_succ_right a b
    have h2 := mul_succ_left b a
    omega

theorem mul_add_right (a b c : Nat) : a * (b + c) = a * b + a * c := by
  induction c with
  | zero => simp
  | succ c ih =>
    have h1 : a * (b + (c + 1)) = a * (b + c) + a := mul_succ_right a (b + c)
    have h2 := mul_succ_right a c
    omega

theorem mul_add_left (a b c : Nat) : (a + b) * c = a * c + b * c := by
  have h1 := mul_swap (a + b) c
  have h2 := mul_add_right c a b
  have h3 := mul_swap c a
  have h4 := mul_swap c b
  omega

theorem mul_assoc3 (a b c : Nat) : a * b * c = a * (b * c) := by
  induction c with
  | zero => simp
  | succ c ih =>
    have h1 := mul_succ_right (a * b) c
    have h2 : a * (b * (c + 1)) = a * (b * c + b) := by rw [mul_succ_right]
    have h3 := mul_add_right a (b * c) b
    omega

theorem mul_two_right (a : Nat) : a * 2 = double a := by
  have h1 := mul_succ_right a 1
  have h2 := mul_one_right a
  have h3 := double_def a
  omega

theorem double_mul_left (a b : Nat) : double a * b = double (a * b) := by
  rw [double_def, double_def, mul_add_left]

theorem mul_double_right (a b : Nat) : a * double b = double (a * b) := by
  rw [double_def, double_def, mul_add_right]

theorem mul_sub_one (a b : Nat) : a * (b + 1) - a = a * b := by
  have h := mul_succ_right a b
  omega

theorem mul_le_mul_right {a b : Nat} (c : Nat) (h : a ≤ b) : a * c ≤ b * c := by
  induction c with
  | zero => omega
  | succ c ih =>
    have h1 := mul_succ_right a c
    have h2 := mul_succ_right b c
    omega

theorem mul_le_mul_left {a b : Nat} (c : Nat) (h : a ≤ b) : c * a ≤ c * b := by
  have h1 := mul_le_mul_right c h
  have h2 := mul_swap c a
  have h3 := mul_swap c b
  omega

theorem le_mul_self (a : Nat) : a ≤ a * a := by
  cases a with
  | zero => decide
  | succ a =>
    have h1 := mul_succ_right (a + 1) a
    omega

theorem square_add (a b : Nat) : (a + b) * (a + b) = a * a + double (a * b) + b * b := by
  have h1 := mul_add_left a b (a + b)
  have h2 := mul_add_right a a b
  have h3 := mul_add_right b a b
  have h4 := mul_swap b a
  have h5 := double_def (a * b)
  omega

theorem double_tri (n : Nat) : double (tri n) = n * (n + 1) := by
  induction n with
  | zero => rfl
  | succ n ih =>
    have h1 := double_tri_succ n
    have h2 := mul_succ_right (n + 1) (n + 1)
    have h3 := mul_succ_left n (n + 1)
    have h4 := double_def n
    omega

theorem tri_eq_half (n : Nat) : tri n = half (n * (n + 1)) := by
  rw [← double_tri, half_double]

end Arith
