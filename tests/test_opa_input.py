from __future__ import annotations

from datetime import UTC, datetime

from sidecar.api import pb
from sidecar.opa_input import build_input

NOW = datetime(2026, 6, 1, 12, 30, 0, tzinfo=UTC)


def test_input_carries_request_with_proto_names_and_enum_names(
    allowed_request: pb.CheckRequest,
) -> None:
    document = build_input(allowed_request, now=NOW, caller="spiffe://force/records")
    request = document["request"]
    assert request["record"]["category"] == "RECORD_CATEGORY_COUNSELLING"
    assert request["record"]["holder_provides_counselling"] is True
    assert request["clearance"]["categories"] == ["RECORD_CATEGORY_COUNSELLING"]
    assert request["victim_notice"]["status"] == "NOTICE_STATUS_GIVEN"
    assert request["record"]["period_start"] == "2026-03-14T00:00:00Z"
    assert request["justification"]["presumption_rebuttal"].startswith("The material")


def test_input_context_has_time_caller_and_request_id(allowed_request: pb.CheckRequest) -> None:
    document = build_input(allowed_request, now=NOW, caller=None)
    assert document["context"] == {
        "time": "2026-06-01T12:30:00Z",
        "caller": None,
        "request_id": "REQ-2026-000123",
        "clearance_keys": None,
    }


def test_input_context_carries_the_clearance_keys_when_given(
    allowed_request: pb.CheckRequest,
) -> None:
    document = build_input(allowed_request, now=NOW, caller=None, clearance_keys='{"keys":[]}')
    assert document["context"]["clearance_keys"] == '{"keys":[]}'


def test_fields_left_at_their_defaults_are_absent() -> None:
    request = pb.CheckRequest(request_id="r1")
    request.record.category = pb.RECORD_CATEGORY_MEDICAL
    document = build_input(request, now=NOW, caller=None)["request"]
    assert document == {"request_id": "r1", "record": {"category": "RECORD_CATEGORY_MEDICAL"}}
