"""prover layer (see docs/architecture.md)."""
