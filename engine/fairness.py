"""ALLOCATION.md §3: CV%-based driver scores, Custom and Balanced composites, colour bands."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .rules import scaled
from .settings import Weights

BANDS = (  # (lowest score in band, name), best first
    (94.0, "dark green"),
    (88.0, "light green"),
    (82.0, "yellow"),
    (75.0, "orange"),
    (-math.inf, "red"),
)
NA_BAND = "grey"


def cv_percent(values) -> float | None:
    """Population std / mean × 100; None (N/A) for no values or a zero mean."""
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0:
        return None
    mean = values.mean()
    if mean == 0:
        return None
    return float(values.std() / mean * 100.0)


def score_from_cv(cv: float | None) -> float | None:
    """clamp(100 − CV%, 0, 100), or None when CV% is N/A."""
    return None if cv is None else min(max(100.0 - cv, 0.0), 100.0)


def weighted_composite(scores: tuple[float | None, ...], weights: tuple[float, ...]) -> float | None:
    """Weights over the drivers that are not N/A, renormalised; None if nothing is left."""
    pairs = [(s, w) for s, w in zip(scores, weights) if s is not None]
    weight_sum = sum(w for _, w in pairs)
    if weight_sum == 0:
        return None
    return sum(s * w for s, w in pairs) / weight_sum


def band(score: float | None) -> str:
    """The colour band of a score (93.9 is light green, 74.9 red, N/A grey)."""
    if score is None:
        return NA_BAND
    return next(name for low, name in BANDS if score >= low)


@dataclass(frozen=True)
class Fairness:
    """A segment's fairness: CV% and score per driver, and the two composites."""

    cv_arr: float | None
    cv_accounts: float | None
    cv_risk: float | None
    arr: float | None
    accounts: float | None
    risk: float | None
    custom: float | None
    balanced: float | None

    def as_dict(self) -> dict:
        return {"arr": self.arr, "accounts": self.accounts, "risk": self.risk,
                "custom": self.custom, "balanced": self.balanced}


def segment_fairness(rep_arr, rep_accounts, rep_risk, weights: Weights, has_risk: bool,
                     ramp: np.ndarray | None = None) -> Fairness:
    """Fairness over all reps of a segment, reps with nothing included; with ramping reps, over
    their totals scaled to a full book (§7 item 3)."""
    if ramp is not None:
        rep_arr, rep_accounts, rep_risk = (scaled(v, ramp) for v in (rep_arr, rep_accounts, rep_risk))
    cvs = (cv_percent(rep_arr), cv_percent(rep_accounts), cv_percent(rep_risk) if has_risk else None)
    scores = tuple(score_from_cv(cv) for cv in cvs)
    return Fairness(*cvs, *scores,
                    custom=weighted_composite(scores, weights.fractions()),
                    balanced=weighted_composite(scores, (1.0, 1.0, 1.0)))


def overall(composites) -> float | None:
    """Plain mean of the segment composites; N/A when any of them is N/A (§3)."""
    values = list(composites)
    if not values or any(value is None for value in values):
        return None
    return sum(values) / len(values)
