"""The deployment's configuration and session store, opened once per process.

Both are built from environment variables only, so a web worker, a background job process and a
Celery worker all reach the same store without passing objects around. They hold no user data
themselves: every read and write goes through a session's own key.
"""
from __future__ import annotations

import functools
import os
from dataclasses import dataclass

from .config import Config
from .store import DiskSessionStore, RedisSessionStore, SessionStore


@dataclass(frozen=True)
class Services:
    config: Config
    store: SessionStore


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
    settings = config()
    if settings.redis_url:
        return Services(settings, RedisSessionStore(settings.redis_url, settings.session_ttl_seconds))
    return Services(settings, DiskSessionStore(settings.cache_dir / "sessions", settings.session_ttl_seconds))
