module

public import Proj.Basic
import all Proj.Main

/-! Module doc: `sorry` here is prose. /- nested -/ -/

@[expose] public section

namespace Proj.Syntax

open Proj hiding double_add

universe u v

variable {α : Type u} (xs : List α)

/-- A docstring with `sorry` and "quotes" -/
@[simp, norm_cast]
private
noncomputable def strs : String := s!"value {toString (1 + 1)} and \"sorry\"" ++ r#"raw "sorry""# ++ "x"

def chars : List Char := ['a', '\'', '"', 's']

def «weird name» (n : Nat) : Nat := n

theorem «weird name».spec (n : Nat) : «weird name» n = n := rfl

def abs' (x : Int) : Int := if x < 0 then -x else x

theorem abs_stmt (x : Int) : |x| = |x| := by rfl

def first3 : Nat × Nat × Nat → Nat | ⟨a, _, _⟩ => a

instance : Inhabited Nat := ⟨0⟩

instance (priority := low) instNamed : Inhabited Bool := ⟨true⟩

class Foo (α : Type u) where
  foo : α → Nat
  bar (a : α) : Nat := foo a

structure Pair (α : Type u) extends Inhabited α where
  mk' ::
  fst : α
  snd : α
deriving Repr

inductive Tree (α : Type u) where
  | leaf : Tree α
  | node (l : Tree α) (v : α) (r : Tree α) : Tree α
  deriving Inhabited

axiom ax : 1 = 1

opaque secret : Nat

abbrev N := Nat

mutual
  def isEven : Nat → Bool
    | 0 => true
    | n + 1 => isOdd n
  def isOdd : Nat → Bool
    | 0 => false
    | n + 1 => isEven n
end

def fib : Nat → Nat
  | 0 => 0
  | 1 => 1
  | n + 2 => fib n + fib (n + 1)
termination_by n => n
decreasing_by all_goals simp_wf; omega

theorem where_style : Inhabited Nat where
  default := 0

theorem with_have (n : Nat) (h : n = 0 := by rfl) : (have m := n; m) = n := by
  show n = n
  rfl

set_option maxHeartbeats 400000 in
theorem uses_open_in : Proj.double 0 = 0 := by
  simp [double_zero]

open Proj.Point in
theorem point_ext (p : Point) : p = p := by
  have := Point.ext'
  rfl

theorem _root_.rootThm : True := trivial

protected theorem Nat.myProt : True := trivial

theorem calls_prot : True := by
  exact Nat.myProt

/-- info: 2 -/
#guard_msgs in
#eval 1 + 1

#guard_msgs in example : True := by sorry

theorem two_sorries (a : Nat) : a = a ∧ True := by
  constructor; exact sorry; exact sorry

theorem sorry_in_stmt (h : (have x : Nat := sorry; x = x)) : True := trivial

def meta_data : String := "`(tactic| sorry)"

open Lean in
macro "mytac" : tactic => `(tactic| sorry)

theorem quoted : True := by
  trivial -- `(tactic| sorry) in a comment

theorem not_sorry_lemma : True := trivial

theorem uses_not_sorry : True := by exact not_sorry_lemma

theorem many_steps (p q : Prop) (hp : p) (hq : q) : (p ∧ q) ∧ (q ∧ p) := by
  refine ⟨⟨?_, ?_⟩,
    ?_⟩
  · exact hp
  · exact hq
  · constructor
    · exact hq
    · exact hp

theorem calc_proof (a b : Nat) (h : a = b) : a + 0 = b := by
  calc a + 0 = a := by simp
    _ = b := h

theorem first_alt : True := by
  first | trivial | exact True.intro

theorem cases_alt (n : Nat) : n = n := by
  cases n with
  | zero => rfl
  | succ k =>
    rfl

theorem conv_block (a b : Nat) : a + b = b + a := by
  conv =>
    lhs
    rw [Nat.add_comm]

theorem fun_by (f : Nat → Nat) : ∀ x, f x = f x := fun x => by rfl

theorem local_fun : ∀ double : Nat, double = double := fun double => rfl

end Proj.Syntax

problem imo_fake (n : Nat) : n = n := by sorry

determine answer : Nat := sorry

alias double_alias := Proj.double

theorem_wanted wanted_thing : 1 = 1

#exit

theorem after_exit : False := sorry
