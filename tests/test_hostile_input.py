"""Hostile uploads: refused or handled within bounded time and memory, never an exception.

Bounded is checked the honest way: the load runs in a child process with an address-space cap
and a deadline, so a file that made the loader balloon or hang would fail the test.
"""
import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from engine import Limits, Source, load_csvs, load_files, load_workbook

from .conftest import ACCOUNT_HEADER, account, csv_bytes, rep

ROOT = Path(__file__).resolve().parent.parent
REPS = csv_bytes(["Rep_Name", "Segment", "Location"], [rep("Ann"), rep("Bob", "MM")])
ACCOUNTS = csv_bytes(ACCOUNT_HEADER, [account("A1", 100), account("A2", 50, employees=10)])
MEMORY_CAP = 1024 ** 3  # bytes of address space the loading child may use
DEADLINE = 60           # seconds


def load_in_child(tmp_path: Path, files: dict[str, bytes]) -> list[str]:
    """Load `files` as an upload would in a capped child process; return the error lines."""
    paths = []
    for name, data in files.items():
        path = tmp_path / name
        path.write_bytes(data)
        paths.append(str(path))
    code = f"""
import json, resource, sys
sys.path.insert(0, {str(ROOT)!r})
resource.setrlimit(resource.RLIMIT_AS, ({MEMORY_CAP}, {MEMORY_CAP}))
from engine import Source, load_files
result = load_files([Source.from_path(p) for p in {paths!r}])
print(json.dumps([str(m) for m in result.report.errors] if not result.ok else []))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=DEADLINE,
                          env={**os.environ, "NUMBA_DISABLE_JIT": "0"})
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


def test_a_megabyte_cell_is_refused_with_its_row(tmp_path):
    accounts = ACCOUNTS + b"A3," + b"x" * (1 << 20) + b",Ann,1,1,ZZ,\n"
    errors = load_in_child(tmp_path, {"reps.csv": REPS, "accounts.csv": accounts})
    assert len(errors) == 1 and errors[0].startswith("accounts.csv, row 4: cannot be read as CSV")


def test_a_million_rows_are_refused_without_reading_them_all(tmp_path):
    rows = b"".join(b"%d,,Ann,1,1,,\n" % i for i in range(1_000_000))  # 17 MB: under the size cap
    errors = load_in_child(tmp_path, {"reps.csv": REPS, "accounts.csv": ACCOUNTS + rows})
    assert errors == ["accounts.csv: has more than 200,000 rows; the limits are 200,000 accounts and 5,000 "
                      "reps (reading stopped at row 200,002)"]


def test_ten_thousand_reps_are_refused():
    reps = csv_bytes(["Rep_Name", "Segment", "Location"], [rep(f"R{i}") for i in range(10_000)])
    result = load_csvs(Source("reps.csv", reps), Source("accounts.csv", ACCOUNTS))
    assert [str(m) for m in result.report.errors] == ["reps.csv: has 10,000 reps; the limit is 5,000"]


def zipped(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_a_zip_bomb_is_refused_before_it_is_unpacked(tmp_path):
    bomb = zipped({"xl/worksheets/sheet1.xml": b"\0" * (300 * 1024 * 1024)})
    assert len(bomb) < 1024 * 1024
    errors = load_in_child(tmp_path, {"book.xlsx": bomb})
    assert errors == ["book.xlsx: unpacks to 300 MB, more than the 200 MB allowed"]


def workbook_with_sheet_xml(sheet_xml: bytes) -> bytes:
    """A real workbook whose first sheet's XML is replaced."""
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["Rep_Name", "Segment", "Location"])
    buffer = io.BytesIO()
    book.save(buffer)
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as original:
        entries = {info.filename: original.read(info) for info in original.infolist()}
    entries["xl/worksheets/sheet1.xml"] = sheet_xml
    return zipped(entries)


def test_an_xml_entity_bomb_is_refused(tmp_path):
    lol = b'<!DOCTYPE lolz [<!ENTITY lol "lololololololololololol">' + b"".join(
        b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10) for i in range(1, 10)) + b"]>"
    sheet = (b'<?xml version="1.0"?>' + lol + b'<worksheet xmlns="http://schemas.openxmlformats.org/'
             b'spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is>'
             b"</c></row></sheetData></worksheet>")
    errors = load_in_child(tmp_path, {"book.xlsx": workbook_with_sheet_xml(sheet)})
    # defusedxml refuses any entity declaration; openpyxl reports that as a ValueError
    assert errors == ["book.xlsx: is not a readable .xlsx workbook (ValueError)"]


def test_entity_declarations_are_refused_even_when_harmless():
    """Proof that workbooks go through defusedxml: plain XML parsers accept this sheet."""
    sheet = (b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x "Rep_Name">]><worksheet xmlns="http://schemas.'
             b'openxmlformats.org/spreadsheetml/2006/main"><sheetData/></worksheet>')
    assert not load_workbook(Source("w.xlsx", workbook_with_sheet_xml(sheet))).ok


def test_binary_junk_is_refused(tmp_path):
    junk = bytes(range(256)) * 64
    errors = load_in_child(tmp_path, {"reps.csv": junk, "accounts.csv": junk[::-1]})
    assert errors and all("binary data" in e for e in errors)


FUZZ = hsettings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SMALL = Limits(max_bytes=64 * 1024, max_accounts=500, max_reps=50)


@FUZZ
@given(st.binary(max_size=4096), st.binary(max_size=4096), st.sampled_from(["a.csv", "b.xlsx", "c.txt"]))
def test_random_bytes_never_raise(first, second, name):
    for sources in ([Source(name, first)], [Source("reps.csv", first), Source(name, second)]):
        result = load_files(sources, SMALL)
        assert result.ok or result.report.errors
    assert not load_workbook(Source("w.xlsx", b"PK\x03\x04" + first), SMALL).ok


CELL = st.one_of(st.text(max_size=12), st.sampled_from(["", " ", "1,200", "$5", "-3", "1e9", "NaN", "inf", '"',
                                                        "a\nb", "=cmd", "NA", "00123", "Enterprise", "MM"]))


@st.composite
def csv_files(draw, header):
    """A table with the real header (sometimes mangled) in a random dialect and encoding."""
    columns = list(header)
    if draw(st.booleans()):
        columns = [draw(st.sampled_from([c, c.lower(), c.replace("_", " "), c + "x", ""])) for c in columns]
    rows = draw(st.lists(st.lists(CELL, min_size=len(columns) - 1, max_size=len(columns) + 1), max_size=12))
    buffer = io.StringIO()
    import csv
    writer = csv.writer(buffer, delimiter=draw(st.sampled_from([",", ";", "\t", "|"])),
                        quoting=draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC])),
                        lineterminator=draw(st.sampled_from(["\n", "\r\n", "\r"])))
    writer.writerow(columns)
    writer.writerows(rows)
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]))
    return buffer.getvalue().encode(encoding, errors="replace")


@FUZZ
@given(csv_files(["Rep_Name", "Segment", "Location"]), csv_files(ACCOUNT_HEADER))
def test_random_csv_dialects_never_raise_and_loads_keep_every_row(reps, accounts):
    result = load_files([Source("reps.csv", reps), Source("accounts.csv", accounts)], SMALL)
    if result.ok:
        assert result.dataset.n_accounts >= 1 and result.dataset.n_reps >= 1
        assert len(result.dataset.table) == result.dataset.n_accounts
    else:
        assert all(str(message) for message in result.report.errors)


@pytest.mark.parametrize("blank_lines", [0, 3])
def test_the_row_cap_counts_rows_with_content_only(blank_lines):
    limits = Limits(max_accounts=3, max_reps=3)
    rows = [account(f"A{i}", 100) for i in range(3)]
    accounts = csv_bytes(ACCOUNT_HEADER, rows) + b",,,,,,\n" * blank_lines
    assert load_csvs(Source("reps.csv", REPS), Source("accounts.csv", accounts), limits).ok
