"""Plotly figures built from engine results; pure functions, no Dash, no callbacks."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from engine.sensitivity import SensitivityPoint

BASE_ARR = "#4c78a8"
HIGH_RISK_ARR = "#e45756"
ACCOUNTS = "#72b7b2"
AVERAGE = "#9a9a9a"
BALANCED = "#4c78a8"
CUSTOM = "#f58518"
RATIO = "#54a24b"
EMPTY_BAND = "rgba(150,150,150,0.18)"


def themed(figure: go.Figure, theme: str | None, height: int) -> go.Figure:
    """Light or dark template on a transparent background, so the card colour shows through."""
    figure.update_layout(template="plotly_dark" if theme == "dark" else "plotly_white",
                         paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)",
                         height=height, margin=dict(l=10, r=10, t=60, b=10),
                         legend=dict(orientation="h", yanchor="bottom", y=1.06, x=0, traceorder="normal"))
    return figure


def message_figure(text: str, theme: str | None, height: int = 320) -> go.Figure:
    """An empty chart that says why it is empty, instead of a blank box or a zero."""
    figure = go.Figure()
    figure.add_annotation(text=text, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper",
                          font=dict(size=14))
    figure.update_xaxes(visible=False)
    figure.update_yaxes(visible=False)
    return themed(figure, theme, height)


def distribution_figure(segment: str, reps: pd.DataFrame, accounts: int, theme: str | None) -> go.Figure:
    """Per rep: ARR as base + high-risk stacked bars, and account count, each with its average."""
    if reps.empty:
        return message_figure(f"No {segment} reps: {accounts:,} accounts stay unassigned" if accounts
                              else f"No {segment} reps and no {segment} accounts", theme)
    if accounts == 0:
        return message_figure(f"No {segment} accounts at this threshold", theme)
    figure = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08,
                           subplot_titles=("ARR per rep", "Accounts per rep"))
    names = reps["Rep"]
    figure.add_bar(x=names, y=reps["ARR"] - reps["High_Risk_ARR"], name="Base ARR", marker_color=BASE_ARR,
                   hovertemplate="%{x}<br>Base ARR $%{y:,.0f}<extra></extra>", row=1, col=1)
    figure.add_bar(x=names, y=reps["High_Risk_ARR"], name="High-risk ARR", marker_color=HIGH_RISK_ARR,
                   hovertemplate="%{x}<br>High-risk ARR $%{y:,.0f}<extra></extra>", row=1, col=1)
    figure.add_bar(x=names, y=reps["Accounts"], name="Accounts", marker_color=ACCOUNTS,
                   hovertemplate="%{x}<br>%{y:,} accounts<extra></extra>", row=2, col=1)
    for row, values, unit in ((1, reps["ARR"], "$"), (2, reps["Accounts"], "")):
        average = float(values.mean())
        figure.add_hline(y=average, line_dash="dash", line_color=AVERAGE, row=row, col=1,
                         annotation_text=f"average {unit}{average:,.0f}", annotation_position="top left")
    figure.update_layout(barmode="stack", bargap=0.25)
    figure.update_yaxes(tickprefix="$", row=1, col=1)
    figure.update_xaxes(tickangle=-45, automargin=True)
    return themed(figure, theme, 460)


def sensitivity_figure(points: list[SensitivityPoint], current: SensitivityPoint, weights: list[int],
                       theme: str | None) -> go.Figure:
    """ALLOCATION.md §5: Overall Balanced and Custom, and the deal-size ratio on a second axis;
    gaps and a shaded band where a segment is empty; the current threshold marked."""
    points = _with_current(points, current)
    frame = _sensitivity_frame(points, weights)
    figure = make_subplots(specs=[[{"secondary_y": True}]])
    hover = frame["hover"]
    figure.add_scatter(x=frame["threshold"], y=frame["balanced"], name="Overall Balanced", mode="lines",
                       line=dict(color=BALANCED, width=3), connectgaps=False, customdata=hover,
                       hovertemplate="%{customdata}<extra></extra>")
    figure.add_scatter(x=frame["threshold"], y=frame["custom"], name="Overall Custom", mode="lines",
                       line=dict(color=CUSTOM, dash="dash", width=2), connectgaps=False, hoverinfo="skip")
    figure.add_scatter(x=frame["threshold"], y=frame["ratio"], name="Deal size ratio (E ÷ MM)", mode="lines",
                       line_color=RATIO, connectgaps=False, hoverinfo="skip", secondary_y=True)
    for x0, x1 in empty_runs(frame):
        figure.add_vrect(x0=x0, x1=x1, fillcolor=EMPTY_BAND, line_width=0, layer="below",
                         annotation_text="a segment is empty", annotation_position="top left")
    _mark_current(figure, current)
    figure.update_xaxes(title_text="Threshold (employees)", tickformat=",")
    figure.update_yaxes(title_text="Score", range=[0, 100.5], secondary_y=False)
    figure.update_yaxes(title_text="Deal size ratio", secondary_y=True, showgrid=False, rangemode="tozero",
                        tickmode="auto", nticks=6, tickformat=".1f")
    figure.update_layout(hovermode="x", clickmode="event")
    return themed(figure, theme, 380)


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
    def score(value):
        return "N/A" if value is None else f"{value:.1f}"

    def per_rep(segment):
        if segment.reps == 0:
            return "no reps"
        return f"${segment.arr_per_rep:,.0f} ARR and {segment.accounts_per_rep:,.1f} accounts per rep"

    ratio = "N/A" if point.deal_size_ratio is None else f"{point.deal_size_ratio:.2f}"
    return (f"<b>Threshold {point.threshold:,}</b><br>"
            f"Balanced {score(point.balanced)} · Custom {score(point.custom)} · Deal size ratio {ratio}<br>"
            f"Enterprise: {point.enterprise.accounts:,} accounts, {per_rep(point.enterprise)}<br>"
            f"Mid-Market: {point.mid_market.accounts:,} accounts, {per_rep(point.mid_market)}<br>"
            f"Weights ARR {weights[0]} / Accounts {weights[1]} / Risk {weights[2]}")


def empty_runs(frame: pd.DataFrame) -> list[tuple[float, float]]:
    """(x0, x1) spans of consecutive N/A points, reaching halfway to their neighbours."""
    xs = frame["threshold"].tolist()
    missing = frame["balanced"].isna().tolist()
    runs, start = [], None
    for i, gap in enumerate(missing + [False]):
        if gap and start is None:
            start = i
        elif not gap and start is not None:
            left = (xs[start - 1] + xs[start]) / 2 if start > 0 else xs[start]
            right = (xs[i - 1] + xs[i]) / 2 if i < len(xs) else xs[i - 1]
            runs.append((left, right))
            start = None
    return runs


def _mark_current(figure: go.Figure, current: SensitivityPoint) -> None:
    figure.add_vline(x=current.threshold, line_dash="dash", line_color=AVERAGE,
                     annotation_text=f"current {current.threshold:,}", annotation_position="bottom right")
    if current.balanced is not None:
        figure.add_scatter(x=[current.threshold], y=[current.balanced], mode="markers", name="Current",
                           marker=dict(size=11, color=BALANCED, line=dict(width=2, color="white")),
                           hoverinfo="skip", showlegend=False)


BEFORE = "#9aa5b1"
AFTER = "#4c78a8"


def comparison_figure(segment: str, books: pd.DataFrame, theme: str | None) -> go.Figure:
    """Per name, ARR and accounts before (Original_Rep) and after (Assigned_Rep), side by side."""
    if books.empty:
        return message_figure(f"No {segment} accounts and no {segment} reps at this threshold", theme)
    figure = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08,
                           subplot_titles=("ARR per rep", "Accounts per rep"))
    for label, colour in (("Before", BEFORE), ("After", AFTER)):
        figure.add_bar(x=books["Rep"], y=books[f"ARR_{label}"], name=label, marker_color=colour,
                       legendgroup=label, hovertemplate=f"%{{x}}<br>{label}: $%{{y:,.0f}}<extra></extra>",
                       row=1, col=1)
        figure.add_bar(x=books["Rep"], y=books[f"Accounts_{label}"], name=label, marker_color=colour,
                       legendgroup=label, showlegend=False,
                       hovertemplate=f"%{{x}}<br>{label}: %{{y:,}} accounts<extra></extra>", row=2, col=1)
    figure.update_layout(barmode="group", bargap=0.2)
    figure.update_yaxes(tickprefix="$", row=1, col=1)
    figure.update_xaxes(tickangle=-45, automargin=True)
    return themed(figure, theme, 480)
