"""Refine balance: time and result on the demo data, the challenge data and generated sizes.

    .venv/bin/python bench/refine.py                        # demo, challenge, 10,000/60, 100,000/400
    .venv/bin/python bench/refine.py --sizes 10000/60

Default settings (median threshold, 34/33/33, geo and preserve 0.05, high-risk 70), Balanced
objective. Times are the refinement alone (the greedy already run), medians of several runs.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import _limits, data_dir, machine  # noqa: E402

CHALLENGE = ROOT.parent / "shared" / "data" / "challenge"
TARGETS = {  # (seconds, lowest Overall Balanced) per size, from the refine issue (2 s at 100,000: issue 17)
    (500, 10): (0.05, None),
    (10_000, 60): (1.0, 99.0),
    (100_000, 400): (2.0, 99.0),
}


def datasets(sizes: list[tuple[int, int]]):
    """(label, directory) of each data set to measure."""
    yield "demo", ROOT / "data" / "demo"
    if (CHALLENGE / "accounts.csv").exists():
        yield "challenge", CHALLENGE
    for n, m in sizes:
        yield f"generated {n:,}/{m:,}", data_dir(n, m)


def measure(directory: Path, repeat: int) -> dict:
    from engine import Settings, Source, allocate, default_threshold, load_csvs
    from engine.refine import refine

    dataset = load_csvs(Source.from_path(directory / "reps.csv"), Source.from_path(directory / "accounts.csv"),
                        _limits(200_000, 5_000)).dataset
    greedy = allocate(dataset, Settings(default_threshold(dataset)))
    refine(dataset, greedy)  # compiled and cached before timing
    seconds = []
    for _ in range(repeat):
        started = time.perf_counter()
        refined = refine(dataset, greedy)
        seconds.append(time.perf_counter() - started)
    r = refined.refinement
    return {"size": (dataset.n_accounts, dataset.n_reps), "seconds": statistics.median(seconds),
            "spread": (min(seconds), max(seconds)), "before": greedy.overall_balanced,
            "after": refined.overall_balanced, "geo": (r.geo_before, r.geo_after),
            "kept": (r.kept_before, r.kept_after), "moves": r.moves, "swaps": r.swaps, "runs": repeat}


def row(label: str, result: dict) -> str:
    seconds_target, score_target = TARGETS.get(result["size"], (None, None))
    time_mark = "" if seconds_target is None else (" ✓" if result["seconds"] <= seconds_target else " ✗")
    score_mark = "" if score_target is None else (" ✓" if result["after"] >= score_target else " ✗")
    low, high = result["spread"]
    geo, kept = result["geo"], result["kept"]
    return (f"| {label} | {result['size'][0]:,} / {result['size'][1]:,} | {_time(result['seconds'])}{time_mark} "
            f"({_time(low)}–{_time(high)}, {result['runs']} runs) | {result['before']:.2f} → "
            f"{result['after']:.2f}{score_mark} | {geo[0]:,} → {geo[1]:,} | {kept[0]:,} → {kept[1]:,} | "
            f"{result['moves']:,} / {result['swaps']:,} |")


def _time(seconds: float) -> str:
    return f"{seconds:.2f} s" if seconds >= 1 else f"{seconds * 1000:.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000/60,100000/400", help="comma-separated ACCOUNTS/REPS")
    args = parser.parse_args()
    sizes = [tuple(map(int, s.split("/"))) for s in args.sizes.split(",") if s]
    print(f"Machine: {machine()}\n")
    print("| Data | Accounts / reps | Refine time, median (min–max) | Overall Balanced greedy → refined "
          "| Geo matches | Owners kept | Moves / swaps |")
    print("|---|---|---|---|---|---|---|")
    for label, directory in datasets(sizes):
        print(f"measuring {label} …", file=sys.stderr, flush=True)
        result = measure(directory, 3 if "100,000" in label else 7)
        print(row(label, result), flush=True)
    print("\n✓/✗: against the refine issue's targets (time; Overall Balanced ≥ 99 where one is set).")


if __name__ == "__main__":
    main()
