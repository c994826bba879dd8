"""Verifying each trail, then streaming its verified records into tallies.

Each trail (one per replica: a directory, or a single audit file) is verified with
sidecar.audit.verify.verify_paths first. A trail that verifies is read again, line by line,
up to the number of records verification counted, so records appended in between are left
out rather than counted unverified. A trail that fails is never counted with the others: its
lines are only counted, as unverified, by outcome where a line can be read at all.
"""

from __future__ import annotations

import multiprocessing
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from sidecar.audit.files import is_quarantine_file, list_audit_files
from sidecar.audit.verify import VerifyResult, verify_paths
from sidecar.report.periods import day_of, period_key
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

    def merge(self, other: Tallies) -> None:
        """Add another trail's per-period counts to these."""
        for period, tally in other.periods.items():
            mine = self.periods.get(period)
            if mine is None:
                self.periods[period] = tally
            else:
                mine.merge(tally)

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


def read_trails(
    paths: Sequence[Path],
    key: bytes,
    *,
    by: str,
    dates: DateRange,
    from_genesis: bool = True,
    workers: int = 1,
) -> tuple[list[TrailResult], Tallies]:
    """Verify and count every trail, up to `workers` at a time in their own processes.

    Trails are independent chains, so they verify in parallel; the counts are merged after.
    """
    jobs = [(path, key, by, dates, from_genesis) for path in paths]
    if workers > 1 and len(paths) > 1:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(min(workers, len(paths)), mp_context=context) as pool:
            done = list(pool.map(_read_one, jobs))
    else:
        done = [_read_one(job) for job in jobs]
    tallies = Tallies()
    for _, trail_tallies in done:
        tallies.merge(trail_tallies)
    tallies.finish()
    return [result for result, _ in done], tallies


def _read_one(job: tuple[Path, bytes, str, DateRange, bool]) -> tuple[TrailResult, Tallies]:
    path, key, by, dates, from_genesis = job
    tallies = Tallies()
    result = read_trail(
        path, key, into=tallies, period_of=period_key(by), dates=dates, from_genesis=from_genesis
    )
    return result, tallies


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
