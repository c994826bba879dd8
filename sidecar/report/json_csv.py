"""The report as JSON (the summary document itself) or CSV (one row per number)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping, Sequence

import orjson

from sidecar.report.summary import BREAKDOWNS

CSV_COLUMNS = ("period", "measure", "key", "count", "message")
TOTAL = "total"
ALL_PERIODS = "all"


def to_json(summary: Mapping[str, object]) -> str:
    return orjson.dumps(summary, option=orjson.OPT_INDENT_2).decode() + "\n"


def to_csv(summary: Mapping[str, object]) -> str:
    """Rows of period, measure, key, count (and the policy message for deny reasons).

    Trails come first as measures verified_records / unverified_records keyed by path;
    then each period, then the total with period "total". Counts are suppressed exactly as
    in the JSON and HTML.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for trail in _list(summary["trails"]):
        path = trail["path"]
        writer.writerow((ALL_PERIODS, "verified_records", path, trail["records_in_range"], ""))
        writer.writerow(
            (ALL_PERIODS, "unverified_records", path, trail["unverified_records_in_range"], "")
        )
    reason_text = summary["reason_text"]
    assert isinstance(reason_text, dict)
    for period in _list(summary["periods"]):
        _figure_rows(writer.writerow, str(period["period"]), period, reason_text)
    total = summary["total"]
    assert isinstance(total, dict)
    _figure_rows(writer.writerow, TOTAL, total, reason_text)
    return out.getvalue()


def _figure_rows(
    write_row: Callable[[Sequence[object]], object],
    period: str,
    figures: Mapping[str, object],
    reason_text: Mapping[str, object],
) -> None:
    write_row((period, "checks", "", figures["checks"], ""))
    for name, _ in BREAKDOWNS:
        counts = figures[name]
        assert isinstance(counts, dict)
        for key, count in counts.items():
            message = ""
            if name == "deny_reasons":
                text = reason_text.get(key)
                message = text["message"] if isinstance(text, dict) else ""
            write_row((period, name, key, count, message))


def _list(value: object) -> list[dict[str, object]]:
    assert isinstance(value, list)
    return value
