"""Talking to Lean: one small interface (`interface`), its backends (the Lean REPL, LeanDojo's
`Dojo`), and the whole-file verification of a proof.

Proof search and everything above it see only `prover.lean.interface`; nothing here is
imported at package import time.
"""
