"""Comparison, Audit and Optimize callbacks as plain functions."""
import time

from dash import no_update

from app import optimize
from app.controls import next_settings
from app.ids import Ids
from app.pages import audit, comparison
from app.services import services
from app.state import demo_summary, settings_json
from app.store import demo_dataset
from engine import Settings, Weights, allocate
from engine.comparison import movements
from engine.optimize import optimize_weights

from .conftest import run_callback


def demo_settings(threshold=1000, weights=(34, 33, 33)):
    return settings_json(Settings(threshold, Weights(*weights)), "demo")


def test_comparison_shows_books_kpis_and_movement_totals():
    *figures, table, totals, refined, plan_shown, _, _, note = comparison.render_comparison(
        demo_summary(), demo_settings(), "light")
    assert note == "Before = today's owners (Original_Rep); after = the assignment under the current settings."
    moved = movements(demo_dataset(), allocate(demo_dataset(), Settings(1000)))
    assert totals.startswith(f"{len(moved):,} of 2,000 accounts change owner")
    assert [f["data"][0]["name"] for f in figures] == ["Before", "Before"]
    assert "Accounts kept with their owner" in str(table) and "text-success" in str(table)
    assert "Turn on Refine balance" in str(refined)
    assert plan_shown == "d-none"  # the rebalancing plan's panel only shows when rebalancing


def test_comparison_sets_the_greedy_against_its_refinement():
    refined = comparison.render_comparison(demo_summary(), refined_settings(), "light")[4]
    text = str(refined)
    assert "Greedy" in text and "Refined" in text and "Geo matches" in text and "Accounts given another rep" in text
    assert "text-danger" not in text  # nothing gets worse: scores up, CVs down, geo and owners kept


def refined_settings(objective="balanced"):
    return {**demo_settings(), "refine": True, "objective": objective}


def test_movement_rows_come_from_the_server():
    response = comparison.movement_rows({"startRow": 0, "endRow": 10}, demo_summary(), demo_settings())
    assert len(response["rowData"]) == 10 and response["rowCount"] > 10
    assert all(row["From"] != row["To"] for row in response["rowData"])


def step(trigger=None, segment="all", rep=None, position=0, query=None, settings=None, plan=None):
    args = [None] * 6 + [segment, rep, demo_summary(), settings or demo_settings(), plan, position, query]
    return run_callback(audit.show_step, trigger, *args)


def test_audit_opens_on_the_first_step_and_moves():
    position, label, card, reason, rows, *_ = step()
    assert position == 0 and label == "Step 1 of 2,000 · Enterprise step 1 of 1,010"
    assert sum(r["winner"] for r in rows) == 1 and "Assigned to" in str(reason)
    assert step(f"{Ids.AUDIT_NEXT}.n_clicks", position=0)[0] == 1
    assert step(f"{Ids.AUDIT_PREV}.n_clicks", position=0)[0] == 0
    assert step(f"{Ids.AUDIT_LAST}.n_clicks", position=3)[1].startswith("Step 2,000 of 2,000")


def test_audit_filters_by_rep_and_resets_to_its_first_win():
    position, label, _, reason, *_ = step(f"{Ids.AUDIT_REP}.value", rep="Avery Adams", position=50)
    assert position == 0 and label.startswith("Step 1 of ") and "Avery Adams" in str(reason)


def test_audit_jump_clears_filters_and_explains_misses():
    position, label, card, *_, feedback, segment, rep, pinnable = step(
        f"{Ids.AUDIT_JUMP}.n_submit", segment="Mid-Market", rep="Avery Adams", query="ACC-0000002")
    assert "ACC-0000002" in str(card) and (segment, rep) == ("all", None)
    assert "ACC-0000002" in str(feedback) and "step" in str(feedback) and ". Ends with " in str(feedback)
    assert pinnable == "ACC-0000002"  # the pin bar is about the step's account
    missed = step(f"{Ids.AUDIT_JUMP_GO}.n_clicks", query="zzz")
    assert "No assigned account" in missed[7]


def test_audit_steps_through_the_refinement_after_the_greedy():
    *_, label, card, reason, rows, columns, title = step(f"{Ids.AUDIT_LAST}.n_clicks", settings=refined_settings())[:7]
    assert " · Mid-Market refinement change " in label and "The two reps' books" in title
    assert [c["field"] for c in columns] == [c["field"] for c in audit.REFINE_COLUMNS] and len(rows) == 2
    assert "Refinement:" in str(card) and ("Moved " in str(reason) or "Swapped " in str(reason))
    first_change = step(None, settings=refined_settings(), position=2000)
    assert "Enterprise refinement change 1 of" in first_change[1]


def test_moved_keeps_the_position_in_range():
    assert audit.moved("next", 9, 10) == 9 and audit.moved("previous", 0, 10) == 0
    assert audit.moved("last", 0, 0) == 0 and audit.moved(None, 4, 10) == 4


def progress_log():
    seen = []
    return seen, seen.append


def test_optimize_job_returns_the_engine_answer_with_progress():
    seen, record = progress_log()
    result = optimize.optimize_job(demo_summary(), demo_settings(), "a" * 32, record)
    expected = optimize_weights(demo_dataset(), Settings(1000))
    assert result["weights"] == expected.weights.as_list() and result["evaluated"] == 5151
    assert seen[-1] == (100, "100%", "") and len(seen) > 5


def test_optimize_job_stops_when_its_tab_is_gone():
    def lapse(update):
        services().store.renew_lease("b" * 32, 0.001)
        time.sleep(0.01)
    result = optimize.optimize_job(demo_summary(), demo_settings(), "b" * 32, lapse)
    assert result["error"].startswith("Stopped")


def test_optimize_job_reports_failures_and_lost_data():
    broken = {**demo_settings(), "weights": [1, 1, 1]}
    assert "failed" in optimize.optimize_job(demo_summary(), broken, "f" * 32, print)["error"]
    gone = optimize.optimize_job({"key": "g" * 32}, demo_settings(), "f" * 32, print)
    assert "no longer on the server" in gone["error"]


def test_result_waits_for_apply_and_goes_stale_when_settings_change():
    result = optimize.optimize_job(demo_summary(), demo_settings(), "c" * 32, lambda _: None)
    _, apply_class = optimize.show_result(result, demo_settings())
    assert "d-none" not in apply_class
    _, apply_class = optimize.show_result(result, demo_settings(threshold=5000))
    assert "d-none" in apply_class
    pick = optimize.apply_weights(1, result)
    assert pick == {"weights": result["weights"]}
    inputs = {"weights_pick": pick}
    data = {**demo_summary()}
    applied = next_settings("weights_pick", inputs, demo_settings(), data).settings
    assert applied["weights"] == result["weights"] and applied["threshold"] == 1000
    view, apply_class = optimize.show_result(result, applied)
    assert "Applied." in str(view) and "d-none" in apply_class
    rows = view[0].children[1].children  # after Apply the best weights are the current ones
    best = " / ".join(map(str, result["weights"]))
    assert rows[0].children[0].children == "Current" and rows[0].children[1].children == best
    assert rows[1].children[0].children == "Before"
    assert optimize.apply_weights(1, {"error": "x"}) is no_update


def test_a_job_past_its_time_limit_stops_and_says_so(monkeypatch):
    from app import jobs

    monkeypatch.setattr(jobs, "JOB_TIME_LIMIT_SECONDS", 0)  # the limit jobs check
    monkeypatch.setattr(optimize, "JOB_TIME_LIMIT_SECONDS", 0)  # the limit the message names
    result = optimize.optimize_job(demo_summary(), demo_settings(), "d" * 32, progress_log()[1])
    assert result == {"error": "Stopped after 0 s, the time limit of a run. Your settings are unchanged."}


def test_a_tab_id_the_page_did_not_make_is_never_stored():
    """The probe grew the store by 40 MB per lease renewal with a made-up tab id."""
    store = services().store
    for junk in ("x" * 40_000_000, "../../etc", 12, None, "A" * 32):
        store.renew_lease(junk, 60)
        assert not store.has_lease(junk)
    assert optimize.optimize_job(demo_summary(), demo_settings(), "x" * 1000, print)["error"].startswith(
        "This page is out of date")
    store.renew_lease("e" * 32, 60)
    assert store.has_lease("e" * 32)


def test_only_keys_the_server_made_are_looked_up():
    store = services().store
    key = store.put("value")
    assert store.get(key) == "value"
    for junk in (key + "x", key[:-1], "demo2", "x" * 10_000, 5, ["a"], {"k": 1}, "../" + key[3:]):
        assert store.get(junk) is None


def test_a_chart_shows_no_empty_axes_before_its_figure_arrives():
    """Issue 15: on a fresh install the sensitivity chart showed empty axes labelled −1…6."""
    from app.grids import graph
    chart = graph("sensitivity").children[1].children
    assert chart.figure["layout"]["xaxis"]["visible"] is False and chart.figure["data"] == []
    assert chart.config["modeBarButtons"] == [["toImage"]]  # each chart downloads as a PNG
    assert chart.config["toImageButtonOptions"]["filename"] == "territory-slicer-sensitivity"


def test_comparison_of_a_saved_scenario_against_the_current_settings():
    """Issue 16: any two of today's owners, the current settings and saved scenarios on this data."""
    from app.services import services

    saved = services().scenarios.save(demo_dataset(), "Demo data", demo_settings(threshold=2000), "Two thousand",
                                      "", None)
    sides = {"before": f"scenario:{saved.id}", "after": "current"}
    *figures, table, totals, _, _, _, _, note = comparison.render_comparison(
        demo_summary(), demo_settings(), "light", None, sides)
    assert note == "Before = the scenario “Two thousand”; after = the assignment under the current settings."
    before = allocate(demo_dataset(), Settings(2000))
    after = allocate(demo_dataset(), Settings(1000))
    changed = int((before.assigned != after.assigned).sum())
    assert totals.startswith(f"{changed:,} of 2,000 accounts change owner")
    same = comparison.render_comparison(demo_summary(), demo_settings(), "light", None,
                                        {"before": "current", "after": "current"})
    assert same[3].startswith("0 of 2,000 accounts")  # the totals
    options = comparison.list_sides(demo_summary())
    assert {"label": "Scenario: Two thousand", "value": f"scenario:{saved.id}", "disabled": False} in options[0]
    assert comparison.choose_sides("scenario:' OR 1=1", ["x"]) == comparison.SIDES  # hostile values
    services().scenarios.delete(saved.id)
    gone = comparison.render_comparison(demo_summary(), demo_settings(), "light", None, sides)[-1]
    assert "the scenario chosen is gone or on other data" in gone
