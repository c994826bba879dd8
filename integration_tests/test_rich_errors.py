"""INVALID_ARGUMENT answers carry a google.rpc.BadRequest naming the field."""

from __future__ import annotations

import subprocess
import sys

import grpc
import pytest
from google.protobuf import json_format

from integration_tests.processes import ROOT, Sidecar, example_request
from sidecar.api import pb
from sidecar.rich_errors import field_violations


def refusal(sidecar: Sidecar, request: pb.CheckRequest) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as error:
        sidecar.check(request)
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    return error.value


def test_a_missing_identifier_comes_back_as_a_field_violation(sidecar: Sidecar) -> None:
    request = example_request()
    request.record.victim_id = ""
    error = refusal(sidecar, request)
    assert error.details() == "record.victim_id: is required"
    assert field_violations(error) == [("record.victim_id", "is required")]


def test_an_unknown_enum_in_a_list_names_the_element(sidecar: Sidecar) -> None:
    request = example_request()
    request.clearance.categories.append(99)  # type: ignore[arg-type]
    error = refusal(sidecar, request)
    [(field, description)] = field_violations(error)
    assert field == "clearance.categories[1]"
    assert description == "unknown RecordCategory value 99"
    assert error.details() == f"{field}: {description}"


def test_the_check_command_prints_the_field(sidecar: Sidecar) -> None:
    request = example_request()
    request.requester.id = " "
    result = subprocess.run(
        [sys.executable, "-m", "sidecar", "check", "--address", sidecar.address, "--request", "-"],
        input=json_format.MessageToJson(request),
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "INVALID_ARGUMENT: requester.id: is required",
        "field requester.id: is required",
    ]
