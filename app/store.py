"""Server-side data of each browser session, keyed by an unguessable token.

The browser holds only the token (in a per-tab `dcc.Store`); datasets live in a disk cache that
every worker process on the machine shares, expire after a while of disuse, and are evicted
least-recently-used when the cache is full. The bundled demo is read-only and shared.
"""
from __future__ import annotations

import functools
import logging
import secrets
from pathlib import Path

import diskcache

from engine import Dataset, Source, load_csvs

log = logging.getLogger(__name__)
DEMO = "demo"
DEMO_DIR = Path(__file__).resolve().parent.parent / "data" / "demo"
SIZE_LIMIT = 4 * 1024 ** 3
MEMO_SECONDS = 600


@functools.cache
def demo_dataset() -> Dataset:
    """The bundled demo: immutable, so one copy per process serves everyone."""
    result = load_csvs(Source.from_path(DEMO_DIR / "reps.csv"), Source.from_path(DEMO_DIR / "accounts.csv"))
    return result.dataset


class SessionStore:
    """Datasets and pending uploads of every session; a lost key reads as None."""

    def __init__(self, directory: Path, ttl_seconds: int):
        self._cache = diskcache.Cache(str(directory), size_limit=SIZE_LIMIT,
                                      eviction_policy="least-recently-used")
        self._ttl = ttl_seconds

    def put(self, value) -> str:
        """Keep `value` under a fresh random key and return the key."""
        key = secrets.token_urlsafe(24)
        self._cache.set(key, value, expire=self._ttl)
        return key

    def get(self, key: str | None):
        if key == DEMO:
            return demo_dataset()
        if not key:
            return None
        value = self._cache.get(key)
        if value is not None:
            self._keep(lambda: self._cache.touch(key, expire=self._ttl))
        return value

    def memo(self, key: str, compute):
        """`compute()`'s result, kept a while under `key`: a refinement takes up to a second on big
        data, and every callback of a page asks for the same one. Keys start with the session's
        data key, so sessions never read each other's results (the shared demo excepted)."""
        value = self._cache.get(key)
        if value is None:
            value = compute()
            self._keep(lambda: self._cache.set(key, value, expire=MEMO_SECONDS))
        return value

    @staticmethod
    def _keep(write) -> None:
        """A write that only saves work later (a renewed expiry, a memo): on a read-only or full
        disk the page still answers, and the log says why it got slower."""
        try:
            write()
        except Exception:
            log.exception("the session store could not be written")

    def renew_lease(self, holder: str, seconds: float) -> None:
        """A browser tab says it is still waiting for its job (see app.optimize)."""
        self._cache.set(f"lease:{holder}", True, expire=seconds)

    def has_lease(self, holder: str) -> bool:
        return self._cache.get(f"lease:{holder}") is not None
