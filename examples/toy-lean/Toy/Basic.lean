/-- Basic definitions. -/
namespace Toy



def double (n : Nat) : Nat := n + n

def unfinished (n : Nat) : Nat := sorry
end Toy
