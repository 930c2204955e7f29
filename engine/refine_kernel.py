"""The compiled local search behind engine.refine: moves and swaps inside one segment.

State: each rep's totals of the three drivers (ARR, account count, high-risk ARR) and, per driver,
the sum of squared deviations from the mean. Moves and swaps keep every driver's total, so the
means never change and the effect of a change on each driver's CV is exact and O(1) to compute.

A change is accepted when it is allowed (`_allowed`: today, that the segment keeps at least the
greedy's geo matches and owners kept; locked accounts or capacity caps would be further checks
there), lowers the weighted sum of the drivers' CVs, and does not lower the clamped score the user
sees. Every accepted change strictly lowers a bounded quantity, so the search ends.
"""
from __future__ import annotations

import numpy as np
from numba import njit

MOVE = 0
SWAP = 1
MIN_GAIN = 0.0005      # a change must raise the score by this many points to be worth making
MIN_ROUND_GAIN = 0.01  # stop when a round of passes raises the score by less (points)
MAX_ROUNDS = 20
PROBES = 1             # accounts looked at on each side of the ideal swap partner's ARR
SCAN_ALL_REPS = 64     # segments with more reps look only at likely partners (see _candidates)
EXTREMES = 6           # reps with the lowest and highest total of each driver among them
REFRESH = 64           # accounts between refreshes of the extremes


@njit(cache=True)
def _cv_percent(sq, mean, n_reps):
    return np.sqrt(max(sq, 0.0) / n_reps) / mean * 100.0


@njit(cache=True)
def _objectives(sq, mean, weight, n_reps):
    """(weighted sum of CV%, weighted mean of the clamped scores) over drivers with weight > 0."""
    spread = 0.0
    score = 0.0
    weight_sum = 0.0
    for d in range(3):
        if weight[d] > 0.0:
            cv = _cv_percent(sq[d], mean[d], n_reps)
            spread += weight[d] * cv
            score += weight[d] * min(max(100.0 - cv, 0.0), 100.0)
            weight_sum += weight[d]
    return spread, score / weight_sum


@njit(cache=True)
def _sq_after(totals, mean, sq, giver, taker, delta, out):
    """Each driver's sum of squared deviations after `delta` goes from rep `giver` to `taker`."""
    for d in range(3):
        before_g = totals[d, giver] - mean[d]
        before_t = totals[d, taker] - mean[d]
        after_g = before_g - delta[d]
        after_t = before_t + delta[d]
        out[d] = sq[d] - before_g * before_g - before_t * before_t + after_g * after_g + after_t * after_t


@njit(cache=True)
def _geo(group, rep_group, account, rep):
    return 1 if group[account] >= 0 and rep_group[rep] == group[account] else 0


@njit(cache=True)
def _kept(owner, account, rep):
    return 1 if owner[account] == rep else 0


@njit(cache=True)
def _allowed(geo_gain, kept_gain, counts, floors):
    """The hard constraints every change must respect: the segment never falls below the greedy's
    geo matches (counts[0] ≥ floors[0]) or owners kept (counts[1] ≥ floors[1])."""
    return counts[0] + geo_gain >= floors[0] and counts[1] + kept_gain >= floors[1]


@njit(cache=True)
def _better(spread, score, best_spread, best_score):
    """Lower spread without a lower visible score."""
    return spread < best_spread and score >= best_score


@njit(cache=True)
def _worth_beating(spread, weight):
    """The spread a change must get below: MIN_GAIN points of the (unclamped) score less."""
    return spread - MIN_GAIN * weight.sum()


@njit(cache=True)
def _apply(totals, mean, sq, giver, taker, delta):
    _sq_after(totals, mean, sq, giver, taker, delta, sq)
    for d in range(3):
        totals[d, giver] -= delta[d]
        totals[d, taker] += delta[d]


@njit(cache=True)
def _grown(table, used):
    """`table` with room for at least one more row."""
    if used < table.shape[0]:
        return table
    bigger = np.empty((2 * table.shape[0],) + table.shape[1:], dtype=table.dtype)
    bigger[:used] = table[:used]
    return bigger


@njit(cache=True)
def _record(log, cvs, n_log, kind, account, partner, giver, taker, sq, mean, n_reps):
    """Append a change (kind, account, partner or -1, from rep, to rep) and each driver's CV%
    after it; returns the (possibly regrown) tables and the new length."""
    log = _grown(log, n_log)
    cvs = _grown(cvs, n_log)
    log[n_log, 0] = kind
    log[n_log, 1] = account
    log[n_log, 2] = partner
    log[n_log, 3] = giver
    log[n_log, 4] = taker
    for d in range(3):
        cvs[n_log, d] = _cv_percent(sq[d], mean[d], n_reps) if mean[d] > 0.0 else np.nan
    return log, cvs, n_log + 1


@njit(cache=True)
def _extremes(totals):
    """The EXTREMES reps with the lowest and the highest total of each driver: where a change
    that evens things out most likely starts or ends. In a small segment, every rep."""
    n_reps = totals.shape[1]
    if n_reps <= SCAN_ALL_REPS:
        return np.arange(n_reps)
    picked = np.empty(6 * EXTREMES, dtype=np.int64)
    for d in range(3):
        order = np.argsort(totals[d], kind="mergesort")
        picked[2 * d * EXTREMES:(2 * d + 1) * EXTREMES] = order[:EXTREMES]
        picked[(2 * d + 1) * EXTREMES:(2 * d + 2) * EXTREMES] = order[n_reps - EXTREMES:]
    return picked


@njit(cache=True)
def _pass_buffers(totals):
    """Scratch of a pass: a change's three deltas, trial squared deviations, candidate reps; and
    the first extremes."""
    n_reps = totals.shape[1]
    return (np.empty(3), np.empty(3), np.empty(n_reps + 6 * EXTREMES + 1, dtype=np.int64),
            _extremes(totals))


@njit(cache=True)
def _extremes_at(totals, extremes, a):
    """The extremes, refreshed every REFRESH accounts in a large segment (changes move totals)."""
    if a % REFRESH == 0 and totals.shape[1] > SCAN_ALL_REPS:
        return _extremes(totals)
    return extremes


@njit(cache=True)
def _candidates(totals, group, owner, group_start, group_reps, a, extremes, out):
    """Reps worth offering account `a`, written to `out`; returns how many (repeats are harmless).
    A small segment offers every rep. A large one offers the extremes, the reps of the account's
    location (where most accounts must stay to keep their geo match) and its owner."""
    n = extremes.shape[0]
    out[:n] = extremes
    if totals.shape[1] <= SCAN_ALL_REPS:
        return n
    if group[a] >= 0:
        for k in range(group_start[group[a]], group_start[group[a] + 1]):
            out[n] = group_reps[k]
            n += 1
    if owner[a] >= 0:
        out[n] = owner[a]
        n += 1
    return n


@njit(cache=True)
def _move_pass(arr, high, group, owner, rep_group, group_start, group_reps, rep, totals, mean, sq,
               weight, counts, floors, log, cvs, n_log):
    """Offer every account, in processing order, to the candidate reps; take the best allowed move."""
    n_reps = totals.shape[1]
    delta, trial, offer, extremes = _pass_buffers(totals)
    spread, score = _objectives(sq, mean, weight, n_reps)
    for a in range(arr.shape[0]):
        extremes = _extremes_at(totals, extremes, a)
        i = rep[a]
        delta[0] = arr[a]
        delta[1] = 1.0
        delta[2] = arr[a] if high[a] else 0.0
        best, best_spread, best_score = -1, _worth_beating(spread, weight), score
        geo_here = _geo(group, rep_group, a, i)
        kept_here = _kept(owner, a, i)
        for c in range(_candidates(totals, group, owner, group_start, group_reps, a, extremes, offer)):
            j = offer[c]
            if j == i:
                continue
            geo_gain = _geo(group, rep_group, a, j) - geo_here
            kept_gain = _kept(owner, a, j) - kept_here
            if not _allowed(geo_gain, kept_gain, counts, floors):
                continue
            _sq_after(totals, mean, sq, i, j, delta, trial)
            s, v = _objectives(trial, mean, weight, n_reps)
            if _better(s, v, best_spread, best_score):
                best, best_spread, best_score = j, s, v
        if best >= 0:
            counts[0] += _geo(group, rep_group, a, best) - geo_here
            counts[1] += _kept(owner, a, best) - kept_here
            _apply(totals, mean, sq, i, best, delta)
            rep[a] = best
            spread, score = best_spread, best_score
            log, cvs, n_log = _record(log, cvs, n_log, MOVE, a, -1, i, best, sq, mean, n_reps)
    return log, cvs, n_log


@njit(cache=True)
def _members_by_rep(rep, n_reps):
    """Each rep's accounts in processing order (ARR descending): members[start[j]:start[j+1]]."""
    start = np.zeros(n_reps + 1, dtype=np.int64)
    for a in range(rep.shape[0]):
        start[rep[a] + 1] += 1
    for j in range(n_reps):
        start[j + 1] += start[j]
    fill = start[:-1].copy()
    members = np.empty(rep.shape[0], dtype=np.int64)
    for a in range(rep.shape[0]):
        members[fill[rep[a]]] = a
        fill[rep[a]] += 1
    return start, members


@njit(cache=True)
def _first_below(arr, members, lo, hi, value):
    """First position in members[lo:hi] (ARR descending) whose ARR is ≤ value."""
    while lo < hi:
        mid = (lo + hi) // 2
        if arr[members[mid]] > value:
            lo = mid + 1
        else:
            hi = mid
    return lo


@njit(cache=True)
def _swap_gains(group, owner, rep_group, a, b, i, j):
    """(geo matches gained, owners kept gained) when a (at rep i) and b (at rep j) trade places."""
    geo = (_geo(group, rep_group, a, j) + _geo(group, rep_group, b, i)
           - _geo(group, rep_group, a, i) - _geo(group, rep_group, b, j))
    kept = _kept(owner, a, j) + _kept(owner, b, i) - _kept(owner, a, i) - _kept(owner, b, j)
    return geo, kept


@njit(cache=True)
def _swap_delta(arr, high, a, b, delta):
    delta[0] = arr[a] - arr[b]
    delta[1] = 0.0
    delta[2] = (arr[a] if high[a] else 0.0) - (arr[b] if high[b] else 0.0)


@njit(cache=True)
def _swap_pass(arr, high, group, owner, rep_group, group_start, group_reps, rep, totals, mean, sq,
               weight, counts, floors, log, cvs, n_log):
    """For every account, look in each candidate rep's book for the partners whose ARR is closest
    to what would even the two reps' ARR out; take the best allowed swap. Books are indexed at
    the start of the pass; an account that has moved since is skipped as a partner."""
    n_reps = totals.shape[1]
    start, members = _members_by_rep(rep, n_reps)
    delta, trial, offer, extremes = _pass_buffers(totals)
    spread, score = _objectives(sq, mean, weight, n_reps)
    for a in range(arr.shape[0]):
        extremes = _extremes_at(totals, extremes, a)
        i = rep[a]
        best_b, best_j, best_spread, best_score = -1, -1, _worth_beating(spread, weight), score
        for c in range(_candidates(totals, group, owner, group_start, group_reps, a, extremes, offer)):
            j = offer[c]
            if j == i:
                continue
            ideal = arr[a] - (totals[0, i] - totals[0, j]) / 2.0
            centre = _first_below(arr, members, start[j], start[j + 1], ideal)
            for k in range(max(start[j], centre - PROBES), min(start[j + 1], centre + PROBES)):
                b = members[k]
                if rep[b] != j:
                    continue
                geo_gain, kept_gain = _swap_gains(group, owner, rep_group, a, b, i, j)
                if not _allowed(geo_gain, kept_gain, counts, floors):
                    continue
                _swap_delta(arr, high, a, b, delta)
                _sq_after(totals, mean, sq, i, j, delta, trial)
                s, v = _objectives(trial, mean, weight, n_reps)
                if _better(s, v, best_spread, best_score):
                    best_b, best_j, best_spread, best_score = b, j, s, v
        if best_b >= 0:
            b, j = best_b, best_j
            geo_gain, kept_gain = _swap_gains(group, owner, rep_group, a, b, i, j)
            counts[0] += geo_gain
            counts[1] += kept_gain
            _swap_delta(arr, high, a, b, delta)
            _apply(totals, mean, sq, i, j, delta)
            rep[a] = j
            rep[b] = i
            spread, score = best_spread, best_score
            log, cvs, n_log = _record(log, cvs, n_log, SWAP, a, b, i, j, sq, mean, n_reps)
    return log, cvs, n_log


@njit(cache=True, nogil=True)  # a web worker's other threads keep answering meanwhile
def refine_segment(arr, high, group, owner, rep_group, group_start, group_reps, rep, weight):
    """Improve the assignment `rep` (local rep per account, processing order) in place.

    `weight` holds the three drivers' weights in the score being optimised, 0 for a driver that
    is N/A. Rounds of a move pass then a swap pass run until a round raises the score by less
    than MIN_ROUND_GAIN. Returns the log of changes, rows of (kind, account, partner, from, to),
    and each driver's CV% after each change (NaN for a driver whose mean is 0).
    """
    n_reps = rep_group.shape[0]
    totals = np.zeros((3, n_reps))
    for a in range(arr.shape[0]):
        totals[0, rep[a]] += arr[a]
        totals[1, rep[a]] += 1.0
        if high[a]:
            totals[2, rep[a]] += arr[a]
    mean = np.empty(3)
    sq = np.zeros(3)
    for d in range(3):
        mean[d] = totals[d].sum() / n_reps
        for j in range(n_reps):
            sq[d] += (totals[d, j] - mean[d]) ** 2
    counts = np.zeros(2, dtype=np.int64)
    for a in range(arr.shape[0]):
        counts[0] += _geo(group, rep_group, a, rep[a])
        counts[1] += _kept(owner, a, rep[a])
    floors = counts.copy()
    log = np.empty((64, 5), dtype=np.int64)
    cvs = np.empty((64, 3))
    n_log = 0
    score = _objectives(sq, mean, weight, n_reps)[1]
    for _ in range(MAX_ROUNDS):
        before = n_log
        log, cvs, n_log = _move_pass(arr, high, group, owner, rep_group, group_start, group_reps,
                                     rep, totals, mean, sq, weight, counts, floors, log, cvs, n_log)
        log, cvs, n_log = _swap_pass(arr, high, group, owner, rep_group, group_start, group_reps,
                                     rep, totals, mean, sq, weight, counts, floors, log, cvs, n_log)
        previous, score = score, _objectives(sq, mean, weight, n_reps)[1]
        if n_log == before or score - previous < MIN_ROUND_GAIN:
            break
    return log[:n_log], cvs[:n_log]
