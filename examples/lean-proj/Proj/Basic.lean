/-!
# Basic definitions
Module docs mention theorem fake : True := sorry
-/

namespace Proj

/-- Doubling. -/
def double (n : Nat) : Nat := n + n

@[simp] theorem double_zero : double 0 = 0 := rfl

/- A commented-out block hides a declaration:
theorem hidden : False := sorry
/- nested -/ still comment
-/

theorem double_add (a b : Nat) : double (a + b) = double a + double b := by
  unfold double
  omega

protected theorem add_comm' (a b : Nat) : a + b = b + a := Nat.add_comm a b

structure Point where
  x : Nat
  y : Nat := 0
  deriving Repr

inductive Color where
  | red
  | green : Color

end Proj

theorem Proj.Point.ext' (p q : Proj.Point) (h : p.x = q.x) (h' : p.y = q.y) : p = q := by
  cases p; cases q
  simp_all
