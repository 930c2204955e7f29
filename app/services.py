"""The deployment's configuration and session store, opened once per process.

Both are built from environment variables only, so a web worker, a background job process and a
Celery worker all reach the same store without passing objects around. They hold no user data
themselves: every read and write goes through a session's own key.
"""
from __future__ import annotations

import functools
import os

from .config import Config
from .scenario_store import ScenarioStore, database_url
from .store import DiskSessionStore, RedisSessionStore, SessionStore


class Services:
    """The configuration, and the store opened on first use: a store that cannot be opened (a
    full disk, Redis down) fails that request with a clear message and is tried again on the
    next, instead of failing every page of the worker, the layout included."""

    def __init__(self, settings: Config):
        self.config = settings
        self._store: SessionStore | None = None
        self._queue: SessionStore | None = None
        self._scenarios: ScenarioStore | None = None

    @property
    def store(self) -> SessionStore:
        if self._store is None:
            self._store = open_store(self.config)
        return self._store

    @property
    def scenarios(self) -> ScenarioStore:
        """Saved scenarios (the database is opened, and migrated, on first use)."""
        if self._scenarios is None:
            self._scenarios = ScenarioStore(database_url(self.config.database_url, self.config.cache_dir),
                                            self.config.scenario_max_bytes)
        return self._scenarios

    @property
    def queue(self) -> SessionStore:
        """On one machine, where background jobs wait their turn (app.jobs.take_turn)."""
        if self._queue is None:
            self._queue = DiskSessionStore(self.config.cache_dir / "queue", 3600)
        return self._queue


def open_store(settings: Config) -> SessionStore:
    if settings.redis_url:
        return RedisSessionStore(settings.redis_url, settings.session_ttl_seconds)
    return DiskSessionStore(settings.cache_dir / "sessions", settings.session_ttl_seconds)


def services() -> Services:
    """Per process: a forked job must not reuse its parent's open cache connections."""
    return _open(os.getpid())


@functools.cache
def config() -> Config:
    """Read once; forked jobs inherit it rather than read (and warn) again, because a forked
    process must not take locks, such as logging's, that another thread may have held."""
    return Config.from_env()


@functools.cache
def _open(pid: int) -> Services:
    return Services(config())
