"""The static report: every page written to a directory, with its assets, so that
``DIR/index.html`` opens from ``file://`` with no network and no server.

Each file is written to a temporary name and renamed into place, so a report
interrupted half-way leaves every file either old or new, never truncated. A directory
that holds other files is refused unless an earlier report wrote it (marker file
`MARKER`); pages of repositories or runs no longer in the database are then removed.
"""

from __future__ import annotations

import os
import re
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from database.store import Store

from .assets import ReportError, all_assets, asset_bytes
from .data import ReportData
from .render import PageMode, Renderer

MARKER = ".leanagent-report"
_OURS = re.compile(r"^(index|lifelong|training|search|(repo|run)-\d+)\.html$")


@dataclass(frozen=True)
class ReportSummary:
    out: Path
    pages: list[str]
    bytes: int
    seconds: float
    run: str | None

    @property
    def index(self) -> Path:
        return self.out / "index.html"

    def as_json(self) -> dict[str, Any]:
        return {"index": str(self.index), "out": str(self.out), "pages": self.pages, "bytes": self.bytes,
                "seconds": round(self.seconds, 3), "run": self.run}


def _write(path: Path, payload: bytes) -> None:
    # open(), not mkstemp: the file gets the user's umask (mkstemp's files are 0600).
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.tmp")
    try:
        with open(tmp, "xb") as f:
            f.write(payload)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _prepare(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise ReportError(f"{out} exists and is not a directory: choose another --out")
    out.mkdir(parents=True, exist_ok=True)
    if not (out / MARKER).exists() and any(out.iterdir()):
        raise ReportError(
            f"{out} is not empty and was not written by `leanagent report`: choose an empty or new directory")


def write_report(store: Store, out: str | Path, *, run: str | None = None, window: int = 5) -> ReportSummary:
    """Write the static report of ``store`` to ``out``; ``run`` names the run the
    overview follows (default: the most recent). Every run gets its own page."""
    started = time.perf_counter()
    out = Path(out)
    data = ReportData(store, run_name=run, window=window)
    focus = data.focus_run()  # a missing --run fails here, before anything is written
    _prepare(out)
    (out / "assets").mkdir(exist_ok=True)
    renderer = Renderer()
    mode = PageMode(live=False, source=store.path)
    total = 0
    pages = data.page_paths()
    for name in all_assets():
        payload = asset_bytes(name)
        _write(out / "assets" / name, payload)
        total += len(payload)
    for page in pages:
        html = renderer.render(data, page, mode)
        if html is None:  # page_paths only lists pages that exist
            raise ReportError(f"internal error: no page {page}")
        payload = html.encode("utf-8")
        _write(out / page, payload)
        total += len(payload)
    keep = set(pages)
    for old in out.iterdir():
        if _OURS.match(old.name) and old.name not in keep:
            old.unlink()
    (out / MARKER).write_text("written by `leanagent report`; this directory may be overwritten by it\n")
    return ReportSummary(out, pages, total, time.perf_counter() - started, focus["name"] if focus else None)
