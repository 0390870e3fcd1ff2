"""Helpers shared by the case workspace tests: the proposal form, the role table's routes."""

from __future__ import annotations

from dataclasses import dataclass

from apptest import login, make_account, make_governance
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from ccop_cases.cases.models import Case

YOUNG = {"last_name": "Ndiaye-Lefèvre", "given_names": "Inès Awa", "sex": "F", "birth_date": "2011-05-20",
         "address": "4 rue des Acacias, 99001 Villefictive", "phone": "06 11 22 33 44",
         "email": "ines.n@example.org", "rep1_last_name": "Ndiaye", "rep1_given_names": "Fatou",
         "rep1_phone": "+33 6 55 44 33 22", "school_situation": "schooled_irregular",
         "purpose": "first_offence_prevention", "referral_origin": "school",
         "exposure_factors": ["absenteeism", "incivilities"], "inside_perimeter": "y"}


@dataclass
class World:
    gov: object
    coordinator: object
    participant: object
    outsider: object
    excluded: object
    unsigned: object


def form_data(data):
    return MultiDict([(k, v) for k, value in data.items() for v in (value if isinstance(value, list) else [value])])


def propose(client, gov, **changes):
    url = f"/groupes/{gov.group.id}/situations/nouvelle"
    page = client.get(url).text
    submission = page.split('name="submission_id" type="hidden" value="')[1].split('"')[0]
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    data = {**YOUNG, **changes, "submission_id": submission, "csrf_token": token}
    data = {k: v for k, v in data.items() if v is not None}
    return client.post(url, data=form_data(data))


def coordinator_with_a_case(app, username):
    """On a committed app (real transactions): a constituted group whose coordonnateur
    ``username`` signed its texts, logged in and having proposed a case; returns the client
    and the case page's URL."""
    rt = app.extensions["ccop"]
    gov = make_governance(app)
    member = make_account(app, username)
    gov.sign_all(gov.designate(member, role="coordonnateur"))
    client = app.test_client()
    login(client, member, rt.clock)
    return client, propose(client, gov).location


def fipd_action(app, council, reference, *, year=2026):
    """A FIPD action of ``council``, recorded through the service (committed)."""
    from apptest import setup_work

    from ccop_cases.plans import services as plans
    session = app.extensions["ccop"].database.session()
    action = plans.add_fipd_action(setup_work(app, session), session.merge(council), reference=reference,
                                   title=f"Chantiers éducatifs {reference}", operator="Association Essai", year=year,
                                   amount_cents=1_250_000)
    session.commit()
    return action


def latest_case(db, reference=None):
    db.expire_all()
    query = select(Case).order_by(Case.proposed_at.desc())
    return db.scalar(query.where(Case.reference == reference) if reference else query)


ROLES = ("participant", "outsider", "coordinator", "excluded", "unsigned")
GET_TABLE = {  # route -> expected status per role
    "/situations/{case}": (200, 404, 200, 403, 403),
    "/groupes/{group}/situations": (200, 200, 200, 403, 403),
    "/groupes/{group}/situations/nouvelle": (200, 200, 200, 403, 403),
    "/groupes/{group}/recherche": (200, 200, 200, 403, 403),
    "/groupes/{group}/seances": (200, 200, 200, 403, 403),
}
