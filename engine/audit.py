"""ALLOCATION.md §6: one explained step per assigned account, then one per refinement change;
when the books were rebalanced (§8), one per transfer of the plan instead.

`audit_step` rebuilds any single step from the recorded winners (so a page can show step
70,000 of 100,000 without replaying the rest); `iter_audit` walks all steps for a file.
`refinement_step` explains a move or swap of engine.refine the same way, from its log.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from .allocation import Allocation, RepTotals, SegmentInputs, inputs_of, pick_winner, reference_steps, score_step
from .dataset import ENTERPRISE, MID_MARKET, Dataset
from .fairness import score_from_cv, weighted_composite
from .rebalance import Rebalance
from .refine import DRIVERS, objective_weights
from .refine_kernel import MOVE
from .rules import LOCK_ARR, LOCK_COLUMN, LOCK_PIN
from .scoring import RepScore, winner_index

GREEDY = "greedy"
REFINE = "refine"
TRANSFER = "transfer"
PLAN = "plan"  # the one part of a rebalancing plan's index: its transfers across segments, in wave order


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
    fits: bool = True   # within its caps after taking the account (§7)


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
    rows: list[AuditRow]     # every rep's score; empty for a locked account
    winner: str              # "" when no rep could take it
    reason: str
    locked: bool = False


def segment_reason(segment: str, employees: float, threshold: float) -> str:
    """ "Enterprise (threshold 2,750: 53,000 ≥ 2,750)" or the Mid-Market equivalent."""
    relation = "≥" if segment == ENTERPRISE else "<"
    return f"{segment} (threshold {_count(threshold)}: {_count(employees)} {relation} {_count(threshold)})"


def decision_reason(scores: list[RepScore], winner: int, names: list[str]) -> str:
    """Name the rule that decided among the reps that could take the account: highest need,
    bonuses, or one of the two tie-breaks."""
    won = scores[winner]
    others = [s for s in scores if s.fits and s.rep != won.rep]
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
    inputs = inputs_of(dataset, allocation, segment)
    index = step - 1
    placed = result.winners[:index] >= 0
    local = np.searchsorted(result.reps, result.winners[:index][placed])
    before = result.accounts[:index][placed]
    arr, high = dataset.arr[before], allocation.high_risk[before]
    n = len(result.reps)
    state = RepTotals(arr=list(np.bincount(local, weights=arr, minlength=n)),
                      accounts=list(np.bincount(local, minlength=n)),
                      risk=list(np.bincount(local[high], weights=arr[high], minlength=n)))
    position = int(np.flatnonzero(inputs.accounts == result.accounts[index])[0])
    if inputs.preset[position] >= 0:
        return _step(dataset, allocation, inputs, step, [], int(inputs.preset[position]))
    scores = score_step(inputs, allocation.settings, state, position)
    return _step(dataset, allocation, inputs, step, scores, pick_winner(scores))


def iter_audit(dataset: Dataset, allocation: Allocation) -> Iterator[AuditStep]:
    """Every step in order, segment by segment: locked accounts, then the others (held accounts
    and accounts of a segment without reps have no step)."""
    allocation = allocation.greedy
    for segment, result in allocation.segments.items():
        if len(result.reps) == 0:
            continue
        inputs = inputs_of(dataset, allocation, segment)
        for index, step in enumerate(reference_steps(inputs, allocation.settings)):
            yield _step(dataset, allocation, inputs, index + 1, step.scores, step.winner)


def _step(dataset: Dataset, allocation: Allocation, inputs: SegmentInputs, step: int,
          scores: list[RepScore], winner: int) -> AuditStep:
    result = allocation.segments[inputs.name]
    account = int(result.accounts[step - 1])
    names = [dataset.rep_name[r] for r in result.reps]
    rows = [AuditRow(names[s.rep], s.arr, s.accounts, s.risk_arr, s.blended, s.geo, s.preserve,
                     s.total, s.rep == winner, s.fits) for s in scores]
    employees = float(dataset.employees[account])
    locked = not scores and winner >= 0
    if locked:
        reason = lock_reason(inputs, account, names[winner], allocation.settings.rules.lock_arr_at_least)
    elif winner < 0:
        reason = ("Every rep of the segment is at capacity: it stays unassigned. "
                  + capacity_note(scores, names, inputs, float(dataset.arr[account]))).strip()
    else:
        skipped = capacity_note(scores, names, inputs, float(dataset.arr[account]))
        reason = " ".join(filter(None, (skipped, decision_reason(scores, winner, names))))
    return AuditStep(
        segment=inputs.name, step=step, steps=result.steps, account=account,
        account_id=dataset.account_id[account], account_name=dataset.account_name[account],
        arr=float(dataset.arr[account]), employees=employees,
        location=dataset.location[account], owner=dataset.original_rep[account],
        segment_reason=segment_reason(inputs.name, employees, allocation.settings.threshold),
        rows=rows, winner=names[winner] if winner >= 0 else "", reason=reason, locked=locked,
    )


def lock_reason(inputs: SegmentInputs, account: int, rep: str, lock_arr: float | None) -> str:
    """§7's words for why a locked account went where it did."""
    kind = inputs.rules.lock_kind[int(np.flatnonzero(inputs.accounts == account)[0])]
    if kind == LOCK_PIN:
        return f"Locked to {rep}: pinned by you."
    if kind == LOCK_ARR:
        return f"Locked to its owner: ARR ≥ {_money(lock_arr)}."
    if kind == LOCK_COLUMN:
        return "Locked to its owner: Locked column."
    raise AssertionError(f"account {account} is not locked")


def capacity_note(scores: list[RepScore], names: list[str], inputs: SegmentInputs, arr: float) -> str:
    """Names the rep that would have won but for a cap: "Bob was at capacity: 80 of 80 accounts."."""
    if not scores:
        return ""
    uncapped = scores[winner_index(scores)]
    if uncapped.fits:
        return ""
    rep = uncapped.rep
    name = names[rep]
    if uncapped.accounts + 1 > inputs.max_accounts[rep]:
        return f"{name} was at capacity: {uncapped.accounts:,} of {inputs.max_accounts[rep]:,.0f} accounts."
    return (f"{name} was at capacity: {_money(uncapped.arr)} of its {_money(inputs.max_arr[rep])} ARR cap, "
            f"with no room for {_money(arr)}.")


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
        keep = np.ones(result.steps, dtype=bool)
        if rep:
            winners = result.winners[:result.steps]
            keep &= (winners >= 0) & (dataset.rep_name[np.maximum(winners, 0)] == rep)
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
    in the audit's order whose name contains it; None if nothing matches or it has no step."""
    matches = matching_accounts(dataset, query)
    for name, result in allocation.greedy.segments.items():
        if len(result.reps) == 0:
            continue
        positions = np.flatnonzero(np.isin(result.accounts[:result.steps], matches))
        if len(positions):
            return name, int(positions[0]) + 1
    return None


def matching_accounts(dataset: Dataset, query: str) -> np.ndarray:
    """The account whose ID is `query` (ignoring case), else every account whose name contains it."""
    wanted = query.strip().casefold()
    if not wanted:
        return np.empty(0, dtype=np.int64)
    ids = np.array([str(i).casefold() for i in dataset.account_id])
    matches = np.flatnonzero(ids == wanted)
    if len(matches) == 0:
        names = np.array([str(n).casefold() for n in dataset.account_name])
        matches = np.flatnonzero(np.char.find(names.astype(str), wanted) >= 0)
    return matches


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


@dataclass(frozen=True)
class TransferStep:
    """One transfer of a rebalancing plan: the account, the two books around it, and why."""

    number: int          # 1-based in the plan's transfer list
    count: int
    wave: int
    segment: str
    account: MovedAccount   # from_rep "" for an orphan placed, to_rep "" when no rep could take it
    reps: list[RepChange]   # the books of the reps it touches, before and after it alone
    pinned: bool
    reason: str


def transfer_index(dataset: Dataset, rebalance: Rebalance, segment: str | None = None,
                   rep: str | None = None) -> AuditIndex:
    """The plan's transfers (1-based numbers, wave order), all or those of `segment` and/or
    those that move an account to or from `rep`."""
    keep = [(not segment or t.segment == segment) and (not rep or rep in _names(dataset, t.from_rep, t.to_rep))
            for t in rebalance.transfers]
    return AuditIndex(((PLAN, TRANSFER),), (np.flatnonzero(np.array(keep, dtype=bool)) + 1,))


def find_transfer(dataset: Dataset, rebalance: Rebalance, query: str) -> int | None:
    """The number of the first transfer of an account matching `query` (see find_account)."""
    matches = set(matching_accounts(dataset, query).tolist())
    return next((k + 1 for k, t in enumerate(rebalance.transfers) if t.account in matches), None)


def transfer_step(dataset: Dataset, rebalance: Rebalance, number: int) -> TransferStep:
    transfer = rebalance.transfers[number - 1]
    account = transfer.account
    giver, taker = _names(dataset, transfer.from_rep, transfer.to_rep)
    moved = MovedAccount(account, dataset.account_id[account], dataset.account_name[account],
                         float(dataset.arr[account]), bool(rebalance.allocation.high_risk[account]), giver, taker)
    reps = [RepChange(dataset.rep_name[rep], (before[0], after[0]), (int(before[1]), int(after[1])),
                      (before[2], after[2])) for rep, before, after in transfer.books]
    return TransferStep(number, len(rebalance.transfers), transfer.wave, transfer.segment, moved, reps,
                        transfer.pinned, transfer.reason)


def _names(dataset: Dataset, *reps: int) -> tuple[str, ...]:
    return tuple(dataset.rep_name[r] if r >= 0 else "" for r in reps)


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


@dataclass(frozen=True)
class HistoryEntry:
    """One step that touched an account: where it sits in the audit and what happened there."""

    segment: str       # the part of the audit index (PLAN for a transfer)
    phase: str         # GREEDY, REFINE or TRANSFER
    number: int        # the step, change or transfer number within its part
    text: str


@dataclass(frozen=True)
class AccountHistory:
    """Every step that touched one account and where it ends up (PAGES.md §3): a jump to an
    account that a later swap moved must not stop at its greedy step as if that were the end."""

    account_id: str
    name: str
    entries: tuple[HistoryEntry, ...]
    ends_with: str


def account_history(dataset: Dataset, allocation: Allocation, account: int,
                    rebalance: Rebalance | None = None) -> AccountHistory:
    entries = _plan_entries(dataset, rebalance, account) if rebalance is not None \
        else _greedy_entries(dataset, allocation, account) + _refine_entries(dataset, allocation, account)
    final = rebalance.allocation.assigned[account] if rebalance is not None else allocation.assigned[account]
    ends = dataset.rep_name[final] if final >= 0 else "no rep (unassigned or held for review)"
    return AccountHistory(dataset.account_id[account], dataset.account_name[account], tuple(entries), ends)


def _greedy_entries(dataset: Dataset, allocation: Allocation, account: int) -> list[HistoryEntry]:
    segment = ENTERPRISE if allocation.enterprise[account] else MID_MARKET
    result = allocation.greedy.segments[segment]
    found = np.flatnonzero(result.accounts[:result.steps] == account)
    if len(found) == 0:
        return []
    step, winner = int(found[0]) + 1, int(result.winners[found[0]])
    outcome = f"assigned to {dataset.rep_name[winner]}" if winner >= 0 else "left unassigned"
    return [HistoryEntry(segment, GREEDY, step, f"{segment} step {step:,}: {outcome}")]


def _refine_entries(dataset: Dataset, allocation: Allocation, account: int) -> list[HistoryEntry]:
    if not allocation.refinement:
        return []
    entries = []
    for segment, refined in allocation.refinement.segments.items():
        for number, (kind, moved, partner, giver, taker) in enumerate(refined.log, start=1):
            if account not in (moved, partner):
                continue
            source, target = (giver, taker) if account == moved else (taker, giver)
            how = "moved" if kind == MOVE else "swapped"
            entries.append(HistoryEntry(segment, REFINE, number, f"{segment} refinement change {number:,}: {how} "
                                        f"from {dataset.rep_name[source]} to {dataset.rep_name[target]}"))
    return entries


def _plan_entries(dataset: Dataset, rebalance: Rebalance, account: int) -> list[HistoryEntry]:
    def named(rep: int, nobody: str) -> str:
        return _names(dataset, rep)[0] or nobody
    return [HistoryEntry(PLAN, TRANSFER, number, f"transfer {number:,} (wave {t.wave}): from "
                         f"{named(t.from_rep, 'no owner')} to {named(t.to_rep, 'no rep')}")
            for number, t in enumerate(rebalance.transfers, start=1) if t.account == account]
