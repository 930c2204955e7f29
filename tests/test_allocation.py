"""ALLOCATION.md §1–§2: segmentation and the weighted greedy, with the spec's worked examples."""
import numpy as np
import pytest

from engine import allocate, allocate_reference
from engine.dataset import default_threshold, slider_range, slider_stops
from engine.scoring import total_score

from .conftest import account, load, rep, settings

BOTH_PATHS = pytest.mark.parametrize("run", [allocate, allocate_reference], ids=["fast", "reference"])
NO_BONUS = {"geo": 0.0, "preserve": 0.0}


def names(dataset, allocation):
    return allocation.assigned_names(dataset)


@BOTH_PATHS
def test_example_1_full_tie_goes_alphabetical(run):
    d = load([account("A1", 100_000, location="WA", owner="Zed")],
             [rep("Charlie", location="TX"), rep("Alice", location="CA"), rep("Bob", location="NY")])
    assert names(d, run(d, settings())) == ["Alice"]


@BOTH_PATHS
def test_example_2_tie_broken_by_lower_current_arr(run):
    d = load([account(f"A{i}", arr) for i, arr in enumerate([400, 300, 200, 100])],
             [rep("A"), rep("B")])
    assert names(d, run(d, settings(weights=(0, 100, 0), **NO_BONUS))) == ["A", "B", "B", "A"]


@BOTH_PATHS
def test_example_3_arr_only_weights(run):
    d = load([account(f"A{i}", arr) for i, arr in enumerate([500, 400, 300, 200, 150, 100])],
             [rep("RepA"), rep("RepB"), rep("RepC")])
    a = run(d, settings(weights=(100, 0, 0), **NO_BONUS))
    assert names(d, a) == ["RepA", "RepB", "RepC", "RepC", "RepB", "RepA"]
    assert list(a.segments["Enterprise"].rep_arr) == [600, 550, 500]


@BOTH_PATHS
def test_example_4_segment_without_reps_keeps_accounts_unassigned(run):
    d = load([account("E1", 100, employees=5000), account("M1", 100, employees=10)],
             [rep("Ent", segment="Enterprise")])
    a = run(d, settings(threshold=1000))
    assert names(d, a) == ["Ent", ""]
    assert a.segments["Mid-Market"].unassigned == 1
    assert any("no reps" in w for w in a.warnings)


@BOTH_PATHS
def test_example_5_geo_match_is_trimmed_and_case_insensitive(run):
    d = load([account("A1", 100, location=" CA ")], [rep("Alice", location="NY"), rep("Bob", location="ca")])
    assert names(d, run(d, settings(preserve=0.0))) == ["Bob"]


@BOTH_PATHS
def test_example_6_preserve_is_case_insensitive(run):
    d = load([account("A1", 100, owner="bob")], [rep("Alice"), rep("Bob")])
    assert names(d, run(d, settings(geo=0.0))) == ["Bob"]


@BOTH_PATHS
def test_example_7_risk_only_weights(run):
    d = load([account("A1", 100, risk=70), account("A2", 90, risk=69), account("A3", 80, risk=70)],
             [rep("H1"), rep("H2")])
    a = run(d, settings(weights=(0, 0, 100), **NO_BONUS))
    assert names(d, a) == ["H1", "H2", "H2"]
    assert list(a.segments["Enterprise"].targets[2]) == [90.0, 90.0]


def test_example_8_sign_aware_totals():
    assert total_score(0.25, 0.05 + 0.05) == pytest.approx(0.275, abs=1e-15)
    assert total_score(0.27, 0.0) == 0.27
    assert total_score(-0.20, 0.05) == pytest.approx(-0.19, abs=1e-15)
    assert total_score(0.123456789, 0.0) == 0.123456789


@BOTH_PATHS
def test_fixture12_known_answer(run, fixture12):
    a = run(fixture12, settings(threshold=5000, weights=(33, 33, 34)))
    assert names(fixture12, a) == [
        "Bob Smith", "Bob Smith", "Carol Williams", "Carol Williams", "Alice Johnson", "Alice Johnson",
        "David Brown", "Eve Davis", "David Brown", "David Brown", "Eve Davis", "Frank Miller"]


def test_account_at_threshold_is_enterprise():
    d = load([account("A1", 100, employees=2750), account("A2", 100, employees=2749)],
             [rep("E", "Enterprise"), rep("M", "Mid-Market")])
    a = allocate(d, settings(threshold=2750))
    assert a.segment_names() == ["Enterprise", "Mid-Market"]
    assert names(d, a) == ["E", "M"]


def test_reps_only_get_accounts_of_their_segment():
    d = load([account(f"A{i}", 100 + i, employees=e) for i, e in enumerate([10, 5000, 20, 6000])],
             [rep("E1", "Ent"), rep("M1", "MM"), rep("M2", "mid market")])
    assert names(d, allocate(d, settings(threshold=1000))) == ["M2", "E1", "M1", "E1"]


def test_equal_arr_processed_by_account_id_in_plain_string_order():
    # Plain string order: "A10" < "A9", and upper case before lower case.
    d = load([account("A9", 100), account("a1", 100), account("A10", 100)], [rep("R1"), rep("R2"), rep("R3")])
    a = allocate(d, settings(weights=(0, 100, 0), **NO_BONUS))
    order = [d.account_id[i] for i in a.segments["Enterprise"].accounts]
    assert order == ["A10", "A9", "a1"]
    assert names(d, a) == ["R2", "R3", "R1"]


def test_rep_name_ties_use_casefold_then_raw_name():
    d = load([account("A1", 100)], [rep("bob"), rep("Bob2"), rep("alice")])
    assert names(d, allocate(d, settings())) == ["alice"]


def test_blank_risk_is_not_high_risk():
    d = load([account("A1", 100, risk=""), account("A2", 50, risk=95)], [rep("R")])
    a = allocate(d, settings())
    assert list(a.high_risk) == [False, True]
    assert list(a.segments["Enterprise"].targets[2]) == [50.0]


def test_missing_risk_column_forces_risk_weight_to_zero():
    header = ["Account_ID", "Account_Name", "Original_Rep", "ARR", "Num_Employees", "Location"]
    d = load([["A1", "n", "", 100, 10, "X"]], [rep("R")], account_header=header)
    assert not d.has_risk
    a = allocate(d, settings(weights=(34, 33, 33)))
    assert a.settings.weights.as_list() == [51, 49, 0]
    assert a.segments["Enterprise"].fairness.risk is None


def with_employees(*counts, reps=None):
    reps = reps or [rep("E1"), rep("M1", "MM")]
    return load([account(f"A{i}", 100, employees=n) for i, n in enumerate(counts)], reps)


def test_slider_stops_are_logarithmic_from_the_smallest_to_the_largest_count():
    assert list(slider_stops(np.array([450.0, 1200.0, 2600.0, 53_001.0]))) == [
        300, 500, 700, 1000, 2000, 3000, 5000, 7000, 10_000, 20_000, 30_000, 50_000, 70_000]
    assert slider_range(np.array([2.0, 5.0, 100.0])) == (2, 100)          # a reseller list
    assert slider_range(np.array([51.0, 2_000_000.0])) == (50, 2_000_000)  # the Fortune 500
    assert slider_range(np.array([0.0, 0.4])) == (1, 1)                    # at least 1


def test_default_threshold_is_the_stop_nearest_the_median_on_a_log_scale():
    assert default_threshold(with_employees(450, 1200, 2600, 53_001)) == 2000  # median 1,900
    assert default_threshold(with_employees(2, 3, 5, 8, 10, 20, 40, 60, 100)) == 10
    assert default_threshold(with_employees(1400)) == 1000   # log 3.15 is nearer 3.0 than 3.30
    assert default_threshold(with_employees(1500)) == 2000   # log 3.18 is nearer 3.30 than 3.0


def test_default_threshold_never_idles_a_team_when_a_stop_avoids_it():
    # The median (100) is the smallest count: at 100 every account is Enterprise and the
    # Mid-Market rep would sit idle; 200 is the nearest stop that gives both teams accounts.
    assert default_threshold(with_employees(100, 100, 100, 5000)) == 200
    # Without Mid-Market reps nobody idles at 100.
    assert default_threshold(with_employees(100, 100, 100, 5000, reps=[rep("E1")])) == 100
    # No stop gives both segments an account: the first rule's stop stays.
    assert default_threshold(with_employees(70, 70)) == 70


def test_arr_conserved_and_targets_per_segment(fixture12):
    a = allocate(fixture12, settings(threshold=5000))
    ent = a.segments["Enterprise"]
    assert ent.targets[0] == pytest.approx([3_280_000 / 3] * 3)
    assert list(ent.targets[1]) == [2.0] * 3
    assert sum(s.rep_arr.sum() for s in a.segments.values()) == fixture12.arr.sum()


def test_a_reseller_book_of_2_to_100_employees_gets_a_threshold_that_idles_no_team():
    """The issue's case: accounts of 2–100 employees, nine reps on each side; the old default of 0
    made everything Enterprise and left the Mid-Market team idle."""
    counts = [2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40, 50, 60, 80, 100]
    reps = [rep(f"E{i}") for i in range(9)] + [rep(f"M{i}", "MM") for i in range(9)]
    d = with_employees(*counts, reps=reps)
    assert list(slider_stops(d.employees)) == [2, 3, 5, 7, 10, 20, 30, 50, 70, 100]
    threshold = default_threshold(d)
    a = allocate(d, settings(threshold=threshold))
    assert threshold == 20 and all(len(s.accounts) for s in a.segments.values())
    assert a.overall_balanced is not None and not [w for w in a.warnings if "idle" in w]


def test_the_fortune_500_range_from_51_to_2_million_employees():
    d = with_employees(51, 120, 900, 4_000, 30_000, 250_000, 2_000_000)
    stops = slider_stops(d.employees)
    assert (stops[0], stops[-1], len(stops)) == (50, 2_000_000, 24)  # 50, 70, 100, 200 … 1,000,000, 2,000,000
    assert default_threshold(d) == 5000  # the median 4,000 is nearer 5,000 than 3,000 on a log scale
