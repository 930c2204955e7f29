"""DATA.md: read two CSVs or one workbook as CRMs export them, validate every rule, build a Dataset.

Nothing here raises on bad input: every problem becomes a Message naming file, spreadsheet row,
column and value, and the load is refused only when there is a hard error. A load that fails
only because some required columns could not be told for sure also says, per file, which
fields need a column and the best guess for each (`LoadResult.mapping`): the dashboard's
mapping step, or the command line's `--map`.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from ..dataset import ENTERPRISE, MID_MARKET, Dataset, RuleColumns, build_dataset, match_key
from .columns import (
    ACCOUNTS,
    REPS,
    REQUIRED,
    ColumnMap,
    ColumnMatch,
    header_key,
    kind_of,
    match_columns,
)
from .numbers import column_style, parse_number
from .reading import (
    ZIP_MAGIC,
    Limits,
    RawTable,
    Records,
    Source,
    detect_delimiter,
    has_content,
    read_csv,
    read_workbook,
    table_at,
)
from .report import Report

LOCKED_WORDS = {"yes": True, "y": True, "true": True, "1": True, "x": True,
                "no": False, "n": False, "false": False, "0": False, "": False}
MAX_ARR = 1e12        # DATA.md: no single account is larger; bigger values only break the arithmetic
MAX_EMPLOYEES = 1e8
SEGMENT_NAMES = {
    "enterprise": ENTERPRISE, "ent": ENTERPRISE, "e": ENTERPRISE,
    "mid market": MID_MARKET, "mid-market": MID_MARKET, "midmarket": MID_MARKET, "mm": MID_MARKET,
}
LISTED_PER_PROBLEM = 50  # beyond this, one line counts the remaining rows with the same problem
HEADER_SEARCH = 20       # the header is among the first 20 rows with content
PREVIEW_ROWS = 5
KIND_NAMES = {REPS: "Reps", ACCOUNTS: "Accounts"}


@dataclass(frozen=True)
class FieldChoice:
    """A required field the user must give a column: why, and the column to preselect."""

    field: str
    problem: str
    guess: str | None


@dataclass(frozen=True)
class MappingRequest:
    """What the mapping step shows for one file: its columns, its first rows, the fields to choose."""

    file: str
    kind: str
    columns: tuple[str, ...]
    preview: tuple[tuple[str, ...], ...]
    choices: tuple[FieldChoice, ...]
    key: str     # the same for any file with these columns (engine.io.columns.header_key)


@dataclass(frozen=True, eq=False)
class LoadResult:
    dataset: Dataset | None
    report: Report
    mapping: tuple[MappingRequest, ...] = ()

    @property
    def ok(self) -> bool:
        return self.dataset is not None


def load_csvs(reps: Source, accounts: Source, limits: Limits = Limits(),
              mapping: ColumnMap = ColumnMap()) -> LoadResult:
    """The Reps CSV and the Accounts CSV, in that order."""
    report = Report()
    records = [read_csv(source, report, limits) for source in (reps, accounts)]
    if not report.ok:
        return LoadResult(None, report)
    return _load({REPS: records[0], ACCOUNTS: records[1]}, report, limits, mapping)


def load_workbook(book: Source, limits: Limits = Limits(), mapping: ColumnMap = ColumnMap()) -> LoadResult:
    """A workbook whose sheets are told apart by their columns (sheet names are free)."""
    report = Report()
    sheets = read_workbook(book, report, limits)
    if not report.ok:
        return LoadResult(None, report)
    kinds = _kinds(sheets, mapping)
    for kind in (REPS, ACCOUNTS):
        if kind not in kinds:
            report.error(f"no sheet reads as the {KIND_NAMES[kind]} sheet ({_needs(kind)})", file=book.name)
    if not report.ok:
        return LoadResult(None, report)
    return _load(kinds, report, limits, mapping)


def load_files(sources: list[Source], limits: Limits = Limits(), mapping: ColumnMap = ColumnMap()) -> LoadResult:
    """Uploads: one workbook, or two CSVs told apart by their columns."""
    if len(sources) == 1 and sources[0].data.startswith(ZIP_MAGIC):
        return load_workbook(sources[0], limits, mapping)
    report = Report()
    for source in sources:
        if source.name.lower().endswith((".xlsx", ".xlsm", ".xls")) and not source.data.startswith(ZIP_MAGIC):
            report.error("is not a readable Excel workbook: it is damaged, or an old .xls or another format "
                         "under an .xlsx name; open it in Excel and save it as .xlsx, or export two CSVs",
                         file=source.name)
    if report.ok and len(sources) != 2:
        report.error(f"expected one .xlsx workbook or two CSV files (Reps and Accounts), got {len(sources)} file(s)")
    if not report.ok:
        return LoadResult(None, report)
    records = [read_csv(source, report, limits) for source in sources]
    if not report.ok:
        return LoadResult(None, report)
    kinds = _kinds(records, mapping)
    if len(kinds) != 2:
        report.error(f"could not tell the files apart: the Reps file needs {_needs(REPS)}, the Accounts file "
                     f"{_needs(ACCOUNTS)}", file=" and ".join(s.name for s in sources))
        return LoadResult(None, report)
    return _load(kinds, report, limits, mapping)


def csv_kind(source: Source) -> str | None:
    """"reps" or "accounts" from a CSV's first lines alone, None if it is neither (or no CSV): lets
    an upload take the two files one at a time."""
    if source.data.startswith(ZIP_MAGIC):
        return None
    start = source.data[:64 * 1024]
    text = start.decode("utf-16", errors="replace") if start[:2] in (b"\xff\xfe", b"\xfe\xff") \
        else start.decode("utf-8-sig", errors="replace")
    lines = [line for line in text.splitlines() if line.strip()][:HEADER_SEARCH]
    delimiter = detect_delimiter("\n".join(lines))
    return next((kind for line in lines if (kind := kind_of(line.split(delimiter)))), None)


def _needs(kind: str) -> str:
    return "columns " + ", ".join(REQUIRED[kind]) + " or their usual CRM names"


def _kinds(records: list[Records], mapping: ColumnMap) -> dict[str, Records]:
    """Which file (or sheet) is Reps and which Accounts, by the columns of its header row."""
    found = {}
    for candidate in records:
        kind = _header_kind(candidate, mapping)
        if kind is not None and kind not in found:
            found[kind] = candidate
    return found


def _header_kind(records: Records, mapping: ColumnMap) -> str | None:
    for row in _header_candidates(records):
        if (kind := kind_of(records.rows[row], mapping)) is not None:
            return kind
    return None


def _header_candidates(records: Records) -> list[int]:
    return [i for i, row in enumerate(records.rows) if has_content(row)][:HEADER_SEARCH]


def find_header(records: Records, kind: str, mapping: ColumnMap) -> tuple[int, ColumnMatch]:
    """The header row: the first of the first 20 rows with content that holds every required
    column of `kind` (found or ambiguous), else the one that holds the most."""
    best = None
    for row in _header_candidates(records):
        match = match_columns(records.rows[row], kind, mapping.of(kind))
        if match.found == len(REQUIRED[kind]):
            return row, match
        if best is None or match.found > best[1].found:
            best = (row, match)
    return best


# --- validation ----------------------------------------------------------------------------

def _load(files: dict[str, Records], report: Report, limits: Limits, mapping: ColumnMap) -> LoadResult:
    tables, frames, requests = {}, {}, []
    for kind, records in files.items():
        header, match = find_header(records, kind, mapping)
        table = table_at(records, header, report)
        if table is None:
            continue
        frames[kind] = _frame(table, match, report)
        tables[kind] = _number_style(table, frames[kind], report) if frames[kind] is not None else table
        if match.problems:
            requests.append(_mapping_request(table, match))
    if not report.ok:
        return LoadResult(None, report, tuple(requests))
    return _validate(tables[REPS], frames[REPS], tables[ACCOUNTS], frames[ACCOUNTS], report, limits)


def _frame(table: RawTable, match: ColumnMatch, report: Report) -> pd.DataFrame | None:
    """The table under canonical column names; every column problem a message."""
    if match.renamed:
        report.info("columns read as: " + ", ".join(f"{column} → {name}" for column, name in match.renamed),
                    file=table.file)
    for name, first, second in match.duplicates:
        report.error(f"appears twice (columns {first} and {second})", file=table.file, column=name)
    for problem in match.problems:
        if problem.kind == "ambiguous":
            report.error(f"could be any of the columns {', '.join(problem.candidates)}: choose one in the mapping "
                         f'step, or with --map "{problem.field}=…" on the command line', file=table.file,
                         column=problem.field)
        else:
            closest = f"; closest: {', '.join(problem.candidates)}" if problem.candidates else ""
            report.error(f"is missing (the file's columns: {', '.join(c.strip() for c in table.header)}{closest})",
                         file=table.file, column=problem.field)
    return pd.DataFrame(table.rows, columns=match.names, dtype=object) if match.complete else None


NUMBER_COLUMNS = ("ARR", "Num_Employees", "Risk_Score", "Max_Accounts", "Max_ARR", "Ramp")


def _number_style(table: RawTable, frame: pd.DataFrame, report: Report) -> RawTable:
    """The table with its numbers' style settled: European when some column can only be read
    that way (then `1.200` is 1,200 in every column of the file, not 1.2); a column that mixes
    both ways is an error naming a row of each."""
    columns = [name for name in NUMBER_COLUMNS if name in frame.columns]
    european = []
    for name in columns:
        style = column_style(frame[name], table.european_numbers_allowed)
        if style.mixed:
            usual, other = style.mixed
            report.error(f'mixes two ways of writing numbers: row {table.row_numbers[usual]} '
                         f'"{frame[name].iloc[usual]}" and row {table.row_numbers[other]} "{frame[name].iloc[other]}"; '
                         f"write the whole column one way", file=table.file, column=name)
        elif style.european:
            european.append(name)
    if european:
        report.info(f"numbers are read the European way (1.200.000,50 = 1200000.50), as {', '.join(european)} "
                    f"write them", file=table.file)
    return replace(table, european_numbers=bool(european))


def _mapping_request(table: RawTable, match: ColumnMatch) -> MappingRequest:
    choices = tuple(FieldChoice(p.field, "more than one column fits" if p.kind == "ambiguous" else "not found",
                                p.candidates[0] if p.candidates else None) for p in match.problems)
    return MappingRequest(table.file, match.kind, tuple(c.strip() for c in table.header),
                          tuple(tuple(row) for row in table.rows[:PREVIEW_ROWS]), choices, header_key(table.header))


def _validate(reps: RawTable, rep_frame: pd.DataFrame, accounts: RawTable, account_frame: pd.DataFrame,
              report: Report, limits: Limits) -> LoadResult:
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


def _numbers(table: RawTable, column: pd.Series, name: str, report: Report, largest: float) -> np.ndarray:
    """A required number column: blank is an error like any other unreadable value."""
    def check(value):
        if value < 0:
            return "is negative; expected 0 or more"
        if value > largest:
            return f"is larger than {largest:,.0f}, more than any single account has; check the column"
        return None
    return _checked_numbers(table, column, name, report, check, blank_allowed=False, count=name == "Num_Employees")


def _risk_scores(table: RawTable, column: pd.Series, report: Report) -> np.ndarray:
    """Risk problems are warnings: a blank or non-numeric score is simply not high-risk."""
    problems = _Problems(table, "Risk_Score", report, error=False)
    values = np.full(len(column), np.nan)
    for i, text in enumerate(column):
        value, problem = parse_number(text, table.european_numbers)
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
    return _checked_numbers(table, column, name, report, check, blank_allowed=True)


def _checked_numbers(table: RawTable, column: pd.Series, name: str, report: Report, check,
                     blank_allowed: bool, count: bool = False) -> np.ndarray:
    problems = _Problems(table, name, report)
    values = np.full(len(column), np.nan if blank_allowed else 0.0)
    for i, text in enumerate(column):
        if blank_allowed and not text.strip():
            continue
        value, problem = parse_number(text, table.european_numbers, count)
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
