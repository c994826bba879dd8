from __future__ import annotations

from dataclasses import dataclass

import grpc
from google.rpc import code_pb2, error_details_pb2, status_pb2

from sidecar.rich_errors import bad_request_status, field_violations

DETAILS_KEY = "grpc-status-details-bin"


def test_bad_request_status_is_invalid_argument_with_the_message_kept() -> None:
    status = bad_request_status("record.victim_id", "is required", "record.victim_id: is required")
    assert status.code == grpc.StatusCode.INVALID_ARGUMENT
    assert status.details == "record.victim_id: is required"


def test_bad_request_status_carries_the_field_and_description_in_the_details_trailer() -> None:
    status = bad_request_status("clearance.categories[1]", "unknown value 9", "text")
    [(key, value)] = status.trailing_metadata
    assert key == DETAILS_KEY
    carried = status_pb2.Status.FromString(value)
    assert carried.code == code_pb2.INVALID_ARGUMENT
    assert carried.message == "text"
    [detail] = carried.details
    bad_request = error_details_pb2.BadRequest()
    assert detail.Unpack(bad_request)
    [violation] = bad_request.field_violations
    assert (violation.field, violation.description) == (
        "clearance.categories[1]",
        "unknown value 9",
    )


@dataclass
class FinishedCall:
    """The parts of a failed grpc.Call that the rich status is read from."""

    status: grpc.Status

    def code(self) -> grpc.StatusCode:
        return self.status.code

    def details(self) -> str:
        return self.status.details

    def trailing_metadata(self) -> tuple[tuple[str, bytes], ...]:
        return tuple(self.status.trailing_metadata)


def test_field_violations_reads_back_what_bad_request_status_wrote() -> None:
    call = FinishedCall(
        bad_request_status("requester.id", "is required", "requester.id: is required")
    )
    assert field_violations(call) == [("requester.id", "is required")]  # type: ignore[arg-type]


def test_field_violations_of_a_call_without_details_is_empty() -> None:
    @dataclass
    class PlainStatus:
        code: grpc.StatusCode
        details: str
        trailing_metadata: tuple[tuple[str, bytes], ...]

    call = FinishedCall(PlainStatus(grpc.StatusCode.UNAVAILABLE, "down", ()))  # type: ignore[arg-type]
    assert field_violations(call) == []  # type: ignore[arg-type]
