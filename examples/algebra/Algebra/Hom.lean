import Algebra.Group

/-!
# Homomorphisms

A monoid homomorphism preserves `⋆` and `Mon.e`; it then preserves powers and list
products, composes, and between groups preserves inverses.
-/

namespace Algebra

open Lists

structure Hom (M N : Type) [Mon M] [Mon N] where
  toFun : M → N
  map_op' : ∀ a b : M, toFun (a ⋆ b) = toFun a ⋆ toFun b
  map_e' : toFun Mon.e = Mon.e

variable {M N P : Type} [Mon M] [Mon N] [Mon P]

theorem hom_op (f : Hom M N) (a b : M) : f.toFun (a ⋆ b) = f.toFun a ⋆ f.toFun b := f.map_op' a b

theorem hom_e (f : Hom M N) : f.toFun Mon.e = Mon.e := f.map_e'

theorem hom_mpow (f : Hom M N) (a : M) (n : Nat) : f.toFun (mpow a n) = mpow (f.toFun a) n := by
  induction n with
  | zero => rw [mpow_zero, mpow_zero, hom_e]
  | succ n ih => rw [mpow_succ, hom_op, ih, mpow_succ]

theorem hom_mconcat (f : Hom M N) (l : List M) : f.toFun (mconcat l) = mconcat (lmap f.toFun l) := by
  induction l with
  | nil => rw [mconcat_nil, lmap_nil, mconcat_nil, hom_e]
  | cons x xs ih => rw [mconcat_cons, hom_op, ih, lmap_cons, mconcat_cons]

def Hom.idHom (M : Type) [Mon M] : Hom M M where
  toFun a := a
  map_op' _ _ := rfl
  map_e' := rfl

def Hom.comp (g : Hom N P) (f : Hom M N) : Hom M P where
  toFun a := g.toFun (f.toFun a)
  map_op' a b := by
    show g.toFun (f.toFun (a ⋆ b)) = g.toFun (f.toFun a) ⋆ g.toFun (f.toFun b)
    rw [hom_op, hom_op]
  map_e' := by
    show g.toFun (f.toFun Mon.e) = Mon.e
    rw [hom_e, hom_e]

theorem comp_toFun (g : Hom N P) (f : Hom M N) (a : M) :
    (Hom.comp g f).toFun a = g.toFun (f.toFun a) := rfl

theorem idHom_toFun (a : M) : (Hom.idHom M).toFun a = a := rfl

theorem comp_mpow (g : Hom N P) (f : Hom M N) (a : M) (n : Nat) :
    g.toFun (f.toFun (mpow a n)) = mpow (g.toFun (f.toFun a)) n := by
  rw [← comp_toFun, hom_mpow, comp_toFun]

theorem hom_mconcat_rep (f : Hom M N) (n : Nat) (a : M) :
    f.toFun (mconcat (rep n a)) = mpow (f.toFun a) n := by
  rw [mconcat_rep, hom_mpow]

theorem hom_inv {G H : Type} [Mon G] [Grp G] [Mon H] [Grp H] (f : Hom G H) (a : G) :
    f.toFun (Grp.inv a) = Grp.inv (f.toFun a) := by
  have h : f.toFun a ⋆ f.toFun (Grp.inv a) = Mon.e := by
    rw [← hom_op, op_inv, hom_e]
  exact inv_unique h

end Algebra
