"""Training with a tiny random BERT: loss falls and held-out R@10 rises; checkpoints
round-trip; EWC anchors to the parent; evaluations are stored once per key."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest
from factories import make_repo, tiny_bert

from database.home import Home
from database.store import Store

# The module's fixture trains a checkpoint (~15 s); every test here uses it.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One synthetic repository, its base evaluation, and one trained checkpoint."""
    from prover.retrieval.api import EvalConfig, TrainConfig, evaluate_retriever, train_retriever

    root = tmp_path_factory.mktemp("retr")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_HUB_OFFLINE", "1")
        mp.setenv("TRANSFORMERS_OFFLINE", "1")
        model = str(tiny_bert(root / "tiny"))
        home = Home(root / "home").ensure()
        store = Store(home.db_path)
        make_repo(store, n_theorems=120)
        repo = store.repositories()[0]
        # the repository's ~12 validation queries: below the default minimum for choosing
        # fusion weights, so this test lowers it
        ecfg = EvalConfig(model=model, max_length=48, precision="fp32", min_fusion_queries=5)
        before = evaluate_retriever(store, home, checkpoint_id=None, repos=[repo], split="test",
                                    methods=("dense",), config=ecfg)
        # the shared tower (LeanAgent's: premises re-encoded by the trained encoder);
        # test_retrieval_fast.py covers the frozen one
        tcfg = TrainConfig(model=model, max_length=48, lr=3e-3, epochs=4, batch_size=8, precision="fp32",
                           premise_tower="shared")
        cid = train_retriever(store, home, repos=[repo], parent_checkpoint_id=None, config=tcfg)
        after = evaluate_retriever(store, home, checkpoint_id=cid, repos=[repo], split="test",
                                   methods=("dense", "untrained", "bm25", "locality", "fused"), config=ecfg)
        yield {"store": store, "home": home, "repo": repo, "model": model, "cid": cid, "before": before,
               "after": after, "ecfg": ecfg, "tcfg": tcfg}
        store.close()


def test_training_lowers_loss_and_raises_heldout_r10(trained):
    store, cid, rid = trained["store"], trained["cid"], trained["repo"].id
    row = store.conn.execute("SELECT parent_id, data_fingerprint, config FROM checkpoints WHERE id = ?",
                             (cid,)).fetchone()
    cfg = json.loads(row[2])
    assert row[0] is None and len(row[1]) == 64
    assert cfg["loss_mean_last_quarter"] < 0.7 * cfg["loss_mean_first_quarter"]
    before, after = trained["before"][(rid, "dense")], trained["after"][(rid, "dense")]
    assert before["num_queries"] == after["num_queries"] >= 8
    assert after["r10"] >= before["r10"] + 20, (before, after)
    # The untrained baseline is the same base encoder as "before".
    assert trained["after"][(rid, "untrained")]["r10"] == pytest.approx(before["r10"])


def test_loss_curve_is_stored_per_optimiser_step(trained):
    from prover.retrieval.checkpoints import checkpoint_dir

    store, home, cid, tcfg = trained["store"], trained["home"], trained["cid"], trained["tcfg"]
    ckpt = store.checkpoints.get(cid)
    curve = store.checkpoints.training_steps(cid)
    assert [s.step for s in curve] == list(range(1, ckpt.config["steps"] + 1))
    # one micro-batch per step here (grad_accum 1): the step losses are the checkpoint file's losses
    saved = json.loads((checkpoint_dir(home, ckpt) / "leanagent_checkpoint.json").read_text())
    assert [s.loss for s in curve] == pytest.approx(saved["losses"])
    # examples seen grow by the batch size and end at every example of every epoch
    assert curve[-1].examples == tcfg.epochs * ckpt.config["examples"]
    assert all(0 < b.examples - a.examples <= tcfg.batch_size for a, b in itertools.pairwise(curve))
    assert all(b.seconds >= a.seconds for a, b in itertools.pairwise(curve))
    # warmup to the peak rate, then cosine decay towards 0
    peak = max(range(len(curve)), key=lambda i: curve[i].lr)
    assert curve[peak].lr == pytest.approx(tcfg.lr) and curve[0].lr < tcfg.lr
    assert curve[-1].lr < 0.1 * tcfg.lr


def test_evaluations_stored_and_replaced(trained):
    from prover.retrieval.api import evaluate_retriever

    store, home, repo = trained["store"], trained["home"], trained["repo"]
    key = "SELECT COUNT(*) FROM evaluations WHERE checkpoint_id IS ? AND method = ? AND repo_id = ? AND split = ?"
    assert store.conn.execute(key, (trained["cid"], "dense", repo.id, "test")).fetchone()[0] == 1
    evaluate_retriever(store, home, checkpoint_id=trained["cid"], repos=[repo], split="test",
                       methods=("dense", "bm25"), config=trained["ecfg"])
    assert store.conn.execute(key, (trained["cid"], "dense", repo.id, "test")).fetchone()[0] == 1
    assert store.conn.execute(key, (None, "bm25", repo.id, "test")).fetchone()[0] == 1
    r10 = store.conn.execute("SELECT r10 FROM evaluations WHERE checkpoint_id = ? AND method = 'dense'",
                             (trained["cid"],)).fetchone()[0]
    assert r10 == pytest.approx(trained["after"][(repo.id, "dense")]["r10"])
    fused = trained["after"][(repo.id, "fused")]
    assert {"w_bm25", "w_loc", "val_r10_gain"} <= set(fused["fusion"])
    # the weights are kept for the checkpoint's encoder, in the database (not in a file)
    assert store.fusion_weights.for_checkpoint(trained["cid"]).as_dict() == fused["fusion"]
    assert not list(home.root.rglob("fusion.json"))


def test_checkpoint_roundtrip_embeddings_match(trained):
    from prover.retrieval.checkpoints import load_encoder
    from prover.retrieval.data import load_corpus
    from prover.retrieval.index import ensure_index

    store, home, cid, ecfg = trained["store"], trained["home"], trained["cid"], trained["ecfg"]
    enc = load_encoder(store, home, cid, model=ecfg.model, max_length=48, device="cpu")
    corpus = load_corpus(store)
    texts = corpus.texts()[:20]
    pidx, *_ = ensure_index(store, home, checkpoint_id=cid, config=ecfg)
    fresh = enc.encode(texts, bf16=False)
    np.testing.assert_allclose(pidx.vectors[:20], fresh, atol=1e-5)
    base = load_encoder(store, home, None, model=ecfg.model, max_length=48, device="cpu")
    assert not np.allclose(base.encode(texts, bf16=False), fresh, atol=1e-3)  # training changed it


def _adam_steps(home, store, checkpoint_id: int) -> set[int]:
    """The step count AdamW keeps per parameter in a checkpoint's saved optimizer state."""
    import torch

    from prover.retrieval.checkpoints import checkpoint_dir

    state = torch.load(checkpoint_dir(home, store.checkpoints.get(checkpoint_id)) / "training_state.pt",
                       weights_only=True)
    return {int(s["step"]) for s in state["optimizer"]["state"].values()}


def test_child_resumes_the_parents_optimizer_state(trained):
    """With resume_optimizer the child's AdamW continues the parent's moments (its step
    count goes on from the parent's); without it, it starts afresh. At lr 0 the weights,
    hence the embeddings, stay the parent's either way."""
    import dataclasses

    from prover.retrieval.api import train_retriever
    from prover.retrieval.checkpoints import load_encoder

    store, home, cid = trained["store"], trained["home"], trained["cid"]
    (parent_steps,) = _adam_steps(home, store, cid)
    assert parent_steps == store.checkpoints.get(cid).config["steps"] > 2
    cfg = dataclasses.replace(trained["tcfg"], lr=0.0, epochs=1, max_steps=2)
    resumed = train_retriever(store, home, repos=[trained["repo"]], parent_checkpoint_id=cid, config=cfg,
                              resume_optimizer=True)
    fresh = train_retriever(store, home, repos=[trained["repo"]], parent_checkpoint_id=cid, config=cfg,
                            resume_optimizer=False)
    assert store.checkpoints.get(resumed).parent_id == cid
    assert _adam_steps(home, store, resumed) == {parent_steps + 2}
    assert _adam_steps(home, store, fresh) == {2}
    texts = ["x : Nat ⊢ x = x", "theorem a (x : Nat) : x = x"]
    a = load_encoder(store, home, cid, model="unused", max_length=48, device="cpu").encode(texts, bf16=False)
    b = load_encoder(store, home, resumed, model="unused", max_length=48, device="cpu").encode(texts, bf16=False)
    np.testing.assert_allclose(a, b, atol=1e-6)


def test_ewc_anchors_child_to_parent(trained):
    import dataclasses

    from safetensors.torch import load_file

    from prover.retrieval.api import compute_fisher, train_retriever
    from prover.retrieval.checkpoints import checkpoint_dir

    store, home, cid, repo = trained["store"], trained["home"], trained["cid"], trained["repo"]
    fisher_path = compute_fisher(store, home, checkpoint_id=cid, repos=[repo],
                                 config=dataclasses.replace(trained["tcfg"], max_steps=4))
    assert fisher_path.parent == checkpoint_dir(home, store.checkpoints.get(cid))
    fisher = load_file(str(fisher_path))
    assert all((t >= 0).all() for t in fisher.values())
    assert sum(float(t.sum()) for t in fisher.values()) > 0

    def drift(child: int) -> float:
        p = load_file(str(checkpoint_dir(home, store.checkpoints.get(cid)) / "model.safetensors"))
        c = load_file(str(checkpoint_dir(home, store.checkpoints.get(child)) / "model.safetensors"))
        return sum(float((fisher[n] * (c[n] - p[n]) ** 2).sum()) for n in fisher if n in p)

    base = dataclasses.replace(trained["tcfg"], epochs=1, max_steps=4, lr=1e-2)
    free = train_retriever(store, home, repos=[repo], parent_checkpoint_id=cid, config=base)
    anchored = train_retriever(
        store, home, repos=[repo], parent_checkpoint_id=cid,
        config=dataclasses.replace(base, ewc_lambda=1e6, fisher_path=str(fisher_path)),
    )
    # Same seed and batches: without the penalty the two children are identical (ratio 1).
    # AdamW normalises each parameter's step, so even a huge lambda bounds the drift only
    # to about lr per step rather than to zero: 0.69 measured on this fixture.
    assert drift(anchored) < 0.8 * drift(free)


def test_no_training_data_is_a_clear_error(tmp_path):
    from prover.retrieval.api import TrainConfig, train_retriever
    from prover.retrieval.errors import NoTrainingData

    home = Home(tmp_path / "h").ensure()
    store = Store(home.db_path)
    make_repo(store, n_theorems=0)
    with pytest.raises(NoTrainingData, match="no training examples"):
        train_retriever(store, home, repos=store.repositories(), parent_checkpoint_id=None,
                        config=TrainConfig(model=str(Path(tmp_path / "unused"))))
    store.close()
