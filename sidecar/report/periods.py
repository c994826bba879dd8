"""Periods of a report (month, week or day) keyed from a record's RFC 3339 UTC time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import lru_cache

PERIODS = ("month", "week", "day")


def period_key(by: str) -> Callable[[str], str]:
    """A function from a record's `time` (2026-03-25T10:00:00.123456Z) to its period label.

    Labels sort in time order: 2026-03 for a month, 2026-W13 for an ISO week, 2026-03-25
    for a day.
    """
    if by == "month":
        return _month
    if by == "week":
        return _week
    if by == "day":
        return _day
    raise ValueError(f"unknown period {by!r}; expected one of {', '.join(PERIODS)}")


def period_start(label: str) -> date:
    """The first day of the period a label names."""
    if "-W" in label:
        year, week = label.split("-W")
        return date.fromisocalendar(int(year), int(week), 1)
    if len(label) == len("2026-03"):
        return date.fromisoformat(label + "-01")
    return date.fromisoformat(label)


def day_of(time: str) -> str:
    """The UTC date part of a record time, e.g. 2026-03-25."""
    return time[:10]


def _month(time: str) -> str:
    return time[:7]


def _day(time: str) -> str:
    return time[:10]


def _week(time: str) -> str:
    return _iso_week(time[:10])


@lru_cache(maxsize=4096)
def _iso_week(day: str) -> str:
    year, week, _ = date.fromisoformat(day).isocalendar()
    return f"{year}-W{week:02d}"
