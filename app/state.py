"""What a browser session holds (small JSON in `dcc.Store`s) and how it maps to engine objects.

DATA says which dataset the session uses; SETTINGS holds the user's choices. Everything else is
recomputed from these two on the server, so any worker can answer any request.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from engine import Allocation, Dataset, Preferences, Settings, Weights, allocate, default_threshold, slider_range
from engine.refine import BALANCED, OBJECTIVES, refine

from .services import services
from .store import DEMO, demo_dataset


def data_summary(key: str, dataset: Dataset, label: str) -> dict:
    """The DATA store: the server-side key plus what the controls need to know."""
    low, high = slider_range(dataset.employees)
    return {
        "key": key,
        "label": label,
        "accounts": dataset.n_accounts,
        "reps": dataset.n_reps,
        "has_risk": dataset.has_risk,
        "range": [low, high],
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

    @property
    def mode(self) -> str | None:
        """The objective to refine for, or None when refinement is off."""
        return self.objective if self.on else None

    @classmethod
    def of(cls, stored: dict | None) -> RefineChoice:
        """What the SETTINGS store says; anything a user could not have chosen reads as off."""
        stored = stored or {}
        objective = stored.get("objective")
        return cls(stored.get("refine") is True, objective if objective in OBJECTIVES else BALANCED)


def settings_json(settings: Settings, data_key: str, choice: RefineChoice = RefineChoice()) -> dict:
    p = settings.preferences
    return {"data_key": data_key, "threshold": settings.threshold, "weights": settings.weights.as_list(),
            "geo": p.geo, "preserve": p.preserve, "high_risk": p.high_risk,
            "refine": choice.on, "objective": choice.objective}


def settings_from_json(stored: dict) -> Settings:
    """Raises ValueError on anything a user could not have set with the controls."""
    try:
        return Settings(int(stored["threshold"]), Weights(*(int(w) for w in stored["weights"])),
                        Preferences(float(stored["geo"]), float(stored["preserve"]),
                                    float(stored["high_risk"])))
    except (KeyError, TypeError) as error:
        raise ValueError(f"incomplete settings: {error}") from None


@dataclass(frozen=True)
class Current:
    """A session's dataset and its allocation under the session's settings (refined when the
    session turned "Refine balance" on)."""

    dataset: Dataset
    allocation: Allocation


def current(data: dict | None, stored_settings: dict | None, objective: str | None = None) -> Current | None:
    """None when the session's data is gone (expired or evicted) or its settings are unusable.
    `objective` asks for a refinement whatever the switch says (the preview of "Refine balance")."""
    dataset = dataset_of(data)
    if dataset is None or not stored_settings:
        return None
    try:
        settings = settings_from_json(stored_settings)
    except ValueError:
        return None
    objective = objective or RefineChoice.of(stored_settings).mode
    if objective is None:
        return Current(dataset, allocate(dataset, settings))
    memo_key = f"refined:{data['key']}:{json.dumps(settings_json(settings, data['key']))}:{objective}"
    return Current(dataset, services().store.memo(
        memo_key, lambda: refine(dataset, allocate(dataset, settings), objective)))


def dataset_of(data: dict | None) -> Dataset | None:
    if not data:
        return None
    return services().store.get(data.get("key"))
