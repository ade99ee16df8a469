namespace A

theorem base : 1 = 1 := rfl

protected theorem prot : 2 = 2 := rfl

private theorem secret : 3 = 3 := rfl

theorem iff_thm : True ↔ True := Iff.rfl

theorem uses_secret : 3 = 3 := secret

end A

namespace B

theorem base : 1 = 1 := rfl

end B
