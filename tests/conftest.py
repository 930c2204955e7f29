"""Helpers that build datasets the way users do: as CSV text through the real loader."""
from __future__ import annotations

import csv
import io
import os
import tempfile
from pathlib import Path

import pytest

from engine import Settings, Source, Weights, load_csvs
from engine.rules import Rules
from engine.settings import Preferences

# The dashboard reads its configuration once, from the environment: give the test run its own
# session store before anything imports `app`. Each pytest-xdist worker gets a store of its own
# (they inherit the controller's environment): a test that corrupts its job store on purpose
# broke the rebalancing tests that another worker ran at the same moment.
if os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ["CACHE_DIR"] = tempfile.mkdtemp(prefix=f"territory-slicer-tests-{os.environ['PYTEST_XDIST_WORKER']}-")
else:
    os.environ.setdefault("CACHE_DIR", tempfile.mkdtemp(prefix="territory-slicer-tests-"))

DATA = Path(__file__).parent / "data"
ACCOUNT_HEADER = ["Account_ID", "Account_Name", "Original_Rep", "ARR", "Num_Employees", "Location",
                  "Risk_Score"]
REP_HEADER = ["Rep_Name", "Segment", "Location"]
RULE_ACCOUNT_HEADER = [*ACCOUNT_HEADER, "Locked"]
RULE_REP_HEADER = [*REP_HEADER, "Max_Accounts", "Max_ARR", "Ramp"]


def csv_bytes(header: list[str], rows: list[list], delimiter: str = ",", encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")  # quotes cells holding CR too
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def account(account_id, arr, employees=10_000, location="ZZ", owner="", risk="", name=None) -> list:
    return [account_id, name or f"Name {account_id}", owner, arr, employees, location, risk]


def rep(name, segment="Enterprise", location="YY") -> list:
    return [name, segment, location]


def ruled_account(account_id, arr, locked="", **fields) -> list:
    """An account row with the optional Locked column (ALLOCATION.md §7)."""
    return [*account(account_id, arr, **fields), locked]


def ruled_rep(name, segment="Enterprise", location="YY", max_accounts="", max_arr="", ramp="") -> list:
    """A rep row with the optional Max_Accounts, Max_ARR and Ramp columns."""
    return [name, segment, location, max_accounts, max_arr, ramp]


def load(accounts: list[list], reps: list[list], account_header=ACCOUNT_HEADER, rep_header=REP_HEADER):
    """A Dataset from rows; fails the test if the loader refuses them."""
    result = load_csvs(Source("reps.csv", csv_bytes(rep_header, reps)),
                       Source("accounts.csv", csv_bytes(account_header, accounts)))
    assert result.ok, [str(m) for m in result.report.errors]
    return result.dataset


def load_ruled(accounts: list[list], reps: list[list]):
    """A Dataset from ruled_account and ruled_rep rows."""
    return load(accounts, reps, RULE_ACCOUNT_HEADER, RULE_REP_HEADER)


def settings(threshold=0, weights=(34, 33, 33), geo=0.05, preserve=0.05, high_risk=70, rules=None) -> Settings:
    return Settings(threshold, Weights(*weights), Preferences(geo, preserve, high_risk), rules or Rules())


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


@pytest.fixture(scope="session")
def postgres_server():
    """A real PostgreSQL server for the run (tests/postgres.py)."""
    from .postgres import PostgresServer

    server = PostgresServer()
    yield server
    server.stop()


@pytest.fixture
def postgres_url(postgres_server):
    """A fresh, empty database on the shared server for each test."""
    import secrets

    import sqlalchemy as sa

    name = f"t_{secrets.token_hex(6)}"
    admin = sa.create_engine(postgres_server.url.replace("postgresql://", "postgresql+psycopg://"),
                             isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f"CREATE DATABASE {name}"))
    admin.dispose()
    yield postgres_server.url.rsplit("/", 1)[0] + f"/{name}"
