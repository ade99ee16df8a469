"""leanagent: a lifelong-learning theorem-proving agent for Lean 4.

The application layer: CLI, configuration, sources (tracers), the lifelong loop,
metrics and reports. Importing it has no side effects and imports no heavy library.
"""

__version__ = "0.1.0"
