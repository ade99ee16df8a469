"""BM25 over premise texts, vectorised.

The scores are rank-bm25's ``BM25Okapi`` (k1 1.5, b 0.75, epsilon 0.25, the same idf
floor for negative idfs), which a test checks term for term; rank-bm25 itself scores
by looping over every document in Python for every query token (about a second per
query over Mathlib), so the same formula runs here over an inverted index.
"""

from __future__ import annotations

import math
import re
from collections import Counter

import numpy as np

_TOKEN = re.compile(r"[^\W_]+|[^\w\s]")


def tokenize(text: str) -> list[str]:
    """Lower-cased words (names split at '.', '_' and case-insensitively) and symbols."""
    return _TOKEN.findall(text.lower())


class BM25:
    def __init__(self, docs: list[list[str]], *, k1: float = 1.5, b: float = 0.75, epsilon: float = 0.25) -> None:
        self.k1, self.b = k1, b
        self.n = len(docs)
        self.doc_len = np.array([len(d) for d in docs], dtype=np.float64)
        self.avgdl = float(self.doc_len.sum()) / max(self.n, 1)
        postings: dict[str, tuple[list[int], list[int]]] = {}
        for i, d in enumerate(docs):
            for term, tf in Counter(d).items():
                rows, tfs = postings.setdefault(term, ([], []))
                rows.append(i)
                tfs.append(tf)
        self.postings = {t: (np.array(r, dtype=np.int64), np.array(f, dtype=np.float64))
                         for t, (r, f) in postings.items()}
        idf = {t: math.log(self.n - len(r) + 0.5) - math.log(len(r) + 0.5) for t, (r, _) in postings.items()}
        average = sum(idf.values()) / len(idf) if idf else 0.0
        self.idf = {t: (v if v >= 0 else epsilon * average) for t, v in idf.items()}
        self._norm = k1 * (1 - b + b * self.doc_len / self.avgdl) if self.n and self.avgdl else self.doc_len

    def scores(self, query: list[str]) -> np.ndarray:
        out = np.zeros(self.n, dtype=np.float64)
        for term in query:  # repeated query tokens count again, as in BM25Okapi
            hit = self.postings.get(term)
            if hit is None:
                continue
            rows, tf = hit
            out[rows] += self.idf[term] * (tf * (self.k1 + 1) / (tf + self._norm[rows]))
        return out
