"""What the pages' grids and panels share: number formats, column defaults, a titled panel, a
graph, and grids whose rows are cut on the server."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import ClientsideFunction, Input, Output, State, callback, clientside_callback, dcc, html, no_update

from .grid_query import query_rows
from .ids import Ids
from .state import current

MONEY = {"function": "params.value == null ? '' : '$' + d3.format(',.0f')(params.value)"}
COUNT = {"function": "params.value == null ? '' : d3.format(',.0f')(params.value)"}
PERCENT = {"function": "params.value == null ? '' : d3.format('.1f')(params.value) + '%'"}
NUMBER_FILTER = {"filter": "agNumberColumnFilter", "type": "rightAligned"}
COLUMN_DEFAULTS = {"sortable": True, "resizable": True, "minWidth": 90}


def panel(title: str, body, anchor: str | None = None) -> dbc.Card:
    extra = {"id": anchor} if anchor else {}
    return dbc.Card([dbc.CardHeader(title, className="fw-semibold"), dbc.CardBody(body)], className="mb-3", **extra)


def graph(component_id: str, title: str | None = None) -> html.Div:
    return html.Div([html.H6(title, className="text-body-secondary") if title else None,
                     dcc.Loading(dcc.Graph(id=component_id, config={"displayModeBar": False}), delay_show=400)])


def serve_server_side_grid(grid_id: str, table_of):
    """Wire an infinite-row-model grid to `table_of(state)` (app.state.Current): each block the grid
    asks for is cut from that table on the server, and new settings or data refetch the rows."""
    @callback(Output(grid_id, "getRowsResponse"), Input(grid_id, "getRowsRequest"),
              State(Ids.DATA, "data"), State(Ids.SETTINGS, "data"), State(Ids.PLAN, "data"))
    def rows(request, data, settings, plan=None):
        state = current(data, settings, plan)
        if not request or state is None:
            return no_update
        block, total = query_rows(table_of(state), request)
        return {"rowData": block, "rowCount": total}

    clientside_callback(ClientsideFunction("slicer", "refreshInfiniteGrid"),
                        Output(grid_id, "id"), Input(Ids.SETTINGS, "data"), Input(Ids.DATA, "data"),
                        Input(Ids.PLAN, "data"), State(grid_id, "id"), prevent_initial_call=True)
    return rows
