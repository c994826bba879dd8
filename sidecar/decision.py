"""Turns the policy's decision document into a CheckResponse, refusing anything malformed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sidecar.api import pb

FINDING_KEYS = ("code", "message", "reference")
FINDING_LISTS = ("reasons", "advice", "obligations")


class MalformedDecision(ValueError):
    """OPA answered, but not with a decision document this sidecar can trust."""


@dataclass(frozen=True)
class Decision:
    """A policy decision, checked for shape."""

    allow: bool
    reasons: tuple[pb.Finding, ...]
    advice: tuple[pb.Finding, ...]
    obligations: tuple[pb.Finding, ...]
    # What the policy established about the request, for the audit record (see
    # sidecar.audit.record.FACT_FIELDS); empty when the policy gives none.
    facts: Mapping[str, str | bool | None] = field(default_factory=dict)

    @property
    def reason_codes(self) -> list[str]:
        return [finding.code for finding in self.reasons]


def parse_decision(document: object) -> Decision:
    """Check the document's shape; an allow with reasons is treated as malformed, not as allow."""
    if not isinstance(document, Mapping):
        raise MalformedDecision(f"decision is {type(document).__name__}, not an object")
    allow = document.get("allow")
    if not isinstance(allow, bool):
        raise MalformedDecision("decision.allow is missing or not a boolean")
    lists = {name: _parse_findings(document, name) for name in FINDING_LISTS}
    if allow and lists["reasons"]:
        raise MalformedDecision("decision allows but lists reasons")
    if not allow and not lists["reasons"]:
        raise MalformedDecision("decision denies without a reason")
    return Decision(
        allow, lists["reasons"], lists["advice"], lists["obligations"], _parse_facts(document)
    )


def _parse_facts(document: Mapping[str, Any]) -> dict[str, str | bool | None]:
    facts = document.get("facts", {})
    if not isinstance(facts, Mapping):
        raise MalformedDecision("decision.facts is not an object")
    parsed: dict[str, str | bool | None] = {}
    for key, value in facts.items():
        if not isinstance(key, str) or not (value is None or isinstance(value, str | bool)):
            raise MalformedDecision(f"decision.facts.{key} is not a string, boolean or null")
        parsed[key] = value
    return parsed


def _parse_findings(document: Mapping[str, Any], name: str) -> tuple[pb.Finding, ...]:
    items = document.get(name, [])
    if not isinstance(items, list):
        raise MalformedDecision(f"decision.{name} is not a list")
    findings = []
    for index, item in enumerate(items):
        if not isinstance(item, Mapping) or not all(
            isinstance(item.get(key), str) for key in FINDING_KEYS
        ):
            raise MalformedDecision(f"decision.{name}[{index}] is not a finding")
        findings.append(pb.Finding(**{key: item[key] for key in FINDING_KEYS}))
    return tuple(findings)


def to_response(
    decision: Decision, *, decision_id: str, policy_revision: str, evaluated_at: datetime
) -> pb.CheckResponse:
    """Map a decision to the wire response."""
    response = pb.CheckResponse(
        decision_id=decision_id,
        allow=decision.allow,
        reasons=decision.reasons,
        advice=decision.advice,
        obligations=decision.obligations,
        policy_revision=policy_revision,
    )
    response.evaluated_at.FromDatetime(evaluated_at)
    return response
