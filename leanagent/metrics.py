"""Lifelong-learning metrics over an accuracy matrix.

Notation (0-based here; the papers are 1-based):

* ``R[i][j]``: test R@10 on task (repository) ``j`` after training on task ``i``, for
  ``j <= i``; row ``i`` has ``i + 1`` numbers (a lower-triangular matrix).
* ``V[i]``: validation R@10 on task ``i`` right after training on it (plasticity).
* ``A[i] = mean_j R[i][j]``: average test R@10 after step ``i`` (stability).
* ``pre[i]``: test R@10 on task ``i`` *before* training on it (after step ``i - 1``;
  for ``i = 0`` the untrained encoder), and ``base[i]``: the untrained encoder's test
  R@10 on task ``i``; both only for Forward Transfer.

Every function is pure. Textbook definitions carry the plain name; LeanAgent's
non-standard implementations (``statistical_analysis.py`` in LeanAgent's repository
history; docs/method.md, "Lifelong-learning metrics") carry a ``_leanagent`` suffix so that a number
is never reported under a name it does not deserve. Where LeanAgent computed a metric
on the averaged curve ``A`` (windowed forgetting and plasticity), the LeanAgent variant
takes ``A`` directly, so that its published numbers can be reproduced from its
published ``A`` column rather than from a rounded matrix.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from database.errors import MetricsError as MetricsError  # re-exported: raised here

Matrix = Sequence[Sequence[float]]


def check_matrix(R: Matrix) -> int:
    """Return T, the number of tasks; raise `MetricsError` unless row i has i+1 numbers."""
    if not R:
        raise MetricsError("the accuracy matrix is empty: run `leanagent run` first")
    for i, row in enumerate(R):
        if len(row) != i + 1:
            raise MetricsError(
                f"row {i} of the accuracy matrix has {len(row)} numbers, expected {i + 1}: "
                "each step must be evaluated on every repository seen so far"
            )
    return len(R)


def _check_series(name: str, xs: Sequence[float], T: int) -> None:
    if len(xs) != T:
        raise MetricsError(f"{name} has {len(xs)} values but the matrix has {T} rows")


def average_accuracies(R: Matrix) -> list[float]:
    """A_i: the mean of row i (stability after step i)."""
    check_matrix(R)
    return [sum(row) / len(row) for row in R]


def final_average_accuracy(R: Matrix) -> float:
    """AA = A_T, the average test accuracy over all tasks after the last step."""
    return average_accuracies(R)[-1]


# -- forgetting -----------------------------------------------------------------------


def forgetting_measure(R: Matrix) -> float:
    """Textbook FM (Chaudhry et al. 2018): for each task j < T, its best accuracy at any
    earlier time minus its final accuracy, averaged. 0.0 for a single task."""
    T = check_matrix(R)
    if T < 2:
        return 0.0
    last = R[T - 1]
    return sum(max(R[t][j] for t in range(j, T - 1)) - last[j] for j in range(T - 1)) / (T - 1)


def forgetting_measure_leanagent(R: Matrix) -> float:
    """LeanAgent's FM: for each step t < T, the best accuracy *across tasks* in row t
    minus task t's final accuracy, averaged. It maximises across tasks, not over time."""
    T = check_matrix(R)
    if T < 2:
        return 0.0
    last = R[T - 1]
    return sum(max(R[t]) - last[t] for t in range(T - 1)) / (T - 1)


def backward_transfer(R: Matrix) -> float:
    """BWT (Lopez-Paz & Ranzato 2017): mean over tasks j < T of R[T][j] - R[j][j]."""
    T = check_matrix(R)
    if T < 2:
        return 0.0
    return sum(R[T - 1][j] - R[j][j] for j in range(T - 1)) / (T - 1)


def expanded_backward_transfer(R: Matrix) -> float:
    """Textbook EBWT (Díaz-Rodríguez et al. 2018): mean of R[i][j] - R[j][j] over all
    i > j, i.e. backward transfer measured after every step, not only the last."""
    T = check_matrix(R)
    if T < 2:
        return 0.0
    total = sum(R[i][j] - R[j][j] for i in range(1, T) for j in range(i))
    return total / (T * (T - 1) / 2)


def expanded_backward_transfer_leanagent(R: Matrix) -> float:
    """LeanAgent's EBWT: uses R[i-1][j] where the textbook uses R[i][j] (an off-by-one
    that adds zero diagonal terms and omits the final row)."""
    T = check_matrix(R)
    if T < 2:
        return 0.0
    total = sum(R[i - 1][j] - R[j][j] for i in range(1, T) for j in range(i))
    return total / (T * (T - 1) / 2)


def windowed_forgetting(R: Matrix, window: int = 5) -> float:
    """Per-task windowed forgetting (De Lange et al. 2023): for each task j < T, the
    largest drop of its accuracy below its maximum over the previous ``window`` steps
    (at or after learning it), clipped at 0; averaged over tasks j < T."""
    T = check_matrix(R)
    if T < 2:
        return 0.0
    per_task = []
    for j in range(T - 1):
        worst = 0.0
        for t in range(j + 1, T):
            lo = max(j, t - window)
            worst = max(worst, max(R[k][j] for k in range(lo, t)) - R[t][j])
        per_task.append(worst)
    return sum(per_task) / len(per_task)


def windowed_forgetting_leanagent(A: Sequence[float], window: int = 5) -> float:
    """LeanAgent's WF: ``max(0, max_i [max(A_{i-w} .. A_{i-1}) - A_i])`` on the averaged
    curve A (its paper describes the per-task measure instead)."""
    T = len(A)
    drops = [max(A[i - window : i]) - A[i] for i in range(window, T)]
    return max(0.0, max(drops)) if drops else 0.0


def windowed_plasticity(V: Sequence[float], window: int = 5) -> float:
    """Windowed plasticity as LeanAgent's paper describes it: the maximum increase of the
    validation accuracy V over a sliding window of ``window`` steps, clipped at 0."""
    gains = [V[i] - min(V[max(0, i - window) : i]) for i in range(1, len(V))]
    return max(0.0, max(gains)) if gains else 0.0


def windowed_plasticity_leanagent(A: Sequence[float], window: int = 5) -> float:
    """LeanAgent's WP: ``(1/T) sum_i max(0, A_i - A_{max(1, i-w)})``, the mean clipped
    gain versus ``window`` steps back, computed on A (stability), not V."""
    T = len(A)
    if T == 0:
        return 0.0
    return sum(max(0.0, A[i] - A[max(0, i - window)]) for i in range(T)) / T


def catastrophic_forgetting_resilience(A: Sequence[float]) -> float:
    """CFR = min A / max A (the same in LeanAgent and its paper). 1.0 = never dropped."""
    hi = max(A)
    return min(A) / hi if hi else 1.0


def incremental_plasticity(V: Sequence[float]) -> float:
    """IP: mean step-to-step change of V, i.e. (V_T - V_1) / (T - 1), as LeanAgent."""
    if len(V) < 2:
        return 0.0
    return (V[-1] - V[0]) / (len(V) - 1)


def forward_transfer(pre: Sequence[float], base: Sequence[float]) -> float:
    """FWT (Lopez-Paz & Ranzato 2017) against the untrained encoder: mean over tasks
    i > 0 of (accuracy on task i before training on it) - (untrained encoder on i)."""
    if len(pre) != len(base):
        raise MetricsError(f"FWT needs one pre-training score per baseline ({len(pre)} vs {len(base)})")
    if len(pre) < 2:
        return 0.0
    return sum(pre[i] - base[i] for i in range(1, len(pre))) / (len(pre) - 1)


@dataclass(frozen=True)
class MetricsConfig:
    window: int = 5


def compute_all(
    R: Matrix,
    V: Sequence[float],
    *,
    pre: Sequence[float | None] | None = None,
    base: Sequence[float | None] | None = None,
    config: MetricsConfig = MetricsConfig(),
) -> dict[str, float | None]:
    """Every metric by name. FWT is None when a pre-training or baseline score is missing."""
    T = check_matrix(R)
    _check_series("V", V, T)
    A = average_accuracies(R)
    w = config.window
    fwt: float | None = None
    if pre is not None and base is not None:
        known_pre = [float(x) for x in pre if x is not None]
        known_base = [float(x) for x in base if x is not None]
        if len(known_pre) == len(known_base) == T == len(pre) == len(base):
            fwt = forward_transfer(known_pre, known_base)
    return {
        "AA": A[-1],
        "FM": forgetting_measure(R),
        "BWT": backward_transfer(R),
        "EBWT": expanded_backward_transfer(R),
        "FWT": fwt,
        f"WF{w}": windowed_forgetting(R, w),
        f"WP{w}": windowed_plasticity(V, w),
        "CFR": catastrophic_forgetting_resilience(A),
        "IP": incremental_plasticity(V),
        "FM_leanagent": forgetting_measure_leanagent(R),
        "EBWT_leanagent": expanded_backward_transfer_leanagent(R),
        f"WF{w}_leanagent": windowed_forgetting_leanagent(A, w),
        f"WP{w}_leanagent": windowed_plasticity_leanagent(A, w),
    }
