"""The sidebar's rules as plain functions: which settings follow from a control the user moved."""
from __future__ import annotations

from engine import Preferences, Settings, Weights

from .ids import Ids
from .state import RefineChoice, settings_from_json, settings_json

WEIGHT_IDS = (Ids.WEIGHT_ARR, Ids.WEIGHT_ACCOUNTS, Ids.WEIGHT_RISK)
MARK_COUNT = 4


def parse_count(text) -> int | None:
    """'12,500', ' 12 500 ' and '12500' are 12500; anything else is None."""
    if text is None:
        return None
    cleaned = str(text).replace(",", "").replace(" ", "").replace("_", "")
    try:
        return int(cleaned)
    except ValueError:
        try:
            value = float(cleaned)
        except ValueError:
            return None
        return int(round(value)) if value == value and abs(value) != float("inf") else None


def format_count(value: float) -> str:
    return f"{value:,.0f}"


def slider_marks(low: int, high: int) -> dict:
    """A few round labels along the threshold slider."""
    if high <= low:
        return {low: format_count(low)}
    step = (high - low) / MARK_COUNT
    stops = sorted({low, high} | {int(round((low + i * step) / 1000) * 1000) for i in range(1, MARK_COUNT)})
    return {stop: format_count(stop) for stop in stops}


def initial_settings(data: dict, stored: dict | None) -> Settings:
    """A new dataset starts at its default threshold and keeps the user's weights and preferences."""
    base = _usable(stored) or Settings(data["default_threshold"])
    weights = base.weights if data["has_risk"] else base.weights.without_risk()
    return Settings(data["default_threshold"], weights, base.preferences)


def next_settings(trigger: str | None, inputs: dict, stored: dict | None, data: dict) -> dict:
    """The SETTINGS store after `trigger` changed; a page load restores what the session had."""
    previous = _usable(stored) if stored and stored.get("data_key") == data["key"] else None
    choice = RefineChoice.of(stored)
    if previous is None:
        return settings_json(initial_settings(data, stored), data["key"], choice)
    if trigger in (Ids.REFINE, Ids.REFINE_OBJECTIVE):
        choice = RefineChoice.of({"refine": inputs["refine"], "objective": inputs["objective"]})
    return settings_json(_apply(trigger, inputs, previous, data["has_risk"]), data["key"], choice)


def _apply(trigger: str | None, inputs: dict, settings: Settings, has_risk: bool) -> Settings:
    prefs = settings.preferences
    if trigger == Ids.THRESHOLD and inputs["threshold"] is not None:
        return settings.with_threshold(int(inputs["threshold"]))
    if trigger == Ids.THRESHOLD_INPUT:
        typed = parse_count(inputs["threshold_text"])
        return settings if typed is None else settings.with_threshold(typed)
    if trigger == Ids.THRESHOLD_PICK and inputs["pick"]:
        return settings.with_threshold(int(inputs["pick"]["threshold"]))
    if trigger == Ids.WEIGHTS_PICK and inputs["weights_pick"]:
        try:
            weights = Weights(*(int(w) for w in inputs["weights_pick"]["weights"]))
        except (TypeError, ValueError):
            return settings
        return settings.with_weights(weights if has_risk else weights.without_risk())
    if trigger in WEIGHT_IDS:
        driver = WEIGHT_IDS.index(trigger)
        value = inputs["weights"][driver]
        if value is None:
            return settings
        return settings.with_weights(settings.weights.rebalanced(driver, value, risk_locked=not has_risk))
    if trigger in (Ids.GEO, Ids.PRESERVE, Ids.HIGH_RISK):
        try:
            prefs = Preferences(float(inputs["geo"]), float(inputs["preserve"]), float(inputs["high_risk"]))
        except (TypeError, ValueError):
            return settings
        return Settings(settings.threshold, settings.weights, prefs)
    return settings


def _usable(stored: dict | None) -> Settings | None:
    if not stored:
        return None
    try:
        return settings_from_json(stored)
    except ValueError:
        return None
