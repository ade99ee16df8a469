"""Running the tracing worker as a child process, and what its failures mean.

The child gets lean-dojo's environment, its own working and scratch directories under
the leanagent home, and a new session (process group), so that lake, Lean and Ray
processes it starts end with it: on success, on failure, on Ctrl-C. Its stdout and stderr
go, line by line, to a log file that is kept (``HOME/leandojo/logs/``) and to Python
logging (visible with ``leanagent -v``); a failure raises `LeanDojoTraceError` with the
log's last lines and a hint for the failures LeanDojo users meet most (no toolchain, the
extractor not compiling with the project's Lean, GitHub unreachable, out of memory).
"""

from __future__ import annotations

import collections
import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from database.errors import LeanDojoTraceError
from prover.lean.leandojo_support import LeanDojoSettings, leandojo_environment

from .worker import DONE_MARK, FAILURE_MARK

log = logging.getLogger("leanagent.leandojo")

#: Lines of the log quoted in an error message.
TAIL_LINES = 40


@dataclass(frozen=True)
class TraceJob:
    repo_path: Path  # a local git checkout
    commit: str
    records: Path  # where the worker writes its records
    log_path: Path
    workdir: Path  # the worker's cwd and lean-dojo's TMP_DIR (removed afterwards by the caller)
    settings: LeanDojoSettings
    build_deps: bool = True
    timeout: float | None = None  # seconds; None = as long as it takes (Mathlib: hours)
    python: str = sys.executable


def _hint(tail: str, returncode: int | None) -> str:
    low = tail.lower()
    if returncode is not None and returncode in (-signal.SIGKILL, 137):
        return ("the worker was killed (SIGKILL), most likely out of memory: LeanDojo needs tens of GB to "
                "trace large projects (lean-dojo/LeanDojo#124); lower NUM_PROCS, or trace on a bigger machine")
    if "lake: not found" in low or "lake: command not found" in low or "exit status 127" in low:
        return ("`lake` was not found while tracing: install elan (https://github.com/leanprover/elan) so that the "
                "project's toolchain provides lake and lean")
    if "extractdata.lean" in low and ("error" in low or "panic" in low):
        return ("lean-dojo's ExtractData.lean does not work with this project's Lean version (LeanDojo breaks on "
                "new Lean versions: lean-dojo/LeanDojo#215, #235, #247); use `--tracer static`, another "
                "lean-dojo release, or a commit with an older lean-toolchain")
    if "api.github.com" in low or "rate limit" in low or "connectionerror" in low or "urlerror" in low \
            or "name resolution" in low:
        return ("lean-dojo could not reach GitHub: even for local repositories it resolves the Lean toolchain "
                "tag through the GitHub API (lean_dojo.data_extraction.lean.get_lean4_commit_from_config); "
                "tracing needs access to api.github.com (a GITHUB_ACCESS_TOKEN raises the rate limit)")
    if "lake build" in low and "returned non-zero" in low:
        return "the project does not build with `lake build`: fix the build first (see the log)"
    return "see the log for lean-dojo's own messages"


def _summary(tail_lines: list[str]) -> str:
    for line in reversed(tail_lines):
        if line.startswith(FAILURE_MARK):
            return line[len(FAILURE_MARK):]
    return ""


def _terminate(proc: subprocess.Popen[bytes], grace: float = 10.0) -> None:
    """End the worker and everything it started (its process group, and any descendant
    that left the group, found before the kill)."""
    try:
        import psutil

        descendants = psutil.Process(proc.pid).children(recursive=True)
    except Exception:  # psutil missing, or the process already gone
        descendants = []
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, sig)
        for d in descendants:
            with contextlib.suppress(Exception):
                d.send_signal(sig)
        try:
            proc.wait(timeout=grace)
            break
        except subprocess.TimeoutExpired:
            continue
    # One deadline for all of them, and an exited one counts even while it is a zombie:
    # an orphan is reaped by PID 1, which some init processes do late (this VM's), and
    # psutil's wait on a non-child waits for the reaping, up to ``grace`` per descendant.
    deadline = time.monotonic() + grace
    for d in descendants:
        while time.monotonic() < deadline and _still_running(d):
            time.sleep(0.05)


def _still_running(p: Any) -> bool:
    """Whether a psutil process is alive and not a zombie."""
    try:
        import psutil

        return bool(p.is_running()) and p.status() != psutil.STATUS_ZOMBIE
    except Exception:  # gone (NoSuchProcess), or not ours to look at
        return False


def run_worker(job: TraceJob) -> None:
    """Run the worker to completion; raise `LeanDojoTraceError` if it fails."""
    job.workdir.mkdir(parents=True, exist_ok=True)
    job.log_path.parent.mkdir(parents=True, exist_ok=True)
    job.settings.cache_dir.mkdir(parents=True, exist_ok=True)
    job.settings.tmp_dir.mkdir(parents=True, exist_ok=True)
    spec = job.workdir / "spec.json"
    trace_file = job.workdir / "traceback.txt"
    spec.write_text(json.dumps({
        "repo_path": str(job.repo_path), "commit": job.commit, "records": str(job.records),
        "build_deps": job.build_deps, "traceback": str(trace_file),
    }), encoding="utf-8")
    env = leandojo_environment(job.settings)
    # The worker imports leanagent's own modules from wherever this process found them.
    root = str(Path(__file__).resolve().parents[3])
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["PYTHONUNBUFFERED"] = "1"
    tail: collections.deque[str] = collections.deque(maxlen=TAIL_LINES)
    started = time.monotonic()
    with job.log_path.open("a", encoding="utf-8") as logf:
        logf.write(f"# leanagent: tracing {job.repo_path} @ {job.commit} with lean-dojo\n")
        logf.flush()
        proc = subprocess.Popen(
            [job.python, "-m", "leanagent.tracing.leandojo.worker", str(spec)],
            cwd=job.workdir, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        timed_out = False
        try:
            assert proc.stdout is not None
            for raw in proc.stdout:
                line = raw.decode("utf-8", errors="replace").rstrip("\n")
                logf.write(line + "\n")
                logf.flush()
                # tqdm redraws with carriage returns: keep the last state of the line.
                tail.append(line.rsplit("\r", 1)[-1])
                log.info("%s", line)
                if job.timeout is not None and time.monotonic() - started > job.timeout:
                    timed_out = True
                    break
            if timed_out:
                _terminate(proc)
            returncode = proc.wait()
        except BaseException:
            _terminate(proc)
            raise
        finally:
            # Anything the worker started and left behind (Ray, lake) goes with it.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            if trace_file.is_file():
                logf.write("# leanagent: the worker's Python traceback\n" + trace_file.read_text(encoding="utf-8"))
    lines = list(tail)
    if returncode == 0 and lines and lines[-1] == DONE_MARK and job.records.is_file():
        return
    why = _summary(lines) or (f"timed out after {job.timeout:.0f}s" if timed_out else f"exit status {returncode}")
    text = "\n".join(line for line in lines if not line.startswith((FAILURE_MARK, DONE_MARK)))
    why = why.rstrip(".")
    hint = _hint(f"{text}\n{why}", returncode)
    raise LeanDojoTraceError(
        f"lean-dojo could not trace {job.repo_path} at {job.commit[:12]}: {why}.\n"
        f"Hint: {hint}.\n"
        f"Last lines of lean-dojo's log (whole log: {job.log_path}):\n{text}",
        log_tail=text, log_path=job.log_path, returncode=returncode,
    )


__all__ = ["TAIL_LINES", "LeanDojoTraceError", "TraceJob", "run_worker"]
