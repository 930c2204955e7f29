"""Files as CRMs export them, in a real browser: an unedited Salesforce report loads as it is;
a column the loader cannot place gets the mapping step, which the next upload remembers."""
from pathlib import Path

from selenium.webdriver.support.ui import Select

from app.ids import Ids

from .test_layout import keep_screenshot

SALESFORCE = Path(__file__).parent.parent / "data" / "exports" / "salesforce"


def test_an_unedited_salesforce_report_loads(page):
    page.upload(SALESFORCE / "reps.csv", SALESFORCE / "accounts.csv")
    page.wait_text(Ids.BANNERS, "Loaded 40 accounts")
    assert page.css(f"#{Ids.MAPPING_PANEL}").text == ""


def test_the_mapping_step_asks_once_then_remembers(page, tmp_path):
    accounts = tmp_path / "accounts.csv"
    accounts.write_text((SALESFORCE / "accounts.csv").read_text().replace('"Annual Revenue"', '"Contract Value"'))
    page.upload(SALESFORCE / "reps.csv", accounts)
    page.wait_text(Ids.BANNERS, "Almost there: choose the column for 1 field below")
    page.wait_text(Ids.MAPPING_PANEL, "Match your columns")
    assert "ACC-0000001" in page.text(Ids.MAPPING_PANEL)  # the preview of the first rows
    keep_screenshot(page, "mapping-step")
    choice = Select(page.css(f"#{Ids.MAPPING_CARD} select"))
    assert "Contract Value" in [option.text for option in choice.options]
    choice.select_by_visible_text("Contract Value")
    page.click(f"#{Ids.MAPPING_APPLY}")
    page.wait_text(Ids.BANNERS, "Loaded 40 accounts")
    page.wait_text(Ids.DATA_LABEL, "40 accounts")
    page.until(lambda: page.text(Ids.MAPPING_PANEL) == "", message="the mapping step closes")
    page.upload(SALESFORCE / "reps.csv", accounts)  # the same headers again: no question
    page.wait_text(Ids.BANNERS, "using the columns you chose before")
    assert page.text(Ids.MAPPING_PANEL) == ""
