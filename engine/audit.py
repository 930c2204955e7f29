"""ALLOCATION.md §6: one explained step per assigned account, then one per refinement change.

`audit_step` rebuilds any single step from the recorded winners (so a page can show step
70,000 of 100,000 without replaying the rest); `iter_audit` walks all steps for a file.
`refinement_step` explains a move or swap of engine.refine the same way, from its log.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from .allocation import Allocation, RepTotals, reference_steps, score_step, segment_inputs
from .dataset import ENTERPRISE, Dataset
from .fairness import score_from_cv, weighted_composite
from .refine import DRIVERS, objective_weights
from .refine_kernel import MOVE
from .scoring import RepScore

GREEDY = "greedy"
REFINE = "refine"


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
    allocation = allocation.greedy
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
    allocation = allocation.greedy
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
    """The steps a user pages through: for each part (a segment's greedy steps, then each
    segment's refinement changes), the 1-based numbers kept by the filters. Position k
    (0-based) runs across the parts in order."""

    parts: tuple[tuple[str, str], ...]   # (segment, GREEDY or REFINE)
    steps: tuple[np.ndarray, ...]

    def __len__(self) -> int:
        return sum(len(s) for s in self.steps)

    def at(self, position: int) -> tuple[str, str, int]:
        """(segment, phase, number) at `position`, clamped into range; IndexError when empty."""
        if len(self) == 0:
            raise IndexError("no steps")
        position = min(max(position, 0), len(self) - 1)
        for (segment, phase), steps in zip(self.parts, self.steps):
            if position < len(steps):
                return segment, phase, int(steps[position])
            position -= len(steps)
        raise AssertionError("unreachable")

    def position_of(self, segment: str, step: int, phase: str = GREEDY) -> int | None:
        offset = 0
        for part, steps in zip(self.parts, self.steps):
            if part == (segment, phase):
                found = np.searchsorted(steps, step)
                return offset + int(found) if found < len(steps) and steps[found] == step else None
            offset += len(steps)
        return None


def audit_index(dataset: Dataset, allocation: Allocation, segment: str | None = None,
                rep: str | None = None) -> AuditIndex:
    """The assigned steps and refinement changes, all or only those of `segment` and/or `rep`
    (steps the rep won; changes that move an account to or from the rep)."""
    greedy = allocation.greedy
    parts, steps = [], []
    for name, result in greedy.segments.items():
        if segment and name != segment or len(result.reps) == 0:
            continue
        keep = np.ones(len(result.accounts), dtype=bool)
        if rep:
            keep &= dataset.rep_name[np.maximum(result.winners, 0)] == rep
        parts.append((name, GREEDY))
        steps.append(np.flatnonzero(keep) + 1)
    if allocation.refinement:
        for name, refined in allocation.refinement.segments.items():
            if segment and name != segment or refined.changes == 0:
                continue
            keep = np.ones(refined.changes, dtype=bool)
            if rep:
                keep &= (dataset.rep_name[refined.log[:, 3]] == rep) | (dataset.rep_name[refined.log[:, 4]] == rep)
            parts.append((name, REFINE))
            steps.append(np.flatnonzero(keep) + 1)
    return AuditIndex(tuple(parts), tuple(steps))


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
    for name, result in allocation.greedy.segments.items():
        if len(result.reps) == 0:
            continue
        positions = np.flatnonzero(np.isin(result.accounts, matches))
        if len(positions):
            return name, int(positions[0]) + 1
    return None


@dataclass(frozen=True)
class MovedAccount:
    account: int
    account_id: str
    account_name: str
    arr: float
    high_risk: bool
    from_rep: str
    to_rep: str


@dataclass(frozen=True)
class RepChange:
    """A rep's book just before and just after a change."""

    rep: str
    arr: tuple[float, float]
    accounts: tuple[int, int]
    risk_arr: tuple[float, float]


@dataclass(frozen=True)
class DriverChange:
    driver: str
    cv_before: float | None
    cv_after: float | None


@dataclass(frozen=True)
class RefinementStep:
    """One move or swap of the refinement, with what it changed and why it was made."""

    segment: str
    number: int          # 1-based within the segment's changes
    count: int           # changes in the segment
    kind: str            # "move" or "swap"
    objective: str       # the score it raised: "balanced" or "custom"
    accounts: list[MovedAccount]
    reps: list[RepChange]
    drivers: list[DriverChange]
    score_before: float | None
    score_after: float | None
    reason: str


def refinement_step(dataset: Dataset, allocation: Allocation, segment: str, number: int) -> RefinementStep:
    """Change `number` (1-based) of a segment's refinement, with both reps' books around it."""
    books, weights = _greedy_books(dataset, allocation)
    _apply_changes(books, weights, allocation.refinement.segments[segment].log[:number - 1])
    return _change_step(dataset, allocation, segment, number, books, weights)[0]


def iter_refinement(dataset: Dataset, allocation: Allocation) -> Iterator[RefinementStep]:
    """Every refinement change in order, segment by segment, keeping the books as it goes (one
    pass, where calling refinement_step for each would rebuild them every time)."""
    for segment, refined in allocation.refinement.segments.items():
        books, weights = _greedy_books(dataset, allocation)
        for number in range(1, refined.changes + 1):
            step, books = _change_step(dataset, allocation, segment, number, books, weights)
            yield step


def _change_step(dataset: Dataset, allocation: Allocation, segment: str, number: int, before, weights):
    """The explained change and the books after it, from the books before it."""
    refinement = allocation.refinement
    refined = refinement.segments[segment]
    kind, account, partner, giver, taker = (int(v) for v in refined.log[number - 1])
    after = [book.copy() for book in before]
    _apply_changes(after, weights, refined.log[number - 1:number])
    moved = [_moved(dataset, allocation, account, giver, taker)]
    if kind != MOVE:
        moved.append(_moved(dataset, allocation, partner, taker, giver))
    reps = [RepChange(dataset.rep_name[r], (float(before[0][r]), float(after[0][r])),
                      (int(before[1][r]), int(after[1][r])), (float(before[2][r]), float(after[2][r])))
            for r in (giver, taker)]
    drivers = [DriverChange(name, b, a) for name, b, a in
               zip(DRIVERS, refined.cv_after(number - 1), refined.cv_after(number))]
    greedy_segment = refinement.greedy.segments[segment]
    objective = objective_weights(greedy_segment, refinement.objective, allocation.settings.weights)
    score_before = _composite(refined.cv_after(number - 1), objective)
    score_after = _composite(refined.cv_after(number), objective)
    step = RefinementStep(
        segment=segment, number=number, count=refined.changes, kind="move" if kind == MOVE else "swap",
        objective=refinement.objective, accounts=moved, reps=reps, drivers=drivers,
        score_before=score_before, score_after=score_after,
        reason=_refinement_reason(moved, drivers, refinement.objective, score_before, score_after),
    )
    return step, after


def _moved(dataset: Dataset, allocation: Allocation, account: int, giver: int, taker: int) -> MovedAccount:
    return MovedAccount(account, dataset.account_id[account], dataset.account_name[account],
                        float(dataset.arr[account]), bool(allocation.high_risk[account]),
                        dataset.rep_name[giver], dataset.rep_name[taker])


def _greedy_books(dataset: Dataset, allocation: Allocation):
    """ARR, accounts and high-risk ARR of every rep after the greedy, and the per-account amounts
    each of the three adds to a book."""
    greedy = allocation.greedy
    assigned = greedy.assigned
    has_rep = assigned >= 0
    weights = (dataset.arr, np.ones(dataset.n_accounts), dataset.arr * greedy.high_risk)
    books = [np.bincount(assigned[has_rep], weights=w[has_rep], minlength=dataset.n_reps) for w in weights]
    return books, weights


def _apply_changes(books, weights, log: np.ndarray) -> None:
    """Apply logged changes to the books in place: each account leaves its giver for its taker;
    in a swap the partner goes the other way."""
    for kind_mask, account_column, giver_column, taker_column in (
            (np.ones(len(log), dtype=bool), 1, 3, 4), (log[:, 0] != MOVE, 2, 4, 3)):
        rows = log[kind_mask]
        for book, w in zip(books, weights):
            np.subtract.at(book, rows[:, giver_column], w[rows[:, account_column]])
            np.add.at(book, rows[:, taker_column], w[rows[:, account_column]])


def _composite(cvs: tuple[float | None, ...], weights: np.ndarray) -> float | None:
    return weighted_composite(tuple(score_from_cv(cv) for cv in cvs), tuple(weights))


def _refinement_reason(moved: list[MovedAccount], drivers: list[DriverChange], objective: str,
                       score_before: float | None, score_after: float | None) -> str:
    """ "Moved X from A to B" / "Swapped X (A) with Y (B)", then what it did to each driver."""
    first = moved[0]
    if len(moved) == 1:
        action = f"Moved {first.account_name} ({_money(first.arr)}) from {first.from_rep} to {first.to_rep}"
    else:
        other = moved[1]
        action = (f"Swapped {first.account_name} ({_money(first.arr)}, {first.from_rep}) with "
                  f"{other.account_name} ({_money(other.arr)}, {other.from_rep})")
    effects = [f"{d.driver} CV {_before_after(d.cv_before, d.cv_after, '%')}" for d in drivers
               if d.cv_before is not None and d.cv_after is not None and d.cv_before != d.cv_after]
    score = (f"; {objective.title()} {_before_after(score_before, score_after)}"
             if score_before is not None and score_after is not None else "")
    return f"{action}: {', '.join(effects) or 'no driver changed'}{score}."


def _before_after(before: float, after: float, unit: str = "") -> str:
    """ "3.10% → 2.95%", with as many decimals (2 to 6) as it takes to show the two differ."""
    decimals = next((d for d in range(2, 7) if f"{before:.{d}f}" != f"{after:.{d}f}"), 6)
    return f"{before:.{decimals}f}{unit} → {after:.{decimals}f}{unit}"
