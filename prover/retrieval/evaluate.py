"""Evaluation: R@1, R@10 and MRR per repository and split, for the dense retriever and
the baselines, all ranking only premises accessible to the query's theorem.

Metrics as LeanAgent computes them (docs/method.md, "Retrieval"): per query with at least one
positive, R@k = |positives in top k| / |positives| (x100, averaged over queries; "R@1"
with 3 positives and a hit is 33.3), MRR = 1 / rank of the first positive within the
top ``num_retrieved`` (0 if none), as a fraction.

Methods:
* ``dense``     -- the checkpoint's encoder (the base encoder when checkpoint is None)
* ``untrained`` -- the base encoder the checkpoint descends from
* ``bm25``      -- BM25 over the repository's premise texts (`lexical.BM25`)
* ``locality``  -- accessible premises of the same file nearest first, then imported
                   files by import depth (later declarations first)
* ``fused``     -- the top ``fusion_candidates`` dense premises re-scored by
                   dense + w_bm25 * bm25/max(bm25) + w_loc / sqrt(1 + locality rank);
                   weights chosen by grid search for R@10 (then MRR) on the val split
                   of the repositories evaluated, recorded for the encoder and that set
                   of repositories, and only on at least ``min_fusion_queries``
                   validation queries (otherwise "fused" is reported as not tuned,
                   with no metrics and no stored row).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import numpy as np

from database.checkpoints import FusionWeights
from database.evaluations import Evaluation
from prover.precision import resolve_precision

from .checkpoints import encoder_spec, read_fusion, record_fusion
from .config import METHODS, DataConfig, EvalConfig
from .data import (
    Access,
    BoolArray,
    Corpus,
    FloatArray,
    IntArray,
    Query,
    build_queries,
    ensure_splits,
    load_corpus,
)
from .errors import RetrievalError
from .fusion import FUSION_GRID, Candidates, FusionFeatures, fused_rerank
from .index import ensure_index
from .lexical import BM25, tokenize
from .model import pick_device
from .stats import bootstrap_interval

if TYPE_CHECKING:
    from database.home import Home
    from database.store import Repository, Store

    from .index import EncodeFn, PremiseIndex
    from .model import Encoder

__all__ = ["FUSION_GRID", "evaluate_retriever", "fused_rerank", "query_metrics", "tune_fusion"]


_CHUNK = 256  # queries per batch of masks (a mask is one bool per premise)


def query_metrics(ranked: list[IntArray], corpus: Corpus, queries: list[Query]) -> dict[str, Any]:
    """R@1, R@10 (percent) and MRR over queries, R@10's bootstrap 95% interval
    (``r10_ci``) and each query's R@10 (``per_query_r10``, in query order, for paired
    comparisons); ``ranked`` holds corpus rows, best first."""
    if not queries:
        return {"r1": None, "r10": None, "mrr": None, "num_queries": 0, "r10_ci": None, "per_query_r10": []}
    r1 = mrr = 0.0
    per_r10: list[float] = []
    for rows, q in zip(ranked, queries, strict=True):
        pos = set(q.positives)
        got = [int(corpus.ids[r]) for r in rows]
        r1 += len(pos.intersection(got[:1])) / len(pos)
        per_r10.append(100 * len(pos.intersection(got[:10])) / len(pos))
        first = next((i for i, p in enumerate(got) if p in pos), None)
        mrr += 0.0 if first is None else 1.0 / (first + 1)
    n = len(queries)
    ci = bootstrap_interval(per_r10)
    return {"r1": 100 * r1 / n, "r10": sum(per_r10) / n, "mrr": mrr / n, "num_queries": n,
            "r10_ci": [round(ci[0], 2), round(ci[1], 2)] if ci else None,
            "per_query_r10": [round(v, 2) for v in per_r10]}


class _RepoEval:
    """Per (repo, split): queries, accessibility and the lazily built lexical index.
    Masks and locality keys depend only on a query's theorem, so they are computed once
    per theorem (a theorem has one query per proof step)."""

    def __init__(self, store: Store, repo: Repository, corpus: Corpus, split: str, data: DataConfig) -> None:
        self.repo = repo
        self.corpus = corpus
        self.access = Access(store, repo, corpus)
        self.queries = build_queries(store, repo, scheme=data.scheme, split=split, mode=data.queries)
        self._bm25: BM25 | None = None
        self._repo_rows = np.flatnonzero(self.access.in_repo)
        self._masks: dict[tuple[int, tuple[int, int]], BoolArray] = {}
        self._loc: dict[tuple[int, tuple[int, int]], FloatArray] = {}

    def mask(self, q: Query) -> BoolArray:
        key = (q.file_id, q.pos)
        m = self._masks.get(key)
        if m is None:
            m = self._masks[key] = self.access.mask(q.file_id, q.pos)
        return m

    def locality_key(self, q: Query) -> FloatArray:
        key = (q.file_id, q.pos)
        d = self._loc.get(key)
        if d is None:
            d = self._loc[key] = self.access.locality_key(q.file_id, q.pos)
        return d

    def masks(self, qs: list[Query]) -> list[BoolArray]:
        return [self.mask(q) for q in qs]

    def bm25_scores(self, q: Query) -> FloatArray:
        if self._bm25 is None:
            self._bm25 = BM25([tokenize(self.corpus.text(int(i))) for i in self._repo_rows])
        full: FloatArray = np.zeros(len(self.corpus))
        full[self._repo_rows] = self._bm25.scores(tokenize(q.text))
        return full

    def dense(self, pidx: PremiseIndex, enc: Encoder, config: EvalConfig, k: int, bf16: bool) -> list[Candidates]:
        out: list[Candidates] = []
        for s in range(0, len(self.queries), _CHUNK):
            qs = self.queries[s : s + _CHUNK]
            vecs = enc.encode([q.text for q in qs], batch_size=config.batch_size, bf16=bf16)
            out.extend(pidx.search(vecs, self.masks(qs), k))
        return out

    def bm25(self, k: int) -> list[IntArray]:
        out = []
        for q in self.queries:
            acc = np.flatnonzero(self.mask(q))
            sc = self.bm25_scores(q)[acc]
            out.append(acc[np.argsort(-sc, kind="stable")[:k]])
        return out

    def locality(self, k: int) -> list[IntArray]:
        out = []
        for q in self.queries:
            acc = np.flatnonzero(self.mask(q))
            key = self.locality_key(q)[acc]
            out.append(acc[np.argsort(key, kind="stable")[:k]])
        return out

    def fusion_features(self, dense_cands: list[Candidates]) -> list[FusionFeatures]:
        feats = []
        for q, (cand, dense) in zip(self.queries, dense_cands, strict=True):
            feats.append((cand, dense, self.bm25_scores(q)[cand], self.locality_key(q)[cand]))
        return feats


def _fused_ranked(feats: list[FusionFeatures], weights: FusionWeights, k: int) -> list[IntArray]:
    return [fused_rerank(c, d, b, lk, weights, k)[0] for c, d, b, lk in feats]


def tune_fusion(evals: list[_RepoEval], feats: list[list[FusionFeatures]], k: int) -> FusionWeights:
    """Grid search on validation queries: maximise mean R@10 over all of them, then MRR."""
    best: tuple[float, float] | None = None
    dense_score = (0.0, 0.0)
    chosen = FusionWeights(w_bm25=0.0, w_loc=0.0)
    for wb in FUSION_GRID:
        for wl in FUSION_GRID:
            w = FusionWeights(w_bm25=wb, w_loc=wl)
            tot_r10 = tot_mrr = 0.0
            n = 0
            for ev, f in zip(evals, feats, strict=True):
                m = query_metrics(_fused_ranked(f, w, k), ev.corpus, ev.queries)
                if m["num_queries"]:
                    tot_r10 += m["r10"] * m["num_queries"]
                    tot_mrr += m["mrr"] * m["num_queries"]
                    n += m["num_queries"]
            score = (tot_r10 / n, tot_mrr / n) if n else (0.0, 0.0)
            if wb == 0.0 and wl == 0.0:
                dense_score = score
            if best is None or score > best:
                best, chosen = score, w
    return dataclasses.replace(
        chosen,
        val_r10=best[0] if best else None,
        val_r10_dense=dense_score[0],
        # > 0 only when fusion beat dense on validation: the prover then uses fused.
        val_r10_gain=(best[0] - dense_score[0]) if best else 0.0,
        val_queries=sum(len(ev.queries) for ev in evals),
    )


def evaluate_retriever(
    store: Store, home: Home, *, checkpoint_id: int | None, repos: list[Repository], split: str,
    methods: tuple[str, ...], config: EvalConfig, encode: EncodeFn | None = None,
) -> dict[tuple[int, str], dict[str, Any]]:
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise RetrievalError(f"unknown evaluation method(s) {unknown}: choose among {', '.join(METHODS)}")
    if split not in ("train", "val", "test"):
        raise RetrievalError(f"unknown split '{split}': use train, val or test")
    data = config.data
    scheme = data.scheme
    for repo in repos:
        ensure_splits(store, repo, data)
    k = max(config.num_retrieved, 10)
    model, max_length = encoder_spec(store, checkpoint_id, model=config.model, max_length=config.max_length)
    corpus = load_corpus(store)
    choice = resolve_precision(config.precision, pick_device(config.device), home=home)
    bf16 = choice.bf16
    dense_idx = None
    if "dense" in methods or "fused" in methods:
        dense_idx = ensure_index(store, home, checkpoint_id=checkpoint_id, config=config, corpus=corpus,
                                 precision=choice, encode=encode)
    evals = [_RepoEval(store, r, corpus, split, data) for r in repos]
    results: dict[tuple[int, str], dict[str, Any]] = {}
    ranked: dict[tuple[int, str], list[IntArray]] = {}
    extra: dict[str, dict[str, Any]] = {}
    not_tuned = ""

    if dense_idx is not None:
        pidx, _, _, enc = dense_idx
        dense_c = {ev.repo.id: ev.dense(pidx, enc, config, max(k, config.fusion_candidates), bf16) for ev in evals}
        for ev in evals:
            ranked[(ev.repo.id, "dense")] = [r[:k] for r, _ in dense_c[ev.repo.id]]
        if "fused" in methods:
            weights = read_fusion(store, checkpoint_id, model=config.model, max_length=config.max_length,
                                  repos=repos)
            if weights is None:
                if split == "val":
                    val_evals, val_dense = evals, [dense_c[ev.repo.id] for ev in evals]
                else:
                    val_evals = [_RepoEval(store, r, corpus, "val", data) for r in repos]
                    val_dense = [ev.dense(pidx, enc, config, config.fusion_candidates, bf16) for ev in val_evals]
                n_val = sum(len(ev.queries) for ev in val_evals)
                if n_val >= config.min_fusion_queries:
                    feats = [ev.fusion_features(d) for ev, d in zip(val_evals, val_dense, strict=True)]
                    weights = dataclasses.replace(tune_fusion(val_evals, feats, k),
                                                  tuned_on=tuple(f"{r.name}@{r.commit[:12]}" for r in repos))
                    record_fusion(store, checkpoint_id, weights, model=config.model, max_length=config.max_length,
                                  repos=repos)
                else:
                    # Weights chosen on so few queries would be noise, and once stored
                    # they would decide every later fused number: none are chosen.
                    not_tuned = (f"not tuned: {n_val} validation queries in "
                                 f"{', '.join(r.name for r in repos) or 'no repository'}, fewer than the "
                                 f"{config.min_fusion_queries} fusion weights are chosen on")
            if weights is not None:
                extra["fused"] = {"fusion": weights.as_dict()}
                for ev in evals:
                    ranked[(ev.repo.id, "fused")] = _fused_ranked(ev.fusion_features(dense_c[ev.repo.id]), weights,
                                                                  k)
    if "untrained" in methods:
        base_cfg = dataclasses.replace(config, model=model, max_length=max_length)
        pidx_b, _, _, enc_b = ensure_index(store, home, checkpoint_id=None, config=base_cfg, corpus=corpus,
                                           precision=choice, encode=encode)
        for ev in evals:
            ranked[(ev.repo.id, "untrained")] = [r for r, _ in ev.dense(pidx_b, enc_b, config, k, bf16)]
        extra["untrained"] = {"model": model, "max_length": max_length}
    for ev in evals:
        if "bm25" in methods:
            ranked[(ev.repo.id, "bm25")] = ev.bm25(k)
        if "locality" in methods:
            ranked[(ev.repo.id, "locality")] = ev.locality(k)

    encoded = {"dense", "fused", "untrained"}
    precision = {k: v for k, v in choice.as_dict().items() if k != "measured"}
    with store.atomic():
        for ev in evals:
            for method in methods:
                if method == "fused" and "fused" not in extra:
                    # Not evaluated (no weights): reported as such, and no row is stored.
                    results[(ev.repo.id, method)] = {"r1": None, "r10": None, "mrr": None,
                                                     "num_queries": len(ev.queries), "fusion": None,
                                                     "note": not_tuned}
                    continue
                m = query_metrics(ranked[(ev.repo.id, method)], corpus, ev.queries)
                details = {"model": model, "max_length": max_length, "queries": data.queries,
                           "r10_ci": m["r10_ci"], "per_query_r10": m["per_query_r10"], **extra.get(method, {})}
                if method in encoded:
                    details["precision"] = precision
                ckpt = checkpoint_id if method in ("dense", "fused") else None
                store.evaluations.record(Evaluation(
                    checkpoint_id=ckpt, method=method, repo_id=ev.repo.id, scheme=scheme, split=split,
                    r1=m["r1"], r10=m["r10"], mrr=m["mrr"], num_queries=m["num_queries"], details=details,
                ))
                results[(ev.repo.id, method)] = {**m, "scheme": scheme,
                                                 **({"precision": precision} if method in encoded else {}),
                                                 **({"fusion": extra[method]["fusion"]} if method == "fused" else {})}
    return results
