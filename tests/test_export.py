"""DATA.md "Export": columns, order, formula safety, numbers, reproducible bytes."""
import csv
import io

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from openpyxl import load_workbook

from engine import allocate
from engine.io.export import export_csv, export_filename, export_xlsx, formula_safe
from engine.rules import Rules

from .conftest import ACCOUNT_HEADER, load, load_ruled, rep, ruled_account, ruled_rep, settings

HEADER = ["Industry", *[h if h != "Original_Rep" else "Current_Rep" for h in ACCOUNT_HEADER]]


def dataset():
    rows = [["=HYPERLINK(\"x\")", "B2", "@evil", "Alice", "$1,500", "1,000", "CA", "80"],
            ["-5", "00123", "+cmd", "Zed", "250.5", "20", "\tTX", ""],
            ["Retail", "NA", "Plain Co", "Bob", "100", "30", "NY", "10"]]
    return load(rows, [rep("Alice", "Enterprise", "CA"), rep("Bob", "Enterprise", "NY")],
                account_header=HEADER)


def rows_of(data: bytes):
    return list(csv.reader(io.StringIO(data.decode("utf-8"))))


def test_columns_in_original_order_current_rep_renamed_plus_segment_assigned_and_status():
    d = dataset()
    header = rows_of(export_csv(d, allocate(d, settings(threshold=500))))[0]
    assert header == ["Industry", "Account_ID", "Account_Name", "Original_Rep", "ARR", "Num_Employees",
                      "Location", "Risk_Score", "Segment", "Assigned_Rep", "Assignment_Status"]


def test_assignment_status_says_what_happened_to_each_account():
    accounts = [ruled_account("X", 500, locked="yes", owner="A"), ruled_account("Y", 400),
                ruled_account("Z", 300), ruled_account("S", 50, employees=10)]
    d = load_ruled(accounts, [ruled_rep("A", max_accounts=1), ruled_rep("B")])
    a = allocate(d, settings(threshold=500, rules=Rules(review_arr_at_least=350)))
    assert [r[-1] for r in rows_of(export_csv(d, a))[1:]] == [
        "Locked", "Held for review", "Assigned", "Unassigned: no reps"]
    capped = load_ruled(accounts[:3], [ruled_rep("A", max_accounts=1), ruled_rep("B", max_accounts=1)])
    statuses = [r[-1] for r in rows_of(export_csv(capped, allocate(capped, settings(threshold=500))))[1:]]
    assert statuses == ["Locked", "Assigned", "Unassigned: every rep is at capacity"]


def test_one_row_per_account_in_input_order_with_formula_safety():
    d = dataset()
    rows = rows_of(export_csv(d, allocate(d, settings(threshold=500))))[1:]
    assert [r[1] for r in rows] == ["B2", "00123", "NA"]
    assert rows[0][0] == "'=HYPERLINK(\"x\")" and rows[0][2] == "'@evil"
    assert rows[1][0] == "-5"                   # a number stays a number
    assert rows[1][2] == "'+cmd" and rows[1][6] == "'\tTX"
    assert [r[4] for r in rows] == ["1500", "250.5", "100"]  # parsed numbers, no money format
    assert [r[8] for r in rows] == ["Enterprise", "Mid-Market", "Mid-Market"]


def test_unassigned_accounts_have_empty_assigned_rep():
    d = dataset()
    rows = rows_of(export_csv(d, allocate(d, settings(threshold=500))))[1:]
    assert rows[0][9] in ("Alice", "Bob") and rows[1][9] == "" and rows[2][9] == ""


def test_formula_safe():
    assert [formula_safe(t) for t in ["=1+1", "+1", "-1", "-x", "@a", "\tb", "\rc", "ok", "1.5"]] == [
        "'=1+1", "'+1", "-1", "'-x", "'@a", "'\tb", "'\rc", "ok", "1.5"]


def test_same_state_exported_twice_is_byte_identical():
    d = dataset()
    s = settings(threshold=500)
    assert export_csv(d, allocate(d, s)) == export_csv(dataset(), allocate(dataset(), s))
    first = export_xlsx(d, allocate(d, s))
    import time
    time.sleep(1.1)  # a timestamp in the file would now differ
    assert export_xlsx(d, allocate(d, s)) == first


def test_workbook_keeps_numbers_text_and_records_settings():
    d = dataset()
    a = allocate(d, settings(threshold=500, weights=(50, 25, 25)))
    book = load_workbook(io.BytesIO(export_xlsx(d, a)))
    sheet = book["Assignments"]
    assert sheet["B3"].value == "00123" and sheet["E2"].value == 1500 and sheet["E3"].value == 250.5
    assert sheet["A3"].value == -5 and sheet["A2"].value == "'=HYPERLINK(\"x\")"
    recorded = {row[0].value: row[1].value for row in book["Settings"].iter_rows()}
    assert recorded["Threshold (employees)"] == 500 and recorded["Weight ARR %"] == 50
    assert recorded["Data fingerprint"] == d.fingerprint


def test_file_name_carries_settings():
    d = dataset()
    name = export_filename(d, allocate(d, settings(threshold=500)), "csv")
    assert name == f"territories_t500_w34-33-33_g0.05_p0.05_hr70_{d.fingerprint}.csv"


def test_a_refined_export_says_so_and_holds_the_refined_assignment(demo):
    from engine.refine import refine

    greedy = allocate(demo, settings(threshold=1000))
    refined = refine(demo, greedy)
    assert export_filename(demo, refined, "csv").endswith(f"_hr70_refined-balanced_{demo.fingerprint}.csv")
    rows = list(csv.DictReader(io.StringIO(export_csv(demo, refined).decode())))
    assert [r["Assigned_Rep"] for r in rows] == refined.assigned_names(demo) != greedy.assigned_names(demo)
    book = load_workbook(io.BytesIO(export_xlsx(demo, refined)))
    recorded = {row[0].value: row[1].value for row in book["Settings"].iter_rows()}
    assert recorded["Refine balance"] == "Balanced"
    plain_book = load_workbook(io.BytesIO(export_xlsx(demo, greedy)))
    plain = {row[0].value: row[1].value for row in plain_book["Settings"].iter_rows()}
    assert plain["Refine balance"] == "Off"


def hostile_dataset(header_extra: str, cells: list[str]):
    header = [*ACCOUNT_HEADER, header_extra]
    rows = [[f"A{i}", f"Co {i}", "Alice", 100 + i, 10, "CA", "", cell] for i, cell in enumerate(cells)]
    return load(rows, [rep("Alice")], account_header=header)


def test_headers_are_neutralised_and_line_breaks_stay_inside_one_record():
    d = hostile_dataset("=HYPERLINK(\"http://x\")", ["a\rb", "=3+4\r=5+6", "line\nbreak", "plain"])
    a = allocate(d, settings())
    rows = rows_of(export_csv(d, a))
    assert rows[0][-4] == "'=HYPERLINK(\"http://x\")"
    assert len(rows) == 1 + 4
    assert [r[-4] for r in rows[1:]] == ["a\rb", "'=3+4\r=5+6", "line\nbreak", "plain"]
    sheet = load_workbook(io.BytesIO(export_xlsx(d, a)))["Assignments"]
    assert sheet.cell(1, 8).value == "'=HYPERLINK(\"http://x\")"
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


LEADS = ["=", "+", "-", "@", "\t", "\r", "\n", "|", "%", "'", '"', ",", ";", "\x00"]


@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(LEADS), st.text(alphabet=st.characters(codec="utf-8"), max_size=12)),
                min_size=1, max_size=6),
       st.sampled_from(LEADS))
def test_fuzzed_cell_text_gives_one_record_per_account_and_no_formula(cells, header_lead):
    texts = [(lead + text).replace("\x00", "") for lead, text in cells]
    d = hostile_dataset(header_lead.strip("\x00") + "Extra", texts)
    a = allocate(d, settings())
    rows = rows_of(export_csv(d, a))
    assert len(rows) == 1 + len(texts)
    for row in rows:
        assert not any(cell.startswith(("=", "+", "@", "\t", "\r")) for cell in row if not _plain_number(cell))
    sheet = load_workbook(io.BytesIO(export_xlsx(d, a)))["Assignments"]
    assert sheet.max_row == 1 + len(texts)
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def _plain_number(cell: str) -> bool:
    from engine.io.export import PLAIN_NUMBER
    return bool(PLAIN_NUMBER.match(cell))


def test_the_workbook_is_a_report_with_reps_and_fairness_formatted(fixture12):
    """Issue 15: the Excel export was a bare dump."""
    from engine.summary import fairness_detail, rep_summary

    a = allocate(fixture12, settings(threshold=5000))
    book = load_workbook(io.BytesIO(export_xlsx(fixture12, a)))
    assert book.sheetnames == ["Assignments", "Reps", "Fairness", "Settings"]
    assignments, reps, fairness = book["Assignments"], book["Reps"], book["Fairness"]
    header = [c.value for c in assignments[1]]
    arr = header.index("ARR") + 1
    assert assignments.freeze_panes == "A2" and assignments.auto_filter.ref and assignments[1][0].font.bold
    assert assignments.cell(2, arr).number_format == '"$"#,##0'
    expected = rep_summary(fixture12, a)
    assert [r[0].value for r in reps.iter_rows(min_row=2)] == list(expected["Rep"])
    assert [r[3].value for r in reps.iter_rows(min_row=2)] == list(expected["ARR"])
    assert reps.cell(2, [c.value for c in reps[1]].index("Max ARR") + 1).value is None  # no cap: blank
    rows = {r[0].value: dict(zip([c.value for c in fairness[1]], [c.value for c in r]))
            for r in fairness.iter_rows(min_row=2)}
    assert rows["Overall"]["Balanced"] == a.overall_balanced
    assert rows["Enterprise"]["Balanced"] == a.segments["Enterprise"].fairness.balanced
    detail = fairness_detail(fixture12, a, "Enterprise")
    assert rows["Enterprise"]["ARR Gini"] == detail["gini"]["arr"]
    assert rows["Enterprise"]["Accounts reps within ±15% %"] == detail["in_band_15"]["accounts"]
    assert rows["Enterprise"]["Risk best possible score"] == detail["best"]["risk"]
    gini_column = [c.value for c in fairness[1]].index("ARR Gini") + 1
    assert fairness.cell(2, gini_column).number_format == "0.000"
    versus = [c.value for c in reps[1]].index("ARR vs target %")
    assert [r[versus].value for r in reps.iter_rows(min_row=2)] == pytest.approx(list(expected["ARR_vs_Target_Pct"]))
    assert export_xlsx(fixture12, a) == export_xlsx(fixture12, a)


def test_each_reps_book_is_a_csv_of_its_accounts_in_one_zip(fixture12):
    """Issue 15: a per-rep book a leader can hand to each rep."""
    import zipfile

    from engine.io.export import rep_books_zip, unique_name

    a = allocate(fixture12, settings(threshold=5000))
    archive = zipfile.ZipFile(io.BytesIO(rep_books_zip(fixture12, a)))
    everyone = rows_of(export_csv(fixture12, a))
    header, by_rep = everyone[0], {}
    for row in everyone[1:]:
        by_rep.setdefault(row[header.index("Assigned_Rep")], []).append(row)
    assert sorted(archive.namelist()) == sorted(f"{name or 'Unassigned accounts'}.csv" for name in by_rep)
    for name, rows in by_rep.items():
        assert rows_of(archive.read(f"{name or 'Unassigned accounts'}.csv")) == [header, *rows]
    assert rep_books_zip(fixture12, a) == rep_books_zip(fixture12, a)
    used = set()
    names = [unique_name(n, used) for n in ("../etc/passwd", "A/B", "A?B", "")]
    assert names == ["_etc_passwd", "A_B", "A_B (2)", "rep"]
