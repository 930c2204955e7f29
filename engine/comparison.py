"""Before against after (Assigned_Rep): books per rep, fairness KPIs, movements.

"Before" is a `Side`: today's ownership (Original_Rep) unless another allocation (a saved
scenario, the current settings) is given, always over the accounts of each segment of the "after"
allocation. Owners who are not in the Reps file and accounts left unassigned are listed by name,
never dropped, so the totals on both sides always equal the segment's ARR and account count.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .allocation import Allocation
from .dataset import ENTERPRISE, SEGMENTS, Dataset
from .fairness import cv_percent
from .rules import HELD, scaled

NO_OWNER = "(no owner)"
UNASSIGNED = "(unassigned)"
HELD_LABEL = "(held for review)"
NOT_A_REP = " (not in Reps file)"


@dataclass(frozen=True, eq=False)
class Side:
    """Who holds each account on one side of a comparison."""

    holder: np.ndarray  # rep index per account, -1 for none
    labels: np.ndarray  # the name shown per account (a rep, a former owner, or why there is none)
    named: np.ndarray   # bool per account: someone is named (a rep or a former owner)


def owners_side(dataset: Dataset) -> Side:
    """Today's books: each account's Original_Rep."""
    return Side(dataset.owner, owner_labels(dataset), dataset.has_named_owner)


def allocation_side(dataset: Dataset, allocation: Allocation) -> Side:
    return Side(allocation.assigned, assignee_labels(dataset, allocation), allocation.assigned >= 0)


def rep_books(dataset: Dataset, allocation: Allocation, segment: str, before: Side | None = None) -> pd.DataFrame:
    """ARR and accounts per name before and after, for one segment: its reps first (tie-break
    order, including reps with nothing), then other owners and the unassigned."""
    before_side = before or owners_side(dataset)
    in_segment = segment_mask(allocation, segment)
    before = pd.DataFrame({"Rep": before_side.labels[in_segment], "ARR": dataset.arr[in_segment]})
    after = pd.DataFrame({"Rep": assignee_labels(dataset, allocation)[in_segment], "ARR": dataset.arr[in_segment]})
    reps = list(dataset.rep_name[allocation.segments[segment].reps])
    names = reps + sorted((set(before["Rep"]) | set(after["Rep"])) - set(reps))
    books = pd.DataFrame({"Rep": names})
    for label, frame in (("Before", before), ("After", after)):
        grouped = frame.groupby("Rep", sort=False)["ARR"].agg(["sum", "count"])
        books[f"ARR_{label}"] = books["Rep"].map(grouped["sum"]).fillna(0.0)
        books[f"Accounts_{label}"] = books["Rep"].map(grouped["count"]).fillna(0).astype(int)
    books["Segment_Rep"] = books["Rep"].isin(reps)
    return books


def segment_mask(allocation: Allocation, segment: str) -> np.ndarray:
    return allocation.enterprise if segment == ENTERPRISE else ~allocation.enterprise


def owner_labels(dataset: Dataset) -> np.ndarray:
    """Original_Rep as the rep's own spelling, or as written with a note when not a rep."""
    labels = np.where(dataset.owner >= 0, dataset.rep_name[np.maximum(dataset.owner, 0)], "")
    for i in np.flatnonzero(dataset.owner < 0):
        written = dataset.original_rep[i].strip()
        labels[i] = written + NOT_A_REP if written else NO_OWNER
    return labels.astype(object)


def assignee_labels(dataset: Dataset, allocation: Allocation) -> np.ndarray:
    """Assigned_Rep, or why there is none (held for review, or unassigned)."""
    names = np.array(allocation.assigned_names(dataset), dtype=object)
    return np.where(names != "", names, np.where(allocation.status == HELD, HELD_LABEL, UNASSIGNED))


@dataclass(frozen=True)
class KpiChange:
    """One line of the improvement table; `better` says which direction is good."""

    segment: str
    name: str
    before: float | None
    after: float | None
    better: str  # "lower", "higher" or "neutral" (a count to read, not a gain or a loss)
    unit: str    # "%" for the CVs and shares, "score" for 0–100 scores, "" for counts

    @property
    def change(self) -> float | None:
        if self.before is None or self.after is None:
            return None
        return self.after - self.before

    @property
    def improved(self) -> bool | None:
        """True when the change goes the good way, False the bad way, None when unchanged or N/A."""
        if not self.change or self.better == "neutral":
            return None
        return (self.change < 0) == (self.better == "lower")


def kpi_changes(dataset: Dataset, allocation: Allocation, before_side: Side | None = None) -> list[KpiChange]:
    """Per segment: the three driver CVs over the segment's reps, geo-match % and accounts kept
    with the rep they had before."""
    holder = (before_side or owners_side(dataset)).holder
    changes = []
    for segment in SEGMENTS:
        result = allocation.segments[segment]
        mask = segment_mask(allocation, segment)
        before = _rep_totals(dataset, allocation, result.reps, holder, mask)
        after = (result.rep_arr, result.rep_accounts, result.rep_risk)
        before, after = ([scaled(v, result.ramp) for v in side] for side in (before, after))  # full books (§7)
        for name, b, a in zip(("ARR CV%", "Accounts CV%", "High-risk ARR CV%"), before, after):
            if name.startswith("High-risk") and not dataset.has_risk:
                continue
            changes.append(KpiChange(segment, name, _cv(b, result.reps), _cv(a, result.reps), "lower", "%"))
        changes.append(KpiChange(segment, "Geo match %", _geo_share(dataset, holder, mask),
                                 _geo_share(dataset, allocation.assigned, mask), "higher", "%"))
        kept = int(((allocation.assigned == holder) & (holder >= 0) & mask).sum())
        owned = int(((holder >= 0) & mask).sum())
        changes.append(KpiChange(segment, "Accounts kept with their owner", float(owned), float(kept),
                                 "higher", ""))
    return changes


def _rep_totals(dataset, allocation, reps: np.ndarray, holder: np.ndarray, mask: np.ndarray):
    """ARR, account count and high-risk ARR per rep of `reps` for the accounts `holder` gives them."""
    local = np.full(dataset.n_reps, -1)
    local[reps] = np.arange(len(reps))
    slot = np.where(holder >= 0, local[np.maximum(holder, 0)], -1)
    held = mask & (slot >= 0)
    size = len(reps)
    arr = np.bincount(slot[held], weights=dataset.arr[held], minlength=size)
    accounts = np.bincount(slot[held], minlength=size).astype(float)
    high = held & allocation.high_risk
    risk = np.bincount(slot[high], weights=dataset.arr[high], minlength=size)
    return arr, accounts, risk


def _cv(values: np.ndarray, reps: np.ndarray) -> float | None:
    return cv_percent(values) if len(reps) else None


def _geo_share(dataset: Dataset, holder: np.ndarray, mask: np.ndarray) -> float | None:
    """Share of the segment's accounts whose rep (owner or assignee) sits in their location."""
    total = int(mask.sum())
    if total == 0:
        return None
    has = mask & (holder >= 0)
    matches = dataset.account_location_code[has] == dataset.rep_location_code[holder[has]]
    return 100.0 * int(matches.sum()) / total


def movements(dataset: Dataset, allocation: Allocation, before: Side | None = None) -> pd.DataFrame:
    """Every account whose rep changes, in input order."""
    before = before or owners_side(dataset)
    moved = account_changed(dataset, allocation, before)
    return pd.DataFrame({
        "Account_ID": dataset.account_id[moved],
        "Account_Name": dataset.account_name[moved],
        "Segment": np.array(allocation.segment_names(), dtype=object)[moved],
        "From": before.labels[moved],
        "To": assignee_labels(dataset, allocation)[moved],
        "ARR": dataset.arr[moved],
    })


def account_changed(dataset: Dataset, allocation: Allocation, before: Side | None = None) -> np.ndarray:
    """A new rep, or no rep where someone was named before."""
    before = before or owners_side(dataset)
    return (allocation.assigned != before.holder) | ((allocation.assigned < 0) & before.named)


def refinement_changes(allocation: Allocation) -> list[KpiChange]:
    """Greedy (before) against refined (after), per segment: both composites, the three driver
    CVs, geo matches, owners kept and how many accounts the refinement gave another rep."""
    refinement = allocation.refinement
    changes = []
    for segment in SEGMENTS:
        greedy, refined = refinement.greedy.segments[segment].fairness, allocation.segments[segment].fairness
        log = refinement.segments[segment]
        changes += [KpiChange(segment, "Balanced", greedy.balanced, refined.balanced, "higher", "score"),
                    KpiChange(segment, "Custom", greedy.custom, refined.custom, "higher", "score")]
        for name, field in (("ARR CV%", "cv_arr"), ("Accounts CV%", "cv_accounts"), ("High-risk ARR CV%", "cv_risk")):
            changes.append(KpiChange(segment, name, getattr(greedy, field), getattr(refined, field), "lower", "%"))
        changes += [KpiChange(segment, "Geo matches", float(log.geo_before), float(log.geo_after), "higher", ""),
                    KpiChange(segment, "Accounts kept with their owner", float(log.kept_before),
                              float(log.kept_after), "higher", "")]
        in_segment = segment_mask(allocation, segment)
        moved = int((refinement.greedy.assigned[in_segment] != allocation.assigned[in_segment]).sum())
        changes.append(KpiChange(segment, "Accounts given another rep", 0.0, float(moved), "neutral", ""))
    return changes
