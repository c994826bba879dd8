"""Allow, deny and invalid input through the real sidecar and OPA."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grpc
import pytest
from google.protobuf import json_format
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from integration_tests.processes import (
    ROOT,
    Sidecar,
    example_file,
    example_request,
    policy_revision,
)
from sidecar.api import SERVICE_NAME, pb


def test_allowed_request_is_allowed_with_revision_and_fresh_decision_id(sidecar: Sidecar) -> None:
    first = sidecar.check(example_request())
    second = sidecar.check(example_request())
    assert first.allow is True
    assert list(first.reasons) == []
    # The revisions of the rules built from policies/ and of the settings, as OPA names them
    # in its provenance.
    assert first.policy_revision == policy_revision()
    assert first.decision_id
    assert first.decision_id != second.decision_id
    assert first.evaluated_at.seconds > 0


def test_denied_request_lists_every_failing_rule(sidecar: Sidecar) -> None:
    response = sidecar.check(example_request("counselling-denied"))
    assert response.allow is False
    assert {f.code for f in response.reasons} == {
        "clearance_missing",
        "presumption_not_rebutted",
        "whole_file_requested",
    }
    assert all(f.message and f.reference for f in response.reasons)


def test_missing_request_id_is_invalid_argument_naming_the_field(sidecar: Sidecar) -> None:
    request = example_request()
    request.request_id = ""
    with pytest.raises(grpc.RpcError) as error:
        sidecar.check(request)
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "request_id" in error.value.details()


def test_unknown_enum_value_is_invalid_argument_naming_the_field(sidecar: Sidecar) -> None:
    request = example_request()
    request.victim_notice.recipient = 12  # type: ignore[assignment]
    with pytest.raises(grpc.RpcError) as error:
        sidecar.check(request)
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "victim_notice.recipient" in error.value.details()


def test_oversize_message_is_refused_and_the_sidecar_stays_up(sidecar: Sidecar) -> None:
    request = example_request()
    request.justification.necessity = "x" * 300_000
    with pytest.raises(grpc.RpcError) as error:
        sidecar.check(request)
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "larger than 262144 bytes" in error.value.details()
    assert sidecar.check(example_request()).allow is True


def test_reflection_lists_the_service(sidecar: Sidecar) -> None:
    assert sidecar.channel is not None
    stub = reflection_pb2_grpc.ServerReflectionStub(sidecar.channel)
    answers = stub.ServerReflectionInfo(
        iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=5
    )
    names = {s.name for answer in answers for s in answer.list_services_response.service}
    assert SERVICE_NAME in names
    assert "grpc.health.v1.Health" in names


def run_check_cli(sidecar: Sidecar, name: str, directory: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sidecar", "check", "--address", sidecar.address,
         "--request", str(example_file(name, directory))],
        capture_output=True, text=True, cwd=ROOT, check=False, timeout=30,
    )  # fmt: skip


def test_check_cli_exit_codes_follow_the_decision(sidecar: Sidecar, tmp_path: Path) -> None:
    allowed = run_check_cli(sidecar, "counselling-allowed", tmp_path)
    assert allowed.returncode == 0, allowed.stderr
    assert '"allow": true' in allowed.stdout
    assert '"decision_id"' in allowed.stdout
    denied = run_check_cli(sidecar, "counselling-denied", tmp_path)
    assert denied.returncode == 1
    assert '"clearance_missing"' in denied.stdout


def test_check_cli_reports_grpc_errors_with_exit_code_2(sidecar: Sidecar, tmp_path: Path) -> None:
    sidecar.stop()
    result = run_check_cli(sidecar, "counselling-allowed", tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("UNAVAILABLE")


def test_request_file_can_name_fields_in_json_style(sidecar: Sidecar) -> None:
    request = pb.CheckRequest()
    json_format.Parse(
        '{"requestId": "r-1", "requester": {"id": "PC-1"},'
        ' "record": {"category": "RECORD_CATEGORY_OTHER", "victimId": "V-1"}}',
        request,
    )
    response = sidecar.check(request)
    assert response.allow is False
    assert "information_not_specified" in {f.code for f in response.reasons}
