"""The bf16-vs-fp32 probe (prover.precision): measured, cheap, and honest about its verdict."""

from __future__ import annotations

import time

import pytest

from prover.precision import PrecisionProbe, probe_matmul, time_best


def _probe(fp32: float, bf16: float | None) -> PrecisionProbe:
    return PrecisionProbe("matmul 8x8", "cpu", "test", fp32, bf16, 3, "x", bf16_error=None if bf16 else "no kernel")


def test_verdict_follows_the_measured_times():
    assert _probe(0.010, 0.002).faster == "bf16" and _probe(0.010, 0.002).bf16_speedup == pytest.approx(5.0)
    assert _probe(0.001, 0.100).faster == "fp32" and _probe(0.001, 0.100).bf16_speedup == pytest.approx(0.01)
    unavailable = _probe(0.001, None)
    assert unavailable.faster == "fp32" and unavailable.bf16_speedup is None and "unavailable" in unavailable.summary()
    assert unavailable.as_dict()["faster"] == "fp32"


def test_time_best_takes_the_minimum_and_honours_the_budget():
    delays = iter([0.0, 0.03, 0.01, 0.02] + [0.02] * 100)
    best, runs = time_best(lambda: time.sleep(next(delays)), budget=0.05, min_repeats=3)
    assert 0.009 <= best < 0.02 and runs >= 3


def test_probe_on_this_cpu_is_cheap_and_measured():
    pytest.importorskip("torch")
    started = time.perf_counter()
    p = probe_matmul("cpu", size=128, budget=0.05)
    assert time.perf_counter() - started < 5  # < 1 s on a quiet machine; generous under load
    assert p.device == "cpu" and p.fp32_seconds > 0 and p.repeats >= 3
    assert p.bf16_seconds is None or p.bf16_seconds > 0
    assert p.faster in ("bf16", "fp32")
