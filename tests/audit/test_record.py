import hashlib
from datetime import UTC, datetime, timedelta, timezone

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sidecar._generated.vir.authz.v1 import authz_service_pb2 as pb
from sidecar.audit import Pseudonymiser, build_record
from sidecar.audit.record import (
    DAMAGED_RECORD_ACCEPTED,
    MAX_IDENTIFIER_CHARS,
    REDACTED_ERROR,
    damaged_record_accepted_record,
)

from .helpers import FREE_TEXT, KEY, OTHER_KEY, VICTIM_ID, sample_request

WHEN = datetime(2026, 3, 25, 10, 0, 0, 123456, tzinfo=UTC)
PSEUDONYMISER = Pseudonymiser(KEY)
RECORD_FIELDS = {
    "decision_id",
    "request_id",
    "time",
    "caller",
    "outcome",
    "codes",
    "category",
    "policy_revision",
    "requester_id",
    "requester_body",
    "clearance_id",
    "authoriser_id",
    "request_digest",
    "victim",
    "error",
    "format",
    "requester_org",
    "authoriser_rank",
    "notice_status",
    "withholding_ground",
    "counselling",
}
NO_FACTS = dict.fromkeys(
    ["requester_org", "authoriser_rank", "notice_status", "withholding_ground", "counselling"]
)


def build(request: pb.CheckRequest | None, **overrides: object) -> dict[str, object]:
    arguments: dict[str, object] = {
        "decision_id": "dec-1",
        "request": request,
        "outcome": "deny",
        "codes": ["clearance_missing", "notice_missing"],
        "caller": "spiffe://force.example/records",
        "policy_revision": "rev-abc",
        "time": WHEN,
        "pseudonymiser": PSEUDONYMISER,
    }
    arguments.update(overrides)
    return build_record(**arguments)  # type: ignore[arg-type]


def test_record_from_a_full_request() -> None:
    request = sample_request()

    record = build(request)

    assert set(record) == RECORD_FIELDS
    assert record == {
        "decision_id": "dec-1",
        "request_id": "REQ-1",
        "time": "2026-03-25T10:00:00.123456Z",
        "caller": "spiffe://force.example/records",
        "outcome": "deny",
        "codes": ["clearance_missing", "notice_missing"],
        "category": "counselling",
        "policy_revision": "rev-abc",
        "requester_id": "PC-4821",
        "requester_body": "police",
        "clearance_id": "CLR-1",
        "authoriser_id": "CI-1107",
        "request_digest": "sha256:"
        + hashlib.sha256(request.SerializeToString(deterministic=True)).hexdigest(),
        "victim": PSEUDONYMISER.pseudonymise(VICTIM_ID),
        "error": None,
        "format": 2,
        **NO_FACTS,
    }


def test_victim_is_a_keyed_pseudonym_never_the_identifier() -> None:
    record = build(sample_request())
    pseudonym = str(record["victim"])

    assert pseudonym.startswith("hmac-sha256:")
    assert len(pseudonym) == len("hmac-sha256:") + 64
    assert VICTIM_ID not in pseudonym
    assert Pseudonymiser(KEY).pseudonymise(VICTIM_ID) == pseudonym
    assert Pseudonymiser(OTHER_KEY).pseudonymise(VICTIM_ID) != pseudonym


def test_no_free_text_or_victim_id_in_the_serialised_record() -> None:
    text = orjson.dumps(build(sample_request())).decode()

    assert VICTIM_ID not in text
    for value in FREE_TEXT.values():
        assert value not in text
    assert "marker-" not in text


def test_missing_request_leaves_request_fields_null() -> None:
    record = build(None, outcome="invalid", codes=[], error="invalid_argument:request")

    assert set(record) == RECORD_FIELDS
    for name in (
        "request_id",
        "requester_id",
        "requester_body",
        "clearance_id",
        "authoriser_id",
        "category",
        "victim",
        "request_digest",
    ):
        assert record[name] is None
    assert record["error"] == "invalid_argument:request"


def test_empty_request_gives_nulls_but_a_digest() -> None:
    record = build(pb.CheckRequest(), outcome="invalid")

    assert record["victim"] is None
    assert record["category"] is None
    assert record["request_id"] is None
    assert record["request_digest"] == "sha256:" + hashlib.sha256(b"").hexdigest()


def test_unknown_category_number_is_kept_as_a_number() -> None:
    request = pb.CheckRequest(record=pb.Record(category=42))  # type: ignore[arg-type]

    assert build(request)["category"] == "unknown:42"


def test_free_text_in_error_is_replaced() -> None:
    record = build(None, outcome="error", error="OPA said: victim V-7f3a9c was raped")

    assert record["error"] == REDACTED_ERROR


@pytest.mark.parametrize(
    "error",
    [
        "opa_unavailable",
        "invalid_argument:record.category",
        "invalid_argument:clearance.categories[1]",
        "invalid_argument:clearance.categories[15]",
        "invalid_argument:undecodable",
        "a" * 128,
    ],
)
def test_machine_error_codes_are_kept(error: str) -> None:
    assert build(None, outcome="error", error=error)["error"] == error


@pytest.mark.parametrize(
    "error",
    [
        "invalid_argument:clearance.categories[victim]",
        "invalid_argument:clearance.categories[1234]",
        "invalid_argument:clearance.categories[]",
        "invalid_argument:clearance.categories[1",
        "invalid_argument:clearance.categories 1]",
        "a[1] V-7f3a9c",
        "a" * 129,
        "",
    ],
)
def test_error_codes_with_anything_but_short_numeric_indexes_are_replaced(error: str) -> None:
    assert build(None, outcome="error", error=error)["error"] == REDACTED_ERROR


def test_the_damaged_record_acceptance_has_the_decision_record_fields() -> None:
    record = damaged_record_accepted_record(WHEN)

    assert set(record) == RECORD_FIELDS
    assert (record["outcome"], record["error"]) == ("error", DAMAGED_RECORD_ACCEPTED)
    assert record["time"] == "2026-03-25T10:00:00.123456Z"
    assert record["request_digest"] is None
    assert record["victim"] is None
    assert record["decision_id"] != damaged_record_accepted_record(WHEN)["decision_id"]


def test_a_record_of_a_request_needs_a_pseudonymiser() -> None:
    with pytest.raises(ValueError, match="pseudonymiser"):
        build(sample_request(), pseudonymiser=None)


def test_long_identifiers_are_cut() -> None:
    request = pb.CheckRequest(request_id="x" * 10_000)

    assert build(request)["request_id"] == "x" * MAX_IDENTIFIER_CHARS


def test_time_is_converted_to_utc() -> None:
    local = WHEN.astimezone(timezone(timedelta(hours=1)))

    assert build(None, time=local)["time"] == "2026-03-25T10:00:00.123456Z"


def test_naive_time_and_unknown_outcome_are_programming_errors() -> None:
    with pytest.raises(ValueError, match="timezone"):
        build(None, time=datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="outcome"):
        build(None, outcome="maybe")


_text = st.text(max_size=300)


@given(
    request_id=_text,
    requester_id=_text,
    body=_text,
    victim_id=_text,
    clearance_id=_text,
    category=st.integers(min_value=0, max_value=2**31 - 1),
    relevance=_text,
)
def test_any_request_builds_a_serialisable_record(
    request_id: str,
    requester_id: str,
    body: str,
    victim_id: str,
    clearance_id: str,
    category: int,
    relevance: str,
) -> None:
    request = pb.CheckRequest(
        request_id=request_id,
        requester=pb.Requester(id=requester_id, body=body),
        record=pb.Record(victim_id=victim_id, category=category),  # type: ignore[arg-type]
        clearance=pb.Clearance(id=clearance_id, victim_id=victim_id),
        justification=pb.Justification(relevance=relevance),
    )

    record = build(request, outcome="invalid")

    orjson.dumps(record, option=orjson.OPT_SORT_KEYS)
    if victim_id:
        assert str(record["victim"]).startswith("hmac-sha256:")
    else:
        assert record["victim"] is None


def test_policy_facts_are_recorded() -> None:
    facts = {
        "requester_org": "thames_valley",
        "authoriser_rank": "chief_inspector",
        "notice_status": "withheld",
        "withholding_ground": "risk_of_serious_harm",
        "counselling": True,
    }

    record = build(sample_request(), outcome="allow", codes=[], facts=facts)

    assert {name: record[name] for name in facts} == facts
    assert record["format"] == 2


def test_only_known_facts_of_allowed_types_are_kept() -> None:
    facts: dict[str, object] = {
        "requester_org": "x" * (MAX_IDENTIFIER_CHARS + 50),
        "authoriser_rank": 40,
        "notice_status": "",
        "counselling": False,
        "victim_name": "never copied",
    }

    record = build(sample_request(), facts=facts)

    assert record["requester_org"] == "x" * MAX_IDENTIFIER_CHARS
    assert (record["authoriser_rank"], record["notice_status"]) == (None, None)
    assert (record["withholding_ground"], record["counselling"]) == (None, False)
    assert "victim_name" not in record
    assert b"never copied" not in orjson.dumps(record)
