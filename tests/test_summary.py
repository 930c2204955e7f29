"""KPIs and the rep / account tables the Slicer page shows."""
import math

import numpy as np

from engine import ENTERPRISE, MID_MARKET, allocate
from engine.summary import (
    TOTAL,
    account_table,
    rep_summary,
    segment_best_scores,
    segment_kpis,
    segment_spreads,
)

from .conftest import account, load, rep, settings


def small():
    reps = [rep("Ann", "Enterprise", "CA"), rep("Bo", "Enterprise", "NY"), rep("Cy", "Mid-Market", "CA")]
    accounts = [account("A1", 900, 5000, "CA", "Ann", 90), account("A2", 600, 5000, "NY", "Ann", 10),
                account("A3", 500, 5000, "TX", "Gone", 75), account("A4", 40, 10, "CA", "", 5)]
    return load(accounts, reps)


def test_segment_kpis_and_total():
    dataset = small()
    kpis = segment_kpis(allocate(dataset, settings(threshold=1000)))
    e, m, t = kpis[ENTERPRISE], kpis[MID_MARKET], kpis[TOTAL]
    assert (e.arr, e.accounts, e.reps) == (2000, 3, 2)
    assert (m.arr, m.accounts, m.reps) == (40, 1, 1)
    assert (t.arr, t.accounts, t.reps) == (2040, 4, 3)
    assert e.arr_per_rep == 1000 and e.accounts_per_rep == 1.5 and math.isclose(e.average_deal, 2000 / 3)


def test_ratios_are_none_without_a_denominator():
    kpis = segment_kpis(allocate(small(), settings(threshold=100_000)))
    assert kpis[ENTERPRISE].average_deal is None and kpis[ENTERPRISE].arr_per_rep == 0
    no_reps = load([account("A1", 10, 5000)], [rep("Cy", "Mid-Market")])
    enterprise = segment_kpis(allocate(no_reps, settings(threshold=1000)))[ENTERPRISE]
    assert enterprise.arr_per_rep is None and enterprise.accounts_per_rep is None


def test_rep_summary_counts_geo_matches_and_kept_owners():
    dataset = small()
    allocation = allocate(dataset, settings(threshold=1000))
    table = rep_summary(dataset, allocation).set_index("Rep")
    names = allocation.assigned_names(dataset)
    for rep_name, row in table.iterrows():
        mine = [i for i, n in enumerate(names) if n == rep_name]
        assert row["Accounts"] == len(mine)
        assert row["ARR"] == sum(dataset.arr[i] for i in mine)
        geo = sum(dataset.location[i] == row["Location"] for i in mine)
        kept = sum(dataset.original_rep[i] == rep_name for i in mine)
        high = sum(dataset.arr[i] for i in mine if dataset.risk[i] >= 70)
        assert row["High_Risk_ARR"] == high
        if mine:
            assert math.isclose(row["Geo_Match_Pct"], 100 * geo / len(mine))
            assert math.isclose(row["Preserved_Pct"], 100 * kept / len(mine))
        else:
            assert np.isnan(row["Geo_Match_Pct"]) and np.isnan(row["Average_Deal"])
    assert table["ARR"].sum() == dataset.arr.sum()


def test_account_table_marks_changed_owners_in_input_order():
    dataset = small()
    allocation = allocate(dataset, settings(threshold=1000))
    table = account_table(dataset, allocation)
    assert list(table["Account_ID"]) == ["A1", "A2", "A3", "A4"]
    expected = [a != o for a, o in zip(table["Assigned_Rep"], table["Original_Rep"])]
    assert list(table["Changed"]) == expected


def test_an_unassigned_account_with_a_named_owner_has_changed():
    dataset = load([account("A1", 10, 5000, "CA", "Gone")], [rep("Cy", "Mid-Market", "CA")])
    table = account_table(dataset, allocate(dataset, settings(threshold=1000)))
    assert table["Assigned_Rep"][0] == "" and bool(table["Changed"][0])


def test_rep_summary_says_how_far_each_book_is_from_its_target():
    dataset = small()
    table = rep_summary(dataset, allocate(dataset, settings(threshold=1000))).set_index("Rep")
    enterprise = table.loc[["Ann", "Bo"]]
    assert np.allclose(enterprise["ARR_vs_Target_Pct"], (enterprise["ARR"] - 1000) / 1000 * 100)
    assert np.allclose(enterprise["Accounts_vs_Target_Pct"], (enterprise["Accounts"] - 1.5) / 1.5 * 100)
    assert table.loc["Cy", "ARR_vs_Target_Pct"] == 0.0


def test_segment_spreads_and_best_scores():
    dataset = small()
    allocation = allocate(dataset, settings(threshold=1000))
    segment = allocation.segments[ENTERPRISE]
    spreads = segment_spreads(segment, dataset.has_risk)
    books = sorted(segment.rep_arr)
    assert spreads["arr"].max_min == books[1] / books[0]
    assert spreads["accounts"].in_band_15 == 0.0  # books of 1 and 2 accounts against 1.5 each
    best = segment_best_scores(dataset, allocation, ENTERPRISE)
    assert best["accounts"] == segment.fairness.accounts  # 3 accounts over 2 reps: 2 and 1 is the best
    assert segment.fairness.arr <= best["arr"] <= 100.0
    assert best["risk"] == 100 - 100 * 200 / 700  # high-risk A1 and A3 on their own: books 900 and 500
