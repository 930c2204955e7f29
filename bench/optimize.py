"""Optimize's kernel per account-step: triples in lockstep (by block size) against one greedy per triple.

    .venv/bin/python bench/optimize.py                       # 10,000/60 and 100,000/400
    .venv/bin/python bench/optimize.py --sizes 10000/60 --step 5

One thread, default settings, every `step`-th weight triple; nanoseconds per triple and
account (median of `--repeat` runs). "One greedy per triple" is kernels.greedy_segment, the
allocation's own kernel, the way Optimize ran before engine.lockstep. Every row checks that its
scores equal the per-triple ones bit for bit.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import _limits, data_dir, machine  # noqa: E402

BLOCK_SIZES = (1, 2, 3, 4, 8)


def segments(n: int, m: int):
    """(name, inputs, preferences, has_risk) of each segment of the generated data."""
    from engine import Settings, Source, default_threshold, load_csvs
    from engine.allocation import effective_settings, segments_at

    directory = data_dir(n, m)
    d = load_csvs(Source.from_path(directory / "reps.csv"), Source.from_path(directory / "accounts.csv"),
                  _limits(n, m)).dataset
    s = effective_settings(d, Settings(default_threshold(d)))
    for inputs in segments_at(d, s):
        yield inputs.name, inputs, s.preferences, d.has_risk


def nanoseconds_per_step(run, steps: int, repeat: int):
    """Median ns per triple and account of `run`, and its scores."""
    scores = run()  # compiled and warmed
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times) / steps * 1e9, scores


def rows(n: int, m: int, step: int, repeat: int):
    for name, inputs, prefs, has_risk in segments(n, m):
        for kernel, ns, same in segment_rows(inputs, prefs, has_risk, step, repeat):
            yield f"{n:,} / {m:,}", name, len(inputs.reps), kernel, ns, same


def segment_rows(inputs, prefs, has_risk, step: int, repeat: int):
    """(kernel, ns per step, same scores as one greedy per triple) of one segment."""
    from engine import lockstep
    from engine.optimize import weight_triples

    weights = weight_triples(has_risk)[::step] / 100.0
    steps = len(weights) * len(inputs.accounts)
    base, expected = nanoseconds_per_step(
        lambda: lockstep.balanced_for_weights_reference(weights, inputs, prefs, has_risk), steps, repeat)
    yield "one greedy per triple (tree)", base, True
    for size in BLOCK_SIZES:
        ns, scores = nanoseconds_per_step(
            lambda size=size: lockstep.balanced_for_weights(weights, inputs.arrays, prefs.geo, prefs.preserve,
                                                            inputs.targets, has_risk, size), steps, repeat)
        chosen = " (chosen)" if size == lockstep.block_size(len(inputs.reps)) else ""
        same = bool(np.array_equal(scores, expected, equal_nan=True))
        yield f"lockstep, {size} rep{'s' if size > 1 else ''} per block{chosen}", ns, same


def main() -> None:
    import numba
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000/60,100000/400", help="comma-separated ACCOUNTS/REPS")
    parser.add_argument("--step", type=int, default=20, help="take every step-th weight triple")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    numba.set_num_threads(1)
    print(f"Machine: {machine()}\n")
    print("| Accounts / reps | Segment | Reps | Kernel | ns per triple and account (median) | Same scores |")
    print("|---|---|---|---|---|---|")
    for size in args.sizes.split(","):
        n, m = map(int, size.split("/"))
        for label, segment, reps, kernel, ns, same in rows(n, m, args.step, args.repeat):
            print(f"| {label} | {segment} | {reps} | {kernel} | {ns:.1f} | {'yes' if same else 'NO'} |", flush=True)


if __name__ == "__main__":
    main()
