"""The validated inputs as arrays: what every engine operation reads.

A Dataset is built once per load; everything that does not depend on the user's settings
(processing order, location and owner matches, rep tie-break order) is computed here, once.
"""
from __future__ import annotations

import functools
import hashlib
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

ENTERPRISE = "Enterprise"
MID_MARKET = "Mid-Market"
SEGMENTS = (ENTERPRISE, MID_MARKET)
MAX_THRESHOLD = 10 ** 8
STOPS = np.array(sorted(m * 10 ** k for k in range(9) for m in (1, 2, 3, 5, 7) if m * 10 ** k <= MAX_THRESHOLD),
                 dtype=np.float64)  # every logarithmic slider stop up to 10^8 (§1)


def match_key(text: str) -> str:
    """Locations and rep names match trimmed and case-insensitively."""
    return text.strip().casefold()


def rep_sort_key(name: str) -> tuple[str, str]:
    """Rep tie-break order: casefolded name, then the raw name."""
    return name.casefold(), name


@dataclass(frozen=True, eq=False)
class Dataset:
    """Accounts and reps after validation.

    `table` keeps every original Accounts column as text, in input order, for the export.
    Rep arrays are in tie-break order (rep_sort_key), so the lowest index wins a full tie.
    """

    table: pd.DataFrame
    account_id: np.ndarray        # str
    account_name: np.ndarray      # str
    arr: np.ndarray               # float64
    employees: np.ndarray         # float64
    risk: np.ndarray              # float64, NaN where blank or not a number
    has_risk: bool
    location: np.ndarray          # str, as written
    original_rep: np.ndarray      # str, as written
    rep_name: np.ndarray          # str, tie-break order
    rep_is_enterprise: np.ndarray  # bool
    rep_location: np.ndarray      # str
    account_location_code: np.ndarray  # int64; equal codes = geo match
    rep_location_code: np.ndarray      # int64; a code no account uses never matches
    owner: np.ndarray             # int64 rep index of Original_Rep, -1 if not a rep
    order: np.ndarray             # int64 account indices by ARR desc, Account_ID asc
    fingerprint: str
    locked: np.ndarray            # bool per account: the optional Locked column (§7)
    rep_max_accounts: np.ndarray  # float64 per rep, NaN where blank (§7)
    rep_max_arr: np.ndarray       # float64 per rep, NaN where blank
    rep_ramp: np.ndarray          # float64 per rep, percent of a full book (100 where blank)

    @functools.cached_property
    def has_named_owner(self) -> np.ndarray:
        """Accounts whose Original_Rep is not blank (bool per account), computed once."""
        return np.array([bool(name.strip()) for name in self.original_rep], dtype=bool)

    @functools.cached_property
    def account_index(self) -> dict[str, int]:
        """Account position by ID (trimmed, case-insensitive, as IDs are unique), computed once."""
        return {match_key(account_id): i for i, account_id in enumerate(self.account_id)}

    @property
    def rep_segment(self) -> np.ndarray:
        return np.where(self.rep_is_enterprise, ENTERPRISE, MID_MARKET)

    @property
    def n_accounts(self) -> int:
        return len(self.arr)

    @property
    def n_reps(self) -> int:
        return len(self.rep_name)


@dataclass(frozen=True)
class RuleColumns:
    """The optional rule columns of DATA.md, parsed: Accounts `Locked`; Reps `Max_Accounts`,
    `Max_ARR` and `Ramp` (in the Reps file's row order)."""

    locked: np.ndarray
    max_accounts: np.ndarray
    max_arr: np.ndarray
    ramp: np.ndarray

    @classmethod
    def none(cls, n_accounts: int, n_reps: int) -> RuleColumns:
        blank = np.full(n_reps, np.nan)
        return cls(np.zeros(n_accounts, dtype=bool), blank, blank.copy(), np.full(n_reps, 100.0))


def build_dataset(accounts: pd.DataFrame, reps: pd.DataFrame, *, arr, employees, risk,
                  has_risk: bool, rules: RuleColumns | None = None) -> Dataset:
    """Assemble a Dataset from validated text tables and parsed numbers."""
    rules = rules or RuleColumns.none(len(accounts), len(reps))
    rep_order = sorted(range(len(reps)), key=lambda i: rep_sort_key(reps["Rep_Name"].iloc[i]))
    reps = reps.iloc[rep_order].reset_index(drop=True)
    rep_name = reps["Rep_Name"].to_numpy(dtype=object)
    location = accounts["Location"].to_numpy(dtype=object)
    rep_location = reps["Location"].to_numpy(dtype=object)
    account_codes, rep_codes = _location_codes(location, rep_location)
    original_rep = accounts["Original_Rep"].to_numpy(dtype=object)
    rep_index = {match_key(name): i for i, name in enumerate(rep_name)}
    owner = np.array([rep_index.get(match_key(o), -1) for o in original_rep], dtype=np.int64)
    account_id = accounts["Account_ID"].to_numpy(dtype=object)
    arr = np.asarray(arr, dtype=np.float64)
    return Dataset(
        table=accounts,
        account_id=account_id,
        account_name=accounts["Account_Name"].to_numpy(dtype=object),
        arr=arr,
        employees=np.asarray(employees, dtype=np.float64),
        risk=np.asarray(risk, dtype=np.float64),
        has_risk=has_risk,
        location=location,
        original_rep=original_rep,
        rep_name=rep_name,
        rep_is_enterprise=(reps["Segment"] == ENTERPRISE).to_numpy(dtype=bool),
        rep_location=rep_location,
        account_location_code=account_codes,
        rep_location_code=rep_codes,
        owner=owner,
        order=processing_order(arr, account_id),
        fingerprint=_fingerprint(accounts, reps),
        locked=np.asarray(rules.locked, dtype=bool),
        rep_max_accounts=np.asarray(rules.max_accounts, dtype=np.float64)[rep_order],
        rep_max_arr=np.asarray(rules.max_arr, dtype=np.float64)[rep_order],
        rep_ramp=np.asarray(rules.ramp, dtype=np.float64)[rep_order],
    )


def processing_order(arr: np.ndarray, account_id: np.ndarray) -> np.ndarray:
    """Accounts by ARR descending, equal ARR by Account_ID in plain string order (§2)."""
    ids = np.asarray(account_id, dtype=str)
    return np.lexsort((ids, -arr)).astype(np.int64)


def _location_codes(account_locations, rep_locations) -> tuple[np.ndarray, np.ndarray]:
    """Equal codes mean a geo match; a blank location gets a code that never matches."""
    codes: dict[str, int] = {}

    def code(location: str, blank: int) -> int:
        key = match_key(location)
        return codes.setdefault(key, len(codes)) if key else blank

    account = [code(loc, -1) for loc in account_locations]
    rep = [code(loc, -2) for loc in rep_locations]
    return np.array(account, dtype=np.int64), np.array(rep, dtype=np.int64)


def _fingerprint(accounts: pd.DataFrame, reps: pd.DataFrame) -> str:
    """Short content hash so an export can be traced to the data it came from."""
    digest = hashlib.sha256()
    for frame in (accounts, reps):
        digest.update("\x1f".join(frame.columns).encode())
        for column in frame.columns:
            digest.update("\x1e".join(map(str, frame[column])).encode())
    return digest.hexdigest()[:12]


def is_enterprise(employees: np.ndarray, threshold: float) -> np.ndarray:
    """An account at or above the threshold is Enterprise (§1)."""
    return employees >= threshold


def slider_stops(employees: np.ndarray) -> np.ndarray:
    """§1: the logarithmic stops m × 10^k (m in 1, 2, 3, 5, 7) from the largest stop at or below the
    smallest employee count (at least 1) to the smallest stop at or above the largest."""
    low, high = max(float(employees.min()), 1.0), max(float(employees.max()), 1.0)
    first = STOPS[np.searchsorted(STOPS, low, side="right") - 1]
    last = STOPS[min(np.searchsorted(STOPS, high, side="left"), len(STOPS) - 1)]
    return STOPS[(first <= STOPS) & (last >= STOPS)]


def slider_range(employees: np.ndarray) -> tuple[int, int]:
    stops = slider_stops(employees)
    return int(stops[0]), int(stops[-1])


def default_threshold(dataset: Dataset) -> int:
    """§1: the stop nearest the median employee count on a log scale (ties → the lower stop);
    if it leaves a segment with reps but no accounts, the nearest stop that gives both segments
    at least one account (if none does, the first)."""
    employees = dataset.employees
    stops = slider_stops(employees)
    distance = np.abs(np.log10(stops) - math.log10(max(float(np.median(employees)), 1.0)))
    nearest = stops[np.lexsort((stops, distance))]
    first = int(nearest[0])
    enterprise_reps, mid_market_reps = dataset.rep_is_enterprise.any(), (~dataset.rep_is_enterprise).any()
    idles = ((enterprise_reps and not (employees >= first).any())
             or (mid_market_reps and not (employees < first).any()))
    if not idles:
        return first
    both = [int(stop) for stop in nearest if (employees >= stop).any() and (employees < stop).any()]
    return both[0] if both else first
