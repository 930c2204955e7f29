"""Refine balance: after the greedy, move or swap accounts inside a segment while that makes the
segment fairer, never keeping fewer geo matches or owners than the greedy did.

The greedy of ALLOCATION.md decides one account at a time and cannot take a decision back, so it
leaves fairness on the table. `refine` starts from its result and runs a deterministic local
search (engine.refine_kernel) on each segment: move one account to another rep, or swap two
accounts between reps, whenever that raises the segment's Balanced score (or Custom score).
Every change is logged with each driver's CV% after it, so the audit trail can explain it and
replaying the log over the greedy's assignment gives the refined one.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from . import kernels
from .allocation import Allocation, SegmentAllocation, SegmentInputs, inputs_of, overall_of, segment_result
from .dataset import Dataset
from .fairness import Fairness
from .refine_kernel import MOVE, refine_segment

BALANCED = "balanced"
CUSTOM = "custom"
OBJECTIVES = (BALANCED, CUSTOM)
DEFAULT_MIN_GAIN = 0.02  # points a change must add to the score of a 1,000-account segment
MIN_GAIN_CHOICES = (0.0, 0.01, 0.02, 0.05, 0.1)
PER_ACCOUNTS = 1_000
GAIN_FLOOR = 1e-6        # smaller gains are rounding noise, never worth a change
DRIVERS = ("ARR", "Accounts", "High-risk ARR")


@dataclass(frozen=True, eq=False)
class SegmentRefinement:
    """What refinement did to one segment. `log` rows are (kind, account, partner or -1, from rep,
    to rep) with dataset indices; `cvs` holds each driver's CV% after each change (NaN = N/A)."""

    name: str
    log: np.ndarray
    cvs: np.ndarray
    before: Fairness         # the greedy's; the refined fairness is the allocation's segment's
    geo_before: int
    geo_after: int
    kept_before: int
    kept_after: int

    @property
    def moves(self) -> int:
        return int((self.log[:, 0] == MOVE).sum())

    @property
    def swaps(self) -> int:
        return len(self.log) - self.moves

    @property
    def changes(self) -> int:
        return len(self.log)

    def cv_after(self, number: int) -> tuple[float | None, ...]:
        """Each driver's CV% after change `number` (1-based; 0 = the greedy's)."""
        if number == 0:
            return (self.before.cv_arr, self.before.cv_accounts, self.before.cv_risk)
        return tuple(None if np.isnan(cv) else float(cv) for cv in self.cvs[number - 1])


@dataclass(frozen=True, eq=False)
class Refinement:
    """The greedy allocation the refinement started from, and what it changed per segment."""

    objective: str
    greedy: Allocation
    segments: dict[str, SegmentRefinement]
    seconds: float
    min_gain: float = DEFAULT_MIN_GAIN

    def _sum(self, name: str) -> int:
        return sum(getattr(segment, name) for segment in self.segments.values())

    moves = property(lambda self: self._sum("moves"))
    swaps = property(lambda self: self._sum("swaps"))
    changes = property(lambda self: self._sum("changes"))
    geo_before = property(lambda self: self._sum("geo_before"))
    geo_after = property(lambda self: self._sum("geo_after"))
    kept_before = property(lambda self: self._sum("kept_before"))
    kept_after = property(lambda self: self._sum("kept_after"))


def refine(dataset: Dataset, greedy: Allocation, objective: str = BALANCED,
           min_gain: float = DEFAULT_MIN_GAIN) -> Allocation:
    """The greedy allocation improved by moves and swaps worth at least `min_gain` points each (less in a
    segment of over 1,000 accounts, see `gain_bar`); `refinement` says what changed. Locked and unplaced
    accounts stay where they are and no rep is taken over a cap (§7 item 5)."""
    if objective not in OBJECTIVES:
        raise ValueError(f"refine objective must be one of {OBJECTIVES}, got {objective!r}")
    if not 0 <= min_gain <= max(MIN_GAIN_CHOICES):
        raise ValueError(f"refine minimum gain must be 0-{max(MIN_GAIN_CHOICES)} points, got {min_gain!r}")
    started = time.perf_counter()
    assigned = greedy.assigned.copy()
    segments, refinements = {}, {}
    for name, segment in greedy.segments.items():
        segments[name], refinements[name] = _refine_segment(dataset, greedy, segment, objective, min_gain)
        assigned[segment.accounts] = segments[name].winners
    refinement = Refinement(objective, greedy, refinements, time.perf_counter() - started, min_gain)
    return Allocation(
        settings=greedy.settings, assigned=assigned, status=greedy.status, enterprise=greedy.enterprise,
        high_risk=greedy.high_risk, segments=segments,
        overall_custom=overall_of(segments, "custom"), overall_balanced=overall_of(segments, "balanced"),
        warnings=greedy.warnings, rules=greedy.rules, refinement=refinement,
    )


def gain_bar(min_gain: float, placed: int) -> float:
    """Points a change must add in a segment of `placed` accounts: `min_gain` up to 1,000 accounts,
    scaled by 1,000 ÷ placed beyond, since one account weighs less in a bigger segment. 0.02 stops
    a swap of two near-equal accounts in the demo yet lets 100,000 accounts reach the same balance."""
    return max(min_gain * PER_ACCOUNTS / max(placed, PER_ACCOUNTS), GAIN_FLOOR)


def objective_weights(segment: SegmentAllocation, objective: str, weights) -> np.ndarray:
    """Each driver's weight in the score being raised; 0 for a driver that is N/A."""
    chosen = (1.0, 1.0, 1.0) if objective == BALANCED else weights.fractions()
    scores = (segment.fairness.arr, segment.fairness.accounts, segment.fairness.risk)
    return np.array([w if s is not None else 0.0 for w, s in zip(chosen, scores)])


def _refine_segment(dataset: Dataset, greedy: Allocation, segment: SegmentAllocation,
                    objective: str, min_gain: float) -> tuple[SegmentAllocation, SegmentRefinement]:
    """Refine one segment's placed accounts (held and unplaced ones stay out of every book)."""
    inputs = inputs_of(dataset, greedy, segment.name)
    holder = greedy.assigned[inputs.accounts]  # processing order
    before = np.where(holder >= 0, np.searchsorted(segment.reps, holder), -1)
    placed = np.flatnonzero(holder >= 0)
    weight = objective_weights(segment, objective, greedy.settings.weights)
    log = np.empty((0, 5), dtype=np.int64)
    cvs = np.empty((0, 3))
    refined = before.copy()
    if len(segment.reps) > 1 and weight.sum() > 0 and len(placed):
        books = refined[placed].copy()
        log, cvs = refine_segment(kernels.select(inputs.arrays, placed), books, weight,
                                  gain_bar(min_gain, len(placed)))
        refined[placed] = books
        log[:, 1:3] = np.where(log[:, 1:3] >= 0, placed[np.maximum(log[:, 1:3], 0)], -1)
        result = segment_result(inputs, refined, greedy.settings.weights, dataset.has_risk)
        if not _kept_promises(result, segment, objective, inputs):
            log, cvs = log[:0], cvs[:0]
    if len(log) == 0:
        refined, result = before, segment
    return result, SegmentRefinement(
        name=segment.name, log=_dataset_indices(log, inputs), cvs=cvs,
        before=segment.fairness,
        geo_before=_geo_matches(inputs, before), geo_after=_geo_matches(inputs, refined),
        kept_before=_owners_kept(inputs, before), kept_after=_owners_kept(inputs, refined),
    )


def _kept_promises(result: SegmentAllocation, greedy: SegmentAllocation, objective: str,
                   inputs: SegmentInputs) -> bool:
    """Whether the refined books really score no lower and break no cap the greedy's kept:
    rounding in the kernel's running sums could, rarely, let either slip; then the greedy's stay."""
    if _score(result.fairness, objective) < _score(greedy.fairness, objective):
        return False
    for totals, before, caps in ((result.rep_accounts, greedy.rep_accounts, inputs.max_accounts),
                                 (result.rep_arr, greedy.rep_arr, inputs.max_arr)):
        if np.any((totals > caps) & (totals > before)):
            return False
    return True


def _score(fairness: Fairness, objective: str) -> float:
    value = getattr(fairness, objective)  # .balanced or .custom
    return -np.inf if value is None else value


def _dataset_indices(log: np.ndarray, inputs) -> np.ndarray:
    """Kernel rows (segment positions, local reps) as dataset account and rep indices."""
    out = log.copy()
    out[:, 1] = inputs.accounts[log[:, 1]]
    out[:, 2] = np.where(log[:, 2] >= 0, inputs.accounts[np.maximum(log[:, 2], 0)], -1)
    out[:, 3] = inputs.reps[log[:, 3]]
    out[:, 4] = inputs.reps[log[:, 4]]
    return out


def _geo_matches(inputs, local: np.ndarray) -> int:
    """Placed accounts (local ≥ 0) whose rep sits in their location."""
    if len(inputs.reps) == 0:
        return 0
    return int(((local >= 0) & (inputs.group >= 0) & (inputs.rep_group[np.maximum(local, 0)] == inputs.group)).sum())


def _owners_kept(inputs, local: np.ndarray) -> int:
    if len(inputs.reps) == 0:
        return 0
    return int(((local >= 0) & (inputs.owner == local)).sum())


def replay(greedy: Allocation, refinement: Refinement, upto: dict[str, int] | None = None) -> np.ndarray:
    """The greedy's assignment (rep per account, input order) with the logged changes applied in
    order: all of them, or the first `upto[segment]` of each segment."""
    assigned = greedy.assigned.copy()
    for name, segment in refinement.segments.items():
        count = len(segment.log) if upto is None else upto.get(name, 0)
        for kind, account, partner, giver, taker in segment.log[:count]:
            assigned[account] = taker
            if kind != MOVE:
                assigned[partner] = giver
    return assigned
