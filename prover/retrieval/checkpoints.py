"""Checkpoint directories and the encoders they hold.

A checkpoint is a directory under ``home.checkpoints`` holding the encoder
(``save_pretrained`` weights + tokenizer), ``leanagent_checkpoint.json`` (training
config, parent, data fingerprint, loss history) and ``training_state.pt`` (optimiser and
scheduler state). Its row, its per-step loss curve and the fusion weights chosen for it
are kept in the database (`database.checkpoints`, reached as ``store.checkpoints`` and
``store.fusion_weights``); this module maps them to files and loaded encoders.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from database.checkpoints import Checkpoint, FusionWeights

from .errors import CheckpointNotFound
from .model import Encoder, pick_device

if TYPE_CHECKING:
    from database.home import Home
    from database.store import Repository, Store


def checkpoint_dir(home: Home, checkpoint: Checkpoint) -> Path:
    path = Path(checkpoint.path)
    path = path if path.is_absolute() else home.root / path
    if not (path / "config.json").exists():
        raise CheckpointNotFound(
            f"checkpoint {checkpoint.id} is registered at {path} but that directory has no model: "
            "was the home directory moved or pruned? Train a new checkpoint with `leanagent train`"
        )
    return path


def encoder_key(checkpoint_id: int | None, model: str, max_length: int) -> str:
    """A file-system-safe name for the encoder an index (or fusion weights) belongs to."""
    if checkpoint_id is not None:
        return f"ckpt-{checkpoint_id}"
    return "base-" + re.sub(r"[^A-Za-z0-9._-]+", "_", model).strip("_")[-80:] + f"-{max_length}"


def encoder_spec(store: Store, checkpoint_id: int | None, *, model: str, max_length: int) -> tuple[str, int]:
    """(model name, max_length) the encoder of ``checkpoint_id`` uses."""
    if checkpoint_id is None:
        return model, max_length
    ckpt = store.checkpoints.get(checkpoint_id)
    return ckpt.model_name, int(ckpt.config.get("max_length", max_length))


def premise_encoder_of(store: Store, checkpoint_id: int | None, *, model: str,
                       max_length: int) -> tuple[int | None, str, int]:
    """(checkpoint id or None for a base model, model name, max_length) of the encoder that
    embeds premises for ``checkpoint_id``'s queries: the checkpoint itself when it trained
    one encoder for both (``premise_tower`` "shared"), else the encoder its training kept
    frozen (recorded as ``premise_encoder`` in its config); the base model for None."""
    if checkpoint_id is None:
        return None, model, max_length
    ckpt = store.checkpoints.get(checkpoint_id)
    frozen = ckpt.config.get("premise_encoder")
    if isinstance(frozen, dict):
        cid = frozen.get("checkpoint_id")
        return (None if cid is None else int(cid)), str(frozen["model"]), int(frozen["max_length"])
    return checkpoint_id, ckpt.model_name, int(ckpt.config.get("max_length", max_length))


def load_encoder(
    store: Store, home: Home, checkpoint_id: int | None, *, model: str, max_length: int, device: str
) -> Encoder:
    dev = pick_device(device)
    if checkpoint_id is None:
        return Encoder.load(model, max_length=max_length, device=dev)
    ckpt = store.checkpoints.get(checkpoint_id)
    path = checkpoint_dir(home, ckpt)
    enc = Encoder.load(str(path), max_length=int(ckpt.config.get("max_length", max_length)), device=dev)
    enc.name = ckpt.model_name
    return enc


def _pairs(repos: Sequence[Repository]) -> list[tuple[str, str]]:
    return [(r.url, r.commit) for r in repos]


def read_fusion(store: Store, checkpoint_id: int | None, *, model: str, max_length: int,
                repos: Sequence[Repository]) -> FusionWeights | None:
    """The fusion weights recorded for the encoder of ``checkpoint_id`` (the base model
    ``model`` at ``max_length`` when None) tuned on exactly ``repos``, or None."""
    name, length = encoder_spec(store, checkpoint_id, model=model, max_length=max_length)
    return store.fusion_weights.get(encoder_key(checkpoint_id, name, length), _pairs(repos))


def read_fusion_for(store: Store, checkpoint_id: int | None, *, model: str, max_length: int,
                    repo: Repository) -> FusionWeights | None:
    """Weights to rank premises of one repository with: tuned on it alone, else on a set
    that includes it (`FusionWeightsTable.covering`); None when there are none."""
    name, length = encoder_spec(store, checkpoint_id, model=model, max_length=max_length)
    return store.fusion_weights.covering(encoder_key(checkpoint_id, name, length), (repo.url, repo.commit))


def record_fusion(store: Store, checkpoint_id: int | None, weights: FusionWeights, *, model: str,
                  max_length: int, repos: Sequence[Repository]) -> None:
    name, length = encoder_spec(store, checkpoint_id, model=model, max_length=max_length)
    store.fusion_weights.record(encoder_key(checkpoint_id, name, length), _pairs(repos), weights,
                                checkpoint_id=checkpoint_id)
