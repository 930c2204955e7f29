"""DATA.md "Export": one row per input account, in input order, formula-safe and reproducible.

Inert by construction: every text cell and header that a spreadsheet would run as a formula is
prefixed with `'`, a cell holding a line break is quoted (CSV records end in CR LF, so a lone
CR counts as one), and numbers stay numbers.
"""
from __future__ import annotations

import csv
import datetime
import io
import math
import re
import zipfile

import pandas as pd

from ..allocation import Allocation
from ..dataset import Dataset
from ..rebalance import DRIVER_LABELS, Rebalance
from ..rules import status_text

NUMERIC_COLUMNS = ("ARR", "Num_Employees", "Wave")
TEXT_COLUMNS = ("Account_ID", "Account_Name", "Original_Rep", "Location", "Segment", "Assigned_Rep",
                "Assignment_Status", "From_Rep", "To_Rep", "Reason")
TRANSFER_COLUMNS = ["Wave", "Account_ID", "Account_Name", "Segment", "ARR", "From_Rep", "To_Rep", "Reason"]
LINE_END = "\r\n"  # with CR LF as the record end, the csv module quotes any cell holding CR or LF
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"^-?(0|[1-9]\d*)(\.\d+)?$")
XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # control characters a workbook cannot hold
FIXED_TIME = datetime.datetime(2000, 1, 1)  # for byte-identical workbooks


def export_table(dataset: Dataset, allocation: Allocation) -> pd.DataFrame:
    """Every original Accounts column (Current_Rep as Original_Rep), then Segment, Assigned_Rep
    and Assignment_Status (ALLOCATION.md §7)."""
    table = dataset.table.copy()
    for column, values in (("ARR", dataset.arr), ("Num_Employees", dataset.employees)):
        table[column] = values
    table["Segment"] = allocation.segment_names()
    table["Assigned_Rep"] = allocation.assigned_names(dataset)
    table["Assignment_Status"] = status_text(allocation.status)
    return table


def transfer_table(dataset: Dataset, rebalance: Rebalance) -> pd.DataFrame:
    """The plan's transfers in order (ALLOCATION.md §8): an orphan placed has an empty From_Rep,
    an account no rep could take an empty To_Rep."""
    def rep(index: int) -> str:
        return dataset.rep_name[index] if index >= 0 else ""

    transfers = rebalance.transfers
    return pd.DataFrame({
        "Wave": [t.wave for t in transfers],
        "Account_ID": [dataset.account_id[t.account] for t in transfers],
        "Account_Name": [dataset.account_name[t.account] for t in transfers],
        "Segment": [t.segment for t in transfers],
        "ARR": [float(dataset.arr[t.account]) for t in transfers],
        "From_Rep": [rep(t.from_rep) for t in transfers],
        "To_Rep": [rep(t.to_rep) for t in transfers],
        "Reason": [t.reason for t in transfers],
    }, columns=TRANSFER_COLUMNS)


def table_csv(table: pd.DataFrame) -> bytes:
    columns = list(table.columns)
    return csv_bytes(columns, ([_csv_cell(column, value) for column, value in zip(columns, row)]
                               for row in table.itertuples(index=False)))


def csv_bytes(header: list[str], rows) -> bytes:
    """A formula-safe CSV: headers neutralised, one record per row even when a cell holds a line break."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=LINE_END)
    writer.writerow([formula_safe(str(name)) for name in header])
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def formula_safe(text: str) -> str:
    """Prefix text a spreadsheet would run as a formula with `'`; plain numbers stay as they are."""
    if text.startswith(FORMULA_STARTS) and not PLAIN_NUMBER.match(text):
        return "'" + text
    return text


def export_csv(dataset: Dataset, allocation: Allocation) -> bytes:
    return table_csv(export_table(dataset, allocation))


def export_xlsx(dataset: Dataset, allocation: Allocation, rebalance: Rebalance | None = None) -> bytes:
    """A report a leader can hand on: Assignments, Reps (each book) and Fairness (scores per
    segment), a Transfers sheet when a rebalancing plan made the allocation, and a Settings sheet
    that records how the result was made; headers bold and frozen, money and counts formatted,
    columns as wide as their contents, filters on."""
    from ..summary import rep_summary

    tables = {"Assignments": export_table(dataset, allocation),
              "Reps": rep_summary(dataset, allocation).rename(columns=REP_HEADERS),
              "Fairness": fairness_table(dataset, allocation)}
    if rebalance is not None:
        tables["Transfers"] = transfer_table(dataset, rebalance)
    return workbook_bytes(tables, settings_record(dataset, allocation, rebalance))


DETAIL_DRIVERS = (("arr", "ARR"), ("accounts", "Accounts"), ("risk", "Risk"))
DETAIL_COLUMNS = (("gini", "Gini", "0.000"), ("max_min", "max/min", "0.00"),  # (measure, heading, format)
                  ("worst_deviation", "worst rep vs target %", "0.0"), ("in_band_15", "reps within ±15% %", "0.0"),
                  ("best", "best possible score", "0.00"))
REP_HEADERS = {"High_Risk_ARR": "High-risk ARR", "High_Risk_Share": "High-risk share %",
               "Average_Deal": "Average deal", "Geo_Match_Pct": "Geo match %", "Preserved_Pct": "Owner kept %",
               "ARR_vs_Target_Pct": "ARR vs target %", "Accounts_vs_Target_Pct": "Accounts vs target %",
               "Ramp": "Ramp %", "Max_Accounts": "Max accounts", "Max_ARR": "Max ARR"}
MONEY_COLUMNS = {"ARR", "High-risk ARR", "Average deal", "Max ARR"}
COUNT_COLUMNS = {"Num_Employees", "Accounts", "Max accounts", "Wave"}
PERCENT_COLUMNS = {"High-risk share %", "Geo match %", "Owner kept %", "Ramp %", "ARR CV %", "Accounts CV %",
                   "Risk CV %", "ARR vs target %", "Accounts vs target %"}
SCORE_COLUMNS = {"ARR score", "Accounts score", "Risk score", "Custom", "Balanced"}
FORMATS = [(MONEY_COLUMNS, '"$"#,##0'), (COUNT_COLUMNS, "#,##0"), (PERCENT_COLUMNS, "0.0"),
           (SCORE_COLUMNS, "0.00"),
           *(({f"{label} {heading}" for _, label in DETAIL_DRIVERS}, number_format)
             for _, heading, number_format in DETAIL_COLUMNS)]


def fairness_table(dataset: Dataset, allocation: Allocation) -> pd.DataFrame:
    """Per segment the three drivers' CV% and scores, both composites, and each driver's Gini,
    largest ÷ smallest book, worst rep, share within ±15% and best possible score; Overall last."""
    from ..summary import fairness_detail

    rows = []
    for name, segment in allocation.segments.items():
        f = segment.fairness
        row = {"Segment": name, "ARR CV %": f.cv_arr, "Accounts CV %": f.cv_accounts, "Risk CV %": f.cv_risk,
               "ARR score": f.arr, "Accounts score": f.accounts, "Risk score": f.risk, "Custom": f.custom,
               "Balanced": f.balanced}
        detail = fairness_detail(dataset, allocation, name)
        for driver, label in DETAIL_DRIVERS:
            row.update({f"{label} {heading}": detail[measure][driver] for measure, heading, _ in DETAIL_COLUMNS})
        rows.append(row)
    rows.append({"Segment": "Overall", "Custom": allocation.overall_custom, "Balanced": allocation.overall_balanced})
    return pd.DataFrame(rows, columns=list(rows[0]))


def workbook_bytes(tables: dict[str, pd.DataFrame], settings: list[tuple[str, object]] = ()) -> bytes:
    """One sheet per table, then a Settings sheet of (name, value) rows if any; equal content
    gives equal bytes."""
    from openpyxl import Workbook
    from openpyxl.writer.excel import ExcelWriter

    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, table in tables.items():
        sheet = workbook.create_sheet(title)
        _append_table(sheet, table)
        _format_sheet(sheet, table)
    if settings:
        sheet = workbook.create_sheet("Settings")
        for name, value in settings:
            sheet.append([name, xlsx_text(value) if isinstance(value, str) else value])
    workbook.properties.created = workbook.properties.modified = FIXED_TIME
    buffer = io.BytesIO()
    ExcelWriter(workbook, _FixedTimeZip(buffer, "w", zipfile.ZIP_DEFLATED)).save()
    return buffer.getvalue()


def rep_books_zip(dataset: Dataset, allocation: Allocation) -> bytes:
    """Each rep's book to hand over: one formula-safe CSV per rep, the export's rows of the
    accounts it gets (in input order), named after the rep; accounts without a rep in their own file."""
    table = export_table(dataset, allocation)
    buffer = io.BytesIO()
    used: set[str] = set()
    with _FixedTimeZip(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for rep, rows in table.groupby("Assigned_Rep", sort=True):
            archive.writestr(unique_name(rep or "Unassigned accounts", used) + ".csv", table_csv(rows))
    return buffer.getvalue()


def unique_name(text: str, used: set[str]) -> str:
    """A file name from a rep's name: letters, digits, spaces, dots and dashes only, never twice."""
    base = re.sub(r"[^\w .-]+", "_", text).strip(" .")[:80] or "rep"
    name, n = base, 1
    while name.lower() in used:
        n += 1
        name = f"{base} ({n})"
    used.add(name.lower())
    return name


def _format_sheet(sheet, table: pd.DataFrame) -> None:
    """Bold frozen header with filters, money and counts formatted, columns as wide as their text."""
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    sheet.freeze_panes = "A2"
    if len(table.columns):
        sheet.auto_filter.ref = sheet.dimensions
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for index, name in enumerate(table.columns, start=1):
        letter = get_column_letter(index)
        shape = next((shape for names, shape in FORMATS if name in names), None)
        if shape:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = shape
        widest = max([len(str(name))] + [len(str(cell.value)) for (cell,) in sheet.iter_rows(
            min_row=2, max_row=min(sheet.max_row, 2000), min_col=index, max_col=index) if cell.value is not None])
        sheet.column_dimensions[letter].width = min(60, widest + (4 if shape == '"$"#,##0' else 2))


def _append_table(sheet, table: pd.DataFrame) -> None:
    sheet.append([xlsx_text(str(name)) for name in table.columns])
    for row in table.itertuples(index=False):
        sheet.append([_xlsx_cell(column, value) for column, value in zip(table.columns, row)])


def settings_record(dataset: Dataset, allocation: Allocation,
                    rebalance: Rebalance | None = None) -> list[tuple[str, object]]:
    """What a reader needs to reproduce the export later."""
    s = allocation.settings
    return [
        *plan_record(rebalance),
        ("Threshold (employees)", s.threshold),
        ("Weight ARR %", s.weights.arr),
        ("Weight Accounts %", s.weights.accounts),
        ("Weight Risk %", s.weights.risk),
        ("Geo match bonus", s.preferences.geo),
        ("Preserve owner bonus", s.preferences.preserve),
        ("High-risk threshold", s.preferences.high_risk),
        ("Refine balance", allocation.refinement.objective.title() if allocation.refinement else "Off"),
        *([("Refine: smallest gain per change (points)", allocation.refinement.min_gain)]
          if allocation.refinement else []),
        *rules_record(allocation.settings.rules),
        ("Data fingerprint", dataset.fingerprint),
        ("Accounts", dataset.n_accounts),
        ("Reps", dataset.n_reps),
    ]


def plan_record(rebalance: Rebalance | None) -> list[tuple[str, object]]:
    """How the books were made: redrawn, or rebalanced with which band, drivers and waves."""
    if rebalance is None:
        return [("Mode", "Redraw the territories")]
    plan = rebalance.plan
    return [("Mode", "Rebalance today's books"), ("Band ± % of target", plan.band),
            ("Band drivers", ", ".join(DRIVER_LABELS[d] for d in plan.drivers)), ("Waves", rebalance.waves),
            ("Moves", rebalance.moves), ("Lower bound on moves", rebalance.lower_bound),
            ("Proven minimal", "Yes" if rebalance.proven_minimal else "No")]


def rules_record(rules) -> list[tuple[str, object]]:
    """The §7 settings as Settings-sheet rows ("Off" where a rule is not set)."""
    def amount(value, money=True):
        return "Off" if value is None else (f"${value:,.0f}" if money else f"{value:,.0f}")

    rows = [("Lock ARR at least", amount(rules.lock_arr_at_least)),
            ("Review ARR at least", amount(rules.review_arr_at_least))]
    for segment in ("Enterprise", "Mid-Market"):
        rows.append((f"{segment} default max accounts", amount(rules.max_accounts.get(segment), money=False)))
        rows.append((f"{segment} default max ARR", amount(rules.max_arr.get(segment))))
    pins = "; ".join(f"{account} → {rep}" for account, rep in sorted(rules.pins.items()))
    return [*rows, ("Pins", pins or "None")]


def export_filename(dataset: Dataset, allocation: Allocation, extension: str,
                    rebalance: Rebalance | None = None) -> str:
    """A file name that carries the settings, e.g. territories_t5000_w34-33-33_g0.05_p0.05_hr70_ab12cd.csv
    (with `_refined-balanced` before the fingerprint when Refine balance made it, `_rebalanced-b15`
    when a rebalancing plan with a ±15% band did)."""
    s = allocation.settings
    w = s.weights
    refined = f"_refined-{allocation.refinement.objective}" if allocation.refinement else ""
    if rebalance is not None:
        refined = f"_rebalanced-b{rebalance.plan.band:g}"
    return (f"territories_t{s.threshold}_w{w.arr}-{w.accounts}-{w.risk}_g{s.preferences.geo:.2f}"
            f"_p{s.preferences.preserve:.2f}_hr{s.preferences.high_risk:g}{refined}_{dataset.fingerprint}"
            f".{extension}")


def _csv_cell(column: str, value) -> str:
    if column in NUMERIC_COLUMNS:
        return _number_text(value)
    return formula_safe(str(value))


def _xlsx_cell(column: str, value):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None  # no cap, no score: a blank cell, never the text "nan"
    if column in NUMERIC_COLUMNS:
        return int(value) if float(value).is_integer() else float(value)
    text = str(value)
    if column not in TEXT_COLUMNS and PLAIN_NUMBER.match(text):
        return int(text) if text.lstrip("-").isdigit() else float(text)
    return xlsx_text(text)


def xlsx_text(text: str) -> str:
    """Text a workbook can hold and never runs: formula-safe, and the control characters the
    format forbids (a CSV may carry them) shown as U+FFFD instead of failing the export."""
    return XLSX_ILLEGAL.sub("\ufffd", formula_safe(text))


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


class _FixedTimeZip(zipfile.ZipFile):
    """A zip whose entries all carry one fixed timestamp, so equal content gives equal bytes."""

    def writestr(self, zinfo_or_arcname, data, *args, **kwargs):
        if isinstance(zinfo_or_arcname, str):
            zinfo_or_arcname = zipfile.ZipInfo(zinfo_or_arcname, FIXED_TIME.timetuple()[:6])
            zinfo_or_arcname.compress_type = zipfile.ZIP_DEFLATED
        super().writestr(zinfo_or_arcname, data, *args, **kwargs)

    def write(self, filename, arcname=None, *args, **kwargs):
        """openpyxl adds worksheets from temporary files: store their bytes, not their mtime."""
        with open(filename, "rb") as handle:
            self.writestr(arcname or str(filename), handle.read())

