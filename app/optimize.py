"""Optimize Weights in the sidebar (ALLOCATION.md §4, PAGES.md): a background job with a progress
bar and Cancel; the result waits beside the current weights until the user clicks Apply.

A job belongs to one page load (the TAB id). While it runs, the tab renews a short lease every
two seconds; a job whose tab was closed or reloaded sees the lease lapse and stops at its next
progress report, so no orphan keeps a core busy.
"""
from __future__ import annotations

import logging
import time

import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, ctx, dcc, html, no_update

from engine.optimize import optimize_weights
from engine.progress import Cancelled

from .formats import score_text
from .ids import Ids
from .jobs import JOB_TIME_LIMIT_SECONDS, failed_message, place_in_line, run_in_line, within_time_limit
from .services import services
from .state import dataset_of, settings_from_json
from .store import is_tab_id
from .terms import OPTIMIZE_TIP

log = logging.getLogger(__name__)
LEASE_SECONDS = 30        # fifteen missed renewals: a busy server delays renewals, it does not lose them
LEASE_RENEWAL_MS = 2000
WENT_AWAY = "Stopped: the page that started the run went away."
RESULT_INPUTS = ("data_key", "threshold", "geo", "preserve", "high_risk")


def optimize_panel() -> html.Div:
    return html.Div([
        html.Div("Try every weight combination (1% steps) at the current threshold and preferences, "
                 "and recommend the one with the best Overall Balanced score.", className="form-text mb-2"),
        html.Div([
            dbc.Button("Find best weights", id=Ids.OPTIMIZE_RUN, color="primary", size="sm"),
            dbc.Tooltip(OPTIMIZE_TIP, target=Ids.OPTIMIZE_RUN, placement="bottom"),
            dbc.Button("Cancel", id=Ids.OPTIMIZE_CANCEL, color="secondary", outline=True, size="sm",
                       disabled=True),
        ], className="d-flex gap-2"),
        html.Div([dbc.Progress(id=Ids.OPTIMIZE_PROGRESS, value=0, striped=True, animated=True),
                  html.Div(id=Ids.OPTIMIZE_QUEUE, className="small text-body-secondary mt-1")],
                 id=Ids.OPTIMIZE_PROGRESS_WRAP, className="d-none"),
        html.Div(id=Ids.OPTIMIZE_STATUS, className="small mt-2"),
        html.Div(id=Ids.OPTIMIZE_VIEW, className="mt-2"),
        dbc.Button("Apply these weights", id=Ids.OPTIMIZE_APPLY, color="success", size="sm",
                   className="d-none mt-1"),
        dcc.Store(id=Ids.OPTIMIZE_RESULT),
        dcc.Interval(id=Ids.OPTIMIZE_LEASE, interval=LEASE_RENEWAL_MS, disabled=True),
    ])


PROGRESS_POLL_MS = 500  # how often the page asks how far the run is: a 10,000-account run shows its steps


@callback(Output(Ids.OPTIMIZE_RESULT, "data"), Input(Ids.OPTIMIZE_RUN, "n_clicks"),
          State(Ids.DATA, "data"), State(Ids.SETTINGS, "data"), State(Ids.TAB, "data"),
          background=True, interval=PROGRESS_POLL_MS,
          progress=[Output(Ids.OPTIMIZE_PROGRESS, "value"), Output(Ids.OPTIMIZE_PROGRESS, "label"),
                    Output(Ids.OPTIMIZE_QUEUE, "children")],
          running=[(Output(Ids.OPTIMIZE_RUN, "disabled"), True, False),
                   (Output(Ids.OPTIMIZE_CANCEL, "disabled"), False, True),
                   (Output(Ids.OPTIMIZE_PROGRESS_WRAP, "className"), "mt-2", "d-none"),
                   (Output(Ids.OPTIMIZE_LEASE, "disabled"), False, True)],
          cancel=[Input(Ids.OPTIMIZE_CANCEL, "n_clicks")], prevent_initial_call=True,
          on_error=lambda error: {"error": failed_message(error, "optimization")})
def run_optimize(set_progress, _clicks, data, settings, tab):
    return optimize_job(data, settings, tab, set_progress)


def optimize_job(data: dict, settings: dict, tab: str, set_progress) -> dict:
    """The job: every failure becomes a message in the result; the user's settings are untouched."""
    if not is_tab_id(tab):
        return {"error": "This page is out of date; reload it and run again."}
    store = services().store
    store.renew_lease(tab, LEASE_SECONDS)
    dataset = dataset_of(data)
    if dataset is None:
        return {"error": "Your data is no longer on the server; upload it again."}

    told = []

    def waiting(position: int) -> bool:
        if told[-1:] != [position]:  # each progress update is a write to the job store
            set_progress((0, "", place_in_line(position)))
            told.append(position)
        return store.has_lease(tab)

    return run_in_line("optimize", tab, waiting, WENT_AWAY,
                       lambda turn: optimize_in_turn(dataset, settings, tab, turn, set_progress))


def optimize_in_turn(dataset, settings: dict, tab: str, turn, set_progress) -> dict:
    store = services().store
    started = time.perf_counter()

    def progress(fraction: float) -> bool:
        turn.renew()
        set_progress((round(100 * fraction), f"{100 * fraction:.0f}%", ""))
        return store.has_lease(tab) and within_time_limit(started)

    try:
        result = optimize_weights(dataset, settings_from_json(settings), progress)
    except Cancelled:
        if not within_time_limit(started):
            return {"error": f"Stopped after {JOB_TIME_LIMIT_SECONDS} s, the time limit of a run. "
                             f"Your settings are unchanged."}
        return {"error": WENT_AWAY}
    except Exception:  # a failed job must say so and leave the settings alone
        log.exception("optimize failed")
        return {"error": "The optimization failed. Your settings are unchanged; try again."}
    return {"inputs": {k: settings.get(k) for k in RESULT_INPUTS},
            "weights": result.weights.as_list(), "balanced": result.balanced.as_dict(),
            "current_weights": result.current_weights.as_list(), "current": result.current.as_dict(),
            "evaluated": result.evaluated, "seconds": time.perf_counter() - started}


@callback(Input(Ids.OPTIMIZE_LEASE, "n_intervals"), State(Ids.TAB, "data"), prevent_initial_call=True)
def renew_lease(_ticks, tab):
    services().store.renew_lease(tab, LEASE_SECONDS)


@callback(Output(Ids.OPTIMIZE_STATUS, "children"), Input(Ids.OPTIMIZE_CANCEL, "n_clicks"),
          Input(Ids.OPTIMIZE_RUN, "n_clicks"), prevent_initial_call=True)
def job_status(_cancel, _run):
    return "Cancelled. Nothing changed." if ctx.triggered_id == Ids.OPTIMIZE_CANCEL else ""


@callback(Output(Ids.OPTIMIZE_VIEW, "children"), Output(Ids.OPTIMIZE_APPLY, "className"),
          Input(Ids.OPTIMIZE_RESULT, "data"), Input(Ids.SETTINGS, "data"))
def show_result(result, settings):
    if not result:
        return None, "d-none"
    if "error" in result:
        return dbc.Alert(result["error"], color="danger", className="py-1 small mb-0"), "d-none"
    stale = not settings or any(settings.get(k) != result["inputs"][k] for k in RESULT_INPUTS)
    applied = settings and settings["weights"] == result["weights"]
    note = ("Settings changed since this run: run it again for a recommendation that fits them." if stale
            else "Applied." if applied else f"{result['evaluated']:,} combinations in {result['seconds']:.1f} s.")
    hidden = stale or applied
    return [result_table(result, applied), html.Div(note, className="small text-body-secondary mt-1")], \
        "mt-1" + (" d-none" if hidden else "")


def result_table(result: dict, applied: bool = False) -> dbc.Table:
    """Best against Current; once applied, the best is current and the old weights show as Before."""
    def row(label, weights, scores):
        return html.Tr([html.Th(label), html.Td(" / ".join(map(str, weights)))]
                       + [html.Td(score_text(scores[k])) for k in ("overall", "Enterprise", "Mid-Market")])

    header = html.Thead(html.Tr([html.Th(""), html.Th("ARR/Acc/Risk"), html.Th("Overall"), html.Th("E"),
                                 html.Th("MM")]))
    rows = ([row("Current", result["weights"], result["balanced"]),
             row("Before", result["current_weights"], result["current"])] if applied
            else [row("Best", result["weights"], result["balanced"]),
                  row("Current", result["current_weights"], result["current"])])
    body = html.Tbody(rows)
    return dbc.Table([header, body], size="sm", className="mb-0 small optimize-table")


@callback(Output(Ids.WEIGHTS_PICK, "data"), Input(Ids.OPTIMIZE_APPLY, "n_clicks"),
          State(Ids.OPTIMIZE_RESULT, "data"), prevent_initial_call=True)
def apply_weights(_clicks, result):
    """The only way a recommendation reaches the sliders."""
    if not result or "weights" not in result:
        return no_update
    return {"weights": result["weights"]}
