"""The FAISS index of premise embeddings, one per encoder (checkpoint or base model),
and exact accessible top-k search.

Files: ``home.indexes/<encoder key>/index.faiss`` and ``premise_ids.npy`` (row -> premise
id, ascending), described by a ``faiss_indexes`` row (encoder, kind, dim, count, corpus
fingerprint). The index belongs to the encoder that embeds premises: a checkpoint trained
with a frozen premise tower shares the index of the encoder it was trained against (the
base model's, usually), so training a new checkpoint re-encodes nothing. A checkpoint never changes, so premises added to the database later are
encoded and appended; an index whose ids are not a prefix of the database's premise ids
(premises were removed) is rebuilt.

Accessible top-k is exact for the flat index however many inaccessible premises score
higher: FAISS returns the top ``k'`` (oversampled) of all premises; if at least k of them
are accessible they are the answer (any accessible premise scoring higher would be among
them), otherwise the query falls back to an exact scan of its accessible premises.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from database.indexes import IndexRecord
from prover.precision import PrecisionChoice, resolve_precision

from .checkpoints import encoder_key, load_encoder, premise_encoder_of, read_fusion_for
from .config import EvalConfig
from .data import Access, BoolArray, Corpus, FloatArray, IntArray, corpus_fingerprint, load_corpus
from .errors import IndexMismatch, RetrievalError
from .fusion import fused_rerank
from .lexical import BM25, tokenize
from .results import IndexInfo, Retrieved

if TYPE_CHECKING:
    from database.home import Home
    from database.store import Repository, Store

    from .model import Encoder

Float32Array = npt.NDArray[np.float32]

OVERSAMPLE = 4
MIN_CANDIDATES = 64

#: How premise texts become vectors when an index is built or extended: `encode_in_process`
#: by default; `leanagent.distributed.encode` passes one that splits the work across
#: Ray workers. The one seam through which encoding may run elsewhere.
EncodeFn = Callable[["Encoder", list[str], EvalConfig], "Float32Array"]


def encode_in_process(encoder: Encoder, texts: list[str], config: EvalConfig) -> Float32Array:
    return encoder.encode(texts, batch_size=config.batch_size, bf16=config.bf16, progress=config.progress)


@dataclass
class PremiseIndex:
    """A loaded index: FAISS object, row -> premise id, and lazily the vectors."""

    faiss_index: Any  # faiss.Index (faiss ships no type information)
    premise_ids: IntArray
    kind: str
    _vectors: Float32Array | None = None

    @property
    def vectors(self) -> Float32Array:
        if self._vectors is None:
            idx = self.faiss_index
            if self.kind == "ivf":
                import faiss

                faiss.extract_index_ivf(idx).make_direct_map()
            self._vectors = idx.reconstruct_n(0, idx.ntotal) if idx.ntotal else np.zeros((0, idx.d), np.float32)
        return self._vectors

    def search(self, queries: Float32Array, masks: list[BoolArray], k: int) -> list[tuple[IntArray, FloatArray]]:
        """For each query row and its [N] bool mask: (rows, scores) of the top-k accessible
        premises, best first (fewer when fewer are accessible)."""
        n = self.faiss_index.ntotal
        out: list[tuple[IntArray, FloatArray]] = []
        if n == 0 or len(queries) == 0:
            return [(np.zeros(0, np.int64), np.zeros(0, np.float32)) for _ in masks]
        kp = min(n, max(OVERSAMPLE * k, MIN_CANDIDATES))
        scores, rows = self.faiss_index.search(np.ascontiguousarray(queries, dtype=np.float32), kp)
        for i, mask in enumerate(masks):
            r = rows[i]
            valid = r >= 0
            r, s = r[valid], scores[i][valid]
            keep = mask[r]
            if keep.sum() >= k or (kp == n and self.kind == "flat"):
                out.append((r[keep][:k], s[keep][:k]))
                continue
            # Fewer than k accessible among the candidates: scan the accessible ones.
            acc = np.flatnonzero(mask)
            sc = self.vectors[acc] @ queries[i]
            top = np.argsort(-sc, kind="stable")[:k]
            out.append((acc[top], sc[top].astype(np.float32)))
        return out


def _new_faiss(kind: str, dim: int, vectors: Float32Array) -> Any:
    import faiss

    if kind == "flat":
        return faiss.IndexFlatIP(dim)
    if kind == "hnsw":
        hnsw = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        hnsw.hnsw.efSearch = 128
        return hnsw
    if kind == "ivf":
        # ~4·sqrt(N) lists, but never fewer than 39 training points per list (FAISS's
        # own rule; below it the centroids are poor and recall drops).
        nlist = max(1, min(4096, int(4 * np.sqrt(max(len(vectors), 1))), len(vectors) // 39))
        quantizer = faiss.IndexFlatIP(dim)
        ivf = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
        if len(vectors) < nlist:
            raise RetrievalError(f"an IVF index needs at least {nlist} premises; use --index-kind flat")
        ivf.train(vectors)
        ivf.nprobe = min(nlist, 32)
        return ivf
    raise RetrievalError(f"unknown index kind '{kind}': use flat, ivf or hnsw")


def _load(home: Home, row: IndexRecord) -> PremiseIndex:
    import faiss

    directory = home.root / row.path
    try:
        idx = faiss.read_index(str(directory / "index.faiss"))
        ids = np.load(directory / "premise_ids.npy")
    except (RuntimeError, OSError) as exc:
        raise IndexMismatch(f"cannot read the index in {directory} ({exc}): rebuild it with "
                            "`leanagent eval` or delete the directory") from exc
    if idx.ntotal != len(ids) or idx.ntotal != row.num_vectors or corpus_fingerprint(ids) != row.corpus_fingerprint:
        raise IndexMismatch(f"the index in {directory} does not match its database row: delete the "
                            "directory and its faiss_indexes row, then rebuild")
    return PremiseIndex(idx, ids, row.kind)


def _save(store: Store, home: Home, key: str, checkpoint_id: int | None, pidx: PremiseIndex) -> int:
    import faiss

    rel = Path("indexes") / key
    directory = home.root / rel
    directory.mkdir(parents=True, exist_ok=True)
    # Write then rename, so a crash never leaves a half-written index next to a good row.
    faiss.write_index(pidx.faiss_index, str(directory / "index.faiss.tmp"))
    np.save(directory / "premise_ids.tmp.npy", pidx.premise_ids)
    fp = corpus_fingerprint(pidx.premise_ids)
    with store.atomic():
        os.replace(directory / "index.faiss.tmp", directory / "index.faiss")
        os.replace(directory / "premise_ids.tmp.npy", directory / "premise_ids.npy")
        return store.faiss_indexes.replace(encoder=key, checkpoint_id=checkpoint_id, path=str(rel), kind=pidx.kind,
                                           dim=int(pidx.faiss_index.d), num_vectors=int(pidx.faiss_index.ntotal),
                                           corpus_fingerprint=fp)


def ensure_index(
    store: Store, home: Home, *, checkpoint_id: int | None, config: EvalConfig,
    encoder: Encoder | None = None, corpus: Corpus | None = None, encode: EncodeFn | None = None,
    precision: PrecisionChoice | None = None,
) -> tuple[PremiseIndex, IndexInfo, Corpus, Encoder]:
    """Load the index of the premise encoder ``checkpoint_id`` uses (itself, or the frozen
    encoder it was trained against: `premise_encoder_of`), bringing it up to date with the
    database's premises (encoded at ``precision``, resolved from the config when not
    given). Returns it with the corpus and the QUERY encoder of ``checkpoint_id``
    (``encoder``, when given, is that)."""
    p_ckpt, p_model, p_len = premise_encoder_of(store, checkpoint_id, model=config.model,
                                                max_length=config.max_length)
    key = encoder_key(p_ckpt, p_model, p_len)
    if encoder is None:
        encoder = load_encoder(store, home, checkpoint_id, model=config.model, max_length=config.max_length,
                               device=config.device)
    corpus = corpus if corpus is not None else load_corpus(store)
    row = store.faiss_indexes.latest(key)
    pidx: PremiseIndex | None = None
    if row is not None and row.kind == config.index_kind:
        try:
            pidx = _load(home, row)
        except IndexMismatch:
            pidx = None  # rebuilt below; the message matters only to a user loading it directly
        if pidx is not None:
            m = len(pidx.premise_ids)
            if m > len(corpus.ids) or not np.array_equal(pidx.premise_ids, corpus.ids[:m]):
                pidx = None  # premises were removed or renumbered: re-encode everything
    start = 0 if pidx is None else len(pidx.premise_ids)
    new_rows = np.arange(start, len(corpus.ids))
    if pidx is not None and len(new_rows) == 0 and row is not None:
        info = IndexInfo(row.id, checkpoint_id, home.root / row.path, row.kind, row.dim, row.num_vectors, 0)
        return pidx, info, corpus, encoder
    premise_encoder = encoder if p_ckpt == checkpoint_id else load_encoder(
        store, home, p_ckpt, model=p_model, max_length=p_len, device=config.device)
    if precision is None:
        precision = resolve_precision(config.precision, str(premise_encoder.device), home=home)
    # The encoding function sees the precision already chosen (not ``auto``).
    vectors = (encode or encode_in_process)(premise_encoder, corpus.texts(new_rows),
                                            dataclasses.replace(config, precision=precision.name))
    if pidx is None:
        pidx = PremiseIndex(_new_faiss(config.index_kind, premise_encoder.dim, vectors), corpus.ids[:0],
                            config.index_kind)
    if len(vectors):
        pidx.faiss_index.add(vectors)
    pidx.premise_ids = corpus.ids.copy()
    pidx._vectors = None
    index_id = _save(store, home, key, p_ckpt, pidx)
    info = IndexInfo(index_id, checkpoint_id, home.indexes / key, pidx.kind, pidx.faiss_index.d,
                     pidx.faiss_index.ntotal, len(new_rows), precision.name)
    return pidx, info, corpus, encoder


def build_index(store: Store, home: Home, *, checkpoint_id: int | None, config: EvalConfig,
                encode: EncodeFn | None = None) -> IndexInfo:
    return ensure_index(store, home, checkpoint_id=checkpoint_id, config=config, encode=encode)[1]


def retrieve(
    store: Store, home: Home, *, checkpoint_id: int | None, query: str, repo: Repository,
    file: str | None, position: tuple[int, int] | None, k: int, method: str, config: EvalConfig,
) -> list[Retrieved]:
    if method not in ("dense", "fused"):
        raise RetrievalError(f"unknown retrieval method '{method}': use dense or fused")
    pidx, _, corpus, encoder = ensure_index(store, home, checkpoint_id=checkpoint_id, config=config)
    access = Access(store, repo, corpus)
    file_id = None
    if file is not None:
        file_id = access.path_to_file.get(file)
        if file_id is None:
            raise RetrievalError(
                f"{repo.name} has no file '{file}': give a path relative to the repository root "
                "as `leanagent theorems` shows it"
            )
    mask = access.mask(file_id, position)
    q = encoder.encode([query], batch_size=1,
                       bf16=resolve_precision(config.precision, str(encoder.device), home=home).bf16)
    if method == "dense":
        rows, scores = pidx.search(q, [mask], k)[0]
    else:
        weights = read_fusion_for(store, checkpoint_id, model=config.model, max_length=config.max_length, repo=repo)
        if weights is None:
            raise RetrievalError(
                f"no fusion weights are recorded for this encoder and {repo.name}: run `leanagent eval --repos "
                f"{repo.name} --methods fused` first (it chooses them on the validation split, given at least "
                f"{config.min_fusion_queries} validation queries), or use --method dense"
            )
        cand, dense = pidx.search(q, [mask], max(k, config.fusion_candidates))[0]
        repo_rows = np.flatnonzero(access.in_repo)
        bm25 = BM25([tokenize(corpus.text(int(i))) for i in repo_rows])
        full: FloatArray = np.zeros(len(corpus))
        full[repo_rows] = bm25.scores(tokenize(query))
        loc = (access.locality_key(file_id, position or (10**9, 0)) if file_id is not None
               else np.zeros(len(corpus)))
        rows, scores = fused_rerank(cand, dense, full[cand], loc[cand], weights, k)
    return [
        Retrieved(
            premise_id=int(corpus.ids[r]), full_name=corpus.names[r],
            path=corpus.file_paths.get(int(corpus.file_ids[r]), "?"),
            start=(int(corpus.start_line[r]), int(corpus.start_col[r])),
            end=(int(corpus.end_line[r]), int(corpus.end_col[r])),
            score=float(s), code=corpus.codes[r],
        )
        for r, s in zip(rows.tolist(), scores.tolist(), strict=True)
    ]
