"""ALLOCATION.md §5: Overall scores and the deal-size ratio at every slider stop."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .allocation import allocate, effective_settings
from .dataset import ENTERPRISE, MID_MARKET, SLIDER_STEP, Dataset, slider_range
from .progress import Progress, report
from .settings import Settings, Weights

MAX_POINTS = 400


@dataclass(frozen=True)
class SegmentPoint:
    accounts: int
    arr: float
    reps: int

    @property
    def arr_per_rep(self) -> float | None:
        return self.arr / self.reps if self.reps else None

    @property
    def accounts_per_rep(self) -> float | None:
        return self.accounts / self.reps if self.reps else None


@dataclass(frozen=True)
class SensitivityPoint:
    """One threshold; scores and ratio are None (N/A) where either segment is empty."""

    threshold: int
    balanced: float | None
    custom: float | None
    deal_size_ratio: float | None
    enterprise: SegmentPoint
    mid_market: SegmentPoint


@dataclass(frozen=True)
class Sensitivity:
    points: list[SensitivityPoint]
    current_threshold: int
    weights: Weights


def sensitivity_thresholds(employees: np.ndarray, current: int, max_points: int = MAX_POINTS) -> list[int]:
    """Every slider stop; beyond `max_points`, evenly spaced stops plus the current threshold."""
    low, high = slider_range(employees)
    stops = np.arange(low, high + SLIDER_STEP, SLIDER_STEP, dtype=np.int64)
    if len(stops) > max_points:
        picks = np.unique(np.round(np.linspace(0, len(stops) - 1, max_points - 1)).astype(np.int64))
        stops = stops[picks]
    return sorted(set(stops.tolist()) | {int(current)})


def sensitivity(dataset: Dataset, settings: Settings, progress: Progress = None) -> Sensitivity:
    thresholds = sensitivity_thresholds(dataset.employees, settings.threshold)
    points = []
    for done, threshold in enumerate(thresholds, start=1):
        points.append(_point(dataset, settings.with_threshold(threshold)))
        report(progress, done / len(thresholds))
    return Sensitivity(points, settings.threshold, effective_settings(dataset, settings).weights)


def _point(dataset: Dataset, settings: Settings) -> SensitivityPoint:
    allocation = allocate(dataset, settings)
    parts = {}
    for name in (ENTERPRISE, MID_MARKET):
        segment = allocation.segments[name]
        parts[name] = SegmentPoint(len(segment.accounts), math.fsum(dataset.arr[segment.accounts]),
                                   len(segment.reps))
    e, m = parts[ENTERPRISE], parts[MID_MARKET]
    if e.accounts == 0 or m.accounts == 0:
        return SensitivityPoint(settings.threshold, None, None, None, e, m)
    mid_average = m.arr / m.accounts
    ratio = (e.arr / e.accounts) / mid_average if mid_average > 0 else None
    return SensitivityPoint(settings.threshold, allocation.overall_balanced, allocation.overall_custom,
                            ratio, e, m)
