from datetime import UTC, datetime, timedelta

from devtools.dated_requests import SCENARIO_TIME, elapsed_since, moved


def test_elapsed_since_is_whole_seconds() -> None:
    now = SCENARIO_TIME + timedelta(days=3, seconds=7, microseconds=900)
    assert elapsed_since(SCENARIO_TIME, now) == timedelta(days=3, seconds=7)


def test_moved_shifts_every_timestamp_and_nothing_else() -> None:
    request = {
        "request_id": "2026-01-01",
        "clearance": {"granted_at": "2026-05-20T09:00:00Z", "categories": ["A"]},
        "victim_notice": {"given_at": "2026-01-12T10:00:00.5+01:00", "status": "GIVEN"},
        "record": {"whole_file": False, "period_start": "2025-03-01T00:00:00Z"},
    }
    shifted = moved(request, timedelta(days=10))
    assert shifted == {
        "request_id": "2026-01-01",
        "clearance": {"granted_at": "2026-05-30T09:00:00Z", "categories": ["A"]},
        "victim_notice": {"given_at": "2026-01-22T09:00:00.500000Z", "status": "GIVEN"},
        "record": {"whole_file": False, "period_start": "2025-03-11T00:00:00Z"},
    }
    assert request["clearance"]["granted_at"] == "2026-05-20T09:00:00Z"


def test_moved_keeps_the_distance_between_timestamps() -> None:
    shift = elapsed_since(SCENARIO_TIME, datetime(2031, 2, 3, 4, 5, 6, tzinfo=UTC))
    granted, expires = moved(["2026-05-20T09:00:00Z", "2026-08-18T09:00:00Z"], shift)
    gap = datetime.fromisoformat(expires) - datetime.fromisoformat(granted)
    assert gap == timedelta(days=90)
