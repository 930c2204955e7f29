"""Saved scenarios in a real database: SQLite under CACHE_DIR by default, PostgreSQL when
DATABASE_URL is set (PaaS add-ons write `postgres://…`). The schema is created and migrated by
the app itself (Alembic, migrations/), on first use, by whichever process gets there first.

A scenario holds its data, so it outlives the session cache: the validated dataset, pickled and
compressed, stored once per content however many scenarios use it. Only this server writes those
bytes; nothing a client sends is ever unpickled.
"""
from __future__ import annotations

import hashlib
import json
import logging
import pickle
import re
import secrets
import threading
import time
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from engine import Dataset

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
MAX_NAME = 200
MAX_NOTE = 2_000
MAX_AUTHOR = 200
ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{16}")
MIGRATION_LOCK = 7_401_001  # PostgreSQL advisory lock id: one process migrates at a time
MIGRATION_ATTEMPTS = 5
# Alembic keeps its migration context in module globals, so one thread of a process migrates at a
# time (processes are serialised by the database: an advisory lock, or SQLite's write lock).
MIGRATING = threading.Lock()

metadata = sa.MetaData()
datasets = sa.Table(
    "datasets", metadata,
    sa.Column("digest", sa.String(64), primary_key=True),
    sa.Column("data", sa.LargeBinary, nullable=False),
    sa.Column("size", sa.Integer, nullable=False),
    sa.Column("created", sa.DateTime(timezone=True), nullable=False),
)
scenarios = sa.Table(
    "scenarios", metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("name", sa.String(MAX_NAME), nullable=False),
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("author", sa.String(MAX_AUTHOR)),
    sa.Column("created", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
    sa.Column("approved_by", sa.String(MAX_AUTHOR)),
    sa.Column("approved_at", sa.DateTime(timezone=True)),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("label", sa.String(300), nullable=False),
    sa.Column("accounts", sa.Integer, nullable=False),
    sa.Column("reps", sa.Integer, nullable=False),
    sa.Column("settings", sa.Text, nullable=False),
    sa.Column("dataset", sa.String(64), sa.ForeignKey("datasets.digest"), nullable=False),
)
LISTED = [c for c in scenarios.columns if c.name not in ("settings", "dataset")]


class ScenarioError(ValueError):
    """A request the store refuses, with a message for the user (a bad name, too much data)."""


class DatabaseDown(RuntimeError):
    """The database cannot be reached or used; the message says so in plain words."""


@dataclass(frozen=True)
class Scenario:
    id: str
    name: str
    note: str
    author: str | None
    created: datetime
    updated: datetime
    approved_by: str | None
    approved_at: datetime | None
    fingerprint: str
    label: str
    accounts: int
    reps: int
    settings: dict | None = None  # the dashboard's settings store, without its session's data key

    def listing(self) -> dict:
        """API.md's fields of a scenario in a list, times in ISO 8601 (UTC)."""
        return {"id": self.id, "name": self.name, "note": self.note, "author": self.author,
                "created": iso(self.created), "updated": iso(self.updated), "approved_by": self.approved_by,
                "approved_at": iso(self.approved_at), "fingerprint": self.fingerprint,
                "accounts": self.accounts, "reps": self.reps}


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat(timespec="seconds")


def aware(moment: datetime | None) -> datetime | None:
    """SQLite gives back times without their zone; every time stored is UTC."""
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def is_scenario_id(value) -> bool:
    return isinstance(value, str) and ID_PATTERN.fullmatch(value) is not None


def database_url(url: str | None, cache_dir: Path) -> str:
    """DATABASE_URL in SQLAlchemy's spelling (psycopg 3 for PostgreSQL), or SQLite under CACHE_DIR."""
    if not url:
        return f"sqlite:///{cache_dir / 'scenarios.sqlite3'}"
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def plain_text(value, limit: int, what: str, required: bool = False) -> str:
    """Text from a user: control characters removed, trimmed, within `limit` characters."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ScenarioError(f"The {what} must be text.")
    text = re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", "", value).strip()
    if required and not text:
        raise ScenarioError(f"Give the scenario a {what}.")
    if len(text) > limit:
        raise ScenarioError(f"The {what} is {len(text):,} characters long; keep it within {limit:,}.")
    return text


def now() -> datetime:
    return datetime.now(UTC)


class ScenarioStore:
    """Scenarios of every user of this deployment. Opens and migrates the database on first use."""

    def __init__(self, url: str, max_bytes: int):
        self.url = url
        self.max_bytes = max_bytes
        self._engine = None
        self._opening = threading.Lock()
        self._datasets: dict[str, Dataset] = {}  # by content digest: immutable, safe to share

    # --- opening -------------------------------------------------------------------------
    @property
    def engine(self) -> sa.Engine:
        with self._opening:
            if self._engine is None:
                engine = self._create_engine()
                migrate(engine)
                self._engine = engine
        return self._engine

    def _create_engine(self) -> sa.Engine:
        if self.url.startswith("sqlite"):
            Path(self.url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
            engine = sa.create_engine(self.url, connect_args={"timeout": 30})
            sa.event.listen(engine, "connect", _sqlite_pragmas)
            return engine
        return sa.create_engine(self.url, pool_pre_ping=True, pool_size=2, max_overflow=3)

    def _run(self, work):
        """`work(connection)` in one transaction; a database that cannot be used says so plainly."""
        try:
            with self.engine.begin() as connection:
                return work(connection)
        except (ScenarioError, IntegrityError):
            raise
        except SQLAlchemyError as error:
            log.exception("scenario database failed")
            raise DatabaseDown("The scenario database cannot be reached right now; nothing was changed. "
                               "Try again in a minute.") from error

    # --- writing -------------------------------------------------------------------------
    def save(self, dataset: Dataset, label: str, settings: dict, name, note, author: str | None) -> Scenario:
        name = plain_text(name, MAX_NAME, "name", required=True)
        note = plain_text(note, MAX_NOTE, "note")
        data = zlib.compress(pickle.dumps(dataset, pickle.HIGHEST_PROTOCOL), 6)
        settings_text = json.dumps({k: v for k, v in settings.items() if k != "data_key"}, sort_keys=True)
        size = len(data) + len(settings_text)
        if size > self.max_bytes:
            raise ScenarioError(f"This scenario's data takes {size / 2**20:,.1f} MB once compressed; a scenario "
                                f"may hold at most {self.max_bytes / 2**20:,.0f} MB (SCENARIO_MAX_MB).")
        digest = hashlib.sha256(data).hexdigest()
        moment = now()
        row = {"id": secrets.token_urlsafe(12), "name": name, "note": note,
               "author": (author or None) and author[:MAX_AUTHOR], "created": moment, "updated": moment,
               "approved_by": None, "approved_at": None, "fingerprint": dataset.fingerprint,
               "label": plain_text(label, 300, "label") or "Uploaded data", "accounts": dataset.n_accounts,
               "reps": dataset.n_reps, "settings": settings_text, "dataset": digest}

        def write(connection):
            if connection.execute(sa.select(datasets.c.digest).where(datasets.c.digest == digest)).first() is None:
                try:
                    with connection.begin_nested():
                        connection.execute(datasets.insert().values(digest=digest, data=data, size=len(data),
                                                                    created=moment))
                except IntegrityError:
                    pass  # another writer saved the same data a moment ago
            connection.execute(scenarios.insert().values(**row))
        self._run(write)
        return self._scenario({**row, "settings": settings_text})

    def rename(self, scenario_id: str, name, note) -> Scenario | None:
        values = {"name": plain_text(name, MAX_NAME, "name", required=True),
                  "note": plain_text(note, MAX_NOTE, "note"), "updated": now()}
        return self._update(scenario_id, values)

    def approve(self, scenario_id: str, who: str | None) -> Scenario | None:
        moment = now()
        return self._update(scenario_id, {"approved_by": (who or "anonymous")[:MAX_AUTHOR], "approved_at": moment,
                                          "updated": moment})

    def _update(self, scenario_id: str, values: dict) -> Scenario | None:
        if not is_scenario_id(scenario_id):
            return None
        self._run(lambda c: c.execute(scenarios.update().where(scenarios.c.id == scenario_id).values(**values)))
        return self.get(scenario_id)

    def delete(self, scenario_id: str) -> bool:
        """Remove a scenario, and its data when no other scenario holds the same."""
        if not is_scenario_id(scenario_id):
            return False

        def remove(connection) -> bool:
            digest = connection.execute(sa.select(scenarios.c.dataset).where(scenarios.c.id == scenario_id)).scalar()
            if digest is None:
                return False
            connection.execute(scenarios.delete().where(scenarios.c.id == scenario_id))
            still_used = connection.execute(sa.select(sa.func.count()).select_from(scenarios)
                                            .where(scenarios.c.dataset == digest)).scalar()
            if not still_used:
                connection.execute(datasets.delete().where(datasets.c.digest == digest))
            return True
        return self._run(remove)

    # --- reading -------------------------------------------------------------------------
    def list(self) -> list[Scenario]:
        """Every scenario, newest first (without settings: a list stays small)."""
        rows = self._run(lambda c: c.execute(sa.select(*LISTED).order_by(scenarios.c.created.desc(),
                                                                         scenarios.c.id)).mappings().all())
        return [self._scenario(row) for row in rows]

    def get(self, scenario_id) -> Scenario | None:
        if not is_scenario_id(scenario_id):
            return None
        row = self._run(lambda c: c.execute(sa.select(*LISTED, scenarios.c.settings)
                                            .where(scenarios.c.id == scenario_id)).mappings().first())
        return None if row is None else self._scenario(row)

    def dataset(self, scenario_id: str) -> Dataset | None:
        """The scenario's data as it was saved (kept in memory once read: it never changes)."""
        if not is_scenario_id(scenario_id):
            return None
        row = self._run(lambda c: c.execute(
            sa.select(datasets.c.digest, datasets.c.data).join(scenarios, scenarios.c.dataset == datasets.c.digest)
            .where(scenarios.c.id == scenario_id)).first())
        if row is None:
            return None
        if row.digest not in self._datasets:
            if len(self._datasets) >= 4:
                self._datasets.pop(next(iter(self._datasets)))
            self._datasets[row.digest] = pickle.loads(zlib.decompress(row.data))
        return self._datasets[row.digest]

    @staticmethod
    def _scenario(row) -> Scenario:
        values = dict(row)
        values["settings"] = json.loads(values["settings"]) if values.get("settings") else None
        values.pop("dataset", None)
        for name in ("created", "updated", "approved_at"):
            values[name] = aware(values[name])
        return Scenario(**values)


def _sqlite_pragmas(connection, _record) -> None:
    """Readers never wait for a writer (WAL); a writer waits for another up to 30 s."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def migrate(engine: sa.Engine) -> None:
    """Bring the schema to the newest revision. Workers that start together may race: PostgreSQL
    serialises them with an advisory lock; on SQLite the loser retries and finds the work done."""
    from alembic import command
    from alembic.config import Config as AlembicConfig

    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    for attempt in range(MIGRATION_ATTEMPTS):
        try:
            with MIGRATING, engine.begin() as connection:
                if connection.dialect.name == "postgresql":
                    connection.execute(sa.text(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})"))
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
            return
        except SQLAlchemyError:
            if attempt == MIGRATION_ATTEMPTS - 1:
                raise
            time.sleep(0.2 * (attempt + 1))
