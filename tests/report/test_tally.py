from collections import Counter

from sidecar.report.tally import NO_DECISION, NOT_RECORDED, Tally

from .helpers import WITHHELD_FACTS, record

JAN = "2026-01-05T10:00:00+00:00"


def tally_of(*records: dict[str, object]) -> Tally:
    tally = Tally()
    for item in records:
        tally.add(item)
    return tally


def test_outcomes_and_deny_reasons_count_only_denies() -> None:
    tally = tally_of(
        record(JAN),
        record(JAN, "deny", codes=["clearance_missing", "victim_notice_missing"]),
        record(JAN, "deny", codes=["clearance_missing"]),
        record(JAN, "invalid", facts=None, error="invalid_argument:record.category"),
        record(JAN, "error", facts=None, error="opa_timeout"),
    )

    assert tally.checks == 5
    assert tally.outcomes == Counter(allow=1, deny=2, invalid=1, error=1)
    assert tally.deny_reasons == Counter(clearance_missing=2, victim_notice_missing=1)
    assert tally.errors == Counter({"invalid_argument:record.category": 1, "opa_timeout": 1})


def test_counselling_and_notice_come_from_the_policys_facts() -> None:
    not_counselling = {"counselling": False, "notice_status": "NOTICE_STATUS_DEFERRED"}
    tally = tally_of(
        record(JAN),
        record(JAN, facts=WITHHELD_FACTS),
        record(JAN, "deny", codes=["clearance_rank_too_low"]),
        record(JAN, facts=not_counselling),
        record(JAN, "invalid", facts=None, error="invalid_argument:requester.body"),
    )

    assert tally.counselling == Counter({"counselling": 3, "not counselling": 1, NO_DECISION: 1})
    assert tally.counselling_outcomes == Counter(allow=2, deny=1)
    assert tally.counselling_allowed_by_rank == Counter(chief_inspector=2)
    assert tally.notice == Counter({"given": 2, "withheld": 1, "deferred": 1, NO_DECISION: 1})
    assert tally.withholding_grounds == Counter(risk_of_serious_harm=1)
    assert tally.requester_orgs == Counter({"thames_valley": 3, NO_DECISION: 2})


def test_mixed_old_and_new_records() -> None:
    tally = tally_of(record(JAN, old_format=True), record(JAN, old_format=True), record(JAN))

    assert tally.record_formats == Counter({"1": 2, "2": 1})
    assert tally.counselling == Counter({NOT_RECORDED: 2, "counselling": 1})
    assert tally.notice == Counter({NOT_RECORDED: 2, "given": 1})
    assert tally.requester_orgs == Counter({NOT_RECORDED: 2, "thames_valley": 1})
    # Fields every format has are counted for all records alike.
    assert tally.categories == Counter(counselling=3)
    assert tally.requester_bodies == Counter(police=3)


def test_merge_adds_every_count() -> None:
    first = tally_of(record(JAN), record(JAN, "deny", codes=["clearance_missing"]))
    second = tally_of(record(JAN, "deny", codes=["clearance_missing"]))

    first.merge(second)

    assert first.checks == 3
    assert first.deny_reasons == Counter(clearance_missing=2)
    assert first.callers == Counter({"records-system-1": 3})
