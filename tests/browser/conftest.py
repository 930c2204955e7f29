"""Browser tests: the real app in a thread, driven by Debian chromium through chromedriver.

Every test starts the server anew on the one app instance and opens a fresh browser profile, so
sessions never share storage. `page` is the started `dash_duo` with helpers for what users do.
"""
from __future__ import annotations

import time
from pathlib import Path

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver import ChromeOptions
from selenium.webdriver.common.keys import Keys

from app import app as dash_app
from app.ids import Ids
from tests.browser.servers import free_port

CHROMIUM = "/usr/bin/chromium"
FLAGS = ("--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
         "--disable-background-networking", "--disable-component-update", "--window-size=1366,768")
TIMEOUT = 20


def pytest_setup_options():
    options = ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    return options


def pytest_collection_modifyitems(items):
    for item in items:
        if "browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


class Page:
    """What a user does on the dashboard, in terms of the app's component ids."""

    def __init__(self, duo):
        self.duo = duo
        self.driver = duo.driver

    def css(self, selector: str):
        return self.duo.find_element(selector)

    def click(self, selector: str):
        """Scroll the element to the middle of the window (clear of the sticky header; at once, not
        with Bootstrap's smooth scrolling), then click it."""
        element = self.css(selector)
        self.js("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", element)
        element.click()

    def text(self, component_id: str) -> str:
        return self.css(f"#{component_id}").text

    def wait_text(self, component_id: str, text: str, timeout: float = TIMEOUT):
        self.duo.wait_for_contains_text(f"#{component_id}", text, timeout=timeout)

    def upload(self, *paths: Path):
        field = self.css(f"#{Ids.UPLOAD} input[type=file]")
        field.send_keys("\n".join(str(p) for p in paths))

    def type_into(self, selector: str, text: str):
        field = self.css(selector)
        field.send_keys(Keys.CONTROL, "a")
        field.send_keys(text, Keys.ENTER)

    def press_on_slider(self, component_id: str, *keys):
        """Move a slider as a keyboard user does: focus its handle, press keys."""
        self.css(f"#{component_id} [role=slider]").send_keys(*keys)

    def slider_value(self, component_id: str) -> str:
        """The value the slider's handle announces (aria-valuenow)."""
        return self.css(f"#{component_id} [role=slider]").get_attribute("aria-valuenow")

    def threshold_stop(self) -> int | None:
        """The logarithmic stop (ALLOCATION.md §1) the threshold slider's handle is on."""
        index = self.slider_value(Ids.THRESHOLD)
        stops = self.js("return JSON.parse(sessionStorage.getItem(arguments[0])).stops", Ids.DATA)
        return stops[int(index)] if index is not None else None

    def js(self, script: str, *args):
        return self.driver.execute_script(script, *args)

    def until(self, condition, timeout: float = TIMEOUT, message: str = ""):
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                value = condition()
            except StaleElementReferenceException:  # re-rendered while we read it: look again
                value = None
            if value:
                return value
            time.sleep(0.1)
        raise AssertionError(f"timed out: {message}")

    def severe_logs(self) -> list:
        return [entry for entry in self.duo.get_logs() or [] if entry.get("level") == "SEVERE"]


@pytest.fixture
def page(dash_duo):
    """The app open on the Slicer page; afterwards, the browser console must hold no error."""
    dash_duo.start_server(dash_app, port=free_port())  # Dash counts ports from 58050 in each worker
    dash_duo.wait_for_contains_text(f"#{Ids.KPI_CARDS}", "Enterprise", timeout=TIMEOUT)
    opened = Page(dash_duo)
    yield opened
    assert opened.severe_logs() == []
