"""ALLOCATION.md §6: one explained step per assigned account.

`audit_step` rebuilds any single step from the recorded winners (so a page can show step
70,000 of 100,000 without replaying the rest); `iter_audit` walks all steps for a file.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import numpy as np

from .allocation import Allocation, RepTotals, reference_steps, score_step, segment_inputs
from .dataset import ENTERPRISE, Dataset
from .scoring import RepScore


@dataclass(frozen=True)
class AuditRow:
    """An eligible rep as the account saw it: running totals before the step, and scores."""

    rep: str
    arr: float
    accounts: int
    risk_arr: float
    blended: float
    geo: float
    preserve: float
    total: float
    winner: bool


@dataclass(frozen=True)
class AuditStep:
    segment: str
    step: int              # 1-based within the segment
    steps: int             # steps in the segment
    account: int           # account index in input order
    account_id: str
    account_name: str
    arr: float
    employees: float
    location: str
    owner: str
    segment_reason: str
    rows: list[AuditRow]
    winner: str
    reason: str


def segment_reason(segment: str, employees: float, threshold: float) -> str:
    """ "Enterprise (threshold 2,750: 53,000 ≥ 2,750)" or the Mid-Market equivalent."""
    relation = "≥" if segment == ENTERPRISE else "<"
    return f"{segment} (threshold {_count(threshold)}: {_count(employees)} {relation} {_count(threshold)})"


def decision_reason(scores: list[RepScore], winner: int, names: list[str]) -> str:
    """Name the rule that decided: highest need, bonuses, or one of the two tie-breaks."""
    won = scores[winner]
    others = [s for s in scores if s.rep != won.rep]
    if not others:
        return "Highest need: the only rep in this segment."
    tied = [s for s in others if s.total == won.total]
    if tied:
        same_arr = [s for s in tied if s.arr == won.arr]
        if same_arr:
            return f"Tied with {names[same_arr[0].rep]}, alphabetical (same total and current ARR)."
        rival = tied[0]
        return (f"Tied with {names[rival.rep]}, lower current ARR "
                f"({_money(won.arr)} vs {_money(rival.arr)}).")
    neediest = max(others, key=lambda s: s.blended)  # max keeps the first in tie-break order
    if neediest.blended >= won.blended:
        return (f"Bonuses lifted it over {names[neediest.rep]}, the rep with the highest need "
                f"(blended {neediest.blended:.4f} vs {won.blended:.4f}, bonus "
                f"+{won.geo + won.preserve:.2f}).")
    return (f"Highest need: blended {won.blended:.4f}, next {names[neediest.rep]} "
            f"at {neediest.blended:.4f}.")


def audit_step(dataset: Dataset, allocation: Allocation, segment: str, step: int) -> AuditStep:
    """Step `step` (1-based) of a segment, rebuilt from the winners of the steps before it."""
    result = allocation.segments[segment]
    inputs = segment_inputs(dataset, segment, allocation.enterprise, allocation.high_risk)
    index = step - 1
    local = np.searchsorted(result.reps, result.winners[:index])
    state = RepTotals(
        arr=list(np.bincount(local, weights=inputs.arr[:index], minlength=len(result.reps))),
        accounts=list(np.bincount(local, minlength=len(result.reps))),
        risk=list(np.bincount(local[inputs.high[:index]], weights=inputs.arr[:index][inputs.high[:index]],
                              minlength=len(result.reps))),
    )
    scores = score_step(inputs, allocation.settings, state, index)
    winner = int(np.searchsorted(result.reps, result.winners[index]))
    return _step(dataset, allocation, segment, step, scores, winner)


def iter_audit(dataset: Dataset, allocation: Allocation) -> Iterator[AuditStep]:
    """Every assignment in order, segment by segment (unassigned accounts have no step)."""
    for segment, result in allocation.segments.items():
        if len(result.reps) == 0:
            continue
        inputs = segment_inputs(dataset, segment, allocation.enterprise, allocation.high_risk)
        for index, (scores, winner) in enumerate(reference_steps(inputs, allocation.settings)):
            yield _step(dataset, allocation, segment, index + 1, scores, winner)


def _step(dataset: Dataset, allocation: Allocation, segment: str, step: int,
          scores: list[RepScore], winner: int) -> AuditStep:
    result = allocation.segments[segment]
    account = int(result.accounts[step - 1])
    names = [dataset.rep_name[r] for r in result.reps]
    rows = [AuditRow(names[s.rep], s.arr, s.accounts, s.risk_arr, s.blended, s.geo, s.preserve,
                     s.total, s.rep == winner) for s in scores]
    employees = float(dataset.employees[account])
    return AuditStep(
        segment=segment, step=step, steps=len(result.accounts), account=account,
        account_id=dataset.account_id[account], account_name=dataset.account_name[account],
        arr=float(dataset.arr[account]), employees=employees,
        location=dataset.location[account], owner=dataset.original_rep[account],
        segment_reason=segment_reason(segment, employees, allocation.settings.threshold),
        rows=rows, winner=names[winner], reason=decision_reason(scores, winner, names),
    )


def _count(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,}"


def _money(value: float) -> str:
    return f"${value:,.0f}"


@dataclass(frozen=True)
class AuditIndex:
    """The steps a user pages through, optionally only one segment's or one rep's wins: for each
    segment in order, the 1-based step numbers kept. Position k (0-based) runs across them."""

    segments: tuple[str, ...]
    steps: tuple[np.ndarray, ...]

    def __len__(self) -> int:
        return sum(len(s) for s in self.steps)

    def at(self, position: int) -> tuple[str, int]:
        """(segment, step) at `position`, clamped into range; raises IndexError when empty."""
        if len(self) == 0:
            raise IndexError("no steps")
        position = min(max(position, 0), len(self) - 1)
        for segment, steps in zip(self.segments, self.steps):
            if position < len(steps):
                return segment, int(steps[position])
            position -= len(steps)
        raise AssertionError("unreachable")

    def position_of(self, segment: str, step: int) -> int | None:
        offset = 0
        for name, steps in zip(self.segments, self.steps):
            if name == segment:
                found = np.searchsorted(steps, step)
                return offset + int(found) if found < len(steps) and steps[found] == step else None
            offset += len(steps)
        return None


def audit_index(dataset: Dataset, allocation: Allocation, segment: str | None = None,
                rep: str | None = None) -> AuditIndex:
    """The assigned steps, all or only those of `segment` and/or won by `rep`."""
    segments, steps = [], []
    for name, result in allocation.segments.items():
        if segment and name != segment or len(result.reps) == 0:
            continue
        keep = np.ones(len(result.accounts), dtype=bool)
        if rep:
            keep &= dataset.rep_name[np.maximum(result.winners, 0)] == rep
        segments.append(name)
        steps.append(np.flatnonzero(keep) + 1)
    return AuditIndex(tuple(segments), tuple(steps))


def find_account(dataset: Dataset, allocation: Allocation, query: str) -> tuple[str, int] | None:
    """(segment, step) of the account whose ID matches `query` (ignoring case), else of the first
    in the audit's order whose name contains it; None if nothing matches or it is unassigned."""
    wanted = query.strip().casefold()
    if not wanted:
        return None
    ids = np.array([str(i).casefold() for i in dataset.account_id])
    matches = np.flatnonzero(ids == wanted)
    if len(matches) == 0:
        names = np.array([str(n).casefold() for n in dataset.account_name])
        matches = np.flatnonzero(np.char.find(names.astype(str), wanted) >= 0)
    for name, result in allocation.segments.items():
        if len(result.reps) == 0:
            continue
        positions = np.flatnonzero(np.isin(result.accounts, matches))
        if len(positions):
            return name, int(positions[0]) + 1
    return None
