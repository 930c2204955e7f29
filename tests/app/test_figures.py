"""Figures and cards: what the charts and score badges show for given engine results."""
import math

import pandas as pd
import plotly.graph_objects as go

from app.cards import fairness_cards, kpi_cards, score_badge
from app.figures import distribution_figure, empty_runs, sensitivity_figure, sensitivity_hover
from app.formats import score_text
from engine import allocate
from engine.sensitivity import SegmentPoint, SensitivityPoint, point_of, sensitivity
from engine.summary import fairness_detail, segment_kpis

from ..conftest import settings

REPS = pd.DataFrame({"Rep": ["Ann", "Bo"], "ARR": [300.0, 100.0], "High_Risk_ARR": [50.0, 0.0],
                     "Accounts": [3, 1]})


def point(threshold, balanced, e_accounts=5, m_accounts=5):
    segments = {"Enterprise": SegmentPoint(e_accounts, 500.0, 2), "Mid-Market": SegmentPoint(m_accounts, 100.0, 2)}
    return SensitivityPoint(threshold, balanced, balanced, 2.0 if balanced is not None else None, segments)


def drawn_distribution_figure(*args):
    """The figure dict read back through plotly's own classes, which also validates it."""
    return go.Figure(distribution_figure(*args))


def drawn_sensitivity_figure(*args):
    return go.Figure(sensitivity_figure(*args))


def values(ys) -> list:
    """Plotted values with gaps (NaN, sent to the browser as null) as None."""
    return [None if pd.isna(y) else float(y) for y in ys]


def test_distribution_stacks_base_and_high_risk_arr_with_averages():
    figure = drawn_distribution_figure("Enterprise", REPS, 4, "light")
    base, high, accounts = figure.data
    assert list(base.y) == [250.0, 100.0] and list(high.y) == [50.0, 0.0] and list(accounts.y) == [3, 1]
    assert figure.layout.barmode == "stack"
    lines = [s for s in figure.layout.shapes if s.type == "line"]
    assert sorted(line.y0 for line in lines) == [2.0, 200.0]


def test_distribution_of_an_empty_segment_says_why():
    no_accounts = drawn_distribution_figure("Enterprise", REPS, 0, "light")
    assert no_accounts.data == () and "No Enterprise accounts" in no_accounts.layout.annotations[0].text
    no_reps = drawn_distribution_figure("Mid-Market", REPS.iloc[0:0], 7, "light")
    assert "7 accounts stay unassigned" in no_reps.layout.annotations[0].text


def test_dark_theme_changes_the_template():
    light = drawn_distribution_figure("Enterprise", REPS, 4, "light").layout.template.layout.paper_bgcolor
    dark = drawn_distribution_figure("Enterprise", REPS, 4, "dark").layout.template.layout.paper_bgcolor
    assert light != dark


def test_sensitivity_has_gaps_and_shaded_bands_where_a_segment_is_empty():
    points = [point(10, None, e_accounts=10, m_accounts=0), point(1000, 80.0), point(2000, 90.0),
              point(8000, None, e_accounts=0, m_accounts=10)]
    figure = drawn_sensitivity_figure(points, point(1000, 80.0), [34, 33, 33], "light")
    assert values(figure.data[0].y) == [None, 80.0, 90.0, None]
    assert figure.data[0].connectgaps is False
    bands = [s for s in figure.layout.shapes if s.type == "rect"]
    assert [(b.x0, b.x1) for b in bands] == [(10, 100.0), (4000.0, 8000)]


def test_sensitivity_axis_is_logarithmic_and_its_labels_sit_on_it():
    """§5: the x-axis is logarithmic; plotly places annotations on a log axis at log10 of the value."""
    points = [point(10, None, e_accounts=10, m_accounts=0), point(1000, 80.0),
              point(8000, None, e_accounts=0, m_accounts=10)]
    figure = drawn_sensitivity_figure(points, point(1000, 80.0), [34, 33, 33], "light")
    assert figure.layout.xaxis.type == "log"
    notes = {n.text: n for n in figure.layout.annotations}
    assert notes["current 1,000"].x == 3.0
    empty = [n for n in figure.layout.annotations if n.text == "a segment is empty"]
    assert [(n.x, n.xanchor) for n in empty] == [(1.0, "left"), (math.log10(8000), "right")]


def test_sensitivity_includes_and_marks_the_current_threshold():
    points = [point(1, 70.0), point(1000, 80.0)]
    figure = drawn_sensitivity_figure(points, point(1500, 85.0), [34, 33, 33], "light")
    assert list(figure.data[0].x) == [1, 1000, 1500]
    marker = figure.data[-1]
    assert list(marker.x) == [1500] and list(marker.y) == [85.0]
    assert any(s.type == "line" and s.x0 == 1500 for s in figure.layout.shapes)


def test_empty_runs_reach_halfway_to_neighbours():
    frame = pd.DataFrame({"threshold": [1, 4, 25, 100], "balanced": [1.0, None, None, 2.0]})
    assert empty_runs(frame) == [(2.0, 50.0)]


def test_hover_names_everything_section_5_asks_for():
    text = sensitivity_hover(point(2000, 88.25), [50, 30, 20])
    for part in ("Threshold 2,000", "Balanced 88.2", "Custom 88.2", "Deal size ratio 2.00",
                 "ARR per rep $250, accounts per rep 2.5", "Weights ARR 50 / Accounts 30 / Risk 20"):
        assert part in text
    assert "Balanced N/A" in sensitivity_hover(point(1, None), [34, 33, 33])
    assert "Balanced 93.9" in sensitivity_hover(point(2000, 93.97), [34, 33, 33])


def test_figure_matches_engine_curve(fixture12):
    s = settings(threshold=5000, weights=(33, 33, 34))
    curve = sensitivity(fixture12, s)
    current = point_of(allocate(fixture12, s))
    figure = drawn_sensitivity_figure(curve.points, current, [33, 33, 34], "dark")
    expected = {p.threshold: p.balanced for p in curve.points}
    assert dict(zip(figure.data[0].x, values(figure.data[0].y))) == expected


def test_score_badges_carry_their_band_and_grey_for_na():
    assert score_badge("E", "ARR", 93.9, "tip").children[1].className == "score-value band-light-green"
    assert score_badge("E", "ARR", 74.9, "tip").children[1].className == "score-value band-red"
    na = score_badge("E", "Risk", None, "tip").children[1]
    assert na.children == "N/A" and na.className == "score-value band-grey"


def test_shown_scores_are_rounded_down_into_their_band():
    """§3: 93.97 shows 93.9 (light green), never 94.0 beside a light-green badge."""
    badge = score_badge("E", "ARR", 93.97, "tip").children[1]
    assert (badge.children, badge.className) == ("93.9", "score-value band-light-green")
    assert [score_text(v) for v in (94.0, 74.99, 100.0, 0.04, None)] == ["94.0", "74.9", "100.0", "0.0", "N/A"]
    assert score_text(0.1 + 0.2 + 93.7) == "94.0"


def test_cards_show_engine_numbers(fixture12):
    allocation = allocate(fixture12, settings(threshold=5000, weights=(33, 33, 34)))
    text = str(kpi_cards(segment_kpis(allocation))) + str(fairness_cards(fixture12, allocation))
    assert f"${allocation.segments['Enterprise'].arr:,.0f}" in text
    detail = fairness_detail(fixture12, allocation, "Enterprise")
    assert f"Gini {detail['gini']['arr']:.3f}" in text
    assert f"Accounts {detail['best']['accounts']:.2f}" in text
    assert score_text(allocation.overall_balanced) in text


def test_names_from_the_data_never_become_markup_in_a_chart():
    """A rep named `<a href=…>` became a live link in the charts; now it reads as written."""
    hostile = REPS.assign(Rep=['<a href="https://evil.example">Ann</a>', "Bo & <b>Co</b>"])
    figure = drawn_distribution_figure("Enterprise", hostile, 4, "light")
    for trace in figure.data:
        assert list(trace.x) == ['&lt;a href="https://evil.example"&gt;Ann&lt;/a&gt;', "Bo &amp; &lt;b&gt;Co&lt;/b&gt;"]


def test_average_labels_say_the_average_they_mark():
    """Issue 15: "average 4" sat on a line at 3.5, over the bars."""
    figure = drawn_distribution_figure("Enterprise", REPS.assign(Accounts=[3, 4]), 7, "dark")
    labels = {n.text: n for n in figure.layout.annotations if n.text.startswith("average")}
    assert set(labels) == {"average $200", "average 3.5"}
    assert all(n.x == 1 and n.xanchor == "right" and n.bgcolor for n in labels.values())


def test_comparison_bars_are_the_segments_reps_and_one_bar_for_everyone_else():
    from app.figures import comparison_figure
    from app.store import demo_dataset
    from engine.comparison import rep_books

    demo = demo_dataset()  # owners from the other segment and former reps among its accounts
    books = rep_books(demo, allocate(demo, settings(threshold=1000)), "Mid-Market")
    others = books[~books["Segment_Rep"]]
    assert len(others) > 1
    figure = go.Figure(comparison_figure("Mid-Market", books, "light"))
    names = list(figure.data[0].x)
    assert names[:-1] == list(books[books["Segment_Rep"]]["Rep"]) and names[-1] == f"Others ({len(others)} names)"
    assert figure.data[0].y[-1] == others["ARR_Before"].sum() and sum(figure.data[3].y) == books["Accounts_After"].sum()
