"""Encoders other than the default (a T5 encoder like ReProver's ByT5 retriever, from a
local directory) and the approximate FAISS index kinds (IVF, HNSW)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
pytest.importorskip("faiss")

from prover.retrieval.index import PremiseIndex, _new_faiss  # noqa: E402
from prover.retrieval.model import Encoder  # noqa: E402


def _tiny_byt5(directory: Path) -> Path:
    """A randomly initialised ByT5-shaped model saved like a Hub checkpoint (no network:
    ByT5's tokenizer needs no vocabulary files)."""
    from transformers import ByT5Tokenizer, T5Config, T5ForConditionalGeneration

    tok = ByT5Tokenizer()
    torch.manual_seed(0)
    config = T5Config(vocab_size=len(tok), d_model=32, d_kv=8, d_ff=64, num_layers=2, num_heads=4,
                      pad_token_id=0, eos_token_id=1)
    config.decoder_start_token_id = 0  # a generation setting T5Config takes as a plain attribute
    T5ForConditionalGeneration(config).save_pretrained(directory)
    tok.save_pretrained(directory)
    return directory


def test_t5_encoder_loads_from_a_local_directory(tmp_path: Path) -> None:
    path = _tiny_byt5(tmp_path / "byt5-retriever")
    enc = Encoder.load(str(path), max_length=64)
    assert type(enc.module).__name__ == "T5EncoderModel"  # the encoder half only
    texts = ["⊢ a + b = b + a", "<a>Nat.add_comm</a> theorem add_comm (n m : ℕ) : n + m = m + n"]
    v1 = np.asarray(enc.encode(texts))
    v2 = np.asarray(enc.encode(list(reversed(texts))))[::-1]
    assert v1.shape == (2, enc.dim) == (2, 32)
    np.testing.assert_allclose(np.linalg.norm(v1, axis=1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(v1, v2, atol=1e-5)  # batching and order do not change embeddings


def test_missing_model_says_how_to_fix(tmp_path: Path) -> None:
    from database.errors import LeanAgentError

    with pytest.raises(LeanAgentError, match="local Hugging Face cache"):
        Encoder.load("kaiyuy/leandojo-lean4-retriever-byt5-small-not-downloaded", max_length=64)
    (tmp_path / "empty").mkdir()
    with pytest.raises(LeanAgentError, match="not a Hugging Face model directory"):
        Encoder.load(str(tmp_path / "empty"), max_length=64)


@pytest.mark.parametrize("kind", ["ivf", "hnsw"])
def test_approximate_indexes_respect_accessibility_and_find_near_neighbours(kind: str) -> None:
    rng = np.random.default_rng(0)
    n, d, k = 4000, 32, 10
    vectors = rng.normal(size=(n, d)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    idx = _new_faiss(kind, d, vectors)
    idx.add(vectors)
    pidx = PremiseIndex(idx, np.arange(n), kind)
    queries = vectors[:50] + 0.05 * rng.normal(size=(50, d)).astype(np.float32)
    masks = [rng.random(n) < 0.5 for _ in range(50)]
    for m, q in zip(masks, range(50), strict=True):
        m[q] = True  # each query's own vector is accessible
    recalls = []
    for i, (rows, scores) in enumerate(pidx.search(queries, masks, k)):
        assert len(rows) == k and masks[i][rows].all()  # never an inaccessible premise
        assert np.all(np.diff(scores) <= 1e-6)  # best first
        assert rows[0] == i  # the near-duplicate is found first
        exact = np.argsort(-(vectors[masks[i]] @ queries[i]))[:k]
        recalls.append(len(set(np.flatnonzero(masks[i])[exact]) & set(rows)) / k)
    assert np.mean(recalls) >= 0.9


def test_ivf_on_a_tiny_corpus_is_exhaustive() -> None:
    rng = np.random.default_rng(1)
    vectors = rng.normal(size=(20, 8)).astype(np.float32)
    idx = _new_faiss("ivf", 8, vectors)
    assert idx.nlist == 1  # fewer than 39 points per list would make poor centroids
    idx.add(vectors)
    rows, _ = PremiseIndex(idx, np.arange(20), "ivf").search(vectors[:1], [np.ones(20, bool)], 5)[0]
    assert list(rows) == list(np.argsort(-(vectors @ vectors[0]))[:5])


def test_encoding_seams_refuse_an_unresolved_auto_precision() -> None:
    """``EvalConfig.bf16`` is what encoding functions (in process, Ray workers) read: it is
    only defined once ``auto`` has been resolved on the device, never guessed."""
    from database.errors import ConfigError
    from prover.retrieval.config import EvalConfig, TrainConfig

    assert EvalConfig(precision="bf16").bf16 and not EvalConfig(precision="fp32").bf16
    assert not TrainConfig(precision="fp32").bf16
    with pytest.raises(ConfigError, match="not resolved"):
        _ = EvalConfig().bf16  # the default is auto
