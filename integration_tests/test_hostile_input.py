"""Requests gRPC cannot decode, oversize requests and disguised identifiers, through the real
sidecar: each is refused with INVALID_ARGUMENT, audited, counted and logged."""

from __future__ import annotations

import grpc
import pytest

from integration_tests.processes import Sidecar, audit_records, example_request, verify_trail
from sidecar.api import pb

CHECK_METHOD = "/vir.authz.v1.AuthorizationService/Check"
MAX_MESSAGE_BYTES = 256 * 1024


def send_bytes(sidecar: Sidecar, data: bytes) -> grpc.RpcError:
    """Send `data` as the Check request body, unchanged; return the refusal."""
    assert sidecar.channel is not None
    call = sidecar.channel.unary_unary(
        CHECK_METHOD, response_deserializer=pb.CheckResponse.FromString
    )
    with pytest.raises(grpc.RpcError) as error:
        call(data, timeout=5)
    return error.value


def invalid_decisions(sidecar: Sidecar) -> float:
    return sidecar.metric("vir_decisions_total", outcome="invalid", category="unknown")


GOOD = example_request().SerializeToString()
UNDECODABLE = {
    "invalid_utf8_in_a_string": b"\x0a\x02\xff\xfe",
    "truncated": GOOD[: len(GOOD) // 2] + b"\x0a\x40abc",
    "garbage": b"\xff" * 64,
    # Field 100 as a group, nested 150 deep: past protobuf's recursion limit.
    "deeply_nested_unknown_groups": b"\xa3\x06" * 150 + b"\xa4\x06" * 150,
}


@pytest.mark.parametrize("data", UNDECODABLE.values(), ids=UNDECODABLE.keys())
def test_undecodable_request_is_refused_audited_counted_and_logged(
    sidecar: Sidecar, data: bytes
) -> None:
    error = send_bytes(sidecar, data)

    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error.details() == "request is not a well-formed vir.authz.v1.CheckRequest"
    assert "DecodeError" not in error.details()
    (record,) = audit_records(sidecar.audit_dir)
    assert (record["outcome"], record["error"]) == ("invalid", "invalid_argument:undecodable")
    assert record["request_digest"] is None
    assert invalid_decisions(sidecar) == 1
    checks = [line for line in sidecar.log_lines() if line.get("event") == "check"]
    assert [(c["outcome"], c["error"]) for c in checks] == [
        ("invalid", "invalid_argument:undecodable")
    ]
    assert checks[0]["decision_id"] == record["decision_id"]
    assert sidecar.check(example_request()).allow is True


def oversize_request(size: int) -> bytes:
    request = example_request()
    request.justification.necessity = ""
    base = len(request.SerializeToString())
    request.justification.necessity = "x" * (size - base - 4)
    data = request.SerializeToString()
    assert abs(len(data) - size) <= 2
    return data


def test_oversize_request_within_the_transport_cap_is_refused_and_audited(
    sidecar: Sidecar,
) -> None:
    error = send_bytes(sidecar, oversize_request(300_000))

    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error.details() == f"request is larger than {MAX_MESSAGE_BYTES} bytes"
    (record,) = audit_records(sidecar.audit_dir)
    assert (record["outcome"], record["error"]) == ("invalid", "invalid_argument:too_large")
    assert invalid_decisions(sidecar) == 1
    assert sidecar.check(example_request()).allow is True


def varint(value: int) -> bytes:
    out = b""
    while value >= 0x80:
        out += bytes([0x80 | (value & 0x7F)])
        value >>= 7
    return out + bytes([value])


def test_request_of_exactly_the_limit_is_evaluated(sidecar: Sidecar) -> None:
    data = example_request().SerializeToString()
    # Pad with an unknown field (number 999, length-delimited) to exactly the limit.
    tag = varint(999 << 3 | 2)
    padding = MAX_MESSAGE_BYTES - len(data) - len(tag) - 3
    data += tag + varint(padding) + b"p" * padding
    assert len(data) == MAX_MESSAGE_BYTES

    assert sidecar.stub.Check(pb.CheckRequest.FromString(data), timeout=5).allow is True
    assert len(pb.CheckRequest.FromString(data).SerializeToString()) == MAX_MESSAGE_BYTES
    error = send_bytes(sidecar, data + b"p")
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error.details() == f"request is larger than {MAX_MESSAGE_BYTES} bytes"
    assert [r["outcome"] for r in audit_records(sidecar.audit_dir)] == ["allow", "invalid"]


def test_request_beyond_the_transport_cap_is_refused_by_grpc_unaudited(sidecar: Sidecar) -> None:
    error = send_bytes(sidecar, oversize_request(4 * MAX_MESSAGE_BYTES + 1024))

    assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert audit_records(sidecar.audit_dir) == []
    assert sidecar.check(example_request()).allow is True


def test_invalid_item_of_a_repeated_field_is_named_in_the_answer_and_the_record(
    sidecar: Sidecar,
) -> None:
    request = example_request()
    request.clearance.categories.append(42)  # type: ignore[arg-type]
    with pytest.raises(grpc.RpcError) as error:
        sidecar.check(request)

    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "clearance.categories[1]" in error.value.details()
    (record,) = audit_records(sidecar.audit_dir)
    assert record["error"] == "invalid_argument:clearance.categories[1]"


def test_victim_id_with_a_trailing_space_is_refused_not_matched_to_the_clearance(
    sidecar: Sidecar,
) -> None:
    request = example_request()
    assert request.clearance.victim_id == "V-7f3a9c"
    request.record.victim_id = "V-7f3a9c "
    with pytest.raises(grpc.RpcError) as error:
        sidecar.check(request)

    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error.value.details().startswith("record.victim_id:")
    (record,) = audit_records(sidecar.audit_dir)
    assert (record["outcome"], record["error"]) == ("invalid", "invalid_argument:record.victim_id")


@pytest.mark.parametrize("disguise", ["\u200b", "\u00a0", "\u202e", "\x00", "\ufeff"])
def test_clearance_victim_id_with_a_hidden_character_is_refused(
    sidecar: Sidecar, disguise: str
) -> None:
    request = example_request()
    request.clearance.victim_id = "V-7f3a9c" + disguise
    with pytest.raises(grpc.RpcError) as error:
        sidecar.check(request)

    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert error.value.details().startswith("clearance.victim_id:")


def test_the_trail_of_refused_hostile_input_verifies(sidecar: Sidecar) -> None:
    for data in UNDECODABLE.values():
        send_bytes(sidecar, data)
    send_bytes(sidecar, oversize_request(300_000))
    sidecar.stop()

    assert [r["error"] for r in audit_records(sidecar.audit_dir)] == [
        *["invalid_argument:undecodable"] * len(UNDECODABLE),
        "invalid_argument:too_large",
    ]
    result = verify_trail(sidecar.audit_dir)
    assert result.returncode == 0, result.stdout + result.stderr
