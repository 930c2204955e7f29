"""Server-side data of each browser session, keyed by an unguessable token.

The browser holds only the token (in a per-tab `dcc.Store`); datasets live in a disk cache that
every worker process on the machine shares (or in Redis when the app is scaled out), and expire
after a while of disuse. The bundled demo is read-only and shared.

Nothing a client writes can push out another session's data: the stores never evict (the disk
cache has no eviction policy, Redis must run with `noeviction`); when one is full, new uploads
are refused with `StoreFull` while everything already stored stays readable, and values that
only save work (memos, plans) are skipped. Reads never write, so a full or read-only disk still
serves the pages.
"""
from __future__ import annotations

import functools
import logging
import pickle
import re
import secrets
import sqlite3
import threading
import time
from collections import OrderedDict
from pathlib import Path

import diskcache

from engine import Dataset, Source, load_csvs

log = logging.getLogger(__name__)
DEMO = "demo"
DEMO_DIR = Path(__file__).resolve().parent.parent / "data" / "demo"
SIZE_LIMIT = 4 * 1024 ** 3
MEMO_SECONDS = 600
RECENT_ACCOUNTS = 500_000  # per process, over the datasets and allocations kept (about 600 bytes each)
BYTES_PER_ACCOUNT = 600    # how a pending upload's bytes count against that budget
RECENT_SECONDS = 60
SESSION_KEY = re.compile(r"[A-Za-z0-9_-]{32}")  # secrets.token_urlsafe(24), as `put` makes them
TAB_ID = re.compile(r"[0-9a-f]{32}")            # uuid4().hex, as the page makes it


def is_session_key(key) -> bool:
    """A key `put` could have made: anything else a browser sends is never looked up."""
    return isinstance(key, str) and SESSION_KEY.fullmatch(key) is not None


def is_tab_id(tab) -> bool:
    return isinstance(tab, str) and TAB_ID.fullmatch(tab) is not None


@functools.cache
def demo_dataset() -> Dataset:
    """The bundled demo: immutable, so one copy per process serves everyone."""
    result = load_csvs(Source.from_path(DEMO_DIR / "reps.csv"), Source.from_path(DEMO_DIR / "accounts.csv"))
    return result.dataset


class StoreFull(Exception):
    """The store has no room for a new upload; nothing already stored was touched."""


class SessionStore:
    """Datasets and pending uploads of every session; a lost key reads as None. Subclasses say
    where the pickled values live: `_read` (renewing the expiry when it can), `_write` (raising
    StoreFull, when `room_checked`, rather than making room) and `_has`."""

    def __init__(self, ttl_seconds: int):
        self._ttl = ttl_seconds
        self._recent = RecentValues()

    def put(self, value) -> str:
        """Keep `value` under a fresh random key and return the key; StoreFull when there is no room."""
        key = secrets.token_urlsafe(24)
        self._write(key, pickle.dumps(value, pickle.HIGHEST_PROTOCOL), self._ttl, room_checked=True)
        return key

    def get(self, key: str | None):
        if key == DEMO:
            return demo_dataset()
        if not is_session_key(key):
            return None
        return self._recent.get(key, lambda: self._read(key, self._ttl))

    def memo(self, key: str, compute):
        """`compute()`'s result, kept a while under `key`: a refinement takes up to a second on big
        data, and every callback of a page asks for the same one. Keys start with the session's
        data key, so sessions never read each other's results (the shared demo excepted)."""
        def stored_or_computed():
            value = self._read(key, MEMO_SECONDS)
            if value is None:
                value = compute()
                self._keep(lambda: self.keep(key, value, MEMO_SECONDS))
            return value
        return self._recent.get(key, stored_or_computed)

    def recent(self, key: str, compute):
        """`compute()`'s result, kept in this process only, for a minute: the greedy allocation,
        which every request of a slider move reads, is quicker to compute again than to pickle
        into the shared store."""
        return self._recent.get(key, compute)

    def keep(self, key: str, value, seconds: float) -> None:
        """Keep a result computed elsewhere (a background job's) under `key` for `seconds`, if
        there is room (the job's answer is then lost, and its page says the run failed)."""
        try:
            self._write(key, pickle.dumps(value, pickle.HIGHEST_PROTOCOL), seconds, room_checked=True)
        except StoreFull:
            log.warning("the session store is full: a computed result was not kept")

    def recall(self, key: str, seconds: float = MEMO_SECONDS):
        """What `keep` kept under `key`, or None; reading renews it for `seconds`."""
        return self._recent.get(key, lambda: self._read(key, seconds))

    @staticmethod
    def _keep(write) -> None:
        """A write that only saves work later (a renewed expiry, a memo): on a read-only or full
        disk the page still answers, and the log says why it got slower."""
        try:
            write()
        except Exception:
            log.exception("the session store could not be written")

    def renew_lease(self, holder: str, seconds: float) -> None:
        """A browser tab says it is still waiting for its job (see app.optimize); a holder that is
        not a tab id the page made is never written (the probe grew the store by 40 MB a call)."""
        if is_tab_id(holder):
            self._write(f"lease:{holder}", b"1", seconds, room_checked=False)

    def count(self, name: str, window: float, amount: int = 1) -> int:
        """Adds `amount` to the counter `name`, which lives `window` seconds from its first
        count, and returns it; a window of 0 only reads. A store fault reads as 0: a throttle then
        lets the request through to its real check rather than fail it."""
        try:
            return self._count(f"count:{name}", window, amount)
        except Exception:
            log.exception("the session store could not count %s", name)
            return 0

    def newest_request(self, name: str, seconds: float):
        """Marks this request as the newest under `name` (for `seconds`) and returns a check of
        whether it still is, so that a request a newer one made stale can stop. A store fault
        reads as "still the newest": the request then does its work rather than fail."""
        key, token = f"newest:{name}", secrets.token_bytes(16)
        self._keep(lambda: self._write(key, token, seconds, room_checked=False))

        def still_newest() -> bool:
            try:
                return self._raw(key) in (token, None)
            except Exception:
                log.exception("the session store could not be read")
                return True
        return still_newest

    # --- coordination of background jobs (app.jobs.take_turn); keys are the server's own

    def mark(self, key: str, seconds: float, value: bytes = b"1") -> None:
        self._write(key, value, seconds, room_checked=False)

    def recall_raw(self, key: str) -> bytes | None:
        """What `mark` wrote, without renewing it."""
        return self._raw(key)

    def live(self, keys) -> int:
        """How many of `keys` exist."""
        return sum(self._has(key) for key in keys)

    def claim(self, key: str, holder: int, seconds: float) -> bool:
        """Takes `key` for `holder` if nobody holds it (atomically); held, it lapses after `seconds`."""
        return self._claim(key, holder, seconds)

    def hold(self, key: str, holder: int, seconds: float) -> None:
        """Renews `key` for another `seconds` if `holder` still holds it."""
        self._hold(key, holder, seconds)

    def release(self, key: str, holder: int) -> None:
        """Frees `key` if `holder` still holds it."""
        self._release(key, holder)

    def forget(self, key: str) -> None:
        self._delete(key)

    def has_lease(self, holder: str) -> bool:
        return is_tab_id(holder) and self._has(f"lease:{holder}")


class RecentValues:
    """The few values this process used last, so the five callbacks of one slider move do not
    each unpickle the same dataset (10–15 ms at 10,000 accounts). Values under a key never change
    (a new upload gets a new key), and every key belongs to one session; entries live at most
    RECENT_SECONDS, after which the shared store is read again (renewing its expiry)."""

    def __init__(self):
        self._values: OrderedDict[str, tuple[float, int, object]] = OrderedDict()
        self._accounts = 0
        self._lock = threading.Lock()
        self._loading: dict[str, threading.Lock] = {}

    def get(self, key: str, load):
        """The value kept under `key`, else `load()`'s. The requests of one move arrive together:
        while one of them loads a key, the others wait for its value instead of loading it too."""
        value = self._fresh(key)
        if value is not None:
            return value
        with self._lock:
            loading = self._loading.setdefault(key, threading.Lock())
        try:
            with loading:
                value = self._fresh(key)  # loaded meanwhile by the request this one waited for
                if value is None:
                    value = load()
                    if value is not None:
                        self._keep(key, time.monotonic(), value)
                return value
        finally:
            with self._lock:
                if not loading.locked():
                    self._loading.pop(key, None)

    def _fresh(self, key: str):
        with self._lock:
            kept = self._values.get(key)
            if kept is not None and time.monotonic() - kept[0] < RECENT_SECONDS:
                self._values.move_to_end(key)
                return kept[2]
        return None

    def _keep(self, key: str, now: float, value) -> None:
        """Keep `value`, then forget the least recently used until the budget holds again."""
        size = (getattr(value, "n_accounts", None) or len(getattr(value, "assigned", ()))
                or len(getattr(getattr(value, "allocation", None), "assigned", ()))  # a rebalancing plan
                or max(1, len(getattr(value, "data", b"")) // BYTES_PER_ACCOUNT))  # a pending upload
        with self._lock:
            old = self._values.pop(key, None)
            self._accounts += size - (old[1] if old else 0)
            self._values[key] = (now, size, value)
            while self._accounts > RECENT_ACCOUNTS and len(self._values) > 1:
                _, (_, forgotten, _) = self._values.popitem(last=False)
                self._accounts -= forgotten


class DiskSessionStore(SessionStore):
    """On one machine: a disk cache that every worker process shares. It never evicts: past
    `size_limit` bytes new uploads are refused, and a read never writes (a renewed expiry is a
    separate write that may fail), so a full or read-only disk still serves what it holds."""

    def __init__(self, directory: Path, ttl_seconds: int, size_limit: int = SIZE_LIMIT):
        super().__init__(ttl_seconds)
        self._limit = size_limit
        self._cache = diskcache.Cache(str(directory), size_limit=size_limit, eviction_policy="none")

    def _read(self, key: str, ttl: float):
        raw = self._cache.get(key)
        if raw is None:
            return None
        self._keep(lambda: self._cache.touch(key, expire=ttl))
        return pickle.loads(raw)

    def _write(self, key: str, data: bytes, ttl: float, room_checked: bool) -> None:
        if room_checked and self._cache.volume() + len(data) > self._limit:
            raise StoreFull()
        try:
            self._cache.set(key, data, expire=ttl)
        except sqlite3.OperationalError as error:
            if room_checked and "full" in str(error):
                raise StoreFull() from error
            raise

    def _has(self, key: str) -> bool:
        return self._cache.get(key) is not None

    def _raw(self, key: str) -> bytes | None:
        return self._cache.get(key)

    def _claim(self, key: str, holder: int, seconds: float) -> bool:
        return self._cache.add(key, holder, expire=seconds)

    def _hold(self, key: str, holder: int, seconds: float) -> None:
        with self._cache.transact():
            if self._cache.get(key) == holder:
                self._cache.set(key, holder, expire=seconds)

    def _release(self, key: str, holder: int) -> None:
        with self._cache.transact():
            if self._cache.get(key) == holder:
                self._cache.delete(key)

    def _delete(self, key: str) -> None:
        self._cache.delete(key)

    def _count(self, key: str, window: float, amount: int) -> int:
        if window <= 0:
            return self._cache.get(key, 0)
        self._cache.add(key, 0, expire=window)
        return self._cache.incr(key, amount)


class RedisSessionStore(SessionStore):
    """Scaled out (REDIS_URL): web workers and Celery workers on other machines share Redis, not a
    disk. Values are pickled; only this app writes them. A Redis outage fails within seconds."""

    PREFIX = "territory-slicer:"

    def __init__(self, url: str, ttl_seconds: int):
        import redis

        super().__init__(ttl_seconds)
        self._redis = redis.Redis.from_url(url, socket_timeout=3, socket_connect_timeout=3)

    def _read(self, key: str, ttl: float):
        raw = self._redis.getex(self.PREFIX + key, ex=int(ttl))
        return None if raw is None else pickle.loads(raw)

    def _write(self, key: str, data: bytes, ttl: float, room_checked: bool) -> None:
        """Redis at `maxmemory` with `noeviction` refuses the write (OOM): that is StoreFull."""
        import redis

        try:
            self._redis.set(self.PREFIX + key, data, ex=max(1, int(ttl)))
        except redis.exceptions.OutOfMemoryError as error:
            if room_checked:
                raise StoreFull() from error
            raise

    def _has(self, key: str) -> bool:
        return bool(self._redis.exists(self.PREFIX + key))

    def live(self, keys) -> int:
        keys = [self.PREFIX + key for key in keys]
        return int(self._redis.exists(*keys)) if keys else 0

    def _raw(self, key: str) -> bytes | None:
        return self._redis.get(self.PREFIX + key)

    def _claim(self, key: str, holder: int, seconds: float) -> bool:
        return bool(self._redis.set(self.PREFIX + key, holder, ex=max(1, int(seconds)), nx=True))

    def _hold(self, key: str, holder: int, seconds: float) -> None:
        if self._redis.get(self.PREFIX + key) == str(holder).encode():
            self._redis.expire(self.PREFIX + key, max(1, int(seconds)))

    def _release(self, key: str, holder: int) -> None:
        if self._redis.get(self.PREFIX + key) == str(holder).encode():
            self._redis.delete(self.PREFIX + key)

    def _delete(self, key: str) -> None:
        self._redis.delete(self.PREFIX + key)

    def _count(self, key: str, window: float, amount: int) -> int:
        if window <= 0:
            return int(self._redis.get(self.PREFIX + key) or 0)
        self._redis.set(self.PREFIX + key, 0, ex=max(1, int(window)), nx=True)
        return int(self._redis.incrby(self.PREFIX + key, amount))
