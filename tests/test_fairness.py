"""ALLOCATION.md §3: CV%, driver scores, composites, overall and colour bands."""
import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import settings as settings_
from hypothesis import strategies as st

from engine import allocate
from engine.fairness import (
    band,
    best_score,
    cv_percent,
    driver_spread,
    gini,
    overall,
    score_from_cv,
    segment_fairness,
    weighted_composite,
)
from engine.settings import Weights

from .conftest import account, load, rep, settings


@pytest.mark.parametrize("values, expected", [
    ([100, 200], 33.333), ([50, 100, 150], 40.825), ([1, 2, 3, 4, 5], 47.140)])
def test_cv_worked_examples(values, expected):
    assert cv_percent(values) == pytest.approx(expected, abs=5e-4)


def test_cv_is_na_for_zero_mean_or_no_reps():
    assert cv_percent([0, 0, 0]) is None
    assert cv_percent([]) is None


def test_score_is_clamped():
    assert score_from_cv(150.0) == 0.0
    assert score_from_cv(0.0) == 100.0
    assert score_from_cv(None) is None


def test_custom_and_balanced_worked_examples():
    assert weighted_composite((90, 80, 70), Weights(33, 33, 34).fractions()) == pytest.approx(79.9)
    assert weighted_composite((90, 80, None), (1.0, 1.0, 1.0)) == 85


def test_na_driver_renormalises_and_all_na_is_na():
    assert weighted_composite((90, None, None), (0.2, 0.8, 0.0)) == 90
    assert weighted_composite((None, None, None), (1.0, 1.0, 1.0)) is None
    assert weighted_composite((90, 80, None), (0.0, 0.0, 1.0)) is None


def test_overall_is_the_mean_of_the_composites_and_na_when_either_is():
    assert overall([80.0, 90.0]) == 85.0
    assert overall([None, 90.0]) is None
    assert overall([None, None]) is None


@pytest.mark.parametrize("score, colour", [
    (100, "dark green"), (94, "dark green"), (93.9, "light green"), (88, "light green"),
    (87.9, "yellow"), (82, "yellow"), (81.9, "orange"), (75, "orange"), (74.9, "red"), (0, "red"),
    (None, "grey")])
def test_bands(score, colour):
    assert band(score) == colour


def test_reps_with_nothing_count_and_risk_na_without_high_risk_accounts():
    d = load([account("A1", 100, risk=10), account("A2", 100, risk=20)],
             [rep("R1"), rep("R2"), rep("R3")])
    f = allocate(d, settings(weights=(100, 0, 0), geo=0, preserve=0)).segments["Enterprise"].fairness
    assert f.cv_arr == pytest.approx(cv_percent([100, 100, 0]))
    assert f.risk is None  # no high-risk accounts: mean 0
    assert f.balanced == pytest.approx((f.arr + f.accounts) / 2)


def test_a_team_left_idle_makes_overall_na():
    """§3: a threshold that idles a whole team never scores better than a real split."""
    d = load([account("A1", 100, employees=10)], [rep("E", "Enterprise"), rep("M", "MM")])
    a = allocate(d, settings(threshold=1000))
    assert a.segments["Enterprise"].fairness.balanced is None  # reps but no accounts
    assert a.segments["Mid-Market"].fairness.balanced is not None
    assert a.overall_balanced is None and a.overall_custom is None


def test_a_segment_with_neither_reps_nor_accounts_takes_no_part_in_overall():
    d = load([account("A1", 100, employees=10), account("A2", 50, employees=10)], [rep("E1"), rep("E2")])
    a = allocate(d, settings(threshold=1))
    assert len(a.segments["Mid-Market"].reps) == len(a.segments["Mid-Market"].accounts) == 0
    assert a.overall_balanced == a.segments["Enterprise"].fairness.balanced


def test_segment_fairness_custom_uses_user_weights():
    f = segment_fairness([100, 200], [1, 1], [0, 0], Weights(50, 50, 0), True)
    assert f.custom == pytest.approx((f.arr + 100.0) / 2)


def test_the_banner_names_the_idle_reps_and_says_overall_is_na():
    d = load([account("A1", 100, employees=10)], [rep("Eve", "Enterprise"), rep("Ed", "Enterprise"), rep("M", "MM")])
    (warning,) = [w for w in allocate(d, settings(threshold=1000)).warnings if "idle" in w]
    assert warning == ("No Enterprise accounts at threshold 1,000: 2 Enterprise reps sit idle (Ed, Eve), so Overall "
                       "fairness is N/A. Choose a threshold that gives both segments accounts.")


# --- the measures finance teams use besides CV% (issue 15) ---------------------------------

@pytest.mark.parametrize("values, expected", [([5, 5, 5, 5], 0.0), ([0, 0, 0, 10], 0.75), ([1, 3], 0.25)])
def test_gini_worked_examples(values, expected):
    assert gini(values) == pytest.approx(expected)


def test_gini_is_na_without_anything_to_spread():
    assert gini([]) is None and gini([0, 0]) is None


def test_spread_worked_example():
    s = driver_spread([100, 80, 120], [100, 100, 100])
    assert s.max_min == pytest.approx(1.5)
    assert s.worst_deviation == pytest.approx(20.0)
    assert s.in_band_15 == pytest.approx(100 / 3)
    assert s.gini == pytest.approx(160 / (2 * 9 * 100))  # the absolute differences over ordered pairs sum to 160


def test_spread_counts_a_rep_exactly_15_percent_off_as_in_band_and_an_empty_book_has_no_ratio():
    s = driver_spread([115, 85, 0, 200], [100, 100, 100, 100])
    assert s.in_band_15 == pytest.approx(50.0)
    assert s.max_min is None


def test_spread_of_ramping_reps_compares_each_with_its_own_target():
    s = driver_spread([50, 100], [50, 100], ramp=np.array([50.0, 100.0]))
    assert (s.gini, s.max_min, s.worst_deviation, s.in_band_15) == (0.0, 1.0, 0.0, 100.0)


def test_best_score_worked_example_of_pages_md():
    """PAGES.md §1: 40 accounts over 18 reps cannot score above 81.3 on accounts."""
    assert best_score(np.ones(40), 18) == pytest.approx(81.29, abs=0.005)


def test_best_score_cannot_split_a_big_account():
    # {100} against {10, 10}: books 100 and 20, CV 66.7%
    assert best_score([100, 10, 10], 2) == pytest.approx(100 - 200 / 3)


def test_best_score_with_fewer_accounts_than_reps_leaves_reps_empty():
    assert best_score([10, 10], 4) == pytest.approx(0.0)  # books 10, 10, 0, 0: CV 100%
    assert best_score([], 3) is None and best_score([5], 0) is None


def _best_by_brute_force(values, n_reps):
    best = None
    for owners in itertools.product(range(n_reps), repeat=len(values)):
        score = score_from_cv(cv_percent(np.bincount(owners, weights=values, minlength=n_reps)))
        best = score if best is None else max(best, score)
    return best


@settings_(max_examples=150, deadline=None)
@given(st.lists(st.integers(1, 1000), min_size=1, max_size=7), st.integers(1, 3))
def test_no_split_of_the_accounts_beats_the_best_score(values, n_reps):
    values = np.array(values, dtype=np.float64)
    assert _best_by_brute_force(values, n_reps) <= best_score(values, n_reps) + 1e-9


@settings_(max_examples=60, deadline=None)
@given(st.integers(1, 8), st.integers(1, 3))
def test_best_score_of_counts_is_reached(n_accounts, n_reps):
    ones = np.ones(n_accounts)
    assert best_score(ones, n_reps) == pytest.approx(_best_by_brute_force(ones, n_reps))
