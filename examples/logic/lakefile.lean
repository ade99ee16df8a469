import Lake
open Lake DSL

package logic where
  leanOptions := #[⟨`autoImplicit, false⟩]

require arith from ".." / "arith"

@[default_target]
lean_lib Logic
