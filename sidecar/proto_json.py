"""Protobuf messages as the dicts json_format.MessageToDict gives, without its cost.

MessageToDict walks every message through a general printer; every Check needs one, and
it costs more than the rest of building the OPA input. Here each message type gets a plan
from its descriptor, once: a converter per field, chosen by the field's type. Types the
plan does not cover (floats, maps, extensions, well-known types other than Timestamp,
enum values with JSON options) are handed to MessageToDict itself, so the result is the
same document either way (tests/test_proto_json.py compares the two).
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, cast

from google.protobuf import json_format
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

Converter = Callable[[Any], Any]
# Field -> (JSON name, converter); None for a type left to MessageToDict. Keyed by the
# field's descriptor, the very object ListFields returns, which the plan keeps alive.
Plan = dict[FieldDescriptor, tuple[str, Converter]] | None

_TIMESTAMP = "google.protobuf.Timestamp"
_INT64_TYPES = frozenset(
    {
        FieldDescriptor.TYPE_INT64,
        FieldDescriptor.TYPE_UINT64,
        FieldDescriptor.TYPE_SINT64,
        FieldDescriptor.TYPE_FIXED64,
        FieldDescriptor.TYPE_SFIXED64,
    }
)
_INT32_TYPES = frozenset(
    {
        FieldDescriptor.TYPE_INT32,
        FieldDescriptor.TYPE_UINT32,
        FieldDescriptor.TYPE_SINT32,
        FieldDescriptor.TYPE_FIXED32,
        FieldDescriptor.TYPE_SFIXED32,
    }
)

# The range Timestamp.ToJsonString accepts: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z.
_TIMESTAMP_SECONDS_MIN = -62_135_596_800
_TIMESTAMP_SECONDS_MAX = 253_402_300_799
_EPOCH = datetime(1970, 1, 1)

_plans: dict[Descriptor, Plan] = {}


def message_to_dict(message: Message) -> Any:
    """Equal to MessageToDict(message, preserving_proto_field_name=True): a dict, or for a
    well-known type its JSON value."""
    descriptor = cast(Descriptor, message.DESCRIPTOR)
    plan = _plans.get(descriptor, ...)
    if plan is ...:
        plan = _plan(descriptor)
    if plan is None:
        return json_format.MessageToDict(message, preserving_proto_field_name=True)
    document: dict[str, Any] = {}
    for field, value in message.ListFields():
        name, convert = plan[field]
        document[name] = convert(value)
    return document


def _plan(descriptor: Descriptor) -> Plan:
    # Entered before the fields are planned, so that a recursive type finds itself.
    plan: dict[FieldDescriptor, tuple[str, Converter]] = {}
    _plans[descriptor] = plan
    if descriptor.full_name.startswith("google.protobuf.") or descriptor.extension_ranges:
        _plans[descriptor] = None
        return None
    for field in descriptor.fields:
        convert = _field_converter(field)
        if convert is None:
            _plans[descriptor] = None
            return None
        plan[field] = (field.name, convert)
    return plan


def _field_converter(field: FieldDescriptor) -> Converter | None:
    single = _value_converter(field)
    if single is None or not field.is_repeated:
        return single
    if single is _same:
        return list
    return lambda values: [single(value) for value in values]


def _value_converter(field: FieldDescriptor) -> Converter | None:
    kind = field.type
    if kind == FieldDescriptor.TYPE_STRING or kind == FieldDescriptor.TYPE_BOOL:
        return _same
    if kind in _INT32_TYPES:
        return _same
    if kind in _INT64_TYPES:
        return str
    if kind == FieldDescriptor.TYPE_BYTES:
        return _base64
    if kind == FieldDescriptor.TYPE_ENUM:
        enum = field.enum_type
        assert enum is not None
        if enum.is_closed or enum.full_name.startswith("google.protobuf."):
            return None
        if any(value.GetOptions().ListFields() for value in enum.values):
            return None
        names = {value.number: value.name for value in enum.values}
        # An unknown number of an open enum stays a number, as in MessageToDict.
        return lambda number: names.get(number, number)
    if kind == FieldDescriptor.TYPE_MESSAGE:
        message_type = field.message_type
        assert message_type is not None
        if message_type.GetOptions().map_entry:
            return None
        if message_type.full_name == _TIMESTAMP:
            return _timestamp
        # A nested type is planned on first use; a type left to MessageToDict is handled
        # there, so any message type can be converted.
        return message_to_dict
    return None  # float, double, group


def _same(value: Any) -> Any:
    return value


def _base64(value: bytes) -> str:
    return base64.b64encode(value).decode("utf-8")


def _timestamp(value: Any) -> str:
    """Timestamp.ToJsonString without its general checks: 0, 3, 6 or 9 fraction digits."""
    seconds, nanos = value.seconds, value.nanos
    if not (
        _TIMESTAMP_SECONDS_MIN <= seconds <= _TIMESTAMP_SECONDS_MAX and 0 <= nanos < 1_000_000_000
    ):
        raise json_format.SerializeToJsonError(f"Timestamp is out of range: {seconds}s {nanos}ns")
    text = (_EPOCH + timedelta(seconds=seconds)).isoformat()
    if nanos == 0:
        return text + "Z"
    if nanos % 1_000_000 == 0:
        return f"{text}.{nanos // 1_000_000:03d}Z"
    if nanos % 1_000 == 0:
        return f"{text}.{nanos // 1_000:06d}Z"
    return f"{text}.{nanos:09d}Z"
