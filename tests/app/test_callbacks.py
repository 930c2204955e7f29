"""Callbacks called as plain functions: what each returns for a session's stores."""
import base64
import re

import pytest
from dash import no_update
from dash.exceptions import PreventUpdate

from app.formats import score_text
from app.header import export_download
from app.ids import Ids
from app.jobs import JOB_TIME_LIMIT_SECONDS
from app.pages import slicer
from app.services import services
from app.sidebar import control_values, ensure_data, update_settings
from app.state import data_summary, demo_summary, settings_json
from app.store import demo_dataset
from engine import Settings, Weights, allocate
from engine.io.export import export_csv, export_xlsx, rep_books_zip

from ..conftest import account, load, rep
from ..test_generate import load_generated
from .conftest import run_callback


def demo_settings(threshold=1000, weights=(34, 33, 33)):
    return settings_json(Settings(threshold, Weights(*weights)), "demo")


def test_render_slicer_shows_the_engine_numbers():
    rendered = slicer.render_slicer(demo_summary(), demo_settings(), "light")
    banners, kpis, disruption, fairness, e_figure, m_figure, rep_rows, rep_columns = rendered
    allocation = allocate(demo_dataset(), Settings(1000))
    assert banners == []
    assert f"${allocation.segments['Enterprise'].arr:,.0f}" in str(kpis)
    assert score_text(allocation.overall_balanced) in str(fairness)
    assert len(rep_rows) == demo_dataset().n_reps
    assert sum(r["ARR"] for r in rep_rows) == demo_dataset().arr.sum()
    assert len(e_figure["data"]) == 3 and len(m_figure["data"]) == 3


def test_render_slicer_warns_about_an_empty_segment():
    banners, *_ = slicer.render_slicer(demo_summary(), demo_settings(threshold=10**8), "light")
    assert "No Enterprise accounts at threshold 100,000,000" in str(banners)


def test_render_slicer_does_nothing_for_a_lost_session():
    lost = {**demo_summary(), "key": "expired-key"}
    assert slicer.render_slicer(lost, demo_settings(), "light") == (no_update,) * 8


def test_an_expired_upload_falls_back_to_the_demo_and_says_so():
    data, report = ensure_data({**demo_summary(), "key": "expired-key", "label": "mine.csv"})
    assert data == demo_summary() and "mine.csv" in report["title"]
    assert ensure_data(demo_summary()) == (demo_summary(), no_update)


def test_update_settings_writes_every_control_back():
    controls = {"threshold": 0, "threshold_text": "1,000", "weight_arr": 34, "weight_accounts": 33,
                "weight_risk": 33, "geo": 0.05, "preserve": 0.05, "high_risk": 70, "refine": False,
                "objective": "balanced", "min_gain": "0.02", "lock_arr": "", "review_arr": "", "cap_accounts_e": "",
                "cap_arr_e": "",
                "cap_accounts_m": "", "cap_arr_m": "", "mode": "redraw", "band": 15, "drivers": ["arr", "accounts"],
                "waves": 2}
    events = {"pick": None, "weights_pick": None, "pin": None, "reset": None}
    first = run_callback(update_settings, None, demo_summary(), controls, events, None)
    settings = first["settings"]
    assert settings["threshold"] == demo_summary()["default_threshold"]
    assert first["values"] == control_values(settings, demo_summary())
    assert first["slider"]["max"] == len(demo_summary()["stops"]) - 1 and first["risk_locked"] is False
    assert first["badges"]["geo"] == "+5%" and first["badges"]["weight_arr"] == "34%"
    moved = run_callback(update_settings, f"{Ids.WEIGHT_ARR}.value", demo_summary(), {**controls, "weight_arr": 60},
                         events, settings)
    assert moved["settings"]["weights"] == [60, 20, 20]
    assert [moved["values"][k] for k in ("weight_arr", "weight_accounts", "weight_risk")] == [60, 20, 20]
    refused = run_callback(update_settings, f"{Ids.LOCK_ARR}.value", demo_summary(), {**controls, "lock_arr": "x"},
                           events, settings)
    assert refused["settings"] == settings and "is not an amount of ARR" in refused["feedback"]["lock_arr"]


def test_account_rows_answers_one_block_sorted_by_the_server():
    request = {"startRow": 0, "endRow": 50, "sortModel": [{"colId": "ARR", "sort": "desc"}], "filterModel": {}}
    response = slicer.account_rows(request, demo_summary(), demo_settings())
    assert response["rowCount"] == demo_dataset().n_accounts and len(response["rowData"]) == 50
    arr = [row["ARR"] for row in response["rowData"]]
    assert arr == sorted(arr, reverse=True) and arr[0] == demo_dataset().arr.max()


def test_moving_only_the_threshold_does_not_rerun_the_sensitivity_curve():
    first = slicer.sensitivity_inputs(demo_summary(), demo_settings(threshold=1000), None)
    assert slicer.sensitivity_inputs(demo_summary(), demo_settings(threshold=9000), first) is no_update
    assert slicer.sensitivity_inputs(demo_summary(), demo_settings(weights=(50, 25, 25)), first) != first
    refined = {**demo_settings(threshold=1000), "refine": True}  # the curve is the greedy's
    assert slicer.sensitivity_inputs(demo_summary(), refined, first) is no_update


def test_sensitivity_curve_job_and_its_failure_message():
    inputs = slicer.sensitivity_inputs(demo_summary(), demo_settings(), None)
    curve = slicer.sensitivity_curve(inputs, demo_settings(), "a" * 32)
    assert curve["inputs"] == inputs and len(curve["points"]) > 10
    figure = slicer.draw_sensitivity(curve, demo_settings(), "light", demo_summary(), inputs)
    assert figure["data"][0]["name"] == "Overall Balanced"
    broken = slicer.sensitivity_curve(inputs, {**demo_settings(), "weights": [1, 1, 1]}, "a" * 32)
    assert broken["error"].startswith("The sensitivity run failed")
    shown = slicer.draw_sensitivity(broken, demo_settings(), "light", demo_summary(), inputs)
    assert "failed" in shown["layout"]["annotations"][0]["text"]


def test_small_data_gets_its_curve_at_once_and_big_data_a_job(monkeypatch):
    """Issue 18: a job per weight move was half the server's CPU under load."""
    inputs = slicer.sensitivity_inputs(demo_summary(), demo_settings(), None)
    curve, job = slicer.curve_at_once(inputs, demo_settings(), "b" * 32)
    assert job is no_update and curve == slicer.sensitivity_curve(inputs, demo_settings(), "a" * 32)
    monkeypatch.setattr(slicer, "INLINE_CURVE_ACCOUNTS", demo_dataset().n_accounts - 1)
    assert slicer.curve_at_once(inputs, demo_settings(), "b" * 32) == (no_update, inputs)


def test_a_curve_asked_for_again_by_its_tab_stops_and_changes_nothing():
    """Issue 18: under load, curves nobody waited for any more held threads and cores."""
    first, other_tab = slicer.latest_curve_of("c" * 32), slicer.latest_curve_of("d" * 32)
    assert first() and other_tab()
    second = slicer.latest_curve_of("c" * 32)
    assert second() and not first() and other_tab()
    inputs = slicer.sensitivity_inputs(demo_summary(), demo_settings(), None)
    with pytest.raises(PreventUpdate):
        slicer.curve_in_this_request(inputs, demo_dataset(), demo_settings(), first)
    assert slicer.curve_in_this_request(inputs, demo_dataset(), demo_settings(), second)["points"]


def test_a_curve_past_its_time_limit_says_so(monkeypatch):
    monkeypatch.setattr(slicer, "within_time_limit", lambda _started: False)
    big = load_generated(10_000, 60, 3).dataset  # its curve takes longer than a look (0.1 s)
    answer = slicer.curve_in_this_request({"key": "k"}, big, demo_settings(), lambda: True)
    limit = f"The sensitivity run stopped after {JOB_TIME_LIMIT_SECONDS} s, its time limit."
    assert answer == {"inputs": {"key": "k"}, "error": limit}


def test_a_chart_click_picks_that_threshold():
    assert slicer.pick_threshold({"points": [{"x": 12000, "y": 80}]}) == {"threshold": 12000}
    assert slicer.pick_threshold({"points": []}) is no_update


def test_export_download_is_the_engine_export_named_after_the_settings():
    csv_file = export_download(Ids.EXPORT_CSV, demo_summary(), demo_settings())
    allocation = allocate(demo_dataset(), Settings(1000))
    assert base64.b64decode(csv_file["content"]) == export_csv(demo_dataset(), allocation)
    assert csv_file["filename"].startswith("territories_t1000_w34-33-33_g0.05_p0.05_hr70_")
    xlsx_file = export_download(Ids.EXPORT_XLSX, demo_summary(), demo_settings())
    assert base64.b64decode(xlsx_file["content"]) == export_xlsx(demo_dataset(), allocation)
    assert xlsx_file["filename"].endswith(".xlsx")
    books = export_download(Ids.EXPORT_BOOKS, demo_summary(), demo_settings())
    assert base64.b64decode(books["content"]) == rep_books_zip(demo_dataset(), allocation)
    assert books["filename"].startswith("books_t1000_") and books["filename"].endswith(".zip")


def test_sessions_with_different_data_see_only_their_own():
    mine = load([account("M1", 10, 5000, "CA", "Ann", 80)], [rep("Ann", "Enterprise", "CA")])
    yours = load([account("Y1", 20, 5000, "NY", "Bo", 80)], [rep("Bo", "Enterprise", "NY")])
    my_data = data_summary(services().store.put(mine), mine, "mine")
    your_data = data_summary(services().store.put(yours), yours, "yours")
    my_rows = slicer.account_rows({"startRow": 0, "endRow": 10}, my_data, settings_json(Settings(1), my_data["key"]))
    your_rows = slicer.account_rows({"startRow": 0, "endRow": 10}, your_data,
                                    settings_json(Settings(1), your_data["key"]))
    assert [r["Account_ID"] for r in my_rows["rowData"]] == ["M1"]
    assert [r["Account_ID"] for r in your_rows["rowData"]] == ["Y1"]


def test_the_server_refuses_requests_over_the_upload_limit():
    from app import server
    limit = server.config["MAX_CONTENT_LENGTH"]
    response = server.test_client().post("/_dash-update-component", data=b"x" * (limit + 1),
                                         content_type="application/json")
    assert response.status_code == 413


def test_render_slicer_warns_about_accounts_left_unassigned():
    dataset = load([account("A1", 10, 5000, "CA", "Cy"), account("A2", 20, 10, "CA", "Cy")],
                   [rep("Cy", "Mid-Market", "CA")])
    data = data_summary(services().store.put(dataset), dataset, "no enterprise reps")
    banners, *_ = slicer.render_slicer(data, settings_json(Settings(1000), data["key"]), "light")
    assert "Enterprise has 1 account but no reps: it stays unassigned." in str(banners)


def test_refine_preview_says_what_refinement_would_give_then_what_it_gave():
    from app.sidebar import refine_preview

    greedy = allocate(demo_dataset(), Settings(1000))
    off = str(run_callback(refine_preview, "settings.data", demo_settings(), None, demo_summary()))
    assert "Would give: " in off and f"Balanced {score_text(greedy.overall_balanced)} → " in off
    assert "geo matches and owners kept unchanged" in off and " moves, " in off
    assert not re.search(r"\d s\b", off)  # no stale raw seconds (a first run showed "58.81 s")
    on = str(run_callback(refine_preview, "settings.data", {**demo_settings(), "refine": True, "objective": "custom"},
                          None, demo_summary()))
    assert "Refined: " in on and f"Custom {score_text(greedy.overall_custom)} → " in on


def test_fairness_cards_show_the_distance_to_100_the_best_the_data_allows_and_the_spread():
    plain = str(slicer.render_slicer(demo_summary(), demo_settings(), "light")[3])
    refined = str(slicer.render_slicer(demo_summary(), {**demo_settings(), "refine": True}, "light")[3])
    for cards in (plain, refined):
        assert cards.count("Points left to a perfect 100") == 2 and cards.count("Best these accounts allow") == 2
        assert cards.count("Spread in detail") == 2 and "% of reps within ±15%" in cards
    assert plain != refined


def test_refine_preview_of_big_data_waits_to_be_asked():
    from app.sidebar import AUTO_PREVIEW_ACCOUNTS, refine_preview

    big = {**demo_summary(), "accounts": AUTO_PREVIEW_ACCOUNTS + 1}  # the demo, said to be big
    offer, button = run_callback(refine_preview, "settings.data", demo_settings(), None, big)
    assert offer == f"Refining {AUTO_PREVIEW_ACCOUNTS + 1:,} accounts takes a moment." and "d-none" not in button
    asked, button = run_callback(refine_preview, f"{Ids.REFINE_PREVIEW_RUN}.n_clicks", demo_settings(), 1, big)
    assert "Would give: " in str(asked) and button == "d-none"


def test_a_failing_callback_tells_the_user_whether_the_store_is_out_or_something_else_broke():
    import sqlite3

    import redis

    from app.banners import trouble_message
    for outage in (redis.ConnectionError("refused"), sqlite3.OperationalError("database disk image is malformed"),
                   OSError(28, "No space left on device")):
        assert trouble_message(outage).startswith("The server cannot reach its session store right now")
    other = trouble_message(KeyError("x"))
    assert other.startswith("The server could not finish your last action") and "KeyError" not in other


def test_the_refinement_follows_the_chosen_smallest_gain():
    from app.state import current

    every = current(demo_summary(), {**demo_settings(), "refine": True, "min_gain": 0.0}).allocation.refinement
    defended = current(demo_summary(), {**demo_settings(), "refine": True}).allocation.refinement
    large = current(demo_summary(), {**demo_settings(), "refine": True, "min_gain": 0.1}).allocation.refinement
    assert (every.min_gain, defended.min_gain, large.min_gain) == (0.0, 0.02, 0.1)
    assert every.changes > defended.changes > large.changes
