"""CLI.md: `python -m engine allocate | optimize | sensitivity | validate`.

Exit status 0 on success, 2 on invalid input with every hard error on stderr, one a line.
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from pathlib import Path

from .allocation import Allocation, allocate
from .audit import iter_audit, iter_refinement
from .dataset import SEGMENTS, Dataset, default_threshold
from .export import export_csv, formula_safe
from .loading import LoadResult, Source, load_csvs, load_workbook
from .optimize import optimize_weights
from .refine import OBJECTIVES, refine
from .report import Level
from .sensitivity import sensitivity
from .settings import Preferences, Settings, Weights

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
                            ("validate", "check the input files")):
        command = commands.add_parser(name, help=help_text)
        _add_inputs(command)
        if name != "validate":
            _add_settings(command)
        if name == "allocate":
            command.add_argument("--audit", type=Path, help="write the audit trail CSV")
            command.add_argument("--summary", type=Path, help="write the summary JSON")
            command.add_argument("--refine", nargs="?", const=OBJECTIVES[0], choices=OBJECTIVES,
                                 help="after the greedy, move and swap accounts while that raises each "
                                      "segment's Balanced score (or Custom), keeping every geo match "
                                      "and owner count")
        if name in ("allocate", "sensitivity"):
            command.add_argument("--out", type=Path, help="output CSV file")
    return parser


def _add_inputs(command: argparse.ArgumentParser) -> None:
    command.add_argument("--reps", type=Path, help="Reps CSV")
    command.add_argument("--accounts", type=Path, help="Accounts CSV")
    command.add_argument("--workbook", type=Path, help="one .xlsx with both sheets")


def _add_settings(command: argparse.ArgumentParser) -> None:
    command.add_argument("--threshold", type=int, help="employee count (default: median, nearest 1,000)")
    command.add_argument("--weights", type=_weights, default=Weights(), help="ARR,ACCOUNTS,RISK (default 34,33,33)")
    command.add_argument("--geo", type=float, default=0.05)
    command.add_argument("--preserve", type=float, default=0.05)
    command.add_argument("--high-risk", type=float, default=70)


def _weights(text: str) -> Weights:
    try:
        return Weights(*(int(part) for part in text.split(",")))
    except (TypeError, ValueError):
        raise argparse.ArgumentTypeError(
            f"'{text}' is not three whole percents summing to 100, e.g. 34,33,33") from None


def _settings(args, dataset: Dataset) -> Settings:
    threshold = args.threshold if args.threshold is not None else default_threshold(dataset.employees)
    try:
        preferences = Preferences(args.geo, args.preserve, args.high_risk)
    except ValueError as error:
        raise InputError(str(error)) from None
    return Settings(threshold, args.weights, preferences)


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
        return load_workbook(_source(args.workbook))
    if bool(args.reps) != bool(args.accounts):
        raise InputError("--reps and --accounts go together")
    reps = args.reps or DEMO / "reps.csv"
    accounts = args.accounts or DEMO / "accounts.csv"
    return load_csvs(_source(reps), _source(accounts))


def _source(path: Path) -> Source:
    try:
        return Source.from_path(path)
    except OSError as error:
        raise InputError(f"{path}: cannot be read ({error.strerror or error})") from None


# --- commands ------------------------------------------------------------------------------

def run_allocate(args, dataset: Dataset, settings: Settings) -> None:
    allocation = allocate(dataset, settings)
    if args.refine:
        allocation = refine(dataset, allocation, args.refine)
    for warning in allocation.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(summary_text(dataset, allocation))
    if args.out:
        _write(args.out, export_csv(dataset, allocation))
    if args.audit:
        _write(args.audit, audit_csv(dataset, allocation))
    if args.summary:
        _write(args.summary, (json.dumps(summary(allocation), indent=2) + "\n").encode())


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
                         p.enterprise.accounts, p.mid_market.accounts])
    if args.out:
        _write(args.out, buffer.getvalue().encode())
    else:
        sys.stdout.write(buffer.getvalue())


COMMANDS = {"allocate": run_allocate, "optimize": run_optimize, "sensitivity": run_sensitivity}


# --- output --------------------------------------------------------------------------------

def summary(allocation: Allocation) -> dict:
    """The --summary JSON of CLI.md."""
    segments = {}
    for name, segment in allocation.segments.items():
        segments[name] = {
            "reps": len(segment.reps), "accounts": len(segment.accounts), "arr": segment.arr,
            "unassigned": segment.unassigned,
            "fairness": segment.fairness.as_dict(),
        }
    result = {
        "threshold": allocation.settings.threshold,
        "weights": allocation.settings.weights.as_list(),
        "segments": segments,
        "overall": {"custom": allocation.overall_custom, "balanced": allocation.overall_balanced},
    }
    if allocation.refinement:
        result["refine"] = refine_summary(allocation)
    return result


def refine_summary(allocation: Allocation) -> dict:
    """The `refine` block: what the refinement changed and what it gained, per segment and overall."""
    r = allocation.refinement
    greedy = r.greedy

    def scores(source: Allocation, composite: str) -> dict:
        values = {name: getattr(s.fairness, composite) for name, s in source.segments.items()}
        return {**values, "overall": getattr(source, f"overall_{composite}")}

    return {
        "objective": r.objective,
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
    if allocation.refinement:
        lines.append(refine_line(allocation))
    return "\n".join(lines)


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
    """One row per eligible rep per step: the whole decision table of every assignment."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(AUDIT_COLUMNS)
    for step in iter_audit(dataset, allocation):
        for row in step.rows:
            writer.writerow([step.segment, step.step, formula_safe(step.account_id),
                             formula_safe(step.account_name), repr(step.arr), step.segment_reason,
                             formula_safe(row.rep), repr(row.arr), row.accounts, repr(row.risk_arr),
                             repr(row.blended), row.geo, row.preserve, repr(row.total),
                             "yes" if row.winner else "", formula_safe(step.reason) if row.winner else ""])
    if allocation.refinement:
        _write_refinement_rows(writer, dataset, allocation)
    return buffer.getvalue().encode("utf-8")


def _write_refinement_rows(writer, dataset: Dataset, allocation: Allocation) -> None:
    """After the greedy's steps, one row per account a refinement change moved, its new rep
    marked as the winner, numbered on from the segment's last greedy step."""
    for step in iter_refinement(dataset, allocation):
        offset = len(allocation.segments[step.segment].accounts)
        for moved in step.accounts:
            book = next(r for r in step.reps if r.rep == moved.to_rep)
            writer.writerow([step.segment, offset + step.number, formula_safe(moved.account_id),
                             formula_safe(moved.account_name), repr(moved.arr), f"refinement {step.kind}",
                             formula_safe(moved.to_rep), repr(book.arr[0]), book.accounts[0],
                             repr(book.risk_arr[0]), "", "", "", "", "yes", formula_safe(step.reason)])


def _write(path: Path, data: bytes) -> None:
    try:
        path.write_bytes(data)
    except OSError as error:
        raise InputError(f"{path}: cannot be written ({error.strerror or error})") from None


def _score(value: float | None) -> str:
    return "N/A" if value is None else f"{value:.1f}"


def _blank(value: float | None) -> str:
    return "" if value is None else repr(value)
