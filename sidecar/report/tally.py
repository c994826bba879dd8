"""Counting audit records, one period at a time.

Only non-identifying fields are read: outcome, codes, error code, category, requester body,
the policy's facts (format 2), caller and policy revision. Victim pseudonyms, request,
requester, clearance and authoriser identifiers are never read, so they cannot reach a report.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, fields

# Shown instead of a value that a record does not hold.
NOT_RECORDED = "not recorded"  # a format 1 record, written before the field existed
NO_DECISION = "no policy decision"  # invalid or error outcome, or the policy gave no fact
NOT_GIVEN = "not given"  # the request left the field empty

OUTCOMES = ("allow", "deny", "invalid", "error")


@dataclass
class Tally:
    """Counts for one period, or for a whole report."""

    checks: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    deny_reasons: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    categories: Counter[str] = field(default_factory=Counter)
    counselling: Counter[str] = field(default_factory=Counter)
    counselling_outcomes: Counter[str] = field(default_factory=Counter)
    counselling_allowed_by_rank: Counter[str] = field(default_factory=Counter)
    notice: Counter[str] = field(default_factory=Counter)
    withholding_grounds: Counter[str] = field(default_factory=Counter)
    requester_bodies: Counter[str] = field(default_factory=Counter)
    requester_orgs: Counter[str] = field(default_factory=Counter)
    callers: Counter[str] = field(default_factory=Counter)
    policy_revisions: Counter[str] = field(default_factory=Counter)
    record_formats: Counter[str] = field(default_factory=Counter)

    def add(self, record: Mapping[str, object]) -> None:
        """Count one record."""
        self.checks += 1
        outcome = _text(record.get("outcome")) or "unknown"
        self.outcomes[outcome] += 1
        if outcome == "deny":
            codes = record.get("codes")
            if isinstance(codes, list):
                self.deny_reasons.update(code for code in codes if isinstance(code, str))
        if outcome in ("invalid", "error"):
            self.errors[_text(record.get("error")) or NOT_GIVEN] += 1
        self.categories[_text(record.get("category")) or NOT_GIVEN] += 1
        self.requester_bodies[_code(record.get("requester_body")) or NOT_GIVEN] += 1
        self.callers[_text(record.get("caller")) or "unidentified"] += 1
        self.policy_revisions[_text(record.get("policy_revision")) or NOT_GIVEN] += 1
        if "format" not in record:
            self.record_formats["1"] += 1
            self._add_unrecorded_facts()
            return
        self.record_formats[str(record.get("format"))] += 1
        self.requester_orgs[_code(record.get("requester_org")) or NO_DECISION] += 1
        counselling = record.get("counselling")
        if counselling is True:
            self.counselling["counselling"] += 1
            self.counselling_outcomes[outcome] += 1
            if outcome == "allow":
                rank = _code(record.get("authoriser_rank")) or NOT_GIVEN
                self.counselling_allowed_by_rank[rank] += 1
        elif counselling is False:
            self.counselling["not counselling"] += 1
        else:
            self.counselling[NO_DECISION] += 1
        notice = notice_label(record.get("notice_status"))
        self.notice[notice or NO_DECISION] += 1
        if notice == "withheld":
            ground = ground_label(record.get("withholding_ground"))
            self.withholding_grounds[ground or NOT_GIVEN] += 1

    def _add_unrecorded_facts(self) -> None:
        self.requester_orgs[NOT_RECORDED] += 1
        self.counselling[NOT_RECORDED] += 1
        self.notice[NOT_RECORDED] += 1

    def merge(self, other: Tally) -> None:
        """Add `other`'s counts to these."""
        self.checks += other.checks
        for item in fields(self):
            mine = getattr(self, item.name)
            if isinstance(mine, Counter):
                mine.update(getattr(other, item.name))


def notice_label(value: object) -> str | None:
    """given, deferred or withheld from the policy's notice status in either of its forms."""
    text = _code(value)
    return text.removeprefix("notice_status_") if text else None


def ground_label(value: object) -> str | None:
    """A withholding ground without its enum prefix, e.g. risk_of_serious_harm."""
    text = _code(value)
    return text.removeprefix("withholding_ground_") if text else None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _code(value: object) -> str | None:
    text = _text(value)
    return text.strip().lower() if text else None
