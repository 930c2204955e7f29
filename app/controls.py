"""The sidebar's rules as plain functions: which settings follow from a control the user moved.

Every control has a name; `next_settings` takes the name of the control that moved, every
control's value and what the SETTINGS store held, and returns the new store value and, for a
typed value it refused, a message for that control. `control_values` says what every control
shows for a store value. The callback in app.sidebar only wires names to component ids.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from engine import Preferences, Settings, Weights
from engine.dataset import MAX_THRESHOLD, SEGMENTS
from engine.io.numbers import parse_number
from engine.rules import MAX_MONEY, Rules

from .state import ModeChoice, RefineChoice, rules_json, settings_from_json, settings_json

WEIGHTS = ("weight_arr", "weight_accounts", "weight_risk")
PREFERENCES = ("geo", "preserve", "high_risk")
MONEY_RULES = {"lock_arr": "lock_arr_at_least", "review_arr": "review_arr_at_least"}
CAP_BOXES = {f"cap_{kind}_{k}": (kind, segment) for kind in ("accounts", "arr")
             for k, segment in zip(("e", "m"), SEGMENTS)}
THRESHOLD_HINT = f"Type a whole number of employees from 1 to {MAX_THRESHOLD:,}, e.g. 5,000."


@dataclass(frozen=True)
class Change:
    """The SETTINGS store after a control moved, and messages for typed values it refused."""

    settings: dict
    feedback: dict[str, str] = field(default_factory=dict)
    reset: str | None = None   # why the settings went back to the defaults, if they did


def parse_count(text) -> int | None:
    """'12,500', ' 12 500 ' and '12500' are 12500; anything else is None."""
    if text is None:
        return None
    cleaned = str(text).replace(",", "").replace(" ", "").replace("_", "")
    if not cleaned.lstrip("-").isdigit() or len(cleaned) > 12:
        return None
    return int(cleaned)


def format_count(value: float) -> str:
    return f"{value:,.0f}"


def format_money(value: float | None) -> str:
    return "" if value is None else f"${value:,.0f}"


def stop_index(stops: list[int], threshold: int) -> int:
    """The slider position for a threshold: the stop nearest it on the log scale."""
    logs = [math.log10(stop) for stop in stops]
    wanted = math.log10(max(threshold, 1))
    return min(range(len(stops)), key=lambda i: (abs(logs[i] - wanted), i))


def slider_marks(stops: list[int]) -> dict:
    """Labels at the round stops (1, 10, 100 …), and at both ends."""
    shown = {0, len(stops) - 1} | {i for i, stop in enumerate(stops) if str(stop).rstrip("0") == "1"}
    return {i: compact(stops[i]) for i in sorted(shown)}


def compact(value: int) -> str:
    """1,000 → "1k", 2,000,000 → "2M": short labels for the slider."""
    for size, suffix in ((1_000_000, "M"), (1_000, "k")):
        if value >= size and value % size == 0:
            return f"{value // size}{suffix}"
    return f"{value:,}"


def default_settings(data: dict) -> Settings:
    """The defaults for a dataset: its default threshold and the spec's weights and preferences."""
    weights = Weights() if data["has_risk"] else Weights().without_risk()
    return Settings(data["default_threshold"], weights)


REFINE_CONTROLS = ("refine", "objective", "min_gain")


def next_settings(trigger: str | None, inputs: dict, stored: dict | None, data: dict) -> Change:
    """The SETTINGS store after control `trigger` moved; a page load restores what the session had.
    New data starts from the settings it came with (an opened scenario) or from the data's
    defaults, as the reset control does."""
    previous = _usable(stored) if stored and stored.get("data_key") == data["key"] else None
    if previous is None and trigger != "reset" and (saved := _usable(data.get("settings"))) is not None:
        came = data["settings"]
        return Change(settings_json(saved, data["key"], RefineChoice.of(came), ModeChoice.of(came)))
    if previous is None or trigger == "reset":
        reason = ("new data" if stored and stored.get("data_key") not in (None, data["key"])
                  else "reset" if trigger == "reset" else None)
        return Change(settings_json(default_settings(data), data["key"]), reset=reason)
    choice = RefineChoice.of(stored)
    if trigger in REFINE_CONTROLS:
        choice = RefineChoice.of({name: inputs[name] for name in REFINE_CONTROLS})
    mode = ModeChoice.of(stored)
    if trigger in ("mode", "band", "drivers", "waves"):
        mode = _mode(trigger, inputs, mode)
    settings, feedback = _apply(trigger, inputs, previous, data)
    return Change(settings_json(settings, data["key"], choice, mode), feedback)


def _mode(trigger: str, inputs: dict, mode: ModeChoice) -> ModeChoice:
    """The mode after one of its controls moved; a value out of range leaves it as it was."""
    changed = {**mode.json(), trigger: inputs[trigger]}
    if trigger == "drivers" and not inputs["drivers"]:
        return mode  # the band must apply to some driver: unticking the last one is undone
    choice = ModeChoice.of(changed)
    return choice if choice.json()[trigger] == changed[trigger] else mode


def _apply(trigger: str | None, inputs: dict, settings: Settings, data: dict) -> tuple[Settings, dict]:
    """The settings after one control moved, and a message if its typed value was refused."""
    if trigger in ("threshold", "threshold_text", "pick"):
        return _threshold(trigger, inputs, settings, data)
    if trigger == "weights_pick" and inputs["weights_pick"]:
        try:
            weights = Weights(*(int(w) for w in inputs["weights_pick"]["weights"]))
        except (TypeError, ValueError, KeyError):
            return settings, {}
        return settings.with_weights(weights if data["has_risk"] else weights.without_risk()), {}
    if trigger in WEIGHTS:
        value = inputs[trigger]
        if not isinstance(value, int | float):
            return settings, {}
        driver = WEIGHTS.index(trigger)
        weights = settings.weights.rebalanced(driver, int(value), risk_locked=not data["has_risk"])
        return settings.with_weights(weights), {}
    if trigger in PREFERENCES:
        try:
            return Settings(settings.threshold, settings.weights,
                            Preferences(*(float(inputs[name]) for name in PREFERENCES)), settings.rules), {}
        except (TypeError, ValueError):
            return settings, {}
    if trigger in MONEY_RULES or trigger in CAP_BOXES:
        return _rule_box(trigger, inputs[trigger], settings)
    if trigger == "pin" and isinstance(inputs["pin"], dict):
        return _pin(inputs["pin"], settings), {}
    return settings, {}


def _threshold(trigger: str, inputs: dict, settings: Settings, data: dict) -> tuple[Settings, dict]:
    if trigger == "threshold":
        index = inputs["threshold"]
        stops = data["stops"]
        if isinstance(index, int) and 0 <= index < len(stops):
            return settings.with_threshold(stops[index]), {}
        return settings, {}
    if trigger == "pick":
        picked = (inputs["pick"] or {}).get("threshold") if isinstance(inputs["pick"], dict) else None
        valid = isinstance(picked, int) and 1 <= picked <= MAX_THRESHOLD
        return (settings.with_threshold(picked) if valid else settings), {}
    typed = parse_count(inputs["threshold_text"])
    if typed is None or not 1 <= typed <= MAX_THRESHOLD:
        shown = str(inputs["threshold_text"])[:40]
        return settings, {"threshold_text": f"“{shown}” is not a threshold. {THRESHOLD_HINT}"}
    return settings.with_threshold(typed), {}


def _rule_box(name: str, text, settings: Settings) -> tuple[Settings, dict]:
    """A typed rule: blank turns it off; anything else must be an amount (a whole count for an
    account cap) or it is refused with a message and the rule stays as it was."""
    text = "" if text is None else str(text).strip()
    value = None
    if text:
        value, problem = parse_number(text[:40])
        whole = name not in CAP_BOXES or CAP_BOXES[name][0] == "arr" or (value is not None and value == int(value))
        if problem or not whole or not 0 <= value <= MAX_MONEY:
            kind = "a whole number of accounts" if name in CAP_BOXES and CAP_BOXES[name][0] == "accounts" \
                else "an amount of ARR such as 500,000 or $500,000"
            return settings, {name: f"“{text[:40]}” is not {kind}; leave it blank for no rule."}
    current = rules_json(settings.rules)
    if name in MONEY_RULES:
        current[MONEY_RULES[name]] = value
    else:
        kind, segment = CAP_BOXES[name]
        current[f"max_{kind}"][segment] = value
    return settings.with_rules(Rules(**current)), {}


def _pin(request: dict, settings: Settings) -> Settings:
    """A pin (`rep` a name) or an unpin (`rep` None) asked for from a table, the audit or the queue;
    the engine ignores, with a warning, a pin to an account or rep that does not exist."""
    account, rep = request.get("account"), request.get("rep")
    if not isinstance(account, str) or not account or len(account) > 300:
        return settings
    if rep is not None and (not isinstance(rep, str) or not rep or len(rep) > 300):
        return settings
    return settings.with_rules(settings.rules.with_pin(account, rep))


def control_values(settings: dict, data: dict) -> dict:
    """What every control shows for a SETTINGS store value."""
    rules = settings["rules"]
    weights = settings["weights"]
    values = {
        "threshold": stop_index(data["stops"], settings["threshold"]),
        "threshold_text": format_count(settings["threshold"]),
        **dict(zip(WEIGHTS, weights)), **{name: settings[name] for name in PREFERENCES},
        "refine": settings["refine"], "objective": settings["objective"],
        "min_gain": str(RefineChoice.of(settings).min_gain),
        "mode": settings["mode"], "band": settings["band"], "drivers": settings["drivers"], "waves": settings["waves"],
        **{name: format_money(rules[key]) for name, key in MONEY_RULES.items()},
    }
    for name, (kind, segment) in CAP_BOXES.items():
        cap = rules[f"max_{kind}"].get(segment)
        values[name] = "" if cap is None else (format_count(cap) if kind == "accounts" else format_money(cap))
    return values


def _usable(stored: dict | None) -> Settings | None:
    if not stored:
        return None
    try:
        return settings_from_json(stored)
    except ValueError:
        return None
