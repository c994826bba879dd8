from datetime import date

import pytest

from sidecar.report.periods import period_key, period_start
from sidecar.report.trails import DateRange

TIME = "2026-03-29T23:59:59.999999Z"  # a Sunday, ISO week 13


@pytest.mark.parametrize(
    ("by", "label", "start"),
    [
        ("month", "2026-03", date(2026, 3, 1)),
        ("week", "2026-W13", date(2026, 3, 23)),
        ("day", "2026-03-29", date(2026, 3, 29)),
    ],
)
def test_period_labels_and_starts(by: str, label: str, start: date) -> None:
    assert period_key(by)(TIME) == label
    assert period_start(label) == start


def test_iso_week_of_early_january_belongs_to_the_previous_year() -> None:
    assert period_key("week")("2027-01-01T00:00:00.000000Z") == "2026-W53"


def test_unknown_period_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown period"):
        period_key("year")


def test_date_range_is_inclusive_at_both_ends() -> None:
    march = DateRange("2026-03-01", "2026-03-31")
    assert march.holds("2026-03-01T00:00:00.000000Z")
    assert march.holds("2026-03-31T23:59:59.999999Z")
    assert not march.holds("2026-02-28T23:59:59.999999Z")
    assert not march.holds("2026-04-01T00:00:00.000000Z")
    assert DateRange().holds("1999-01-01T00:00:00.000000Z")
