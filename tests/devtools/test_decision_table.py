"""Tests of the decision table generator: differences, rows, freshness check."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from devtools import decision_table
from devtools.decision_table import base_requests, differences, render, row
from devtools.scenario_eval import ScenarioResult
from devtools.unread_fields import FieldReport

REPO = Path(__file__).resolve().parents[2]

BASE_REQUEST: dict[str, Any] = {
    "request_id": "scn-base",
    "requester": {"id": "DC-1", "body": "police"},
    "record": {"category": "RECORD_CATEGORY_COUNSELLING", "holder": "Riverside"},
}


def scenario(name: str, theme: str, request: dict[str, Any], **decision: Any) -> ScenarioResult:
    made = {"allow": True, "reasons": [], "obligations": [], "advice": []} | decision
    return ScenarioResult(theme, name, f"{name} shown", request, {}, made, {})


def test_differences_name_changed_added_and_left_out_fields_but_not_the_request_id() -> None:
    request = {
        "request_id": "scn-other",
        "requester": {"id": "DC-1", "body": "cps"},
        "record": {"category": "RECORD_CATEGORY_COUNSELLING", "whole_file": True},
    }
    assert differences(BASE_REQUEST, request) == [
        '`requester.body` = "cps" (base: "police")',
        "`record.whole_file` = true",
        "`record.holder` left out",
    ]


def test_a_part_left_out_is_one_phrase() -> None:
    request = {"request_id": "scn-other", "record": BASE_REQUEST["record"]}
    assert differences(BASE_REQUEST, request) == ["`requester` left out"]


def test_long_texts_are_shortened() -> None:
    request = BASE_REQUEST | {"requester": {"id": "x" * 200, "body": "police"}}
    (change,) = differences(BASE_REQUEST, request)
    assert change.endswith('…" (base: "DC-1")')
    assert len(change) < 140


def test_the_base_is_the_first_allowed_scenario_of_the_same_category() -> None:
    first = scenario("first", "allowed", BASE_REQUEST)
    second = scenario("second", "allowed", BASE_REQUEST)
    refused = scenario("refused", "requester", BASE_REQUEST, allow=False)
    assert base_requests([refused, first, second]) == {"RECORD_CATEGORY_COUNSELLING": first}


def test_a_refusal_row_gives_each_reason_with_its_message_and_each_provision_once() -> None:
    request = BASE_REQUEST | {"requester": {"id": "DC-1", "body": "cps"}}
    reasons = [
        {"code": "a_code", "message": "First | message.", "reference": "PCSCA 2022 s.44E; Code"},
        {"code": "b_code", "message": "Second.", "reference": "PCSCA 2022 s.44E"},
    ]
    refused = scenario("refused", "requester", request, allow=False, reasons=reasons)
    bases = base_requests([scenario("base", "allowed", BASE_REQUEST)])
    line = row(refused, bases)
    assert "**Refuse**" in line
    assert "`a_code`: First \\| message.<br>`b_code`: Second." in line
    section = "https://www.legislation.gov.uk/ukpga/2022/32/section/44E"
    assert line.endswith(f"| PCSCA 2022 [s.44E]({section})<br>Code |")
    assert '`requester.body` = "cps" (base: "police")' in line


def test_render_groups_by_theme_with_titles_and_lists_unread_fields() -> None:
    results = [
        scenario("base", "allowed", BASE_REQUEST),
        scenario("refused", "requester", BASE_REQUEST, allow=False),
    ]
    fields = FieldReport(
        read=("record",), not_read=("record.id",), never_given=("record.holder_id",)
    )
    page = render(results, {"requester": "Who may make a request."}, "2026-06-01T00:00:00Z", fields)
    assert "## Allowed requests" in page
    assert "## Who may make a request\n" in page
    assert "*base request for RECORD_CATEGORY_COUNSELLING*" in page
    assert "- `record.id`" in page
    assert "- `record.holder_id`" in page


def test_check_fails_with_a_clear_message_when_the_table_is_stale(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(decision_table, "generate", lambda policy_dir: "new table\n")
    out = tmp_path / "decision-table.md"
    out.write_text("old table\n")
    assert decision_table.main(["--out", str(out), "--check"]) == 1
    assert "stale" in capsys.readouterr().err
    assert out.read_text() == "old table\n"
    assert decision_table.main(["--out", str(out)]) == 0
    assert decision_table.main(["--out", str(out), "--check"]) == 0


def test_the_committed_table_is_the_one_the_policy_gives() -> None:
    generated = decision_table.generate(REPO / "policies")
    assert (REPO / "docs/decision-table.md").read_text(encoding="utf-8") == generated
