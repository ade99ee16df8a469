"""Plotly figure specifications (plain ``{"data": [...], "layout": {...}}`` dicts, the
schema of plotly.js) for the report's plots.

Plotly renders trace names, axis labels, tick labels, annotations and hover text as its
own small HTML dialect (``<b>``, ``<br>``, ``<a href>``...) and decodes HTML entities.
Strings from Lean sources or the database must therefore reach it entity-escaped, so
that ``<script>`` shows as text instead of being interpreted or silently dropped.
`figure` does that for every string of a spec except the hover templates, which are
written here and never contain data.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any, cast

#: Keys whose string values are plotly templates authored in this module.
_TEMPLATE_KEYS = frozenset({"hovertemplate", "texttemplate"})

STATUS_COLORS = {"proved": "#2e7d32", "failed": "#c62828", "error": "#ef6c00"}
BASELINE_COLORS = {"model": "#1565c0", "pre": "#90caf9", "bm25": "#8e24aa", "locality": "#6d4c41",
                   "untrained": "#9e9e9e"}


def _escape(obj: Any, key: str | None = None) -> Any:
    if isinstance(obj, str):
        return obj if key in _TEMPLATE_KEYS else html.escape(obj, quote=False)
    if isinstance(obj, dict):
        return {k: _escape(v, k) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_escape(v, key) for v in obj]
    return obj


def _ticks(labels: Sequence[str], limit: int = 28) -> dict[str, Any]:
    """Category tick labels shortened for the axis; hover text keeps the full label."""
    short = [label if len(label) <= limit else label[: limit - 1] + "…" for label in labels]
    return {"tickmode": "array", "tickvals": list(labels), "ticktext": short}


def figure(data: list[dict[str, Any]], layout: dict[str, Any]) -> dict[str, Any]:
    """A figure spec with every data string entity-escaped (see the module docstring)."""
    base = {"margin": {"l": 60, "r": 20, "t": 30, "b": 60}, "height": 360,
            "font": {"family": "system-ui, sans-serif", "size": 12},
            "legend": {"orientation": "h", "y": -0.25}, "hoverlabel": {"namelength": -1}}
    return cast(dict[str, Any], _escape({"data": data, "layout": {**base, **layout}}))


def heatmap(labels: Sequence[str], R: Sequence[Sequence[float | None]]) -> dict[str, Any]:
    """The accuracy matrix: row i (after step i) by column j (repository j), lower
    triangle only."""
    T = len(labels)
    z = [[(row[j] if j < len(row) else None) for j in range(T)] for row in R]
    rows = [f"after {label}" for label in labels]
    return figure(
        [{"type": "heatmap", "z": z, "x": list(labels), "y": rows, "colorscale": "Viridis",
          "colorbar": {"title": {"text": "R@10 %"}}, "hoverongaps": False, "texttemplate": "%{z:.1f}",
          "hovertemplate": "%{y}<br>on %{x}<br>test R@10 %{z:.2f}<extra></extra>"}],
        {"yaxis": {"autorange": "reversed", "automargin": True, **_ticks(rows, 36)},
         "xaxis": {"automargin": True, "tickangle": -30, **_ticks(labels)},
         "height": max(320, 60 + 34 * T)},
    )


def lines(x: Sequence[str], series: Mapping[str, Sequence[float | None]], *, y_title: str,
          x_title: str = "step") -> dict[str, Any]:
    data = [{"type": "scatter", "mode": "lines+markers", "name": name, "x": list(x), "y": list(ys),
             "hovertemplate": "%{x}<br>%{y:.2f}<extra>%{fullData.name}</extra>"}
            for name, ys in series.items()]
    return figure(data, {"yaxis": {"title": {"text": y_title}},
                         "xaxis": {"title": {"text": x_title}, "automargin": True, **_ticks(x)}})


def grouped_bars(x: Sequence[str], series: Mapping[str, Sequence[float | None]], *, y_title: str,
                 colors: dict[str, str] | None = None, stacked: bool = False,
                 horizontal: bool = False) -> dict[str, Any]:
    data = []
    for name, ys in series.items():
        trace: dict[str, Any] = {"type": "bar", "name": name}
        if horizontal:
            trace.update(orientation="h", y=list(x), x=list(ys),
                         hovertemplate="%{y}: %{x}<extra>%{fullData.name}</extra>")
        else:
            trace.update(x=list(x), y=list(ys), hovertemplate="%{x}: %{y}<extra>%{fullData.name}</extra>")
        if colors and name in colors:
            trace["marker"] = {"color": colors[name]}
        data.append(trace)
    value_axis = {"title": {"text": y_title}}
    cat_axis = {"automargin": True, "type": "category", **_ticks(x, 36 if horizontal else 28)}
    layout: dict[str, Any] = {"barmode": "stack" if stacked else "group"}
    if horizontal:
        layout.update(xaxis=value_axis, yaxis={**cat_axis, "autorange": "reversed"},
                      height=max(240, 80 + 28 * len(x)))
    else:
        layout.update(yaxis=value_axis, xaxis={**cat_axis, "tickangle": -30})
    return figure(data, layout)


def time_and_throughput(labels: Sequence[str], seconds: Sequence[float | None],
                        rates: Sequence[float | None], rate_name: str) -> dict[str, Any]:
    """Training time per checkpoint (left axis) beside its throughput (right axis)."""
    data = [
        {"type": "bar", "name": "seconds", "x": list(labels), "y": list(seconds), "offsetgroup": "time",
         "marker": {"color": "#90a4ae"}, "hovertemplate": "%{x}: %{y:.1f} s<extra></extra>"},
        {"type": "bar", "name": rate_name, "x": list(labels), "y": list(rates), "yaxis": "y2", "offsetgroup": "rate",
         "marker": {"color": "#1565c0"}, "hovertemplate": "%{x}: %{y:.3f}<extra>%{fullData.name}</extra>"},
    ]
    return figure(data, {"barmode": "group", "yaxis": {"title": {"text": "seconds"}},
                         "yaxis2": {"title": {"text": rate_name}, "overlaying": "y", "side": "right"},
                         "xaxis": {"automargin": True, "type": "category", "tickangle": -30, **_ticks(labels)},
                         "margin": {"l": 60, "r": 70, "t": 30, "b": 60}})


def loss_curves(curves: list[dict[str, Any]]) -> dict[str, Any]:
    """One line per checkpoint: ``{"name", "steps", "losses", "visible"}``."""
    data = [{"type": "scatter", "mode": "lines", "name": c["name"], "x": c["steps"], "y": c["losses"],
             "visible": True if c.get("visible", True) else "legendonly",
             "hovertemplate": "step %{x}<br>loss %{y:.4f}<extra>%{fullData.name}</extra>"} for c in curves]
    return figure(data, {"xaxis": {"title": {"text": "optimiser step"}},
                         "yaxis": {"title": {"text": "training loss (InfoNCE)"}}, "height": 400})


def attempts_scatter(groups: dict[str, dict[str, list[Any]]]) -> dict[str, Any]:
    """Time against nodes expanded, one trace per status; ``text`` is the theorem name."""
    data = [{"type": "scatter", "mode": "markers", "name": status, "x": g["nodes"], "y": g["seconds"],
             "text": g["text"], "marker": {"color": STATUS_COLORS.get(status, "#607d8b"), "size": 7,
                                           "opacity": 0.75},
             "hovertemplate": "%{text}<br>%{x} nodes, %{y:.2f} s<extra>%{fullData.name}</extra>"}
            for status, g in groups.items()]
    return figure(data, {"xaxis": {"title": {"text": "nodes expanded"}},
                         "yaxis": {"title": {"text": "seconds"}}})
