"""The standard gRPC rich error model for refused requests.

An INVALID_ARGUMENT answer carries, besides its message, a google.rpc.Status
in the grpc-status-details-bin trailer whose details hold a google.rpc.BadRequest
naming the field. A client in any language reads the field from it without
parsing the message text (docs/integrating.md).
"""

from __future__ import annotations

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status


def bad_request_status(field: str, description: str, message: str) -> grpc.Status:
    """An INVALID_ARGUMENT status with `message`, whose BadRequest detail names `field`."""
    violation = error_details_pb2.BadRequest.FieldViolation(field=field, description=description)
    detail = any_pb2.Any()
    detail.Pack(error_details_pb2.BadRequest(field_violations=[violation]))
    status = status_pb2.Status(code=code_pb2.INVALID_ARGUMENT, message=message, details=[detail])
    result: grpc.Status = rpc_status.to_status(status)
    return result


def field_violations(error: grpc.Call) -> list[tuple[str, str]]:
    """The (field, description) pairs of the BadRequest details of a failed call, if any."""
    status = rpc_status.from_call(error)
    if status is None:
        return []
    violations: list[tuple[str, str]] = []
    for detail in status.details:
        bad_request = error_details_pb2.BadRequest()
        if detail.Unpack(bad_request):
            violations.extend((v.field, v.description) for v in bad_request.field_violations)
    return violations
