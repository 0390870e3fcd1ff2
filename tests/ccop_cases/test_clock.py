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
