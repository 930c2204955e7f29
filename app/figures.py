"""Plotly figures built from engine results; pure functions, no Dash, no callbacks.

Figures are plain dicts in plotly.js's own format, not `plotly.graph_objects`: building and
validating those objects took 80 ms of the Slicer page's 200 ms at 10,000 accounts, on every
slider move. dcc.Graph draws the dicts the same.
"""
from __future__ import annotations

import html
import math

import pandas as pd
import plotly.io as pio

from engine.sensitivity import SensitivityPoint

from .formats import score_text

BASE_ARR = "#4c78a8"
HIGH_RISK_ARR = "#e45756"
ACCOUNTS = "#72b7b2"
AVERAGE = "#9a9a9a"
BALANCED = "#4c78a8"
CUSTOM = "#f58518"
RATIO = "#54a24b"
EMPTY_BAND = "rgba(150,150,150,0.18)"
TEMPLATES = {"light": pio.templates["plotly_white"].to_plotly_json(),
             "dark": pio.templates["plotly_dark"].to_plotly_json()}
TOP_ROW, BOTTOM_ROW = [0.54, 1.0], [0.0, 0.46]  # two stacked charts sharing the x axis


def themed(data: list[dict], layout: dict, theme: str | None, height: int) -> dict:
    """Light or dark template on a transparent background, so the card colour shows through."""
    return {"data": data, "layout": {
        "template": TEMPLATES["dark" if theme == "dark" else "light"],
        "paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "rgba(0,0,0,0)", "height": height,
        "margin": {"l": 10, "r": 10, "t": 60, "b": 10},
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.06, "x": 0, "traceorder": "normal"},
        **layout}}


def message_figure(text: str, theme: str | None, height: int = 320) -> dict:
    """An empty chart that says why it is empty, instead of a blank box or a zero."""
    note = {"text": text, "showarrow": False, "x": 0.5, "y": 0.5, "xref": "paper", "yref": "paper",
            "font": {"size": 14}}
    return themed([], {"annotations": [note], "xaxis": {"visible": False}, "yaxis": {"visible": False}},
                  theme, height)


def values(series) -> list:
    """A column as JSON numbers, gaps (NaN) as null."""
    return [None if value is None or (isinstance(value, float) and math.isnan(value)) else value
            for value in pd.Series(series).tolist()]


def as_chart_text(value):
    """Text from the data shown in a chart: plotly renders tags such as <a href> in labels and
    hovers, so a rep named `<a href=…>` would become a live link; escaped, it reads as written."""
    return html.escape(value, quote=False) if isinstance(value, str) else value


def bar(x, y, name: str, colour: str, hover: str, row: int = 1, **extra) -> dict:
    return {"type": "bar", "x": [as_chart_text(v) for v in values(x)], "y": values(y), "name": name,
            "marker": {"color": colour},
            "hovertemplate": hover, "xaxis": "x" if row == 1 else "x2", "yaxis": "y" if row == 1 else "y2",
            **extra}


def two_rows(titles: tuple[str, str]) -> dict:
    """The layout of two charts stacked over one shared x axis, with a title above each."""
    return {
        "xaxis": {"anchor": "y", "domain": [0, 1], "matches": "x2", "showticklabels": False},
        "xaxis2": {"anchor": "y2", "domain": [0, 1], "tickangle": -45, "automargin": True},
        "yaxis": {"anchor": "x", "domain": TOP_ROW, "tickprefix": "$"},
        "yaxis2": {"anchor": "x2", "domain": BOTTOM_ROW},
        "annotations": [{"text": title, "x": 0.5, "y": domain[1], "xref": "paper", "yref": "paper",
                         "xanchor": "center", "yanchor": "bottom", "showarrow": False, "font": {"size": 16}}
                        for title, domain in zip(titles, (TOP_ROW, BOTTOM_ROW))],
    }


def average_line(value: float, row: int, label: str, theme: str | None) -> tuple[dict, dict]:
    """A dashed line across one chart at `value`, its label at the right end on a backing of the
    page's colour, so bars behind it never make it unreadable."""
    axis = "" if row == 1 else "2"
    line = {"type": "line", "xref": f"x{axis} domain", "x0": 0, "x1": 1, "yref": f"y{axis}", "y0": value,
            "y1": value, "line": {"dash": "dash", "color": AVERAGE}}
    backing = "rgba(33,37,41,0.85)" if theme == "dark" else "rgba(255,255,255,0.85)"
    note = {"text": label, "xref": f"x{axis} domain", "x": 1, "yref": f"y{axis}", "y": value,
            "xanchor": "right", "yanchor": "bottom", "showarrow": False, "bgcolor": backing}
    return line, note


def average_label(value: float, unit: str) -> str:
    """ "average $43,969,160", "average 101" or "average 3.5": an average of counts keeps its half."""
    shown = f"{value:,.0f}" if unit == "$" or float(value).is_integer() else f"{value:,.1f}"
    return f"average {unit}{shown}"


def distribution_figure(segment: str, reps: pd.DataFrame, accounts: int, theme: str | None) -> dict:
    """Per rep: ARR as base + high-risk stacked bars, and account count, each with its average."""
    if reps.empty:
        return message_figure(f"No {segment} reps: {accounts:,} accounts stay unassigned" if accounts
                              else f"No {segment} reps and no {segment} accounts", theme)
    if accounts == 0:
        return message_figure(f"No {segment} accounts at this threshold", theme)
    names = reps["Rep"]
    data = [bar(names, reps["ARR"] - reps["High_Risk_ARR"], "Base ARR", BASE_ARR,
                "%{x}<br>Base ARR $%{y:,.0f}<extra></extra>"),
            bar(names, reps["High_Risk_ARR"], "High-risk ARR", HIGH_RISK_ARR,
                "%{x}<br>High-risk ARR $%{y:,.0f}<extra></extra>"),
            bar(names, reps["Accounts"], "Accounts", ACCOUNTS, "%{x}<br>%{y:,} accounts<extra></extra>", row=2)]
    layout = two_rows(("ARR per rep", "Accounts per rep"))
    shapes = []
    for row, column, unit in ((1, "ARR", "$"), (2, "Accounts", "")):
        average = float(reps[column].mean())
        line, note = average_line(average, row, average_label(average, unit), theme)
        shapes.append(line)
        layout["annotations"].append(note)
    return themed(data, {**layout, "shapes": shapes, "barmode": "stack", "bargap": 0.25}, theme, 460)


def sensitivity_figure(points: list[SensitivityPoint], current: SensitivityPoint, weights: list[int],
                       theme: str | None) -> dict:
    """ALLOCATION.md §5: Overall Balanced and Custom, and the deal-size ratio on a second axis;
    gaps and a shaded band where a segment is empty; the current threshold marked."""
    points = _with_current(points, current)
    frame = _sensitivity_frame(points, weights)
    x = values(frame["threshold"])
    data = [
        {"type": "scatter", "x": x, "y": values(frame["balanced"]), "name": "Overall Balanced", "mode": "lines",
         "line": {"color": BALANCED, "width": 3}, "connectgaps": False, "customdata": frame["hover"].tolist(),
         "hovertemplate": "%{customdata}<extra></extra>"},
        {"type": "scatter", "x": x, "y": values(frame["custom"]), "name": "Overall Custom", "mode": "lines",
         "line": {"color": CUSTOM, "dash": "dash", "width": 2}, "connectgaps": False, "hoverinfo": "skip"},
        {"type": "scatter", "x": x, "y": values(frame["ratio"]), "name": "Deal size ratio (E ÷ MM)",
         "mode": "lines", "line": {"color": RATIO}, "connectgaps": False, "hoverinfo": "skip", "yaxis": "y2"},
    ]
    shapes, notes = [], []
    for x0, x1 in empty_runs(frame):
        shapes.append({"type": "rect", "xref": "x", "x0": x0, "x1": x1, "yref": "y domain", "y0": 0, "y1": 1,
                       "fillcolor": EMPTY_BAND, "line": {"width": 0}, "layer": "below"})
        notes.append(empty_note(x0, x1, first=not notes))
    _mark_current(data, shapes, notes, current)
    layout = {
        "xaxis": {"title": {"text": "Threshold (employees, log scale)"}, "type": "log", "tickformat": ","},
        "yaxis": {"title": {"text": "Score"}, "range": [0, 100.5]},
        "yaxis2": {"title": {"text": "Deal size ratio"}, "overlaying": "y", "side": "right", "showgrid": False,
                   "rangemode": "tozero", "tickmode": "auto", "nticks": 6, "tickformat": ".1f"},
        "shapes": shapes, "annotations": notes, "hovermode": "x", "clickmode": "event",
    }
    return themed(data, layout, theme, 380)


def _with_current(points: list[SensitivityPoint], current: SensitivityPoint) -> list[SensitivityPoint]:
    """The curve always includes the current threshold, even one typed between slider stops."""
    others = [p for p in points if p.threshold != current.threshold]
    return sorted([*others, current], key=lambda p: p.threshold)


def _sensitivity_frame(points: list[SensitivityPoint], weights: list[int]) -> pd.DataFrame:
    return pd.DataFrame({
        "threshold": [p.threshold for p in points],
        "balanced": [p.balanced for p in points],
        "custom": [p.custom for p in points],
        "ratio": [p.deal_size_ratio for p in points],
        "hover": [sensitivity_hover(p, weights) for p in points],
    })


def sensitivity_hover(point: SensitivityPoint, weights: list[int]) -> str:
    """Everything §5 asks the hover to show, N/A spelled out."""
    def per_rep(segment):
        if segment.reps == 0:
            return "no reps"
        return f"ARR per rep ${segment.arr_per_rep:,.0f}, accounts per rep {segment.accounts_per_rep:,.1f}"

    ratio = "N/A" if point.deal_size_ratio is None else f"{point.deal_size_ratio:.2f}"
    return (f"<b>Threshold {point.threshold:,}</b><br>"
            f"Balanced {score_text(point.balanced)} · Custom {score_text(point.custom)} · Deal size ratio {ratio}<br>"
            + "".join(f"{name}: {s.accounts:,} accounts, {per_rep(s)}<br>" for name, s in point.segments.items())
            + f"Weights ARR {weights[0]} / Accounts {weights[1]} / Risk {weights[2]}")


def empty_runs(frame: pd.DataFrame) -> list[tuple[float, float]]:
    """(x0, x1) spans of consecutive N/A points, reaching halfway (on the log axis) to their neighbours."""
    xs = frame["threshold"].tolist()
    missing = frame["balanced"].isna().tolist()
    runs, start = [], None
    for i, gap in enumerate(missing + [False]):
        if gap and start is None:
            start = i
        elif not gap and start is not None:
            left = math.sqrt(xs[start - 1] * xs[start]) if start > 0 else xs[start]
            right = math.sqrt(xs[i - 1] * xs[i]) if i < len(xs) else xs[i - 1]
            runs.append((left, right))
            start = None
    return runs


def empty_note(x0: float, x1: float, first: bool) -> dict:
    """The first empty span is labelled at its left edge, later ones at their right edge, so that
    the usual pair (no Mid-Market at the low end, no Enterprise at the high end) never overlap.
    Annotations on a log axis take log10 of the value (plotly.js), shapes do not."""
    x, anchor = (x0, "left") if first else (x1, "right")
    return {"text": "a segment is empty", "xref": "x", "x": math.log10(x), "yref": "y domain", "y": 1,
            "xanchor": anchor, "yanchor": "top", "showarrow": False}


def _mark_current(data: list[dict], shapes: list[dict], notes: list[dict], current: SensitivityPoint) -> None:
    shapes.append({"type": "line", "xref": "x", "x0": current.threshold, "x1": current.threshold,
                   "yref": "y domain", "y0": 0, "y1": 1, "line": {"dash": "dash", "color": AVERAGE}})
    notes.append({"text": f"current {current.threshold:,}", "xref": "x", "x": math.log10(current.threshold),
                  "yref": "y domain", "y": 0, "xanchor": "left", "yanchor": "bottom", "showarrow": False})
    if current.balanced is not None:
        data.append({"type": "scatter", "x": [current.threshold], "y": [current.balanced], "mode": "markers",
                     "name": "Current", "showlegend": False,
                     "marker": {"size": 11, "color": BALANCED, "line": {"width": 2, "color": "white"}},
                     "hoverinfo": "skip"})


BEFORE = "#9aa5b1"
AFTER = "#4c78a8"


def comparison_figure(segment: str, books: pd.DataFrame, theme: str | None) -> dict:
    """Per rep of the segment, ARR and accounts before (Original_Rep) and after (Assigned_Rep),
    side by side; every other name (the other segment's reps, former owners, no owner) in one bar."""
    if books.empty:
        return message_figure(f"No {segment} accounts and no {segment} reps at this threshold", theme)
    books = others_grouped(books)
    data = []
    for label, colour in (("Before", BEFORE), ("After", AFTER)):
        data.append(bar(books["Rep"], books[f"ARR_{label}"], label, colour,
                        f"%{{x}}<br>{label}: $%{{y:,.0f}}<extra></extra>", legendgroup=label))
        data.append(bar(books["Rep"], books[f"Accounts_{label}"], label, colour,
                        f"%{{x}}<br>{label}: %{{y:,}} accounts<extra></extra>", row=2, legendgroup=label,
                        showlegend=False))
    layout = {**two_rows(("ARR per rep", "Accounts per rep")), "barmode": "group", "bargap": 0.2}
    return themed(data, layout, theme, 480)


def others_grouped(books: pd.DataFrame) -> pd.DataFrame:
    """The segment's reps, then one row summing every other name (27 bars per segment overlapped
    at 1366 px and lost half their names on a tablet)."""
    others = books[~books["Segment_Rep"]]
    if others.empty:
        return books
    total = others.drop(columns=["Rep", "Segment_Rep"]).sum().to_dict()
    row = pd.DataFrame([{"Rep": f"Others ({len(others)} names)", **total, "Segment_Rep": False}])
    return pd.concat([books[books["Segment_Rep"]], row], ignore_index=True)


IN_BAND = "#54a24b"


def trade_off_figure(rebalance, theme: str | None) -> dict:
    """ALLOCATION.md §8's trade-off: the best Overall Balanced and reps in band found with at most
    k transfers, k = 0 … the plan's moves; the plan itself marked at the right end."""
    curve = rebalance.curve
    if len(curve) < 2:
        return message_figure("Today's books are already in the band: no transfer is needed", theme, 300)
    moves = [p.moves for p in curve]
    data = [
        {"type": "scatter", "x": moves, "y": [p.balanced for p in curve], "name": "Overall Balanced",
         "mode": "lines+markers" if len(curve) <= 40 else "lines",
         "line": {"color": BALANCED, "width": 3, "shape": "hv"}, "customdata": [score_text(p.balanced) for p in curve],
         "hovertemplate": "%{x:,} moves: Overall Balanced %{customdata}<extra></extra>"},
        {"type": "scatter", "x": moves, "y": [p.reps_in_band for p in curve], "yaxis": "y2",
         "name": f"Reps in band (of {rebalance.total_reps:,})", "mode": "lines",
         "line": {"color": IN_BAND, "dash": "dash", "shape": "hv"},
         "hovertemplate": "%{x:,} moves: %{y:,} reps in band<extra></extra>"},
    ]
    plan = curve[-1]
    note = {"text": f"the plan: {plan.moves:,} moves", "x": plan.moves, "y": plan.balanced, "xref": "x",
            "yref": "y", "showarrow": True, "arrowhead": 0, "ax": -40, "ay": 30}
    layout = {
        "xaxis": {"title": {"text": "Transfers (at most)"}, "tickformat": ",d", "rangemode": "tozero"},
        "yaxis": {"title": {"text": "Overall Balanced"}, "range": [0, 100.5]},
        "yaxis2": {"title": {"text": "Reps in band"}, "overlaying": "y", "side": "right", "showgrid": False,
                   "range": [0, rebalance.total_reps + 0.5], "tickformat": ",d"},
        "annotations": [note] if plan.balanced is not None else [], "hovermode": "x unified",
    }
    return themed(data, layout, theme, 340)
