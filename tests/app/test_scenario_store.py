"""Scenarios in a real database (issue 16): SQLite by default, PostgreSQL by DATABASE_URL."""
import threading

import numpy as np
import pytest
import sqlalchemy as sa

from app.scenario_store import (
    DatabaseDown,
    ScenarioError,
    ScenarioStore,
    database_url,
    is_scenario_id,
)
from app.store import demo_dataset

from ..conftest import account, load, rep

MB = 2**20


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path):
    if request.param == "sqlite":
        return database_url(None, tmp_path)
    return database_url(request.getfixturevalue("postgres_url"), tmp_path)


def small_dataset(n=3):
    return load([account(f"A{i}", 100 * (i + 1)) for i in range(n)], [rep("Ann"), rep("Bo")])


def test_database_url_follows_the_paas_convention(tmp_path):
    assert database_url(None, tmp_path) == f"sqlite:///{tmp_path}/scenarios.sqlite3"
    assert database_url("postgres://u:p@h:5/db", tmp_path) == "postgresql+psycopg://u:p@h:5/db"
    assert database_url("postgresql://u@h/db", tmp_path) == "postgresql+psycopg://u@h/db"


def test_save_list_open_rename_approve_delete(url):
    store = ScenarioStore(url, 50 * MB)
    first = store.save(demo_dataset(), "Demo data", {"threshold": 1000, "data_key": "session"}, " Q3 plan ",
                       "Finance asked for 1,000", "ann")
    second = store.save(small_dataset(), "a.csv + r.csv", {"threshold": 5}, "Small", "", None)
    assert is_scenario_id(first.id) and first.name == "Q3 plan" and first.author == "ann"
    assert [s.name for s in store.list()] == ["Small", "Q3 plan"]  # newest first
    opened = store.get(first.id)
    assert opened.settings == {"threshold": 1000}  # the session's data key is not saved
    assert (opened.accounts, opened.reps, opened.fingerprint) == (2000, 24, demo_dataset().fingerprint)
    data = store.dataset(first.id)
    assert np.array_equal(data.arr, demo_dataset().arr) and list(data.rep_name) == list(demo_dataset().rep_name)
    renamed = store.rename(second.id, "Small, renamed", "a note")
    assert (renamed.name, renamed.note) == ("Small, renamed", "a note") and renamed.updated >= second.updated
    approved = store.approve(first.id, "bo")
    assert approved.approved_by == "bo" and approved.approved_at is not None
    assert approved.listing()["approved_at"].endswith("+00:00")
    assert store.delete(first.id) and not store.delete(first.id)
    assert store.get(first.id) is None and store.dataset(first.id) is None
    assert [s.id for s in store.list()] == [second.id]


def test_scenarios_survive_a_restart_and_share_their_data(url):
    store = ScenarioStore(url, 50 * MB)
    a = store.save(demo_dataset(), "Demo", {"threshold": 1000}, "A", "", None)
    store.save(demo_dataset(), "Demo", {"threshold": 2000}, "B", "", None)
    store.engine.dispose()
    again = ScenarioStore(url, 50 * MB)  # a new process: nothing in memory
    assert {s.name for s in again.list()} == {"A", "B"}
    assert again.dataset(a.id).fingerprint == demo_dataset().fingerprint
    with again.engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM datasets")).scalar() == 1  # stored once
    again.delete(a.id)
    with again.engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM datasets")).scalar() == 1  # B still holds it


def test_two_users_saving_at_once(url):
    """Eight writers, two data sets, workers that open (and migrate) the database together."""
    stores = [ScenarioStore(url, 50 * MB) for _ in range(8)]
    data = [small_dataset(3), small_dataset(4)]
    failures = []

    def save(i):
        try:
            stores[i].save(data[i % 2], "upload", {"threshold": i}, f"S{i}", "", f"user{i}")
        except Exception as error:  # noqa: BLE001 - the test reports any failure
            failures.append(error)
    threads = [threading.Thread(target=save, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert sorted(s.name for s in stores[0].list()) == [f"S{i}" for i in range(8)]
    with stores[0].engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM datasets")).scalar() == 2


def test_a_scenario_too_large_is_refused_with_the_size_and_the_limit(tmp_path):
    store = ScenarioStore(database_url(None, tmp_path), 10_000)
    with pytest.raises(ScenarioError, match=r"takes 0\.1 MB once compressed; a scenario may hold at most 0 MB"):
        store.save(demo_dataset(), "Demo", {}, "Big", "", None)
    assert store.list() == []


@pytest.mark.parametrize("name, note, message", [
    ("", "", "Give the scenario a name"), ("  \x00\x07 ", "", "Give the scenario a name"),
    ("x" * 201, "", "keep it within 200"), ("ok", "n" * 2001, "keep it within 2,000"),
    (["a"], "", "must be text"), ("ok", {"a": 1}, "must be text")])
def test_names_and_notes_are_checked(tmp_path, name, note, message):
    store = ScenarioStore(database_url(None, tmp_path), 50 * MB)
    with pytest.raises(ScenarioError, match=message):
        store.save(small_dataset(), "upload", {}, name, note, None)


def test_hostile_ids_find_nothing(tmp_path):
    store = ScenarioStore(database_url(None, tmp_path), 50 * MB)
    for hostile in ("' OR 1=1 --", "x" * 10_000, None, 7, ["a"], "../../etc/passwd", "A" * 15):
        assert store.get(hostile) is None and store.dataset(hostile) is None
        assert not store.delete(hostile) and store.approve(hostile, "me") is None


def test_an_unreachable_database_says_so_plainly(tmp_path):
    store = ScenarioStore("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2", 50 * MB)
    with pytest.raises(DatabaseDown, match="cannot be reached right now; nothing was changed"):
        store.list()
