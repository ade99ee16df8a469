"""The CPU-sized training path, fast enough for the default suite: the frozen premise tower
(learns, re-encodes nothing, records what ran), length-bucketed batches, de-duplicated
encoding, top-layer-only training. The packaged-encoder learning test (slow) has its fast
equivalent here with a tiny random BERT."""

from __future__ import annotations

import numpy as np
import pytest
from factories import make_repo, tiny_bert

from database.home import Home
from database.store import Store


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp("fast")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_HUB_OFFLINE", "1")
        mp.setenv("TRANSFORMERS_OFFLINE", "1")
        yield str(tiny_bert(root / "tiny")), root


def _setup(tiny, name, **repo_kw):
    model, root = tiny
    home = Home(root / name).ensure()
    store = Store(home.db_path)
    make_repo(store, **repo_kw)
    return model, home, store, store.repositories()[0]


def test_frozen_premise_tower_learns_and_reuses_the_base_index(tiny):
    """The packaged encoder (a frozen tower needs premise embeddings that mean something:
    a random BERT's are nearly collinear) on the alias repository, where queries name
    premises by another word, so only training can connect them."""
    from prover.retrieval.api import EvalConfig, TrainConfig, build_index, evaluate_retriever, train_retriever
    from prover.retrieval.model import DEFAULT_MODEL

    _, home, store, repo = _setup(tiny, "frozen", n_theorems=60, n_dep=8, n_a=8, alias=True)
    model = DEFAULT_MODEL
    ecfg = EvalConfig(max_length=32, precision="fp32")
    before = evaluate_retriever(store, home, checkpoint_id=None, repos=[repo], split="test", methods=("dense",),
                                config=ecfg)[(repo.id, "dense")]
    indexes = store.conn.execute("SELECT COUNT(*) FROM faiss_indexes").fetchone()[0]
    cfg = TrainConfig(max_length=32, lr=2e-4, epochs=3, batch_size=16, precision="fp32")
    assert cfg.premise_tower == "frozen"
    cid = train_retriever(store, home, repos=[repo], parent_checkpoint_id=None, config=cfg)
    rec = store.checkpoints.get(cid).config
    assert rec["premise_encoder"] == {"checkpoint_id": None, "model": model, "max_length": 32}
    assert rec["precision_used"]["precision"] == "fp32" and rec["precision_used"]["requested"] == "fp32"
    assert rec["loss_mean_last_quarter"] < 0.8 * rec["loss_mean_first_quarter"]
    # the checkpoint's premises are the base encoder's: nothing is re-encoded, no new index
    info = build_index(store, home, checkpoint_id=cid, config=ecfg)
    assert info.added == 0 and store.conn.execute("SELECT COUNT(*) FROM faiss_indexes").fetchone()[0] == indexes
    after = evaluate_retriever(store, home, checkpoint_id=cid, repos=[repo], split="test",
                               methods=("dense", "untrained"), config=ecfg)
    assert after[(repo.id, "untrained")]["r10"] == pytest.approx(before["r10"])
    assert after[(repo.id, "dense")]["r10"] >= before["r10"] + 15, (before, after)
    row = store.evaluations.find(checkpoint_id=cid)[0]
    assert row.details["precision"]["precision"] == "fp32" and len(row.details["r10_ci"]) == 2
    # a child of a frozen checkpoint keeps the same premise encoder
    child = train_retriever(store, home, repos=[repo], parent_checkpoint_id=cid,
                            config=TrainConfig(max_length=32, max_steps=1, precision="fp32"))
    assert store.checkpoints.get(child).config["premise_encoder"]["checkpoint_id"] is None
    store.close()


def test_a_shared_tower_parent_becomes_the_frozen_premise_encoder(tiny):
    from prover.retrieval.api import EvalConfig, TrainConfig, build_index, train_retriever

    model, home, store, repo = _setup(tiny, "mixed", n_theorems=30)
    shared = train_retriever(store, home, repos=[repo], parent_checkpoint_id=None,
                             config=TrainConfig(model=model, max_length=48, max_steps=2, precision="fp32",
                                                premise_tower="shared", num_negatives=1))
    assert "premise_encoder" not in store.checkpoints.get(shared).config
    assert build_index(store, home, checkpoint_id=shared, config=EvalConfig(model=model, max_length=48)).added > 0
    child = train_retriever(store, home, repos=[repo], parent_checkpoint_id=shared,
                            config=TrainConfig(model=model, max_length=48, max_steps=1, precision="fp32"))
    assert store.checkpoints.get(child).config["premise_encoder"]["checkpoint_id"] == shared
    assert build_index(store, home, checkpoint_id=child, config=EvalConfig(model=model, max_length=48)).added == 0
    store.close()


def test_length_buckets_pad_less_and_cover_every_example_once(tiny):
    from prover.retrieval.api import TrainConfig
    from prover.retrieval.checkpoints import load_encoder
    from prover.retrieval.train import build_train_data, example_lengths, micro_batches

    model, home, store, repo = _setup(tiny, "buckets", n_theorems=200)
    cfg = TrainConfig(model=model, max_length=48, batch_size=8)
    data = build_train_data(store, [repo], cfg)
    enc = load_encoder(store, home, None, model=model, max_length=48, device="cpu")
    lengths = np.asarray(example_lengths(data, enc))

    def padding(batches):
        return sum(int(lengths[b].max() * len(b) - lengths[b].sum()) for b in batches)

    bucketed = micro_batches(data, enc, cfg, np.random.default_rng(0))
    plain = micro_batches(data, enc, TrainConfig(model=model, max_length=48, batch_size=8, length_buckets=False),
                          np.random.default_rng(0))
    for batches in (bucketed, plain):
        assert sorted(i for b in batches for i in b) == list(range(len(data.examples)))
        assert all(len(b) <= 8 for b in batches)
    assert padding(bucketed) < 0.5 * padding(plain)
    store.close()


def test_deduplicated_encoding_gives_the_same_loss(tiny):
    import torch

    from prover.retrieval import train as T
    from prover.retrieval.api import TrainConfig
    from prover.retrieval.checkpoints import load_encoder

    model, home, store, repo = _setup(tiny, "dedup", n_theorems=40)
    data = T.build_train_data(store, [repo], TrainConfig(model=model, max_length=48))
    enc = load_encoder(store, home, None, model=model, max_length=48, device="cpu")
    enc.module.eval()  # no dropout: copies and the single encoding must agree exactly
    batch = [data.examples[0], data.examples[0], data.examples[1], data.examples[2]]
    negatives = [[data.examples[1].positive], [data.examples[1].positive], [], [data.examples[0].positive]]
    with torch.no_grad():
        a = T.batch_loss(enc.module, enc, data, batch, negatives, 0.05)
        texts = [ex.query.text for ex in batch]
        assert torch.allclose(T._embed_unique(enc.module, enc, texts), T._embed(enc.module, enc, texts), atol=1e-6)
    orig = T._embed_unique
    try:
        T._embed_unique = T._embed
        with torch.no_grad():
            b = T.batch_loss(enc.module, enc, data, batch, negatives, 0.05)
    finally:
        T._embed_unique = orig
    assert float(a) == pytest.approx(float(b), abs=1e-5)
    store.close()


def test_train_layers_freezes_everything_below_the_top_layers(tiny):
    from prover.retrieval.checkpoints import load_encoder
    from prover.retrieval.train import freeze_lower_layers

    model, home, store, _ = _setup(tiny, "layers", n_theorems=5)
    enc = load_encoder(store, home, None, model=model, max_length=48, device="cpu")
    assert freeze_lower_layers(enc.module, 1) == 1  # the tiny BERT has two layers
    trainable = {n for n, p in enc.module.named_parameters() if p.requires_grad}
    assert trainable and all(n.startswith(("encoder.layer.1.", "pooler.")) for n in trainable)
    assert freeze_lower_layers(load_encoder(store, home, None, model=model, max_length=48, device="cpu").module,
                               None) == 0
    store.close()


def test_rehearsal_adds_a_seeded_sample_of_earlier_training_examples(tiny):
    from factories import build_repo

    from prover.retrieval.api import TrainConfig
    from prover.retrieval.train import Rehearsal, build_train_data

    model, root = tiny
    home = Home(root / "rehearse").ensure()
    store = Store(home.db_path)
    build_repo(store, "Alpha", n_theorems=40, seed=0)
    build_repo(store, "Beta", n_theorems=20, seed=1)
    alpha, beta = sorted(store.repositories(), key=lambda r: r.name)
    cfg = TrainConfig(model=model, max_length=48)
    own = build_train_data(store, [beta], cfg)
    pool = build_train_data(store, [alpha], cfg)
    n = len(own.examples)

    def with_share(share, seed=7):
        return build_train_data(store, [beta], cfg, rehearsal=Rehearsal((alpha,), share, seed))

    half = with_share(0.5)
    assert half.rehearsed == round(0.5 * n) and len(half.examples) == n + half.rehearsed
    assert half.examples[:n] == own.examples  # the step's own data is untouched
    alpha_train = {q.query.theorem_id for q in pool.examples}
    drawn = half.examples[n:]
    assert {ex.query.theorem_id for ex in drawn} <= alpha_train  # only Alpha's train split
    most = with_share(0.9 * len(pool.examples) / n).examples[n:]
    assert len({(ex.query, ex.positive) for ex in most}) == len(most)  # without replacement
    assert half.fingerprint != own.fingerprint
    assert [ex.query for ex in with_share(0.5).examples] == [ex.query for ex in half.examples]  # seeded
    assert [ex.query for ex in with_share(0.5, seed=8).examples] != [ex.query for ex in half.examples]
    assert with_share(100.0).rehearsed == len(pool.examples)  # never more than the pool
    assert with_share(0.0).examples == own.examples
    store.close()
