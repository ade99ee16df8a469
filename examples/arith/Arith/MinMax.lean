import Arith.Basic

/-!
# Maximum and minimum of two numbers

`maxN` and `minN` are defined by `if`; `maxN_cases` and `minN_cases` say which
argument they return, and every other lemma here follows from those two by linear
arithmetic.
-/

namespace Arith

/-- The larger of `a` and `b`. -/
def maxN (a b : Nat) : Nat := if a ≤ b then b else a

/-- The smaller of `a` and `b`. -/
def minN (a b : Nat) : Nat := if a ≤ b then a else b

theorem maxN_def (a b : Nat) : maxN a b = if a ≤ b then b else a := rfl

theorem minN_def (a b : Nat) : minN a b = if a ≤ b then a else b := rfl

theorem maxN_cases (a b : Nat) : (a ≤ b ∧ maxN a b = b) ∨ (b < a ∧ maxN a b = a) := by
  by_cases h : a ≤ b
  · have e : maxN a b = b := if_pos h
    omega
  · have e : maxN a b = a := if_neg h
    omega

theorem minN_cases (a b : Nat) : (a ≤ b ∧ minN a b = a) ∨ (b < a ∧ minN a b = b) := by
  by_cases h : a ≤ b
  · have e : minN a b = a := if_pos h
    omega
  · have e : minN a b = b := if_neg h
    omega

theorem le_maxN_left (a b : Nat) : a ≤ maxN a b := by
  have h := maxN_cases a b
  omega

theorem le_maxN_right (a b : Nat) : b ≤ maxN a b := by
  have h := maxN_cases a b
  omega

theorem maxN_le {a b c : Nat} (ha : a ≤ c) (hb : b ≤ c) : maxN a b ≤ c := by
  have h := maxN_cases a b
  omega

theorem maxN_eq_left {a b : Nat} (h : b ≤ a) : maxN a b = a := by
  have h2 := maxN_cases a b
  omega

theorem maxN_eq_right {a b : Nat} (h : a ≤ b) : maxN a b = b := by
  have h2 := maxN_cases a b
  omega

theorem maxN_comm (a b : Nat) : maxN a b = maxN b a := by
  have h1 := maxN_cases a b
  have h2 := maxN_cases b a
  omega

theorem maxN_self (a : Nat) : maxN a a = a := maxN_eq_left (Nat.le_refl a)

theorem maxN_zero_left (a : Nat) : maxN 0 a = a := maxN_eq_right (Nat.zero_le a)

theorem maxN_zero_right (a : Nat) : maxN a 0 = a := maxN_eq_left (Nat.zero_le a)

theorem maxN_succ_succ (a b : Nat) : maxN (a + 1) (b + 1) = maxN a b + 1 := by
  have h1 := maxN_cases (a + 1) (b + 1)
  have h2 := maxN_cases a b
  omega

theorem minN_succ_succ (a b : Nat) : minN (a + 1) (b + 1) = minN a b + 1 := by
  have h1 := minN_cases (a + 1) (b + 1)
  have h2 := minN_cases a b
  omega

theorem maxN_assoc (a b c : Nat) : maxN (maxN a b) c = maxN a (maxN b c) := by
  have h1 := maxN_cases a b
  have h2 := maxN_cases (maxN a b) c
  have h3 := maxN_cases b c
  have h4 := maxN_cases a (maxN b c)
  omega

theorem minN_le_left (a b : Nat) : minN a b ≤ a := by
  have h := minN_cases a b
  omega

theorem minN_le_right (a b : Nat) : minN a b ≤ b := by
  have h := minN_cases a b
  omega

theorem le_minN {a b c : Nat} (ha : c ≤ a) (hb : c ≤ b) : c ≤ minN a b := by
  have h := minN_cases a b
  omega

theorem minN_comm (a b : Nat) : minN a b = minN b a := by
  have h1 := minN_cases a b
  have h2 := minN_cases b a
  omega

theorem minN_assoc (a b c : Nat) : minN (minN a b) c = minN a (minN b c) := by
  have h1 := minN_cases a b
  have h2 := minN_cases (minN a b) c
  have h3 := minN_cases b c
  have h4 := minN_cases a (minN b c)
  omega

theorem minN_zero_left (a : Nat) : minN 0 a = 0 := by
  have h := minN_cases 0 a
  omega

theorem maxN_add_minN (a b : Nat) : maxN a b + minN a b = a + b := by
  have h1 := maxN_cases a b
  have h2 := minN_cases a b
  omega

theorem minN_le_maxN (a b : Nat) : minN a b ≤ maxN a b := by
  have h1 := minN_le_left a b
  have h2 := le_maxN_left a b
  omega

theorem maxN_add_right (a b c : Nat) : maxN (a + c) (b + c) = maxN a b + c := by
  have h1 := maxN_cases (a + c) (b + c)
  have h2 := maxN_cases a b
  omega

theorem minN_add_right (a b c : Nat) : minN (a + c) (b + c) = minN a b + c := by
  have h1 := minN_cases (a + c) (b + c)
  have h2 := minN_cases a b
  omega

theorem double_maxN (a b : Nat) : double (maxN a b) = maxN (double a) (double b) := by
  have h1 := maxN_cases a b
  have h2 := maxN_cases (double a) (double b)
  have h3 := double_def (maxN a b)
  have h4 := double_def a
  have h5 := double_def b
  omega

theorem maxN_minN_absorb (a b : Nat) : maxN a (minN a b) = a := by
  have h1 := minN_le_left a b
  exact maxN_eq_left h1

theorem minN_maxN_absorb (a b : Nat) : minN a (maxN a b) = a := by
  have h1 := le_maxN_left a b
  have h2 := minN_cases a (maxN a b)
  omega

theorem maxN_sub_minN (a b : Nat) : maxN a b - minN a b = maxN (a - b) (b - a) := by
  have h1 := maxN_cases a b
  have h2 := minN_cases a b
  have h3 := maxN_cases (a - b) (b - a)
  omega

theorem maxN_mono {a b c d : Nat} (h1 : a ≤ c) (h2 : b ≤ d) : maxN a b ≤ maxN c d := by
  have h3 := maxN_cases a b
  have h4 := maxN_cases c d
  omega

end Arith
