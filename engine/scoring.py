"""ALLOCATION.md §2 in plain Python: the readable reference every faster path must equal.

Each function is one rule of the spec; the audit trail reuses them to explain a decision.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Targets:
    """A segment's per-rep targets: ARR, account count and high-risk ARR."""

    arr: float
    accounts: float
    risk: float


@dataclass(frozen=True)
class RepScore:
    """One eligible rep's state and score for one account (an audit-table row)."""

    rep: int
    arr: float
    accounts: int
    risk_arr: float
    blended: float
    geo: float
    preserve: float
    total: float
    fits: bool = True  # within its caps after taking the account (§7)


def need(target: float, current: float) -> float:
    """How far a rep is below target, as a fraction of it; 0 when the target is 0."""
    return (target - current) / target if target > 0 else 0.0


def blended_need(weights: tuple[float, float, float], targets: Targets,
                 arr: float, accounts: int, risk_arr: float) -> float:
    """Weighted need, evaluated left to right exactly as the spec writes it."""
    w_arr, w_cnt, w_risk = weights
    return (w_arr * need(targets.arr, arr) + w_cnt * need(targets.accounts, accounts)
            + w_risk * need(targets.risk, risk_arr))


def total_score(blended: float, bonus: float) -> float:
    """Bonuses lift a positive need and soften a negative one."""
    return blended * (1.0 + bonus) if blended >= 0 else blended * (1.0 - bonus)


def winner_index(scores: list[RepScore]) -> int:
    """Highest total; exact ties → lowest current ARR → earliest rep in tie-break order.

    `scores` is in tie-break order (casefolded name, then raw name), so position breaks the last tie.
    """
    return min(range(len(scores)), key=lambda k: (-scores[k].total, scores[k].arr, k))
