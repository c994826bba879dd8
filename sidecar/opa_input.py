"""Builds the input document OPA evaluates for one Check."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sidecar.api import pb
from sidecar.formats import rfc3339
from sidecar.proto_json import message_to_dict


def request_document(request: pb.CheckRequest) -> dict[str, Any]:
    """The request with proto field names, enum names and RFC 3339 timestamps.

    Fields left at their default ("", false, unspecified) are absent, as in any
    protobuf JSON; the policy reads an absent field as missing. Leaving them
    out keeps the document OPA parses for every decision small.
    """
    document: dict[str, Any] = message_to_dict(request)
    return document


def build_input(
    request: pb.CheckRequest,
    *,
    now: datetime,
    caller: str | None,
    clearance_keys: str | None = None,
) -> dict[str, Any]:
    """The full OPA input: the request and the context it is judged in.

    `clearance_keys` is the JWKS (a JSON string) that clearance tokens must
    verify against, or None when clearances are accepted unsigned.
    """
    return {
        "request": request_document(request),
        "context": {
            "time": rfc3339(now),
            "caller": caller,
            "request_id": request.request_id,
            "clearance_keys": clearance_keys,
        },
    }
