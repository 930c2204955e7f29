"""Territory Comparison page (PAGES.md §2): not built yet, see issue 5."""
import dash
from dash import html

layout = html.Div([html.H4("Territory Comparison"),
                   html.P("Coming next: before/after bars per rep, the KPI improvement table and the "
                          "account movement table.", className="text-body-secondary")])


dash.register_page(__name__, path="/comparison", name="Comparison", title="Comparison · Territory Slicer", layout=layout)
