"""Speed and memory of the engine at four sizes, with the plain reference path beside it.

    .venv/bin/python bench/run.py                       # all four sizes (a few minutes)
    .venv/bin/python bench/run.py --sizes 500/10,10000/60

Each size runs in its own process (so "peak memory" is that size's), on data made by the
project's generator (cached in bench/out/). Times are engine only, data already loaded, except
"load + validate", which reads and checks the two CSV files. Numba compile time is measured
separately: cold (empty cache) and warm (cache from an earlier process).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = ROOT / "bench" / "out"
SIZES = "500/10,10000/60,100000/400,1000000/2000"
TARGETS = {  # (allocation ms, sensitivity ms, optimize ms, load ms, peak MB, refine ms, rebalance ms) per size
    (500, 10): (1, 20, 100, 50, None, 50, 10_000),
    (10_000, 60): (2, 200, 1_000, 200, None, 1_000, 10_000),
    (100_000, 400): (20, 3_000, 20_000, 2_000, 1_000, 2_000, 60_000),
    (1_000_000, 2_000): (300, None, None, 15_000, 4_000, None, None),
}


def data_dir(n: int, m: int) -> Path:
    from engine.io.generate import write
    directory = OUT / f"{n}_{m}"
    if not (directory / "accounts.csv").exists():
        write(directory, n, m, seed=1)
    return directory


def timed(function, repeat: int) -> dict:
    """Median, min and max wall time in ms of `repeat` calls."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1000)
    return {"median": statistics.median(times), "min": min(times), "max": max(times), "n": repeat}


def measure(n: int, m: int) -> dict:
    """Everything for one size; runs in a child process."""
    from engine import Settings, Source, allocate, allocate_reference, default_threshold, load_csvs
    from engine.optimize import optimize_weights, optimize_weights_reference
    from engine.rebalance import rebalance
    from engine.refine import refine
    from engine.sensitivity import sensitivity, sensitivity_reference

    directory = data_dir(n, m)
    big = n >= 1_000_000

    def load():
        return load_csvs(Source.from_path(directory / "reps.csv"), Source.from_path(directory / "accounts.csv"),
                         _limits(n, m)).dataset

    dataset = load()
    settings = Settings(default_threshold(dataset))
    ruled_dataset, ruled_settings = with_rules(dataset, settings)
    for d, s in ((dataset, settings), (ruled_dataset, ruled_settings)):
        for warm_up in (lambda d=d, s=s: allocate(d, s), lambda d=d, s=s: sensitivity(d, s),
                        lambda d=d, s=s: optimize_weights(d, s)):
            if not big:
                warm_up()
        allocate(d, s)
    repeat_allocate = 5 if big else (11 if n >= 100_000 else 21)
    result = {
        "load": timed(load, 2 if big else 5),
        "allocate": timed(lambda: allocate(dataset, settings), repeat_allocate),
        "allocate rules": timed(lambda: allocate(ruled_dataset, ruled_settings), repeat_allocate),
    }
    if not big:
        repeat = 3 if n >= 100_000 else 5
        result["sensitivity"] = timed(lambda: sensitivity(dataset, settings), repeat)
        result["sensitivity rules"] = timed(lambda: sensitivity(ruled_dataset, ruled_settings), repeat)
        result["optimize"] = timed(lambda: optimize_weights(dataset, settings), repeat)
        result["optimize rules"] = timed(lambda: optimize_weights(ruled_dataset, ruled_settings), repeat)
        result["points"] = len(sensitivity(dataset, settings).points)
        for label, d, s in (("", dataset, settings), (" rules", ruled_dataset, ruled_settings)):
            greedy = allocate(d, s)
            refine(d, greedy)
            result["refine" + label] = timed(lambda d=d, greedy=greedy: refine(d, greedy), repeat)
            result["rebalance" + label] = timed(lambda d=d, s=s: rebalance(d, s), 1 if n >= 10_000 else 3)
    if n <= 10_000:
        result["plain allocate"] = timed(lambda: allocate_reference(dataset, settings), 3)
    if n <= 500:
        result["plain sensitivity"] = timed(lambda: sensitivity_reference(dataset, settings), 1)
        result["plain optimize"] = timed(lambda: optimize_weights_reference(dataset, settings), 1)
    result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def with_rules(dataset, settings):
    """A realistic use of every rule of ALLOCATION.md §7 on generated data: 5% of accounts locked by
    the Locked column and the top 1% by ARR, the top 0.2% held for review, one rep in ten ramping at
    50%, and default caps of 110% of the average book (accounts) and 130% (ARR) per segment."""
    import dataclasses

    import numpy as np

    from engine import allocate
    from engine.rules import Rules
    rng = np.random.default_rng(5)
    ramp = np.where(rng.random(dataset.n_reps) < 0.1, 50.0, 100.0)
    ruled = dataclasses.replace(dataset, locked=rng.random(dataset.n_accounts) < 0.05, rep_ramp=ramp)
    plain = allocate(dataset, settings)
    caps = {name: (len(s.accounts) / max(len(s.reps), 1), s.arr / max(len(s.reps), 1))
            for name, s in plain.segments.items()}
    rules = Rules(lock_arr_at_least=float(np.quantile(dataset.arr, 0.99)),
                  review_arr_at_least=float(np.quantile(dataset.arr, 0.998)),
                  max_accounts={name: float(np.ceil(1.1 * accounts)) for name, (accounts, _) in caps.items()},
                  max_arr={name: 1.3 * arr for name, (_, arr) in caps.items()})
    return ruled, settings.with_rules(rules)


def _limits(n: int, m: int):
    from engine import Limits
    return Limits(max_bytes=1 << 34, max_accounts=max(n, 200_000), max_reps=max(m, 5_000))


def compile_seconds() -> dict:
    """First allocate + sensitivity + optimize on small data: cold (empty cache) and warm."""
    code = (f"import time, sys; sys.path.insert(0, {str(ROOT)!r}); t = time.perf_counter();"
            "from engine import Settings, allocate; from engine.optimize import optimize_weights;"
            "from engine.sensitivity import sensitivity; from engine.io.generate import generate;"
            "from engine import Source, load_csvs; a, r = generate(200, 6, 1);"
            "d = load_csvs(Source('r', r.to_csv(index=False).encode()),"
            " Source('a', a.to_csv(index=False).encode())).dataset;"
            "s = Settings(1000); allocate(d, s); sensitivity(d, s); optimize_weights(d, s);"
            "print(time.perf_counter() - t)")
    seconds = {}
    with tempfile.TemporaryDirectory() as cache:
        for label in ("cold", "warm"):  # the second run finds the first run's cache
            env = {**os.environ, "NUMBA_CACHE_DIR": cache}
            output = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
            seconds[label] = float(output.stdout.strip())
    return seconds


def machine() -> str:
    import numba
    import numpy
    import pandas
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    return (f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}, numpy {numpy.__version__}, "
            f"numba {numba.__version__} ({numba.get_num_threads()} threads), pandas {pandas.__version__}")


def cell(result: dict, key: str, target) -> str:
    if key not in result:
        return "—"
    r = result[key]
    mark = "" if target is None else (" ✓" if r["median"] <= target else " ✗")
    return f"{_ms(r['median'])} ({_ms(r['min'])}–{_ms(r['max'])}){mark}"


def _ms(value: float) -> str:
    return f"{value / 1000:.2f} s" if value >= 1000 else (f"{value:.1f} ms" if value >= 10 else f"{value:.2f} ms")


def table(results: dict) -> str:
    sizes = list(results)
    header = "| Work (median, min–max) | " + " | ".join(f"{n:,} accts / {m:,} reps" for n, m in sizes) + " |"
    lines = [header, "|---" * (len(sizes) + 1) + "|"]
    rows = [("One allocation with fairness", "allocate", 0), ("… with rules (§7)", "allocate rules", 0),
            ("Sensitivity, every distinct employee count", "sensitivity", 1),
            ("… with rules", "sensitivity rules", 1),
            ("Optimize Weights, 5,151 triples", "optimize", 2), ("… with rules", "optimize rules", 2),
            ("Refine balance, after the allocation", "refine", 5), ("… with rules", "refine rules", 5),
            ("Rebalance today's books (±15%, 10 s limit)", "rebalance", 6),
            ("… with rules", "rebalance rules", 6),
            ("Load + validate CSVs", "load", 3),
            ("Plain path: one allocation", "plain allocate", None),
            ("Plain path: sensitivity", "plain sensitivity", None),
            ("Plain path: optimize", "plain optimize", None)]
    for label, key, index in rows:
        targets = [TARGETS.get(s, (None,) * 7)[index] if index is not None else None for s in sizes]
        cells = [cell(results[s], key, target) for s, target in zip(sizes, targets)]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    peaks = []
    for s in sizes:
        target = TARGETS.get(s, (None,) * 7)[4]
        mark = "" if target is None else (" ✓" if results[s]["peak_mb"] <= target else " ✗")
        peaks.append(f"{results[s]['peak_mb']:,.0f} MB{mark}")
    lines.append("| Peak memory of the process | " + " | ".join(peaks) + " |")
    speedups = []
    for s in sizes:
        r = results[s]
        parts = [f"{what} ×{r['plain ' + what]['median'] / r[what]['median']:,.0f}"
                 for what in ("allocate", "sensitivity", "optimize") if "plain " + what in r]
        speedups.append(", ".join(parts) or "—")
    lines.append("| Speed-up over the plain path | " + " | ".join(speedups) + " |")
    costs = []
    for s in sizes:
        r = results[s]
        parts = [f"{what} {100 * (r[what + ' rules']['median'] / r[what]['median'] - 1):+.0f}%"
                 for what in ("allocate", "sensitivity", "optimize", "refine", "rebalance") if what + " rules" in r]
        costs.append(", ".join(parts))
    lines.append("| Cost of the rules (median with ÷ without) | " + " | ".join(costs) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default=SIZES, help="comma-separated ACCOUNTS/REPS")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(*map(int, args.child.split("/")))))
        return
    results = {}
    for size in args.sizes.split(","):
        n, m = map(int, size.split("/"))
        data_dir(n, m)
        print(f"measuring {n:,} accounts / {m:,} reps …", file=sys.stderr, flush=True)
        child = subprocess.run([sys.executable, __file__, "--child", size], capture_output=True, text=True)
        if child.returncode:
            sys.exit(child.stderr)
        results[(n, m)] = json.loads(child.stdout)
    compiled = compile_seconds()
    print(f"Machine: {machine()}\n")
    print(table(results))
    print(f"\nNumba compile (not in the table): cold {compiled['cold']:.1f} s with an empty cache, "
          f"warm {compiled['warm']:.1f} s when an earlier process left its cache "
          f"(first allocate + sensitivity + optimize, imports included).")
    print("✓/✗: the median against the target of the speed issue.")


if __name__ == "__main__":
    main()
