"""Turn what the browser uploaded into a session dataset, or a clear refusal.

Files arrive as `data:…;base64,…` strings. Two CSVs may come together or one at a time (the
first waits, server-side, for the other); a workbook comes alone. A refused upload never touches
the data the session already has.
"""
from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from engine import Limits, LoadResult, Report, Source, load_files
from engine.loading import csv_kind

from .state import data_summary
from .store import SessionStore

SHOWN_MESSAGES = 200


@dataclass(frozen=True)
class Outcome:
    data: dict | None      # new DATA store value, None to keep the current one
    pending: dict | None   # one CSV waiting for its partner
    report: dict           # what the banner shows


def receive_upload(contents: list[str], names: list[str], pending: dict | None,
                   store: SessionStore, limits: Limits) -> Outcome:
    sources, damaged = decode_files(contents, names)
    if not damaged.ok:
        return Outcome(None, pending, refusal(damaged))
    if len(sources) == 1 and (kind := csv_kind(sources[0])):
        waiting = store.get(pending["key"]) if pending else None
        if waiting is None or pending["kind"] == kind:
            return Outcome(None, {"key": store.put(sources[0]), "kind": kind, "name": sources[0].name},
                           waiting_for_partner(sources[0].name, kind))
        sources = [waiting, sources[0]]
    result = load_files(sources, limits)
    return loaded(result, sources, store) if result.ok else Outcome(None, None, refusal(result.report))


def decode_files(contents: list[str], names: list[str]) -> tuple[list[Source], Report]:
    report = Report()
    sources = []
    for content, name in zip(contents, names):
        try:
            _, encoded = content.split(",", 1)
            sources.append(Source(name, base64.b64decode(encoded, validate=True)))
        except (ValueError, binascii.Error):
            report.error("did not arrive intact; please upload it again", file=name)
    return sources, report


def loaded(result: LoadResult, sources: list[Source], store: SessionStore) -> Outcome:
    dataset = result.dataset
    files = " and ".join(s.name for s in sources)
    data = data_summary(store.put(dataset), dataset, files)
    warnings = result.report.warnings
    title = f"Loaded {dataset.n_accounts:,} accounts and {dataset.n_reps:,} reps from {files}"
    if warnings:
        title += f", with {len(warnings)} warning{'s' if len(warnings) != 1 else ''}"
    return Outcome(data, None, {"level": "warning" if warnings else "success", "title": title,
                                "details": messages(result.report)})


def refusal(report: Report) -> dict:
    count = len(report.errors)
    return {"level": "danger",
            "title": f"Upload refused: {count} problem{'s' if count != 1 else ''} found. "
                     f"The data you had is still loaded.",
            "details": messages(report)}


def waiting_for_partner(name: str, kind: str) -> dict:
    other = "Accounts" if kind == "reps" else "Reps"
    return {"level": "info", "title": f"{name} read as the {kind.title()} file. Now add the {other} CSV.",
            "details": []}


def messages(report: Report) -> list[str]:
    lines = [f"{m.level.value.title()}: {m}" for m in report.messages]
    if len(lines) > SHOWN_MESSAGES:
        lines = lines[:SHOWN_MESSAGES] + [f"… and {len(lines) - SHOWN_MESSAGES:,} more"]
    return lines
