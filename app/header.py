"""The header on every page: navigation, Export, light/dark switch and the "How it works" panel."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import ClientsideFunction, Input, Output, State, callback, clientside_callback, ctx, dcc, html, no_update

from engine.io.export import export_csv, export_filename, export_xlsx, rep_books_zip, table_csv, transfer_table

from .ids import Ids
from .scenarios import scenarios_panel
from .state import current

PAGES = (("Slicer", "/"), ("Comparison", "/comparison"), ("Audit", "/audit"))
EXPORTERS = {
    Ids.EXPORT_CSV: ("csv", lambda state: export_csv(state.dataset, state.allocation)),
    Ids.EXPORT_XLSX: ("xlsx", lambda state: export_xlsx(state.dataset, state.allocation, state.rebalance)),
    Ids.EXPORT_TRANSFERS: ("csv", lambda state: table_csv(transfer_table(state.dataset, state.rebalance))),
    Ids.EXPORT_BOOKS: ("zip", lambda state: rep_books_zip(state.dataset, state.allocation)),
}


def header() -> dbc.Navbar:
    """Below 992 px (tablets, phones) the menu folds behind a toggler; on a phone a Controls
    button shows or hides the sidebar, which then comes after the results (PAGES.md "Feel")."""
    return dbc.Navbar(dbc.Container([
        dbc.NavbarBrand([html.Span("◧ ", className="brand-mark"), "Territory Slicer"], href="/"),
        dbc.Button("Controls", id=Ids.SIDEBAR_TOGGLE, color="primary", outline=True, size="sm",
                   className="d-md-none ms-auto me-2"),
        dbc.NavbarToggler(id=Ids.MENU_TOGGLE),
        dbc.Collapse(menu(), id=Ids.MENU, navbar=True, is_open=False),
        dcc.Download(id=Ids.DOWNLOAD),
        help_panel(),
        scenarios_panel(),
    ], fluid=True), color="light", dark=False, expand="lg", className="border-bottom app-header", sticky="top")


def menu() -> list:
    return [
        dbc.Nav([dbc.NavItem(dbc.NavLink(name, href=path, active="exact", id=f"{Ids.NAV}-{name.lower()}"))
                 for name, path in PAGES], navbar=True, className="me-auto"),
        dbc.DropdownMenu([
            dbc.DropdownMenuItem("CSV", id=Ids.EXPORT_CSV),
            dbc.DropdownMenuItem("Excel (.xlsx)", id=Ids.EXPORT_XLSX),
            dbc.DropdownMenuItem("Transfers of the plan (CSV)", id=Ids.EXPORT_TRANSFERS, disabled=True),
            dbc.DropdownMenuItem("Each rep's book (ZIP of CSVs)", id=Ids.EXPORT_BOOKS),
            dbc.DropdownMenuItem("Printable summary", id=Ids.PRINT),
        ], label="Export", id=Ids.EXPORT, color="primary", size="sm", className="me-2", align_end=True),
        dbc.Button("Scenarios", id=Ids.SCENARIOS_OPEN, color="primary", outline=True, size="sm",
                   className="me-3 text-nowrap"),
        dbc.Switch(id=Ids.THEME_SWITCH, label="Dark", value=False, persistence=True,
                   persistence_type="local", className="me-3 mb-0 text-body"),
        dbc.Button("How it works", id=Ids.HELP_OPEN, color="secondary", outline=True, size="sm",
                   className="text-nowrap"),
    ]


def help_panel() -> dbc.Offcanvas:
    return dbc.Offcanvas([
        html.P("Every account is assigned to one rep of its segment, biggest ARR first."),
        html.H6("1. Segments"),
        html.P("Accounts with at least the threshold's employee count are Enterprise; the others are "
               "Mid-Market. Reps keep the segment of the Reps file."),
        html.H6("2. Need"),
        html.P("Each rep has a target share of the segment's ARR, account count and high-risk ARR. "
               "A rep's need is how far it is below each target, blended with your balance weights."),
        html.H6("3. Bonuses"),
        html.P("A rep in the account's location gets the geo bonus; the account's current owner gets "
               "the preserve bonus. The rep with the highest total wins; ties go to the lower current "
               "ARR, then alphabetically."),
        html.H6("4. Fairness"),
        html.P("For each driver, CV% is the spread of rep totals (standard deviation ÷ mean). "
               "Score = 100 − CV%. Custom weighs the drivers with your weights; Balanced weighs "
               "them equally. Bands: ≥ 94 dark green, ≥ 88 light green, ≥ 82 yellow, ≥ 75 orange, "
               "below red; N/A is grey."),
        html.H6("5. Explained"),
        html.P("The Audit page shows every decision with the scores behind it; the Export records "
               "the settings that produced it."),
    ], id=Ids.HELP, title="How it works", placement="end", is_open=False)


@callback(Output(Ids.HELP, "is_open"), Input(Ids.HELP_OPEN, "n_clicks"), prevent_initial_call=True)
def open_help(_clicks):
    return True


clientside_callback(ClientsideFunction("slicer", "printPage"), Output(Ids.PRINT, "n_clicks"),
                    Input(Ids.PRINT, "n_clicks"), prevent_initial_call=True)
clientside_callback(ClientsideFunction("slicer", "toggleOpen"), Output(Ids.MENU, "is_open"),
                    Input(Ids.MENU_TOGGLE, "n_clicks"), State(Ids.MENU, "is_open"), prevent_initial_call=True)
clientside_callback(ClientsideFunction("slicer", "foldSidebar"), Output(Ids.SIDEBAR_COL, "className"),
                    Input(Ids.SIDEBAR_TOGGLE, "n_clicks"), State(Ids.SIDEBAR_COL, "className"),
                    prevent_initial_call=True)
clientside_callback(ClientsideFunction("slicer", "applyTheme"),
                    Output(Ids.THEME, "data"), Input(Ids.THEME_SWITCH, "value"))


@callback(Output(Ids.DOWNLOAD, "data"), *[Input(item, "n_clicks") for item in EXPORTERS],
          State(Ids.DATA, "data"), State(Ids.SETTINGS, "data"), State(Ids.PLAN, "data"), prevent_initial_call=True)
def export(_csv, _xlsx, _transfers, _books, data, settings, plan):
    return export_download(ctx.triggered_id, data, settings, plan)


@callback(Output(Ids.EXPORT_TRANSFERS, "disabled"), Input(Ids.DATA, "data"), Input(Ids.SETTINGS, "data"),
          Input(Ids.PLAN, "data"))
def transfers_exportable(data, settings, plan):
    """The transfer list can be exported once a plan is shown."""
    state = current(data, settings, plan)
    return state is None or state.rebalance is None


def export_download(trigger: str, data: dict | None, settings: dict | None, plan: dict | None = None):
    """The export of the session's current state, named after its settings."""
    state = current(data, settings, plan)
    if state is None or trigger not in EXPORTERS or (trigger == Ids.EXPORT_TRANSFERS and state.rebalance is None):
        return no_update
    extension, exporter = EXPORTERS[trigger]
    name = export_filename(state.dataset, state.allocation, extension, state.rebalance)
    if trigger in (Ids.EXPORT_TRANSFERS, Ids.EXPORT_BOOKS):
        name = name.replace("territories_", "transfers_" if trigger == Ids.EXPORT_TRANSFERS else "books_", 1)
    return dcc.send_bytes(exporter(state), name)
