"""What a browser session holds (small JSON in `dcc.Store`s) and how it maps to engine objects.

DATA says which dataset the session uses; SETTINGS holds the user's choices. Everything else is
recomputed from these two on the server, so any worker can answer any request.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from engine import Allocation, Dataset, Preferences, Settings, Weights, allocate, default_threshold, slider_range
from engine.dataset import MAX_THRESHOLD, SEGMENTS, slider_stops
from engine.rebalance import DRIVERS, Plan, Rebalance, rebalance, today
from engine.refine import BALANCED, DEFAULT_MIN_GAIN, MIN_GAIN_CHOICES, OBJECTIVES, refine
from engine.rules import Rules

from .services import services
from .store import DEMO, demo_dataset


def data_summary(key: str, dataset: Dataset, label: str, settings: dict | None = None) -> dict:
    """The DATA store: the server-side key plus what the controls need to know, and the settings
    the data came with (an opened scenario's), which the controls take up instead of the defaults."""
    low, high = slider_range(dataset.employees)
    return {
        **({"settings": settings} if settings else {}),
        "key": key,
        "label": label,
        "accounts": dataset.n_accounts,
        "reps": dataset.n_reps,
        "has_risk": dataset.has_risk,
        "range": [low, high],
        "stops": [int(stop) for stop in slider_stops(dataset.employees)],
        "default_threshold": default_threshold(dataset),
        "fingerprint": dataset.fingerprint,
    }


def demo_summary() -> dict:
    return data_summary(DEMO, demo_dataset(), "Demo data")


@dataclass(frozen=True)
class RefineChoice:
    """The "Refine balance" switch and the score it raises (kept while the switch is off)."""

    on: bool = False
    objective: str = BALANCED
    min_gain: float = DEFAULT_MIN_GAIN  # points a change must add (engine.refine.gain_bar)

    @property
    def mode(self) -> str | None:
        """The objective to refine for, or None when refinement is off."""
        return self.objective if self.on else None

    @classmethod
    def of(cls, stored: dict | None) -> RefineChoice:
        """What the SETTINGS store says; anything a user could not have chosen reads as off."""
        stored = stored or {}
        objective = stored.get("objective")
        return cls(stored.get("refine") is True, objective if objective in OBJECTIVES else BALANCED,
                   min_gain_of(stored.get("min_gain")))


def min_gain_of(value) -> float:
    """One of the offered minimum gains (a number, or its text from the drop-down); else the default."""
    try:
        number = float(value) if isinstance(value, (int, float, str)) and len(str(value)) < 10 else None
    except ValueError:
        number = None
    return number if number in MIN_GAIN_CHOICES else DEFAULT_MIN_GAIN


REDRAW, REBALANCE = "redraw", "rebalance"


@dataclass(frozen=True)
class ModeChoice:
    """Redraw (the greedy, optionally refined) or rebalance today's books (ALLOCATION.md §8)."""

    mode: str = REDRAW
    plan: Plan = Plan()

    @property
    def rebalancing(self) -> bool:
        return self.mode == REBALANCE

    @classmethod
    def of(cls, stored: dict | None) -> ModeChoice:
        """What the SETTINGS store says; anything a user could not have chosen reads as the defaults."""
        stored = stored or {}
        mode = stored.get("mode") if stored.get("mode") in (REDRAW, REBALANCE) else REDRAW
        drivers = stored.get("drivers")
        try:
            plan = Plan(band=stored.get("band", Plan.band), waves=stored.get("waves", Plan.waves),
                        drivers=tuple(drivers) if isinstance(drivers, list) and len(drivers) <= len(DRIVERS)
                        else Plan.drivers)
        except (ValueError, TypeError):
            plan = Plan()
        return cls(mode, plan)

    def json(self) -> dict:
        return {"mode": self.mode, "band": self.plan.band, "drivers": list(self.plan.drivers),
                "waves": self.plan.waves}


MAX_PINS = 10_000   # pins a session may hold (more than any book has strategic accounts)
MAX_NAME = 300      # characters of an account ID or rep name in a pin


def settings_json(settings: Settings, data_key: str, choice: RefineChoice = RefineChoice(),
                  mode: ModeChoice = ModeChoice()) -> dict:
    p = settings.preferences
    return {"data_key": data_key, "threshold": settings.threshold, "weights": settings.weights.as_list(),
            "geo": p.geo, "preserve": p.preserve, "high_risk": p.high_risk,
            "refine": choice.on, "objective": choice.objective, "min_gain": choice.min_gain,
            "rules": rules_json(settings.rules),
            **mode.json()}


def digest(value) -> str:
    """A short stable name for a JSON value: store keys stay small whatever the settings hold."""
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()[:24]


def rules_json(rules: Rules) -> dict:
    return {"lock_arr_at_least": rules.lock_arr_at_least, "review_arr_at_least": rules.review_arr_at_least,
            "max_accounts": {s: rules.max_accounts.get(s) for s in SEGMENTS},
            "max_arr": {s: rules.max_arr.get(s) for s in SEGMENTS}, "pins": dict(rules.pins)}


def settings_from_json(stored: dict) -> Settings:
    """Raises ValueError on anything a user could not have set with the controls: the store is
    the browser's, so every value is checked for type, size and range before the engine sees it."""
    try:
        threshold = stored["threshold"]
        if isinstance(threshold, bool) or not isinstance(threshold, int) or not 1 <= threshold <= MAX_THRESHOLD:
            raise ValueError(f"threshold must be a whole number from 1 to {MAX_THRESHOLD:,}")
        weights = stored["weights"]
        if not isinstance(weights, list) or len(weights) != 3 or not all(isinstance(w, int) for w in weights):
            raise ValueError("weights must be three whole percents")
        return Settings(threshold, Weights(*weights),
                        Preferences(_number(stored["geo"]), _number(stored["preserve"]), _number(stored["high_risk"])),
                        rules_from_json(stored.get("rules")))
    except (KeyError, TypeError, AttributeError) as error:
        raise ValueError(f"incomplete settings: {error}") from None


def rules_from_json(stored: dict | None) -> Rules:
    """The rules a SETTINGS store holds (none when it holds none); ValueError on a malformed one."""
    if stored is None:
        return Rules()
    pins = stored.get("pins") or {}
    if not isinstance(pins, dict) or len(pins) > MAX_PINS or not all(
            isinstance(k, str) and isinstance(v, str) and 0 < len(k) <= MAX_NAME and 0 < len(v) <= MAX_NAME
            for k, v in pins.items()):
        raise ValueError("pins must map account IDs to rep names")
    return Rules(lock_arr_at_least=_optional(stored.get("lock_arr_at_least")),
                 review_arr_at_least=_optional(stored.get("review_arr_at_least")),
                 max_accounts=_caps(stored.get("max_accounts")), max_arr=_caps(stored.get("max_arr")), pins=pins)


def _number(value) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"expected a number, got {type(value).__name__}")
    return float(value)


def _optional(value) -> float | None:
    return None if value is None else _number(value)


def _caps(stored) -> dict:
    if stored is None:
        return {}
    if not isinstance(stored, dict) or not set(stored) <= set(SEGMENTS):
        raise ValueError("caps are keyed by segment")
    return {segment: _optional(value) for segment, value in stored.items()}


@dataclass(frozen=True)
class Current:
    """A session's dataset and the allocation its settings ask for: the greedy's (refined when the
    session turned "Refine balance" on) or, when rebalancing, the plan's once it is ready (today's
    books until then: `pending`)."""

    dataset: Dataset
    allocation: Allocation
    rebalance: Rebalance | None = None
    pending: bool = False
    error: str | None = None   # why the plan could not be worked out


PLAN_IGNORES = ("refine", "objective", "min_gain")  # settings a rebalancing plan does not read


def plan_key(data: dict, stored_settings: dict) -> str:
    """Where a session's plan is kept: its data and every setting the plan reads."""
    relevant = {k: v for k, v in stored_settings.items() if k not in PLAN_IGNORES}
    return f"plan:{data['key']}:{digest(relevant)}"


def current(data: dict | None, stored_settings: dict | None, plan: dict | None = None,
            objective: str | None = None) -> Current | None:
    """None when the session's data is gone (expired or evicted) or its settings are unusable.
    `plan` is what the rebalancing job last answered; `objective` asks for a refinement whatever
    the switch says (the preview of "Refine balance")."""
    dataset = dataset_of(data)
    if dataset is None or not stored_settings:
        return None
    try:
        settings = settings_from_json(stored_settings)
    except ValueError:
        return None
    if ModeChoice.of(stored_settings).rebalancing and objective is None:
        key = plan_key(data, stored_settings)
        answered = isinstance(plan, dict) and plan.get("key") == key
        ready = services().store.recall(key) if answered else None
        if isinstance(ready, Rebalance):
            return Current(dataset, ready.allocation, ready)
        error = plan.get("error") if answered and isinstance(plan.get("error"), str) else None
        return Current(dataset, today(dataset, settings), None, pending=error is None, error=error)
    choice = RefineChoice.of(stored_settings)
    objective = objective or choice.mode
    if objective is None:
        return Current(dataset, greedy(data, dataset, settings))
    memo_key = (f"refined:{data['key']}:{digest(settings_json(settings, data['key']))}:{objective}:"
                f"{choice.min_gain}")
    return Current(dataset, services().store.memo(
        memo_key, lambda: refine(dataset, greedy(data, dataset, settings), objective, choice.min_gain)))


def greedy(data: dict, dataset: Dataset, settings: Settings) -> Allocation:
    """The greedy allocation of the session's data, computed once per process for the requests
    of a slider move (each of them computed it: a quarter of their CPU under load)."""
    key = f"greedy:{data['key']}:{digest(settings_json(settings, data['key']))}"
    return services().store.recent(key, lambda: allocate(dataset, settings))


def decided(dataset: Dataset, stored_settings: dict) -> tuple[Allocation, Rebalance | None]:
    """What the settings decide, computed here and now (the API, a saved scenario): the greedy,
    refined if asked, or the rebalancing plan. ValueError on settings that are not usable."""
    settings = settings_from_json(stored_settings)
    mode = ModeChoice.of(stored_settings)
    if mode.rebalancing:
        plan = rebalance(dataset, settings, mode.plan)
        return plan.allocation, plan
    choice = RefineChoice.of(stored_settings)
    allocation = allocate(dataset, settings)
    if choice.on:
        allocation = refine(dataset, allocation, choice.objective, choice.min_gain)
    return allocation, None


def dataset_of(data: dict | None) -> Dataset | None:
    if not data:
        return None
    return services().store.get(data.get("key"))
