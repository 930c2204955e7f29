"""Numba versions of the hot loops. They repeat scoring.py operation for operation, in float64
and in the same order, so that they agree with the plain reference bit for bit (tests check it).

Why the greedy need not score every rep for every account: a bonus never lowers a total
(`blended*(1+b) >= blended` for blended >= 0 and `blended*(1-b) >= blended` below 0, and float
rounding keeps both), so a rep without a bonus can only win if it has the highest blended need.
The winner is therefore among: the rep with the highest blended need (ties ordered exactly as
the spec's tie-break: lower current ARR, then tie-break order), the reps sharing the account's
location, and the account's owner. Only the winner's need changes after an assignment, so a
tournament tree over the reps finds the first in O(log reps); locations with many reps get a
tree of their own (see greedy_segment).
"""
from __future__ import annotations

import os
import threading

import numba
import numpy as np
from numba import njit, prange

# The dashboard runs optimize and sensitivity in forked job processes; GNU OpenMP aborts a fork
# once it has started, so pick a fork-safe layer (workqueue where TBB is not installed). That
# layer must not run two parallel kernels at once in one process: PARALLEL serialises them.
numba.config.THREADING_LAYER = "forksafe"
PARALLEL = threading.Lock()


def _fresh_lock_after_fork() -> None:
    """A process forked while another thread held PARALLEL would wait on it forever."""
    global PARALLEL
    PARALLEL = threading.Lock()


os.register_at_fork(after_in_child=_fresh_lock_after_fork)

GROUP_SCAN_MAX = 8  # locations with at most this many reps are scanned; larger ones get a tree


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
def _tree_build(tree, offset, size, members, blended, c_arr):
    """A tournament tree at tree[offset : offset + 2*size]; node 1 holds the neediest rep."""
    for k in range(size):
        tree[offset + size + k] = members[k] if k < members.shape[0] else -1
    for node in range(size - 1, 0, -1):
        tree[offset + node] = _neediest(tree[offset + 2 * node], tree[offset + 2 * node + 1],
                                        blended, c_arr)


@njit(cache=True)
def _tree_fix(tree, offset, size, position, blended, c_arr):
    """Re-rank after the rep at leaf `position` changed."""
    node = (size + position) // 2
    while node >= 1:
        tree[offset + node] = _neediest(tree[offset + 2 * node], tree[offset + 2 * node + 1],
                                        blended, c_arr)
        node //= 2


@njit(cache=True)
def _runner_up(tree, offset, size, position, blended, c_arr):
    """The neediest rep other than the one at leaf `position` (the tree's leader)."""
    node = size + position
    second = -1
    while node > 1:
        second = _neediest(second, tree[offset + (node ^ 1)], blended, c_arr)
        node //= 2
    return second


@njit(cache=True)
def _pow2(n):
    size = 1
    while size < n:
        size *= 2
    return size


@njit(cache=True)
def greedy_segment(arr, high, group, owner, rep_group, group_start, group_reps,
                   w_arr, w_cnt, w_risk, geo, preserve, t_arr, t_cnt, t_risk,
                   winners, c_arr, c_cnt, c_risk):
    """Assign a segment's accounts (in processing order) to its reps (in tie-break order).

    `group` is each account's location group (-1: no rep there), `rep_group` each rep's;
    `group_reps[group_start[g]:group_start[g+1]]` are the reps of group g. `owner` is the local
    rep index of the account's Original_Rep (-1: not a rep of this segment). Fills `winners`
    with local rep indices and updates the running totals in place.

    Candidates per account: the neediest rep overall (global tree), the reps of the account's
    location and the owner. Small locations are scanned; when a location has more than
    GROUP_SCAN_MAX reps, a tree per location gives its neediest rep, and another rep there can
    only tie that leader when the runner-up's total equals the leader's: then the whole
    location is scanned, so exact ties resolve as the spec says.
    """
    n_reps = c_arr.shape[0]
    n_groups = group_start.shape[0] - 1
    blended = np.empty(n_reps)
    for j in range(n_reps):
        blended[j] = _blended(w_arr, w_cnt, w_risk, t_arr, t_cnt, t_risk, c_arr[j], c_cnt[j], c_risk[j])
    size = _pow2(n_reps)
    tree = np.empty(2 * size, dtype=np.int64)
    _tree_build(tree, 0, size, np.arange(n_reps), blended, c_arr)
    largest_group = 0
    for h in range(n_groups):
        largest_group = max(largest_group, group_start[h + 1] - group_start[h])
    use_groups = geo > 0.0 and largest_group > GROUP_SCAN_MAX
    scan_groups = geo > 0.0 and not use_groups
    group_size = np.empty(n_groups, dtype=np.int64)
    group_offset = np.zeros(n_groups + 1, dtype=np.int64)
    position = np.empty(n_reps, dtype=np.int64)
    for h in range(n_groups):
        group_size[h] = _pow2(group_start[h + 1] - group_start[h])
        group_offset[h + 1] = group_offset[h] + 2 * group_size[h]
        for k in range(group_start[h], group_start[h + 1]):
            position[group_reps[k]] = k - group_start[h]
    group_tree = np.empty(group_offset[n_groups] if use_groups else 0, dtype=np.int64)
    if use_groups:
        for h in range(n_groups):
            _tree_build(group_tree, group_offset[h], group_size[h],
                        group_reps[group_start[h]:group_start[h + 1]], blended, c_arr)
    for i in range(arr.shape[0]):
        g = group[i]
        o = owner[i]
        best = tree[1]
        bonus = (geo if g >= 0 and rep_group[best] == g else 0.0) + (preserve if o == best else 0.0)
        best_total = _total(blended[best], bonus)
        if g >= 0 and use_groups:
            lead = group_tree[group_offset[g] + 1]
            total = _total(blended[lead], geo + (preserve if o == lead else 0.0))
            if _beats(total, lead, best_total, best, c_arr):
                best, best_total = lead, total
            second = _runner_up(group_tree, group_offset[g], group_size[g], position[lead],
                                blended, c_arr)
            scan = second >= 0 and _total(blended[second], geo) == _total(blended[lead], geo)
        else:
            scan = g >= 0 and scan_groups
        if scan:
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
        _tree_fix(tree, 0, size, best, blended, c_arr)
        if use_groups:
            h = rep_group[best]
            _tree_fix(group_tree, group_offset[h], group_size[h], position[best], blended, c_arr)


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
def custom_score(c_arr, c_cnt, c_risk, use_risk, w_arr, w_cnt, w_risk):
    """The user's weights over the driver scores that are not N/A, renormalised."""
    total = 0.0
    weight_sum = 0.0
    for k in range(3):
        if k == 2 and not use_risk:
            continue
        values = c_arr if k == 0 else (c_cnt if k == 1 else c_risk)
        weight = w_arr if k == 0 else (w_cnt if k == 1 else w_risk)
        score = driver_score(values)
        if not np.isnan(score):
            total += score * weight
            weight_sum += weight
    return total / weight_sum if weight_sum > 0.0 else np.nan


@njit(cache=True)
def balanced_score(c_arr, c_cnt, c_risk, use_risk):
    """Plain mean of the driver scores that are not N/A (Custom with equal weights)."""
    return custom_score(c_arr, c_cnt, c_risk, use_risk, 1.0, 1.0, 1.0)


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


@njit(cache=True)
def _segment_at_threshold(take, arr, high, group, owner, rep_group, group_start, group_reps,
                          w_arr, w_cnt, w_risk, geo, preserve, use_risk, out, column):
    """Allocate the accounts selected by `take` (processing order) and store
    balanced, custom, account count and ARR in out[column:column + 4]."""
    n = 0
    for i in range(take.shape[0]):
        if take[i]:
            n += 1
    s_arr = np.empty(n)
    s_high = np.empty(n, dtype=np.bool_)
    s_group = np.empty(n, dtype=np.int64)
    s_owner = np.empty(n, dtype=np.int64)
    k = 0
    arr_sum = 0.0
    risk_sum = 0.0
    for i in range(take.shape[0]):
        if take[i]:
            s_arr[k], s_high[k], s_group[k], s_owner[k] = arr[i], high[i], group[i], owner[i]
            arr_sum += arr[i]
            if high[i]:
                risk_sum += arr[i]
            k += 1
    out[column + 2] = n
    out[column + 3] = arr_sum
    n_reps = rep_group.shape[0]
    if n_reps == 0:
        out[column] = np.nan
        out[column + 1] = np.nan
        return
    c_arr = np.zeros(n_reps)
    c_cnt = np.zeros(n_reps)
    c_risk = np.zeros(n_reps)
    greedy_segment(s_arr, s_high, s_group, s_owner, rep_group, group_start, group_reps,
                   w_arr, w_cnt, w_risk, geo, preserve, arr_sum / n_reps, n / n_reps,
                   risk_sum / n_reps, np.empty(n, dtype=np.int64), c_arr, c_cnt, c_risk)
    out[column] = balanced_score(c_arr, c_cnt, c_risk, use_risk)
    out[column + 1] = custom_score(c_arr, c_cnt, c_risk, use_risk, w_arr, w_cnt, w_risk)


@njit(parallel=True, cache=True)
def scores_at_thresholds(thresholds, employees, arr, high,
                         e_group, e_owner, e_rep_group, e_group_start, e_group_reps,
                         m_group, m_owner, m_rep_group, m_group_start, m_group_reps,
                         w_arr, w_cnt, w_risk, geo, preserve, use_risk):
    """Per threshold: Enterprise then Mid-Market (balanced, custom, accounts, ARR).

    Accounts come in processing order with their groups and owners computed once against each
    segment's reps; each threshold only selects which of them fall in each segment.
    """
    out = np.empty((thresholds.shape[0], 8))
    for t in prange(thresholds.shape[0]):
        enterprise = employees >= thresholds[t]
        _segment_at_threshold(enterprise, arr, high, e_group, e_owner, e_rep_group, e_group_start,
                              e_group_reps, w_arr, w_cnt, w_risk, geo, preserve, use_risk, out[t], 0)
        _segment_at_threshold(~enterprise, arr, high, m_group, m_owner, m_rep_group, m_group_start,
                              m_group_reps, w_arr, w_cnt, w_risk, geo, preserve, use_risk, out[t], 4)
    return out
