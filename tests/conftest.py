"""Helpers that build datasets the way users do: as CSV text through the real loader."""
from __future__ import annotations

import csv
import io
import os
import tempfile
from pathlib import Path

import pytest

from engine import Settings, Source, Weights, load_csvs
from engine.settings import Preferences

# The dashboard reads its configuration once, from the environment: give the test run its own
# session store before anything imports `app`.
os.environ.setdefault("CACHE_DIR", tempfile.mkdtemp(prefix="territory-slicer-tests-"))

DATA = Path(__file__).parent / "data"
ACCOUNT_HEADER = ["Account_ID", "Account_Name", "Original_Rep", "ARR", "Num_Employees", "Location",
                  "Risk_Score"]


def csv_bytes(header: list[str], rows: list[list], delimiter: str = ",", encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def account(account_id, arr, employees=10_000, location="ZZ", owner="", risk="", name=None) -> list:
    return [account_id, name or f"Name {account_id}", owner, arr, employees, location, risk]


def rep(name, segment="Enterprise", location="YY") -> list:
    return [name, segment, location]


def load(accounts: list[list], reps: list[list], account_header=ACCOUNT_HEADER):
    """A Dataset from rows; fails the test if the loader refuses them."""
    result = load_csvs(Source("reps.csv", csv_bytes(["Rep_Name", "Segment", "Location"], reps)),
                       Source("accounts.csv", csv_bytes(account_header, accounts)))
    assert result.ok, [str(m) for m in result.report.errors]
    return result.dataset


def settings(threshold=0, weights=(34, 33, 33), geo=0.05, preserve=0.05, high_risk=70) -> Settings:
    return Settings(threshold, Weights(*weights), Preferences(geo, preserve, high_risk))


@pytest.fixture
def fixture12():
    result = load_csvs(Source.from_path(DATA / "fixture12" / "reps.csv"),
                       Source.from_path(DATA / "fixture12" / "accounts.csv"))
    assert result.ok
    return result.dataset


@pytest.fixture(scope="session")
def demo():
    """The bundled demo data (2,000 accounts, 24 reps)."""
    demo_dir = Path(__file__).resolve().parent.parent / "data" / "demo"
    return load_csvs(Source.from_path(demo_dir / "reps.csv"), Source.from_path(demo_dir / "accounts.csv")).dataset
