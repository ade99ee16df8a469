import Lake
open Lake DSL

package arith where
  leanOptions := #[⟨`autoImplicit, false⟩]

@[default_target]
lean_lib Arith
