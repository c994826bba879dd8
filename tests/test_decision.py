from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from sidecar.decision import MalformedDecision, parse_decision, to_response

REASON = {"code": "clearance_missing", "message": "No clearance.", "reference": "s.44A"}
OBLIGATION = {"code": "notify_victim", "message": "Tell the victim.", "reference": "s.44B"}


def test_allow_with_no_reasons_parses() -> None:
    decision = parse_decision({"allow": True, "reasons": [], "advice": [], "obligations": []})
    assert decision.allow is True
    assert decision.reason_codes == []


def test_deny_keeps_every_reason_in_order() -> None:
    second = dict(REASON, code="whole_file_requested")
    decision = parse_decision({"allow": False, "reasons": [REASON, second]})
    assert decision.allow is False
    assert decision.reason_codes == ["clearance_missing", "whole_file_requested"]


@pytest.mark.parametrize(
    "document",
    [
        None,
        [],
        "allow",
        {},
        {"allow": "true"},
        {"allow": 1},
        {"allow": True, "reasons": [REASON]},
        {"allow": False, "reasons": []},
        {"allow": False},
        {"allow": False, "reasons": "clearance_missing"},
        {"allow": False, "reasons": [{"code": "x"}]},
        {"allow": False, "reasons": [dict(REASON, message=3)]},
        {"allow": True, "reasons": [], "obligations": [None]},
    ],
    ids=repr,
)
def test_anything_but_a_well_formed_decision_is_malformed(document: Any) -> None:
    with pytest.raises(MalformedDecision):
        parse_decision(document)


def test_response_carries_decision_identity_revision_and_time() -> None:
    decision = parse_decision(
        {"allow": True, "reasons": [], "advice": [], "obligations": [OBLIGATION]}
    )
    when = datetime(2026, 6, 1, tzinfo=UTC)
    response = to_response(
        decision,
        decision_id="d-1",
        policy_revision="rules@sha256:abc+settings@sha256:def",
        evaluated_at=when,
    )
    assert response.allow is True
    assert response.decision_id == "d-1"
    assert response.policy_revision == "rules@sha256:abc+settings@sha256:def"
    assert response.evaluated_at.ToDatetime(tzinfo=UTC) == when
    assert [f.code for f in response.obligations] == ["notify_victim"]
    assert response.obligations[0].reference == "s.44B"


def test_facts_are_carried_with_the_decision() -> None:
    facts = {
        "counselling": True,
        "requester_org": "thames_valley",
        "authoriser_rank": "chief_inspector",
        "notice_status": "given",
        "withholding_ground": None,
    }
    decision = parse_decision({"allow": True, "reasons": [], "facts": facts})
    assert decision.facts == facts


def test_facts_default_to_empty() -> None:
    assert parse_decision({"allow": True}).facts == {}


@pytest.mark.parametrize(
    "facts",
    [[], "counselling", {"counselling": 1}, {"rank": {"level": 40}}, {"ranks": ["a"]}],
)
def test_malformed_facts_are_refused(facts: object) -> None:
    with pytest.raises(MalformedDecision, match="facts"):
        parse_decision({"allow": True, "facts": facts})
