"""Territory Comparison page (PAGES.md §2): today's owners against the new assignment."""
from __future__ import annotations

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, html, no_update

from engine import SEGMENTS
from engine.comparison import KpiChange, kpi_changes, movements, refinement_changes, rep_books

from ..figures import comparison_figure
from ..ids import Ids
from ..state import current
from .slicer import COLUMN_DEFAULTS, MONEY, NUMBER_FILTER, graph, panel, serve_server_side_grid

GRAPHS = {segment: f"{Ids.COMPARISON_GRAPH}-{segment.lower()}" for segment in SEGMENTS}


def layout(**_query):
    return html.Div([
        html.H4("Territory Comparison", className="mb-1"),
        html.P("Before = each account's Original_Rep today; after = the assignment under the current "
               "settings.", className="text-body-secondary"),
        panel("Books per rep, before and after",
              dbc.Row([dbc.Col(graph(GRAPHS[s], s), lg=6) for s in SEGMENTS])),
        panel("What changed", html.Div(id=Ids.COMPARISON_KPIS)),
        panel("Greedy against refined", html.Div(id=Ids.REFINE_COMPARISON)),
        panel("Account movements", [html.Div(id=Ids.MOVEMENT_TOTALS, className="mb-2 fw-semibold"),
                                    movement_grid()]),
    ])


dash.register_page(__name__, path="/comparison", name="Comparison", title="Comparison · Territory Slicer",
                   layout=layout)


def movement_grid() -> dag.AgGrid:
    columns = [{"field": "Account_ID", "headerName": "ID", "pinned": "left", "minWidth": 130},
               {"field": "Account_Name", "headerName": "Name", "minWidth": 170}, {"field": "Segment"},
               {"field": "From", "minWidth": 160}, {"field": "To", "minWidth": 160},
               {"field": "ARR", "valueFormatter": MONEY, **NUMBER_FILTER}]
    return dag.AgGrid(id=Ids.MOVEMENT_GRID, columnDefs=columns, rowModelType="infinite",
                      defaultColDef={**COLUMN_DEFAULTS, "filter": "agTextColumnFilter",
                                     "filterParams": {"buttons": ["reset"], "maxNumConditions": 1}},
                      columnSize="responsiveSizeToFit",
                      dashGridOptions={"pagination": True, "paginationPageSize": 25,
                                       "paginationPageSizeSelector": False, "cacheBlockSize": 25},
                      getRowId="params.data.Account_ID", style={"height": 480})


@callback(*[Output(GRAPHS[s], "figure") for s in SEGMENTS], Output(Ids.COMPARISON_KPIS, "children"),
          Output(Ids.MOVEMENT_TOTALS, "children"), Output(Ids.REFINE_COMPARISON, "children"),
          Input(Ids.DATA, "data"), Input(Ids.SETTINGS, "data"), Input(Ids.THEME, "data"))
def render_comparison(data, settings, theme):
    state = current(data, settings)
    if state is None:
        return (no_update,) * (len(SEGMENTS) + 3)
    dataset, allocation = state.dataset, state.allocation
    figures = [comparison_figure(s, rep_books(dataset, allocation, s), theme) for s in SEGMENTS]
    moved = movements(dataset, allocation)
    totals = (f"{len(moved):,} of {dataset.n_accounts:,} accounts change owner, "
              f"${moved['ARR'].sum():,.0f} of ${dataset.arr.sum():,.0f} ARR.")
    return *figures, kpi_table(kpi_changes(dataset, allocation), Ids.COMPARISON_KPIS), totals, \
        greedy_against_refined(allocation)


def greedy_against_refined(allocation) -> html.Div:
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
    return {"%": f"{value:,.1f}%", "score": f"{value:,.1f}"}.get(unit, f"{value:,.0f}")


def change_cell(change: KpiChange) -> html.Td:
    """Green when the change goes the good way, red when it goes the bad way."""
    if change.change is None:
        return html.Td("N/A", className="text-body-secondary")
    colour = {True: "text-success", False: "text-danger", None: "text-body-secondary"}[change.improved]
    text = {"%": f"{change.change:+,.1f} pts", "score": f"{change.change:+,.1f}"}.get(
        change.unit, f"{change.change:+,.0f}")
    return html.Td(text,
                   className=f"{colour} fw-semibold", **{"data-improved": str(change.improved).lower()})


movement_rows = serve_server_side_grid(Ids.MOVEMENT_GRID, movements)
