"""Turn what the browser uploaded into a session dataset, or a clear refusal.

Files arrive as `data:…;base64,…` strings. Two CSVs may come together or one at a time (the
first waits, server-side, for the other); a workbook comes alone. A refused upload never touches
the data the session already has. When the only trouble is a required field whose column the
loader cannot be sure of, the files wait server-side while the user picks the column (the
mapping step, app.mapping); a choice remembered in the browser for files with the same columns
is applied without asking.
"""
from __future__ import annotations

import base64
import binascii
from dataclasses import asdict, dataclass

from engine import Limits, LoadResult, Report, Source, load_files
from engine.io.columns import ACCOUNTS, REPS, ColumnMap
from engine.io.loading import MappingRequest, csv_kind

from .state import data_summary
from .store import SessionStore, StoreFull

SHOWN_MESSAGES = 200
MB = 1024 * 1024
QUOTA_SECONDS = 3600
STORE_FULL = {"level": "danger", "details": [],
              "title": "The server has no room for new uploads right now. The data you had is still loaded; try "
                       "again later, or ask whoever runs Territory Slicer to make room."}
REMEMBERED = "using the columns you chose before for files with these headers"


@dataclass(frozen=True)
class Outcome:
    data: dict | None      # new DATA store value, None to keep the current one
    pending: dict | None   # one CSV waiting for its partner
    report: dict           # what the banner shows
    mapping: dict | None = None  # files waiting for the user to pick columns, and what to ask


def receive_upload(contents: list[str], names: list[str], pending: dict | None,
                   store: SessionStore, limits: Limits, remembered: dict | None = None) -> Outcome:
    try:
        return _receive(contents, names, pending, store, limits, remembered)
    except StoreFull:
        return Outcome(None, pending, STORE_FULL)


def over_quota(contents: list[str], client: str, store: SessionStore, quota_bytes: int) -> dict | None:
    """A refusal when this client address has uploaded more than its quota within the hour: one
    client cannot fill the store that every session shares."""
    used = store.count(f"uploaded:{client}", QUOTA_SECONDS, sum(len(c) for c in contents) * 3 // 4)
    if used <= quota_bytes:
        return None
    return {"level": "danger", "details": [],
            "title": f"Upload refused: this address has uploaded more than {quota_bytes / MB:,.0f} MB within the "
                     f"hour, the limit per address. The data you had is still loaded; try again later."}


def _receive(contents: list[str], names: list[str], pending: dict | None,
             store: SessionStore, limits: Limits, remembered: dict | None) -> Outcome:
    sources, damaged = decode_files(contents, names)
    if not damaged.ok:
        return Outcome(None, pending, refusal(damaged))
    if len(sources) == 1 and (kind := csv_kind(sources[0])):
        waiting = store.get(pending.get("key")) if isinstance(pending, dict) else None
        if not isinstance(waiting, Source) or pending.get("kind") == kind:
            return Outcome(None, {"key": store.put(sources[0]), "kind": kind, "name": sources[0].name},
                           waiting_for_partner(sources[0].name, kind))
        sources = [waiting, sources[0]]
    return load_sources(sources, store, limits, remembered or {})


def load_sources(sources: list[Source], store: SessionStore, limits: Limits, remembered: dict) -> Outcome:
    result = load_files(sources, limits)
    if result.ok or not result.mapping:
        return outcome_of(result, sources, store)
    chosen = remembered_map(remembered, result.mapping)
    if chosen is not None and (again := load_files(sources, limits, chosen)).ok:
        return loaded(again, sources, store, note=REMEMBERED)
    return asks_for_columns(result, sources, store)


def load_mapped(waiting: dict | None, chosen: ColumnMap, store: SessionStore, limits: Limits) -> Outcome:
    """The files that waited for the mapping step, read again with the user's columns; refused,
    they keep waiting so the user can pick again."""
    try:
        return _load_mapped(waiting, chosen, store, limits)
    except StoreFull:
        return Outcome(None, None, STORE_FULL, waiting)


def _load_mapped(waiting: dict | None, chosen: ColumnMap, store: SessionStore, limits: Limits) -> Outcome:
    key = waiting.get("sources") if isinstance(waiting, dict) else None
    sources = store.get(key)
    if not (isinstance(sources, list) and all(isinstance(s, Source) for s in sources)):
        return Outcome(None, None, {"level": "warning", "details": [],
                                    "title": "The uploaded files are no longer on the server; please upload them "
                                             "again. The data you had is still loaded."})
    result = load_files(sources, limits, chosen)
    if result.ok:
        return loaded(result, sources, store)
    if result.mapping:
        return asks_for_columns(result, sources, store)
    return Outcome(None, None, refusal(result.report), waiting)


def outcome_of(result: LoadResult, sources: list[Source], store: SessionStore) -> Outcome:
    return loaded(result, sources, store) if result.ok else Outcome(None, None, refusal(result.report))


def asks_for_columns(result: LoadResult, sources: list[Source], store: SessionStore) -> Outcome:
    fields = sum(len(request.choices) for request in result.mapping)
    title = (f"Almost there: choose the column for {fields} field{'s' if fields != 1 else ''} below, then "
             f"Use these columns. The data you had is still loaded.")
    waiting = {"sources": store.put(sources), "requests": [asdict(request) for request in result.mapping]}
    return Outcome(None, None, {"level": "warning", "title": title, "details": messages(result.report)}, waiting)


def remembered_map(remembered: dict, requests: tuple[MappingRequest, ...]) -> ColumnMap | None:
    """The columns this browser chose before for files with these very headers, if it chose for
    every file that asks; the browser's memory is checked like any other client value."""
    chosen = {REPS: {}, ACCOUNTS: {}}
    for request in requests:
        entry = remembered.get(request.key) if isinstance(remembered, dict) else None
        if not (isinstance(entry, dict) and all(isinstance(f, str) and isinstance(c, str) and c in request.columns
                                                for f, c in entry.items())):
            return None
        chosen[request.kind].update(entry)
    return ColumnMap(chosen[REPS], chosen[ACCOUNTS])


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


def loaded(result: LoadResult, sources: list[Source], store: SessionStore, note: str = "") -> Outcome:
    dataset = result.dataset
    files = " and ".join(s.name for s in sources)
    data = data_summary(store.put(dataset), dataset, files)
    warnings = result.report.warnings
    title = f"Loaded {dataset.n_accounts:,} accounts and {dataset.n_reps:,} reps from {files}"
    if note:
        title += f", {note}"
    if warnings:
        title += f", with {len(warnings)} warning{'s' if len(warnings) != 1 else ''}"
    return Outcome(data, None, {"level": "warning" if warnings else "success", "title": title,
                                "details": messages(result.report)})


def refusal(report: Report) -> dict:
    count, notes = len(report.errors), len(report.messages) - len(report.errors)
    summary = f"{count} problem{'s' if count != 1 else ''}" + (f", {notes} note{'s' if notes != 1 else ''}"
                                                               if notes else "")
    return {"level": "danger",
            "title": f"Upload refused: {count} problem{'s' if count != 1 else ''} found. "
                     f"The data you had is still loaded.",
            "details": messages(report), "summary": f"Details: {summary}"}


def waiting_for_partner(name: str, kind: str) -> dict:
    other = "Accounts" if kind == "reps" else "Reps"
    return {"level": "info", "title": f"{name} read as the {kind.title()} file. Now add the {other} CSV.",
            "details": []}


def messages(report: Report) -> list[str]:
    lines = [f"{m.level.value.title()}: {m}" for m in report.messages]
    if len(lines) > SHOWN_MESSAGES:
        lines = lines[:SHOWN_MESSAGES] + [f"… and {len(lines) - SHOWN_MESSAGES:,} more"]
    return lines
