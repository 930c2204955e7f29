"""Seeded generator of realistic demo and benchmark data.

ARR grows with employee count (so the deal-size ratio means something), reps and accounts share
locations, and the books are a team's books as they have grown: most accounts are owned by a rep
of their segment (at the usual 1,000-employee line), some reps hold much more than others, a few
owners sit in the other segment or have left. A few cells are messy the way real exports are
(lower-case or padded locations, "Calif.", money formats, blank risk scores).

    python -m engine.io.generate --accounts 2000 --reps 24 --seed 7 --out data/demo
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

STATES = ("CA", "TX", "NY", "FL", "IL", "WA", "MA", "GA", "CO", "NC", "OH", "AZ")
STATE_SHARE = np.array([18, 12, 12, 8, 7, 7, 7, 6, 6, 6, 5, 6], dtype=float)
FIRST = ("Avery", "Blake", "Casey", "Devon", "Emery", "Finley", "Harper", "Jordan", "Kendall",
         "Logan", "Morgan", "Parker", "Quinn", "Riley", "Rowan", "Sage", "Skyler", "Taylor")
LAST = ("Adams", "Brooks", "Chen", "Diaz", "Evans", "Foster", "Garcia", "Hughes", "Ito", "Jensen",
        "Khan", "Lopez", "Meyer", "Nguyen", "Okafor", "Patel", "Reyes", "Silva", "Turner", "Walsh")
NAME_HEAD = ("Acme", "Apex", "Blue", "Bright", "Cedar", "Delta", "Echo", "Summit", "Granite", "Harbor",
             "Iron", "Juniper", "Keystone", "Lumen", "Maple", "Nova", "Orbit", "Pioneer", "Quartz",
             "River", "Silver", "Titan", "Union", "Vertex", "Willow", "Zenith")
NAME_TAIL = ("Analytics", "Bank", "Biotech", "Capital", "Cloud", "Energy", "Foods", "Health",
             "Holdings", "Labs", "Logistics", "Media", "Motors", "Networks", "Retail", "Robotics",
             "Software", "Systems", "Telecom", "Travel")
FORMER_REPS = ("Pat Former", "Lee Departed", "Sam Retired")
OWNER_THRESHOLD = 1000   # the segment line the books grew under
BOOK_SPREAD = 8.0        # Dirichlet concentration of the reps' shares of a segment: lower is more uneven
OTHER_SEGMENT = 0.06     # accounts owned by a rep of the other segment
FORMER = 0.04            # accounts owned by someone who left


def generate(n_accounts: int, n_reps: int, seed: int = 7) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(accounts, reps) as text tables, exactly as they would be written to CSV."""
    rng = np.random.default_rng(seed)
    reps = _reps(n_reps, rng)
    return _accounts(n_accounts, reps, rng), reps


def _reps(n: int, rng: np.random.Generator) -> pd.DataFrame:
    names = _unique_person_names(n, rng)
    enterprise = max(1, round(n * 0.4))
    segments = ["Enterprise"] * enterprise + ["Mid Market"] * (n - enterprise)
    locations = [STATES[i % len(STATES)] for i in range(n)]
    rng.shuffle(locations)
    return pd.DataFrame({"Rep_Name": names, "Segment": segments, "Location": locations})


def _unique_person_names(n: int, rng: np.random.Generator) -> list[str]:
    pairs = [(first, last) for last in LAST for first in FIRST]
    picks = rng.permutation(len(pairs))
    names = [f"{pairs[p % len(pairs)][0]} {pairs[p % len(pairs)][1]}" for p in picks[:n]]
    names += [f"Rep {i:05d}" for i in range(len(names), n)]  # more reps than name pairs
    return names


def _accounts(n: int, reps: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    employees = np.clip(rng.lognormal(mean=7.0, sigma=1.4, size=n), 10, 300_000).astype(np.int64)
    arr = np.round(employees ** 0.8 * 450 * rng.lognormal(0.0, 0.45, size=n), -2).astype(np.int64)
    locations = rng.choice(STATES, size=n, p=STATE_SHARE / STATE_SHARE.sum()).astype(object)
    owners = _owners(employees >= OWNER_THRESHOLD, reps, rng)
    risk = rng.beta(2.0, 3.0, size=n) * 100
    names = [f"{NAME_HEAD[rng.integers(len(NAME_HEAD))]} {NAME_TAIL[rng.integers(len(NAME_TAIL))]} {i}"
             for i in range(n)]
    accounts = pd.DataFrame({
        "Account_ID": [f"ACC-{i:07d}" for i in range(1, n + 1)],
        "Account_Name": names,
        "Original_Rep": owners,
        "ARR": arr.astype(str).astype(object),
        "Num_Employees": employees.astype(str),
        "Location": locations,
        "Risk_Score": np.round(risk).astype(np.int64).astype(str).astype(object),
        "Industry": [name.split()[1] for name in names],
    })
    _make_messy(accounts, rng)
    return accounts


def _owners(enterprise: np.ndarray, reps: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    """Each account's owner: a rep of its segment, drawn by uneven shares; a few from the other
    segment (the line moved since) or a rep who left."""
    names = reps["Rep_Name"].to_numpy(dtype=object)
    rep_enterprise = (reps["Segment"] == "Enterprise").to_numpy()
    n = len(enterprise)
    other = rng.random(n) < OTHER_SEGMENT
    owners = np.empty(n, dtype=object)
    for side in (True, False):
        pool = names[rep_enterprise == side] if (rep_enterprise == side).any() else names
        wanted = np.flatnonzero((enterprise == side) != other)
        owners[wanted] = rng.choice(pool, size=len(wanted), p=rng.dirichlet(np.full(len(pool), BOOK_SPREAD)))
    former = rng.random(n) < FORMER
    owners[former] = rng.choice(FORMER_REPS, size=int(former.sum()))
    return owners


def _make_messy(accounts: pd.DataFrame, rng: np.random.Generator) -> None:
    """A few cells written the way real CRM exports write them."""
    n = len(accounts)

    def some(share: float) -> np.ndarray:
        return np.flatnonzero(rng.random(n) < share)

    money = some(0.03)
    accounts.loc[money, "ARR"] = [f"${int(v):,}" for v in accounts.loc[money, "ARR"]]
    lower = np.intersect1d(some(0.05), np.flatnonzero(accounts["Location"].isin(["NY", "TX"])))
    accounts.loc[lower, "Location"] = accounts.loc[lower, "Location"].str.lower()
    padded = some(0.01)
    accounts.loc[padded, "Location"] = " " + accounts.loc[padded, "Location"] + " "
    calif = np.intersect1d(some(0.02), np.flatnonzero(accounts["Location"] == "CA"))
    accounts.loc[calif, "Location"] = "Calif."
    accounts.loc[some(0.01), "Risk_Score"] = ""


def write(directory: Path, n_accounts: int, n_reps: int, seed: int) -> None:
    accounts, reps = generate(n_accounts, n_reps, seed)
    directory.mkdir(parents=True, exist_ok=True)
    accounts.to_csv(directory / "accounts.csv", index=False, lineterminator="\n")
    reps.to_csv(directory / "reps.csv", index=False, lineterminator="\n")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m engine.io.generate", description=__doc__.split("\n")[0])
    parser.add_argument("--accounts", type=int, default=2000)
    parser.add_argument("--reps", type=int, default=24)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    write(args.out, args.accounts, args.reps, args.seed)


if __name__ == "__main__":
    main()
