"""The proof report: a static site (`write_report`) and a live dashboard (`Dashboard`)
that show whatever the database holds -- repositories in curriculum order, theorems and
`sorry`s, the lifelong accuracy matrix and metrics, training curves, proof search.

Both use one renderer (`render.Renderer`) over one data layer (`data.ReportData`), so a
page looks the same from ``file://`` and from the server. Nothing here writes to the
database: the dashboard opens it read-only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .assets import ReportError
    from .server import Dashboard
    from .site import ReportSummary, write_report

__all__ = ["Dashboard", "ReportError", "ReportSummary", "write_report"]


def __getattr__(name: str) -> object:
    # Lazy, so that `import leanagent.report` costs nothing until a report is made.
    if name == "write_report" or name == "ReportSummary":
        from . import site

        return getattr(site, name)
    if name == "Dashboard":
        from .server import Dashboard

        return Dashboard
    if name == "ReportError":
        from .assets import ReportError

        return ReportError
    raise AttributeError(name)
