"""Fictional demo data for ``make run`` (development only): accounts with known credentials,
a CLSPD with a constituted CCOP and a draft group, members in every situation."""

from __future__ import annotations

import os
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from importlib import resources
from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import select
from sqlalchemy.orm import Session

from ccop_cases.access.standing import pending_texts
from ccop_cases.accounts import services
from ccop_cases.accounts.models import Person
from ccop_cases.accounts.services import open_totp_secret, seal_totp_secret
from ccop_cases.cases import services as cases
from ccop_cases.cases.models import Case, is_open
from ccop_cases.charter import services as charter
from ccop_cases.charter.models import Council, Membership, MembershipStatus, Signature, WorkingGroup
from ccop_cases.clock import day
from ccop_cases.identities.services import Identity
from ccop_cases.meetings import services as meetings
from ccop_cases.meetings.models import Meeting
from ccop_cases.plans import services as plans
from ccop_cases.plans.models import FipdAction, GroupObjective, StrategyObjective
from ccop_cases.retention import services as retention
from ccop_cases.rights import services as rights
from ccop_cases.rights.models import RightsRequest
from ccop_cases.security import otp
from ccop_cases.web import runtime as rt
from ccop_cases.work import Work

# Obviously fictional accounts; usernames say what each one shows.
DEMO_USERS = ("demo.president", "demo.coordination", "demo.police", "demo.prevention", "demo.ecole", "demo.exclu",
              "demo.dpo", "demo.nouveau")
# The fictional staff behind them: the name and function the pages show (the trail keeps ids).
DEMO_PEOPLE = {
    "demo.president": ("Hélène Marchand", "Maire adjointe déléguée à la prévention, Mairie"),
    "demo.coordination": ("Camille Martin", "Coordonnatrice du CLSPD, Mairie"),
    "demo.police": ("Karim Benali", "Délégué police-population, Police nationale"),
    "demo.prevention": ("Sophie Lemoine", "Éducatrice spécialisée, Association de prévention"),
    "demo.ecole": ("Julien Roux", "Conseiller principal d'éducation, Collège des Tilleuls"),
    "demo.exclu": ("Marc Durand", "Chargé de tranquillité résidentielle, Bailleur social"),
    "demo.dpo": ("Nadia Girard", "Déléguée à la protection des données, Mairie"),
    "demo.nouveau": ("Léo Fontaine", "Conseiller insertion, Mission locale"),
}
CREDENTIALS_FILE = "demo-credentials.txt"

cli = AppGroup("demo", help="Données fictives de démonstration (development uniquement).")


def _require_development() -> None:
    if rt.runtime().settings.env != "development":
        raise click.ClickException("Réservé à CCOP_ENV=development : jamais de comptes de démonstration en production.")


def seed_accounts(work: Work) -> list[tuple[str, str, str]]:
    """Create the demo accounts that are missing; return (username, password, totp secret) of new ones."""
    db, created = work.session, []
    for username in DEMO_USERS:
        if db.scalar(select(Person.id).where(Person.username == username)) is not None:
            continue
        person, _ = services.create_person(work, username)
        name, function = DEMO_PEOPLE[username]
        services.update_profile(work, person, display_name=name, function=function)
        password = "-".join(secrets.token_hex(3) for _ in range(4))
        person.password_hash = rt.runtime().hasher.hash(password)
        if username == "demo.nouveau":  # shows first-login enrolment: no TOTP yet
            created.append((username, password, "(enrôlement à la première connexion)"))
            continue
        person.must_change_password = False
        secret = otp.new_secret()
        person.totp_secret_enc = seal_totp_secret(rt.runtime().keys, person.id, secret)
        person.totp_enrolled_at = rt.now()
        services.new_recovery_codes(db, person)
        created.append((username, password, secret))
    return created


def _append_credentials(path: Path, rows: list[tuple[str, str, str]]) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as handle:
        for username, password, secret in rows:
            handle.write(f"{username:<20} mot de passe : {password}   clé TOTP : {secret}\n")


def seed_governance(work: Work) -> None:
    """The CLSPD of (fictional) Villefictive: a constituted CCOP and a draft thematic group."""
    db, today = work.session, work.today()
    if db.scalar(select(Council.id)) is not None:
        return
    people = {p.username: p for p in db.scalars(select(Person).where(Person.username.in_(DEMO_USERS)))}
    people["demo.president"].is_charter_admin = True
    people["demo.dpo"].is_dpo = True
    council = charter.create_council(work, kind="CLSPD", name="CLSPD de Villefictive (démonstration)",
                                     communes="99001 Villefictive", president=people["demo.president"])
    charter.set_dpo(work, council, "demo.dpo")
    ccop = charter.create_group(work, council, name="CCOP Quartier des Tilleuls", legal_basis="L132-5",
                                vocation="territorial", perimeter="Quartier prioritaire des Tilleuls (fictif)",
                                theme="", is_ccop=True, territory_label="QPV")
    charter.create_group(work, council, name="Groupe thématique tranquillité des transports", legal_basis="L132-5",
                         vocation="thematic", perimeter="", theme="Transports en commun", is_ccop=False,
                         territory_label="other")
    # Constituted a little more than a year ago, so that the reports show a year of activity.
    founded = founding_day(today)
    then = work.as_of(datetime(founded.year, founded.month, founded.day, 9, tzinfo=UTC))
    charter.record_act(then, ccop, act_date=founded, reference="DEL-DEMO-001",
                       document="Délibération fictive du CLSPD de Villefictive constituant la CCOP.")
    texts = resources.files("ccop_cases.data")
    for kind in ("charter", "rules"):
        charter.adopt_text(then, ccop, kind=kind, text=texts.joinpath(f"demo-{kind}.txt").read_text("utf-8"),
                           adopted_on=founded)
    charter.change_status(then, ccop, "constitute", reason="")
    for n, (username, institution, function, role, signs) in enumerate(DEMO_MEMBERS):
        membership, _ = charter.designate(then, ccop, charter.Designation(
            username, institution, function, role, f"DESIGNATION-DEMO-{username.split('.')[1].upper()}",
            founded, date(today.year + 1, 12, 31)))
        if signs:  # a few days after the designation: the annual report shows the delays
            for text in pending_texts(db, membership):
                charter.sign(work.as_of(then.now() + timedelta(days=2 + 3 * n)), membership, text)
        if username == "demo.exclu":
            charter.exclude_member(work.as_of(then.now() + timedelta(days=150)), membership,
                                   "Manquement fictif de démonstration")


def founding_day(today: date) -> date:
    """The 15th of the month a year before ``today``'s: the demo CCOP's act and designations."""
    return date(today.year - 1, today.month, 15)


# (last name, given names, age in years, how far the demo takes it, sex); obviously fictional names.
PROPOSE, FOLLOW, CLOSE, PURGE_DUE, TURNS_25 = "propose", "follow", "close", "purge_due", "turns_25"
DEMO_CASES = (
    ("Exemple", "Lucas", 14, PROPOSE, "M"), ("Fictif", "Léa", 16, PROPOSE, "F"),
    ("Démonstration", "Nour", 13, PROPOSE, "F"), ("Modèle", "Yanis", 17, FOLLOW, "M"),
    ("Essai", "Chloé", 15, FOLLOW, "F"), ("Prototype", "Adam", 19, FOLLOW, "M"),
    ("Maquette", "Inès", 22, FOLLOW, "F"), ("Brouillon", "Sacha", 18, CLOSE, "X"),
    ("Esquisse", "Louna", 16, CLOSE, "F"), ("Ébauche", "Tom", 20, PURGE_DUE, "M"),
    ("Croquis", "Jade", 21, PURGE_DUE, "F"), ("Témoin", "Rayan", 25, TURNS_25, "M"),
)


def seed_cases(work: Work) -> None:
    """A dozen fictional situations in every state (make run shows a living group)."""
    db, now = work.session, work.now()
    if db.scalar(select(Case.id)) is not None:
        return
    group = db.execute(select(WorkingGroup).where(WorkingGroup.is_ccop.is_(True))).scalar_one()

    coordinator, police = _member(db, group, "demo.coordination"), _member(db, group, "demo.police")
    for i, (last, given, age, stage, sex) in enumerate(DEMO_CASES):
        born = _demo_birth(now, age, stage)
        reps = [Identity(last, "Parent " + given)] if age < 18 else []
        when = now - timedelta(days=120 if stage == PURGE_DUE else 30 - i)
        links = demo_links(db, group, day(when).year)  # the objectives of the year it was proposed in
        proposal = cases.Proposal(
            young=Identity(last, given, born, sex, f"{i + 1} rue de l’Exemple, 99001 Villefictive", "06 00 00 00 00"),
            representatives=reps, school_situation="schooled_irregular" if age < 16 else "neet",
            purpose="first_offence_prevention" if i % 2 else "public_tranquillity", referral_origin="school",
            exposure_factors=["absenteeism"] if age < 16 else ["neet"], submission_id=uuid.uuid4(),
            confirm_under_12=True, objective_id=links.objective)
        then = work.as_of(when)  # the situation's dates in the past; the trail keeps the real time
        case, _ = cases.propose(then, group, police, proposal, sees_all=False)
        if stage == PROPOSE:
            continue
        for who in cases.information_targets(db, case):
            cases.inform(then, case, police, who=who, informed_on=when.date(), means="letter",
                         derogation_reason=None, review_date=None)
        cases.follow(then, case, coordinator)
        cases.add_action(then, case, police, action_type="sport_culture", start=when.date(), end=None,
                         outcome="ongoing", fipd_action_id=links.fipd if i % 3 == 0 else None,
                         objective_id=links.objective)
        review = day(now) + timedelta(days=-5 if i % 2 else 20)  # some reviews are overdue
        cases.record_decision(then, case, coordinator, decision="review", next_review=None, meeting_id=None)
        case.next_review = review
        if stage in (CLOSE, PURGE_DUE):
            cases.close(work.as_of(when + timedelta(days=5)), case, coordinator, reason="objectives_met")


def _demo_birth(now: datetime, age: int, stage: str) -> date:
    return date(now.year - age, now.month, min(now.day, 28)) + timedelta(days=10 if stage == TURNS_25 else -40)


# The persons' requests (R12): (demo case index, kind, received days ago, how far the demo takes it).
DEMO_REQUESTS = ((3, "access", 35, "in_progress"), (4, "rectification", 25, "in_progress"),
                 (5, "restriction", 20, "restricted"), (6, "other", 3, "received"))


def seed_rights(work: Work) -> None:
    """A few requests of the persons followed: one overdue, one due within the week, a restricted
    situation, one just received (the DPO's home and register show them)."""
    db, now = work.session, work.now()
    if db.scalar(select(RightsRequest.id)) is not None:
        return
    group = db.execute(select(WorkingGroup).where(WorkingGroup.is_ccop.is_(True))).scalar_one()
    council = db.get_one(Council, group.council_id)
    dpo = db.execute(select(Person).where(Person.username == "demo.dpo")).scalar_one()
    for index, kind, days, stage in DEMO_REQUESTS:
        last, given, age, case_stage, _sex = DEMO_CASES[index]
        received = day(now) - timedelta(days=days)
        then = work.as_of(now - timedelta(days=days))
        request, _ = rights.register(then, council, rights.NewRequest(
            kind, received, "letter", "representative" if age < 18 else "young",
            Identity(last, ("Parent " + given) if age < 18 else given, None, None,
                     f"{index + 1} rue de l’Exemple, 99001 Villefictive"), uuid.uuid4()), dpo.id)
        if stage == "received":
            continue
        rights.check_identity(then, request, check="id_document", checked_on=received)
        for found in rights.find_cases(then, request, last, given, _demo_birth(now, age, case_stage)):
            rights.link(then, request, found.case_id)
        if stage == "restricted":
            rights.answer(work.as_of(now - timedelta(days=days - 2)), request, "restricted",
                          received + timedelta(days=2))


def _member(db: Session, group: WorkingGroup, username: str) -> Membership:
    return db.execute(select(Membership).join(Person, Person.id == Membership.person_id)
                      .where(Person.username == username, Membership.group_id == group.id)).scalar_one()


# A year of activity, so that the reports have something to show: each month a session and
# a handful of situations proposed, informed, followed, given actions (some funded by the
# FIPD), reviewed, closed, and, the oldest ones, purged (their counts kept for the reports).
YEAR_NAMES = ("Annuel", "Calendrier", "Saison", "Trimestre", "Semestre", "Almanach", "Éphéméride", "Chronique",
              "Millésime", "Quinzaine", "Échéancier", "Registre")
YEAR_GIVEN = ("Noé", "Lina", "Ilyes", "Manon", "Malik", "Zoé", "Nathan", "Sarah", "Théo", "Jana", "Amir")
YEAR_PURPOSES = ("first_offence_prevention", "first_offence_prevention", "recidivism_prevention",
                 "public_tranquillity", "first_offence_prevention", "judicial_request", "recidivism_prevention")
YEAR_ORIGINS = ("school", "police_nationale", "mission_locale", "bailleur", "prevention_specialisee", "family")
# action type, FIPD action (index in DEMO_FIPD, or None), strategy objective it serves
YEAR_ACTIONS = (("educational_worksite", 0, "p1_follow"), ("employment_support", 2, "p1_remobilise"),
                ("sport_culture", 0, "p1_follow"), ("citizenship", None, "p1_follow"),
                ("social_mediation", 1, None), ("parenting_support", None, None))
YEAR_OUTCOMES = ("done", "done", "interrupted", "done", "refused", "done", "unavailable")
YEAR_CLOSINGS = ("objectives_met", "handed_over", "objectives_met", "moved_away", "refused", "handed_over",
                 "judicial_only")
PER_MONTH = 6


def seed_year(work: Work) -> None:
    """A year of activity before today, once (the group has no session yet)."""
    db, now = work.session, work.now()
    group = db.scalar(select(WorkingGroup).where(WorkingGroup.is_ccop.is_(True)))
    if group is None or db.scalar(select(Meeting.id).where(Meeting.group_id == group.id)) is not None:
        return
    coordinator, police = (_member(db, group, name) for name in ("demo.coordination", "demo.police"))
    signed = list(db.scalars(select(Membership).where(
        Membership.group_id == group.id, Membership.status == MembershipStatus.ACTIVE,
        Membership.id.in_(select(Signature.membership_id)))))
    start = founding_day(day(now))
    months = [date(start.year + (start.month + k - 1) // 12, (start.month + k - 1) % 12 + 1, 1) for k in range(1, 13)]
    purged = []
    for k, first in enumerate(months):
        meeting_at = datetime(first.year, first.month, 10, 13, tzinfo=UTC)
        if meeting_at < now:
            then = work.as_of(meeting_at)
            meeting = meetings.schedule(then, group, coordinator, meeting_at)
            attending = [m for n, m in enumerate(signed) if (n + k) % 5 != 0]  # someone is often excused
            meetings.record_attendance(then, meeting, attending, {m.id for m in signed})
        for i in range(PER_MONTH):
            n = k * PER_MONTH + i
            when = datetime(first.year, first.month, 3 + 4 * i, 10, tzinfo=UTC)
            if when + timedelta(days=3) >= now:
                break
            case = _year_case(work, group, coordinator, police, n, when)
            if case is not None and not is_open(case.state) and case.purge_due and case.purge_due <= day(now):
                purged.append(case)
    for case in purged[: len(purged) // 2]:  # the others wait for « ccop retention run »
        retention.purge(work, case, "closing_delay")


def _year_case(work: Work, group: WorkingGroup, coordinator: Membership, police: Membership, n: int,
               when: datetime) -> Case | None:
    db, now = work.session, work.now()
    age = 13 + n % 7
    last, given = YEAR_NAMES[n % len(YEAR_NAMES)], YEAR_GIVEN[n % len(YEAR_GIVEN)]
    aims = tuple(code for code, _target, _share in DEMO_OBJECTIVES)  # the group's objectives, in turn
    then = work.as_of(when)
    born = date(when.year - age, 1 + n % 12, 1 + n % 27)
    proposal = cases.Proposal(
        young=Identity(last, given, born, "FM"[n % 2]),
        representatives=[Identity(last, "Parent " + given)] if cases.age_on(born, day(when)) < 18 else [],
        school_situation="schooled_irregular" if age < 16 else "neet", purpose=YEAR_PURPOSES[n % len(YEAR_PURPOSES)],
        referral_origin=YEAR_ORIGINS[n % len(YEAR_ORIGINS)], exposure_factors=["absenteeism"] if age < 16 else ["neet"],
        submission_id=uuid.uuid4(), confirm_under_12=True,
        objective_id=_objective(db, group, when.year, aims[n % len(aims)]))
    case, _ = cases.propose(then, group, police, proposal, sees_all=False)
    informed = work.as_of(when + timedelta(days=3 + n % 9))
    if n % 11 == 5:  # the family cannot be reached: a derogation, approved by the coordonnateur
        cases.inform(informed, case, coordinator, who="young_person", informed_on=None, means=None,
                     derogation_reason="unreachable", review_date=day(informed.now()) + timedelta(days=60),
                     approves=True)
    else:
        for who in cases.information_targets(db, case):
            cases.inform(informed, case, police, who=who, informed_on=day(informed.now()), means="letter",
                         derogation_reason=None, review_date=None)
    if n % 9 == 4:  # not retained: closed without a follow-up
        cases.close(work.as_of(when + timedelta(days=20)), case, coordinator, reason="not_retained")
        return case
    if when + timedelta(days=15) >= now:
        return case
    followed = work.as_of(when + timedelta(days=15))
    cases.follow(followed, case, coordinator)
    age_days = (now - when).days
    for a in range(1 + n % 2):
        action_type, fipd, objective_code = YEAR_ACTIONS[(n + 2 * a) % len(YEAR_ACTIONS)]
        begins = when + timedelta(days=20 + 25 * a + n % 10)
        if begins >= now:
            break
        action = cases.add_action(work.as_of(begins), case, police, action_type=action_type, start=day(begins),
                                  end=None, outcome="ongoing", fipd_action_id=_fipd(db, group, fipd),
                                  objective_id=_objective(db, group, begins.year, objective_code))
        ends = begins + timedelta(days=60)
        if (now - ends).days > 15:  # its end recorded on the day, with how it went
            db.flush()
            cases.end_action(work.as_of(ends), case, action.id, police, end=day(ends),
                             outcome=YEAR_OUTCOMES[(n + a) % len(YEAR_OUTCOMES)])
    review = when + timedelta(days=45)
    if review < now:
        cases.record_decision(followed, case, coordinator, decision="review", next_review=day(review), meeting_id=None)
        late = timedelta(days=7 if n % 4 == 0 else -2)  # most reviews on time, some a week late
        if review + late < now:
            cases.record_decision(work.as_of(review + late), case, coordinator, decision="add_action",
                                  next_review=None, meeting_id=None)
    if age_days > 150 and n % 3 != 0:
        cases.close(work.as_of(when + timedelta(days=140)), case, coordinator,
                    reason=YEAR_CLOSINGS[n % len(YEAR_CLOSINGS)])
    return case


def _fipd(db: Session, group: WorkingGroup, index: int | None) -> uuid.UUID | None:
    if index is None:
        return None
    return db.scalar(select(FipdAction.id).where(FipdAction.council_id == group.council_id,
                                                 FipdAction.reference == DEMO_FIPD[index][0]))


def _objective(db: Session, group: WorkingGroup, year: int, code: str | None) -> uuid.UUID | None:
    if code is None:
        return None
    return db.scalar(select(GroupObjective.id).join(StrategyObjective, StrategyObjective.id ==
                                                    GroupObjective.strategy_objective_id)
                     .where(GroupObjective.group_id == group.id, GroupObjective.year == year,
                            StrategyObjective.code == code))


# The council's actions funded by the FIPD (reference, title, operator, years ago, euros) and the
# CCOP's objectives (strategy objective code, target, target share) set for this year and the last.
DEMO_FIPD = (
    ("FIPD-DEMO-01", "Chantiers éducatifs et sport encadré aux Tilleuls", "Association Tilleuls Prévention (fictive)",
     0, 12_500),
    ("FIPD-DEMO-02", "Médiation sociale dans les transports", "Régie de quartier de Villefictive (fictive)", 0, 8_000),
    ("FIPD-DEMO-03", "Remobilisation vers l’emploi des 16-25 ans", "Mission locale de Villefictive (fictive)", 1,
     15_000),
)
DEMO_OBJECTIVES = (("p1_follow", 30, None), ("p1_remobilise", 10, 80), ("p1_hand_over", None, 50))


@dataclass(frozen=True)
class DemoLinks:
    fipd: uuid.UUID | None  # FIPD-DEMO-01
    objective: uuid.UUID | None  # the CCOP's « suivre individuellement » of the year


def seed_plans(work: Work) -> None:
    """The council's FIPD actions and the CCOP's objectives of this year and the last (idempotent)."""
    db, today = work.session, work.today()
    group = db.scalar(select(WorkingGroup).where(WorkingGroup.is_ccop.is_(True)))
    if group is None:
        return
    council = db.get_one(Council, group.council_id)
    if db.scalar(select(FipdAction.id).where(FipdAction.council_id == council.id)) is None:
        for reference, title, operator, years_ago, amount in DEMO_FIPD:
            plans.add_fipd_action(work, council, reference=reference, title=title, operator=operator,
                                  year=today.year - years_ago, amount_cents=amount * 100)
    if db.scalar(select(GroupObjective.id).where(GroupObjective.group_id == group.id)) is None:
        for year in (today.year - 1, today.year):
            for code, target, share in DEMO_OBJECTIVES:
                chosen = db.execute(select(StrategyObjective).where(StrategyObjective.code == code)).scalar_one()
                plans.set_group_objective(work, group, year, chosen.id, target=target, target_share=share)


def demo_links(db: Session, group: WorkingGroup, year: int) -> DemoLinks:
    """What the demo's situations and actions of ``year`` are linked to (``seed_plans``)."""
    fipd = db.scalar(select(FipdAction.id).where(FipdAction.council_id == group.council_id,
                                                 FipdAction.reference == DEMO_FIPD[0][0]))
    objective = db.scalar(select(GroupObjective.id).join(StrategyObjective, StrategyObjective.id ==
                                                         GroupObjective.strategy_objective_id)
                          .where(GroupObjective.group_id == group.id, GroupObjective.year == year,
                                 StrategyObjective.code == DEMO_OBJECTIVES[0][0]))
    return DemoLinks(fipd, objective)


DEMO_MEMBERS = (  # username, institution, function, role, has signed
    ("demo.president", "mairie", "Maire adjointe déléguée à la prévention", "president", True),
    ("demo.coordination", "mairie", "Coordonnatrice du CLSPD", "coordonnateur", True),
    ("demo.police", "police_nationale", "Délégué police-population", "member", True),
    ("demo.prevention", "prevention_specialisee", "Éducatrice de prévention spécialisée", "member", True),
    ("demo.ecole", "education_nationale", "Conseiller principal d'éducation", "member", False),
    ("demo.exclu", "bailleur", "Chargé de tranquillité résidentielle", "member", True),
    ("demo.nouveau", "mission_locale", "Conseiller insertion", "member", False),
)


SHOWS = """Ce que montre chaque compte :
  demo.president     administrateur de la charte : console /administration (conseil, groupes, membres,
                     actions FIPD, objectifs de l’année, listes fermées)
  demo.coordination  coordonnateur de la CCOP, charte signée : échanges autorisés
  demo.police        membre, charte signée : échanges autorisés, désigné sur toutes les situations
  demo.prevention    membre, charte signée, désigné sur aucune situation : n'en voit ni n'en trouve aucune (R4)
  demo.ecole         membre sans signature : la charte s'affiche avant tout (R3)
  demo.exclu         membre exclu : échanges refusés (R15)
  demo.dpo           délégué à la protection des données : demandes des personnes /droits (une en retard,
                     une à traiter dans la semaine, une situation limitée), journal d'audit /controle
  demo.nouveau       première connexion : mot de passe, double authentification, puis charte
Une année d’activité fictive (séances mensuelles, situations dans tous les états, actions dont
certaines financées par le FIPD) : les rapports /rapports ont de quoi montrer ; « ccop retention
run --dry-run » montre les situations dont l’effacement est dû (3 mois après clôture, ou 25 ans).
"""


@cli.command("seed")
def seed() -> None:
    """Créer les comptes de démonstration manquants et afficher comment se connecter."""
    _require_development()
    with rt.operator_work("demo-seed") as work:
        rows = seed_accounts(work)
        seed_governance(work)
        seed_plans(work)
        seed_cases(work)
        seed_year(work)
        seed_rights(work)
    path = rt.runtime().settings.instance_dir / CREDENTIALS_FILE
    if rows:
        _append_credentials(path, rows)
    click.echo("Comptes de démonstration (fictifs) :")
    click.echo(path.read_text("utf-8") if path.exists() else "(aucun)")
    click.echo(SHOWS)
    click.echo("Code du moment pour un compte : CCOP_ENV=development .venv/bin/ccop demo code demo.coordination")


@cli.command("code")
@click.argument("username")
def code(username: str) -> None:
    """Afficher le code TOTP du moment d'un compte de démonstration."""
    _require_development()
    if username not in DEMO_USERS:
        raise click.ClickException("Seuls les comptes de démonstration sont concernés.")
    session = rt.runtime().database.session()
    person = services.find_person(session, username)
    if person.totp_secret_enc is None:
        raise click.ClickException("Ce compte n'a pas encore de double authentification.")
    click.echo(otp.current_code(open_totp_secret(rt.runtime().keys, person.id,
                                                 person.totp_secret_enc), rt.now()))
