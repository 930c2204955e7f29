"""ALLOCATION.md §4: exhaustive search, tie rules, and the fast search against the plain one."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings

from engine import Weights, allocate
from engine.optimize import best_triple, optimize_weights, optimize_weights_reference, weight_triples
from engine.progress import Cancelled

from .conftest import load, rep, settings
from .test_properties import datasets, user_settings


def test_triple_counts():
    assert len(weight_triples(True)) == 5151
    assert len(weight_triples(False)) == 101
    assert (weight_triples(True).sum(axis=1) == 100).all()
    assert (weight_triples(False)[:, 2] == 0).all()


def test_ties_go_to_closest_to_current_weights():
    triples = np.array([[100, 0, 0], [50, 50, 0], [34, 33, 33], [0, 0, 100]])
    scores = np.array([90.0, 90.0 + 5e-10, 80.0, 90.0])
    assert best_triple(triples, scores, Weights(40, 40, 20)) == 1


def test_equal_distance_ties_prefer_larger_arr_then_larger_accounts():
    triples = np.array([[30, 40, 30], [40, 30, 30], [40, 40, 20], [40, 20, 40]])
    scores = np.full(4, 70.0)
    # Distances from 35/35/30: 10, 10, 20, 20 → the two at 10 tie → larger ARR weight wins.
    assert best_triple(triples, scores, Weights(35, 35, 30)) == 1
    triples = np.array([[40, 20, 40], [40, 40, 20]])
    assert best_triple(triples, np.full(2, 70.0), Weights(40, 30, 30)) == 1


def test_clear_winner_beats_closeness():
    triples = np.array([[34, 33, 33], [0, 100, 0]])
    assert best_triple(triples, np.array([80.0, 80.1]), Weights(34, 33, 33)) == 1


def test_a_threshold_where_overall_is_na_for_every_triple_recommends_nothing(fixture12):
    result = optimize_weights(fixture12, settings(threshold=700, weights=(20, 30, 50)))  # Mid-Market idle
    assert not result.success and "N/A" in result.message and "threshold" in result.message
    assert result.weights == Weights(20, 30, 50) and result.balanced.overall is None


def test_result_reports_recommended_and_current(fixture12):
    s = settings(threshold=5000, weights=(33, 33, 34))
    result = optimize_weights(fixture12, s)
    assert result.evaluated == 5151
    assert result.current_weights == Weights(33, 33, 34)
    assert result.current.overall == allocate(fixture12, s).overall_balanced
    assert result.balanced.overall >= result.current.overall
    assert result.balanced.overall == allocate(fixture12, s.with_weights(result.weights)).overall_balanced


def test_missing_risk_searches_101_triples():
    header = ["Account_ID", "Account_Name", "Original_Rep", "ARR", "Num_Employees", "Location"]
    d = load([["A1", "n", "", 100, 10, "X"], ["A2", "n", "", 50, 10, "X"]], [rep("R1"), rep("R2")],
             account_header=header)
    result = optimize_weights(d, settings())
    assert result.evaluated == 101 and result.weights.risk == 0


@hsettings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(datasets(), user_settings())
def test_fast_search_finds_the_exhaustive_reference_optimum(data, s):
    d = load(*data)
    fast, slow = optimize_weights(d, s), optimize_weights_reference(d, s)
    assert fast.weights == slow.weights
    assert fast.balanced == slow.balanced


def test_progress_reports_fractions_and_can_cancel(fixture12):
    seen = []
    optimize_weights(fixture12, settings(threshold=5000), progress=seen.append)
    assert seen[-1] == 1.0 and seen == sorted(seen) and len(seen) > 1
    with pytest.raises(Cancelled):
        optimize_weights(fixture12, settings(threshold=5000), progress=lambda fraction: False)
