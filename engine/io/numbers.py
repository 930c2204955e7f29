"""Numbers as spreadsheets and CRMs write them (DATA.md): plain, with thousands separators, with
a currency sign, and, in a file that is not comma separated, the European way (`45.177,00`,
`1 200 000,50`) when the whole column writes them so.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

SIGN_AND_CURRENCY = r"^([-+]?)[$€£]?\s*([-+]?)"
US = re.compile(SIGN_AND_CURRENCY + r"(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?$")
EUROPEAN = re.compile(SIGN_AND_CURRENCY + r"(\d{1,3}(?:[. \u00a0\u202f]\d{3})+|\d+)(,\d+)?\s*€?$")
NON_FINITE = {"nan", "inf", "+inf", "-inf", "infinity", "+infinity", "-infinity"}
EXPECTED = "expected e.g. 1200000, 1,200,000 or $1,200,000"
EXPECTED_EUROPEAN = "expected e.g. 1200000, 1.200.000 or 1.200.000,50 (the whole column is written the European way)"
COUNT_EXPECTED = "expected a whole number, e.g. 1200 or 1,200"
COUNT_EXPECTED_EUROPEAN = "expected a whole number, e.g. 1200 or 1.200 (the whole column is written the European way)"


def parse_number(text: str, european: bool = False, count: bool = False) -> tuple[float | None, str | None]:
    """A number as written → (value, None), or (None, what is wrong with it); a `count` (employees)
    is explained with counts, not money."""
    if text.isascii() and text.isdigit():  # the common case, without a regex
        return float(text), None
    stripped = text.strip()
    if not stripped:
        return None, "is empty; expected a number"
    if stripped.lower() in NON_FINITE:
        return None, "is not a finite number"
    value = _european(stripped) if european else _us(stripped)
    if value is None:
        expected = {(False, False): EXPECTED, (True, False): EXPECTED_EUROPEAN, (False, True): COUNT_EXPECTED,
                    (True, True): COUNT_EXPECTED_EUROPEAN}[(european, count)]
        return None, f"is not a number; {expected}"
    if not math.isfinite(value):
        return None, "is not a finite number"
    return value, None


def _us(text: str) -> float | None:
    return _value(US.match(text), ",", ".")


def _european(text: str) -> float | None:
    return _value(EUROPEAN.match(text), ". \u00a0\u202f", ",")


def _value(match, separators: str, decimal: str) -> float | None:
    if not match or (match.group(1) and match.group(2)):
        return None
    digits = match.group(3)
    for separator in separators:
        digits = digits.replace(separator, "")
    value = float(digits + (match.group(4) or "").replace(decimal, "."))
    return -value if "-" in match.group(1) + match.group(2) else value


@dataclass(frozen=True)
class Style:
    """How a column writes its numbers: European or not, or a mix (the rows of both, 0-based)."""

    european: bool
    mixed: tuple[int, int] | None = None


def column_style(values, allowed: bool) -> Style:
    """European when some value can only be read the European way (`45.177,00`, `1,5`) and none
    can only be read the usual way (`1,200.50`, `1.5`); a value both ways read differently
    (`1.500`) follows the column. Only where `allowed` (a file that is not comma separated)."""
    if not allowed:
        return Style(False)
    european_only = usual_only = None
    for index, text in enumerate(values):
        if text.isdigit():
            continue
        stripped = text.strip()
        usual, european = _us(stripped), _european(stripped)
        if european is not None and usual is None and european_only is None:
            european_only = index
        elif usual is not None and european is None and usual_only is None:
            usual_only = index
        if european_only is not None and usual_only is not None:
            return Style(True, (usual_only, european_only))
    return Style(european_only is not None)
