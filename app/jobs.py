"""Background jobs that fail say so.

Dash's background managers assume their store and their workers keep working. When a job's
process is killed, its cache directory is corrupt, read-only or full, or Redis stops mid-job,
the stock managers either raise inside a web request (a 500 the user never sees explained) or
report "not running, no result", which Dash turns into silence: the progress bar disappears
and nothing says why. The managers here turn each of those into Dash's background error, so
the callback's `on_error` handler shows "the run failed" within one poll, and the inputs and
settings, which live in the browser, stay as they were.
"""
from __future__ import annotations

import logging
import time

import dash

log = logging.getLogger(__name__)

NOT_STARTED = "not-started"  # the job handle of a job that could not be started
JOB_TIME_LIMIT_SECONDS = 120  # a job stops itself after this; Celery kills it a little later
STOPPED_MEMORY_SECONDS = 600


def within_time_limit(started: float) -> bool:
    """Whether a job that began at `started` (time.perf_counter) may go on."""
    return time.perf_counter() - started < JOB_TIME_LIMIT_SECONDS


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
