"""How the dashboard writes numbers: money, counts and scores (ALLOCATION.md §3)."""
from __future__ import annotations

import math


def money(value: float | None) -> str:
    return "—" if value is None else f"${value:,.0f}"


def count(value: float | None, digits: int = 0) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def score_text(value: float | None) -> str:
    """One decimal rounded down (93.97 → 93.9), so a shown score always sits in its colour's band.

    The 1e-9 keeps a score that is a tenth in decimal (94.0 stored as 93.99999…) from dropping a tenth.
    """
    return "N/A" if value is None else f"{math.floor(value * 10 + 1e-9) / 10:.1f}"
