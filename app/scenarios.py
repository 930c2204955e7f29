"""Scenarios in the header (PAGES.md, issue 16): save the current state under a name with a note
on why, open one (from the list or from its link, `/?scenario=<id>`), rename, approve, delete.

A scenario holds its data, so opening one puts that data in this session (as an upload would)
with the settings, rules, pins and mode it was saved with. Everything the browser sends is
checked: settings go through the same validation as the controls', ids must look like ids.
"""
from __future__ import annotations

import logging
from urllib.parse import parse_qs

import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, ctx, dcc, html, no_update
from flask import request

from .ids import Ids
from .scenario_store import MAX_NAME, MAX_NOTE, DatabaseDown, Scenario, ScenarioError, is_scenario_id
from .security import signed_in_user
from .services import services
from .state import ModeChoice, RefineChoice, data_summary, dataset_of, settings_from_json, settings_json
from .store import StoreFull

log = logging.getLogger(__name__)
PAGES_LOCATION = "_pages_location"  # Dash pages' own dcc.Location
OPEN, APPROVE, RENAME = "scenario-open", "scenario-approve", "scenario-rename"
NEW_NAME, DELETE = "scenario-new-name", "scenario-delete"


def scenarios_panel() -> dbc.Offcanvas:
    return dbc.Offcanvas([
        html.P("Save what you see (the data, threshold, weights, rules, pins and mode) with a note on why, "
               "so the decision and its reasons are kept.", className="small text-body-secondary"),
        dbc.Label("Name", html_for=Ids.SCENARIO_NAME, className="small mb-0"),
        dbc.Input(id=Ids.SCENARIO_NAME, maxLength=MAX_NAME, size="sm", placeholder="e.g. FY27 plan, threshold 1,000"),
        dbc.Label("Why this choice", html_for=Ids.SCENARIO_NOTE, className="small mb-0 mt-2"),
        dbc.Textarea(id=Ids.SCENARIO_NOTE, maxLength=MAX_NOTE, size="sm", rows=2,
                     placeholder="e.g. Finance asked for smaller Enterprise books"),
        dbc.Button("Save current state", id=Ids.SCENARIO_SAVE, color="primary", size="sm", className="mt-2"),
        html.Div(id=Ids.SCENARIO_FEEDBACK, className="small mt-2", role="status"),
        html.Hr(),
        html.H6("Saved scenarios"),
        html.Div(id=Ids.SCENARIO_LIST),
        dcc.Store(id=Ids.SCENARIO_VERSION, data=0),
    ], id=Ids.SCENARIOS, title="Scenarios", placement="end", is_open=False)


@callback(Output(Ids.SCENARIOS, "is_open"), Input(Ids.SCENARIOS_OPEN, "n_clicks"), prevent_initial_call=True)
def open_panel(_clicks):
    return True


@callback(Output(Ids.SCENARIO_LIST, "children"), Input(Ids.SCENARIOS, "is_open"), Input(Ids.SCENARIO_VERSION, "data"))
def list_scenarios(is_open, _version):
    if not is_open:
        return no_update
    try:
        saved = services().scenarios.list()
    except DatabaseDown as error:
        return dbc.Alert(str(error), color="danger", className="py-1 small")
    if not saved:
        return html.P("None yet.", className="small text-body-secondary")
    return html.Div([scenario_card(scenario) for scenario in saved], id=f"{Ids.SCENARIO_LIST}-items")


def scenario_card(scenario: Scenario) -> dbc.Card:
    """Name, note, data and who/when; Open, Copy link, Approve, Rename and Delete."""
    key = scenario.id
    link = f"{request.host_url}?scenario={key}"
    approved = (dbc.Badge(f"Approved by {scenario.approved_by}, {day(scenario.approved_at)}", color="success",
                          className="me-1") if scenario.approved_at else None)
    return dbc.Card(dbc.CardBody([
        html.Div([html.Strong(scenario.name, className="me-2"), approved]),
        html.Div(scenario.note, className="small") if scenario.note else None,
        html.Div(f"{scenario.label} · {scenario.accounts:,} accounts · {scenario.reps:,} reps · saved "
                 f"{day(scenario.created)}{' by ' + scenario.author if scenario.author else ''}",
                 className="small text-body-secondary"),
        html.Div([
            dbc.Button("Open", id={"type": OPEN, "id": key}, color="primary", size="sm"),
            dcc.Clipboard(content=link, title="Copy a link that opens this scenario", className="btn btn-sm "
                          "btn-outline-secondary", id={"type": "scenario-copy", "id": key}),
            dbc.Button("Approve", id={"type": APPROVE, "id": key}, color="success", outline=True, size="sm",
                       disabled=scenario.approved_at is not None),
            dcc.ConfirmDialogProvider(dbc.Button("Delete", color="danger", outline=True, size="sm"),
                                      id={"type": DELETE, "id": key},
                                      message=f"Delete the scenario “{scenario.name}”? This cannot be undone."),
        ], className="d-flex flex-wrap gap-1 mt-2 align-items-center"),
        dbc.InputGroup([dbc.InputGroupText("Name"),
                        dbc.Input(value=scenario.name, id={"type": NEW_NAME, "id": key}, maxLength=MAX_NAME),
                        dbc.Button("Rename", id={"type": RENAME, "id": key}, color="secondary", outline=True,
                                   size="sm")], size="sm", className="mt-2"),
    ], className="p-2"), className="mb-2 scenario", id=f"scenario-{key}")


def day(moment) -> str:
    return moment.strftime("%d %b %Y %H:%M UTC") if moment else ""


@callback(Output(Ids.SCENARIO_FEEDBACK, "children"), Output(Ids.SCENARIO_VERSION, "data"),
          Input(Ids.SCENARIO_SAVE, "n_clicks"), State(Ids.SCENARIO_NAME, "value"), State(Ids.SCENARIO_NOTE, "value"),
          State(Ids.DATA, "data"), State(Ids.SETTINGS, "data"), State(Ids.SCENARIO_VERSION, "data"),
          prevent_initial_call=True)
def save_scenario(_clicks, name, note, data, settings, version):
    dataset = dataset_of(data)
    clean = clean_settings(settings, data)
    if dataset is None or clean is None:
        return failed("Nothing to save: your data or settings are no longer on the server; reload the page."), \
            no_update
    try:
        saved = services().scenarios.save(dataset, data.get("label") or "Uploaded data", clean, name, note,
                                          signed_in_user())
    except (ScenarioError, DatabaseDown) as error:
        return failed(str(error)), no_update
    return html.Span(f"Saved “{saved.name}”. Its link opens it for anyone who can sign in.",
                     className="text-success"), (version or 0) + 1


def clean_settings(stored, data) -> dict | None:
    """The session's settings rebuilt from validated values (the store is the browser's)."""
    if not isinstance(stored, dict) or not isinstance(data, dict):
        return None
    try:
        settings = settings_from_json(stored)
    except ValueError:
        return None
    return settings_json(settings, data.get("key"), RefineChoice.of(stored), ModeChoice.of(stored))


def failed(message: str) -> html.Span:
    return html.Span(message, className="text-danger")


@callback(Output(Ids.SCENARIO_FEEDBACK, "children", allow_duplicate=True),
          Output(Ids.SCENARIO_VERSION, "data", allow_duplicate=True),
          Input({"type": APPROVE, "id": ALL}, "n_clicks"), Input({"type": RENAME, "id": ALL}, "n_clicks"),
          Input({"type": DELETE, "id": ALL}, "submit_n_clicks"), State({"type": NEW_NAME, "id": ALL}, "value"),
          State(Ids.SCENARIO_VERSION, "data"), prevent_initial_call=True)
def change_scenario(_approve, _rename, _delete, names, version):
    """Approve, rename or delete the scenario whose button was pressed."""
    trigger = ctx.triggered_id
    if not ctx.triggered or not ctx.triggered[0]["value"] or not isinstance(trigger, dict) \
            or not is_scenario_id(trigger.get("id")):
        return no_update, no_update
    key, store = trigger["id"], services().scenarios
    try:
        if trigger["type"] == APPROVE:
            done = store.approve(key, signed_in_user())
            message = done and f"Approved “{done.name}”."
        elif trigger["type"] == RENAME:
            name = next((value for state, value in zip(ctx.states_list[0], names) if state["id"]["id"] == key), None)
            saved = store.get(key)
            done = saved and store.rename(key, name, saved.note)
            message = done and f"Renamed to “{done.name}”."
        else:
            message = store.delete(key) and "Deleted."
    except (ScenarioError, DatabaseDown) as error:
        return failed(str(error)), no_update
    return (html.Span(message, className="text-success") if message else failed("That scenario no longer exists.")), \
        (version or 0) + 1


@callback(Output(Ids.DATA, "data", allow_duplicate=True),
          Output(Ids.LOAD_REPORT, "data", allow_duplicate=True), Output(Ids.SCENARIOS, "is_open", allow_duplicate=True),
          Input({"type": OPEN, "id": ALL}, "n_clicks"), Input(PAGES_LOCATION, "search"),
          prevent_initial_call="initial_duplicate")
def open_scenario(_clicks, search):
    """From the list, or from a link: the scenario's data and settings become this session's."""
    trigger = ctx.triggered_id
    if isinstance(trigger, dict):
        if not ctx.triggered[0]["value"]:
            return (no_update,) * 3
        key = trigger.get("id")
    else:
        key = linked_scenario(search)
        if key is None:
            return (no_update,) * 3
    return (*opened(key), False)


def linked_scenario(search) -> str | None:
    """The id in `?scenario=<id>`, if the query holds one."""
    if not isinstance(search, str) or len(search) > 200:
        return None
    values = parse_qs(search.lstrip("?")).get("scenario") or [None]
    return values[0]


def opened(key) -> tuple:
    """(DATA with the scenario's settings, banner), or a banner that says why it cannot open."""
    refusal = {"level": "warning", "details": [],
               "title": "That scenario does not exist (it may have been deleted); your data is unchanged."}
    try:
        scenario = services().scenarios.get(key) if is_scenario_id(key) else None
        dataset = services().scenarios.dataset(key) if scenario else None
    except DatabaseDown as error:
        return no_update, {"level": "danger", "title": str(error), "details": []}
    if scenario is None or dataset is None:
        return no_update, refusal
    try:
        session_key = services().store.put(dataset)
    except StoreFull:
        return no_update, {"level": "danger", "details": [],
                                      "title": "The server has no room to open the scenario right now; your data "
                                               "is unchanged. Try again later."}
    data = data_summary(session_key, dataset, f"Scenario “{scenario.name}”", scenario.settings)
    by = f" by {scenario.author}" if scenario.author else ""
    approved = f", approved by {scenario.approved_by} {day(scenario.approved_at)}" if scenario.approved_at else ""
    note = f" Why: {scenario.note}" if scenario.note else ""
    report = {"level": "info", "details": [],
              "title": f"Opened the scenario “{scenario.name}”, saved{by} {day(scenario.created)}{approved}.{note}"}
    return data, report
