"""The exact model behind engine.rebalance: a mixed-integer program solved by HiGHS (scipy's milp).

For one segment: x[a, r] = 1 when movable account a ends with rep r (locked accounts are fixed,
held ones left out); u[a] = 1 when it stays unplaced (no rep can take it); z is the worst rep's excess beyond
the band, as a fraction of its target. Every rep's total on every chosen driver lies within
`T(1 ± b) ± z·T`, and within its caps (never below what its locks hold).

Solved in the order of ALLOCATION.md §8's goal: first the fewest unplaced orphans and the smallest
z (skipped when the heuristic already placed every orphan in band), then, with those fixed, the
fewest moves and, among those, the least ARR moved (one objective: moves + ARR moved / (2 × total
ARR), so ARR can never buy a move), then the most geo matches when time remains.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_array

FULL_VARIABLES = 30_000  # up to this, the whole model is solved: its optimum is a proof
POOL_VARIABLES = 30_000  # beyond, a model over a pool of likely accounts improves the plan (no proof)
POOL_REPS = 100          # beyond this many reps even a pool is too thin: the heuristic's plan stands
ORPHAN_WEIGHT = 1000.0   # an orphan left unplaced weighs more than any band excess


@dataclass(frozen=True)
class Problem:
    """One segment's rebalancing problem, accounts in processing order (held ones left out)."""

    values: np.ndarray       # 3 × accounts: ARR, 1, high-risk ARR
    start: np.ndarray        # each account's rep today (local), -1 for an orphan
    locked: np.ndarray       # the rep a locked account is fixed to, -1 when it may move
    geo_group: np.ndarray    # each account's location group (-1: no rep there)
    rep_group: np.ndarray    # each rep's
    targets: np.ndarray      # 3 × reps
    band: float              # b / 100
    chosen: np.ndarray       # bool × 3: the drivers the band applies to
    max_accounts: np.ndarray  # per rep, inf without a cap
    max_arr: np.ndarray

    @property
    def movable(self) -> np.ndarray:
        return np.flatnonzero(self.locked < 0)

    @property
    def n_reps(self) -> int:
        return self.targets.shape[1]

    def geo(self, accounts: np.ndarray) -> np.ndarray:
        """accounts × reps: True where the account's location is the rep's."""
        group = self.geo_group[accounts]
        return (group[:, None] >= 0) & (group[:, None] == self.rep_group[None, :])


@dataclass(frozen=True)
class Solution:
    rep: np.ndarray | None     # final rep per account (None when the solver found nothing)
    excess: float | None       # the smallest worst-rep excess it proved (None if unknown)
    moves_bound: int           # a lower bound on the moves of any plan with that excess
    optimal: bool              # the plan has the fewest moves possible (and least ARR among those)
    message: str


def solve(problem: Problem, heuristic: np.ndarray, heuristic_excess: float, heuristic_unplaced: int,
          seconds: float) -> Solution | None:
    """The best plan the model finds within `seconds` (None when it cannot be built). `heuristic`
    (its plan, the worst excess it left and orphans it could not place) bounds the search. Up to
    FULL_VARIABLES the whole segment is modelled and an optimum proves the plan minimal; beyond,
    only a pool of likely accounts may move, which improves the plan but proves nothing."""
    if seconds <= 0:
        return None
    whole = len(problem.movable) * problem.n_reps <= FULL_VARIABLES
    if not whole:
        if problem.n_reps > POOL_REPS:
            return None
        problem = pooled(problem, heuristic, POOL_VARIABLES // problem.n_reps)
    solution = _solve(problem, heuristic, heuristic_excess, heuristic_unplaced, _Deadline(seconds))
    if whole or solution is None:
        return solution
    return Solution(solution.rep, None, 0, False, solution.message)


def pooled(problem: Problem, heuristic: np.ndarray, size: int) -> Problem:
    """The problem with only a pool of `size` accounts free to move: every account the heuristic
    moved or could not place, and from each rep's book its biggest, its smallest and a spread in
    between; the others stay where the heuristic left them."""
    movable = problem.locked < 0
    pool = movable & ((heuristic != problem.start) | (heuristic < 0))
    per_rep = max((size - int(pool.sum())) // max(problem.n_reps, 1), 3)
    for r in range(problem.n_reps):
        mine = np.flatnonzero(movable & (problem.start == r) & ~pool)  # processing order: ARR descending
        if len(mine):
            picks = np.unique(np.linspace(0, len(mine) - 1, min(per_rep, len(mine))).round().astype(int))
            pool[mine[picks]] = True
    return Problem(problem.values, problem.start, np.where(pool | ~movable, problem.locked, heuristic),
                   problem.geo_group, problem.rep_group, problem.targets, problem.band, problem.chosen,
                   problem.max_accounts, problem.max_arr)


def _solve(problem: Problem, heuristic: np.ndarray, heuristic_excess: float, heuristic_unplaced: int,
           deadline: _Deadline) -> Solution | None:
    excess, unplaced = heuristic_excess, heuristic_unplaced
    if heuristic_excess > 0 or heuristic_unplaced > 0:
        first = _feasibility(problem, heuristic_excess, heuristic_unplaced, deadline)
        if first is not None:
            excess, unplaced = first
    heuristic_fits = heuristic_excess <= excess + 1e-12 and heuristic_unplaced <= unplaced
    fewest = _fewest_moves(problem, heuristic if heuristic_fits else None, excess, unplaced, deadline)
    if fewest is None:
        return Solution(None, None, 0, False, "the solver found no plan in time")
    return fewest


class _Deadline:
    def __init__(self, seconds: float):
        import time
        self._time = time.perf_counter
        self._end = self._time() + seconds

    def left(self) -> float:
        return max(self._end - self._time(), 0.0)


@dataclass(frozen=True)
class _Model:
    """The variables of a problem: x[a, r] for movable a and every rep, then u per orphan, then z."""

    problem: Problem
    movable: np.ndarray
    orphans: np.ndarray      # positions in `movable` of the accounts that may stay unplaced

    @property
    def n_x(self) -> int:
        return len(self.movable) * self.problem.n_reps

    @property
    def size(self) -> int:
        return self.n_x + len(self.orphans) + 1

    def x(self, k: int, r: int) -> int:
        return k * self.problem.n_reps + r

    @property
    def z(self) -> int:
        return self.size - 1

    def constraints(self, z_upper: float | None, unplaced: float | None) -> list[LinearConstraint]:
        """Placement, band (with z, or with z ≤ z_upper), caps, and at most `unplaced` orphans."""
        p = self.problem
        n_reps, movable = p.n_reps, self.movable
        rows, cols, data, low, high = [], [], [], [], []
        row = 0
        ks = np.repeat(np.arange(len(movable)), n_reps)
        rs = np.tile(np.arange(n_reps), len(movable))
        # each movable account is placed once (an orphan may stay unplaced: u)
        rows.append(ks)
        cols.append(self.x(ks, rs))
        data.append(np.ones(len(ks)))
        orphan_row = np.zeros(len(movable), dtype=bool)
        orphan_row[self.orphans] = True
        rows.append(self.orphans)
        cols.append(self.n_x + np.arange(len(self.orphans)))
        data.append(np.ones(len(self.orphans)))
        low += [1.0] * len(movable)
        high += [1.0] * len(movable)
        row = len(movable)
        fixed = self._fixed()
        for d in np.flatnonzero(p.chosen):
            for r in range(n_reps):
                target = p.targets[d, r]
                rows.append(np.full(len(movable), row))
                cols.append(self.x(np.arange(len(movable)), r))
                data.append(p.values[d, movable])
                if z_upper is None:  # total − z·T within T(1 ± b)
                    rows.append(np.array([row, row + 1]))
                    cols.append(np.array([self.z, self.z]))
                    data.append(np.array([-target, target]))
                    rows.append(np.full(len(movable), row + 1))
                    cols.append(self.x(np.arange(len(movable)), r))
                    data.append(p.values[d, movable])
                    low += [-np.inf, target * (1 - p.band) - fixed[d, r]]
                    high += [target * (1 + p.band) - fixed[d, r], np.inf]
                    row += 2
                else:
                    slack = z_upper * target
                    low.append(target * (1 - p.band) - slack - fixed[d, r] - _tolerance(target))
                    high.append(target * (1 + p.band) + slack - fixed[d, r] + _tolerance(target))
                    row += 1
        locked_accounts, locked_arr = fixed[1], fixed[0]
        for d, caps, held in ((1, p.max_accounts, locked_accounts), (0, p.max_arr, locked_arr)):
            for r in np.flatnonzero(np.isfinite(caps)):
                rows.append(np.full(len(movable), row))
                cols.append(self.x(np.arange(len(movable)), r))
                data.append(p.values[d, movable])
                low.append(-np.inf)
                high.append(max(caps[r], held[r]) - held[r])
                row += 1
        if unplaced is not None and len(self.orphans):
            rows.append(np.full(len(self.orphans), row))
            cols.append(self.n_x + np.arange(len(self.orphans)))
            data.append(np.ones(len(self.orphans)))
            low.append(-np.inf)
            high.append(unplaced + 1e-6)
            row += 1
        matrix = coo_array((np.concatenate(data), (np.concatenate(rows), np.concatenate(cols))),
                           shape=(row, self.size)).tocsc()
        return [LinearConstraint(matrix, np.array(low), np.array(high))]

    def _fixed(self) -> np.ndarray:
        """Each rep's totals from its locked accounts (3 × reps)."""
        p = self.problem
        fixed = np.zeros((3, p.n_reps))
        for d in range(3):
            held = p.locked >= 0
            fixed[d] = np.bincount(p.locked[held], weights=p.values[d, held], minlength=p.n_reps)
        return fixed

    def kept_weights(self) -> np.ndarray:
        """For each owned movable account: 1 + its share of ARR / 2, the value of keeping it."""
        p = self.problem
        arr = p.values[0, self.movable]
        total = float(p.values[0].sum()) + 1.0
        owned = p.start[self.movable] >= 0
        return np.where(owned, 1.0 + 0.5 * arr / total, 0.0)

    def plan(self, x: np.ndarray) -> np.ndarray:
        """Final rep per account from a solution vector."""
        p = self.problem
        rep = p.locked.copy()
        chosen = x[:self.n_x].reshape(len(self.movable), p.n_reps)
        placed = chosen.max(axis=1) > 0.5
        rep[self.movable] = np.where(placed, chosen.argmax(axis=1), -1)
        return rep


def _tolerance(target: float) -> float:
    """Room for rounding in the solver's sums: far below any amount a leader would see."""
    return 1e-7 * max(abs(target), 1.0)


def _model(problem: Problem) -> _Model:
    """Any movable account may end unplaced (an orphan no rep can take, or an account of a rep over
    a cap that no one can take), at a cost above any band excess."""
    movable = problem.movable
    return _Model(problem, movable, np.arange(len(movable)))


def _binary_bounds(model: _Model) -> tuple[np.ndarray, Bounds]:
    """x binary, u and z continuous; a rep whose locks already fill a cap takes no account it does
    not own (as kernels.within_caps says: after taking one it must be within its caps)."""
    integrality = np.zeros(model.size)
    integrality[:model.n_x] = 1
    upper = np.ones(model.size)
    upper[model.z] = np.inf
    p = model.problem
    fixed = model._fixed()
    full = (fixed[1] + 1 > p.max_accounts) | (fixed[0] > p.max_arr)
    own = p.start[model.movable][:, None] == np.arange(p.n_reps)[None, :]
    upper[:model.n_x] = np.where(full[None, :] & ~own, 0.0, 1.0).ravel()
    return integrality, Bounds(np.zeros(model.size), upper)


def _feasibility(problem: Problem, excess: float, unplaced: int, deadline: _Deadline) -> tuple[float, int] | None:
    """The fewest unplaced orphans, then the smallest worst-rep excess (None if not proven in time)."""
    model = _model(problem)
    cost = np.zeros(model.size)
    cost[model.n_x:model.n_x + len(model.orphans)] = ORPHAN_WEIGHT
    cost[model.z] = 1.0
    integrality, bounds = _binary_bounds(model)
    result = milp(cost, integrality=integrality, bounds=bounds, constraints=model.constraints(None, None),
                  options={"time_limit": deadline.left(), "presolve": True})
    if result.status != 0 or result.x is None:
        return None
    u = result.x[model.n_x:model.n_x + len(model.orphans)]
    return float(result.x[model.z]), int(round(u.sum()))


def _fewest_moves(problem: Problem, heuristic: np.ndarray | None, excess: float, unplaced: int,
                  deadline: _Deadline) -> Solution | None:
    """With the excess and unplaced orphans fixed: fewest moves, then least ARR moved. A heuristic
    plan that meets them caps the moves (the search never looks at worse plans)."""
    model = _model(problem)
    weights = model.kept_weights()
    cost = np.zeros(model.size)
    starts = problem.start[model.movable]
    owned = np.flatnonzero(starts >= 0)
    cost[model.x(owned, starts[owned])] = -weights[owned]
    constraints = model.constraints(excess, unplaced)
    if heuristic is not None:
        heuristic_moves = int(((problem.start >= 0) & (heuristic != problem.start) & (problem.locked < 0)).sum())
        kept = coo_array((np.ones(len(owned)), (np.zeros(len(owned), dtype=int), model.x(owned, starts[owned]))),
                         shape=(1, model.size))
        constraints.append(LinearConstraint(kept, len(owned) - heuristic_moves, np.inf))
    integrality, bounds = _binary_bounds(model)
    bounds = Bounds(bounds.lb, np.where(np.arange(model.size) == model.z, 0.0, bounds.ub))
    result = milp(cost, integrality=integrality, bounds=bounds, constraints=constraints,
                  options={"time_limit": deadline.left(), "presolve": True})
    constant = float(weights.sum())
    bound = result.mip_dual_bound if result.mip_dual_bound is not None else -np.inf
    moves_bound = max(0, math.ceil(constant + bound - 0.5 - 1e-9)) if np.isfinite(bound) else 0
    if result.x is None:
        return Solution(None, excess, moves_bound, False, result.message)
    optimal = result.status == 0
    x = result.x
    if optimal and deadline.left() > 0:
        geo = _most_geo(model, constraints, cost, result.fun, deadline)
        x = x if geo is None else geo
    return Solution(model.plan(x), excess, moves_bound, optimal, result.message)


def _most_geo(model: _Model, constraints: list, cost: np.ndarray, best: float, deadline: _Deadline):
    """With the moves and ARR moved held at their optimum: the most geo matches (None if not in time)."""
    geo = np.zeros(model.size)
    geo[:model.n_x] = -model.problem.geo(model.movable).ravel().astype(float)
    if not geo.any():
        return None
    same = LinearConstraint(cost.reshape(1, -1), -np.inf, best + 1e-9 * max(1.0, abs(best)))
    integrality, bounds = _binary_bounds(model)
    bounds = Bounds(bounds.lb, np.where(np.arange(model.size) == model.z, 0.0, bounds.ub))
    result = milp(geo, integrality=integrality, bounds=bounds, constraints=[*constraints, same],
                  options={"time_limit": deadline.left(), "presolve": True})
    return result.x if result.status == 0 else None
