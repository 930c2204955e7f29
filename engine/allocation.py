"""ALLOCATION.md §1–§2 with the rules of §7: split accounts into segments and assign them, one
segment at a time.

`allocate` runs the numba kernel; `allocate_reference` is the same rules in plain Python, kept
as the readable definition that tests compare the fast path against.
"""
from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from . import kernels
from .dataset import ENTERPRISE, MID_MARKET, SEGMENTS, Dataset, is_enterprise
from .fairness import Fairness, overall, segment_fairness
from .rules import (
    ASSIGNED,
    AT_CAPACITY,
    FREE,
    FULL_RAMP,
    HELD,
    HOLD,
    LOCKED,
    NO_REPS,
    RuleArrays,
    SegmentRules,
    resolve_rules,
    segment_rules,
)
from .scoring import RepScore, Targets, blended_need, total_score, winner_index
from .settings import Settings, Weights

if TYPE_CHECKING:
    from .refine import Refinement


@dataclass(frozen=True, eq=False)
class SegmentAllocation:
    """One segment's result. `accounts`, `winners` and `status` are aligned, in assignment order:
    locked accounts first, then the others in processing order, then the held ones (which
    `steps` leaves out); after a refinement `winners` holds each account's final rep."""

    name: str
    reps: np.ndarray         # global rep indices, tie-break order
    accounts: np.ndarray     # global account indices
    winners: np.ndarray      # global rep index per account, -1 when it has none
    status: np.ndarray       # int8 per account: rules.ASSIGNED, LOCKED, HELD, NO_REPS or AT_CAPACITY
    steps: int               # accounts[:steps] were placed by a step of the greedy (or left unplaced)
    rep_arr: np.ndarray      # final totals, aligned with `reps`
    rep_accounts: np.ndarray
    rep_risk: np.ndarray
    arr: float               # ARR of the segment's accounts, assigned or not
    targets: np.ndarray      # 3 × reps: each rep's ARR, account and high-risk ARR targets
    ramp: np.ndarray         # each rep's Ramp
    fairness: Fairness

    @property
    def unassigned(self) -> int:
        """Accounts without a rep for any reason but a hold."""
        return int(np.isin(self.status, (NO_REPS, AT_CAPACITY)).sum())

    @property
    def held(self) -> int:
        return int((self.status == HELD).sum())

    @property
    def present(self) -> bool:
        """A segment with reps or accounts (one with neither takes no part in Overall)."""
        return len(self.reps) > 0 or len(self.accounts) > 0


@dataclass(frozen=True)
class RuleOutcome:
    """What the rules of §7 did, and where they could not all hold (like scipy's OptimizeResult,
    a run that cannot satisfy a rule says so instead of raising)."""

    locked: int = 0                       # locks kept, pins included
    locks_not_kept: tuple[int, ...] = ()  # accounts whose lock could not be kept
    held: int = 0
    unassigned_at_capacity: int = 0
    unassigned_at_capacity_arr: float = 0.0
    over_cap_by_locks: tuple[tuple[int, str, float, float], ...] = ()  # (rep, "accounts" | "ARR", total, cap)
    ignored_pins: tuple[str, ...] = ()

    @property
    def success(self) -> bool:
        return not (self.locks_not_kept or self.unassigned_at_capacity or self.over_cap_by_locks
                    or self.ignored_pins)


@dataclass(frozen=True, eq=False)
class Allocation:
    """The result of one run: every account's rep and segment, per-segment detail, fairness."""

    settings: Settings        # with the weights actually used (risk forced to 0 when absent)
    assigned: np.ndarray      # rep index per account in input order, -1 = unassigned
    status: np.ndarray        # int8 per account in input order (rules.ASSIGNED …)
    enterprise: np.ndarray    # bool per account
    high_risk: np.ndarray     # bool per account
    segments: dict[str, SegmentAllocation]
    overall_custom: float | None
    overall_balanced: float | None
    warnings: list[str] = field(default_factory=list)
    rules: RuleOutcome = field(default_factory=RuleOutcome)
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


def segment_targets(arr: np.ndarray, high: np.ndarray, preset: np.ndarray, ramp: np.ndarray) -> np.ndarray:
    """Each rep's ARR, account and high-risk ARR targets (3 × reps) over the accounts that are
    not held: an equal share when every Ramp is 100 (§2), else total × Ramp / sum of Ramps (§7)."""
    kept = preset != HOLD
    totals = (ordered_sum(arr[kept]), float(kept.sum()), ordered_sum(arr[kept & high]))
    n = len(ramp)
    if n == 0:
        return np.zeros((3, 0))
    if np.all(ramp == FULL_RAMP):
        return np.array([[total / n] * n for total in totals]).reshape(3, n)
    ramp_sum = ordered_sum(ramp)
    return np.array([[total * r / ramp_sum for r in ramp] for total in totals]).reshape(3, n)


@dataclass(frozen=True, eq=False)
class SegmentInputs:
    """Everything the kernels need for one segment, in processing and tie-break order."""

    name: str
    accounts: np.ndarray
    reps: np.ndarray
    arr: np.ndarray
    high: np.ndarray
    location: np.ndarray
    owner: np.ndarray        # local rep index, -1 when the owner is not a rep of this segment
    rep_location: np.ndarray
    group: np.ndarray        # the kernel's view of locations: see location_groups
    rep_group: np.ndarray
    group_start: np.ndarray
    group_reps: np.ndarray
    rules: SegmentRules
    max_accounts: np.ndarray  # per rep, inf without a cap
    max_arr: np.ndarray
    ramp: np.ndarray
    targets: np.ndarray       # 3 × reps

    @property
    def preset(self) -> np.ndarray:
        return self.rules.preset

    @property
    def arrays(self) -> kernels.SegmentArrays:
        """The one structure every kernel takes."""
        return kernels.SegmentArrays(self.arr, self.high, self.group, self.owner, self.preset, self.rep_group,
                                     self.group_start, self.group_reps, self.max_accounts, self.max_arr, self.ramp)

    def fits(self, totals: RepTotals, rep: int, arr: float) -> bool:
        """§7 capacity, as kernels.within_caps checks it."""
        return totals.accounts[rep] + 1 <= self.max_accounts[rep] and totals.arr[rep] + arr <= self.max_arr[rep]


def location_groups(location: np.ndarray, rep_location: np.ndarray):
    """Reps grouped by location code: each account's group (-1 if no rep shares its location),
    each rep's group, and the reps of group g as group_reps[group_start[g]:group_start[g+1]]."""
    codes, rep_group = np.unique(rep_location, return_inverse=True)
    group_reps = np.argsort(rep_group, kind="stable")
    group_start = np.searchsorted(rep_group[group_reps], np.arange(len(codes) + 1))
    return (_group_of(location, codes), rep_group.astype(np.int64), group_start.astype(np.int64),
            group_reps.astype(np.int64))


def _group_of(location: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Each account's index in `codes`, -1 where no rep has its location. Location codes are
    small integers (blanks -1 for accounts, -2 for reps: dataset._location_codes), so a table
    indexed by code is a fifth of the time of a binary search at 100,000 accounts."""
    offset = 2
    table = np.full(int(max(location.max(initial=-1), codes.max(initial=-1))) + offset + 1, -1, dtype=np.int64)
    table[codes + offset] = np.arange(len(codes))
    return table[location + offset]


def segment_inputs(dataset: Dataset, name: str, enterprise: np.ndarray, high: np.ndarray,
                   rules: RuleArrays) -> SegmentInputs:
    in_segment = enterprise if name == ENTERPRISE else ~enterprise
    accounts = dataset.order[in_segment[dataset.order]]
    reps = np.flatnonzero(dataset.rep_is_enterprise == (name == ENTERPRISE))
    local = np.full(dataset.n_reps + 1, -1, dtype=np.int64)  # slot -1 maps "no rep" to -1
    local[reps] = np.arange(len(reps))
    arr = dataset.arr[accounts]
    location = dataset.account_location_code[accounts]
    rep_location = dataset.rep_location_code[reps]
    group, rep_group, group_start, group_reps = location_groups(location, rep_location)
    owner = local[dataset.owner[accounts]]
    segment = segment_rules(rules, accounts, local, owner, len(reps))
    high = high[accounts]
    return SegmentInputs(
        name=name, accounts=accounts, reps=reps, arr=arr, high=high, location=location,
        owner=owner, rep_location=rep_location,
        group=group, rep_group=rep_group, group_start=group_start, group_reps=group_reps, rules=segment,
        max_accounts=rules.max_accounts[reps], max_arr=rules.max_arr[reps], ramp=rules.ramp[reps],
        targets=segment_targets(arr, high, segment.preset, rules.ramp[reps]),
    )


def segments_at(dataset: Dataset, settings: Settings) -> list[SegmentInputs]:
    """Both segments' inputs (SEGMENTS order) at these settings, already effective (see
    effective_settings): what Optimize scores weight triples on."""
    enterprise = is_enterprise(dataset.employees, settings.threshold)
    high = high_risk_mask(dataset, settings.preferences.high_risk)
    rules = resolve_rules(dataset, settings.rules)
    return [segment_inputs(dataset, name, enterprise, high, rules) for name in SEGMENTS]


def inputs_of(dataset: Dataset, allocation: Allocation, name: str) -> SegmentInputs:
    """The inputs an allocation's segment was made from (for the audit and refinement)."""
    return segment_inputs(dataset, name, allocation.enterprise, allocation.high_risk,
                          resolve_rules(dataset, allocation.settings.rules))


def allocate(dataset: Dataset, settings: Settings) -> Allocation:
    """Run the weighted greedy on both segments with the compiled kernel."""
    return _allocate_with(dataset, settings, _greedy_fast)


def allocate_reference(dataset: Dataset, settings: Settings) -> Allocation:
    """The same allocation in plain Python: slow, obviously faithful to the spec."""
    return _allocate_with(dataset, settings, _greedy_reference)


def _allocate_with(dataset: Dataset, settings: Settings, greedy) -> Allocation:
    return assemble(dataset, settings, lambda inputs, _k, effective: greedy(inputs, effective))[0]


def assemble(dataset: Dataset, settings: Settings, winners_of) -> tuple[Allocation, dict[str, SegmentInputs]]:
    """An allocation whose books `winners_of(segment inputs, k, effective settings)` gives for the
    k-th segment (local rep per account in processing order, -1 for none), with its fairness, the
    rules' outcome and every warning; and the segments' inputs. The greedy, a rebalancing plan and
    today's books all become allocations this way."""
    settings = effective_settings(dataset, settings)
    enterprise = is_enterprise(dataset.employees, settings.threshold)
    high = high_risk_mask(dataset, settings.preferences.high_risk)
    rules = resolve_rules(dataset, settings.rules)
    assigned = np.full(dataset.n_accounts, -1, dtype=np.int64)
    status = np.full(dataset.n_accounts, NO_REPS, dtype=np.int8)
    segments, inputs, warnings = {}, {}, []
    for k, name in enumerate(SEGMENTS):
        inputs[name] = segment_inputs(dataset, name, enterprise, high, rules)
        segment = segment_result(inputs[name], winners_of(inputs[name], k, settings), settings.weights,
                                 dataset.has_risk)
        assigned[segment.accounts] = segment.winners
        status[segment.accounts] = segment.status
        segments[name] = segment
        warnings.extend(_segment_warnings(dataset, segment, settings.threshold))
    outcome = rule_outcome(dataset, inputs, segments, rules)
    allocation = Allocation(
        settings=settings, assigned=assigned, status=status, enterprise=enterprise, high_risk=high,
        segments=segments,
        overall_custom=overall_of(segments, "custom"), overall_balanced=overall_of(segments, "balanced"),
        warnings=warnings + rule_warnings(dataset, outcome, inputs), rules=outcome,
    )
    return allocation, inputs


def overall_of(segments: dict[str, SegmentAllocation], composite: str) -> float | None:
    """§3 Overall: the mean of the segments' composites, N/A when any segment that has reps or
    accounts scores N/A (a threshold that idles a team never scores better than a real split)."""
    return overall(getattr(s.fairness, composite) for s in segments.values() if s.present)


def _greedy_fast(inputs: SegmentInputs, settings: Settings) -> np.ndarray:
    """Local winner per account (processing order), from the numba kernel."""
    winners = np.full(len(inputs.accounts), -1, dtype=np.int64)
    prefs = settings.preferences
    kernels.greedy_segment(inputs.arrays, kernels.Prefs(*settings.weights.fractions(), prefs.geo, prefs.preserve),
                           inputs.targets, kernels.empty_books(len(inputs.reps)), winners)
    return winners


def _greedy_reference(inputs: SegmentInputs, settings: Settings) -> np.ndarray:
    """Local winner per account (processing order), one plain-Python step at a time."""
    winners = np.full(len(inputs.accounts), -1, dtype=np.int64)
    for step in reference_steps(inputs, settings):
        winners[step.position] = step.winner
    return winners


@dataclass(frozen=True)
class Step:
    """One step of the greedy: the account at `position` (processing order), every rep's score
    (empty for a locked account) and the local winner (-1: none could take it)."""

    position: int
    scores: list[RepScore]
    winner: int


def reference_steps(inputs: SegmentInputs, settings: Settings) -> Iterator[Step]:
    """Every step in assignment order: locked accounts first, then the others (held skipped)."""
    state = RepTotals.empty(len(inputs.reps))
    for position in np.flatnonzero(inputs.preset >= 0):
        winner = int(inputs.preset[position])
        state.add(winner, float(inputs.arr[position]), bool(inputs.high[position]))
        yield Step(int(position), [], winner)
    for position in np.flatnonzero(inputs.preset == FREE):
        scores = score_step(inputs, settings, state, int(position)) if len(inputs.reps) else []
        winner = pick_winner(scores)
        if winner >= 0:
            state.add(winner, float(inputs.arr[position]), bool(inputs.high[position]))
        yield Step(int(position), scores, winner)


def pick_winner(scores: list[RepScore]) -> int:
    """The local index of the §2 winner among the reps that can take the account, or -1."""
    eligible = [s for s in scores if s.fits]
    return eligible[winner_index(eligible)].rep if eligible else -1


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


def score_step(inputs: SegmentInputs, settings: Settings, state: RepTotals, position: int) -> list[RepScore]:
    """Every rep's score for the account at `position` (local rep indices), and whether it fits."""
    weights = settings.weights.fractions()
    prefs = settings.preferences
    arr = float(inputs.arr[position])
    scores = []
    for j in range(len(inputs.reps)):
        targets = Targets(*inputs.targets[:, j])
        blended = blended_need(weights, targets, state.arr[j], state.accounts[j], state.risk[j])
        geo = prefs.geo if inputs.location[position] == inputs.rep_location[j] else 0.0
        preserve = prefs.preserve if inputs.owner[position] == j else 0.0
        scores.append(RepScore(j, state.arr[j], state.accounts[j], state.risk[j], blended, geo,
                               preserve, total_score(blended, geo + preserve), inputs.fits(state, j, arr)))
    return scores


def segment_result(inputs: SegmentInputs, local_winners: np.ndarray, weights: Weights,
                   has_risk: bool) -> SegmentAllocation:
    """A segment's result from each account's local winner (processing order)."""
    n = len(inputs.reps)
    preset = inputs.preset
    order = np.concatenate([np.flatnonzero(preset >= 0), np.flatnonzero(preset == FREE),
                            np.flatnonzero(preset == HOLD)])
    assigned = local_winners >= 0
    status = np.where(preset >= 0, LOCKED, np.where(preset == HOLD, HELD, np.where(
        assigned, ASSIGNED, AT_CAPACITY if n else NO_REPS))).astype(np.int8)
    rep_arr = np.bincount(local_winners[assigned], weights=inputs.arr[assigned], minlength=n)
    rep_accounts = np.bincount(local_winners[assigned], minlength=n).astype(np.float64)
    high = assigned & inputs.high
    rep_risk = np.bincount(local_winners[high], weights=inputs.arr[high], minlength=n)
    winners = np.where(assigned, inputs.reps[np.maximum(local_winners, 0)] if n else -1, -1)
    return SegmentAllocation(
        name=inputs.name, reps=inputs.reps, accounts=inputs.accounts[order], winners=winners[order],
        status=status[order], steps=int((preset != HOLD).sum()),
        rep_arr=rep_arr, rep_accounts=rep_accounts, rep_risk=rep_risk, arr=ordered_sum(inputs.arr),
        targets=inputs.targets, ramp=inputs.ramp,
        fairness=segment_fairness(rep_arr, rep_accounts, rep_risk, weights, has_risk, inputs.ramp),
    )


IDLE_NAMED = 8  # idle reps named in the banner; the rest are counted


def _segment_warnings(dataset: Dataset, segment: SegmentAllocation, threshold: int) -> list[str]:
    """An empty segment (§1, §3): its reps sit idle (named) or its accounts stay unassigned."""
    if len(segment.accounts) == 0 and len(segment.reps):
        names = [str(dataset.rep_name[r]) for r in segment.reps]
        listed = ", ".join(names[:IDLE_NAMED]) + (f" and {len(names) - IDLE_NAMED:,} more"
                                                  if len(names) > IDLE_NAMED else "")
        return [f"No {segment.name} accounts at threshold {threshold:,}: {len(names):,} {segment.name} "
                f"rep{'s sit' if len(names) != 1 else ' sits'} idle ({listed}), so Overall fairness is N/A. "
                f"Choose a threshold that gives both segments accounts."]
    if len(segment.accounts) == 0:
        return [f"No {segment.name} accounts at threshold {threshold:,}."]
    if len(segment.reps) == 0:
        count = len(segment.accounts)
        return [f"{segment.name} has {count:,} account{'s' if count != 1 else ''} but no reps: "
                f"{'they stay' if count != 1 else 'it stays'} unassigned."]
    return []


def rule_outcome(dataset: Dataset, inputs: dict[str, SegmentInputs], segments: dict[str, SegmentAllocation],
                 rules: RuleArrays) -> RuleOutcome:
    """What the rules did across both segments (the summary's `rules` block, the banners)."""
    statuses = np.concatenate([s.status for s in segments.values()])
    accounts = np.concatenate([s.accounts for s in segments.values()])
    at_capacity = accounts[statuses == AT_CAPACITY]
    not_kept = np.concatenate([i.accounts[i.rules.not_kept] for i in inputs.values()])
    over = []
    for segment in segments.values():
        max_accounts, max_arr = rules.max_accounts[segment.reps], rules.max_arr[segment.reps]
        for k in np.flatnonzero((segment.rep_accounts > max_accounts) | (segment.rep_arr > max_arr)):
            for what, total, cap in (("accounts", segment.rep_accounts[k], max_accounts[k]),
                                     ("ARR", segment.rep_arr[k], max_arr[k])):
                if total > cap:
                    over.append((int(segment.reps[k]), what, float(total), float(cap)))
    return RuleOutcome(
        locked=int((statuses == LOCKED).sum()), locks_not_kept=tuple(int(a) for a in np.sort(not_kept)),
        held=int((statuses == HELD).sum()), unassigned_at_capacity=len(at_capacity),
        unassigned_at_capacity_arr=float(dataset.arr[at_capacity].sum()),
        over_cap_by_locks=tuple(over), ignored_pins=tuple(rules.ignored_pins),
    )


def rule_warnings(dataset: Dataset, outcome: RuleOutcome, inputs: dict[str, SegmentInputs]) -> list[str]:
    """The sentences §7 asks for when a rule could not hold."""
    warnings = list(outcome.ignored_pins)
    for segment in inputs.values():
        for account in segment.accounts[segment.rules.other_segment_pin]:
            warnings.append(f"Pin of account {dataset.account_id[account]} ignored: its rep is not a "
                            f"{segment.name} rep, and the account is {segment.name} at this threshold.")
    if outcome.locks_not_kept:
        ids = [dataset.account_id[a] for a in outcome.locks_not_kept]
        shown = ", ".join(ids[:8]) + (f" and {len(ids) - 8:,} more" if len(ids) > 8 else "")
        warnings.append(f"{len(ids):,} lock{'s' if len(ids) != 1 else ''} could not be kept (no owner, an owner "
                        f"not in the Reps file, or an owner of the other segment at this threshold), so "
                        f"{'they were' if len(ids) != 1 else 'it was'} placed like any other account: {shown}.")
    for rep, what, total, cap in outcome.over_cap_by_locks:
        amount = (f"{total:,.0f} accounts, cap {cap:,.0f}" if what == "accounts"
                  else f"${total:,.0f} ARR, cap ${cap:,.0f}")
        warnings.append(f"{dataset.rep_name[rep]} is over a cap because of locked accounts: {amount}.")
    if outcome.unassigned_at_capacity:
        count = outcome.unassigned_at_capacity
        warnings.append(f"{count:,} account{'s' if count != 1 else ''} (${outcome.unassigned_at_capacity_arr:,.0f} "
                        f"ARR) {'stay' if count != 1 else 'stays'} unassigned: every rep of the segment is at "
                        f"capacity. Raise a cap or add a rep.")
    return warnings
