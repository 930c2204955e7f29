"""Rules (ALLOCATION.md §7) in the browser: the Rules section, pinning from the account table and
the Audit Trail, and the review queue."""
from selenium.webdriver.common.by import By

from app.ids import Ids
from app.store import demo_dataset
from engine import Settings, allocate
from engine.dataset import is_enterprise
from engine.rules import Rules

from .test_layout import keep_screenshot


def set_rule(page, component_id: str, text: str) -> None:
    page.type_into(f"#{component_id}", text)


def choose(page, dropdown, option: str) -> None:
    """Pick an option of a dcc.Dropdown (its id, or the element) the way a user does: open it,
    click the option."""
    if isinstance(dropdown, str):
        dropdown = page.css(f"#{dropdown}")
    page.js("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", dropdown)
    dropdown.click()
    page.css("input[placeholder=Search]").send_keys(option)
    page.until(lambda: [o for o in page.driver.find_elements(By.CSS_SELECTOR, "[role=option]") if o.text == option],
               message=f"option {option}")[0].click()
    page.until(lambda: option in dropdown.text and not page.driver.find_elements(By.CSS_SELECTOR, "[role=option]"),
               message=f"{option} chosen")


def demo_outcome(**rules):
    """What the engine says the rules do to the demo data at the default threshold."""
    return allocate(demo_dataset(), Settings(1000, rules=Rules(**rules))).rules


def test_rules_section_locks_holds_and_caps_and_refuses_bad_values(page):
    locks = demo_outcome(lock_arr_at_least=3e6)
    holds = demo_outcome(lock_arr_at_least=3e6, review_arr_at_least=2e6)  # a lock wins over a hold
    assert locks.locks_not_kept and holds.held  # the demo has both to show
    page.wait_text(Ids.RULE_COUNTS, "0 locked · 0 held for review")
    set_rule(page, Ids.LOCK_ARR, "3,000,000")
    page.until(lambda: page.css(f"#{Ids.LOCK_ARR}").get_attribute("value") == "$3,000,000", message="normalised")
    page.wait_text(Ids.RULE_COUNTS, f"{locks.locked} locked")
    page.wait_text(Ids.SLICER_BANNERS, "could not be kept")  # an owner of the other segment
    set_rule(page, Ids.REVIEW_ARR, "$2,000,000")
    page.wait_text(Ids.RULE_COUNTS, f"{holds.held} held for review")
    page.wait_text(Ids.REVIEW_QUEUE, f"{holds.held} accounts held for review")
    set_rule(page, Ids.CAP_ACCOUNTS_M, "lots")
    page.wait_text(f"{Ids.CAP_ACCOUNTS_M}-feedback", "is not a whole number of accounts")
    set_rule(page, Ids.CAP_ACCOUNTS_M, "60")  # 14 reps × 60 < 990 Mid-Market accounts
    page.wait_text(Ids.SLICER_BANNERS, "every rep of the segment is at capacity")
    assert page.text(f"{Ids.CAP_ACCOUNTS_M}-feedback") == ""
    caps = ("const rows = []; dash_ag_grid.getApi(arguments[0]).forEachNode(n => rows.push(n.data));"
            "return rows.filter(r => r.Segment === 'Mid-Market').map(r => r.Max_Accounts);")
    page.until(lambda: set(page.js(caps, Ids.REP_GRID)) == {60}, message="caps in the rep table")
    keep_screenshot(page, "rules-sidebar")
    page.driver.refresh()  # the rules survive a reload of the tab
    page.wait_text(Ids.RULE_COUNTS, f"{holds.held} held for review")
    assert page.css(f"#{Ids.CAP_ACCOUNTS_M}").get_attribute("value") == "60"
    page.click(f"#{Ids.RESET}")
    page.wait_text(Ids.RULE_COUNTS, "0 locked · 0 held for review")
    page.wait_text(Ids.SETTINGS_NOTICE, "start from the defaults")
    assert page.css(f"#{Ids.LOCK_ARR}").get_attribute("value") == ""
    assert page.severe_logs() == []


def test_the_review_queue_pins_a_held_account_to_the_chosen_rep(page):
    set_rule(page, Ids.REVIEW_ARR, "5,000,000")
    page.wait_text(Ids.REVIEW_QUEUE, "2 accounts held for review")
    first_pick = page.css(f"#{Ids.REVIEW_QUEUE} .pin-rep")
    assert first_pick.text.strip()  # the suggested rep is preselected
    choose(page, first_pick, "Avery Adams")
    page.click(f"#{Ids.REVIEW_QUEUE} .review-table .btn-primary")
    page.wait_text(Ids.REVIEW_QUEUE, "1 account held for review")
    page.wait_text(Ids.RULE_COUNTS, "1 locked (1 pinned) · 1 held for review")
    keep_screenshot(page, "review-queue")
    assert page.severe_logs() == []


def owned_by_the_other_segment(first: int = 50) -> int:
    """An account among the first rows of the demo whose owner is a rep of the other segment."""
    d = demo_dataset()
    enterprise = is_enterprise(d.employees, 1000)
    return next(a for a in range(first) if d.owner[a] >= 0 and d.rep_is_enterprise[d.owner[a]] != enterprise[a])


def test_pin_lock_and_unpin_from_the_account_table(page):
    d, account = demo_dataset(), owned_by_the_other_segment()
    account_id = d.account_id[account]
    same_segment = d.rep_is_enterprise == (d.employees[account] >= 1000)
    rep = sorted(d.rep_name[same_segment])[0]
    page.until(lambda: account_id in page.text(Ids.ACCOUNT_GRID), message="rows")
    row = page.css(f"#{Ids.ACCOUNT_GRID} .ag-row[row-id='{account_id}'] .ag-cell[col-id='Account_Name']")
    page.js("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", row)
    row.click()
    page.wait_text(f"{Ids.ACCOUNT_PIN}-label", f"{account_id} · {d.account_name[account]}")
    choose(page, f"{Ids.ACCOUNT_PIN}-rep", rep)
    page.click(f"#{Ids.ACCOUNT_PIN}-pin")
    page.wait_text(f"{Ids.ACCOUNT_PIN}-label", f"locked to {rep}")
    page.wait_text(Ids.RULE_COUNTS, "1 locked (1 pinned)")
    page.until(lambda: page.js(  # the Status column may be scrolled out of the grid's view
        f"const n = dash_ag_grid.getApi('{Ids.ACCOUNT_GRID}').getRowNode('{account_id}');"
        "return n && n.data && n.data.Status") == "Locked", message="status column")
    page.click(f"#{Ids.ACCOUNT_PIN}-unpin")
    page.wait_text(Ids.RULE_COUNTS, "0 locked")
    # its owner is a rep of the other segment: it cannot be locked to its owner here
    assert not page.css(f"#{Ids.ACCOUNT_PIN}-lock").is_enabled()
    assert page.severe_logs() == []


def test_pin_from_the_audit_trail_and_see_the_locked_step(page):
    page.click(f"#{Ids.NAV}-audit")
    page.wait_text(Ids.AUDIT_LABEL, "Step 1 of ")
    page.wait_text(f"{Ids.AUDIT_PIN}-label", "ACC-")
    step_account = page.text(f"{Ids.AUDIT_PIN}-label").split(" · ")[0]
    choose(page, f"{Ids.AUDIT_PIN}-rep", "Logan Meyer")
    page.click(f"#{Ids.AUDIT_PIN}-pin")
    page.wait_text(Ids.AUDIT_REASON, "Locked to Logan Meyer: pinned by you.")
    page.wait_text(f"{Ids.AUDIT_GRID}-title", "goes to its rep before any scoring")
    assert step_account in page.text(Ids.AUDIT_ACCOUNT)
    keep_screenshot(page, "audit-locked-step")
    assert page.severe_logs() == []
