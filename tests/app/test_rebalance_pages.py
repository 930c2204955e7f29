"""Rebalance mode (ALLOCATION.md §8) in the dashboard's callbacks: the job, every page, Reject,
the exports."""
import io
import uuid

import pytest
from dash import no_update
from openpyxl import load_workbook

from app import plan as plan_page
from app.controls import next_settings
from app.header import export_download, transfers_exportable
from app.ids import Ids
from app.pages import audit, comparison, slicer
from app.state import ModeChoice, current, demo_summary, plan_key, settings_json
from app.store import demo_dataset
from engine import Settings
from engine.rebalance import Plan

from .conftest import run_callback

DATA = demo_summary()


def rebalancing(band=15, **rules) -> dict:
    settings = settings_json(Settings(1000), "demo", mode=ModeChoice("rebalance", Plan(band=band)))
    return {**settings, "rules": {**settings["rules"], **rules}}


def planned(settings: dict) -> dict:
    """Run the job as the background callback would and return what it leaves in the PLAN store."""
    seen = []
    answer = plan_page.plan_job({"key": plan_key(DATA, settings), "data": DATA, "settings": settings}, seen.append,
                                uuid.uuid4().hex)
    assert all(0 <= p <= 100 for p in seen)  # none when the store had the plan already
    return answer


@pytest.fixture(scope="module")
def plan_state():
    settings = rebalancing()
    answer = planned(settings)
    return settings, answer, current(DATA, settings, answer)


def test_the_job_keeps_the_plan_and_every_page_reads_it(plan_state):
    settings, answer, state = plan_state
    assert answer == {"key": plan_key(DATA, settings)}
    assert state.rebalance is not None and state.rebalance.success and state.rebalance.moves > 0
    assert state.allocation is state.rebalance.allocation
    disruption = slicer.render_slicer(DATA, settings, "light", answer)[2]
    assert f"{state.rebalance.moves:,} moves" in str(disruption) and "reps in band" in str(disruption)


def test_until_the_plan_is_ready_pages_show_todays_books_and_say_so():
    settings = rebalancing(band=14)
    state = current(DATA, settings, None)
    assert state.pending and state.rebalance is None
    assert "working out the plan" in str(slicer.render_slicer(DATA, settings, "light", None)[2])
    shown, note, figure = comparison.render_comparison(DATA, settings, "light", None)[-4:-1]
    assert shown == "" and "Working out the plan" in str(note) and figure is no_update
    assert "Working out the plan" in str(audit_step(settings, None)[3])


def test_a_failed_plan_says_why_and_keeps_the_settings():
    settings = rebalancing(band=13)
    answer = {"key": plan_key(DATA, settings), "error": "The rebalancing failed. Your settings are unchanged."}
    state = current(DATA, settings, answer)
    assert state.error and not state.pending and state.rebalance is None
    result, style = plan_page.plan_result(DATA, settings, answer)
    assert "failed" in result and "text-danger" in style
    stale = {"key": "plan:another", "error": "old"}  # an answer for other settings is not this plan's
    assert current(DATA, settings, stale).pending


def test_comparison_shows_the_transfers_and_the_curve(plan_state):
    settings, answer, state = plan_state
    shown, summary, figure = comparison.render_comparison(DATA, settings, "light", answer)[-4:-1]
    assert shown == "" and "proven minimal" in str(summary) or "above the minimum" in str(summary)
    balanced, in_band = figure["data"]
    assert balanced["x"][0] == 0 and balanced["x"][-1] == state.rebalance.moves
    assert in_band["y"][-1] == state.rebalance.in_band_after
    table, count, page, options = transfer_page(settings, answer)
    total = len(state.rebalance.transfers)
    assert count == f"1–10 of {total:,}" and page == 0 and len(rows_of(table)) == 10
    first = state.rebalance.transfers[0]
    assert first.reason in str(rows_of(table)[0]) and demo_dataset().account_id[first.account] in str(table)
    *_, last_page, _ = transfer_page(settings, answer, f"{Ids.TRANSFER_NEXT}.n_clicks", page=10 ** 6)
    assert last_page == (total - 1) // 10  # Next never runs past the last page
    rep = options[0]["value"]
    _, mine, *_ = transfer_page(settings, answer, f"{Ids.TRANSFER_REP}.value", rep=rep)
    names = demo_dataset().rep_name
    touching = [t for t in state.rebalance.transfers
                if rep in (names[t.to_rep], names[t.from_rep] if t.is_move else "")]
    assert mine.endswith(f"of {len(touching):,}")
    assert "does not apply when rebalancing" in str(comparison.render_comparison(DATA, settings, "light",
                                                                                 answer)[4])


def transfer_page(settings, answer, trigger=None, page=0, rep=None):
    return run_callback(comparison.show_transfers, trigger, None, None, rep, DATA, settings, answer, page)


def rows_of(table) -> list:
    return table.children.children[1].children


def reject(account_id, settings, answer, clicks=1):
    trigger = f'{{"account":"{account_id}","type":"{Ids.TRANSFER_REJECT}"}}.n_clicks'
    return run_callback(comparison.reject_transfer, trigger, [clicks], DATA, settings, answer)


def test_reject_pins_the_account_to_the_rep_it_would_leave_and_the_plan_keeps_it(plan_state):
    settings, answer, state = plan_state
    dataset = demo_dataset()
    move = next(t for t in state.rebalance.transfers if t.is_move)
    account_id = dataset.account_id[move.account]
    request = reject(account_id, settings, answer)
    assert request["account"] == account_id and request["rep"] == dataset.rep_name[move.from_rep]
    pinned = next_settings("pin", {"pin": request}, settings, DATA).settings
    assert pinned["rules"]["pins"] == {account_id: dataset.rep_name[move.from_rep]}
    again = current(DATA, pinned, planned(pinned))
    assert again.allocation.assigned[move.account] == move.from_rep
    assert all(t.account != move.account for t in again.rebalance.transfers)


def test_reject_ignores_anything_but_a_move_of_the_plan(plan_state):
    settings, answer, state = plan_state
    assert reject("no-such-account", settings, answer) is no_update
    assert reject("ACC-0000001", settings, answer, clicks=None) is no_update  # a button drawn, not clicked
    assert run_callback(comparison.reject_transfer, f"{Ids.DATA}.data", [1], DATA, settings, answer) is no_update
    orphans = [t for t in state.rebalance.transfers if not t.is_move]
    assert orphans and all(reject(demo_dataset().account_id[o.account], settings, answer) is no_update
                           for o in orphans[:3])  # an orphan placed has no owner to stay with


def audit_step(settings, answer, trigger=None, query=None, segment="all", rep=None):
    args = [None] * 6 + [segment, rep, DATA, settings, answer, 0, query]
    return run_callback(audit.show_step, trigger, *args)


def test_the_audit_steps_through_the_transfers(plan_state):
    settings, answer, state = plan_state
    position, label, card, reason, rows, columns, title, *_ = audit_step(settings, answer)
    first = state.rebalance.transfers[0]
    assert label.startswith(f"Step 1 of {len(state.rebalance.transfers):,} · transfer 1 of ")
    assert f"wave {first.wave}" in label and demo_dataset().account_name[first.account] in str(card)
    assert first.reason in str(reason) and [c["field"] for c in columns] == [c["field"] for c in audit.REFINE_COLUMNS]
    touched = {demo_dataset().rep_name[rep] for rep, _, _ in first.books}
    assert {row["rep"] for row in rows} == touched and "before and after this transfer" in title
    for row in rows:
        assert row["accounts_after"] - row["accounts_before"] in (-1, 1)


def test_the_audit_jumps_to_a_transfer_and_explains_an_account_the_plan_keeps(plan_state):
    settings, answer, state = plan_state
    dataset = demo_dataset()
    last = state.rebalance.transfers[-1]
    found = audit_step(settings, answer, f"{Ids.AUDIT_JUMP}.n_submit", dataset.account_id[last.account])
    assert found[0] == len(state.rebalance.transfers) - 1
    to_rep = dataset.rep_name[last.to_rep] if last.to_rep >= 0 else "no rep"
    assert f"to {to_rep}" in str(found[7]) and f"Ends with {to_rep}" in str(found[7])
    moved = {t.account for t in state.rebalance.transfers}
    kept = next(a for a in range(dataset.n_accounts) if a not in moved and state.allocation.assigned[a] >= 0)
    missed = audit_step(settings, answer, f"{Ids.AUDIT_JUMP}.n_submit", dataset.account_id[kept])
    assert "The plan does not move" in missed[7]
    assert f"stays with {dataset.rep_name[state.allocation.assigned[kept]]}" in missed[7]


def test_the_audit_filters_transfers_by_rep(plan_state):
    settings, answer, state = plan_state
    dataset = demo_dataset()
    rep = dataset.rep_name[state.rebalance.transfers[0].to_rep]
    touching = [t for t in state.rebalance.transfers if rep in (dataset.rep_name[t.to_rep],
                                                                dataset.rep_name[max(t.from_rep, 0)]
                                                                if t.from_rep >= 0 else "")]
    label = audit_step(settings, answer, f"{Ids.AUDIT_REP}.value", rep=rep)[1]
    assert label.startswith(f"Step 1 of {len(touching):,} ")


def test_the_excel_export_has_the_transfers_and_the_plan(plan_state):
    settings, answer, state = plan_state
    download = export_download(Ids.EXPORT_XLSX, DATA, settings, answer)
    assert "_rebalanced-b15_" in download["filename"]
    workbook = load_workbook(io.BytesIO(download_bytes(download)))
    assert workbook.sheetnames == ["Assignments", "Reps", "Fairness", "Transfers", "Settings"]
    transfers = list(workbook["Transfers"].values)
    assert transfers[0][:3] == ("Wave", "Account_ID", "Account_Name")
    assert len(transfers) == len(state.rebalance.transfers) + 1
    record = dict(workbook["Settings"].values)
    assert record["Mode"] == "Rebalance today's books" and record["Moves"] == state.rebalance.moves


def test_the_transfer_list_exports_as_csv_only_with_a_plan(plan_state):
    settings, answer, state = plan_state
    assert transfers_exportable(DATA, settings, answer) is False
    assert transfers_exportable(DATA, rebalancing(band=12), None) is True
    download = export_download(Ids.EXPORT_TRANSFERS, DATA, settings, answer)
    assert download["filename"].startswith("transfers_")
    assert download_bytes(download).count(b"\r\n") == len(state.rebalance.transfers) + 1
    assert export_download(Ids.EXPORT_TRANSFERS, DATA, rebalancing(band=12), None) is no_update


def download_bytes(download: dict) -> bytes:
    import base64
    return base64.b64decode(download["content"])
