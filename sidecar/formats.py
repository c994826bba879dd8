"""How the sidecar writes times and record categories, for every reader in one place.

The OPA input, the audit record, the metrics and the operational log all name a record
category and a moment; they do so through these functions, so the forms cannot drift.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sidecar._generated.vir.authz.v1 import authz_service_pb2 as pb

_CATEGORY_PREFIX = "RECORD_CATEGORY_"
# Metric label of a category the sidecar cannot name (no request, or an unknown number):
# labels must stay a bounded set.
UNKNOWN_LABEL = "unknown"


def rfc3339(moment: datetime) -> str:
    """RFC 3339 in UTC with a Z suffix and only the fraction there is, for the OPA input."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def audit_time(moment: datetime) -> str:
    """RFC 3339 in UTC with microseconds, e.g. 2025-03-01T09:30:00.000000Z, for the audit trail.

    Fixed width, so records sort and compare as text.
    """
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def category_name(value: int) -> str | None:
    """ "counselling" for RECORD_CATEGORY_COUNSELLING; None when unset; "unknown:<n>" else."""
    if value == pb.RECORD_CATEGORY_UNSPECIFIED:
        return None
    try:
        name: str = pb.RecordCategory.Name(value)
    except ValueError:
        return f"unknown:{value}"
    return name.removeprefix(_CATEGORY_PREFIX).lower()


def category_label(request: pb.CheckRequest | None) -> str:
    """The category as a bounded metric and log label: its name, "unspecified" or "unknown"."""
    if request is None:
        return UNKNOWN_LABEL
    name = category_name(request.record.category)
    if name is None:
        return "unspecified"
    return UNKNOWN_LABEL if name.startswith("unknown:") else name
