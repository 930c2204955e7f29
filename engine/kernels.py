"""Numba versions of the hot loops. They repeat scoring.py operation for operation, in float64
and in the same order, so that they agree with the plain reference bit for bit (tests check it).

Why the greedy need not score every rep for every account: a bonus never lowers a total
(`blended*(1+b) >= blended` for blended >= 0 and `blended*(1-b) >= blended` below 0, and float
rounding keeps both), so a rep without a bonus can only win if it has the highest blended need.
The winner is therefore among: the rep with the highest blended need (ties ordered exactly as
the spec's tie-break: lower current ARR, then tie-break order), the reps sharing the account's
location, and the account's owner. Only the winner's need changes after an assignment, so a
tournament tree over the reps finds the first in O(log reps).
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange


@njit(cache=True)
def _need(target, current):
    if target > 0.0:
        return (target - current) / target
    return 0.0


@njit(cache=True)
def _blended(w_arr, w_cnt, w_risk, t_arr, t_cnt, t_risk, c_arr, c_cnt, c_risk):
    return (w_arr * _need(t_arr, c_arr) + w_cnt * _need(t_cnt, c_cnt)
            + w_risk * _need(t_risk, c_risk))


@njit(cache=True)
def _total(blended, bonus):
    if blended >= 0.0:
        return blended * (1.0 + bonus)
    return blended * (1.0 - bonus)


@njit(cache=True)
def _beats(total, rep, best_total, best, c_arr):
    """The spec's winner order: higher total, then lower current ARR, then tie-break order."""
    if total != best_total:
        return total > best_total
    if c_arr[rep] != c_arr[best]:
        return c_arr[rep] < c_arr[best]
    return rep < best


@njit(cache=True)
def _neediest(a, b, blended, c_arr):
    """Of two tree entries (-1 = empty), the one first by blended need in winner order."""
    if a < 0:
        return b
    if b < 0:
        return a
    return a if _beats(blended[a], a, blended[b], b, c_arr) else b


@njit(cache=True)
def _tree_fix(tree, node, blended, c_arr):
    while node >= 1:
        tree[node] = _neediest(tree[2 * node], tree[2 * node + 1], blended, c_arr)
        node //= 2


@njit(cache=True)
def greedy_segment(arr, high, group, owner, rep_group, group_start, group_reps,
                   w_arr, w_cnt, w_risk, geo, preserve, t_arr, t_cnt, t_risk,
                   winners, c_arr, c_cnt, c_risk):
    """Assign a segment's accounts (in processing order) to its reps (in tie-break order).

    `group` is each account's location group (-1: no rep there), `rep_group` each rep's;
    `group_reps[group_start[g]:group_start[g+1]]` are the reps of group g. `owner` is the local
    rep index of the account's Original_Rep (-1: not a rep of this segment). Fills `winners`
    with local rep indices and updates the running totals in place.
    """
    n_reps = c_arr.shape[0]
    blended = np.empty(n_reps)
    for j in range(n_reps):
        blended[j] = _blended(w_arr, w_cnt, w_risk, t_arr, t_cnt, t_risk, c_arr[j], c_cnt[j], c_risk[j])
    size = 1
    while size < n_reps:
        size *= 2
    tree = np.full(2 * size, -1, dtype=np.int64)
    for j in range(n_reps):
        tree[size + j] = j
    for node in range(size - 1, 0, -1):
        tree[node] = _neediest(tree[2 * node], tree[2 * node + 1], blended, c_arr)
    for i in range(arr.shape[0]):
        g = group[i]
        o = owner[i]
        best = tree[1]
        bonus = (geo if g >= 0 and rep_group[best] == g else 0.0) + (preserve if o == best else 0.0)
        best_total = _total(blended[best], bonus)
        if g >= 0 and geo > 0.0:
            for k in range(group_start[g], group_start[g + 1]):
                j = group_reps[k]
                total = _total(blended[j], geo + (preserve if o == j else 0.0))
                if _beats(total, j, best_total, best, c_arr):
                    best, best_total = j, total
        if o >= 0:
            total = _total(blended[o], (geo if g >= 0 and rep_group[o] == g else 0.0) + preserve)
            if _beats(total, o, best_total, best, c_arr):
                best, best_total = o, total
        winners[i] = best
        c_arr[best] += arr[i]
        c_cnt[best] += 1.0
        if high[i]:
            c_risk[best] += arr[i]
        blended[best] = _blended(w_arr, w_cnt, w_risk, t_arr, t_cnt, t_risk,
                                 c_arr[best], c_cnt[best], c_risk[best])
        _tree_fix(tree, (size + best) // 2, blended, c_arr)


@njit(cache=True)
def driver_score(values):
    """100 − CV% clamped to 0..100; NaN when there are no reps or the mean is 0."""
    n = values.shape[0]
    if n == 0:
        return np.nan
    mean = values.sum() / n
    if mean == 0.0:
        return np.nan
    variance = ((values - mean) ** 2).sum() / n
    score = 100.0 - np.sqrt(variance) / mean * 100.0
    return min(max(score, 0.0), 100.0)


@njit(cache=True)
def balanced_score(c_arr, c_cnt, c_risk, use_risk):
    """Plain mean of the driver scores that are not N/A."""
    total = 0.0
    count = 0
    for k in range(3):
        if k == 2 and not use_risk:
            continue
        values = c_arr if k == 0 else (c_cnt if k == 1 else c_risk)
        score = driver_score(values)
        if not np.isnan(score):
            total += score
            count += 1
    return total / count if count > 0 else np.nan


@njit(parallel=True, cache=True)
def balanced_for_weights(weights, arr, high, group, owner, rep_group, group_start, group_reps,
                         geo, preserve, t_arr, t_cnt, t_risk, use_risk):
    """One segment's Balanced score for every weight triple (rows of `weights`, as fractions)."""
    n_triples = weights.shape[0]
    n_reps = rep_group.shape[0]
    out = np.empty(n_triples)
    for t in prange(n_triples):
        c_arr = np.zeros(n_reps)
        c_cnt = np.zeros(n_reps)
        c_risk = np.zeros(n_reps)
        winners = np.empty(arr.shape[0], dtype=np.int64)
        greedy_segment(arr, high, group, owner, rep_group, group_start, group_reps,
                       weights[t, 0], weights[t, 1], weights[t, 2], geo, preserve,
                       t_arr, t_cnt, t_risk, winners, c_arr, c_cnt, c_risk)
        out[t] = balanced_score(c_arr, c_cnt, c_risk, use_risk)
    return out
