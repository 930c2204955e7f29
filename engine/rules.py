"""ALLOCATION.md §7: locks, capacity caps, ramp and the review queue, declared once.

`Rules` holds what a user sets (lock and review ARR thresholds, per-segment default caps, pins);
the Dataset carries the `Locked` column and each rep's `Max_Accounts`, `Max_ARR` and `Ramp`.
`resolve_rules` turns both into arrays once per run, and every operation (greedy, refine,
optimize, sensitivity, rebalance) reads those arrays, so they all honour the same rules.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from .dataset import SEGMENTS, Dataset, match_key

# Why an account is locked (a pin wins over the other two when it can be kept).
NOT_LOCKED, LOCK_COLUMN, LOCK_ARR, LOCK_PIN = 0, 1, 2, 3
# What happened to an account (the export's Assignment_Status).
ASSIGNED, LOCKED, HELD, NO_REPS, AT_CAPACITY = 0, 1, 2, 3, 4
STATUS_TEXT = {ASSIGNED: "Assigned", LOCKED: "Locked", HELD: "Held for review", NO_REPS: "Unassigned: no reps",
               AT_CAPACITY: "Unassigned: every rep is at capacity"}


def status_text(statuses: np.ndarray) -> np.ndarray:
    """Each status code as the export writes it."""
    return np.array([STATUS_TEXT[code] for code in range(len(STATUS_TEXT))], dtype=object)[statuses]


# The kernels' view of an account before the greedy: a local rep index (locked there), or:
FREE, HOLD = -1, -2
FULL_RAMP = 100.0
MAX_MONEY = 1e12


@dataclass(frozen=True)
class Rules:
    """The rules a user chose; every one is optional and off by default."""

    lock_arr_at_least: float | None = None     # lock accounts of at least this ARR to their owner
    review_arr_at_least: float | None = None   # hold accounts of at least this ARR for a person
    max_accounts: Mapping[str, int | None] = field(default_factory=dict)   # segment → default cap
    max_arr: Mapping[str, float | None] = field(default_factory=dict)      # segment → default cap
    pins: Mapping[str, str] = field(default_factory=dict)                  # Account_ID → Rep_Name

    def __post_init__(self) -> None:
        for name in ("lock_arr_at_least", "review_arr_at_least"):
            _check_money(name, getattr(self, name))
        for name in ("max_accounts", "max_arr"):
            caps = getattr(self, name)
            unknown = set(caps) - set(SEGMENTS)
            if unknown:
                raise ValueError(f"{name} is keyed by segment ({', '.join(SEGMENTS)}), got {sorted(unknown)}")
            for value in caps.values():
                _check_money(name, value)
        for segment, value in self.max_accounts.items():
            if value is not None and value != int(value):
                raise ValueError(f"max_accounts must be whole numbers, got {value} for {segment}")

    @property
    def is_empty(self) -> bool:
        """No setting in use (the Dataset's own rule columns may still apply)."""
        return (self.lock_arr_at_least is None and self.review_arr_at_least is None and not self.pins
                and all(v is None for v in (*self.max_accounts.values(), *self.max_arr.values())))

    def with_pin(self, account_id: str, rep: str | None) -> Rules:
        """These rules with `account_id` pinned to `rep` (unpinned when `rep` is None)."""
        pins = {k: v for k, v in self.pins.items() if k != account_id}
        if rep is not None:
            pins[account_id] = rep
        return Rules(self.lock_arr_at_least, self.review_arr_at_least, dict(self.max_accounts),
                     dict(self.max_arr), pins)


def _check_money(name: str, value) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= MAX_MONEY:
        raise ValueError(f"{name} must be a number from 0 to {MAX_MONEY:,.0f}, got {value!r}")


@dataclass(frozen=True, eq=False)
class RuleArrays:
    """Rules resolved against one Dataset: what each account and rep is subject to."""

    pin: np.ndarray           # int64 per account: global rep index pinned to, or -1
    owner_lock: np.ndarray    # int8 per account: LOCK_COLUMN, LOCK_ARR or NOT_LOCKED (to its owner)
    review: np.ndarray        # bool per account: ARR ≥ the review threshold
    max_accounts: np.ndarray  # float64 per rep: its cap, inf when none
    max_arr: np.ndarray       # float64 per rep
    ramp: np.ndarray          # float64 per rep: percent of a full book
    ignored_pins: list[str]   # pins to an unknown account or rep, as sentences

    @property
    def has_caps(self) -> bool:
        return bool(np.isfinite(self.max_accounts).any() or np.isfinite(self.max_arr).any())


def resolve_rules(dataset: Dataset, rules: Rules) -> RuleArrays:
    """The per-account and per-rep arrays of `rules` on `dataset` (§7 items 1–4)."""
    owner_lock = np.where(dataset.locked, LOCK_COLUMN, NOT_LOCKED).astype(np.int8)
    if rules.lock_arr_at_least is not None:
        by_arr = (dataset.arr >= rules.lock_arr_at_least) & (owner_lock == NOT_LOCKED)
        owner_lock[by_arr] = LOCK_ARR
    review = (dataset.arr >= rules.review_arr_at_least if rules.review_arr_at_least is not None
              else np.zeros(dataset.n_accounts, dtype=bool))
    pin, ignored = _pins(dataset, rules.pins)
    return RuleArrays(pin=pin, owner_lock=owner_lock, review=review,
                      max_accounts=_caps(dataset, dataset.rep_max_accounts, rules.max_accounts),
                      max_arr=_caps(dataset, dataset.rep_max_arr, rules.max_arr),
                      ramp=dataset.rep_ramp.astype(np.float64), ignored_pins=ignored)


def _caps(dataset: Dataset, own: np.ndarray, defaults: Mapping[str, float | None]) -> np.ndarray:
    """Each rep's own cap, else its segment's default, else none (inf)."""
    caps = own.astype(np.float64).copy()
    for segment, value in defaults.items():
        if value is not None:
            blank = np.isnan(caps) & (dataset.rep_segment == segment)
            caps[blank] = float(value)
    return np.where(np.isnan(caps), math.inf, caps)


def _pins(dataset: Dataset, pins: Mapping[str, str]) -> tuple[np.ndarray, list[str]]:
    pin = np.full(dataset.n_accounts, -1, dtype=np.int64)
    ignored = []
    if not pins:
        return pin, ignored
    accounts = dataset.account_index
    reps = {match_key(name): i for i, name in enumerate(dataset.rep_name)}
    for account_id, rep in sorted(pins.items()):
        account, chosen = accounts.get(match_key(account_id)), reps.get(match_key(rep))
        if account is None:
            ignored.append(f"Pin of account {account_id} to {rep} ignored: no account has that ID.")
        elif chosen is None:
            ignored.append(f"Pin of account {account_id} to {rep} ignored: {rep} is not in the Reps file.")
        else:
            pin[account] = chosen
    return pin, ignored


@dataclass(frozen=True, eq=False)
class SegmentRules:
    """One segment's rules in the kernels' terms (accounts in processing order, local reps)."""

    preset: np.ndarray        # int64 per account: local rep it is locked to, FREE or HOLD
    lock_kind: np.ndarray     # int8 per account: why it is locked (NOT_LOCKED when not)
    not_kept: np.ndarray      # bool per account: a lock was asked for but cannot be kept here
    other_segment_pin: np.ndarray  # bool per account: pinned to a rep of the other segment


def segment_rules(rules: RuleArrays, accounts: np.ndarray, local: np.ndarray, owner: np.ndarray,
                  n_reps: int) -> SegmentRules:
    """§7 items 1–2 for a segment's `accounts`; `local` maps a global rep index to its local
    index in this segment (-1 elsewhere, with a slot at -1 for "no rep"); `owner` is each
    account's local owner."""
    pin = rules.pin[accounts]
    pinned = local[pin]
    asked_pin = pin >= 0
    owner_kind = rules.owner_lock[accounts]
    lock = np.where(pinned >= 0, pinned, np.where((owner_kind != NOT_LOCKED) & (owner >= 0), owner, -1))
    kind = np.where(pinned >= 0, LOCK_PIN, np.where(lock >= 0, owner_kind, NOT_LOCKED)).astype(np.int8)
    held = (lock < 0) & rules.review[accounts] & (n_reps > 0)
    preset = np.where(lock >= 0, lock, np.where(held, HOLD, FREE)).astype(np.int64)
    asked = asked_pin | (owner_kind != NOT_LOCKED)
    return SegmentRules(preset=preset, lock_kind=kind, not_kept=asked & (lock < 0),
                        other_segment_pin=asked_pin & (pinned < 0))


def scaled(values: np.ndarray, ramp: np.ndarray) -> np.ndarray:
    """Totals scaled to a full book, `value × 100 / Ramp` (the values themselves at full ramp)."""
    if np.all(ramp == FULL_RAMP):
        return values
    return values * FULL_RAMP / ramp
