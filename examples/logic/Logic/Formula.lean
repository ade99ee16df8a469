import Logic.Bool
import Logic.Prop
import Arith.MinMax

/-!
# Propositional formulas

Syntax (`Form`), semantics (`eval` under a valuation `Nat → Bool`), size and depth,
semantic equivalence and tautologies, substitution, and two normal forms: implication
elimination (`elimImp`) and negation normal form (`nnf`, with a polarity flag).
-/

namespace Logic

open Arith

inductive Form where
  | atom : Nat → Form
  | verum : Form
  | falsum : Form
  | neg : Form → Form
  | conj : Form → Form → Form
  | disj : Form → Form → Form
  | impl : Form → Form → Form

def eval (v : Nat → Bool) : Form → Bool
  | .atom n => v n
  | .verum => true
  | .falsum => false
  | .neg p => negB (eval v p)
  | .conj p q => conjB (eval v p) (eval v q)
  | .disj p q => disjB (eval v p) (eval v q)
  | .impl p q => implB (eval v p) (eval v q)

def size : Form → Nat
  | .atom _ => 1
  | .verum => 1
  | .falsum => 1
  | .neg p => size p + 1
  | .conj p q => size p + size q + 1
  | .disj p q => size p + size q + 1
  | .impl p q => size p + size q + 1

def depth : Form → Nat
  | .atom _ => 0
  | .verum => 0
  | .falsum => 0
  | .neg p => depth p + 1
  | .conj p q => maxN (depth p) (depth q) + 1
  | .disj p q => maxN (depth p) (depth q) + 1
  | .impl p q => maxN (depth p) (depth q) + 1

theorem eval_atom (v : Nat → Bool) (n : Nat) : eval v (.atom n) = v n := rfl

theorem eval_verum (v : Nat → Bool) : eval v .verum = true := rfl

theorem eval_falsum (v : Nat → Bool) : eval v .falsum = false := rfl

theorem eval_neg (v : Nat → Bool) (p : Form) : eval v (.neg p) = negB (eval v p) := rfl

theorem eval_conj (v : Nat → Bool) (p q : Form) :
    eval v (.conj p q) = conjB (eval v p) (eval v q) := rfl

theorem eval_disj (v : Nat → Bool) (p q : Form) :
    eval v (.disj p q) = disjB (eval v p) (eval v q) := rfl

theorem eval_impl (v : Nat → Bool) (p q : Form) :
    eval v (.impl p q) = implB (eval v p) (eval v q) := rfl

theorem size_atom (n : Nat) : size (.atom n) = 1 := rfl

theorem size_verum : size .verum = 1 := rfl

theorem size_falsum : size .falsum = 1 := rfl

theorem size_neg (p : Form) : size (.neg p) = size p + 1 := rfl

theorem size_conj (p q : Form) : size (.conj p q) = size p + size q + 1 := rfl

theorem size_disj (p q : Form) : size (.disj p q) = size p + size q + 1 := rfl

theorem size_impl (p q : Form) : size (.impl p q) = size p + size q + 1 := rfl

theorem depth_neg (p : Form) : depth (.neg p) = depth p + 1 := rfl

theorem depth_conj (p q : Form) : depth (.conj p q) = maxN (depth p) (depth q) + 1 := rfl

theorem depth_disj (p q : Form) : depth (.disj p q) = maxN (depth p) (depth q) + 1 := rfl

theorem depth_impl (p q : Form) : depth (.impl p q) = maxN (depth p) (depth q) + 1 := rfl

theorem size_pos (p : Form) : 0 < size p := by
  cases p with
  | atom n =>
    have h := size_atom n
    omega
  | verum =>
    have h := size_verum
    omega
  | falsum =>
    have h := size_falsum
    omega
  | neg p =>
    have h := size_neg p
    omega
  | conj p q =>
    have h := size_conj p q
    omega
  | disj p q =>
    have h := size_disj p q
    omega
  | impl p q =>
    have h := size_impl p q
    omega

theorem depth_lt_size (p : Form) : depth p < size p := by
  induction p with
  | atom n => exact size_pos (.atom n)
  | verum => exact size_pos .verum
  | falsum => exact size_pos .falsum
  | neg p ih =>
    have h1 := depth_neg p
    have h2 := size_neg p
    omega
  | conj p q ihp ihq =>
    have h1 := depth_conj p q
    have h2 := size_conj p q
    have h3 := maxN_cases (depth p) (depth q)
    omega
  | disj p q ihp ihq =>
    have h1 := depth_disj p q
    have h2 := size_disj p q
    have h3 := maxN_cases (depth p) (depth q)
    omega
  | impl p q ihp ihq =>
    have h1 := depth_impl p q
    have h2 := size_impl p q
    have h3 := maxN_cases (depth p) (depth q)
    omega

/-! ## Semantic equivalence -/

/-- `p` and `q` agree under every valuation. -/
def Equiv (p q : Form) : Prop := ∀ v, eval v p = eval v q

theorem equiv_refl (p : Form) : Equiv p p := fun _ => rfl

theorem equiv_symm {p q : Form} (h : Equiv p q) : Equiv q p := fun v => (h v).symm

theorem equiv_trans {p q r : Form} (h1 : Equiv p q) (h2 : Equiv q r) : Equiv p r :=
  fun v => (h1 v).trans (h2 v)

theorem equiv_neg {p q : Form} (h : Equiv p q) : Equiv (.neg p) (.neg q) := by
  intro v
  rw [eval_neg, eval_neg, h v]

theorem equiv_conj {p p' q q' : Form} (hp : Equiv p p') (hq : Equiv q q') :
    Equiv (.conj p q) (.conj p' q') := by
  intro v
  rw [eval_conj, eval_conj, hp v, hq v]

theorem equiv_disj {p p' q q' : Form} (hp : Equiv p p') (hq : Equiv q q') :
    Equiv (.disj p q) (.disj p' q') := by
  intro v
  rw [eval_disj, eval_disj, hp v, hq v]

theorem equiv_impl {p p' q q' : Form} (hp : Equiv p p') (hq : Equiv q q') :
    Equiv (.impl p q) (.impl p' q') := by
  intro v
  rw [eval_impl, eval_impl, hp v, hq v]

theorem neg_neg_equiv (p : Form) : Equiv (.neg (.neg p)) p := by
  intro v
  rw [eval_neg, eval_neg, negB_negB]

theorem conj_comm_equiv (p q : Form) : Equiv (.conj p q) (.conj q p) := by
  intro v
  rw [eval_conj, eval_conj, conjB_comm]

theorem disj_comm_equiv (p q : Form) : Equiv (.disj p q) (.disj q p) := by
  intro v
  rw [eval_disj, eval_disj, disjB_comm]

theorem conj_assoc_equiv (p q r : Form) :
    Equiv (.conj (.conj p q) r) (.conj p (.conj q r)) := by
  intro v
  simp only [eval_conj, conjB_assoc]

theorem disj_assoc_equiv (p q r : Form) :
    Equiv (.disj (.disj p q) r) (.disj p (.disj q r)) := by
  intro v
  simp only [eval_disj, disjB_assoc]

theorem demorgan_conj_equiv (p q : Form) :
    Equiv (.neg (.conj p q)) (.disj (.neg p) (.neg q)) := by
  intro v
  simp only [eval_neg, eval_conj, eval_disj, negB_conjB]

theorem demorgan_disj_equiv (p q : Form) :
    Equiv (.neg (.disj p q)) (.conj (.neg p) (.neg q)) := by
  intro v
  simp only [eval_neg, eval_conj, eval_disj, negB_disjB]

theorem impl_equiv_disj (p q : Form) : Equiv (.impl p q) (.disj (.neg p) q) := by
  intro v
  simp only [eval_impl, eval_disj, eval_neg, implB_eq_disjB]

theorem conj_distrib_equiv (p q r : Form) :
    Equiv (.conj p (.disj q r)) (.disj (.conj p q) (.conj p r)) := by
  intro v
  simp only [eval_conj, eval_disj, conjB_disjB_distrib]

theorem disj_distrib_equiv (p q r : Form) :
    Equiv (.disj p (.conj q r)) (.conj (.disj p q) (.disj p r)) := by
  intro v
  simp only [eval_conj, eval_disj, disjB_conjB_distrib]

theorem conj_self_equiv (p : Form) : Equiv (.conj p p) p := by
  intro v
  rw [eval_conj, conjB_self]

theorem disj_verum_equiv (p : Form) : Equiv (.disj p .verum) .verum := by
  intro v
  rw [eval_disj, eval_verum, disjB_true_right]

theorem conj_falsum_equiv (p : Form) : Equiv (.conj p .falsum) .falsum := by
  intro v
  rw [eval_conj, eval_falsum, conjB_false_right]

/-! ## Tautologies and satisfiability -/

/-- True under every valuation. -/
def Taut (p : Form) : Prop := ∀ v, eval v p = true

/-- True under some valuation. -/
def Sat (p : Form) : Prop := ∃ v, eval v p = true

theorem taut_verum : Taut .verum := fun v => eval_verum v

theorem taut_em (p : Form) : Taut (.disj p (.neg p)) := by
  intro v
  rw [eval_disj, eval_neg, disjB_negB_self]

theorem taut_impl_self (p : Form) : Taut (.impl p p) := by
  intro v
  rw [eval_impl, implB_self]

theorem taut_neg_falsum : Taut (.neg .falsum) := by
  intro v
  rw [eval_neg, eval_falsum, negB_false]

theorem taut_conj {p q : Form} (hp : Taut p) (hq : Taut q) : Taut (.conj p q) := by
  intro v
  rw [eval_conj, hp v, hq v, conjB_true_left]

theorem taut_disj_left {p : Form} (q : Form) (hp : Taut p) : Taut (.disj p q) := by
  intro v
  rw [eval_disj, hp v, disjB_true_left]

theorem taut_mp {p q : Form} (hpq : Taut (.impl p q)) (hp : Taut p) : Taut q := by
  intro v
  have h := hpq v
  rw [eval_impl] at h
  exact implB_mp h (hp v)

theorem taut_of_equiv {p q : Form} (h : Equiv p q) (hp : Taut p) : Taut q := by
  intro v
  rw [← h v]
  exact hp v

theorem taut_impl_verum (p : Form) : Taut (.impl p .verum) := by
  intro v
  rw [eval_impl, eval_verum, implB_true_right]

theorem not_taut_falsum : ¬ Taut .falsum := by
  intro h
  have h2 := h (fun _ => true)
  rw [eval_falsum] at h2
  contradiction

theorem sat_of_taut {p : Form} (h : Taut p) : Sat p := ⟨fun _ => true, h _⟩

theorem sat_atom (n : Nat) : Sat (.atom n) := ⟨fun _ => true, eval_atom _ n⟩

theorem not_sat_iff_taut_neg (p : Form) : ¬ Sat p ↔ Taut (.neg p) := by
  constructor
  · intro h v
    have hv : eval v p ≠ true := fun hv => h ⟨v, hv⟩
    rw [eval_neg, eq_false_of_ne_true hv, negB_false]
  · intro h hs
    obtain ⟨v, hv⟩ := hs
    have h2 := h v
    rw [eval_neg, hv, negB_true] at h2
    contradiction

theorem taut_iff_not_sat_neg (p : Form) : Taut p ↔ ¬ Sat (.neg p) := by
  constructor
  · intro h hs
    obtain ⟨v, hv⟩ := hs
    rw [eval_neg, h v, negB_true] at hv
    contradiction
  · intro h v
    cases hb : eval v p with
    | true => rfl
    | false => exact (h ⟨v, by rw [eval_neg, hb, negB_false]⟩).elim

/-! ## Substitution -/

/-- Replace every atom `n` by `σ n`. -/
def subst (σ : Nat → Form) : Form → Form
  | .atom n => σ n
  | .verum => .verum
  | .falsum => .falsum
  | .neg p => .neg (subst σ p)
  | .conj p q => .conj (subst σ p) (subst σ q)
  | .disj p q => .disj (subst σ p) (subst σ q)
  | .impl p q => .impl (subst σ p) (subst σ q)

theorem subst_atom (σ : Nat → Form) (n : Nat) : subst σ (.atom n) = σ n := rfl

theorem subst_neg (σ : Nat → Form) (p : Form) : subst σ (.neg p) = .neg (subst σ p) := rfl

theorem subst_conj (σ : Nat → Form) (p q : Form) :
    subst σ (.conj p q) = .conj (subst σ p) (subst σ q) := rfl

theorem subst_disj (σ : Nat → Form) (p q : Form) :
    subst σ (.disj p q) = .disj (subst σ p) (subst σ q) := rfl

theorem subst_impl (σ : Nat → Form) (p q : Form) :
    subst σ (.impl p q) = .impl (subst σ p) (subst σ q) := rfl

theorem eval_subst (v : Nat → Bool) (σ : Nat → Form) (p : Form) :
    eval v (subst σ p) = eval (fun n => eval v (σ n)) p := by
  induction p with
  | atom n => rfl
  | verum => rfl
  | falsum => rfl
  | neg p ih => simp only [subst_neg, eval_neg, ih]
  | conj p q ihp ihq => simp only [subst_conj, eval_conj, ihp, ihq]
  | disj p q ihp ihq => simp only [subst_disj, eval_disj, ihp, ihq]
  | impl p q ihp ihq => simp only [subst_impl, eval_impl, ihp, ihq]

theorem subst_atom_id (p : Form) : subst Form.atom p = p := by
  induction p with
  | atom n => rfl
  | verum => rfl
  | falsum => rfl
  | neg p ih => rw [subst_neg, ih]
  | conj p q ihp ihq => rw [subst_conj, ihp, ihq]
  | disj p q ihp ihq => rw [subst_disj, ihp, ihq]
  | impl p q ihp ihq => rw [subst_impl, ihp, ihq]

theorem taut_subst {p : Form} (σ : Nat → Form) (h : Taut p) : Taut (subst σ p) := by
  intro v
  rw [eval_subst]
  exact h _

theorem size_le_size_subst (σ : Nat → Form) (p : Form) : size p ≤ size (subst σ p) := by
  induction p with
  | atom n =>
    have h1 := size_atom n
    have h2 := size_pos (σ n)
    rw [subst_atom]
    omega
  | verum => exact Nat.le_refl _
  | falsum => exact Nat.le_refl _
  | neg p ih =>
    rw [subst_neg, size_neg, size_neg]
    omega
  | conj p q ihp ihq =>
    rw [subst_conj, size_conj, size_conj]
    omega
  | disj p q ihp ihq =>
    rw [subst_disj, size_disj, size_disj]
    omega
  | impl p q ihp ihq =>
    rw [subst_impl, size_impl, size_impl]
    omega

theorem eval_congr (v w : Nat → Bool) (h : ∀ n, v n = w n) (p : Form) : eval v p = eval w p := by
  induction p with
  | atom n => rw [eval_atom, eval_atom, h n]
  | verum => rfl
  | falsum => rfl
  | neg p ih => rw [eval_neg, eval_neg, ih]
  | conj p q ihp ihq => rw [eval_conj, eval_conj, ihp, ihq]
  | disj p q ihp ihq => rw [eval_disj, eval_disj, ihp, ihq]
  | impl p q ihp ihq => rw [eval_impl, eval_impl, ihp, ihq]

end Logic
