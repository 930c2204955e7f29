"""The Slicer page in a real browser, as a user works with it."""
from app.ids import Ids


def test_opens_on_the_demo_data_with_header_sidebar_and_pages(page):
    assert "Territory Slicer" in page.css(".navbar-brand").text
    for name in ("Slicer", "Comparison", "Audit"):
        assert page.css(f"#{Ids.NAV}-{name.lower()}").text == name
    page.wait_text(Ids.DATA_LABEL, "Demo data · 2,000 accounts · 24 reps")
    page.wait_text(Ids.KPI_CARDS, "2,000")
    assert page.css(f"#{Ids.THRESHOLD_INPUT}").get_attribute("value") == "1,000"
    assert [page.slider_value(i) for i in (Ids.WEIGHT_ARR, Ids.WEIGHT_ACCOUNTS, Ids.WEIGHT_RISK)] == ["34", "33", "33"]
    assert page.severe_logs() == []


def test_upload_two_csvs_replaces_the_demo_for_this_session(page, tmp_path):
    page.upload(*fixture12(tmp_path))
    page.wait_text(Ids.BANNERS, "Loaded 12 accounts and 6 reps")
    page.wait_text(Ids.DATA_LABEL, "12 accounts · 6 reps")
    page.wait_text(Ids.KPI_CARDS, "Accounts per rep")
    assert page.css(f"#{Ids.THRESHOLD_INPUT}").get_attribute("value") == "5,000"  # 12-account median
    page.until(lambda: "ACC-001" in page.text(Ids.ACCOUNT_GRID), message="account grid shows the upload")
    assert page.severe_logs() == []


def test_a_rejected_upload_explains_and_keeps_the_previous_data(page, tmp_path):
    reps, accounts = fixture12(tmp_path)
    accounts.write_text(accounts.read_text().replace("500000", "1.2M", 1))
    page.upload(reps, accounts)
    page.wait_text(Ids.BANNERS, "Upload refused: 1 problem found. The data you had is still loaded.")
    page.css(f"#{Ids.BANNERS} summary").click()
    page.wait_text(Ids.BANNERS, 'accounts.csv, row 2, column ARR: "1.2M"')
    assert "Demo data · 2,000 accounts" in page.text(Ids.DATA_LABEL)


def test_one_file_at_a_time(page, tmp_path):
    reps, accounts = fixture12(tmp_path)
    page.upload(reps)
    page.wait_text(Ids.BANNERS, "reps.csv read as the Reps file. Now add the Accounts CSV.")
    page.upload(accounts)
    page.wait_text(Ids.DATA_LABEL, "12 accounts · 6 reps")


def test_data_without_risk_scores_disables_the_risk_slider(page, tmp_path):
    reps, accounts = fixture12(tmp_path)
    rows = [line.rsplit(",", 1)[0] for line in accounts.read_text().splitlines()]
    accounts.write_text("\n".join(rows) + "\n")
    page.upload(reps, accounts)
    page.wait_text(Ids.BANNERS, "no Risk_Score column")
    page.until(lambda: page.slider_value(Ids.WEIGHT_RISK) == "0", message="risk weight 0")
    assert page.css(f"#{Ids.WEIGHT_RISK} [role=slider]").get_attribute("data-disabled") is not None
    assert int(page.slider_value(Ids.WEIGHT_ARR)) + int(page.slider_value(Ids.WEIGHT_ACCOUNTS)) == 100


def fixture12(tmp_path):
    from ..conftest import DATA
    paths = []
    for name in ("reps.csv", "accounts.csv"):
        target = tmp_path / name
        target.write_bytes((DATA / "fixture12" / name).read_bytes())
        paths.append(target)
    return paths


def test_more_than_two_files_are_refused_in_the_browser_before_sending(page, tmp_path):
    reps, accounts = fixture12(tmp_path)
    extra = tmp_path / "extra.csv"
    extra.write_bytes(accounts.read_bytes())
    page.upload(reps, accounts, extra)
    page.wait_text(Ids.BANNERS, "Upload refused. The data you had is still loaded.")
    page.click(f"#{Ids.BANNERS} summary")
    page.wait_text(Ids.BANNERS, "3 files chosen: upload two CSVs (Reps and Accounts) or one .xlsx workbook")
    assert "Demo data" in page.text(Ids.DATA_LABEL)


def test_fairness_cards_open_the_spread_in_a_finance_teams_terms(page):
    """Issue 15: Gini, max/min, the worst rep and the share within ±15% beside CV%, and how far the
    data lets each score go (PAGES.md §1)."""
    page.wait_text(Ids.FAIRNESS_CARDS, "Best these accounts allow")
    spread = page.css("#spread-mid-market")
    assert "Gini" not in spread.text  # folded until asked for
    page.css("#spread-mid-market summary").click()
    page.until(lambda: "of reps within ±15%" in spread.text, message="the detail opens")
    assert "Gini 0." in spread.text and "largest ÷ smallest book" in spread.text
    assert "Accounts 99.36" in page.text(Ids.FAIRNESS_CARDS)  # 990 accounts cannot split evenly over 14 reps
    page.js(f"document.querySelector('#{Ids.REP_GRID} .ag-body-horizontal-scroll-viewport').scrollLeft = 99999")
    page.until(lambda: "ARR vs target" in page.text(Ids.REP_GRID), message="rep grid shows the target columns")
