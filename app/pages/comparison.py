"""Territory Comparison page (PAGES.md §2): any two of today's owners, the current settings and
the saved scenarios on the same data (today's owners against the current settings unless the
user picks others) and, when rebalancing, the plan's transfers (each can be rejected) and its
trade-off curve."""
from __future__ import annotations

import math

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import pandas as pd
from dash import ALL, Input, Output, State, callback, ctx, dcc, html, no_update

from engine import SEGMENTS, Allocation
from engine.comparison import (
    KpiChange,
    Side,
    allocation_side,
    kpi_changes,
    movements,
    owners_side,
    refinement_changes,
    rep_books,
)

from ..cards import plan_summary
from ..figures import comparison_figure, trade_off_figure
from ..formats import money, score_text
from ..grids import COLUMN_DEFAULTS, MONEY, NUMBER_FILTER, graph, panel, serve_server_side_grid
from ..ids import Ids
from ..pins import pin_request
from ..scenario_store import DatabaseDown, is_scenario_id
from ..services import services
from ..state import Current, current, decided

GRAPHS = {segment: f"{Ids.COMPARISON_GRAPH}-{segment.lower()}" for segment in SEGMENTS}


def layout(**_query):
    return html.Div([
        html.H4("Territory Comparison", className="mb-1"),
        side_pickers(),
        html.P(id=Ids.COMPARE_NOTE, className="text-body-secondary"),
        html.Div(panel("Rebalancing plan", [
            html.Div(id=f"{Ids.TRANSFERS}-summary", className="mb-2"),
            graph(Ids.TRADE_OFF, "Fairness against moves"),
            html.H6("Transfers", className="text-body-secondary mt-2"),
            html.P("In wave order. Reject a transfer to keep the account with its owner (a pin) and plan "
                   "the rest again.", className="small text-body-secondary mb-1"),
            transfer_controls(),
            html.Div(id=Ids.TRANSFER_LIST),
        ]), id=Ids.TRANSFERS, className="d-none"),
        panel("Books per rep, before and after",
              dbc.Row([dbc.Col(graph(GRAPHS[s], s), lg=6) for s in SEGMENTS])),
        panel("What changed", html.Div(id=Ids.COMPARISON_KPIS)),
        panel("Greedy against refined", html.Div(id=Ids.REFINE_COMPARISON)),
        panel("Account movements", [html.Div(id=Ids.MOVEMENT_TOTALS, className="mb-2 fw-semibold"),
                                    movement_grid()]),
    ])


OWNERS, CURRENT, SCENARIO = "owners", "current", "scenario:"
SIDES = {"before": OWNERS, "after": CURRENT}
SIDE_NAMES = {OWNERS: "today's owners (Original_Rep)", CURRENT: "the assignment under the current settings"}


def side_pickers() -> html.Div:
    """Which two sides every table and chart below compares (PAGES.md §2)."""
    def picker(label: str, component_id: str, value: str) -> html.Div:
        return html.Div([dbc.Label(label, html_for=component_id, className="small mb-0"),
                         dcc.Dropdown(id=component_id, value=value, clearable=False, searchable=False,
                                      options=side_options(component_id == Ids.COMPARE_AFTER, []))],
                        className="compare-side")
    return html.Div([picker("Before", Ids.COMPARE_BEFORE, OWNERS), picker("After", Ids.COMPARE_AFTER, CURRENT),
                     dcc.Store(id=Ids.COMPARE, data=SIDES)], className="d-flex flex-wrap gap-3 mb-2")


def side_options(after: bool, scenarios: list[dict]) -> list[dict]:
    """Today's owners (before only), the current settings, and every saved scenario; those saved
    on other data are shown but cannot be picked (their accounts are not these)."""
    fixed = [{"label": "Current settings", "value": CURRENT}]
    if not after:
        fixed.insert(0, {"label": "Today's owners", "value": OWNERS})
    return fixed + scenarios


@callback(Output(Ids.COMPARE_BEFORE, "options"), Output(Ids.COMPARE_AFTER, "options"), Input(Ids.DATA, "data"))
def list_sides(data):
    fingerprint = data.get("fingerprint") if isinstance(data, dict) else None
    try:
        saved = services().scenarios.list()
    except DatabaseDown:
        saved = []
    scenarios = [{"label": f"Scenario: {s.name}" + ("" if s.fingerprint == fingerprint else " (other data)"),
                  "value": SCENARIO + s.id, "disabled": s.fingerprint != fingerprint} for s in saved]
    return side_options(False, scenarios), side_options(True, scenarios)


@callback(Output(Ids.COMPARE, "data"), Input(Ids.COMPARE_BEFORE, "value"), Input(Ids.COMPARE_AFTER, "value"),
          prevent_initial_call=True)
def choose_sides(before, after):
    return {"before": before if is_side(before) else OWNERS, "after": after if is_side(after) else CURRENT}


def is_side(value) -> bool:
    return value in (OWNERS, CURRENT) or (isinstance(value, str) and value.startswith(SCENARIO)
                                          and is_scenario_id(value[len(SCENARIO):]))


def side_allocation(state: Current, choice) -> tuple[Allocation | None, str]:
    """The allocation a choice stands for (None for today's owners) and its name; a scenario that
    is gone or was saved on other data falls back to the current settings, and says so."""
    if choice == OWNERS:
        return None, SIDE_NAMES[OWNERS]
    if not (isinstance(choice, str) and choice.startswith(SCENARIO)):
        return state.allocation, SIDE_NAMES[CURRENT]
    key = choice[len(SCENARIO):]
    try:
        scenario = services().scenarios.get(key)
    except DatabaseDown:
        scenario = None
    if scenario is None or scenario.fingerprint != state.dataset.fingerprint:
        return state.allocation, SIDE_NAMES[CURRENT] + " (the scenario chosen is gone or on other data)"
    # Shared by every session on the same data: a scenario is everyone's, and its result depends
    # only on the data's content and the scenario's settings.
    memo = f"scenario:{state.dataset.fingerprint}:{key}:{scenario.updated.isoformat()}"
    allocation = services().store.memo(memo, lambda: decided(state.dataset, scenario.settings)[0])
    return allocation, f"the scenario “{scenario.name}”"


def compared(state: Current, sides) -> tuple[Side, Allocation, str]:
    """(before side, after allocation, a sentence that names both)."""
    sides = sides if isinstance(sides, dict) else SIDES
    before, before_name = side_allocation(state, sides.get("before", OWNERS))
    after, after_name = side_allocation(state, sides.get("after", CURRENT))
    after = after if after is not None else state.allocation
    side = owners_side(state.dataset) if before is None else allocation_side(state.dataset, before)
    return side, after, f"Before = {before_name}; after = {after_name}."


dash.register_page(__name__, path="/comparison", name="Comparison", title="Comparison · Territory Slicer",
                   layout=layout)


TRANSFERS_PER_PAGE = 10


def transfer_controls() -> html.Div:
    """Which transfers the list shows: all or one rep's, a page at a time."""
    return html.Div([
        dcc.Dropdown(id=Ids.TRANSFER_REP, placeholder="Every rep", className="transfer-rep"),
        dbc.ButtonGroup([dbc.Button("◀ Previous", id=Ids.TRANSFER_PREV, outline=True, color="primary", size="sm"),
                         dbc.Button("Next ▶", id=Ids.TRANSFER_NEXT, outline=True, color="primary", size="sm")]),
        html.Span(id=Ids.TRANSFER_COUNT, className="small"),
        dcc.Store(id=Ids.TRANSFER_PAGE, data=0),
    ], className="d-flex flex-wrap align-items-center gap-2 mb-2")


MOVEMENT_COLUMNS = [{"field": "Account_ID", "headerName": "ID", "pinned": "left", "minWidth": 130},
                    {"field": "Account_Name", "headerName": "Name", "minWidth": 170}, {"field": "Segment"},
                    {"field": "From", "minWidth": 160}, {"field": "To", "minWidth": 160},
                    {"field": "ARR", "valueFormatter": MONEY, **NUMBER_FILTER}]


def movement_grid() -> dag.AgGrid:
    return dag.AgGrid(id=Ids.MOVEMENT_GRID, columnDefs=MOVEMENT_COLUMNS, rowModelType="infinite",
                      defaultColDef={**COLUMN_DEFAULTS, "filter": "agTextColumnFilter",
                                     "filterParams": {"buttons": ["reset"], "maxNumConditions": 1}},
                      columnSize="responsiveSizeToFit",
                      dashGridOptions={"pagination": True, "paginationPageSize": 25,
                                       "paginationPageSizeSelector": False, "cacheBlockSize": 25},
                      getRowId="params.data.Account_ID", style={"height": 480})


@callback(*[Output(GRAPHS[s], "figure") for s in SEGMENTS], Output(Ids.COMPARISON_KPIS, "children"),
          Output(Ids.MOVEMENT_TOTALS, "children"), Output(Ids.REFINE_COMPARISON, "children"),
          Output(Ids.TRANSFERS, "className"), Output(f"{Ids.TRANSFERS}-summary", "children"),
          Output(Ids.TRADE_OFF, "figure"), Output(Ids.COMPARE_NOTE, "children"),
          Input(Ids.DATA, "data"), Input(Ids.SETTINGS, "data"), Input(Ids.THEME, "data"), Input(Ids.PLAN, "data"),
          Input(Ids.COMPARE, "data"))
def render_comparison(data, settings, theme, plan=None, sides=None):
    state = current(data, settings, plan)
    if state is None:
        return (no_update,) * (len(SEGMENTS) + 7)
    dataset = state.dataset
    before, allocation, note = compared(state, sides)
    figures = [comparison_figure(s, rep_books(dataset, allocation, s, before), theme) for s in SEGMENTS]
    moved = movements(dataset, allocation, before)
    totals = (f"{len(moved):,} of {dataset.n_accounts:,} accounts change owner, "
              f"${moved['ARR'].sum():,.0f} of ${dataset.arr.sum():,.0f} ARR.")
    return *figures, kpi_table(kpi_changes(dataset, allocation, before), Ids.COMPARISON_KPIS), totals, \
        greedy_against_refined(state), *plan_panel(state, theme), note


def plan_panel(state: Current, theme: str | None) -> tuple:
    """The Rebalancing plan panel: hidden when redrawing, a note while the plan is worked out."""
    rebalance = state.rebalance
    if rebalance is None:
        shown = "d-none" if not (state.pending or state.error) else ""
        note = state.error or "Working out the plan… the transfers appear here when it is ready."
        return shown, html.Div(note, className="text-body-secondary"), no_update
    return "", html.Div(plan_summary(state.dataset, rebalance)), trade_off_figure(rebalance, theme)


@callback(Output(Ids.TRANSFER_LIST, "children"), Output(Ids.TRANSFER_COUNT, "children"),
          Output(Ids.TRANSFER_PAGE, "data"), Output(Ids.TRANSFER_REP, "options"),
          Input(Ids.TRANSFER_PREV, "n_clicks"), Input(Ids.TRANSFER_NEXT, "n_clicks"), Input(Ids.TRANSFER_REP, "value"),
          Input(Ids.DATA, "data"), Input(Ids.SETTINGS, "data"), Input(Ids.PLAN, "data"),
          State(Ids.TRANSFER_PAGE, "data"))
def show_transfers(_previous, _next, rep, data, settings, plan, page):
    """One page of the plan's transfers (every rep's, or those to or from `rep`)."""
    state = current(data, settings, plan)
    if state is None or state.rebalance is None:
        return None, "", 0, []
    transfers = [t for t in state.rebalance.transfers
                 if not isinstance(rep, str) or rep in (rep_label(state, t.from_rep), rep_label(state, t.to_rep))]
    pages = max(1, math.ceil(len(transfers) / TRANSFERS_PER_PAGE))
    step = {Ids.TRANSFER_PREV: -1, Ids.TRANSFER_NEXT: 1}.get(ctx.triggered_id)
    page = 0 if step is None or not isinstance(page, int) else min(max(page + step, 0), pages - 1)
    shown = transfers[page * TRANSFERS_PER_PAGE:(page + 1) * TRANSFERS_PER_PAGE]
    count = (f"{page * TRANSFERS_PER_PAGE + 1:,}–{page * TRANSFERS_PER_PAGE + len(shown):,} of {len(transfers):,}"
             if transfers else "No transfer")
    reps = sorted({rep_label(state, r) for t in state.rebalance.transfers for r in (t.from_rep, t.to_rep) if r >= 0})
    return transfer_table_view(state, shown), count, page, [{"label": r, "value": r} for r in reps]


def rep_label(state: Current, rep: int) -> str:
    return str(state.dataset.rep_name[rep]) if rep >= 0 else ""


def transfer_table_view(state: Current, transfers: list) -> html.Div:
    """The transfers as a table whose rows grow with their reason (nothing is cut off); on a phone
    each transfer stacks into a block."""
    header = html.Thead(html.Tr([html.Th(h, className=c) for h, c in (
        ("Wave", "text-end"), ("Account", ""), ("ARR", "text-end"), ("From → to", ""), ("Why", ""), ("", ""))]))
    return html.Div(dbc.Table([header, html.Tbody([transfer_row(state, t) for t in transfers])], size="sm",
                              className="transfer-table mb-0"), id=f"{Ids.TRANSFER_LIST}-table")


def transfer_row(state: Current, transfer) -> html.Tr:
    dataset = state.dataset
    account_id = str(dataset.account_id[transfer.account])
    giver = rep_label(state, transfer.from_rep)
    reject = (dbc.Button("Reject", id={"type": Ids.TRANSFER_REJECT, "account": account_id}, size="sm",
                         color="danger", outline=True, title=f"Keep this account with {giver} and plan the rest again")
              if transfer.is_move else None)
    return html.Tr([
        html.Td(transfer.wave, className="text-end", **{"data-label": "Wave"}),
        html.Td([html.Div(dataset.account_name[transfer.account]),
                 html.Div(f"{account_id} · {transfer.segment}", className="small text-body-secondary text-nowrap")],
                **{"data-label": "Account"}),
        html.Td(money(dataset.arr[transfer.account]), className="text-end text-nowrap", **{"data-label": "ARR"}),
        html.Td([html.Div(f"{giver or '(no owner)'} →"),
                 html.Div(rep_label(state, transfer.to_rep) or "(no rep)", className="fw-semibold")],
                **{"data-label": "From → to"}),
        html.Td(transfer.reason, className="small", **{"data-label": "Why"}),
        html.Td(reject),
    ], id={"type": Ids.TRANSFER_ROW, "account": account_id})


@callback(Output(Ids.PIN_REQUEST, "data", allow_duplicate=True),
          Input({"type": Ids.TRANSFER_REJECT, "account": ALL}, "n_clicks"),
          State(Ids.DATA, "data"), State(Ids.SETTINGS, "data"), State(Ids.PLAN, "data"), prevent_initial_call=True)
def reject_transfer(clicks, data, settings, plan):
    """Reject → pin the account to the rep it would leave; the settings change plans the rest again.
    The browser only names the account: the rep comes from the plan on the server."""
    trigger = ctx.triggered_id
    account_id = trigger.get("account") if isinstance(trigger, dict) and any(clicks or []) else None
    state = current(data, settings, plan) if isinstance(account_id, str) else None
    if state is None or state.rebalance is None:
        return no_update
    owner = rejected_owner(state, account_id)
    return pin_request(account_id, owner) if owner else no_update


def rejected_owner(state: Current, account_id: str) -> str | None:
    """The rep a transfer of `account_id` takes the account from; None if the plan has no such move."""
    for transfer in state.rebalance.transfers:
        if transfer.is_move and state.dataset.account_id[transfer.account] == account_id:
            return str(state.dataset.rep_name[transfer.from_rep])
    return None


def greedy_against_refined(state: Current) -> html.Div:
    allocation = state.allocation
    if state.rebalance is not None or state.pending or state.error:
        return html.Div("Refine balance does not apply when rebalancing: the plan itself chooses the fewest "
                        "transfers that bring every rep into the band.", className="text-body-secondary")
    if allocation.refinement is None:
        return html.Div("Turn on Refine balance in the sidebar to compare the greedy's assignment with its "
                        "refinement.", className="text-body-secondary")
    return html.Div([
        html.P("Before = the weighted greedy's assignment; after = the same accounts once Refine balance has "
               "moved and swapped them. Exports and the other pages use the refined assignment.",
               className="small text-body-secondary"),
        kpi_table(refinement_changes(allocation), Ids.REFINE_COMPARISON, ("Greedy", "Refined")),
    ])


def kpi_table(changes: list[KpiChange], table_id: str, sides=("Before", "After")) -> dbc.Table:
    header = html.Thead(html.Tr([html.Th(h) for h in ("Segment", "Measure", *sides, "Change")]))
    rows = [html.Tr([html.Td(c.segment), html.Td(c.name), html.Td(number(c.before, c.unit)),
                     html.Td(number(c.after, c.unit)), change_cell(c)]) for c in changes]
    return dbc.Table([header, html.Tbody(rows)], size="sm", hover=True, responsive=True,
                     className="kpi-table mb-0", id=f"{table_id}-table")


def number(value: float | None, unit: str) -> str:
    if value is None:
        return "N/A"
    return {"%": f"{value:,.1f}%", "score": score_text(value)}.get(unit, f"{value:,.0f}")


def change_cell(change: KpiChange) -> html.Td:
    """Green when the change goes the good way, red when it goes the bad way."""
    if change.change is None:
        return html.Td("N/A", className="text-body-secondary")
    colour = {True: "text-success", False: "text-danger", None: "text-body-secondary"}[change.improved]
    text = {"%": f"{change.change:+,.1f} pts", "score": f"{change.change:+,.1f}"}.get(
        change.unit, f"{change.change:+,.0f}")
    return html.Td(text,
                   className=f"{colour} fw-semibold", **{"data-improved": str(change.improved).lower()})


def movements_of(state: Current, sides=None) -> pd.DataFrame:
    before, allocation, _ = compared(state, sides)
    return movements(state.dataset, allocation, before)


movement_rows = serve_server_side_grid(Ids.MOVEMENT_GRID, movements_of, MOVEMENT_COLUMNS, choice=Ids.COMPARE)
