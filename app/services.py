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
from .store import SessionStore


@dataclass(frozen=True)
class Services:
    config: Config
    store: SessionStore


def services() -> Services:
    """Per process: a forked job must not reuse its parent's open cache connections."""
    return _open(os.getpid())


@functools.cache
def _open(pid: int) -> Services:
    config = Config.from_env()
    return Services(config, SessionStore(config.cache_dir / "sessions", config.session_ttl_seconds))
