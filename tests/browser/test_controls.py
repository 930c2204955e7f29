"""Moving each kind of control updates the page without a reload."""
from selenium.webdriver.common.keys import Keys

from app.ids import Ids
from app.store import demo_dataset


def kpi(page, segment: str) -> str:
    return page.css(f"#kpi-{segment}").text


def test_typing_a_threshold_moves_the_slider_and_resegments(page):
    before = kpi(page, "enterprise")
    page.js("window.__same_page = true")
    page.type_into(f"#{Ids.THRESHOLD_INPUT}", "12500")
    page.until(lambda: page.css(f"#{Ids.THRESHOLD_INPUT}").get_attribute("value") == "12,500", message="formatted")
    page.until(lambda: kpi(page, "enterprise") != before, message="Enterprise KPIs change")
    page.until(lambda: page.threshold_stop() == 10_000, message="the slider shows the stop nearest the box")
    assert page.js("return window.__same_page") is True  # no reload


def test_a_threshold_above_every_account_shows_the_empty_segment_banner(page):
    page.type_into(f"#{Ids.THRESHOLD_INPUT}", "1,000,000")
    idle = int(demo_dataset().rep_is_enterprise.sum())
    page.wait_text(Ids.SLICER_BANNERS,
                   f"No Enterprise accounts at threshold 1,000,000: {idle} Enterprise reps sit idle (")
    assert "so Overall fairness is N/A" in page.text(Ids.SLICER_BANNERS)
    page.wait_text(Ids.DISTRIBUTION_ENTERPRISE, "No Enterprise accounts at this threshold")
    assert "N/A" in page.text(Ids.FAIRNESS_CARDS)


def test_weight_sliders_always_sum_to_100(page):
    fairness = page.text(Ids.FAIRNESS_CARDS)
    page.press_on_slider(Ids.WEIGHT_ARR, *[Keys.ARROW_RIGHT] * 6)
    page.until(lambda: page.slider_value(Ids.WEIGHT_ARR) == "40", message="ARR at 40")
    page.until(lambda: page.text(Ids.WEIGHT_ACCOUNTS_VALUE) == "30%", message="accounts rescaled")
    assert page.text(Ids.WEIGHT_RISK_VALUE) == "30%"
    assert page.slider_value(Ids.WEIGHT_ACCOUNTS) == "30" and page.slider_value(Ids.WEIGHT_RISK) == "30"
    page.until(lambda: page.text(Ids.FAIRNESS_CARDS) != fairness, message="Custom composites change")


def test_preferences_change_the_allocation(page):
    page.press_on_slider(Ids.GEO, Keys.END)
    page.until(lambda: page.text(Ids.GEO_VALUE) == "+10%", message="geo at max")
    page.press_on_slider(Ids.HIGH_RISK, Keys.ARROW_LEFT)
    page.until(lambda: page.text(Ids.HIGH_RISK_VALUE) == "≥ 65", message="high-risk one step down")
    page.until(lambda: "65" in page.js(
        "return JSON.parse(sessionStorage.getItem('settings')).high_risk + ''"), message="settings stored")


def test_clicking_the_sensitivity_curve_moves_the_threshold(page):
    page.until(lambda: page.js(
        f"const g = document.querySelector('#{Ids.SENSITIVITY} .js-plotly-plot');"
        "return g && g.data && g.data.length > 2"), timeout=40, message="curve drawn")
    page.duo.click_at_coord_fractions(f"#{Ids.SENSITIVITY} .nsewdrag", 0.5, 0.5)
    page.until(lambda: page.css(f"#{Ids.THRESHOLD_INPUT}").get_attribute("value") != "1,000",
               message="threshold moved by the click")
    picked = int(page.css(f"#{Ids.THRESHOLD_INPUT}").get_attribute("value").replace(",", ""))
    low, high = page.js(f"return document.querySelector('#{Ids.SENSITIVITY} .js-plotly-plot')._fullLayout.xaxis.range")
    middle = 10 ** ((low + high) / 2)  # the axis is logarithmic (§5): its range is in powers of ten
    assert middle / 1.5 <= picked <= middle * 1.5
    page.until(lambda: f"current {picked:,}" in page.text(Ids.SENSITIVITY), message="marker follows")


def test_account_grid_sorts_filters_and_pages_on_the_server(page):
    grid = f"#{Ids.ACCOUNT_GRID}"
    page.until(lambda: "ACC-" in page.text(Ids.ACCOUNT_GRID), message="rows arrive")
    page.click(f"{grid} .ag-header-cell[col-id=ARR] .ag-header-cell-label")
    page.click(f"{grid} .ag-header-cell[col-id=ARR] .ag-header-cell-label")  # second click: descending
    largest = float(demo_dataset().arr.max())
    page.until(lambda: page.js(
        "const r = dash_ag_grid.getApi('account-grid').getDisplayedRowAtIndex(0);"
        "return r && r.data && r.data.ARR") == largest, message="largest ARR first")
    page.js("dash_ag_grid.getApi('account-grid').setFilterModel("
            "{Location: {filterType: 'text', type: 'equals', filter: 'tx'}})")
    page.until(lambda: page.js(
        "const api = dash_ag_grid.getApi('account-grid'); const r = api.getDisplayedRowAtIndex(0);"
        "return r && r.data && r.data.Location.toUpperCase() === 'TX'"), message="filtered to TX")
    page.click(f"{grid} .ag-paging-button[aria-label='Next Page']")
    page.until(lambda: "Page 2" in page.text(Ids.ACCOUNT_GRID).replace("\n", " "), message="second page")


def test_a_sliders_value_follows_the_handle_while_it_is_dragged(page):
    """Issue 15: the badge updated only on release; now it follows the drag, the settings apply on release."""
    from selenium.webdriver.common.action_chains import ActionChains

    handle = page.css(f"#{Ids.WEIGHT_ARR} [role=slider]")
    drag = ActionChains(page.driver).click_and_hold(handle).move_by_offset(60, 0)
    drag.perform()
    page.until(lambda: page.text(Ids.WEIGHT_ARR_VALUE) != "34%", message="badge follows the handle")
    during = page.text(Ids.WEIGHT_ARR_VALUE)
    assert page.text(Ids.WEIGHT_ACCOUNTS_VALUE) == "33%"  # nothing applied yet
    ActionChains(page.driver).release().perform()
    page.until(lambda: page.text(Ids.WEIGHT_ACCOUNTS_VALUE) != "33%", message="applied on release")
    assert page.text(Ids.WEIGHT_ARR_VALUE) == during
    assert page.css(f"#{Ids.WEIGHT_ARR}-term")  # the weights explain the blended need
