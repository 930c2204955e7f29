"""Refine balance in the browser: preview, switch, distance to the limit, comparison, audit, export."""
import csv
import io
import re

from selenium.webdriver.support.ui import Select

from app.formats import score_text
from app.ids import Ids
from app.store import demo_dataset
from engine import Settings, allocate

from .test_layout import keep_screenshot
from .test_shell import download


def test_refine_preview_switch_comparison_audit_and_export(page):
    greedy = score_text(allocate(demo_dataset(), Settings(1000)).overall_balanced)
    page.wait_text(Ids.REFINE_PREVIEW, f"Would give: Balanced {greedy} → 99.")
    assert "geo matches and owners kept unchanged" in page.text(Ids.REFINE_PREVIEW)
    page.wait_text(Ids.FAIRNESS_CARDS, "Best these accounts allow")
    greedy_cards = page.text(Ids.FAIRNESS_CARDS)
    page.click(f"#{Ids.REFINE}")
    page.wait_text(Ids.REFINE_PREVIEW, f"Refined: Balanced {greedy} → 99.")
    page.until(lambda: page.text(Ids.FAIRNESS_CARDS) != greedy_cards, message="the cards show the refined scores")
    assert page.text(Ids.FAIRNESS_CARDS).count("Points left to a perfect 100") == 2
    keep_screenshot(page, "refine-slicer")

    page.click(f"#{Ids.NAV}-comparison")
    page.wait_text(Ids.REFINE_COMPARISON, "Accounts given another rep")
    assert "Refined" in page.text(Ids.REFINE_COMPARISON)

    page.click(f"#{Ids.NAV}-audit")
    page.wait_text(Ids.AUDIT_LABEL, "Step 1 of ")
    page.click(f"#{Ids.AUDIT_LAST}")
    page.wait_text(Ids.AUDIT_LABEL, "Mid-Market refinement change")
    page.wait_text(Ids.AUDIT_REASON, " CV ")
    page.until(lambda: "books" in page.text(f"{Ids.AUDIT_GRID}-title"), message="book table")
    keep_screenshot(page, "refine-audit")

    rows = list(csv.DictReader(io.StringIO(
        download(page, Ids.EXPORT_CSV, ".csv", prefix="territories_t1000_w34-33-33_g0.05_p0.05_hr70_refined-balanced_")
        .read_text())))
    assert len(rows) == 2000 and all(r["Assigned_Rep"] for r in rows)

    page.driver.refresh()
    page.wait_text(Ids.REFINE_PREVIEW, "Refined: ")
    assert page.css(f"#{Ids.REFINE}").is_selected()
    assert page.severe_logs() == []


def test_a_larger_smallest_gain_makes_fewer_changes(page):
    """Issue 15: every change must be worth defending; the bar is a setting."""
    page.wait_text(Ids.REFINE_PREVIEW, "Would give: Balanced")
    assert page.css(f"#{Ids.REFINE_MIN_GAIN}").get_attribute("value") == "0.02"
    before = changes_in(page.text(Ids.REFINE_PREVIEW))
    page.js("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", page.css(f"#{Ids.REFINE_MIN_GAIN}"))
    Select(page.css(f"#{Ids.REFINE_MIN_GAIN}")).select_by_visible_text("any gain")
    page.until(lambda: changes_in(page.text(Ids.REFINE_PREVIEW)) > before, message="more changes with any gain")
    page.driver.refresh()
    page.wait_text(Ids.REFINE_PREVIEW, "Would give: Balanced")
    assert page.css(f"#{Ids.REFINE_MIN_GAIN}").get_attribute("value") == "0.0"  # kept for the session


def changes_in(preview: str) -> int:
    """418 from "…, 418 changes (170 moves, 248 swaps)…"."""
    match = re.search(r"([\d,]+) changes? \(", preview)
    return int(match.group(1).replace(",", "")) if match else -1
