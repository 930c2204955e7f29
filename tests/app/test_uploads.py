"""Uploads: two CSVs together or one at a time, a workbook, and refusals that keep the old data."""
import base64
import io

from openpyxl import Workbook

from app.services import services
from app.uploads import receive_upload
from engine import Limits

from ..conftest import ACCOUNT_HEADER, account, csv_bytes, rep

REPS = csv_bytes(["Rep_Name", "Segment", "Location"], [rep("Ann", "Enterprise", "CA"), rep("Bo", "Mid-Market", "NY")])
ACCOUNTS = csv_bytes(ACCOUNT_HEADER, [account("A1", 100, 5000, "CA", "Ann", 80), account("A2", 50, 10, "NY", "Bo", 10)])


def encoded(data: bytes) -> str:
    return "data:application/octet-stream;base64," + base64.b64encode(data).decode()


def upload(files: dict[str, bytes], pending=None, limits=Limits()):
    return receive_upload([encoded(d) for d in files.values()], list(files), pending, services().store, limits)


def test_two_csvs_in_any_order_load_and_are_kept_server_side():
    outcome = upload({"accounts.csv": ACCOUNTS, "reps.csv": REPS})
    assert outcome.report["level"] == "success"
    assert outcome.report["title"] == "Loaded 2 accounts and 2 reps from accounts.csv and reps.csv"
    assert outcome.data["accounts"] == 2 and outcome.data["has_risk"]
    assert services().store.get(outcome.data["key"]).n_accounts == 2
    assert outcome.pending is None


def test_each_upload_gets_its_own_key_even_for_identical_files():
    first, second = upload({"r.csv": REPS, "a.csv": ACCOUNTS}), upload({"r.csv": REPS, "a.csv": ACCOUNTS})
    assert first.data["key"] != second.data["key"]


def test_one_csv_waits_for_the_other():
    first = upload({"reps.csv": REPS})
    assert first.data is None and first.pending["kind"] == "reps"
    assert first.report["title"] == "reps.csv read as the Reps file. Now add the Accounts CSV."
    second = upload({"accounts.csv": ACCOUNTS}, pending=first.pending)
    assert second.data["accounts"] == 2 and second.pending is None


def test_the_same_kind_twice_replaces_the_waiting_file():
    first = upload({"reps.csv": REPS})
    again = upload({"reps2.csv": REPS}, pending=first.pending)
    assert again.data is None and again.pending["name"] == "reps2.csv"


def test_a_workbook_loads_alone():
    book = Workbook()
    reps = book.active
    for row in [["Rep_Name", "Segment", "Location"], ["Ann", "Enterprise", "CA"]]:
        reps.append(row)
    accounts = book.create_sheet("Accounts")
    for row in [ACCOUNT_HEADER, ["A1", "One", "Ann", 100, 5000, "CA", 10]]:
        accounts.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    assert upload({"territories.xlsx": buffer.getvalue()}).data["accounts"] == 1


def test_errors_refuse_the_upload_and_name_file_row_column_value():
    bad = csv_bytes(ACCOUNT_HEADER, [account("A1", "1.2M", 10)])
    outcome = upload({"reps.csv": REPS, "accounts.csv": bad})
    assert outcome.data is None and outcome.report["level"] == "danger"
    assert "The data you had is still loaded" in outcome.report["title"]
    assert any("accounts.csv, row 2, column ARR" in line and "1.2M" in line for line in outcome.report["details"])


def test_warnings_load_and_are_listed():
    unknown_owner = csv_bytes(ACCOUNT_HEADER, [account("A1", 100, 5000, "CA", "Gone", 80)])
    outcome = upload({"reps.csv": REPS, "accounts.csv": unknown_owner})
    assert outcome.data is not None and outcome.report["level"] == "warning"
    assert any("Gone" in line for line in outcome.report["details"])


def test_damaged_transfer_and_oversize_files_are_refused():
    damaged = receive_upload(["data:text/csv;base64,@@@"], ["a.csv"], None, services().store, Limits())
    assert damaged.data is None and "did not arrive intact" in damaged.report["details"][0]
    big = upload({"reps.csv": REPS, "accounts.csv": ACCOUNTS}, limits=Limits(max_bytes=50))
    assert big.data is None and any("the limit is" in line for line in big.report["details"])


def test_a_failed_upload_keeps_the_waiting_file():
    first = upload({"reps.csv": REPS})
    damaged = receive_upload(["data:text/csv;base64,@@@"], ["a.csv"], first.pending, services().store, Limits())
    assert damaged.pending == first.pending


def test_a_refusal_says_what_its_details_are():
    """Issue 15: "4 problems found" sat beside "Details (6)" (the other two were notes)."""
    from app.banners import show_banners
    bad = ACCOUNTS.replace(b"100,", b"lots,", 1)
    outcome = upload({"accounts.csv": bad, "reps.csv": REPS})
    errors = sum(line.startswith("Error") for line in outcome.report["details"])
    notes = len(outcome.report["details"]) - errors
    assert outcome.report["title"].startswith(f"Upload refused: {errors} problem")
    shown = str(show_banners(outcome.report, None))
    assert f"Details: {errors} problem" in shown and (notes == 0 or f"{notes} note" in shown)
