import Algebra.Comm
import Algebra.Hom
import Arith.Fib

/-!
# Examples of monoids and groups

Natural numbers under `+` (a commutative monoid), integers under `+` (a group),
booleans under `xorB` (a commutative group) and functions `α → α` under composition.
Each general lemma then specialises to a concrete fact.
-/

namespace Algebra

open Arith Lists Logic

instance natAddMon : Mon Nat where
  op a b := a + b
  e := 0
  op_assoc' a b c := Nat.add_assoc a b c
  e_op' a := Nat.zero_add a
  op_e' a := Nat.add_zero a

instance natAddComm : CommMon Nat where
  comm' a b := Nat.add_comm a b

theorem natAdd_op (a b : Nat) : a ⋆ b = a + b := rfl

theorem natAdd_e : (Mon.e : Nat) = 0 := rfl

theorem natAdd_mpow (a n : Nat) : mpow a n = n * a := by
  induction n with
  | zero => rw [mpow_zero, natAdd_e, mul_zero_left]
  | succ n ih =>
    rw [mpow_succ, natAdd_op, ih, mul_succ_left]
    omega

theorem natAdd_mconcat (l : List Nat) : mconcat l = lsum l := by
  induction l with
  | nil => rfl
  | cons x xs ih => rw [mconcat_cons, natAdd_op, ih, lsum_cons]

theorem lsum_rev' (l : List Nat) : lsum (rev l) = lsum l := by
  rw [← natAdd_mconcat, ← natAdd_mconcat, mconcat_rev]

theorem lsum_flat (xss : List (List Nat)) : lsum (flat xss) = lsum (lmap lsum xss) := by
  induction xss with
  | nil => rfl
  | cons xs xss ih => rw [flat_cons, lsum_app, ih, lmap_cons, lsum_cons]

def doubleHom : Hom Nat Nat := ⟨double, fun a b => double_add a b, double_zero⟩

def mulHom (c : Nat) : Hom Nat Nat := ⟨fun a => c * a, fun a b => mul_add_right c a b, mul_zero_right c⟩

theorem double_mpow (a n : Nat) : double (mpow a n) = mpow (double a) n := hom_mpow doubleHom a n

theorem mul_mpow (c a n : Nat) : c * mpow a n = mpow (c * a) n := hom_mpow (mulHom c) a n

theorem double_lsum (l : List Nat) : double (lsum l) = lsum (lmap double l) := by
  rw [← natAdd_mconcat, ← natAdd_mconcat]
  exact hom_mconcat doubleHom l

instance intAddMon : Mon Int where
  op a b := a + b
  e := 0
  op_assoc' a b c := by
    show a + b + c = a + (b + c)
    omega
  e_op' a := by
    show 0 + a = a
    omega
  op_e' a := by
    show a + 0 = a
    omega

instance intAddGrp : Grp Int where
  inv a := -a
  inv_op' a := by
    show -a + a = 0
    omega

theorem intAdd_inv (a : Int) : Grp.inv a = -a := rfl

theorem int_neg_neg (a : Int) : -(-a) = a := inv_inv a

theorem int_neg_add (a b : Int) : -(a + b) = -b + -a := inv_op_rev a b

theorem int_add_left_cancel {a b c : Int} (h : a + b = a + c) : b = c := op_left_cancel (G := Int) h

theorem int_neg_zero : -(0 : Int) = 0 := inv_e (G := Int)

instance xorMon : Mon Bool where
  op := xorB
  e := false
  op_assoc' a b c := by cases a <;> cases b <;> cases c <;> rfl
  e_op' a := by cases a <;> rfl
  op_e' a := xorB_false_right a

instance xorGrp : Grp Bool where
  inv a := a
  inv_op' a := xorB_self a

instance xorComm : CommMon Bool where
  comm' a b := xorB_comm a b

theorem xor_mpow_two (a : Bool) : mpow a 2 = false := by
  rw [mpow_two]
  exact xorB_self a

theorem xor_mconcat_rev (l : List Bool) : mconcat (rev l) = mconcat l := mconcat_rev l

instance endoMon (α : Type) : Mon (α → α) where
  op f g := fun x => f (g x)
  e := fun x => x
  op_assoc' _ _ _ := rfl
  e_op' _ := rfl
  op_e' _ := rfl

theorem endo_op_apply {α : Type} (f g : α → α) (x : α) : (f ⋆ g) x = f (g x) := rfl

theorem endo_mpow_zero_apply {α : Type} (f : α → α) (x : α) : mpow f 0 x = x := rfl

theorem endo_mpow_succ_apply {α : Type} (f : α → α) (n : Nat) (x : α) :
    mpow f (n + 1) x = f (mpow f n x) := rfl

theorem succ_iter (k : Nat) : mpow (fun n : Nat => n + 1) k 0 = k := by
  induction k with
  | zero => rfl
  | succ k ih => rw [endo_mpow_succ_apply, ih]

theorem double_iter (k : Nat) : mpow double k 1 = pow2 k := by
  induction k with
  | zero => rfl
  | succ k ih => rw [endo_mpow_succ_apply, ih, pow2_succ]

theorem endo_mpow_add_apply {α : Type} (f : α → α) (m n : Nat) (x : α) :
    mpow f (m + n) x = mpow f m (mpow f n x) :=
  (congrFun (mpow_add f m n) x).trans (endo_op_apply _ _ x)

theorem intAdd_mpow (a : Int) (n : Nat) : mpow a n = (n : Int) * a := by
  sorry

theorem hom_nat_determined {M : Type} [Mon M] (f g : Hom Nat M) (h : f.toFun 1 = g.toFun 1) (n : Nat) :
    f.toFun n = g.toFun n := by
  sorry

end Algebra
