"""Messages where the user looks: a banner at the top of the page, details folded away."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import Input, Output, callback, html

from .ids import Ids

NO_RISK = ("This data has no Risk_Score column, so the Risk weight is fixed at 0 and ARR and "
           "Accounts share the balance.")


def banner(level: str, title: str, details: list[str] = (), dismissable: bool = True) -> dbc.Alert:
    """A Bootstrap alert; `details` (one line each) fold out under the title."""
    body = [html.Div(title, className="fw-semibold")]
    if details:
        body.append(html.Details([html.Summary(f"Details ({len(details)})"),
                                  html.Ul([html.Li(line) for line in details], className="banner-details")]))
    return dbc.Alert(body, color=level, dismissable=dismissable, className="mb-2 py-2")


@callback(Output(Ids.BANNERS, "children"), Input(Ids.LOAD_REPORT, "data"), Input(Ids.DATA, "data"))
def show_banners(report, data):
    alerts = []
    if report:
        alerts.append(banner(report["level"], report["title"], report.get("details", [])))
    if data and not data["has_risk"]:
        alerts.append(banner("info", NO_RISK, dismissable=False))
    return alerts
