"""Rebalance today's books (ALLOCATION.md §8) from the dashboard: the Mode section of the sidebar
and the background job that works out the plan.

The plan can take up to its time limit (10 s), so it is never worked out inside a page's
callback: a job does it, with progress and Cancel, and keeps it in the session store under a key
made of the data and every setting it reads; every page then reads it from there (app.state.current)
and shows today's books, with a note, until it is ready.
"""
from __future__ import annotations

import logging
import time

import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update

from engine.progress import Cancelled
from engine.rebalance import DRIVER_LABELS, DRIVERS, MAX_WAVES, rebalance

from .ids import Ids
from .jobs import BUSY, JOB_TIME_LIMIT_SECONDS, failed_message, run_in_line, within_time_limit
from .services import services
from .state import REBALANCE, REDRAW, ModeChoice, current, dataset_of, plan_key, settings_from_json
from .store import is_tab_id
from .terms import BAND_TIP, MODE_TIP

log = logging.getLogger(__name__)
PLAN_SECONDS = 12 * 3600  # a plan is kept as long as an upload: it can take seconds to find


def mode_section() -> list:
    return [
        html.Div(html.Span("How to assign", id="mode-term", className="term small", tabIndex=0)),
        dbc.Tooltip(MODE_TIP, target="mode-term", placement="right"),
        dbc.RadioItems(id=Ids.MODE, value=REDRAW, className="small",
                       options=[{"label": "Redraw the territories", "value": REDRAW},
                                {"label": "Rebalance today's books", "value": REBALANCE}]),
        html.Div([
            html.Div([html.Label(html.Span("Band (± % of target)", id="band-term", className="term"),
                                 htmlFor=Ids.BAND, className="form-label small mb-0"),
                      dbc.Badge(id=Ids.BAND_VALUE, color="secondary", className="slider-value")],
                     className="d-flex justify-content-between align-items-center"),
            dbc.Tooltip(BAND_TIP, target="band-term", placement="right"),
            dcc.Slider(id=Ids.BAND, min=1, max=50, step=1, marks=None, updatemode="mouseup", allow_direct_input=False),
            dbc.Checklist(id=Ids.PLAN_DRIVERS, inline=True, className="small",
                          options=[{"label": DRIVER_LABELS[d][0].upper() + DRIVER_LABELS[d][1:], "value": d}
                                   for d in DRIVERS]),
            dbc.InputGroup([dbc.InputGroupText("Waves"),
                            dbc.Input(id=Ids.WAVES, type="number", min=1, max=MAX_WAVES, step=1, debounce=True)],
                           size="sm", className="mt-1"),
            html.Div(dbc.Progress(id=Ids.PLAN_PROGRESS, value=0, striped=True, animated=True),
                     id=Ids.PLAN_PROGRESS_WRAP, className="d-none"),
            html.Div([html.Span(id=Ids.PLAN_STATUS, className="small"),
                      dbc.Button("Cancel", id=Ids.PLAN_CANCEL, color="secondary", outline=True, size="sm",
                                 disabled=True, className="ms-2")],
                     className="d-flex align-items-center justify-content-between mt-1"),
            html.Div(id=Ids.PLAN_RESULT, className="small", role="status"),
        ], id=Ids.MODE_CONTROLS, className="d-none"),
    ]


@callback(Output(Ids.MODE_CONTROLS, "className"), Input(Ids.SETTINGS, "data"))
def show_plan_controls(settings):
    return "mt-1" if ModeChoice.of(settings).rebalancing else "d-none"


@callback(Output(Ids.PLAN_INPUTS, "data"), Input(Ids.DATA, "data"), Input(Ids.SETTINGS, "data"),
          State(Ids.PLAN_INPUTS, "data"))
def plan_inputs(data, settings, previous):
    """What the job works from: only a change that the plan reads starts a new run."""
    if not data or not settings or not ModeChoice.of(settings).rebalancing:
        return None if previous else no_update
    inputs = {"key": plan_key(data, settings), "data": data, "settings": settings}
    return no_update if previous and previous.get("key") == inputs["key"] else inputs


@callback(Output(Ids.PLAN_RESULT, "children"), Output(Ids.PLAN_RESULT, "className"),
          Input(Ids.DATA, "data"), Input(Ids.SETTINGS, "data"), Input(Ids.PLAN, "data"))
def plan_result(data, settings, plan):
    """Under the controls: how the last run ended (a failure in red, with today's books kept)."""
    state = current(data, settings, plan) if settings and ModeChoice.of(settings).rebalancing else None
    if state is None or state.pending:
        return "", "small"
    if state.error:
        return state.error, "small text-danger"
    result = state.rebalance
    return (f"Planned in {result.seconds:.1f} s: {result.moves:,} move{'s' if result.moves != 1 else ''}, "
            f"{'proven minimal' if result.proven_minimal else 'not proven minimal'}.", "small text-body-secondary")


def plan_failed(error: Exception) -> dict:
    return {"error": failed_message(error, "rebalancing")}


@callback(Output(Ids.PLAN, "data"), Input(Ids.PLAN_INPUTS, "data"), State(Ids.TAB, "data"), background=True,
          progress=[Output(Ids.PLAN_PROGRESS, "value")],
          running=[(Output(Ids.PLAN_PROGRESS_WRAP, "className"), "mt-2", "d-none"),
                   (Output(Ids.PLAN_CANCEL, "disabled"), False, True),
                   (Output(Ids.PLAN_STATUS, "children"), "Working out the plan…", "")],
          cancel=[Input(Ids.PLAN_CANCEL, "n_clicks")], prevent_initial_call=True, on_error=plan_failed)
def solve_plan(set_progress, inputs, tab):
    """The job: the plan, kept in the session store; a failure becomes a message, never a hang.
    The tab id is an input so that two tabs get jobs of their own (see the sensitivity job)."""
    return plan_job(inputs, set_progress, tab)


def plan_job(inputs: dict | None, set_progress, tab=None) -> dict | None:
    """The plan's key is worked out here from the data key and settings, never taken from the
    browser: the job writes under it."""
    data, settings = (inputs.get("data"), inputs.get("settings")) if isinstance(inputs, dict) else (None, None)
    if not isinstance(data, dict) or not isinstance(settings, dict):
        return None
    dataset = dataset_of(data)
    if dataset is None:
        return {"error": "Your data is no longer on the server; upload it again."}
    store = services().store
    key = plan_key(data, settings)
    if store.recall(key, PLAN_SECONDS) is not None:
        return {"key": key}
    if not is_tab_id(tab):
        return {"key": key, "error": "This page is out of date; reload it."}
    queued = time.perf_counter()
    return {"key": key, **run_in_line("plan", tab, lambda _position: within_time_limit(queued), BUSY,
                                       lambda turn: plan_in_turn(dataset, settings, key, turn, set_progress))}


def plan_in_turn(dataset, settings: dict, key: str, turn, set_progress) -> dict:
    store = services().store
    started = time.perf_counter()

    def progress(fraction: float) -> bool:
        turn.renew()
        set_progress(round(100 * fraction))
        return within_time_limit(started)

    try:
        result = rebalance(dataset, settings_from_json(settings), ModeChoice.of(settings).plan, progress)
    except Cancelled:
        return {"key": key, "error": f"Stopped after {JOB_TIME_LIMIT_SECONDS} s, the time limit of a run."}
    except Exception:  # a failed job must say so and leave the settings alone
        log.exception("rebalancing failed")
        return {"key": key, "error": "The rebalancing failed. Your settings are unchanged; try again."}
    store.keep(key, result, PLAN_SECONDS)
    return {"key": key}
