"""ALLOCATION.md §5: Overall scores and the deal-size ratio at every slider stop."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import kernels
from .allocation import Allocation, allocate_reference, effective_settings, high_risk_mask, segment_inputs
from .dataset import ENTERPRISE, MID_MARKET, SLIDER_STEP, Dataset, slider_range
from .fairness import overall
from .progress import Progress, chunks, report
from .settings import Settings, Weights

MAX_POINTS = 400
CHUNK = 32  # thresholds between progress reports


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
    """All thresholds in one compiled pass per chunk, spread over the cores."""
    settings = effective_settings(dataset, settings)
    thresholds = np.array(sensitivity_thresholds(dataset.employees, settings.threshold), dtype=np.float64)
    high = high_risk_mask(dataset, settings.preferences.high_risk)
    everyone = np.ones(dataset.n_accounts, dtype=bool)
    e = segment_inputs(dataset, ENTERPRISE, everyone, high)
    m = segment_inputs(dataset, MID_MARKET, ~everyone, high)
    prefs = settings.preferences
    rows = np.empty((len(thresholds), 8))
    for start, stop in chunks(len(thresholds), CHUNK):
        with kernels.PARALLEL:
            rows[start:stop] = kernels.scores_at_thresholds(
                thresholds[start:stop], dataset.employees[dataset.order], e.arr, e.high,
                *e.kernel_arrays()[2:], *m.kernel_arrays()[2:], *settings.weights.fractions(),
                prefs.geo, prefs.preserve, dataset.has_risk)
        report(progress, stop / len(thresholds))
    points = [_point(int(t), row, len(e.reps), len(m.reps)) for t, row in zip(thresholds, rows)]
    return Sensitivity(points, settings.threshold, settings.weights)


def sensitivity_reference(dataset: Dataset, settings: Settings) -> Sensitivity:
    """The same curve from one plain-Python allocation per threshold (for tests)."""
    settings = effective_settings(dataset, settings)
    points = []
    for threshold in sensitivity_thresholds(dataset.employees, settings.threshold):
        points.append(point_of(allocate_reference(dataset, settings.with_threshold(threshold))))
    return Sensitivity(points, settings.threshold, settings.weights)


def point_of(allocation: Allocation) -> SensitivityPoint:
    """The sensitivity point of an allocation already made (the current threshold's point)."""
    e, m = allocation.segments[ENTERPRISE], allocation.segments[MID_MARKET]
    row = [e.fairness.balanced, e.fairness.custom, len(e.accounts), e.arr,
           m.fairness.balanced, m.fairness.custom, len(m.accounts), m.arr]
    return _point(allocation.settings.threshold, np.array([np.nan if v is None else v for v in row]),
                  len(e.reps), len(m.reps))


def _point(threshold: int, row: np.ndarray, enterprise_reps: int, mid_market_reps: int) -> SensitivityPoint:
    e = SegmentPoint(int(row[2]), float(row[3]), enterprise_reps)
    m = SegmentPoint(int(row[6]), float(row[7]), mid_market_reps)
    if e.accounts == 0 or m.accounts == 0:
        return SensitivityPoint(threshold, None, None, None, e, m)
    mid_average = m.arr / m.accounts
    ratio = (e.arr / e.accounts) / mid_average if mid_average > 0 else None
    return SensitivityPoint(threshold, overall(_present(row[[0, 4]])), overall(_present(row[[1, 5]])),
                            ratio, e, m)


def _present(values: np.ndarray) -> list[float | None]:
    return [None if np.isnan(v) else float(v) for v in values]
