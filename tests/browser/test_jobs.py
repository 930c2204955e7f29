"""Background jobs that fail in the browser: the user sees it within seconds, keeps the inputs
and settings, and the next run works once the fault is gone."""
import os
import shutil
import signal
import time
from pathlib import Path

from app.ids import Ids
from app.services import services

from .test_pages import forked_jobs

BENCHMARK = Path(__file__).resolve().parents[2] / "data" / "benchmark"


def open_benchmark_data(page):
    """10,000 accounts: long enough an Optimize run (about two seconds) to interfere with."""
    page.upload(BENCHMARK / "reps.csv", BENCHMARK / "accounts.csv")
    page.wait_text(Ids.DATA_LABEL, "10,000 accounts", timeout=60)
    quiet_since = []

    def quiet_for_two_seconds() -> bool:  # the curve's job may start again once the new defaults apply
        if forked_jobs():
            quiet_since.clear()
        elif not quiet_since:
            quiet_since.append(time.monotonic())
        return bool(quiet_since) and time.monotonic() - quiet_since[0] > 2
    page.until(quiet_for_two_seconds, timeout=60, message="sensitivity finished")


def settings_shown(page) -> tuple:
    return (page.css(f"#{Ids.THRESHOLD_INPUT}").get_attribute("value"), page.text(Ids.WEIGHT_ARR_VALUE),
            page.text(Ids.WEIGHT_ACCOUNTS_VALUE), page.text(Ids.DATA_LABEL))


def test_a_killed_job_says_it_failed_keeps_the_settings_and_the_next_run_works(page):
    open_benchmark_data(page)
    before = settings_shown(page)
    page.click(f"#{Ids.OPTIMIZE_RUN}")
    jobs = page.until(forked_jobs, timeout=10, message="the job started")
    assert len(jobs) == 1 and not page.css(f"#{Ids.OPTIMIZE_RUN}").is_enabled()  # no second job
    page.js("arguments[0].click()", page.css(f"#{Ids.OPTIMIZE_RUN}"))  # a second click starts nothing
    assert len(forked_jobs()) <= 1
    os.kill(jobs[0].pid, signal.SIGKILL)
    page.wait_text(Ids.OPTIMIZE_VIEW, "The optimization failed: The job stopped without an answer", timeout=10)
    assert settings_shown(page) == before
    page.until(lambda: page.css(f"#{Ids.OPTIMIZE_RUN}").is_enabled(), message="ready again")
    page.click(f"#{Ids.OPTIMIZE_RUN}")
    page.wait_text(Ids.OPTIMIZE_VIEW, "combinations in", timeout=60)
    assert settings_shown(page) == before


def test_a_corrupt_job_store_says_the_run_failed_and_recovers_when_repaired(page, tmp_path):
    files = sorted((services().config.cache_dir / "jobs").glob("cache.db*"))  # the database and its WAL
    for path in files:
        shutil.copyfile(path, tmp_path / path.name)
    try:
        for path in files:
            path.write_bytes(b"not a database " * 1000)
        page.click(f"#{Ids.OPTIMIZE_RUN}")
        page.wait_text(Ids.OPTIMIZE_VIEW, "The optimization failed", timeout=15)
        assert page.text(Ids.WEIGHT_ARR_VALUE) == "34%"
    finally:
        for path in files:
            shutil.copyfile(tmp_path / path.name, path)
    page.until(lambda: page.css(f"#{Ids.OPTIMIZE_RUN}").is_enabled(), message="ready again")
    page.click(f"#{Ids.OPTIMIZE_RUN}")
    page.wait_text(Ids.OPTIMIZE_VIEW, "Best", timeout=60)
    page.severe_logs()  # the failed polls answered 200; any console noise of the fault is expected


def test_optimize_shows_its_progress_as_it_goes(page):
    """Issue 15: the bar sat at 0%, jumped to 25% and stayed there beside the result."""
    open_benchmark_data(page)
    page.js("""window.seenProgress = [];
        new MutationObserver(() => {
            const bar = document.querySelector('#WRAP .progress-bar');
            if (bar) window.seenProgress.push(Number(bar.getAttribute('aria-valuenow')));
        }).observe(document.getElementById('WRAP'), {subtree: true, attributes: true, childList: true});"""
            .replace("WRAP", Ids.OPTIMIZE_PROGRESS_WRAP))
    page.click(f"#{Ids.OPTIMIZE_RUN}")
    page.wait_text(Ids.OPTIMIZE_VIEW, "combinations in", timeout=120)
    seen = page.js("return window.seenProgress")
    assert any(0 < value < 100 for value in seen), seen  # steps between start and end were shown
    assert seen == sorted(seen) or seen[-1] in (0, 100)  # forward only (reset when the next run starts)
    assert "d-none" in page.css(f"#{Ids.OPTIMIZE_PROGRESS_WRAP}").get_attribute("class")  # gone with the result
