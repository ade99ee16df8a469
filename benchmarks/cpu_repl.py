#!/usr/bin/env python3
"""The tests' scripted fake Lean REPL (tests/fake_repl.py) with its per-tactic ``sleep``
turned into busy CPU work: a CPU-bound stand-in for Lean, for benchmarks/parallel.py."""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import fake_repl  # type: ignore[import-not-found, unused-ignore]


def burn(seconds: float) -> None:
    """Spend `seconds` of this process's CPU time (not wall time: a loaded machine makes
    it take longer, as it would make Lean take longer)."""
    end = time.process_time() + seconds
    x = 0
    while time.process_time() < end:
        for i in range(10_000):
            x ^= i * i


class _Time:
    sleep = staticmethod(burn)

    def __getattr__(self, name: str) -> object:
        return getattr(time, name)


fake_repl.time = _Time()  # type: ignore[assignment, unused-ignore]

if __name__ == "__main__":
    fake_repl.main()
