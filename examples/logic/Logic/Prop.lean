/-!
# Propositional reasoning

Constructive lemmas first, then the classical ones (`Classical.em` from core). The
names are this project's own, so that downstream projects cite them explicitly.
-/

namespace Logic

theorem and_flip {p q : Prop} (h : p ∧ q) : q ∧ p := ⟨h.2, h.1⟩

theorem and_flip_iff {p q : Prop} : p ∧ q ↔ q ∧ p := ⟨and_flip, and_flip⟩

theorem or_flip {p q : Prop} (h : p ∨ q) : q ∨ p := h.elim Or.inr Or.inl

theorem or_flip_iff {p q : Prop} : p ∨ q ↔ q ∨ p := ⟨or_flip, or_flip⟩

theorem and_regroup {p q r : Prop} : (p ∧ q) ∧ r ↔ p ∧ (q ∧ r) :=
  ⟨fun ⟨⟨hp, hq⟩, hr⟩ => ⟨hp, hq, hr⟩, fun ⟨hp, hq, hr⟩ => ⟨⟨hp, hq⟩, hr⟩⟩

theorem or_regroup {p q r : Prop} : (p ∨ q) ∨ r ↔ p ∨ (q ∨ r) :=
  ⟨fun h => h.elim (fun hpq => hpq.elim Or.inl (fun hq => Or.inr (Or.inl hq)))
      (fun hr => Or.inr (Or.inr hr)),
   fun h => h.elim (fun hp => Or.inl (Or.inl hp))
      (fun hqr => hqr.elim (fun hq => Or.inl (Or.inr hq)) Or.inr)⟩

theorem imp_chain {p q r : Prop} (hpq : p → q) (hqr : q → r) : p → r :=
  fun hp => hqr (hpq hp)

theorem contrapose_imp {p q : Prop} (h : p → q) : ¬q → ¬p :=
  fun hq hp => hq (h hp)

theorem dneg_intro {p : Prop} (hp : p) : ¬¬p := fun hn => hn hp

theorem tneg_elim {p : Prop} (h : ¬¬¬p) : ¬p := fun hp => h (dneg_intro hp)

theorem demorgan_or {p q : Prop} : ¬(p ∨ q) ↔ ¬p ∧ ¬q :=
  ⟨fun h => ⟨fun hp => h (Or.inl hp), fun hq => h (Or.inr hq)⟩,
   fun h hpq => hpq.elim h.1 h.2⟩

theorem not_or_of_both {p q : Prop} (hp : ¬p) (hq : ¬q) : ¬(p ∨ q) :=
  demorgan_or.mpr ⟨hp, hq⟩

theorem not_and_of_not_or {p q : Prop} (h : ¬p ∨ ¬q) : ¬(p ∧ q) :=
  fun hpq => h.elim (fun hnp => hnp hpq.1) (fun hnq => hnq hpq.2)

theorem and_distrib_or {p q r : Prop} : p ∧ (q ∨ r) ↔ (p ∧ q) ∨ (p ∧ r) :=
  ⟨fun ⟨hp, hqr⟩ => hqr.elim (fun hq => Or.inl ⟨hp, hq⟩) (fun hr => Or.inr ⟨hp, hr⟩),
   fun h => h.elim (fun ⟨hp, hq⟩ => ⟨hp, Or.inl hq⟩) (fun ⟨hp, hr⟩ => ⟨hp, Or.inr hr⟩)⟩

theorem or_distrib_and {p q r : Prop} : p ∨ (q ∧ r) ↔ (p ∨ q) ∧ (p ∨ r) :=
  ⟨fun h => h.elim (fun hp => ⟨Or.inl hp, Or.inl hp⟩) (fun ⟨hq, hr⟩ => ⟨Or.inr hq, Or.inr hr⟩),
   fun ⟨hpq, hpr⟩ => hpq.elim Or.inl
      (fun hq => hpr.elim Or.inl (fun hr => Or.inr ⟨hq, hr⟩))⟩

theorem and_distrib_or_right {p q r : Prop} : (q ∨ r) ∧ p ↔ (q ∧ p) ∨ (r ∧ p) := by
  constructor
  · intro h
    have h2 := and_distrib_or.mp (and_flip h)
    exact h2.elim (fun a => Or.inl (and_flip a)) (fun b => Or.inr (and_flip b))
  · intro h
    apply and_flip
    apply and_distrib_or.mpr
    exact h.elim (fun a => Or.inl (and_flip a)) (fun b => Or.inr (and_flip b))

theorem or_left_swap {p q r : Prop} : p ∨ (q ∨ r) ↔ q ∨ (p ∨ r) :=
  ⟨fun h => h.elim (fun hp => Or.inr (Or.inl hp))
      (fun hqr => hqr.elim Or.inl (fun hr => Or.inr (Or.inr hr))),
   fun h => h.elim (fun hq => Or.inr (Or.inl hq))
      (fun hpr => hpr.elim Or.inl (fun hr => Or.inr (Or.inr hr)))⟩

theorem and_left_swap {p q r : Prop} : p ∧ (q ∧ r) ↔ q ∧ (p ∧ r) :=
  ⟨fun ⟨hp, hq, hr⟩ => ⟨hq, hp, hr⟩, fun ⟨hq, hp, hr⟩ => ⟨hp, hq, hr⟩⟩

theorem iff_flip {p q : Prop} (h : p ↔ q) : q ↔ p := ⟨h.mpr, h.mp⟩

theorem iff_chain {p q r : Prop} (h1 : p ↔ q) (h2 : q ↔ r) : p ↔ r :=
  ⟨imp_chain h1.mp h2.mp, imp_chain h2.mpr h1.mpr⟩

theorem iff_of_both {p q : Prop} (hp : p) (hq : q) : p ↔ q := ⟨fun _ => hq, fun _ => hp⟩

theorem iff_of_neither {p q : Prop} (hp : ¬p) (hq : ¬q) : p ↔ q :=
  ⟨fun h => absurd h hp, fun h => absurd h hq⟩

theorem curry_iff {p q r : Prop} : (p ∧ q → r) ↔ (p → q → r) :=
  ⟨fun h hp hq => h ⟨hp, hq⟩, fun h hpq => h hpq.1 hpq.2⟩

theorem or_imp_split {p q r : Prop} : (p ∨ q → r) ↔ (p → r) ∧ (q → r) :=
  ⟨fun h => ⟨fun hp => h (Or.inl hp), fun hq => h (Or.inr hq)⟩,
   fun h hpq => hpq.elim h.1 h.2⟩

theorem imp_and_split {p q r : Prop} : (p → q ∧ r) ↔ (p → q) ∧ (p → r) :=
  ⟨fun h => ⟨fun hp => (h hp).1, fun hp => (h hp).2⟩, fun h hp => ⟨h.1 hp, h.2 hp⟩⟩

theorem and_absorb_or {p q : Prop} : p ∧ (p ∨ q) ↔ p :=
  ⟨fun h => h.1, fun hp => ⟨hp, Or.inl hp⟩⟩

theorem or_absorb_and {p q : Prop} : p ∨ (p ∧ q) ↔ p :=
  ⟨fun h => h.elim id (fun hpq => hpq.1), Or.inl⟩

theorem not_imp_not_of {p q : Prop} (h : q → p) : ¬p → ¬q := contrapose_imp h

theorem dneg_of_em {p : Prop} (em : p ∨ ¬p) (h : ¬¬p) : p :=
  em.elim id (fun hn => absurd hn h)

theorem dneg_elim {p : Prop} (h : ¬¬p) : p := dneg_of_em (Classical.em p) h

theorem by_contra_p {p : Prop} (h : ¬p → False) : p := dneg_elim h

theorem demorgan_and {p q : Prop} : ¬(p ∧ q) ↔ ¬p ∨ ¬q := by
  constructor
  · intro h
    cases Classical.em p with
    | inl hp => exact Or.inr (fun hq => h ⟨hp, hq⟩)
    | inr hnp => exact Or.inl hnp
  · exact not_and_of_not_or

theorem imp_iff_not_or {p q : Prop} : (p → q) ↔ ¬p ∨ q := by
  constructor
  · intro h
    cases Classical.em p with
    | inl hp => exact Or.inr (h hp)
    | inr hnp => exact Or.inl hnp
  · intro h hp
    exact h.elim (fun hnp => absurd hp hnp) id

theorem contrapose_iff {p q : Prop} : (¬q → ¬p) ↔ (p → q) :=
  ⟨fun h hp => dneg_elim (fun hnq => h hnq hp), contrapose_imp⟩

theorem peirce {p q : Prop} (h : (p → q) → p) : p :=
  by_contra_p (fun hnp => hnp (h (fun hp => absurd hp hnp)))

theorem dneg_iff {p : Prop} : ¬¬p ↔ p := ⟨dneg_elim, dneg_intro⟩

theorem exists_or_split {α : Type} {P Q : α → Prop} :
    (∃ x, P x ∨ Q x) ↔ (∃ x, P x) ∨ (∃ x, Q x) :=
  ⟨fun ⟨x, h⟩ => h.elim (fun hp => Or.inl ⟨x, hp⟩) (fun hq => Or.inr ⟨x, hq⟩),
   fun h => h.elim (fun ⟨x, hp⟩ => ⟨x, Or.inl hp⟩) (fun ⟨x, hq⟩ => ⟨x, Or.inr hq⟩)⟩

theorem forall_and_split {α : Type} {P Q : α → Prop} :
    (∀ x, P x ∧ Q x) ↔ (∀ x, P x) ∧ (∀ x, Q x) :=
  ⟨fun h => ⟨fun x => (h x).1, fun x => (h x).2⟩, fun h x => ⟨h.1 x, h.2 x⟩⟩

theorem not_exists_iff {α : Type} {P : α → Prop} : ¬(∃ x, P x) ↔ ∀ x, ¬P x :=
  ⟨fun h x hx => h ⟨x, hx⟩, fun h ⟨x, hx⟩ => h x hx⟩

theorem not_forall_iff {α : Type} {P : α → Prop} : ¬(∀ x, P x) ↔ ∃ x, ¬P x := by
  constructor
  · intro h
    apply by_contra_p
    intro hne
    apply h
    intro x
    apply by_contra_p
    intro hnx
    exact hne ⟨x, hnx⟩
  · intro ⟨x, hnx⟩ hall
    exact hnx (hall x)

theorem exists_of_not_forall_not {α : Type} {P : α → Prop} (h : ¬∀ x, ¬P x) : ∃ x, P x := by
  apply by_contra_p
  intro hne
  exact h (not_exists_iff.mp hne)

end Logic
