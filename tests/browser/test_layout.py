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


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_pages_fit_a_laptop_screen_without_sideways_scrolling(page, theme):
    page.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                {"width": 1366, "height": 768, "deviceScaleFactor": 1, "mobile": False})
    if theme == "dark":
        page.click(f"#{Ids.THEME_SWITCH}")
        page.until(lambda: page.js("return document.documentElement.getAttribute('data-bs-theme')") == "dark",
                   message="dark")
    for name, path in PAGES.items():
        if path != "/":
            page.click(f"#{Ids.NAV}-{name}")
            page.until(lambda path=path: page.driver.current_url.endswith(path), message=name)
        page.until(lambda name=name: page.js(f"return !!document.querySelector('{DRAWN[name]}')"), timeout=40,
                   message=f"{name} drawn")
        page.js("window.scrollTo(0, 0)")
        assert page.js("return document.documentElement.scrollWidth <= window.innerWidth"), name
        keep_screenshot(page, f"{name}-{theme}")
    assert page.severe_logs() == []


def keep_screenshot(page, name: str):
    folder = os.environ.get("SCREENSHOTS_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.driver.save_screenshot(str(Path(folder) / f"{name}.png"))
