"""The report as one self-contained HTML file: inline CSS and SVG, no scripts, no links out.

It is laid out for printing as much as for screens: black on white, tables that do not split
across pages, each period on its own page.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

from sidecar.report.charts import bars, decisions_over_time
from sidecar.report.summary import BREAKDOWNS

STYLE = """
body { font-family: Helvetica, Arial, sans-serif; color: #111; background: #fff;
  margin: 2em auto; max-width: 60em; padding: 0 1em; line-height: 1.4; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.25em; border-bottom: 1px solid #999; padding-bottom: 0.2em; margin-top: 1.6em; }
h3 { font-size: 1.05em; margin: 1.2em 0 0.4em; }
table { border-collapse: collapse; margin: 0.4em 0 1em; }
th, td { border: 1px solid #bbb; padding: 0.2em 0.6em; text-align: left; vertical-align: top; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.meta td { border: none; padding: 0.05em 0.6em 0.05em 0; }
.alert { border: 3px solid #b2182b; padding: 0.6em 1em; margin: 1em 0; }
.alert h2 { color: #b2182b; border: none; margin-top: 0; }
.ok { border: 2px solid #1b7837; padding: 0.4em 1em; margin: 1em 0; }
.note { color: #444; font-size: 0.9em; }
figure { margin: 1em 0; }
figcaption { font-size: 0.9em; color: #444; }
svg { max-width: 100%; height: auto; }
.ref { color: #444; font-size: 0.85em; }
@media print {
  body { margin: 0; max-width: none; font-size: 10pt; }
  table, figure, .alert, .ok { break-inside: avoid; page-break-inside: avoid; }
  h2, h3 { break-after: avoid; page-break-after: avoid; }
  section.period { break-before: page; page-break-before: always; }
}
"""

# The figures shown in the per-period overview table.
OVERVIEW = (
    ("Checks", ("checks", None)),
    ("Allow", ("outcomes", "allow")),
    ("Deny", ("outcomes", "deny")),
    ("Invalid", ("outcomes", "invalid")),
    ("Error", ("outcomes", "error")),
    ("Counselling", ("counselling", "counselling")),
    ("Counselling allowed", ("counselling_outcomes", "allow")),
    ("Notice withheld", ("notice", "withheld")),
)


def to_html(summary: Mapping[str, object]) -> str:
    total = _map(summary["total"])
    periods = [_map(period) for period in _seq(summary["periods"])]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        "<title>Victim information requests: audit report</title>",
        f"<style>{STYLE}</style></head><body>",
        "<h1>Victim information requests: audit report</h1>",
        _meta(summary),
        _verification(summary),
        "<h2>Totals</h2>",
        _overview([("Total", total)]),
        _charts(periods, total),
        _breakdowns(total, _map(summary["reason_text"]), level="h3"),
        "<h2>Policy revisions in force</h2>",
        _revisions(summary),
        "<h2>By period</h2>",
        _overview([(str(period["period"]), period) for period in periods]),
    ]
    for period in periods:
        parts.append(f'<section class="period"><h2>Period {escape(str(period["period"]))}</h2>')
        parts.append(_overview([(str(period["period"]), period)]))
        parts.append(_breakdowns(period, _map(summary["reason_text"]), level="h3"))
        parts.append("</section>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


def _meta(summary: Mapping[str, object]) -> str:
    messages = _map(summary["policy_messages"])
    source = (
        f"policy revision {messages['policy_revision']}"
        if messages["policy_revision"]
        else str(messages["problem"])
    )
    k = summary["min_count"]
    rows = [
        ("From", escape(str(summary["from"] or "the first record"))),
        ("To", escape(str(summary["to"] or "the last record"))),
        ("Period", escape(str(summary["period"]))),
        ("Generated", escape(str(summary["generated_at"]))),
        ("Small numbers", _suppression_note(int(str(k)))),
        ("Reason messages from", escape(source)),
    ]
    cells = "".join(f"<tr><td>{label}</td><td>{value}</td></tr>" for label, value in rows)
    return (
        f'<table class="meta">{cells}</table>'
        '<p class="note">Counts only. This report never shows victim pseudonyms, request or '
        "officer identifiers, or any free text from requests.</p>"
    )


def _suppression_note(k: int) -> str:
    if k <= 1:
        return "every count is shown"
    return f'counts from 1 to {k - 1} are shown as "&lt;{k}", totals included'


def _verification(summary: Mapping[str, object]) -> str:
    trails = [_map(trail) for trail in _seq(summary["trails"])]
    failed = [trail for trail in trails if not trail["verified"]]
    parts = []
    if failed:
        parts.append('<div class="alert"><h2>Unverified trails</h2>')
        parts.append(
            "<p>These trails failed verification. Their records are <strong>not</strong> in "
            "any figure below; they are counted here, apart, as unverified.</p><ul>"
        )
        for trail in failed:
            failure = _map(trail["failure"])
            where = escape(str(failure["file"]))
            if failure["line"] is not None:
                where += f":{failure['line']}"
            outcomes = ", ".join(
                f"{escape(key)} {escape(str(count))}"
                for key, count in _map(trail["unverified_by_outcome"]).items()
            )
            parts.append(
                f"<li><strong>{escape(str(trail['path']))}</strong>: "
                f"{escape(str(failure['reason']))} (at {where}). Unverified records: "
                f"{escape(str(trail['unverified_records_in_range']))}"
                f"{' (' + outcomes + ')' if outcomes else ''}.</li>"
            )
        parts.append("</ul></div>")
    else:
        parts.append(f'<div class="ok">All {len(trails)} trails verified: chains intact.</div>')
    rows = "".join(
        f"<tr><td>{escape(str(trail['path']))}</td>"
        f"<td>{'verified' if trail['verified'] else '<strong>FAILED</strong>'}</td>"
        f'<td class="n">{trail["files"]}</td>'
        f'<td class="n">{escape(str(trail["records_in_range"]))}</td>'
        f'<td class="n">{escape(str(trail["unverified_records_in_range"]))}</td></tr>'
        for trail in trails
    )
    parts.append(
        "<table><tr><th>Trail</th><th>Chain</th><th class=n>Files</th>"
        "<th class=n>Records counted</th><th class=n>Unverified records</th></tr>"
        f"{rows}</table>"
    )
    return "".join(parts)


def _overview(rows: list[tuple[str, Mapping[str, object]]]) -> str:
    head = "".join(f'<th class="n">{escape(title)}</th>' for title, _ in OVERVIEW)
    body = "".join(
        f"<tr><td>{escape(label)}</td>"
        + "".join(f'<td class="n">{escape(str(_cell(figures, at)))}</td>' for _, at in OVERVIEW)
        + "</tr>"
        for label, figures in rows
    )
    return f"<table><tr><th>Period</th>{head}</tr>{body}</table>"


def _cell(figures: Mapping[str, object], at: tuple[str, str | None]) -> object:
    name, key = at
    value = figures[name]
    if key is None:
        return value
    return _map(value).get(key, 0)


def _charts(periods: list[Mapping[str, object]], total: Mapping[str, object]) -> str:
    parts = []
    if periods:
        parts.append(_figure(decisions_over_time(periods), "Allows and denies per period."))
    denies = _map(total["deny_reasons"])
    if denies:
        parts.append(
            _figure(bars("Deny reasons", denies), "Times each reason was given, all periods.")
        )
    counselling = {
        **{f"outcome: {key}": count for key, count in _map(total["counselling_outcomes"]).items()},
        **{
            f"allowed, cleared by {key}": count
            for key, count in _map(total["counselling_allowed_by_rank"]).items()
        },
    }
    if counselling:
        parts.append(
            _figure(
                bars("Counselling requests", counselling),
                "Counselling requests by outcome, and the allowed ones by authoriser rank.",
            )
        )
    if not parts:
        return ""
    return (
        "<h2>Charts</h2>"
        + "".join(parts)
        + '<p class="note">Counts shown as "&lt;N" are drawn as zero.</p>'
    )


def _figure(svg: str, caption: str) -> str:
    return f"<figure>{svg}<figcaption>{escape(caption)}</figcaption></figure>"


def _breakdowns(
    figures: Mapping[str, object], reason_text: Mapping[str, object], level: str
) -> str:
    parts = []
    for name, title in BREAKDOWNS:
        counts = _map(figures[name])
        if not counts or name == "policy_revisions":  # its own section, with the periods
            continue
        parts.append(f"<{level}>{escape(title)}</{level}>")
        if name == "deny_reasons":
            parts.append(_reason_table(counts, reason_text))
        else:
            rows = "".join(
                f'<tr><td>{escape(key)}</td><td class="n">{escape(str(count))}</td></tr>'
                for key, count in counts.items()
            )
            parts.append(f"<table>{rows}</table>")
    return "".join(parts)


def _reason_table(counts: Mapping[str, object], reason_text: Mapping[str, object]) -> str:
    rows = []
    for code, count in counts.items():
        text = _map(reason_text.get(code, {"message": code, "reference": ""}))
        reference = str(text["reference"])
        rows.append(
            f"<tr><td>{escape(str(text['message']))}<br><span class=ref>{escape(code)}"
            f"{' · ' + escape(reference) if reference else ''}</span></td>"
            f'<td class="n">{escape(str(count))}</td></tr>'
        )
    return f"<table><tr><th>Reason</th><th class=n>Times given</th></tr>{''.join(rows)}</table>"


def _revisions(summary: Mapping[str, object]) -> str:
    rows = "".join(
        f"<tr><td>{escape(str(rev['policy_revision']))}</td>"
        f"<td>{escape(str(rev['first_period']))}</td><td>{escape(str(rev['last_period']))}</td>"
        f'<td class="n">{escape(str(rev["decisions"]))}</td></tr>'
        for rev in (_map(item) for item in _seq(summary["policy_revisions_in_force"]))
    )
    return (
        "<table><tr><th>Policy revision</th><th>First period</th><th>Last period</th>"
        f"<th class=n>Decisions</th></tr>{rows}</table>"
    )


def _map(value: object) -> Mapping[str, object]:
    assert isinstance(value, Mapping)
    return value


def _seq(value: object) -> list[object]:
    assert isinstance(value, list)
    return value
