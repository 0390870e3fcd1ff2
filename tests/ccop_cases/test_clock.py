"""The service's calendar is France's (``ccop_cases.clock``)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from ccop_cases.clock import day


@pytest.mark.parametrize("moment,expected", [
    (datetime(2026, 1, 10, 22, 59, tzinfo=UTC), date(2026, 1, 10)),  # 23:59 in Paris (winter, UTC+1)
    (datetime(2026, 1, 10, 23, 0, tzinfo=UTC), date(2026, 1, 11)),  # midnight in Paris
    (datetime(2026, 7, 10, 21, 59, tzinfo=UTC), date(2026, 7, 10)),  # 23:59 in Paris (summer, UTC+2)
    (datetime(2026, 7, 10, 22, 0, tzinfo=UTC), date(2026, 7, 11)),
])
def test_a_moment_falls_on_its_day_in_paris(moment: datetime, expected: date) -> None:
    assert day(moment) == expected


def test_a_naive_moment_has_no_day() -> None:
    with pytest.raises(ValueError):
        day(datetime(2026, 1, 10, 12, 0))  # a naive moment: the refusal under test


@pytest.mark.parametrize("end,shown", [("2026-03-11T23:00:00.000000Z", "11/03/2026"),  # midnight in Paris, winter
                                       ("2026-07-11T22:00:00.000000Z", "11/07/2026")])  # and summer
def test_an_export_up_to_midnight_is_shown_up_to_the_day_before(end: str, shown: str) -> None:
    from ccop_cases.web.timefmt import paris_until
    assert paris_until(end) == shown
