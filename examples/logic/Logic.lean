import Logic.Prop
import Logic.Bool
import Logic.Formula
import Logic.NormalForm
import Logic.Laws
