"""ALLOCATION.md §4: the exhaustive search for the weights with the best Overall Balanced score."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import kernels, lockstep
from .allocation import Allocation, allocate, allocate_reference, effective_settings, segments_at
from .dataset import Dataset
from .progress import Progress, chunks, report
from .settings import Settings, Weights

TIE_TOLERANCE = 1e-9
CHUNK = 256  # triples between progress reports


@dataclass(frozen=True)
class BalancedScores:
    """Overall Balanced and each segment's, keyed by segment name."""

    overall: float | None
    segments: dict[str, float | None]

    @classmethod
    def of(cls, allocation: Allocation) -> BalancedScores:
        return cls(allocation.overall_balanced, {name: s.fairness.balanced for name, s in allocation.segments.items()})

    def as_dict(self) -> dict:
        return {"overall": self.overall, **self.segments}


@dataclass(frozen=True)
class Optimization:
    """Recommended weights and their scores beside the current ones; never applied by itself.
    `success` is False (and `message` says why) when no triple has an Overall score: then
    `weights` are the current ones and nothing is recommended."""

    weights: Weights
    balanced: BalancedScores
    current_weights: Weights
    current: BalancedScores
    evaluated: int
    success: bool = True
    message: str = ""


def weight_triples(has_risk: bool) -> np.ndarray:
    """Every whole-percent triple summing to 100 (5,151), or the 101 with risk at 0."""
    if not has_risk:
        return np.array([(a, 100 - a, 0) for a in range(101)], dtype=np.int64)
    return np.array([(a, c, 100 - a - c) for a in range(101) for c in range(101 - a)], dtype=np.int64)


def best_triple(triples: np.ndarray, scores: np.ndarray, current: Weights) -> int:
    """Highest score; within 1e-9 → closest to current (L1) → larger ARR → larger accounts."""
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
    """Per segment that has reps or accounts, a function from a block of weight fractions to
    Balanced scores (with the rules of §7; NaN throughout for a segment without reps)."""
    prefs = settings.preferences
    scorers = []
    for s in segments_at(dataset, settings):
        if len(s.reps) == 0 and len(s.accounts) == 0:
            continue
        if len(s.reps) == 0:
            scorers.append(lambda block: np.full(len(block), np.nan))
            continue
        scorers.append(lambda block, s=s: _balanced_for_weights(block, s, prefs, dataset.has_risk))
    return scorers


def _balanced_for_weights(block: np.ndarray, s, prefs, has_risk: bool) -> np.ndarray:
    with kernels.PARALLEL:
        return lockstep.balanced_for_weights(block, s.arrays, prefs.geo, prefs.preserve, s.targets, has_risk,
                                             lockstep.block_size(len(s.reps)))


def _overall(segment_scores: list[np.ndarray]) -> np.ndarray:
    """§3 Overall per triple: the mean of the segments' scores, NaN when any of them is NaN
    (a dataset always has accounts, so some segment is there)."""
    return np.vstack(segment_scores).mean(axis=0)


def _result(dataset, settings, triples, scores, allocator) -> Optimization:
    current = BalancedScores.of(allocator(dataset, settings))
    if np.all(np.isnan(scores)):
        return Optimization(settings.weights, current, settings.weights, current, len(triples), success=False,
                            message=f"Overall is N/A at threshold {settings.threshold:,} for every weight "
                                    f"combination (a segment has reps but no accounts, or accounts but no "
                                    f"reps): move the threshold first.")
    best = Weights(*map(int, triples[best_triple(triples, scores, settings.weights)]))
    return Optimization(
        weights=best,
        balanced=BalancedScores.of(allocator(dataset, settings.with_weights(best))),
        current_weights=settings.weights,
        current=current,
        evaluated=len(triples),
    )


def _nan(value: float | None) -> float:
    return math.nan if value is None else value
