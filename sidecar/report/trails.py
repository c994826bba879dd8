"""Verifying each trail, then streaming its verified records into tallies.

Each trail (one per replica: a directory, or a single audit file) is verified with
sidecar.audit.verify.verify_paths first. A trail that verifies is read again, line by line,
up to the number of records verification counted, so records appended in between are left
out rather than counted unverified. A trail that fails is never counted with the others: its
lines are only counted, as unverified, by outcome where a line can be read at all.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from sidecar.audit.files import is_quarantine_file, list_audit_files
from sidecar.audit.verify import VerifyResult, verify_paths
from sidecar.report.periods import day_of
from sidecar.report.tally import Tally


@dataclass(frozen=True)
class DateRange:
    """Inclusive UTC dates as YYYY-MM-DD; None for an open end."""

    first: str | None = None
    last: str | None = None

    def holds(self, time: str) -> bool:
        day = day_of(time)
        return (self.first is None or day >= self.first) and (self.last is None or day <= self.last)


@dataclass
class TrailResult:
    """One trail: whether it verified, and what was counted from it."""

    path: Path
    verification: VerifyResult
    # Records in the date range; for a failed trail, lines read in the range (unverified).
    counted: int = 0
    unverified_outcomes: Counter[str] = field(default_factory=Counter)

    @property
    def ok(self) -> bool:
        return self.verification.ok


@dataclass
class Tallies:
    """Counts per period label, in label order when read, and in total."""

    periods: dict[str, Tally] = field(default_factory=dict)
    total: Tally = field(default_factory=Tally)

    def add(self, period: str, record: dict[str, object]) -> None:
        tally = self.periods.get(period)
        if tally is None:
            tally = self.periods[period] = Tally()
        tally.add(record)

    def finish(self) -> None:
        """Sort the periods and compute the total."""
        self.periods = dict(sorted(self.periods.items()))
        self.total = Tally()
        for tally in self.periods.values():
            self.total.merge(tally)


def read_trail(
    path: Path,
    key: bytes,
    *,
    into: Tallies,
    period_of: Callable[[str], str],
    dates: DateRange,
    from_genesis: bool = True,
) -> TrailResult:
    """Verify the trail at `path`; add its records in `dates` to `into` only if it verified."""
    verification = verify_paths([path], key, from_genesis=from_genesis)
    result = TrailResult(path=path, verification=verification)
    if verification.ok:
        for record in _records(path, limit=verification.records):
            time = record.get("time")
            if isinstance(time, str) and dates.holds(time):
                into.add(period_of(time), record)
                result.counted += 1
    else:
        for record in _records(path, limit=None):
            time = record.get("time")
            if not isinstance(time, str) or dates.holds(time):
                result.counted += 1
                outcome = record.get("outcome")
                result.unverified_outcomes[
                    outcome if isinstance(outcome, str) else "unreadable"
                ] += 1
    return result


def trail_files(path: Path) -> list[Path]:
    """The files of one trail, as verify_paths reads them (quarantine files are skipped)."""
    if path.is_dir():
        return list_audit_files(path)
    return [] if is_quarantine_file(path) else [path]


def _records(path: Path, *, limit: int | None) -> Iterator[dict[str, object]]:
    """Each line of the trail as a JSON object ({} when a line is not one), up to `limit`."""
    seen = 0
    for file_path in trail_files(path):
        try:
            with file_path.open("rb") as lines:
                for line in lines:
                    if limit is not None and seen >= limit:
                        return
                    seen += 1
                    yield _parse(line)
        except OSError:
            if limit is not None:
                raise
            return


def _parse(line: bytes) -> dict[str, object]:
    try:
        record = orjson.loads(line)
    except orjson.JSONDecodeError:
        return {}
    return record if isinstance(record, dict) else {}
