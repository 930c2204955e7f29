"""ALLOCATION.md §8: rebalance today's books with the fewest transfers that bring every rep into
a band, and prove how few suffice.

Per segment: today's books (each account with its owner when that rep is of its segment) and the
orphans (everyone else's accounts), with the rules of §7 (locks never move, caps hold, held
accounts wait). A compiled heuristic (engine.rebalance_kernel) finds a plan fast; where the exact
model (engine.rebalance_model) can be built and solved within the time limit it improves the plan
and proves it minimal. Every plan comes with a lower bound on the moves any plan needs, the
transfer list with a reason for each, waves, and the trade-off between moves and fairness.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from . import kernels
from .allocation import Allocation, SegmentAllocation, assemble
from .dataset import SEGMENTS, Dataset
from .fairness import overall, segment_fairness
from .progress import Progress, report
from .rebalance_kernel import BREADTHS, balanced_path, plan_segment
from .rebalance_model import Problem, solve
from .rules import HOLD
from .settings import Settings

DRIVERS = ("arr", "accounts", "risk")
DRIVER_LABELS = {"arr": "ARR", "accounts": "accounts", "risk": "high-risk ARR"}
MAX_WAVES = 12
SOLVER_SHARE = 0.85  # of a segment's time: the rest is for the reasons, waves and curve


@dataclass(frozen=True)
class Plan:
    """What the user asks of a rebalance: the band, the drivers it applies to, waves, time."""

    band: float = 15.0
    drivers: tuple[str, ...] = ("arr", "accounts")
    waves: int = 2
    time_limit: float = 10.0

    def __post_init__(self) -> None:
        if isinstance(self.band, bool) or not isinstance(self.band, int | float) or not 1 <= self.band <= 50:
            raise ValueError(f"the band must be from 1 to 50 (percent), got {self.band!r}")
        if not self.drivers or not set(self.drivers) <= set(DRIVERS) or len(set(self.drivers)) != len(self.drivers):
            raise ValueError(f"drivers must be some of {', '.join(DRIVERS)}, got {self.drivers!r}")
        if isinstance(self.waves, bool) or not isinstance(self.waves, int) or not 1 <= self.waves <= MAX_WAVES:
            raise ValueError(f"waves must be a whole number from 1 to {MAX_WAVES}, got {self.waves!r}")
        if not 0 < self.time_limit <= 600:
            raise ValueError(f"the time limit must be from 0 to 600 seconds, got {self.time_limit!r}")

    @property
    def chosen(self) -> np.ndarray:
        return np.array([d in self.drivers for d in DRIVERS])


@dataclass(frozen=True)
class Transfer:
    """One account of the plan: moved from a rep, or an orphan placed (from_rep -1)."""

    segment: str
    account: int
    from_rep: int    # -1: an orphan
    to_rep: int      # -1: no rep could take it (a rep over a cap had to let it go)
    wave: int
    pinned: bool     # it moves because a pin says so
    reason: str
    books: tuple = ()  # (rep, totals before, totals after) of the reps it touches, 3 drivers each

    @property
    def is_move(self) -> bool:
        return self.from_rep >= 0


@dataclass(frozen=True)
class SegmentPlan:
    name: str
    reps: int
    moves: int
    orphans_placed: int
    orphans_unplaced: int
    arr_moved: float
    lower_bound: int
    proven_minimal: bool
    method: str                  # "exact" (the whole model solved), "pool" (a pool of accounts) or "heuristic"
    in_band_before: int          # today's books, orphans left out
    in_band_after: int
    excess: float                # the worst rep's excess beyond the band after the plan (0: all in band)
    blocker: str | None          # why the band cannot be reached, when it cannot
    balanced_before: float | None
    balanced_after: float | None


@dataclass(frozen=True)
class CurvePoint:
    """The best found with at most `moves` transfers: Overall Balanced and reps in band."""

    moves: int
    balanced: float | None
    reps_in_band: int


@dataclass(frozen=True, eq=False)
class Rebalance:
    plan: Plan
    allocation: Allocation       # the plan applied: every page and export reads it
    transfers: list[Transfer]
    segments: dict[str, SegmentPlan]
    curve: list[CurvePoint]
    waves: int                   # waves the transfer list uses
    waves_message: str
    seconds: float
    balanced_before: float | None
    warnings: list[str] = field(default_factory=list)

    def _sum(self, name: str):
        return sum(getattr(s, name) for s in self.segments.values())

    moves = property(lambda self: self._sum("moves"))
    orphans_placed = property(lambda self: self._sum("orphans_placed"))
    arr_moved = property(lambda self: self._sum("arr_moved"))
    lower_bound = property(lambda self: self._sum("lower_bound"))
    in_band_before = property(lambda self: self._sum("in_band_before"))
    in_band_after = property(lambda self: self._sum("in_band_after"))
    total_reps = property(lambda self: self._sum("reps"))

    @property
    def proven_minimal(self) -> bool:
        return all(s.proven_minimal for s in self.segments.values())

    @property
    def success(self) -> bool:
        """Every rep in band and every orphan placed."""
        return all(s.excess == 0 and s.orphans_unplaced == 0 for s in self.segments.values())

    @property
    def message(self) -> str:
        blockers = [s.blocker for s in self.segments.values() if s.blocker]
        if blockers:
            return " ".join(blockers)
        proof = ("proven minimal" if self.proven_minimal
                 else f"at most {self.moves - self.lower_bound:,} above the minimum")
        moves = f"{self.moves:,} move{' brings' if self.moves == 1 else 's bring'}"
        return f"{moves} every rep into the band ({proof})."


def rebalance(dataset: Dataset, settings: Settings, plan: Plan = Plan(), progress: Progress = None) -> Rebalance:
    """The plan of ALLOCATION.md §8 for every segment; `progress` hears after each segment."""
    started = time.perf_counter()
    solved = {}

    def solve_segment(inputs, k: int, _settings) -> np.ndarray:
        seconds_left = plan.time_limit - (time.perf_counter() - started)
        solved[inputs.name] = _plan_segment(inputs, plan, seconds_left / (len(SEGMENTS) - k))
        report(progress, (k + 1) / len(SEGMENTS))
        return solved[inputs.name].final

    allocation, inputs = assemble(dataset, settings, solve_segment)
    segments, settings = allocation.segments, allocation.settings
    plans = {name: _segment_plan(dataset, inputs[name], segments[name], solved[name], plan, settings)
             for name in SEGMENTS}
    transfers, waves, waves_message = _transfers(dataset, inputs, solved, plan)
    return Rebalance(
        plan=plan, allocation=allocation, transfers=transfers, segments=plans,
        curve=_curve(inputs, solved, plan, dataset.has_risk), waves=waves, waves_message=waves_message,
        seconds=time.perf_counter() - started,
        balanced_before=overall(p.balanced_before for name, p in plans.items() if segments[name].present),
    )


@dataclass(frozen=True, eq=False)
class _Solved:
    """One segment's plan in local terms, accounts in processing order (held ones at -1)."""

    kept: np.ndarray         # positions (processing order) of the accounts that are not held
    start: np.ndarray        # their rep today, -1 for an orphan
    final: np.ndarray        # every account's final local rep (held: -1), for segment_result
    problem: Problem | None
    lower_bound: int
    proven: bool
    method: str
    excess_proven: bool


def _plan_segment(inputs, plan: Plan, seconds: float) -> _Solved:
    """The heuristic's plan, improved and proven by the exact model when it can be."""
    kept = np.flatnonzero(inputs.preset != HOLD)
    final = np.full(len(inputs.accounts), -1, dtype=np.int64)
    if len(inputs.reps) == 0 or len(kept) == 0:
        return _Solved(kept, np.full(len(kept), -1), final, None, 0, True, "exact", True)
    arrays = kernels.select(inputs.arrays, kept)
    start = arrays.owner.copy()
    problem = Problem(values=_values(arrays), start=start, locked=np.where(arrays.preset >= 0, arrays.preset, -1),
                      geo_group=arrays.group, rep_group=arrays.rep_group, targets=inputs.targets,
                      band=plan.band / 100.0, chosen=plan.chosen,
                      max_accounts=arrays.max_accounts, max_arr=arrays.max_arr)
    heuristic = min((plan_segment(arrays, start, inputs.targets, plan.band / 100.0, plan.chosen, *breadth)
                     for breadth in BREADTHS), key=lambda rep: _quality(problem, rep))
    excess, unplaced = excess_of(problem, heuristic), _unplaced(problem, heuristic)
    band_bound = lower_bound(problem)  # moves any plan needs to bring every rep into the band
    in_band_found = excess == 0 and unplaced == 0
    if in_band_found and _moves(problem, heuristic) <= band_bound:  # the bound already proves it
        final[kept] = heuristic
        return _Solved(kept, start, final, problem, band_bound, True, "heuristic", True)
    chosen, method, proven, excess_proven, solver_bound = heuristic, "heuristic", False, in_band_found, 0
    exact = solve(problem, heuristic, excess, unplaced, seconds * SOLVER_SHARE)
    if exact is not None and exact.rep is not None:
        if _quality(problem, exact.rep) <= _quality(problem, heuristic):
            chosen, method = exact.rep, "exact" if exact.excess is not None else "pool"
        excess_proven = excess_proven or exact.excess is not None
        solver_bound, proven = exact.moves_bound, exact.optimal
    reaches_band = excess_of(problem, chosen) == 0 and _unplaced(problem, chosen) == unplaced
    bound = max(band_bound, solver_bound) if reaches_band else solver_bound  # the band's bound needs the band
    proven = proven or (reaches_band and _moves(problem, chosen) <= bound)
    final[kept] = chosen
    return _Solved(kept, start, final, problem, bound, proven, method, excess_proven)


def _quality(problem: Problem, rep: np.ndarray) -> tuple:
    """How good a plan is, smaller first: orphans unplaced, worst excess, moves, ARR moved."""
    moved = (problem.start >= 0) & (rep != problem.start)
    return _unplaced(problem, rep), excess_of(problem, rep), int(moved.sum()), float(problem.values[0, moved].sum())


def _values(arrays) -> np.ndarray:
    """3 × accounts: what each account adds to a book on each driver."""
    return np.vstack([arrays.arr, np.ones(len(arrays.arr)), np.where(arrays.high, arrays.arr, 0.0)])


def _moves(problem: Problem, rep: np.ndarray) -> int:
    """Accounts that end with another rep than today's (a pinned one included)."""
    return int(((problem.start >= 0) & (rep != problem.start)).sum())


def _unplaced(problem: Problem, rep: np.ndarray) -> int:
    return int((rep < 0).sum())


def books(problem: Problem, rep: np.ndarray) -> np.ndarray:
    """3 × reps totals of an assignment (accounts at -1 in no book)."""
    placed = rep >= 0
    return np.vstack([np.bincount(rep[placed], weights=problem.values[d, placed], minlength=problem.n_reps)
                      for d in range(3)]).astype(np.float64)  # (bincount of nothing gives whole numbers)


def rep_excess(problem: Problem, totals: np.ndarray, reps: np.ndarray | None = None) -> np.ndarray:
    """Each rep's excess beyond the band: the largest over the chosen drivers of
    max(0, |total − T| − b·T) / T (ALLOCATION.md §8); `totals` are those of `reps` when given."""
    t = problem.targets if reps is None else problem.targets[:, reps]
    with np.errstate(invalid="ignore", divide="ignore"):
        gap = np.maximum(np.abs(totals - t) - problem.band * t, 0.0)
        relative = np.where(t > 0, gap / np.where(t > 0, t, 1.0), np.where(totals > 0, np.inf, 0.0))
    return np.where(problem.chosen[:, None], relative, 0.0).max(axis=0)


def in_band(problem: Problem, totals: np.ndarray) -> np.ndarray:
    """Reps within ±b% of target on every chosen driver (a little slack for rounding)."""
    return rep_excess(problem, totals) <= 1e-9


def excess_of(problem: Problem, rep: np.ndarray) -> float:
    excess = rep_excess(problem, books(problem, rep))
    return float(excess.max()) if len(excess) and excess.max() > 1e-9 else 0.0


def lower_bound(problem: Problem) -> int:
    """Moves any plan that brings every rep into the band must make. Each move takes one account
    from one rep, so the moves are at least the sum over reps of the fewest accounts each must
    give (its biggest movable ones first) to come under the top of its band and its caps; and
    each account a rep must receive comes by a move or from an orphan."""
    movable = problem.locked < 0
    totals = books(problem, np.where(movable, problem.start, problem.locked))
    out, received = 0, 0
    t = problem.targets
    for r in range(problem.n_reps):
        mine = movable & (problem.start == r)
        others = movable & (problem.start != r)
        give = take = 0
        for d in np.flatnonzero(problem.chosen):
            top, bottom = t[d, r] * (1 + problem.band), t[d, r] * (1 - problem.band)
            give = max(give, _fewest(problem.values[d, mine], totals[d, r] - top, d == 1))
            take = max(take, _fewest(problem.values[d, others], bottom - totals[d, r], d == 1))
        for d, cap in ((1, problem.max_accounts[r]), (0, problem.max_arr[r])):
            held = problem.values[d, (problem.locked == r)].sum()
            give = max(give, _fewest(problem.values[d, mine], totals[d, r] - max(cap, held), d == 1))
        out += give
        received += take
    orphans = int((movable & (problem.start < 0)).sum())
    forced = int(((problem.locked >= 0) & (problem.start >= 0) & (problem.locked != problem.start)).sum())
    return forced + max(out, received - orphans)


def _fewest(values: np.ndarray, amount: float, counting: bool) -> int:
    """The fewest of `values` (biggest first) whose sum reaches `amount` (a count: whole accounts)."""
    if amount <= 1e-9 * max(abs(amount), 1.0):
        return 0
    if counting:
        return int(math.ceil(amount - 1e-9))
    reached = np.cumsum(np.sort(values)[::-1])
    enough = np.searchsorted(reached, amount * (1 - 1e-12))
    return int(min(enough + 1, len(values))) if len(values) else 0


def _segment_plan(dataset: Dataset, inputs, segment: SegmentAllocation, solved: _Solved, plan: Plan,
                  settings: Settings) -> SegmentPlan:
    problem = solved.problem
    name = inputs.name
    if problem is None:  # no reps, or nothing to balance (every account held): every rep is on its target of 0
        reps = len(inputs.reps)
        return SegmentPlan(name, reps, 0, 0, 0, 0.0, 0, True, "exact", reps, reps, 0.0, None,
                           segment.fairness.balanced, segment.fairness.balanced)
    chosen = solved.final[solved.kept]
    moved = (problem.start >= 0) & (chosen != problem.start)
    before_books = books(problem, problem.start)  # today's owners, orphans out
    after_books = books(problem, chosen)
    excess = excess_of(problem, chosen)
    unplaced = _unplaced(problem, chosen)
    return SegmentPlan(
        name=name, reps=len(inputs.reps), moves=int(moved.sum()),
        orphans_placed=int(((problem.start < 0) & (chosen >= 0)).sum()), orphans_unplaced=unplaced,
        arr_moved=float(problem.values[0, moved].sum()), lower_bound=solved.lower_bound,
        proven_minimal=solved.proven and solved.excess_proven, method=solved.method,
        in_band_before=int(in_band(problem, before_books).sum()),
        in_band_after=int(in_band(problem, after_books).sum()),
        excess=excess, blocker=_blocker(dataset, inputs, problem, chosen, excess, plan) if excess > 0 else None,
        balanced_before=segment_fairness(*before_books, settings.weights, dataset.has_risk, inputs.ramp).balanced,
        balanced_after=segment.fairness.balanced,
    )


def _blocker(dataset: Dataset, inputs, problem: Problem, rep: np.ndarray, excess: float, plan: Plan) -> str:
    """Why the band cannot be reached: a lock, an account too big for any band, whole counts, or
    else the closest plan found."""
    names = [dataset.rep_name[r] for r in inputs.reps]
    accounts = inputs.accounts[inputs.preset != HOLD]
    t = problem.targets
    fixed = books(problem, problem.locked)
    for d in np.flatnonzero(problem.chosen):
        label = DRIVER_LABELS[DRIVERS[d]]
        for r in range(problem.n_reps):
            top = t[d, r] * (1 + problem.band)
            if fixed[d, r] > top + 1e-9:
                locked_here = [dataset.account_id[a] for a in accounts[problem.locked == r]][:5]
                return (f"{names[r]}'s locked accounts ({', '.join(locked_here)}) alone hold {_amount(d, fixed[d, r])}"
                        f" of {label}, above the top of {names[r]}'s band ({_amount(d, top)}): they cannot move.")
        movable = problem.locked < 0
        if d != 1 and movable.any():
            biggest = int(np.argmax(np.where(movable, problem.values[d], -np.inf)))
            if problem.values[d, biggest] > (t[d] * (1 + problem.band)).max() + 1e-9:
                a = accounts[biggest]
                return (f"{dataset.account_name[a]} ({dataset.account_id[a]}, {_amount(d, problem.values[d, biggest])} "
                        f"of {label}) is bigger than the top of any rep's ±{plan.band:g}% band "
                        f"({_amount(d, (t[d] * (1 + problem.band)).max())}).")
        if d == 1:
            for r in range(problem.n_reps):
                low, high = t[1, r] * (1 - problem.band), t[1, r] * (1 + problem.band)
                if math.floor(high + 1e-9) < math.ceil(low - 1e-9):
                    return (f"{names[r]}'s account count must lie between {low:.2f} and {high:.2f} for a "
                            f"±{plan.band:g}% band: no whole number does. Widen the band or leave Accounts out of it.")
    worst = int(np.argmax(rep_excess(problem, books(problem, rep))))
    return (f"No plan found brings every rep within ±{plan.band:g}%: the closest leaves {names[worst]} "
            f"{excess:.1%} of target beyond the band.")


def _amount(driver: int, value: float) -> str:
    return f"{value:,.0f}" if driver == 1 else f"${value:,.0f}"


def _transfers(dataset: Dataset, inputs: dict, solved: dict[str, _Solved], plan: Plan):
    """Every transfer with its reason and wave, biggest first within each wave."""
    transfers = []
    waves_used, messages = 1, []
    for name, s in solved.items():
        if s.problem is None:
            continue
        i = inputs[name]
        accounts = i.accounts[s.kept]
        final = s.final[s.kept]
        changed = np.flatnonzero(final != s.start)
        reference = books(s.problem, np.where(s.start >= 0, s.start, final))  # today's, orphans placed
        wave_of, used, message = split_waves(s.problem, s.start, final, changed, plan.waves)
        waves_used = max(waves_used, used)
        if message:
            messages.append(f"{name}: {message}")
        names = [dataset.rep_name[r] for r in i.reps]
        for k in changed:
            a = int(accounts[k])
            giver = int(s.start[k])
            transfers.append(Transfer(
                segment=name, account=a, from_rep=int(i.reps[giver]) if giver >= 0 else -1,
                to_rep=int(i.reps[final[k]]) if final[k] >= 0 else -1, wave=int(wave_of[k]),
                pinned=bool(s.problem.locked[k] >= 0),
                reason=_reason(dataset, names, accounts, s.problem, reference, int(final[k]), k),
                books=_books_around(i, s.problem, reference, giver, int(final[k]), k)))
    transfers.sort(key=lambda t: (t.wave, not t.is_move, -dataset.arr[t.account], t.account))
    return transfers, waves_used, " ".join(messages)


def split_waves(problem: Problem, start: np.ndarray, final: np.ndarray, changed: np.ndarray,
                waves: int) -> tuple[np.ndarray, int, str]:
    """Wave per account (1-based, 0 for accounts that do not change) so that after each wave no
    rep in band has left it and no rep outside it is further out. Waves are filled in turn up to
    an even share, biggest transfers first; the last takes the rest (the plan's end state keeps
    the rule when the plan reaches the band)."""
    wave_of = np.zeros(len(start), dtype=np.int64)
    if len(changed) == 0:
        return wave_of, 1, ""
    totals = books(problem, start)
    share = math.ceil(len(changed) / waves)
    remaining = sorted(changed, key=lambda k: (-problem.values[0, k], k))
    for wave in range(1, waves):
        limit = rep_excess(problem, totals) + 1e-12  # no rep may end the wave further out than it began
        taken = set()
        for k in remaining:
            if len(taken) >= share:
                break
            touched = np.array([r for r in (start[k], final[k]) if r >= 0])
            trial = totals[:, touched].copy()
            trial -= np.where(touched == start[k], 1.0, 0.0)[None, :] * problem.values[:, k][:, None]
            trial += np.where(touched == final[k], 1.0, 0.0)[None, :] * problem.values[:, k][:, None]
            if np.all(rep_excess(problem, trial, touched) <= limit[touched]):
                totals[:, touched] = trial
                taken.add(k)
                wave_of[k] = wave
        remaining = [k for k in remaining if k not in taken]
    for k in remaining:
        wave_of[k] = waves
    used_waves = sorted(set(wave_of[changed].tolist()))
    renumber = {old: new for new, old in enumerate(used_waves, start=1)}
    wave_of[changed] = [renumber[w] for w in wave_of[changed]]
    return wave_of, len(used_waves), _waves_message(len(changed), len(used_waves), waves)


def _waves_message(transfers: int, used: int, asked: int) -> str:
    if used == asked:
        return ""
    if transfers < asked:
        plural = "s" if transfers != 1 else ""
        return f"{transfers} transfer{plural}: {used} wave{' is' if used == 1 else 's are'} enough."
    return (f"no split into {asked} waves keeps every rep in its band (or no further out) after each wave; "
            f"the plan uses {used}.")


def _reason(dataset: Dataset, names: list[str], accounts: np.ndarray, problem: Problem, totals: np.ndarray,
            taker: int, k: int) -> str:
    """Which rep was over or under, on which driver and by how much (in `totals`: today's books
    with the orphans placed), and what moving this account alone would do. `names` are the
    segment's reps, `accounts` its accounts in the problem's order."""
    account = int(accounts[k])
    label = f"{dataset.account_name[account]} (${dataset.arr[account]:,.0f})"
    giver = int(problem.start[k])
    if problem.locked[k] >= 0:
        return f"Pinned by you to {names[problem.locked[k]]}; today it is with {names[giver]}."
    if taker < 0:
        return (f"{names[giver]} holds more than its cap allows and no rep has room for it: it stays "
                f"unassigned.")
    if giver < 0:
        owner = dataset.original_rep[account].strip() or "no owner"
        return (f"No owner in this segment ({owner}): placed with {names[taker]}, whose books were "
                f"{_standing(problem, totals, taker)}.")
    trial = totals[:, [giver, taker]].copy()
    trial[:, 0] -= problem.values[:, k]
    trial[:, 1] += problem.values[:, k]
    return (f"{names[giver]} was {_standing(problem, totals, giver)}; {names[taker]} was "
            f"{_standing(problem, totals, taker)}. Moving {label} alone leaves {names[giver]} "
            f"{_standing(problem, trial, giver, 0)} and {names[taker]} {_standing(problem, trial, taker, 1)}.")


def _books_around(inputs, problem: Problem, totals: np.ndarray, giver: int, taker: int, k: int) -> tuple:
    """The two reps' totals before and after this transfer alone (in today's books, orphans placed)."""
    around = []
    for rep, sign in ((giver, -1.0), (taker, 1.0)):
        if rep >= 0:
            before = totals[:, rep] - (problem.values[:, k] if giver < 0 else 0.0)  # an orphan is placed already
            around.append((int(inputs.reps[rep]), tuple(before.tolist()),
                           tuple((before + sign * problem.values[:, k]).tolist())))
    return tuple(around)


def _standing(problem: Problem, totals: np.ndarray, r: int, column: int | None = None) -> str:
    """ "over target (ARR +57%, accounts +86%)", "under target (…)", "off target (…)" when the
    drivers disagree, or "within the band (…)", on the chosen drivers: rep r's totals are column
    `column` of `totals` (column r when not given)."""
    offs = {}
    for d in np.flatnonzero(problem.chosen):
        target = problem.targets[d, r]
        if target > 0:
            offs[DRIVER_LABELS[DRIVERS[d]]] = (totals[d, r if column is None else column] - target) / target
    if not offs:
        return "on target"
    figures = ", ".join(f"{label} {_signed_percent(off)}" for label, off in offs.items())
    if all(abs(off) <= problem.band + 1e-9 for off in offs.values()):
        where = "within the band"
    elif all(off >= 0 for off in offs.values()):
        where = "over target"
    elif all(off <= 0 for off in offs.values()):
        where = "under target"
    else:
        where = "off target"
    return f"{where} ({figures})"


def _signed_percent(fraction: float) -> str:
    text = f"{abs(fraction):.0%}"
    return text if text == "0%" else ("+" if fraction > 0 else "\u2212") + text


def _curve(inputs: dict, solved: dict[str, _Solved], plan: Plan, has_risk: bool) -> list[CurvePoint]:
    """Overall Balanced and reps in band after the first k transfers, k = 0 … moves: each
    segment's moves in the order that raises its Balanced score most, and the segments' next
    moves taken in turn by which raises Overall Balanced more."""
    weight = np.array([1.0, 1.0, 1.0 if has_risk else 0.0])
    paths = {}
    for name, s in solved.items():
        if s.problem is None:
            continue
        final = s.final[s.kept]
        start = np.where(s.start >= 0, s.start, final)  # orphans placed from the outset: not moves
        moves = np.flatnonzero((s.start >= 0) & (final != s.start))
        arrays = kernels.select(inputs[name].arrays, s.kept)
        order, scores = balanced_path(arrays, start, moves.astype(np.int64), final[moves].astype(np.int64), weight)
        paths[name] = ([None if np.isnan(v) else float(v) for v in scores],
                       _in_band_path(s.problem, start, moves[order], final[moves[order]]))
    steps = dict.fromkeys(paths, 0)

    def point() -> CurvePoint:
        scores = [paths[n][0][steps[n]] for n in paths]
        return CurvePoint(sum(steps.values()), overall(scores), sum(paths[n][1][steps[n]] for n in paths))

    curve = [point()]
    while any(steps[n] < len(paths[n][0]) - 1 for n in paths):
        def gain(n):
            scores = paths[n][0]
            if steps[n] >= len(scores) - 1:
                return -np.inf
            return (scores[steps[n] + 1] or 0.0) - (scores[steps[n]] or 0.0)
        nxt = max(paths, key=gain)
        steps[nxt] += 1
        curve.append(point())
    return curve


def _in_band_path(problem: Problem, start: np.ndarray, accounts: np.ndarray, takers: np.ndarray) -> list[int]:
    """Reps in band before and after each of these moves in turn (only the two books a move
    touches are measured again)."""
    totals = books(problem, start)
    inside = in_band(problem, totals)
    counts = [int(inside.sum())]
    where = start.copy()
    for a, taker in zip(accounts, takers):
        pair = np.array([where[a], taker])
        totals[:, pair[0]] -= problem.values[:, a]
        totals[:, pair[1]] += problem.values[:, a]
        inside[pair] = rep_excess(problem, totals[:, pair], pair) <= 1e-9
        where[a] = taker
        counts.append(int(inside.sum()))
    return counts


def today(dataset: Dataset, settings: Settings) -> Allocation:
    """Today's books as an allocation: each account with its owner when that rep is of its segment
    (locked and held ones as the rules say), the others unassigned. What a page shows while a
    plan is being worked out."""
    return assemble(dataset, settings, lambda inputs, _k, _s: np.where(inputs.preset == HOLD, -1, inputs.owner))[0]
