"""Training the retriever: InfoNCE with in-batch and hard negatives, AdamW with warmup
and cosine decay, gradient accumulation, bf16 autocast where measured faster
(`prover.precision`), length-bucketed batches, optionally only the top layers trained,
optional EWC; and the empirical Fisher used by EWC.

One example per (query, positive premise). For each, ``num_negatives`` premises
accessible to the query's theorem that are not among its positives are drawn afresh
every epoch, ``num_in_file_negatives`` of them from the positive premise's own file
(LeanAgent: 3 and 1). A micro-batch of B examples scores B queries against the B
positives and all negatives (softmax over every candidate in the batch, temperature
``temperature``); candidates that are positives of a query other than its own target
are masked out of that query's softmax rather than counted as negatives.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from database.checkpoints import TrainingStep
from database.clock import utcnow
from prover.precision import resolve_precision

from .checkpoints import checkpoint_dir, encoder_spec, load_encoder, premise_encoder_of
from .config import TrainConfig
from .data import (
    Access,
    BoolArray,
    Corpus,
    Query,
    build_queries,
    data_fingerprint,
    ensure_splits,
    load_corpus,
)
from .errors import NoTrainingData, RetrievalError

if TYPE_CHECKING:
    import torch

    from database.home import Home
    from database.store import Repository, Store

    from .model import Encoder


@dataclass(frozen=True)
class Example:
    query: Query
    positive: int  # corpus row
    access: int  # index into TrainData.access


@dataclass
class TrainData:
    corpus: Corpus
    access: list[Access]
    examples: list[Example]
    fingerprint: str
    #: How many of ``examples`` (at the end) were rehearsed from earlier repositories.
    rehearsed: int = 0


@dataclass(frozen=True)
class Rehearsal:
    """Examples of earlier repositories mixed into a training step, against forgetting
    (experience replay, "rehearsal" in the continual-learning literature): ``share`` of
    them per example of the step's own data, drawn without replacement and with ``seed``
    from the pooled training examples of ``repos`` (all of them when the pool is smaller).
    A bounded sample, unlike LeanAgent's replay and merge modes, which train on whole
    earlier repositories and so cost more at every step."""

    repos: tuple[Repository, ...]
    share: float
    seed: int

    def __post_init__(self) -> None:
        if self.share < 0:
            raise RetrievalError(f"rehearsal share must be >= 0, got {self.share} (--rehearsal)")

    def as_dict(self, examples: int) -> dict[str, Any]:
        return {"repos": [f"{r.name}@{r.commit}" for r in self.repos], "share": self.share, "seed": self.seed,
                "examples": examples}


def _examples(store: Store, repos: list[Repository], config: TrainConfig, split: str, corpus: Corpus,
              accesses: list[Access]) -> list[Example]:
    examples: list[Example] = []
    data = config.data
    for repo in repos:
        ensure_splits(store, repo, data)
        access = Access(store, repo, corpus)
        accesses.append(access)
        for q in build_queries(store, repo, scheme=data.scheme, split=split, mode=data.queries):
            for pid in q.positives:
                examples.append(Example(q, corpus.row(pid), len(accesses) - 1))
    return examples


def build_train_data(store: Store, repos: list[Repository], config: TrainConfig, *, split: str = "train",
                     rehearsal: Rehearsal | None = None) -> TrainData:
    corpus = load_corpus(store)
    accesses: list[Access] = []
    examples = _examples(store, repos, config, split, corpus, accesses)
    rehearsed = 0
    if rehearsal is not None and rehearsal.repos and rehearsal.share > 0 and examples:
        pool = _examples(store, list(rehearsal.repos), config, split, corpus, accesses)
        k = min(len(pool), round(rehearsal.share * len(examples)))
        # Sorted: the draw decides which examples, the trainer's own seeded shuffle their order.
        picked = sorted(np.random.default_rng(rehearsal.seed).choice(len(pool), k, replace=False).tolist())
        examples.extend(pool[i] for i in picked)
        rehearsed = k
    if not examples:
        names = ", ".join(r.name for r in repos) or "(none)"
        raise NoTrainingData(
            f"no training examples in the '{split}' split of {names}: a repository needs tactic steps "
            "with goal states and resolved premise links (LeanDojo data) or theorem statements with "
            "resolved premise links (static data); check `leanagent repos`"
        )
    all_repos = [*repos, *(rehearsal.repos if rehearsed and rehearsal is not None else ())]
    fp = data_fingerprint(all_repos, [(e.query.text, int(corpus.ids[e.positive])) for e in examples])
    return TrainData(corpus, accesses, examples, fp, rehearsed)


class NegativeSampler:
    def __init__(self, data: TrainData, config: TrainConfig, rng: np.random.Generator) -> None:
        self.data, self.config, self.rng = data, config, rng
        self._mask_key: tuple[int, int, tuple[int, int], tuple[int, ...]] | None = None
        self._mask: BoolArray | None = None

    def _accessible(self, ex: Example) -> BoolArray:
        key = (ex.access, ex.query.file_id, ex.query.pos, ex.query.positives)
        if key != self._mask_key:  # examples of one theorem come in runs; cache the last mask
            mask = self.data.access[ex.access].mask(ex.query.file_id, ex.query.pos)
            for pid in ex.query.positives:
                mask[self.data.corpus.row(pid)] = False
            self._mask_key, self._mask = key, mask
            return mask
        assert self._mask is not None  # set together with _mask_key
        return self._mask

    def sample(self, ex: Example) -> list[int]:
        mask = self._accessible(ex)
        c = self.data.corpus
        in_file = np.flatnonzero(mask & (c.file_ids == c.file_ids[ex.positive]))
        n_in = min(self.config.num_in_file_negatives, self.config.num_negatives, len(in_file))
        chosen = list(self.rng.choice(in_file, n_in, replace=False)) if n_in else []
        rest_n = self.config.num_negatives - n_in
        if rest_n > 0:
            others = np.flatnonzero(mask)
            others = np.setdiff1d(others, np.asarray(chosen, dtype=np.int64), assume_unique=True)
            if len(others):
                chosen += list(self.rng.choice(others, min(rest_n, len(others)), replace=False))
        return [int(x) for x in chosen]


def _embed(runner: Any, enc: Encoder, texts: list[str]) -> torch.Tensor:
    import torch

    batch = enc.tokenize(texts)
    hidden = runner(**batch).last_hidden_state  # [B, L, D]
    mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
    pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
    return torch.nn.functional.normalize(pooled.float(), dim=-1)


def _embed_unique(runner: Any, enc: Encoder, texts: list[str]) -> torch.Tensor:
    """Embeddings of ``texts`` [N, D], each distinct text encoded once: a query with
    several positives appears once per positive, and a premise can be one query's positive
    and another's negative. The loss is the same as encoding every copy (up to dropout
    noise, which differs per copy), for fewer forward and backward passes."""
    first: dict[str, int] = {}
    index = [first.setdefault(t, len(first)) for t in texts]
    unique = _embed(runner, enc, list(first))
    if len(first) == len(texts):
        return unique
    import torch

    return unique[torch.tensor(index, device=unique.device)]


def batch_loss(runner: Any, enc: Encoder, data: TrainData, batch: list[Example],
               negatives: list[list[int]], temperature: float) -> torch.Tensor:
    """InfoNCE over the batch's candidates (its positives, then all negatives)."""
    import torch

    c = data.corpus
    cand_rows = [ex.positive for ex in batch] + [r for negs in negatives for r in negs]
    q = _embed_unique(runner, enc, [ex.query.text for ex in batch])  # [B, D]
    d = _embed_unique(runner, enc, [c.text(r) for r in cand_rows])  # [M, D]
    logits = q @ d.T / temperature  # [B, M]
    cand_ids = c.ids[cand_rows]
    block = torch.zeros_like(logits, dtype=torch.bool)
    for i, ex in enumerate(batch):
        is_pos = np.isin(cand_ids, np.asarray(ex.query.positives))
        is_pos[i] = False  # the target itself stays
        block[i] = torch.from_numpy(is_pos)
    logits = logits.masked_fill(block, float("-inf"))
    target = torch.arange(len(batch), device=logits.device)
    return torch.nn.functional.cross_entropy(logits, target)


class FrozenTargets:
    """For the frozen premise tower: per example, which premises its softmax ranges over --
    every premise accessible to the query's theorem except its other positives (so that
    each positive is scored against all the negatives the evaluation will rank it
    against, not a sample). Masks are cached per theorem position."""

    def __init__(self, data: TrainData) -> None:
        self.data = data
        self._masks: dict[tuple[int, int, tuple[int, int]], BoolArray] = {}

    def allowed(self, ex: Example) -> BoolArray:
        key = (ex.access, ex.query.file_id, ex.query.pos)
        base = self._masks.get(key)
        if base is None:
            base = self._masks[key] = self.data.access[ex.access].mask(ex.query.file_id, ex.query.pos)
        m = base.copy()
        c = self.data.corpus
        for pid in ex.query.positives:
            m[c.row(pid)] = False
        m[ex.positive] = True
        return m


def frozen_loss(runner: Any, enc: Encoder, batch: list[Example], premises: torch.Tensor, targets: FrozenTargets,
                temperature: float) -> torch.Tensor:
    """InfoNCE of each query against every premise accessible to it, the premises'
    embeddings fixed (``premises`` [N, D], corpus rows)."""
    import torch

    q = _embed_unique(runner, enc, [ex.query.text for ex in batch])  # [B, D]
    logits = q @ premises.T / temperature  # [B, N]
    allowed = torch.from_numpy(np.stack([targets.allowed(ex) for ex in batch])).to(logits.device)
    logits = logits.masked_fill(~allowed, float("-inf"))
    target = torch.tensor([ex.positive for ex in batch], device=logits.device)
    return torch.nn.functional.cross_entropy(logits, target)


class Objective:
    """The loss of one micro-batch under the configured premise tower."""

    def __init__(self, data: TrainData, config: TrainConfig, rng: np.random.Generator,
                 premises: torch.Tensor | None) -> None:
        self.data, self.config, self.premises = data, config, premises
        self.sampler = NegativeSampler(data, config, rng) if premises is None else None
        self.targets = FrozenTargets(data) if premises is not None else None

    def __call__(self, runner: Any, enc: Encoder, batch: list[Example]) -> torch.Tensor:
        if self.premises is not None and self.targets is not None:
            return frozen_loss(runner, enc, batch, self.premises, self.targets, self.config.temperature)
        assert self.sampler is not None  # the shared tower samples negatives
        negatives = [self.sampler.sample(ex) for ex in batch]
        return batch_loss(runner, enc, self.data, batch, negatives, self.config.temperature)


def premise_vectors(store: Store, home: Home, data: TrainData, config: TrainConfig,
                    premise_encoder: tuple[int | None, str, int], device: Any) -> torch.Tensor:
    """The frozen premise tower's embeddings of every corpus premise [N, D], from (and
    into) its FAISS index, so they are computed once for every checkpoint that uses them."""
    import torch

    from .config import EvalConfig
    from .index import ensure_index

    p_ckpt, p_model, p_len = premise_encoder
    cfg = EvalConfig(model=p_model, max_length=p_len, precision=config.precision, device=config.device,
                     progress=config.progress, data=config.data)
    pidx, _, corpus, _ = ensure_index(store, home, checkpoint_id=p_ckpt, config=cfg, corpus=data.corpus)
    if not np.array_equal(pidx.premise_ids, corpus.ids):  # ensure_index covers the whole corpus
        raise RetrievalError("the premise index does not cover the corpus: rebuild it with `leanagent eval`")
    return torch.from_numpy(np.ascontiguousarray(pidx.vectors, dtype=np.float32)).to(device)


def micro_batches(data: TrainData, enc: Encoder, config: TrainConfig, rng: np.random.Generator) -> list[list[int]]:
    """One epoch's micro-batches (example indices).

    Without ``length_buckets``: a random permutation cut into batches (LeanAgent). With
    it: the permutation is cut into groups of `BUCKET_GROUP` batches, each group sorted
    by the example's token count (query plus positive, as truncated), cut into batches,
    and the batches shuffled -- batches of alike lengths pad little (a CPU spends its time
    on padding otherwise), while which examples meet in a batch stays random across
    groups (the "group by length" sampler of Hugging Face's Trainer works the same way).
    Examples of one query then tend to share a batch, where `_embed_unique` encodes the
    query once."""
    n = len(data.examples)
    order = rng.permutation(n)
    b = config.batch_size
    if not config.length_buckets:
        return [[int(i) for i in order[i : i + b]] for i in range(0, n, b)]
    lengths = example_lengths(data, enc)
    out: list[list[int]] = []
    group = BUCKET_GROUP * b
    for g in range(0, n, group):
        chunk = sorted((int(i) for i in order[g : g + group]), key=lambda i: (lengths[i], data.examples[i].query.text))
        out.extend(chunk[i : i + b] for i in range(0, len(chunk), b))
    perm = rng.permutation(len(out))
    return [out[int(i)] for i in perm]


#: Batches per length-sorted group (`micro_batches`).
BUCKET_GROUP = 16


def example_lengths(data: TrainData, enc: Encoder) -> list[int]:
    """Token count of each example's query plus its positive premise, truncated like a batch."""
    queries = sorted({ex.query.text for ex in data.examples})
    rows = sorted({ex.positive for ex in data.examples})
    tok = enc.tokenizer
    q_len = dict(zip(queries, (len(x) for x in tok(queries, truncation=True, max_length=enc.max_length)["input_ids"]),
                     strict=True))
    texts = [data.corpus.text(r) for r in rows]
    p_len = dict(zip(rows, (len(x) for x in tok(texts, truncation=True, max_length=enc.max_length)["input_ids"]),
                     strict=True))
    return [q_len[ex.query.text] + p_len[ex.positive] for ex in data.examples]


def freeze_lower_layers(module: Any, train_layers: int | None) -> int:
    """Train only the top ``train_layers`` transformer layers (and what comes after them):
    the embeddings and the layers below get ``requires_grad = False``, so backward stops
    at the lowest trained layer. Returns how many layers are frozen. None: train all."""
    if train_layers is None:
        return 0
    layers = None
    for path in ("encoder.layer", "encoder.block", "layers", "transformer.layer"):  # BERT, T5, others
        obj = module
        for part in path.split("."):
            obj = getattr(obj, part, None)
            if obj is None:
                break
        if obj is not None:
            layers = obj
            break
    if layers is None:
        raise RetrievalError(f"--train-layers: cannot find the transformer layers of {type(module).__name__}; "
                             "leave --train-layers unset to train every layer")
    frozen = max(0, len(layers) - train_layers)
    embeddings = getattr(module, "embeddings", None) or getattr(module, "shared", None)
    if frozen and embeddings is not None:
        for p in embeddings.parameters():
            p.requires_grad_(False)
    for layer in list(layers)[:frozen]:
        for p in layer.parameters():
            p.requires_grad_(False)
    return frozen


def _lr_lambda(total: int, warmup: int) -> Callable[[int], float]:
    def f(step: int) -> float:
        if warmup and step < warmup:
            return (step + 1) / warmup
        progress = (step - warmup) / max(1, total - warmup)
        return 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))

    return f


def _seed_all(seed: int) -> np.random.Generator:
    import torch

    random.seed(seed)
    torch.manual_seed(seed)
    return np.random.default_rng(seed)


def _runner(enc: Encoder) -> Any:
    import torch

    if enc.device.type == "cuda" and torch.cuda.device_count() > 1:
        # Split each batch across the visible GPUs (single process).
        return torch.nn.DataParallel(enc.module)
    return enc.module


def _load_fisher(path: str, enc: Encoder) -> dict[str, torch.Tensor]:
    from safetensors.torch import load_file

    if not Path(path).exists():
        raise RetrievalError(f"no Fisher file at {path}: compute one with compute_fisher (or set ewc_lambda=0)")
    fisher = load_file(path, device=str(enc.device))
    names = {n for n, _ in enc.module.named_parameters()}
    if not set(fisher) <= names:
        raise RetrievalError(f"the Fisher file {path} was computed for another model (parameter names differ)")
    return fisher


def train_retriever(
    store: Store, home: Home, *, repos: list[Repository], parent_checkpoint_id: int | None,
    config: TrainConfig, resume_optimizer: bool = False, rehearsal: Rehearsal | None = None,
) -> int:
    import torch

    rng = _seed_all(config.seed)
    data = build_train_data(store, repos, config, rehearsal=rehearsal)
    model_name, _ = encoder_spec(store, parent_checkpoint_id, model=config.model,
                                          max_length=config.max_length)
    enc = load_encoder(store, home, parent_checkpoint_id, model=config.model, max_length=config.max_length,
                       device=config.device)
    # The checkpoint uses the length the config asks for (for training and for indexing).
    enc.max_length = config.max_length
    choice = resolve_precision(config.precision, str(enc.device), home=home)
    enc.module.train()
    runner = _runner(enc)
    # Every parameter stays in the optimizer (so that a parent's optimizer state loads
    # whatever is frozen now); frozen ones get no gradient and AdamW skips them.
    params = list(enc.module.parameters())
    frozen_layers = freeze_lower_layers(enc.module, config.train_layers)
    trained = [p for p in params if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=config.lr, weight_decay=config.weight_decay)
    per_epoch = math.ceil(len(data.examples) / config.batch_size / config.grad_accum)
    total = per_epoch * config.epochs
    if config.max_steps is not None:
        total = min(total, config.max_steps)
    warmup = int(config.warmup_fraction * total)
    resumed = False  # recorded as it happened: asked for, but the parent has no state, is False
    if resume_optimizer and parent_checkpoint_id is not None:
        state_path = checkpoint_dir(home, store.checkpoints.get(parent_checkpoint_id)) / "training_state.pt"
        if state_path.exists():
            resumed = True
            state = torch.load(state_path, map_location=enc.device, weights_only=True)
            opt.load_state_dict(state["optimizer"])
            for group in opt.param_groups:  # the new run's schedule decides the lr
                group["lr"] = config.lr
                group["initial_lr"] = config.lr
    sched = torch.optim.lr_scheduler.LambdaLR(opt, _lr_lambda(total, warmup))
    ewc_on = config.ewc_lambda > 0 and config.fisher_path is not None
    fisher: dict[str, torch.Tensor] = {}
    if config.ewc_lambda > 0 and config.fisher_path is not None:
        fisher = _load_fisher(config.fisher_path, enc)
    anchor = {n: p.detach().clone() for n, p in enc.module.named_parameters() if n in fisher}
    named = dict(enc.module.named_parameters())
    frozen_tower = config.premise_tower == "frozen"
    p_encoder = (premise_encoder_of(store, parent_checkpoint_id, model=config.model, max_length=config.max_length)
                 if frozen_tower else None)
    objective = Objective(data, config, rng, premise_vectors(store, home, data, config, p_encoder, enc.device)
                          if p_encoder is not None else None)
    losses: list[float] = []
    penalties: list[float] = []
    curve: list[TrainingStep] = []  # one row per optimiser step, stored with the checkpoint
    step_losses: list[float] = []
    seen = 0
    step = 0
    started = time.perf_counter()
    bar = None
    if config.progress:
        from tqdm import tqdm

        bar = tqdm(total=total, desc="training", unit="step")
    dev_type = enc.device.type
    done = False
    for _epoch in range(config.epochs):
        micro = micro_batches(data, enc, config, rng)
        for mi, idxs in enumerate(micro):
            batch = [data.examples[i] for i in idxs]
            with torch.autocast(device_type=dev_type, dtype=torch.bfloat16, enabled=choice.bf16):
                loss = objective(runner, enc, batch)
            total_loss = loss / config.grad_accum
            if ewc_on:
                pen = sum((fisher[n] * (named[n] - anchor[n]) ** 2).sum() for n in anchor)
                total_loss = total_loss + config.ewc_lambda * pen / config.grad_accum
                penalties.append(float(pen.detach()))
            total_loss.backward()
            losses.append(float(loss.detach()))
            step_losses.append(losses[-1])
            seen += len(batch)
            if (mi + 1) % config.grad_accum == 0 or mi == len(micro) - 1:
                if config.grad_clip:
                    torch.nn.utils.clip_grad_norm_(trained, config.grad_clip)
                lr_used = float(opt.param_groups[0]["lr"])
                opt.step()
                sched.step()
                opt.zero_grad(set_to_none=True)
                step += 1
                curve.append(TrainingStep(step=step, loss=sum(step_losses) / len(step_losses), lr=lr_used,
                                          seconds=round(time.perf_counter() - started, 4), examples=seen))
                step_losses = []
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix(loss=f"{losses[-1]:.3f}")
                if step >= total:
                    done = True
                    break
        if done:
            break
    if bar is not None:
        bar.close()
    elapsed = time.perf_counter() - started
    if step == 0:
        # Nothing was trained: registering it would make an untrained encoder "the latest
        # checkpoint" of every later command.
        raise NoTrainingData(f"training made no optimiser step ({len(data.examples)} examples, {config.epochs} "
                             "epochs): no checkpoint registered")
    enc.module.eval()

    rel = Path("checkpoints") / f"{utcnow().replace(':', '').replace('+', 'Z')}-{uuid.uuid4().hex[:8]}"
    directory = home.root / rel
    enc.save(directory)
    torch.save({"optimizer": opt.state_dict(), "scheduler": sched.state_dict(), "step": step},
               directory / "training_state.pt")
    record = {
        **dataclasses.asdict(config),
        "max_length": config.max_length,
        "repos": [f"{r.name}@{r.commit}" for r in repos],
        "parent_id": parent_checkpoint_id,
        "optimizer_resumed": resumed,
        "examples": len(data.examples),
        **({"rehearsal": rehearsal.as_dict(data.rehearsed)} if rehearsal is not None and data.rehearsed else {}),
        "steps": step,
        "seconds": round(elapsed, 3),
        "loss_first": losses[0] if losses else None,
        "loss_last": losses[-1] if losses else None,
        "loss_mean_first_quarter": float(np.mean(losses[: max(1, len(losses) // 4)])) if losses else None,
        "loss_mean_last_quarter": float(np.mean(losses[-max(1, len(losses) // 4):])) if losses else None,
        "ewc_penalty_last": penalties[-1] if penalties else None,
        "frozen_layers": frozen_layers,
        **({"premise_encoder": {"checkpoint_id": p_encoder[0], "model": p_encoder[1], "max_length": p_encoder[2]}}
           if p_encoder is not None else {}),
        # What ran: the precision chosen (and why), the data's split scheme.
        "precision_used": {k: v for k, v in choice.as_dict().items() if k != "measured"},
        "scheme": config.data.scheme,
    }
    (directory / "leanagent_checkpoint.json").write_text(
        json.dumps({**record, "data_fingerprint": data.fingerprint, "losses": losses}, indent=1)
    )
    return store.checkpoints.add(parent_id=parent_checkpoint_id, path=str(rel), model_name=model_name,
                                 data_fingerprint=data.fingerprint, config=record, steps=curve)


def compute_fisher(store: Store, home: Home, *, checkpoint_id: int, repos: list[Repository],
                   config: TrainConfig) -> Path:
    """Mean over micro-batches of the squared gradient of the batch's InfoNCE loss."""
    import torch
    from safetensors.torch import save_file

    rng = _seed_all(config.seed)
    data = build_train_data(store, repos, config)
    row = store.checkpoints.get(checkpoint_id)
    enc = load_encoder(store, home, checkpoint_id, model=config.model, max_length=config.max_length,
                       device=config.device)
    choice = resolve_precision(config.precision, str(enc.device), home=home)
    # Dropout off: the Fisher is taken at the checkpoint's deterministic function.
    enc.module.eval()
    named = {n: p for n, p in enc.module.named_parameters() if p.requires_grad}
    fisher = {n: torch.zeros_like(p) for n, p in named.items()}
    # The checkpoint's own objective: against its frozen premise tower if it has one.
    frozen = isinstance(row.config.get("premise_encoder"), dict)
    p_encoder = premise_encoder_of(store, checkpoint_id, model=config.model, max_length=config.max_length)
    objective = Objective(data, config, rng, premise_vectors(store, home, data, config, p_encoder, enc.device)
                          if frozen else None)
    order = list(range(len(data.examples)))
    batches = [order[i : i + config.batch_size] for i in range(0, len(order), config.batch_size)]
    if config.max_steps is not None:
        batches = batches[: config.max_steps]
    for idxs in batches:
        batch = [data.examples[i] for i in idxs]
        enc.module.zero_grad(set_to_none=True)
        with torch.autocast(device_type=enc.device.type, dtype=torch.bfloat16, enabled=choice.bf16):
            loss = objective(enc.module, enc, batch)
        loss.backward()
        for n, p in named.items():
            if p.grad is not None:
                fisher[n] += p.grad.detach() ** 2
    for n in fisher:
        fisher[n] /= max(1, len(batches))
    tag = hashlib.sha256(";".join(f"{r.url}@{r.commit}" for r in repos).encode()).hexdigest()[:12]
    path = checkpoint_dir(home, row) / f"fisher-{tag}.safetensors"
    save_file({n: t.contiguous().cpu() for n, t in fisher.items()}, str(path),
              metadata={"checkpoint_id": str(checkpoint_id), "data_fingerprint": data.fingerprint,
                        "batches": str(len(batches))})
    return path
