import Arith.Parity
import Arith.Mul

/-!
# Order relations on numbers

Properties of relations (`IsPreorder`, `IsTotal`, `IsAntisymm`), the boolean test
`leB` with its specification `leB_iff`, and divisibility as a second preorder.
-/

namespace Orders

open Arith

def IsPreorder {α : Type} (R : α → α → Prop) : Prop :=
  (∀ a, R a a) ∧ (∀ a b c, R a b → R b c → R a c)

def IsTotal {α : Type} (R : α → α → Prop) : Prop := ∀ a b, R a b ∨ R b a

def IsAntisymm {α : Type} (R : α → α → Prop) : Prop := ∀ a b, R a b → R b a → a = b

theorem le_isPreorder : IsPreorder (fun a b : Nat => a ≤ b) :=
  ⟨fun a => Nat.le_refl a, fun _ _ _ h1 h2 => Nat.le_trans h1 h2⟩

theorem le_isTotal : IsTotal (fun a b : Nat => a ≤ b) := by
  intro a b
  show a ≤ b ∨ b ≤ a
  omega

theorem le_isAntisymm : IsAntisymm (fun a b : Nat => a ≤ b) := fun _ _ h1 h2 => Nat.le_antisymm h1 h2

theorem isPreorder_flip {α : Type} {R : α → α → Prop} (h : IsPreorder R) :
    IsPreorder (fun a b => R b a) :=
  ⟨h.1, fun a b c hab hbc => h.2 c b a hbc hab⟩

theorem isPreorder_onFun {α β : Type} {R : α → α → Prop} (f : β → α) (h : IsPreorder R) :
    IsPreorder (fun x y => R (f x) (f y)) :=
  ⟨fun x => h.1 (f x), fun x y z hxy hyz => h.2 (f x) (f y) (f z) hxy hyz⟩

theorem isTotal_flip {α : Type} {R : α → α → Prop} (h : IsTotal R) : IsTotal (fun a b => R b a) :=
  fun a b => (h a b).elim Or.inr Or.inl

theorem ge_isPreorder : IsPreorder (fun a b : Nat => b ≤ a) := isPreorder_flip le_isPreorder

theorem le_on_double_isPreorder : IsPreorder (fun a b : Nat => double a ≤ double b) :=
  isPreorder_onFun double le_isPreorder

/-! ## A boolean comparison -/

def leB : Nat → Nat → Bool
  | 0, _ => true
  | _ + 1, 0 => false
  | a + 1, b + 1 => leB a b

theorem leB_zero_left (b : Nat) : leB 0 b = true := by
  cases b <;> rfl

theorem leB_succ_zero (a : Nat) : leB (a + 1) 0 = false := rfl

theorem leB_succ_succ (a b : Nat) : leB (a + 1) (b + 1) = leB a b := rfl

theorem leB_iff : ∀ a b : Nat, leB a b = true ↔ a ≤ b
  | 0, b => ⟨fun _ => Nat.zero_le b, fun _ => leB_zero_left b⟩
  | a + 1, 0 => by
    rw [leB_succ_zero]
    exact ⟨fun h => absurd h (by decide), fun h => absurd h (by omega)⟩
  | a + 1, b + 1 => by
    rw [leB_succ_succ]
    have ih := leB_iff a b
    exact ⟨fun h => by have := ih.mp h; omega, fun h => ih.mpr (by omega)⟩

theorem leB_refl (a : Nat) : leB a a = true := (leB_iff a a).mpr (Nat.le_refl a)

theorem leB_trans {a b c : Nat} (h1 : leB a b = true) (h2 : leB b c = true) : leB a c = true :=
  (leB_iff a c).mpr (Nat.le_trans ((leB_iff a b).mp h1) ((leB_iff b c).mp h2))

theorem leB_total (a b : Nat) : leB a b = true ∨ leB b a = true := by
  by_cases h : a ≤ b
  · exact Or.inl ((leB_iff a b).mpr h)
  · exact Or.inr ((leB_iff b a).mpr (by omega))

theorem leB_false_iff (a b : Nat) : leB a b = false ↔ b < a := by
  constructor
  · intro h
    have hn : ¬ a ≤ b := by
      intro hab
      rw [(leB_iff a b).mpr hab] at h
      contradiction
    omega
  · intro h
    cases hb : leB a b with
    | false => rfl
    | true =>
      have hab := (leB_iff a b).mp hb
      exact absurd hab (by omega)

theorem leB_antisymm {a b : Nat} (h1 : leB a b = true) (h2 : leB b a = true) : a = b := by
  have e1 := (leB_iff a b).mp h1
  have e2 := (leB_iff b a).mp h2
  omega

/-! ## Divisibility -/

def Divides (a b : Nat) : Prop := ∃ k, b = a * k

theorem divides_refl (a : Nat) : Divides a a := ⟨1, (mul_one_right a).symm⟩

theorem divides_zero (a : Nat) : Divides a 0 := ⟨0, (mul_zero_right a).symm⟩

theorem one_divides (a : Nat) : Divides 1 a := ⟨a, (mul_one_left a).symm⟩

theorem divides_trans {a b c : Nat} (h1 : Divides a b) (h2 : Divides b c) : Divides a c := by
  obtain ⟨k, hk⟩ := h1
  obtain ⟨m, hm⟩ := h2
  refine ⟨k * m, ?_⟩
  rw [hm, hk, mul_assoc3]

theorem divides_isPreorder : IsPreorder Divides :=
  ⟨divides_refl, fun _ _ _ h1 h2 => divides_trans h1 h2⟩

theorem divides_add {a b c : Nat} (h1 : Divides a b) (h2 : Divides a c) : Divides a (b + c) := by
  obtain ⟨k, hk⟩ := h1
  obtain ⟨m, hm⟩ := h2
  refine ⟨k + m, ?_⟩
  rw [hk, hm, mul_add_right]

theorem divides_mul_right {a b : Nat} (c : Nat) (h : Divides a b) : Divides a (b * c) := by
  obtain ⟨k, hk⟩ := h
  refine ⟨k * c, ?_⟩
  rw [hk, mul_assoc3]

theorem divides_mul_left (a b : Nat) : Divides a (a * b) := ⟨b, rfl⟩

theorem divides_double_of {a b : Nat} (h : Divides a b) : Divides a (double b) := by
  have h2 := divides_add h h
  rw [← double_def] at h2
  exact h2

theorem two_divides_double (n : Nat) : Divides 2 (double n) := ⟨n, double_eq_two_mul n⟩

theorem even_iff_two_divides (n : Nat) : Even n ↔ Divides 2 n := by
  constructor
  · intro h
    obtain ⟨k, hk⟩ := h
    exact ⟨k, by rw [hk, double_eq_two_mul]⟩
  · intro h
    obtain ⟨k, hk⟩ := h
    exact ⟨k, by rw [hk, double_eq_two_mul]⟩

theorem divides_le {a b : Nat} (h : Divides a b) (hb : 0 < b) : a ≤ b := by
  obtain ⟨k, hk⟩ := h
  cases k with
  | zero =>
    have e := mul_zero_right a
    omega
  | succ k =>
    have e := mul_succ_right a k
    omega

theorem divides_antisymm {a b : Nat} (h1 : Divides a b) (h2 : Divides b a) : a = b := by
  sorry

theorem divides_sub {a b c : Nat} (h1 : Divides a b) (h2 : Divides a c) : Divides a (b - c) := by
  sorry

end Orders
