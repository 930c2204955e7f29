"""The sidebar on every page: upload, threshold, balance weights and preferences.

One callback owns the SETTINGS store: every control feeds it, and it writes every control back,
so the weights always sum to 100 and a page reload restores the session's choices.
"""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import ClientsideFunction, Input, Output, State, callback, clientside_callback, ctx, dcc, html, no_update

from engine.settings import MAX_BONUS

from .cards import refine_summary
from .controls import format_count, next_settings, slider_marks
from .ids import Ids
from .optimize import optimize_panel
from .services import services
from .state import RefineChoice, current, dataset_of, demo_summary
from .uploads import receive_upload

MB = 1024 * 1024
AUTO_PREVIEW_ACCOUNTS = 5_000


def sidebar() -> html.Div:
    limit_mb = services().config.max_upload_bytes / MB
    return html.Div([
        section("Data", [
            html.Div(id=Ids.DATA_LABEL, className="small text-body-secondary mb-2"),
            dcc.Upload(id=Ids.UPLOAD, multiple=True, className="upload-zone",
                       className_active="upload-zone active",
                       children=html.Div([
                           html.Div("Drop two CSVs (Reps + Accounts) or one .xlsx", className="fw-semibold"),
                           html.Div("or click to choose files", className="small"),
                           html.Div(f"Up to {limit_mb:g} MB per file", className="small text-body-secondary"),
                       ])),
            dcc.Store(id=Ids.UPLOAD_LIMIT, data=services().config.max_upload_bytes),
            html.Div("Locations must be written the same way in both files (\"CA\" matches \"ca\", "
                     "not \"California\").", className="form-text"),
        ]),
        section("Threshold (employees)", [
            dcc.Slider(id=Ids.THRESHOLD, min=0, max=1000, step=1000, allow_direct_input=False,
                       updatemode="mouseup", className="threshold-slider"),
            dbc.InputGroup([
                dbc.InputGroupText("≥"),
                dbc.Input(id=Ids.THRESHOLD_INPUT, type="text", inputMode="numeric", debounce=True,
                          placeholder="any whole number"),
                dbc.InputGroupText("employees = Enterprise"),
            ], size="sm", className="mt-2"),
        ]),
        section("Balance weights (%)", [
            labelled_slider("ARR", Ids.WEIGHT_ARR, Ids.WEIGHT_ARR_VALUE, 0, 100, 1),
            labelled_slider("Accounts", Ids.WEIGHT_ACCOUNTS, Ids.WEIGHT_ACCOUNTS_VALUE, 0, 100, 1),
            labelled_slider("Risk", Ids.WEIGHT_RISK, Ids.WEIGHT_RISK_VALUE, 0, 100, 1),
            html.Div("Moving one rescales the other two; they always sum to 100.", className="form-text"),
        ]),
        section("Preferences", [
            labelled_slider("Geo match bonus", Ids.GEO, Ids.GEO_VALUE, 0, MAX_BONUS, 0.01),
            labelled_slider("Preserve owner bonus", Ids.PRESERVE, Ids.PRESERVE_VALUE, 0, MAX_BONUS, 0.01),
            labelled_slider("High-risk threshold (Risk_Score ≥)", Ids.HIGH_RISK, Ids.HIGH_RISK_VALUE, 0, 100, 5),
        ]),
        section("Refine balance", [
            dbc.Switch(id=Ids.REFINE, label="Refine after the greedy", value=False, className="mb-1"),
            html.Div([html.Span("Raise", className="small me-2"),
                      dbc.RadioItems(id=Ids.REFINE_OBJECTIVE, inline=True, value="balanced",
                                     options=[{"label": "Balanced", "value": "balanced"},
                                              {"label": "Custom", "value": "custom"}],
                                     className="small d-inline-block")], className="d-flex align-items-center"),
            html.Div(id=Ids.REFINE_PREVIEW, className="small mt-1 refine-preview"),
            dbc.Button("Preview", id=Ids.REFINE_PREVIEW_RUN, color="link", size="sm", className="d-none p-0"),
            html.Div("Moves or swaps accounts inside a segment while that raises the score; never keeps "
                     "fewer geo matches or owners than the greedy did.", className="form-text"),
        ]),
        section("Optimize weights", [optimize_panel()]),
    ], className="sidebar")


def section(title: str, children: list) -> html.Section:
    return html.Section([html.H6(title, className="sidebar-title"), *children], className="mb-3")


def labelled_slider(label: str, component_id: str, value_id: str, low: float, high: float,
                    step: float) -> html.Div:
    """A slider with its current value beside the label (drag, click or use the arrow keys)."""
    return html.Div([
        html.Div([html.Label(label, htmlFor=component_id, className="form-label small mb-0"),
                  dbc.Badge(id=value_id, color="secondary", className="slider-value")],
                 className="d-flex justify-content-between align-items-center"),
        dcc.Slider(id=component_id, min=low, max=high, step=step, marks=None, updatemode="mouseup",
                   allow_direct_input=False),
    ], className="mb-2")


CONTROL_INPUTS = [Input(Ids.THRESHOLD, "value"), Input(Ids.THRESHOLD_INPUT, "value"),
                  Input(Ids.THRESHOLD_PICK, "data"), Input(Ids.WEIGHTS_PICK, "data"),
                  Input(Ids.WEIGHT_ARR, "value"), Input(Ids.WEIGHT_ACCOUNTS, "value"),
                  Input(Ids.WEIGHT_RISK, "value"),
                  Input(Ids.GEO, "value"), Input(Ids.PRESERVE, "value"), Input(Ids.HIGH_RISK, "value"),
                  Input(Ids.REFINE, "value"), Input(Ids.REFINE_OBJECTIVE, "value")]


@callback(
    Output(Ids.SETTINGS, "data"),
    Output(Ids.THRESHOLD, "value"), Output(Ids.THRESHOLD, "min"), Output(Ids.THRESHOLD, "max"),
    Output(Ids.THRESHOLD, "marks"), Output(Ids.THRESHOLD_INPUT, "value"),
    Output(Ids.WEIGHT_ARR, "value"), Output(Ids.WEIGHT_ACCOUNTS, "value"), Output(Ids.WEIGHT_RISK, "value"),
    Output(Ids.WEIGHT_RISK, "disabled"),
    Output(Ids.GEO, "value"), Output(Ids.PRESERVE, "value"), Output(Ids.HIGH_RISK, "value"),
    Output(Ids.WEIGHT_ARR_VALUE, "children"), Output(Ids.WEIGHT_ACCOUNTS_VALUE, "children"),
    Output(Ids.WEIGHT_RISK_VALUE, "children"), Output(Ids.GEO_VALUE, "children"),
    Output(Ids.PRESERVE_VALUE, "children"), Output(Ids.HIGH_RISK_VALUE, "children"),
    Output(Ids.REFINE, "value"), Output(Ids.REFINE_OBJECTIVE, "value"),
    Input(Ids.DATA, "data"), *CONTROL_INPUTS, State(Ids.SETTINGS, "data"))
def update_settings(data, threshold, threshold_text, pick, weights_pick, w_arr, w_accounts, w_risk, geo, preserve,
                    high_risk, refine, objective, stored):
    inputs = {"threshold": threshold, "threshold_text": threshold_text, "pick": pick, "weights_pick": weights_pick,
              "weights": [w_arr, w_accounts, w_risk], "geo": geo, "preserve": preserve,
              "high_risk": high_risk, "refine": refine, "objective": objective}
    settings = next_settings(ctx.triggered_id, inputs, stored, data)
    return (settings, *control_values(settings, data))


def control_values(settings: dict, data: dict) -> tuple:
    """What every control shows for `settings`, in the callback's output order."""
    low, high = data["range"]
    weights = settings["weights"]
    return (settings["threshold"], low, high, slider_marks(low, high), format_count(settings["threshold"]),
            *weights, not data["has_risk"],
            settings["geo"], settings["preserve"], settings["high_risk"],
            *(f"{w}%" for w in weights), f"{settings['geo']:.2f}", f"{settings['preserve']:.2f}",
            f"{settings['high_risk']:g}", settings["refine"], settings["objective"])


@callback(Output(Ids.REFINE_PREVIEW, "children"), Output(Ids.REFINE_PREVIEW_RUN, "className"),
          Input(Ids.SETTINGS, "data"), Input(Ids.REFINE_PREVIEW_RUN, "n_clicks"), State(Ids.DATA, "data"))
def refine_preview(settings, _asked, data):
    """What refinement gives at the current settings, shown before it is switched on too: at
    once on data up to AUTO_PREVIEW_ACCOUNTS (tens of milliseconds), on request above, where a
    preview at every slider move would cost each user up to a second of server time."""
    choice = RefineChoice.of(settings)
    wanted = choice.on or ctx.triggered_id == Ids.REFINE_PREVIEW_RUN
    if data and not wanted and data["accounts"] > AUTO_PREVIEW_ACCOUNTS:
        return f"Refining {data['accounts']:,} accounts takes a moment.", "p-0 ms-1 align-baseline"
    state = current(data, settings, choice.objective)
    if state is None:
        return no_update, no_update
    return refine_summary(state.allocation, choice.on), "d-none"


@callback(Output(Ids.DATA, "data"), Output(Ids.LOAD_REPORT, "data"), Input(Ids.DATA, "data"))
def ensure_data(data):
    """A session whose upload expired (or that has none yet) falls back to the demo, and says so.
    Valid data is passed on as it is: callbacks that wait on DATA would skip a no_update."""
    if dataset_of(data) is not None:
        return data, no_update
    if data:
        return demo_summary(), {"level": "warning", "details": [],
                                "title": f"Your data ({data.get('label')}) is no longer on the server "
                                         f"(it expired or the server was reset). Showing the demo data; "
                                         f"upload your files again to continue."}
    return demo_summary(), None


@callback(Output(Ids.DATA_LABEL, "children"), Input(Ids.DATA, "data"))
def describe_data(data):
    if not data:
        return ""
    return [html.Strong(data["label"]), f" · {data['accounts']:,} accounts · {data['reps']:,} reps"]


clientside_callback(ClientsideFunction("slicer", "checkUpload"),
                    Output(Ids.UPLOAD_PAYLOAD, "data"), Output(Ids.LOAD_REPORT, "data", allow_duplicate=True),
                    Output(Ids.UPLOAD, "contents"),
                    Input(Ids.UPLOAD, "contents"), State(Ids.UPLOAD, "filename"), State(Ids.UPLOAD_LIMIT, "data"),
                    prevent_initial_call=True)


@callback(Output(Ids.DATA, "data", allow_duplicate=True), Output(Ids.PENDING, "data"),
          Output(Ids.LOAD_REPORT, "data", allow_duplicate=True),
          Input(Ids.UPLOAD_PAYLOAD, "data"), State(Ids.PENDING, "data"),
          running=[(Output(Ids.UPLOAD, "disabled"), True, False),
                   (Output(Ids.UPLOAD, "className"), "upload-zone busy", "upload-zone")],
          prevent_initial_call=True)
def upload(payload, pending):
    if not payload:
        return no_update, no_update, no_update
    outcome = receive_upload(payload["contents"], payload["names"], pending, services().store,
                             services().config.limits)
    return (outcome.data if outcome.data is not None else no_update), outcome.pending, outcome.report
