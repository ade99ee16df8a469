"""The report's static files: its own script and style sheet, and Plotly's JavaScript
bundle taken from the installed ``plotly`` package (so pages need no network)."""

from __future__ import annotations

from functools import cache
from importlib import resources

from database.errors import LeanAgentError

from .render import ASSETS, PLOTLY_ASSET


class ReportError(LeanAgentError):
    """A report or dashboard cannot be produced (missing dependency, bad output directory, port in use)."""


@cache
def asset_bytes(name: str) -> bytes:
    """The bytes of ``assets/NAME``; `ReportError` for an unknown name or a missing plotly."""
    if name == PLOTLY_ASSET:
        try:
            from plotly.offline import get_plotlyjs
        except ImportError as exc:
            raise ReportError(
                "the report needs plotly for its plots: pip install 'leanagent[report]' "
                "(or bash scripts/install.sh)") from exc
        return str(get_plotlyjs()).encode("utf-8")
    if name not in ASSETS:
        raise ReportError(f"no report asset named {name!r}")
    return (resources.files("leanagent.report") / "static" / name).read_bytes()


def all_assets() -> tuple[str, ...]:
    return (*ASSETS, PLOTLY_ASSET)
