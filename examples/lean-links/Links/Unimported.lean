theorem A.not_imported : 4 = 4 := rfl
