"""Background jobs that fail say so: killed processes and broken job stores become failures."""
import os
import signal
import subprocess
import sys
import threading
import time

import diskcache
import pytest

from app.jobs import (
    JOB_NICENESS,
    NOT_STARTED,
    DiskcacheJobs,
    FailureAware,
    failed_message,
    failure,
    on_a_low_priority_thread,
)


def sleeper(*_args):
    time.sleep(60)


def answer(result_key, _progress_key, args, _context):
    """A job that writes its answer where Dash's jobs do: the manager's cache (args[0])."""
    diskcache.Cache(args[0]).set(result_key, {"done": True})


@pytest.fixture
def jobs(tmp_path):
    return DiskcacheJobs(diskcache.Cache(str(tmp_path / "jobs")), expire=60)


def wait_for(condition, timeout=10.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_a_finished_job_gives_its_result(jobs):
    job = jobs.call_job_fn("k1", answer, [jobs.handle.directory], {})
    assert wait_for(lambda: jobs.handle.get("k1") is not None)
    assert jobs.get_result("k1", job) == {"done": True}


def test_a_killed_job_is_reported_as_failed(jobs):
    job = jobs.call_job_fn("k2", sleeper, [], {})
    assert jobs.job_running(job) and jobs.get_result("k2", job) is jobs.UNDEFINED  # still working
    os.kill(int(job), signal.SIGKILL)
    assert wait_for(lambda: not jobs.job_running(job))
    assert jobs.get_result("k2", job) == failure(
        "The job stopped without an answer (its process ended or was killed).")


def test_a_job_stopped_on_purpose_is_not_a_failure(jobs):
    job = jobs.call_job_fn("k4", sleeper, [], {})
    jobs.terminate_job(job)  # what Dash does when the user clicks Cancel
    assert wait_for(lambda: not jobs.job_running(job))
    assert jobs.get_result("k4", job) is jobs.UNDEFINED  # Dash answers that with no update


def test_a_corrupt_job_store_is_reported_not_raised(jobs, tmp_path):
    job = jobs.call_job_fn("k3", sleeper, [], {})
    try:
        jobs.handle.close()
        (tmp_path / "jobs" / "cache.db").write_bytes(b"this is not a database" * 100)
        assert jobs.get_result("k3", job)["background_callback_error"]["msg"].startswith(
            "The job's result could not be read")
        assert jobs.get_progress("k3") is None and jobs.get_updated_props("k3") == {}
    finally:
        os.kill(int(job), signal.SIGKILL)


class Unreachable:
    """A manager whose store and broker are down: every call raises."""

    UNDEFINED = object()

    def __getattr__(self, name):
        def down(*_args, **_kwargs):
            raise ConnectionError(f"{name}: store unreachable")
        return down


class UnreachableJobs(FailureAware, Unreachable):
    pass


def test_a_job_store_that_is_down_never_raises_into_a_request():
    jobs = UnreachableJobs()
    assert jobs.call_job_fn("k", sleeper, [], {}) == NOT_STARTED
    assert jobs.get_result("k", NOT_STARTED)["background_callback_error"]["msg"].startswith(
        "The job could not be started")
    assert jobs.get_result("k", "123")["background_callback_error"]["msg"].startswith(
        "The job's result could not be read")
    assert jobs.job_running("123") is False and jobs.terminate_job("123") is None


def test_failed_message_reads_like_a_sentence():
    error = Exception("An error occurred inside a background callback: The job stopped without an answer.\ntb")
    assert failed_message(error, "optimization") == (
        "The optimization failed: The job stopped without an answer. Your settings are unchanged; try again.")


@pytest.fixture
def tiny_disk(tmp_path):
    """A 1 MB tmpfs (needs root, as on the CI machine); skipped where mounting is not allowed."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount_point)],
                      capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs here")
    yield mount_point
    subprocess.run(["umount", "-l", str(mount_point)], check=False)


def test_a_full_or_read_only_disk_fails_the_job_and_the_next_run_works_once_it_is_fixed(tiny_disk):
    jobs = DiskcacheJobs(diskcache.Cache(str(tiny_disk / "jobs")), expire=60)
    where = [jobs.handle.directory]
    filler = tiny_disk / "filler"
    subprocess.run(["dd", "if=/dev/zero", f"of={filler}", "bs=64k", "count=64"], capture_output=True)
    job = jobs.call_job_fn("full", answer, where, {})  # the job cannot write its answer
    assert wait_for(lambda: not jobs.job_running(job))
    assert jobs.get_result("full", job)["background_callback_error"]["msg"].startswith("The job stopped")
    filler.unlink()
    job = jobs.call_job_fn("after", answer, where, {})
    assert wait_for(lambda: not jobs.job_running(job))
    assert jobs.get_result("after", job) == {"done": True}
    jobs.handle.close()  # a file open for writing would keep the remount from happening
    subprocess.run(["mount", "-o", "remount,ro", str(tiny_disk)], check=True)
    job = jobs.call_job_fn("read-only", answer, where, {})
    assert wait_for(lambda: not jobs.job_running(job))
    assert "background_callback_error" in jobs.get_result("read-only", job)
    subprocess.run(["mount", "-o", "remount,rw", str(tiny_disk)], check=True)
    job = jobs.call_job_fn("again", answer, where, {})
    assert wait_for(lambda: not jobs.job_running(job))
    assert jobs.get_result("again", job) == {"done": True}



SERVER_MAIN = """
import os

with open(os.environ["MARKS"], "a") as marks:
    marks.write("main ran\\n")
if __name__ == "__main__":
    import multiprocess

    from app import start_jobs_from_a_clean_process

    start_jobs_from_a_clean_process()
    for _ in range(3):
        job = multiprocess.Process(target=os.getpid)
        job.start()
        job.join()
"""


@pytest.mark.parametrize("how, runs", [("script", 4), ("module", 1)])
def test_jobs_run_the_servers_main_again_unless_it_is_started_as_a_module(tmp_path, how, runs):
    """Started as a script (`gunicorn …`), the server's main is run again in every job before it
    starts: a tenth of the server's CPU under load, spent importing gunicorn. Started as a module
    (`python -m gunicorn …`, as the Procfile does) it never is."""
    (tmp_path / "server").mkdir()
    (tmp_path / "server" / "__main__.py").write_text(SERVER_MAIN)
    marks = tmp_path / "marks"
    env = {**os.environ, "MARKS": str(marks), "PYTHONPATH": os.getcwd()}
    command = [sys.executable, "server/__main__.py"] if how == "script" else [sys.executable, "-m", "server"]
    subprocess.run(command, env=env, cwd=tmp_path, check=True, timeout=120)
    assert marks.read_text().count("main ran") == runs  # the server, then each of three jobs


def priority_of_this_thread() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


def test_small_curves_run_on_a_thread_of_low_priority_and_errors_reach_the_caller():
    """Issue 18: under load the cores serve a slider's own requests first."""
    assert (priority_of_this_thread(), on_a_low_priority_thread(priority_of_this_thread)) == (0, JOB_NICENESS)
    with pytest.raises(ZeroDivisionError):
        on_a_low_priority_thread(lambda n: 1 / n, 0)
    assert priority_of_this_thread() == 0


def test_the_caller_watches_a_low_priority_thread_while_it_computes():
    """It is how the caller stops a curve nobody waits for any more."""
    looks = []
    assert on_a_low_priority_thread(time.sleep, 0.35, while_waiting=lambda: looks.append(1), every=0.1) is None
    assert 2 <= len(looks) <= 4
