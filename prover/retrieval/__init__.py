"""The premise retriever: a dense bi-encoder trained progressively, its FAISS index,
and its evaluation against BM25, the untrained encoder and a locality baseline.

The public surface is `prover.retrieval.api`; the other modules are its parts:

* ``model``    -- the encoder (load by name or path, encode, save), input serialisation
* ``data``     -- queries, documents and accessibility built from the knowledge base
* ``train``    -- InfoNCE training with hard negatives, EWC, Fisher
* ``index``    -- the FAISS index per checkpoint and exact accessible top-k search
* ``evaluate`` -- R@1 / R@10 / MRR, baselines (BM25, locality) and score fusion

Nothing here is imported at package import time (torch, faiss are heavy).
"""
