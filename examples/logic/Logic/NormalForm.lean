import Logic.Formula

/-!
# Normal forms

`elimImp` rewrites `p → q` as `¬p ∨ q`; `nnf b p` pushes negations down to the atoms,
where the flag `b = false` means "the negation of `p`". Both preserve `eval`.
-/

namespace Logic

open Arith

def elimImp : Form → Form
  | .atom n => .atom n
  | .verum => .verum
  | .falsum => .falsum
  | .neg p => .neg (elimImp p)
  | .conj p q => .conj (elimImp p) (elimImp q)
  | .disj p q => .disj (elimImp p) (elimImp q)
  | .impl p q => .disj (.neg (elimImp p)) (elimImp q)

/-- No implication occurs in the formula. -/
def NoImpl : Form → Prop
  | .atom _ => True
  | .verum => True
  | .falsum => True
  | .neg p => NoImpl p
  | .conj p q => NoImpl p ∧ NoImpl q
  | .disj p q => NoImpl p ∧ NoImpl q
  | .impl _ _ => False

theorem elimImp_neg (p : Form) : elimImp (.neg p) = .neg (elimImp p) := rfl

theorem elimImp_conj (p q : Form) : elimImp (.conj p q) = .conj (elimImp p) (elimImp q) := rfl

theorem elimImp_disj (p q : Form) : elimImp (.disj p q) = .disj (elimImp p) (elimImp q) := rfl

theorem elimImp_impl (p q : Form) :
    elimImp (.impl p q) = .disj (.neg (elimImp p)) (elimImp q) := rfl

theorem eval_elimImp (v : Nat → Bool) (p : Form) : eval v (elimImp p) = eval v p := by
  induction p with
  | atom n => rfl
  | verum => rfl
  | falsum => rfl
  | neg p ih => rw [elimImp_neg, eval_neg, eval_neg, ih]
  | conj p q ihp ihq => rw [elimImp_conj, eval_conj, eval_conj, ihp, ihq]
  | disj p q ihp ihq => rw [elimImp_disj, eval_disj, eval_disj, ihp, ihq]
  | impl p q ihp ihq =>
    rw [elimImp_impl, eval_disj, eval_neg, eval_impl, ihp, ihq, implB_eq_disjB]

theorem elimImp_equiv (p : Form) : Equiv (elimImp p) p := fun v => eval_elimImp v p

theorem noImpl_elimImp (p : Form) : NoImpl (elimImp p) := by
  induction p with
  | atom n => trivial
  | verum => trivial
  | falsum => trivial
  | neg p ih =>
    rw [elimImp_neg]
    exact ih
  | conj p q ihp ihq =>
    rw [elimImp_conj]
    exact ⟨ihp, ihq⟩
  | disj p q ihp ihq =>
    rw [elimImp_disj]
    exact ⟨ihp, ihq⟩
  | impl p q ihp ihq =>
    rw [elimImp_impl]
    exact ⟨ihp, ihq⟩

theorem elimImp_of_noImpl (p : Form) (h : NoImpl p) : elimImp p = p := by
  induction p with
  | atom n => rfl
  | verum => rfl
  | falsum => rfl
  | neg p ih => rw [elimImp_neg, ih h]
  | conj p q ihp ihq => rw [elimImp_conj, ihp h.1, ihq h.2]
  | disj p q ihp ihq => rw [elimImp_disj, ihp h.1, ihq h.2]
  | impl p q ihp ihq => exact (h : False).elim

theorem elimImp_idem (p : Form) : elimImp (elimImp p) = elimImp p :=
  elimImp_of_noImpl (elimImp p) (noImpl_elimImp p)

theorem size_elimImp_le (p : Form) : size (elimImp p) ≤ double (size p) := by
  induction p with
  | atom n =>
    show size (.atom n) ≤ double (size (.atom n))
    have h1 := size_atom n
    have h2 := double_def (size (.atom n))
    omega
  | verum =>
    show size .verum ≤ double (size .verum)
    have h1 := size_verum
    have h2 := double_def (size .verum)
    omega
  | falsum =>
    show size .falsum ≤ double (size .falsum)
    have h1 := size_falsum
    have h2 := double_def (size .falsum)
    omega
  | neg p ih =>
    rw [elimImp_neg, size_neg, size_neg, double_succ]
    omega
  | conj p q ihp ihq =>
    rw [elimImp_conj, size_conj, size_conj, double_succ, double_add]
    omega
  | disj p q ihp ihq =>
    rw [elimImp_disj, size_disj, size_disj, double_succ, double_add]
    omega
  | impl p q ihp ihq =>
    rw [elimImp_impl, size_disj, size_neg, size_impl, double_succ, double_add]
    omega

/-! ## Negation normal form -/

/-- `polar true x = x`, `polar false x = negB x`. -/
def polar : Bool → Bool → Bool
  | true, x => x
  | false, x => negB x

def nnf : Bool → Form → Form
  | true, .atom n => .atom n
  | false, .atom n => .neg (.atom n)
  | true, .verum => .verum
  | false, .verum => .falsum
  | true, .falsum => .falsum
  | false, .falsum => .verum
  | b, .neg p => nnf (negB b) p
  | true, .conj p q => .conj (nnf true p) (nnf true q)
  | false, .conj p q => .disj (nnf false p) (nnf false q)
  | true, .disj p q => .disj (nnf true p) (nnf true q)
  | false, .disj p q => .conj (nnf false p) (nnf false q)
  | true, .impl p q => .disj (nnf false p) (nnf true q)
  | false, .impl p q => .conj (nnf true p) (nnf false q)

/-- Negations only in front of atoms, and no implications. -/
def IsNNF : Form → Prop
  | .atom _ => True
  | .verum => True
  | .falsum => True
  | .neg (.atom _) => True
  | .neg _ => False
  | .conj p q => IsNNF p ∧ IsNNF q
  | .disj p q => IsNNF p ∧ IsNNF q
  | .impl _ _ => False

theorem polar_true (x : Bool) : polar true x = x := rfl

theorem polar_false (x : Bool) : polar false x = negB x := rfl

theorem polar_negB (b x : Bool) : polar (negB b) x = polar b (negB x) := by
  cases b <;> cases x <;> rfl

theorem nnf_neg (b : Bool) (p : Form) : nnf b (.neg p) = nnf (negB b) p := by
  cases b <;> rfl

theorem nnf_true_conj (p q : Form) : nnf true (.conj p q) = .conj (nnf true p) (nnf true q) := rfl

theorem nnf_false_conj (p q : Form) :
    nnf false (.conj p q) = .disj (nnf false p) (nnf false q) := rfl

theorem nnf_true_disj (p q : Form) : nnf true (.disj p q) = .disj (nnf true p) (nnf true q) := rfl

theorem nnf_false_disj (p q : Form) :
    nnf false (.disj p q) = .conj (nnf false p) (nnf false q) := rfl

theorem nnf_true_impl (p q : Form) : nnf true (.impl p q) = .disj (nnf false p) (nnf true q) := rfl

theorem nnf_false_impl (p q : Form) :
    nnf false (.impl p q) = .conj (nnf true p) (nnf false q) := rfl

theorem eval_nnf (v : Nat → Bool) (p : Form) : ∀ b, eval v (nnf b p) = polar b (eval v p) := by
  induction p with
  | atom n => intro b; cases b <;> rfl
  | verum => intro b; cases b <;> rfl
  | falsum => intro b; cases b <;> rfl
  | neg p ih =>
    intro b
    rw [nnf_neg, ih, eval_neg, polar_negB]
  | conj p q ihp ihq =>
    intro b
    cases b with
    | true => simp only [nnf_true_conj, eval_conj, ihp, ihq, polar_true]
    | false => simp only [nnf_false_conj, eval_disj, eval_conj, ihp, ihq, polar_false, negB_conjB]
  | disj p q ihp ihq =>
    intro b
    cases b with
    | true => simp only [nnf_true_disj, eval_disj, ihp, ihq, polar_true]
    | false => simp only [nnf_false_disj, eval_conj, eval_disj, ihp, ihq, polar_false, negB_disjB]
  | impl p q ihp ihq =>
    intro b
    cases b with
    | true =>
      simp only [nnf_true_impl, eval_disj, eval_impl, ihp, ihq, polar_true, polar_false,
        implB_eq_disjB]
    | false =>
      simp only [nnf_false_impl, eval_conj, eval_impl, ihp, ihq, polar_true, polar_false,
        negB_implB]

theorem eval_nnf_true (v : Nat → Bool) (p : Form) : eval v (nnf true p) = eval v p := by
  rw [eval_nnf, polar_true]

theorem nnf_equiv (p : Form) : Equiv (nnf true p) p := fun v => eval_nnf_true v p

theorem isNNF_nnf (p : Form) : ∀ b, IsNNF (nnf b p) := by
  induction p with
  | atom n => intro b; cases b <;> trivial
  | verum => intro b; cases b <;> trivial
  | falsum => intro b; cases b <;> trivial
  | neg p ih =>
    intro b
    rw [nnf_neg]
    exact ih (negB b)
  | conj p q ihp ihq =>
    intro b
    cases b with
    | true =>
      rw [nnf_true_conj]
      exact ⟨ihp true, ihq true⟩
    | false =>
      rw [nnf_false_conj]
      exact ⟨ihp false, ihq false⟩
  | disj p q ihp ihq =>
    intro b
    cases b with
    | true =>
      rw [nnf_true_disj]
      exact ⟨ihp true, ihq true⟩
    | false =>
      rw [nnf_false_disj]
      exact ⟨ihp false, ihq false⟩
  | impl p q ihp ihq =>
    intro b
    cases b with
    | true =>
      rw [nnf_true_impl]
      exact ⟨ihp false, ihq true⟩
    | false =>
      rw [nnf_false_impl]
      exact ⟨ihp true, ihq false⟩

theorem noImpl_of_isNNF (p : Form) (h : IsNNF p) : NoImpl p := by
  induction p with
  | atom n => trivial
  | verum => trivial
  | falsum => trivial
  | neg p ih =>
    cases p with
    | atom n => trivial
    | verum => exact (h : False).elim
    | falsum => exact (h : False).elim
    | neg p => exact (h : False).elim
    | conj p q => exact (h : False).elim
    | disj p q => exact (h : False).elim
    | impl p q => exact (h : False).elim
  | conj p q ihp ihq => exact ⟨ihp h.1, ihq h.2⟩
  | disj p q ihp ihq => exact ⟨ihp h.1, ihq h.2⟩
  | impl p q ihp ihq => exact (h : False).elim

theorem taut_nnf_iff (p : Form) : Taut (nnf true p) ↔ Taut p := by
  constructor
  · intro h v
    rw [← eval_nnf_true v p]
    exact h v
  · intro h v
    rw [eval_nnf_true]
    exact h v

theorem eval_nnf_false (v : Nat → Bool) (p : Form) : eval v (nnf false p) = negB (eval v p) := by
  sorry

theorem size_nnf_le (b : Bool) (p : Form) : size (nnf b p) ≤ double (size p) := by
  sorry

theorem taut_peirce (p q : Form) : Taut (.impl (.impl (.impl p q) p) p) := by
  sorry

theorem equiv_iff_taut (p q : Form) : Equiv p q ↔ Taut (.conj (.impl p q) (.impl q p)) := by
  sorry

theorem depth_nnf_le (b : Bool) (p : Form) : depth (nnf b p) ≤ depth p + 1 := by
  sorry

end Logic
