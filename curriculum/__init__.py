"""curriculum layer (see docs/architecture.md)."""
