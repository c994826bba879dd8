"""Fail when a line of a Rego policy is not covered by the policy tests.

Usage::

    python -m devtools.coverage_gate [BUNDLE_DIR]

Runs ``opa test --bundle BUNDLE_DIR --coverage --format json`` (default
``policies``) and reads the coverage report. Files ending in ``_test.rego`` are
tests and are not measured. Exits 0 and prints the coverage percentage when
every policy line is covered; exits 1 and lists the lines that are not covered,
or when the tests fail; exits 2 when OPA cannot be run or its report cannot be
read.

The OPA binary is ``$VIR_OPA_BINARY`` when set, else ``.tools/bin/opa`` under
the current directory, else ``opa`` on the ``PATH``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sidecar.opa.command import BINARY_ENV_VAR, OpaStartError, find_binary

OPA_ENV_VAR = BINARY_ENV_VAR

EXIT_OK = 0
EXIT_NOT_COVERED = 1
EXIT_ERROR = 2


class GateError(Exception):
    """OPA could not be run, or its report could not be read."""


@dataclass(frozen=True, order=True)
class LineRange:
    """Lines ``start`` to ``end`` (inclusive) of one policy file."""

    path: str
    start: int
    end: int

    def __str__(self) -> str:
        if self.start == self.end:
            return f"{self.path}:{self.start}"
        return f"{self.path}:{self.start}-{self.end}"


@dataclass(frozen=True)
class CoverageResult:
    """Coverage of the policy (non-test) files of a bundle."""

    files: tuple[str, ...]
    covered_lines: int
    not_covered_lines: int
    not_covered: tuple[LineRange, ...] = field(default=())

    @property
    def percentage(self) -> float:
        total = self.covered_lines + self.not_covered_lines
        if total == 0:
            return 100.0
        return 100.0 * self.covered_lines / total

    @property
    def complete(self) -> bool:
        return not self.not_covered and self.not_covered_lines == 0


def is_policy_file(path: str) -> bool:
    """True for a Rego file that is not a test file."""
    return path.endswith(".rego") and not path.endswith("_test.rego")


def display_path(path: str, bundle_dir: str) -> str:
    """The file's path as the user knows it.

    In bundle mode OPA reports some locations with the bundle directory twice
    (``policies/policies/vir/...``); those are folded into the real path.
    """
    bundle = os.path.normpath(bundle_dir)
    doubled = f"{bundle}/{bundle.lstrip('/')}/"
    if bundle not in (".", "/") and path.startswith(doubled):
        return f"{bundle}/{path[len(doubled) :]}"
    return path


def _row(position: object) -> int:
    if isinstance(position, Mapping):
        row = position.get("row")
        if isinstance(row, int) and not isinstance(row, bool):
            return row
    raise GateError(f"unexpected position in coverage report: {position!r}")


def _count(entry: Mapping[str, object], key: str) -> int:
    value = entry.get(key, 0)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise GateError(f"unexpected {key} in coverage report: {value!r}")


def parse_report(report: object, bundle_dir: str = "policies") -> CoverageResult:
    """Reads the JSON coverage report of ``opa test --coverage --format json``."""
    if not isinstance(report, Mapping):
        raise GateError("coverage report is not a JSON object")
    files = report.get("files", {})
    if not isinstance(files, Mapping):
        raise GateError("coverage report has no 'files' object")

    policy_files: set[str] = set()
    covered = 0
    not_covered_count = 0
    not_covered: set[LineRange] = set()
    for raw_path, entry in files.items():
        if not isinstance(raw_path, str) or not is_policy_file(raw_path):
            continue
        if not isinstance(entry, Mapping):
            raise GateError(f"unexpected coverage entry for {raw_path}")
        path = display_path(raw_path, bundle_dir)
        policy_files.add(path)
        covered += _count(entry, "covered_lines")
        not_covered_count += _count(entry, "not_covered_lines")
        ranges = entry.get("not_covered", [])
        if not isinstance(ranges, list):
            raise GateError(f"unexpected not_covered entry for {raw_path}")
        for item in ranges:
            if not isinstance(item, Mapping):
                raise GateError(f"unexpected not_covered range for {raw_path}: {item!r}")
            not_covered.add(LineRange(path, _row(item.get("start")), _row(item.get("end"))))
    return CoverageResult(
        files=tuple(sorted(policy_files)),
        covered_lines=covered,
        not_covered_lines=not_covered_count,
        not_covered=merge_ranges(list(not_covered)),
    )


def merge_ranges(ranges: Sequence[LineRange]) -> tuple[LineRange, ...]:
    """Sorts ranges and joins those of one file that overlap or touch."""
    merged: list[LineRange] = []
    for current in sorted(ranges):
        last = merged[-1] if merged else None
        if last is not None and last.path == current.path and current.start <= last.end + 1:
            merged[-1] = LineRange(last.path, last.start, max(last.end, current.end))
        else:
            merged.append(current)
    return tuple(merged)


def find_opa(environ: Mapping[str, str], cwd: Path) -> str:
    """The OPA binary to run: the sidecar's own lookup."""
    try:
        return find_binary(None, environ, cwd=cwd)
    except OpaStartError as error:
        raise GateError(str(error)) from error


def run_opa_tests(opa: str, bundle_dir: str) -> subprocess.CompletedProcess[str]:
    command = [opa, "test", "--bundle", bundle_dir, "--coverage", "--format", "json"]
    try:
        return subprocess.run(command, capture_output=True, text=True, check=False)
    except OSError as exc:
        raise GateError(f"cannot run {opa}: {exc}") from exc


def report_text(result: CoverageResult) -> str:
    """The message printed for a coverage result."""
    total = result.covered_lines + result.not_covered_lines
    summary = (
        f"policy coverage: {result.percentage:.1f}% "
        f"({result.covered_lines} of {total} lines in {len(result.files)} files)"
    )
    if result.complete:
        return summary
    lines = ["policy lines not covered by any test:"]
    lines.extend(f"  {line_range}" for line_range in result.not_covered)
    lines.append(summary)
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m devtools.coverage_gate",
        description="Fail when a line of a Rego policy is not covered by opa test.",
    )
    parser.add_argument("bundle_dir", nargs="?", default="policies", help="policy bundle directory")
    args = parser.parse_args(argv)
    bundle_dir: str = args.bundle_dir

    try:
        opa = find_opa(os.environ, Path.cwd())
        completed = run_opa_tests(opa, bundle_dir)
        if completed.returncode != 0:
            sys.stderr.write(completed.stdout)
            sys.stderr.write(completed.stderr)
            print(f"opa test failed (exit code {completed.returncode})", file=sys.stderr)
            return EXIT_NOT_COVERED
        try:
            report = json.loads(completed.stdout)
        except json.JSONDecodeError as exc:
            raise GateError(f"opa test did not print a JSON coverage report: {exc}") from exc
        result = parse_report(report, bundle_dir)
    except GateError as exc:
        print(f"coverage gate: {exc}", file=sys.stderr)
        return EXIT_ERROR

    if not result.files:
        print(f"coverage gate: no policy files found in {bundle_dir}", file=sys.stderr)
        return EXIT_ERROR
    if result.complete:
        print(report_text(result))
        return EXIT_OK
    print(report_text(result), file=sys.stderr)
    return EXIT_NOT_COVERED


if __name__ == "__main__":
    sys.exit(main())
