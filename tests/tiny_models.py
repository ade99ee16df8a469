"""Tiny random Hugging Face models saved to a directory (no network: ByT5Tokenizer()
needs no files). Shared by the generator tests, the prover tests and the benchmark."""

from __future__ import annotations

from pathlib import Path


def tiny_t5(directory: Path, *, seed: int = 0, d_model: int = 64, layers: int = 2) -> Path:
    import torch
    from transformers import ByT5Tokenizer, T5Config, T5ForConditionalGeneration

    tok = ByT5Tokenizer()
    cfg = T5Config(vocab_size=len(tok), d_model=d_model, d_ff=2 * d_model, num_layers=layers,
                   num_decoder_layers=layers, num_heads=2, d_kv=d_model // 2, pad_token_id=0, eos_token_id=1)
    cfg.decoder_start_token_id = 0
    torch.manual_seed(seed)
    model = T5ForConditionalGeneration(cfg)
    _prefer_bytes(model.lm_head.weight)
    model.save_pretrained(directory)
    tok.save_pretrained(directory)
    return directory


def _prefer_bytes(weight) -> None:
    # A random model emits special tokens (pad, <extra_id_*>) and stray non-ASCII bytes as
    # often as characters, and those decode to nothing: keep only printable ASCII (ids
    # 3 + 32 .. 3 + 126) and EOS likely, so that it writes text, as a trained one would.
    import torch

    with torch.no_grad():
        keep = torch.zeros(weight.shape[0], dtype=torch.bool)
        keep[3 + 32 : 3 + 127] = True
        keep[1] = True
        weight[~keep] = 0.0  # logit 0: below the best printable character's
        weight[keep] *= 4.0


def tiny_causal(directory: Path, *, seed: int = 0) -> Path:
    import torch
    from transformers import ByT5Tokenizer, GPT2Config, GPT2LMHeadModel

    tok = ByT5Tokenizer()
    cfg = GPT2Config(vocab_size=len(tok), n_embd=64, n_layer=2, n_head=2, n_positions=4096, bos_token_id=1,
                     eos_token_id=1, pad_token_id=0)
    torch.manual_seed(seed)
    model = GPT2LMHeadModel(cfg)
    model.save_pretrained(directory)
    tok.save_pretrained(directory)
    return directory
