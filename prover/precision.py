"""Measuring which floating-point precision is fast on a device.

Whether bf16 pays off depends on the hardware, not on the code: a CPU with AVX512-BF16 or
AMX runs bf16 matmuls faster than fp32, one with only AVX2 (AMD Zen 3, for instance) runs
them emulated and two orders of magnitude slower, and a CUDA device before compute
capability 8.0 has no bf16 tensor cores. So leanagent never assumes: it measures, and
records what it measured next to what it chose (docs/architecture.md, "Precision").

This module holds the probes. `probe_matmul` is the cheap one (well under a second): the
same square matmul timed in fp32 and in bf16 on one device. `probe_encoder` times a real
encoder pass both ways and measures how far bf16 embeddings drift from fp32 ones
(cosine). `resolve_precision` turns a requested precision (``auto``, ``fp32``, ``bf16``)
into the one to use: ``auto`` runs both probes once per device and keeps the verdict in
the leanagent home (`PrecisionCache`, keyed by `device_identity`), so every later command
on the same hardware reuses it, and a different machine measures afresh. The rule
(`decide`): bf16 only where the encoder pass is faster in bf16 by `MIN_SPEEDUP` and its
embeddings keep cosine >= `MIN_COSINE` to fp32. Retrieval training, encoding and the
tactic generator all take their precision from here; what was chosen (`PrecisionChoice`)
is recorded with every checkpoint and evaluation.

torch is imported inside the functions: importing this module costs nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from database.errors import ConfigError

#: Default matrix side. Large enough that a bf16 kernel's speed shows (on an AVX2-only
#: CPU one 256x256 bf16 matmul already takes tens of milliseconds), small enough that the
#: whole probe stays well under a second on the slowest machine we have seen.
DEFAULT_SIZE = 256
#: Wall-clock budget per precision, seconds (at least `MIN_REPEATS` runs are timed).
DEFAULT_BUDGET = 0.15
MIN_REPEATS = 3


@dataclass(frozen=True)
class PrecisionProbe:
    """One measurement: the same work timed in fp32 and in bf16 on `device`.

    ``bf16_seconds`` is None when bf16 cannot run there at all (``bf16_error`` says why).
    Times are the best of ``repeats`` runs, in seconds per run.
    """

    probe: str  # what was timed, e.g. "matmul 256x256"
    device: str  # "cpu", "cuda:0", ...
    device_name: str
    fp32_seconds: float
    bf16_seconds: float | None
    repeats: int
    torch_version: str
    cpu_capability: str | None = None  # torch.backends.cpu.get_cpu_capability(), e.g. "AVX2"
    bf16_error: str | None = None

    @property
    def bf16_speedup(self) -> float | None:
        """fp32 time / bf16 time: above 1 means bf16 is faster here."""
        if self.bf16_seconds is None or self.bf16_seconds <= 0:
            return None
        return self.fp32_seconds / self.bf16_seconds

    @property
    def faster(self) -> str:
        """The precision that ran faster: "bf16" or "fp32" (fp32 when bf16 cannot run)."""
        speedup = self.bf16_speedup
        return "bf16" if speedup is not None and speedup > 1.0 else "fp32"

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["bf16_speedup"] = self.bf16_speedup
        d["faster"] = self.faster
        return d

    def summary(self) -> str:
        if self.bf16_seconds is None:
            return f"{self.probe} on {self.device}: bf16 unavailable ({self.bf16_error}); fp32 it is"
        return (
            f"{self.probe} on {self.device}: fp32 {self.fp32_seconds * 1e3:.2f} ms, "
            f"bf16 {self.bf16_seconds * 1e3:.2f} ms -> {self.faster} is faster "
            f"({self.bf16_speedup:.2f}x bf16 speedup)"
        )


def time_best(fn: Callable[[], Any], *, budget: float = DEFAULT_BUDGET, min_repeats: int = MIN_REPEATS,
              sync: Callable[[], None] | None = None, warmup: bool = True) -> tuple[float, int]:
    """Best wall time of `fn` (after one warm-up call, unless the caller made it) and the
    number of timed runs: runs until `budget` seconds are spent, at least `min_repeats`
    times. The minimum, not the mean, because on a shared machine noise only ever adds time."""
    if warmup:
        fn()
        if sync is not None:
            sync()
    best = float("inf")
    runs = 0
    started = time.perf_counter()
    while runs < min_repeats or time.perf_counter() - started < budget:
        t0 = time.perf_counter()
        fn()
        if sync is not None:
            sync()
        best = min(best, time.perf_counter() - t0)
        runs += 1
    return best, runs


def probe_matmul(device: str = "cpu", *, size: int = DEFAULT_SIZE, budget: float = DEFAULT_BUDGET,
                 seed: int = 0) -> PrecisionProbe:
    """Time a `size` x `size` matmul in fp32 and in bf16 on `device` (no autocast: the
    operands themselves are bf16, as under autocast's matmul policy)."""
    import torch

    dev = torch.device(device)
    gen = torch.Generator(device="cpu").manual_seed(seed)
    a = torch.randn(size, size, generator=gen).to(dev)
    b = torch.randn(size, size, generator=gen).to(dev)
    sync = torch.cuda.synchronize if dev.type == "cuda" else None
    if dev.type == "cuda":
        name = torch.cuda.get_device_name(dev)
    else:
        import platform

        name = platform.processor() or platform.machine()
    capability = None
    if dev.type == "cpu":
        try:
            capability = str(torch.backends.cpu.get_cpu_capability())
        except (AttributeError, RuntimeError):  # older torch builds
            capability = None
    with torch.inference_mode():
        fp32, runs32 = time_best(lambda: a @ b, budget=budget, sync=sync)
        bf16: float | None
        error = None
        runs16 = 0
        try:
            a16, b16 = a.to(torch.bfloat16), b.to(torch.bfloat16)
            bf16, runs16 = time_best(lambda: a16 @ b16, budget=budget, sync=sync)
        except (RuntimeError, TypeError) as exc:  # a device/dtype without a bf16 kernel
            bf16, error = None, f"{type(exc).__name__}: {exc}"
    return PrecisionProbe(
        probe=f"matmul {size}x{size}",
        device=str(dev),
        device_name=name,
        fp32_seconds=fp32,
        bf16_seconds=bf16,
        repeats=min(runs32, runs16) if bf16 is not None else runs32,
        torch_version=torch.__version__,
        cpu_capability=capability,
        bf16_error=error,
    )


# -- the encoder probe, the rule and the cache -----------------------------------------------

#: What ``--precision`` accepts; ``auto`` measures (see `resolve_precision`).
PRECISIONS = ("auto", "fp32", "bf16")
#: bf16 embeddings must keep at least this cosine to fp32 ones on the probe texts.
MIN_COSINE = 0.999
#: ... and the bf16 encoder pass must be this much faster than fp32: within a few percent
#: the two are a tie on a shared machine, and a tie goes to the exact precision.
MIN_SPEEDUP = 1.1
#: Bumped when the probes or the rule change, so that cached verdicts are measured again.
RULE_VERSION = 1
CACHE_FILE = "precision.json"

#: Texts of the encoder probe: a goal state, statements and premises of the lengths
#: retrieval sees (16 texts, 20-400 characters).
PROBE_TEXTS: tuple[str, ...] = tuple(
    t * k
    for t in (
        "theorem add_comm (a b : Nat) : a + b = b + a",
        "x y : Nat\nh : x ≤ y\n⊢ x + 0 ≤ y + 0",
        "lemma Finset.sum_le_sum {s : Finset ι} (h : ∀ i ∈ s, f i ≤ g i) : s.sum f ≤ s.sum g",
        "def Comp.prob' (f : Comp s α) (o : Oracle) : Prob α := (f.prob fun _ ↦ o)",
    )
    for k in (1, 2, 3, 5)
)


@dataclass(frozen=True)
class EncoderProbe:
    """An encoder pass over `PROBE_TEXTS`, timed in fp32 and under bf16 autocast, with the
    smallest cosine between a text's two embeddings."""

    model: str
    texts: int
    fp32_seconds: float
    bf16_seconds: float | None
    min_cosine: float | None
    repeats: int
    bf16_error: str | None = None

    @property
    def bf16_speedup(self) -> float | None:
        if self.bf16_seconds is None or self.bf16_seconds <= 0:
            return None
        return self.fp32_seconds / self.bf16_seconds

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["bf16_speedup"] = self.bf16_speedup
        return d


#: ``encode(texts, bf16) -> [N, D]`` unit vectors (numpy); what `probe_encoder` times.
EncodeFn = Callable[[Sequence[str], bool], Any]


#: A first bf16 pass this many times slower than fp32's best ends the encoder probe's
#: bf16 timing: no repeat could bring it within `MIN_SPEEDUP` (on a CPU that emulates
#: bf16 one pass takes seconds; timing several was most of the probe's cost).
HOPELESS_SLOWDOWN = 3.0


def probe_encoder(encode: EncodeFn, *, model: str, texts: Sequence[str] = PROBE_TEXTS,
                  budget: float = DEFAULT_BUDGET, sync: Callable[[], None] | None = None) -> EncoderProbe:
    """Time ``encode`` over ``texts`` in fp32 and in bf16 (best of runs within ``budget``
    each, the first call of each the warm-up whose output is compared), and compare the
    embeddings. A bf16 first pass `HOPELESS_SLOWDOWN` times slower than fp32 is not
    repeated: its time (an upper bound of the best) is reported, ``repeats`` 1."""
    import numpy as np

    texts = list(texts)

    def timed(bf16: bool) -> tuple[Any, float]:
        t0 = time.perf_counter()
        out = encode(texts, bf16)
        if sync is not None:
            sync()
        return np.asarray(out, dtype=np.float64), time.perf_counter() - t0

    fp32_out, _ = timed(False)
    fp32, runs32 = time_best(lambda: encode(texts, False), budget=budget, min_repeats=2, sync=sync, warmup=False)
    try:
        bf16_out, first16 = timed(True)
        if first16 > HOPELESS_SLOWDOWN * fp32:
            bf16, runs16 = first16, 1
        else:
            bf16, runs16 = time_best(lambda: encode(texts, True), budget=budget, min_repeats=2, sync=sync,
                                     warmup=False)
    except (RuntimeError, TypeError) as exc:  # no bf16 kernel for some op on this device
        return EncoderProbe(model, len(texts), fp32, None, None, runs32, f"{type(exc).__name__}: {exc}")
    norms = np.linalg.norm(fp32_out, axis=1) * np.linalg.norm(bf16_out, axis=1)
    cosine = float(((fp32_out * bf16_out).sum(1) / np.maximum(norms, 1e-12)).min())
    return EncoderProbe(model, len(texts), fp32, bf16, cosine, min(runs32, runs16))


def decide(matmul: PrecisionProbe | None, encoder: EncoderProbe | None) -> tuple[str, str]:
    """(precision, reason) by the rule: bf16 only where the encoder pass is at least
    `MIN_SPEEDUP` times faster in bf16 and keeps cosine >= `MIN_COSINE` to fp32. The
    matmul probe is reported alongside; the encoder pass, being the real workload, decides."""
    mm = f"; matmul bf16 speedup {matmul.bf16_speedup:.2f}x" if matmul and matmul.bf16_speedup else ""
    if encoder is None or encoder.bf16_seconds is None:
        why = encoder.bf16_error if encoder is not None else "no encoder pass measured"
        return "fp32", f"bf16 cannot run the encoder here ({why}){mm}"
    speedup = encoder.bf16_speedup or 0.0
    cosine = encoder.min_cosine if encoder.min_cosine is not None else 0.0
    if speedup < MIN_SPEEDUP:
        return "fp32", f"encoder pass bf16 speedup {speedup:.2f}x < {MIN_SPEEDUP}x{mm}"
    if cosine < MIN_COSINE:
        return "fp32", f"bf16 embeddings drift from fp32 (cosine {cosine:.5f} < {MIN_COSINE}){mm}"
    return "bf16", f"encoder pass bf16 speedup {speedup:.2f}x, cosine to fp32 {cosine:.5f}{mm}"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _cpu_flags() -> list[str]:
    """The CPU flags that decide bf16 speed (Linux; empty elsewhere)."""
    wanted = {"avx2", "avx512f", "avx512_bf16", "amx_bf16", "amx_tile", "avx512_fp16", "avx_vnni"}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                return sorted(wanted.intersection(line.split(":", 1)[1].split()))
    except OSError:
        pass
    return []


def device_identity(device: str) -> dict[str, Any]:
    """What identifies the hardware a verdict holds for: the device kind, its model name,
    the CPU's bf16-relevant flags or the GPU's compute capability, and torch's version
    (kernels change between releases). Thread counts are left out: they change speed,
    not which precision is faster."""
    import torch

    dev = torch.device(device)
    ident: dict[str, Any] = {"type": dev.type, "torch": torch.__version__}
    if dev.type == "cuda":
        index = dev.index if dev.index is not None else torch.cuda.current_device()
        ident["name"] = torch.cuda.get_device_name(index)
        ident["capability"] = list(torch.cuda.get_device_capability(index))
    elif dev.type == "cpu":
        ident["name"] = _cpu_model()
        ident["flags"] = _cpu_flags()
        try:
            ident["capability"] = str(torch.backends.cpu.get_cpu_capability())
        except (AttributeError, RuntimeError):
            ident["capability"] = None
    else:
        ident["name"] = str(dev)
    return ident


def device_key(identity: dict[str, Any]) -> str:
    """A short stable key for a device identity."""
    blob = json.dumps({**identity, "rule": RULE_VERSION}, sort_keys=True).encode()
    return f"{identity.get('type', '?')}-{hashlib.sha256(blob).hexdigest()[:16]}"


@dataclass(frozen=True)
class PrecisionChoice:
    """The precision a command runs at, and why; recorded with checkpoints and
    evaluations. ``name`` is "fp32" or "bf16"; ``requested`` what the user asked for."""

    name: str
    reason: str
    requested: str = "auto"
    device: str = "cpu"
    device_key: str | None = None
    measured: dict[str, Any] | None = field(default=None, compare=False)
    cached: bool = False

    @property
    def bf16(self) -> bool:
        return self.name == "bf16"

    def as_dict(self) -> dict[str, Any]:
        """The record stored with results (the probes' figures included for ``auto``)."""
        return {"precision": self.name, "requested": self.requested, "device": self.device, "reason": self.reason,
                "device_key": self.device_key, "cached": self.cached, "measured": self.measured}


class PrecisionCache:
    """Verdicts per device in ``HOME/precision.json``: ``{device_key: {identity, precision,
    reason, matmul, encoder, measured_at}}``. Written whole to a temporary file and renamed,
    so a crash never leaves it half-written; an unreadable file is measured over."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def get(self, key: str) -> dict[str, Any] | None:
        entry = self.read().get(key)
        return entry if isinstance(entry, dict) and entry.get("precision") in ("fp32", "bf16") else None

    def put(self, key: str, entry: dict[str, Any]) -> None:
        data = self.read()
        data[key] = entry
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data, indent=1, sort_keys=True))
        os.replace(tmp, self.path)


def _default_encode(device: str) -> tuple[EncodeFn, str]:
    """The packaged default encoder as the probe's workload (imported lazily)."""
    from prover.retrieval.model import DEFAULT_MODEL, Encoder

    enc = Encoder.load(DEFAULT_MODEL, max_length=128, device=device)

    def encode(texts: Sequence[str], bf16: bool) -> Any:
        return enc.encode(list(texts), batch_size=len(texts), bf16=bf16)

    return encode, DEFAULT_MODEL


def measure(device: str, *, encode: EncodeFn | None = None, model: str | None = None,
            budget: float = DEFAULT_BUDGET) -> tuple[str, str, dict[str, Any]]:
    """Run both probes on ``device``; (precision, reason, the probes' figures)."""
    matmul = probe_matmul(device, budget=budget)
    if encode is None:
        encode, model = _default_encode(device)
    import torch

    sync = torch.cuda.synchronize if device.startswith("cuda") else None
    enc = probe_encoder(encode, model=model or "?", budget=budget, sync=sync)
    name, reason = decide(matmul, enc)
    return name, reason, {"matmul": matmul.as_dict(), "encoder": enc.as_dict()}


def resolve_precision(
    requested: str | None, device: str, *, home: Any = None, cache_path: Path | None = None,
    encode: EncodeFn | None = None, model: str | None = None,
    measure_fn: Callable[..., tuple[str, str, dict[str, Any]]] | None = None,
) -> PrecisionChoice:
    """The precision to run on ``device`` (a resolved device such as "cpu" or "cuda:0").

    ``fp32`` and ``bf16`` are taken as asked. ``auto`` (and None) measures the device once
    (`measure`: the matmul probe and an encoder pass, by default the packaged encoder's, or
    ``encode``) and applies `decide`; the verdict is cached in ``home`` (a `Home`, or
    ``cache_path``) under the device's identity, and read back by every later call on the
    same hardware. Without a home the measurement is made and not kept."""
    req = "auto" if requested is None else requested
    if req not in PRECISIONS:
        raise ConfigError(f"unknown precision '{req}': choose one of {', '.join(PRECISIONS)} (--precision)")
    if req != "auto":
        return PrecisionChoice(req, "requested", requested=req, device=device)
    ident = device_identity(device)
    key = device_key(ident)
    path = cache_path if cache_path is not None else (Path(home.root) / CACHE_FILE if home is not None else None)
    cache = PrecisionCache(path) if path is not None else None
    hit = cache.get(key) if cache is not None else None
    if hit is not None:
        return PrecisionChoice(hit["precision"], hit["reason"], requested="auto", device=device, device_key=key,
                               measured={k: hit.get(k) for k in ("matmul", "encoder", "measured_at")}, cached=True)
    name, reason, figures = (measure_fn or measure)(device, encode=encode, model=model)
    figures = {**figures, "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    if cache is not None:
        cache.put(key, {"identity": ident, "precision": name, "reason": reason, **figures})
    return PrecisionChoice(name, reason, requested="auto", device=device, device_key=key, measured=figures)


__all__ = [
    "CACHE_FILE",
    "DEFAULT_BUDGET",
    "DEFAULT_SIZE",
    "MIN_COSINE",
    "MIN_SPEEDUP",
    "PRECISIONS",
    "EncoderProbe",
    "PrecisionCache",
    "PrecisionChoice",
    "PrecisionProbe",
    "decide",
    "device_identity",
    "device_key",
    "measure",
    "probe_encoder",
    "probe_matmul",
    "resolve_precision",
    "time_best",
]
