"""End to end: real sealed trails in, `vir-sidecar audit report` out, in every format."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest

from sidecar.cli import main

from .helpers import KEY, SECRETS, WITHHELD_FACTS, record, write_records

POLICIES = Path(__file__).resolve().parents[2] / "policies"
JAN = "2026-01-05T10:00:00+00:00"
FEB = "2026-02-05T10:00:00+00:00"


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    path = tmp_path / "audit.key"
    path.write_text(KEY.hex())
    return path


@pytest.fixture
async def good_trail(tmp_path: Path) -> Path:
    records = (
        [record(JAN)] * 6
        + [record(FEB, "deny", codes=["clearance_missing", "victim_notice_missing"])] * 5
        + [record(FEB, facts=WITHHELD_FACTS)] * 5
        + [record(FEB, "invalid", facts=None, error="invalid_argument:record.category")]
        + [record("2025-12-01T09:00:00+00:00", old_format=True)] * 5
    )
    return await write_records(tmp_path / "replica-0", records)


@pytest.fixture
async def tampered_trail(tmp_path: Path) -> Path:
    directory = await write_records(tmp_path / "replica-1", [record(JAN, "deny", codes=["x"])] * 7)
    (path,) = sorted(directory.glob("audit-*.jsonl"))
    lines = path.read_bytes().splitlines(keepends=True)
    lines[2] = lines[2].replace(b'"deny"', b'"allow"')
    path.write_bytes(b"".join(lines))
    return directory


def report(key_file: Path, *args: str | Path) -> tuple[int, str]:
    out = key_file.parent / "report.out"
    status = main(
        [
            "audit",
            "report",
            "--key-file",
            str(key_file),
            "--policy-dir",
            str(POLICIES),
            "--out",
            str(out),
            *map(str, args),
        ]
    )
    return status, out.read_text(encoding="utf-8")


def as_json(key_file: Path, *args: str | Path) -> tuple[int, dict[str, object]]:
    status, text = report(key_file, "--format", "json", *args)
    return status, json.loads(text)


def test_verified_trail_reports_with_exit_0(key_file: Path, good_trail: Path) -> None:
    status, summary = as_json(key_file, good_trail)

    assert status == 0
    assert summary["all_trails_verified"] is True
    total = summary["total"]
    assert isinstance(total, dict)
    assert total["checks"] == 22
    assert total["outcomes"] == {"allow": 16, "deny": 5, "invalid": "<5", "error": 0}
    assert total["counselling"] == {
        "counselling": 16,
        "not recorded": 5,
        "no policy decision": "<5",
    }
    assert total["notice"] == {
        "given": 11,
        "withheld": 5,
        "not recorded": 5,
        "no policy decision": "<5",
    }
    assert total["withholding_grounds"] == {"risk_of_serious_harm": 5}
    assert [p["period"] for p in summary["periods"]] == ["2025-12", "2026-01", "2026-02"]


def test_deny_reasons_carry_the_policys_message(key_file: Path, good_trail: Path) -> None:
    _, summary = as_json(key_file, good_trail)

    reason_text = summary["reason_text"]
    assert isinstance(reason_text, dict)
    assert reason_text["clearance_missing"] == {
        "message": "This request needs clearance by a senior officer, and none was given.",
        "reference": (
            "Home Office announcement of 12 January 2026 (clearance at chief inspector level),"
            " not the statute; force setting minimum_clearance_rank (other record categories)"
        ),
    }
    messages = summary["policy_messages"]
    assert isinstance(messages, dict)
    # Named as decisions name their rules: rules@<the rules bundle revision>+settings@...
    assert str(messages["policy_revision"]).startswith("rules@sha256:")


def test_without_the_policy_the_codes_are_shown(
    key_file: Path, good_trail: Path, tmp_path: Path
) -> None:
    _, summary = as_json(key_file, good_trail, "--policy-dir", tmp_path / "nowhere")

    reason_text = summary["reason_text"]
    assert isinstance(reason_text, dict)
    assert reason_text["clearance_missing"]["message"] == "clearance_missing"
    messages = summary["policy_messages"]
    assert isinstance(messages, dict)
    assert "unavailable" in str(messages["problem"])


def test_tampered_trail_is_named_and_counted_apart(
    key_file: Path, good_trail: Path, tampered_trail: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, summary = as_json(key_file, good_trail, tampered_trail)

    assert status == 1
    assert summary["all_trails_verified"] is False
    bad = summary["trails"][1]
    assert bad["path"] == str(tampered_trail)
    assert bad["verified"] is False
    assert "MAC mismatch" in bad["failure"]["reason"]
    assert bad["failure"]["line"] == 3
    assert bad["unverified_records_in_range"] == 7
    assert bad["unverified_by_outcome"] == {"deny": 6, "allow": "<5"}
    # None of its records is in any figure.
    assert summary["total"]["checks"] == 22
    assert "x" not in summary["total"]["deny_reasons"]
    assert f"UNVERIFIED TRAIL {tampered_trail}" in capsys.readouterr().err


def test_tampered_trail_heads_the_html_report(
    key_file: Path, good_trail: Path, tampered_trail: Path
) -> None:
    status, page = report(key_file, "--format", "html", good_trail, tampered_trail)

    assert status == 1
    alert = page.index('<div class="alert"><h2>Unverified trails</h2>')
    assert alert < page.index("<h2>Totals</h2>")
    assert str(tampered_trail) in page[alert : page.index("</div>", alert)]


def test_json_and_csv_carry_the_same_numbers(key_file: Path, good_trail: Path) -> None:
    _, summary = as_json(key_file, good_trail)
    _, text = report(key_file, "--format", "csv", good_trail)

    rows = list(csv.DictReader(io.StringIO(text)))
    from_csv = {(r["period"], r["measure"], r["key"]): r["count"] for r in rows}
    from_json = {}
    for period in [*summary["periods"], {"period": "total", **summary["total"]}]:
        for measure, value in period.items():
            if measure == "checks":
                from_json[(period["period"], "checks", "")] = str(value)
            elif isinstance(value, dict):
                for key, count in value.items():
                    from_json[(period["period"], measure, key)] = str(count)
    trail_rows = {k: v for k, v in from_csv.items() if k[0] == "all"}
    assert {k: v for k, v in from_csv.items() if k[0] != "all"} == from_json
    assert trail_rows == {
        ("all", "verified_records", str(good_trail)): "22",
        ("all", "unverified_records", str(good_trail)): "0",
    }


def test_html_is_self_contained(key_file: Path, good_trail: Path) -> None:
    _, page = report(key_file, "--format", "html", good_trail)

    assert page.startswith("<!DOCTYPE html>")
    assert "<svg" in page
    lowered = page.lower()
    for forbidden in ("<script", "<link", "<img", "<iframe", "@import", "url(", "javascript:"):
        assert forbidden not in lowered
    assert set(re.findall(r"https?://[^\s\"'<>]+", page)) == {"http://www.w3.org/2000/svg"}
    assert "@media print" in page
    assert 'counts from 1 to 4 are shown as "&lt;5"' in page


@pytest.mark.parametrize("output_format", ["html", "json", "csv"])
def test_no_identifier_or_free_text_reaches_any_format(
    key_file: Path, good_trail: Path, output_format: str
) -> None:
    _, text = report(key_file, "--format", output_format, "--min-count", "1", good_trail)

    for secret in SECRETS:
        assert secret not in text


def test_date_range_and_period(key_file: Path, good_trail: Path) -> None:
    _, summary = as_json(
        key_file, good_trail, "--from", "2026-02-01", "--to", "2026-02-28", "--by", "day"
    )

    assert [p["period"] for p in summary["periods"]] == ["2026-02-05"]
    assert summary["total"]["checks"] == 11
    assert summary["trails"][0]["records_in_range"] == 11


@pytest.mark.parametrize(
    "args",
    [
        ["--from", "2026-13-01"],
        ["--min-count", "0"],
        ["--from", "2026-02-01", "--to", "2026-01-01"],
        ["--by", "year"],
    ],
)
def test_usage_errors_exit_2(key_file: Path, good_trail: Path, args: list[str]) -> None:
    try:
        status = main(["audit", "report", "--key-file", str(key_file), *args, str(good_trail)])
    except SystemExit as exited:  # argparse refuses before the report starts
        status = exited.code  # type: ignore[assignment]
    assert status == 2


def test_missing_trail_exits_2(key_file: Path, tmp_path: Path) -> None:
    assert main(["audit", "report", "--key-file", str(key_file), str(tmp_path / "none")]) == 2


def test_trails_read_in_parallel_or_one_by_one_give_the_same_report(
    key_file: Path, good_trail: Path, tampered_trail: Path
) -> None:
    reports = []
    for jobs in ("1", "2"):
        status, summary = as_json(key_file, "--jobs", jobs, good_trail, tampered_trail)
        assert status == 1
        del summary["generated_at"]
        reports.append(summary)
    assert reports[0] == reports[1]
