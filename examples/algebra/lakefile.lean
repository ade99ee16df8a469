import Lake
open Lake DSL

package algebra where
  leanOptions := #[⟨`autoImplicit, false⟩]

require arith from ".." / "arith"
require logic from ".." / "logic"
require lists from ".." / "lists"

@[default_target]
lean_lib Algebra
