"""ALLOCATION.md §5: Overall scores and the deal-size ratio at every threshold that changes the split."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import kernels
from .allocation import Allocation, allocate_reference, effective_settings, high_risk_mask, segment_inputs
from .dataset import ENTERPRISE, MID_MARKET, SEGMENTS, Dataset, slider_range
from .fairness import overall
from .progress import Progress, chunks, report
from .rules import resolve_rules
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

    @property
    def empty_on_one_side(self) -> bool:
        """Reps but no accounts (they would sit idle), or accounts but no reps."""
        return (self.reps > 0) != (self.accounts > 0)


@dataclass(frozen=True)
class SensitivityPoint:
    """One threshold; scores and ratio are None (N/A) where a segment is empty on one side."""

    threshold: int
    balanced: float | None
    custom: float | None
    deal_size_ratio: float | None
    segments: dict[str, SegmentPoint]

    @property
    def empty_segments(self) -> list[str]:
        return [name for name, s in self.segments.items() if s.empty_on_one_side]


@dataclass(frozen=True)
class Sensitivity:
    points: list[SensitivityPoint]
    current_threshold: int
    weights: Weights


def sensitivity_thresholds(employees: np.ndarray, current: int, max_points: int = MAX_POINTS) -> list[int]:
    """Each distinct employee count inside the slider range (the split changes only there), both
    ends and the current threshold; beyond `max_points`, spread evenly on a log scale."""
    low, high = slider_range(employees)
    counts = np.unique(np.ceil(employees))
    points = np.unique(np.concatenate([counts[(counts >= low) & (counts <= high)], [low, high]]))
    if len(points) > max_points:
        logs = np.log10(points)
        wanted = np.linspace(logs[0], logs[-1], max_points - 1)
        nearest = np.clip(np.searchsorted(logs, wanted), 1, len(points) - 1)
        nearest -= (wanted - logs[nearest - 1]) < (logs[nearest] - wanted)
        points = points[np.unique(nearest)]
    return sorted({int(p) for p in points} | {low, high, int(current)})


def sensitivity(dataset: Dataset, settings: Settings, progress: Progress = None) -> Sensitivity:
    """All thresholds in one compiled pass per chunk, spread over the cores."""
    work = curve_work(dataset, settings)
    rows = np.empty((len(work.thresholds), 4 * len(SEGMENTS)))
    for start, stop in chunks(len(work.thresholds), CHUNK):
        with kernels.PARALLEL:
            rows[start:stop] = kernels.scores_at_thresholds(work.thresholds[start:stop], *work.arguments)
        report(progress, stop / len(work.thresholds))
    return work.curve(rows)


@dataclass(frozen=True)
class CurveWork:
    """A curve's thresholds and compiled inputs, made in Python once, so that the kernel can then
    run on a thread of its own without taking the interpreter's lock until it ends."""

    thresholds: np.ndarray
    arguments: tuple
    reps: list[int]
    settings: Settings

    def rows_in_order(self, stop: np.ndarray) -> np.ndarray | None:
        """Every threshold's row on the calling thread alone, or None if another thread set
        `stop[0]` before the last one (it is looked at between thresholds)."""
        rows = kernels.scores_at_thresholds_in_order(self.thresholds, *self.arguments, stop)
        return rows if len(rows) == len(self.thresholds) else None

    def curve(self, rows: np.ndarray) -> Sensitivity:
        points = [_point(int(t), row, self.reps) for t, row in zip(self.thresholds, rows)]
        return Sensitivity(points, self.settings.threshold, self.settings.weights)


def curve_work(dataset: Dataset, settings: Settings) -> CurveWork:
    settings = effective_settings(dataset, settings)
    thresholds = np.array(sensitivity_thresholds(dataset.employees, settings.threshold), dtype=np.float64)
    high = high_risk_mask(dataset, settings.preferences.high_risk)
    rules = resolve_rules(dataset, settings.rules)
    everyone = np.ones(dataset.n_accounts, dtype=bool)
    inputs = [segment_inputs(dataset, name, everyone if name == ENTERPRISE else ~everyone, high, rules)
              for name in SEGMENTS]
    prefs = settings.preferences
    weights = kernels.Prefs(*settings.weights.fractions(), prefs.geo, prefs.preserve)
    arguments = (dataset.employees[dataset.order], *(i.arrays for i in inputs), weights, dataset.has_risk)
    return CurveWork(thresholds, arguments, [len(i.reps) for i in inputs], settings)


def sensitivity_reference(dataset: Dataset, settings: Settings) -> Sensitivity:
    """The same curve from one plain-Python allocation per threshold (for tests)."""
    settings = effective_settings(dataset, settings)
    points = []
    for threshold in sensitivity_thresholds(dataset.employees, settings.threshold):
        points.append(point_of(allocate_reference(dataset, settings.with_threshold(threshold))))
    return Sensitivity(points, settings.threshold, settings.weights)


def point_of(allocation: Allocation) -> SensitivityPoint:
    """The sensitivity point of an allocation already made (the current threshold's point)."""
    row = []
    for name in SEGMENTS:
        s = allocation.segments[name]
        row += [s.fairness.balanced, s.fairness.custom, len(s.accounts), s.arr]
    return _point(allocation.settings.threshold, np.array([np.nan if v is None else v for v in row]),
                  [len(allocation.segments[name].reps) for name in SEGMENTS])


def _point(threshold: int, row: np.ndarray, reps: list[int]) -> SensitivityPoint:
    """A kernel row (balanced, custom, accounts, ARR per segment) as a point; Overall as §3 says."""
    segments = {name: SegmentPoint(int(row[4 * k + 2]), float(row[4 * k + 3]), reps[k])
                for k, name in enumerate(SEGMENTS)}
    present = [k for k, s in enumerate(segments.values()) if s.reps or s.accounts]
    scores = [overall(_value(row[4 * k + column]) for k in present) for column in (0, 1)]
    return SensitivityPoint(threshold, *scores, _deal_size_ratio(segments), segments)


def _deal_size_ratio(segments: dict[str, SegmentPoint]) -> float | None:
    """Enterprise average ARR ÷ Mid-Market average ARR, when both have accounts."""
    e, m = segments[ENTERPRISE], segments[MID_MARKET]
    if e.accounts == 0 or m.accounts == 0 or m.arr == 0:
        return None
    return (e.arr / e.accounts) / (m.arr / m.accounts)


def _value(value: float) -> float | None:
    return None if math.isnan(value) else float(value)
