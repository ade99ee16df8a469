"""The one renderer of the report's pages, used by the static site and the live dashboard.

Templates are Jinja2 with autoescaping on for every template: a string from Lean sources
or the database is always HTML-escaped in markup. Data for the browser (tables, figure
specs) goes into ``<script type="application/json">`` blocks through `json_for_script`,
which escapes ``<``, ``>``, ``&`` and the JavaScript line separators, so that no stored
string can close the block (``</script>``) or open markup; ``app.js`` reads those blocks
with ``JSON.parse`` and writes cells with ``textContent`` only.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from markupsafe import Markup

from .data import ReportData

#: Files under ``static/`` that every page may reference (``assets/NAME``).
ASSETS = ("app.js", "style.css")
PLOTLY_ASSET = "plotly.min.js"

_ESCAPES = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026", 0x2028: "\\u2028", 0x2029: "\\u2029"}
_REPO = re.compile(r"^repo-(\d+)\.html$")
_RUN = re.compile(r"^run-(\d+)\.html$")


def json_for_script(obj: Any) -> Markup:
    """JSON safe inside a ``<script type="application/json">`` element. Non-finite
    floats (a sorry theorem's difficulty is infinite) become null, as JSON has no inf."""
    text = orjson.dumps(obj, default=_default, option=orjson.OPT_SERIALIZE_NUMPY).decode()
    return Markup(text.translate(_ESCAPES))


def _default(obj: Any) -> Any:
    if hasattr(obj, "__dict__"):
        return {k: v for k, v in vars(obj).items() if not k.startswith("_")}
    return str(obj)


def _fmt(value: Any, digits: int = 2) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        if not math.isfinite(value):
            return "∞" if value > 0 else ("-∞" if value < 0 else "—")
        return f"{value:,.{digits}f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def _environment() -> Any:
    from jinja2 import Environment, PackageLoader, StrictUndefined

    env = Environment(loader=PackageLoader("leanagent.report", "templates"), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["jsonscript"] = json_for_script
    env.filters["fmt"] = _fmt
    return env


@dataclass(frozen=True)
class PageMode:
    """How a page is delivered: ``live`` pages poll ``api/version`` every ``refresh``
    seconds and update themselves when the database changed."""

    live: bool = False
    refresh: float = 5.0
    #: Where the data came from (the database path), shown in the footer.
    source: str = ""
    #: The database version the page was rendered at (live pages compare it with api/version).
    version: str = ""


class Renderer:
    def __init__(self) -> None:
        self.env = _environment()

    def render(self, data: ReportData, path: str, mode: PageMode) -> str | None:
        """The HTML of the page at ``path`` (e.g. ``index.html``, ``repo-3.html``), or
        None when there is no such page."""
        page = self._page(data, path)
        if page is None:
            return None
        template, title, context = page
        generated = datetime.now(UTC).isoformat(timespec="seconds")
        return str(self.env.get_template(template).render(
            title=title, path=path, nav=data.nav(), mode=mode, generated=generated,
            schema_note=data.schema_note(), plotly=f"assets/{PLOTLY_ASSET}", **context))

    def _page(self, data: ReportData, path: str) -> tuple[str, str, dict[str, Any]] | None:
        if path in ("", "index.html"):
            return "overview.html", "Overview", {"o": data.overview()}
        if path == "lifelong.html":
            lv = data.lifelong(data.focus_id())
            return "lifelong.html", "Lifelong learning", {"lv": lv}
        if path == "training.html":
            return "training.html", "Training", {"tr": data.training()}
        if path == "search.html":
            return "search.html", "Proof search", {"ps": data.search()}
        m = _REPO.match(path)
        if m:
            repo = data.repo(int(m.group(1)))
            if repo is None:
                return None
            return "repo.html", f"Repository {data.label(repo.id)}", {"rp": data.repository(repo)}
        m = _RUN.match(path)
        if m:
            run_id = int(m.group(1))
            if run_id == data.focus_id() or all(r["id"] != run_id for r in data.runs()):
                return None
            return "lifelong.html", "Lifelong learning", {"lv": data.lifelong(run_id)}
        return None
