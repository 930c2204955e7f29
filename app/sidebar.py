"""The sidebar on every page: upload, threshold, balance weights and preferences.

One callback owns the SETTINGS store: every control feeds it, and it writes every control back,
so the weights always sum to 100 and a page reload restores the session's choices.
"""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import (
    ClientsideFunction,
    Input,
    Output,
    State,
    callback,
    clientside_callback,
    ctx,
    dcc,
    get_relative_path,
    html,
    no_update,
)
from flask import request

from engine.dataset import SEGMENTS
from engine.io.template import FILES as TEMPLATE_FILES
from engine.refine import DEFAULT_MIN_GAIN, MIN_GAIN_CHOICES
from engine.settings import MAX_BONUS

from .cards import refine_summary
from .controls import Change, control_values, next_settings, slider_marks
from .ids import Ids
from .optimize import optimize_panel
from .plan import mode_section
from .services import services
from .state import ModeChoice, RefineChoice, current, dataset_of, demo_summary
from .terms import (
    CAP_TIP,
    GEO_TIP,
    HIGH_RISK_TIP,
    HOLD_TIP,
    LOCK_TIP,
    MIN_GAIN_TIP,
    PIN_TIP,
    PRESERVE_TIP,
    RAMP_TIP,
    WEIGHTS_TIP,
)
from .uploads import over_quota, receive_upload

MB = 1024 * 1024
AUTO_PREVIEW_ACCOUNTS = 5_000


def sidebar() -> html.Div:
    limit_mb = services().config.max_upload_bytes / MB
    return html.Div([
        section("Mode", mode_section()),
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
            template_links(),
            html.Div("Locations must be written the same way in both files (\"CA\" matches \"ca\", "
                     "not \"California\").", className="form-text"),
            html.Div(id=Ids.SETTINGS_NOTICE, className="small text-info-emphasis mt-1"),
            dbc.Button("Reset to defaults", id=Ids.RESET, color="link", size="sm", className="p-0 mt-1"),
        ]),
        section("Threshold (employees)", [
            dcc.Slider(id=Ids.THRESHOLD, min=0, max=1, step=1, allow_direct_input=False,
                       updatemode="mouseup", className="threshold-slider"),
            html.Label("Threshold in employees", htmlFor=Ids.THRESHOLD_INPUT, className="visually-hidden"),
            dbc.InputGroup([
                dbc.InputGroupText("≥"),
                dbc.Input(id=Ids.THRESHOLD_INPUT, type="text", inputMode="numeric", debounce=True,
                          placeholder="any whole number", className="threshold-box"),
                dbc.InputGroupText("employees: Enterprise"),
            ], size="sm", className="mt-2"),
            feedback(Ids.THRESHOLD_INPUT),
        ]),
        section("Balance weights (%)", [
            labelled_slider("ARR", Ids.WEIGHT_ARR, Ids.WEIGHT_ARR_VALUE, 0, 100, 1, WEIGHTS_TIP),
            labelled_slider("Accounts", Ids.WEIGHT_ACCOUNTS, Ids.WEIGHT_ACCOUNTS_VALUE, 0, 100, 1, WEIGHTS_TIP),
            labelled_slider("Risk", Ids.WEIGHT_RISK, Ids.WEIGHT_RISK_VALUE, 0, 100, 1, WEIGHTS_TIP),
            html.Div("Moving one rescales the other two; they always sum to 100.", className="form-text"),
        ]),
        section("Preferences", [
            labelled_slider("Geo match bonus", Ids.GEO, Ids.GEO_VALUE, 0, MAX_BONUS, 0.01, GEO_TIP),
            labelled_slider("Preserve owner bonus", Ids.PRESERVE, Ids.PRESERVE_VALUE, 0, MAX_BONUS, 0.01,
                            PRESERVE_TIP),
            labelled_slider("High-risk threshold (Risk_Score ≥)", Ids.HIGH_RISK, Ids.HIGH_RISK_VALUE, 0, 100, 5,
                            HIGH_RISK_TIP),
        ]),
        section("Rules", rules_section()),
        section("Refine balance", [
            dbc.Switch(id=Ids.REFINE, label="Refine after the greedy", value=False, className="mb-1"),
            html.Div([html.Span("Raise", className="small me-2"),
                      dbc.RadioItems(id=Ids.REFINE_OBJECTIVE, inline=True, value="balanced",
                                     options=[{"label": "Balanced", "value": "balanced"},
                                              {"label": "Custom", "value": "custom"}],
                                     className="small d-inline-block")], className="d-flex align-items-center"),
            min_gain_choice(),
            html.Div(id=Ids.REFINE_PREVIEW, className="small mt-1 refine-preview"),
            dbc.Button("Preview", id=Ids.REFINE_PREVIEW_RUN, color="link", size="sm", className="d-none p-0"),
            html.Div("Moves or swaps accounts inside a segment while that raises the score; never keeps "
                     "fewer geo matches or owners than the greedy did, never moves a locked account and "
                     "never takes a rep over a cap.", className="form-text"),
        ]),
        section("Optimize weights", [optimize_panel()]),
    ], className="sidebar")


def min_gain_choice() -> html.Div:
    """The smallest gain worth a change: a leader must be able to defend every move and swap."""
    options = [{"label": "any gain" if value == 0 else f"{value:g} points", "value": str(value)}
               for value in MIN_GAIN_CHOICES]
    return html.Div([
        dbc.Label("Smallest gain worth a change", html_for=Ids.REFINE_MIN_GAIN, className="small mb-0 me-2",
                  id=f"{Ids.REFINE_MIN_GAIN}-label"),
        dbc.Select(id=Ids.REFINE_MIN_GAIN, options=options, value=str(DEFAULT_MIN_GAIN), size="sm",
                   className="w-auto"),
        dbc.Tooltip(MIN_GAIN_TIP, target=f"{Ids.REFINE_MIN_GAIN}-label", placement="right"),
    ], className="d-flex align-items-center flex-wrap mt-1")


def template_links() -> html.Div:
    """DATA.md's template: the expected columns with three example rows, in both forms."""
    links = [html.A(label, href=get_relative_path(f"/template/{name}"), download=name, className="template-link")
             for name, label in TEMPLATE_FILES.items()]
    return html.Div(["Template: ", links[0], " · ", links[1], " · ", links[2]],
                    className="small mt-1", id=Ids.TEMPLATES)


def section(title: str, children: list) -> html.Section:
    return html.Section([html.H6(title, className="sidebar-title"), *children], className="mb-3")


def feedback(component_id: str) -> html.Div:
    """Where a refused typed value is explained (empty otherwise)."""
    return html.Div(id=f"{component_id}-feedback", className="form-text text-danger", role="alert")


def labelled_slider(label: str, component_id: str, value_id: str, low: float, high: float,
                    step: float, tip: str | None = None) -> html.Div:
    """A slider with its current value beside the label (drag, click or use the arrow keys); the
    value follows the handle while it is dragged (app.js), the settings apply on release."""
    shown = term(label, tip, f"{component_id}-term") if tip else label
    return html.Div([
        html.Div([html.Label(shown, htmlFor=component_id, className="form-label small mb-0"),
                  dbc.Badge(id=value_id, color="secondary", className="slider-value")],
                 className="d-flex justify-content-between align-items-center"),
        dcc.Slider(id=component_id, min=low, max=high, step=step, marks=None, updatemode="mouseup",
                   allow_direct_input=False),
    ], className="mb-2")


def term(text: str, tip: str, target: str) -> html.Span:
    """A label with a dotted underline whose tooltip explains the term."""
    return html.Span([html.Span(text, id=target, className="term", tabIndex=0),
                      dbc.Tooltip(tip, target=target, placement="right")])


def money_box(label, component_id: str, tip: str) -> html.Div:
    return html.Div([
        html.Label(term(label, tip, f"{component_id}-term"), htmlFor=component_id, className="form-label small mb-0"),
        dbc.Input(id=component_id, type="text", inputMode="decimal", debounce=True, size="sm", placeholder="off"),
        feedback(component_id),
    ], className="mb-2")


def rules_section() -> list:
    """ALLOCATION.md §7 in the sidebar: lock and review thresholds, default caps per segment, and
    how many accounts the rules lock, pin and hold."""
    boxes = [(Ids.CAP_ACCOUNTS_E, Ids.CAP_ARR_E), (Ids.CAP_ACCOUNTS_M, Ids.CAP_ARR_M)]
    caps = html.Table([
        html.Thead(html.Tr([html.Th(term("Default caps", CAP_TIP, "caps-term"), className="fw-normal"),
                            html.Th("Max accounts", className="fw-normal"),
                            html.Th("Max ARR", className="fw-normal")])),
        html.Tbody([html.Tr([html.Td(segment), *[html.Td(cap_box(box, f"{segment} {what}"))
                                                 for box, what in zip(pair, ("max accounts", "max ARR"))]])
                    for segment, pair in zip(SEGMENTS, boxes)]),
    ], className="caps-table small mb-1")
    return [
        money_box("Lock accounts with ARR ≥", Ids.LOCK_ARR, LOCK_TIP),
        money_box("Hold for review ARR ≥", Ids.REVIEW_ARR, HOLD_TIP),
        caps, *[feedback(box) for pair in boxes for box in pair],
        html.Div(id=Ids.RULE_COUNTS, className="small mt-1"),
        html.Div([term("Pin", PIN_TIP, "pin-term"), " an account from the account table, the Audit Trail or the "
                  "review queue. A rep's own caps and ", term("ramp", RAMP_TIP, "ramp-term"),
                  " come from the Reps file (Max_Accounts, Max_ARR, Ramp)."], className="form-text"),
    ]


def cap_box(component_id: str, label: str) -> html.Div:
    return html.Div([html.Label(label, htmlFor=component_id, className="visually-hidden"),
                     dbc.Input(id=component_id, type="text", debounce=True, size="sm", placeholder="none")])


CONTROLS = {  # name → (component id, property) of every control the settings callback reads and writes
    "threshold": (Ids.THRESHOLD, "value"), "threshold_text": (Ids.THRESHOLD_INPUT, "value"),
    "weight_arr": (Ids.WEIGHT_ARR, "value"), "weight_accounts": (Ids.WEIGHT_ACCOUNTS, "value"),
    "weight_risk": (Ids.WEIGHT_RISK, "value"),
    "geo": (Ids.GEO, "value"), "preserve": (Ids.PRESERVE, "value"), "high_risk": (Ids.HIGH_RISK, "value"),
    "refine": (Ids.REFINE, "value"), "objective": (Ids.REFINE_OBJECTIVE, "value"),
    "min_gain": (Ids.REFINE_MIN_GAIN, "value"),
    "lock_arr": (Ids.LOCK_ARR, "value"), "review_arr": (Ids.REVIEW_ARR, "value"),
    "cap_accounts_e": (Ids.CAP_ACCOUNTS_E, "value"), "cap_arr_e": (Ids.CAP_ARR_E, "value"),
    "cap_accounts_m": (Ids.CAP_ACCOUNTS_M, "value"), "cap_arr_m": (Ids.CAP_ARR_M, "value"),
    "mode": (Ids.MODE, "value"), "band": (Ids.BAND, "value"), "drivers": (Ids.PLAN_DRIVERS, "value"),
    "waves": (Ids.WAVES, "value"),
}
EVENTS = {  # name → (component id, property): choices made elsewhere that change the settings
    "pick": (Ids.THRESHOLD_PICK, "data"), "weights_pick": (Ids.WEIGHTS_PICK, "data"),
    "pin": (Ids.PIN_REQUEST, "data"), "reset": (Ids.RESET, "n_clicks"),
}
TYPED = ("threshold_text", "lock_arr", "review_arr", "cap_accounts_e", "cap_arr_e", "cap_accounts_m", "cap_arr_m")
BADGES = {"weight_arr": Ids.WEIGHT_ARR_VALUE, "weight_accounts": Ids.WEIGHT_ACCOUNTS_VALUE,
          "weight_risk": Ids.WEIGHT_RISK_VALUE, "geo": Ids.GEO_VALUE, "preserve": Ids.PRESERVE_VALUE,
          "high_risk": Ids.HIGH_RISK_VALUE, "band": Ids.BAND_VALUE}
TRIGGERS = {component: name for name, (component, _) in {**CONTROLS, **EVENTS}.items()}


@callback(
    output={"settings": Output(Ids.SETTINGS, "data"),
            "values": {name: Output(*where) for name, where in CONTROLS.items()},
            "feedback": {name: Output(f"{CONTROLS[name][0]}-feedback", "children") for name in TYPED},
            "badges": {name: Output(badge, "children") for name, badge in BADGES.items()},
            "slider": {"max": Output(Ids.THRESHOLD, "max"), "marks": Output(Ids.THRESHOLD, "marks")},
            "risk_locked": Output(Ids.WEIGHT_RISK, "disabled"), "notice": Output(Ids.SETTINGS_NOTICE, "children")},
    inputs={"data": Input(Ids.DATA, "data"), "controls": {name: Input(*where) for name, where in CONTROLS.items()},
            "events": {name: Input(*where) for name, where in EVENTS.items()}, "stored": State(Ids.SETTINGS, "data")})
def update_settings(data, controls, events, stored):
    """The one owner of the SETTINGS store: every control feeds it and it writes every control
    back, so the weights always sum to 100 and a reload restores the session's choices."""
    change = next_settings(TRIGGERS.get(ctx.triggered_id), {**controls, **events}, stored, data)
    return settings_outputs(change, data)


def settings_outputs(change: Change, data: dict) -> dict:
    """What the settings callback writes for a change: the store, every control and its badge."""
    settings = change.settings
    values = control_values(settings, data)
    return {
        "settings": settings, "values": values,
        "feedback": {name: change.feedback.get(name, "") for name in TYPED},
        "badges": badges(settings),
        "slider": {"max": len(data["stops"]) - 1, "marks": slider_marks(data["stops"])},
        "risk_locked": not data["has_risk"], "notice": reset_notice(change.reset, settings),
    }


def badges(settings: dict) -> dict:
    """The value shown beside each slider, in the words of the sidebar (a 0.05 bonus is +5%)."""
    return {**{name: f"{w}%" for name, w in zip(("weight_arr", "weight_accounts", "weight_risk"), settings["weights"])},
            "geo": f"+{settings['geo']:.0%}", "preserve": f"+{settings['preserve']:.0%}",
            "high_risk": f"≥ {settings['high_risk']:g}", "band": f"±{settings['band']:g}%"}


DRAG_LABELS = {Ids.WEIGHT_ARR: "percent", Ids.WEIGHT_ACCOUNTS: "percent", Ids.WEIGHT_RISK: "percent",
               Ids.GEO: "bonus", Ids.PRESERVE: "bonus", Ids.HIGH_RISK: "atLeast"}
for slider, kind in DRAG_LABELS.items():
    clientside_callback(ClientsideFunction("slicer", f"{kind}Label"),
                        Output(f"{slider}-value", "children", allow_duplicate=True),
                        Input(slider, "drag_value"), prevent_initial_call=True)


def reset_notice(reason: str | None, settings: dict) -> str:
    if reason is None:
        return ""
    start = "New data, so the settings" if reason == "new data" else "The settings"
    w = settings["weights"]
    return (f"{start} start from the defaults: threshold {settings['threshold']:,} employees, weights "
            f"{w[0]}/{w[1]}/{w[2]}, no rules.")


@callback(Output(Ids.RULE_COUNTS, "children"), Input(Ids.SETTINGS, "data"), Input(Ids.PLAN, "data"),
          State(Ids.DATA, "data"))
def rule_counts(settings, plan, data):
    """How many accounts the rules lock, pin and hold at the current settings."""
    state = current(data, settings, plan)
    if state is None:
        return no_update
    outcome = state.allocation.rules
    pins = len(state.allocation.settings.rules.pins)
    parts = [f"{outcome.locked:,} locked" + (f" ({pins:,} pinned)" if pins else ""),
             f"{outcome.held:,} held for review"]
    if outcome.held:
        parts[-1] = html.A(parts[-1], href="/#review-queue")
    return [html.Span(parts[0]), " · ", parts[1]]


@callback(Output(Ids.REFINE_PREVIEW, "children"), Output(Ids.REFINE_PREVIEW_RUN, "className"),
          Input(Ids.SETTINGS, "data"), Input(Ids.REFINE_PREVIEW_RUN, "n_clicks"), State(Ids.DATA, "data"))
def refine_preview(settings, _asked, data):
    """What refinement gives at the current settings, shown before it is switched on too: at
    once on data up to AUTO_PREVIEW_ACCOUNTS (tens of milliseconds), on request above, where a
    preview at every slider move would cost each user up to a second of server time."""
    choice = RefineChoice.of(settings)
    if ModeChoice.of(settings).rebalancing:
        return "Refine balance applies to a redraw; a rebalance keeps today's books.", "d-none"
    wanted = choice.on or ctx.triggered_id == Ids.REFINE_PREVIEW_RUN
    if data and not wanted and data["accounts"] > AUTO_PREVIEW_ACCOUNTS:
        return f"Refining {data['accounts']:,} accounts takes a moment.", "p-0 ms-1 align-baseline"
    state = current(data, settings, objective=choice.objective)
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
          Output(Ids.LOAD_REPORT, "data", allow_duplicate=True), Output(Ids.MAPPING, "data", allow_duplicate=True),
          Input(Ids.UPLOAD_PAYLOAD, "data"), State(Ids.PENDING, "data"), State(Ids.MAPPING_MEMORY, "data"),
          running=[(Output(Ids.UPLOAD, "disabled"), True, False),
                   (Output(Ids.UPLOAD, "className"), "upload-zone busy", "upload-zone")],
          prevent_initial_call=True)
def upload(payload, pending, remembered):
    if not payload:
        return no_update, no_update, no_update, no_update
    config = services().config
    refused = over_quota(payload["contents"], request.remote_addr, services().store, config.upload_quota_bytes)
    if refused:
        return no_update, no_update, refused, no_update
    outcome = receive_upload(payload["contents"], payload["names"], pending, services().store,
                             services().config.limits, remembered)
    return ((outcome.data if outcome.data is not None else no_update), outcome.pending, outcome.report,
            outcome.mapping)
