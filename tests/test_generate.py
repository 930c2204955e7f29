"""The seeded generator behind the demo and benchmark data."""
import numpy as np

from engine import Source, load_csvs
from engine.io.generate import generate

from .conftest import DATA


def load_generated(n, reps, seed):
    accounts, rep_table = generate(n, reps, seed)
    return load_csvs(Source("r.csv", rep_table.to_csv(index=False).encode()),
                     Source("a.csv", accounts.to_csv(index=False).encode()))


def test_same_seed_same_data_and_different_seed_differs():
    a1, r1 = generate(300, 8, 5)
    a2, r2 = generate(300, 8, 5)
    assert a1.equals(a2) and r1.equals(r2)
    assert not generate(300, 8, 6)[0].equals(a1)


def test_generated_data_loads_with_realistic_shape():
    result = load_generated(3000, 30, 1)
    assert result.ok
    d = result.dataset
    assert d.n_accounts == 3000 and d.n_reps == 30 and d.has_risk
    assert np.corrcoef(np.log(d.employees), np.log(d.arr + 1))[0, 1] > 0.6  # ARR grows with size
    assert set(d.rep_location_code) <= set(d.account_location_code) | {-2}
    assert any("Calif." in str(m) for m in result.report.warnings)


def test_more_reps_than_name_pairs_stay_unique():
    assert load_generated(50, 500, 2).ok


def test_committed_demo_matches_the_generator():
    accounts, reps = generate(2000, 24, 7)
    demo = DATA.parent.parent / "data" / "demo"
    assert (demo / "accounts.csv").read_text() == accounts.to_csv(index=False, lineterminator="\n")
    assert (demo / "reps.csv").read_text() == reps.to_csv(index=False, lineterminator="\n")
