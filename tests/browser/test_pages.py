"""Comparison, Audit Trail and Optimize Weights in the browser."""
import psutil
from selenium.webdriver.common.keys import Keys

from app.ids import Ids
from engine.io.generate import main as generate


def test_comparison_page_shows_before_and_after(page):
    page.click(f"#{Ids.NAV}-comparison")
    page.wait_text(Ids.COMPARISON_KPIS, "Accounts kept with their owner")
    page.wait_text(Ids.MOVEMENT_TOTALS, "of 2,000 accounts change owner")
    page.until(lambda: "ACC-" in page.text(Ids.MOVEMENT_GRID), message="movement rows")
    assert page.driver.find_elements("css selector", f"#{Ids.COMPARISON_KPIS} [data-improved=true]")
    page.type_into(f"#{Ids.THRESHOLD_INPUT}", "1,000,000")
    page.wait_text(Ids.COMPARISON_KPIS, "N/A")
    assert page.severe_logs() == []


def test_audit_trail_steps_jumps_and_filters(page):
    page.click(f"#{Ids.NAV}-audit")
    page.wait_text(Ids.AUDIT_LABEL, "Step 1 of 2,000")
    page.click(f"#{Ids.AUDIT_NEXT}")
    page.wait_text(Ids.AUDIT_LABEL, "Step 2 of 2,000")
    page.css("body").send_keys(Keys.ARROW_RIGHT)
    page.wait_text(Ids.AUDIT_LABEL, "Step 3 of 2,000")
    page.css("body").send_keys(Keys.ARROW_LEFT)
    page.wait_text(Ids.AUDIT_LABEL, "Step 2 of 2,000")
    page.click(f"#{Ids.AUDIT_LAST}")
    page.wait_text(Ids.AUDIT_LABEL, "Step 2,000 of 2,000 · Mid-Market step 990 of 990")
    page.type_into(f"#{Ids.AUDIT_JUMP}", "ACC-0000002")
    page.wait_text(Ids.AUDIT_ACCOUNT, "ACC-0000002")
    page.wait_text(Ids.AUDIT_HISTORY, ". Ends with ")  # every step that touched it, and where it ends up
    assert page.driver.find_elements("css selector", f"#{Ids.AUDIT_GRID} .ag-row.audit-winner")
    page.duo.select_dcc_dropdown(f"#{Ids.AUDIT_SEGMENT}", "Mid-Market")
    page.wait_text(Ids.AUDIT_LABEL, "Step 1 of 990")
    page.wait_text(Ids.AUDIT_ACCOUNT, "Mid-Market (threshold 1,000:")
    assert page.severe_logs() == []


def test_optimize_recommends_and_only_apply_moves_the_sliders(page):
    page.click(f"#{Ids.OPTIMIZE_RUN}")
    page.wait_text(Ids.OPTIMIZE_VIEW, "Best", timeout=60)
    assert page.text(Ids.WEIGHT_ARR_VALUE) == "34%"  # nothing changes before Apply
    best = page.css(f"#{Ids.OPTIMIZE_VIEW} tbody tr td").text  # "69 / 31 / 0" on the demo
    page.click(f"#{Ids.OPTIMIZE_APPLY}")
    arr, accounts, risk = (part.strip() for part in best.split("/"))
    page.until(lambda: page.text(Ids.WEIGHT_ARR_VALUE) == f"{arr}%", message="applied")
    assert page.text(Ids.WEIGHT_ACCOUNTS_VALUE) == f"{accounts}%" and page.text(Ids.WEIGHT_RISK_VALUE) == f"{risk}%"
    page.wait_text(Ids.OPTIMIZE_VIEW, "Applied.")
    first = page.css(f"#{Ids.OPTIMIZE_VIEW} tbody tr")  # the applied weights are now the current ones
    assert first.find_element("css selector", "th").text == "Current" and best in first.text


def test_optimize_cancel_and_leaving_the_page_leave_no_job_behind(page, tmp_path):
    generate(["--accounts", "100000", "--reps", "400", "--seed", "3", "--out", str(tmp_path)])
    page.upload(tmp_path / "reps.csv", tmp_path / "accounts.csv")
    page.wait_text(Ids.DATA_LABEL, "100,000 accounts", timeout=60)
    page.until(lambda: not forked_jobs(), timeout=30, message="sensitivity finished")
    page.click(f"#{Ids.OPTIMIZE_RUN}")
    page.until(lambda: page.css(f"#{Ids.OPTIMIZE_CANCEL}").is_enabled(), message="running")
    page.click(f"#{Ids.OPTIMIZE_CANCEL}")
    page.wait_text(Ids.OPTIMIZE_STATUS, "Cancelled. Nothing changed.")
    page.until(lambda: page.css(f"#{Ids.OPTIMIZE_RUN}").is_enabled(), message="ready for another run")
    assert page.text(Ids.OPTIMIZE_VIEW) == "" and page.text(Ids.WEIGHT_ARR_VALUE) == "34%"
    page.until(lambda: not forked_jobs(), timeout=10, message="cancel ended the job")
    page.click(f"#{Ids.OPTIMIZE_RUN}")  # a new run starts…
    page.until(lambda: forked_jobs() and page.css(f"#{Ids.OPTIMIZE_CANCEL}").is_enabled(), message="second run")
    page.driver.get(page.duo.server_url + "/comparison")  # …and its page goes away
    page.until(lambda: not forked_jobs(), timeout=40, message="the abandoned job stopped by itself")


def forked_jobs() -> list:
    """Background-job processes: what the app's fork server has started and is still running."""
    servers = [p for p in psutil.Process().children() if "forkserver" in " ".join(p.cmdline())]
    return [job for server in servers for job in server.children() if job.status() != psutil.STATUS_ZOMBIE]
