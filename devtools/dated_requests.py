"""Move the timestamps of a stored request to the present.

Scenario tables and example requests are written as at a fixed date, but a
live sidecar decides at its own clock. Clearances have a bounded lifetime
(``maximum_clearance_days``) and notices must not be dated after the decision,
so a stored request keeps its meaning only if every timestamp in it moves by
the same amount: the time elapsed since the date it was written for.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from sidecar.scenario_lookup import TABLE_TIME

# The decision time the scenario tables in policies/scenarios are written for.
SCENARIO_TIME = TABLE_TIME

# The date the requests in examples/ are written for.
EXAMPLES_TIME = datetime(2026, 12, 1, tzinfo=UTC)

_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def elapsed_since(written_for: datetime, now: datetime | None = None) -> timedelta:
    """Whole seconds from written_for to now (the current time by default)."""
    current = now if now is not None else datetime.now(UTC)
    return timedelta(seconds=int((current - written_for).total_seconds()))


def moved(value: Any, shift: timedelta) -> Any:
    """A copy of a JSON-like value with every RFC 3339 string moved by shift."""
    if isinstance(value, dict):
        return {key: moved(item, shift) for key, item in value.items()}
    if isinstance(value, list):
        return [moved(item, shift) for item in value]
    if isinstance(value, str) and _RFC3339.match(value):
        stamp = datetime.fromisoformat(value) + shift
        return stamp.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return value
