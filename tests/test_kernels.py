"""The compiled greedy's shortcuts against the plain rules, on cases random data rarely hits."""
import math

import numpy as np

from engine import kernels
from engine.scoring import RepScore, Targets, blended_need, total_score, winner_index

GEO = 0.05


def colliding_counts(target: float) -> tuple[float, float]:
    """Two running account counts whose needs differ by one ulp but whose totals with the geo
    bonus round to the same float64 (found by a search; checked here)."""
    count = 1.5648906005043584
    lower = math.nextafter(count, 0.0)
    low_need, high_need = (target - count) / target, (target - lower) / target
    assert low_need < high_need and total_score(low_need, GEO) == total_score(high_need, GEO)
    return count, lower


def test_location_tree_leader_loses_exact_tie_to_rep_with_lower_arr():
    """Rep 1's need is one ulp below rep 0's, their geo totals are equal and rep 1 has the lower
    current ARR, so the spec gives rep 1 the account. The location has more reps than
    GROUP_SCAN_MAX, so only the runner-up check can find rep 1."""
    n_reps = kernels.GROUP_SCAN_MAX + 4
    target = 3.0
    more, fewer = colliding_counts(target)
    c_cnt = np.full(n_reps, 2.9)
    c_cnt[0], c_cnt[1] = fewer, more          # rep 0 neediest, rep 1 one ulp behind
    c_arr = np.full(n_reps, 500.0)
    c_arr[0], c_arr[1] = 100.0, 50.0
    weights = (0.0, 1.0, 0.0)
    scores = []
    for j in range(n_reps):
        blended = blended_need(weights, Targets(1e9, target, 0.0), c_arr[j], c_cnt[j], 0.0)
        scores.append(RepScore(j, c_arr[j], 0, 0.0, blended, GEO, 0.0, total_score(blended, GEO)))
    expected = winner_index(scores)
    assert expected == 1
    winners = np.empty(1, dtype=np.int64)
    no_cap = np.full(n_reps, np.inf)
    segment = kernels.SegmentArrays(
        arr=np.array([10.0]), high=np.array([False]), group=np.array([0]), owner=np.array([-1]),
        preset=np.array([kernels.FREE]), rep_group=np.zeros(n_reps, dtype=np.int64), group_start=np.array([0, n_reps]),
        group_reps=np.arange(n_reps), max_accounts=no_cap, max_arr=no_cap, ramp=np.full(n_reps, 100.0))
    targets = np.array([[1e9] * n_reps, [target] * n_reps, [0.0] * n_reps])
    kernels.greedy_segment(segment, kernels.Prefs(*weights, GEO, 0.0), targets,
                           kernels.Books(c_arr, c_cnt, np.zeros(n_reps)), winners)
    assert winners[0] == expected
