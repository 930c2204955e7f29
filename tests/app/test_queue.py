"""The line of background jobs on one machine: at most JOB_SLOTS of a kind compute at once, the
rest wait first come first served and hear their place; a killed job's slot frees itself."""
import os
import threading
import time

import pytest

from app import jobs
from app.jobs import place_in_line, release_slots_of, take_turn
from app.store import DiskSessionStore


def waiter(store, holder: int, heard: list, taken: list, slots: int = 1):
    def still_wanted(position):
        heard.append((holder, position))
        return True

    def run():
        turn = take_turn(store, "optimize", still_wanted, slots=slots, holder=holder)
        taken.append(holder)
        time.sleep(0.3)
        turn.release()
    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_jobs_take_turns_in_arrival_order_and_hear_their_place(tmp_path):
    store = DiskSessionStore(tmp_path, 3600)
    first = take_turn(store, "optimize", lambda _p: True, slots=1, holder=1)
    heard, taken = [], []
    second = waiter(store, 2, heard, taken)
    time.sleep(0.4)
    third = waiter(store, 3, heard, taken)
    time.sleep(0.6)
    assert taken == [] and (2, 1) in heard and (3, 2) in heard  # first in line, then second
    first.release()
    second.join(5)
    third.join(5)
    assert taken == [2, 3]


def test_two_slots_let_two_jobs_compute_at_once(tmp_path):
    store = DiskSessionStore(tmp_path, 3600)
    turns = [take_turn(store, "plan", lambda _p: False, slots=2, holder=h) for h in (1, 2)]
    assert all(turns)
    assert take_turn(store, "plan", lambda _p: False, slots=2, holder=3) is None  # full: it would wait
    assert take_turn(store, "optimize", lambda _p: False, slots=2, holder=3) is not None  # another kind's line


def test_a_waiter_that_gives_up_leaves_the_line(tmp_path):
    store = DiskSessionStore(tmp_path, 3600)
    take_turn(store, "plan", lambda _p: True, slots=1, holder=1)
    assert take_turn(store, "plan", lambda _p: False, slots=1, holder=2) is None
    heard = []
    take_turn(store, "plan", lambda p: heard.append(p) and False, slots=1, holder=3)
    assert heard == [1]  # the one that gave up is not counted ahead of it


def test_a_killed_jobs_slot_frees_itself_or_when_dash_stops_it(tmp_path, monkeypatch):
    store = DiskSessionStore(tmp_path, 3600)
    monkeypatch.setattr(jobs, "SLOT_SECONDS", 1)
    take_turn(store, "optimize", lambda _p: True, slots=1, holder=1)  # never released: its process died
    started = time.monotonic()
    assert take_turn(store, "optimize", lambda _p: time.monotonic() - started < 5, slots=1, holder=2)
    assert time.monotonic() - started >= 0.9
    release_slots_of(store, 2)  # what terminate_job does for a job Dash stopped
    assert take_turn(store, "optimize", lambda _p: False, slots=1, holder=3) is not None


def test_place_in_line_reads_as_a_sentence():
    assert place_in_line(3) == "Queued, position 3: waiting for a free slot"


def test_a_waiter_dash_killed_leaves_the_line_at_once(tmp_path):
    """Cancel kills a waiting job before it can leave the line itself; terminate_job frees its place."""
    store = DiskSessionStore(tmp_path, 3600)
    take_turn(store, "optimize", lambda _p: True, slots=1, holder=1)
    stop = threading.Event()
    killed = threading.Thread(target=take_turn, args=(store, "optimize", lambda _p: not stop.is_set()),
                              kwargs={"slots": 1, "holder": 2})
    killed.start()
    time.sleep(0.3)
    heard = []
    take_turn(store, "optimize", lambda p: heard.append(p) and False, slots=1, holder=3)
    release_slots_of(store, 2)
    take_turn(store, "optimize", lambda p: heard.append(p) and False, slots=1, holder=4)
    stop.set()
    killed.join(5)
    assert heard == [2, 1]


def test_the_line_is_bounded_and_says_so(tmp_path):
    """Issue 18: a client could queue any number of jobs (each a process)."""
    store = DiskSessionStore(tmp_path, 3600)
    take_turn(store, "optimize", lambda _p: True, slots=1, holder=1)
    waiters = [threading.Thread(target=take_turn, args=(store, "optimize", lambda _p: time.sleep(0.2) or True),
                                kwargs={"slots": 1, "holder": h, "max_waiting": 2}, daemon=True) for h in (2, 3)]
    for thread in waiters:
        thread.start()
    time.sleep(0.5)
    with pytest.raises(jobs.QueueFull):
        take_turn(store, "optimize", lambda _p: True, slots=1, holder=4, max_waiting=2)


def test_one_run_of_a_kind_per_page(monkeypatch, tmp_path):
    """However its requests are sent, a page runs one Optimize (or plan) at a time; a run Dash
    stops frees the page's claim."""
    from app.services import services

    with jobs.one_per_page("optimize", "a" * 32) as first:
        assert first
        with jobs.one_per_page("optimize", "a" * 32) as second:
            assert not second  # the same page again
        with jobs.one_per_page("optimize", "b" * 32) as other, jobs.one_per_page("plan", "a" * 32) as plan:
            assert other and plan  # another page, another kind
    with jobs.one_per_page("optimize", "a" * 32) as again:
        assert again  # freed when the run ended
        release_slots_of(services().queue, os.getpid())
        with jobs.one_per_page("optimize", "a" * 32) as after_stop:
            assert after_stop  # a run Dash killed leaves the page free


def test_a_second_optimize_from_the_same_page_is_refused():
    from app import optimize
    from app.state import demo_summary

    from .test_pages import demo_settings

    with jobs.one_per_page("optimize", "e" * 32):
        answer = optimize.optimize_job(demo_summary(), demo_settings(), "e" * 32, print)
    assert answer == {"error": jobs.ALREADY_RUNNING}


def test_a_page_whose_run_was_killed_can_run_again():
    """A run killed outright never frees its claim itself; its dead pid gives the claim away."""
    import subprocess
    import sys

    from app.services import services

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    key = "job-page:optimize:" + "k" * 32
    services().store.claim(key, int(gone.stdout), jobs.PAGE_RUN_SECONDS)
    services().store.mark(f"{key}:pid", jobs.PAGE_RUN_SECONDS, value=gone.stdout.strip().encode())
    with jobs.one_per_page("optimize", "k" * 32) as allowed:
        assert allowed
    with jobs.one_per_page("optimize", "k" * 32) as mine, jobs.one_per_page("optimize", "k" * 32) as again:
        assert mine and not again  # a live holder keeps its claim
