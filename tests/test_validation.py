from __future__ import annotations

import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from sidecar.api import pb
from sidecar.validation import (
    ID_MAX_CHARS,
    REPEATED_MAX_ITEMS,
    TEXT_MAX_CHARS,
    InvalidRequest,
    validate,
)


def field_of(error: pytest.ExceptionInfo[InvalidRequest]) -> str:
    return error.value.field


def test_a_complete_request_is_valid(allowed_request: pb.CheckRequest) -> None:
    validate(allowed_request)


def test_a_request_with_only_identifiers_and_category_is_valid_for_the_policy() -> None:
    request = pb.CheckRequest(request_id="r1")
    request.requester.id = "PC-1"
    request.record.victim_id = "V-1"
    request.record.category = pb.RECORD_CATEGORY_MEDICAL
    validate(request)


@pytest.mark.parametrize("blank", ["", "   "])
@pytest.mark.parametrize(
    ("message", "field"),
    [("", "request_id"), ("requester", "id"), ("record", "victim_id")],
)
def test_missing_identifier_is_rejected(
    allowed_request: pb.CheckRequest, blank: str, message: str, field: str
) -> None:
    holder = getattr(allowed_request, message) if message else allowed_request
    setattr(holder, field, blank)
    with pytest.raises(InvalidRequest) as error:
        validate(allowed_request)
    assert field_of(error) == ".".join(filter(None, [message, field]))


def test_unspecified_category_is_rejected(allowed_request: pb.CheckRequest) -> None:
    allowed_request.record.category = pb.RECORD_CATEGORY_UNSPECIFIED
    with pytest.raises(InvalidRequest) as error:
        validate(allowed_request)
    assert field_of(error) == "record.category"
    assert "required" in str(error.value)


def test_unknown_category_number_is_rejected(allowed_request: pb.CheckRequest) -> None:
    allowed_request.record.category = 99  # type: ignore[assignment]
    with pytest.raises(InvalidRequest) as error:
        validate(allowed_request)
    assert field_of(error) == "record.category"
    assert "99" in str(error.value)


def test_unknown_enum_inside_a_repeated_field_names_its_index(
    allowed_request: pb.CheckRequest,
) -> None:
    allowed_request.clearance.categories.append(42)  # type: ignore[arg-type]
    with pytest.raises(InvalidRequest) as error:
        validate(allowed_request)
    assert field_of(error) == "clearance.categories[1]"


def test_unknown_notice_status_is_rejected(allowed_request: pb.CheckRequest) -> None:
    allowed_request.victim_notice.status = 7  # type: ignore[assignment]
    with pytest.raises(InvalidRequest) as error:
        validate(allowed_request)
    assert field_of(error) == "victim_notice.status"


def test_identifier_longer_than_limit_is_rejected(allowed_request: pb.CheckRequest) -> None:
    allowed_request.record.victim_id = "v" * (ID_MAX_CHARS + 1)
    with pytest.raises(InvalidRequest) as error:
        validate(allowed_request)
    assert field_of(error) == "record.victim_id"


def test_identifier_at_limit_is_accepted(allowed_request: pb.CheckRequest) -> None:
    allowed_request.record.victim_id = "v" * ID_MAX_CHARS
    validate(allowed_request)


def test_text_field_may_exceed_identifier_limit_but_not_text_limit(
    allowed_request: pb.CheckRequest,
) -> None:
    allowed_request.justification.necessity = "n" * TEXT_MAX_CHARS
    validate(allowed_request)
    allowed_request.justification.necessity += "n"
    with pytest.raises(InvalidRequest) as error:
        validate(allowed_request)
    assert field_of(error) == "justification.necessity"


def test_too_many_repeated_items_are_rejected(allowed_request: pb.CheckRequest) -> None:
    allowed_request.clearance.categories.extend([pb.RECORD_CATEGORY_OTHER] * REPEATED_MAX_ITEMS)
    with pytest.raises(InvalidRequest) as error:
        validate(allowed_request)
    assert field_of(error) == "clearance.categories"


@pytest.mark.parametrize(
    "text",
    ["1999-12-31T23:59:59Z", "2101-01-01T00:00:00Z"],
)
def test_timestamp_outside_2000_to_2100_is_rejected(
    allowed_request: pb.CheckRequest, text: str
) -> None:
    stamp = Timestamp()
    stamp.FromJsonString(text)
    allowed_request.clearance.expires_at.CopyFrom(stamp)
    with pytest.raises(InvalidRequest) as error:
        validate(allowed_request)
    assert field_of(error) == "clearance.expires_at"


@pytest.mark.parametrize("text", ["2000-01-01T00:00:00Z", "2100-12-31T23:59:59Z"])
def test_timestamp_at_the_edges_of_the_range_is_accepted(
    allowed_request: pb.CheckRequest, text: str
) -> None:
    allowed_request.record.period_end.FromJsonString(text)
    validate(allowed_request)


def test_error_text_names_field_and_problem() -> None:
    assert str(InvalidRequest("record.category", "is required")) == "record.category: is required"
