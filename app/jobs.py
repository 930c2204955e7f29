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

import dash

log = logging.getLogger(__name__)

NOT_STARTED = "not-started"  # the job handle of a job that could not be started
JOB_TIME_LIMIT_SECONDS = 120  # a job stops itself after this; Celery kills it a little later


def failure(reason: str) -> dict:
    """What Dash's poll turns into a call of the callback's `on_error` handler."""
    return {"background_callback_error": {"msg": reason, "tb": ""}}


class FailureAware:
    """Mixin over a Dash background manager: storage and worker faults become failures."""

    def reconnect(self) -> None:
        """After a fault, drop connections that may be stuck in a failed state (a database
        opened read-only stays read-only), so the next run works once the fault is gone."""

    def call_job_fn(self, key, job_fn, args, context):
        try:
            return super().call_job_fn(key, job_fn, args, context)
        except Exception:  # any fault of the job store or broker: report it, never a 500
            log.exception("a background job could not be started")
            self.reconnect()
            return NOT_STARTED

    def job_running(self, job):
        if job == NOT_STARTED:
            return False
        try:
            return super().job_running(job)
        except Exception:
            log.exception("cannot tell whether background job %s runs", job)
            return False

    def terminate_job(self, job):
        if job == NOT_STARTED:
            return None
        try:
            return super().terminate_job(job)
        except Exception:
            log.exception("cannot stop background job %s", job)
            return None

    def get_result(self, key, job):
        if job == NOT_STARTED:
            return failure("The job could not be started (the job store or queue is unavailable).")
        try:
            result = super().get_result(key, job)
            if result is self.UNDEFINED and job and not self.job_running(job):
                result = super().get_result(key, job)  # it may have finished just now
        except Exception:
            log.exception("cannot read the result of background job %s", job)
            self.reconnect()
            return failure("The job's result could not be read (the job store is unavailable).")
        if result is self.UNDEFINED and job and not self.job_running(job):
            return failure("The job stopped without an answer (its process ended or was killed).")
        return result

    def get_progress(self, key):
        try:
            return super().get_progress(key)
        except Exception:
            log.exception("cannot read a background job's progress")
            self.reconnect()
            return None

    def get_updated_props(self, key):
        try:
            return super().get_updated_props(key)
        except Exception:
            log.exception("cannot read a background job's updates")
            return {}


class DiskcacheJobs(FailureAware, dash.DiskcacheManager):
    """Jobs in processes on this machine, results in a disk cache."""

    def reconnect(self) -> None:
        try:
            self.handle.close()  # this thread's SQLite connection; the next use opens a new one
        except Exception:
            log.exception("cannot close the job store")


class CeleryJobs(FailureAware, dash.CeleryManager):
    """Jobs on Celery workers, results in Redis."""


def failed_message(error: Exception, what: str) -> str:
    """The sentence a failed job leaves for the user."""
    reason = str(error).split("\n", 1)[0].removeprefix("An error occurred inside a background callback: ")
    return f"The {what} failed: {reason} Your settings are unchanged; try again."
