"""The case page's and the search's reads: statements built once, run through ``db.rows`` as
plain rows returned as named types (the case page is the most requested page; building a
statement or ORM objects per call costs more than running the query)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from ccop_cases.accounts.models import Person, staff_label
from ccop_cases.cases.models import (
    Case,
    CaseAction,
    CaseChange,
    CaseDecision,
    CaseParticipant,
    CaseState,
    InformationRecord,
)
from ccop_cases.charter.models import Membership, WorkingGroup
from ccop_cases.db import rows
from ccop_cases.plans.models import FipdAction, GroupObjective, StrategyObjective


class Member(NamedTuple):
    """A member of the case's group; ``id`` and ``reason``: their participation, if any."""

    id: uuid.UUID | None
    reason: str | None
    membership_id: uuid.UUID
    institution: str
    username: str
    display_name: str
    function: str

    @property
    def label(self) -> str:
        return staff_label(self.username, self.display_name, self.function)


class Information(NamedTuple):
    id: uuid.UUID
    case_id: uuid.UUID
    who: str
    informed_on: date | None
    means: str | None
    derogation_reason: str | None
    review_date: date | None
    approved_by: uuid.UUID | None
    recorded_by: uuid.UUID
    recorded_at: datetime


class Action(NamedTuple):
    id: uuid.UUID
    case_id: uuid.UUID
    action_type: str
    start_date: date
    end_date: date | None
    outcome: str
    fipd_action_id: uuid.UUID | None
    fipd_reference: str | None  # the FIPD action's, with its title
    fipd_title: str | None
    objective_id: uuid.UUID | None
    objective_programme: str | None  # the strategy objective's the group's objective takes up
    objective_label: str | None
    recorded_by: uuid.UUID
    recorded_at: datetime


class DecisionRecord(NamedTuple):
    id: uuid.UUID
    case_id: uuid.UUID
    meeting_id: uuid.UUID | None
    decision: str
    next_review: date | None
    recorded_by: uuid.UUID
    recorded_at: datetime


class Change(NamedTuple):
    id: uuid.UUID
    case_id: uuid.UUID
    field: str
    value_enc: bytes | None
    changed_by: uuid.UUID | None
    changed_at: datetime
    request_id: uuid.UUID | None  # the rights request a rectification answers (R12)


class FoundCase(NamedTuple):
    id: uuid.UUID
    reference: str


# Every member of the group (names for the history), with their participation in the case if any.
_MEMBERS = (select(CaseParticipant.id, CaseParticipant.reason, Membership.id.label("membership_id"),
                   Membership.institution, Person.username, Person.display_name, Person.function)
            .join(Person, Person.id == Membership.person_id)
            .outerjoin(CaseParticipant, (CaseParticipant.membership_id == Membership.id)
                       & (CaseParticipant.case_id == bindparam("case_id")) & CaseParticipant.removed_at.is_(None))
            .where(Membership.group_id == bindparam("group_id")))


def _section(model: Any, order: Any) -> Any:
    return select(*model.__table__.c).where(model.case_id == bindparam("case_id")).order_by(order)


_INFORMATION = _section(InformationRecord, InformationRecord.recorded_at)
# Each action with the reference and title of its FIPD action and the label of its objective.
_ACTIONS = (select(CaseAction.id, CaseAction.case_id, CaseAction.action_type, CaseAction.start_date,
                   CaseAction.end_date, CaseAction.outcome, CaseAction.fipd_action_id,
                   FipdAction.reference.label("fipd_reference"), FipdAction.title.label("fipd_title"),
                   CaseAction.objective_id, StrategyObjective.programme.label("objective_programme"),
                   StrategyObjective.label.label("objective_label"), CaseAction.recorded_by, CaseAction.recorded_at)
            .outerjoin(FipdAction, FipdAction.id == CaseAction.fipd_action_id)
            .outerjoin(GroupObjective, GroupObjective.id == CaseAction.objective_id)
            .outerjoin(StrategyObjective, StrategyObjective.id == GroupObjective.strategy_objective_id)
            .where(CaseAction.case_id == bindparam("case_id")).order_by(CaseAction.start_date))
_DECISIONS = _section(CaseDecision, CaseDecision.recorded_at)
_CHANGES = _section(CaseChange, CaseChange.changed_at)
_FOUND = (select(Case.id, Case.reference)
          .where(Case.id.in_(bindparam("ids", expanding=True)), Case.state != CaseState.PURGED)
          .order_by(Case.reference))


def members(db: Session, case: Case) -> list[Member]:
    return rows(db, _MEMBERS, {"case_id": case.id, "group_id": case.group_id}, Member)


def information(db: Session, case_id: uuid.UUID) -> list[Information]:
    return rows(db, _INFORMATION, {"case_id": case_id}, Information)


def actions(db: Session, case_id: uuid.UUID) -> list[Action]:
    return rows(db, _ACTIONS, {"case_id": case_id}, Action)


def decisions(db: Session, case_id: uuid.UUID) -> list[DecisionRecord]:
    return rows(db, _DECISIONS, {"case_id": case_id}, DecisionRecord)


def changes(db: Session, case_id: uuid.UUID) -> list[Change]:
    return rows(db, _CHANGES, {"case_id": case_id}, Change)


def found(db: Session, case_ids: list[uuid.UUID]) -> list[FoundCase]:
    """Id and reference of these cases, purged ones left out."""
    return rows(db, _FOUND, {"ids": case_ids}, FoundCase) if case_ids else []


def with_reference(db: Session, reference: str) -> list[uuid.UUID]:
    """The ids of the cases of every group holding this reference (a purged one keeps it)."""
    return list(db.scalars(select(Case.id).where(Case.reference == reference)))


def group_names(db: Session, case_ids: Sequence[uuid.UUID]) -> list[str]:
    """The names of the groups holding these cases (a reference is numbered per group)."""
    return list(db.scalars(select(WorkingGroup.name).join(Case, Case.group_id == WorkingGroup.id)
                           .where(Case.id.in_(case_ids)).distinct().order_by(WorkingGroup.name)))
