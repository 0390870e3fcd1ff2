"""A group with a known year of activity, for the reports' tests: every count the reports
should show is worked out by hand in tests/ccop_cases/reports/test_services.py.

Rows are inserted directly (models), not through the case forms, with the dates each test
needs; one situation is purged through ``retention.services.purge`` so that it is counted
from its purge-time counters. Times are UTC, as stored; the comments give Paris days.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from apptest import FakeClock, setup_work
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from ccop_cases.accounts import services as accounts
from ccop_cases.cases.models import Case, CaseAction, CaseDecision, CaseState, InformationRecord
from ccop_cases.charter import services as charter
from ccop_cases.charter.models import Council, GoverningText, Membership, Signature, WorkingGroup
from ccop_cases.meetings.models import Attendance, Meeting
from ccop_cases.plans.models import FipdAction, GroupObjective, StrategyObjective
from ccop_cases.retention import services as retention
from ccop_cases.work import Work

NOW = datetime(2027, 1, 15, 10, 0, tzinfo=UTC)  # when the reports are read: 2026 is over


def at(year: int, month: int, day_: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(year, month, day_, hour, minute, tzinfo=UTC)


@dataclass
class Seed:
    db: Session
    clock: FakeClock
    council: Council
    group: WorkingGroup
    other_group: WorkingGroup  # same council
    far_council: Council  # another council, with its own group and FIPD action
    far_group: WorkingGroup
    fipd: dict[str, FipdAction] = field(default_factory=dict)
    objectives: dict[str, GroupObjective] = field(default_factory=dict)
    members: dict[str, Membership] = field(default_factory=dict)
    cases: dict[str, Case] = field(default_factory=dict)
    meetings: list[Meeting] = field(default_factory=list)
    names: list[str] = field(default_factory=list)  # every name, reference and text seeded

    def work(self, app: Flask) -> Work:
        return setup_work(app, self.db)


def _person_member(work: Work, group: WorkingGroup, username: str, institution: str, start: date,
                   end: date | None = None, status: str = "active", changed: datetime | None = None,
                   role: str = "member") -> Membership:
    person, _ = accounts.create_person(work, username)
    m = Membership(person_id=person.id, group_id=group.id, institution=institution, function="Chargé de mission",
                   role=role, designation_reference="ARR-2026-07", start_date=start, end_date=end, status=status,
                   status_changed_at=changed or at(start.year, start.month, start.day))
    work.session.add(m)
    work.session.flush()
    return m


def _group(work: Work, council: Council, name: str) -> WorkingGroup:
    group = charter.create_group(work, council, name=name, legal_basis="L132-5", vocation="territorial",
                                 perimeter="Quartier", theme="", is_ccop=True, territory_label="QPV")
    charter.record_act(work, group, act_date=date(2026, 1, 5), reference="DEL-2026-009", document="Délibération")
    charter.adopt_text(work, group, kind="charter", text="Charte v1", adopted_on=date(2026, 1, 5))
    charter.adopt_text(work, group, kind="rules", text="Règlement v1", adopted_on=date(2026, 1, 5))
    charter.change_status(work, group, "constitute", reason="")
    return group


class _Cases:
    """Situations, actions, decisions and information records of one group."""

    def __init__(self, seed: Seed, group: WorkingGroup, by: Membership) -> None:
        self.seed, self.group, self.by = seed, group, by

    def case(self, key: str, purpose: str, proposed: datetime, *, objective: str | None = None,
             followed: datetime | None = None, closed: datetime | None = None, reason: str | None = None) -> Case:
        state = CaseState.CLOSED if closed else CaseState.FOLLOWED if followed else CaseState.PROPOSED
        reference = f"S-{proposed.year}-{len(self.seed.cases) + 1:04d}"
        case = Case(group_id=self.group.id, reference=reference, submission_id=uuid.uuid4(), state=state,
                    purpose=purpose, referral_origin="school", school_situation="schooled",
                    exposure_factors="absenteeism", proposed_by=self.by.id, proposed_at=proposed, followed_at=followed,
                    closed_at=closed, closing_reason=reason,
                    objective_id=self.seed.objectives[objective].id if objective else None)
        self.seed.db.add(case)
        self.seed.db.flush()
        self.seed.cases[key] = case
        self.seed.names.append(reference)
        return case

    def action(self, case: Case, kind: str, start: date, end: date | None, outcome: str, *,
               fipd: str | None = None, objective: str | None = None) -> None:
        self.seed.db.add(CaseAction(
            case_id=case.id, action_type=kind, start_date=start, end_date=end, outcome=outcome,
            fipd_action_id=self.seed.fipd[fipd].id if fipd else None,
            objective_id=self.seed.objectives[objective].id if objective else None,
            recorded_by=self.by.id, recorded_at=at(start.year, start.month, start.day)))

    def decision(self, case: Case, recorded: datetime, next_review: date | None) -> None:
        self.seed.db.add(CaseDecision(case_id=case.id, decision="review", next_review=next_review,
                                      recorded_by=self.by.id, recorded_at=recorded))

    def informed(self, case: Case, on: date) -> None:
        self.seed.db.add(InformationRecord(case_id=case.id, who="representative_1", informed_on=on, means="letter",
                                           recorded_by=self.by.id, recorded_at=at(on.year, on.month, on.day)))

    def derogation(self, case: Case, recorded: datetime) -> None:
        self.seed.db.add(InformationRecord(case_id=case.id, who="representative_1", derogation_reason="unreachable",
                                           review_date=date(2026, 12, 1), recorded_by=self.by.id,
                                           recorded_at=recorded))


def seed(app: Flask, db: Session, clock: FakeClock, *, purge: bool = True) -> Seed:
    """The seeded group (see the module's docstring); with ``purge`` False, situation c5 is
    left for the test to purge (it is otherwise purged on 15 November 2026)."""
    clock.now = at(2025, 6, 1)
    work = setup_work(app, db)
    president, _ = accounts.create_person(work, "presidente.rapports")
    council = charter.create_council(work, kind="CLSPD", name="CLSPD de Villefictive", communes="99001 Villefictive",
                                     president=president)
    far = charter.create_council(work, kind="CLSPD", name="CLSPD de Lointaine", communes="99002 Lointaine",
                                 president=president)
    s = Seed(db, clock, council, _group(work, council, "CCOP des Tilleuls"), _group(work, council, "CCOP du Centre"),
             far, _group(work, far, "CCOP de Lointaine"))
    _plans(s)
    _members(s, work)
    _sessions(s)
    _situations(s)
    _elsewhere(s)
    db.flush()
    _denials(s, work)
    clock.now = at(2026, 6, 1, 8)
    retention.purge(work, s.cases["c6"], "age_limit")
    if purge:
        clock.now = at(2026, 11, 15, 8)
        retention.purge(work, s.cases["c5"], "closing_delay")
    db.commit()
    clock.now = NOW
    return s


def _plans(s: Seed) -> None:
    db, created = s.db, at(2025, 12, 1)
    for key, reference, title, operator, year, cents, council in (
            ("F1", "FIPD-2026-01", "Chantiers éducatifs d’été", "Association Horizons", 2026, 1_250_000, s.council),
            ("F2", "FIPD-2026-02", "Médiation sociale de quartier", "Régie de quartier", 2026, 480_000, s.council),
            ("F0", "FIPD-2024-07", "Ancienne action sans activité", "Association Ancienne", 2024, 100_000, s.council),
            ("FX", "FIPD-2026-99", "Action d’un autre conseil", "Association Lointaine", 2026, 900_000,
             s.far_council)):
        s.fipd[key] = FipdAction(council_id=council.id, reference=reference, title=title, operator=operator,
                                 year=year, amount_cents=cents, created_at=created)
        db.add(s.fipd[key])
        s.names += [reference, title, operator]
    strategies = {}
    for key, programme, position, indicator, parameter in (
            ("S1", "P1", 1, "young_people_followed", None),
            ("S2", "P1", 2, "young_people_with_action", "educational_worksite"),
            ("S3", "P1", 3, "actions_done", None),
            ("S5", "P1", 4, "families_informed", None),
            ("S4", "P3", 1, "closed_with_reason", "not_retained")):
        strategies[key] = StrategyObjective(code=f"test_{key.lower()}", programme=programme,
                                            label=f"Objectif d’essai {key}", indicator=indicator,
                                            indicator_parameter=parameter, position=position, created_at=created)
        db.add(strategies[key])
    db.flush()
    for key, strategy, year, target, target_share in (
            ("O1", "S1", 2026, 30, None), ("O2", "S2", 2026, 10, 80), ("O3", "S3", 2026, 20, None),
            ("O4", "S4", 2026, 5, None), ("O5", "S5", 2026, 25, None), ("O1_2025", "S1", 2025, 20, None)):
        s.objectives[key] = GroupObjective(group_id=s.group.id, year=year,
                                           strategy_objective_id=strategies[strategy].id, target=target,
                                           target_share=target_share, created_at=created)
        db.add(s.objectives[key])
    db.flush()


def _members(s: Seed, work: Work) -> None:
    """Designated in 2026: m1 (mairie), m2 (police), m3 and m4 (éducation nationale; m4
    excluded on 15 June); m5's designation ended in 2025 and m6 was excluded in 2025."""
    g = s.group
    s.members["m1"] = _person_member(work, g, "rapports.m1", "mairie", date(2026, 1, 1), role="coordonnateur")
    s.members["m2"] = _person_member(work, g, "rapports.m2", "police_nationale", date(2026, 2, 1))
    s.members["m3"] = _person_member(work, g, "rapports.m3", "education_nationale", date(2026, 1, 10))
    s.members["m4"] = _person_member(work, g, "rapports.m4", "education_nationale", date(2026, 3, 1),
                                     status="excluded", changed=at(2026, 6, 15))
    s.members["m5"] = _person_member(work, g, "rapports.m5", "mairie", date(2024, 1, 1), end=date(2025, 12, 31))
    s.members["m6"] = _person_member(work, g, "rapports.m6", "prefecture", date(2025, 6, 1), status="excluded",
                                     changed=at(2025, 11, 1))
    s.members["other"] = _person_member(work, s.other_group, "rapports.autre", "mairie", date(2026, 1, 1))
    s.members["far"] = _person_member(work, s.far_group, "rapports.loin", "mairie", date(2026, 1, 1))
    s.names += ["rapports.m1", "rapports.m2", "presidente.rapports", "Chargé de mission"]
    charter_v1 = s.db.scalars(select(GoverningText).where(GoverningText.group_id == g.id,
                                                          GoverningText.kind == "charter")).one()
    for key, signed in (("m1", at(2026, 1, 11)), ("m2", at(2026, 2, 11)), ("m4", at(2026, 3, 3))):
        s.db.add(Signature(membership_id=s.members[key].id, text_id=charter_v1.id, text_sha256=charter_v1.sha256,
                           signed_at=signed))


def _sessions(s: Seed) -> None:
    """2026: 10 February (m1, m2 present of m1–m3) and 14 April (m1, m2, m4 of m1–m4); the
    ones of 15 December 2025 and of 31 December 2026 at 23:30 UTC (1 January 2027 in Paris)
    are outside the year."""
    by = s.members["m1"]
    for scheduled, present in ((at(2026, 2, 10), ("m1", "m2")), (at(2026, 4, 14), ("m1", "m2", "m4")),
                               (at(2025, 12, 15), ("m1",)), (at(2026, 12, 31, 23, 30), ("m1", "m2"))):
        meeting = Meeting(group_id=s.group.id, scheduled_for=scheduled, created_by=by.id, created_at=at(2025, 12, 1))
        s.db.add(meeting)
        s.db.flush()
        s.db.add_all(Attendance(meeting_id=meeting.id, membership_id=s.members[k].id) for k in present)
        s.meetings.append(meeting)


def _situations(s: Seed) -> None:
    c = _Cases(s, s.group, s.members["m1"])
    c1 = c.case("c1", "first_offence_prevention", at(2026, 1, 5), objective="O1", followed=at(2026, 1, 20),
                closed=at(2026, 5, 20), reason="objectives_met")
    c.informed(c1, date(2026, 1, 12))
    c.action(c1, "educational_worksite", date(2026, 2, 1), date(2026, 3, 31), "done", fipd="F1")
    c.action(c1, "social_mediation", date(2026, 4, 1), date(2026, 5, 15), "interrupted", fipd="F2", objective="O3")
    c.action(c1, "sport_culture", date(2026, 3, 1), date(2026, 4, 15), "done", objective="O3")
    c.decision(c1, at(2026, 1, 20), date(2026, 3, 1))
    c.decision(c1, at(2026, 2, 25), date(2026, 4, 30))  # on time for 1 March
    c.decision(c1, at(2026, 5, 5), date(2026, 6, 30))  # late for 30 April; closed before 30 June
    c2 = c.case("c2", "first_offence_prevention", at(2026, 2, 10), objective="O2", followed=at(2026, 3, 1))
    c.derogation(c2, at(2026, 2, 20))
    c.action(c2, "educational_worksite", date(2026, 3, 10), None, "ongoing", fipd="F1", objective="O2")
    c.action(c2, "educational_worksite", date(2026, 7, 1), date(2026, 8, 31), "done", objective="O2")
    c.decision(c2, at(2026, 3, 1), date(2026, 6, 15))
    c.decision(c2, at(2026, 6, 15, 16), date(2027, 2, 1))  # on time (same day); the next one not yet due
    # Closed at 22:30 UTC on 31 March: 1 April in Paris.
    c3 = c.case("c3", "recidivism_prevention", at(2025, 10, 1), objective="O1_2025", followed=at(2025, 10, 15),
                closed=at(2026, 3, 31, 22, 30), reason="handed_over")
    c.informed(c3, date(2025, 10, 5))
    c.action(c3, "employment_support", date(2025, 11, 1), date(2026, 2, 28), "done", fipd="F2")
    # Proposed at 23:30 UTC on 31 March: 1 April in Paris.
    c.case("c4", "public_tranquillity", at(2026, 3, 31, 23, 30), objective="O4", closed=at(2026, 4, 20),
           reason="not_retained")
    c5 = c.case("c5", "first_offence_prevention", at(2026, 1, 15), objective="O1", followed=at(2026, 2, 1),
                closed=at(2026, 4, 10), reason="objectives_met")
    c.informed(c5, date(2026, 1, 25))
    c.action(c5, "educational_worksite", date(2026, 2, 5), date(2026, 3, 20), "done", fipd="F1")
    c.decision(c5, at(2026, 2, 1), date(2026, 3, 15))
    c.decision(c5, at(2026, 3, 20), None)  # late for 15 March
    c.case("c6", "public_tranquillity", at(2026, 5, 10))  # purged at 25 on 1 June 2026, a proposal
    c7 = c.case("c7", "recidivism_prevention", at(2026, 6, 1), objective="O2", followed=at(2026, 6, 10))
    c.informed(c7, date(2026, 6, 5))
    c.action(c7, "educational_worksite", date(2026, 6, 15), date(2026, 12, 15), "done", fipd="F2")
    c.action(c7, "educational_worksite", date(2026, 10, 1), None, "ongoing", objective="O2")
    c8 = c.case("c8", "first_offence_prevention", at(2024, 5, 1), followed=at(2024, 6, 1), closed=at(2025, 1, 10),
                reason="moved_away")
    c.informed(c8, date(2024, 5, 10))
    c11 = c.case("c11", "public_tranquillity", at(2026, 7, 1), objective="O5", followed=at(2026, 7, 10))
    c.informed(c11, date(2026, 7, 3))
    c12 = c.case("c12", "recidivism_prevention", at(2026, 8, 1), objective="O2", followed=at(2026, 8, 5))
    c.derogation(c12, at(2026, 8, 2))
    c.action(c12, "citizenship", date(2026, 9, 1), date(2026, 9, 30), "refused")


def _elsewhere(s: Seed) -> None:
    """c9: the council's other group (counted in the council's FIPD report only); c10: a
    group of another council (never counted here)."""
    c = _Cases(s, s.other_group, s.members["other"])
    c9 = c.case("c9", "first_offence_prevention", at(2026, 2, 1), followed=at(2026, 2, 15))
    c.action(c9, "educational_worksite", date(2026, 3, 1), date(2026, 4, 30), "done", fipd="F1")
    far = _Cases(s, s.far_group, s.members["far"])
    c10 = far.case("c10", "first_offence_prevention", at(2026, 2, 1), followed=at(2026, 2, 15),
                   closed=at(2026, 4, 1), reason="objectives_met")
    far.informed(c10, date(2026, 2, 3))
    far.action(c10, "educational_worksite", date(2026, 3, 1), date(2026, 3, 30), "done", fipd="FX")
    far.decision(c10, at(2026, 2, 15), date(2026, 3, 1))


def _denials(s: Seed, work: Work) -> None:
    """2026: R4 on c1 and on c5 (purged since), R3 on the group, R15 on a session; not
    counted: R4 on the other group's c9, and an R4 of 31 December 2025 at 22:30 UTC (23:30
    in Paris). In time order: the trail dates an entry no earlier than the one before."""
    meeting = s.meetings[0]
    for moment, kind, target, rule in (
            (at(2025, 12, 31, 22, 30), "case", s.cases["c1"].id, "R4"),
            (at(2026, 3, 3), "case", s.cases["c1"].id, "R4"), (at(2026, 4, 3), "case", s.cases["c5"].id, "R4"),
            (at(2026, 5, 3), "working_group", s.group.id, "R3"), (at(2026, 5, 4), "meeting", meeting.id, "R15"),
            (at(2026, 5, 5), "case", s.cases["c9"].id, "R4")):
        s.clock.now = moment
        work.audit.record("access.denied", kind, target, outcome="denied", rule=rule)
