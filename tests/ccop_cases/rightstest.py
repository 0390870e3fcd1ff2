"""Helpers shared by the rights-request tests (R12): a council's DPO, two young persons in the
same group, another council, and requests brought to a given state through the services."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from apptest import Account, Governance, make_account, make_governance, setup_work
from flask import Flask
from sqlalchemy.orm import Session

from ccop_cases.cases import services as cases
from ccop_cases.charter import services as charter
from ccop_cases.charter.models import Membership
from ccop_cases.identities.services import Identity
from ccop_cases.rights import services as rights
from ccop_cases.rights.models import RightsRequest

# The person whose record is asked for, and another young person of the same group: nothing of
# the second may reach the first's record.
PERSON = Identity("Ndiaye-Lefèvre", "Inès Awa", date(2011, 5, 20), "F", "4 rue des Acacias, 99001 Villefictive",
                  "06 11 22 33 44", "ines.n@example.org")
PERSON_REP = Identity("Ndiaye", "Fatou", None, None, "4 rue des Acacias, 99001 Villefictive", "06 55 44 33 22",
                      "fatou.ndiaye@example.org")
OTHER = Identity("Kowalczyk", "Bartosz", date(2010, 2, 14), "M", "17 impasse des Glycines, 99001 Villefictive",
                 "07 98 76 54 32", "bartosz.k@example.org")
OTHER_REP = Identity("Kowalczyk", "Agnieszka", None, None, "17 impasse des Glycines, 99001 Villefictive",
                     "07 12 12 12 12", "agnieszka.k@example.org")
REQUESTER = Identity("Ndiaye", "Fatou", None, None, "4 rue des Acacias, 99001 Villefictive", None,
                     "fatou.ndiaye@example.org")


@dataclass
class RightsWorld:
    gov: Governance
    dpo: Account
    coordinator: Account
    coordinator_membership: Membership
    participant: Account
    participant_membership: Membership
    case: Any  # the person's situation
    other_case: Any  # another young person's, same group
    other_gov: Governance  # another council, with its own situation of the same person's name
    foreign_case: Any


def _propose(gov: Governance, membership: Membership, young: Identity, rep: Identity) -> Any:
    work = setup_work(gov.app, gov.session)
    proposal = cases.Proposal(young=young, representatives=[rep], school_situation="schooled_irregular",
                              purpose="first_offence_prevention", referral_origin="school",
                              exposure_factors=["absenteeism"], submission_id=uuid.uuid4(), confirm_under_12=True)
    case, _ = cases.propose(work, gov.group, membership, proposal, sees_all=True)
    gov.session.commit()
    return case


def make_world(app: Flask, admin: Account) -> RightsWorld:
    """A constituted group with a coordonnateur and a participant, two young persons, the
    council's DPO; another council (its own DPO) holding a situation of a namesake."""
    gov = make_governance(app, admin=admin)
    dpo = make_account(app, "dpo.test")
    dpo.person = gov.session.merge(dpo.person)
    dpo.person.is_dpo = True
    gov.session.commit()
    charter.set_dpo(setup_work(app, gov.session), gov.council, dpo.username)  # type: ignore[arg-type]
    gov.session.commit()
    coordinator, participant = make_account(app, "rights.coordinator"), make_account(app, "rights.participant")
    coord_m = gov.designate(coordinator, role="coordonnateur")
    part_m = gov.designate(participant)
    gov.sign_all(coord_m)
    gov.sign_all(part_m)
    case = _propose(gov, coord_m, PERSON, PERSON_REP)  # type: ignore[arg-type]
    cases.add_participant(setup_work(app, gov.session), case, part_m, "school", coord_m)  # type: ignore[arg-type]
    gov.session.commit()
    other_case = _propose(gov, coord_m, OTHER, OTHER_REP)  # type: ignore[arg-type]
    other_admin = make_account(app, "president.other")
    other_gov = make_governance(app, admin=other_admin)
    other_coord = make_account(app, "other.coordinator")
    other_m = other_gov.designate(other_coord, role="coordonnateur")
    other_gov.sign_all(other_m)
    foreign_case = _propose(other_gov, other_m, PERSON, PERSON_REP)  # type: ignore[arg-type]
    return RightsWorld(gov, dpo, coordinator, coord_m, participant, part_m, case,  # type: ignore[arg-type]
                       other_case, other_gov, foreign_case)


def new_request(app: Flask, session: Session, world: RightsWorld, *, kind: str = "access",
                received_on: date = date(2026, 3, 2), state: str = "in_progress",
                cases_: tuple[Any, ...] | None = None) -> RightsRequest:
    """A request of the world's council, brought through the services to ``state``: received,
    identity_checked, or in_progress (linked to ``cases_``, the person's situation by default)."""
    work = setup_work(app, session)
    request, _ = rights.register(work, session.merge(world.gov.council),
                                 rights.NewRequest(kind, received_on, "letter", "representative", REQUESTER,
                                                   uuid.uuid4()), world.dpo.person.id)
    if state != "received":
        rights.check_identity(work, request, check="id_document", checked_on=received_on)
    if state == "in_progress":
        for case in cases_ if cases_ is not None else (world.case,):
            rights.link(work, request, case.id)
    session.commit()
    return request


# --- the person's own record (access, issue 16) ------------------------------------------------------


def second_group_case(app: Flask, world: RightsWorld, institution: str = "mission_locale") -> Any:
    """A second constituted group of the world's council, whose coordonnateur (of ``institution``)
    proposes the person again: one request then concerns two situations."""
    from apptest import Governance
    session = world.gov.session
    work = setup_work(app, session)
    council = session.merge(world.gov.council)
    group = charter.create_group(work, council, name="CCOP Centre-ville", legal_basis="L132-5",  # type: ignore[arg-type]
                                 vocation="territorial", perimeter="Centre-ville", theme="", is_ccop=True,
                                 territory_label="QPV")
    charter.record_act(work, group, act_date=date(2026, 1, 5), reference="DEL-2026-004", document="Délibération")
    charter.adopt_text(work, group, kind="charter", text="Charte v1", adopted_on=date(2026, 1, 5))
    charter.adopt_text(work, group, kind="rules", text="Règlement v1", adopted_on=date(2026, 1, 5))
    charter.change_status(work, group, "constitute", reason="")
    session.commit()
    second = Governance(app, session, council, group)
    coordinator = make_account(app, "second.coordinator")
    membership = second.designate(coordinator, role="coordonnateur", institution=institution)
    second.sign_all(membership)
    return _propose(second, membership, PERSON, PERSON_REP)  # type: ignore[arg-type]


def other_council_dpo(app: Flask, world: RightsWorld) -> Account:
    """The DPO the other council named: a DPO, but not the world's council's."""
    session = world.gov.session
    dpo = make_account(app, "dpo.other")
    session.merge(dpo.person).is_dpo = True
    session.commit()
    charter.set_dpo(setup_work(app, session), session.merge(world.other_gov.council), dpo.username)  # type: ignore[arg-type]
    session.commit()
    return dpo
