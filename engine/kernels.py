"""Numba versions of the hot loops. They repeat scoring.py operation for operation, in float64
and in the same order, so that they agree with the plain reference bit for bit (tests check it).
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
def greedy_segment(arr, high, location, owner, rep_location, w_arr, w_cnt, w_risk, geo, preserve,
                   t_arr, t_cnt, t_risk, winners, c_arr, c_cnt, c_risk):
    """Assign a segment's accounts (already in processing order) to its reps (tie-break order).

    `owner` holds the local rep index of each account's Original_Rep (-1 when not in segment).
    Fills `winners` with local rep indices and updates the running totals in place.
    """
    for i in range(arr.shape[0]):
        best = -1
        best_total = 0.0
        for j in range(rep_location.shape[0]):
            blended = (w_arr * _need(t_arr, c_arr[j]) + w_cnt * _need(t_cnt, c_cnt[j])
                       + w_risk * _need(t_risk, c_risk[j]))
            g = geo if location[i] == rep_location[j] else 0.0
            p = preserve if owner[i] == j else 0.0
            bonus = g + p
            if blended >= 0.0:
                total = blended * (1.0 + bonus)
            else:
                total = blended * (1.0 - bonus)
            if best < 0 or total > best_total or (total == best_total and c_arr[j] < c_arr[best]):
                best = j
                best_total = total
        winners[i] = best
        c_arr[best] += arr[i]
        c_cnt[best] += 1.0
        if high[i]:
            c_risk[best] += arr[i]


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
def balanced_for_weights(weights, arr, high, location, owner, rep_location, geo, preserve,
                         t_arr, t_cnt, t_risk, use_risk):
    """One segment's Balanced score for every weight triple (rows of `weights`, as fractions)."""
    n_triples = weights.shape[0]
    n_reps = rep_location.shape[0]
    out = np.empty(n_triples)
    for t in prange(n_triples):
        c_arr = np.zeros(n_reps)
        c_cnt = np.zeros(n_reps)
        c_risk = np.zeros(n_reps)
        winners = np.empty(arr.shape[0], dtype=np.int64)
        greedy_segment(arr, high, location, owner, rep_location, weights[t, 0], weights[t, 1],
                       weights[t, 2], geo, preserve, t_arr, t_cnt, t_risk, winners,
                       c_arr, c_cnt, c_risk)
        out[t] = balanced_score(c_arr, c_cnt, c_risk, use_risk)
    return out
