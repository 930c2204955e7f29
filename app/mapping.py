"""The column-mapping step (DATA.md "Files as CRMs export them").

When a required field has no column the loader can be sure of, the upload waits server-side and
this panel asks: per field, the file's columns with the best guess preselected, beside the first
rows of the file. The choice is remembered in this browser (local storage), keyed by the file's
set of headers, so the next export with the same columns loads without asking.

Everything here comes back from the browser, so it is checked before use: the waiting files are
found by their server-side key, and a chosen column counts only if the file has it.
"""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, html, no_update

from engine.io.columns import ACCOUNTS, REPS, ColumnMap
from engine.io.loading import FieldChoice, MappingRequest

from .ids import Ids
from .services import services
from .uploads import load_mapped

MAX_REMEMBERED = 50     # header sets remembered per browser
MAX_COLUMNS = 500       # a request with more is not one the server made
KIND_NAMES = {REPS: "Reps", ACCOUNTS: "Accounts"}


def requests_of(waiting) -> list[MappingRequest]:
    """The mapping requests of the MAPPING store, or [] when it holds anything else."""
    raw = waiting.get("requests") if isinstance(waiting, dict) else None
    if not isinstance(raw, list):
        return []
    requests = [request for item in raw[:2] if (request := _request(item)) is not None]
    return requests if len(requests) == len(raw) else []


def _request(item) -> MappingRequest | None:
    try:
        columns = tuple(_text(c) for c in item["columns"][:MAX_COLUMNS + 1])
        choices = tuple(FieldChoice(_text(c["field"]), _text(c["problem"]),
                                    c["guess"] if c["guess"] in columns else None) for c in item["choices"][:20])
        preview = tuple(tuple(_text(v) for v in row[:len(columns)]) for row in item["preview"][:5])
        kind, key = item["kind"], _text(item["key"])
    except (KeyError, TypeError, ValueError):
        return None
    if kind not in KIND_NAMES or len(columns) > MAX_COLUMNS:
        return None
    return MappingRequest(_text(item.get("file", "")), kind, columns, preview, choices, key)


def _text(value) -> str:
    if not isinstance(value, str) or len(value) > 1000:
        raise ValueError("not a short text")
    return value


def mapping_panel(requests: list[MappingRequest]) -> dbc.Card | None:
    if not requests:
        return None
    return dbc.Card(dbc.CardBody([
        html.H5("Match your columns", className="card-title"),
        html.P("Territory Slicer could not tell for sure which column holds these fields. Pick one for each; "
               "the first rows of the file are shown to help. This browser remembers your choice for files "
               "with the same columns.", className="small text-body-secondary"),
        *[request_section(request) for request in requests],
        html.Div([dbc.Button("Use these columns", id=Ids.MAPPING_APPLY, color="primary", size="sm"),
                  dbc.Button("Cancel", id=Ids.MAPPING_CANCEL, color="link", size="sm")],
                 className="d-flex gap-2 mt-2"),
    ]), className="mb-3 mapping-panel", id=Ids.MAPPING_CARD)


def request_section(request: MappingRequest) -> html.Div:
    options = [{"label": column, "value": column} for column in request.columns if column]
    return html.Div([
        html.H6([request.file, html.Span(f" · {KIND_NAMES[request.kind]} file", className="text-body-secondary")]),
        *[field_row(request.kind, choice, options) for choice in request.choices],
        preview_table(request),
    ], className="mb-3")


def field_row(kind: str, choice: FieldChoice, options: list[dict]) -> html.Label:
    """A label around the field's name and its drop-down, so a screen reader names the choice."""
    select_id = {"type": Ids.MAPPING_FIELD, "kind": kind, "field": choice.field}
    return html.Label([
        dbc.Col([html.Div(choice.field, className="fw-semibold"),
                 html.Div(choice.problem, className="small text-body-secondary")], xs=12, sm=4),
        dbc.Col(dbc.Select(id=select_id, options=options, value=choice.guess, placeholder="Choose a column",
                           size="sm"), xs=12, sm=8),
    ], className="row mb-2 align-items-center w-100")


def preview_table(request: MappingRequest) -> html.Div:
    header = html.Thead(html.Tr([html.Th(column) for column in request.columns]))
    body = html.Tbody([html.Tr([html.Td(value) for value in row]) for row in request.preview])
    return html.Div(dbc.Table([header, body], size="sm", bordered=True, className="mb-0 small mapping-preview"),
                    className="table-responsive")


def chosen_columns(ids: list, values: list, requests: list[MappingRequest]) -> ColumnMap | None:
    """The user's pick per field, None unless every field has one of its file's columns."""
    columns = {request.kind: set(request.columns) for request in requests}
    chosen = {REPS: {}, ACCOUNTS: {}}
    for select_id, value in zip(ids, values):
        kind = select_id.get("kind") if isinstance(select_id, dict) else None
        if kind not in columns or value not in columns[kind] or not isinstance(select_id.get("field"), str):
            return None
        chosen[kind][select_id["field"]] = value
    return ColumnMap(chosen[REPS], chosen[ACCOUNTS]) if ids else None


def remember(memory, requests: list[MappingRequest], chosen: ColumnMap) -> dict:
    """This browser's memory with today's choice added under each file's header key."""
    kept = {k: v for k, v in memory.items() if isinstance(k, str) and isinstance(v, dict)} \
        if isinstance(memory, dict) else {}
    for request in requests:
        kept.pop(request.key, None)
        kept[request.key] = {f: c for f, c in chosen.of(request.kind).items() if c in request.columns}
    return dict(list(kept.items())[-MAX_REMEMBERED:])


@callback(Output(Ids.MAPPING_PANEL, "children"), Input(Ids.MAPPING, "data"))
def show_mapping(waiting):
    return mapping_panel(requests_of(waiting))


@callback(Output(Ids.DATA, "data", allow_duplicate=True), Output(Ids.LOAD_REPORT, "data", allow_duplicate=True),
          Output(Ids.MAPPING, "data", allow_duplicate=True), Output(Ids.MAPPING_MEMORY, "data"),
          Input(Ids.MAPPING_APPLY, "n_clicks"),
          State({"type": Ids.MAPPING_FIELD, "kind": ALL, "field": ALL}, "value"),
          State({"type": Ids.MAPPING_FIELD, "kind": ALL, "field": ALL}, "id"),
          State(Ids.MAPPING, "data"), State(Ids.MAPPING_MEMORY, "data"), prevent_initial_call=True)
def apply_mapping(clicks, values, ids, waiting, memory):
    requests = requests_of(waiting)
    if not clicks or not requests:
        return no_update, no_update, no_update, no_update
    chosen = chosen_columns(ids, values, requests)
    if chosen is None:
        return no_update, {"level": "warning", "title": "Choose a column for every field, then Use these columns.",
                           "details": []}, no_update, no_update
    outcome = load_mapped(waiting, chosen, services().store, services().config.limits)
    if outcome.data is None:
        return no_update, outcome.report, outcome.mapping, no_update
    return outcome.data, outcome.report, None, remember(memory, requests, chosen)


@callback(Output(Ids.MAPPING, "data", allow_duplicate=True), Input(Ids.MAPPING_CANCEL, "n_clicks"),
          prevent_initial_call=True)
def cancel_mapping(clicks):
    return None if clicks else no_update
