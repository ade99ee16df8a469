/-!
# Boolean connectives

The truth tables of the connectives that `Logic.Formula` evaluates to. Most facts are
checked case by case; the `*_eq_true` lemmas translate between `Bool` and `Prop`.
-/

namespace Logic

def negB : Bool → Bool
  | true => false
  | false => true

def conjB : Bool → Bool → Bool
  | true, b => b
  | false, _ => false

def disjB : Bool → Bool → Bool
  | true, _ => true
  | false, b => b

def implB : Bool → Bool → Bool
  | true, b => b
  | false, _ => true

def xorB : Bool → Bool → Bool
  | true, b => negB b
  | false, b => b

theorem negB_negB (a : Bool) : negB (negB a) = a := by
  cases a <;> rfl

theorem negB_true : negB true = false := rfl

theorem negB_false : negB false = true := rfl

theorem conjB_true_left (b : Bool) : conjB true b = b := rfl

theorem conjB_false_left (b : Bool) : conjB false b = false := rfl

theorem conjB_true_right (a : Bool) : conjB a true = a := by
  cases a <;> rfl

theorem conjB_false_right (a : Bool) : conjB a false = false := by
  cases a <;> rfl

theorem disjB_true_left (b : Bool) : disjB true b = true := rfl

theorem disjB_false_left (b : Bool) : disjB false b = b := rfl

theorem disjB_true_right (a : Bool) : disjB a true = true := by
  cases a <;> rfl

theorem disjB_false_right (a : Bool) : disjB a false = a := by
  cases a <;> rfl

theorem conjB_comm (a b : Bool) : conjB a b = conjB b a := by
  cases a <;> cases b <;> rfl

theorem disjB_comm (a b : Bool) : disjB a b = disjB b a := by
  cases a <;> cases b <;> rfl

theorem conjB_assoc (a b c : Bool) : conjB (conjB a b) c = conjB a (conjB b c) := by
  cases a <;> cases b <;> rfl

theorem disjB_assoc (a b c : Bool) : disjB (disjB a b) c = disjB a (disjB b c) := by
  cases a <;> cases b <;> rfl

theorem conjB_self (a : Bool) : conjB a a = a := by
  cases a <;> rfl

theorem disjB_self (a : Bool) : disjB a a = a := by
  cases a <;> rfl

theorem negB_conjB (a b : Bool) : negB (conjB a b) = disjB (negB a) (negB b) := by
  cases a <;> cases b <;> rfl

theorem negB_disjB (a b : Bool) : negB (disjB a b) = conjB (negB a) (negB b) := by
  cases a <;> cases b <;> rfl

theorem implB_eq_disjB (a b : Bool) : implB a b = disjB (negB a) b := by
  cases a <;> cases b <;> rfl

theorem negB_implB (a b : Bool) : negB (implB a b) = conjB a (negB b) := by
  cases a <;> cases b <;> rfl

theorem implB_self (a : Bool) : implB a a = true := by
  cases a <;> rfl

theorem implB_true_right (a : Bool) : implB a true = true := by
  cases a <;> rfl

theorem disjB_negB_self (a : Bool) : disjB a (negB a) = true := by
  cases a <;> rfl

theorem conjB_negB_self (a : Bool) : conjB a (negB a) = false := by
  cases a <;> rfl

theorem conjB_disjB_distrib (a b c : Bool) :
    conjB a (disjB b c) = disjB (conjB a b) (conjB a c) := by
  cases a <;> cases b <;> cases c <;> rfl

theorem disjB_conjB_distrib (a b c : Bool) :
    disjB a (conjB b c) = conjB (disjB a b) (disjB a c) := by
  cases a <;> cases b <;> cases c <;> rfl

theorem xorB_self (a : Bool) : xorB a a = false := by
  cases a <;> rfl

theorem xorB_comm (a b : Bool) : xorB a b = xorB b a := by
  cases a <;> cases b <;> rfl

theorem xorB_false_right (a : Bool) : xorB a false = a := by
  cases a <;> rfl

theorem conjB_eq_true (a b : Bool) : conjB a b = true ↔ a = true ∧ b = true := by
  cases a <;> cases b <;> decide

theorem disjB_eq_true (a b : Bool) : disjB a b = true ↔ a = true ∨ b = true := by
  cases a <;> cases b <;> decide

theorem negB_eq_true (a : Bool) : negB a = true ↔ a = false := by
  cases a <;> decide

theorem implB_eq_true (a b : Bool) : implB a b = true ↔ (a = true → b = true) := by
  cases a <;> cases b <;> decide

theorem eq_false_of_ne_true {a : Bool} (h : a ≠ true) : a = false := by
  cases a with
  | false => rfl
  | true => exact absurd rfl h

theorem implB_mp {a b : Bool} (hab : implB a b = true) (ha : a = true) : b = true :=
  (implB_eq_true a b).mp hab ha

theorem conjB_intro {a b : Bool} (ha : a = true) (hb : b = true) : conjB a b = true :=
  (conjB_eq_true a b).mpr ⟨ha, hb⟩

theorem disjB_intro_left {a : Bool} (b : Bool) (ha : a = true) : disjB a b = true :=
  (disjB_eq_true a b).mpr (Or.inl ha)

theorem disjB_intro_right (a : Bool) {b : Bool} (hb : b = true) : disjB a b = true :=
  (disjB_eq_true a b).mpr (Or.inr hb)

theorem xorB_eq_negB_iff (a b : Bool) : xorB a b = negB (conjB (implB a b) (implB b a)) := by
  cases a <;> cases b <;> rfl

end Logic
