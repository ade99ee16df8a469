#!/usr/bin/env python3
"""A stand-in for the Lean REPL process (test double; tests only).

It reads requests the way the REPL does (lines up to a blank line, joined; an empty
request or malformed JSON prints ``uncaught exception: …`` on stderr and exits 1) and
answers in one of two modes, chosen per launch by a scenario file::

    fake_repl.py --scenario scenario.json

    {"counter": "/tmp/x/launches",            # incremented at every start
     "launches": [ {launch}, {launch}, … ]}   # launch i; the last one repeats

* ``{"mode": "replay", "transcript": "proof_step", "skip": 0, "die_at": 3,
  "exit_code": 137, "hang_at": null, "fixtures": DIR}`` replays a recorded
  transcript of shared/fixtures/lean-repl: request k must equal (as JSON) the k-th
  recorded request, and the k-th recorded response is written back byte for byte.
  ``skip`` drops the first recorded exchanges (the process starts as if they had
  happened); ``die_at`` exits with ``exit_code`` on receiving that request (137 is what
  an out-of-memory kill looks like through ``lake``); ``hang_at`` never answers it;
  ``grow_at`` allocates (and touches) ``grow_mb`` MiB on receiving that request and
  keeps it, as a REPL whose environments pile up does.
  A request that differs from the recording makes the fake exit 3 saying so.
* ``{"mode": "script", "theorems": {NAME: GOAL}, "tactics": {GOAL: {TACTIC: RESULT}}}``
  answers from rules, in the REPL's response format, for tests that drive whole proof
  searches: RESULT is ``{"goals": [...]}``, ``{"finished": true}`` or ``{"error": TEXT}``;
  an unknown tactic is a Lean parse error. ``"header_errors": [TEXT]`` makes commands
  containing TEXT fail.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sys
import time
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent.parent / "shared" / "fixtures" / "lean-repl"


def _blocks(raw: str) -> list[str]:
    return [b for b in re.split(r"\n[ \t]*\n", raw) if b.strip()]


def _parse_request(block: str) -> object:
    # The REPL joins the lines of a request without their newlines.
    return json.loads("".join(block.splitlines()))


def _read_request() -> str | None:
    lines: list[str] = []
    while True:
        line = sys.stdin.readline()
        if line == "":
            return None if not lines else "".join(lines)
        if line.strip() == "":
            return "".join(lines)
        lines.append(line.rstrip("\n"))


def _uncaught(message: str) -> None:
    sys.stderr.write(f"uncaught exception: {message}\n")
    sys.stderr.flush()
    sys.exit(1)


def _emit(text: str) -> None:
    sys.stdout.write(text.rstrip("\n") + "\n\n")
    sys.stdout.flush()


def _launch(scenario: dict) -> dict:
    counter = Path(scenario["counter"])
    n = int(counter.read_text()) if counter.exists() else 0
    counter.write_text(str(n + 1))
    launches = scenario["launches"]
    return launches[min(n, len(launches) - 1)]


def replay(spec: dict) -> None:
    root = Path(spec.get("fixtures") or FIXTURES)
    name = spec["transcript"]
    requests = [_parse_request(b) for b in _blocks((root / f"{name}.in").read_text(encoding="utf-8"))]
    responses = _blocks((root / f"{name}.expected.out").read_text(encoding="utf-8"))
    k = int(spec.get("skip", 0))
    ballast: list[bytearray] = []
    while True:
        raw = _read_request()
        if raw is None:
            return
        if not raw.strip():
            _uncaught("expected a JSON command, got an empty request")
        try:
            got = json.loads(raw)
        except json.JSONDecodeError as exc:
            _uncaught(f"invalid JSON: {exc}")
        if spec.get("die_at") == k:
            if spec.get("signal") == "KILL":
                os.kill(os.getpid(), signal.SIGKILL)
            sys.stderr.write(spec.get("stderr", "INTERNAL PANIC: out of memory\n"))
            sys.stderr.flush()
            os._exit(int(spec.get("exit_code", 137)))
        if spec.get("hang_at") == k:
            time.sleep(3600)
        if spec.get("grow_at") == k:
            ballast.append(bytearray(b"\x01" * (int(spec.get("grow_mb", 100)) << 20)))
        if k >= len(requests):
            sys.stderr.write(f"fake REPL: no recorded request {k} in {name}\n")
            sys.exit(3)
        if got != requests[k]:
            sys.stderr.write(f"fake REPL: request {k} differs from {name}: got {json.dumps(got)}, "
                             f"recorded {json.dumps(requests[k])}\n")
            sys.exit(3)
        _emit(responses[k])
        k += 1


def _pos(text: str, offset: int) -> dict:
    before = text[:offset]
    return {"line": before.count("\n") + 1, "column": offset - (before.rfind("\n") + 1)}


def script(spec: dict) -> None:
    env = 0
    states: dict[int, str] = {}
    next_ps = 0
    theorems: dict[str, str] = spec.get("theorems", {})
    tactics: dict[str, dict] = spec.get("tactics", {})
    while True:
        raw = _read_request()
        if raw is None:
            return
        if not raw.strip():
            _uncaught("expected a JSON command, got an empty request")
        try:
            req = json.loads(raw)
        except json.JSONDecodeError as exc:
            _uncaught(f"invalid JSON: {exc}")
        if "cmd" in req:
            cmd = req["cmd"]
            if "env" in req and req["env"] >= env:
                _emit(json.dumps({"message": "Unknown environment."}))
                continue
            if "env" in req and re.search(r"^\s*import ", cmd, re.M):
                _emit(json.dumps({"messages": [{"severity": "error", "pos": {"line": 1, "column": 0},
                                                "endPos": None, "data": "invalid 'import' command"}], "env": env}))
                env += 1
                continue
            bad = [t for t in spec.get("header_errors", []) if t in cmd]
            out: dict = {}
            if bad:
                out["messages"] = [{"severity": "error", "pos": {"line": 1, "column": 0},
                                    "endPos": {"line": 1, "column": 1}, "data": f"unknown identifier '{bad[0]}'"}]
            name = next((n for n in theorems if re.search(r"\b(theorem|lemma)\s+" + re.escape(n.split(".")[-1])
                                                          + r"\b", cmd)), None)
            if name is not None and "sorry" in cmd and not bad:
                at = cmd.rfind("sorry")
                out["sorries"] = [{"proofState": next_ps, "pos": _pos(cmd, at), "goal": theorems[name],
                                   "endPos": _pos(cmd, at + 5)}]
                states[next_ps] = theorems[name]
                next_ps += 1
                out["messages"] = [{"severity": "warning", "pos": {"line": 1, "column": 8},
                                    "endPos": {"line": 1, "column": 9}, "data": "declaration uses `sorry`"}]
            out["env"] = env
            env += 1
            _emit(json.dumps(out, indent=1, ensure_ascii=False))
            continue
        ps = req.get("proofState")
        if ps not in states:
            _emit(json.dumps({"message": "Unknown proof state."}))
            continue
        rule = tactics.get(states[ps], {}).get(req.get("tactic", "").strip())
        if rule is None:
            _emit(json.dumps({"message": "Lean error:\n<input>:1:0: unknown tactic"}))
            continue
        if rule.get("sleep"):
            time.sleep(float(rule["sleep"]))
        if "error" in rule:
            out = {"proofStatus": "Incomplete: contains sorry", "proofState": next_ps,
                   "messages": [{"severity": "error", "pos": {"line": 0, "column": 0},
                                 "endPos": {"line": 0, "column": 0}, "data": rule["error"]}], "goals": []}
        elif rule.get("finished"):
            out = {"proofStatus": "Completed", "proofState": next_ps, "goals": []}
        else:
            goals = list(rule["goals"])
            out = {"proofStatus": "Incomplete: open goals remain", "proofState": next_ps, "goals": goals}
            states[next_ps] = "\n\n".join(goals)
        next_ps += 1
        _emit(json.dumps(out, indent=1, ensure_ascii=False))


def main() -> None:
    args = sys.argv[1:]
    if len(args) != 2 or args[0] != "--scenario":
        sys.stderr.write("usage: fake_repl.py --scenario FILE\n")
        sys.exit(2)
    scenario = json.loads(Path(args[1]).read_text())
    spec = _launch(scenario)
    if spec.get("stderr_at_start"):
        sys.stderr.write(spec["stderr_at_start"])
        sys.stderr.flush()
        sys.exit(int(spec.get("exit_code", 1)))
    (replay if spec.get("mode", "replay") == "replay" else script)(spec)


if __name__ == "__main__":
    main()
