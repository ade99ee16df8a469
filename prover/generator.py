"""Tactic generators: what proposes the next tactics at a proof state.

* `HFTacticGenerator` -- any Hugging Face seq2seq (ByT5, as ReProver's
  ``kaiyuy/leandojo-lean4-tacgen-byt5-small`` and ``…-retriever-tacgen-byt5-small``)
  or causal LM, loaded from a local directory. Its input is retrieval-augmented: the
  goal state first, then as many retrieved premises as fit a byte budget (default
  2300: ReProver's generator was trained on inputs up to 2300 bytes; LeanAgent's
  512-byte budget cut the goal off). It returns N distinct candidates with their
  log-probabilities (beam search: the beam's summed token log-probabilities, length
  penalty 0 as ReProver; or sampling), ``<a>`` marks stripped, duplicates and the empty
  tactic dropped. Several states are decoded in one batch (`generate` takes a list).
* `AutomationGenerator` -- no model: a fixed list of automation tactics tried at every
  state (``aesop``, ``omega``, ``simp_all``...), the baseline every learned generator is
  measured against (ReProver's ``tidy`` baseline) and a prover of easy sorries itself.

Precision is chosen per device, never assuming bf16 is fast: on a CPU without bf16
units bf16 matmuls run over 100x slower than fp32 (docs/proving.md, "Precision").
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, cast, runtime_checkable

from database.errors import ConfigError, LeanAgentError

from .precision import PrecisionChoice

if TYPE_CHECKING:
    import torch

#: ReProver's released generators (documented defaults for real use; download them once).
REPROVER_TACGEN = "kaiyuy/leandojo-lean4-tacgen-byt5-small"
REPROVER_RETRIEVER_TACGEN = "kaiyuy/leandojo-lean4-retriever-tacgen-byt5-small"

#: Tried at every state by the model-free generator, in this order. Tactics a project
#: lacks (``aesop``, ``norm_num``, ``linarith`` need Mathlib) fail fast as parse errors.
DEFAULT_AUTOMATION = ("rfl", "simp", "simp_all", "omega", "decide", "aesop", "norm_num", "linarith", "trivial",
                      "assumption")

PRECISIONS = ("fp32", "bf16")


class GeneratorError(LeanAgentError):
    """The tactic generator cannot be loaded or configured."""


@dataclass(frozen=True)
class Candidate:
    tactic: str
    logprob: float


@dataclass(frozen=True)
class GenerationRequest:
    """One state to generate for: its text and retrieved premises (serialised, best
    first; empty when the generator does not use premises)."""

    state: str
    premises: tuple[str, ...] = ()


@runtime_checkable
class TacticGenerator(Protocol):
    name: str  # recorded with every proof attempt
    uses_premises: bool  # whether the prover should retrieve premises for it

    def generate(self, requests: Sequence[GenerationRequest]) -> list[list[Candidate]]:
        """For each request, its distinct candidates, best (highest log-probability) first."""


# -- precision ----------------------------------------------------------------------------------


def resolve_device(device: str) -> str:
    if device != "auto":
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def resolve_precision(requested: str | None, device: str, *, home: str | None = None) -> PrecisionChoice:
    """The precision to run on ``device``: the one asked for, measured (``auto``), or the
    device's default (None).

    ``auto`` is the rule retrieval uses (`prover.precision.resolve_precision`): the device
    is measured once and bf16 chosen only where it is faster and agrees with fp32; the
    verdict is cached in the leanagent home ``home`` under the device's identity, so the
    generator and the retriever share one measurement per machine. Default (None): bf16
    on a CUDA device that supports it, fp32 everywhere else -- a CPU's bf16 speed depends
    on units (AVX512-BF16, AMX) many CPUs lack, where it is two orders of magnitude slower."""
    if requested is not None:
        if requested == "auto":
            from database.home import Home

            from .precision import resolve_precision as measured

            return measured("auto", device, home=Home(Path(home)) if home is not None else None)
        if requested not in PRECISIONS:
            raise ConfigError(f"unknown precision '{requested}': choose one of auto, {', '.join(PRECISIONS)}")
        return PrecisionChoice(requested, "requested", requested=requested, device=device)
    if device.startswith("cuda"):
        import torch

        if torch.cuda.is_bf16_supported():
            return PrecisionChoice("bf16", f"default on {device}: the GPU supports bf16", requested="default",
                                   device=device)
        return PrecisionChoice("fp32", f"default on {device}: the GPU does not support bf16", requested="default",
                               device=device)
    return PrecisionChoice("fp32", f"default on {device}: bf16 is not assumed fast on a CPU", requested="default",
                           device=device)


# -- prompt -----------------------------------------------------------------------------------------


def strip_marks(text: str) -> str:
    """Remove the ``<a>``/``</a>`` premise marks a retrieval-augmented model emits."""
    return text.replace("<a>", "").replace("</a>", "")


def build_input(state: str, premises: Sequence[str], *, budget: int,
                layout: Literal["state-first", "premises-first"] = "state-first") -> tuple[str, int]:
    """The generator's input and how many premises it holds.

    The state is always whole (the byte budget is never taken out of the goal);
    premises are taken best first while they fit ``budget`` bytes in total, a premise
    too long for the room left is skipped for the next one (as ReProver does).
    ``state-first`` puts the state first and the premises after it; ``premises-first``
    is ReProver's layout (premises in front, the best next to the state), which its
    retriever-tacgen checkpoint was trained on."""
    sep = "\n\n"
    used = len(state.encode())
    chosen: list[str] = []
    for premise in premises:
        cost = len(premise.encode()) + len(sep)
        if used + cost > budget:
            continue
        chosen.append(premise)
        used += cost
    if layout == "premises-first":
        return "".join(p + sep for p in reversed(chosen)) + state, len(chosen)
    return state + "".join(sep + p for p in chosen), len(chosen)


def dedupe(candidates: Sequence[tuple[str, float]]) -> list[Candidate]:
    """Marks stripped, empty tactics dropped, one candidate per distinct tactic (its best
    score), best first; ties keep the generator's order."""
    best: dict[str, float] = {}
    order: list[str] = []
    for text, score in candidates:
        tactic = strip_marks(text).strip()
        if not tactic:
            continue
        if tactic not in best:
            best[tactic] = score
            order.append(tactic)
        elif score > best[tactic]:
            best[tactic] = score
    ranked = sorted(range(len(order)), key=lambda i: (-best[order[i]], i))
    return [Candidate(order[i], best[order[i]]) for i in ranked]


# -- configs -------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class GeneratorConfig:
    """A learned generator. ``model`` is a local directory (``save_pretrained`` layout)."""

    model: str
    kind: Literal["auto", "seq2seq", "causal"] = "auto"
    num_candidates: int = 8  # ReProver searched with 64 beams (a GPU budget)
    decoding: Literal["beam", "sample"] = "beam"
    temperature: float = 1.0  # sampling only
    max_input_bytes: int = 2300
    max_input_tokens: int = 2300  # tokenizer truncation: a last resort for states over the budget
    max_new_tokens: int = 128
    length_penalty: float = 0.0
    prompt_layout: Literal["state-first", "premises-first"] = "state-first"
    #: Causal LMs only: how the input becomes a prompt; the tactic is what follows.
    causal_template: str = "{input}\n[PROOFSTEP]\n"
    num_premises: int = 10  # retrieved per state (0: no retrieval)
    batch_size: int = 8  # states decoded together, at most
    #: ... and at most this many (padded) input tokens per batch: short states batch well
    #: (per-call overhead dominates), long retrieval-augmented inputs are compute-bound
    #: and pay for padding, so they go in smaller batches (benchmarks/search.py).
    max_batch_tokens: int = 4096
    device: str = "auto"
    precision: str | None = None  # auto / fp32 / bf16; None: the device's default (`resolve_precision`)
    #: The leanagent home where ``auto``'s per-device measurement is cached (None: measured, not kept).
    home: str | None = None
    seed: int = 3407
    name: str | None = None  # how results name it; default "hf:<directory name>"

    def __post_init__(self) -> None:
        if self.num_candidates < 1:
            raise ConfigError("num_candidates must be >= 1")
        if self.max_input_bytes < 1 or self.max_input_tokens < 1 or self.max_new_tokens < 1:
            raise ConfigError("input and output lengths must be >= 1")
        if self.num_premises < 0 or self.batch_size < 1 or self.max_batch_tokens < 1:
            raise ConfigError("num_premises must be >= 0, batch_size and max_batch_tokens >= 1")
        if self.decoding not in ("beam", "sample"):
            raise ConfigError(f"unknown decoding '{self.decoding}': use beam or sample")
        if self.kind not in ("auto", "seq2seq", "causal"):
            raise ConfigError(f"unknown generator kind '{self.kind}': use auto, seq2seq or causal")
        if self.prompt_layout not in ("state-first", "premises-first"):
            raise ConfigError(f"unknown prompt layout '{self.prompt_layout}'")
        if "{input}" not in self.causal_template:
            raise ConfigError("causal_template must contain {input}")
        if self.precision is not None and self.precision not in (*PRECISIONS, "auto"):
            raise ConfigError(f"unknown precision '{self.precision}': choose one of {', '.join(PRECISIONS)}")

    @property
    def display_name(self) -> str:
        return self.name or f"hf:{Path(self.model).name or self.model}"


@dataclass(frozen=True, kw_only=True)
class AutomationConfig:
    tactics: tuple[str, ...] = DEFAULT_AUTOMATION
    name: str = "automation"

    def __post_init__(self) -> None:
        if not any(t.strip() for t in self.tactics):
            raise ConfigError("the automation generator needs at least one tactic")


def load_generator(config: GeneratorConfig | AutomationConfig) -> TacticGenerator:
    if isinstance(config, AutomationConfig):
        return AutomationGenerator(config)
    return HFTacticGenerator(config)


# -- the model-free generator ------------------------------------------------------------------------------


class AutomationGenerator:
    """The same automation tactics at every state, all equally likely (log-probability
    ``-log k`` each), so best-first search orders states by depth."""

    uses_premises = False

    def __init__(self, config: AutomationConfig | None = None) -> None:
        self.config = config or AutomationConfig()
        self.name = self.config.name
        tactics = [t.strip() for t in self.config.tactics if t.strip()]
        score = -math.log(len(tactics))
        self._candidates = dedupe([(t, score) for t in tactics])

    def generate(self, requests: Sequence[GenerationRequest]) -> list[list[Candidate]]:
        return [list(self._candidates) for _ in requests]


# -- the learned generator -------------------------------------------------------------------------------


@dataclass
class GeneratorStats:
    calls: int = 0
    states: int = 0
    seconds: float = 0.0
    truncated_inputs: int = 0  # inputs over max_input_tokens (the state alone exceeded the budget)
    premises_in_inputs: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


class HFTacticGenerator:
    """A Hugging Face model from a local directory, on one device, in one precision."""

    def __init__(self, config: GeneratorConfig) -> None:
        import torch
        from transformers import AutoConfig, AutoModelForCausalLM, AutoModelForSeq2SeqLM, AutoTokenizer

        self.config = config
        self.name = config.display_name
        self.uses_premises = config.num_premises > 0
        path = Path(config.model).expanduser()
        if not (path / "config.json").is_file():
            raise GeneratorError(
                f"the tactic generator '{config.model}' is not a local model directory (no config.json). Download "
                f"one once, e.g. `huggingface-cli download {REPROVER_TACGEN} --local-dir DIR` "
                f"(or {REPROVER_RETRIEVER_TACGEN} with --prompt-layout premises-first), and pass --generator DIR; "
                "or use --generator automation (no model)")
        self.device = resolve_device(config.device)
        self.precision = resolve_precision(config.precision, self.device, home=config.home)
        dtype = torch.bfloat16 if self.precision.name == "bf16" else torch.float32
        try:
            hf_config = AutoConfig.from_pretrained(path, local_files_only=True)
            self.tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
            seq2seq = bool(getattr(hf_config, "is_encoder_decoder", False))
            if config.kind != "auto":
                seq2seq = config.kind == "seq2seq"
            loader = AutoModelForSeq2SeqLM if seq2seq else AutoModelForCausalLM
            model = loader.from_pretrained(path, local_files_only=True, dtype=dtype)
        except (OSError, ValueError) as exc:
            raise GeneratorError(f"cannot load the tactic generator from {path}: {exc}") from exc
        self.seq2seq = seq2seq
        # Any: transformers types generate() and its helpers for its own mixins only.
        self.model: Any = cast(Any, model)
        self.model.to(self.device)
        self.model.eval()
        if not seq2seq:
            self.tokenizer.padding_side = "left"
            if self.tokenizer.pad_token_id is None:
                self.tokenizer.pad_token = self.tokenizer.eos_token
        self.stats = GeneratorStats()
        self._generator = torch.Generator(device="cpu").manual_seed(config.seed)

    def inputs(self, requests: Sequence[GenerationRequest]) -> list[str]:
        out = []
        for r in requests:
            text, used = build_input(r.state, r.premises, budget=self.config.max_input_bytes,
                                     layout=self.config.prompt_layout)
            self.stats.premises_in_inputs += used
            out.append(text if self.seq2seq else self.config.causal_template.format(input=text))
        return out

    def generate(self, requests: Sequence[GenerationRequest]) -> list[list[Candidate]]:
        """Candidates for each request, in order. Inputs are grouped by length and decoded
        in batches of at most ``batch_size`` states and ``max_batch_tokens`` padded input
        tokens, so that a batch pads (and attends over) little."""
        cfg = self.config
        texts = self.inputs(requests)
        full_lengths = [len(ids) for ids in self.tokenizer(texts)["input_ids"]]
        self.stats.truncated_inputs += sum(n > cfg.max_input_tokens for n in full_lengths)
        lengths = [min(n, cfg.max_input_tokens) for n in full_lengths]
        order = sorted(range(len(texts)), key=lambda i: lengths[i])
        out: list[list[Candidate]] = [[] for _ in texts]
        batch: list[int] = []
        for k in [*order, None]:
            full = k is None or len(batch) >= cfg.batch_size or (
                batch and (len(batch) + 1) * max(lengths[k], lengths[batch[-1]]) > cfg.max_batch_tokens)
            if full and batch:
                for j, cands in zip(batch, self._generate_batch([texts[j] for j in batch]), strict=True):
                    out[j] = cands
                batch = []
            if k is not None:
                batch.append(k)
        return out

    def _generate_batch(self, texts: Sequence[str]) -> list[list[Candidate]]:
        import torch

        start = time.monotonic()
        cfg = self.config
        enc = self.tokenizer(list(texts), return_tensors="pt", padding=True, truncation=True,
                             max_length=cfg.max_input_tokens)
        enc = {k: v.to(self.device) for k, v in enc.items()}
        n = cfg.num_candidates
        kwargs: dict[str, Any] = {"max_new_tokens": cfg.max_new_tokens, "num_return_sequences": n,
                                  "output_scores": True, "return_dict_in_generate": True,
                                  "pad_token_id": self.tokenizer.pad_token_id}
        if cfg.decoding == "beam":
            kwargs.update(num_beams=n, do_sample=False, length_penalty=cfg.length_penalty, early_stopping=True)
        else:
            kwargs.update(do_sample=True, num_beams=1, temperature=cfg.temperature, top_k=0)
        seed = int(torch.randint(0, 2**31 - 1, (1,), generator=self._generator))
        # Sampling draws from torch's global generator: seed it inside a forked RNG state
        # so that results are reproducible and nothing outside is disturbed.
        with torch.random.fork_rng(devices=[]), torch.inference_mode():
            torch.manual_seed(seed)
            result = self.model.generate(**enc, **kwargs)
        sequences = result.sequences
        prompt_len = 0 if self.seq2seq else enc["input_ids"].shape[1]
        generated = sequences[:, prompt_len:]
        if cfg.decoding == "beam":
            scores = result.sequences_scores.float().tolist()
        else:
            steps = self.model.compute_transition_scores(sequences, result.scores, normalize_logits=True)
            tokens = generated[:, -steps.shape[1]:]
            mask = tokens != self.tokenizer.pad_token_id
            scores = (steps.float().masked_fill(~mask, 0.0)).sum(dim=1).tolist()
        decoded = self.tokenizer.batch_decode(generated, skip_special_tokens=True)
        out = []
        for k in range(len(texts)):
            pairs = [(decoded[k * n + j], float(scores[k * n + j])) for j in range(n)]
            out.append(dedupe(pairs))
        self.stats.calls += 1
        self.stats.states += len(texts)
        self.stats.seconds += time.monotonic() - start
        return out


def model_dtype(generator: HFTacticGenerator) -> torch.dtype:
    """The dtype the generator's weights are in (what `resolve_precision` chose)."""
    dtype: torch.dtype = next(generator.model.parameters()).dtype
    return dtype
