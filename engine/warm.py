"""Compile every kernel once and keep the machine code on disk, so nobody waits for it.

    python -m engine.warm

The kernels are numba functions cached next to their source (`cache=True`). Compiling them all
takes about 45 s on a 2-core machine, and a fresh install would pay that on its first requests:
the README's set-up and a PaaS build (bin/post_compile) run this module instead. It runs every
operation, with and without rules, on a small generated book, and prints what each took.
"""
from __future__ import annotations

import time

import numpy as np

from .allocation import allocate
from .dataset import ENTERPRISE, MID_MARKET, default_threshold
from .io.generate import generate
from .io.loading import load_csvs
from .io.reading import Source
from .optimize import optimize_weights
from .rebalance import rebalance
from .refine import OBJECTIVES, refine
from .rules import Rules
from .sensitivity import curve_work, sensitivity
from .settings import Settings

ACCOUNTS, REPS = 400, 12


def sample_dataset():
    """A small generated book: enough accounts for every kernel to run, fast to score."""
    accounts, reps = generate(ACCOUNTS, REPS, seed=3)
    return load_csvs(Source("reps.csv", reps.to_csv(index=False).encode()),
                     Source("accounts.csv", accounts.to_csv(index=False).encode())).dataset


def operations(dataset, settings: Settings):
    """(name, call) of every compiled operation the dashboard, the CLI and the API run."""
    return [
        ("allocate", lambda: allocate(dataset, settings)),
        ("refine", lambda: [refine(dataset, allocate(dataset, settings), objective) for objective in OBJECTIVES]),
        ("optimize", lambda: optimize_weights(dataset, settings)),
        ("sensitivity", lambda: sensitivity(dataset, settings)),
        ("sensitivity on one thread", lambda: curve_work(dataset, settings).rows_in_order(np.zeros(1, np.uint8))),
        ("rebalance", lambda: rebalance(dataset, settings)),
    ]


def main() -> None:
    started = time.perf_counter()
    dataset = sample_dataset()
    plain = Settings(default_threshold(dataset))
    caps = {ENTERPRISE: 60, MID_MARKET: 60}
    ruled = plain.with_rules(Rules(lock_arr_at_least=float(dataset.arr.max()), max_accounts=caps))
    for label, settings in (("no rules", plain), ("rules", ruled)):
        for name, call in operations(dataset, settings):
            began = time.perf_counter()
            call()
            print(f"{name:<25} {label:<9} {time.perf_counter() - began:6.2f} s", flush=True)
    print(f"compiled kernels cached in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
