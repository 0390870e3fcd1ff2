"""A group where every item of the home and every list filter has something to show, built
through the services (``work.as_of`` dates the situations in the past). Shared by the list
and home tests and by the browser test of the homes (tests/e2e/seed_homes.py).

Seven situations, by name (the member ``member`` and another, ``other``; the coordonnateur
``coordinator``), created in this order, so references S-YYYY-0001…0007 when made in one year:

  information  member's proposal, minor, family not informed           last change T-30
  overdue      member's, followed, review T-5, ongoing action ended T-1 (FIPD)   T-25
  future       other's (member added), followed, review T+10, gendarmerie        T-2
  derogation   member's proposal, adult, derogation not approved                 T-21
  expired      other's, followed, approved derogation to review T-3, review T-1  T-18
  closed       member's, closed (its review date T-3 stays in the row)           T-14
  duplicate    other's proposal of the ``overdue`` young person: a possible duplicate   T-10
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from apptest import Account, Governance, make_account, make_governance, setup_work

from ccop_cases.cases import services as cases
from ccop_cases.cases.models import Case
from ccop_cases.charter.models import Council, Membership, WorkingGroup
from ccop_cases.identities.services import Identity
from ccop_cases.plans import services as plans
from ccop_cases.work import Work

NAMES = ("information", "overdue", "future", "derogation", "expired", "closed", "duplicate")


def _young(last: str, given: str, age: int, today: date) -> Identity:
    return Identity(last, given, date(today.year - age, 1, 15), "X")


def seed_to_do(work: Work, group: WorkingGroup, coordinator: Membership, member: Membership,
               other: Membership) -> dict[str, Case]:
    """The seven situations above, relative to ``work.now()`` (T)."""
    now = work.now()
    today = now.date()

    def at(days: int) -> Work:
        return work.as_of(now - timedelta(days=days))

    def propose(when: int, m: Membership, last: str, given: str, age: int, purpose: str, origin: str) -> Case:
        young = _young(last, given, age, today)
        reps = [Identity(last, "Parent de " + given)] if age < 18 else []
        proposal = cases.Proposal(young=young, representatives=reps, school_situation="neet", purpose=purpose,
                                  referral_origin=origin, exposure_factors=["neet"], submission_id=uuid.uuid4())
        case, _ = cases.propose(at(when), group, m, proposal, sees_all=False)
        return case

    def inform_all(when: int, case: Case, m: Membership) -> None:
        for who in cases.information_targets(work.session, case):
            cases.inform(at(when), case, m, who=who, informed_on=(now - timedelta(days=when)).date(),
                         means="letter", derogation_reason=None, review_date=None)

    made: dict[str, Case] = {}
    made["information"] = propose(30, member, "Tableau-Un", "Alix", 15, "first_offence_prevention", "school")

    fipd = plans.add_fipd_action(work, work.session.get_one(Council, group.council_id), reference="FIPD-ESSAI-01",
                                 title="Chantiers éducatifs", operator="Association Essai", year=today.year,
                                 amount_cents=500_000)
    made["overdue"] = c = propose(29, member, "Tableau-Deux", "Noé", 16, "public_tranquillity", "police_nationale")
    inform_all(28, c, member)
    cases.follow(at(27), c, coordinator)
    cases.add_action(at(26), c, member, action_type="sport_culture", start=today - timedelta(days=26),
                     end=today - timedelta(days=1), outcome="ongoing", fipd_action_id=fipd.id)
    cases.record_decision(at(25), c, coordinator, decision="review", next_review=today - timedelta(days=5),
                          meeting_id=None)

    made["future"] = c = propose(24, other, "Tableau-Trois", "Sami", 20, "recidivism_prevention", "gendarmerie")
    inform_all(24, c, other)
    cases.follow(at(24), c, coordinator)
    cases.add_action(at(23), c, other, action_type="employment_support", start=today - timedelta(days=23),
                     end=None, outcome="ongoing")
    cases.add_participant(at(23), c, member, "insertion", coordinator)
    cases.record_decision(at(2), c, coordinator, decision="review", next_review=today + timedelta(days=10),
                          meeting_id=None)

    made["derogation"] = c = propose(22, member, "Tableau-Quatre", "Lou", 19, "first_offence_prevention", "school")
    cases.inform(at(21), c, member, who="young_person", informed_on=None, means=None,
                 derogation_reason="unreachable", review_date=today + timedelta(days=30))

    made["expired"] = c = propose(20, other, "Tableau-Cinq", "Maé", 21, "public_tranquillity", "mission_locale")
    cases.inform(at(20), c, coordinator, who="young_person", informed_on=None, means=None,
                 derogation_reason="risk_to_young_person", review_date=today - timedelta(days=3), approves=True)
    cases.follow(at(19), c, coordinator)
    cases.record_decision(at(18), c, coordinator, decision="review", next_review=today - timedelta(days=1),
                          meeting_id=None)

    made["closed"] = c = propose(17, member, "Tableau-Six", "Yan", 22, "public_tranquillity", "school")
    inform_all(17, c, member)
    cases.follow(at(16), c, coordinator)
    cases.record_decision(at(15), c, coordinator, decision="review", next_review=today - timedelta(days=3),
                          meeting_id=None)
    cases.close(at(14), c, coordinator, reason="objectives_met")

    made["duplicate"] = propose(10, other, "Tableau-Deux", "Noé", 16, "public_tranquillity", "school")
    assert made["duplicate"].duplicate_of == made["overdue"].id
    return made


@dataclass
class Seeded:
    gov: Governance
    group_id: uuid.UUID
    accounts: dict[str, Account]
    memberships: dict[str, uuid.UUID]
    cases: dict[str, Case]
    elsewhere: uuid.UUID  # a designation in another council's group


def seeded_group(app, admin: Account | None = None) -> Seeded:
    """A constituted group (its council presided by ``admin`` when given) with a coordonnateur,
    two members holding the seven situations, a member who has not signed the texts and one
    whose designation ends in 10 days; and a designation in another council's group."""
    gov = make_governance(app, admin=admin)
    accounts, memberships = {}, {}
    today = app.extensions["ccop"].clock().date()
    for name, role in (("coordinator", "coordonnateur"), ("member", "member"), ("other", "member"),
                       ("unsigned", "member"), ("ending", "member")):
        accounts[name] = make_account(app, f"liste.{name}")
        end = today + timedelta(days=10) if name == "ending" else None
        memberships[name] = gov.designate(accounts[name], role=role, end_date=end)
        if name != "unsigned":
            gov.sign_all(memberships[name])
    made = seed_to_do(setup_work(app, gov.session), gov.group, memberships["coordinator"], memberships["member"],
                      memberships["other"])
    gov.session.commit()
    another = make_governance(app, admin=make_account(app, "liste.president2"))
    elsewhere = another.designate(make_account(app, "liste.ailleurs"))
    return Seeded(gov, gov.group.id, accounts, {k: m.id for k, m in memberships.items()}, made, elsewhere.id)
