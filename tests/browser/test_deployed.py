"""The app as deployed: gunicorn with two workers alone (one machine), or two web processes behind
a round-robin router with a Celery worker and redis-server (scaled out). Browsers use it as users
do; the processes are real."""
import threading
from contextlib import ExitStack
from pathlib import Path

import pytest

from app.ids import Ids
from engine import Settings, Source, load_csvs
from engine.io.generate import main as generate
from engine.optimize import optimize_weights

from .conftest import Page
from .servers import celery_worker, redis_server, round_robin, web_app, workers_that_answered
from .test_jobs import BENCHMARK, settings_shown
from .test_slicer import fixture12


@pytest.fixture
def second_browser(request, tmp_path):
    """Another user's browser, with its own profile (dash_br would share dash_duo's download folder)."""
    from dash.testing.browser import Browser

    with Browser(browser="chrome", headless=True, options=request.config.hook.pytest_setup_options(),
                 download_path=str(tmp_path / "second-download"), percy_run=False) as browser:
        yield browser


@pytest.fixture
def scaled_out(tmp_path):
    """redis-server, a Celery worker and two web processes (a gunicorn worker each, a directory of
    their own as on separate machines) behind a round-robin router, all with REDIS_URL set."""
    with ExitStack() as stack:
        redis = stack.enter_context(redis_server(tmp_path))
        stack.enter_context(celery_worker(tmp_path, REDIS_URL=redis.url))
        webs = [stack.enter_context(web_app(tmp_path / f"web-{n}", workers=1, REDIS_URL=redis.url)) for n in (1, 2)]
        base = stack.enter_context(round_robin(*(web_base for web_base, _ in webs)))
        yield redis, base, [access_log for _, access_log in webs]


def open_app(duo, base: str) -> Page:
    duo.server_url = base
    page = Page(duo)
    page.wait_text(Ids.KPI_CARDS, "Enterprise", timeout=60)
    return page


def sensitivity_drawn(page) -> bool:
    return bool(page.js(f"return !!document.querySelector('#{Ids.SENSITIVITY} .scatterlayer .trace')"))


def test_two_web_processes_and_a_celery_worker_serve_one_session(dash_duo, scaled_out, tmp_path):
    _, base, access_logs = scaled_out
    page = open_app(dash_duo, base)
    page.upload(*fixture12(tmp_path))
    page.wait_text(Ids.DATA_LABEL, "12 accounts · 6 reps", timeout=30)
    page.until(lambda: page.css(f"#{Ids.THRESHOLD_INPUT}").get_attribute("value") == "5,000", timeout=30,
               message="the new data's defaults in place (typing sooner races the reset to them)")
    page.type_into(f"#{Ids.THRESHOLD_INPUT}", "20000")
    page.wait_text(Ids.SLICER_BANNERS, "No Enterprise accounts", timeout=30)
    page.type_into(f"#{Ids.THRESHOLD_INPUT}", "5000")
    page.until(lambda: "ACC-001" in page.text(Ids.ACCOUNT_GRID), timeout=30, message="the upload's rows")
    page.until(lambda: sensitivity_drawn(page), timeout=60, message="the curve, computed by Celery")
    page.click(f"#{Ids.OPTIMIZE_RUN}")
    page.wait_text(Ids.OPTIMIZE_VIEW, "combinations in", timeout=90)
    page.click(f"#{Ids.NAV}-audit")
    page.wait_text(Ids.AUDIT_LABEL, "Step 1 of 12", timeout=30)
    assert len(workers_that_answered(*access_logs)) == 2  # the session was served by both processes
    assert page.severe_logs() == []


def test_redis_stopping_mid_job_fails_the_run_visibly_and_the_next_run_works(dash_duo, scaled_out, tmp_path):
    redis, base, _ = scaled_out
    page = open_app(dash_duo, base)
    page.upload(BENCHMARK / "reps.csv", BENCHMARK / "accounts.csv")
    page.wait_text(Ids.DATA_LABEL, "10,000 accounts", timeout=60)
    page.until(lambda: sensitivity_drawn(page), timeout=60, message="the curve")
    before = settings_shown(page)
    page.click(f"#{Ids.OPTIMIZE_RUN}")
    page.until(lambda: page.css(f"#{Ids.OPTIMIZE_CANCEL}").is_enabled(), message="running")
    redis.stop()
    page.wait_text(Ids.OPTIMIZE_VIEW, "The optimization failed", timeout=20)
    assert settings_shown(page) == before
    page.upload(*fixture12(tmp_path))  # nowhere to keep it: said so, and the data loaded stays
    page.wait_text(Ids.SERVER_ALERT, "cannot reach its session store", timeout=20)
    assert "10,000 accounts" in page.text(Ids.DATA_LABEL)
    redis.start()  # its data comes back from the append-only file: the session's upload too
    page.until(lambda: page.css(f"#{Ids.OPTIMIZE_RUN}").is_enabled(), message="ready again")
    page.click(f"#{Ids.OPTIMIZE_RUN}")
    page.wait_text(Ids.OPTIMIZE_VIEW, "combinations in", timeout=120)
    assert settings_shown(page) == before
    page.severe_logs()  # requests that failed while Redis was down may have logged; that was the fault


def test_sessions_stay_isolated_under_gunicorn_with_two_workers(dash_duo, second_browser, tmp_path):
    with web_app(tmp_path) as (base, _):
        ann, bo = open_app(dash_duo, base), open_app(second_browser, base)
        files = fixture12(tmp_path)
        both(lambda: ann.upload(*files), lambda: bo.upload(*files))  # identical files, same moment
        for page in (ann, bo):
            page.wait_text(Ids.DATA_LABEL, "12 accounts · 6 reps", timeout=30)
        ann.type_into(f"#{Ids.THRESHOLD_INPUT}", "3000")
        bo.type_into(f"#{Ids.THRESHOLD_INPUT}", "9000")
        for page, threshold in ((ann, "3,000"), (bo, "9,000")):
            page.until(lambda p=page, t=threshold: p.css(f"#{Ids.THRESHOLD_INPUT}").get_attribute("value") == t,
                       message=f"threshold {threshold}")
        both(lambda: ann.click(f"#{Ids.OPTIMIZE_RUN}"), lambda: bo.click(f"#{Ids.OPTIMIZE_RUN}"))
        for page in (ann, bo):
            page.wait_text(Ids.OPTIMIZE_VIEW, "combinations in", timeout=60)
        for page, threshold in ((ann, 3000), (bo, 9000)):  # each got the answer for its own threshold
            best = optimize_weights(load_csvs(*(Source.from_path(f) for f in files)).dataset, Settings(threshold))
            assert page.css(f"#{Ids.OPTIMIZE_VIEW} tbody tr td").text == " / ".join(map(str, best.weights.as_list()))
        other = tmp_path / "other"
        generate(["--accounts", "300", "--reps", "8", "--seed", "5", "--out", str(other)])
        ann.upload(other / "reps.csv", other / "accounts.csv")
        ann.wait_text(Ids.DATA_LABEL, "300 accounts", timeout=60)
        bo.driver.refresh()
        bo.wait_text(Ids.DATA_LABEL, "12 accounts · 6 reps", timeout=30)
        assert bo.css(f"#{Ids.THRESHOLD_INPUT}").get_attribute("value") == "9,000"
        bo.until(lambda: "ACC-001" in bo.text(Ids.ACCOUNT_GRID), timeout=30, message="bo's own rows")
        assert ann.severe_logs() == [] and bo.severe_logs() == []


def both(first, second):
    """Do two users' actions at the same moment."""
    threads = [threading.Thread(target=action) for action in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def test_a_fresh_worker_answers_a_burst_of_first_requests(tmp_path):
    """Twelve uploads at once as the first callbacks two new gunicorn workers see: Dash builds its
    callback map on a worker's first request, and the app must have done that before serving."""
    from bench.load import Dash, data_urls

    upload = data_urls(Path(__file__).resolve().parents[2] / "data" / "demo")
    with web_app(tmp_path) as (base, _):
        dash = Dash(base)
        callback = dash.find("upload-payload.data")
        answers = []
        threads = [threading.Thread(target=lambda: answers.append(dash.request(
            callback, {"upload-payload.data": upload}, "upload-payload.data"))) for _ in range(12)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert len(answers) == 12 and all(a["response"]["data"]["data"]["accounts"] == 2000 for a in answers)
