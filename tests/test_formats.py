from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from sidecar.api import pb
from sidecar.formats import audit_time, category_label, category_name, rfc3339

NOW = datetime(2026, 6, 1, 12, 30, 0, tzinfo=UTC)


def test_rfc3339_uses_z_for_utc() -> None:
    assert rfc3339(NOW) == "2026-06-01T12:30:00Z"


def test_rfc3339_keeps_a_fraction_and_converts_to_utc() -> None:
    moment = datetime(2026, 6, 1, 13, 30, 0, 5, tzinfo=timezone(timedelta(hours=1)))
    assert rfc3339(moment) == "2026-06-01T12:30:00.000005Z"


def test_audit_time_always_has_microseconds_in_utc() -> None:
    assert audit_time(NOW) == "2026-06-01T12:30:00.000000Z"
    moment = datetime(2026, 6, 1, 13, 30, 0, 5, tzinfo=timezone(timedelta(hours=1)))
    assert audit_time(moment) == "2026-06-01T12:30:00.000005Z"


def test_category_name_is_the_lower_case_enum_name() -> None:
    assert category_name(pb.RECORD_CATEGORY_COUNSELLING) == "counselling"
    assert category_name(pb.RECORD_CATEGORY_UNSPECIFIED) is None
    assert category_name(42) == "unknown:42"


def test_category_label_is_bounded() -> None:
    def request(category: int) -> pb.CheckRequest:
        return pb.CheckRequest(record=pb.Record(category=category))  # type: ignore[arg-type]

    assert category_label(request(pb.RECORD_CATEGORY_COUNSELLING)) == "counselling"
    assert category_label(request(pb.RECORD_CATEGORY_UNSPECIFIED)) == "unspecified"
    assert category_label(request(42)) == "unknown"
    assert category_label(request(43)) == "unknown"
    assert category_label(None) == "unknown"
