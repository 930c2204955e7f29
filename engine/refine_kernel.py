"""The compiled local search behind engine.refine: moves and swaps inside one segment.

State: each rep's totals of the three drivers (ARR, account count, high-risk ARR) and, per driver,
the mean and the sum of squared deviations of the reps' full-book values (the totals themselves
when every Ramp is 100, else total × 100 / Ramp, §7). At full ramp moves and swaps keep every
driver's total, so the means never change; with ramping reps the mean moves with the change and
the sum of squares is shifted to it. Either way a change's effect on each driver's CV is exact
and O(1) to compute.

A change is accepted when it is allowed (`_allowed`: the account may move (not locked), the
receiving rep stays within its caps (kernels.within_caps) and the segment keeps at least the
greedy's geo matches and owners kept), lowers the weighted sum of the drivers' CVs, and does not
lower the clamped score the user sees. Every accepted change strictly lowers a bounded quantity,
so the search ends.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from .kernels import FREE, within_caps

MOVE = 0
SWAP = 1
MIN_ROUND_GAIN = 0.01  # stop when a round of passes raises the score by less (points)
MAX_ROUNDS = 20
# Account visits per segment: a segment of more than ROUND_BUDGET / 2 accounts gets one round. At
# 100,000 accounts / 400 reps the first round takes 1.6 s to Overall Balanced 99.40; four more
# took 6.5 s for 0.25 points (bench/refine.py).
ROUND_BUDGET = 60_000
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
def _better(spread, score, best_spread, best_score):
    """Lower spread without a lower visible score."""
    return spread < best_spread and score >= best_score


@njit(cache=True)
def _grown(table, used):
    """`table` with room for at least one more row."""
    if used < table.shape[0]:
        return table
    bigger = np.empty((2 * table.shape[0],) + table.shape[1:], dtype=table.dtype)
    bigger[:used] = table[:used]
    return bigger


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
def rounds_for(n_accounts):
    """Most rounds of passes a segment gets: fewer in big segments, where one round gives nearly
    all of the gain and each costs seconds."""
    return min(MAX_ROUNDS, max(1, ROUND_BUDGET // max(n_accounts, 1)))


@njit(cache=True, nogil=True)  # a web worker's other threads keep answering meanwhile
def refine_segment(s, rep, weight, min_gain):
    """Improve the assignment `rep` (local rep per account of `s`, processing order) in place.

    `s` holds the segment's placed accounts (kernels.SegmentArrays; `preset` ≥ 0 marks a locked
    one). `weight` holds the three drivers' weights in the score being optimised, 0 for a
    driver that is N/A; a change must raise that score by `min_gain` points. Rounds of a move
    pass then a swap pass run until a round raises the score by less than MIN_ROUND_GAIN, at most
    `rounds_for(accounts)` of them.
    Returns the log of changes, rows of (kind, account, partner, from, to), and each driver's
    CV% after each change (NaN for a driver whose mean is 0).

    The passes are local closures over local arrays: handing the structures to helper
    functions costs a reference count per array on every call, which made the search 20×
    slower.
    """
    arr, high, group, owner, preset, rep_group, group_start, group_reps, max_accounts, max_arr, ramp = s
    n_reps = rep_group.shape[0]
    totals = np.zeros((3, n_reps))
    for a in range(arr.shape[0]):
        totals[0, rep[a]] += arr[a]
        totals[1, rep[a]] += 1.0
        if high[a]:
            totals[2, rep[a]] += arr[a]
    full = True
    for j in range(n_reps):
        full = full and ramp[j] == 100.0
    mean = np.empty(3)
    sq = np.zeros(3)
    for d in range(3):
        values = totals[d] if full else totals[d] * 100.0 / ramp
        mean[d] = values.sum() / n_reps
        for j in range(n_reps):
            sq[d] += (values[j] - mean[d]) ** 2
    counts = np.zeros(2, dtype=np.int64)

    def geo(account, j):
        return 1 if group[account] >= 0 and rep_group[j] == group[account] else 0

    def kept(account, j):
        return 1 if owner[account] == j else 0

    for a in range(arr.shape[0]):
        counts[0] += geo(a, rep[a])
        counts[1] += kept(a, rep[a])
    floors = counts.copy()

    def value(total, j):
        """A total as fairness measures it: scaled to a full book (§7 item 3)."""
        return total * 100.0 / ramp[j]

    def sq_after(giver, taker, delta, out_sq, out_mean):
        """Each driver's mean and sum of squared deviations after `delta` goes from giver to taker."""
        for d in range(3):
            m = mean[d]
            if full:
                before_g = totals[d, giver] - m
                before_t = totals[d, taker] - m
                after_g = before_g - delta[d]
                after_t = before_t + delta[d]
                out_mean[d] = m
                out_sq[d] = sq[d] - before_g * before_g - before_t * before_t + after_g * after_g + after_t * after_t
            else:
                old_g, old_t = value(totals[d, giver], giver), value(totals[d, taker], taker)
                new_g, new_t = value(totals[d, giver] - delta[d], giver), value(totals[d, taker] + delta[d], taker)
                shifted = m + ((new_g - old_g) + (new_t - old_t)) / n_reps
                out_mean[d] = shifted
                out_sq[d] = (sq[d] - (old_g - m) ** 2 - (old_t - m) ** 2 + (new_g - m) ** 2 + (new_t - m) ** 2
                             - n_reps * (shifted - m) ** 2)

    book_arr, book_accounts = totals[0], totals[1]  # views: the rows within_caps reads

    def allowed(geo_gain, kept_gain, giver, taker, delta):
        """The hard constraints every change must respect: the reps it gives to stay within their
        caps (a move adds an account and its ARR; a swap keeps counts and moves the ARR
        difference, whichever way it goes), and the segment keeps at least the greedy's geo
        matches and owners kept."""
        if delta[1] != 0.0:
            if not within_caps(max_accounts, max_arr, book_accounts, book_arr, taker, delta[1], delta[0]):
                return False
        elif not (within_caps(max_accounts, max_arr, book_accounts, book_arr, taker, 0.0, delta[0])
                  and within_caps(max_accounts, max_arr, book_accounts, book_arr, giver, 0.0, -delta[0])):
            return False
        return counts[0] + geo_gain >= floors[0] and counts[1] + kept_gain >= floors[1]

    def apply(giver, taker, delta):
        sq_after(giver, taker, delta, sq, mean)
        for d in range(3):
            totals[d, giver] -= delta[d]
            totals[d, taker] += delta[d]

    def extremes():
        """The EXTREMES reps with the lowest and highest value of each driver: where a change that
        evens things out most likely starts or ends. In a small segment, every rep."""
        if n_reps <= SCAN_ALL_REPS:
            return np.arange(n_reps)
        picked = np.empty(6 * EXTREMES, dtype=np.int64)
        for d in range(3):
            order = np.argsort(totals[d] if full else totals[d] * 100.0 / ramp, kind="mergesort")
            picked[2 * d * EXTREMES:(2 * d + 1) * EXTREMES] = order[:EXTREMES]
            picked[(2 * d + 1) * EXTREMES:(2 * d + 2) * EXTREMES] = order[n_reps - EXTREMES:]
        return picked

    def candidates(a, chosen, out):
        """Reps worth offering account `a`, written to `out`; returns how many (repeats are
        harmless). A small segment offers every rep. A large one offers the extremes, the reps
        of the account's location (where most accounts must stay to keep their geo match) and
        its owner."""
        n = chosen.shape[0]
        out[:n] = chosen
        if n_reps <= SCAN_ALL_REPS:
            return n
        if group[a] >= 0:
            for k in range(group_start[group[a]], group_start[group[a] + 1]):
                out[n] = group_reps[k]
                n += 1
        if owner[a] >= 0:
            out[n] = owner[a]
            n += 1
        return n

    def record(log, cvs, n_log, kind, account, partner, giver, taker):
        """Append a change and each driver's CV% after it; returns the (regrown) tables and length."""
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

    delta = np.empty(3)
    trial = np.empty(3)
    trial_mean = np.empty(3)
    offer = np.empty(n_reps + 6 * EXTREMES + 1, dtype=np.int64)
    worth = min_gain * weight.sum()  # a change must lower the spread by this many points

    def move_pass(log, cvs, n_log):
        """Offer every movable account, in processing order, to the candidate reps; take the best
        allowed move."""
        chosen = extremes()
        spread, score = _objectives(sq, mean, weight, n_reps)
        for a in range(arr.shape[0]):
            if a % REFRESH == 0 and n_reps > SCAN_ALL_REPS:
                chosen = extremes()
            if preset[a] != FREE:  # locked accounts never move (§7 item 5)
                continue
            i = rep[a]
            delta[0] = arr[a]
            delta[1] = 1.0
            delta[2] = arr[a] if high[a] else 0.0
            best, best_spread, best_score = -1, spread - worth, score
            geo_here = geo(a, i)
            kept_here = kept(a, i)
            for c in range(candidates(a, chosen, offer)):
                j = offer[c]
                if j == i or not allowed(geo(a, j) - geo_here, kept(a, j) - kept_here, i, j, delta):
                    continue
                sq_after(i, j, delta, trial, trial_mean)
                spread_j, score_j = _objectives(trial, trial_mean, weight, n_reps)
                if _better(spread_j, score_j, best_spread, best_score):
                    best, best_spread, best_score = j, spread_j, score_j
            if best >= 0:
                counts[0] += geo(a, best) - geo_here
                counts[1] += kept(a, best) - kept_here
                apply(i, best, delta)
                rep[a] = best
                spread, score = best_spread, best_score
                log, cvs, n_log = record(log, cvs, n_log, MOVE, a, -1, i, best)
        return log, cvs, n_log

    def swap_delta(a, b):
        delta[0] = arr[a] - arr[b]
        delta[1] = 0.0
        delta[2] = (arr[a] if high[a] else 0.0) - (arr[b] if high[b] else 0.0)

    def swap_gains(a, b, i, j):
        """(geo matches gained, owners kept gained) when a (at rep i) and b (at rep j) trade places."""
        return (geo(a, j) + geo(b, i) - geo(a, i) - geo(b, j),
                kept(a, j) + kept(b, i) - kept(a, i) - kept(b, j))

    def swap_pass(log, cvs, n_log):
        """For every movable account, look in each candidate rep's book for the movable partners
        whose ARR is closest to what would even the two reps' ARR out; take the best allowed
        swap. Books are indexed at the start of the pass; an account that has moved since is
        skipped as a partner."""
        start, members = _members_by_rep(rep, n_reps)
        chosen = extremes()
        spread, score = _objectives(sq, mean, weight, n_reps)
        for a in range(arr.shape[0]):
            if a % REFRESH == 0 and n_reps > SCAN_ALL_REPS:
                chosen = extremes()
            if preset[a] != FREE:
                continue
            i = rep[a]
            best_b, best_j, best_spread, best_score = -1, -1, spread - worth, score
            for c in range(candidates(a, chosen, offer)):
                j = offer[c]
                if j == i:
                    continue
                ideal = arr[a] - (totals[0, i] - totals[0, j]) / 2.0
                centre = _first_below(arr, members, start[j], start[j + 1], ideal)
                for k in range(max(start[j], centre - PROBES), min(start[j + 1], centre + PROBES)):
                    b = members[k]
                    if rep[b] != j or preset[b] != FREE:
                        continue
                    geo_gain, kept_gain = swap_gains(a, b, i, j)
                    swap_delta(a, b)
                    if not allowed(geo_gain, kept_gain, i, j, delta):
                        continue
                    sq_after(i, j, delta, trial, trial_mean)
                    spread_b, score_b = _objectives(trial, trial_mean, weight, n_reps)
                    if _better(spread_b, score_b, best_spread, best_score):
                        best_b, best_j, best_spread, best_score = b, j, spread_b, score_b
            if best_b >= 0:
                b, j = best_b, best_j
                geo_gain, kept_gain = swap_gains(a, b, i, j)
                counts[0] += geo_gain
                counts[1] += kept_gain
                swap_delta(a, b)
                apply(i, j, delta)
                rep[a] = j
                rep[b] = i
                spread, score = best_spread, best_score
                log, cvs, n_log = record(log, cvs, n_log, SWAP, a, b, i, j)
        return log, cvs, n_log

    log = np.empty((64, 5), dtype=np.int64)
    cvs = np.empty((64, 3))
    n_log = 0
    score = _objectives(sq, mean, weight, n_reps)[1]
    for _ in range(rounds_for(arr.shape[0])):
        before = n_log
        log, cvs, n_log = move_pass(log, cvs, n_log)
        log, cvs, n_log = swap_pass(log, cvs, n_log)
        previous, score = score, _objectives(sq, mean, weight, n_reps)[1]
        if n_log == before or score - previous < MIN_ROUND_GAIN:
            break
    return log[:n_log], cvs[:n_log]
