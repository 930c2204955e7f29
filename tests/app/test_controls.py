"""The sidebar's rules: settings after each kind of control move, and after a new dataset."""
import pytest

from app.controls import format_count, next_settings, parse_count, slider_marks
from app.ids import Ids

DATA = {"key": "k1", "has_risk": True, "default_threshold": 5000, "range": [0, 20000]}
NO_RISK = {**DATA, "key": "k2", "has_risk": False}


def inputs(**changes):
    base = {"threshold": 5000, "threshold_text": "5,000", "pick": None, "weights_pick": None, "weights": [34, 33, 33],
            "geo": 0.05, "preserve": 0.05, "high_risk": 70, "refine": False, "objective": "balanced"}
    return {**base, **changes}


def stored(**changes):
    base = {"data_key": "k1", "threshold": 5000, "weights": [34, 33, 33], "geo": 0.05, "preserve": 0.05,
            "high_risk": 70, "refine": False, "objective": "balanced"}
    return {**base, **changes}


def test_first_load_uses_the_data_default_threshold_and_default_weights():
    assert next_settings(None, inputs(), None, DATA) == stored()


def test_a_reload_restores_what_the_session_had():
    mine = stored(threshold=12000, weights=[50, 30, 20], geo=0.08)
    assert next_settings(None, inputs(), mine, DATA) == mine


def test_new_data_resets_the_threshold_but_keeps_weights_and_preferences():
    mine = stored(data_key="old", threshold=12000, weights=[50, 30, 20], geo=0.08)
    assert next_settings(Ids.DATA, inputs(), mine, DATA) == stored(weights=[50, 30, 20], geo=0.08)


def test_data_without_risk_forces_risk_to_zero_keeping_the_ratio():
    mine = stored(data_key="old", weights=[50, 30, 20])
    assert next_settings(Ids.DATA, inputs(), mine, NO_RISK)["weights"] == [63, 37, 0]


def test_moving_a_weight_rebalances_the_others():
    result = next_settings(Ids.WEIGHT_ARR, inputs(weights=[53, 30, 20]), stored(weights=[50, 30, 20]), DATA)
    assert result["weights"] == [53, 28, 19]


def test_risk_weight_stays_zero_without_risk_scores():
    mine = stored(data_key="k2", weights=[51, 49, 0])
    assert next_settings(Ids.WEIGHT_ARR, inputs(weights=[70, 49, 0]), mine, NO_RISK)["weights"] == [70, 30, 0]


@pytest.mark.parametrize("text, expected", [("12,500", 12500), (" 7 000 ", 7000), ("300", 300), ("-5", -5)])
def test_the_number_box_accepts_any_integer_with_separators(text, expected):
    assert next_settings(Ids.THRESHOLD_INPUT, inputs(threshold_text=text), stored(), DATA)["threshold"] == expected


def test_unreadable_number_box_text_keeps_the_threshold():
    assert next_settings(Ids.THRESHOLD_INPUT, inputs(threshold_text="lots"), stored(), DATA)["threshold"] == 5000


def test_slider_and_chart_click_move_the_threshold():
    assert next_settings(Ids.THRESHOLD, inputs(threshold=9000), stored(), DATA)["threshold"] == 9000
    pick = inputs(pick={"threshold": 14000})
    assert next_settings(Ids.THRESHOLD_PICK, pick, stored(), DATA)["threshold"] == 14000


def test_preferences_move_independently():
    result = next_settings(Ids.HIGH_RISK, inputs(high_risk=55, geo=0.1), stored(), DATA)
    assert (result["geo"], result["preserve"], result["high_risk"]) == (0.1, 0.05, 55)


def test_a_tampered_store_falls_back_to_defaults():
    assert next_settings(None, inputs(), stored(weights=[90, 90, 90]), DATA) == stored()


def test_parse_and_format_counts():
    assert parse_count("1,234") == 1234 and parse_count("12.6") == 13
    assert parse_count("nan") is None and parse_count("") is None and parse_count(None) is None
    assert format_count(1234567) == "1,234,567"


def test_slider_marks_span_the_range_with_round_labels():
    marks = slider_marks(0, 72000)
    assert min(marks) == 0 and max(marks) == 72000 and len(marks) == 5
    assert marks[18000] == "18,000"


def test_refine_switch_and_objective_are_kept_and_survive_new_data():
    on = next_settings(Ids.REFINE, inputs(refine=True), stored(), DATA)
    assert on == stored(refine=True)
    custom = next_settings(Ids.REFINE_OBJECTIVE, inputs(refine=True, objective="custom"), on, DATA)
    assert custom == stored(refine=True, objective="custom")
    assert next_settings(Ids.DATA, inputs(), {**custom, "data_key": "old"}, DATA) == stored(refine=True,
                                                                                             objective="custom")
    off = next_settings(Ids.REFINE, inputs(refine=False, objective="custom"), custom, DATA)
    assert off == stored(objective="custom")  # the objective waits for the switch


def test_a_tampered_refine_choice_reads_as_off():
    assert next_settings(None, inputs(), stored(refine="yes", objective="speed"), DATA) == stored()
