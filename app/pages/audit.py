"""Audit Trail page (PAGES.md §3): not built yet, see issue 5."""
import dash
from dash import html

layout = html.Div([html.H4("Audit Trail"),
                   html.P("Coming next: every assignment step by step, with the scores and the reason.",
                          className="text-body-secondary")])


dash.register_page(__name__, path="/audit", name="Audit", title="Audit Trail · Territory Slicer", layout=layout)
