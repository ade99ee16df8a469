"""The tracing worker: ``python -m leanagent.tracing.leandojo.worker SPEC.json``.

Runs in a child process that leanagent started with lean-dojo's environment already set
(`prover.lean.leandojo_support.leandojo_environment`), so that importing lean_dojo here
touches nothing of the parent: not its loguru handlers, not its memory (a traced Mathlib
is tens of GB), not its terminal (lake's and Lean's output go to the log the parent
keeps). It traces one local git repository, converts the `TracedRepo` to records
(`convert`) and writes them to the records file named in the spec (`wire`), via a
temporary file renamed at the end, so that a killed worker never leaves a records file
that looks complete.

Exit status: 0 done; 2 bad spec; 3 lean-dojo failed (the last stderr line says why).
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from pathlib import Path
from typing import Any

#: Printed (on stderr) before the failure's one-line summary; the parent looks for it.
FAILURE_MARK = "leanagent-leandojo-worker: FAILED: "
DONE_MARK = "leanagent-leandojo-worker: done"


def run(spec: dict[str, Any]) -> None:
    import lean_dojo

    from .convert import ConvertConfig, convert_traced_repo
    from .wire import RecordWriter

    repo = lean_dojo.LeanGitRepo(spec["repo_path"], spec["commit"])
    build_deps = bool(spec.get("build_deps", True))
    traced = lean_dojo.trace(repo, build_deps=build_deps)
    cache_path = lean_dojo.get_traced_repo_path(repo, build_deps)
    version = str(lean_dojo.__version__)
    config = ConvertConfig(leandojo_version=version,
                           include_core_theorems=bool(spec.get("include_core_theorems", False)))
    out = Path(spec["records"])
    tmp = out.with_name(out.name + ".partial")
    with tmp.open("wb") as fh:
        writer = RecordWriter(fh, {
            "leandojo_version": version,
            "lean_version": getattr(repo, "lean_version", None),
            "traced_repo_path": str(cache_path),
            "build_deps": build_deps,
            "traced_files": len(traced.traced_files),
        })
        for rec in convert_traced_repo(traced, config):
            writer.write(rec)
        writer.close()
        fh.flush()
        os.fsync(fh.fileno())
    tmp.replace(out)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(f"{FAILURE_MARK}usage: python -m leanagent.tracing.leandojo.worker SPEC.json", file=sys.stderr)
        return 2
    try:
        spec = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        print(f"{FAILURE_MARK}cannot read the spec {argv[0]}: {exc}", file=sys.stderr)
        return 2
    try:
        run(spec)
    except BaseException as exc:  # everything ends in the log, summarised on the last line
        # The traceback is for the log file only (the parent appends it there), never for
        # the error shown to the user: they get lean-dojo's own output and the summary.
        trace_file = spec.get("traceback")
        if trace_file:
            with open(trace_file, "w", encoding="utf-8") as fh:
                traceback.print_exc(file=fh)
        else:
            traceback.print_exc(file=sys.stderr)
        summary = f"{type(exc).__name__}: {exc}".replace("\n", " ").strip()
        print(f"{FAILURE_MARK}{summary[:2000]}", file=sys.stderr, flush=True)
        return 3
    print(DONE_MARK, file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
