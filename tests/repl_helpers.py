"""Helpers for tests that run the fake REPL process (tests/fake_repl.py)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from prover.lean.interface import TheoremRef

FAKE_REPL = Path(__file__).with_name("fake_repl.py")
TRANSCRIPTS = Path(__file__).resolve().parent.parent.parent / "shared" / "fixtures" / "lean-repl"


def scenario(directory: Path, *launches: dict) -> tuple[str, ...]:
    """The command that starts the fake REPL with these launches (one per process start)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "scenario.json"
    path.write_text(json.dumps({"counter": str(directory / "launches"), "launches": list(launches)}))
    return (sys.executable, str(FAKE_REPL), "--scenario", str(path))


def launches(directory: Path) -> int:
    counter = directory / "launches"
    return int(counter.read_text()) if counter.exists() else 0


def lean_file(project: Path, relative: str, text: str) -> Path:
    path = project / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def theorem_ref(project: Path, relative: str, text: str, keyword_line: int, statement: str,
                name: str = "t") -> TheoremRef:
    """A TheoremRef for the declaration starting at column 1 of ``keyword_line`` and
    ending at the end of the file's text (trailing newlines excluded)."""
    lines = text.rstrip("\n").split("\n")
    end = (len(lines), len(lines[-1]) + 1)
    return TheoremRef(project=project, file=relative, full_name=name, statement=statement,
                      start=(keyword_line, 1), end=end)
