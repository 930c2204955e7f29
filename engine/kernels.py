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
from typing import NamedTuple

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
FREE = -1           # rules.FREE: an account the greedy places (see SegmentArrays.preset)
HOLD = -2           # rules.HOLD: an account held for review
ROOM_MARGIN = 1e-9  # relative: a rep's ARR room as `within_caps` sees it is off by a few ulps at most


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


class SegmentArrays(NamedTuple):
    """One segment as every kernel sees it: accounts in processing order, reps in tie-break order.

    `group` is each account's location group (-1: no rep there), `rep_group` each rep's, and
    `group_reps[group_start[g]:group_start[g+1]]` the reps of group g. `owner` is the local rep
    index of the account's Original_Rep (-1: not a rep of this segment); `preset` says what §7
    decided before the greedy: a local rep the account is locked to, FREE or HOLD.
    """

    arr: np.ndarray           # float64
    high: np.ndarray          # bool: high-risk
    group: np.ndarray         # int64
    owner: np.ndarray         # int64
    preset: np.ndarray        # int64
    rep_group: np.ndarray     # int64 per rep
    group_start: np.ndarray   # int64
    group_reps: np.ndarray    # int64
    max_accounts: np.ndarray  # float64 per rep, inf without a cap
    max_arr: np.ndarray       # float64 per rep, inf without a cap
    ramp: np.ndarray          # float64 per rep, percent of a full book


class Prefs(NamedTuple):
    """The weights as fractions and the two bonuses."""

    w_arr: float
    w_cnt: float
    w_risk: float
    geo: float
    preserve: float


class Books(NamedTuple):
    """Each rep's running totals: ARR, account count, high-risk ARR."""

    arr: np.ndarray
    cnt: np.ndarray
    risk: np.ndarray


@njit(cache=True)
def empty_books(n_reps):
    return Books(np.zeros(n_reps), np.zeros(n_reps), np.zeros(n_reps))


@njit(cache=True, inline="always")
def within_caps(max_accounts, max_arr, accounts, arr, rep, add_accounts, add_arr):
    """§7 capacity, the one check the greedy, refine and rebalance share: after a change that adds
    `add_accounts` accounts and `add_arr` ARR to its book (`accounts`, `arr`: every rep's running
    totals), the rep is within Max_Accounts and Max_ARR (inf when it has no cap)."""
    return accounts[rep] + add_accounts <= max_accounts[rep] and arr[rep] + add_arr <= max_arr[rep]


@njit(cache=True)
def has_caps(s):
    return np.isfinite(s.max_accounts).any() or np.isfinite(s.max_arr).any()


@njit(cache=True, inline="always")
def driver(books, d):
    """Driver d's totals: 0 ARR, 1 account count, 2 high-risk ARR."""
    if d == 0:
        return books.arr
    if d == 1:
        return books.cnt
    return books.risk


@njit(cache=True)
def place_locked(s, books, winners):
    """§7 item 1: locked accounts go to their rep first and count in its running totals."""
    for i in range(s.arr.shape[0]):
        j = s.preset[i]
        winners[i] = j if j >= 0 else -1
        if j >= 0:
            books.arr[j] += s.arr[i]
            books.cnt[j] += 1.0
            if s.high[i]:
                books.risk[j] += s.arr[i]


class _Trees(NamedTuple):
    """The tournament trees of greedy_segment: one over every rep and, when a location has more
    than GROUP_SCAN_MAX reps, one per location (location h's at group_tree[group_offset[h]:],
    with group_size[h] leaves; a rep's leaf there is at `position`)."""

    tree: np.ndarray
    size: int
    group_tree: np.ndarray
    group_size: np.ndarray
    group_offset: np.ndarray
    position: np.ndarray
    use_groups: bool
    scan_groups: bool


@njit(cache=True)
def _build_trees(s, geo, blended, c_arr):
    n_reps = s.rep_group.shape[0]
    n_groups = s.group_start.shape[0] - 1
    size = _pow2(n_reps)
    tree = np.empty(2 * size, dtype=np.int64)
    _tree_build(tree, 0, size, np.arange(n_reps), blended, c_arr)
    largest_group = 0
    for h in range(n_groups):
        largest_group = max(largest_group, s.group_start[h + 1] - s.group_start[h])
    use_groups = geo > 0.0 and largest_group > GROUP_SCAN_MAX
    group_size = np.empty(n_groups, dtype=np.int64)
    group_offset = np.zeros(n_groups + 1, dtype=np.int64)
    position = np.empty(n_reps, dtype=np.int64)
    for h in range(n_groups):
        group_size[h] = _pow2(s.group_start[h + 1] - s.group_start[h])
        group_offset[h + 1] = group_offset[h] + 2 * group_size[h]
        for k in range(s.group_start[h], s.group_start[h + 1]):
            position[s.group_reps[k]] = k - s.group_start[h]
    group_tree = np.empty(group_offset[n_groups] if use_groups else 0, dtype=np.int64)
    if use_groups:
        for h in range(n_groups):
            _tree_build(group_tree, group_offset[h], group_size[h],
                        s.group_reps[s.group_start[h]:s.group_start[h + 1]], blended, c_arr)
    return _Trees(tree, size, group_tree, group_size, group_offset, position, use_groups,
                  geo > 0.0 and not use_groups)


@njit(cache=True)
def greedy_segment(s, p, targets, books, winners):
    """Assign a segment's accounts (ALLOCATION.md §2 with the rules of §7) in place.

    Locked accounts go first; held accounts are skipped; every other account, in processing
    order, goes to the §2 winner among the reps that can take it (`within_caps`), or stays
    unassigned (winner -1) when none can. `targets` holds each rep's three targets (3 × reps).

    Candidates per account: the neediest rep overall (global tree), the reps of the account's
    location and the owner. Small locations are scanned; when a location has more than
    GROUP_SCAN_MAX reps, a tree per location gives its neediest rep, and another rep there can
    only tie that leader when the runner-up's total equals the leader's: then the whole
    location is scanned, so exact ties resolve as the spec says. With caps, a rep whose count is at
    its cap leaves the trees for good, and a leader without room for the account's ARR is parked
    outside them until an account small enough for it comes (accounts come biggest first).

    The loop reads local arrays and calls local closures: handing the structures themselves to
    helper functions costs a reference count per array on every call, which made it 3× slower.
    """
    n_reps = books.arr.shape[0]
    place_locked(s, books, winners)
    if n_reps == 0:
        return
    capped = has_caps(s)
    blended = np.empty(n_reps)
    for j in range(n_reps):
        blended[j] = _blended(p.w_arr, p.w_cnt, p.w_risk, targets[0, j], targets[1, j], targets[2, j],
                              books.arr[j], books.cnt[j], books.risk[j])
    tree, size, group_tree, group_size, group_offset, position, use_groups, scan_groups = _build_trees(
        s, p.geo, blended, books.arr)
    arr, high, group, owner, preset, rep_group, group_start, group_reps, max_accounts, max_arr, _ = s
    c_arr, c_cnt, c_risk = books
    geo, preserve = p.geo, p.preserve

    def fix(rep):
        _tree_fix(tree, 0, size, rep, blended, c_arr)
        if use_groups:
            h = rep_group[rep]
            _tree_fix(group_tree, group_offset[h], group_size[h], position[rep], blended, c_arr)

    def set_leaf(rep, value):
        """Take a rep out of the trees (value -1) or put it back (value rep)."""
        tree[size + rep] = value
        if use_groups:
            h = rep_group[rep]
            group_tree[group_offset[h] + group_size[h] + position[rep]] = value
        fix(rep)

    def can_take(rep, a):
        return within_caps(max_accounts, max_arr, c_cnt, c_arr, rep, 1.0, a)

    parked = np.empty(n_reps, dtype=np.int64)  # reps out of the trees: no room for the last account's ARR
    n_parked = 0
    # At least the most ARR room any parked rep has (rooms only shrink while parked): accounts
    # bigger than this cannot unpark anyone, so the parked reps are not looked at for them.
    parked_room = np.zeros(1)

    def room_at_least(rep):
        """The rep's ARR room, rounded up by far more than the rounding of `within_caps`."""
        return (max_arr[rep] - c_arr[rep]) + ROOM_MARGIN * abs(max_arr[rep])

    def leader_that_fits(g, a, n_parked):
        """The leader of the global tree (g < 0) or of location g's tree once every leader without
        room for ARR `a` is parked; returns it and the new count of parked reps."""
        lead = tree[1] if g < 0 else group_tree[group_offset[g] + 1]
        while lead >= 0 and not can_take(lead, a):
            set_leaf(lead, -1)
            parked[n_parked] = lead
            n_parked += 1
            parked_room[0] = max(parked_room[0], room_at_least(lead))
            lead = tree[1] if g < 0 else group_tree[group_offset[g] + 1]
        return lead, n_parked

    if capped:
        for j in range(n_reps):
            if c_cnt[j] + 1.0 > max_accounts[j]:
                set_leaf(j, -1)  # at its account cap: out for good (counts only grow)
    for i in range(arr.shape[0]):
        if preset[i] != FREE:
            continue
        a = arr[i]
        g = group[i]
        o = owner[i]
        if n_parked > 0 and a <= parked_room[0]:  # accounts come biggest first: a parked rep may fit
            k = 0
            parked_room[0] = 0.0
            while k < n_parked:
                if can_take(parked[k], a):
                    set_leaf(parked[k], parked[k])
                    n_parked -= 1
                    parked[k] = parked[n_parked]
                else:
                    parked_room[0] = max(parked_room[0], room_at_least(parked[k]))
                    k += 1
        best = tree[1]
        if capped:
            best, n_parked = leader_that_fits(-1, a, n_parked)
        winners[i] = best
        if best < 0:  # no rep can take it
            continue
        bonus = (geo if g >= 0 and rep_group[best] == g else 0.0) + (preserve if o == best else 0.0)
        best_total = _total(blended[best], bonus)
        scan = g >= 0 and scan_groups
        if g >= 0 and use_groups:
            lead = group_tree[group_offset[g] + 1]
            if capped:
                lead, n_parked = leader_that_fits(g, a, n_parked)
            if lead >= 0:
                total = _total(blended[lead], geo + (preserve if o == lead else 0.0))
                if _beats(total, lead, best_total, best, c_arr):
                    best, best_total = lead, total
                second = _runner_up(group_tree, group_offset[g], group_size[g], position[lead], blended, c_arr)
                scan = second >= 0 and _total(blended[second], geo) == _total(blended[lead], geo)
        if scan:
            for k in range(group_start[g], group_start[g + 1]):
                j = group_reps[k]
                if capped and not can_take(j, a):
                    continue
                total = _total(blended[j], geo + (preserve if o == j else 0.0))
                if _beats(total, j, best_total, best, c_arr):
                    best, best_total = j, total
        if o >= 0 and (not capped or can_take(o, a)):
            total = _total(blended[o], (geo if g >= 0 and rep_group[o] == g else 0.0) + preserve)
            if _beats(total, o, best_total, best, c_arr):
                best, best_total = o, total
        winners[i] = best
        c_arr[best] += a
        c_cnt[best] += 1.0
        if high[i]:
            c_risk[best] += a
        blended[best] = _blended(p.w_arr, p.w_cnt, p.w_risk, targets[0, best], targets[1, best], targets[2, best],
                                 c_arr[best], c_cnt[best], c_risk[best])
        fix(best)
        if capped and c_cnt[best] + 1.0 > max_accounts[best]:
            set_leaf(best, -1)


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
def full_book(values, ramp):
    """§7 item 3: totals scaled to a full book, value × 100 / Ramp (as they are at full ramp)."""
    for j in range(ramp.shape[0]):
        if ramp[j] != 100.0:
            return values * 100.0 / ramp
    return values


@njit(cache=True)
def custom_score(books, ramp, use_risk, w_arr, w_cnt, w_risk):
    """The user's weights over the driver scores that are not N/A, renormalised."""
    total = 0.0
    weight_sum = 0.0
    for k in range(3):
        if k == 2 and not use_risk:
            continue
        values = books.arr if k == 0 else (books.cnt if k == 1 else books.risk)
        weight = w_arr if k == 0 else (w_cnt if k == 1 else w_risk)
        score = driver_score(full_book(values, ramp))
        if not np.isnan(score):
            total += score * weight
            weight_sum += weight
    return total / weight_sum if weight_sum > 0.0 else np.nan


@njit(cache=True)
def balanced_score(books, ramp, use_risk):
    """Plain mean of the driver scores that are not N/A (Custom with equal weights)."""
    return custom_score(books, ramp, use_risk, 1.0, 1.0, 1.0)


@njit(cache=True)
def segment_targets(arr, high, preset, ramp):
    """§2 targets, per rep as §7 item 3 says: over the accounts that are not held, an equal
    share (total / reps) when every Ramp is 100, else total × Ramp / sum of Ramps. Sums run
    left to right in processing order, as engine.allocation.ordered_sum does."""
    n_reps = ramp.shape[0]
    totals = np.zeros(3)
    for i in range(arr.shape[0]):
        if preset[i] != HOLD:
            totals[0] += arr[i]
            totals[1] += 1.0
            if high[i]:
                totals[2] += arr[i]
    targets = np.empty((3, n_reps))
    full = True
    ramp_sum = 0.0
    for j in range(n_reps):
        full = full and ramp[j] == 100.0
        ramp_sum += ramp[j]
    for d in range(3):
        for j in range(n_reps):
            targets[d, j] = totals[d] / n_reps if full else totals[d] * ramp[j] / ramp_sum
    return targets


@njit(cache=True)
def select(s, take):
    """The segment's arrays for the accounts `take` selects (per-rep arrays unchanged)."""
    return SegmentArrays(s.arr[take], s.high[take], s.group[take], s.owner[take], s.preset[take], s.rep_group,
                         s.group_start, s.group_reps, s.max_accounts, s.max_arr, s.ramp)


@njit(cache=True)
def _segment_at_threshold(take, s, p, use_risk, out, column):
    """Allocate the accounts selected by `take` (processing order) and store
    balanced, custom, account count and ARR in out[column:column + 4]."""
    part = select(s, take)
    out[column + 2] = part.arr.shape[0]
    arr_sum = 0.0
    for i in range(part.arr.shape[0]):
        arr_sum += part.arr[i]
    out[column + 3] = arr_sum
    n_reps = s.rep_group.shape[0]
    if n_reps == 0:
        out[column] = np.nan
        out[column + 1] = np.nan
        return
    books = empty_books(n_reps)
    targets = segment_targets(part.arr, part.high, part.preset, s.ramp)
    greedy_segment(part, p, targets, books, np.empty(part.arr.shape[0], dtype=np.int64))
    out[column] = balanced_score(books, s.ramp, use_risk)
    out[column + 1] = custom_score(books, s.ramp, use_risk, p.w_arr, p.w_cnt, p.w_risk)


@njit(cache=True)
def _scores_at_threshold(threshold, employees, enterprise, mid_market, p, use_risk, out):
    """One threshold's row: Enterprise then Mid-Market (balanced, custom, accounts, ARR)."""
    upper = employees >= threshold
    _segment_at_threshold(upper, enterprise, p, use_risk, out, 0)
    _segment_at_threshold(~upper, mid_market, p, use_risk, out, 4)


@njit(cache=True, nogil=True)
def scores_at_thresholds_in_order(thresholds, employees, enterprise, mid_market, p, use_risk, stop):
    """scores_at_thresholds on the calling thread alone: the dashboard computes small curves in a
    thread of low priority, which numba's own threads would not share. It stops, with the rows
    done so far, once another thread sets `stop[0]`."""
    out = np.empty((thresholds.shape[0], 8))
    for t in range(thresholds.shape[0]):
        if stop[0]:
            return out[:t]
        _scores_at_threshold(thresholds[t], employees, enterprise, mid_market, p, use_risk, out[t])
    return out


@njit(parallel=True, cache=True)
def scores_at_thresholds(thresholds, employees, enterprise, mid_market, p, use_risk):
    """Per threshold, per segment (Enterprise first): balanced, custom, accounts and ARR.

    Each segment holds every account in processing order with its groups, owner and rules
    computed once against that segment's reps; a threshold only selects which of them fall in
    it (Enterprise takes employees ≥ threshold).
    """
    out = np.empty((thresholds.shape[0], 8))
    # A parallel loop's body cannot capture a tuple of arrays: it takes the arrays one by one.
    e0, e1, e2, e3, e4, e5, e6, e7, e8, e9, e10 = enterprise
    m0, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10 = mid_market
    w_arr, w_cnt, w_risk, geo, preserve = p
    for t in prange(thresholds.shape[0]):
        _scores_at_threshold(thresholds[t], employees,
                             SegmentArrays(e0, e1, e2, e3, e4, e5, e6, e7, e8, e9, e10),
                             SegmentArrays(m0, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10),
                             Prefs(w_arr, w_cnt, w_risk, geo, preserve), use_risk, out[t])
    return out
