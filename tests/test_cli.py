"""CLI.md: commands, outputs, exit statuses, messages without tracebacks."""
import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from engine.fairness import gini

from .conftest import ACCOUNT_HEADER, DATA, account, csv_bytes

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ["--reps", str(DATA / "fixture12" / "reps.csv"), "--accounts", str(DATA / "fixture12" / "accounts.csv")]
KNOWN = ["--threshold", "5000", "--weights", "33,33,34"]


def cli(*args, cwd=ROOT):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "engine", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=300, env=env)


def test_allocate_writes_export_audit_and_summary(tmp_path):
    out, audit, summary = tmp_path / "o.csv", tmp_path / "a.csv", tmp_path / "s.json"
    result = cli("allocate", *FIXTURE, *KNOWN, "--out", str(out), "--audit", str(audit), "--summary", str(summary))
    assert result.returncode == 0, result.stderr
    assert "Enterprise" in result.stdout and "Overall" in result.stdout
    assert "Gini" in result.stdout and "Within 15%" in result.stdout and "Best possible" in result.stdout
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert [r["Assigned_Rep"] for r in rows][:3] == ["Bob Smith", "Bob Smith", "Carol Williams"]
    data = json.loads(summary.read_text())
    assert data["threshold"] == 5000 and data["weights"] == [33, 33, 34]
    ent = data["segments"]["Enterprise"]
    assert {k: ent[k] for k in ("reps", "accounts", "arr", "unassigned")} == {
        "reps": 3, "accounts": 6, "arr": 3_280_000.0, "unassigned": 0}
    assert set(ent["fairness"]) == {"arr", "accounts", "risk", "custom", "balanced",
                                    "gini", "max_min", "worst_deviation", "in_band_15", "best"}
    books = {}
    for r in rows:
        if r["Segment"] == "Enterprise":
            books[r["Assigned_Rep"]] = books.get(r["Assigned_Rep"], 0.0) + float(r["ARR"])
    assert ent["fairness"]["gini"]["arr"] == pytest.approx(gini(list(books.values())))
    assert ent["fairness"]["max_min"]["arr"] == pytest.approx(max(books.values()) / min(books.values()))
    assert ent["fairness"]["best"]["accounts"] == 100.0  # 6 accounts over 3 reps split evenly
    assert set(data["overall"]) == {"custom", "balanced"}
    audit_rows = list(csv.DictReader(io.StringIO(audit.read_text())))
    assert len(audit_rows) == 12 * 3
    assert sum(r["winner"] == "yes" for r in audit_rows) == 12


def test_allocate_refine_reports_what_it_changed(tmp_path):
    out, audit, summary = tmp_path / "o.csv", tmp_path / "a.csv", tmp_path / "s.json"
    plain = cli("allocate", "--summary", str(tmp_path / "plain.json"))
    result = cli("allocate", "--refine", "--out", str(out), "--audit", str(audit), "--summary", str(summary))
    assert result.returncode == 0, result.stderr
    assert "Refined for Balanced" in result.stdout
    block = json.loads(summary.read_text())["refine"]
    assert "refine" not in json.loads((tmp_path / "plain.json").read_text()) and plain.returncode == 0
    assert block["objective"] == "balanced" and block["moves"] + block["swaps"] > 0
    assert set(block["balanced"]["before"]) == {"Enterprise", "Mid-Market", "overall"}
    assert block["balanced"]["after"]["overall"] > block["balanced"]["before"]["overall"]
    for kept in (block["geo_matches"], block["owners_kept"]):
        assert kept["after"] >= kept["before"] > 0
    assert block["seconds"] >= 0
    rows = csv.DictReader(io.StringIO(audit.read_text()))
    changes = [r for r in rows if r["segment_reason"].startswith("refinement")]
    assert len(changes) == block["moves"] + 2 * block["swaps"]
    exported = {r["Account_ID"]: r["Assigned_Rep"] for r in csv.DictReader(io.StringIO(out.read_text()))}
    last = {change["account_id"]: change["rep"] for change in changes}  # an account's last change wins
    assert all(exported[account_id] == rep for account_id, rep in last.items())


def test_refine_custom_and_bad_objective():
    assert cli("allocate", "--refine", "custom").returncode == 0
    bad = cli("allocate", "--refine", "fastest")
    assert bad.returncode == 2 and "invalid choice" in bad.stderr and "Traceback" not in bad.stderr


def test_optimize_prints_json():
    result = cli("optimize", *FIXTURE, *KNOWN)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["evaluated"] == 5151 and sum(data["weights"]) == 100
    assert set(data["balanced"]) == {"overall", "Enterprise", "Mid-Market"}
    assert data["current"]["weights"] == [33, 33, 34]


def test_sensitivity_csv_with_empty_cells_for_na(tmp_path):
    result = cli("sensitivity", *FIXTURE, *KNOWN)
    assert result.returncode == 0, result.stderr
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == ["threshold", "balanced", "custom", "deal_size_ratio", "enterprise_accounts",
                       "mid_market_accounts"]
    assert rows[1][:4] == ["700", "", "", ""]  # every account Enterprise: the Mid-Market team idles
    assert cli("sensitivity", *FIXTURE, "--out", str(tmp_path / "s.csv")).returncode == 0
    assert (tmp_path / "s.csv").read_text().startswith("threshold,")


def test_validate_ok_and_workbook_input(tmp_path):
    from openpyxl import Workbook
    book = Workbook()
    book.active.append(["Rep_Name", "Segment", "Location"])
    book.active.append(["Ann", "E", "CA"])
    accounts = book.create_sheet("Whatever")
    accounts.append(ACCOUNT_HEADER)
    accounts.append(["A1", "Co", "Ann", 100, 10, "CA", 5])
    book.save(tmp_path / "w.xlsx")
    result = cli("validate", "--workbook", str(tmp_path / "w.xlsx"))
    assert result.returncode == 0 and "OK: 1 accounts, 1 reps." in result.stdout
    assert cli("allocate", "--workbook", str(tmp_path / "w.xlsx")).returncode == 0


def test_invalid_input_exits_2_with_every_error_and_no_traceback(tmp_path):
    (tmp_path / "a.csv").write_bytes(csv_bytes(ACCOUNT_HEADER, [account("A1", "1.2M"), account("A1", -1)]))
    result = cli("allocate", "--reps", str(DATA / "fixture12" / "reps.csv"), "--accounts", str(tmp_path / "a.csv"))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors == [
        'error: a.csv, row 3, column Account_ID: "A1" duplicates row 2',
        'error: a.csv, row 2, column ARR: "1.2M" is not a number; expected e.g. 1200000, 1,200,000 or $1,200,000',
        'error: a.csv, row 3, column ARR: "-1" is negative; expected 0 or more']


@pytest.mark.parametrize("args, fragment", [
    (["--reps", "/no/such.csv", "--accounts", "/no/a.csv"], "cannot be read"),
    (["--reps", "x.csv"], "--reps and --accounts go together"),
    (["--weights", "50,50,50"], "not three whole percents"),
    (["--geo", "0.5"], "geo bonus must be between 0.00 and 0.10"),
])
def test_bad_arguments_exit_2_without_traceback(args, fragment):
    result = cli("allocate", *args)
    assert result.returncode == 2
    assert fragment in result.stderr and "Traceback" not in result.stderr


def test_warnings_go_to_stderr_and_keep_status_0():
    result = cli("validate")  # the bundled demo data has deliberate messy spellings
    assert result.returncode == 0
    assert "warning:" in result.stderr and "Calif." in result.stderr


def test_default_is_demo_data_from_any_directory(tmp_path):
    result = cli("allocate", cwd=tmp_path)
    assert result.returncode == 0 and "2,000 accounts, 24 reps" in result.stdout


# --- rules (CLI.md "Rules, rebalance and column mapping") -------------------------------------

def test_rule_flags_pins_and_the_summary_rules_block(tmp_path):
    pins, summary, out, audit = tmp_path / "pins.csv", tmp_path / "s.json", tmp_path / "o.csv", tmp_path / "a.csv"
    pins.write_text("account id,Rep Name\nACC-010,Eve Davis\n")
    result = cli("allocate", *FIXTURE, *KNOWN, "--lock-arr-at-least", "$700,000", "--review-arr-at-least", "590000",
                 "--max-accounts", ",1", "--pins", str(pins), "--summary", str(summary), "--out", str(out),
                 "--audit", str(audit))
    assert result.returncode == 0, result.stderr
    rules = json.loads(summary.read_text())["rules"]
    # ACC-002 ($750,000) is locked to its owner Bob and ACC-010 pinned to Eve; ACC-003 ($600,000)
    # is held. Mid-Market reps take one account each: Eve holds the pin already, so of the six
    # Mid-Market accounts two find room (David, Frank) and three stay unassigned.
    assert rules == {"locked": 2, "locks_not_kept": 0, "held": 1, "unassigned_at_capacity": 3,
                     "over_cap_by_locks": []}
    status = {r["Account_ID"]: r["Assignment_Status"] for r in csv.DictReader(io.StringIO(out.read_text()))}
    assert status["ACC-002"] == status["ACC-010"] == "Locked" and status["ACC-003"] == "Held for review"
    assert list(status.values()).count("Unassigned: every rep is at capacity") == 3
    locked_rows = [r for r in csv.DictReader(io.StringIO(audit.read_text())) if r["reason"].startswith("Locked")]
    assert [(r["account_id"], r["rep"], r["reason"]) for r in locked_rows] == [
        ("ACC-002", "Bob Smith", "Locked to its owner: ARR ≥ $700,000."),
        ("ACC-010", "Eve Davis", "Locked to Eve Davis: pinned by you.")]
    assert "stay unassigned: every rep of the segment is at capacity" in result.stderr


@pytest.mark.parametrize("args, message", [
    (["--max-accounts", "1,2,3"], "has more than 2 values"),
    (["--lock-arr-at-least", "lots"], "is not an amount of ARR"),
])
def test_bad_rule_flags_exit_2(args, message):
    result = cli("allocate", *FIXTURE, *args)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr


def test_a_pins_file_without_its_columns_is_refused(tmp_path):
    pins = tmp_path / "pins.csv"
    pins.write_text("Account,Owner\nACC-010,Eve Davis\n")
    result = cli("allocate", *FIXTURE, "--pins", str(pins))
    assert result.returncode == 2
    assert "pins.csv: a pins file needs Account_ID and Rep_Name columns (found: Account, Owner)" in result.stderr


# --- rebalance (CLI.md) ------------------------------------------------------------------------

PFIZER = ["--reps", str(DATA / "pfizer" / "reps.csv"), "--accounts", str(DATA / "pfizer" / "accounts.csv"),
          "--threshold", "1"]


def test_rebalance_writes_the_plan_file_and_summary(tmp_path):
    plan, summary = tmp_path / "plan.csv", tmp_path / "s.json"
    result = cli("rebalance", *PFIZER, "--band", "5", "--drivers", "arr", "--waves", "2", "--out", str(plan),
                 "--summary", str(summary))
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(plan.read_text())))
    assert list(rows[0]) == ["Wave", "Account_ID", "Account_Name", "ARR", "From_Rep", "To_Rep", "Reason"]
    assert [(r["Wave"], r["Account_ID"], r["From_Rep"], r["To_Rep"]) for r in rows] == [
        ("1", "B10", "SR2", "SR3"), ("2", "B12", "SR2", "SR3")]
    data = json.loads(summary.read_text())
    assert {k: data[k] for k in ("band", "drivers", "moves", "orphans_placed", "arr_moved", "lower_bound",
                                 "proven_minimal", "reps_in_band")} == {
        "band": 5.0, "drivers": ["arr"], "moves": 2, "orphans_placed": 0, "arr_moved": 3357.0, "lower_bound": 2,
        "proven_minimal": True, "reps_in_band": {"before": 2, "after": 4, "total": 4}}
    assert set(data["balanced"]) == {"before", "after"}
    assert data["segments"]["Enterprise"]["moves"] == 2


def test_rebalance_prints_the_plan_without_out():
    result = cli("rebalance", *PFIZER, "--band", "10", "--drivers", "arr")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("1 move brings every rep into the band (proven minimal).")
    assert "B10" in result.stdout and "SR2" in result.stdout


@pytest.mark.parametrize("args, message", [(["--band", "70"], "the band must be from 1 to 50"),
                                           (["--drivers", "arr,love"], "is not a list of arr, accounts, risk")])
def test_bad_rebalance_flags_exit_2(args, message):
    result = cli("rebalance", *PFIZER, *args)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr


def test_map_reads_a_column_under_the_name_the_file_gives_it(tmp_path):
    source = (DATA / "fixture12" / "accounts.csv").read_text().replace("Num_Employees", "Head Count Total", 1)
    accounts = tmp_path / "accounts.csv"
    accounts.write_text(source)
    inputs = ["--reps", str(DATA / "fixture12" / "reps.csv"), "--accounts", str(accounts), *KNOWN]
    refused = cli("validate", "--reps", inputs[1], "--accounts", inputs[3])
    assert refused.returncode == 2 and "column Num_Employees: is missing" in refused.stderr
    assert "Head Count Total" in refused.stderr and "Traceback" not in refused.stderr
    mapped = cli("allocate", *inputs, "--map", "Num_Employees=Head Count Total")
    assert mapped.returncode == 0, mapped.stderr
    assert mapped.stdout == cli("allocate", *FIXTURE, *KNOWN).stdout
    bad = cli("allocate", *inputs, "--map", "Headcount=Head Count Total")
    assert bad.returncode == 2 and "is not FIELD=Column" in bad.stderr
