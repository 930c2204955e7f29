"""Per-segment KPIs and per-rep / per-account tables of an allocation, ready to display.

The dashboard shows these numbers as they are; computing them here keeps every figure the user
sees testable without a browser.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .allocation import Allocation
from .comparison import account_changed
from .dataset import ENTERPRISE, MID_MARKET, Dataset
from .rules import resolve_rules, status_text
from .sensitivity import SegmentPoint

TOTAL = "Total"


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
            "Ramp": rules.ramp,
            "Max_Accounts": np.where(np.isinf(rules.max_accounts), np.nan, rules.max_accounts),
            "Max_ARR": np.where(np.isinf(rules.max_arr), np.nan, rules.max_arr),
        })


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
