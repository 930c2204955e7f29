"""The compiled heuristic behind engine.rebalance: few transfers that bring every rep into a band.

State: each rep's totals of the three drivers and how far it is outside its band, as
`violation(d, r) / T[d, r]` summed over the chosen drivers (plus any amount over a cap). The
search works on a segment's accounts that are not held; locked ones never move.

1. Orphans (no owner in the segment) are placed, biggest first, where they lower the total
   violation most (ties: the rep furthest under its ARR target): placing one is not a move.
2. While a rep is outside its band, the rep furthest outside it gives (when over) or takes (when
   under) the account whose transfer lowers the total violation most, among its likeliest
   partners and, in each partner's book, the accounts whose ARR is nearest what would even the
   two out. When no single transfer helps, a swap may. A rep nothing can help is left out.
3. A rep still over a cap (its owner had more than the cap allows and no one could take them)
   lets accounts go unassigned, as the greedy would.
4. Every transfer that can be taken back without leaving anyone outside the band is taken back,
   smallest first, so the plan keeps only the moves it needs.

Every accepted change strictly lowers the total violation, so the search ends.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from .kernels import FREE, within_caps

BREADTHS = ((16, 3), (32, 5), (8, 2))  # (partners, probes) of the searches tried; the best plan is kept
WIDE_PROBES = 8       # probes when the usual search leaves a rep stuck (every rep is then a partner)
REBUILD = 64          # transfers between rebuilds of the books' index
MIN_GAIN = 1e-20      # a change must lower the total (squared) violation by more than this
CAP_WEIGHT = 1000.0   # going over a cap weighs this much more than leaving the band


@njit(cache=True)
def _index_books(rep, start, members):
    """Fill each rep's accounts in processing order (ARR descending): members[start[j]:start[j+1]]."""
    n_reps = start.shape[0] - 1
    start[:] = 0
    for a in range(rep.shape[0]):
        if rep[a] >= 0:
            start[rep[a] + 1] += 1
    for j in range(n_reps):
        start[j + 1] += start[j]
    fill = start[:-1].copy()
    for a in range(rep.shape[0]):
        if rep[a] >= 0:
            members[fill[rep[a]]] = a
            fill[rep[a]] += 1


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


@njit(cache=True, nogil=True)
def plan_segment(s, start, targets, band, chosen, partners_tried, probes):
    """Final rep per account (processing order; -1: an orphan no rep can take) for the accounts
    of `s` (kernels.SegmentArrays, held accounts left out; `preset` ≥ 0 marks a lock), starting
    from `start` (each account's rep today, -1 for an orphan). `band` is b/100; `chosen` flags
    the drivers (ARR, accounts, high-risk ARR) the band applies to. The rep being repaired looks
    at its `partners_tried` likeliest partners and `probes` accounts on each side of each ideal
    ARR in their books.

    The search is local closures over local arrays (see kernels.greedy_segment for why)."""
    arr, high, group, owner, preset, rep_group, group_start, group_reps, max_accounts, max_arr, ramp = s
    n = arr.shape[0]
    n_reps = rep_group.shape[0]
    rep = start.copy()
    for a in range(n):
        if preset[a] >= 0:
            rep[a] = preset[a]
    totals = np.zeros((3, n_reps))
    locked = np.zeros((2, n_reps))  # accounts and ARR held by locks: a cap never binds below them

    def value(d, a):
        return arr[a] if d == 0 else (1.0 if d == 1 else (arr[a] if high[a] else 0.0))

    for a in range(n):
        if rep[a] >= 0:
            for d in range(3):
                totals[d, rep[a]] += value(d, a)
            if preset[a] >= 0:
                locked[0, rep[a]] += 1.0
                locked[1, rep[a]] += arr[a]
    book_arr, book_accounts = totals[0], totals[1]

    def outside(d, r, total):
        """How far a total is outside rep r's band on driver d, as a fraction of its target."""
        target = targets[d, r]
        low, top = target * (1.0 - band), target * (1.0 + band)
        gap = total - top if total > top else (low - total if total < low else 0.0)
        return gap / target if target > 0.0 else gap

    def over_cap(r, count, amount):
        """How far a rep is over a cap (never below what its locks hold), weighted to dominate."""
        cap_count = max(max_accounts[r], locked[0, r])
        cap_arr = max(max_arr[r], locked[1, r])
        over = 0.0
        if count > cap_count:
            over += (count - cap_count) / max(cap_count, 1.0)
        if amount > cap_arr:
            over += (amount - cap_arr) / max(cap_arr, 1.0)
        return CAP_WEIGHT * over

    def violation(r, t0, t1, t2):
        """Rep r's violation if its totals were (t0, t1, t2): squared, so that a transfer which
        shares an excess out between two reps counts as progress."""
        v = over_cap(r, t1, t0)
        for d in range(3):
            if chosen[d]:
                v += outside(d, r, t0 if d == 0 else (t1 if d == 1 else t2))
        return v * v

    def current(r):
        return violation(r, totals[0, r], totals[1, r], totals[2, r])

    def over(r):
        """Whether rep r has more than its band (or a cap) allows on some driver: it must give."""
        if over_cap(r, totals[1, r], totals[0, r]) > 0.0:
            return True
        for d in range(3):  # noqa: SIM110 (numba compiles no any() over a generator)
            if chosen[d] and totals[d, r] > targets[d, r] * (1.0 + band):
                return True
        return False

    def gain_of_move(a, giver, taker):
        """How much the total violation falls when account a goes from giver (-1: an orphan) to taker."""
        before = current(taker)
        after = violation(taker, totals[0, taker] + value(0, a), totals[1, taker] + 1.0, totals[2, taker] + value(2, a))
        if giver >= 0:
            before += current(giver)
            after += violation(giver, totals[0, giver] - value(0, a), totals[1, giver] - 1.0,
                               totals[2, giver] - value(2, a))
        return before - after

    def gain_of_swap(a, b):
        """... when a (at rep[a]) and b (at rep[b]) trade places."""
        i, j = rep[a], rep[b]
        before = current(i) + current(j)
        after = (violation(i, totals[0, i] - value(0, a) + value(0, b), totals[1, i],
                           totals[2, i] - value(2, a) + value(2, b))
                 + violation(j, totals[0, j] - value(0, b) + value(0, a), totals[1, j],
                             totals[2, j] - value(2, b) + value(2, a)))
        return before - after

    def fits(taker, add_accounts, add_arr):
        """kernels.within_caps, or a change that adds nothing to the rep's book."""
        if add_accounts <= 0.0 and add_arr <= 0.0:
            return True
        return within_caps(max_accounts, max_arr, book_accounts, book_arr, taker, add_accounts, add_arr)

    def move(a, taker):
        giver = rep[a]
        for d in range(3):
            if giver >= 0:
                totals[d, giver] -= value(d, a)
            totals[d, taker] += value(d, a)
        rep[a] = taker

    def geo(a, r):
        return 1 if group[a] >= 0 and rep_group[r] == group[a] else 0

    def better(gain, a, taker, best_gain, best_a, best_taker):
        """Larger gain; then smaller ARR moved; then a geo match; then the earliest account, rep."""
        if abs(gain - best_gain) > MIN_GAIN * max(1.0, abs(best_gain)):
            return gain > best_gain
        if best_a < 0:
            return True
        if arr[a] != arr[best_a]:
            return arr[a] < arr[best_a]
        if geo(a, taker) != geo(best_a, best_taker):
            return geo(a, taker) > geo(best_a, best_taker)
        return a < best_a or (a == best_a and taker < best_taker)

    def need(r):
        return (targets[0, r] - totals[0, r]) / targets[0, r] if targets[0, r] > 0.0 else 0.0

    # 1. orphans, biggest first, where they lower the violation most (ties: the neediest rep)
    for a in range(n):
        if rep[a] >= 0 or preset[a] != FREE:
            continue
        best, best_gain = -1, 0.0
        for r in range(n_reps):
            if not within_caps(max_accounts, max_arr, book_accounts, book_arr, r, 1.0, arr[a]):
                continue
            gain = gain_of_move(a, -1, r)
            if best < 0 or gain > best_gain + MIN_GAIN or (gain >= best_gain - MIN_GAIN and need(r) > need(best)):
                best, best_gain = r, gain
        if best >= 0:
            move(a, best)

    # 2. repair the rep furthest outside its band, one transfer (or swap) at a time
    index_start = np.zeros(n_reps + 1, dtype=np.int64)
    members = np.empty(n, dtype=np.int64)
    _index_books(rep, index_start, members)
    recent = np.empty(REBUILD, dtype=np.int64)  # accounts moved since the index was built
    n_recent = np.zeros(1, dtype=np.int64)
    stuck = np.zeros(n_reps, dtype=np.bool_)
    partner = np.empty(n_reps, dtype=np.int64)
    span = np.array([probes])  # accounts looked at on each side of an ideal ARR (widened when stuck)
    probe = np.empty(8 * (2 * WIDE_PROBES + REBUILD), dtype=np.int64)

    def near(g, ideal, out, count):
        """Movable accounts of rep g (as indexed) whose ARR is nearest `ideal`, appended to out."""
        centre = _first_below(arr, members, index_start[g], index_start[g + 1], ideal)
        for k in range(max(index_start[g], centre - span[0]), min(index_start[g + 1], centre + span[0])):
            a = members[k]
            if rep[a] == g and preset[a] == FREE:
                out[count] = a
                count += 1
        return count

    def moved_here(g, out, count):
        """Movable accounts moved to rep g since the index was built."""
        for k in range(n_recent[0]):
            a = recent[k]
            if rep[a] == g and preset[a] == FREE:
                out[count] = a
                count += 1
        return count

    def offers(g, t, out):
        """Accounts of g worth offering to t: near g's excess over its band, t's shortfall under
        its band, what would even the two out and t's room below the top of its band; g's
        smallest; and any moved to g lately."""
        count = 0
        for ideal in (totals[0, g] - targets[0, g] * (1.0 + band), targets[0, t] * (1.0 - band) - totals[0, t],
                      (totals[0, g] - totals[0, t]) / 2.0, targets[0, t] * (1.0 + band) - totals[0, t], 0.0):
            count = near(g, max(ideal, 0.0), out, count)
        return moved_here(g, out, count)

    def partners(w, giving, limit):
        """The `limit` reps with the most room below the top of their band (for a rep that must
        give) or the most to spare above its bottom (for one that must take)."""
        room = np.empty(n_reps)
        for r in range(n_reps):
            room[r] = np.inf if r != w else -np.inf
            for d in range(3):
                if chosen[d] and targets[d, r] > 0.0 and r != w:
                    spare = (targets[d, r] * (1.0 + band) - totals[d, r] if giving
                             else totals[d, r] - targets[d, r] * (1.0 - band))
                    room[r] = min(room[r], spare / targets[d, r])
        order = np.argsort(-room, kind="mergesort")
        found = 0
        for k in range(min(limit, n_reps)):
            if order[k] != w:
                partner[found] = order[k]
                found += 1
        return found

    def note(a):
        recent[n_recent[0]] = a
        n_recent[0] += 1

    def best_transfer(w, giving, limit):
        """The transfer that lowers the total violation most between w and its partners."""
        best_gain, best_a, best_t = MIN_GAIN, -1, -1
        for k in range(partners(w, giving, limit)):
            giver, taker = (w, partner[k]) if giving else (partner[k], w)
            for c in range(offers(giver, taker, probe)):
                a = probe[c]
                if fits(taker, 1.0, arr[a]):
                    gain = gain_of_move(a, giver, taker)
                    if gain > MIN_GAIN and better(gain, a, taker, best_gain, best_a, best_t):
                        best_gain, best_a, best_t = gain, a, taker
        return best_a, best_t

    def best_swap(w, giving, limit):
        """The swap that lowers the total violation most between w and its partners."""
        best_gain, best_a, best_b = MIN_GAIN, -1, -1
        for k in range(partners(w, giving, limit)):
            other = partner[k]
            count = offers(w, other, probe)
            for c in range(count):
                a = probe[c]
                wanted = arr[a] - ((totals[0, w] - targets[0, w]) - (totals[0, other] - targets[0, other])) / 2.0
                end = moved_here(other, probe, near(other, max(wanted, 0.0), probe, count))
                for e in range(count, end):
                    b = probe[e]
                    delta = arr[a] - arr[b]
                    if fits(other, 0.0, delta) and fits(w, 0.0, -delta):
                        gain = gain_of_swap(a, b)
                        if gain > best_gain:
                            best_gain, best_a, best_b = gain, a, b
        return best_a, best_b

    for _ in range(20 * n + 100):
        if n_recent[0] >= REBUILD - 2:
            _index_books(rep, index_start, members)
            n_recent[0] = 0
        worst, worst_violation = -1, 0.0
        for r in range(n_reps):
            v = current(r)
            if not stuck[r] and v > worst_violation:
                worst, worst_violation = r, v
        if worst < 0:
            break
        giving = over(worst)
        a, t, b = -1, -1, -1
        for limit, wide in ((partners_tried, probes), (n_reps, WIDE_PROBES)):  # widen the search when stuck
            span[0] = wide
            a, t = best_transfer(worst, giving, limit)
            if a < 0:
                a, b = best_swap(worst, giving, limit)
            if a >= 0:
                break
        span[0] = probes
        if a >= 0 and b < 0:
            note(a)
            move(a, t)
            stuck[:] = False
        elif a >= 0:
            i, j = rep[a], rep[b]
            note(a)
            note(b)
            move(a, j)
            move(b, i)
            stuck[:] = False
        else:
            stuck[worst] = True

    # 3. a rep still over a cap (beyond its locks) that no one could relieve lets accounts go unassigned
    for r in range(n_reps):
        while over_cap(r, totals[1, r], totals[0, r]) > 0.0:
            counting = totals[1, r] > max(max_accounts[r], locked[0, r])
            pick = -1
            for a in range(n):  # processing order: ARR descending
                if rep[a] == r and preset[a] == FREE and (pick < 0 or counting):
                    pick = a  # the smallest for a count, the biggest for ARR
            if pick < 0:
                break
            for d in range(3):
                totals[d, r] -= value(d, pick)
            rep[pick] = -1

    # 4. take back every transfer the band does not need, smallest first
    changed = True
    while changed:
        changed = False
        for a in range(n - 1, -1, -1):
            home = start[a]
            if home < 0 or rep[a] == home or preset[a] != FREE or not fits(home, 1.0, arr[a]):
                continue
            if gain_of_move(a, rep[a], home) >= 0.0:
                move(a, home)
                changed = True
    return rep


@njit(cache=True)
def balanced_path(s, start, moves_account, moves_to, weight):
    """The order in which to take a plan's transfers so that each raises the segment's score
    (weights over the drivers' CV%, full books) the most, and the score after each: for the
    trade-off curve. `start` is the books with orphans placed. A trial move is scored from each
    driver's running sum and sum of squares (O(1), not O(reps)); the score recorded after each
    step is recomputed from the books, so the curve carries no rounding drift."""
    arr, high = s.arr, s.high
    n_reps = s.ramp.shape[0]
    scale = 100.0 / s.ramp
    totals = np.zeros((3, n_reps))
    for a in range(arr.shape[0]):
        if start[a] >= 0:
            totals[0, start[a]] += arr[a]
            totals[1, start[a]] += 1.0
            if high[a]:
                totals[2, start[a]] += arr[a]
    sums = np.zeros((2, 3))

    def amount(a, d):
        return arr[a] if d == 0 else (1.0 if d == 1 else (arr[a] if high[a] else 0.0))

    def refresh():
        for d in range(3):
            values = totals[d] * scale
            sums[0, d] = values.sum()
            sums[1, d] = (values * values).sum()

    def composite(cvs):
        total = 0.0
        weight_sum = 0.0
        for d in range(3):
            if weight[d] > 0.0 and not np.isnan(cvs[d]):
                total += weight[d] * min(max(100.0 - cvs[d], 0.0), 100.0)
                weight_sum += weight[d]
        return total / weight_sum if weight_sum > 0.0 else np.nan

    def score():
        cvs = np.full(3, np.nan)
        for d in range(3):
            values = totals[d] * scale
            mean = values.sum() / n_reps
            if mean != 0.0:
                cvs[d] = np.sqrt(((values - mean) ** 2).sum() / n_reps) / mean * 100.0
        return composite(cvs)

    def trial_score(a, giver, taker):
        cvs = np.full(3, np.nan)
        for d in range(3):
            x = amount(a, d)
            old_g, old_t = totals[d, giver] * scale[giver], totals[d, taker] * scale[taker]
            new_g, new_t = (totals[d, giver] - x) * scale[giver], (totals[d, taker] + x) * scale[taker]
            mean = (sums[0, d] - old_g - old_t + new_g + new_t) / n_reps
            if mean != 0.0:
                square = (sums[1, d] - old_g * old_g - old_t * old_t + new_g * new_g + new_t * new_t) / n_reps
                cvs[d] = np.sqrt(max(square - mean * mean, 0.0)) / mean * 100.0
        return composite(cvs)

    k = moves_account.shape[0]
    order = np.empty(k, dtype=np.int64)
    scores = np.empty(k + 1)
    scores[0] = score()
    taken = np.zeros(k, dtype=np.bool_)
    where = start.copy()
    refresh()
    for step in range(k):
        best, best_score = -1, -np.inf
        for m in range(k):
            if taken[m]:
                continue
            a = moves_account[m]
            value = trial_score(a, where[a], moves_to[m])
            if best < 0 or value > best_score:
                best, best_score = m, value
        taken[best] = True
        a = moves_account[best]
        for d in range(3):
            totals[d, where[a]] -= amount(a, d)
            totals[d, moves_to[best]] += amount(a, d)
        where[a] = moves_to[best]
        refresh()
        order[step] = best
        scores[step + 1] = score()
    return order, scores
