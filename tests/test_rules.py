"""ALLOCATION.md §7: locks, capacity, ramp and the review queue, each with a worked example
computed by hand, on both engine paths."""
import numpy as np
import pytest

from engine import allocate, allocate_reference
from engine.audit import audit_index, audit_step, iter_audit
from engine.refine import refine
from engine.review import review_queue
from engine.rules import ASSIGNED, AT_CAPACITY, HELD, LOCKED, Rules

from .conftest import load_ruled, ruled_account, ruled_rep, settings

BOTH_PATHS = pytest.mark.parametrize("run", [allocate, allocate_reference], ids=["fast", "reference"])
ARR_ONLY = {"weights": (100, 0, 0), "geo": 0.0, "preserve": 0.0}


def names(dataset, allocation):
    return dict(zip(dataset.account_id, allocation.assigned_names(dataset)))


def four_accounts(locked_x="", owner_x="B", **rep_fields):
    """Reps A and B; accounts X 500 (owned by B), Y 400 (owned by A), Z 300, W 200."""
    accounts = [ruled_account("X", 500, locked=locked_x, owner=owner_x), ruled_account("Y", 400, owner="A"),
                ruled_account("Z", 300), ruled_account("W", 200)]
    return load_ruled(accounts, [ruled_rep("A", **rep_fields.get("A", {})), ruled_rep("B", **rep_fields.get("B", {}))])


@BOTH_PATHS
def test_without_rules_the_greedy_splits_the_four_accounts(run):
    # Targets 700 each. X: tie at need 1 → A; Y: B (need 1 vs 2/7); Z: B (3/7 vs 2/7); W: A (2/7 vs 0).
    d = four_accounts()
    assert names(d, run(d, settings(**ARR_ONLY))) == {"X": "A", "Y": "B", "Z": "B", "W": "A"}


@BOTH_PATHS
def test_a_locked_account_goes_first_to_its_owner(run):
    # X is locked to B (c_B = 500), then Y: A (need 1 vs 2/7); Z: A (3/7 vs 2/7); W: B (0 vs 2/7).
    d = four_accounts(locked_x="yes")
    a = run(d, settings(**ARR_ONLY))
    assert names(d, a) == {"X": "B", "Y": "A", "Z": "A", "W": "B"}
    assert a.status[0] == LOCKED and list(a.status[1:]) == [ASSIGNED] * 3
    assert a.rules.locked == 1 and a.rules.success


@BOTH_PATHS
@pytest.mark.parametrize("word", ["Yes", " y ", "TRUE", "1", "x"])
def test_every_yes_word_locks(run, word):
    d = four_accounts(locked_x=word)
    assert names(d, run(d, settings(**ARR_ONLY)))["X"] == "B"


@BOTH_PATHS
def test_lock_arr_at_least_locks_big_accounts_to_their_owner(run):
    d = four_accounts()
    a = run(d, settings(**ARR_ONLY, rules=Rules(lock_arr_at_least=450)))
    assert names(d, a) == {"X": "B", "Y": "A", "Z": "A", "W": "B"}


@BOTH_PATHS
def test_a_lock_that_cannot_be_kept_is_not_kept_and_said(run):
    d = four_accounts(locked_x="yes", owner_x="Gone")  # the owner is not in the Reps file
    a = run(d, settings(**ARR_ONLY))
    assert names(d, a) == {"X": "A", "Y": "B", "Z": "B", "W": "A"}  # as if unlocked
    assert a.rules.locks_not_kept == (0,) and not a.rules.success
    assert any("could not be kept" in w and "X" in w for w in a.warnings)


@BOTH_PATHS
def test_a_lock_not_kept_may_be_held(run):
    d = four_accounts(locked_x="yes", owner_x="")
    a = run(d, settings(**ARR_ONLY, rules=Rules(review_arr_at_least=450)))
    assert a.status[0] == HELD and a.assigned[0] == -1


@BOTH_PATHS
def test_a_pin_locks_to_the_chosen_rep_and_beats_the_owner(run):
    d = four_accounts(locked_x="yes")
    a = run(d, settings(**ARR_ONLY, rules=Rules(pins={"x": "a"})))  # IDs and names match case-insensitively
    assert names(d, a)["X"] == "A" and a.status[0] == LOCKED


@BOTH_PATHS
def test_pins_to_unknown_accounts_or_reps_are_ignored_with_a_warning(run):
    d = four_accounts()
    a = run(d, settings(**ARR_ONLY, rules=Rules(pins={"Q": "A", "X": "Nobody"})))
    assert names(d, a) == {"X": "A", "Y": "B", "Z": "B", "W": "A"}
    assert any("no account has that ID" in w for w in a.warnings)
    assert any("Nobody is not in the Reps file" in w for w in a.warnings)


@BOTH_PATHS
def test_a_pin_to_a_rep_of_the_other_segment_is_ignored_and_other_locks_still_apply(run):
    accounts = [ruled_account("X", 500, locked="yes", owner="B"), ruled_account("Y", 400)]
    d = load_ruled(accounts, [ruled_rep("A"), ruled_rep("B"), ruled_rep("M", "MM")])
    a = run(d, settings(**ARR_ONLY, rules=Rules(pins={"X": "M"})))
    assert names(d, a)["X"] == "B" and a.status[0] == LOCKED
    assert any("Pin of account X ignored" in w for w in a.warnings)


@BOTH_PATHS
def test_held_accounts_wait_outside_every_book_and_target(run):
    # X (500) is held: targets are (400 + 300 + 200) / 2 = 450. Y: tie → A; Z: B (1 vs 1/9); W: B (1/9 vs 1/3).
    d = four_accounts()
    a = run(d, settings(**ARR_ONLY, rules=Rules(review_arr_at_least=450)))
    assert names(d, a) == {"X": "", "Y": "A", "Z": "B", "W": "B"}
    segment = a.segments["Enterprise"]
    assert list(segment.targets[0]) == [450.0, 450.0]
    assert a.status[0] == HELD and segment.held == 1 and segment.unassigned == 0
    assert segment.rep_arr.sum() == 900
    assert a.rules.held == 1


@BOTH_PATHS
def test_a_locked_account_is_never_held(run):
    d = four_accounts(locked_x="yes")
    a = run(d, settings(**ARR_ONLY, rules=Rules(review_arr_at_least=450)))
    assert a.status[0] == LOCKED and names(d, a)["X"] == "B"


@BOTH_PATHS
def test_a_rep_at_its_account_cap_is_skipped(run):
    # Targets 500. 400: tie → A (A now at 1 of 1); 300, 200 and 100 can only go to B.
    accounts = [ruled_account(f"A{arr}", arr) for arr in (400, 300, 200, 100)]
    d = load_ruled(accounts, [ruled_rep("A", max_accounts=1), ruled_rep("B")])
    a = run(d, settings(**ARR_ONLY))
    assert list(a.assigned_names(d)) == ["A", "B", "B", "B"]


@BOTH_PATHS
def test_an_account_no_rep_can_take_stays_unassigned_at_capacity(run):
    accounts = [ruled_account(f"A{arr}", arr) for arr in (400, 300, 200, 100)]
    d = load_ruled(accounts, [ruled_rep("A", max_accounts=1), ruled_rep("B", max_accounts=2)])
    a = run(d, settings(**ARR_ONLY))
    assert list(a.assigned_names(d)) == ["A", "B", "B", ""]
    assert a.status[3] == AT_CAPACITY and a.segments["Enterprise"].unassigned == 1
    assert a.rules.unassigned_at_capacity == 1 and a.rules.unassigned_at_capacity_arr == 100
    assert any("every rep of the segment is at capacity" in w for w in a.warnings)


@BOTH_PATHS
def test_an_arr_cap_is_checked_after_taking_the_account(run):
    # A may hold $450. 400 → A; 300 → B; 200: A would reach 600 > 450 → B; 100: A would reach 500 → B.
    accounts = [ruled_account(f"A{arr}", arr) for arr in (400, 300, 200, 100)]
    d = load_ruled(accounts, [ruled_rep("A", max_arr=450), ruled_rep("B")])
    assert list(run(d, settings(**ARR_ONLY)).assigned_names(d)) == ["A", "B", "B", "B"]


@BOTH_PATHS
def test_segment_default_caps_apply_to_reps_without_their_own(run):
    accounts = [ruled_account(f"A{arr}", arr) for arr in (400, 300, 200, 100)]
    d = load_ruled(accounts, [ruled_rep("A"), ruled_rep("B", max_accounts=3)])
    a = run(d, settings(**ARR_ONLY, rules=Rules(max_accounts={"Enterprise": 1})))
    assert list(a.assigned_names(d)) == ["A", "B", "B", "B"]  # A capped at 1 by default, B at its own 3


@BOTH_PATHS
def test_a_lock_beats_a_cap_and_a_warning_says_by_how_much(run):
    accounts = [ruled_account("X", 500, locked="yes", owner="A"), ruled_account("Y", 400, locked="y", owner="A"),
                ruled_account("Z", 300)]
    d = load_ruled(accounts, [ruled_rep("A", max_accounts=1), ruled_rep("B")])
    a = run(d, settings(**ARR_ONLY))
    assert list(a.assigned_names(d)) == ["A", "A", "B"]
    assert a.rules.over_cap_by_locks == ((0, "accounts", 2.0, 1.0),)
    assert any("A is over a cap because of locked accounts: 2 accounts, cap 1" in w for w in a.warnings)


@BOTH_PATHS
def test_ramp_scales_each_reps_target_and_fairness_reads_full_books(run):
    # A ramps at 50%: targets 900 × 50 / 150 = 300 and 900 × 100 / 150 = 600. First 300: tie at
    # need 1 → A; then A's need is 0 and B takes the other two. Scaled to a full book A holds
    # 600 ARR and 2 accounts like B: every driver scores 100.
    accounts = [ruled_account(f"A{i}", 300) for i in range(3)]
    d = load_ruled(accounts, [ruled_rep("A", ramp=50), ruled_rep("B")])
    a = run(d, settings(**ARR_ONLY))
    segment = a.segments["Enterprise"]
    assert list(segment.targets[0]) == [300.0, 600.0]
    assert list(a.assigned_names(d)) == ["A", "B", "B"]
    assert segment.fairness.arr == 100.0 and segment.fairness.accounts == 100.0


def test_targets_multiply_before_they_divide():
    accounts = [ruled_account(f"A{i}", arr) for i, arr in enumerate((0.1, 0.2, 0.3))]
    d = load_ruled(accounts, [ruled_rep("A", ramp=30), ruled_rep("B", ramp=70), ruled_rep("C")])
    total = 0.3 + 0.2 + 0.1  # summed in processing order, biggest ARR first
    targets = allocate(d, settings(**ARR_ONLY)).segments["Enterprise"].targets[0]
    assert list(targets) == [total * 30 / 200, total * 70 / 200, total * 100 / 200]


def test_the_audit_shows_locked_steps_first_with_their_reason():
    d = four_accounts(locked_x="yes")
    a = allocate(d, settings(**ARR_ONLY, rules=Rules(lock_arr_at_least=400, pins={"Z": "B"})))
    steps = list(iter_audit(d, a))
    assert [(s.account_id, s.winner, s.locked) for s in steps[:3]] == [("X", "B", True), ("Y", "A", True),
                                                                        ("Z", "B", True)]
    assert [s.reason for s in steps[:3]] == ["Locked to its owner: Locked column.",
                                             "Locked to its owner: ARR ≥ $400.", "Locked to B: pinned by you."]
    assert audit_step(d, a, "Enterprise", 2).reason == steps[1].reason
    assert [(s.account_id, s.locked) for s in steps[3:]] == [("W", False)]
    assert steps[3].rows[0].arr == 400.0  # the locked accounts count in the running totals


def test_the_audit_names_the_rep_a_cap_stopped():
    accounts = [ruled_account(f"A{arr}", arr) for arr in (400, 300, 200, 100)]
    d = load_ruled(accounts, [ruled_rep("A", max_accounts=1), ruled_rep("B", max_accounts=3)])
    a = allocate(d, settings(**ARR_ONLY))
    last = audit_step(d, a, "Enterprise", 4)  # A's need 0.2 beats B's 0, but A holds 1 of 1
    assert last.winner == "B"
    assert last.reason.startswith("A was at capacity: 1 of 1 accounts.")
    assert [row.fits for row in last.rows] == [False, True]
    assert [s.reason for s in iter_audit(d, a)][3] == last.reason


def test_the_audit_says_when_every_rep_is_at_capacity_and_skips_held_accounts():
    accounts = [ruled_account(f"A{arr}", arr) for arr in (400, 300, 200, 100, 50)]
    d = load_ruled(accounts, [ruled_rep("A", max_accounts=1), ruled_rep("B", max_accounts=2)])
    a = allocate(d, settings(**ARR_ONLY, rules=Rules(review_arr_at_least=350)))  # 400 is held
    index = audit_index(d, a)
    assert len(index) == 4  # the held account has no step
    step = audit_step(d, a, "Enterprise", 4)
    assert step.account_id == "A50" and step.winner == ""
    assert step.reason.startswith("Every rep of the segment is at capacity")


def test_refine_never_moves_a_locked_account_nor_breaks_a_cap():
    # A greedy that leaves room to improve: weights on ARR only leave the counts uneven.
    accounts = [ruled_account("L", 1000, locked="yes", owner="A"),
                *[ruled_account(f"S{i}", 100 + i) for i in range(9)]]
    d = load_ruled(accounts, [ruled_rep("A"), ruled_rep("B", max_accounts=6), ruled_rep("C")])
    greedy = allocate(d, settings(**ARR_ONLY))
    refined = refine(d, greedy)
    assert refined.refinement.changes > 0
    assert refined.assigned_names(d)[0] == "A"
    counts = np.bincount(refined.assigned[refined.assigned >= 0], minlength=3)
    assert counts[1] <= 6
    assert refined.overall_balanced >= greedy.overall_balanced


def test_refine_leaves_held_and_unplaced_accounts_out_of_every_book():
    accounts = [ruled_account(f"A{i}", 1000 - 10 * i) for i in range(12)]
    d = load_ruled(accounts, [ruled_rep("A", max_accounts=4), ruled_rep("B", max_accounts=4), ruled_rep("C")])
    greedy = allocate(d, settings(**ARR_ONLY, rules=Rules(review_arr_at_least=995, max_accounts={"Enterprise": 5})))
    refined = refine(d, greedy)
    assert (refined.assigned[greedy.status == HELD] == -1).all()
    assert (refined.assigned[greedy.status == AT_CAPACITY] == -1).all()
    assert (refined.status == greedy.status).all()


def test_refine_scores_ramping_reps_on_full_books():
    """With ramping reps the means move with every change; the search's own CV% after its last
    change must equal the refined books' CV% scaled to full books."""
    rng = np.random.default_rng(5)
    accounts = [ruled_account(f"A{i:02d}", int(v)) for i, v in enumerate(rng.integers(100, 5000, 40))]
    d = load_ruled(accounts, [ruled_rep("A", ramp=50), ruled_rep("B"), ruled_rep("C", ramp=80), ruled_rep("D")])
    greedy = allocate(d, settings(**ARR_ONLY))
    refined = refine(d, greedy)
    log = refined.refinement.segments["Enterprise"]
    assert log.changes > 0 and refined.overall_balanced > greedy.overall_balanced
    fairness = refined.segments["Enterprise"].fairness
    assert log.cvs[-1][:2] == pytest.approx([fairness.cv_arr, fairness.cv_accounts], rel=1e-9)


def test_the_review_queue_suggests_the_rep_the_greedy_would_pick_after_all_other_accounts():
    # After Y, Z and W: A holds 400 and B 500 (targets 450): A's need 1/9 beats B's −1/9.
    d = four_accounts()
    a = allocate(d, settings(**ARR_ONLY, rules=Rules(review_arr_at_least=450)))
    assert [(d.account_id[h.account], h.segment, d.rep_name[h.suggested]) for h in review_queue(d, a)] == [
        ("X", "Enterprise", "A")]


def test_a_ramping_rep_is_never_suggested_for_a_held_account():
    d = four_accounts(A={"ramp": 60})
    a = allocate(d, settings(**ARR_ONLY, rules=Rules(review_arr_at_least=450)))
    assert [d.rep_name[h.suggested] for h in review_queue(d, a)] == ["B"]


def test_held_accounts_are_suggested_in_turn_as_if_the_greedy_went_on():
    # Y and Z are held (≥ 300): W goes to A (tie) and X is locked to B. Then Y (400): A holds 200,
    # B 500, targets 350: A's need 3/7 → A; then Z (300): A at 600 has need −5/7, B −1/7 → B.
    d = four_accounts(locked_x="yes")
    a = allocate(d, settings(**ARR_ONLY, rules=Rules(review_arr_at_least=300)))
    assert [(d.account_id[h.account], d.rep_name[h.suggested]) for h in review_queue(d, a)] == [("Y", "A"),
                                                                                                 ("Z", "B")]


def test_no_suggestion_when_no_fully_ramped_rep_has_room():
    d = four_accounts(A={"ramp": 50}, B={"max_accounts": 1})
    a = allocate(d, settings(**ARR_ONLY, rules=Rules(review_arr_at_least=450)))
    assert [h.suggested for h in review_queue(d, a)] == [None]
