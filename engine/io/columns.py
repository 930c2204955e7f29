"""Which column is which (DATA.md "Files as CRMs export them"): the canonical names, the names
CRM exports use for them, a user's own mapping, the header row under a report's title rows, and
what to ask when a column cannot be told for sure.

Names are compared squashed: case, spaces and punctuation ignored ("Billing State/Province" =
"billingstateprovince"). A field is found, in this order, by the user's mapping, its canonical
name, a specific synonym ("Account Owner"), a generic one ("Owner"). Two columns that fit a field
equally well are never chosen between silently: the field is ambiguous and the user is asked.
"""
from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

REPS, ACCOUNTS = "reps", "accounts"
REQUIRED = {
    REPS: ("Rep_Name", "Segment", "Location"),
    ACCOUNTS: ("Account_ID", "Account_Name", "Original_Rep", "ARR", "Num_Employees", "Location"),
}
OPTIONAL = {REPS: ("Max_Accounts", "Max_ARR", "Ramp"), ACCOUNTS: ("Risk_Score", "Locked")}
LOCATION = (("billingstateprovince", "billingstate", "stateregion", "stateprovince", "salesregion",
             "salesterritory", "territory"), ("state", "region", "province"))
SYNONYMS: dict[str, dict[str, tuple[tuple[str, ...], tuple[str, ...]]]] = {  # field → (specific, generic)
    REPS: {
        "Rep_Name": (("salesrep", "salesrepname", "repname", "fullname", "username", "ownername", "accountowner",
                      "user"), ("name", "rep", "owner")),
        "Segment": (("salessegment", "repsegment", "marketsegment", "salesteam"), ("team", "tier")),
        "Location": LOCATION,
        "Max_Accounts": (("maxaccounts", "accountcap", "capacityaccounts"), ()),
        "Max_ARR": (("maxarr", "arrcap", "capacityarr"), ()),
        "Ramp": (("ramp", "ramppercent", "rampup"), ()),
    },
    ACCOUNTS: {
        "Account_ID": (("accountid", "recordid", "companyid", "accountnumber", "accountid18", "id18"), ("id",)),
        "Account_Name": (("accountname", "companyname", "company"), ("name",)),
        "Original_Rep": (("currentrep", "accountowner", "companyowner", "ownername", "accountownername",
                          "hubspotowner", "salesrep"), ("owner", "rep")),
        "ARR": (("annualrevenue", "annualrecurringrevenue", "arrusd", "recurringrevenue"), ("revenue",)),
        "Num_Employees": (("employees", "numberofemployees", "numemployees", "employeecount", "noofemployees",
                           "headcount"), ()),
        "Location": LOCATION,
        "Risk_Score": (("churnrisk", "churnriskscore", "riskscore"), ("risk",)),
        "Locked": (("lock", "locked"), ()),
    },
}


def squash(name: str) -> str:
    """`Billing State/Province`, `billing_state_province` → `billingstateprovince`."""
    return re.sub(r"[^0-9a-z]", "", name.casefold())


def normalize_header(name: str) -> str:
    """`rep name`, `Rep-Name` and ` REP_NAME ` are all `rep_name` (DATA.md's canonical match)."""
    return re.sub(r"[\s\-]+", "_", name.strip()).casefold()


def fields_of(kind: str) -> tuple[str, ...]:
    return REQUIRED[kind] + OPTIONAL[kind]


@dataclass(frozen=True)
class ColumnMap:
    """The user's choice of column per field, per kind of file (the command line's `--map`
    applies to both kinds, wherever the file has the column)."""

    reps: Mapping[str, str] = field(default_factory=dict)
    accounts: Mapping[str, str] = field(default_factory=dict)

    def of(self, kind: str) -> Mapping[str, str]:
        return self.reps if kind == REPS else self.accounts

    @classmethod
    def parse(cls, text: str) -> ColumnMap:
        """`"ARR=Contract Value,Location=Sales Region"`; ValueError names what is wrong."""
        return cls.of_pairs(part.partition("=")[::2] for part in filter(None, (p.strip() for p in text.split(","))))

    @classmethod
    def of_pairs(cls, pairs) -> ColumnMap:
        """(field, column) pairs, each field sent to the file that has it (the API's `map`)."""
        chosen = {}
        known = {squash(f): f for kind in (REPS, ACCOUNTS) for f in fields_of(kind)}
        for name, column in pairs:
            if not column.strip() or squash(name) not in known:
                fields = ", ".join(sorted(set(known.values())))
                raise ValueError(f'"{name}={column}" is not FIELD=Column; FIELD is one of {fields}')
            chosen[known[squash(name)]] = column.strip()
        return cls({f: c for f, c in chosen.items() if f in fields_of(REPS)},
                   {f: c for f, c in chosen.items() if f in fields_of(ACCOUNTS)})


@dataclass(frozen=True)
class FieldProblem:
    """A required field no column was found for, or more than one column fits."""

    field: str
    candidates: tuple[str, ...]   # columns that fit (ambiguous) or come closest (missing)
    kind: str = "missing"         # "missing" or "ambiguous"


@dataclass(frozen=True)
class ColumnMatch:
    """A header read as one kind of file: the name each column takes (canonical where it is a
    field), the columns read under another name, and the required fields left unsettled."""

    kind: str
    names: list[str]
    renamed: list[tuple[str, str]]     # (column as written, field)
    problems: list[FieldProblem]
    duplicates: list[tuple[str, int, int]]   # (field, first position, second position), 1-based

    @property
    def found(self) -> int:
        """Required fields with a column (ambiguous ones too): how much this reads like `kind`."""
        settled = {problem.field for problem in self.problems if problem.kind == "missing"}
        return len(REQUIRED[self.kind]) - len(settled)

    @property
    def complete(self) -> bool:
        return not self.problems and not self.duplicates


def match_columns(header: list[str], kind: str, chosen: Mapping[str, str] | None = None) -> ColumnMatch:
    """Read `header` as a Reps or Accounts header (see the module's docstring for the order)."""
    chosen = chosen or {}
    squashed = [squash(h) for h in header]
    names = [h.strip() for h in header]
    claimed: dict[int, str] = {}
    renamed, problems, duplicates = [], [], []
    for name in fields_of(kind):
        positions = _exact(header, name, chosen.get(name))
        if len(positions) > 1:
            duplicates.append((name, positions[0] + 1, positions[1] + 1))
        if not positions:
            positions = _by_synonym(squashed, SYNONYMS[kind][name], claimed)
        if len(positions) == 1:
            claimed[positions[0]] = name
            if normalize_header(header[positions[0]]) != normalize_header(name):
                renamed.append((header[positions[0]].strip(), name))
            names[positions[0]] = name
        elif len(positions) > 1 and not _already(duplicates, name):
            problems.append(FieldProblem(name, tuple(header[p].strip() for p in positions), "ambiguous"))
        elif not positions and name in REQUIRED[kind]:
            problems.append(FieldProblem(name, closest(name, kind, header, claimed), "missing"))
    return ColumnMatch(kind, names, renamed, problems, duplicates)


def _exact(header: list[str], name: str, chosen: str | None) -> list[int]:
    """The columns the user chose for the field, or else those with its canonical name."""
    if chosen is not None:
        picked = [i for i, h in enumerate(header) if squash(h) == squash(chosen)]
        if picked:
            return picked[:1]
    return [i for i, h in enumerate(header) if normalize_header(h) == normalize_header(name)]


def _by_synonym(squashed: list[str], synonyms: tuple[tuple[str, ...], tuple[str, ...]],
                claimed: dict[int, str]) -> list[int]:
    """The unclaimed columns that carry one of the field's specific names, or else its generic ones."""
    for names in synonyms:
        hits = [i for i, s in enumerate(squashed) if s in names and i not in claimed]
        if hits:
            return hits
    return []


def _already(duplicates: list[tuple[str, int, int]], name: str) -> bool:
    return any(d[0] == name for d in duplicates)


def closest(name: str, kind: str, header: list[str], claimed: Mapping[int, str] = {}) -> tuple[str, ...]:
    """Up to three unclaimed columns whose names come closest to the field or its synonyms."""
    wanted = [squash(name), *SYNONYMS[kind][name][0], *SYNONYMS[kind][name][1]]
    scores = []
    for i, column in enumerate(header):
        if i in claimed or not column.strip():
            continue
        score = max(difflib.SequenceMatcher(None, squash(column), w).ratio() for w in wanted)
        if score >= 0.7:
            scores.append((-score, i, column.strip()))
    return tuple(column for _, _, column in sorted(scores)[:3])


def best_guess(problem: FieldProblem) -> str | None:
    return problem.candidates[0] if problem.candidates else None


def header_key(header: list[str]) -> str:
    """The same for two files with the same columns (in any order): where a mapping is remembered."""
    names = sorted({squash(h) for h in header if h.strip()})
    return hashlib.sha256("\x1f".join(names).encode()).hexdigest()[:16]


def kind_of(header: list[str], mapping: ColumnMap | None = None) -> str | None:
    """REPS or ACCOUNTS, whichever the header reads more like; None when it reads like neither or
    like both equally."""
    mapping = mapping or ColumnMap()
    reps = match_columns(header, REPS, mapping.reps)
    accounts = match_columns(header, ACCOUNTS, mapping.accounts)
    rep_share = reps.found / len(REQUIRED[REPS])
    account_share = accounts.found / len(REQUIRED[ACCOUNTS])
    if rep_share == account_share:  # neither (both 0), or as much one as the other
        return None
    return REPS if rep_share > account_share else ACCOUNTS
