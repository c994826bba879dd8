"""Tests of the unread-fields finder: the proto's fields and leaving one out."""

from __future__ import annotations

from pathlib import Path

from devtools.scenario_eval import evaluate_scenarios, find_opa
from devtools.unread_fields import field_report, has_path, request_fields, without

REPO = Path(__file__).resolve().parents[2]


def test_request_fields_come_from_the_proto_with_timestamps_as_leaves() -> None:
    fields = request_fields()
    assert fields[0] == "request_id"
    assert "requester" in fields
    assert "record.category" in fields
    assert "clearance.granted_at" in fields
    assert not any(f.startswith("clearance.granted_at.") for f in fields)


def test_without_leaves_out_one_field_and_keeps_the_original() -> None:
    request = {"record": {"id": "REC-1", "holder": "Riverside"}, "request_id": "r"}
    changed = without(request, "record.holder")
    assert changed == {"record": {"id": "REC-1"}, "request_id": "r"}
    assert request["record"] == {"id": "REC-1", "holder": "Riverside"}
    assert has_path(request, "record.holder")
    assert not has_path(changed, "record.holder")
    assert not has_path(request, "clearance.id")


def test_the_shipped_policy_reads_the_grounds_and_ignores_the_record_id() -> None:
    opa = find_opa(cwd=REPO)
    policies = REPO / "policies"
    report = field_report(opa, policies, evaluate_scenarios(opa, policies))
    assert "justification.necessity" in report.read
    assert "record.category" in report.read
    assert "record.id" in report.not_read
    assert set(report.read).isdisjoint(report.not_read)
    assert set(report.read) | set(report.not_read) | set(report.never_given) == set(
        request_fields()
    )
