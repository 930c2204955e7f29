"""PAGES.md: moving one weight slider rescales the other two so the three sum to 100."""
from hypothesis import given
from hypothesis import strategies as st

from engine import Weights

ARR, ACCOUNTS, RISK = 0, 1, 2


def test_pages_worked_example():
    assert Weights(50, 30, 20).rebalanced(ARR, 53) == Weights(53, 28, 19)


def test_the_larger_of_the_two_absorbs_the_rounding():
    # 99 split 1:1 is 49.5 + 49.5; rounded half up that is 100, so the first (a tie) gives one back
    assert Weights(1, 1, 98).rebalanced(RISK, 1) == Weights(49, 50, 1)
    # 40 split 1:1 is 20 + 20 exactly: nothing to absorb
    assert Weights(40, 30, 30).rebalanced(ARR, 60) == Weights(60, 20, 20)


def test_two_zero_weights_share_evenly():
    assert Weights(100, 0, 0).rebalanced(ARR, 90) == Weights(90, 5, 5)


def test_risk_locked_moves_only_arr_and_accounts():
    assert Weights(51, 49, 0).rebalanced(ARR, 70, risk_locked=True) == Weights(70, 30, 0)
    assert Weights(34, 33, 33).rebalanced(ACCOUNTS, 20, risk_locked=True) == Weights(80, 20, 0)
    assert Weights(51, 49, 0).rebalanced(RISK, 40, risk_locked=True) == Weights(51, 49, 0)


@given(st.integers(0, 100), st.integers(0, 100), st.integers(0, 2), st.integers(0, 100))
def test_always_sums_to_100_and_keeps_the_moved_value(a, b, driver, value):
    a, b = min(a, 100), min(b, 100 - min(a, 100))
    before = Weights(a, b, 100 - a - b)
    after = before.rebalanced(driver, value)
    assert sum(after.as_list()) == 100
    assert after.as_list()[driver] == value
    others = [i for i in range(3) if i != driver]
    x, y = (before.as_list()[i] for i in others)
    if x + y:  # proportional within one unit
        rest = 100 - value
        for i, share in zip(others, (x, y)):
            assert abs(after.as_list()[i] - share * rest / (x + y)) <= 1
