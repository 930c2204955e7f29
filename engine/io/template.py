"""The downloadable template (DATA.md): both CSVs and the workbook, with every column the loader
reads, required first, and three example rows that load as they are.

    python -m engine.io.template DIR    writes reps.csv, accounts.csv and territory-template.xlsx
"""
from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from .export import table_csv, workbook_bytes

REPS = pd.DataFrame([
    ("Avery Chen", "Enterprise", "CA", "", "", ""),
    ("Blake Ortiz", "Mid-Market", "NY", "120", "", ""),
    ("Casey Turner", "Mid-Market", "TX", "", "2500000", "50"),
], columns=["Rep_Name", "Segment", "Location", "Max_Accounts", "Max_ARR", "Ramp"])
ACCOUNTS = pd.DataFrame([
    ("ACC-0001", "Northwind Traders", "Avery Chen", "1250000", "4200", "CA", "35", "yes"),
    ("ACC-0002", "Contoso Ltd", "Blake Ortiz", "86000", "310", "NY", "70", ""),
    ("ACC-0003", "Fabrikam Inc", "Casey Turner", "42000", "45", "TX", "15", ""),
], columns=["Account_ID", "Account_Name", "Original_Rep", "ARR", "Num_Employees", "Location", "Risk_Score", "Locked"])
FILES = {"reps.csv": "Reps CSV", "accounts.csv": "Accounts CSV", "territory-template.xlsx": "Workbook"}


def template_csv(kind: str) -> bytes:
    """"reps" or "accounts"."""
    return table_csv({"reps": REPS, "accounts": ACCOUNTS}[kind])


def template_xlsx() -> bytes:
    return workbook_bytes({"Reps": REPS, "Accounts": ACCOUNTS})


def template_file(name: str) -> bytes | None:
    """A template file by its download name, None for any other name."""
    return {"reps.csv": lambda: template_csv("reps"), "accounts.csv": lambda: template_csv("accounts"),
            "territory-template.xlsx": template_xlsx}.get(name, lambda: None)()


def main(argv: list[str]) -> int:
    folder = Path(argv[0] if argv else ".")
    folder.mkdir(parents=True, exist_ok=True)
    for name in FILES:
        (folder / name).write_bytes(template_file(name))
    print(f"Wrote {', '.join(FILES)} to {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
