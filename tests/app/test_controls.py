"""The sidebar's rules: settings after each kind of control move, after new data and a reset."""
import pytest

from app.controls import (
    compact,
    control_values,
    format_count,
    next_settings,
    parse_count,
    slider_marks,
    stop_index,
)

STOPS = [300, 500, 700, 1000, 2000, 3000, 5000, 7000, 10_000, 20_000]
DATA = {"key": "k1", "has_risk": True, "default_threshold": 5000, "range": [300, 20_000], "stops": STOPS}
NO_RISK = {**DATA, "key": "k2", "has_risk": False}
NO_RULES = {"lock_arr_at_least": None, "review_arr_at_least": None,
            "max_accounts": {"Enterprise": None, "Mid-Market": None},
            "max_arr": {"Enterprise": None, "Mid-Market": None}, "pins": {}}


def inputs(**changes):
    base = {"threshold": 6, "threshold_text": "5,000", "pick": None, "weights_pick": None, "weight_arr": 34,
            "weight_accounts": 33, "weight_risk": 33, "geo": 0.05, "preserve": 0.05, "high_risk": 70,
            "refine": False, "objective": "balanced", "min_gain": "0.02", "lock_arr": "", "review_arr": "",
            "cap_accounts_e": "",
            "cap_arr_e": "", "cap_accounts_m": "", "cap_arr_m": "", "pin": None, "reset": None,
            "mode": "redraw", "band": 15, "drivers": ["arr", "accounts"], "waves": 2}
    return {**base, **changes}


def stored(**changes):
    base = {"data_key": "k1", "threshold": 5000, "weights": [34, 33, 33], "geo": 0.05, "preserve": 0.05,
            "high_risk": 70, "refine": False, "objective": "balanced", "min_gain": 0.02, "rules": NO_RULES,
            "mode": "redraw", "band": 15.0, "drivers": ["arr", "accounts"], "waves": 2}
    return {**base, **changes}


def rules(**changes):
    return {**NO_RULES, **changes}


def settings_after(trigger, **moved):
    return next_settings(trigger, inputs(**moved), stored(), DATA).settings


def test_first_load_uses_the_data_default_threshold_and_default_weights():
    change = next_settings(None, inputs(), None, DATA)
    assert change.settings == stored() and change.reset is None


def test_a_reload_restores_what_the_session_had():
    mine = stored(threshold=12000, weights=[50, 30, 20], geo=0.08, rules=rules(pins={"A1": "Bob"}))
    assert next_settings(None, inputs(), mine, DATA).settings == mine


def test_new_data_starts_from_its_defaults_and_says_so():
    mine = stored(data_key="old", threshold=12000, weights=[50, 30, 20], geo=0.08, refine=True,
                  rules=rules(lock_arr_at_least=5e5))
    change = next_settings("data", inputs(), mine, DATA)
    assert change.settings == stored() and change.reset == "new data"


def test_the_reset_control_goes_back_to_the_defaults():
    mine = stored(threshold=12000, weights=[50, 30, 20], rules=rules(pins={"A1": "Bob"}))
    change = next_settings("reset", inputs(reset=1), mine, DATA)
    assert change.settings == stored() and change.reset == "reset"


def test_data_without_risk_starts_with_risk_at_zero():
    assert next_settings("data", inputs(), stored(data_key="old"), NO_RISK).settings["weights"] == [51, 49, 0]


def test_moving_a_weight_rebalances_the_others():
    result = next_settings("weight_arr", inputs(weight_arr=53), stored(weights=[50, 30, 20]), DATA)
    assert result.settings["weights"] == [53, 28, 19]


def test_risk_weight_stays_zero_without_risk_scores():
    mine = stored(data_key="k2", weights=[51, 49, 0])
    assert next_settings("weight_arr", inputs(weight_arr=70), mine, NO_RISK).settings["weights"] == [70, 30, 0]


@pytest.mark.parametrize("text, expected", [("12,500", 12500), (" 7 000 ", 7000), ("300", 300), ("1", 1),
                                            ("100,000,000", 100_000_000)])
def test_the_number_box_accepts_any_whole_number_from_1_to_10_to_the_8th(text, expected):
    assert settings_after("threshold_text", threshold_text=text)["threshold"] == expected


@pytest.mark.parametrize("text", ["lots", "5k", "-200", "0", "12.5", "100,000,001", "1e308", "9" * 400])
def test_anything_else_in_the_number_box_is_refused_with_a_message(text):
    change = next_settings("threshold_text", inputs(threshold_text=text), stored(), DATA)
    assert change.settings["threshold"] == 5000
    assert "is not a threshold" in change.feedback["threshold_text"] and "1 to 100,000,000" in change.feedback[
        "threshold_text"]


def test_the_slider_moves_between_logarithmic_stops_and_a_chart_click_anywhere():
    assert settings_after("threshold", threshold=8)["threshold"] == 10_000
    assert settings_after("pick", pick={"threshold": 14000})["threshold"] == 14000
    assert settings_after("threshold", threshold=99)["threshold"] == 5000   # no such stop: ignored
    assert settings_after("pick", pick={"threshold": 1e308})["threshold"] == 5000


def test_the_slider_shows_the_stop_nearest_the_threshold_on_a_log_scale():
    assert stop_index(STOPS, 5000) == 6 and stop_index(STOPS, 5800) == 6 and stop_index(STOPS, 6000) == 7
    assert stop_index(STOPS, 1) == 0 and stop_index(STOPS, 10**8) == len(STOPS) - 1


def test_slider_marks_label_the_powers_of_ten_and_both_ends():
    assert slider_marks(STOPS) == {0: "300", 3: "1k", 8: "10k", 9: "20k"}
    assert compact(2_000_000) == "2M" and compact(1500) == "1,500"


def test_preferences_move_independently():
    result = settings_after("high_risk", high_risk=55, geo=0.1)
    assert (result["geo"], result["preserve"], result["high_risk"]) == (0.1, 0.05, 55)


def test_a_tampered_store_falls_back_to_defaults():
    for tampered in (stored(weights=[90, 90, 90]), stored(threshold=1e308), stored(threshold="5000"),
                     stored(rules={"pins": {"A": 5}}), stored(rules={"pins": {f"A{i}": "B" for i in range(10_001)}}),
                     stored(rules={"max_accounts": {"Everyone": 5}}), stored(geo="0.05")):
        assert next_settings(None, inputs(), tampered, DATA).settings == stored()


def test_parse_and_format_counts():
    assert parse_count("1,234") == 1234 and parse_count("12.6") is None and parse_count("5k") is None
    assert parse_count("nan") is None and parse_count("") is None and parse_count(None) is None
    assert format_count(1234567) == "1,234,567"


def test_refine_switch_and_objective_are_kept_until_new_data():
    on = next_settings("refine", inputs(refine=True), stored(), DATA).settings
    assert on == stored(refine=True)
    custom = next_settings("objective", inputs(refine=True, objective="custom"), on, DATA).settings
    assert custom == stored(refine=True, objective="custom")
    off = next_settings("refine", inputs(refine=False, objective="custom"), custom, DATA).settings
    assert off == stored(objective="custom")  # the objective waits for the switch


def test_a_tampered_refine_choice_reads_as_off():
    assert next_settings(None, inputs(), stored(refine="yes", objective="speed"), DATA).settings == stored()


def test_the_smallest_gain_worth_a_change_is_one_of_the_offered_values():
    chosen = next_settings("min_gain", inputs(refine=True, min_gain="0.1"), stored(refine=True), DATA).settings
    assert chosen == stored(refine=True, min_gain=0.1)
    assert next_settings("min_gain", inputs(min_gain="0"), stored(), DATA).settings == stored(min_gain=0.0)
    for hostile in ("0.03", "-1", "1e308", "nan", "x" * 10_000, None, [0.1], {"a": 1}, True):
        assert next_settings("min_gain", inputs(min_gain=hostile), stored(), DATA).settings == stored()
        assert next_settings(None, inputs(), stored(min_gain=hostile), DATA).settings == stored()


@pytest.mark.parametrize("box, text, rule", [
    ("lock_arr", "$500,000", {"lock_arr_at_least": 500_000.0}),
    ("review_arr", "1,000,000", {"review_arr_at_least": 1_000_000.0}),
    ("cap_accounts_e", "80", {"max_accounts": {"Enterprise": 80.0, "Mid-Market": None}}),
    ("cap_arr_m", "$2,500,000", {"max_arr": {"Enterprise": None, "Mid-Market": 2_500_000.0}}),
])
def test_rule_boxes_set_the_rules(box, text, rule):
    assert settings_after(box, **{box: text})["rules"] == rules(**rule)


def test_a_blank_rule_box_turns_the_rule_off():
    before = stored(rules=rules(lock_arr_at_least=5e5))
    assert next_settings("lock_arr", inputs(lock_arr=" "), before, DATA).settings["rules"] == NO_RULES


@pytest.mark.parametrize("box, text, kind", [("lock_arr", "lots", "an amount of ARR"),
                                             ("cap_accounts_m", "2.5", "a whole number of accounts"),
                                             ("cap_arr_e", "-5", "an amount of ARR"),
                                             ("review_arr", "1e13", "an amount of ARR")])
def test_a_bad_rule_box_is_refused_with_a_message_and_the_rule_stays(box, text, kind):
    before = stored(rules=rules(lock_arr_at_least=5e5))
    change = next_settings(box, inputs(**{box: text}), before, DATA)
    assert change.settings == before and kind in change.feedback[box]


def test_pins_and_unpins_arrive_as_requests():
    pinned = next_settings("pin", inputs(pin={"account": "A1", "rep": "Bob"}), stored(), DATA).settings
    assert pinned["rules"]["pins"] == {"A1": "Bob"}
    moved = next_settings("pin", inputs(pin={"account": "A1", "rep": "Cy"}), pinned, DATA).settings
    assert moved["rules"]["pins"] == {"A1": "Cy"}
    unpinned = next_settings("pin", inputs(pin={"account": "A1", "rep": None}), moved, DATA).settings
    assert unpinned["rules"]["pins"] == {}


@pytest.mark.parametrize("request_", [{"account": 5, "rep": "Bob"}, {"account": "A1", "rep": ["Bob"]},
                                      {"account": "x" * 301, "rep": "Bob"}, "A1", None])
def test_a_malformed_pin_request_changes_nothing(request_):
    assert next_settings("pin", inputs(pin=request_), stored(), DATA).settings == stored()


def test_control_values_show_the_settings_in_the_boxes_words():
    shown = control_values(stored(threshold=6500, rules=rules(lock_arr_at_least=5e5,
                                                              max_accounts={"Enterprise": 80.0, "Mid-Market": None})),
                           DATA)
    assert shown["threshold"] == 7 and shown["threshold_text"] == "6,500"
    assert shown["lock_arr"] == "$500,000" and shown["review_arr"] == ""
    assert shown["cap_accounts_e"] == "80" and shown["cap_accounts_m"] == ""


def test_the_mode_and_its_plan_controls_are_kept():
    rebalancing = settings_after("mode", mode="rebalance")
    assert rebalancing["mode"] == "rebalance"
    tighter = next_settings("band", inputs(band=5), rebalancing, DATA).settings
    assert tighter["band"] == 5 and tighter["mode"] == "rebalance"
    risk = next_settings("drivers", inputs(drivers=["arr", "risk"]), tighter, DATA).settings
    assert risk["drivers"] == ["arr", "risk"]
    waves = next_settings("waves", inputs(waves=3), risk, DATA).settings
    assert waves["waves"] == 3


@pytest.mark.parametrize("control, value", [("band", 70), ("band", "x"), ("waves", 0), ("waves", 99), ("waves", 2.5),
                                            ("drivers", []), ("drivers", ["arr", "love"]), ("mode", "chaos")])
def test_a_plan_control_out_of_range_changes_nothing(control, value):
    assert next_settings(control, inputs(**{control: value}), stored(), DATA).settings == stored()


def test_data_that_comes_with_settings_starts_from_them():
    """An opened scenario: its settings, not the data's defaults, whatever order callbacks run in."""
    saved = stored(threshold=2500, refine=True, min_gain=0.05, mode="rebalance")
    opened = {**DATA, "key": "k9", "settings": {**saved, "data_key": "elsewhere"}}
    assert next_settings(None, inputs(), stored(), opened).settings == {**saved, "data_key": "k9"}
    assert next_settings("reset", inputs(), {**saved, "data_key": "k9"}, opened).settings == stored(data_key="k9")
    hostile = {**opened, "settings": {"threshold": "1e308"}}
    assert next_settings(None, inputs(), None, hostile).settings == stored(data_key="k9")
