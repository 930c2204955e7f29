"""What the pages' grids and panels share: number formats, column defaults, a titled panel, a
graph, and grids whose rows are cut on the server."""
from __future__ import annotations

import dash_bootstrap_components as dbc
import pandas as pd
from dash import ClientsideFunction, Input, Output, State, callback, clientside_callback, dcc, html, no_update

from .grid_query import query_rows
from .ids import Ids
from .state import current

MONEY = {"function": "params.value == null ? '' : '$' + d3.format(',.0f')(params.value)"}
COUNT = {"function": "params.value == null ? '' : d3.format(',.0f')(params.value)"}
PERCENT = {"function": "params.value == null ? '' : d3.format('.1f')(params.value) + '%'"}
SIGNED_PERCENT = {"function": "params.value == null ? '' : d3.format('+.1f')(params.value) + '%'"}
NUMBER_FILTER = {"filter": "agNumberColumnFilter", "type": "rightAligned"}
COLUMN_DEFAULTS = {"sortable": True, "resizable": True, "minWidth": 90}
CHAR_PX = 9.0            # a character of the grid's 14 px font (capitals and digits), with room to spare
CELL_PADDING_PX = 42     # a cell's padding on both sides
HEADER_EXTRA_PX = 76     # a header's padding, sort arrow and filter menu
SHOWN = {id(MONEY): lambda v: f"${v:,.0f}", id(COUNT): lambda v: f"{v:,.0f}", id(PERCENT): lambda v: f"{v:.1f}%"}


def fitted(columns: list[dict], frame: pd.DataFrame) -> list[dict]:
    """The columns, each at least as wide as its widest value as shown and its header, so no
    figure or name is cut off; a grid narrower than its columns scrolls inside itself."""
    return [{**column, "minWidth": round(max(column.get("minWidth", COLUMN_DEFAULTS["minWidth"]),
                                             widest_text(frame, column) * CHAR_PX + CELL_PADDING_PX,
                                             len(column.get("headerName", column["field"])) * CHAR_PX
                                             + HEADER_EXTRA_PX))}
            for column in columns]


def widest_text(frame: pd.DataFrame, column: dict) -> int:
    """Characters of the column's widest value as the grid shows it (numbers: the largest in size)."""
    if column["field"] not in frame.columns or frame.empty:
        return 0
    values = frame[column["field"]]
    shown = SHOWN.get(id(column.get("valueFormatter")), lambda v: f"{v:,.4f}")  # other formats: ≤ 4 decimals
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        extremes = values.dropna()
        return max(len(shown(v)) for v in (extremes.min(), extremes.max())) if len(extremes) else 0
    return int(values.astype(str).str.len().max())


def panel(title: str, body, anchor: str | None = None) -> dbc.Card:
    extra = {"id": anchor} if anchor else {}
    return dbc.Card([dbc.CardHeader(title, className="fw-semibold"), dbc.CardBody(body)], className="mb-3", **extra)


BLANK_FIGURE = {"data": [], "layout": {"xaxis": {"visible": False}, "yaxis": {"visible": False},
                                       "paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "rgba(0,0,0,0)"}}


def graph(component_id: str, title: str | None = None) -> html.Div:
    """A chart that shows nothing, not empty axes labelled −1…6, until its figure arrives; on hover
    it offers one button, to download the chart as a PNG named after it."""
    config = {"displayModeBar": "hover", "displaylogo": False, "modeBarButtons": [["toImage"]],
              "toImageButtonOptions": {"filename": f"territory-slicer-{component_id}", "scale": 2}}
    return html.Div([html.H6(title, className="text-body-secondary") if title else None,
                     dcc.Loading(dcc.Graph(id=component_id, figure=BLANK_FIGURE, config=config), delay_show=400)])


def serve_server_side_grid(grid_id: str, table_of, columns: list[dict] | None = None, choice: str | None = None):
    """Wire an infinite-row-model grid to `table_of(state)` (app.state.Current), or to
    `table_of(state, value)` of the store `choice` (what the page compares): each block the grid
    asks for is cut from that table on the server, and new settings, data or choice refetch the
    rows; given its `columns`, they are widened to the table's widest values (the browser never
    sees them all)."""
    chosen = [Input(choice, "data")] if choice else []

    def table(data, settings, plan, *value):
        state = current(data, settings, plan)
        return None if state is None else table_of(state, *value)

    if columns is not None:
        @callback(Output(grid_id, "columnDefs"), Input(Ids.DATA, "data"), Input(Ids.SETTINGS, "data"),
                  Input(Ids.PLAN, "data"), *chosen)
        def widths(data, settings, plan, *value):
            rows_table = table(data, settings, plan, *value)
            return no_update if rows_table is None else fitted(columns, rows_table)

    @callback(Output(grid_id, "getRowsResponse"), Input(grid_id, "getRowsRequest"),
              State(Ids.DATA, "data"), State(Ids.SETTINGS, "data"), State(Ids.PLAN, "data"),
              *([State(choice, "data")] if choice else []))
    def rows(request, data, settings, plan=None, *value):
        rows_table = table(data, settings, plan, *value) if request else None
        if rows_table is None:
            return no_update
        block, total = query_rows(rows_table, request)
        return {"rowData": block, "rowCount": total}

    clientside_callback(ClientsideFunction("slicer", "refreshInfiniteGrid"),
                        Output(grid_id, "id"), Input(Ids.SETTINGS, "data"), Input(Ids.DATA, "data"),
                        Input(Ids.PLAN, "data"), *chosen, State(grid_id, "id"), prevent_initial_call=True)
    return rows
