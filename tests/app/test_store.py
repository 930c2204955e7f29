"""The session store under hostile clients and a full disk: nothing one client writes can push
out another session's data, and reads keep working when writes cannot."""
import importlib
import os
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import diskcache
import pytest

from app.layout import shell
from app.services import services
from app.store import DiskSessionStore, RecentValues, RedisSessionStore, StoreFull
from app.uploads import over_quota

from ..browser.servers import redis_server

MB = 1024 * 1024
services_module = importlib.import_module("app.services")


def flood(store, victim_key: str, victim: bytes) -> int:
    """What the probe did: huge lease holders, then uploads until the store says it is full."""
    store.renew_lease("t" * (4 * MB), 600)
    stored = 0
    with pytest.raises(StoreFull):
        for _ in range(1000):
            store.put(os.urandom(256 * 1024))
            stored += 1
    store.keep("memo:x", os.urandom(MB), 60)  # a memo that does not fit is skipped, not forced in
    assert store.get(victim_key) == victim
    return stored


def test_a_flood_on_disk_is_refused_and_never_evicts_another_session(tmp_path):
    store = DiskSessionStore(tmp_path, 3600, size_limit=4 * MB)
    victim = os.urandom(512 * 1024)
    key = store.put(victim)
    assert 0 < flood(store, key, victim) < 16
    assert DiskSessionStore(tmp_path, 3600, size_limit=4 * MB).get(key) == victim  # another worker reads it too


def test_a_flood_on_redis_at_maxmemory_is_refused_and_never_evicts(tmp_path):
    with redis_server(tmp_path, "--maxmemory", "8mb", "--maxmemory-policy", "noeviction") as redis:
        store = RedisSessionStore(redis.url, 3600)
        victim = os.urandom(512 * 1024)
        key = store.put(victim)
        assert 0 < flood(store, key, victim) < 32


def test_reads_need_no_write_so_a_read_only_or_full_disk_still_serves_pages(tmp_path):
    key = DiskSessionStore(tmp_path, 3600).put({"dataset": 1})
    reader = DiskSessionStore(tmp_path, 3600)
    reader._cache._con.execute("PRAGMA query_only = 1")  # every write of this connection now fails
    assert reader.get(key) == {"dataset": 1}
    with pytest.raises((sqlite3.OperationalError, diskcache.Timeout)):
        reader.put("new")


def test_a_store_that_cannot_be_opened_fails_one_request_not_the_worker(monkeypatch):
    opened = services()
    monkeypatch.setattr(opened, "_store", None)
    def disk_full(_config):
        raise sqlite3.OperationalError("database or disk is full")
    monkeypatch.setattr(services_module, "open_store", disk_full)
    assert shell() is not None  # the page frame does not need the store
    with pytest.raises(sqlite3.OperationalError):
        opened.store.get("x" * 32)
    monkeypatch.undo()
    assert opened.store.get(opened.store.put("back")) == "back"  # opened on the next request


def test_uploads_beyond_the_quota_of_an_address_are_refused(tmp_path):
    store = DiskSessionStore(tmp_path, 3600)
    upload = ["x" * (4 * MB // 3 * 1)]  # base64 of 1 MB
    assert over_quota(upload, "10.0.0.1", store, 2 * MB) is None
    assert over_quota(upload, "10.0.0.1", store, 2 * MB) is None
    refused = over_quota(upload, "10.0.0.1", store, 2 * MB)
    assert refused["title"].startswith("Upload refused: this address has uploaded more than 2 MB within the hour")
    assert over_quota(upload, "10.0.0.2", store, 2 * MB) is None  # another address has its own


def test_counters_count_within_their_window(tmp_path):
    store = DiskSessionStore(tmp_path, 3600)
    assert [store.count("a", 60) for _ in range(3)] == [1, 2, 3]
    assert store.count("a", 0) == 3 and store.count("b", 0) == 0
    assert store.count("c", 60, 500) == 500



def test_requests_that_need_the_same_value_together_compute_it_once():
    """The five requests of a slider move arrive together: one computes, the others wait for it."""
    values, calls, started = RecentValues(), [], threading.Barrier(5)

    def slow_compute():
        calls.append(1)
        time.sleep(0.2)
        return "allocation"

    def request():
        started.wait()
        return values.get("greedy:k", slow_compute)

    with ThreadPoolExecutor(5) as pool:
        answers = list(pool.map(lambda _: request(), range(5)))
    assert answers == ["allocation"] * 5 and len(calls) == 1
    assert values.get("greedy:other", lambda: "other") == "other" and len(calls) == 1
    assert not values._loading  # nothing left behind per key
