"""Premise encoding split across Ray workers gives the vectors one process gives, and
the index built with it is the same index."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from factories import make_repo, tiny_bert

from database.home import Home

pytest.importorskip("ray")


def test_ray_workers_encode_exactly_like_one_process(tmp_path: Path, store, ray_local) -> None:
    from leanagent.distributed.encode import RayEncode
    from prover.retrieval.api import EvalConfig
    from prover.retrieval.index import encode_in_process, ensure_index
    from prover.retrieval.model import Encoder

    make_repo(store, n_dep=60, n_a=60, n_theorems=5)
    model = str(tiny_bert(tmp_path / "tiny"))
    config = EvalConfig(model=model, max_length=48, batch_size=16, precision="fp32")
    encoder = Encoder.load(model, max_length=48)
    from prover.retrieval.data import load_corpus

    corpus = load_corpus(store)
    texts = corpus.texts(np.arange(len(corpus.ids)))
    assert len(texts) > 150
    one = encode_in_process(encoder, texts, config)
    ray_fn = RayEncode(ray_local, min_texts_per_worker=50)
    # Through the index builder, the seam `eval` and the lifelong loop use.
    home = Home(tmp_path / "home")
    pidx, info, _, _ = ensure_index(store, home, checkpoint_id=None, config=config, encoder=encoder,
                                    encode=ray_fn)
    assert ray_fn.last_workers == 2 and info.added == len(texts)
    assert np.array_equal(pidx.vectors, one), f"max difference {np.abs(pidx.vectors - one).max()}"
    ray_fn.close()

def test_small_work_stays_in_process(tmp_path: Path, ray_local) -> None:
    from leanagent.distributed.encode import RayEncode
    from prover.retrieval.api import EvalConfig
    from prover.retrieval.model import Encoder

    model = str(tiny_bert(tmp_path / "tiny"))
    encoder = Encoder.load(model, max_length=32)
    fn = RayEncode(ray_local)  # 256 texts per worker at least
    out = fn(encoder, ["theorem a : True", "lemma b : False"], EvalConfig(model=model, precision="fp32"))
    assert fn.last_workers == 1 and out.shape == (2, 32)
