"""DATA.md: inputs, every hard error, every warning."""
import io

import numpy as np
import pytest
from openpyxl import Workbook

from engine import Limits, Source, load_csvs, load_files, load_workbook
from engine.io.columns import normalize_header
from engine.io.loading import csv_kind
from engine.io.numbers import parse_number
from engine.io.reading import detect_delimiter

from .conftest import ACCOUNT_HEADER, account, csv_bytes, rep

REPS = [rep("Alice", "Enterprise", "CA"), rep("Bob", "Mid Market", "NY")]
ACCOUNTS = [account("A1", 1000, owner="Alice", location="CA", risk=80),
            account("A2", 500, employees=10, owner="Bob", location="NY", risk=10)]


def run(accounts=ACCOUNTS, reps=REPS, account_header=ACCOUNT_HEADER, rep_header=None, limits=Limits()):
    return load_csvs(Source("reps.csv", csv_bytes(rep_header or ["Rep_Name", "Segment", "Location"], reps)),
                     Source("accounts.csv", csv_bytes(account_header, accounts)), limits)


def errors(result):
    return [str(m) for m in result.report.errors]


def warnings(result):
    return [str(m) for m in result.report.warnings]


# --- inputs ---------------------------------------------------------------------------------

def test_header_variants_match():
    header = [" account id", "ACCOUNT-NAME", "original rep", "arr", "Num Employees", "location ", "risk_score"]
    result = run(account_header=header, rep_header=["rep name", "SEGMENT", "Location"])
    assert result.ok
    assert list(result.dataset.table.columns) == ACCOUNT_HEADER
    assert normalize_header(" Rep-Name ") == "rep_name"


def test_current_rep_renamed_with_info():
    header = [h if h != "Original_Rep" else "Current_Rep" for h in ACCOUNT_HEADER]
    result = run(account_header=header)
    assert result.ok
    assert "Original_Rep" in result.dataset.table.columns
    assert any("Current_Rep → Original_Rep" in str(m) for m in result.report.infos)


@pytest.mark.parametrize("text, value", [
    ("1200000", 1_200_000), ("1200000.50", 1_200_000.5), ("1,200,000", 1_200_000),
    ("$1,200,000", 1_200_000), (" $1,200,000.25 ", 1_200_000.25), ("0", 0)])
def test_accepted_number_formats(text, value):
    assert parse_number(text) == (value, None)


@pytest.mark.parametrize("text", ["1.2M", "", "NaN", "inf", "-Infinity", "abc", "1,20,000", "1e5", "12 000"])
def test_rejected_number_formats(text):
    value, problem = parse_number(text)
    assert value is None and problem


def test_ids_and_names_stay_text():
    result = run(accounts=[account("00123", 10, owner="NA", name="NA"), account("NA", 20)])
    assert result.ok
    assert list(result.dataset.account_id) == ["00123", "NA"]
    assert result.dataset.account_name[0] == "NA"


def test_extra_columns_carried_through_in_order():
    header = ["Industry", *ACCOUNT_HEADER, "Notes"]
    rows = [["Retail", *a, "x"] for a in ACCOUNTS]
    result = run(accounts=rows, account_header=header)
    assert list(result.dataset.table.columns) == header
    assert list(result.dataset.table["Industry"]) == ["Retail", "Retail"]


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_delimiters_detected_from_header(delimiter):
    result = load_csvs(Source("r.csv", csv_bytes(["Rep_Name", "Segment", "Location"], REPS, delimiter)),
                       Source("a.csv", csv_bytes(ACCOUNT_HEADER, [account("A1", "$1,000")], delimiter)))
    assert result.ok, errors(result)
    assert result.dataset.arr[0] == 1000
    assert detect_delimiter("a;b;c,d") == ";"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_accepted_encodings(encoding):
    data = csv_bytes(ACCOUNT_HEADER, [account("A1", 10, name="Café Müller")], encoding=encoding)
    result = load_csvs(Source("r.csv", csv_bytes(["Rep_Name", "Segment", "Location"], REPS)), Source("a.csv", data))
    assert result.ok
    assert result.dataset.account_name[0] == "Café Müller"
    assert result.dataset.table.columns[0] == "Account_ID"


def workbook_bytes(sheets: dict[str, list[list]]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_workbook_sheets_found_by_header_whatever_their_names():
    data = workbook_bytes({
        "Notes": [["anything"]],
        "Sheet B": [ACCOUNT_HEADER, ["00123", "Co", "Alice", 1000, 5000, "CA", 80],
                    ["7", "Co2", "Bob", 1.5, 10, "NY", None]],
        "Team": [["Rep_Name", "Segment", "Location"], *REPS]})
    result = load_workbook(Source("book.xlsx", data))
    assert result.ok, errors(result)
    assert list(result.dataset.account_id) == ["00123", "7"]
    assert list(result.dataset.arr) == [1000, 1.5]
    assert load_files([Source("book.xlsx", data)]).ok


def test_workbook_errors_name_sheet_and_row():
    data = workbook_bytes({"A": [ACCOUNT_HEADER, ["A1", "Co", "Alice", "lots", 5000, "CA", 80]],
                           "R": [["Rep_Name", "Segment", "Location"], *REPS]})
    result = load_workbook(Source("book.xlsx", data))
    assert errors(result) == ['book.xlsx [A], row 2, column ARR: "lots" is not a number; '
                              'expected e.g. 1200000, 1,200,000 or $1,200,000']


def test_workbook_without_accounts_sheet():
    data = workbook_bytes({"R": [["Rep_Name", "Segment", "Location"], *REPS]})
    assert any("Account_ID" in e for e in errors(load_workbook(Source("b.xlsx", data))))


def test_two_uploaded_csvs_told_apart_by_header():
    files = [Source("a.csv", csv_bytes(ACCOUNT_HEADER, ACCOUNTS)),
             Source("r.csv", csv_bytes(["Rep_Name", "Segment", "Location"], REPS))]
    assert load_files(files).ok
    assert not load_files(files[:1]).ok


# --- hard errors ----------------------------------------------------------------------------

def load_accounts_bytes(data: bytes, limits=Limits()):
    return load_csvs(Source("reps.csv", csv_bytes(["Rep_Name", "Segment", "Location"], REPS)),
                     Source("accounts.csv", data), limits)


@pytest.mark.parametrize("data, fragment", [
    (b"", "accounts.csv: is empty"),
    (b"\n \n", "accounts.csv: is empty"),
    (",".join(ACCOUNT_HEADER).encode() + b"\n", "has only a header"),
    (b"PK\x03\x04junk", "not a CSV"),
    (b"\x00\x01\x02binary", "binary"),
    (b"Account_ID,Account_Name\n\x81\x8d\x8f\x90\x9d", "cannot be decoded"),
])
def test_file_level_errors(data, fragment):
    result = load_accounts_bytes(data)
    assert not result.ok
    assert any(fragment in e for e in errors(result)), errors(result)


def test_field_count_mismatch_names_the_row():
    data = csv_bytes(ACCOUNT_HEADER, [account("A1", 1), account("A2", 2)[:-1], account("A3", 3) + ["x"]])
    assert errors(load_accounts_bytes(data)) == [
        "accounts.csv, row 3: has 6 fields but the header has 7",
        "accounts.csv, row 4: has 8 fields but the header has 7"]


def test_missing_and_duplicate_columns():
    header = ["Account_ID", "Account_Name", "account id", "ARR", "Num_Employees", "Location"]
    result = load_accounts_bytes(csv_bytes(header, [["1", "n", "2", 1, 1, "x"]]))
    assert errors(result) == [
        "accounts.csv, column Account_ID: appears twice (columns 1 and 3)",
        "accounts.csv, column Original_Rep: is missing (the file's columns: Account_ID, Account_Name, account id, "
        "ARR, Num_Employees, Location)"]


def test_every_bad_number_reported_at_once_with_row_column_value():
    rows = [account("A1", "1.2M"), account("A2", -5), account("A3", "NaN", employees=""),
            account("A4", "inf", employees="lots")]
    found = errors(load_accounts_bytes(csv_bytes(ACCOUNT_HEADER, rows)))
    assert found == [
        'accounts.csv, row 2, column ARR: "1.2M" is not a number; expected e.g. 1200000, 1,200,000 or $1,200,000',
        'accounts.csv, row 3, column ARR: "-5" is negative; expected 0 or more',
        'accounts.csv, row 4, column ARR: "NaN" is not a finite number',
        'accounts.csv, row 5, column ARR: "inf" is not a finite number',
        'accounts.csv, row 4, column Num_Employees: "" is empty; expected a number',
        'accounts.csv, row 5, column Num_Employees: "lots" is not a number; expected a whole number, '
        'e.g. 1200 or 1,200']  # a count of employees is never explained with money


def test_many_bad_rows_are_listed_then_counted():
    rows = [account(f"A{i}", "bad") for i in range(60)]
    found = errors(load_accounts_bytes(csv_bytes(ACCOUNT_HEADER, rows)))
    assert len(found) == 51
    assert found[-1] == "accounts.csv, column ARR: 10 more rows have the same problem: is not a number; " \
                        "expected e.g. 1200000, 1,200,000 or $1,200,000"


def test_duplicate_ids_and_rep_names_case_insensitive_trimmed():
    result = run(accounts=[account("acc-1", 1), account(" ACC-1 ", 2), account("", 3)],
                 reps=[rep("Alice"), rep("alice "), rep("Bob", "MM")])
    assert errors(result) == [
        'reps.csv, row 3, column Rep_Name: "alice " duplicates row 2',
        'accounts.csv, row 3, column Account_ID: " ACC-1 " duplicates row 2',
        'accounts.csv, row 4, column Account_ID: "" is empty']


def test_unknown_segment():
    result = run(reps=[rep("Alice", "Enterprise"), rep("Bob", "SMB"), rep("Cy", "e"), rep("Di", "midmarket")])
    assert errors(result) == ['reps.csv, row 3, column Segment: "SMB" is not a segment; expected '
                              'Enterprise (Ent, E) or Mid-Market (Mid Market, MidMarket, MM)']


def test_size_caps():
    assert errors(run(limits=Limits(max_accounts=1, max_reps=5))) == ["accounts.csv: has 2 accounts; the limit is 1"]
    assert errors(run(limits=Limits(max_accounts=5, max_reps=1))) == ["reps.csv: has 2 reps; the limit is 1"]
    assert errors(run(limits=Limits(max_accounts=1, max_reps=1))) == [
        f"{name}: has more than 1 rows; the limits are 1 accounts and 1 reps (reading stopped at row 3)"
        for name in ("reps.csv", "accounts.csv")]
    big = csv_bytes(ACCOUNT_HEADER, [account(f"A{i}", 1) for i in range(1000)])
    assert any("the limit is 0.000954 MB" in e for e in errors(load_accounts_bytes(big, Limits(max_bytes=1000))))


def test_no_reps_or_no_accounts_is_an_error():
    result = run(reps=[])
    assert "reps.csv, row 1: has only a header, no data rows" in errors(result)


def test_rejected_load_has_no_dataset():
    assert run(accounts=[account("A1", "x")]).dataset is None


# --- warnings -------------------------------------------------------------------------------

def test_risk_warnings_keep_the_load():
    result = run(accounts=[account("A1", 1, risk=""), account("A2", 2, risk="high"),
                           account("A3", 3, risk=150), account("A4", 4, risk=-1)])
    assert result.ok
    found = warnings(result)
    assert "accounts.csv, column Risk_Score: is blank (not high-risk) in 1 row(s): 2" in found
    assert "accounts.csv, column Risk_Score: is not a number (not high-risk) in 1 row(s): 3" in found
    assert "accounts.csv, column Risk_Score: is outside 0-100 in 2 row(s): 4, 5" in found
    assert np.isnan(result.dataset.risk[:2]).all()


def test_owner_and_idle_rep_warnings():
    result = run(accounts=[account("A1", 1, owner="Zed"), account("A2", 1, owner="alice")],
                 reps=[rep("Alice"), rep("Bob", "MM")])
    found = " | ".join(warnings(result))
    assert "1 Original_Rep name(s) are not in the Reps file" in found and "Zed" in found
    assert "1 rep(s) own no account today: Bob" in found


def test_location_warnings():
    result = run(accounts=[account("A1", 1, location="ca", owner="Alice"),
                           account("A2", 1, location="Calif.", owner="Bob")],
                 reps=[rep("Alice", location="CA"), rep("Bob", "MM", location="NY")])
    found = " | ".join(warnings(result))
    assert "CA = ca" in found
    assert "match no rep's location" in found and "Calif." in found


def test_segment_without_reps_warning():
    result = run(reps=[rep("Alice"), rep("Bob")],
                 accounts=[account("A1", 1, owner="Alice"), account("A2", 1, owner="Bob")])
    assert result.ok
    assert any("no Mid-Market reps" in w for w in warnings(result))


def test_missing_risk_column_is_an_info():
    header = ACCOUNT_HEADER[:-1]
    result = run(accounts=[a[:-1] for a in ACCOUNTS], account_header=header)
    assert result.ok and not result.dataset.has_risk
    assert any("no Risk_Score column" in str(m) for m in result.report.infos)


def test_csv_kind_tells_reps_from_accounts_by_header():
    assert csv_kind(Source("r.csv", b"\xef\xbb\xbfRep Name;Segment;Location\nA;E;CA\n")) == "reps"
    assert csv_kind(Source("a.csv", b"account_id,ARR\n1,2\n")) == "accounts"
    assert csv_kind(Source("x.csv", b"id,name\n")) is None
    assert csv_kind(Source("b.xlsx", b"PK\x03\x04rest")) is None


# --- optional rule columns (ALLOCATION.md §7) -------------------------------------------------

def test_rule_columns_are_read_when_present():
    result = run(accounts=[[*account("A1", 1000, owner="Alice"), " Yes "], [*account("A2", 500), ""]],
                 account_header=[*ACCOUNT_HEADER, "Locked"],
                 reps=[["Alice", "E", "CA", "80", "$5,000,000", ""], ["Bob", "MM", "NY", "", "", "50"]],
                 rep_header=["Rep_Name", "Segment", "Location", "max accounts", "Max-ARR", "RAMP"])
    assert result.ok, errors(result)
    d = result.dataset
    assert list(d.locked) == [True, False]
    assert list(d.rep_max_accounts[:1]) == [80] and np.isnan(d.rep_max_accounts[1])
    assert d.rep_max_arr[0] == 5_000_000 and np.isnan(d.rep_max_arr[1])
    assert list(d.rep_ramp) == [100.0, 50.0]


def test_without_rule_columns_nothing_is_locked_capped_or_ramping():
    d = run().dataset
    assert not d.locked.any() and np.isnan(d.rep_max_accounts).all() and (d.rep_ramp == 100).all()


def test_bad_rule_cells_are_hard_errors_naming_row_column_and_value():
    result = run(accounts=[[*account("A1", 1000), "maybe"], [*account("A2", 500), "no"]],
                 account_header=[*ACCOUNT_HEADER, "Locked"],
                 reps=[["Alice", "E", "CA", "8.5", "-1", "0"], ["Bob", "MM", "NY", "x", "lots", "101"]],
                 rep_header=["Rep_Name", "Segment", "Location", "Max_Accounts", "Max_ARR", "Ramp"])
    found = errors(result)
    assert 'accounts.csv, row 2, column Locked: "maybe" is not yes or no; expected yes, y, true, 1 or x ' \
           '(locked) or no, n, false, 0 or blank (not locked)' in found
    assert 'reps.csv, row 2, column Max_Accounts: "8.5" is not a whole number of accounts; expected e.g. 80, ' \
           'or blank for no cap' in found
    assert any('row 3, column Max_Accounts: "x" is not a number' in f for f in found)
    assert any('row 2, column Max_ARR: "-1" is not an ARR cap' in f for f in found)
    assert any('row 3, column Max_ARR: "lots" is not a number' in f for f in found)
    assert any('row 2, column Ramp: "0" is not a ramp from 1 to 100' in f for f in found)
    assert any('row 3, column Ramp: "101" is not a ramp from 1 to 100' in f for f in found)
    assert result.dataset is None


@pytest.mark.parametrize("column, value", [("ARR", "1000000000001"), ("Num_Employees", "100000001")])
def test_values_no_account_can_have_are_refused(column, value):
    rows = [account("A1", value if column == "ARR" else 1, employees=value if column != "ARR" else 1)]
    found = errors(load_accounts_bytes(csv_bytes(ACCOUNT_HEADER, rows)))
    assert len(found) == 1 and f'column {column}: "{value}" is larger than' in found[0]
