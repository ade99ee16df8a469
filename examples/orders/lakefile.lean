import Lake
open Lake DSL

package orders where
  leanOptions := #[⟨`autoImplicit, false⟩]

require arith from ".." / "arith"
require logic from ".." / "logic"
require lists from ".." / "lists"

@[default_target]
lean_lib Orders
