"""Header and frame: navigation, dark mode, help, export, offline assets, clean console."""
import csv
import io
import time
from pathlib import Path

from openpyxl import load_workbook

from app.ids import Ids


def test_switching_pages_keeps_the_sidebar_and_settings(page):
    page.type_into(f"#{Ids.THRESHOLD_INPUT}", "9000")
    page.until(lambda: page.css(f"#{Ids.THRESHOLD_INPUT}").get_attribute("value") == "9,000", message="typed")
    page.click(f"#{Ids.NAV}-comparison")
    page.duo.wait_for_contains_text("#_pages_content", "Territory Comparison")
    assert page.driver.current_url.endswith("/comparison")
    page.click(f"#{Ids.NAV}-audit")
    page.duo.wait_for_contains_text("#_pages_content", "Audit Trail")
    page.click(f"#{Ids.NAV}-slicer")
    page.wait_text(Ids.KPI_CARDS, "Enterprise")
    assert page.css(f"#{Ids.THRESHOLD_INPUT}").get_attribute("value") == "9,000"
    assert page.threshold_stop() == 10_000  # the stop nearest 9,000 on a log scale
    assert page.severe_logs() == []


def test_a_reload_keeps_the_session_settings(page):
    page.type_into(f"#{Ids.THRESHOLD_INPUT}", "7000")
    page.until(lambda: page.threshold_stop() == 7000, message="moved")
    page.driver.refresh()
    page.wait_text(Ids.KPI_CARDS, "Enterprise")
    page.until(lambda: page.css(f"#{Ids.THRESHOLD_INPUT}").get_attribute("value") == "7,000", message="restored")


def test_dark_mode_themes_page_charts_and_tables(page):
    def chart_font():
        return page.js(f"return document.querySelector('#{Ids.DISTRIBUTION_ENTERPRISE} .js-plotly-plot')"
                       "._fullLayout.font.color")

    light_font = chart_font()
    grid_light = page.js(f"return getComputedStyle(document.querySelector('#{Ids.REP_GRID} .ag-root-wrapper'))"
                         ".backgroundColor")
    page.click(f"#{Ids.THEME_SWITCH}")
    page.until(lambda: page.js("return document.documentElement.getAttribute('data-bs-theme')") == "dark",
               message="page dark")
    page.until(lambda: chart_font() != light_font, message="charts follow")
    grid_dark = page.js(f"return getComputedStyle(document.querySelector('#{Ids.REP_GRID} .ag-root-wrapper'))"
                        ".backgroundColor")
    assert grid_dark != grid_light
    page.driver.refresh()
    page.wait_text(Ids.KPI_CARDS, "Enterprise")
    page.until(lambda: page.js("return document.documentElement.getAttribute('data-bs-theme')") == "dark",
               message="dark mode remembered")


def test_help_panel_explains_the_rules(page):
    page.click(f"#{Ids.HELP_OPEN}")
    page.wait_text(Ids.HELP, "CV% is the spread of rep totals")


def test_every_asset_is_served_by_the_app_itself(page):
    resources = page.js("return performance.getEntriesByType('resource').map(e => e.name)")
    assert resources and all(url.startswith(page.duo.server_url) for url in resources), resources


def test_export_csv_and_excel_of_the_current_settings(page):
    page.type_into(f"#{Ids.THRESHOLD_INPUT}", "3000")
    page.until(lambda: page.threshold_stop() == 3000, message="threshold set")
    rows = list(csv.DictReader(io.StringIO(download(page, Ids.EXPORT_CSV, ".csv").read_text())))
    assert len(rows) == 2000
    assert {r["Segment"] for r in rows if float(r["Num_Employees"]) >= 3000} == {"Enterprise"}
    assert all(r["Assigned_Rep"] for r in rows)
    book = load_workbook(download(page, Ids.EXPORT_XLSX, ".xlsx"))
    settings = {row[0]: row[1] for row in book["Settings"].iter_rows(values_only=True)}
    assert settings["Threshold (employees)"] == 3000 and settings["Weight ARR %"] == 34


def download(page, item_id: str, suffix: str, prefix: str = "territories_t3000_w34-33-33_") -> Path:
    folder = Path(page.duo.download_path)
    before = set(folder.glob(f"*{suffix}"))
    page.click(f"#{Ids.EXPORT} .dropdown-toggle")
    page.click(f"#{item_id}")
    deadline = time.time() + 20
    while time.time() < deadline:
        new = [p for p in set(folder.glob(f"*{suffix}")) - before if p.stat().st_size > 0]
        if new:
            time.sleep(0.3)
            assert new[0].name.startswith(prefix), new[0].name
            return new[0]
        time.sleep(0.2)
    raise AssertionError(f"no {suffix} download")


def test_the_app_runs_under_a_content_security_policy_that_blocks_injected_scripts(page):
    import requests

    policy = requests.get(page.duo.server_url, timeout=10).headers["Content-Security-Policy"]
    script_src = next(part for part in policy.split("; ") if part.startswith("script-src"))
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    assert "'sha256-" in script_src and "frame-ancestors 'none'" in policy
    # Every page of the other browser tests renders under this policy with a clean console; an
    # injected inline script does not run, and the browser says why.
    ran = page.js("const s = document.createElement('script'); s.text = 'window.injected = 1';"
                  "document.body.appendChild(s); return window.injected === 1")
    assert ran is False
    assert any("Content Security Policy" in entry["message"] for entry in page.severe_logs())
