"""ALLOCATION.md §6: every assignment explained, with the rule that decided it."""

from engine import allocate
from engine.audit import audit_index, audit_step, find_account, iter_audit, segment_reason

from .conftest import account, load, rep, settings

NO_BONUS = {"geo": 0.0, "preserve": 0.0}


def test_segment_reasons():
    assert segment_reason("Enterprise", 53_000, 2750) == "Enterprise (threshold 2,750: 53,000 ≥ 2,750)"
    assert segment_reason("Mid-Market", 450, 2750) == "Mid-Market (threshold 2,750: 450 < 2,750)"


def steps(dataset, s):
    return list(iter_audit(dataset, allocate(dataset, s)))


def test_alphabetical_tie_reason():
    d = load([account("A1", 100_000, location="WA", owner="Zed")], [rep("Charlie"), rep("Alice"), rep("Bob")])
    (step,) = steps(d, settings())
    assert step.winner == "Alice"
    assert step.reason.startswith("Tied with Bob, alphabetical")


def test_lower_current_arr_tie_reason():
    d = load([account(f"A{i}", arr) for i, arr in enumerate([400, 300, 200, 100])], [rep("A"), rep("B")])
    third = steps(d, settings(weights=(0, 100, 0), **NO_BONUS))[2]
    assert third.winner == "B"
    assert third.reason == "Tied with A, lower current ARR ($300 vs $400)."


def test_highest_need_reason():
    d = load([account("A1", 500), account("A2", 400)], [rep("RepA"), rep("RepB")])
    second = steps(d, settings(weights=(100, 0, 0), **NO_BONUS))[1]
    assert second.winner == "RepB"
    assert second.reason.startswith("Highest need: blended 1.0000, next RepA at ")


def test_bonus_reason_when_it_decides():
    d = load([account("A1", 100), account("A2", 100), account("A3", 10, owner="Ann", location="CA")],
             [rep("Ann", location="CA"), rep("Bob")])
    third = steps(d, settings(weights=(0, 100, 0), geo=0.1, preserve=0.1))[2]
    assert third.winner == "Ann"
    assert third.reason.startswith("Bonuses lifted it over Bob, the rep with the highest need")


def test_step_shows_running_totals_scores_and_winner(fixture12):
    s = settings(threshold=5000, weights=(33, 33, 34))
    all_steps = steps(fixture12, s)
    assert len(all_steps) == 12
    last_ent = [x for x in all_steps if x.segment == "Enterprise"][-1]
    assert last_ent.step == last_ent.steps == 6
    assert sum(r.accounts for r in last_ent.rows) == 5
    assert sum(r.winner for r in last_ent.rows) == 1
    winner_row = next(r for r in last_ent.rows if r.winner)
    assert winner_row.rep == last_ent.winner
    assert winner_row.total == max(r.total for r in last_ent.rows)


def test_random_access_step_equals_replayed_step(fixture12):
    s = settings(threshold=5000, weights=(33, 33, 34))
    a = allocate(fixture12, s)
    for replayed in iter_audit(fixture12, a):
        assert audit_step(fixture12, a, replayed.segment, replayed.step) == replayed


def test_audit_winners_match_the_allocation(fixture12):
    a = allocate(fixture12, settings(threshold=5000))
    for step in iter_audit(fixture12, a):
        assert a.assigned_names(fixture12)[step.account] == step.winner


def test_unassigned_accounts_have_no_step():
    d = load([account("E1", 100, employees=5000), account("M1", 100, employees=10)], [rep("Ent")])
    assert [s.account_id for s in steps(d, settings(threshold=1000))] == ["E1"]


def test_audit_index_pages_across_segments_and_filters(fixture12):
    allocation = allocate(fixture12, settings(threshold=5000, weights=(33, 33, 34)))
    everything = audit_index(fixture12, allocation)
    sizes = [len(allocation.segments[s].accounts) for s in ("Enterprise", "Mid-Market")]
    assert len(everything) == sum(sizes)
    assert everything.at(0) == ("Enterprise", "greedy", 1)
    assert everything.at(sizes[0]) == ("Mid-Market", "greedy", 1)
    assert everything.at(10**6) == ("Mid-Market", "greedy", sizes[1])  # clamped
    assert everything.position_of("Mid-Market", 2) == sizes[0] + 1
    bob = audit_index(fixture12, allocation, rep="Bob Smith")
    names = allocation.assigned_names(fixture12)
    assert len(bob) == names.count("Bob Smith")
    for k in range(len(bob)):
        segment, _, step = bob.at(k)
        assert audit_step(fixture12, allocation, segment, step).winner == "Bob Smith"
    assert len(audit_index(fixture12, allocation, segment="Mid-Market")) == sizes[1]


def test_find_account_by_id_or_name(fixture12):
    allocation = allocate(fixture12, settings(threshold=5000, weights=(33, 33, 34)))
    segment, step = find_account(fixture12, allocation, " acc-003 ")
    assert audit_step(fixture12, allocation, segment, step).account_id == "ACC-003"
    segment, step = find_account(fixture12, allocation, "megasoft")
    assert audit_step(fixture12, allocation, segment, step).account_name == "MegaSoft Industries"
    assert find_account(fixture12, allocation, "no such account") is None
    assert find_account(fixture12, allocation, "  ") is None


def test_an_accounts_history_lists_every_step_that_touched_it_and_where_it_ends():
    """PAGES.md §3 and issue 15: jumping to an account a later swap moved showed only its greedy step."""
    from app.store import demo_dataset
    from engine.audit import GREEDY, REFINE, account_history
    from engine.refine import refine

    demo = demo_dataset()
    greedy = allocate(demo, settings(threshold=1000))
    refined = refine(demo, greedy, "balanced")
    segment, log = next((name, r.log) for name, r in refined.refinement.segments.items() if len(r.log))
    kind, account, partner, giver, taker = log[0]
    history = account_history(demo, refined, int(account))
    phases = [entry.phase for entry in history.entries]
    assert phases[0] == GREEDY and REFINE in phases
    assert f"from {demo.rep_name[giver]} to {demo.rep_name[taker]}" in history.entries[phases.index(REFINE)].text
    assert history.ends_with == demo.rep_name[refined.assigned[account]]
    assert history.entries[0].text.endswith(f"assigned to {demo.rep_name[greedy.assigned[account]]}")
    untouched = int(next(a for a in range(demo.n_accounts) if a not in set(log[:, 1]) | set(log[:, 2])
                         and greedy.assigned[a] >= 0))
    assert [e.phase for e in account_history(demo, refined, untouched).entries] == [GREEDY]
