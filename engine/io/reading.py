"""Files → rows of text (DATA.md "Inputs", "Files as CRMs export them"): decoding (UTF-8, cp1252,
UTF-16 with a BOM), the delimiter, workbook sheets, and, once the header row is known, a table
without the report's title rows above it or its footer below.

Nothing here knows what the columns mean: engine.io.columns finds the header row.
"""
from __future__ import annotations

import codecs
import csv
import gc
import io
import re
import zipfile
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .report import Report

ZIP_MAGIC = b"PK\x03\x04"
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
ENCODINGS = ("utf-8-sig", "cp1252")
DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "|"}
MB = 1024 * 1024
SAMPLE_LINES = 25        # lines read to find the delimiter
FIELD_COUNT_ERRORS = 20  # rows with the wrong number of fields listed one by one; the rest are counted
FOOTER = re.compile(r"^\s*(grand totals?|totals?\b|confidential|copyright|©|\(c\)|generated|filtered by|"
                    r"report (generated|run))", re.IGNORECASE)


@dataclass(frozen=True)
class Limits:
    """Size caps (DATA.md defaults); a deployment may set its own."""

    max_bytes: int = 20 * MB
    max_accounts: int = 200_000
    max_reps: int = 5_000
    max_unzipped_bytes: int = 200 * MB

    @property
    def max_rows(self) -> int:
        """Rows a file may have before it is known to be Reps or Accounts."""
        return max(self.max_accounts, self.max_reps)


@dataclass(frozen=True)
class Source:
    """A file's name (as the user knows it) and its bytes."""

    name: str
    data: bytes

    @classmethod
    def from_path(cls, path: str | Path) -> Source:
        path = Path(path)
        return cls(path.name, path.read_bytes())


@dataclass(frozen=True)
class Records:
    """A CSV or a sheet as rows of text, before its header row is known. `delimiter` is None for
    a sheet; numbers written the European way are only read from a file that is not comma
    separated (its decimal comma would split the cells)."""

    file: str
    rows: list[list[str]]
    delimiter: str | None = None

    @property
    def european_numbers_allowed(self) -> bool:
        return self.delimiter not in (None, ",")


@dataclass(frozen=True)
class RawTable:
    """A sheet or CSV as text: header, rows, and each row's number as a spreadsheet shows it."""

    file: str
    header: list[str]
    rows: list[list[str]]
    row_numbers: list[int]
    european_numbers_allowed: bool = False
    european_numbers: bool = False    # settled once the columns are known (engine.io.loading)


# --- CSV ---------------------------------------------------------------------------------------

def read_csv(source: Source, report: Report, limits: Limits) -> Records | None:
    """Decode, find the delimiter, and split into rows (at most a header and limits.max_rows)."""
    text = decode(source, report, limits)
    if text is None:
        return None
    if not text.strip():
        report.error("is empty", file=source.name)
        return None
    delimiter = find_delimiter(text)
    if delimiter is None:
        first = next((line for line in text.splitlines() if line.strip()), "")
        report.error(f"has no delimiter: tried comma, semicolon, tab and | and none splits the lines into "
                     f"columns (the first line reads \"{first[:80]}\"). Save it as CSV with one of them",
                     file=source.name)
        return None
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    with _collector_paused():
        try:
            rows = _capped(reader, source.name, report, limits)
        except csv.Error as error:  # a cell over the csv module's 131,072-character limit
            report.error(f"cannot be read as CSV ({error}): is a cell far longer than any name or number?",
                         file=source.name, row=reader.line_num)
            return None
    return Records(source.name, rows, delimiter) if report.ok else None


def decode(source: Source, report: Report, limits: Limits) -> str | None:
    if too_large(source, report, limits):
        return None
    data = source.data
    if data.startswith(ZIP_MAGIC):
        report.error("is an Excel workbook or other zip file, not a CSV: upload it alone", file=source.name)
        return None
    if data.startswith(UTF16_BOMS):  # Excel's "Unicode Text"
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            report.error("looks like binary data: it starts like UTF-16 text but cannot be decoded as UTF-16 "
                         "(save it again as \"Unicode Text\" or as CSV UTF-8)", file=source.name)
            return None
    if b"\x00" in data:
        report.error("is not a CSV text file (it contains binary data; UTF-16 text needs its byte-order "
                     "mark)", file=source.name)
        return None
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    report.error("cannot be decoded: save it as UTF-8 (or Windows-1252)", file=source.name)
    return None


def too_large(source: Source, report: Report, limits: Limits) -> bool:
    """The per-upload size cap, checked before anything is decoded or unzipped."""
    if len(source.data) <= limits.max_bytes:
        return False
    report.error(f"is {len(source.data) / MB:.1f} MB; the limit is {limits.max_bytes / MB:.3g} MB",
                 file=source.name)
    return True


def find_delimiter(text: str) -> str | None:
    """The delimiter that splits the first lines into the most rows of one width (more than one
    column): title rows above a report's header have a width of their own, so they do not decide.
    Ties go to the comma, then semicolon, tab and |."""
    sample = [line[:4096] for line in text[:256 * 1024].splitlines()[:SAMPLE_LINES * 4] if line.strip()]
    sample = sample[:SAMPLE_LINES]  # (a line cut short may miscount its own row, never the others)
    best, best_score = None, (0, 0)
    for delimiter in DELIMITERS:
        try:
            widths = Counter(len(row) for row in csv.reader(sample, delimiter=delimiter))
        except csv.Error:
            continue
        width, rows = max(((w, n) for w, n in widths.items() if w > 1), key=lambda wn: (wn[1], wn[0]),
                          default=(0, 0))
        if (rows, width) > best_score:
            best, best_score = delimiter, (rows, width)
    return best


def detect_delimiter(header_line: str) -> str:
    """The delimiter of one header line (comma when it has none): tells a CSV's kind cheaply."""
    return find_delimiter(header_line) or ","


def _capped(records, file: str, report: Report, limits: Limits) -> list[list[str]]:
    """The rows of a file, up to a header and `limits.max_rows` rows with content: a bigger file
    is refused without reading on, so a million-row upload costs neither the time nor the memory
    of parsing it all."""
    kept, filled = [], 0
    for record in records:
        kept.append(record)
        filled += has_content(record)
        if filled > limits.max_rows + 1:
            report.error(f"has more than {limits.max_rows:,} rows; the limits are {limits.max_accounts:,} "
                         f"accounts and {limits.max_reps:,} reps (reading stopped at row {len(kept):,})",
                         file=file)
            break
    return kept


@contextmanager
def _collector_paused():
    """Millions of new row lists make the cyclic GC rescan the heap again and again; rows hold
    only strings, so pausing it while they are built loses nothing."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


# --- workbooks ---------------------------------------------------------------------------------

def read_workbook(book: Source, report: Report, limits: Limits) -> list[Records]:
    """Every non-empty sheet of an .xlsx file as text, after checking it is safe to open."""
    if too_large(book, report, limits):
        return []
    try:
        with zipfile.ZipFile(io.BytesIO(book.data)) as archive:
            unzipped = sum(info.file_size for info in archive.infolist())
        if unzipped > limits.max_unzipped_bytes:
            report.error(f"unpacks to {unzipped / MB:,.0f} MB, more than the "
                         f"{limits.max_unzipped_bytes / MB:,.0f} MB allowed", file=book.name)
            return []
        return _sheets(book, report, limits)
    except Exception as exc:  # openpyxl and zipfile raise many types on damaged files
        report.error(f"is not a readable .xlsx workbook ({type(exc).__name__})", file=book.name)
        return []


def _sheets(book: Source, report: Report, limits: Limits) -> list[Records]:
    from openpyxl import load_workbook as open_xlsx  # imported here: CSV users never pay for it

    workbook = open_xlsx(io.BytesIO(book.data), read_only=True, data_only=True)
    try:
        sheets = []
        for sheet in workbook.worksheets:
            name = f"{book.name} [{sheet.title}]"
            rows = ([_cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True))
            records = [_trim_trailing_blanks(row) for row in _capped(rows, name, report, limits)]
            if not report.ok:
                return []
            if any(has_content(row) for row in records):
                sheets.append(Records(name, records))
        return sheets
    finally:
        workbook.close()


def _cell_text(value) -> str:
    """Spreadsheet cells as the text a user sees: 123.0 → "123", None → ""."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


# --- the table under a header row ----------------------------------------------------------------

def table_at(records: Records, header_index: int, report: Report) -> RawTable | None:
    """The table whose header is row `header_index` (0-based in records.rows): rows above it are
    left out (a report's title and filters), so is a footer below the data, and each is said."""
    rows = records.rows
    sheet = records.delimiter is None
    header = _trim_trailing_blanks(rows[header_index]) if sheet else rows[header_index]
    width = len(header)
    if any(has_content(row) for row in rows[:header_index]):
        report.info(f"the header is row {header_index + 1}; the rows above it (a report title?) are left out",
                    file=records.file)
    body = [(number, row) for number, row in enumerate(rows[header_index + 1:], start=header_index + 2)
            if has_content(row)]
    footer = _footer_start(rows, header_index, width)
    if footer is not None:
        first = next(" ".join(c.strip() for c in row if c.strip()) for row in rows[footer:] if has_content(row))
        report.info(f"the lines from row {footer + 1} on are a report footer (\"{first[:60]}\"), not accounts: "
                    f"they are left out", file=records.file)
        body = [(number, row) for number, row in body if number <= footer]
    table_rows, numbers, wrong = [], [], []
    for number, row in body:
        if sheet:
            row = row + [""] * (width - len(row))
        if len(row) != width:
            wrong.append((number, len(row)))
            continue
        table_rows.append(row)
        numbers.append(number)
    _field_count_errors(wrong, width, records, report)
    if not table_rows and report.ok:
        report.error("has only a header, no data rows", file=records.file, row=header_index + 1)
    return RawTable(records.file, header, table_rows, numbers, records.european_numbers_allowed) if report.ok \
        else None


def _footer_start(rows: list[list[str]], header_index: int, width: int) -> int | None:
    """Where a report footer starts (0-based): after the last row of data, a blank row, then only
    blank rows and footer lines ("Grand Totals (2,000 records)", "Confidential Information - Do
    Not Distribute", "Copyright …", or a line of one or two cells that is not a row of the table)."""
    index = len(rows) - 1
    footer_lines = 0
    while index > header_index:
        row = rows[index]
        if has_content(row):
            filled = sum(bool(cell.strip()) for cell in row)
            if not (FOOTER.match(next(c for c in row if c.strip())) or (filled <= 2 and len(row) != width)):
                break
            footer_lines += 1
        index -= 1
    start = index + 1  # the first row after the last row of data
    if footer_lines == 0 or start >= len(rows) or has_content(rows[start]):
        return None
    return start


def _field_count_errors(wrong: list[tuple[int, int]], width: int, records: Records, report: Report) -> None:
    for number, count in wrong[:FIELD_COUNT_ERRORS]:
        report.error(f"has {count} fields but the header has {width}", file=records.file, row=number)
    if len(wrong) > FIELD_COUNT_ERRORS:
        delimiter = DELIMITERS.get(records.delimiter or "", "")
        report.error(f"{len(wrong) - FIELD_COUNT_ERRORS:,} more rows have a different number of fields than the "
                     f"header" + (f" (read with the {delimiter} as delimiter: is that right?)" if delimiter else ""),
                     file=records.file)


def has_content(row: list[str]) -> bool:
    """A row with any non-blank cell (the first cell decides for almost every row)."""
    return bool(row) and (bool(row[0].strip()) or any(cell.strip() for cell in row))


def _trim_trailing_blanks(row: list[str]) -> list[str]:
    end = len(row)
    while end and not row[end - 1].strip():
        end -= 1
    return list(row[:end])
