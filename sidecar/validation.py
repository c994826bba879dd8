"""Checks a CheckRequest is well-formed before the policy sees it.

Missing statements (no justification, no clearance...) are policy matters and
come back as deny reasons; this module rejects only what the policy cannot
judge: a request that does not say who asks, about whom or for what kind of
record, unknown enum numbers, and oversize or out-of-range values.
"""

from __future__ import annotations

from dataclasses import dataclass

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from sidecar.api import pb

ID_MAX_CHARS = 128
TEXT_MAX_CHARS = 10_000
REPEATED_MAX_ITEMS = 16

# Free-text fields; every other string is an identifier or code.
TEXT_FIELDS = frozenset(
    {
        "information_sought",
        "offence",
        "line_of_enquiry",
        "relevance",
        "necessity",
        "proportionality",
        "other_means",
        "probative_value",
        "presumption_rebuttal",
        "handling",
        "deferral_reason",
        "token",
    }
)

# 2000-01-01T00:00:00Z and 2101-01-01T00:00:00Z: timestamps must fall in years 2000-2100.
EARLIEST_SECONDS = 946_684_800
LATEST_SECONDS = 4_133_980_800


@dataclass(frozen=True)
class InvalidRequest(Exception):
    """A request the sidecar will not evaluate, naming the offending field."""

    field: str
    problem: str

    def __str__(self) -> str:
        return f"{self.field}: {self.problem}"


def validate(request: pb.CheckRequest) -> None:
    """Raise InvalidRequest for the first malformed field, or return None."""
    # Identifiers the audit trail must hold for the decision to be accountable.
    for path, value in (
        ("request_id", request.request_id),
        ("requester.id", request.requester.id),
        ("record.victim_id", request.record.victim_id),
    ):
        if not value.strip():
            raise InvalidRequest(path, "is required")
    _check_message(request, prefix="")
    if request.record.category == pb.RECORD_CATEGORY_UNSPECIFIED:
        raise InvalidRequest("record.category", "is required")


def _check_message(message: Message, prefix: str) -> None:
    if isinstance(message, Timestamp):
        _check_timestamp(message, prefix.rstrip("."))
        return
    for field, value in message.ListFields():
        path = prefix + field.name
        if field.is_repeated:
            if len(value) > REPEATED_MAX_ITEMS:
                raise InvalidRequest(path, f"has more than {REPEATED_MAX_ITEMS} items")
            for index, item in enumerate(value):
                _check_value(field, item, f"{path}[{index}]")
        else:
            _check_value(field, value, path)


def _check_value(field: FieldDescriptor, value: object, path: str) -> None:
    if field.type == FieldDescriptor.TYPE_MESSAGE:
        assert isinstance(value, Message)
        _check_message(value, path + ".")
    elif field.type == FieldDescriptor.TYPE_STRING:
        assert isinstance(value, str)
        limit = TEXT_MAX_CHARS if field.name in TEXT_FIELDS else ID_MAX_CHARS
        if len(value) > limit:
            raise InvalidRequest(path, f"is longer than {limit} characters")
    elif field.type == FieldDescriptor.TYPE_ENUM:
        assert isinstance(value, int)
        assert field.enum_type is not None
        if field.enum_type.values_by_number.get(value) is None:
            raise InvalidRequest(path, f"unknown {field.enum_type.name} value {value}")


def _check_timestamp(timestamp: Timestamp, path: str) -> None:
    if not EARLIEST_SECONDS <= timestamp.seconds < LATEST_SECONDS:
        raise InvalidRequest(path, "must be in the years 2000 to 2100")
    if not 0 <= timestamp.nanos < 1_000_000_000:
        raise InvalidRequest(path, "has out-of-range nanos")
