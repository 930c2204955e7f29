"""Territory Slicer page (PAGES.md §1): KPIs, fairness, rep distribution, sensitivity, tables."""
from __future__ import annotations

import logging
import time
from collections.abc import Callable

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import numpy as np
from dash import Input, Output, State, callback, dcc, html, no_update
from dash.exceptions import PreventUpdate

from engine import ENTERPRISE, MID_MARKET, SEGMENTS
from engine.progress import Cancelled
from engine.sensitivity import (
    SegmentPoint,
    Sensitivity,
    SensitivityPoint,
    curve_work,
    point_of,
    sensitivity,
)
from engine.summary import account_table, rep_summary, segment_kpis

from ..banners import banner
from ..cards import disruption_card, fairness_cards, kpi_cards
from ..figures import distribution_figure, message_figure, sensitivity_figure
from ..grid_query import json_records
from ..grids import (
    COLUMN_DEFAULTS,
    COUNT,
    MONEY,
    NUMBER_FILTER,
    PERCENT,
    SIGNED_PERCENT,
    fitted,
    graph,
    panel,
    serve_server_side_grid,
)
from ..ids import Ids
from ..jobs import JOB_TIME_LIMIT_SECONDS, failed_message, on_a_low_priority_thread, within_time_limit
from ..pins import pin_bar, queue_view, serve_pin_bar
from ..services import services
from ..state import current, dataset_of, greedy, settings_from_json
from ..store import is_tab_id
from ..terms import CAP_TIP, RAMP_TIP, TARGET_TIP

log = logging.getLogger(__name__)

def layout(**_query):
    return html.Div([
        html.Div(id=Ids.SLICER_BANNERS),
        dbc.Row(id=Ids.KPI_CARDS, className="g-3 mb-3"),
        html.Div(id=Ids.DISRUPTION),
        dbc.Row(id=Ids.FAIRNESS_CARDS, className="g-3 mb-3"),
        panel("Rep distribution", dbc.Row([
            dbc.Col(graph(Ids.DISTRIBUTION_ENTERPRISE, "Enterprise"), lg=6),
            dbc.Col(graph(Ids.DISTRIBUTION_MID_MARKET, "Mid-Market"), lg=6),
        ])),
        panel("Threshold sensitivity", [
            html.Div("Click a point to move the threshold there.", id=Ids.SENSITIVITY_STATUS,
                     className="small text-body-secondary"),
            graph(Ids.SENSITIVITY),
        ]),
        panel("Rep summary", rep_grid()),
        panel("Review queue", html.Div(id=Ids.REVIEW_QUEUE), anchor="review-queue"),
        panel("Account assignments", [account_grid(), pin_bar(Ids.ACCOUNT_PIN, ACCOUNT_PIN_HINT)]),
        dcc.Store(id=Ids.SENSITIVITY_CURVE),
        dcc.Store(id=Ids.SENSITIVITY_INPUTS),
        dcc.Store(id=Ids.SENSITIVITY_JOB),
    ])


dash.register_page(__name__, path="/", name="Slicer", title="Territory Slicer", layout=layout)


REP_COLUMNS = [
    {"field": "Rep", "pinned": "left"}, {"field": "Segment"}, {"field": "Location"},
    {"field": "ARR", "valueFormatter": MONEY, **NUMBER_FILTER},
    {"field": "Accounts", "valueFormatter": COUNT, **NUMBER_FILTER},
    {"field": "High_Risk_ARR", "headerName": "High-risk ARR", "valueFormatter": MONEY, **NUMBER_FILTER},
    {"field": "High_Risk_Share", "headerName": "High-risk share", "valueFormatter": PERCENT, **NUMBER_FILTER},
    {"field": "Average_Deal", "headerName": "Average deal", "valueFormatter": MONEY, **NUMBER_FILTER},
    {"field": "Geo_Match_Pct", "headerName": "Geo match", "valueFormatter": PERCENT, **NUMBER_FILTER},
    {"field": "Preserved_Pct", "headerName": "Owner kept", "valueFormatter": PERCENT, **NUMBER_FILTER},
    {"field": "ARR_vs_Target_Pct", "headerName": "ARR vs target", "valueFormatter": SIGNED_PERCENT,
     **NUMBER_FILTER, "headerTooltip": TARGET_TIP},
    {"field": "Accounts_vs_Target_Pct", "headerName": "Accounts vs target", "valueFormatter": SIGNED_PERCENT,
     **NUMBER_FILTER, "headerTooltip": TARGET_TIP},
    {"field": "Ramp", "valueFormatter": PERCENT, **NUMBER_FILTER, "headerTooltip": RAMP_TIP},
    {"field": "Max_Accounts", "headerName": "Max accounts", "valueFormatter": COUNT, **NUMBER_FILTER,
     "headerTooltip": CAP_TIP},
    {"field": "Max_ARR", "headerName": "Max ARR", "valueFormatter": MONEY, **NUMBER_FILTER,
     "headerTooltip": CAP_TIP},
]


def rep_grid() -> dag.AgGrid:
    return dag.AgGrid(id=Ids.REP_GRID, columnDefs=REP_COLUMNS, rowData=[],
                      defaultColDef={**COLUMN_DEFAULTS, "filter": True},
                      columnSize="responsiveSizeToFit",
                      dashGridOptions={"pagination": True, "paginationPageSize": 10,
                                       "paginationPageSizeSelector": [10, 25, 100], "animateRows": False,
                                       "domLayout": "autoHeight"},
                      getRowId="params.data.Rep")


ACCOUNT_COLUMNS = [
    {"field": "Account_ID", "headerName": "ID", "pinned": "left", "minWidth": 130},
    {"field": "Account_Name", "headerName": "Name", "minWidth": 170}, {"field": "Segment", "minWidth": 110},
    {"field": "Assigned_Rep", "headerName": "Assigned rep", "minWidth": 150},
    {"field": "Original_Rep", "headerName": "Original rep", "minWidth": 150},
    {"field": "ARR", "valueFormatter": MONEY, **NUMBER_FILTER},
    {"field": "Num_Employees", "headerName": "Employees", "valueFormatter": COUNT, **NUMBER_FILTER},
    {"field": "Risk_Score", "headerName": "Risk", **NUMBER_FILTER},
    {"field": "Location"},
    {"field": "Status", "minWidth": 130, "headerTooltip": "Assigned, Locked (by the Locked column, a lock ARR "
                                                         "or a pin), Held for review, or Unassigned and why"},
]


def account_grid() -> dag.AgGrid:
    """Rows come from the server a block at a time (infinite row model), sorted and filtered there."""
    return dag.AgGrid(id=Ids.ACCOUNT_GRID, columnDefs=ACCOUNT_COLUMNS, rowModelType="infinite",
                      defaultColDef={**COLUMN_DEFAULTS, "filter": "agTextColumnFilter",
                                     "filterParams": {"buttons": ["reset"], "maxNumConditions": 1}},
                      columnSize="responsiveSizeToFit",
                      rowClassRules={"changed-owner": "params.data && params.data.Changed"},
                      dashGridOptions={"pagination": True, "paginationPageSize": 50,
                                       "paginationPageSizeSelector": False, "cacheBlockSize": 50,
                                       "maxBlocksInCache": 20, "rowBuffer": 0,
                                       "rowSelection": {"mode": "singleRow", "checkboxes": False,
                                                        "enableClickSelection": True}},
                      getRowId="params.data.Account_ID", style={"height": 520})


@callback(Output(Ids.SLICER_BANNERS, "children"), Output(Ids.KPI_CARDS, "children"),
          Output(Ids.DISRUPTION, "children"), Output(Ids.FAIRNESS_CARDS, "children"),
          Output(Ids.DISTRIBUTION_ENTERPRISE, "figure"), Output(Ids.DISTRIBUTION_MID_MARKET, "figure"),
          Output(Ids.REP_GRID, "rowData"), Output(Ids.REP_GRID, "columnDefs"),
          Input(Ids.DATA, "data"), Input(Ids.SETTINGS, "data"), Input(Ids.THEME, "data"), Input(Ids.PLAN, "data"))
def render_slicer(data, settings, theme, plan=None):
    state = current(data, settings, plan)
    if state is None:
        return (no_update,) * 8
    dataset, allocation = state.dataset, state.allocation
    reps = rep_summary(dataset, allocation)
    kpis = segment_kpis(allocation)
    figures = [distribution_figure(name, reps[reps["Segment"] == name], kpis[name].accounts, theme)
               for name in (ENTERPRISE, MID_MARKET)]
    banners = [banner("warning", text, dismissable=False) for text in allocation.warnings]
    return (banners, kpi_cards(kpis), disruption_card(state), fairness_cards(state.dataset, allocation), *figures,
            json_records(reps), fitted(REP_COLUMNS, reps))


def accounts_of(state):
    return account_table(state.dataset, state.allocation)


account_rows = serve_server_side_grid(Ids.ACCOUNT_GRID, accounts_of, ACCOUNT_COLUMNS)
ACCOUNT_PIN_HINT = "Select an account in the table to pin it to a rep, lock it to its owner or unpin it."
serve_pin_bar(Ids.ACCOUNT_PIN, ACCOUNT_PIN_HINT)


@callback(Output(f"{Ids.ACCOUNT_PIN}-account", "data"), Input(Ids.ACCOUNT_GRID, "selectedRows"),
          prevent_initial_call=True)
def select_account(rows):
    """The pin bar follows the account selected in the table."""
    if not rows or not isinstance(rows, list) or not isinstance(rows[0], dict):
        return None
    account_id = rows[0].get("Account_ID")
    return account_id if isinstance(account_id, str) else None


@callback(Output(Ids.REVIEW_QUEUE, "children"), Input(Ids.DATA, "data"), Input(Ids.SETTINGS, "data"),
          Input(Ids.PLAN, "data"))
def show_review_queue(data, settings, plan):
    state = current(data, settings, plan)
    return no_update if state is None else queue_view(state.dataset, state.allocation)


CURVE_IGNORES = ("threshold", "data_key", "refine", "objective", "min_gain")


@callback(Output(Ids.SENSITIVITY_INPUTS, "data"), Input(Ids.DATA, "data"), Input(Ids.SETTINGS, "data"),
          State(Ids.SENSITIVITY_INPUTS, "data"))
def sensitivity_inputs(data, settings, previous):
    """The curve depends on the weights and preferences, not on the threshold or on Refine
    balance (it is the greedy's): moving those must not start a new run."""
    if not data or not settings:
        return no_update
    inputs = {"key": data["key"], **{k: v for k, v in settings.items() if k not in CURVE_IGNORES}}
    return no_update if inputs == previous else inputs


def curve_failed(error: Exception) -> dict:
    """A job that died, or whose store failed, is reported on the chart like any other failure."""
    inputs = dash.ctx.inputs.get(f"{Ids.SENSITIVITY_JOB}.data")
    return {"inputs": inputs, "error": failed_message(error, "sensitivity run")}


INLINE_CURVE_ACCOUNTS = 20_000  # up to here a curve on one thread takes well under a second (0.28 s at 10,000)


@callback(Output(Ids.SENSITIVITY_CURVE, "data", allow_duplicate=True), Output(Ids.SENSITIVITY_JOB, "data"),
          Input(Ids.SENSITIVITY_INPUTS, "data"), State(Ids.SETTINGS, "data"), State(Ids.TAB, "data"),
          prevent_initial_call=True)
def curve_at_once(inputs, settings, tab):
    """Small data gets its curve in this request. A background job costs more than such a curve
    (a process, the data read back from the store): under load from 20 sessions, jobs were half
    the server's CPU. Bigger data goes to the job, which can be cancelled and shows its state."""
    dataset = dataset_of(inputs)
    if dataset is None or not settings:
        return no_update, no_update
    if dataset.n_accounts > INLINE_CURVE_ACCOUNTS:
        return no_update, inputs
    return curve_in_this_request(inputs, dataset, settings, latest_curve_of(tab)), no_update


CURVE_ASKED_SECONDS = 120  # longer than any curve computed at once


def latest_curve_of(tab) -> Callable[[], bool]:
    """Marks this request as its tab's latest curve and returns whether it still is. A user who
    moves a weight again before the curve is back no longer needs it: under load from 20 sessions
    such stale curves held request threads and cores that the slider's requests waited for."""
    if not is_tab_id(tab):
        return lambda: True
    return services().store.newest_request(f"curve:{tab}", CURVE_ASKED_SECONDS)


def curve_in_this_request(inputs: dict, dataset, settings: dict, still_wanted: Callable[[], bool]) -> dict:
    """Only the curve's kernel runs at low priority, in one call on a thread of its own: a thread
    of low priority that runs Python takes the interpreter's lock, and while it waits for a core
    with it, every other request of the worker waits too (20 sessions: slider p95 above 800 ms,
    stalls of 12 s). This thread prepares the curve, watches the kernel and stops it once time
    runs out or a newer curve is asked for: the request then changes nothing, so a late answer
    can never replace a newer curve."""
    started, stop = time.perf_counter(), np.zeros(1, dtype=np.uint8)

    def stop_if_unwanted():
        if not (within_time_limit(started) and still_wanted()):
            stop[0] = 1
    try:
        work = curve_work(dataset, settings_from_json(settings))
        rows = on_a_low_priority_thread(work.rows_in_order, stop, while_waiting=stop_if_unwanted)
    except Exception:  # any failure of the run must reach the user as a message, not a hang
        return curve_run_failed(inputs)
    if not still_wanted():
        raise PreventUpdate
    return curve_stopped(inputs) if rows is None else curve_json(inputs, work.curve(rows))


@callback(Output(Ids.SENSITIVITY_CURVE, "data"), Input(Ids.SENSITIVITY_JOB, "data"),
          State(Ids.SETTINGS, "data"), State(Ids.TAB, "data"), background=True,
          running=[(Output(Ids.SENSITIVITY_STATUS, "children"), "Computing the curve at every threshold…",
                    "Click a point to move the threshold there.")],
          prevent_initial_call=True, on_error=curve_failed)
def sensitivity_curve(inputs, settings, _tab):
    """The curve of big data, as a background job; a failure is reported on the chart, the inputs
    stay as they are. The tab id is an input only so that two tabs with the same inputs get jobs
    of their own: Dash keys a job's result by its inputs, and the first tab to read it would
    take it."""
    dataset = dataset_of(inputs)
    if dataset is None or not settings:
        return None
    return curve_of(inputs, dataset, settings)


def curve_of(inputs: dict, dataset, settings: dict) -> dict:
    """The curve as the chart's store holds it, or the sentence that says why there is none."""
    started = time.perf_counter()
    try:
        curve = sensitivity(dataset, settings_from_json(settings), lambda _done: within_time_limit(started))
    except Cancelled:
        return curve_stopped(inputs)
    except Exception:  # any failure of the run must reach the user as a message, not a hang
        return curve_run_failed(inputs)
    return curve_json(inputs, curve)


def curve_json(inputs: dict, curve: Sensitivity) -> dict:
    return {"inputs": inputs, "points": [curve_point_json(p) for p in curve.points]}


def curve_stopped(inputs: dict) -> dict:
    return {"inputs": inputs, "error": f"The sensitivity run stopped after {JOB_TIME_LIMIT_SECONDS} s, its time limit."}


def curve_run_failed(inputs: dict) -> dict:
    log.exception("sensitivity run failed")
    return {"inputs": inputs, "error": "The sensitivity run failed. Move any control to try again."}


def curve_point_json(point: SensitivityPoint) -> list:
    """A point as compact JSON: threshold, scores and ratio, then accounts, ARR, reps per segment."""
    segments = [value for s in point.segments.values() for value in (s.accounts, s.arr, s.reps)]
    return [point.threshold, point.balanced, point.custom, point.deal_size_ratio, *segments]


def curve_point(row: list) -> SensitivityPoint:
    threshold, balanced, custom, ratio, *segments = row
    return SensitivityPoint(threshold, balanced, custom, ratio,
                            {name: SegmentPoint(*segments[3 * k:3 * k + 3]) for k, name in enumerate(SEGMENTS)})


@callback(Output(Ids.SENSITIVITY, "figure"), Input(Ids.SENSITIVITY_CURVE, "data"),
          Input(Ids.SETTINGS, "data"), Input(Ids.THEME, "data"), State(Ids.DATA, "data"),
          State(Ids.SENSITIVITY_INPUTS, "data"))
def draw_sensitivity(curve, settings, theme, data, inputs):
    """The greedy's curve (whatever the mode: it shows what each threshold would give), its point
    at the current threshold marked."""
    dataset = dataset_of(data)
    try:
        marked = greedy(data, dataset, settings_from_json(settings)) if dataset is not None and settings else None
    except ValueError:
        marked = None
    if marked is None:
        return no_update
    if not curve or curve["inputs"] != inputs:
        return message_figure("Computing the sensitivity curve…", theme, 380)
    if "error" in curve:
        return message_figure(curve["error"], theme, 380)
    points = [curve_point(row) for row in curve["points"]]
    return sensitivity_figure(points, point_of(marked), marked.settings.weights.as_list(), theme)


@callback(Output(Ids.THRESHOLD_PICK, "data"), Input(Ids.SENSITIVITY, "clickData"), prevent_initial_call=True)
def pick_threshold(click):
    """A click on the curve moves the threshold to that point."""
    if not click or not click.get("points"):
        return no_update
    return {"threshold": int(click["points"][0]["x"])}

