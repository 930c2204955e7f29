"""Audit Trail page (PAGES.md §3, ALLOCATION.md §6): every assignment, one step at a time.

Only the current step travels to the browser: the server rebuilds it from the allocation
(`engine.audit.audit_step`), so 100,000 accounts page as fast as 100.
"""
from __future__ import annotations

from dataclasses import asdict

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, State, callback, ctx, dcc, html, no_update

from engine import SEGMENTS
from engine.audit import (
    GREEDY,
    PLAN,
    TRANSFER,
    AuditIndex,
    AuditStep,
    RefinementStep,
    TransferStep,
    account_history,
    audit_index,
    audit_step,
    find_account,
    find_transfer,
    matching_accounts,
    refinement_step,
    transfer_index,
    transfer_step,
)

from ..formats import count, money
from ..grid_query import json_records
from ..grids import COLUMN_DEFAULTS, MONEY, NUMBER_FILTER, fitted
from ..ids import Ids
from ..pins import pin_bar, serve_pin_bar
from ..state import current, dataset_of
from ..terms import CAP_TIP

ALL = "all"
MOVES = {Ids.AUDIT_FIRST: "first", Ids.AUDIT_PREV: "previous", Ids.AUDIT_NEXT: "next", Ids.AUDIT_LAST: "last"}
SCORE = {"function": "params.value == null ? '' : d3.format('.4f')(params.value)"}
BONUS = {"function": "params.value ? '+' + d3.format('.2f')(params.value) : '–'"}


def layout(**_query):
    return html.Div([
        dcc.Store(id=Ids.AUDIT_POSITION, data=0),
        html.H4("Audit Trail", className="mb-1"),
        html.P("Every assignment in the order the engine made it, with the scores that decided it, then "
               "every change of Refine balance when it is on; when rebalancing, every transfer of the plan. "
               "Use the buttons or the ← → keys.", className="text-body-secondary"),
        dbc.Row([
            dbc.Col(dcc.Dropdown(id=Ids.AUDIT_SEGMENT, value=ALL, clearable=False, searchable=False,
                                 options=[{"label": "All segments", "value": ALL}]
                                 + [{"label": s, "value": s} for s in SEGMENTS]), sm=6, xl=3),
            dbc.Col(dcc.Dropdown(id=Ids.AUDIT_REP, placeholder="Any rep"), sm=6, xl=3),
            dbc.Col(dbc.InputGroup([
                dbc.Input(id=Ids.AUDIT_JUMP, placeholder="Jump to account ID or name", debounce=True),
                dbc.Button("Go", id=Ids.AUDIT_JUMP_GO, color="secondary"),
            ]), xl=6),
        ], className="g-2 mb-2"),
        html.Div(id=Ids.AUDIT_FEEDBACK, className="small text-body-secondary mb-2"),
        html.Div([
            dbc.ButtonGroup([
                dbc.Button("« First", id=Ids.AUDIT_FIRST, outline=True, color="primary"),
                dbc.Button("◀ Previous", id=Ids.AUDIT_PREV, outline=True, color="primary"),
                dbc.Button("Next ▶", id=Ids.AUDIT_NEXT, outline=True, color="primary"),
                dbc.Button("Last »", id=Ids.AUDIT_LAST, outline=True, color="primary"),
            ]),
            html.Span(id=Ids.AUDIT_LABEL, className="ms-3 fw-semibold"),
        ], className="d-flex align-items-center mb-3 flex-wrap gap-2"),
        dbc.Row([
            dbc.Col([html.Div(id=Ids.AUDIT_ACCOUNT), pin_bar(Ids.AUDIT_PIN, AUDIT_PIN_HINT)], lg=5),
            dbc.Col(html.Div(id=Ids.AUDIT_REASON), lg=7),
        ], className="g-3 mb-3"),
        html.H6(id=f"{Ids.AUDIT_GRID}-title", className="text-body-secondary"),
        rep_grid(),
    ])


dash.register_page(__name__, path="/audit", name="Audit", title="Audit Trail · Territory Slicer", layout=layout)


GREEDY_COLUMNS = [
    {"field": "rep", "headerName": "Rep", "pinned": "left", "minWidth": 160},
    {"field": "arr", "headerName": "ARR so far", "valueFormatter": MONEY, **NUMBER_FILTER},
    {"field": "accounts", "headerName": "Accounts so far", **NUMBER_FILTER},
    {"field": "risk_arr", "headerName": "High-risk ARR so far", "valueFormatter": MONEY, **NUMBER_FILTER},
    {"field": "blended", "headerName": "Blended need", "valueFormatter": SCORE, **NUMBER_FILTER},
    {"field": "geo", "headerName": "Geo", "valueFormatter": BONUS, **NUMBER_FILTER},
    {"field": "preserve", "headerName": "Preserve", "valueFormatter": BONUS, **NUMBER_FILTER},
    {"field": "total", "headerName": "Total", "valueFormatter": SCORE, "sort": "desc", **NUMBER_FILTER},
    {"field": "fits", "headerName": "Room", "headerTooltip": CAP_TIP, "minWidth": 120,
     "valueFormatter": {"function": "params.value === false ? 'at a cap' : 'yes'"}}]
REFINE_COLUMNS = [
    {"field": "rep", "headerName": "Rep", "pinned": "left", "minWidth": 160},
    *({"field": f"{field}_{when}", "headerName": f"{label} {when}", **NUMBER_FILTER,
       **({"valueFormatter": MONEY} if field != "accounts" else {})}
      for field, label in (("arr", "ARR"), ("accounts", "Accts"), ("risk_arr", "Risk ARR"))
      for when in ("before", "after"))]
GRID_TITLES = {GREEDY: "Every rep when this account was assigned (greyed: no room under its cap)",
               "locked": "A locked account goes to its rep before any scoring",
               "refine": "The two reps' books before and after this change",
               TRANSFER: "The reps' books before and after this transfer alone (today's books, orphans placed)"}
AUDIT_PIN_HINT = "Pin this step's account, lock it to its owner or unpin it."


def rep_grid() -> dag.AgGrid:
    return dag.AgGrid(id=Ids.AUDIT_GRID, columnDefs=GREEDY_COLUMNS, rowData=[], columnSize="responsiveSizeToFit",
                      defaultColDef={**COLUMN_DEFAULTS, "filter": True},
                      rowClassRules={"audit-winner": "params.data.winner",
                                     "audit-capped": "params.data.fits === false"}, getRowId="params.data.rep",
                      dashGridOptions={"domLayout": "autoHeight", "pagination": True, "paginationPageSize": 15,
                                       "paginationPageSizeSelector": False})


@callback(Output(Ids.AUDIT_REP, "options"), Input(Ids.DATA, "data"))
def rep_options(data):
    dataset = dataset_of(data)
    return [] if dataset is None else [{"label": name, "value": name} for name in dataset.rep_name]


@callback(Output(Ids.AUDIT_POSITION, "data"), Output(Ids.AUDIT_LABEL, "children"),
          Output(Ids.AUDIT_ACCOUNT, "children"), Output(Ids.AUDIT_REASON, "children"),
          Output(Ids.AUDIT_GRID, "rowData"), Output(Ids.AUDIT_GRID, "columnDefs"),
          Output(f"{Ids.AUDIT_GRID}-title", "children"), Output(Ids.AUDIT_FEEDBACK, "children"),
          Output(Ids.AUDIT_SEGMENT, "value"), Output(Ids.AUDIT_REP, "value"),
          Output(f"{Ids.AUDIT_PIN}-account", "data"),
          *[Input(button, "n_clicks") for button in MOVES],
          Input(Ids.AUDIT_JUMP, "n_submit"), Input(Ids.AUDIT_JUMP_GO, "n_clicks"),
          Input(Ids.AUDIT_SEGMENT, "value"), Input(Ids.AUDIT_REP, "value"),
          Input(Ids.DATA, "data"), Input(Ids.SETTINGS, "data"), Input(Ids.PLAN, "data"),
          State(Ids.AUDIT_POSITION, "data"), State(Ids.AUDIT_JUMP, "value"))
def show_step(_first, _previous, _next, _last, _submit, _go, segment, rep, data, settings, plan, position, query):
    state = current(data, settings, plan)
    if state is None:
        return (no_update,) * 11
    if state.rebalance is None and (state.pending or state.error):
        note = state.error or "Working out the plan… its transfers appear here when it is ready."
        return 0, "No steps", "", dbc.Alert(note, color="info"), [], no_update, no_update, "", segment, rep, None
    trigger = ctx.triggered_id
    feedback = ""
    if trigger in (Ids.AUDIT_JUMP, Ids.AUDIT_JUMP_GO):
        found, feedback = jump(state, query or "")
        if found is not None:
            segment, rep, position = ALL, None, found  # a jump shows the account whatever the filters were
    index = steps_of(state, None if segment == ALL else segment, rep)
    if trigger in (Ids.AUDIT_SEGMENT, Ids.AUDIT_REP):
        position = 0
    position = moved(MOVES.get(trigger), position or 0, len(index))
    if len(index) == 0:
        empty = "The plan moves no account." if state.rebalance else "No assignments match these filters."
        return 0, "No steps", "", dbc.Alert(empty, color="info"), [], \
            no_update, no_update, feedback, segment, rep, None
    segment_of_step, phase, number = index.at(position)
    label = f"Step {position + 1:,} of {len(index):,}"
    if phase == TRANSFER:
        transfer = transfer_step(state.dataset, state.rebalance, number)
        label += f" · transfer {transfer.number:,} of {transfer.count:,}, wave {transfer.wave} · {transfer.segment}"
        shown = transfer_card(transfer), transfer_alert(transfer), book_rows(transfer.reps), REFINE_COLUMNS
        title, account_id = GRID_TITLES[TRANSFER], transfer.account.account_id
    elif phase == GREEDY:
        step = audit_step(state.dataset, state.allocation, segment_of_step, number)
        label += f" · {step.segment} step {step.step:,} of {step.steps:,}"
        shown = account_card(step), reason_alert(step), json_records_of(step), GREEDY_COLUMNS
        title, account_id = GRID_TITLES["locked" if step.locked else GREEDY], step.account_id
    else:
        change = refinement_step(state.dataset, state.allocation, segment_of_step, number)
        label += f" · {change.segment} refinement change {change.number:,} of {change.count:,}"
        shown = moved_card(change), change_alert(change), book_rows(change.reps), REFINE_COLUMNS
        title, account_id = GRID_TITLES[phase], change.accounts[0].account_id
    card, alert, rows, columns = shown
    return position, label, card, alert, rows, fitted(columns, pd.DataFrame(rows)), title, feedback, segment, rep, \
        account_id


def steps_of(state, segment: str | None = None, rep: str | None = None) -> AuditIndex:
    """The steps to page through: the plan's transfers when rebalancing, else the greedy's steps
    and the refinement's changes."""
    if state.rebalance is not None:
        return transfer_index(state.dataset, state.rebalance, segment, rep)
    return audit_index(state.dataset, state.allocation, segment, rep)


def jump(state, query: str) -> tuple[int | None, str]:
    """The position of the account's step among all steps, or None and what to say instead;
    with it, every step that touched the account and where it ends up (PAGES.md §3)."""
    if state.rebalance is None:
        found = find_account(state.dataset, state.allocation, query)
        if found is None:
            return None, f"No assigned account has the ID or a name containing “{query}”."
        segment, step = found
        account = int(state.allocation.greedy.segments[segment].accounts[step - 1])
        return steps_of(state).position_of(*found), history_view(state, account)
    number = find_transfer(state.dataset, state.rebalance, query)
    if number is not None:
        account = state.rebalance.transfers[number - 1].account
        return steps_of(state).position_of(PLAN, number, TRANSFER), history_view(state, account)
    matches = matching_accounts(state.dataset, query)
    if len(matches) == 0:
        return None, f"No account has the ID or a name containing “{query}”."
    account = int(matches[0])
    owner = state.allocation.assigned[account]
    where = f"it stays with {state.dataset.rep_name[owner]}" if owner >= 0 else "it stays unassigned"
    return None, f"The plan does not move {state.dataset.account_name[account]}: {where}."


def history_view(state, account: int) -> html.Div:
    """ "ACC-7 · Name — Enterprise step 57: assigned to Casey Turner → … Ends with Morgan Foster." """
    history = account_history(state.dataset, state.allocation, account, state.rebalance)
    return html.Div([html.Strong(f"{history.account_id} · {history.name}: "),
                     " → ".join(entry.text for entry in history.entries),
                     html.Span(f". Ends with {history.ends_with}.", className="fw-semibold")],
                    className="small", id=Ids.AUDIT_HISTORY)


def moved(move: str | None, position: int, length: int) -> int:
    """The position after a navigation button, kept inside 0 … length − 1."""
    target = {"first": 0, "previous": position - 1, "next": position + 1, "last": length - 1}.get(move, position)
    return min(max(target, 0), max(length - 1, 0))


def json_records_of(step: AuditStep) -> list[dict]:
    return json_records(pd.DataFrame([asdict(row) for row in step.rows]))


def account_card(step: AuditStep) -> dbc.Card:
    facts = [("Account ID", step.account_id), ("ARR", money(step.arr)), ("Employees", count(step.employees)),
             ("Location", step.location or "—"), ("Original rep", step.owner or "—")]
    return dbc.Card(dbc.CardBody([
        html.H5(step.account_name, className="card-title"),
        html.Dl([part for label, value in facts for part in (html.Dt(label), html.Dd(value))], className="kpi-list"),
        html.Div(step.segment_reason, className="mt-2 small"),
    ]), id=f"{Ids.AUDIT_ACCOUNT}-card")


def reason_alert(step: AuditStep) -> dbc.Alert:
    if not step.winner:
        return dbc.Alert([html.Div(html.Strong("Left unassigned")), html.Div(step.reason, className="small")],
                         color="warning", className="py-2")
    verb = "Locked to " if step.locked else "Assigned to "
    return dbc.Alert([html.Div([html.Span(verb), html.Strong(step.winner)]),
                      html.Div(step.reason, className="small")], color="success", className="py-2")


def moved_card(change: RefinementStep) -> dbc.Card:
    """The account (or the two swapped accounts) of a refinement change."""
    items = [html.Div([
        html.H5(moved.account_name, className="card-title mb-1"),
        html.Div(f"{moved.account_id} · {money(moved.arr)}" + (" · high-risk" if moved.high_risk else ""),
                 className="small"),
        html.Div([moved.from_rep, " → ", html.Strong(moved.to_rep)], className="mb-2"),
    ]) for moved in change.accounts]
    title = "Refinement: move" if change.kind == "move" else "Refinement: swap"
    return dbc.Card(dbc.CardBody([html.H6(title, className="text-body-secondary"), *items]),
                    id=f"{Ids.AUDIT_ACCOUNT}-card")


def change_alert(change: RefinementStep) -> dbc.Alert:
    """Why the change was made: what it did to each driver's CV% and to the score it raises."""
    rows = [html.Tr([html.Td(d.driver), html.Td(cv_text(d.cv_before)), html.Td(cv_text(d.cv_after))])
            for d in change.drivers]
    table = dbc.Table([html.Thead(html.Tr([html.Th("CV%"), html.Th("before"), html.Th("after")])),
                       html.Tbody(rows)], size="sm", className="mb-0 mt-2 small")
    return dbc.Alert([html.Div(change.reason, className="small"), table], color="info", className="py-2")


def cv_text(cv: float | None) -> str:
    return "N/A" if cv is None else f"{cv:.4f}%"


def transfer_card(step: TransferStep) -> dbc.Card:
    moved = step.account
    giver = moved.from_rep or "no owner in this segment"
    return dbc.Card(dbc.CardBody([
        html.H6(f"Transfer, wave {step.wave}" + (" (pinned by you)" if step.pinned else ""),
                className="text-body-secondary"),
        html.H5(moved.account_name, className="card-title mb-1"),
        html.Div(f"{moved.account_id} · {money(moved.arr)}" + (" · high-risk" if moved.high_risk else ""),
                 className="small"),
        html.Div([giver, " → ", html.Strong(moved.to_rep or "no rep")], className="mb-2"),
    ]), id=f"{Ids.AUDIT_ACCOUNT}-card")


def transfer_alert(step: TransferStep) -> dbc.Alert:
    return dbc.Alert(html.Div(step.reason, className="small"), color="info", className="py-2")


def book_rows(reps) -> list[dict]:
    return [{"rep": book.rep, "arr_before": book.arr[0], "arr_after": book.arr[1],
             "accounts_before": book.accounts[0], "accounts_after": book.accounts[1],
             "risk_arr_before": book.risk_arr[0], "risk_arr_after": book.risk_arr[1], "winner": False}
            for book in reps]


serve_pin_bar(Ids.AUDIT_PIN, AUDIT_PIN_HINT)
