"""Background jobs that fail say so.

Dash's background managers assume their store and their workers keep working. When a job's
process is killed, its cache directory is corrupt, read-only or full, or Redis stops mid-job,
the stock managers either raise inside a web request (a 500 the user never sees explained) or
report "not running, no result", which Dash turns into silence: the progress bar disappears
and nothing says why. The managers here turn each of those into Dash's background error, so
the callback's `on_error` handler shows "the run failed" within one poll, and the inputs and
settings, which live in the browser, stay as they were.

On one machine every job is a process of its own, so fifty clicks would be fifty processes
fighting over two cores (and starving the web workers: `/health` took 13 s). `take_turn` keeps
at most JOB_SLOTS Optimize runs (and as many rebalancing plans) computing at once, the others
waiting in arrival order and saying their place in the line; they run at a lower CPU priority
than the web workers. The line lives in a store of its own (`services().queue`), so fifty
waiters never hold up the session store that page requests and lease renewals use. Scaled out,
Celery's worker concurrency is the bound and its queue the line.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass

import dash
import multiprocess
import psutil

log = logging.getLogger(__name__)

NOT_STARTED = "not-started"  # the job handle of a job that could not be started
JOB_KINDS = ("optimize", "plan")  # the long runs a user starts; the sensitivity curve (about a second,
# replaced by the next one whenever a control moves) runs at once, as it always did
JOB_SLOTS = max(1, os.cpu_count() or 1)  # jobs of one kind computing at once on one machine
SLOT_SECONDS = 15       # a slot whose job stopped renewing it (a killed process) frees itself after this
WAIT_SECONDS = 10       # a waiter that stopped saying so leaves the line after this
WAIT_POLL_SECONDS = 0.5
WAIT_MARK_SECONDS = 2   # how often a waiter says it still waits (each is a write)
TICKET_SECONDS = 86_400
JOB_NICENESS = 10       # web workers answer first when jobs fill the cores
JOB_TIME_LIMIT_SECONDS = 120  # a job stops itself after this; Celery kills it a little later
BUSY = (f"The server was too busy to start this run within {JOB_TIME_LIMIT_SECONDS} s. Your settings are "
        f"unchanged; try again in a moment.")
STOPPED_MEMORY_SECONDS = 600
MAX_WAITING = 100       # runs of one kind that may wait for a slot; more are refused at once
QUEUE_FULL = (f"{MAX_WAITING} runs are already waiting for the server, the most it lets wait. Your settings "
              f"are unchanged; try again in a few minutes.")
ALREADY_RUNNING = ("This page already has a run of this kind under way; wait for it, or cancel it, before "
                   "starting another.")
PAGE_RUN_SECONDS = 3 * JOB_TIME_LIMIT_SECONDS  # a page's claim on its run, should the run die unseen


class QueueFull(Exception):
    """The line of one kind of job is as long as it may get."""


def within_time_limit(started: float) -> bool:
    """Whether a job that began at `started` (time.perf_counter) may go on."""
    return time.perf_counter() - started < JOB_TIME_LIMIT_SECONDS


@dataclass
class Turn:
    """A job's slot: renewed while it computes, freed when it ends."""

    store: object
    key: str
    holder: int
    renewed: float = 0.0

    def renew(self) -> None:
        """Cheap to call often: writes at most once a second."""
        now = time.monotonic()
        if now - self.renewed >= 1:  # never, for the Celery turn (renewed at infinity)
            self.renewed = now
            self.store.hold(self.key, self.holder, SLOT_SECONDS)

    def release(self) -> None:
        self.store.release(self.key, self.holder)


def take_turn(store, kind: str, still_wanted, slots: int = JOB_SLOTS, holder: int | None = None,
              max_waiting: int = MAX_WAITING) -> Turn | None:
    """Waits for one of the `slots` slots of `kind`, first come first served. While it waits,
    `still_wanted(position)` hears its place in the line (1 = next) and says whether to go on
    waiting; None when it says stop. QueueFull, at once, when `max_waiting` runs wait already."""
    holder = os.getpid() if holder is None else holder
    lower_priority()
    ticket = store.count(f"job-ticket:{kind}", TICKET_SECONDS)
    waiting = f"job-wait:{kind}:{ticket}"
    store.mark(f"job-waiting:{holder}", WAIT_SECONDS * 6, value=waiting.encode())
    slot_keys = [f"job-slot:{kind}:{i}" for i in range(slots)]
    marked = float("-inf")
    while True:
        if time.monotonic() - marked >= WAIT_MARK_SECONDS:
            store.mark(waiting, WAIT_SECONDS)
            marked = time.monotonic()
        ahead = store.live(f"job-wait:{kind}:{t}" for t in range(max(1, ticket - 1000), ticket))
        if ahead >= max_waiting:
            store.forget(waiting)
            raise QueueFull()
        if ahead < slots - store.live(slot_keys):
            for key in slot_keys:
                if store.claim(key, holder, SLOT_SECONDS):
                    store.forget(waiting)
                    return Turn(store, key, holder)
        if not still_wanted(ahead + 1):
            store.forget(waiting)
            return None
        time.sleep(WAIT_POLL_SECONDS)


@contextmanager
def turn_of(kind: str, still_wanted):
    """The job's Turn while it computes (None if it stopped waiting); scaled out, Celery's queue
    already bounds the jobs, so the turn is immediate."""
    from .services import services

    if services().config.redis_url:
        yield Turn(None, "", 0, renewed=float("inf"))
        return
    turn = take_turn(services().queue, kind, still_wanted)
    try:
        yield turn
    finally:
        if turn is not None:
            turn.release()


@contextmanager
def one_per_page(kind: str, page: str):
    """Yields whether the page (a tab id, already checked) may start a run of `kind`: one at a
    time per page, however its requests are sent. A run Dash stops frees its claim
    (release_slots_of); on one machine a run whose process died is seen to be gone; any other
    lost claim lapses after PAGE_RUN_SECONDS."""
    from .services import services

    store, holder, key = services().store, os.getpid(), f"job-page:{kind}:{page}"
    if not store.claim(key, holder, PAGE_RUN_SECONDS) and not took_over_from_the_dead(services(), key, holder):
        yield False
        return
    store.mark(f"{key}:pid", PAGE_RUN_SECONDS, value=str(holder).encode())
    store.mark(f"job-page-of:{holder}", PAGE_RUN_SECONDS, value=key.encode())
    try:
        yield True
    finally:
        store.release(key, holder)


def run_in_line(kind: str, page: str, still_wanted, gave_up: str, compute) -> dict:
    """What every job does around its work: one run of `kind` per page, then its turn in the
    line, then `compute(turn)`; refusals and a run that stopped waiting (`gave_up` says why)
    come back as the result's error."""
    with one_per_page(kind, page) as allowed:
        if not allowed:
            return {"error": ALREADY_RUNNING}
        try:
            with turn_of(kind, still_wanted) as turn:
                return {"error": gave_up} if turn is None else compute(turn)
        except QueueFull:
            return {"error": QUEUE_FULL}


def took_over_from_the_dead(services, key: str, holder: int) -> bool:
    """On one machine (pids mean something there): the claim of a process that no longer runs
    (killed without its `finally`) passes to `holder`."""
    owner = services.store.recall_raw(f"{key}:pid")
    if services.config.redis_url or not owner or running(int(owner)):
        return False
    services.store.forget(key)
    return services.store.claim(key, holder, PAGE_RUN_SECONDS)


def running(pid: int) -> bool:
    """A process that exists and is not a zombie (killed, not yet reaped)."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def lower_priority() -> None:
    """In a job's own process only (never the web worker or a test run that calls a job inline)."""
    if multiprocess.parent_process() is not None:
        os.nice(JOB_NICENESS)


def on_a_low_priority_thread(compute, *args, while_waiting=None, every: float = 0.1):
    """`compute(*args)` on a thread of its own at the jobs' low priority (on Linux a thread has a
    priority of its own): under load the cores serve the other requests first. The caller calls
    `while_waiting()` every `every` seconds until it is done. A new thread per call, so no pool
    can be left with threads that died."""
    outcome = {}

    def run():
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), JOB_NICENESS)
        try:
            outcome["value"] = compute(*args)
        except BaseException as error:  # handed to the caller, who decides
            outcome["error"] = error

    thread = threading.Thread(target=run, name="low-priority")
    thread.start()
    thread.join(every)
    while thread.is_alive():
        if while_waiting is not None:
            while_waiting()
        thread.join(every)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def release_slots_of(store, holder) -> None:
    """A job Dash stopped (Cancel, or a newer run) is killed before its own `finally` runs: its
    place in the line and its slot are freed here, or the jobs behind it would wait for them."""
    waiting = store.recall_raw(f"job-waiting:{holder}")
    if waiting:
        store.forget(waiting.decode())
    from .services import services

    page = services().store.recall_raw(f"job-page-of:{holder}")
    if page:
        services().store.release(page.decode(), holder)
    for kind in JOB_KINDS:
        for i in range(JOB_SLOTS):
            store.release(f"job-slot:{kind}:{i}", holder)


def place_in_line(position: int) -> str:
    return f"Queued, position {position}: waiting for a free slot"


def failure(reason: str) -> dict:
    """What Dash's poll turns into a call of the callback's `on_error` handler."""
    return {"background_callback_error": {"msg": reason, "tb": ""}}


class FailureAware:
    """Mixin over a Dash background manager: storage and worker faults become failures."""

    def remember_stopped(self, job) -> None:
        """Note that Dash stopped `job` on purpose (the subclass knows where)."""
        raise NotImplementedError

    def was_stopped(self, job) -> bool:
        raise NotImplementedError

    def reconnect(self) -> None:
        """After a fault, drop connections that may be stuck in a failed state (a database
        opened read-only stays read-only), so the next run works once the fault is gone."""

    def guarded(self, what: str, call, fallback):
        """`call()`, or `fallback` when the store or broker fails (logged, connections reset)."""
        try:
            return call()
        except Exception:  # any fault of the job store or broker: report it, never a 500
            log.exception("background jobs: cannot %s", what)
            self.reconnect()
            return fallback

    def call_job_fn(self, key, job_fn, args, context):
        return self.guarded("start a job", lambda: super(FailureAware, self).call_job_fn(key, job_fn, args, context),
                            NOT_STARTED)

    def job_running(self, job):
        return job != NOT_STARTED and self.guarded("tell whether a job runs",
                                                   lambda: super(FailureAware, self).job_running(job), False)

    def terminate_job(self, job):
        """Dash stops a job when the user cancels it (or starts it again): remember that, so a
        poll already on its way does not take the stopped job for a failed one."""
        if job != NOT_STARTED:
            self.guarded("stop a job", lambda: self.remember_stopped(job), None)
            self.guarded("stop a job", lambda: super(FailureAware, self).terminate_job(job), None)

    def get_result(self, key, job):
        if job == NOT_STARTED:
            return failure("The job could not be started (the job store or queue is unavailable).")
        unreadable = failure("The job's result could not be read (the job store is unavailable).")
        result = self.guarded("read a result", lambda: super(FailureAware, self).get_result(key, job), unreadable)
        if result is self.UNDEFINED and job and not self.job_running(job):
            result = self.guarded("read a result", lambda: super(FailureAware, self).get_result(key, job),
                                  unreadable)  # it may have finished just now
            stopped = self.guarded("read a job's state", lambda: self.was_stopped(job), False)
            if result is self.UNDEFINED and not stopped:
                return failure("The job stopped without an answer (its process ended or was killed).")
        return result

    def get_progress(self, key):
        return self.guarded("read progress", lambda: super(FailureAware, self).get_progress(key), None)

    def get_updated_props(self, key):
        return self.guarded("read updates", lambda: super(FailureAware, self).get_updated_props(key), {})


class DiskcacheJobs(FailureAware, dash.DiskcacheManager):
    """Jobs in processes on this machine, results in a disk cache."""

    def terminate_job(self, job):
        super().terminate_job(job)
        if job != NOT_STARTED:
            from .services import services

            self.guarded("free a stopped job's slot", lambda: release_slots_of(services().queue, int(job)), None)

    def remember_stopped(self, job) -> None:
        self.handle.set(f"stopped:{job}", True, expire=STOPPED_MEMORY_SECONDS)

    def was_stopped(self, job) -> bool:
        return self.handle.get(f"stopped:{job}") is not None

    def reconnect(self) -> None:
        try:
            self.handle.close()  # this thread's SQLite connection; the next use opens a new one
        except Exception:
            log.exception("cannot close the job store")


class CeleryJobs(FailureAware, dash.CeleryManager):
    """Jobs on Celery workers, results in Redis."""

    def remember_stopped(self, job) -> None:
        self.handle.backend.set(f"stopped:{job}", "1")
        self.handle.backend.expire(f"stopped:{job}", STOPPED_MEMORY_SECONDS)

    def was_stopped(self, job) -> bool:
        return self.handle.backend.get(f"stopped:{job}") is not None


def failed_message(error: Exception, what: str) -> str:
    """The sentence a failed job leaves for the user."""
    reason = str(error).split("\n", 1)[0].removeprefix("An error occurred inside a background callback: ")
    return f"The {what} failed: {reason} Your settings are unchanged; try again."
