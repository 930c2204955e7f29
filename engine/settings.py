"""Settings of one allocation run: frozen, validated once, shared by CLI, dashboard and tests."""
from __future__ import annotations

from dataclasses import dataclass, field, replace

from .rules import Rules

DEFAULT_GEO_BONUS = 0.05
DEFAULT_PRESERVE_BONUS = 0.05
DEFAULT_HIGH_RISK = 70
MAX_BONUS = 0.10


@dataclass(frozen=True)
class Weights:
    """Whole-percent weights of the three drivers; they always sum to 100."""

    arr: int = 34
    accounts: int = 33
    risk: int = 33

    def __post_init__(self) -> None:
        values = (self.arr, self.accounts, self.risk)
        if any(isinstance(v, bool) or not isinstance(v, int) for v in values):
            raise ValueError(f"weights must be whole percents, got {values}")
        if any(v < 0 or v > 100 for v in values) or sum(values) != 100:
            raise ValueError(f"weights must be 0-100 and sum to 100, got {values}")

    def fractions(self) -> tuple[float, float, float]:
        """The weights as the spec's `w = percent / 100.0`."""
        return self.arr / 100.0, self.accounts / 100.0, self.risk / 100.0

    def as_list(self) -> list[int]:
        return [self.arr, self.accounts, self.risk]

    def without_risk(self) -> Weights:
        """Risk forced to 0; ARR and accounts keep their ratio, ARR rounded half up (§2)."""
        kept = self.arr + self.accounts
        if kept == 0:
            return Weights(50, 50, 0)
        arr = (200 * self.arr + kept) // (2 * kept)  # round(100*a/kept) half up, in integers
        return Weights(arr, 100 - arr, 0)

    def rebalanced(self, driver: int, value: int, risk_locked: bool = False) -> Weights:
        """Set one driver (0 ARR, 1 Accounts, 2 Risk) and rescale the others to keep the sum
        at 100 (PAGES.md): proportionally, rounded half up, the larger absorbing the ±1.
        With `risk_locked` (no Risk_Score) risk stays 0 and only ARR and Accounts move."""
        if risk_locked and driver == 2:
            return self.without_risk()
        values = self.as_list()
        if risk_locked:
            values[2] = 0
        values[driver] = min(max(int(value), 0), 100)
        others = [i for i in range(3 - risk_locked) if i != driver]
        shares = _proportional([values[i] for i in others], 100 - values[driver])
        for i, share in zip(others, shares):
            values[i] = share
        return Weights(*values)


def _proportional(parts: list[int], total: int) -> list[int]:
    """Split `total` in the ratio of `parts` (evenly if they are all 0), rounding half up;
    the largest share, the first on a tie, absorbs what rounding left over."""
    weight = sum(parts)
    if weight == 0:
        parts, weight = [1] * len(parts), len(parts)
    shares = [(2 * p * total + weight) // (2 * weight) for p in parts]
    largest = max(range(len(shares)), key=lambda i: (shares[i], -i))
    shares[largest] += total - sum(shares)
    return shares


@dataclass(frozen=True)
class Preferences:
    """Preference bonuses and the high-risk cut-off."""

    geo: float = DEFAULT_GEO_BONUS
    preserve: float = DEFAULT_PRESERVE_BONUS
    high_risk: float = DEFAULT_HIGH_RISK

    def __post_init__(self) -> None:
        for name in ("geo", "preserve"):
            value = getattr(self, name)
            if not 0.0 <= value <= MAX_BONUS:
                raise ValueError(f"{name} bonus must be between 0.00 and 0.10, got {value}")
        if not 0 <= self.high_risk <= 100:
            raise ValueError(f"high-risk threshold must be between 0 and 100, got {self.high_risk}")


@dataclass(frozen=True)
class Settings:
    """Everything a user chooses: threshold, weights, preferences and the rules of §7."""

    threshold: int
    weights: Weights = field(default_factory=Weights)
    preferences: Preferences = field(default_factory=Preferences)
    rules: Rules = field(default_factory=Rules)

    def with_weights(self, weights: Weights) -> Settings:
        return replace(self, weights=weights)

    def with_threshold(self, threshold: int) -> Settings:
        return replace(self, threshold=threshold)

    def with_rules(self, rules: Rules) -> Settings:
        return replace(self, rules=rules)
