"""The service's calendar is France's: moments are stored as aware UTC datetimes, and the
day a moment falls on — for every rule about dates (a review due, a designation's end, the
25th birthday, a purge date, « today » on every page) — is its day in Europe/Paris, so that
nothing changes day at 1 or 2 a.m. in France."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")


def day(moment: datetime) -> date:
    """The calendar day of ``moment`` in Paris (an aware datetime: a naive one is refused)."""
    if moment.tzinfo is None:
        raise ValueError("a moment of the service is aware (UTC); a naive one has no day in Paris")
    return moment.astimezone(PARIS).date()
