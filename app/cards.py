"""KPI and fairness cards of the Slicer page, built from engine results."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from engine import ENTERPRISE, MID_MARKET, Allocation
from engine.comparison import account_changed
from engine.fairness import band
from engine.summary import TOTAL, SegmentKpis, fairness_detail

from .formats import count, money, score_text

BAND_SCALE = "Bands: ≥ 94 dark green · ≥ 88 light green · ≥ 82 yellow · ≥ 75 orange · below 75 red · N/A grey."
OVERALL = "Overall"
DRIVERS = (("ARR", "arr", "cv_arr"), ("Accounts", "accounts", "cv_accounts"), ("Risk", "risk", "cv_risk"))


def kpi_cards(kpis: dict[str, SegmentKpis]) -> list:
    return [dbc.Col(kpi_card(name, kpis[name]), xl=4) for name in (ENTERPRISE, MID_MARKET, TOTAL)]


def kpi_card(name: str, k: SegmentKpis) -> dbc.Card:
    rows = [("ARR", money(k.arr)), ("Accounts", count(k.accounts)), ("Reps", count(k.reps)),
            ("ARR per rep", money(k.arr_per_rep)), ("Accounts per rep", count(k.accounts_per_rep, 1)),
            ("Average deal", money(k.average_deal))]
    return dbc.Card(dbc.CardBody([
        html.H6(name, className="card-title text-body-secondary"),
        html.Div(money(k.arr), className="kpi-headline"),
        html.Dl([part for label, value in rows[1:] for part in (html.Dt(label), html.Dd(value))],
                className="kpi-list"),
    ]), className="h-100", id=f"kpi-{slug(name)}")


def fairness_cards(dataset, allocation: Allocation) -> list:
    weights = allocation.settings.weights
    cards = [fairness_card(name, allocation.segments[name].fairness, weights.as_list(),
                           fairness_detail(dataset, allocation, name))
             for name in (ENTERPRISE, MID_MARKET)]
    cards.append(overall_card(allocation.overall_custom, allocation.overall_balanced, weights.as_list()))
    return [dbc.Col(card, xl=4) for card in cards]


def fairness_card(segment: str, fairness, weights: list[int], detail: dict) -> dbc.Card:
    composites = [score_badge(segment, "Custom", fairness.custom, composite_tip("Custom", weights)),
                  score_badge(segment, "Balanced", fairness.balanced, composite_tip("Balanced", weights))]
    drivers = [score_badge(segment, label, getattr(fairness, field), driver_tip(label, getattr(fairness, cv)),
                           small=True)
               for label, field, cv in DRIVERS]
    return dbc.Card(dbc.CardBody([
        html.H6(f"{segment} fairness", className="card-title text-body-secondary"),
        html.Div(composites, className="score-row"),
        html.Div(drivers, className="score-row"),
        distance_to_limit(segment, fairness, detail["best"]),
        spread_detail(segment, detail),
    ]), className="h-100")


def distance_to_limit(segment: str, fairness, best: dict) -> html.Div:
    """100 − score per driver (how much fairness is left to gain), and the best score the accounts
    allow (PAGES.md §1: big accounts cannot be split, so 100 may be out of reach)."""
    left = [f"{label} {points(None if getattr(fairness, field) is None else 100 - getattr(fairness, field))}"
            for label, field, _ in DRIVERS]
    ceiling = [f"{label} {points(best[field])}" for label, field, _ in DRIVERS]
    return html.Div([
        html.Div([html.Span("Points left to a perfect 100: ", className="fw-semibold"), " · ".join(left)]),
        html.Div([html.Span("Best these accounts allow: ", className="fw-semibold"), " · ".join(ceiling)],
                 title="The score of the most even books possible: a rep holds at least the biggest account "
                       "and the rest is shared as evenly as whole accounts allow. N/A with ramping reps."),
    ], className="small text-body-secondary mt-2", id=f"limit-{slug(segment)}")


def points(value: float | None) -> str:
    return "N/A" if value is None else f"{value:.2f}"


def spread_detail(segment: str, detail: dict) -> html.Details:
    """The spread in a finance team's terms, folded away: Gini, largest ÷ smallest book, the rep
    furthest from target and the share of reps within ±15% of target, per driver."""
    lines = [html.Li([html.Span(f"{label}: ", className="fw-semibold"), spread_text(detail, field)])
             for label, field, _ in DRIVERS]
    return html.Details([
        html.Summary("Spread in detail", className="small"),
        html.Ul(lines, className="small text-body-secondary mb-1 ps-3"),
        html.Div("Gini 0 means every book is equal; a target is the rep's even share (scaled by ramp).",
                 className="small text-body-secondary"),
    ], className="mt-1", id=f"spread-{slug(segment)}")


def spread_text(detail: dict, field: str) -> str:
    gini, ratio = detail["gini"][field], detail["max_min"][field]
    worst, within = detail["worst_deviation"][field], detail["in_band_15"][field]
    if gini is None:
        return "N/A"
    parts = [f"Gini {gini:.3f}",
             f"largest ÷ smallest book {ratio:.2f}" if ratio is not None else "a rep has none",
             f"worst rep {worst:.1f}% off target" if worst is not None else None,
             f"{within:.0f}% of reps within ±15%" if within is not None else None]
    return " · ".join(part for part in parts if part)


def refine_summary(allocation: Allocation, applied: bool) -> list:
    """ "Refine: Balanced 86.5 → 99.6, geo matches and owners kept unchanged, 418 changes …"; no time
    (a refinement is memoised, so its time would be stale; the first one included compiling)."""
    r = allocation.refinement
    greedy = r.greedy
    before = getattr(greedy, f"overall_{r.objective}")
    after = getattr(allocation, f"overall_{r.objective}")
    kept = ("geo matches and owners kept unchanged"
            if (r.geo_before, r.kept_before) == (r.geo_after, r.kept_after)
            else f"geo matches {r.geo_before:,} → {r.geo_after:,}, owners kept {r.kept_before:,} → {r.kept_after:,}")
    changes = f"{r.changes:,} change{'s' if r.changes != 1 else ''} ({r.moves:,} moves, {r.swaps:,} swaps)"
    return [html.Strong("Refined: " if applied else "Would give: "),
            f"{r.objective.title()} {score_text(before)} → {score_text(after)}, {kept}, {changes}."]


def overall_card(custom: float | None, balanced: float | None, weights: list[int]) -> dbc.Card:
    tip = "The plain mean of the Enterprise and Mid-Market composites that are not N/A. "
    return dbc.Card(dbc.CardBody([
        html.H6("Overall fairness", className="card-title text-body-secondary"),
        html.Div([score_badge(OVERALL, "Custom", custom, tip + composite_tip("Custom", weights)),
                  score_badge(OVERALL, "Balanced", balanced, tip + composite_tip("Balanced", weights))],
                 className="score-row"),
        html.Div(BAND_SCALE, className="small text-body-secondary mt-2"),
    ]), className="h-100")


def score_badge(segment: str, label: str, score: float | None, tip: str, small: bool = False) -> html.Div:
    """A score coloured by its band; N/A in grey; the tooltip explains where it comes from."""
    target = f"score-{slug(segment)}-{slug(label)}"
    colour = band(score)
    return html.Div([
        html.Div(label, className="score-label"),
        html.Div(score_text(score),
                 className=f"score-value band-{slug(colour)}{' small' if small else ''}",
                 **{"data-band": colour}),
        dbc.Tooltip(tip, target=target, placement="bottom"),
    ], id=target, className="score", tabIndex=0)


def composite_tip(kind: str, weights: list[int]) -> str:
    split = (f"your weights ARR {weights[0]} / Accounts {weights[1]} / Risk {weights[2]}" if kind == "Custom"
             else "equal thirds of ARR, Accounts and Risk")
    return (f"{kind}: the driver scores averaged with {split}; drivers that are N/A are left out and "
            f"the rest re-weighted. {BAND_SCALE}")


def driver_noun(label: str) -> str:
    """ "ARR", "account" or "high-risk ARR", as a sentence says them."""
    return {"ARR": "ARR", "Accounts": "account", "Risk": "high-risk ARR"}.get(label, label.lower())


def driver_tip(label: str, cv: float | None) -> str:
    if cv is None:
        return f"{label}: N/A — no {driver_noun(label)} to spread (no values, or all zero)."
    return (f"{label}: CV% = standard deviation ÷ mean of the reps' {driver_noun(label)} totals = {cv:.1f}%. "
            f"Score = 100 − CV%, kept between 0 and 100. {BAND_SCALE}")


def slug(text: str) -> str:
    return text.lower().replace(" ", "-")


def disruption_card(state) -> dbc.Card:
    """Disruption at a glance (PAGES.md §1): accounts and ARR that change owner; when rebalancing,
    the plan's moves, its proof and the reps in band."""
    rebalance = state.rebalance
    if rebalance is not None:
        body = plan_summary(state.dataset, rebalance)
    elif state.error:
        body = [html.Strong("Rebalancing: "), state.error, " Today's books are shown."]
    elif state.pending:
        body = [html.Strong("Rebalancing: "), "working out the plan… Today's books are shown meanwhile."]
    else:
        moved = account_changed(state.dataset, state.allocation)
        arr = float(state.dataset.arr[moved].sum())
        total = float(state.dataset.arr.sum())
        body = [html.Strong("Disruption: "),
                f"{int(moved.sum()):,} of {state.dataset.n_accounts:,} accounts ({share(moved.sum(), moved.size)}) and "
                f"{money(arr)} of {money(total)} ARR ({share(arr, total)}) change owner."]
    return dbc.Card(dbc.CardBody(body, className="py-2"), className="mb-3", id="disruption-card")


def plan_summary(dataset, rebalance) -> list:
    """ "Plan: 29 moves ($1.2M ARR), proven minimal · reps in band 16 → 24 of 24 · …" """
    proof = ("proven minimal" if rebalance.proven_minimal
             else f"at most {rebalance.moves - rebalance.lower_bound:,} above the minimum")
    parts = [html.Strong("Plan: "),
             f"{rebalance.moves:,} move{'s' if rebalance.moves != 1 else ''} ({money(rebalance.arr_moved)} ARR), ",
             html.Span(proof, className="fw-semibold", id="plan-proof"),
             f" · reps in band (±{rebalance.plan.band:g}%) {rebalance.in_band_before:,} → "
             f"{rebalance.in_band_after:,} of {rebalance.total_reps:,}",
             f" · {rebalance.orphans_placed:,} orphan{'s' if rebalance.orphans_placed != 1 else ''} placed"
             if rebalance.orphans_placed else "",
             f" · {rebalance.waves} wave{'s' if rebalance.waves != 1 else ''}"]
    if not rebalance.success:
        parts.append(html.Div(rebalance.message, className="small text-danger-emphasis mt-1"))
    if rebalance.waves_message:
        parts.append(html.Div(rebalance.waves_message, className="small text-body-secondary mt-1"))
    return parts


def share(part: float, whole: float) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "—"
