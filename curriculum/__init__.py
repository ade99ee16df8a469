"""curriculum layer (see docs/architecture.md): theorem difficulty, easy/medium/hard
buckets and repository orderings. Imports only `database`."""

from .difficulty import (
    BUCKETS,
    CurriculumConfig,
    RepoDifficulty,
    classify,
    difficulty,
    percentile_thresholds,
    repository_difficulties,
    theorem_buckets,
)
from .ordering import (
    DYNAMIC_ORDERS,
    ORDERS,
    Placement,
    learning_progress,
    order_repositories,
    progress_history,
)

__all__ = [
    "BUCKETS",
    "DYNAMIC_ORDERS",
    "ORDERS",
    "CurriculumConfig",
    "Placement",
    "RepoDifficulty",
    "classify",
    "difficulty",
    "learning_progress",
    "order_repositories",
    "percentile_thresholds",
    "progress_history",
    "repository_difficulties",
    "theorem_buckets",
]
