"""Pinning accounts (ALLOCATION.md §7) from wherever a user meets them: the account table, the
Audit Trail and the review queue.

A pin bar is about one account (its `-account` store holds the ID); it offers the reps of the
account's segment, "Lock to owner" and "Unpin". Every choice becomes a PIN_REQUEST, which the
settings callback turns into the session's pins; the engine ignores, with a warning, a pin to an
account or rep that does not exist, so a request from the browser can never do more than that.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, ctx, dcc, html, no_update

from engine import Allocation, Dataset
from engine.dataset import match_key
from engine.review import HeldAccount, review_queue
from engine.rules import LOCKED

from .formats import money
from .ids import Ids
from .state import current

QUEUE_SHOWN = 50


@dataclass(frozen=True)
class PinChoice:
    """What a pin bar offers for one account."""

    label: str
    options: list[dict]   # the reps of the account's segment
    value: str | None     # its rep now
    owner: str | None     # its owner, when that rep is of its segment (Lock to owner)
    pinned: bool


def pin_choice(dataset: Dataset, allocation: Allocation, account_id: str | None) -> PinChoice | None:
    """The pin bar's content for an account, None when there is no such account."""
    account = dataset.account_index.get(match_key(account_id)) if isinstance(account_id, str) else None
    if account is None:
        return None
    segment = allocation.segments["Enterprise" if allocation.enterprise[account] else "Mid-Market"]
    reps = [str(dataset.rep_name[r]) for r in segment.reps]
    holder = allocation.assigned[account]
    owner = dataset.owner[account]
    pinned = any(match_key(k) == match_key(account_id) for k in allocation.settings.rules.pins)
    where = ("locked to " if allocation.status[account] == LOCKED else "with ") + dataset.rep_name[holder] \
        if holder >= 0 else "without a rep"
    label = f"{dataset.account_id[account]} · {dataset.account_name[account]} · {money(dataset.arr[account])} · {where}"
    return PinChoice(label, [{"label": r, "value": r} for r in reps],
                     str(dataset.rep_name[holder]) if holder >= 0 else None,
                     str(dataset.rep_name[owner]) if owner >= 0 and owner in segment.reps else None, pinned)


def pin_bar(bar_id: str, hint: str) -> html.Div:
    """The controls; hidden parts stay in the layout so their callbacks always find them."""
    return html.Div([
        dcc.Store(id=f"{bar_id}-account"),
        html.Div(hint, id=f"{bar_id}-label", className="small mb-1"),
        html.Div([
            html.Label("Pin to rep", htmlFor=f"{bar_id}-rep", className="visually-hidden"),
            dcc.Dropdown(id=f"{bar_id}-rep", placeholder="Pin to…", clearable=False, className="pin-rep"),
            dbc.Button("Pin", id=f"{bar_id}-pin", size="sm", color="primary", disabled=True),
            dbc.Button("Lock to owner", id=f"{bar_id}-lock", size="sm", color="secondary", outline=True,
                       disabled=True),
            dbc.Button("Unpin", id=f"{bar_id}-unpin", size="sm", color="secondary", outline=True, disabled=True),
        ], className="d-flex flex-wrap gap-2 align-items-center"),
    ], id=bar_id, className="pin-bar")


def serve_pin_bar(bar_id: str, hint: str) -> None:
    """Wire a pin bar: describe its account, and turn its buttons into pin requests."""
    @callback(Output(f"{bar_id}-label", "children"), Output(f"{bar_id}-rep", "options"),
              Output(f"{bar_id}-rep", "value"), Output(f"{bar_id}-pin", "disabled"),
              Output(f"{bar_id}-lock", "disabled"), Output(f"{bar_id}-unpin", "disabled"),
              Input(f"{bar_id}-account", "data"), Input(Ids.SETTINGS, "data"), Input(Ids.PLAN, "data"),
              State(Ids.DATA, "data"))
    def describe(account_id, settings, plan, data):
        state = current(data, settings, plan)
        choice = pin_choice(state.dataset, state.allocation, account_id) if state else None
        if choice is None:
            return hint, [], None, True, True, True
        return (choice.label, choice.options, choice.value, False, choice.owner is None, not choice.pinned)

    @callback(Output(Ids.PIN_REQUEST, "data", allow_duplicate=True),
              Input(f"{bar_id}-pin", "n_clicks"), Input(f"{bar_id}-lock", "n_clicks"),
              Input(f"{bar_id}-unpin", "n_clicks"),
              State(f"{bar_id}-account", "data"), State(f"{bar_id}-rep", "value"), State(Ids.SETTINGS, "data"),
              State(Ids.DATA, "data"), State(Ids.PLAN, "data"), prevent_initial_call=True)
    def request(_pin, _lock, _unpin, account_id, rep, settings, data, plan):
        if not isinstance(account_id, str):
            return no_update
        if ctx.triggered_id == f"{bar_id}-unpin":
            return pin_request(account_id, None)
        if ctx.triggered_id == f"{bar_id}-lock":
            state = current(data, settings, plan)
            choice = pin_choice(state.dataset, state.allocation, account_id) if state else None
            return pin_request(account_id, choice.owner) if choice and choice.owner else no_update
        return pin_request(account_id, rep) if isinstance(rep, str) else no_update


def pin_request(account_id: str, rep: str | None) -> dict:
    """A PIN_REQUEST value; the time makes two equal requests two changes."""
    return {"account": account_id, "rep": rep, "at": time.time()}


def queue_view(dataset: Dataset, allocation: Allocation) -> html.Div:
    """The review queue (PAGES.md §1): each held account with the suggested rep and a choice of
    any rep of its segment; beside it, every rep's current totals against target."""
    queue = review_queue(dataset, allocation)
    if not queue:
        return html.Div(["No account is held for review. Set ", html.Em("Hold for review ARR ≥"),
                         " in the sidebar to hold the biggest accounts for a person to place."],
                        className="text-body-secondary small")
    rows = [held_row(dataset, allocation, held) for held in queue[:QUEUE_SHOWN]]
    more = (html.Div(f"… and {len(queue) - QUEUE_SHOWN:,} more, biggest first: pin these to see the rest.",
                     className="small text-body-secondary") if len(queue) > QUEUE_SHOWN else None)
    header = html.Thead(html.Tr([html.Th(h) for h in ("Account", "ARR", "Segment", "Suggested", "Pin to", "")]))
    segments = sorted({held.segment for held in queue})
    return html.Div([
        html.Div(f"{len(queue):,} account{'s' if len(queue) != 1 else ''} held for review. Picking a rep pins "
                 f"the account there; reps still ramping are never suggested.", className="small mb-2"),
        html.Div(dbc.Table([header, html.Tbody(rows)], size="sm", className="review-table mb-1"),
                 className="table-responsive"),
        more,
        *[rep_totals(dataset, allocation, segment) for segment in segments],
    ])


def held_row(dataset: Dataset, allocation: Allocation, held: HeldAccount) -> html.Tr:
    account_id = str(dataset.account_id[held.account])
    segment = allocation.segments[held.segment]
    reps = [str(dataset.rep_name[r]) for r in segment.reps]
    suggested = str(dataset.rep_name[held.suggested]) if held.suggested is not None else None
    return html.Tr([
        html.Td([html.Div(dataset.account_name[held.account]),
                 html.Div(account_id, className="small text-body-secondary")]),
        html.Td(money(dataset.arr[held.account]), className="text-end text-nowrap"),
        html.Td(held.segment),
        html.Td(suggested or "none (no fully ramped rep has room)"),
        html.Td(dcc.Dropdown(id={"type": Ids.REVIEW_PICK, "account": account_id}, value=suggested, clearable=False,
                             options=[{"label": r, "value": r} for r in reps], className="pin-rep")),
        html.Td(dbc.Button("Pin", id={"type": Ids.REVIEW_PIN, "account": account_id}, size="sm", color="primary")),
    ])


def rep_totals(dataset: Dataset, allocation: Allocation, name: str) -> html.Div:
    """A segment's reps as the queue sees them: current ARR and accounts against target, ramp."""
    segment = allocation.segments[name]
    rows = [html.Tr([html.Td(dataset.rep_name[rep]), html.Td(money(segment.rep_arr[k]), className="text-end"),
                     html.Td(money(segment.targets[0, k]), className="text-end"),
                     html.Td(f"{segment.rep_accounts[k]:,.0f}", className="text-end"),
                     html.Td(f"{segment.ramp[k]:g}%", className="text-end")])
            for k, rep in enumerate(segment.reps)]
    header = html.Thead(html.Tr([html.Th(h, className="text-end" if i else "") for i, h in
                                 enumerate(("Rep", "ARR now", "ARR target", "Accounts", "Ramp"))]))
    return html.Details([html.Summary(f"{name} reps' current totals"),
                         html.Div(dbc.Table([header, html.Tbody(rows)], size="sm", className="mb-2"),
                                  className="table-responsive")], className="small mt-2")


@callback(Output(Ids.PIN_REQUEST, "data", allow_duplicate=True),
          Input({"type": Ids.REVIEW_PIN, "account": ALL}, "n_clicks"),
          State({"type": Ids.REVIEW_PICK, "account": ALL}, "value"), prevent_initial_call=True)
def pin_from_queue(clicks, picks):
    """A Pin button of the queue pins its account to the rep chosen beside it."""
    trigger = ctx.triggered_id
    if not isinstance(trigger, dict) or not any(clicks):
        return no_update
    chosen = {state["id"]["account"]: state["value"] for state in ctx.states_list[0]}
    rep = chosen.get(trigger.get("account"))
    return pin_request(trigger["account"], rep) if isinstance(rep, str) else no_update
