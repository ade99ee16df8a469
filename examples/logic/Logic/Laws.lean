import Logic.NormalForm

/-!
# Laws of propositional logic, at both levels

The same law stated for `Prop` (using the lemmas of `Logic.Prop`) and for formulas
(as a tautology or an equivalence, through `eval` and the boolean connectives).
-/

namespace Logic

theorem taut_demorgan_conj (p q : Form) :
    Taut (.impl (.neg (.conj p q)) (.disj (.neg p) (.neg q))) := by
  intro v
  simp only [eval_impl, eval_neg, eval_conj, eval_disj, negB_conjB, implB_self]

theorem taut_demorgan_disj (p q : Form) :
    Taut (.impl (.neg (.disj p q)) (.conj (.neg p) (.neg q))) := by
  intro v
  simp only [eval_impl, eval_neg, eval_conj, eval_disj, negB_disjB, implB_self]

theorem taut_left_of_conj {p q : Form} (h : Taut (.conj p q)) : Taut p := by
  intro v
  have h2 := h v
  rw [eval_conj] at h2
  exact ((conjB_eq_true _ _).mp h2).1

theorem taut_right_of_conj {p q : Form} (h : Taut (.conj p q)) : Taut q := by
  intro v
  have h2 := h v
  rw [eval_conj] at h2
  exact ((conjB_eq_true _ _).mp h2).2

theorem taut_conj_iff (p q : Form) : Taut (.conj p q) ↔ Taut p ∧ Taut q :=
  ⟨fun h => ⟨taut_left_of_conj h, taut_right_of_conj h⟩, fun h => taut_conj h.1 h.2⟩

theorem sat_disj_left {p : Form} (q : Form) (h : Sat p) : Sat (.disj p q) := by
  obtain ⟨v, hv⟩ := h
  exact ⟨v, by rw [eval_disj, hv, disjB_true_left]⟩

theorem sat_conj_left {p q : Form} (h : Sat (.conj p q)) : Sat p := by
  obtain ⟨v, hv⟩ := h
  rw [eval_conj] at hv
  exact ⟨v, ((conjB_eq_true _ _).mp hv).1⟩

theorem equiv_impl_self_verum (p : Form) : Equiv (.impl p p) .verum := by
  intro v
  rw [eval_impl, implB_self, eval_verum]

theorem taut_neg_neg_iff (p : Form) : Taut (.neg (.neg p)) ↔ Taut p :=
  ⟨taut_of_equiv (neg_neg_equiv p), taut_of_equiv (equiv_symm (neg_neg_equiv p))⟩

theorem taut_impl_trans {p q r : Form} (h1 : Taut (.impl p q)) (h2 : Taut (.impl q r)) :
    Taut (.impl p r) := by
  intro v
  have a := h1 v
  have b := h2 v
  rw [eval_impl] at a b
  rw [eval_impl, implB_eq_true]
  intro hp
  exact implB_mp b (implB_mp a hp)

theorem taut_contrapose {p q : Form} (h : Taut (.impl p q)) : Taut (.impl (.neg q) (.neg p)) := by
  intro v
  have a := h v
  rw [eval_impl, implB_eq_disjB] at a
  rw [eval_impl, eval_neg, eval_neg, implB_eq_disjB, negB_negB, disjB_comm]
  exact a

theorem eval_subst_const (v : Nat → Bool) (n : Nat) (p : Form) :
    eval v (subst (fun _ => .atom n) p) = eval (fun _ => v n) p :=
  (eval_subst v _ p).trans (eval_congr _ _ (fun _ => eval_atom v n) p)

theorem size_subst_atom (p : Form) : size (subst Form.atom p) = size p := by
  rw [subst_atom_id]

theorem eval_elimImp_nnf (v : Nat → Bool) (p : Form) : eval v (nnf true (elimImp p)) = eval v p := by
  rw [eval_nnf_true, eval_elimImp]

theorem not_not_em (p : Prop) : ¬¬(p ∨ ¬p) :=
  fun h => (demorgan_or.mp h).2 (demorgan_or.mp h).1

theorem and_or_absorb_right {p q : Prop} : (p ∨ q) ∧ p ↔ p := iff_chain and_flip_iff and_absorb_or

theorem or_and_absorb_right {p q : Prop} : (p ∧ q) ∨ p ↔ p := iff_chain or_flip_iff or_absorb_and

theorem not_imp_iff {p q : Prop} : ¬(p → q) ↔ p ∧ ¬q := by
  constructor
  · intro h
    exact ⟨by_contra_p (fun hnp => h (fun hp => absurd hp hnp)), fun hq => h (fun _ => hq)⟩
  · intro h hpq
    exact h.2 (hpq h.1)

theorem or_iff_not_imp {p q : Prop} : p ∨ q ↔ (¬p → q) := by
  constructor
  · intro h hnp
    exact h.elim (fun hp => absurd hp hnp) id
  · intro h
    cases Classical.em p with
    | inl hp => exact Or.inl hp
    | inr hnp => exact Or.inr (h hnp)

theorem imp_or_distrib {p q r : Prop} : (p → q ∨ r) ↔ (p → q) ∨ (p → r) := by
  constructor
  · intro h
    cases Classical.em p with
    | inl hp => exact (h hp).elim (fun hq => Or.inl (fun _ => hq)) (fun hr => Or.inr (fun _ => hr))
    | inr hnp => exact Or.inl (fun hp => absurd hp hnp)
  · intro h hp
    exact h.elim (fun f => Or.inl (f hp)) (fun g => Or.inr (g hp))

theorem and_imp_left_swap {p q r : Prop} : (p → q → r) ↔ (q → p → r) := by
  have h1 : (p ∧ q → r) ↔ (q ∧ p → r) :=
    ⟨fun h hqp => h (and_flip hqp), fun h hpq => h (and_flip hpq)⟩
  exact iff_chain (iff_flip curry_iff) (iff_chain h1 curry_iff)

theorem taut_excluded_middle_iff (p : Form) : Taut (.disj p (.neg p)) ↔ True :=
  ⟨fun _ => trivial, fun _ => taut_em p⟩

theorem taut_impl_of_taut_right (p : Form) {q : Form} (h : Taut q) : Taut (.impl p q) := by
  intro v
  rw [eval_impl, h v, implB_true_right]

theorem nnf_idem_eval (v : Nat → Bool) (p : Form) : eval v (nnf true (nnf true p)) = eval v p := by
  rw [eval_nnf_true, eval_nnf_true]

theorem taut_iff_equiv_verum (p : Form) : Taut p ↔ Equiv p .verum := by
  sorry

end Logic
