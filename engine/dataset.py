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
SLIDER_STEP = 1000


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

    @functools.cached_property
    def has_named_owner(self) -> np.ndarray:
        """Accounts whose Original_Rep is not blank (bool per account), computed once."""
        return np.array([bool(name.strip()) for name in self.original_rep], dtype=bool)

    @property
    def n_accounts(self) -> int:
        return len(self.arr)

    @property
    def n_reps(self) -> int:
        return len(self.rep_name)


def build_dataset(accounts: pd.DataFrame, reps: pd.DataFrame, *, arr, employees, risk,
                  has_risk: bool) -> Dataset:
    """Assemble a Dataset from validated text tables and parsed numbers."""
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


def slider_range(employees: np.ndarray) -> tuple[int, int]:
    """Minimum rounded down and maximum rounded up to 1,000 (§1)."""
    low = math.floor(float(employees.min()) / SLIDER_STEP) * SLIDER_STEP
    high = math.ceil(float(employees.max()) / SLIDER_STEP) * SLIDER_STEP
    return int(low), int(high)


def default_threshold(employees: np.ndarray) -> int:
    """Median employee count rounded to the nearest 1,000, halves up (§1)."""
    median = float(np.median(employees))
    return int(math.floor(median / SLIDER_STEP + 0.5) * SLIDER_STEP)
