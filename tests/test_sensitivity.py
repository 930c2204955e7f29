"""ALLOCATION.md §5: one point per slider stop, N/A where a segment is empty."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings

from engine import allocate
from engine.sensitivity import sensitivity, sensitivity_reference, sensitivity_thresholds

from .conftest import load, settings
from .test_properties import datasets, user_settings


def test_one_point_per_slider_stop():
    employees = np.array([450.0, 2600.0, 5200.0])
    assert sensitivity_thresholds(employees, 2000) == [0, 1000, 2000, 3000, 4000, 5000, 6000]


def test_current_threshold_included_even_off_the_grid():
    assert 2750 in sensitivity_thresholds(np.array([450.0, 5200.0]), 2750)


def test_at_most_400_points_evenly_spaced_with_current():
    employees = np.array([0.0, 1_000_000.0])
    points = sensitivity_thresholds(employees, 123_456)
    assert len(points) <= 400
    assert points[0] == 0 and points[-1] == 1_000_000 and 123_456 in points
    gaps = np.diff([p for p in points if p != 123_456])
    assert gaps.max() - gaps.min() <= 1000


def test_points_match_full_allocations_and_empty_segments_are_na(fixture12):
    s = settings(threshold=5000, weights=(33, 33, 34))
    result = sensitivity(fixture12, s)
    by_threshold = {p.threshold: p for p in result.points}
    assert by_threshold[0].balanced is None and by_threshold[0].deal_size_ratio is None
    assert by_threshold[0].mid_market.accounts == 0 and by_threshold[0].enterprise.accounts == 12
    assert max(by_threshold) == 12_000 and by_threshold[12_000].enterprise.accounts == 1
    point = by_threshold[5000]
    a = allocate(fixture12, s)
    assert point.balanced == a.overall_balanced and point.custom == a.overall_custom
    ent = fixture12.arr[fixture12.employees >= 5000]
    mid = fixture12.arr[fixture12.employees < 5000]
    assert point.deal_size_ratio == pytest.approx(ent.mean() / mid.mean())
    assert point.enterprise.arr_per_rep == pytest.approx(ent.sum() / 3)


def test_progress_reaches_one(fixture12):
    seen = []
    sensitivity(fixture12, settings(threshold=5000), progress=seen.append)
    assert seen[-1] == 1.0


def close(x, y):
    return (x is None and y is None) or (x is not None and y is not None and abs(x - y) <= 1e-9 * max(1, abs(y)))


@hsettings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(datasets(), user_settings())
def test_compiled_curve_equals_plain_allocations(data, s):
    d = load(*data)
    fast, slow = sensitivity(d, s), sensitivity_reference(d, s)
    assert [p.threshold for p in fast.points] == [p.threshold for p in slow.points]
    for f, p in zip(fast.points, slow.points):
        assert f.enterprise == p.enterprise and f.mid_market.accounts == p.mid_market.accounts
        assert close(f.balanced, p.balanced) and close(f.custom, p.custom)
        assert close(f.deal_size_ratio, p.deal_size_ratio)


def test_cancel_between_chunks(fixture12):
    from engine.progress import Cancelled
    with pytest.raises(Cancelled):
        sensitivity(fixture12, settings(threshold=5000), progress=lambda fraction: False)


def test_point_of_an_allocation_equals_the_curve_point(fixture12):
    from engine.sensitivity import point_of
    s = settings(threshold=5000, weights=(33, 33, 34))
    curve = {p.threshold: p for p in sensitivity(fixture12, s).points}
    for threshold in (0, 5000, 7000):
        assert point_of(allocate(fixture12, s.with_threshold(threshold))) == curve[threshold]
