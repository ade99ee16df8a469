"""Measuring which floating-point precision is fast on a device.

Whether bf16 pays off depends on the hardware, not on the code: a CPU with AVX512-BF16 or
AMX runs bf16 matmuls faster than fp32, one with only AVX2 (AMD Zen 3, for instance) runs
them emulated and two orders of magnitude slower, and a CUDA device before compute
capability 8.0 has no bf16 tensor cores. So leanagent never assumes: it measures, and
records what it measured next to what it chose (docs/architecture.md, "Precision").

This module holds the probes. `probe_matmul` is the cheap one (well under a second): the
same square matmul timed in fp32 and in bf16 on one device. Further probes (a forward
pass of the actual encoder, a cosine check of bf16 embeddings against fp32 ones, a cache
of the verdict in the leanagent home) build on `PrecisionProbe` and `time_best`.

torch is imported inside the functions: importing this module costs nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

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
              sync: Callable[[], None] | None = None) -> tuple[float, int]:
    """Best wall time of `fn` (after one warm-up call) and the number of timed runs: runs
    until `budget` seconds are spent, at least `min_repeats` times. The minimum, not the
    mean, because on a shared machine noise only ever adds time."""
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


__all__ = ["DEFAULT_BUDGET", "DEFAULT_SIZE", "PrecisionProbe", "probe_matmul", "time_best"]
