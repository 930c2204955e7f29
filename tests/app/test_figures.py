"""Figures and cards: what the charts and score badges show for given engine results."""
import pandas as pd
import plotly.graph_objects as go

from app.cards import fairness_cards, kpi_cards, score_badge
from app.figures import distribution_figure, empty_runs, sensitivity_figure, sensitivity_hover
from engine import allocate
from engine.sensitivity import SegmentPoint, SensitivityPoint, point_of, sensitivity
from engine.summary import segment_kpis

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
    points = [point(0, None, e_accounts=10, m_accounts=0), point(1000, 80.0), point(2000, 90.0),
              point(3000, None, e_accounts=0, m_accounts=10)]
    figure = drawn_sensitivity_figure(points, point(1000, 80.0), [34, 33, 33], "light")
    assert values(figure.data[0].y) == [None, 80.0, 90.0, None]
    assert figure.data[0].connectgaps is False
    bands = [s for s in figure.layout.shapes if s.type == "rect"]
    assert [(b.x0, b.x1) for b in bands] == [(0, 500.0), (2500.0, 3000)]


def test_sensitivity_includes_and_marks_the_current_threshold():
    points = [point(0, 70.0), point(1000, 80.0)]
    figure = drawn_sensitivity_figure(points, point(1500, 85.0), [34, 33, 33], "light")
    assert list(figure.data[0].x) == [0, 1000, 1500]
    marker = figure.data[-1]
    assert list(marker.x) == [1500] and list(marker.y) == [85.0]
    assert any(s.type == "line" and s.x0 == 1500 for s in figure.layout.shapes)


def test_empty_runs_reach_halfway_to_neighbours():
    frame = pd.DataFrame({"threshold": [0, 10, 20, 30], "balanced": [1.0, None, None, 2.0]})
    assert empty_runs(frame) == [(5.0, 25.0)]


def test_hover_names_everything_section_5_asks_for():
    text = sensitivity_hover(point(2000, 88.25), [50, 30, 20])
    for part in ("Threshold 2,000", "Balanced 88.2", "Custom 88.2", "Deal size ratio 2.00",
                 "$250 ARR and 2.5 accounts per rep", "Weights ARR 50 / Accounts 30 / Risk 20"):
        assert part in text
    assert "Balanced N/A" in sensitivity_hover(point(0, None), [34, 33, 33])


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


def test_cards_show_engine_numbers(fixture12):
    allocation = allocate(fixture12, settings(threshold=5000, weights=(33, 33, 34)))
    text = str(kpi_cards(segment_kpis(allocation))) + str(fairness_cards(allocation))
    assert f"${allocation.segments['Enterprise'].arr:,.0f}" in text
    assert f"{allocation.overall_balanced:.1f}" in text
