"""A situation (case) of a young person followed by one working group, with its
participants, information of the family, actions, decisions and change history.

The case id is also the retention unit of ``identities``: the identity of the young person
and of the legal representatives, and the short note, are sealed under the case's own data
key, so purging the case is crypto-shredding. A purged case keeps only a tombstone.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ccop_cases.db import Base, new_id
from ccop_cases.plans import models as plans_models  # noqa: F401 - the tables the links below refer to


class CaseState(StrEnum):
    PROPOSED = "proposed"
    FOLLOWED = "followed"
    CLOSED = "closed"
    ARCHIVED = "archived"
    PURGED = "purged"  # a tombstone: the data key is shredded (R10)


OPEN_STATES = frozenset({CaseState.PROPOSED, CaseState.FOLLOWED})
# The moves a case may make (from -> to); services check them with ``can_move``.
TRANSITIONS: dict[CaseState, frozenset[CaseState]] = {
    CaseState.PROPOSED: frozenset({CaseState.FOLLOWED, CaseState.CLOSED, CaseState.PURGED}),
    CaseState.FOLLOWED: frozenset({CaseState.CLOSED}),
    CaseState.CLOSED: frozenset({CaseState.ARCHIVED, CaseState.PURGED}),
    CaseState.ARCHIVED: frozenset({CaseState.PURGED}),
    CaseState.PURGED: frozenset(),
}


def is_open(state: str) -> bool:
    """Whether a case in ``state`` is still worked on (proposed or followed)."""
    return state in OPEN_STATES


def awaits_follow_up(state: str) -> bool:
    """Whether a case in ``state`` is a proposal whose follow-up has not started."""
    return state == CaseState.PROPOSED


def can_move(state: str, to: CaseState) -> bool:
    return to in TRANSITIONS[CaseState(state)]


class Case(Base):
    __tablename__ = "case"
    __table_args__ = (UniqueConstraint("group_id", "reference"), Index("ix_case_group_state", "group_id", "state"))

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    group_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("working_group.id"))
    reference: Mapped[str] = mapped_column(String(16))  # S-2026-0042: never personal
    submission_id: Mapped[uuid.UUID] = mapped_column(unique=True)  # double submissions land once
    state: Mapped[str] = mapped_column(String(16), default="proposed")
    purpose: Mapped[str] = mapped_column(String(40))
    referral_origin: Mapped[str] = mapped_column(String(40))
    school_situation: Mapped[str] = mapped_column(String(40))
    exposure_factors: Mapped[str] = mapped_column(String(600), default="")  # codes, comma-separated
    note_enc: Mapped[bytes | None] = mapped_column(LargeBinary)  # R5: attested, capped, encrypted
    outside_perimeter_reason: Mapped[str | None] = mapped_column(String(40))  # R23 override
    next_review: Mapped[date | None]
    proposed_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("membership.id"))
    proposed_at: Mapped[datetime]
    followed_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    closing_reason: Mapped[str | None] = mapped_column(String(40))
    purge_due: Mapped[date | None]
    purged_at: Mapped[datetime | None]
    purge_reason: Mapped[str | None] = mapped_column(String(24))
    # A member's proposal matching an open situation of the group (R4, R9): the coordonnateur
    # resolves it; the proposer is never told which situation it matched.
    duplicate_of: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("case.id"))
    # The group's objective of the year the situation serves (plans.models.GroupObjective).
    objective_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("group_objective.id"))
    # Restricted at the person's request (R12, GDPR art. 18): read, never changed, until lifted.
    restricted_at: Mapped[datetime | None]

    @property
    def factor_codes(self) -> list[str]:
        return [c for c in self.exposure_factors.split(",") if c]


class CaseParticipant(Base):
    """A member designated for one case, with the reason code (R4)."""

    __tablename__ = "case_participant"
    # Case first: the decision asks "is this membership named on this case?" on every read,
    # and a coordonnateur's membership is named on most of the group's cases.
    __table_args__ = (Index("ix_case_participant_case_membership", "case_id", "membership_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case.id"))
    membership_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("membership.id"), index=True)
    reason: Mapped[str] = mapped_column(String(40))
    added_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("membership.id"))
    added_at: Mapped[datetime]
    removed_at: Mapped[datetime | None]
    removed_reason: Mapped[str | None] = mapped_column(String(40))


class InformationRecord(Base):
    """Who was informed, when, how and by whom; or a dated, justified derogation (R11)."""

    __tablename__ = "information_record"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case.id"), index=True)
    who: Mapped[str] = mapped_column(String(24))
    informed_on: Mapped[date | None]
    means: Mapped[str | None] = mapped_column(String(24))
    derogation_reason: Mapped[str | None] = mapped_column(String(40))
    review_date: Mapped[date | None]
    approved_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("membership.id"))
    recorded_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("membership.id"))
    recorded_at: Mapped[datetime]


class CaseAction(Base):
    __tablename__ = "case_action"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case.id"), index=True)
    action_type: Mapped[str] = mapped_column(String(40))
    start_date: Mapped[date]
    end_date: Mapped[date | None]
    outcome: Mapped[str] = mapped_column(String(16), default="ongoing")
    # The council's action funded by the FIPD it belongs to, if any; the group's objective it serves.
    fipd_action_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("fipd_action.id"), index=True)
    objective_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("group_objective.id"))
    recorded_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("membership.id"))
    recorded_at: Mapped[datetime]


class CaseDecision(Base):
    """A structured decision taken on the case, in a session or outside (R14: not in minutes)."""

    __tablename__ = "case_decision"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case.id"), index=True)
    meeting_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("meeting.id"))
    decision: Mapped[str] = mapped_column(String(24))
    next_review: Mapped[date | None]
    recorded_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("membership.id"))
    recorded_at: Mapped[datetime]


class CaseChange(Base):
    """History: who changed which field when; the value sealed under the case's key."""

    __tablename__ = "case_change"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("case.id"), index=True)
    field: Mapped[str] = mapped_column(String(40))
    value_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    changed_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("membership.id"))
    changed_at: Mapped[datetime]
    # The rights request (R12) a rectification answers; the DPO's own changes have no membership.
    request_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("rights_request.id"))
