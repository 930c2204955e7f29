"""Before/after comparison: books per rep, the KPI improvement table, account movements."""
import math

import numpy as np
import pytest

from engine import allocate
from engine.comparison import (
    NO_OWNER,
    NOT_A_REP,
    UNASSIGNED,
    allocation_side,
    kpi_changes,
    movements,
    rep_books,
)
from engine.fairness import cv_percent
from engine.rules import Rules

from .conftest import account, load, load_ruled, rep, ruled_account, ruled_rep, settings


def small():
    reps = [rep("Ann", "Enterprise", "CA"), rep("Bo", "Enterprise", "NY"), rep("Cy", "Mid-Market", "CA")]
    accounts = [account("A1", 900, 5000, "CA", "Ann", 90), account("A2", 600, 5000, "NY", "Ann", 10),
                account("A3", 500, 5000, "TX", "Gone", 75), account("A4", 40, 10, "CA", "Cy", 5),
                account("A5", 30, 10, "NY", "", 5)]
    return load(accounts, reps)


def test_books_name_every_owner_and_conserve_the_segment():
    dataset = small()
    allocation = allocate(dataset, settings(threshold=1000))
    books = rep_books(dataset, allocation, "Enterprise").set_index("Rep")
    assert list(books.index[:2]) == ["Ann", "Bo"]  # the segment's reps first
    assert books.loc["Ann", "ARR_Before"] == 1500 and books.loc["Ann", "Accounts_Before"] == 2
    assert books.loc["Bo", "ARR_Before"] == 0
    assert books.loc["Gone" + NOT_A_REP, "ARR_Before"] == 500 and not books.loc["Gone" + NOT_A_REP, "Segment_Rep"]
    assert books["ARR_Before"].sum() == books["ARR_After"].sum() == 2000
    assert books["Accounts_Before"].sum() == books["Accounts_After"].sum() == 3
    mid = rep_books(dataset, allocation, "Mid-Market").set_index("Rep")
    assert mid.loc[NO_OWNER, "Accounts_Before"] == 1 and mid.loc["Cy", "Accounts_After"] == 2


def test_unassigned_accounts_are_listed_not_dropped():
    dataset = load([account("A1", 10, 5000, "CA", "Gone")], [rep("Cy", "Mid-Market", "CA")])
    books = rep_books(dataset, allocate(dataset, settings(threshold=1000)), "Enterprise").set_index("Rep")
    assert books.loc[UNASSIGNED, "ARR_After"] == 10 and books.loc["Gone" + NOT_A_REP, "ARR_Before"] == 10


def test_kpi_changes_match_hand_computed_values():
    dataset = small()
    allocation = allocate(dataset, settings(threshold=1000))
    changes = {(c.segment, c.name): c for c in kpi_changes(dataset, allocation)}
    arr = changes[("Enterprise", "ARR CV%")]
    assert math.isclose(arr.before, cv_percent([1500, 0]))
    e = allocation.segments["Enterprise"]
    assert math.isclose(arr.after, cv_percent(e.rep_arr))
    geo = changes[("Enterprise", "Geo match %")]
    names = allocation.assigned_names(dataset)
    rep_location = {"Ann": "CA", "Bo": "NY"}
    matched = sum(rep_location[names[i]] == dataset.location[i] for i in range(3))
    assert math.isclose(geo.before, 100 * 1 / 3) and math.isclose(geo.after, 100 * matched / 3)
    kept = changes[("Enterprise", "Accounts kept with their owner")]
    assert kept.before == 2 and kept.after == sum(names[i] == "Ann" for i in range(2))


def test_improved_follows_the_good_direction():
    dataset = small()
    changes = kpi_changes(dataset, allocate(dataset, settings(threshold=1000)))
    for change in changes:
        if change.change:
            assert change.improved == ((change.change < 0) == (change.better == "lower"))
        else:
            assert change.improved is None


def test_no_risk_column_drops_the_high_risk_line():
    header = ["Account_ID", "Account_Name", "Original_Rep", "ARR", "Num_Employees", "Location"]
    dataset = load([account("A1", 10, 5000, "CA", "Ann")[:-1]], [rep("Ann")], account_header=header)
    names = {c.name for c in kpi_changes(dataset, allocate(dataset, settings(threshold=1000)))}
    assert "High-risk ARR CV%" not in names and "ARR CV%" in names


def test_movements_are_the_accounts_that_change_owner(fixture12):
    allocation = allocate(fixture12, settings(threshold=5000, weights=(33, 33, 34)))
    moved = movements(fixture12, allocation)
    names = allocation.assigned_names(fixture12)
    expected = [i for i in range(fixture12.n_accounts) if names[i] != fixture12.original_rep[i]]
    assert list(moved["Account_ID"]) == list(np.asarray(fixture12.account_id)[expected])
    assert list(moved["To"]) == [names[i] for i in expected]


def test_held_accounts_show_as_held_and_ramping_reps_on_full_books():
    accounts = [ruled_account("X", 500, owner="A"), *[ruled_account(f"S{i}", 300, owner="B") for i in range(3)]]
    d = load_ruled(accounts, [ruled_rep("A", ramp=50), ruled_rep("B")])
    a = allocate(d, settings(weights=(100, 0, 0), geo=0.0, preserve=0.0, rules=Rules(review_arr_at_least=450)))
    moved = movements(d, a)
    assert moved.loc[moved["Account_ID"] == "X", "To"].tolist() == ["(held for review)"]
    books = rep_books(d, a, "Enterprise")
    assert "(held for review)" in books["Rep"].tolist()
    arr_cv = next(k for k in kpi_changes(d, a) if k.name == "ARR CV%")
    assert arr_cv.after == pytest.approx(a.segments["Enterprise"].fairness.cv_arr)


def test_an_allocation_compared_with_itself_changes_nothing(demo):
    """Issue 16: either side may be a saved scenario or the current settings."""
    allocation = allocate(demo, settings(threshold=1000))
    same = allocation_side(demo, allocation)
    assert movements(demo, allocation, same).empty
    assert all(change.change in (0, None) for change in kpi_changes(demo, allocation, same))
    books = rep_books(demo, allocation, "Enterprise", same)
    assert (books["ARR_Before"] == books["ARR_After"]).all()


def test_two_allocations_compared_account_by_account(demo):
    before = allocate(demo, settings(threshold=2000))
    after = allocate(demo, settings(threshold=1000, weights=(100, 0, 0)))
    side = allocation_side(demo, before)
    moved = movements(demo, after, side)
    differ = before.assigned != after.assigned
    assert len(moved) == int(differ.sum())
    assert list(moved["From"]) == [name or "(unassigned)" for name, d in
                                   zip(before.assigned_names(demo), differ) if d]
    kept = next(c for c in kpi_changes(demo, after, side)
                if c.segment == "Enterprise" and c.name == "Accounts kept with their owner")
    enterprise = after.enterprise
    assert kept.after == int(((after.assigned == before.assigned) & (before.assigned >= 0) & enterprise).sum())
    for segment in ("Enterprise", "Mid-Market"):
        books = rep_books(demo, after, segment, side)
        in_segment = after.enterprise if segment == "Enterprise" else ~after.enterprise
        assert books["ARR_Before"].sum() == pytest.approx(demo.arr[in_segment].sum())
        assert books["Accounts_Before"].sum() == int(in_segment.sum())
