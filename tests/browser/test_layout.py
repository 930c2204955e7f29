"""Readable on a laptop screen (1366×768) in light and dark mode; screenshots on request.

Set SCREENSHOTS_DIR to keep a PNG of each page per theme (docs/screenshots holds the last set).
"""
import os
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
CUT_OFF = """
const cut = [];
const clipped = e => e.offsetParent !== null && e.scrollWidth > e.clientWidth + 1 && e.textContent.trim();
document.querySelectorAll('.ag-cell, .ag-cell-value, .kpi-headline, .kpi-list dd, .score-value, .card td').forEach(e => {
  if (clipped(e)) cut.push(e.textContent.trim());
});
document.querySelectorAll('.kpi-headline, .kpi-list dd, .score-value').forEach(e => {  // wrapped mid-number
  const line = parseFloat(getComputedStyle(e).lineHeight) || 24;
  if (e.offsetParent !== null && e.getBoundingClientRect().height > 1.6 * line) cut.push(e.textContent.trim());
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
        assert page.js("return document.documentElement.scrollWidth <= window.innerWidth"), name
        assert page.js(CUT_OFF) == [], f"{name} at {size}"
        keep_screenshot(page, f"{name}-{theme}" if size == "laptop" else f"{name}-{size}-{theme}")
    assert page.severe_logs() == []


def keep_screenshot(page, name: str):
    folder = os.environ.get("SCREENSHOTS_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.driver.save_screenshot(str(Path(folder) / f"{name}.png"))
