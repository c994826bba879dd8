"""message_to_dict gives exactly MessageToDict's document, for any field the proto has."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from google.protobuf import json_format, struct_pb2
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sidecar.api import pb
from sidecar.opa.command import find_binary
from sidecar.proto_json import message_to_dict
from sidecar.scenario_lookup import load_scenarios

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("counselling-*.json"))

_INTS = {
    FieldDescriptor.TYPE_INT32: st.integers(-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_SINT32: st.integers(-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_SFIXED32: st.integers(-(2**31), 2**31 - 1),
    FieldDescriptor.TYPE_UINT32: st.integers(0, 2**32 - 1),
    FieldDescriptor.TYPE_FIXED32: st.integers(0, 2**32 - 1),
    FieldDescriptor.TYPE_INT64: st.integers(-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_SINT64: st.integers(-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_SFIXED64: st.integers(-(2**63), 2**63 - 1),
    FieldDescriptor.TYPE_UINT64: st.integers(0, 2**64 - 1),
    FieldDescriptor.TYPE_FIXED64: st.integers(0, 2**64 - 1),
}


def _timestamps() -> st.SearchStrategy[dict[str, int]]:
    # The whole range a Timestamp may hold, with 0, 3, 6 and 9 fraction digits.
    nanos = st.one_of(
        st.just(0),
        st.integers(0, 999).map(lambda n: n * 1_000_000),
        st.integers(0, 999_999).map(lambda n: n * 1_000),
        st.integers(0, 999_999_999),
    )
    seconds = st.integers(-62_135_596_800, 253_402_300_799)
    return st.fixed_dictionaries({"seconds": seconds, "nanos": nanos})


def _value(field: FieldDescriptor, depth: int) -> st.SearchStrategy[Any]:
    kind = field.type
    if kind == FieldDescriptor.TYPE_STRING:
        return st.text(max_size=12)
    if kind == FieldDescriptor.TYPE_BOOL:
        return st.booleans()
    if kind == FieldDescriptor.TYPE_BYTES:
        return st.binary(max_size=12)
    if kind in _INTS:
        return _INTS[kind]
    if kind in (FieldDescriptor.TYPE_FLOAT, FieldDescriptor.TYPE_DOUBLE):
        return st.floats(width=32 if kind == FieldDescriptor.TYPE_FLOAT else 64)
    if kind == FieldDescriptor.TYPE_ENUM:
        known = [value.number for value in field.enum_type.values]
        return st.one_of(st.sampled_from(known), st.integers(-5, 2**31 - 1))
    assert kind == FieldDescriptor.TYPE_MESSAGE, field.full_name
    if field.message_type.full_name == "google.protobuf.Timestamp":
        return _timestamps()
    return _fields(field.message_type, depth + 1)


def _fields(descriptor: Descriptor, depth: int = 0) -> st.SearchStrategy[dict[str, Any]]:
    """Random field values for `descriptor`, read from the descriptor: any field a newer
    proto adds is covered too."""
    if depth > 3:
        return st.just({})
    values: dict[str, st.SearchStrategy[Any]] = {}
    for field in descriptor.fields:
        value = _value(field, depth)
        values[field.name] = st.lists(value, max_size=3) if field.is_repeated else value
    return st.fixed_dictionaries({}, optional=values)


def _build(descriptor: Descriptor, message: Message, fields: dict[str, Any]) -> None:
    for name, value in fields.items():
        field = descriptor.fields_by_name[name]
        if field.type != FieldDescriptor.TYPE_MESSAGE:
            if field.is_repeated:
                getattr(message, name).extend(value)
            else:
                setattr(message, name, value)
            continue
        for item in value if field.is_repeated else [value]:
            target = getattr(message, name).add() if field.is_repeated else getattr(message, name)
            target.SetInParent()
            if field.message_type.full_name == "google.protobuf.Timestamp":
                target.seconds, target.nanos = item["seconds"], item["nanos"]
            else:
                _build(field.message_type, target, item)


@st.composite
def check_requests(draw: st.DrawFn) -> pb.CheckRequest:
    request = pb.CheckRequest()
    _build(pb.CheckRequest.DESCRIPTOR, request, draw(_fields(pb.CheckRequest.DESCRIPTOR)))
    return request


def reference(message: Message) -> Any:
    return json_format.MessageToDict(message, preserving_proto_field_name=True)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(check_requests())
def test_random_requests_give_the_same_document(request: pb.CheckRequest) -> None:
    assert message_to_dict(request) == reference(request)


@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow])
@given(check_requests())
def test_random_responses_give_the_same_document(request: pb.CheckRequest) -> None:
    # Another message type, to exercise plans beyond the request's.
    response = pb.CheckResponse(decision_id=request.request_id, allow=bool(request.request_id))
    response.reasons.add(code=request.requester.id, message=request.record.id)
    response.evaluated_at.CopyFrom(request.record.period_start)
    assert message_to_dict(response) == reference(response)


def _scenario_requests() -> list[dict[str, Any]]:
    scenarios = load_scenarios(ROOT / "policies", find_binary(None, cwd=ROOT))
    return [s.request for s in scenarios]


def test_there_are_scenarios_to_compare() -> None:
    assert len(_scenario_requests()) >= 50
    assert EXAMPLES


@pytest.mark.parametrize("document", _scenario_requests())
def test_every_scenario_request_gives_the_same_document(document: dict[str, Any]) -> None:
    request = json_format.ParseDict(document, pb.CheckRequest())
    assert message_to_dict(request) == reference(request)


@pytest.mark.parametrize("path", EXAMPLES, ids=[path.name for path in EXAMPLES])
def test_every_example_gives_the_same_document(path: Path) -> None:
    request = json_format.Parse(path.read_text(encoding="utf-8"), pb.CheckRequest())
    assert message_to_dict(request) == reference(request)


def test_types_the_plan_leaves_out_go_to_message_to_dict() -> None:
    value = struct_pb2.Struct()
    value.update({"a": [1.5, "x", None, True], "b": {"c": 2}})
    assert (
        message_to_dict(value)
        == reference(value)
        == {
            "a": [1.5, "x", None, True],
            "b": {"c": 2.0},
        }
    )


def test_an_out_of_range_timestamp_fails_as_in_message_to_dict() -> None:
    request = pb.CheckRequest()
    request.record.period_start.seconds = 2**62
    with pytest.raises(json_format.SerializeToJsonError):
        reference(request)
    with pytest.raises(json_format.SerializeToJsonError):
        message_to_dict(request)
