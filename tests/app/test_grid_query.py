"""Server-side filter, sort and paging for the account grid."""
import numpy as np
import pandas as pd
import pytest

from app.grid_query import MAX_BLOCK, query_rows

FRAME = pd.DataFrame({
    "Account_ID": ["a3", "A1", "b2", "c4"],
    "Name": ["Zed", "alpha", "Beta", ""],
    "ARR": [300.0, 100.0, 200.0, 50.0],
    "Risk": [np.nan, 10.0, 80.0, 70.0],
})


def ids(request: dict) -> list[str]:
    rows, _ = query_rows(FRAME, {"startRow": 0, "endRow": 100, **request})
    return [r["Account_ID"] for r in rows]


def test_blocks_and_total_count():
    rows, total = query_rows(FRAME, {"startRow": 1, "endRow": 3})
    assert [r["Account_ID"] for r in rows] == ["A1", "b2"] and total == 4


def test_nan_travels_as_null():
    rows, _ = query_rows(FRAME, {"startRow": 0, "endRow": 1})
    assert rows[0]["Risk"] is None and rows[0]["ARR"] == 300.0


def test_sort_numbers_descending_and_text_case_insensitive():
    assert ids({"sortModel": [{"colId": "ARR", "sort": "desc"}]}) == ["a3", "b2", "A1", "c4"]
    assert ids({"sortModel": [{"colId": "Name", "sort": "asc"}]}) == ["c4", "A1", "b2", "a3"]


def test_blank_numbers_sort_last_either_way():
    assert ids({"sortModel": [{"colId": "Risk", "sort": "asc"}]})[-1] == "a3"
    assert ids({"sortModel": [{"colId": "Risk", "sort": "desc"}]})[-1] == "a3"


def test_text_filters_ignore_case():
    assert ids({"filterModel": {"Name": {"filterType": "text", "type": "contains", "filter": "ET"}}}) == ["b2"]
    starts_with_a = {"Account_ID": {"filterType": "text", "type": "startsWith", "filter": "a"}}
    assert ids({"filterModel": starts_with_a}) == ["a3", "A1"]
    assert ids({"filterModel": {"Name": {"filterType": "text", "type": "blank"}}}) == ["c4"]


def test_number_filters_and_ranges():
    greater = {"ARR": {"filterType": "number", "type": "greaterThan", "filter": 100}}
    assert ids({"filterModel": greater}) == ["a3", "b2"]
    in_range = {"Risk": {"filterType": "number", "type": "inRange", "filter": 60, "filterTo": 75}}
    assert ids({"filterModel": in_range}) == ["c4"]


def test_conditions_joined_by_or_and_and():
    either = {"ARR": {"filterType": "number", "operator": "OR", "conditions": [
        {"filterType": "number", "type": "lessThan", "filter": 60},
        {"filterType": "number", "type": "greaterThan", "filter": 250}]}}
    assert ids({"filterModel": either}) == ["a3", "c4"]
    both = {"ARR": {"filterType": "number", "operator": "AND", "conditions": [
        {"filterType": "number", "type": "greaterThan", "filter": 60},
        {"filterType": "number", "type": "lessThan", "filter": 250}]}}
    assert ids({"filterModel": both}) == ["A1", "b2"]


def test_unknown_columns_and_filter_types_are_ignored():
    assert ids({"filterModel": {"Nope": {"type": "contains", "filter": "x"}},
                "sortModel": [{"colId": "Nope", "sort": "asc"}]}) == ["a3", "A1", "b2", "c4"]


def test_a_block_is_bounded_whatever_the_browser_asks():
    """The probe asked for endRow 1e9 and got 47 MB; a block is at most MAX_BLOCK rows."""
    big = pd.DataFrame({"n": range(2_000)})
    rows, total = query_rows(big, {"startRow": 0, "endRow": 10 ** 9})
    assert len(rows) == MAX_BLOCK and total == 2_000


@pytest.mark.parametrize("request_", [
    {"startRow": "0; drop", "endRow": 10}, {"startRow": -5, "endRow": 10}, {"startRow": 20, "endRow": 10},
    {"startRow": 1.5, "endRow": 10}, {"filterModel": "ARR"}, {"sortModel": [1, 2]},
    {"filterModel": {"ARR": {"filterType": "number", "type": "equals", "filter": "lots"}}},
    {"filterModel": {"Name": {"filterType": "text", "type": "contains", "filter": "x" * 5000}}},
    {"filterModel": {f"c{i}": {} for i in range(100)}},
])
def test_a_request_that_is_not_what_ag_grid_sends_answers_no_rows(request_):
    assert query_rows(FRAME, request_) == ([], 0)


def test_columns_are_widened_to_their_widest_value_as_shown():
    """Issue 15: "$4,371…" in the rep summary; a column is as wide as its widest figure and header."""
    from app.grids import CELL_PADDING_PX, CHAR_PX, COUNT, HEADER_EXTRA_PX, MONEY, fitted

    frame = pd.DataFrame({"Rep": ["Al", "Maximilian Oberhauser"], "ARR": [4_371_000_000.0, 5.0], "N": [1, 2]})
    rep, arr, n = fitted([{"field": "Rep"}, {"field": "ARR", "valueFormatter": MONEY},
                          {"field": "N", "headerName": "Accounts kept", "valueFormatter": COUNT}], frame)
    assert rep["minWidth"] == round(len("Maximilian Oberhauser") * CHAR_PX + CELL_PADDING_PX)
    assert arr["minWidth"] == round(len("$4,371,000,000") * CHAR_PX + CELL_PADDING_PX)
    assert n["minWidth"] == round(len("Accounts kept") * CHAR_PX + HEADER_EXTRA_PX)  # the header is wider
    assert fitted([{"field": "Gone", "minWidth": 120}], frame)[0]["minWidth"] == 120
