"""Tests of the decision table generator: differences, rows, freshness check."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from devtools import decision_table
from devtools.decision_table import change_phrases, render, row
from devtools.scenario_eval import EvalError, ScenarioResult
from devtools.unread_fields import FieldReport
from sidecar.scenario_lookup import BaseRequest

REPO = Path(__file__).resolve().parents[2]

BASE_REQUEST: dict[str, Any] = {
    "requester": {"id": "DC-1", "body": "police"},
    "record": {"category": "RECORD_CATEGORY_COUNSELLING", "holder": "Riverside"},
}
BASES = {"counselling": BaseRequest("counselling", "A counselling request.", BASE_REQUEST)}


def scenario(
    name: str, theme: str, changes: dict[str, Any] | None = None, **decision: Any
) -> ScenarioResult:
    made = {"allow": True, "reasons": [], "obligations": [], "advice": []} | decision
    return ScenarioResult(
        theme, name, f"{name} shown", {}, {}, made, {}, "counselling", changes or {}
    )


def test_changes_name_changed_added_and_left_out_fields_in_proto_order() -> None:
    changes = {
        "record": {"whole_file": True, "holder": None},
        "requester": {"body": "cps"},
    }
    assert change_phrases(BASE_REQUEST, changes) == [
        '`requester.body` = "cps" (base: "police")',
        "`record.holder` left out",
        "`record.whole_file` = true",
    ]


def test_a_part_left_out_or_added_is_one_phrase() -> None:
    changes = {"requester": None, "clearance": {"id": "CLR-1", "categories": ["A"]}}
    assert change_phrases(BASE_REQUEST, changes) == [
        "`requester` left out",
        '`clearance` = {id: "CLR-1", categories: ["A"]}',
    ]


def test_long_texts_are_shortened() -> None:
    (change,) = change_phrases(BASE_REQUEST, {"requester": {"id": "x" * 200}})
    assert change.endswith('…" (base: "DC-1")')
    assert len(change) < 140


def test_a_row_names_its_base_and_a_base_unchanged_says_so() -> None:
    assert "| Base [`counselling`](#counselling), unchanged |" in row(scenario("b", "t"), BASES)
    line = row(scenario("c", "t", {"record": {"holder": "Elsewhere"}}), BASES)
    assert '| Base [`counselling`](#counselling):<br>`record.holder` = "Elsewhere"' in line
    with pytest.raises(EvalError, match="names no known base request"):
        row(scenario("d", "t"), {})


def test_a_refusal_row_gives_each_reason_with_its_message_and_each_provision_once() -> None:
    reasons = [
        {"code": "a_code", "message": "First | message.", "reference": "PCSCA 2022 s.44E; Code"},
        {"code": "b_code", "message": "Second.", "reference": "PCSCA 2022 s.44E"},
    ]
    refused = scenario(
        "refused", "requester", {"requester": {"body": "cps"}}, allow=False, reasons=reasons
    )
    line = row(refused, BASES)
    assert "**Refuse**" in line
    assert "`a_code`: First \\| message.<br>`b_code`: Second." in line
    section = "https://www.legislation.gov.uk/ukpga/2022/32/section/44E"
    assert line.endswith(f"| PCSCA 2022 [s.44E]({section})<br>Code |")
    assert '`requester.body` = "cps" (base: "police")' in line


def test_render_shows_the_base_requests_groups_by_theme_and_lists_unread_fields() -> None:
    results = [
        scenario("base", "allowed"),
        scenario("refused", "requester", {"requester": {"body": "cps"}}, allow=False),
    ]
    fields = FieldReport(
        read=("record",), not_read=("record.id",), never_given=("record.holder_id",)
    )
    titles = {"requester": "Who may make a request."}
    page = render(results, BASES, titles, "2026-06-01T00:00:00Z", fields)
    assert "## Base requests" in page
    assert "### `counselling`\n\nA counselling request.\n" in page
    assert '| `requester.body` | "police" |\n| `record.category` |' in page
    assert "## Allowed requests" in page
    assert "## Who may make a request\n" in page
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
