"""ALLOCATION.md §4: the exhaustive search for the weights with the best Overall Balanced score."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import kernels
from .allocation import Allocation, allocate, allocate_reference, effective_settings, high_risk_mask, segment_inputs
from .dataset import ENTERPRISE, MID_MARKET, SEGMENTS, Dataset, is_enterprise
from .progress import Progress, chunks, report
from .settings import Settings, Weights

TIE_TOLERANCE = 1e-9
CHUNK = 256  # triples between progress reports


@dataclass(frozen=True)
class BalancedScores:
    overall: float | None
    enterprise: float | None
    mid_market: float | None

    @classmethod
    def of(cls, allocation: Allocation) -> BalancedScores:
        return cls(allocation.overall_balanced, allocation.segments[ENTERPRISE].fairness.balanced,
                   allocation.segments[MID_MARKET].fairness.balanced)

    def as_dict(self) -> dict:
        return {"overall": self.overall, ENTERPRISE: self.enterprise, MID_MARKET: self.mid_market}


@dataclass(frozen=True)
class Optimization:
    """Recommended weights and their scores beside the current ones; never applied by itself."""

    weights: Weights
    balanced: BalancedScores
    current_weights: Weights
    current: BalancedScores
    evaluated: int


def weight_triples(has_risk: bool) -> np.ndarray:
    """Every whole-percent triple summing to 100 (5,151), or the 101 with risk at 0."""
    if not has_risk:
        return np.array([(a, 100 - a, 0) for a in range(101)], dtype=np.int64)
    return np.array([(a, c, 100 - a - c) for a in range(101) for c in range(101 - a)], dtype=np.int64)


def best_triple(triples: np.ndarray, scores: np.ndarray, current: Weights) -> int:
    """Highest score; within 1e-9 → closest to current (L1) → larger ARR → larger accounts."""
    if np.all(np.isnan(scores)):
        return _index_of(triples, current)
    top = np.nanmax(scores)
    candidates = np.flatnonzero(scores >= top - TIE_TOLERANCE)
    distance = np.abs(triples[candidates] - np.array(current.as_list())).sum(axis=1)
    key = np.lexsort((-triples[candidates, 1], -triples[candidates, 0], distance))
    return int(candidates[key[0]])


def optimize_weights(dataset: Dataset, settings: Settings, progress: Progress = None) -> Optimization:
    """Score every triple with the compiled kernel, both cores, in chunks that report progress."""
    settings = effective_settings(dataset, settings)
    triples = weight_triples(dataset.has_risk)
    scores = np.empty(len(triples))
    segment_scores = _segment_scorers(dataset, settings)
    fractions = triples / 100.0
    for start, stop in chunks(len(triples), CHUNK):
        scores[start:stop] = _overall([score(fractions[start:stop]) for score in segment_scores])
        report(progress, stop / len(triples))
    return _result(dataset, settings, triples, scores, allocate)


def optimize_weights_reference(dataset: Dataset, settings: Settings) -> Optimization:
    """The same search with the plain-Python allocation: the definition the fast one must match."""
    settings = effective_settings(dataset, settings)
    triples = weight_triples(dataset.has_risk)
    scores = np.array([_nan(allocate_reference(dataset, settings.with_weights(Weights(*map(int, t))))
                            .overall_balanced) for t in triples])
    return _result(dataset, settings, triples, scores, allocate_reference)


def _segment_scorers(dataset: Dataset, settings: Settings):
    """Per segment, a function from a block of weight fractions to Balanced scores."""
    enterprise = is_enterprise(dataset.employees, settings.threshold)
    high = high_risk_mask(dataset, settings.preferences.high_risk)
    prefs = settings.preferences
    scorers = []
    for name in SEGMENTS:
        s = segment_inputs(dataset, name, enterprise, high)
        if len(s.reps) == 0:
            scorers.append(lambda block: np.full(len(block), np.nan))
            continue
        scorers.append(lambda block, s=s: _balanced_for_weights(block, s, prefs, dataset.has_risk))
    return scorers


def _balanced_for_weights(block: np.ndarray, s, prefs, has_risk: bool) -> np.ndarray:
    with kernels.PARALLEL:
        return kernels.balanced_for_weights(block, *s.kernel_arrays(), prefs.geo, prefs.preserve,
                                            s.targets.arr, s.targets.accounts, s.targets.risk, has_risk)


def _overall(segment_scores: list[np.ndarray]) -> np.ndarray:
    """Plain mean of the segment scores that are not N/A, per triple."""
    stacked = np.vstack(segment_scores)
    present = ~np.isnan(stacked)
    count = present.sum(axis=0)
    total = np.where(present, stacked, 0.0).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def _result(dataset, settings, triples, scores, allocator) -> Optimization:
    best = Weights(*map(int, triples[best_triple(triples, scores, settings.weights)]))
    return Optimization(
        weights=best,
        balanced=BalancedScores.of(allocator(dataset, settings.with_weights(best))),
        current_weights=settings.weights,
        current=BalancedScores.of(allocator(dataset, settings)),
        evaluated=len(triples),
    )


def _index_of(triples: np.ndarray, weights: Weights) -> int:
    return int(np.flatnonzero((triples == weights.as_list()).all(axis=1))[0])


def _nan(value: float | None) -> float:
    return math.nan if value is None else value
