"""Tactic generators: a tiny random T5 and a tiny random causal LM from local directories,
the prompt's byte budget, candidates and log-probabilities, precision defaults."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from tiny_models import tiny_causal, tiny_t5

from database.errors import ConfigError
from prover.generator import (
    AutomationConfig,
    AutomationGenerator,
    GenerationRequest,
    GeneratorConfig,
    GeneratorError,
    HFTacticGenerator,
    build_input,
    dedupe,
    load_generator,
    model_dtype,
    resolve_precision,
)

STATE = "a b : Nat\n⊢ a + b = b + a"


@pytest.fixture(scope="module")
def t5_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_t5(tmp_path_factory.mktemp("t5"))


@pytest.fixture(scope="module")
def gpt_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_causal(tmp_path_factory.mktemp("gpt"))


def test_the_goal_comes_first_and_is_never_cut() -> None:
    premises = ["theorem Nat.add_comm (n m : Nat) : n + m = m + n", "x" * 5000, "theorem short : True"]
    text, used = build_input(STATE, premises, budget=200)
    assert text.startswith(STATE) and used == 2  # the 5000-byte premise is skipped, the next one fits
    assert "short" in text and "x" * 10 not in text
    assert len(text.encode()) <= 200
    # a state over the budget is kept whole, with no premise
    long_state = "h : " + "y" * 300 + "\n⊢ False"
    text, used = build_input(long_state, premises, budget=100)
    assert text == long_state and used == 0
    # ReProver's layout: premises in front, the best next to the state
    text, _ = build_input(STATE, ["best", "second"], budget=1000, layout="premises-first")
    assert text == "second\n\nbest\n\n" + STATE


def test_dedupe_strips_marks_and_keeps_the_best_score() -> None:
    got = dedupe([("rw [<a>Nat.add_comm</a>]", -1.0), ("", -0.1), ("  ", -0.2), ("rw [Nat.add_comm]", -0.5),
                  ("simp", -2.0)])
    assert [c.tactic for c in got] == ["rw [Nat.add_comm]", "simp"]
    assert got[0].logprob == -0.5


def test_tiny_t5_beam_search_gives_distinct_scored_candidates(t5_dir: Path) -> None:
    gen = HFTacticGenerator(GeneratorConfig(model=str(t5_dir), num_candidates=6, max_new_tokens=12, device="cpu"))
    assert gen.seq2seq and gen.name == f"hf:{t5_dir.name}"
    out = gen.generate([GenerationRequest(STATE, ("theorem p : True",)), GenerationRequest("⊢ True")])
    assert len(out) == 2
    for cands in out:
        assert 1 <= len(cands) <= 6
        tactics = [c.tactic for c in cands]
        assert len(set(tactics)) == len(tactics) and all(t and "<a>" not in t for t in tactics)
        scores = [c.logprob for c in cands]
        assert scores == sorted(scores, reverse=True) and all(s < 0 and math.isfinite(s) for s in scores)
    assert gen.stats.states == 2 and gen.stats.premises_in_inputs == 1
    # batching does not change what a state gets
    alone = gen.generate([GenerationRequest("⊢ True")])[0]
    assert [c.tactic for c in alone] == [c.tactic for c in out[1]]
    assert [round(c.logprob, 3) for c in alone] == [round(c.logprob, 3) for c in out[1]]


def test_batches_are_bounded_by_states_and_padded_tokens(t5_dir: Path) -> None:
    requests = [GenerationRequest("⊢ " + "x" * n) for n in (5, 300, 10, 290, 8)]
    calls = []
    for batch_size, max_tokens in ((8, 100_000), (2, 100_000), (8, 400)):
        gen = HFTacticGenerator(GeneratorConfig(model=str(t5_dir), num_candidates=2, max_new_tokens=3, device="cpu",
                                                batch_size=batch_size, max_batch_tokens=max_tokens))
        out = gen.generate(requests)
        assert len(out) == 5 and all(out)
        calls.append(gen.stats.calls)
    # all at once; two at a time; the three short ones together, the two long ones alone each
    assert calls == [1, 3, 3]


def test_beam_scores_are_sequence_log_probabilities(t5_dir: Path) -> None:
    import torch

    gen = HFTacticGenerator(GeneratorConfig(model=str(t5_dir), num_candidates=3, max_new_tokens=8, device="cpu"))
    best = gen.generate([GenerationRequest("⊢ True")])[0][0]
    # Re-score the decoded tactic with the model: the sum of its token log-probabilities.
    tok, model = gen.tokenizer, gen.model
    enc = tok(["⊢ True"], return_tensors="pt")
    labels = tok([best.tactic], return_tensors="pt").input_ids
    with torch.inference_mode():
        logits = model(**enc, labels=labels).logits.log_softmax(-1)
    logp = logits[0, torch.arange(labels.shape[1]), labels[0]]
    # the beam may stop at max_new_tokens before EOS: compare over its generated tokens
    n = min(labels.shape[1], 8)
    assert best.logprob == pytest.approx(float(logp[:n].sum()), abs=0.05) or \
        best.logprob == pytest.approx(float(logp.sum()), abs=0.05)


def test_tiny_causal_lm_sampling(gpt_dir: Path) -> None:
    cfg = GeneratorConfig(model=str(gpt_dir), num_candidates=4, max_new_tokens=10, decoding="sample",
                          device="cpu", seed=1)
    gen = HFTacticGenerator(cfg)
    assert not gen.seq2seq
    first = gen.generate([GenerationRequest(STATE), GenerationRequest("⊢ True")])
    assert len(first) == 2 and all(1 <= len(c) <= 4 for c in first)
    for cands in first:
        assert all(c.logprob < 0 and math.isfinite(c.logprob) for c in cands)
        assert all(STATE not in c.tactic for c in cands)  # only the continuation, not the prompt
    again = HFTacticGenerator(cfg).generate([GenerationRequest(STATE), GenerationRequest("⊢ True")])
    assert [[c.tactic for c in x] for x in again] == [[c.tactic for c in x] for x in first]  # seeded


def test_tiny_causal_lm_beam(gpt_dir: Path) -> None:
    gen = HFTacticGenerator(GeneratorConfig(model=str(gpt_dir), num_candidates=3, max_new_tokens=6, device="cpu"))
    cands = gen.generate([GenerationRequest("⊢ True")])[0]
    assert cands and all(c.logprob < 0 for c in cands)


def test_precision_defaults_never_assume_cpu_bf16(t5_dir: Path) -> None:
    choice = resolve_precision(None, "cpu")
    assert choice.name == "fp32" and "CPU" in choice.reason
    assert resolve_precision("bf16", "cpu").name == "bf16"
    with pytest.raises(ConfigError, match="auto, fp32, bf16"):
        resolve_precision("fp16", "cpu")
    import torch

    gen = HFTacticGenerator(GeneratorConfig(model=str(t5_dir), device="cpu"))
    assert model_dtype(gen) == torch.float32 and gen.precision.name == "fp32"
    gen16 = HFTacticGenerator(GeneratorConfig(model=str(t5_dir), device="cpu", precision="bf16", num_candidates=2,
                                              max_new_tokens=4))
    assert model_dtype(gen16) == torch.bfloat16
    assert gen16.generate([GenerationRequest("⊢ True")])[0]


def test_auto_precision_is_the_retrievers_measured_verdict(t5_dir: Path, tmp_path: Path) -> None:
    """``auto`` reads the per-device verdict retrieval measured and cached in the home; a
    verdict of bf16 (planted here, as a bf16-capable machine would have measured it) makes
    the generator load its weights in bf16, so the two share one measurement."""
    import torch

    from prover.precision import CACHE_FILE, PrecisionCache, device_identity, device_key

    key = device_key(device_identity("cpu"))
    PrecisionCache(tmp_path / CACHE_FILE).put(key, {"precision": "bf16", "reason": "measured: bf16 1.8x faster"})
    choice = resolve_precision("auto", "cpu", home=str(tmp_path))
    assert (choice.name, choice.cached, choice.reason) == ("bf16", True, "measured: bf16 1.8x faster")
    gen = HFTacticGenerator(GeneratorConfig(model=str(t5_dir), device="cpu", precision="auto", home=str(tmp_path),
                                            num_candidates=2, max_new_tokens=4))
    assert model_dtype(gen) == torch.bfloat16 and gen.precision.cached


def test_a_missing_model_directory_says_how_to_get_one(tmp_path: Path) -> None:
    with pytest.raises(GeneratorError, match="huggingface-cli download kaiyuy/leandojo-lean4-tacgen-byt5-small"):
        HFTacticGenerator(GeneratorConfig(model=str(tmp_path / "nope")))
    with pytest.raises(ConfigError):
        GeneratorConfig(model="x", num_candidates=0)


def test_automation_generator() -> None:
    gen = load_generator(AutomationConfig(tactics=("omega", "simp", "omega", " ")))
    assert isinstance(gen, AutomationGenerator) and not gen.uses_premises
    out = gen.generate([GenerationRequest("⊢ 1 = 1"), GenerationRequest("⊢ True")])
    assert [c.tactic for c in out[0]] == ["omega", "simp"]
    assert out[0][0].logprob == pytest.approx(-math.log(3))
    with pytest.raises(ConfigError):
        AutomationConfig(tactics=("",))
