import Links.A

open A

theorem c1 : 1 = 1 := by
  exact base

theorem c2 : 2 = 2 := by
  exact prot

theorem c3 : 2 = 2 := A.prot

theorem c4 : 3 = 3 := by
  exact secret

theorem c5 : 4 = 4 := A.not_imported

theorem c6 (base : 1 = 1) : 1 = 1 := by
  exact base

theorem c7 : True := by
  exact iff_thm.mp trivial

theorem c8 : 5 = 5 := later

theorem later : 5 = 5 := rfl

theorem c9 : 5 = 5 := later

open B

theorem c10 : 1 = 1 := base

theorem c11 : 1 = 1 := B.base

theorem c12 : ∀ base : Nat, base = base := fun base => rfl

theorem c13 : 1 = 1 := by
  have h := A.base
  intro_fake base
  simp [h, A.base]

namespace A

theorem c14 : 1 = 1 := base

end A
