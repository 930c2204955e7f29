"""Optimize Weights (§4) with many weight triples in lockstep.

Every triple runs the same greedy over the same accounts in the same order; only the weights
differ. Here LANES triples advance together, one account at a time, and each rep's running totals
and blended need for all of them sit side by side in memory (`[rep, lane]`). The leader search is
then one vector comparison per rep across the lanes, with no data-dependent branch, where
kernels.greedy_segment walks a tournament tree per triple and loses most of its time to
mispredicted branches (README, "Speed"). The arithmetic is kernels.greedy_segment's, value for
value, so each triple's score is bit-identical to it (tests compare them).

The search per account, in every lane:
1. The neediest rep that can take the account, from one entry per *unit*: a block of
   `block_size` consecutive reps, holding its neediest rep that can take the account (winner
   order: higher blended need, lower current ARR, lower index). Only the winner's need changes
   after an assignment, so only its block is scanned again. The vector pass compares needs
   alone and flags a lane where two entries were equal; such a lane is decided again with the
   full winner order (rare, except when every need is the same, e.g. at the start).
2. The reps with a bonus for this account (its location's reps and its owner), vectorised with
   the full winner order: a bonus never lowers a total, so no other rep can win.
With caps (§7), a block entry covers only reps that can take the current account; accounts come
biggest first, so a rep left out for lack of ARR room can only fit again once accounts get
smaller: each entry keeps the most room of the reps it left out, and is scanned again when an
account fits in it. A rep at its account cap is left out for good.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from .kernels import (
    FREE,
    ROOM_MARGIN,
    Books,
    Prefs,
    SegmentArrays,
    _blended,
    balanced_score,
    empty_books,
    greedy_segment,
    place_locked,
)

LANES = 64  # triples per lockstep group: 8 vectors of 8 float64 across the lanes


def block_size(n_reps: int) -> int:
    """Reps per unit. Every step compares every unit in a vector pass and rescans one unit per
    lane rep by rep, so bigger units pay off only with many reps: measured best, 1 rep up to
    about 50 reps and 3 at 160-240 (bench/optimize.py), which sqrt(reps / 20) gives."""
    return max(1, round(math.sqrt(n_reps / 20)))


@njit(cache=True, inline="always")
def _fits(max_accounts, max_arr, cc, ca, j, t, a):
    """kernels.within_caps for rep j in lane t taking one account of ARR a."""
    return cc[j, t] + 1.0 <= max_accounts[j] and ca[j, t] + a <= max_arr[j]


@njit(cache=True, inline="always")
def _scan_unit(unit, t, a, size, capped, bl, ca, cc, max_accounts, max_arr, key, unit_arr, unit_rep, unit_room):
    """Unit `unit` in lane t: its neediest rep that can take ARR a (key -inf when none can), and
    the most ARR room (rounded up) among the reps left out for room alone."""
    lo = unit * size
    hi = min(bl.shape[0], lo + size)
    best = -1
    best_need = -np.inf
    best_arr = 0.0
    room = -np.inf
    for j in range(lo, hi):
        if capped and not _fits(max_accounts, max_arr, cc, ca, j, t, a):
            if cc[j, t] + 1.0 <= max_accounts[j]:
                room = max(room, (max_arr[j] - ca[j, t]) + ROOM_MARGIN * abs(max_arr[j]))
            continue
        need = bl[j, t]
        c = ca[j, t]
        if best < 0 or need > best_need or (need == best_need and c < best_arr):
            best, best_need, best_arr = j, need, c
    key[unit, t] = best_need
    unit_arr[unit, t] = best_arr
    unit_rep[unit, t] = best
    unit_room[unit, t] = room


@njit(cache=True, inline="always")
def _any_at_most(a, values):
    found = False
    for v in values:
        found |= a <= v
    return found


@njit(cache=True, inline="always")
def _neediest_units(key, best_need, best_unit, tied, lanes):
    """Pass 1: per lane the first unit of highest key, and whether two keys compared equal."""
    for t in range(lanes):
        best_need[t] = key[0, t]
        best_unit[t] = 0.0
        tied[t] = False
    for unit in range(1, key.shape[0]):
        row = key[unit]
        for t in range(lanes):
            need = row[t]
            tied[t] |= need == best_need[t]
            better = need > best_need[t]
            best_need[t] = need if better else best_need[t]
            best_unit[t] = unit if better else best_unit[t]


@njit(cache=True, inline="always")
def _settle_tie(t, key, unit_arr, best_need):
    """A tied lane's unit in full winner order (key, lower ARR, first unit); -1 when none."""
    best = -1
    for unit in range(key.shape[0]):
        need = key[unit, t]
        if need == -np.inf:
            continue
        if best < 0 or need > best_need or (need == best_need and unit_arr[unit, t] < unit_arr[best, t]):
            best, best_need = unit, need
    return best


@njit(cache=True, inline="always")
def _bonus(j, g, o, geo, preserve, rep_group):
    """§2's g + p for rep j and an account of location group g and owner o."""
    return (geo if g >= 0 and rep_group[j] == g else 0.0) + (preserve if o == j else 0.0)


@njit(cache=True, inline="always")
def _bonus_rep(j, bonus, a, capped, bl, ca, cc, max_accounts, max_arr, best_total, best_arr, best_rep, lanes):
    """Pass 2 for rep j with this bonus: it takes every lane where it comes first."""
    up = 1.0 + bonus
    down = 1.0 - bonus
    needs = bl[j]
    arrs = ca[j]
    counts = cc[j]
    rep = float(j)
    for t in range(lanes):
        need = needs[t]
        total = need * (up if need >= 0.0 else down)
        c = arrs[t]
        better = (total > best_total[t]) | ((total == best_total[t])
                                            & ((c < best_arr[t]) | ((c == best_arr[t]) & (rep < best_rep[t]))))
        if capped:
            better &= (counts[t] + 1.0 <= max_accounts[j]) & (c + a <= max_arr[j])
        best_total[t] = total if better else best_total[t]
        best_arr[t] = c if better else best_arr[t]
        best_rep[t] = rep if better else best_rep[t]


@njit(cache=True)
def _lockstep_group(w, s, geo, preserve, targets, use_risk, size, out):
    """Balanced scores of up to LANES triples (rows of w) for one segment, into out."""
    lanes = w.shape[0]
    arr, high, group, owner, preset, rep_group, group_start, group_reps, max_accounts, max_arr, ramp = s
    n_reps = rep_group.shape[0]
    if n_reps == 0:  # nobody to score, as balanced_score says of an empty team
        out[:] = np.nan
        return
    n_units = (n_reps + size - 1) // size
    capped = np.isfinite(max_accounts).any() or np.isfinite(max_arr).any()
    locked = empty_books(n_reps)
    place_locked(s, locked, np.empty(arr.shape[0], dtype=np.int64))
    ca = np.empty((n_reps, lanes))
    cc = np.empty((n_reps, lanes))
    cr = np.empty((n_reps, lanes))
    bl = np.empty((n_reps, lanes))
    for j in range(n_reps):
        for t in range(lanes):
            ca[j, t], cc[j, t], cr[j, t] = locked.arr[j], locked.cnt[j], locked.risk[j]
            bl[j, t] = _blended(w[t, 0], w[t, 1], w[t, 2], targets[0, j], targets[1, j], targets[2, j],
                                ca[j, t], cc[j, t], cr[j, t])
    key = np.empty((n_units, lanes))
    unit_arr = np.empty((n_units, lanes))
    unit_rep = np.empty((n_units, lanes), dtype=np.int64)
    unit_room = np.empty((n_units, lanes))

    def scan(unit, t, a):
        _scan_unit(unit, t, a, size, capped, bl, ca, cc, max_accounts, max_arr, key, unit_arr, unit_rep, unit_room)

    for unit in range(n_units):
        for t in range(lanes):
            scan(unit, t, np.inf)  # before any account: a rep with an ARR cap waits for the first
    best_total = np.empty(lanes)
    best_rep = np.empty(lanes)
    best_unit = np.empty(lanes)
    best_arr = np.empty(lanes)
    tied = np.empty(lanes, dtype=np.bool_)
    unit_of = np.arange(n_reps) // size
    for i in range(arr.shape[0]):
        if preset[i] != FREE:
            continue
        a = arr[i]
        if capped:  # entries that left out a rep with room for this account are scanned again
            for unit in range(n_units):
                if _any_at_most(a, unit_room[unit]):
                    for t in range(lanes):
                        if a <= unit_room[unit, t]:
                            scan(unit, t, a)
        _neediest_units(key, best_total, best_unit, tied, lanes)
        for t in range(lanes):
            unit = int(best_unit[t])
            if tied[t]:
                unit = _settle_tie(t, key, unit_arr, best_total[t])
            best_rep[t] = -1.0 if unit < 0 else unit_rep[unit, t]
            best_total[t] = -np.inf if unit < 0 else key[unit, t]
            best_arr[t] = 0.0 if unit < 0 else unit_arr[unit, t]
        g = group[i]
        o = owner[i]
        if g >= 0 and geo > 0.0:
            for k in range(group_start[g], group_start[g + 1]):
                j = group_reps[k]
                _bonus_rep(j, _bonus(j, g, o, geo, preserve, rep_group), a, capped, bl, ca, cc, max_accounts,
                           max_arr, best_total, best_arr, best_rep, lanes)
        if o >= 0:
            _bonus_rep(o, _bonus(o, g, o, geo, preserve, rep_group), a, capped, bl, ca, cc, max_accounts, max_arr,
                       best_total, best_arr, best_rep, lanes)
        for t in range(lanes):
            j = int(best_rep[t])
            if j < 0:
                continue
            ca[j, t] += a
            cc[j, t] += 1.0
            if high[i]:
                cr[j, t] += a
            bl[j, t] = _blended(w[t, 0], w[t, 1], w[t, 2], targets[0, j], targets[1, j], targets[2, j],
                                ca[j, t], cc[j, t], cr[j, t])
            scan(unit_of[j], t, a)
    for t in range(lanes):
        out[t] = balanced_score(Books(ca[:, t].copy(), cc[:, t].copy(), cr[:, t].copy()), ramp, use_risk)


@njit(parallel=True, cache=True)
def balanced_for_weights(weights, s, geo, preserve, targets, use_risk, size):
    """kernels.balanced_for_weights in lockstep groups of LANES triples, `size` reps per unit."""
    n_triples = weights.shape[0]
    out = np.empty(n_triples)
    n_groups = (n_triples + LANES - 1) // LANES
    # A parallel loop's body cannot capture a tuple of arrays: it takes the arrays one by one.
    arr, high, group, owner, preset, rep_group, group_start, group_reps, max_accounts, max_arr, ramp = s
    for k in prange(n_groups):
        segment = SegmentArrays(arr, high, group, owner, preset, rep_group, group_start, group_reps,
                                max_accounts, max_arr, ramp)
        lo = k * LANES
        hi = min(n_triples, lo + LANES)
        _lockstep_group(weights[lo:hi], segment, geo, preserve, targets, use_risk, size, out[lo:hi])
    return out


def balanced_for_weights_reference(weights, inputs, prefs, use_risk) -> np.ndarray:
    """The definition balanced_for_weights must equal: one kernels.greedy_segment per triple
    (the allocation's own kernel) and its Balanced score. For tests and bench/optimize.py."""
    scores = np.empty(len(weights))
    for t, (w_arr, w_cnt, w_risk) in enumerate(weights):
        books = empty_books(len(inputs.reps))
        greedy_segment(inputs.arrays, Prefs(w_arr, w_cnt, w_risk, prefs.geo, prefs.preserve), inputs.targets, books,
                       np.empty(len(inputs.accounts), dtype=np.int64))
        scores[t] = balanced_score(books, inputs.arrays.ramp, use_risk)
    return scores
