"""The records file between the tracing worker and leanagent: one JSON object per line.

The worker (a child process with lean_dojo imported) writes a ``header`` line, the
records in ingest order, and an ``end`` line with the counts; the parent reads it back
into `database.records` and writes them in one `Store.ingest` transaction. A file without
its ``end`` line was cut short (the worker was killed) and is refused as a whole.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import IO, Any

import orjson

from database.errors import InputError
from database.records import (
    DeclarationSorries,
    Diagnostic,
    FileRecord,
    LinkRecord,
    PremiseRecord,
    SorryRecord,
    StepRecord,
    TheoremRecord,
)

FORMAT = "leanagent-leandojo-records/1"

_KIND = {FileRecord: "file", TheoremRecord: "theorem", DeclarationSorries: "sorries", Diagnostic: "diagnostic"}


class RecordWriter:
    def __init__(self, fh: IO[bytes], header: dict[str, Any]) -> None:
        self.fh = fh
        self.counts: dict[str, int] = {k: 0 for k in _KIND.values()}
        self._line({"t": "header", "format": FORMAT, **header})

    def _line(self, obj: dict[str, Any]) -> None:
        self.fh.write(orjson.dumps(obj) + b"\n")

    def write(self, rec: Any) -> None:
        kind = _KIND[type(rec)]
        self.counts[kind] += 1
        self._line({"t": kind, **asdict(rec)})

    def close(self) -> None:
        self._line({"t": "end", "counts": self.counts})
        self.fh.flush()


def _pos(v: Any) -> tuple[int, int]:
    return (int(v[0]), int(v[1]))


def _opt_pos(v: Any) -> tuple[int, int] | None:
    return None if v is None else _pos(v)


def _link(d: dict[str, Any]) -> LinkRecord:
    return LinkRecord(d["full_name"], d["def_path"], _pos(d["def_pos"]), _opt_pos(d["def_end_pos"]), d["resolution"])


def _sorry(d: dict[str, Any]) -> SorryRecord:
    return SorryRecord(d["line"], d["col"], d["context"])


def decode(obj: dict[str, Any]) -> Any:
    kind = obj.pop("t")
    if kind == "file":
        return FileRecord(
            path=obj["path"], imports=list(obj["imports"]),
            premises=[PremiseRecord(p["full_name"], p["code"], p["kind"], _pos(p["start"]), _pos(p["end"]))
                      for p in obj["premises"]],
            content_hash=obj["content_hash"], num_lines=obj.get("num_lines"),
        )
    if kind == "theorem":
        return TheoremRecord(
            file_path=obj["file_path"], full_name=obj["full_name"], start=_pos(obj["start"]), end=_pos(obj["end"]),
            statement=obj.get("statement"), kind=obj.get("kind", "theorem"), proof_style=obj.get("proof_style"),
            steps=[StepRecord(tactic=s["tactic"], annotated_tactic=s.get("annotated_tactic"),
                              state_before=s.get("state_before"), state_after=s.get("state_after"),
                              links=[_link(x) for x in s.get("links", [])], start=_opt_pos(s.get("start")),
                              structure=s.get("structure")) for s in obj["steps"]],
            num_steps=obj.get("num_steps", 0),
            links=[_link(x) for x in obj.get("links", [])],
            sorries=[_sorry(x) for x in obj.get("sorries", [])],
            sorry_checked=obj.get("sorry_checked", "source"),
            status=obj.get("status"),
        )
    if kind == "sorries":
        return DeclarationSorries(obj["file_path"], obj["full_name"], obj["kind"], _pos(obj["start"]),
                                  [_sorry(x) for x in obj["sorries"]])
    if kind == "diagnostic":
        return Diagnostic(obj.get("file_path"), obj.get("line"), obj["message"], obj.get("severity", "warning"))
    raise ValueError(f"unknown record type {kind!r}")


def read_header(path: Path) -> dict[str, Any]:
    with path.open("rb") as fh:
        first = fh.readline()
    try:
        header = orjson.loads(first)
    except orjson.JSONDecodeError as exc:
        raise InputError(f"not a records file ({exc})", file=str(path), record="line 1") from exc
    if not isinstance(header, dict) or header.get("t") != "header" or header.get("format") != FORMAT:
        raise InputError(f"not a {FORMAT} file", file=str(path), record="line 1")
    return header


def check_complete(path: Path) -> dict[str, int]:
    """The counts of the ``end`` line; `InputError` when the file was cut short."""
    with path.open("rb") as fh:
        fh.seek(0, 2)
        size = fh.tell()
        fh.seek(max(0, size - 4096))
        tail = fh.read().splitlines()
    last = tail[-1] if tail else b""
    try:
        obj = orjson.loads(last)
    except orjson.JSONDecodeError:
        obj = None
    if not isinstance(obj, dict) or obj.get("t") != "end":
        raise InputError("the tracing worker stopped before finishing its records (no end line); "
                         "nothing was imported: run the add again", file=str(path))
    return dict(obj["counts"])


def read_records(path: Path) -> Iterator[Any]:
    """The records of a complete file, in order (header and end lines excluded)."""
    with path.open("rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            if lineno == 1:
                continue
            try:
                obj = orjson.loads(raw)
                if obj.get("t") == "end":
                    return
                yield decode(obj)
            except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError) as exc:
                raise InputError(f"malformed record ({type(exc).__name__}: {exc})", file=str(path),
                                 record=f"line {lineno}") from exc


__all__ = ["FORMAT", "RecordWriter", "check_complete", "decode", "read_header", "read_records"]
