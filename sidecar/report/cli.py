"""`vir-sidecar audit report`: verify trails and report what they add up to.

Exit status: 0 every trail verified, 1 at least one trail failed verification (the report is
still written, with that trail named at the top and its records counted apart), 2 usage
error or unusable key.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, date, datetime
from pathlib import Path

from sidecar.audit.keys import KEY_ENV_VAR
from sidecar.audit.verify_cli import key_for_paths
from sidecar.report.json_csv import to_csv, to_json
from sidecar.report.messages import load_messages
from sidecar.report.periods import PERIODS
from sidecar.report.summary import (
    DEFAULT_MIN_COUNT,
    DEFAULT_TOP_CALLERS,
    Options,
    build_summary,
)
from sidecar.report.trails import DateRange, TrailResult, read_trails

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
FORMATS = ("html", "json", "csv")


def add_report_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the report options to `parser`; run with run_report."""
    parser.add_argument(
        "paths",
        nargs="+",
        type=Path,
        metavar="PATH",
        help="one trail per PATH (a replica's audit directory, or a single audit file)",
    )
    parser.add_argument(
        "--key-file",
        type=Path,
        help=f"file holding the audit key as hex (default: ${KEY_ENV_VAR})",
    )
    parser.add_argument("--from", dest="date_from", type=_date, help="first day, YYYY-MM-DD (UTC)")
    parser.add_argument("--to", dest="date_to", type=_date, help="last day, YYYY-MM-DD (UTC)")
    parser.add_argument("--by", choices=PERIODS, default="month", help="period (default: month)")
    parser.add_argument("--format", choices=FORMATS, default="html", help="default: html")
    parser.add_argument("--out", type=Path, help="write here instead of standard output")
    parser.add_argument(
        "--min-count",
        type=_positive,
        default=DEFAULT_MIN_COUNT,
        help=f'show counts below this as "<N" (default: {DEFAULT_MIN_COUNT}; 1 shows all)',
    )
    parser.add_argument(
        "--top-callers", type=_positive, default=DEFAULT_TOP_CALLERS, help=argparse.SUPPRESS
    )
    parser.add_argument(
        "--partial",
        action="store_true",
        help="accept trails that start after the genesis record (earlier files shipped away)",
    )
    parser.add_argument(
        "--policy-dir",
        type=Path,
        default=Path("policies"),
        help="policy bundle whose finding_text gives the deny reasons' messages",
    )
    parser.add_argument("--opa-binary", default=None, help="opa binary for reading messages")
    parser.add_argument(
        "--jobs",
        type=_positive,
        default=os.cpu_count() or 1,
        help="trails verified at once, each in its own process (default: the CPU count)",
    )


def run_report(args: argparse.Namespace) -> int:
    """Verify, count and write the report described by parsed `args`; return the exit status."""
    key = key_for_paths(args)
    if key is None:
        return EXIT_USAGE
    if args.date_from and args.date_to and args.date_from > args.date_to:
        print("error: --from is after --to", file=sys.stderr)
        return EXIT_USAGE
    options = Options(
        by=args.by,
        date_from=args.date_from,
        date_to=args.date_to,
        min_count=args.min_count,
        top_callers=args.top_callers,
    )
    trails, tallies = read_trails(
        args.paths,
        key,
        by=args.by,
        dates=DateRange(args.date_from, args.date_to),
        from_genesis=not args.partial,
        workers=args.jobs,
    )
    summary = build_summary(
        trails=trails,
        tallies=tallies,
        messages=load_messages(args.policy_dir, args.opa_binary),
        options=options,
        generated_at=datetime.now(UTC),
    )
    text = _render(summary, args.format)
    if args.out is None:
        sys.stdout.write(text)
    else:
        args.out.write_text(text, encoding="utf-8")
    _tell_failures(trails)
    return EXIT_OK if all(trail.ok for trail in trails) else EXIT_FAILED


def _render(summary: dict[str, object], output_format: str) -> str:
    if output_format == "json":
        return to_json(summary)
    if output_format == "csv":
        return to_csv(summary)
    from sidecar.report.html import to_html

    return to_html(summary)


def _tell_failures(trails: list[TrailResult]) -> None:
    for trail in trails:
        if not trail.ok:
            print(
                f"UNVERIFIED TRAIL {trail.path}: {trail.verification.summary()} "
                "(its records are counted apart, as unverified)",
                file=sys.stderr,
            )


def _date(text: str) -> str:
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"not a whole number of at least 1: {text!r}")
    return value
