"""Writes the export-style fixtures: one small book (40 accounts, 6 reps, from the project's
generator) as five CRMs and spreadsheets write it. Run from the project root:

    .venv/bin/python tests/data/exports/make.py

canonical/   the columns of DATA.md, comma separated, UTF-8
salesforce/  a Salesforce report: title and filter rows above the header, every cell quoted,
             "Account Owner", "Annual Revenue", "Employees", "Billing State/Province", a footer
             with "Grand Totals", "Confidential Information" and the copyright line
hubspot/     a HubSpot companies export ("Record ID", "Company name", "Company owner",
             "Number of Employees", "State/Region") and a users list ("User", "Team")
utf16/       Excel's "Unicode Text": UTF-16 with a byte-order mark, tab separated
pipe/        | separated
european/    semicolon separated, numbers written the European way (1.234.567,00; 1.200)
"""
from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))

from engine.io.generate import generate  # noqa: E402

ACCOUNT_COLUMNS = ["Account_ID", "Account_Name", "Original_Rep", "ARR", "Num_Employees", "Location", "Risk_Score"]


def canonical():
    accounts, reps = generate(40, 6, seed=3)
    accounts = accounts[ACCOUNT_COLUMNS].copy()
    accounts["ARR"] = accounts["ARR"].str.replace(r"[$,]", "", regex=True)
    return accounts, reps


def text(header, rows, delimiter=",", quoting=csv.QUOTE_MINIMAL) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, quoting=quoting, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def write(folder: str, name: str, content: str, encoding: str = "utf-8") -> None:
    path = HERE / folder
    path.mkdir(exist_ok=True)
    (path / name).write_bytes(content.encode(encoding))


def salesforce(accounts, reps) -> None:
    rows = [[a.Account_ID, a.Account_Name, a.Original_Rep, f"${int(a.ARR):,}.00", a.Num_Employees, a.Location,
             a.Risk_Score] for a in accounts.itertuples()]
    title = '"Customer Accounts by Owner"\r\n"Filtered By:"\r\n"  Type equals Customer"\r\n\r\n'
    header = ["Account ID", "Account Name", "Account Owner", "Annual Revenue", "Employees",
              "Billing State/Province", "Churn Risk"]
    footer = (f'\r\n"Grand Totals ({len(rows)} records)"\r\n\r\n"Confidential Information - Do Not Distribute"\r\n'
              '"Copyright (c) 2000-2026 salesforce.com, inc. All rights reserved."\r\n')
    write("salesforce", "accounts.csv", title + text(header, rows, quoting=csv.QUOTE_ALL) + footer)
    users = [[r.Rep_Name, r.Segment, r.Location] for r in reps.itertuples()]
    write("salesforce", "reps.csv", '"Sales Users"\r\n\r\n'
          + text(["Full Name", "Sales Segment", "State/Province"], users, quoting=csv.QUOTE_ALL))


def hubspot(accounts, reps) -> None:
    rows = [[a.Account_ID, a.Account_Name, a.Original_Rep, a.ARR, a.Num_Employees, a.Location, a.Risk_Score,
             "Customer"] for a in accounts.itertuples()]
    header = ["Record ID", "Company name", "Company owner", "Annual Revenue", "Number of Employees", "State/Region",
              "Risk Score", "Lifecycle Stage"]
    write("hubspot", "companies.csv", text(header, rows))
    users = [[r.Rep_Name, r.Segment, r.Location] for r in reps.itertuples()]
    write("hubspot", "users.csv", text(["User", "Team", "State/Region"], users))


def plain(folder: str, delimiter: str, encoding: str, accounts, reps, number=str) -> None:
    rows = [[number(v) if c in ("ARR", "Num_Employees") else v for c, v in zip(ACCOUNT_COLUMNS, row)]
            for row in accounts.itertuples(index=False)]
    write(folder, "accounts.csv", ("\ufeff" if encoding == "utf-16" else "")
          + text(ACCOUNT_COLUMNS, rows, delimiter), "utf-16-le" if encoding == "utf-16" else encoding)
    reps_text = text(list(reps.columns), reps.values.tolist(), delimiter)
    write(folder, "reps.csv", ("\ufeff" if encoding == "utf-16" else "") + reps_text,
          "utf-16-le" if encoding == "utf-16" else encoding)


def european(value: str) -> str:
    """1234567 → 1.234.567,00 for money-sized values, 1200 → 1.200 for counts."""
    number = int(value)
    grouped = f"{number:,}".replace(",", ".")
    return grouped + ",00" if number >= 10_000 else grouped


def main() -> None:
    accounts, reps = canonical()
    write("canonical", "accounts.csv", text(ACCOUNT_COLUMNS, accounts.values.tolist()))
    write("canonical", "reps.csv", text(list(reps.columns), reps.values.tolist()))
    salesforce(accounts, reps)
    hubspot(accounts, reps)
    plain("utf16", "\t", "utf-16", accounts, reps)
    plain("pipe", "|", "utf-8", accounts, reps)
    plain("european", ";", "utf-8", accounts, reps, number=european)


if __name__ == "__main__":
    main()
