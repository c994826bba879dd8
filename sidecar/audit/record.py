"""Building the audit record of one Check decision.

The record names who asked, what was decided and under which policy, and holds a digest of
the whole request. It never holds the victim identifier in clear, nor any free-text field of
the request (justification, information sought, offence, line of enquiry).
"""

import hashlib
import re
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime

from google.protobuf.message import EncodeError

from sidecar._generated.vir.authz.v1 import authz_service_pb2 as pb
from sidecar.audit.pseudonym import Pseudonymiser
from sidecar.formats import audit_time, category_name

OUTCOMES = frozenset({"allow", "deny", "invalid", "error"})
# Identifiers copied from the request are cut to this many characters, so a caller cannot
# make records arbitrarily large; request_digest still covers the full request.
MAX_IDENTIFIER_CHARS = 256
REDACTED_ERROR = "redacted:not_a_machine_code"
# The error code of the record written when an operator lets the sidecar set aside a
# complete final record that failed verification (--audit-accept-damaged-tail).
DAMAGED_RECORD_ACCEPTED = "audit_damaged_record_accepted"
MAX_ERROR_CHARS = 128
# Lower-case words joined by _ . : -, and list indexes of at most three digits such as
# "invalid_argument:clearance.categories[1]"; nothing else can carry free text.
_ERROR_PATTERN = re.compile(r"(?:[a-z0-9_.:\-]|\[[0-9]{1,3}\])+")
# Version of the record's field set. Records without a `format` field are format 1, written
# before the policy's facts (FACT_FIELDS) were recorded.
RECORD_FORMAT = 2
# What the policy established about the request (its decision's `facts`), copied when given.
FACT_FIELDS = (
    "requester_org",
    "authoriser_rank",
    "notice_status",
    "withholding_ground",
    "counselling",
)


def build_record(
    *,
    decision_id: str,
    request: pb.CheckRequest | None,
    outcome: str,
    codes: Sequence[str],
    caller: str | None,
    policy_revision: str,
    time: datetime,
    pseudonymiser: Pseudonymiser | None,
    error: str | None = None,
    facts: Mapping[str, object] | None = None,
) -> dict[str, object]:
    """Return the fields of the audit record; the trail adds seq, prev_mac and mac.

    `request` may be None or partly invalid; nothing in it makes this function fail.
    `error` must be a short machine code such as "opa_unavailable"; anything else is
    replaced by REDACTED_ERROR so that free text cannot reach the trail through it.
    `facts` is the policy decision's `facts` object; only FACT_FIELDS are kept, each a
    bounded string, a boolean or None.
    """
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r}")
    if time.tzinfo is None:
        raise ValueError("time must be timezone-aware")
    record: dict[str, object] = {
        "decision_id": decision_id,
        "time": audit_time(time),
        "caller": _identifier(caller),
        "outcome": outcome,
        "codes": [str(code) for code in codes],
        "policy_revision": policy_revision,
        "error": _machine_code(error),
        "request_id": None,
        "requester_id": None,
        "requester_body": None,
        "clearance_id": None,
        "authoriser_id": None,
        "category": None,
        "victim": None,
        "request_digest": None,
        "format": RECORD_FORMAT,
        **_facts(facts),
    }
    if request is not None:
        if pseudonymiser is None:
            raise ValueError("a record of a request needs a pseudonymiser")
        record.update(
            request_id=_identifier(request.request_id),
            requester_id=_identifier(request.requester.id),
            requester_body=_identifier(request.requester.body),
            clearance_id=_identifier(request.clearance.id),
            authoriser_id=_identifier(request.clearance.authoriser_id),
            category=category_name(request.record.category),
            victim=pseudonymiser.pseudonymise(request.record.victim_id),
            request_digest=request_digest(request),
        )
    return record


def damaged_record_accepted_record(time: datetime) -> dict[str, object]:
    """The record of an operator's acknowledgement that a damaged final record was set aside.

    It takes the seq of the record set aside, has outcome "error" and no request, and is not
    a decision: no caller was answered with its decision_id.
    """
    return build_record(
        decision_id=str(uuid.uuid4()),
        request=None,
        outcome="error",
        codes=[],
        caller=None,
        policy_revision="none",
        time=time,
        pseudonymiser=None,
        error=DAMAGED_RECORD_ACCEPTED,
    )


def request_digest(request: pb.CheckRequest) -> str | None:
    """ "sha256:<hex>" of the request's deterministic protobuf serialisation.

    Deterministic serialisation is stable for one protobuf schema and library, which is what
    matching a stored request against its record needs; it is not a cross-language canonical
    form, so recompute digests with SerializeToString(deterministic=True) in Python.
    """
    try:
        data: bytes = request.SerializeToString(deterministic=True)
    except EncodeError:
        return None
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _identifier(value: str | None) -> str | None:
    if not value:
        return None
    # Lone surrogates cannot be encoded as UTF-8 JSON; replace rather than fail.
    text = value.encode("utf-8", "replace").decode("utf-8")
    return text[:MAX_IDENTIFIER_CHARS]


def _facts(facts: Mapping[str, object] | None) -> dict[str, object]:
    given = facts or {}
    kept: dict[str, object] = {}
    for name in FACT_FIELDS:
        value = given.get(name)
        kept[name] = value if isinstance(value, bool) or value is None else _fact_text(value)
    return kept


def _fact_text(value: object) -> str | None:
    return _identifier(value) if isinstance(value, str) else None


def _machine_code(error: str | None) -> str | None:
    if error is None:
        return None
    if len(error) <= MAX_ERROR_CHARS and _ERROR_PATTERN.fullmatch(error):
        return error
    return REDACTED_ERROR
