import Lake
open Lake DSL

package lists where
  leanOptions := #[⟨`autoImplicit, false⟩]

require arith from ".." / "arith"
require logic from ".." / "logic"

@[default_target]
lean_lib Lists
