"""Messages where the user looks: a banner at the top of the page, details folded away."""
from __future__ import annotations

import logging
import sqlite3

import dash_bootstrap_components as dbc
import diskcache
import redis
from dash import Input, Output, callback, html, set_props

from .ids import Ids

log = logging.getLogger(__name__)

NO_RISK = ("This data has no Risk_Score column, so the Risk weight is fixed at 0 and ARR and "
           "Accounts share the balance.")


def banner(level: str, title: str, details: list[str] = (), dismissable: bool = True,
           summary: str | None = None) -> dbc.Alert:
    """A Bootstrap alert; `details` (one line each) fold out under the title, behind `summary`
    (which says what they are, so "4 problems found" never sits beside an unexplained "Details (6)")."""
    body = [html.Div(title, className="fw-semibold")]
    if details:
        body.append(html.Details([html.Summary(summary or f"Details ({len(details)})"),
                                  html.Ul([html.Li(line) for line in details], className="banner-details")]))
    return dbc.Alert(body, color=level, dismissable=dismissable, className="mb-2 py-2")


@callback(Output(Ids.BANNERS, "children"), Input(Ids.LOAD_REPORT, "data"), Input(Ids.DATA, "data"))
def show_banners(report, data):
    alerts = []
    if report:
        alerts.append(banner(report["level"], report["title"], report.get("details", []),
                             summary=report.get("summary")))
    if data and not data["has_risk"]:
        alerts.append(banner("info", NO_RISK, dismissable=False))
    return alerts


def report_server_trouble(error: Exception) -> None:
    """The app's handler for any callback that raises: the user learns that this change did not
    apply and that nothing is lost, instead of a page that silently stops answering; the details
    go to the log, never to the browser. Returning None leaves every output as it was."""
    log.error("a callback failed", exc_info=error)
    set_props(Ids.SERVER_ALERT, {"is_open": True, "children": trouble_message(error)})


def trouble_message(error: Exception) -> str:
    kept = "Your data and settings are kept; try again in a moment."
    store_faults = (redis.RedisError, sqlite3.Error, OSError, diskcache.Timeout)  # Redis down, a disk full or locked
    if isinstance(error, store_faults):
        return f"The server cannot reach its session store right now, so your last action did not go through. {kept}"
    return f"The server could not finish your last action; the error is logged. {kept}"
