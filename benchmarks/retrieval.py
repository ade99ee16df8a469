"""Retriever speed, measured side by side in one run.

(a) encoding throughput of `Encoder.encode` (length-sorted batches, at the precision
    ``auto`` chooses on this machine: `prover.precision`) vs a plain fp32 Hugging Face
    loop over the same premises; embeddings must keep cosine >= 0.999 with fp32.
    Target >= 2.5x.
(b) accessible top-10 latency of `PremiseIndex.search` (FAISS flat + exact fallback) vs
    a LeanAgent-style full matmul + argsort + mask walk over 200k premises; results
    must be identical. Target >= 5x.
(c) training throughput of `train_retriever` (its own timing of the training loop:
    negative sampling, tokenisation, loss, optimiser, schedule) vs the bare model's
    forward/backward/AdamW step on the same batches pre-tokenised, both at the chosen
    precision, with LeanAgent's shared tower (the bare loop's kind of batch). Target >= 0.9x.

Each part's ``ok`` is false when its ratio misses its target (or its results differ).
Prints one line per measurement, then ONE JSON line whose ``ratio``/``target`` are
those of the weakest of the three (ratio / target smallest), with the machine: CPU
model, whether it has bf16 units, and the precision chosen.

    python benchmarks/retrieval.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path


def _premise_texts(n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    words = ["Nat", "List", "add", "mul", "comm", "assoc", "le", "lt", "succ", "zero", "map", "foldr",
             "Finset", "sum", "card", "∀", "→", "=", "≤", "+", "*", "(", ")", ":", "x", "y", "n", "m", "α"]
    out = []
    for i in range(n):
        length = int(rng.lognormvariate(3.0, 0.7)) + 4  # tokens; real premises vary a lot in length
        out.append(f"theorem <a>lemma_{i}</a> " + " ".join(rng.choice(words) for _ in range(length)))
    return out


def machine(bf16: bool) -> dict:
    """What the figures were measured on (the README's benchmark table names it)."""
    from prover.precision import device_identity

    ident = device_identity("cpu")
    flags = ident.get("flags") or []
    return {"cpu": ident.get("name"), "capability": ident.get("capability"),
            "bf16_units": any(f in flags for f in ("avx512_bf16", "amx_bf16")), "precision": "bf16" if bf16 else "fp32"}


def choose_precision(home: Path) -> tuple[bool, dict]:
    """``auto`` measured afresh here (the cache lives in a temporary home)."""
    from prover.precision import resolve_precision

    choice = resolve_precision("auto", "cpu", cache_path=home / "precision.json")
    return choice.bf16, {"precision": choice.name, "reason": choice.reason}


def bench_encoding(n: int, max_length: int, bf16: bool) -> dict:
    import numpy as np
    import torch

    from prover.retrieval.model import DEFAULT_MODEL, Encoder

    enc = Encoder.load(DEFAULT_MODEL, max_length=max_length, device="cpu")
    texts = _premise_texts(n)
    tok, model = enc.tokenizer, enc.module

    def plain() -> np.ndarray:
        outs = []
        with torch.no_grad():
            for i in range(0, len(texts), 64):
                b = tok(texts[i : i + 64], padding=True, truncation=True, max_length=max_length,
                        return_tensors="pt")
                h = model(**b).last_hidden_state
                m = b["attention_mask"].unsqueeze(-1).float()
                outs.append(torch.nn.functional.normalize((h * m).sum(1) / m.sum(1), dim=-1).numpy())
        return np.vstack(outs)

    enc.encode(texts[:64])  # warm-up both paths
    plain_t = time.perf_counter()
    ref = plain()
    plain_t = time.perf_counter() - plain_t
    ours_t = time.perf_counter()
    got = enc.encode(texts, batch_size=64, bf16=bf16)
    ours_t = time.perf_counter() - ours_t
    cos = float((ref * got).sum(1).min())
    ratio = plain_t / ours_t
    return {"baseline_per_s": n / plain_t, "ours_per_s": n / ours_t, "ratio": ratio, "bf16": bf16,
            "target": 2.5, "min_cosine_to_fp32": cos, "ok": cos >= 0.999 and ratio >= 2.5}


def bench_topk(n: int, queries: int, dim: int = 384, k: int = 10) -> dict:
    import faiss
    import numpy as np
    import torch

    from prover.retrieval.index import PremiseIndex

    rng = np.random.default_rng(0)
    vecs = rng.standard_normal((n, dim)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    q = rng.standard_normal((queries, dim)).astype(np.float32)
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    # Accessible sets like a theorem's: most premises (its imports) and some not; a few
    # queries see only a sliver (early files), which exercises the exact fallback.
    masks = [rng.random(n) < (0.7 if i % 10 else 0.001) for i in range(queries)]
    flat = faiss.IndexFlatIP(dim)
    flat.add(vecs)
    pidx = PremiseIndex(flat, np.arange(n), "flat")
    pidx.vectors  # noqa: B018 -- load the fallback matrix outside the timing, as a loaded index has it

    emb = torch.from_numpy(vecs)
    base_t = time.perf_counter()
    want = []
    for i in range(queries):  # LeanAgent: all similarities, full argsort, walk keeping accessible ones
        sims = emb @ torch.from_numpy(q[i])
        order = torch.argsort(sims, descending=True).numpy()
        want.append(order[masks[i][order]][:k])
    base_t = time.perf_counter() - base_t
    ours_t = time.perf_counter()
    got = pidx.search(q, masks, k)
    ours_t = time.perf_counter() - ours_t
    same = all(g[0].tolist() == w.tolist() for g, w in zip(got, want, strict=True))
    ratio = base_t / ours_t
    return {"premises": n, "queries": queries, "baseline_ms_per_query": 1000 * base_t / queries,
            "ours_ms_per_query": 1000 * ours_t / queries, "ratio": ratio, "target": 5.0,
            "identical": same, "ok": same and ratio >= 5.0}


def bench_training(steps: int, batch_size: int, max_length: int, bf16: bool) -> dict:
    import numpy as np
    import torch

    from database.home import Home
    from database.store import Store
    from prover.retrieval.api import TrainConfig, train_retriever
    from prover.retrieval.model import DEFAULT_MODEL, Encoder
    from prover.retrieval.train import NegativeSampler, build_train_data

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from factories import make_repo

    with tempfile.TemporaryDirectory() as tmp:
        home = Home(Path(tmp)).ensure()
        store = Store(home.db_path)
        make_repo(store, n_theorems=max(80, steps * batch_size + 20))
        repo = store.repositories()[0]
        cfg = TrainConfig(max_length=max_length, batch_size=batch_size, max_steps=steps, epochs=1,
                          precision="bf16" if bf16 else "fp32", premise_tower="shared")

        # Bare loop: the same kind of batches (queries, positives, sampled negatives) tokenised
        # beforehand, then only forward / backward / AdamW step.
        data = build_train_data(store, [repo], cfg)
        sampler = NegativeSampler(data, cfg, np.random.default_rng(0))
        enc = Encoder.load(DEFAULT_MODEL, max_length=max_length, device="cpu")
        batches = []
        for s in range(steps):
            exs = data.examples[s * batch_size : (s + 1) * batch_size]
            negs = [r for ex in exs for r in sampler.sample(ex)]
            cands = [data.corpus.text(ex.positive) for ex in exs] + [data.corpus.text(r) for r in negs]
            batches.append(([ex.query.text for ex in exs], cands))
        tokenised = [(enc.tokenize(qs), enc.tokenize(cs)) for qs, cs in batches]
        enc.module.train()
        opt = torch.optim.AdamW(enc.module.parameters(), lr=1e-5)

        def pooled(b):
            h = enc.module(**b).last_hidden_state
            m = b["attention_mask"].unsqueeze(-1).to(h.dtype)
            return torch.nn.functional.normalize(((h * m).sum(1) / m.sum(1)).float(), dim=-1)

        bare_t = time.perf_counter()
        for qb, cb in tokenised:
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                logits = pooled(qb) @ pooled(cb).T / cfg.temperature
                loss = torch.nn.functional.cross_entropy(logits, torch.arange(logits.shape[0]))
            loss.backward()
            opt.step()
            opt.zero_grad()
        bare_t = time.perf_counter() - bare_t

        cid = train_retriever(store, home, repos=[repo], parent_checkpoint_id=None, config=cfg)
        rec = json.loads(store.conn.execute("SELECT config FROM checkpoints WHERE id = ?", (cid,)).fetchone()[0])
        store.close()
    ours_t = rec["seconds"]
    ratio = (rec["steps"] / ours_t) / (steps / bare_t)
    return {"steps": steps, "batch_size": batch_size, "baseline_steps_per_s": steps / bare_t,
            "ours_steps_per_s": rec["steps"] / ours_t, "ratio": ratio, "bf16": bf16,
            "target": 0.9, "ok": rec["steps"] == steps and ratio >= 0.9}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smaller run (under a minute)")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(2)
    with tempfile.TemporaryDirectory() as tmp:
        bf16, chosen = choose_precision(Path(tmp))
    print("precision", json.dumps(chosen))
    if args.quick:
        a = bench_encoding(192, 128, bf16)
        b = bench_topk(50_000, 20)
        c = bench_training(3, 4, 64, bf16)
    else:
        a = bench_encoding(1024, 128, bf16)
        b = bench_topk(200_000, 100)
        c = bench_training(12, 8, 128, bf16)
    for name, r in (("encode", a), ("topk", b), ("train", c)):
        print(name, json.dumps(r))
    parts = {"encode": a, "topk": b, "train": c}
    weakest = min(parts, key=lambda p: parts[p]["ratio"] / parts[p]["target"])
    print(json.dumps({"name": "retrieval", "ratio": round(parts[weakest]["ratio"], 3),
                      "target": parts[weakest]["target"], "weakest": weakest, "quick": args.quick,
                      "ok": all(p["ok"] for p in parts.values()), "machine": machine(bf16),
                      "load_1min": round(os.getloadavg()[0], 2),
                      **{k: {kk: (round(vv, 3) if isinstance(vv, float) else vv) for kk, vv in v.items()}
                         for k, v in parts.items()}}))


if __name__ == "__main__":
    main()
