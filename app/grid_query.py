"""Answer an AG Grid infinite-row-model request (filter, sort, one block of rows) from a DataFrame.

The account table can hold 200,000 rows; the browser only ever receives the block it shows.
The request is the browser's, so it is read defensively: a block is at most MAX_BLOCK rows, and a
request that is not what AG Grid sends answers no rows rather than an error.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

TEXT_TESTS = {
    "contains": lambda s, v: s.str.contains(v, regex=False),
    "notContains": lambda s, v: ~s.str.contains(v, regex=False),
    "equals": lambda s, v: s == v,
    "notEqual": lambda s, v: s != v,
    "startsWith": lambda s, v: s.str.startswith(v),
    "endsWith": lambda s, v: s.str.endswith(v),
}
NUMBER_TESTS = {
    "equals": lambda s, v, _: s == v,
    "notEqual": lambda s, v, _: s != v,
    "lessThan": lambda s, v, _: s < v,
    "lessThanOrEqual": lambda s, v, _: s <= v,
    "greaterThan": lambda s, v, _: s > v,
    "greaterThanOrEqual": lambda s, v, _: s >= v,
    "inRange": lambda s, v, to: (s >= v) & (s <= to),
}


MAX_BLOCK = 500          # AG Grid asks for 100 at a time
MAX_CONDITIONS = 50      # filter and sort entries of one request
MAX_FILTER_TEXT = 1000


def query_rows(frame: pd.DataFrame, request: dict) -> tuple[list[dict], int]:
    """The rows `request` asks for and how many rows match its filter in all."""
    try:
        start, end = block_of(request)
        filters, sorts = request.get("filterModel") or {}, request.get("sortModel") or []
        if len(filters) > MAX_CONDITIONS or len(sorts) > MAX_CONDITIONS or len(str(request)) > 100_000:
            raise ValueError("too many conditions")
        mask = filter_mask(frame, filters)
        ordered = sort_frame(frame if mask.all() else frame[mask], sorts)
    except (ValueError, TypeError, AttributeError, KeyError, OverflowError, RecursionError):
        return [], 0
    return json_records(ordered.iloc[start:end]), len(ordered)


def block_of(request: dict) -> tuple[int, int]:
    """(start, end) of the block asked for, never more than MAX_BLOCK rows."""
    start, end = request.get("startRow") or 0, request.get("endRow")
    if end is None:
        end = start + 100
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (start, end)) or not 0 <= start <= end:
        raise ValueError("startRow and endRow must be whole numbers, start first")
    return start, min(end, start + MAX_BLOCK)


def filter_mask(frame: pd.DataFrame, model: dict) -> np.ndarray:
    mask = np.ones(len(frame), dtype=bool)
    for column, condition in model.items():
        if column in frame.columns:
            mask &= np.asarray(condition_mask(frame[column], condition), dtype=bool)
    return mask


def condition_mask(series: pd.Series, condition: dict):
    """One column's filter: a single condition or several joined by AND / OR."""
    if "conditions" in condition:
        masks = [condition_mask(series, c) for c in condition["conditions"]]
        combine = np.logical_or if condition.get("operator") == "OR" else np.logical_and
        return combine.reduce(masks)
    kind = condition.get("type")
    if kind in ("blank", "notBlank"):
        blank = series.isna() | (series.astype(str).str.strip() == "")
        return blank if kind == "blank" else ~blank
    if condition.get("filterType") == "number":
        test = NUMBER_TESTS.get(kind)
        value = condition.get("filter")
        if test is None or value is None:
            return np.ones(len(series), dtype=bool)
        return test(series.astype(float), float(value), float(condition.get("filterTo") or value)).fillna(False)
    test = TEXT_TESTS.get(kind)
    value = condition.get("filter")
    if test is None or value is None:
        return np.ones(len(series), dtype=bool)
    if len(str(value)) > MAX_FILTER_TEXT:
        raise ValueError("filter text too long")
    return test(series.astype(str).str.casefold(), str(value).casefold())


def sort_frame(frame: pd.DataFrame, model: list[dict]) -> pd.DataFrame:
    """Multi-column sort, stable, text case-insensitive, blanks last."""
    keys = [m for m in model if m.get("colId") in frame.columns]
    if not keys:
        return frame
    return frame.sort_values(by=[m["colId"] for m in keys], ascending=[m.get("sort") != "desc" for m in keys],
                             kind="mergesort", na_position="last", key=_sort_key)


def _sort_key(series: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        return series
    return series.astype(str).str.casefold()


def json_records(frame: pd.DataFrame) -> list[dict]:
    """Rows as JSON-safe dicts: NaN becomes null (to_dict already makes numpy scalars plain)."""
    return [{column: None if value != value else value for column, value in row.items()}  # NaN ≠ NaN
            for row in frame.to_dict("records")]
