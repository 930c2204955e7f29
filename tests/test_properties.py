"""Engine invariants as hypothesis properties, and the fast path against the plain reference."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from engine import Settings, allocate, allocate_reference
from engine.refine import refine
from engine.rules import HELD, LOCKED, Rules, resolve_rules

from .conftest import account, load, load_ruled, rep, ruled_account, ruled_rep, settings

LOCATIONS = ["CA", "ca", " NY ", "TX", ""]
SEGMENT_WORDS = ["Enterprise", "MM"]
FAST = hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def datasets(draw):
    """Small datasets with many ties: few distinct ARRs, shared locations, owners in any case."""
    rep_names = draw(st.lists(st.sampled_from(["Ann", "ann2", "Bob", "Cy", "Dee", "eve", "Fay"]),
                              min_size=1, max_size=6, unique_by=str.casefold))
    reps = [rep(n, draw(st.sampled_from(SEGMENT_WORDS)), draw(st.sampled_from(LOCATIONS)))
            for n in rep_names]
    owners = [*rep_names, *(n.upper() for n in rep_names), "Zed", ""]
    n_accounts = draw(st.integers(1, 30))
    accounts = [account(f"A{i:02d}", draw(st.sampled_from([0, 100, 200, 250, 1000, 1234.5])),
                        employees=draw(st.sampled_from([10, 500, 999, 1000, 5000])),
                        location=draw(st.sampled_from(LOCATIONS)), owner=draw(st.sampled_from(owners)),
                        risk=draw(st.sampled_from(["", 0, 50, 70, 95])))
                for i in range(n_accounts)]
    return accounts, reps


@st.composite
def user_settings(draw):
    arr = draw(st.integers(0, 100))
    cnt = draw(st.integers(0, 100 - arr))
    return settings(threshold=draw(st.sampled_from([0, 500, 1000, 6000])), weights=(arr, cnt, 100 - arr - cnt),
                    geo=draw(st.sampled_from([0.0, 0.03, 0.05, 0.1])),
                    preserve=draw(st.sampled_from([0.0, 0.05, 0.1])),
                    high_risk=draw(st.sampled_from([0, 50, 70, 100])))


@FAST
@given(datasets(), user_settings())
def test_each_account_once_in_its_segment_when_segment_has_reps(data, s):
    d = load(*data)
    a = allocate(d, s)
    for name, segment in a.segments.items():
        assert sorted(segment.accounts) == sorted(np.flatnonzero(a.enterprise == (name == "Enterprise")))
        if len(segment.reps):
            assert set(a.assigned[segment.accounts]) <= set(segment.reps)  # isolated, never -1
        else:
            assert (a.assigned[segment.accounts] == -1).all()
    assigned = a.assigned >= 0
    assert (d.rep_is_enterprise[a.assigned[assigned]] == a.enterprise[assigned]).all()


@FAST
@given(datasets(), user_settings())
def test_arr_conserved(data, s):
    d = load(*data)
    a = allocate(d, s)
    for segment in a.segments.values():
        if len(segment.reps):
            assert np.isclose(segment.rep_arr.sum(), d.arr[segment.accounts].sum())
            assert segment.rep_accounts.sum() == len(segment.accounts)
    assert np.isclose(sum(s.arr for s in a.segments.values()), d.arr.sum())


@FAST
@given(datasets(), user_settings(), st.randoms(use_true_random=False))
def test_order_of_input_rows_is_irrelevant(data, s, rnd):
    accounts, reps = data
    d = load(accounts, reps)
    shuffled_accounts, shuffled_reps = accounts[:], reps[:]
    rnd.shuffle(shuffled_accounts)
    rnd.shuffle(shuffled_reps)
    e = load(shuffled_accounts, shuffled_reps)
    by_id = dict(zip(d.account_id, allocate(d, s).assigned_names(d)))
    a2 = allocate(e, s)
    assert dict(zip(e.account_id, a2.assigned_names(e))) == by_id
    assert a2.overall_balanced == allocate(d, s).overall_balanced


@FAST
@given(datasets(), user_settings())
def test_deterministic(data, s):
    d = load(*data)
    first, second = allocate(d, s), allocate(load(*data), s)
    assert (first.assigned == second.assigned).all()
    assert first.overall_custom == second.overall_custom


@FAST
@given(datasets(), user_settings())
def test_segments_isolated_changing_one_segment_leaves_the_other(data, s):
    accounts, reps = data
    d = load(accounts, reps)
    enterprise = d.employees >= s.threshold
    # Double every Mid-Market ARR: Enterprise assignments must not move.
    changed = [a[:3] + [a[3] * 2 if not e else a[3]] + a[4:] for a, e in zip(accounts, enterprise)]
    before, after = allocate(d, s), allocate(load(changed, reps), s)
    assert (before.assigned[enterprise] == after.assigned[enterprise]).all()


@hsettings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(datasets(), user_settings())
def test_fast_path_equals_reference(data, s):
    d = load(*data)
    fast, slow = allocate(d, s), allocate_reference(d, s)
    assert (fast.assigned == slow.assigned).all()
    for name in fast.segments:
        assert (fast.segments[name].rep_arr == slow.segments[name].rep_arr).all()
    for x, y in ((fast.overall_balanced, slow.overall_balanced), (fast.overall_custom, slow.overall_custom)):
        assert (x is None and y is None) or abs(x - y) <= 1e-9


def test_fast_path_equals_reference_on_generated_data():
    from engine import Source, load_csvs
    from engine.io.generate import generate

    accounts, reps = generate(1500, 14, seed=3)
    result = load_csvs(Source("r.csv", reps.to_csv(index=False).encode()),
                       Source("a.csv", accounts.to_csv(index=False).encode()))
    for weights in ((34, 33, 33), (100, 0, 0), (0, 100, 0), (10, 20, 70)):
        s = settings(threshold=2000, weights=weights)
        assert (allocate(result.dataset, s).assigned == allocate_reference(result.dataset, s).assigned).all()


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("m", [24, 120])
def test_fast_path_equals_reference_with_many_reps_per_location(seed, m):
    """Many reps share each location (up to 8 per location: scanned; 120 reps: 20 or more per
    location, so per-location trees decide); ARR rounded to 10,000 makes exact ties frequent."""
    from engine.kernels import GROUP_SCAN_MAX
    rng = np.random.default_rng(seed)
    n = 400
    assert (m // 4 * 2 // 3 > GROUP_SCAN_MAX) == (m == 120)
    reps = [rep(f"R{j:02d}", "Enterprise" if j % 3 else "MM", ["CA", "NY", "tx", ""][j % 4]) for j in range(m)]
    owners = [f"r{j:02d}" for j in range(m)] + ["Gone"]
    accounts = [account(f"A{i:04d}", int(rng.integers(0, 8)) * 10_000, employees=int(rng.integers(1, 5)) * 1000,
                        location=["CA", "ny", "TX", "WA", ""][int(rng.integers(0, 5))],
                        owner=owners[int(rng.integers(0, m + 1))], risk=int(rng.integers(0, 101)))
                for i in range(n)]
    d = load(accounts, reps)
    for weights, geo, preserve in (((34, 33, 33), 0.05, 0.05), ((0, 100, 0), 0.1, 0.0),
                                   ((100, 0, 0), 0.0, 0.1), ((20, 20, 60), 0.01, 0.02)):
        s = settings(threshold=3000, weights=weights, geo=geo, preserve=preserve)
        assert (allocate(d, s).assigned == allocate_reference(d, s).assigned).all()


# --- §7 rules -------------------------------------------------------------------------------

@st.composite
def ruled_datasets(draw):
    """`datasets` with the rule columns (Locked, Max_Accounts, Max_ARR, Ramp) filled at random,
    and rules settings (lock and review thresholds, default caps, pins) that use them."""
    accounts, reps = draw(datasets())
    accounts = [[*a, draw(st.sampled_from(["", "", "yes", "no", "x"]))] for a in accounts]
    reps = [[*r, draw(st.sampled_from(["", "", 0, 1, 2, 4])), draw(st.sampled_from(["", "", 500, 1500])),
             draw(st.sampled_from(["", "", 25, 50, 100]))] for r in reps]
    ids = [a[0] for a in accounts]
    names = [r[0] for r in reps] + ["Nobody"]
    pins = draw(st.dictionaries(st.sampled_from(ids + ["Q99"]), st.sampled_from(names), max_size=3))
    caps = st.sampled_from([None, None, 1, 3])
    rules = Rules(lock_arr_at_least=draw(st.sampled_from([None, None, 1000, 200])),
                  review_arr_at_least=draw(st.sampled_from([None, None, 1234.5, 1000])),
                  max_accounts={"Enterprise": draw(caps), "Mid-Market": draw(caps)},
                  max_arr={"Enterprise": draw(st.sampled_from([None, 2000.0])), "Mid-Market": None}, pins=pins)
    return load_ruled(accounts, reps), rules


@hsettings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ruled_datasets(), user_settings())
def test_with_rules_the_fast_path_equals_the_reference(data, s):
    d, rules = data
    s = s.with_rules(rules)
    fast, slow = allocate(d, s), allocate_reference(d, s)
    assert (fast.assigned == slow.assigned).all() and (fast.status == slow.status).all()
    for x, y in ((fast.overall_balanced, slow.overall_balanced), (fast.overall_custom, slow.overall_custom)):
        assert (x is None and y is None) or abs(x - y) <= 1e-9


@FAST
@given(ruled_datasets(), user_settings())
def test_locked_accounts_never_move_in_the_greedy_or_refine(data, s):
    d, rules = data
    greedy = allocate(d, s.with_rules(rules))
    pins = {k.casefold(): v.casefold() for k, v in rules.pins.items()}
    locked = np.flatnonzero(greedy.status == LOCKED)
    for i in locked:
        rep = greedy.assigned[i]
        pinned_here = pins.get(d.account_id[i].casefold()) == d.rep_name[rep].casefold()
        assert pinned_here or rep == d.owner[i]  # to its pin, else to its owner
        assert d.rep_is_enterprise[rep] == greedy.enterprise[i]
    refined = refine(d, greedy)
    assert (refined.assigned[locked] == greedy.assigned[locked]).all()


def books(d, a):
    """Each rep's account count and ARR, and how many of its accounts are locked."""
    placed = a.assigned >= 0
    counts = np.bincount(a.assigned[placed], minlength=d.n_reps)
    arr = np.bincount(a.assigned[placed], weights=d.arr[placed], minlength=d.n_reps)
    locked = placed & (a.status == LOCKED)
    return counts, arr, np.bincount(a.assigned[locked], minlength=d.n_reps)


@FAST
@given(ruled_datasets(), user_settings())
def test_no_rep_ever_exceeds_a_cap_except_by_locks(data, s):
    d, rules = data
    s = s.with_rules(rules)
    caps = resolve_rules(d, rules)
    greedy = allocate(d, s)
    for a in (greedy, refine(d, greedy)):
        counts, arr, locked_counts = books(d, a)
        over = (counts > caps.max_accounts) | (arr > caps.max_arr)
        assert (counts[over] == locked_counts[over]).all()  # a rep over a cap holds only locked accounts


@FAST
@given(ruled_datasets(), user_settings())
def test_held_accounts_are_in_no_book(data, s):
    d, rules = data
    a = allocate(d, s.with_rules(rules))
    held = a.status == HELD
    assert (a.assigned[held] == -1).all()
    assert (d.arr[held] >= (rules.review_arr_at_least or 0)).all()
    for segment in a.segments.values():
        assert segment.rep_accounts.sum() == (a.assigned[segment.accounts] >= 0).sum()


@FAST
@given(datasets(), user_settings())
def test_neutral_rule_columns_change_nothing(data, s):
    """Locked all no, no caps and every Ramp 100 give exactly the allocation without the columns."""
    accounts, reps = data
    plain = load(accounts, reps)
    neutral = load_ruled([[*a, "no"] for a in accounts], [[*r, "", "", 100] for r in reps])
    a, b = allocate(plain, s), allocate(neutral, s)
    assert (a.assigned == b.assigned).all() and a.overall_balanced == b.overall_balanced
    assert a.overall_custom == b.overall_custom


@hsettings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ruled_datasets(), user_settings())
def test_with_rules_sensitivity_equals_plain_allocations(data, s):
    from engine.sensitivity import sensitivity, sensitivity_reference
    d, rules = data
    s = s.with_rules(rules)
    fast, slow = sensitivity(d, s), sensitivity_reference(d, s)
    for f, p in zip(fast.points, slow.points):
        assert f.threshold == p.threshold and f.segments == p.segments
        for x, y in ((f.balanced, p.balanced), (f.custom, p.custom)):
            assert (x is None and y is None) or abs(x - y) <= 1e-9 * max(1, abs(y))


def test_with_rules_optimize_equals_the_exhaustive_plain_search():
    from engine.optimize import optimize_weights, optimize_weights_reference
    accounts = [ruled_account(f"A{i:02d}", 100 * (i % 7 + 1), employees=(i % 3) * 1000 + 10,
                              location=["CA", "NY"][i % 2], owner=["Ann", "Bo", "Cy", ""][i % 4],
                              risk=(i * 13) % 100, locked="yes" if i % 9 == 0 else "")
                for i in range(14)]
    reps = [ruled_rep("Ann", "E", "CA", max_accounts=4), ruled_rep("Bo", "E", "NY", ramp=50),
            ruled_rep("Cy", "MM", "CA"), ruled_rep("Di", "MM", "NY", max_arr=900)]
    d = load_ruled(accounts, reps)
    s = settings(threshold=1000, rules=Rules(review_arr_at_least=700))
    fast, slow = optimize_weights(d, s), optimize_weights_reference(d, s)
    assert fast.weights == slow.weights and fast.balanced == slow.balanced


def test_demo_allocation_is_what_the_release_before_rules_gave(demo):
    """A regression anchor: with no rule set, the demo at threshold 1,000 and the default weights
    assigns exactly as the build before §7 did (digest of the assigned names, recorded by running
    commit c43f515 on the current demo data). The refined score is the one with the smallest gain
    worth a change at its default of 0.02 points (99.527592585 with the old fixed 0.0005-point bar)."""
    import hashlib
    a = allocate(demo, Settings(1000))
    digest = hashlib.sha256("\n".join(a.assigned_names(demo)).encode()).hexdigest()[:16]
    refined = refine(demo, a)
    assert (digest, round(a.overall_balanced, 9), round(refined.overall_balanced, 9)) == (
        "2006d10a71b34a4c", 86.759105058, 99.622089051)
