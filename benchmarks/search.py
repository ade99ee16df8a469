"""Proof-search speed, measured side by side in one run.

(a) search overhead per expanded node: `best_first_search` over a zero-cost Lean
    environment and generator (every tactic answers at once with a new state; 8
    candidates per state), so all the time is the search's own bookkeeping (priority
    queue, DAG, budgets, results). Target <= 1 ms per node: ratio = 1 ms / measured.
(b) generator throughput: candidates per second of `HFTacticGenerator` (states decoded
    together, ``batch_size`` 8, grouped by length) vs a plain loop calling
    ``model.generate`` on one state at a time with the same decoding settings (8 beams),
    on a tiny random T5 on CPU, in two regimes: ``state`` (the goal state alone, as
    ReProver's tacgen reads it) and ``retrieval`` (goal + 10 retrieved premises within
    the 2300-byte budget). Both must give the same candidates (``agreement``: share of
    states whose candidate lists are identical). Target >= 1.5x. In the product the
    batch is the states expanded together (``--expansion-batch N``; 1 by default).

Prints one line per measurement, then ONE JSON line whose ``ratio``/``target`` are
those of the weakest of the two (ratio / target smallest).

    python benchmarks/search.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))  # the tiny random model


class _ZeroCostEnv:
    """Answers every tactic immediately with a new state: the search pays only for itself."""

    name = "zero-cost"

    def __init__(self) -> None:
        from prover.lean.interface import BackendStats

        self.stats = BackendStats()
        self._n = 0

    def check_available(self) -> None:
        return None

    def lean_version(self) -> str | None:
        return None

    def open(self, theorem):
        from prover.lean.interface import GoalState

        self.stats.lean_calls += 1
        return GoalState(0, ("⊢ root",))

    def run_tactic(self, state, tactic, *, timeout):
        from prover.lean.interface import GoalState

        self.stats.lean_calls += 1
        self._n += 1
        return GoalState(self._n, (f"x : Nat\n⊢ goal {self._n}",))

    def close(self) -> None:
        return None

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        return None


class _ZeroCostGenerator:
    name = "zero-cost"
    uses_premises = False

    def __init__(self, k: int) -> None:
        from prover.generator import Candidate

        self._cands = [Candidate(f"tactic_{i}", -0.1 * (i + 1)) for i in range(k)]

    def generate(self, requests):
        return [self._cands for _ in requests]


def bench_search_overhead(nodes: int, candidates: int) -> dict:
    from prover.lean.interface import TheoremRef
    from prover.search import SearchConfig, best_first_search

    ref = TheoremRef(project=Path("."), file="A.lean", full_name="t", statement="theorem t : P", start=(1, 1),
                     end=(1, 2))
    best_first_search(_ZeroCostEnv(), ref, _ZeroCostGenerator(candidates),
                      config=SearchConfig(max_expansions=50))  # warm-up
    t = time.perf_counter()
    r = best_first_search(_ZeroCostEnv(), ref, _ZeroCostGenerator(candidates),
                          config=SearchConfig(max_expansions=nodes, timeout=3600))
    elapsed = time.perf_counter() - t
    per_node_ms = 1000 * elapsed / r.nodes_expanded
    return {"nodes_expanded": r.nodes_expanded, "states": r.nodes, "candidates_per_node": candidates,
            "ms_per_node": per_node_ms, "ratio": 1.0 / per_node_ms, "target": 1.0,
            "ok": r.nodes_expanded == nodes and per_node_ms <= 1.0}


_WORDS = ["Nat", "List", "Finset", "add", "mul", "succ", "zero", "∀", "→", "=", "≤", "+", "*", "x", "y", "n", "h"]


def _state(rng: random.Random) -> str:
    hyps = [f"h{i} : " + " ".join(rng.choice(_WORDS) for _ in range(rng.randint(4, 12))) for i in range(rng.randint(1, 5))]
    return "\n".join([*hyps, "⊢ " + " ".join(rng.choice(_WORDS) for _ in range(rng.randint(6, 20)))])


def _premises(rng: random.Random, k: int) -> tuple[str, ...]:
    return tuple(f"theorem <a>lemma_{rng.randrange(10**6)}</a> (n : Nat) : " + " ".join(rng.choice(_WORDS)
                 for _ in range(rng.randint(10, 40))) for _ in range(k))


def bench_generator(states: int, candidates: int, new_tokens: int, premises: int) -> dict:
    import torch
    from tiny_models import tiny_t5

    from prover.generator import GenerationRequest, GeneratorConfig, HFTacticGenerator, dedupe

    rng = random.Random(0)
    requests = [GenerationRequest(_state(rng), _premises(rng, premises)) for _ in range(states)]
    with tempfile.TemporaryDirectory() as tmp:
        model_dir = tiny_t5(Path(tmp) / "t5", d_model=128, layers=2)
        gen = HFTacticGenerator(GeneratorConfig(model=str(model_dir), num_candidates=candidates,
                                                max_new_tokens=new_tokens, device="cpu", batch_size=8))
        tok, model = gen.tokenizer, gen.model
        texts = gen.inputs(requests)

        def plain() -> list[list[str]]:
            out = []
            with torch.inference_mode():
                for text in texts:
                    enc = tok([text], return_tensors="pt", truncation=True, max_length=2300)
                    res = model.generate(**enc, num_beams=candidates, num_return_sequences=candidates,
                                         do_sample=False, length_penalty=0.0, max_new_tokens=new_tokens,
                                         output_scores=True, return_dict_in_generate=True, early_stopping=True)
                    decoded = tok.batch_decode(res.sequences, skip_special_tokens=True)
                    out.append([c.tactic for c in dedupe(list(zip(decoded, res.sequences_scores.tolist(),
                                                                  strict=True)))])
            return out

        plain(), gen.generate(requests[:8])  # warm-up
        t = time.perf_counter()
        base = plain()
        plain_t = time.perf_counter() - t
        t = time.perf_counter()
        ours = [[c.tactic for c in cands] for cands in gen.generate(requests)]
        ours_t = time.perf_counter() - t
    n_plain = sum(len(c) for c in base)
    n_ours = sum(len(c) for c in ours)
    agreement = sum(a == b for a, b in zip(base, ours, strict=True)) / states
    return {"states": states, "beams": candidates, "input_bytes_mean": sum(len(t.encode()) for t in texts) / states,
            "plain_candidates_per_s": n_plain / plain_t, "ours_candidates_per_s": n_ours / ours_t,
            "ratio": (n_ours / ours_t) / (n_plain / plain_t), "target": 1.5, "agreement": agreement,
            "ok": agreement >= 0.9 and (n_ours / ours_t) / (n_plain / plain_t) >= 1.5}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smaller run (under a minute)")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(2)
    n, tokens = (16, 16) if args.quick else (32, 32)
    parts = {
        "search": bench_search_overhead(2_000 if args.quick else 20_000, 8),
        "generator_state": bench_generator(n, 8, tokens, premises=0),
        "generator_retrieval": bench_generator(n, 8, tokens, premises=10),
    }
    for name, r in parts.items():
        print(name, json.dumps({k: (round(v, 4) if isinstance(v, float) else v) for k, v in r.items()}), flush=True)
    weakest = min(parts, key=lambda p: parts[p]["ratio"] / parts[p]["target"])
    import os

    print(json.dumps({"name": "search", "ratio": round(parts[weakest]["ratio"], 3),
                      "target": parts[weakest]["target"], "weakest": weakest, "quick": args.quick,
                      "torch_threads": torch.get_num_threads(), "load_average": os.getloadavg(),
                      "ok": all(p["ok"] for p in parts.values()),
                      **{k: {kk: (round(vv, 3) if isinstance(vv, float) else vv) for kk, vv in v.items()}
                         for k, v in parts.items()}}))


if __name__ == "__main__":
    main()
