"""Checkpoint rows and directories.

A checkpoint is a directory under ``home.checkpoints`` holding the encoder
(``save_pretrained`` weights + tokenizer), ``leanagent_checkpoint.json`` (training
config, parent, data fingerprint, loss history) and ``training_state.pt`` (optimiser and
scheduler state). Its ``checkpoints`` row stores the path relative to the home root, so
a home directory can be moved.

Settings that belong to "the encoder being used" but are not training outputs -- the
fusion weights chosen on validation data -- are recorded in the row's ``config`` under
``"fusion"``; for the base encoder (no row) they go to ``fusion.json`` in its index dir.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import CheckpointNotFound
from .model import Encoder, pick_device

if TYPE_CHECKING:
    from database.home import Home
    from database.store import Store


def checkpoint_row(store: Store, checkpoint_id: int) -> dict[str, Any]:
    row = store.conn.execute(
        "SELECT id, parent_id, path, model_name, data_fingerprint, config, created_at FROM checkpoints "
        "WHERE id = ?",
        (checkpoint_id,),
    ).fetchone()
    if row is None:
        raise CheckpointNotFound(
            f"no checkpoint with id {checkpoint_id}: train one with `leanagent train` "
            "(or omit the checkpoint to use the base encoder)"
        )
    keys = ("id", "parent_id", "path", "model_name", "data_fingerprint", "config", "created_at")
    out = dict(zip(keys, row, strict=True))
    out["config"] = json.loads(out["config"] or "{}")
    return out


def checkpoint_dir(home: Home, row: dict[str, Any]) -> Path:
    path = Path(row["path"])
    path = path if path.is_absolute() else home.root / path
    if not (path / "config.json").exists():
        raise CheckpointNotFound(
            f"checkpoint {row['id']} is registered at {path} but that directory has no model: "
            "was the home directory moved or pruned? Train a new checkpoint with `leanagent train`"
        )
    return path


def encoder_key(checkpoint_id: int | None, model: str, max_length: int) -> str:
    """A file-system-safe name for the encoder an index belongs to."""
    if checkpoint_id is not None:
        return f"ckpt-{checkpoint_id}"
    return "base-" + re.sub(r"[^A-Za-z0-9._-]+", "_", model).strip("_")[-80:] + f"-{max_length}"


def encoder_spec(store: Store, checkpoint_id: int | None, *, model: str, max_length: int) -> tuple[str, int]:
    """(model name, max_length) the encoder of ``checkpoint_id`` uses."""
    if checkpoint_id is None:
        return model, max_length
    row = checkpoint_row(store, checkpoint_id)
    return row["model_name"], int(row["config"].get("max_length", max_length))


def load_encoder(
    store: Store, home: Home, checkpoint_id: int | None, *, model: str, max_length: int, device: str
) -> Encoder:
    dev = pick_device(device)
    if checkpoint_id is None:
        return Encoder.load(model, max_length=max_length, device=dev)
    row = checkpoint_row(store, checkpoint_id)
    path = checkpoint_dir(home, row)
    enc = Encoder.load(str(path), max_length=int(row["config"].get("max_length", max_length)), device=dev)
    enc.name = row["model_name"]
    return enc


def read_fusion(store: Store, home: Home, checkpoint_id: int | None, key: str) -> dict[str, Any] | None:
    if checkpoint_id is not None:
        return checkpoint_row(store, checkpoint_id)["config"].get("fusion")
    path = home.indexes / key / "fusion.json"
    return json.loads(path.read_text()) if path.exists() else None


def record_fusion(store: Store, home: Home, checkpoint_id: int | None, key: str, fusion: dict[str, Any]) -> None:
    if checkpoint_id is not None:
        with store.atomic():
            config = checkpoint_row(store, checkpoint_id)["config"]
            config["fusion"] = fusion
            store.conn.execute("UPDATE checkpoints SET config = ? WHERE id = ?",
                               (json.dumps(config, sort_keys=True), checkpoint_id))
        return
    path = home.indexes / key / "fusion.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(fusion, sort_keys=True))
