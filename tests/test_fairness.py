"""ALLOCATION.md §3: CV%, driver scores, composites, overall and colour bands."""
import pytest

from engine import allocate
from engine.fairness import band, cv_percent, overall, score_from_cv, segment_fairness, weighted_composite
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
