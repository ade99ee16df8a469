import Lake
open Lake DSL

package «proj» where
  leanOptions := #[⟨`autoImplicit, false⟩]

require batteries from git "https://github.com/leanprover-community/batteries" @ "main"

@[default_target]
lean_lib Proj where
