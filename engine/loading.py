"""DATA.md: read two CSVs or one workbook, validate every rule, build a Dataset.

Nothing here raises on bad input: every problem becomes a Message naming file, spreadsheet row,
column and value, and the load is refused only when there is a hard error.
"""
from __future__ import annotations

import csv
import gc
import io
import math
import re
import zipfile
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .dataset import ENTERPRISE, MID_MARKET, Dataset, RuleColumns, build_dataset, match_key
from .report import Report

REP_COLUMNS = ("Rep_Name", "Segment", "Location")
ACCOUNT_COLUMNS = ("Account_ID", "Account_Name", "Original_Rep", "ARR", "Num_Employees", "Location")
OPTIONAL_ACCOUNT_COLUMNS = ("Risk_Score", "Locked")
OPTIONAL_REP_COLUMNS = ("Max_Accounts", "Max_ARR", "Ramp")
LOCKED_WORDS = {"yes": True, "y": True, "true": True, "1": True, "x": True,
                "no": False, "n": False, "false": False, "0": False, "": False}
MAX_ARR = 1e12        # DATA.md: no single account is larger; bigger values only break the arithmetic
MAX_EMPLOYEES = 1e8
SEGMENT_NAMES = {
    "enterprise": ENTERPRISE, "ent": ENTERPRISE, "e": ENTERPRISE,
    "mid market": MID_MARKET, "mid-market": MID_MARKET, "midmarket": MID_MARKET, "mm": MID_MARKET,
}
NUMBER = re.compile(r"^([-+]?)[$€£]?\s*([-+]?)(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?$")
NON_FINITE = {"nan", "inf", "+inf", "-inf", "infinity", "+infinity", "-infinity"}
ZIP_MAGIC = b"PK\x03\x04"
ENCODINGS = ("utf-8-sig", "cp1252")
MB = 1024 * 1024
LISTED_PER_PROBLEM = 50  # beyond this, one line counts the remaining rows with the same problem


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


@dataclass(frozen=True, eq=False)
class LoadResult:
    dataset: Dataset | None
    report: Report

    @property
    def ok(self) -> bool:
        return self.dataset is not None


@dataclass(frozen=True)
class RawTable:
    """A sheet or CSV as text: header, rows, and each row's number as a spreadsheet shows it."""

    file: str
    header: list[str]
    rows: list[list[str]]
    row_numbers: list[int]


def load_csvs(reps: Source, accounts: Source, limits: Limits = Limits()) -> LoadResult:
    report = Report()
    tables = [read_csv(source, report, limits) for source in (reps, accounts)]
    if not report.ok:
        return LoadResult(None, report)
    return _validate(tables[0], tables[1], report, limits)


def load_workbook(book: Source, limits: Limits = Limits()) -> LoadResult:
    report = Report()
    sheets = read_workbook(book, report, limits)
    if not report.ok:
        return LoadResult(None, report)
    reps = _find_sheet(sheets, "rep_name")
    accounts = _find_sheet(sheets, "account_id")
    if reps is None:
        report.error("no sheet has a Rep_Name column (the Reps sheet)", file=book.name)
    if accounts is None:
        report.error("no sheet has an Account_ID column (the Accounts sheet)", file=book.name)
    if not report.ok:
        return LoadResult(None, report)
    return _validate(reps, accounts, report, limits)


def load_files(sources: list[Source], limits: Limits = Limits()) -> LoadResult:
    """Uploads: one workbook, or two CSVs told apart by their headers."""
    if len(sources) == 1 and sources[0].data.startswith(ZIP_MAGIC):
        return load_workbook(sources[0], limits)
    report = Report()
    if len(sources) != 2:
        report.error(f"expected one .xlsx workbook or two CSV files (Reps and Accounts), "
                     f"got {len(sources)} file(s)")
        return LoadResult(None, report)
    tables = [read_csv(source, report, limits) for source in sources]
    if not report.ok:
        return LoadResult(None, report)
    reps = _find_sheet(tables, "rep_name")
    accounts = _find_sheet(tables, "account_id")
    if reps is None or accounts is None or reps is accounts:
        report.error("could not tell the files apart: the Reps file needs a Rep_Name column "
                     "and the Accounts file an Account_ID column",
                     file=" and ".join(s.name for s in sources))
        return LoadResult(None, report)
    return _validate(reps, accounts, report, limits)


def csv_kind(source: Source) -> str | None:
    """"reps" or "accounts" from a CSV's header line alone, None if it is neither (or no CSV):
    lets an upload take the two files one at a time."""
    if source.data.startswith(ZIP_MAGIC):
        return None
    first_line = source.data[:64 * 1024].split(b"\n", 1)[0].decode("utf-8-sig", errors="replace")
    header = {normalize_header(h) for h in first_line.split(detect_delimiter(first_line))}
    if "rep_name" in header and "account_id" not in header:
        return "reps"
    if "account_id" in header and "rep_name" not in header:
        return "accounts"
    return None


# --- reading -------------------------------------------------------------------------------

def read_csv(source: Source, report: Report, limits: Limits) -> RawTable | None:
    """Decode, detect the delimiter from the header line, and check every row's field count."""
    text = _decode_csv(source, report, limits)
    if text is None:
        return None
    delimiter = detect_delimiter(text.split("\n", 1)[0])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    with _collector_paused():
        try:
            records = _capped(reader, source.name, report, limits)
        except csv.Error as error:  # a cell over the csv module's 131,072-character limit
            report.error(f"cannot be read as CSV ({error}): is a cell far longer than any name or number?",
                         file=source.name, row=reader.line_num)
            return None
        return _table_from_records(source.name, records, report) if report.ok else None


def _capped(records, file: str, report: Report, limits: Limits) -> list[list[str]]:
    """The records of a file, up to a header and `limits.max_rows` rows with content: a bigger
    file is refused without reading on, so a million-row upload costs neither the time nor the
    memory of parsing it all."""
    kept, filled = [], 0
    for record in records:
        kept.append(record)
        filled += _has_content(record)
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


def _decode_csv(source: Source, report: Report, limits: Limits) -> str | None:
    if _too_large(source, report, limits):
        return None
    if source.data.startswith(ZIP_MAGIC):
        report.error("is an Excel workbook or other zip file, not a CSV: upload it alone",
                     file=source.name)
        return None
    if b"\x00" in source.data:
        report.error("is not a CSV text file (it contains binary data)", file=source.name)
        return None
    for encoding in ENCODINGS:
        try:
            return source.data.decode(encoding)
        except UnicodeDecodeError:
            continue
    report.error("cannot be decoded: save it as UTF-8 (or Windows-1252)", file=source.name)
    return None


def _too_large(source: Source, report: Report, limits: Limits) -> bool:
    """The per-upload size cap, checked before anything is decoded or unzipped."""
    if len(source.data) <= limits.max_bytes:
        return False
    report.error(f"is {len(source.data) / MB:.1f} MB; the limit is {limits.max_bytes / MB:.3g} MB",
                 file=source.name)
    return True


def detect_delimiter(header_line: str) -> str:
    """Comma, semicolon or tab: whichever the header line uses most (comma on a tie)."""
    return max((",", ";", "\t"), key=header_line.count)


def read_workbook(book: Source, report: Report, limits: Limits) -> list[RawTable]:
    """Every non-empty sheet of an .xlsx file as text, after checking it is safe to open."""
    if _too_large(book, report, limits):
        return []
    try:
        with zipfile.ZipFile(io.BytesIO(book.data)) as archive:
            unzipped = sum(info.file_size for info in archive.infolist())
        if unzipped > limits.max_unzipped_bytes:
            report.error(f"unpacks to {unzipped / MB:,.0f} MB, more than the "
                         f"{limits.max_unzipped_bytes / MB:,.0f} MB allowed", file=book.name)
            return []
        return _workbook_tables(book, report, limits)
    except Exception as exc:  # openpyxl and zipfile raise many types on damaged files
        report.error(f"is not a readable .xlsx workbook ({type(exc).__name__})", file=book.name)
        return []


def _workbook_tables(book: Source, report: Report, limits: Limits) -> list[RawTable]:
    from openpyxl import load_workbook as open_xlsx  # imported here: CSV users never pay for it

    workbook = open_xlsx(io.BytesIO(book.data), read_only=True, data_only=True)
    try:
        tables = []
        for sheet in workbook.worksheets:
            name = f"{book.name} [{sheet.title}]"
            rows = ([_cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True))
            records = _capped(rows, name, report, limits)
            if not report.ok:
                return []
            table = _table_from_records(name, records, Report(), pad_rows=True)
            if table is not None:
                tables.append(table)
        return tables
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


def _table_from_records(file: str, records: list[list[str]], report: Report,
                        pad_rows: bool = False) -> RawTable | None:
    numbered = [(n, r) for n, r in enumerate(records, start=1) if _has_content(r)]
    if not numbered:
        report.error("is empty", file=file)
        return None
    header_number, header = numbered[0]
    if pad_rows:  # spreadsheets have ragged rows: trim trailing blank cells, pad short rows
        header = _trim_trailing_blanks(header)
    width = len(header)
    rows, numbers = [], []
    for number, row in numbered[1:]:
        if pad_rows:
            row = _trim_trailing_blanks(row)
            row += [""] * (width - len(row))
        if len(row) != width:
            report.error(f"has {len(row)} fields but the header has {width}", file=file, row=number)
            continue
        rows.append(row)
        numbers.append(number)
    if not rows and report.ok:
        report.error("has only a header, no data rows", file=file, row=header_number)
    return RawTable(file, header, rows, numbers) if report.ok else None


def _has_content(row: list[str]) -> bool:
    """A row with any non-blank cell (the first cell decides for almost every row)."""
    return bool(row) and (bool(row[0].strip()) or any(cell.strip() for cell in row))


def _trim_trailing_blanks(row: list[str]) -> list[str]:
    end = len(row)
    while end and not row[end - 1].strip():
        end -= 1
    return list(row[:end])


def normalize_header(name: str) -> str:
    """`rep name`, `Rep-Name` and ` REP_NAME ` are all `rep_name`."""
    return re.sub(r"[\s\-]+", "_", name.strip()).casefold()


def _find_sheet(tables: list[RawTable], column: str) -> RawTable | None:
    return next((t for t in tables if column in map(normalize_header, t.header)), None)


# --- validation ----------------------------------------------------------------------------

def _validate(reps: RawTable, accounts: RawTable, report: Report, limits: Limits) -> LoadResult:
    rep_frame = _columns(reps, REP_COLUMNS, OPTIONAL_REP_COLUMNS, report)
    account_frame = _columns(accounts, ACCOUNT_COLUMNS, OPTIONAL_ACCOUNT_COLUMNS, report)
    if rep_frame is None or account_frame is None:
        return LoadResult(None, report)
    _check_counts(reps, accounts, report, limits)
    if not report.ok:
        return LoadResult(None, report)
    rep_frame["Segment"] = _segments(reps, rep_frame["Segment"], report)
    _check_unique(reps, rep_frame["Rep_Name"], "Rep_Name", report)
    _check_unique(accounts, account_frame["Account_ID"], "Account_ID", report)
    arr = _numbers(accounts, account_frame["ARR"], "ARR", report, MAX_ARR)
    employees = _numbers(accounts, account_frame["Num_Employees"], "Num_Employees", report, MAX_EMPLOYEES)
    has_risk = "Risk_Score" in account_frame.columns
    risk = _risk_scores(accounts, account_frame["Risk_Score"], report) if has_risk else None
    rules = _rule_columns(reps, rep_frame, accounts, account_frame, report)
    if not report.ok:
        return LoadResult(None, report)
    if not has_risk:
        report.info("there is no Risk_Score column: the risk weight is set to 0", file=accounts.file)
    _cross_file_warnings(rep_frame, account_frame, reps.file, accounts.file, report)
    dataset = build_dataset(account_frame, rep_frame, arr=arr, employees=employees,
                            risk=risk if has_risk else np.full(len(arr), np.nan), has_risk=has_risk,
                            rules=rules)
    return LoadResult(dataset, report)


def _columns(table: RawTable, required, optional, report: Report) -> pd.DataFrame | None:
    """Map header variants to canonical names; Current_Rep becomes Original_Rep."""
    canonical = {normalize_header(c): c for c in (*required, *optional)}
    names = [canonical.get(normalize_header(h), h.strip()) for h in table.header]
    keys = [normalize_header(n) for n in names]
    if "original_rep" in canonical and "original_rep" not in keys and "current_rep" in keys:
        names[keys.index("current_rep")] = "Original_Rep"
        keys = [normalize_header(n) for n in names]
        report.info("column Current_Rep is read as Original_Rep", file=table.file)
    seen: dict[str, int] = {}
    for position, (key, name) in enumerate(zip(keys, names), start=1):
        if key in seen:
            report.error(f"appears twice (columns {seen[key]} and {position})", file=table.file,
                         column=name)
        seen.setdefault(key, position)
    for column in required:
        if normalize_header(column) not in seen:
            report.error(f"is missing (found: {', '.join(table.header)})", file=table.file,
                         column=column)
    if not report.ok:
        return None
    return pd.DataFrame(table.rows, columns=names, dtype=object)


def _check_counts(reps: RawTable, accounts: RawTable, report: Report, limits: Limits) -> None:
    if len(accounts.rows) > limits.max_accounts:
        report.error(f"has {len(accounts.rows):,} accounts; the limit is {limits.max_accounts:,}",
                     file=accounts.file)
    if len(reps.rows) > limits.max_reps:
        report.error(f"has {len(reps.rows):,} reps; the limit is {limits.max_reps:,}",
                     file=reps.file)


class _Problems:
    """A column's row problems, so a file with thousands of bad rows stays readable."""

    def __init__(self, table: RawTable, column: str, report: Report, error: bool = True):
        self.table, self.column, self.report, self.error = table, column, report, error
        self.hits: list[tuple[int, str, str]] = []  # (row, value, problem) in row order

    def add(self, index: int, value: str, text: str) -> None:
        self.hits.append((self.table.row_numbers[index], value, text))

    def flush(self) -> None:
        """Errors one a line, in row order, the first LISTED_PER_PROBLEM of each kind; warnings
        one line per kind with the rows."""
        by_text: dict[str, list[tuple[int, str]]] = defaultdict(list)
        for row, value, text in self.hits:
            by_text[text].append((row, value))
            if self.error and len(by_text[text]) <= LISTED_PER_PROBLEM:
                self.report.error(text, file=self.table.file, row=row, column=self.column, value=value)
        for text, hits in by_text.items():
            more = len(hits) - LISTED_PER_PROBLEM
            if self.error and more > 0:
                self.report.error(f"{more:,} more rows have the same problem: {text}",
                                  file=self.table.file, column=self.column)
            elif not self.error:
                rows = ", ".join(str(row) for row, _ in hits[:LISTED_PER_PROBLEM])
                self.report.warning(f"{text} in {len(hits):,} row(s): {rows}"
                                    + (f" and {more:,} more" if more > 0 else ""),
                                    file=self.table.file, column=self.column)


def parse_number(text: str) -> tuple[float | None, str | None]:
    """A plain, thousands-separated or currency-signed number → (value, None) or (None, problem)."""
    if text.isascii() and text.isdigit():  # the common case, without the regex
        return float(text), None
    stripped = text.strip()
    if not stripped:
        return None, "is empty; expected a number"
    if stripped.lower() in NON_FINITE:
        return None, "is not a finite number"
    match = NUMBER.match(stripped)
    if not match or (match.group(1) and match.group(2)):
        return None, "is not a number; expected e.g. 1200000, 1,200,000 or $1,200,000"
    value = float(match.group(3).replace(",", "") + (match.group(4) or ""))
    if not math.isfinite(value):
        return None, "is not a finite number"
    negative = "-" in (match.group(1) + match.group(2))
    return (-value if negative else value), None


def _numbers(table: RawTable, column: pd.Series, name: str, report: Report, largest: float) -> np.ndarray:
    problems = _Problems(table, name, report)
    values = np.zeros(len(column))
    for i, text in enumerate(column):
        value, problem = parse_number(text)
        if problem is None and value < 0:
            problem = "is negative; expected 0 or more"
        elif problem is None and value > largest:
            problem = f"is larger than {largest:,.0f}, more than any single account has; check the column"
        if problem:
            problems.add(i, text, problem)
        else:
            values[i] = value
    problems.flush()
    return values


def _risk_scores(table: RawTable, column: pd.Series, report: Report) -> np.ndarray:
    """Risk problems are warnings: a blank or non-numeric score is simply not high-risk."""
    problems = _Problems(table, "Risk_Score", report, error=False)
    values = np.full(len(column), np.nan)
    for i, text in enumerate(column):
        value, problem = parse_number(text)
        if problem:
            problems.add(i, text, "is blank (not high-risk)" if not text.strip()
                         else "is not a number (not high-risk)")
            continue
        if not 0 <= value <= 100:
            problems.add(i, text, "is outside 0-100")
        values[i] = value
    problems.flush()
    return values


def _rule_columns(reps: RawTable, rep_frame: pd.DataFrame, accounts: RawTable, account_frame: pd.DataFrame,
                  report: Report) -> RuleColumns:
    """The optional rule columns of DATA.md; a blank or missing column means "no rule"."""
    none = RuleColumns.none(len(account_frame), len(rep_frame))

    def column(frame, table, name, parse, default):
        return parse(table, frame[name], report) if name in frame.columns else default

    return RuleColumns(
        locked=column(account_frame, accounts, "Locked", _locked, none.locked),
        max_accounts=column(rep_frame, reps, "Max_Accounts", _max_accounts, none.max_accounts),
        max_arr=column(rep_frame, reps, "Max_ARR", _max_arr, none.max_arr),
        ramp=column(rep_frame, reps, "Ramp", _ramps, none.ramp),
    )


def _locked(table: RawTable, column: pd.Series, report: Report) -> np.ndarray:
    problems = _Problems(table, "Locked", report)
    values = np.zeros(len(column), dtype=bool)
    for i, text in enumerate(column):
        word = LOCKED_WORDS.get(text.strip().casefold())
        if word is None:
            problems.add(i, text, "is not yes or no; expected yes, y, true, 1 or x (locked) or no, n, false, "
                                  "0 or blank (not locked)")
        else:
            values[i] = word
    problems.flush()
    return values


def _bounded_numbers(table: RawTable, column: pd.Series, name: str, report: Report, check) -> np.ndarray:
    """Optional numbers of a rule column: blank is NaN; `check(value)` names a problem or None."""
    problems = _Problems(table, name, report)
    values = np.full(len(column), np.nan)
    for i, text in enumerate(column):
        if not text.strip():
            continue
        value, problem = parse_number(text)
        problem = problem or check(value)
        if problem:
            problems.add(i, text, problem)
        else:
            values[i] = value
    problems.flush()
    return values


def _max_accounts(table: RawTable, column: pd.Series, report: Report) -> np.ndarray:
    def check(value):
        if value < 0 or value != int(value) or value > MAX_EMPLOYEES:
            return "is not a whole number of accounts; expected e.g. 80, or blank for no cap"
        return None
    return _bounded_numbers(table, column, "Max_Accounts", report, check)


def _max_arr(table: RawTable, column: pd.Series, report: Report) -> np.ndarray:
    def check(value):
        if value < 0 or value > MAX_ARR:
            return f"is not an ARR cap from 0 to {MAX_ARR:,.0f}; expected e.g. 5,000,000, or blank for no cap"
        return None
    return _bounded_numbers(table, column, "Max_ARR", report, check)


def _ramps(table: RawTable, column: pd.Series, report: Report) -> np.ndarray:
    def check(value):
        return None if 1 <= value <= 100 else "is not a ramp from 1 to 100 (percent of a full book; blank = 100)"
    values = _bounded_numbers(table, column, "Ramp", report, check)
    return np.where(np.isnan(values), 100.0, values)


def _segments(table: RawTable, column: pd.Series, report: Report) -> pd.Series:
    problems = _Problems(table, "Segment", report)
    canonical = []
    for i, text in enumerate(column):
        segment = SEGMENT_NAMES.get(text.strip().casefold())
        if segment is None:
            problems.add(i, text, "is not a segment; expected Enterprise (Ent, E) or "
                                  "Mid-Market (Mid Market, MidMarket, MM)")
        canonical.append(segment)
    problems.flush()
    return pd.Series(canonical, index=column.index, dtype=object)


def _check_unique(table: RawTable, column: pd.Series, name: str, report: Report) -> None:
    """IDs and rep names must be present and unique, trimmed and case-insensitively."""
    problems = _Problems(table, name, report)
    first_row: dict[str, int] = {}
    for i, text in enumerate(column):
        key = match_key(text)
        if not key:
            problems.add(i, text, "is empty")
        elif key in first_row:
            problems.add(i, text, f"duplicates row {first_row[key]}")
        else:
            first_row[key] = table.row_numbers[i]
    problems.flush()


def _cross_file_warnings(reps: pd.DataFrame, accounts: pd.DataFrame, reps_file: str,
                         accounts_file: str, report: Report) -> None:
    rep_keys = {match_key(n) for n in reps["Rep_Name"]}
    owners = accounts["Original_Rep"]
    strangers = sorted({o.strip() for o in owners if o.strip() and match_key(o) not in rep_keys})
    if strangers:
        report.warning(f"{len(strangers)} Original_Rep name(s) are not in the Reps file "
                       f"(their accounts get no preserve bonus): {_listing(strangers)}",
                       file=accounts_file, column="Original_Rep")
    owner_keys = {match_key(o) for o in owners}
    idle = [n for n in reps["Rep_Name"] if match_key(n) not in owner_keys]
    if idle:
        report.warning(f"{len(idle)} rep(s) own no account today: {_listing(idle)}",
                       file=reps_file, column="Rep_Name")
    _location_warnings(reps["Location"], accounts["Location"], accounts_file, report)
    for segment in (ENTERPRISE, MID_MARKET):
        if not (reps["Segment"] == segment).any():
            report.warning(f"there are no {segment} reps: {segment} accounts will stay unassigned",
                           file=reps_file, column="Segment")


def _location_warnings(rep_locations, account_locations, accounts_file: str, report: Report) -> None:
    spellings: dict[str, set[str]] = defaultdict(set)
    for location in (*rep_locations, *account_locations):
        if location.strip():
            spellings[match_key(location)].add(location.strip())
    variants = [sorted(s) for s in spellings.values() if len(s) > 1]
    if variants:
        report.warning("locations written in several ways (they still match, but align them): "
                       + "; ".join(" = ".join(v) for v in sorted(variants)), column="Location")
    rep_keys = {match_key(loc) for loc in rep_locations}
    unshared = sorted({loc.strip() for loc in account_locations
                       if loc.strip() and match_key(loc) not in rep_keys})
    if unshared:
        report.warning(f"{len(unshared)} account location(s) match no rep's location, so they never "
                       f"get a geo bonus (check the spelling): {_listing(unshared)}",
                       file=accounts_file, column="Location")


def _listing(names: list[str], shown: int = 8) -> str:
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more
