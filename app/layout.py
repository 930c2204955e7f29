"""The page frame shared by every route: stores, header, sidebar, banners and the page itself."""
from __future__ import annotations

import uuid

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from . import mapping  # noqa: F401  (registers the mapping step's callbacks)
from .header import header
from .ids import Ids
from .sidebar import sidebar
from .state import demo_summary


def shell() -> html.Div:
    """Built per page load; the session stores keep what this tab had before a reload."""
    return html.Div([
        dcc.Store(id=Ids.DATA, storage_type="session", data=demo_summary()),
        dcc.Store(id=Ids.SETTINGS, storage_type="session"),
        dcc.Store(id=Ids.PENDING, storage_type="session"),
        dcc.Store(id=Ids.UPLOAD_PAYLOAD),
        dcc.Store(id=Ids.LOAD_REPORT),
        dcc.Store(id=Ids.MAPPING, storage_type="session"),
        dcc.Store(id=Ids.MAPPING_MEMORY, storage_type="local"),
        dcc.Store(id=Ids.THRESHOLD_PICK),
        dcc.Store(id=Ids.WEIGHTS_PICK),
        dcc.Store(id=Ids.PIN_REQUEST),
        dcc.Store(id=Ids.PLAN_INPUTS),
        dcc.Store(id=Ids.PLAN),
        dcc.Store(id=Ids.TAB, data=uuid.uuid4().hex),
        dcc.Store(id=Ids.THEME),
        header(),
        dbc.Container(dbc.Row([
            dbc.Col(sidebar(), xl=3, lg=4, md=5, className="sidebar-col sidebar-folded", id=Ids.SIDEBAR_COL),
            dbc.Col([dbc.Alert(id=Ids.SERVER_ALERT, is_open=False, color="danger", dismissable=True,
                               className="mb-2 py-2"),
                     html.Div(id=Ids.BANNERS), html.Div(id=Ids.MAPPING_PANEL), dash.page_container],
                    xl=9, lg=8, md=7, className="main-col"),
        ], className="g-0"), fluid=True, className="px-0"),
    ])
