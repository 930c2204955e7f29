"""engine.lockstep: many weight triples in lockstep score exactly as one greedy per triple."""
import subprocess
import sys
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from engine import lockstep
from engine.allocation import effective_settings, segments_at
from engine.optimize import weight_triples

from .conftest import load
from .test_properties import datasets, ruled_datasets, user_settings

ROOT = Path(__file__).resolve().parent.parent


def assert_lockstep_equals_one_greedy_per_triple(d, s, size, step):
    s = effective_settings(d, s)
    prefs = s.preferences
    weights = weight_triples(d.has_risk)[::step] / 100.0
    for inputs in segments_at(d, s):  # reps or accounts may be missing
        fast = lockstep.balanced_for_weights(weights, inputs.arrays, prefs.geo, prefs.preserve, inputs.targets,
                                             d.has_risk, size)
        np.testing.assert_array_equal(fast, lockstep.balanced_for_weights_reference(weights, inputs, prefs,
                                                                                    d.has_risk))


@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(datasets(), user_settings(), st.integers(1, 4), st.sampled_from([1, 7, 37]))
def test_lockstep_scores_equal_one_greedy_per_triple(data, s, size, step):
    """Bit for bit (NaN where the greedy's score is NaN), for any block size and any number of
    triples, a whole group of LANES or not; the data have many exact ties."""
    assert_lockstep_equals_one_greedy_per_triple(load(*data), s, size, step)


@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ruled_datasets(), user_settings(), st.integers(1, 4), st.sampled_from([1, 7, 37]))
def test_with_rules_lockstep_scores_equal_one_greedy_per_triple(data, s, size, step):
    """Locks, held accounts, ramps and caps (reps left out for room and let back in)."""
    d, rules = data
    assert_lockstep_equals_one_greedy_per_triple(d, s.with_rules(rules), size, step)


def test_block_size_grows_with_the_square_root_of_the_reps():
    assert [lockstep.block_size(n) for n in (1, 24, 36, 160, 240, 2000)] == [1, 1, 1, 3, 3, 10]


def test_the_optimize_bench_prints_every_kernel_with_the_same_scores():
    done = subprocess.run([sys.executable, "bench/optimize.py", "--sizes", "500/10", "--step", "50", "--repeat", "1"],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    rows = [line.split(" | ") for line in done.stdout.splitlines() if line.startswith("| 500 / 10 |")]
    assert len(rows) == 2 * 6  # two segments: the per-triple greedy and five block sizes
    assert all(cells[-1].strip(" |") == "yes" for cells in rows), done.stdout
    assert sum("(chosen)" in cells[3] for cells in rows) == 2
