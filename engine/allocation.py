"""ALLOCATION.md §1–§2: split accounts into segments and assign them, one segment at a time.

`allocate` runs the numba kernel; `allocate_reference` is the same rules in plain Python, kept
as the readable definition that tests compare the fast path against.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from . import kernels
from .dataset import ENTERPRISE, MID_MARKET, SEGMENTS, Dataset, is_enterprise
from .fairness import Fairness, overall, segment_fairness
from .scoring import RepScore, Targets, blended_need, total_score, winner_index
from .settings import Settings, Weights

if TYPE_CHECKING:
    from .refine import Refinement


@dataclass(frozen=True, eq=False)
class SegmentAllocation:
    """One segment's result. `accounts` and `winners` are aligned, in assignment order; after a
    refinement `winners` holds each account's final rep."""

    name: str
    reps: np.ndarray         # global rep indices, tie-break order
    accounts: np.ndarray     # global account indices, assignment order
    winners: np.ndarray      # global rep index per step, -1 when the segment has no reps
    rep_arr: np.ndarray      # final totals, aligned with `reps`
    rep_accounts: np.ndarray
    rep_risk: np.ndarray
    arr: float               # ARR of the segment's accounts, assigned or not
    targets: Targets
    fairness: Fairness

    @property
    def unassigned(self) -> int:
        return 0 if len(self.reps) else len(self.accounts)


@dataclass(frozen=True, eq=False)
class Allocation:
    """The result of one run: every account's rep and segment, per-segment detail, fairness."""

    settings: Settings        # with the weights actually used (risk forced to 0 when absent)
    assigned: np.ndarray      # rep index per account in input order, -1 = unassigned
    enterprise: np.ndarray    # bool per account
    high_risk: np.ndarray     # bool per account
    segments: dict[str, SegmentAllocation]
    overall_custom: float | None
    overall_balanced: float | None
    warnings: list[str] = field(default_factory=list)
    refinement: Refinement | None = None  # set when engine.refine improved a greedy allocation

    @property
    def greedy(self) -> Allocation:
        """The weighted greedy's own result: this allocation, or the one refinement started from."""
        return self.refinement.greedy if self.refinement else self

    def assigned_names(self, dataset: Dataset) -> list[str]:
        if dataset.n_reps == 0:
            return [""] * len(self.assigned)
        return np.where(self.assigned >= 0, dataset.rep_name[np.maximum(self.assigned, 0)], "").tolist()

    def segment_names(self) -> list[str]:
        return np.where(self.enterprise, ENTERPRISE, MID_MARKET).tolist()


def effective_settings(dataset: Dataset, settings: Settings) -> Settings:
    """Without a Risk_Score column the risk weight is forced to 0 (§2)."""
    if dataset.has_risk:
        return settings
    return settings.with_weights(settings.weights.without_risk())


def high_risk_mask(dataset: Dataset, high_risk: float) -> np.ndarray:
    """Risk_Score ≥ the high-risk threshold; a blank score is never high-risk."""
    with np.errstate(invalid="ignore"):
        return np.nan_to_num(dataset.risk, nan=-math.inf) >= high_risk


def ordered_sum(values: np.ndarray) -> float:
    """Left-to-right sum. Over accounts in processing order (a canonical order) it does not
    depend on the order of input rows, and a compiled loop gets the same bits."""
    return float(np.cumsum(values)[-1]) if len(values) else 0.0


def segment_targets(arr: np.ndarray, high: np.ndarray, n_reps: int) -> Targets:
    """Per-rep targets from the segment's accounts in processing order."""
    if n_reps == 0:
        return Targets(0.0, 0.0, 0.0)
    return Targets(ordered_sum(arr) / n_reps, len(arr) / n_reps, ordered_sum(arr[high]) / n_reps)


@dataclass(frozen=True, eq=False)
class SegmentInputs:
    """Everything the kernel needs for one segment, in processing and tie-break order."""

    name: str
    accounts: np.ndarray
    reps: np.ndarray
    arr: np.ndarray
    high: np.ndarray
    location: np.ndarray
    owner: np.ndarray        # local rep index, -1 when the owner is not a rep of this segment
    rep_location: np.ndarray
    targets: Targets
    group: np.ndarray        # the kernel's view of locations: see location_groups
    rep_group: np.ndarray
    group_start: np.ndarray
    group_reps: np.ndarray

    def kernel_arrays(self) -> tuple:
        """The per-account and per-rep arrays kernels.greedy_segment takes, in its order."""
        return (self.arr, self.high, self.group, self.owner, self.rep_group, self.group_start,
                self.group_reps)


def location_groups(location: np.ndarray, rep_location: np.ndarray):
    """Reps grouped by location code: each account's group (-1 if no rep shares its location),
    each rep's group, and the reps of group g as group_reps[group_start[g]:group_start[g+1]]."""
    codes, rep_group = np.unique(rep_location, return_inverse=True)
    group_reps = np.argsort(rep_group, kind="stable")
    group_start = np.searchsorted(rep_group[group_reps], np.arange(len(codes) + 1))
    position = np.minimum(np.searchsorted(codes, location), max(len(codes) - 1, 0))
    found = (codes[position] == location) if len(codes) else np.zeros(len(location), dtype=bool)
    group = np.where(found, position, -1)
    return group.astype(np.int64), rep_group.astype(np.int64), group_start.astype(np.int64), group_reps.astype(np.int64)


def segment_inputs(dataset: Dataset, name: str, enterprise: np.ndarray,
                   high: np.ndarray) -> SegmentInputs:
    in_segment = enterprise if name == ENTERPRISE else ~enterprise
    accounts = dataset.order[in_segment[dataset.order]]
    reps = np.flatnonzero(dataset.rep_is_enterprise == (name == ENTERPRISE))
    local = np.full(dataset.n_reps + 1, -1, dtype=np.int64)  # slot -1 maps "no owner" to -1
    local[reps] = np.arange(len(reps))
    arr = dataset.arr[accounts]
    location = dataset.account_location_code[accounts]
    rep_location = dataset.rep_location_code[reps]
    group, rep_group, group_start, group_reps = location_groups(location, rep_location)
    return SegmentInputs(
        name=name, accounts=accounts, reps=reps, arr=arr, high=high[accounts], location=location,
        owner=local[dataset.owner[accounts]], rep_location=rep_location,
        targets=segment_targets(arr, high[accounts], len(reps)),
        group=group, rep_group=rep_group, group_start=group_start, group_reps=group_reps,
    )


def allocate(dataset: Dataset, settings: Settings) -> Allocation:
    """Run the weighted greedy on both segments with the compiled kernel."""
    return _allocate_with(dataset, settings, _greedy_fast)


def allocate_reference(dataset: Dataset, settings: Settings) -> Allocation:
    """The same allocation in plain Python: slow, obviously faithful to the spec."""
    return _allocate_with(dataset, settings, _greedy_reference)


def _allocate_with(dataset: Dataset, settings: Settings, greedy) -> Allocation:
    settings = effective_settings(dataset, settings)
    enterprise = is_enterprise(dataset.employees, settings.threshold)
    high = high_risk_mask(dataset, settings.preferences.high_risk)
    assigned = np.full(dataset.n_accounts, -1, dtype=np.int64)
    segments, warnings = {}, []
    for name in SEGMENTS:
        inputs = segment_inputs(dataset, name, enterprise, high)
        segment = segment_result(inputs, greedy(inputs, settings), settings.weights, dataset.has_risk)
        assigned[segment.accounts] = segment.winners
        segments[name] = segment
        warnings.extend(_segment_warnings(segment, settings.threshold))
    composites = [s.fairness for s in segments.values()]
    return Allocation(
        settings=settings, assigned=assigned, enterprise=enterprise, high_risk=high,
        segments=segments,
        overall_custom=overall(f.custom for f in composites),
        overall_balanced=overall(f.balanced for f in composites),
        warnings=warnings,
    )


def _greedy_fast(inputs: SegmentInputs, settings: Settings) -> np.ndarray:
    """Local winner per account, from the numba kernel."""
    winners = np.full(len(inputs.accounts), -1, dtype=np.int64)
    if len(inputs.reps) == 0:
        return winners
    n = len(inputs.reps)
    t = inputs.targets
    prefs = settings.preferences
    kernels.greedy_segment(*inputs.kernel_arrays(), *settings.weights.fractions(), prefs.geo,
                           prefs.preserve, t.arr, t.accounts, t.risk, winners,
                           np.zeros(n), np.zeros(n), np.zeros(n))
    return winners


def _greedy_reference(inputs: SegmentInputs, settings: Settings) -> np.ndarray:
    """Local winner per account, one plain-Python step at a time."""
    winners = [winner for _, winner in reference_steps(inputs, settings)]
    return np.array(winners, dtype=np.int64)


def reference_steps(inputs: SegmentInputs, settings: Settings):
    """Yield (scores of every eligible rep, local winner or -1) for each account in order."""
    state = RepTotals.empty(len(inputs.reps))
    for step in range(len(inputs.accounts)):
        scores = score_step(inputs, settings, state, step)
        winner = winner_index(scores) if scores else -1
        if winner >= 0:
            state.add(winner, float(inputs.arr[step]), bool(inputs.high[step]))
        yield scores, winner


@dataclass
class RepTotals:
    """Running totals of a segment's reps during the greedy (the reference path's state)."""

    arr: list[float]
    accounts: list[int]
    risk: list[float]

    @classmethod
    def empty(cls, n: int) -> RepTotals:
        return cls([0.0] * n, [0] * n, [0.0] * n)

    def add(self, rep: int, arr: float, high_risk: bool) -> None:
        self.arr[rep] += arr
        self.accounts[rep] += 1
        if high_risk:
            self.risk[rep] += arr


def score_step(inputs: SegmentInputs, settings: Settings, state: RepTotals, step: int) -> list[RepScore]:
    """Every eligible rep's score for the account at `step` (local rep indices)."""
    weights = settings.weights.fractions()
    prefs = settings.preferences
    scores = []
    for j in range(len(inputs.reps)):
        blended = blended_need(weights, inputs.targets, state.arr[j], state.accounts[j], state.risk[j])
        geo = prefs.geo if inputs.location[step] == inputs.rep_location[j] else 0.0
        preserve = prefs.preserve if inputs.owner[step] == j else 0.0
        scores.append(RepScore(j, state.arr[j], state.accounts[j], state.risk[j], blended, geo,
                               preserve, total_score(blended, geo + preserve)))
    return scores


def segment_result(inputs: SegmentInputs, local_winners: np.ndarray, weights: Weights,
                    has_risk: bool) -> SegmentAllocation:
    n = len(inputs.reps)
    assigned = local_winners >= 0
    rep_arr = np.bincount(local_winners[assigned], weights=inputs.arr[assigned], minlength=n)
    rep_accounts = np.bincount(local_winners[assigned], minlength=n).astype(np.float64)
    high = assigned & inputs.high
    rep_risk = np.bincount(local_winners[high], weights=inputs.arr[high], minlength=n)
    return SegmentAllocation(
        name=inputs.name, reps=inputs.reps, accounts=inputs.accounts,
        winners=np.where(assigned, inputs.reps[np.maximum(local_winners, 0)] if n else -1, -1),
        rep_arr=rep_arr, rep_accounts=rep_accounts, rep_risk=rep_risk, arr=ordered_sum(inputs.arr),
        targets=inputs.targets,
        fairness=segment_fairness(rep_arr, rep_accounts, rep_risk, weights, has_risk),
    )


def _segment_warnings(segment: SegmentAllocation, threshold: int) -> list[str]:
    if len(segment.accounts) == 0:
        return [f"No {segment.name} accounts at threshold {threshold:,}."]
    if len(segment.reps) == 0:
        count = len(segment.accounts)
        return [f"{segment.name} has {count:,} account{'s' if count != 1 else ''} but no reps: "
                f"{'they stay' if count != 1 else 'it stays'} unassigned."]
    return []
