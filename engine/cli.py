"""CLI.md: `python -m engine allocate | optimize | sensitivity | validate`.

Exit status 0 on success, 2 on invalid input with every hard error on stderr, one a line.
"""
from __future__ import annotations

import argparse
import csv
import io
import itertools
import json
import sys
from pathlib import Path

from .allocation import Allocation, allocate
from .audit import iter_audit, iter_refinement
from .dataset import ENTERPRISE, MID_MARKET, SEGMENTS, Dataset, default_threshold
from .io.columns import ColumnMap, normalize_header
from .io.export import csv_bytes, export_csv, formula_safe, table_csv, transfer_table
from .io.loading import LoadResult, load_csvs, load_workbook
from .io.numbers import parse_number
from .io.reading import Limits, Source, read_csv, table_at
from .io.report import Level, Report
from .optimize import optimize_weights
from .rebalance import DRIVERS as REBALANCE_DRIVERS
from .rebalance import Plan, Rebalance, rebalance
from .refine import DEFAULT_MIN_GAIN, MIN_GAIN_CHOICES, OBJECTIVES, refine
from .rules import Rules
from .sensitivity import sensitivity
from .settings import Preferences, Settings, Weights
from .summary import fairness_detail

DEMO = Path(__file__).resolve().parent.parent / "data" / "demo"
INVALID = 2


class InputError(Exception):
    """Bad input: reported on stderr with exit status 2, never a traceback."""


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        dataset = _load(args)
        if args.command == "validate":
            print(f"OK: {dataset.n_accounts:,} accounts, {dataset.n_reps:,} reps.")
            return 0
        settings = _settings(args, dataset)
        COMMANDS[args.command](args, dataset, settings)
    except InputError as error:
        for line in str(error).splitlines():
            print(f"error: {line}", file=sys.stderr)
        return INVALID
    return 0


# --- arguments -----------------------------------------------------------------------------

def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m engine",
                                     description="Territory Slicer engine (bundled demo data by default).")
    commands = parser.add_subparsers(dest="command", required=True)
    for name, help_text in (("allocate", "assign every account and print a per-segment summary"),
                            ("optimize", "find the best weights (JSON on stdout)"),
                            ("sensitivity", "scores at every threshold (CSV)"),
                            ("rebalance", "the fewest transfers that bring every rep into a band"),
                            ("validate", "check the input files")):
        command = commands.add_parser(name, help=help_text)
        _add_inputs(command)
        if name != "validate":
            _add_settings(command)
        if name in ("allocate", "rebalance"):
            command.add_argument("--summary", type=Path, help="write the summary JSON")
        if name == "rebalance":
            _add_plan(command)
        if name == "allocate":
            command.add_argument("--audit", type=Path, help="write the audit trail CSV")
            command.add_argument("--refine", nargs="?", const=OBJECTIVES[0], choices=OBJECTIVES,
                                 help="after the greedy, move and swap accounts while that raises each "
                                      "segment's Balanced score (or Custom), keeping every geo match "
                                      "and owner count")
            command.add_argument("--refine-min-gain", type=float, default=DEFAULT_MIN_GAIN,
                                 choices=MIN_GAIN_CHOICES, metavar="POINTS",
                                 help="the smallest gain worth a change, in points (default %(default)s; "
                                      "scaled down in segments of over 1,000 accounts; one of "
                                      f"{', '.join(map(str, MIN_GAIN_CHOICES))})")
        if name in ("allocate", "sensitivity", "rebalance"):
            command.add_argument("--out", type=Path, help="output CSV file")
    return parser


def _add_plan(command: argparse.ArgumentParser) -> None:
    command.add_argument("--band", type=float, default=Plan.band, help="±b%% around each rep's target (1–50)")
    command.add_argument("--drivers", type=_drivers, default=Plan.drivers,
                         help="arr, accounts, risk: what the band applies to (default arr,accounts)")
    command.add_argument("--waves", type=int, default=Plan.waves, help="waves to split the transfers into")
    command.add_argument("--time-limit", type=float, default=Plan.time_limit,
                         help="seconds the exact model may take")


def _drivers(text: str) -> tuple[str, ...]:
    drivers = tuple(part.strip().lower() for part in text.split(",") if part.strip())
    if not drivers or not set(drivers) <= set(REBALANCE_DRIVERS):
        raise argparse.ArgumentTypeError(f"'{text}' is not a list of {', '.join(REBALANCE_DRIVERS)}")
    return drivers


def _add_inputs(command: argparse.ArgumentParser) -> None:
    command.add_argument("--reps", type=Path, help="Reps CSV")
    command.add_argument("--accounts", type=Path, help="Accounts CSV")
    command.add_argument("--workbook", type=Path, help="one .xlsx with both sheets")
    command.add_argument("--map", type=_column_map, default=ColumnMap(), metavar='"FIELD=Column,…"',
                         help='the column to read as a field when its name is not recognised, e.g. '
                              '"ARR=Contract Value,Location=Sales Region"')


def _column_map(text: str) -> ColumnMap:
    try:
        return ColumnMap.parse(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _add_settings(command: argparse.ArgumentParser) -> None:
    command.add_argument("--threshold", type=int,
                         help="employee count (default: the slider stop nearest the median, ALLOCATION.md §1)")
    command.add_argument("--weights", type=_weights, default=Weights(), help="ARR,ACCOUNTS,RISK (default 34,33,33)")
    command.add_argument("--geo", type=float, default=0.05)
    command.add_argument("--preserve", type=float, default=0.05)
    command.add_argument("--high-risk", type=float, default=70)
    rules = command.add_argument_group("rules (ALLOCATION.md §7)")
    rules.add_argument("--lock-arr-at-least", type=_amount, metavar="X",
                       help="lock every account of at least this ARR to its owner")
    rules.add_argument("--review-arr-at-least", type=_amount, metavar="Y",
                       help="hold accounts of at least this ARR for a person to place")
    rules.add_argument("--pins", type=Path, metavar="PINS.csv",
                       help="a CSV of Account_ID, Rep_Name: each account locked to that rep")
    rules.add_argument("--max-accounts", type=_segment_caps, default={}, metavar="E,MM",
                       help="default account cap of each segment's reps (an empty side: no cap)")
    rules.add_argument("--max-arr", type=_segment_caps, default={}, metavar="E,MM",
                       help="default ARR cap of each segment's reps (an empty side: no cap)")


def _amount(text: str) -> float:
    value, problem = parse_number(text)
    if problem or value < 0:
        raise argparse.ArgumentTypeError(f"'{text}' is not an amount of ARR, e.g. 500000 or $500,000")
    return value


def _segment_caps(text: str) -> dict[str, float | None]:
    """'80,150' → both segments; '80' or '80,' → Enterprise only; ',150' → Mid-Market only."""
    parts = [part.strip() for part in text.split(",")]
    if len(parts) > len(SEGMENTS):
        raise argparse.ArgumentTypeError(f"'{text}' has more than {len(SEGMENTS)} values: give E,MM")
    return {segment: (_amount(part) if part else None) for segment, part in zip(SEGMENTS, parts)}


def _weights(text: str) -> Weights:
    try:
        return Weights(*(int(part) for part in text.split(",")))
    except (TypeError, ValueError):
        raise argparse.ArgumentTypeError(
            f"'{text}' is not three whole percents summing to 100, e.g. 34,33,33") from None


def _settings(args, dataset: Dataset) -> Settings:
    threshold = args.threshold if args.threshold is not None else default_threshold(dataset)
    try:
        preferences = Preferences(args.geo, args.preserve, args.high_risk)
        rules = Rules(lock_arr_at_least=args.lock_arr_at_least, review_arr_at_least=args.review_arr_at_least,
                      max_accounts=args.max_accounts, max_arr=args.max_arr,
                      pins=_pins(args.pins) if args.pins else {})
    except ValueError as error:
        raise InputError(str(error)) from None
    return Settings(threshold, args.weights, preferences, rules)


def _pins(path: Path) -> dict[str, str]:
    """A pins file: a CSV with Account_ID and Rep_Name columns (headers as DATA.md matches them)."""
    report = Report()
    records = read_csv(_source(path), report, Limits())
    table = table_at(records, next(i for i, row in enumerate(records.rows) if any(c.strip() for c in row)), report) \
        if records else None
    if table is None:
        raise InputError("\n".join(str(m) for m in report.errors))
    header = [normalize_header(h) for h in table.header]
    if "account_id" not in header or "rep_name" not in header:
        raise InputError(f"{path.name}: a pins file needs Account_ID and Rep_Name columns "
                         f"(found: {', '.join(table.header)})")
    account, rep = header.index("account_id"), header.index("rep_name")
    problems = [f"{path.name}, row {number}: an Account_ID and a Rep_Name are both needed"
                for number, row in zip(table.row_numbers, table.rows)
                if not row[account].strip() or not row[rep].strip()]
    if problems:
        raise InputError("\n".join(problems))
    return {row[account].strip(): row[rep].strip() for row in table.rows}


def _load(args) -> Dataset:
    result = _read_inputs(args)
    for message in result.report.messages:
        if message.level is not Level.ERROR:
            print(f"{message.level.value}: {message}", file=sys.stderr)
    if not result.ok:
        raise InputError("\n".join(str(m) for m in result.report.errors))
    return result.dataset


def _read_inputs(args) -> LoadResult:
    if args.workbook and (args.reps or args.accounts):
        raise InputError("give either --workbook or --reps and --accounts, not both")
    if args.workbook:
        return load_workbook(_source(args.workbook), mapping=args.map)
    if bool(args.reps) != bool(args.accounts):
        raise InputError("--reps and --accounts go together")
    reps = args.reps or DEMO / "reps.csv"
    accounts = args.accounts or DEMO / "accounts.csv"
    return load_csvs(_source(reps), _source(accounts), mapping=args.map)


def _source(path: Path) -> Source:
    try:
        return Source.from_path(path)
    except OSError as error:
        raise InputError(f"{path}: cannot be read ({error.strerror or error})") from None


# --- commands ------------------------------------------------------------------------------

def run_allocate(args, dataset: Dataset, settings: Settings) -> None:
    allocation = allocate(dataset, settings)
    if args.refine:
        allocation = refine(dataset, allocation, args.refine, args.refine_min_gain)
    for warning in allocation.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(summary_text(dataset, allocation))
    if args.out:
        _write(args.out, export_csv(dataset, allocation))
    if args.audit:
        _write(args.audit, audit_csv(dataset, allocation))
    if args.summary:
        _write(args.summary, (json.dumps(summary(dataset, allocation), indent=2) + "\n").encode())


def run_optimize(args, dataset: Dataset, settings: Settings) -> None:
    result = optimize_weights(dataset, settings)
    print(json.dumps({
        "weights": result.weights.as_list(),
        "balanced": result.balanced.as_dict(),
        "current": {"weights": result.current_weights.as_list(), "balanced": result.current.as_dict()},
        "evaluated": result.evaluated,
    }, indent=2))


def run_sensitivity(args, dataset: Dataset, settings: Settings) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["threshold", "balanced", "custom", "deal_size_ratio",
                     "enterprise_accounts", "mid_market_accounts"])
    for p in sensitivity(dataset, settings).points:
        writer.writerow([p.threshold, _blank(p.balanced), _blank(p.custom), _blank(p.deal_size_ratio),
                         p.segments[ENTERPRISE].accounts, p.segments[MID_MARKET].accounts])
    if args.out:
        _write(args.out, buffer.getvalue().encode())
    else:
        sys.stdout.write(buffer.getvalue())


def run_rebalance(args, dataset: Dataset, settings: Settings) -> None:
    try:
        plan = Plan(band=args.band, drivers=args.drivers, waves=args.waves, time_limit=args.time_limit)
    except ValueError as error:
        raise InputError(str(error)) from None
    result = rebalance(dataset, settings, plan)
    for warning in result.allocation.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if args.out:
        _write(args.out, table_csv(transfer_table(dataset, result)[PLAN_COLUMNS]))
    else:
        print(plan_text(dataset, result))
    if args.summary:
        _write(args.summary, (json.dumps(rebalance_summary(result), indent=2) + "\n").encode())


COMMANDS = {"allocate": run_allocate, "optimize": run_optimize, "sensitivity": run_sensitivity,
            "rebalance": run_rebalance}

PLAN_COLUMNS = ["Wave", "Account_ID", "Account_Name", "ARR", "From_Rep", "To_Rep", "Reason"]


def rebalance_summary(result: Rebalance) -> dict:
    """CLI.md's rebalance --summary JSON, overall then per segment."""
    def block(source, balanced_before, balanced_after) -> dict:
        return {"moves": source.moves, "orphans_placed": source.orphans_placed, "arr_moved": source.arr_moved,
                "lower_bound": source.lower_bound, "proven_minimal": source.proven_minimal,
                "reps_in_band": {"before": source.in_band_before, "after": source.in_band_after,
                                 "total": source.total_reps if isinstance(source, Rebalance) else source.reps},
                "balanced": {"before": balanced_before, "after": balanced_after}}

    return {"band": result.plan.band, "drivers": list(result.plan.drivers),
            **block(result, result.balanced_before, result.allocation.overall_balanced),
            "waves": result.waves, "message": result.message,
            "segments": {name: {**block(s, s.balanced_before, s.balanced_after), "method": s.method,
                                "excess": s.excess, "blocker": s.blocker}
                         for name, s in result.segments.items()}}


def plan_text(dataset: Dataset, result: Rebalance) -> str:
    """The plan as a table on stdout, after a line that says what it achieves."""
    lines = [result.message, f"Reps in band {result.in_band_before:,} → {result.in_band_after:,} of "
             f"{result.total_reps:,}; {result.moves:,} moves (${result.arr_moved:,.0f} ARR), "
             f"{result.orphans_placed:,} orphans placed, lower bound {result.lower_bound:,}.", ""]
    lines.append(f"{'Wave':<6}{'Account':<16}{'ARR':>14}  {'From':<20}{'To':<20}")
    for t in transfer_table(dataset, result).itertuples(index=False):
        giver, taker = t.From_Rep[:19] or "(orphan)", t.To_Rep[:19] or "(none)"
        lines.append(f"{t.Wave:<6}{t.Account_ID[:15]:<16}{f'${t.ARR:,.0f}':>14}  {giver:<20}{taker:<20}")
    return "\n".join(lines)


# --- output --------------------------------------------------------------------------------

def summary(dataset: Dataset, allocation: Allocation) -> dict:
    """The --summary JSON of CLI.md."""
    segments = {}
    for name, segment in allocation.segments.items():
        segments[name] = {
            "reps": len(segment.reps), "accounts": len(segment.accounts), "arr": segment.arr,
            "unassigned": segment.unassigned,
            "fairness": {**segment.fairness.as_dict(), **fairness_detail(dataset, allocation, name)},
        }
    result = {
        "threshold": allocation.settings.threshold,
        "weights": allocation.settings.weights.as_list(),
        "segments": segments,
        "overall": {"custom": allocation.overall_custom, "balanced": allocation.overall_balanced},
        "rules": rules_summary(dataset, allocation),
    }
    if allocation.refinement:
        result["refine"] = refine_summary(allocation)
    return result


def rules_summary(dataset: Dataset, allocation: Allocation) -> dict:
    """CLI.md's `rules` block: locks kept, locks not kept, held accounts, accounts unassigned at
    capacity, and the reps strictly over a cap (by their locks)."""
    r = allocation.rules
    return {"locked": r.locked, "locks_not_kept": len(r.locks_not_kept), "held": r.held,
            "unassigned_at_capacity": r.unassigned_at_capacity,
            "over_cap_by_locks": sorted({dataset.rep_name[rep] for rep, *_ in r.over_cap_by_locks})}


def refine_summary(allocation: Allocation) -> dict:
    """The `refine` block: what the refinement changed and what it gained, per segment and overall."""
    r = allocation.refinement
    greedy = r.greedy

    def scores(source: Allocation, composite: str) -> dict:
        values = {name: getattr(s.fairness, composite) for name, s in source.segments.items()}
        return {**values, "overall": getattr(source, f"overall_{composite}")}

    return {
        "objective": r.objective,
        "min_gain": r.min_gain,
        "moves": r.moves,
        "swaps": r.swaps,
        "balanced": {"before": scores(greedy, "balanced"), "after": scores(allocation, "balanced")},
        "custom": {"before": scores(greedy, "custom"), "after": scores(allocation, "custom")},
        "geo_matches": {"before": r.geo_before, "after": r.geo_after},
        "owners_kept": {"before": r.kept_before, "after": r.kept_after},
        "seconds": r.seconds,
    }


def summary_text(dataset: Dataset, allocation: Allocation) -> str:
    s = allocation.settings
    w = s.weights
    lines = [
        f"{dataset.n_accounts:,} accounts, {dataset.n_reps:,} reps. Threshold {s.threshold:,} employees; "
        f"weights ARR {w.arr} / Accounts {w.accounts} / Risk {w.risk}; geo {s.preferences.geo:.2f}, "
        f"preserve {s.preferences.preserve:.2f}, high-risk {s.preferences.high_risk:g}.",
        "",
        f"{'Segment':<12}{'Reps':>6}{'Accounts':>10}{'ARR':>16}{'ARR/rep':>14}{'Unassigned':>12}"
        f"{'ARR':>7}{'Accts':>7}{'Risk':>7}{'Custom':>8}{'Balanced':>10}",
    ]
    for name in SEGMENTS:
        seg = allocation.segments[name]
        arr = seg.arr
        per_rep = f"${arr / len(seg.reps):,.0f}" if len(seg.reps) else "—"
        f = seg.fairness
        lines.append(f"{name:<12}{len(seg.reps):>6,}{len(seg.accounts):>10,}{'$' + format(arr, ',.0f'):>16}"
                     f"{per_rep:>14}{seg.unassigned:>12,}{_score(f.arr):>7}{_score(f.accounts):>7}"
                     f"{_score(f.risk):>7}{_score(f.custom):>8}{_score(f.balanced):>10}")
    lines.append(f"{'Overall':<12}{'':>72}{_score(allocation.overall_custom):>8}"
                 f"{_score(allocation.overall_balanced):>10}")
    lines.extend(detail_lines(dataset, allocation))
    if allocation.refinement:
        lines.append(refine_line(allocation))
    return "\n".join(lines)


def detail_lines(dataset: Dataset, allocation: Allocation) -> list[str]:
    """Fairness in a finance team's terms: Gini, largest ÷ smallest book, the rep furthest from
    target, the share of reps within ±15% of target, and the best score the accounts allow."""
    lines = ["", f"{'Segment':<12}{'Driver':<10}{'Gini':>7}{'Max/min':>9}{'Worst rep':>11}{'Within 15%':>12}"
             f"{'Best possible':>15}"]
    for name in SEGMENTS:
        detail = fairness_detail(dataset, allocation, name)
        for driver, label in (("arr", "ARR"), ("accounts", "Accounts"), ("risk", "Risk")):
            value = {measure: detail[measure][driver] for measure in detail}
            lines.append(f"{name:<12}{label:<10}{_number(value['gini'], '.3f'):>7}{_number(value['max_min'], '.2f'):>9}"
                         f"{_number(value['worst_deviation'], '.1f', '%'):>11}"
                         f"{_number(value['in_band_15'], '.0f', '%'):>12}{_score(value['best']):>15}")
    return lines


def _number(value: float | None, spec: str, unit: str = "") -> str:
    return "—" if value is None else f"{value:{spec}}{unit}"


def refine_line(allocation: Allocation) -> str:
    r = allocation.refinement
    greedy = r.greedy
    return (f"\nRefined for {r.objective.title()} in {r.seconds:.2f} s: {r.moves:,} moves, {r.swaps:,} swaps; "
            f"Overall Balanced {_score(greedy.overall_balanced)} → {_score(allocation.overall_balanced)}, "
            f"Custom {_score(greedy.overall_custom)} → {_score(allocation.overall_custom)}; "
            f"geo matches {r.geo_before:,} → {r.geo_after:,}; owners kept {r.kept_before:,} → {r.kept_after:,}.")


AUDIT_COLUMNS = ["segment", "step", "account_id", "account_name", "account_arr", "segment_reason",
                 "rep", "rep_arr", "rep_accounts", "rep_high_risk_arr", "blended", "geo_bonus",
                 "preserve_bonus", "total", "winner", "reason"]


def audit_csv(dataset: Dataset, allocation: Allocation) -> bytes:
    """One row per eligible rep per step (one row for a locked account): the whole decision table
    of every assignment, then the refinement's changes."""
    rows = (row for step in iter_audit(dataset, allocation) for row in _step_rows(step))
    if allocation.refinement:
        rows = itertools.chain(rows, _refinement_rows(dataset, allocation))
    return csv_bytes(AUDIT_COLUMNS, rows)


def _step_rows(step):
    """A step's rows; the reason goes on the winner's row (on the first row if none could win)."""
    account = [step.segment, step.step, formula_safe(step.account_id), formula_safe(step.account_name),
               repr(step.arr), step.segment_reason]
    if not step.rows:  # a locked account: no scoring, one row for the rep it is locked to
        yield [*account, formula_safe(step.winner), "", "", "", "", "", "", "", "yes", formula_safe(step.reason)]
        return
    for k, row in enumerate(step.rows):
        says = row.winner or (not step.winner and k == 0)
        yield [*account, formula_safe(row.rep), repr(row.arr), row.accounts, repr(row.risk_arr), repr(row.blended),
               row.geo, row.preserve, repr(row.total), "yes" if row.winner else "",
               formula_safe(step.reason) if says else ""]


def _refinement_rows(dataset: Dataset, allocation: Allocation):
    """After the greedy's steps, one row per account a refinement change moved, its new rep
    marked as the winner, numbered on from the segment's last greedy step."""
    for step in iter_refinement(dataset, allocation):
        offset = allocation.segments[step.segment].steps
        for moved in step.accounts:
            book = next(r for r in step.reps if r.rep == moved.to_rep)
            yield [step.segment, offset + step.number, formula_safe(moved.account_id),
                   formula_safe(moved.account_name), repr(moved.arr), f"refinement {step.kind}",
                   formula_safe(moved.to_rep), repr(book.arr[0]), book.accounts[0],
                   repr(book.risk_arr[0]), "", "", "", "", "yes", formula_safe(step.reason)]


def _write(path: Path, data: bytes) -> None:
    try:
        path.write_bytes(data)
    except OSError as error:
        raise InputError(f"{path}: cannot be written ({error.strerror or error})") from None


def _score(value: float | None) -> str:
    return "N/A" if value is None else f"{value:.1f}"


def _blank(value: float | None) -> str:
    return "" if value is None else repr(value)
