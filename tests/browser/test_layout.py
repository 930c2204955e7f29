"""Readable on a laptop screen (1366×768) in light and dark mode; screenshots on request.

Set SCREENSHOTS_DIR to keep a PNG of each page per theme (docs/screenshots holds the last set).
"""
import os
import time
from pathlib import Path

import pytest

from app.ids import Ids

PAGES = {"slicer": "/", "comparison": "/comparison", "audit": "/audit"}
DRAWN = {  # a chart that is drawn last on each page
    "slicer": f"#{Ids.SENSITIVITY} .js-plotly-plot .scatterlayer .trace",
    "comparison": f"#{Ids.COMPARISON_GRAPH}-mid-market .js-plotly-plot .barlayer .trace",
    "audit": f"#{Ids.AUDIT_GRID} .ag-row.audit-winner",
}


SIZES = {"laptop": (1366, 768), "desktop": (1920, 1080), "tablet": (768, 1024), "phone": (390, 844)}
TOO_WIDE = """
if (document.documentElement.scrollWidth <= window.innerWidth) return [];
const wide = [];
document.querySelectorAll('body *').forEach(e => {
  const r = e.getBoundingClientRect();
  if (r.right > window.innerWidth + 1 && e.offsetParent !== null && getComputedStyle(e).position !== 'fixed')
    wide.push(`${e.tagName}#${e.id}.${e.className}`.slice(0, 80) + ` right ${Math.round(r.right)}`);
});
return wide.slice(0, 8);
"""
CUT_OFF = """
const cut = [];
const clipped = e => e.offsetParent !== null && e.scrollWidth > e.clientWidth + 1 && e.textContent.trim();
document.querySelectorAll(['.ag-cell', '.ag-cell-value', '.ag-header-cell-text', '.kpi-headline', '.kpi-list dd',
                           '.score-value', '.card td'].join(', '))
  .forEach(e => {
  if (clipped(e)) cut.push(`${e.closest('[id]')?.id} ${e.className}: ${e.textContent.trim().slice(0, 40)}`);
});
document.querySelectorAll('.kpi-headline, .kpi-list dd, .score-value, .app-header .btn').forEach(e => {  // wrapped
  const line = parseFloat(getComputedStyle(e).lineHeight) || 24;
  if (e.offsetParent !== null && e.getBoundingClientRect().height > 1.6 * line)
    cut.push(`wrapped ${e.closest('[id]')?.id}: ${e.textContent.trim()}`);
});
return cut;
"""


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("size", SIZES)
def test_no_figure_cut_off_and_no_sideways_scroll_at_any_size(page, size, theme):
    """PAGES.md "Feel": every page at four sizes, light and dark, measured in the browser: no
    numeric cell, card value or score cut off or wrapped mid-number, and no sideways scroll."""
    width, height = SIZES[size]
    page.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 500})
    if theme == "dark":
        if page.css(f"#{Ids.MENU_TOGGLE}").is_displayed():  # a phone folds the menu behind its toggler
            page.click(f"#{Ids.MENU_TOGGLE}")
            page.until(lambda: page.css(f"#{Ids.THEME_SWITCH}").is_displayed(), message="menu open")
        page.click(f"#{Ids.THEME_SWITCH}")
        page.until(lambda: page.js("return document.documentElement.getAttribute('data-bs-theme')") == "dark",
                   message="dark")
    for name, path in PAGES.items():
        if path != "/":
            page.js(f"document.querySelector('#{Ids.NAV}-{name}').click()")  # the menu may be folded
            page.until(lambda path=path: page.driver.current_url.endswith(path), message=name)
        page.until(lambda name=name: page.js(f"return !!document.querySelector('{DRAWN[name]}')"), timeout=40,
                   message=f"{name} drawn")
        page.js("window.scrollTo(0, 0)")
        settled(page, TOO_WIDE)  # charts drawn before the size changed follow it after plotly's debounce
        wide = page.js(TOO_WIDE)
        assert wide == [], f"{name} at {size} scrolls sideways: " + " | ".join(wide)
        cut = page.js(CUT_OFF)
        assert cut == [], f"{name} at {size}: " + " | ".join(cut)
        keep_screenshot(page, f"{name}-{theme}" if size == "laptop" else f"{name}-{size}-{theme}")
    assert page.severe_logs() == []


def settled(page, script: str, seconds: float = 5) -> None:
    """Wait (at most `seconds`) until `script` finds nothing wrong; the caller then asserts."""
    deadline = time.time() + seconds
    while page.js(script) and time.time() < deadline:
        time.sleep(0.2)


def test_a_phone_shows_results_first_and_opens_the_controls_on_demand(page):
    page.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True})
    page.until(lambda: not page.css(f"#{Ids.THRESHOLD_INPUT}").is_displayed(), message="controls folded")
    assert page.css(f"#{Ids.KPI_CARDS}").location["y"] < 844  # the first results are on the first screen
    page.click(f"#{Ids.SIDEBAR_TOGGLE}")
    page.until(lambda: page.css(f"#{Ids.THRESHOLD_INPUT}").is_displayed(), message="controls open")
    page.type_into(f"#{Ids.THRESHOLD_INPUT}", "5,000")
    page.until(lambda: page.css(f"#{Ids.THRESHOLD_INPUT}").get_attribute("value") == "5,000", message="applied")
    page.click(f"#{Ids.SIDEBAR_TOGGLE}")
    page.until(lambda: not page.css(f"#{Ids.THRESHOLD_INPUT}").is_displayed(), message="folded again")


def keep_screenshot(page, name: str):
    folder = os.environ.get("SCREENSHOTS_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.driver.save_screenshot(str(Path(folder) / f"{name}.png"))


def test_the_printable_summary_prints_the_results_without_the_controls(page):
    page.js("window.print = () => { window.__printed = true; }")
    page.click(f"#{Ids.EXPORT}")
    page.click(f"#{Ids.PRINT}")
    page.until(lambda: page.js("return window.__printed === true"), message="print asked for")
    page.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    hidden = page.js("return getComputedStyle(document.querySelector('.sidebar-col')).display")
    assert hidden == "none" and page.css(f"#{Ids.KPI_CARDS}").is_displayed()
    keep_screenshot(page, "printable-summary")
    page.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
