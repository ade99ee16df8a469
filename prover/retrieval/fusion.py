"""The fused ranker: dense candidates re-scored with BM25 and locality.

``score = dense + w_bm25 * bm25 / max(bm25) + w_loc / sqrt(1 + locality rank)`` over the
top dense candidates of a query; the weights are chosen on validation data by
`prover.retrieval.evaluate.tune_fusion` from `FUSION_GRID` and stored per encoder
(``store.fusion_weights``).
"""

from __future__ import annotations

import numpy as np

from database.checkpoints import FusionWeights

from .config import MIN_FUSION_QUERIES
from .data import FloatArray, IntArray

__all__ = ["FUSION_GRID", "MIN_FUSION_QUERIES", "Candidates", "FusionFeatures", "fused_rerank"]

#: Candidate values of each weight in the grid search.
FUSION_GRID = (0.0, 0.02, 0.05, 0.1, 0.2, 0.5)

#: Dense candidates of one query: corpus rows and their scores, best first.
Candidates = tuple[IntArray, FloatArray]
#: (candidate rows, dense, BM25 and locality-key scores of each) for the fused ranker.
FusionFeatures = tuple[IntArray, FloatArray, FloatArray, FloatArray]


def fused_rerank(cand: IntArray, dense: FloatArray, bm25: FloatArray, loc_key: FloatArray,
                 weights: FusionWeights, k: int) -> Candidates:
    """Re-score dense candidates (corpus rows) with the fused score; best k first."""
    if len(cand) == 0:
        return cand, dense
    top = float(bm25.max())
    bm = bm25 / top if top > 0 else np.zeros_like(bm25)
    loc_rank = np.empty(len(cand))
    loc_rank[np.argsort(loc_key, kind="stable")] = np.arange(len(cand))
    score = dense + weights.w_bm25 * bm + weights.w_loc / np.sqrt(1.0 + loc_rank)
    order = np.argsort(-score, kind="stable")[:k]
    return cand[order], score[order].astype(np.float32)
