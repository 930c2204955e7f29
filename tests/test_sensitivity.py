"""ALLOCATION.md §5: one point per distinct employee count, N/A where a segment is empty."""
import threading
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings

from engine import allocate
from engine.sensitivity import curve_work, sensitivity, sensitivity_reference, sensitivity_thresholds

from .conftest import load, settings
from .test_generate import load_generated
from .test_properties import datasets, user_settings


def test_one_point_per_distinct_employee_count_plus_the_ends_and_the_current_threshold():
    employees = np.array([450.0, 2600.0, 5200.0, 2600.0])
    assert sensitivity_thresholds(employees, 2000) == [300, 450, 2000, 2600, 5200, 7000]


def test_current_threshold_included_even_off_the_grid():
    assert 2750 in sensitivity_thresholds(np.array([450.0, 5200.0]), 2750)


def test_beyond_400_points_they_are_spread_evenly_on_a_log_scale():
    employees = np.arange(1000.0, 1_000_001.0)  # every count from 10^3 to 10^6
    points = sensitivity_thresholds(employees, 123_456)
    assert len(points) <= 401
    assert points[0] == 1000 and points[-1] == 1_000_000 and 123_456 in points
    steps = np.diff(np.log10([p for p in points if p != 123_456]))
    assert steps.max() < 1.1 * 3 / 398 and steps.min() > 0.9 * 3 / 398  # 399 points over 3 decades


def test_between_two_points_the_split_does_not_change(fixture12):
    """The curve is exact: any threshold scores as the next point at or above it does."""
    s = settings(threshold=5000, weights=(33, 33, 34))
    points = sensitivity(fixture12, s).points
    for threshold in (701, 850, 1300, 3000, 6600, 11_000, 15_000):
        point = next(p for p in points if p.threshold >= threshold)
        a = allocate(fixture12, s.with_threshold(threshold))
        assert (a.overall_balanced, a.overall_custom) == (point.balanced, point.custom), threshold


def test_points_match_full_allocations_and_empty_segments_are_na(fixture12):
    s = settings(threshold=5000, weights=(33, 33, 34))
    result = sensitivity(fixture12, s)
    by_threshold = {p.threshold: p for p in result.points}
    low = by_threshold[700]  # every account is Enterprise: the Mid-Market team would sit idle
    assert low.balanced is None and low.deal_size_ratio is None and low.empty_segments == ["Mid-Market"]
    assert low.segments["Mid-Market"].accounts == 0 and low.segments["Enterprise"].accounts == 12
    assert max(by_threshold) == 20_000 and by_threshold[12_000].segments["Enterprise"].accounts == 1
    point = by_threshold[5000]
    a = allocate(fixture12, s)
    assert point.balanced == a.overall_balanced and point.custom == a.overall_custom
    ent = fixture12.arr[fixture12.employees >= 5000]
    mid = fixture12.arr[fixture12.employees < 5000]
    assert point.deal_size_ratio == pytest.approx(ent.mean() / mid.mean())
    assert point.segments["Enterprise"].arr_per_rep == pytest.approx(ent.sum() / 3)


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
        assert f.segments == p.segments
        assert close(f.balanced, p.balanced) and close(f.custom, p.custom)
        assert close(f.deal_size_ratio, p.deal_size_ratio)


@hsettings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(datasets(), user_settings())
def test_the_curve_on_one_thread_is_the_same_curve(data, s):
    """The dashboard computes small curves on one low-priority thread (issue 18)."""
    d = load(*data)
    work = curve_work(d, s)
    assert work.curve(work.rows_in_order(np.zeros(1, np.uint8))) == sensitivity(d, s)


def test_another_thread_stops_the_curve_on_one_thread():
    """The dashboard stops a curve nobody waits for any more (issue 18): the kernel looks at the
    flag between thresholds, not once before the loop."""
    work = curve_work(load_generated(10_000, 60, 3).dataset, settings(threshold=2000))
    assert work.rows_in_order(np.ones(1, np.uint8)) is None  # compiled before the clock starts
    stop, answer = np.zeros(1, np.uint8), []
    computing = threading.Thread(target=lambda: answer.append(work.rows_in_order(stop)))
    computing.start()
    time.sleep(0.05)  # a full curve takes about 0.3 s here
    stop[0] = 1
    computing.join()
    assert answer == [None]
    assert len(work.rows_in_order(np.zeros(1, np.uint8))) == len(work.thresholds) > 300


def test_cancel_between_chunks(fixture12):
    from engine.progress import Cancelled
    with pytest.raises(Cancelled):
        sensitivity(fixture12, settings(threshold=5000), progress=lambda fraction: False)


def test_point_of_an_allocation_equals_the_curve_point(fixture12):
    from engine.sensitivity import point_of
    s = settings(threshold=5000, weights=(33, 33, 34))
    curve = {p.threshold: p for p in sensitivity(fixture12, s).points}
    for threshold in (700, 5000, 7000):
        assert point_of(allocate(fixture12, s.with_threshold(threshold))) == curve[threshold]


@hsettings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(datasets(), user_settings())
def test_the_curve_is_exact_every_split_of_the_data_is_a_point(data, s):
    """Between two points no account changes segment, so a curve with a point at each distinct
    employee count (and the current threshold) misses nothing; each point is the full allocation
    at its threshold (the plain path's, above)."""
    d = load(*data)
    curve = sensitivity(d, s)
    thresholds = [p.threshold for p in curve.points]
    low, high = thresholds[0], thresholds[-1]
    distinct = {int(n) for n in np.unique(d.employees) if low <= n <= high and n >= 1}
    assert distinct <= set(thresholds) and curve.current_threshold in thresholds
    for point in curve.points[:5]:
        a = allocate(d, s.with_threshold(point.threshold))
        assert point.segments["Enterprise"].accounts == len(a.segments["Enterprise"].accounts)
        assert close(point.balanced, a.overall_balanced)
