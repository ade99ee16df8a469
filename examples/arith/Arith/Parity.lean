import Arith.Basic

/-!
# Even and odd numbers

Two views of parity: the propositions `Even n` / `Odd n` (a witness `k` with
`n = double k` or `n = double k + 1`) and the boolean test `isEven`, with the lemma
`even_iff_isEven` connecting them.
-/

namespace Arith

/-- `n` is twice some number. -/
def Even (n : Nat) : Prop := ∃ k, n = double k

/-- `n` is one more than twice some number. -/
def Odd (n : Nat) : Prop := ∃ k, n = double k + 1

/-- The boolean parity test, by recursion. -/
def isEven : Nat → Bool
  | 0 => true
  | n + 1 => !isEven n

theorem bnot_bnot (b : Bool) : (!!b) = b := by
  cases b <;> rfl

theorem bnot_true : (!true) = false := rfl

theorem bnot_false : (!false) = true := rfl

theorem even_zero : Even 0 := ⟨0, double_zero.symm⟩

theorem even_double (k : Nat) : Even (double k) := ⟨k, rfl⟩

theorem odd_double_add_one (k : Nat) : Odd (double k + 1) := ⟨k, rfl⟩

theorem odd_one : Odd 1 := by
  have h := odd_double_add_one 0
  rw [double_zero] at h
  exact h

theorem even_two : Even 2 := ⟨1, double_one.symm⟩

theorem even_add {a b : Nat} (ha : Even a) (hb : Even b) : Even (a + b) := by
  obtain ⟨x, hx⟩ := ha
  obtain ⟨y, hy⟩ := hb
  have h := double_add x y
  exact ⟨x + y, by omega⟩

theorem odd_add_odd {a b : Nat} (ha : Odd a) (hb : Odd b) : Even (a + b) := by
  obtain ⟨x, hx⟩ := ha
  obtain ⟨y, hy⟩ := hb
  have h1 := double_add x y
  have h2 := double_succ (x + y)
  exact ⟨x + y + 1, by omega⟩

theorem even_add_odd {a b : Nat} (ha : Even a) (hb : Odd b) : Odd (a + b) := by
  obtain ⟨x, hx⟩ := ha
  obtain ⟨y, hy⟩ := hb
  have h := double_add x y
  exact ⟨x + y, by omega⟩

theorem odd_add_even {a b : Nat} (ha : Odd a) (hb : Even b) : Odd (a + b) := by
  have h := even_add_odd hb ha
  rw [Nat.add_comm b a] at h
  exact h

theorem even_succ_of_odd {n : Nat} (h : Odd n) : Even (n + 1) := by
  obtain ⟨k, hk⟩ := h
  have h2 := double_succ k
  exact ⟨k + 1, by omega⟩

theorem odd_succ_of_even {n : Nat} (h : Even n) : Odd (n + 1) := by
  obtain ⟨k, hk⟩ := h
  exact ⟨k, by omega⟩

theorem even_or_odd (n : Nat) : Even n ∨ Odd n := by
  induction n with
  | zero => exact Or.inl even_zero
  | succ n ih =>
    cases ih with
    | inl h => exact Or.inr (odd_succ_of_even h)
    | inr h => exact Or.inl (even_succ_of_odd h)

theorem not_even_and_odd (n : Nat) : ¬ (Even n ∧ Odd n) := by
  intro h
  obtain ⟨⟨a, ha⟩, ⟨b, hb⟩⟩ := h
  have h1 := double_def a
  have h2 := double_def b
  omega

theorem not_odd_of_even {n : Nat} (h : Even n) : ¬ Odd n :=
  fun h' => not_even_and_odd n ⟨h, h'⟩

theorem even_mul_two (n : Nat) : Even (2 * n) := by
  have h := double_eq_two_mul n
  exact ⟨n, h.symm⟩

theorem isEven_zero : isEven 0 = true := rfl

theorem isEven_succ (n : Nat) : isEven (n + 1) = !isEven n := rfl

theorem isEven_add_two (n : Nat) : isEven (n + 2) = isEven n := by
  have h1 : isEven (n + 2) = !isEven (n + 1) := rfl
  rw [h1, isEven_succ, bnot_bnot]

theorem isEven_double (n : Nat) : isEven (double n) = true := by
  induction n with
  | zero => rfl
  | succ n ih => rw [double_succ, isEven_add_two, ih]

theorem isEven_double_add_one (n : Nat) : isEven (double n + 1) = false := by
  rw [isEven_succ, isEven_double, bnot_true]

theorem even_iff_isEven (n : Nat) : Even n ↔ isEven n = true := by
  constructor
  · intro h
    obtain ⟨k, hk⟩ := h
    rw [hk]
    exact isEven_double k
  · intro h
    cases even_or_odd n with
    | inl he => exact he
    | inr ho =>
      obtain ⟨k, hk⟩ := ho
      rw [hk, isEven_double_add_one] at h
      contradiction

theorem odd_iff_isEven_false (n : Nat) : Odd n ↔ isEven n = false := by
  constructor
  · intro h
    obtain ⟨k, hk⟩ := h
    rw [hk]
    exact isEven_double_add_one k
  · intro h
    cases even_or_odd n with
    | inl he =>
      obtain ⟨k, hk⟩ := he
      rw [hk, isEven_double] at h
      contradiction
    | inr ho => exact ho

theorem isEven_add (a b : Nat) (ha : isEven a = true) (hb : isEven b = true) :
    isEven (a + b) = true := by
  rw [← even_iff_isEven] at ha hb ⊢
  exact even_add ha hb

end Arith
