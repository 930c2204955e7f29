"""Rebalance today's books (ALLOCATION.md §8) in the browser: the mode, the plan on every page,
the transfer list, Reject and the trade-off curve."""
import json

from selenium.webdriver.common.by import By

from app.ids import Ids
from app.pages.comparison import TRANSFERS_PER_PAGE

from .test_layout import keep_screenshot

PLAN_TIMEOUT = 60  # the demo's plan takes its 10 s time limit at most (proven minimal in about 7 s when idle)


def rebalance(page) -> None:
    page.click(f"label[for='_dbcprivate_radioitems_{Ids.MODE}_input_rebalance']")
    page.until(lambda: "d-none" not in page.css(f"#{Ids.MODE_CONTROLS}").get_attribute("class"),
               message="plan controls shown")
    page.wait_text(Ids.DISRUPTION, "Plan:", timeout=PLAN_TIMEOUT)
    proof = page.text("plan-proof")
    assert proof == "proven minimal" or proof.endswith("above the minimum")  # a busy machine may not prove it


def transfer_rows(page) -> list[str]:
    """The account IDs of the transfer list's page, top to bottom."""
    rows = page.driver.find_elements(By.CSS_SELECTOR, f"#{Ids.TRANSFER_LIST} tbody tr")
    return [json.loads(row.get_attribute("id"))["account"] for row in rows]


def curve(page) -> list[dict]:
    return page.js("return document.querySelector(arguments[0]).data", f"#{Ids.TRADE_OFF} .js-plotly-plot")


def test_rebalance_mode_plans_and_every_page_shows_the_plan(page):
    page.wait_text(Ids.DISRUPTION, "Disruption:")
    rebalance(page)
    summary = page.text(Ids.DISRUPTION)
    assert "moves" in summary and "reps in band (±15%)" in summary and "of 24" in summary
    page.wait_text(Ids.PLAN_RESULT, "Planned in ")
    assert page.text(Ids.BAND_VALUE) == "±15%"
    page.click(f"#{Ids.NAV}-audit")
    page.wait_text(Ids.AUDIT_LABEL, "· transfer 1 of ")
    page.wait_text(f"{Ids.AUDIT_GRID}-title", "before and after this transfer")
    page.click(f"#{Ids.AUDIT_NEXT}")
    page.wait_text(Ids.AUDIT_LABEL, "Step 2 of ")
    assert page.severe_logs() == []


def test_transfer_list_reject_and_trade_off_curve(page):
    rebalance(page)
    moves = int(page.text(Ids.DISRUPTION).split("Plan: ")[1].split(" move")[0].replace(",", ""))
    page.click(f"#{Ids.NAV}-comparison")
    page.until(lambda: "d-none" not in page.css(f"#{Ids.TRANSFERS}").get_attribute("class"), message="plan panel")
    page.until(lambda: len(transfer_rows(page)) == TRANSFERS_PER_PAGE, message="a page of transfers")
    traces = page.until(lambda: curve(page), message="trade-off curve")
    assert [t["name"] for t in traces][0] == "Overall Balanced"
    assert traces[0]["x"][0] == 0 and traces[0]["x"][-1] == moves
    assert traces[0]["y"][-1] > traces[0]["y"][0]  # the plan raises the score
    assert page.text(Ids.TRANSFER_COUNT) == f"1–{TRANSFERS_PER_PAGE} of {moves + orphans(page):,}"
    first = transfer_rows(page)[0]
    page.js("arguments[0].scrollIntoView({block: 'start', behavior: 'instant'})", page.css(f"#{Ids.TRADE_OFF}"))
    keep_screenshot(page, "rebalance-transfers")
    button = page.css(f"#{Ids.TRANSFER_LIST} tbody tr:first-child button")
    assert button.text == "Reject" and "over target" in page.css(f"#{Ids.TRANSFER_LIST} tbody tr").text
    page.js("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", button)
    button.click()
    page.wait_text(Ids.RULE_COUNTS, "(1 pinned)")
    page.until(lambda: page.driver.find_elements(By.CSS_SELECTOR, f"#{Ids.PLAN_PROGRESS_WRAP}.mt-2")
               or "proven" in page.text(f"{Ids.TRANSFERS}-summary"), message="re-planned")
    page.until(lambda: rows_without(page, first), timeout=PLAN_TIMEOUT, message="transfer gone")
    page.wait_text(f"{Ids.TRANSFERS}-summary", "Plan:", timeout=PLAN_TIMEOUT)
    assert page.severe_logs() == []


def rows_without(page, account_id: str) -> bool:
    rows = transfer_rows(page)
    return bool(rows) and account_id not in rows


def orphans(page) -> int:
    """Orphans placed, as the plan's summary line says (0 when it names none)."""
    summary = page.text(f"{Ids.TRANSFERS}-summary")
    return int(summary.split(" orphan")[0].rsplit(" ", 1)[1].replace(",", "")) if " orphan" in summary else 0
