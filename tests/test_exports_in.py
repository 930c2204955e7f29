"""Files as CRMs export them (DATA.md): each style of tests/data/exports gives the same dataset and
the same assignment as the canonical files, and says what it read differently."""
from pathlib import Path

import numpy as np
import pytest

from engine import Settings, Source, allocate, load_csvs, load_files, load_workbook
from engine.io.columns import ColumnMap
from engine.io.template import main as template_main
from engine.io.template import template_file

EXPORTS = Path(__file__).parent / "data" / "exports"
STYLES = {"salesforce": ("reps.csv", "accounts.csv"), "hubspot": ("users.csv", "companies.csv"),
          "utf16": ("reps.csv", "accounts.csv"), "pipe": ("reps.csv", "accounts.csv"),
          "european": ("reps.csv", "accounts.csv")}


def load_style(style: str, swap: bool = False):
    reps, accounts = (Source.from_path(EXPORTS / style / name) for name in STYLES.get(style, ("reps.csv",
                                                                                                "accounts.csv")))
    return load_files([accounts, reps] if swap else [reps, accounts])


@pytest.fixture(scope="module")
def canonical():
    result = load_style("canonical")
    assert result.ok, result.report.errors
    return result.dataset


@pytest.mark.parametrize("style", STYLES)
def test_every_export_style_loads_as_the_canonical_files_and_assigns_the_same(style, canonical):
    result = load_style(style, swap=True)  # told apart by their columns, in either order
    assert result.ok, [str(m) for m in result.report.errors]
    d = result.dataset
    assert list(d.account_id) == list(canonical.account_id)
    assert np.array_equal(d.arr, canonical.arr) and np.array_equal(d.employees, canonical.employees)
    assert list(d.rep_name) == list(canonical.rep_name)
    settings = Settings(1000)
    assert allocate(d, settings).assigned_names(d) == allocate(canonical, settings).assigned_names(canonical)


def infos(result) -> str:
    return "\n".join(str(m) for m in result.report.infos)


def test_a_salesforce_report_says_what_it_left_out_and_how_it_read_the_columns():
    text = infos(load_style("salesforce"))
    assert "accounts.csv: the header is row 5; the rows above it (a report title?) are left out" in text
    assert 'the lines from row 46 on are a report footer ("Grand Totals (40 records)")' in text
    assert "Account Owner → Original_Rep, Annual Revenue → ARR, Employees → Num_Employees" in text
    assert "Billing State/Province → Location, Churn Risk → Risk_Score" in text


def test_european_numbers_are_read_when_the_file_writes_them_so_and_said():
    result = load_style("european")
    assert "numbers are read the European way (1.200.000,50 = 1200000.50), as ARR, Num_Employees" in infos(result)


def accounts_csv(rows: list[str], header="Account_ID;Account_Name;Original_Rep;ARR;Num_Employees;Location") -> Source:
    return Source("accounts.csv", ("\n".join([header, *rows]) + "\n").encode())


REPS = Source("reps.csv", b"Rep_Name;Segment;Location\nAnn;E;CA\nBo;MM;TX\n")


def errors(result) -> list[str]:
    return [str(m) for m in result.report.errors]


def test_a_column_that_mixes_both_ways_of_writing_numbers_names_a_row_of_each():
    result = load_csvs(REPS, accounts_csv(["A1;a;Ann;1,200.50;10;CA", "A2;b;Bo;45.177,00;20;TX"]))
    assert errors(result) == ['accounts.csv, column ARR: mixes two ways of writing numbers: row 2 "1,200.50" and '
                              'row 3 "45.177,00"; write the whole column one way']


def test_european_numbers_are_not_read_from_a_comma_separated_file():
    result = load_csvs(Source("reps.csv", b"Rep_Name,Segment,Location\nAnn,E,CA\n"),
                       Source("accounts.csv", b'Account_ID,Account_Name,Original_Rep,ARR,Num_Employees,Location\n'
                                              b'A1,a,Ann,"45.177,00",10,CA\n'))
    assert errors(result) == ['accounts.csv, row 2, column ARR: "45.177,00" is not a number; expected e.g. 1200000, '
                              '1,200,000 or $1,200,000']


def test_a_file_without_a_delimiter_says_which_it_tried():
    result = load_csvs(REPS, Source("accounts.csv", b"Account_ID Account_Name Owner\nA1 a Ann\n"))
    assert errors(result) == ['accounts.csv: has no delimiter: tried comma, semicolon, tab and | and none splits the '
                              'lines into columns (the first line reads "Account_ID Account_Name Owner"). Save it as '
                              'CSV with one of them']


def test_an_ambiguous_column_is_never_guessed_and_the_mapping_settles_it():
    header = "Account_ID;Account_Name;Original_Rep;ARR;Num_Employees;State;Region"
    result = load_csvs(REPS, accounts_csv(["A1;a;Ann;100;10;CA;West"], header))
    assert errors(result) == ["accounts.csv, column Location: could be any of the columns State, Region: choose one "
                              'in the mapping step, or with --map "Location=…" on the command line']
    (request,) = result.mapping
    assert (request.file, request.kind, request.columns[-2:]) == ("accounts.csv", "accounts", ("State", "Region"))
    assert [(c.field, c.problem, c.guess) for c in request.choices] == [("Location", "more than one column fits",
                                                                         "State")]
    assert request.preview == (("A1", "a", "Ann", "100", "10", "CA", "West"),)
    chosen = load_csvs(REPS, accounts_csv(["A1;a;Ann;100;10;CA;West"], header),
                       mapping=ColumnMap(accounts={"Location": "Region"}))
    assert chosen.ok and list(chosen.dataset.table["Location"]) == ["West"]


def test_a_missing_column_lists_the_file_columns_and_the_closest():
    header = "Account_ID;Account_Name;Original_Rep;ARR;Employee Total;Location"
    result = load_csvs(REPS, accounts_csv(["A1;a;Ann;100;10;CA"], header))
    assert errors(result) == ["accounts.csv, column Num_Employees: is missing (the file's columns: Account_ID, "
                              "Account_Name, Original_Rep, ARR, Employee Total, Location; closest: Employee Total)"]
    assert [(c.field, c.guess) for c in result.mapping[0].choices] == [("Num_Employees", "Employee Total")]
    mapped = load_csvs(REPS, accounts_csv(["A1;a;Ann;100;10;CA"], header),
                       mapping=ColumnMap.parse("Num_Employees=employee total"))
    assert mapped.ok and mapped.dataset.employees.tolist() == [10.0]


def test_the_same_columns_in_any_order_share_a_mapping_key():
    first = load_csvs(REPS, accounts_csv(["A1;a;Ann;100;10;CA"],
                                         "Account_ID;Account_Name;Original_Rep;ARR;Size;Location"))
    second = load_csvs(REPS, accounts_csv(["a;A1;Ann;100;10;CA"],
                                          "Account_Name;Account_ID;Original_Rep;ARR;Size;Location"))
    assert first.mapping[0].key == second.mapping[0].key


def test_column_map_parses_the_command_line_form_and_refuses_unknown_fields():
    mapping = ColumnMap.parse("ARR=Contract Value, location=Sales Region")
    assert mapping.accounts == {"ARR": "Contract Value", "Location": "Sales Region"}
    assert mapping.reps == {"Location": "Sales Region"}
    with pytest.raises(ValueError, match="is not FIELD=Column"):
        ColumnMap.parse("Revenue=ARR")


def test_hundreds_of_rows_with_the_wrong_field_count_are_counted_not_listed():
    rows = [f"A{i};a;Ann;100;10;CA;extra" for i in range(300)]
    found = errors(load_csvs(REPS, accounts_csv(["A;a;Ann;100;10;CA", *rows])))
    assert len(found) == 21 and found[-1] == ("accounts.csv: 280 more rows have a different number of fields than "
                                              "the header (read with the semicolon as delimiter: is that right?)")


def test_a_workbook_report_sheet_with_title_rows_loads(tmp_path):
    from openpyxl import Workbook
    book = Workbook()
    users = book.active
    for row in (["Sales users"], [], ["Full Name", "Sales Segment", "State"], ["Ann", "Enterprise", "CA"]):
        users.append(row)
    accounts = book.create_sheet("Report")
    for row in (["Accounts report"], [], ["Record ID", "Company name", "Company owner", "Annual Revenue",
                                           "Number of Employees", "State/Region"], ["A1", "a", "Ann", 100, 5000, "CA"],
                [], ["Grand Totals (1 records)"]):
        accounts.append(row)
    path = tmp_path / "book.xlsx"
    book.save(path)
    result = load_workbook(Source.from_path(path))
    assert result.ok, errors(result)
    assert result.dataset.account_id.tolist() == ["A1"] and result.dataset.rep_name.tolist() == ["Ann"]


def test_the_template_loads_as_it_is_from_the_csvs_and_the_workbook(tmp_path):
    """DATA.md: both CSVs and the workbook, every column, three example rows that load cleanly."""
    assert template_main([str(tmp_path)]) == 0
    from_csvs = load_csvs(Source.from_path(tmp_path / "reps.csv"), Source.from_path(tmp_path / "accounts.csv"))
    from_book = load_workbook(Source.from_path(tmp_path / "territory-template.xlsx"))
    for result in (from_csvs, from_book):
        assert result.ok and not result.report.warnings, [str(m) for m in result.report.messages]
        d = result.dataset
        assert (d.n_accounts, d.n_reps) == (3, 3)
        assert list(d.locked) == [True, False, False] and list(d.rep_ramp) == [100, 100, 50]
    assert from_csvs.dataset.fingerprint == from_book.dataset.fingerprint
    assert template_file("../secrets") is None


def test_a_damaged_workbook_is_called_that_not_a_wrong_count_of_files():
    """Issue 15: a corrupt .xlsx was told "got 1 file(s)", as if the count were the problem."""
    result = load_files([Source("book.xlsx", b"\x00\x01 not a zip at all")])
    assert [str(m) for m in result.report.errors] == [
        "book.xlsx: is not a readable Excel workbook: it is damaged, or an old .xls or another format under an "
        ".xlsx name; open it in Excel and save it as .xlsx, or export two CSVs"]
    assert "got 3 file(s)" in str(load_files([Source(n, b"a,b\n") for n in "xyz"]).report.errors[0])
