"""docs/integrating.md: the same request sent twice is two decisions, both in the audit trail."""

from __future__ import annotations

from integration_tests.processes import Sidecar, audit_records, example_request


def test_a_repeated_request_id_gets_two_decisions_both_audited(sidecar: Sidecar) -> None:
    request = example_request()
    first = sidecar.check(request)
    second = sidecar.check(request)
    assert first.allow is True
    assert second.allow is True
    assert first.decision_id != second.decision_id
    records = [r for r in audit_records(sidecar.audit_dir) if r["request_id"] == request.request_id]
    assert [r["decision_id"] for r in records] == [first.decision_id, second.decision_id]
    assert [r["outcome"] for r in records] == ["allow", "allow"]
