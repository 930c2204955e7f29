"""Per-segment KPIs and per-rep / per-account tables of an allocation, ready to display.

The dashboard shows these numbers as they are; computing them here keeps every figure the user
sees testable without a browser.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .allocation import Allocation, SegmentAllocation
from .comparison import account_changed
from .dataset import ENTERPRISE, MID_MARKET, Dataset
from .fairness import NO_SPREAD, Spread, best_score, driver_spread
from .rules import FULL_RAMP, resolve_rules, status_text
from .sensitivity import SegmentPoint

TOTAL = "Total"
DRIVERS = ("arr", "accounts", "risk")


@dataclass(frozen=True)
class SegmentKpis(SegmentPoint):
    """Size of one segment (or of all accounts): None where a ratio has no denominator."""

    @property
    def average_deal(self) -> float | None:
        return self.arr / self.accounts if self.accounts else None


def segment_kpis(allocation: Allocation) -> dict[str, SegmentKpis]:
    """Enterprise, Mid-Market and Total, in that order."""
    kpis = {name: SegmentKpis(len(s.accounts), s.arr, len(s.reps))
            for name, s in allocation.segments.items()}
    e, m = kpis[ENTERPRISE], kpis[MID_MARKET]
    kpis[TOTAL] = SegmentKpis(e.accounts + m.accounts, e.arr + m.arr, e.reps + m.reps)
    return kpis


def rep_summary(dataset: Dataset, allocation: Allocation) -> pd.DataFrame:
    """One row per rep: book size, high-risk exposure, how many accounts matched geo or owner, and
    the rep's ramp and caps (NaN where it has none)."""
    assigned = allocation.assigned
    has_rep = assigned >= 0
    reps = assigned[has_rep]
    n = dataset.n_reps
    arr = np.bincount(reps, weights=dataset.arr[has_rep], minlength=n)
    accounts = np.bincount(reps, minlength=n)
    high_arr = np.bincount(reps, weights=(dataset.arr * allocation.high_risk)[has_rep], minlength=n)
    geo = dataset.account_location_code[has_rep] == dataset.rep_location_code[reps]
    kept = dataset.owner[has_rep] == reps
    geo_matches = np.bincount(reps, weights=geo, minlength=n)
    owners_kept = np.bincount(reps, weights=kept, minlength=n)
    rules = resolve_rules(dataset, allocation.settings.rules)
    targets = rep_targets(allocation, n)
    with np.errstate(invalid="ignore", divide="ignore"):
        return pd.DataFrame({
            "Rep": dataset.rep_name,
            "Segment": np.where(dataset.rep_is_enterprise, ENTERPRISE, MID_MARKET),
            "Location": dataset.rep_location,
            "ARR": arr,
            "Accounts": accounts,
            "High_Risk_ARR": high_arr,
            "High_Risk_Share": _percent(high_arr, arr),
            "Average_Deal": np.where(accounts > 0, arr / accounts, np.nan),
            "Geo_Match_Pct": _percent(geo_matches, accounts),
            "Preserved_Pct": _percent(owners_kept, accounts),
            "ARR_vs_Target_Pct": _versus(arr, targets[0]),
            "Accounts_vs_Target_Pct": _versus(accounts, targets[1]),
            "Ramp": rules.ramp,
            "Max_Accounts": np.where(np.isinf(rules.max_accounts), np.nan, rules.max_accounts),
            "Max_ARR": np.where(np.isinf(rules.max_arr), np.nan, rules.max_arr),
        })


def rep_targets(allocation: Allocation, n_reps: int) -> np.ndarray:
    """Each rep's ARR, account and high-risk ARR targets (3 × all reps), NaN for a rep in no segment."""
    targets = np.full((3, n_reps), np.nan)
    for segment in allocation.segments.values():
        targets[:, segment.reps] = segment.targets
    return targets


def _versus(total: np.ndarray, target: np.ndarray) -> np.ndarray:
    """How far a rep's book is from its target, in % of the target (+12.5 = 12.5% above)."""
    return _percent(total - target, target)


def _percent(part: np.ndarray, whole: np.ndarray) -> np.ndarray:
    """NaN (shown blank) where the whole is zero, never a made-up 0 %."""
    return np.where(whole > 0, 100.0 * part / np.where(whole > 0, whole, 1), np.nan)


def account_table(dataset: Dataset, allocation: Allocation) -> pd.DataFrame:
    """Every account with its segment and rep, in input order; `Changed` marks a new owner
    (an unassigned account whose owner was named has changed too)."""
    assigned = np.array(allocation.assigned_names(dataset), dtype=object)
    return pd.DataFrame({
        "Account_ID": dataset.account_id,
        "Account_Name": dataset.account_name,
        "Segment": allocation.segment_names(),
        "Assigned_Rep": assigned,
        "Original_Rep": dataset.original_rep,
        "ARR": dataset.arr,
        "Num_Employees": dataset.employees,
        "Risk_Score": dataset.risk,
        "Location": dataset.location,
        "Status": status_text(allocation.status),
        "Changed": account_changed(dataset, allocation),
    })


def segment_spreads(segment: SegmentAllocation, has_risk: bool) -> dict[str, Spread]:
    """Gini, max/min, the worst rep's distance from target and the share within ±15%, per driver."""
    totals = (segment.rep_arr, segment.rep_accounts, segment.rep_risk)
    return {driver: driver_spread(total, target, segment.ramp) if has_risk or driver != "risk" else NO_SPREAD
            for driver, total, target in zip(DRIVERS, totals, segment.targets)}


def segment_best_scores(dataset: Dataset, allocation: Allocation, name: str) -> dict[str, float | None]:
    """The highest score per driver that the segment's assigned accounts allow over its reps
    (PAGES.md §1: "40 accounts over 18 reps cannot score above 81.3 on accounts"); None when the
    score is N/A or reps ramp (their targets differ, so no single even split is the best)."""
    segment = allocation.segments[name]
    placed = segment.accounts[segment.winners >= 0]
    n_reps = len(segment.reps)
    if np.any(segment.ramp != FULL_RAMP):
        return dict.fromkeys(DRIVERS)
    arr = dataset.arr[placed]
    high = allocation.high_risk[placed]
    return {"arr": best_score(arr, n_reps),
            "accounts": best_score(np.ones(placed.size), n_reps),
            "risk": best_score(arr[high], n_reps) if dataset.has_risk else None}


def fairness_detail(dataset: Dataset, allocation: Allocation, name: str) -> dict[str, dict[str, float | None]]:
    """A segment's fairness in the terms a finance team uses, per driver: `gini`, `max_min`,
    `worst_deviation` (% of target), `in_band_15` (% of reps), and `best`, the highest score the
    accounts allow (CLI.md's summary; the fairness cards' detail; the Fairness sheet)."""
    spreads = segment_spreads(allocation.segments[name], dataset.has_risk)
    detail = {measure: {driver: getattr(spreads[driver], measure) for driver in DRIVERS}
              for measure in ("gini", "max_min", "worst_deviation", "in_band_15")}
    detail["best"] = segment_best_scores(dataset, allocation, name)
    return detail
