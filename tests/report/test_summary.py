from collections import Counter
from datetime import UTC, datetime

from sidecar.audit.verify import VerifyResult
from sidecar.report.messages import PolicyMessages
from sidecar.report.summary import OTHER_CALLERS, Options, build_summary, suppress
from sidecar.report.trails import Tallies, TrailResult

from .helpers import record

JAN = "2026-01-05T10:00:00+00:00"
FEB = "2026-02-05T10:00:00+00:00"


def summarise(records: list[dict[str, object]], **options: object) -> dict[str, object]:
    tallies = Tallies()
    for item in records:
        tallies.add(str(item["time"])[:7], item)
    tallies.finish()
    trail = TrailResult(
        path=__import__("pathlib").Path("trail"),
        verification=VerifyResult(ok=True, records=len(records), files=1),
        counted=len(records),
    )
    settings = {"by": "month", "date_from": None, "date_to": None, **options}
    return build_summary(
        trails=[trail],
        tallies=tallies,
        messages=PolicyMessages(),
        options=Options(**settings),  # type: ignore[arg-type]
        generated_at=datetime(2026, 3, 1, tzinfo=UTC),
    )


def test_counts_below_the_threshold_are_hidden_zero_is_not() -> None:
    assert [suppress(n, 5) for n in (0, 1, 4, 5, 6)] == [0, "<5", "<5", 5, 6]
    assert suppress(1, 1) == 1
    assert suppress(2, 3) == "<3"


def test_totals_and_period_totals_are_suppressed_too() -> None:
    summary = summarise([record(JAN)] * 3 + [record(FEB)] * 3)

    periods = summary["periods"]
    assert isinstance(periods, list)
    assert [(p["period"], p["checks"]) for p in periods] == [("2026-01", "<5"), ("2026-02", "<5")]
    total = summary["total"]
    assert isinstance(total, dict)
    assert total["checks"] == 6
    assert total["outcomes"] == {"allow": 6, "deny": 0, "invalid": 0, "error": 0}
    assert summary["min_count"] == 5


def test_threshold_is_configurable() -> None:
    summary = summarise([record(JAN)] * 3, min_count=2)
    total = summary["total"]
    assert isinstance(total, dict)
    assert total["checks"] == 3


def test_hidden_counts_follow_shown_ones_by_name() -> None:
    denies = (
        [record(JAN, "deny", codes=["whole_file_requested"])] * 6
        + [record(JAN, "deny", codes=["clearance_missing"])] * 4
        + [record(JAN, "deny", codes=["clearance_expired"])] * 1
    )
    total = summarise(denies)["total"]
    assert isinstance(total, dict)
    assert list(total["deny_reasons"].items()) == [
        ("whole_file_requested", 6),
        ("clearance_expired", "<5"),
        ("clearance_missing", "<5"),
    ]


def test_top_callers_keep_the_busiest_and_sum_the_rest() -> None:
    records = [record(JAN, caller=f"system-{n}") for n in range(4) for _ in range(5 + n)]
    total = summarise(records, top_callers=2)["total"]
    assert isinstance(total, dict)
    assert total["top_callers"] == {"system-3": 8, "system-2": 7, OTHER_CALLERS: 11}


def test_revisions_in_force_name_their_first_and_last_period() -> None:
    records = [record(JAN, revision="rev-a")] * 5 + [record(FEB, revision="rev-b")] * 2
    summary = summarise(records)
    assert summary["policy_revisions_in_force"] == [
        {
            "policy_revision": "rev-a",
            "first_period": "2026-01",
            "last_period": "2026-01",
            "decisions": 5,
        },
        {
            "policy_revision": "rev-b",
            "first_period": "2026-02",
            "last_period": "2026-02",
            "decisions": "<5",
        },
    ]


def test_every_count_in_the_document_is_suppressed() -> None:
    records = [record(JAN, caller=f"system-{n}") for n in range(7)]
    counts = Counter[str]()

    def walk(value: object) -> None:
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, int) and not isinstance(value, bool):
            counts["small" if 0 < value < 5 else "ok"] += 1

    summary = summarise(records)
    del summary["report_format"], summary["min_count"], summary["trails"]
    walk(summary)
    assert counts["small"] == 0
    assert counts["ok"] > 0
