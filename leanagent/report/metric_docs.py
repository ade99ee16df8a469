"""What each lifelong-learning metric means, for the report's metric table.

The formulas are those of `leanagent.metrics` (whose docstrings cite the papers);
indices here are 1-based, as in the papers: ``R[i][j]`` is test R@10 on repository j
after step i, ``A_i`` the mean of row i, ``V_i`` validation R@10 on repository i right
after training on it, T the number of steps. Variants suffixed ``_leanagent`` are the
formulas of LeanAgent's own analysis script (Kumarappan et al., ICLR 2025), which differ
from the textbook ones; they are reported apart so that a result can be compared with
LeanAgent's Table 4 without calling it by a name it does not deserve.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MetricDoc:
    key: str
    title: str
    #: "higher" or "lower" is better.
    better: str
    definition: str
    #: "textbook" or "LeanAgent variant".
    family: str
    source: str


def metric_docs(window: int = 5) -> dict[str, MetricDoc]:
    """Documentation for every key `leanagent.metrics.compute_all` returns."""
    w = window
    docs = [
        MetricDoc("AA", "Average accuracy (final)", "higher",
                  "A_T = mean over j of R[T][j]: average test R@10 over every repository after the last step.",
                  "textbook", "Chaudhry et al. 2018"),
        MetricDoc("FM", "Forgetting measure", "lower",
                  "(1/(T-1)) sum over j < T of ( max over l in [j, T-1] of R[l][j] - R[T][j] ): for each "
                  "earlier repository, its best score over time minus its final score.",
                  "textbook", "Chaudhry et al. 2018"),
        MetricDoc("BWT", "Backward transfer", "higher",
                  "(1/(T-1)) sum over j < T of ( R[T][j] - R[j][j] ): final score minus the score right after "
                  "learning the repository.",
                  "textbook", "Lopez-Paz & Ranzato 2017"),
        MetricDoc("EBWT", "Expanded backward transfer", "higher",
                  "mean over all i > j of ( R[i][j] - R[j][j] ): backward transfer measured after every step, "
                  "not only the last.",
                  "textbook", "Díaz-Rodríguez et al. 2018"),
        MetricDoc("FWT", "Forward transfer", "higher",
                  "(1/(T-1)) sum over i > 1 of ( score on repository i before training on it - the untrained "
                  "encoder's score on it ). Empty when a baseline is missing.",
                  "textbook", "Lopez-Paz & Ranzato 2017"),
        MetricDoc(f"WF{w}", f"Windowed forgetting (window {w})", "lower",
                  f"per repository j < T, the largest drop of R[t][j] below its maximum over the previous {w} "
                  "steps (at or after learning j), clipped at 0; averaged over repositories.",
                  "textbook", "De Lange et al. 2023"),
        MetricDoc(f"WP{w}", f"Windowed plasticity (window {w})", "higher",
                  f"the largest increase of V over a sliding window of {w} steps, clipped at 0 (as LeanAgent's "
                  "paper describes it).",
                  "textbook", "Kumarappan et al. 2025, text"),
        MetricDoc("CFR", "Catastrophic forgetting resilience", "higher",
                  "min over i of A_i / max over i of A_i (1 = the average never dropped). The same in LeanAgent's "
                  "code and paper.",
                  "textbook", "Kumarappan et al. 2025"),
        MetricDoc("IP", "Incremental plasticity", "higher",
                  "mean step-to-step change of V = (V_T - V_1) / (T - 1). The same in LeanAgent's code.",
                  "textbook", "Kumarappan et al. 2025"),
        MetricDoc("FM_leanagent", "Forgetting measure, LeanAgent's variant", "lower",
                  "(1/(T-1)) sum over t < T of ( max over j <= t of R[t][j] - R[T][t] ): the best score across "
                  "repositories at step t minus repository t's final score (it maximises across tasks, not "
                  "over time).",
                  "LeanAgent variant", "LeanAgent statistical_analysis.py"),
        MetricDoc("EBWT_leanagent", "Expanded backward transfer, LeanAgent's variant", "higher",
                  "(2/(T(T-1))) sum over i >= 2, j < i of ( R[i-1][j] - R[j][j] ): uses R[i-1][j] where the "
                  "textbook uses R[i][j] (includes zero diagonal terms, omits the final row).",
                  "LeanAgent variant", "LeanAgent statistical_analysis.py"),
        MetricDoc(f"WF{w}_leanagent", f"Windowed forgetting, LeanAgent's variant (window {w})", "lower",
                  f"max(0, max over i > {w} of ( max(A_(i-{w}) .. A_(i-1)) - A_i )): computed on the averaged "
                  "curve A, not per repository.",
                  "LeanAgent variant", "LeanAgent statistical_analysis.py"),
        MetricDoc(f"WP{w}_leanagent", f"Windowed plasticity, LeanAgent's variant (window {w})", "higher",
                  f"(1/T) sum over i of max(0, A_i - A_(max(1, i-{w}))): the mean clipped gain versus {w} steps "
                  "back, on A (stability) rather than V.",
                  "LeanAgent variant", "LeanAgent statistical_analysis.py"),
    ]
    return {d.key: d for d in docs}
