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


BAND_15 = 15.0  # seed 000's fairness band: a rep within ±15% of target


@dataclass(frozen=True)
class Spread:
    """How unevenly one driver is spread, in the terms finance teams use besides CV%: the Gini
    coefficient (seed 002), the largest book over the smallest, the rep furthest from target, and
    the share of reps within ±15% of target (seed 000). None where a measure is undefined."""

    gini: float | None             # 0 = every book equal, towards 1 = one rep holds everything
    max_min: float | None          # largest ÷ smallest book; None when the smallest is empty
    worst_deviation: float | None  # the rep furthest from target, in % of that target
    in_band_15: float | None       # % of reps within ±15% of target

    def as_dict(self) -> dict:
        return {"gini": self.gini, "max_min": self.max_min, "worst_deviation": self.worst_deviation,
                "in_band_15": self.in_band_15}


NO_SPREAD = Spread(None, None, None, None)


def gini(values) -> float | None:
    """Mean absolute difference between all pairs ÷ twice the mean; None for no values or a zero sum."""
    values = np.sort(np.asarray(values, dtype=np.float64))
    total = values.sum()
    if values.size == 0 or total <= 0:
        return None
    n = values.size
    ranks = np.arange(1, n + 1)
    return float(max((2.0 * (ranks * values).sum() / (n * total)) - (n + 1) / n, 0.0))


def driver_spread(totals, targets, ramp: np.ndarray | None = None) -> Spread:
    """A driver's Spread over a segment's reps; Gini and max/min use totals scaled to a full book
    for ramping reps, the deviations compare each rep with its own (ramp-scaled) target."""
    totals = np.asarray(totals, dtype=np.float64)
    targets = np.asarray(targets, dtype=np.float64)
    if totals.size == 0 or totals.sum() <= 0 or np.any(targets <= 0):
        return NO_SPREAD
    full = totals if ramp is None else scaled(totals, ramp)
    smallest = full.min()
    deviation = np.abs(totals - targets) / targets * 100.0
    return Spread(gini=gini(full), max_min=float(full.max() / smallest) if smallest > 0 else None,
                  worst_deviation=float(deviation.max()),
                  in_band_15=float((deviation <= BAND_15 + 1e-9).mean() * 100.0))


def best_score(values, n_reps: int) -> float | None:
    """The highest driver score any split of these accounts over `n_reps` equal reps can reach:
    the score of the most even books the accounts allow (big accounts cannot be split, so a rep
    holds at least the biggest one, and the rest is shared as evenly as possible). An upper bound
    for ARR, exact for counts (pass ones). None when the score is N/A."""
    values = np.sort(np.asarray(values, dtype=np.float64))[::-1]
    if n_reps <= 0 or values.size == 0 or values.sum() <= 0:
        return None
    return score_from_cv(cv_percent(_most_even_books(values, n_reps)))


def _most_even_books(values: np.ndarray, n_reps: int) -> np.ndarray:
    """Books as even as indivisible accounts (largest first) allow: fewer accounts than reps give one
    each; equal accounts split as evenly as whole numbers can; otherwise each account bigger than an
    even share of what is left gets a rep of its own and the rest is shared evenly."""
    if values.size <= n_reps:
        return np.concatenate([values, np.zeros(n_reps - values.size)])
    if values[0] == values[-1]:
        share, extra = divmod(values.size, n_reps)
        return values[0] * np.array([share + 1] * extra + [share] * (n_reps - extra), dtype=np.float64)
    remaining, own = float(values.sum()), []
    for value in values[: n_reps - 1]:
        if value * (n_reps - len(own)) <= remaining:
            break
        own.append(value)
        remaining -= value
    left = n_reps - len(own)
    return np.concatenate([own, np.full(left, remaining / left)])
