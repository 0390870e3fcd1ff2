"""What the charter's annual report (R16) counts outside the situations: the members, their
signatures, the sessions and attendance, the exclusions, the refusals of the audit trail and
the purges (from the situations' tombstones). Read from the governance tables as they are:
none of it is erased by a purge."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ccop_cases.auditing import format_ts
from ccop_cases.auditing.models import AuditEntry
from ccop_cases.cases.models import Case
from ccop_cases.charter.models import GoverningText, Membership, MembershipStatus, Signature, WorkingGroup
from ccop_cases.clock import PARIS, day
from ccop_cases.meetings.models import Attendance, Meeting
from ccop_cases.reports.model import Period


def _in(moment: date, period: Period) -> bool:
    return period.start <= moment <= period.end


def _serving(m: Membership, on: date) -> bool:
    """Whether a designation was in force on a Paris day (started, not ended, not yet
    suspended or excluded on that day)."""
    return (m.start_date <= on and (m.end_date is None or m.end_date >= on)
            and (m.status == MembershipStatus.ACTIVE or day(m.status_changed_at) > on))


def members(db: Session, group: WorkingGroup, period: Period) -> list[Membership]:
    """The designations in force on at least one day of the period."""
    found = db.scalars(select(Membership).where(
        Membership.group_id == group.id, Membership.start_date <= period.end,
        or_(Membership.end_date.is_(None), Membership.end_date >= period.start)))
    return [m for m in found if m.status == MembershipStatus.ACTIVE or day(m.status_changed_at) >= period.start]


@dataclass(frozen=True)
class Signatures:
    designated: int  # members in force on the day considered
    signed: int  # of whom had signed the charter version in force that day
    delay_days: int  # sum, over those who signed, of the days from when they had to sign


def signatures(db: Session, group: WorkingGroup, on: date) -> Signatures:
    """Coverage of the charter version in force on ``on``; a member had to sign it from their
    designation's start, or from its adoption when it came later."""
    charter = db.scalar(select(GoverningText).where(
        GoverningText.group_id == group.id, GoverningText.kind == "charter", GoverningText.adopted_on <= on)
        .order_by(GoverningText.version.desc()).limit(1))
    serving = [m for m in db.scalars(select(Membership).where(Membership.group_id == group.id)) if _serving(m, on)]
    if charter is None:
        return Signatures(len(serving), 0, 0)
    signed_at = dict(db.execute(select(Signature.membership_id, Signature.signed_at)
                                .where(Signature.text_id == charter.id)).all())
    delays = [max((day(signed_at[m.id]) - max(m.start_date, charter.adopted_on)).days, 0)
              for m in serving if m.id in signed_at and day(signed_at[m.id]) <= on]
    return Signatures(len(serving), len(delays), sum(delays))


@dataclass(frozen=True)
class Sessions:
    held: int
    present: int  # attendances recorded over those sessions
    expected: int  # designations in force on each session's day, summed


def sessions(db: Session, group: WorkingGroup, period: Period, now: datetime) -> Sessions:
    """The sessions held in the period (scheduled on one of its days, and not in the future)."""
    held = [m for m in db.scalars(select(Meeting).where(Meeting.group_id == group.id))
            if _in(day(m.scheduled_for), period) and m.scheduled_for <= now]
    present = Counter(db.scalars(select(Attendance.meeting_id).where(
        Attendance.meeting_id.in_([m.id for m in held]), Attendance.status == "present")))
    roster = list(db.scalars(select(Membership).where(Membership.group_id == group.id)))
    expected = sum(sum(1 for m in roster if _serving(m, day(meeting.scheduled_for))) for meeting in held)
    return Sessions(len(held), sum(present.values()), expected)


def exclusions(db: Session, group: WorkingGroup, period: Period) -> int:
    """Members excluded during the period (R15)."""
    return sum(1 for m in db.scalars(select(Membership).where(Membership.group_id == group.id,
                                                              Membership.status == MembershipStatus.EXCLUDED))
               if _in(day(m.status_changed_at), period))


def _bounds(period: Period) -> tuple[str, str]:
    """The trail's time strings of the period's first and of the next day's Paris midnights."""
    first = datetime.combine(period.start, time(), PARIS)
    after = datetime.combine(period.end + timedelta(days=1), time(), PARIS)
    return format_ts(first), format_ts(after)


def denials(db: Session, group: WorkingGroup, period: Period) -> tuple[dict[str, int], int]:
    """Refusals (``access.denied``) of the period whose target is the group, one of its
    situations (tombstones included), sessions or designations, by rule; and how many
    refusals of the period can no longer be attributed, their content pruned from the trail."""
    first, after = _bounds(period)
    ids = {"working_group": {group.id}}
    for kind, model in (("case", Case), ("meeting", Meeting), ("membership", Membership)):
        ids[kind] = set(db.scalars(select(model.id).where(model.group_id == group.id)))
    by_rule: Counter[str] = Counter()
    pruned = 0
    for body in db.scalars(select(AuditEntry.body).where(AuditEntry.action == "access.denied",
                                                         AuditEntry.ts >= first, AuditEntry.ts < after)):
        if body is None:
            pruned += 1
            continue
        entry: dict[str, Any] = json.loads(body)
        target: dict[str, Any] = entry.get("target") or {}
        try:
            target_id = uuid.UUID(str(target.get("id")))
        except ValueError:
            continue
        if target_id in ids.get(str(target.get("type")), set()):
            by_rule[str(entry.get("rule") or "")] += 1
    return dict(by_rule), pruned


def purges(db: Session, group: WorkingGroup, period: Period) -> dict[str, int]:
    """The group's situations purged in the period, by reason (from their tombstones)."""
    found: Counter[str] = Counter()
    for purged_at, reason in db.execute(select(Case.purged_at, Case.purge_reason).where(
            Case.group_id == group.id, Case.purged_at.is_not(None))):
        if purged_at is not None and _in(day(purged_at), period):
            found[reason or ""] += 1
    return dict(found)
