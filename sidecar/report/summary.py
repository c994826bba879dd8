"""The figures of a report, suppressed, as one JSON-able document shared by every format.

Suppression: every count from 1 to min_count - 1 is replaced by the string "<min_count"
(e.g. "<5"), wherever it appears: a breakdown, a period's total, the grand total, a trail's
record count. Zero is shown as 0. Suppression is cell by cell only: where a total and all
but one of its parts are shown, the hidden part can be worked out by subtraction; report
over longer periods (--by month) to keep small numbers out of sight.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sidecar.report.messages import PolicyMessages
from sidecar.report.tally import OUTCOMES, Tally
from sidecar.report.trails import Tallies, TrailResult

REPORT_FORMAT = 1
DEFAULT_MIN_COUNT = 5
DEFAULT_TOP_CALLERS = 10
OTHER_CALLERS = "other callers"

# Breakdowns in the order the formats show them, with their titles.
BREAKDOWNS: tuple[tuple[str, str], ...] = (
    ("outcomes", "Decisions by outcome"),
    ("deny_reasons", "Deny reasons"),
    ("errors", "Invalid requests and errors, by machine code"),
    ("categories", "Requests by record category"),
    ("counselling", "Counselling requests (as the policy decided)"),
    ("counselling_outcomes", "Counselling requests by outcome"),
    ("counselling_allowed_by_rank", "Allowed counselling requests by authoriser rank"),
    ("notice", "Victim notice"),
    ("withholding_grounds", "Notice withheld: grounds"),
    ("requester_bodies", "Requests by requester body"),
    ("requester_orgs", "Requests by requester force or organisation"),
    ("top_callers", "Top callers"),
    ("policy_revisions", "Policy revisions in force"),
    ("record_formats", "Audit record formats"),
)

Shown = int | str


@dataclass(frozen=True)
class Options:
    """What the report covers and how small numbers are hidden."""

    by: str
    date_from: str | None
    date_to: str | None
    min_count: int = DEFAULT_MIN_COUNT
    top_callers: int = DEFAULT_TOP_CALLERS


def suppress(count: int, min_count: int) -> Shown:
    """The count, or "<min_count" when it is from 1 to min_count - 1."""
    return f"<{min_count}" if 0 < count < min_count else count


def build_summary(
    *,
    trails: Sequence[TrailResult],
    tallies: Tallies,
    messages: PolicyMessages,
    options: Options,
    generated_at: datetime,
) -> dict[str, object]:
    """The report document; every count in it is already suppressed."""
    k = options.min_count
    codes = sorted({code for tally in tallies.periods.values() for code in tally.deny_reasons})
    return {
        "report": "vir-sidecar audit report",
        "report_format": REPORT_FORMAT,
        "generated_at": generated_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "period": options.by,
        "from": options.date_from,
        "to": options.date_to,
        "min_count": k,
        "all_trails_verified": all(trail.ok for trail in trails),
        "trails": [_trail(trail, k) for trail in trails],
        "policy_messages": {
            "policy_revision": messages.policy_revision,
            "problem": messages.problem,
        },
        "reason_text": {
            code: {"message": messages.message(code), "reference": messages.reference(code)}
            for code in codes
        },
        "periods": [
            {"period": label, **_figures(tally, options)}
            for label, tally in tallies.periods.items()
        ],
        "total": _figures(tallies.total, options),
        "policy_revisions_in_force": _revisions_in_force(tallies, k),
    }


def _trail(trail: TrailResult, k: int) -> dict[str, object]:
    result = trail.verification
    return {
        "path": str(trail.path),
        "verified": trail.ok,
        "files": result.files,
        "records_in_range": suppress(trail.counted, k) if trail.ok else 0,
        "unverified_records_in_range": 0 if trail.ok else suppress(trail.counted, k),
        "unverified_by_outcome": _counts(trail.unverified_outcomes, k),
        "failure": None
        if trail.ok
        else {
            "file": str(result.file) if result.file else None,
            "line": result.line,
            "reason": result.reason,
        },
    }


def _figures(tally: Tally, options: Options) -> dict[str, object]:
    k = options.min_count
    outcomes = Counter({outcome: 0 for outcome in OUTCOMES})
    outcomes.update(tally.outcomes)
    figures: dict[str, object] = {"checks": suppress(tally.checks, k)}
    for name, _ in BREAKDOWNS:
        if name == "outcomes":
            figures[name] = {key: suppress(count, k) for key, count in outcomes.items()}
        elif name == "top_callers":
            figures[name] = _counts(_top(tally.callers, options.top_callers), k)
        else:
            figures[name] = _counts(getattr(tally, name), k)
    return figures


def _top(callers: Counter[str], top: int) -> Counter[str]:
    kept = Counter(dict(callers.most_common(top)))
    rest = sum(callers.values()) - sum(kept.values())
    if rest:
        kept[OTHER_CALLERS] = rest
    return kept


def _counts(counter: Counter[str], k: int) -> dict[str, Shown]:
    """Largest first; hidden counts after the shown ones, by name, so order leaks nothing."""
    shown = sorted(
        ((key, count) for key, count in counter.items() if count >= k),
        key=lambda item: (-item[1], item[0]),
    )
    hidden = sorted(key for key, count in counter.items() if 0 < count < k)
    return {**dict(shown), **{key: f"<{k}" for key in hidden}}


def _revisions_in_force(tallies: Tallies, k: int) -> list[dict[str, object]]:
    spans: dict[str, list[str]] = {}
    for label, tally in tallies.periods.items():
        for revision in tally.policy_revisions:
            spans.setdefault(revision, []).append(label)
    return [
        {
            "policy_revision": revision,
            "first_period": labels[0],
            "last_period": labels[-1],
            "decisions": suppress(tallies.total.policy_revisions[revision], k),
        }
        for revision, labels in sorted(spans.items(), key=lambda item: (item[1][0], item[0]))
    ]
