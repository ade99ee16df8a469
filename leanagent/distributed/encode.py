"""Premise encoding split across Ray workers, with the vectors one process gives.

`ray_encode(runtime)` returns an encode function for the index builder
(`prover.retrieval.index.EncodeFn`). It asks the encoder for the order in which it
batches the texts (`Encoder.batch_order`: by token length), cuts that order at batch
boundaries into contiguous parts, and has each worker encode its parts with the same
`Encoder.encode`. Every batch is then the one a single process would have formed
(same texts, same padding), so the vectors are the same; a test compares them.

Workers are actors, kept for the whole command: the encoder (weights and tokenizer,
shipped through the object store, so workers need no shared disk) is loaded once per
worker and per encoder, not once per part.
With one worker, or too few texts to pay for the actors, encoding stays in process.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .runtime import Runtime, task_threads

if TYPE_CHECKING:
    from prover.retrieval.api import EvalConfig
    from prover.retrieval.model import Encoder

#: Parts per worker: enough that a slow worker does not hold up the end, few enough
#: that each part is many batches.
PARTS_PER_WORKER = 4


class EncodeWorker:
    """A Ray actor holding one copy of the encoder (replaced when the encoder changes:
    a new checkpoint costs a transfer, not a new process)."""

    def __init__(self) -> None:
        self.threads = task_threads()
        self.encoder: Encoder | None = None

    def load(self, encoder: Encoder, device: str) -> None:
        if device != "cpu":
            encoder.module.to(device)
        self.encoder = encoder

    def encode(self, texts: list[str], batch_size: int, bf16: bool) -> np.ndarray:
        assert self.encoder is not None, "load() first"
        return self.encoder.encode(texts, batch_size=batch_size, bf16=bf16)

    def info(self) -> dict[str, Any]:
        import os

        return {"pid": os.getpid(), "threads": self.threads}


@dataclass
class RayEncode:
    """An `EncodeFn` over Ray workers. ``workers`` None: one per GPU when the cluster
    has GPUs (``gpus_per_worker`` each, on CUDA), else one per ``cpus_per_worker`` CPUs."""

    runtime: Runtime
    workers: int | None = None
    cpus_per_worker: int = 1
    #: None: one GPU per worker when the cluster has GPUs, else none.
    gpus_per_worker: float | None = None
    #: Below this many texts per worker the actors cost more than they save.
    min_texts_per_worker: int = 256
    last_workers: int = 0  # how many workers the last call used (reported by benchmarks)
    _actors: list[Any] = field(default_factory=list, repr=False)
    _loaded: Any = field(default=None, repr=False)

    def gpus(self) -> float:
        if self.gpus_per_worker is not None:
            return self.gpus_per_worker
        return 1.0 if self.runtime.gpus() >= 1 else 0.0

    def plan_workers(self) -> int:
        if self.workers is not None:
            return max(1, self.workers)
        g = self.gpus()
        if g > 0:
            return max(1, int(self.runtime.gpus() // g))
        return max(1, self.runtime.cpus() // max(1, self.cpus_per_worker))

    def __call__(self, encoder: Encoder, texts: list[str], config: EvalConfig) -> np.ndarray:
        from prover.retrieval.index import encode_in_process

        n = min(self.plan_workers(), max(1, len(texts) // self.min_texts_per_worker))
        self.last_workers = n
        if not self.runtime.active or n <= 1:
            self.last_workers = 1
            return encode_in_process(encoder, texts, config)
        return self._encode(encoder, texts, config, n)

    def _pool(self, n: int) -> list[Any]:
        ray = self.runtime.ray
        if len(self._actors) < n:
            cls = ray.remote(EncodeWorker).options(num_cpus=self.cpus_per_worker, num_gpus=self.gpus())
            self._actors += [cls.remote() for _ in range(n - len(self._actors))]
            self._loaded = None
        return self._actors[:n]

    def _encode(self, encoder: Encoder, texts: list[str], config: EvalConfig, n: int) -> np.ndarray:
        ray = self.runtime.ray
        order = encoder.batch_order(texts)
        bs = config.batch_size
        n_batches = math.ceil(len(order) / bs)
        per_part = max(1, math.ceil(n_batches / (n * PARTS_PER_WORKER)))
        parts = [order[i * bs: (i + per_part) * bs] for i in range(0, n_batches, per_part)]
        actors = self._pool(n)
        if self._loaded is not encoder:
            device = "cuda" if self.gpus() > 0 else "cpu"
            ref = ray.put(_portable(encoder))
            ray.get([a.load.remote(ref, device) for a in self._actors])
            self._loaded = encoder
        out = np.zeros((len(texts), encoder.dim), dtype=np.float32)
        pending: dict[Any, tuple[int, Any]] = {}
        queue = list(range(len(parts)))
        free = list(actors)
        while queue or pending:
            while queue and free:
                p = queue.pop(0)
                actor = free.pop()
                chunk = [texts[i] for i in parts[p]]
                pending[actor.encode.remote(chunk, bs, config.bf16)] = (p, actor)
            done, _ = ray.wait(list(pending), num_returns=1)
            p, actor = pending.pop(done[0])
            out[parts[p]] = ray.get(done[0])
            free.append(actor)
        return out

    def close(self) -> None:
        """Stop the workers (Ray stops them anyway when the runtime ends)."""
        for a in self._actors:
            self.runtime.ray.kill(a)
        self._actors, self._loaded = [], None


def _portable(encoder: Encoder) -> Encoder:
    """A CPU copy to ship (CUDA tensors would need CUDA to unpickle)."""
    if encoder.device.type == "cpu":
        return encoder
    clone = copy.copy(encoder)
    clone.module = copy.deepcopy(encoder.module).to("cpu")
    return clone


def ray_encode(runtime: Runtime, **kwargs: Any) -> RayEncode | None:
    """The encode function for `runtime`, or None in process (the index builder's own)."""
    return RayEncode(runtime, **kwargs) if runtime.active else None
