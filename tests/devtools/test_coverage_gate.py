"""Tests of the policy coverage gate's report parsing and OPA lookup."""

from __future__ import annotations

import json
import stat
import sys
from pathlib import Path

import pytest

from devtools import coverage_gate
from devtools.coverage_gate import (
    CoverageResult,
    GateError,
    LineRange,
    display_path,
    find_opa,
    is_policy_file,
    main,
    merge_ranges,
    parse_report,
    report_text,
)


def _range(start: int, end: int | None = None) -> dict[str, object]:
    return {"start": {"row": start, "col": 1}, "end": {"row": end or start, "col": 9}}


FULL_REPORT: dict[str, object] = {
    "files": {
        "policies/vir/authz/decision.rego": {
            "covered": [_range(1, 20)],
            "covered_lines": 20,
            "coverage": 100,
        },
        "policies/vir/authz/decision_test.rego": {
            "covered": [_range(1, 5)],
            "not_covered": [_range(7)],
            "covered_lines": 5,
            "not_covered_lines": 1,
        },
        "policies/policies/vir/authz/decision.rego": {},
    },
    "covered_lines": 25,
    "not_covered_lines": 1,
    "coverage": 96.2,
}

GAPS_REPORT: dict[str, object] = {
    "files": {
        "policies/vir/authz/ranks.rego": {
            "covered_lines": 30,
            "not_covered": [_range(12)],
            "not_covered_lines": 1,
        },
        "policies/policies/vir/authz/ranks.rego": {
            "not_covered": [_range(35), _range(34), _range(38, 40)],
            "not_covered_lines": 5,
        },
        "policies/vir/authz/clearance_rules.rego": {
            "covered_lines": 60,
            "not_covered": [_range(8)],
            "not_covered_lines": 1,
        },
    },
}


def test_is_policy_file_excludes_tests_and_data() -> None:
    assert is_policy_file("policies/vir/authz/decision.rego")
    assert not is_policy_file("policies/vir/authz/decision_test.rego")
    assert not is_policy_file("policies/vir/config/data.yaml")


@pytest.mark.parametrize(
    ("path", "bundle", "expected"),
    [
        ("policies/policies/vir/a.rego", "policies", "policies/vir/a.rego"),
        ("policies/policies/vir/a.rego", "policies/", "policies/vir/a.rego"),
        ("policies/policies/vir/a.rego", "./policies", "policies/vir/a.rego"),
        ("/srv/pol/srv/pol/vir/a.rego", "/srv/pol", "/srv/pol/vir/a.rego"),
        ("policies/vir/a.rego", "policies", "policies/vir/a.rego"),
    ],
)
def test_display_path_folds_doubled_bundle_directory(path: str, bundle: str, expected: str) -> None:
    assert display_path(path, bundle) == expected


def test_parse_report_ignores_test_files_when_complete() -> None:
    result = parse_report(FULL_REPORT, "policies")
    assert result.files == ("policies/vir/authz/decision.rego",)
    assert result.covered_lines == 20
    assert result.not_covered_lines == 0
    assert result.complete
    assert result.percentage == 100.0


def test_parse_report_lists_merged_gaps_in_order() -> None:
    result = parse_report(GAPS_REPORT, "policies")
    assert not result.complete
    assert result.files == (
        "policies/vir/authz/clearance_rules.rego",
        "policies/vir/authz/ranks.rego",
    )
    assert [str(r) for r in result.not_covered] == [
        "policies/vir/authz/clearance_rules.rego:8",
        "policies/vir/authz/ranks.rego:12",
        "policies/vir/authz/ranks.rego:34-35",
        "policies/vir/authz/ranks.rego:38-40",
    ]
    assert result.covered_lines == 90
    assert result.not_covered_lines == 7
    assert result.percentage == pytest.approx(100 * 90 / 97)


def test_parse_report_of_empty_bundle_has_no_files() -> None:
    result = parse_report({"files": {}})
    assert result.files == ()
    assert result.percentage == 100.0


@pytest.mark.parametrize(
    "report",
    [
        [],
        {"files": []},
        {"files": {"p/a.rego": []}},
        {"files": {"p/a.rego": {"covered_lines": "ten"}}},
        {"files": {"p/a.rego": {"not_covered": {}}}},
        {"files": {"p/a.rego": {"not_covered": [{"start": {}, "end": {"row": 1}}]}}},
        {"files": {"p/a.rego": {"not_covered": ["3"]}}},
    ],
)
def test_parse_report_rejects_malformed_reports(report: object) -> None:
    with pytest.raises(GateError):
        parse_report(report)


def test_merge_ranges_joins_touching_and_overlapping_lines_per_file() -> None:
    ranges = [
        LineRange("b.rego", 3, 3),
        LineRange("a.rego", 5, 6),
        LineRange("a.rego", 1, 2),
        LineRange("a.rego", 3, 3),
        LineRange("a.rego", 6, 8),
    ]
    assert merge_ranges(ranges) == (
        LineRange("a.rego", 1, 3),
        LineRange("a.rego", 5, 8),
        LineRange("b.rego", 3, 3),
    )


def test_report_text_gives_percentage_and_gaps() -> None:
    complete = CoverageResult(files=("p/a.rego",), covered_lines=10, not_covered_lines=0)
    assert report_text(complete) == "policy coverage: 100.0% (10 of 10 lines in 1 files)"
    gaps = CoverageResult(
        files=("p/a.rego",),
        covered_lines=3,
        not_covered_lines=1,
        not_covered=(LineRange("p/a.rego", 4, 4),),
    )
    assert report_text(gaps).splitlines() == [
        "policy lines not covered by any test:",
        "  p/a.rego:4",
        "policy coverage: 75.0% (3 of 4 lines in 1 files)",
    ]


def _executable(path: Path, body: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_find_opa_prefers_environment_variable(tmp_path: Path) -> None:
    _executable(tmp_path / ".tools" / "bin" / "opa", "")
    assert find_opa({"VIR_OPA_BINARY": "/opt/opa"}, tmp_path) == "/opt/opa"


def test_find_opa_uses_local_tools_directory(tmp_path: Path) -> None:
    local = _executable(tmp_path / ".tools" / "bin" / "opa", "")
    assert find_opa({"VIR_OPA_BINARY": " "}, tmp_path) == str(local)


def test_find_opa_falls_back_to_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    on_path = _executable(tmp_path / "bin" / "opa", "")
    monkeypatch.setenv("PATH", str(on_path.parent))
    assert find_opa({}, tmp_path / "elsewhere") == str(on_path)


def test_find_opa_fails_without_binary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(GateError):
        find_opa({}, tmp_path)


def _fake_opa(tmp_path: Path, report: object, exit_code: int = 0) -> Path:
    lines = [
        f"#!{sys.executable}",
        "import sys",
        f"sys.stdout.write({json.dumps(json.dumps(report))})",
        f"sys.exit({exit_code})",
    ]
    return _executable(tmp_path / "opa", "\n".join(lines) + "\n")


def test_main_exits_zero_when_every_line_is_covered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(coverage_gate.OPA_ENV_VAR, str(_fake_opa(tmp_path, FULL_REPORT)))
    assert main(["policies"]) == 0
    assert "policy coverage: 100.0%" in capsys.readouterr().out


def test_main_exits_one_listing_lines_not_covered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(coverage_gate.OPA_ENV_VAR, str(_fake_opa(tmp_path, GAPS_REPORT)))
    assert main(["policies"]) == 1
    assert "policies/vir/authz/ranks.rego:38-40" in capsys.readouterr().err


def test_main_exits_one_when_tests_fail(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(coverage_gate.OPA_ENV_VAR, str(_fake_opa(tmp_path, {}, exit_code=1)))
    assert main(["policies"]) == 1


def test_main_exits_two_when_report_is_not_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = _executable(tmp_path / "opa", f"#!{sys.executable}\nprint('not json')\n")
    monkeypatch.setenv(coverage_gate.OPA_ENV_VAR, str(fake))
    assert main(["policies"]) == 2
