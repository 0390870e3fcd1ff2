"""Who reaches the console's lists, objectives and FIPD actions: role × route × status. The
platform's lists and the strategy's objectives are any charter administrator's; a council's
FIPD actions and a group's objectives only the administrator presiding it (another council's
answer 404, audited under R17); a member or a DPO is refused (R17); signed out, the login."""

from __future__ import annotations

import uuid

import pytest
from apptest import audit_bodies, make_account, post
from casetest import fipd_action
from sqlalchemy import select

from ccop_cases.accounts.models import Person
from ccop_cases.plans import services as plans
from ccop_cases.plans.models import FipdAction, GroupObjective, StrategyObjective

PLATFORM, COUNCIL = "platform", "council"
ROUTES = {  # route -> whose
    "/administration/listes": PLATFORM,
    "/administration/listes/action_type/citizenship": PLATFORM,
    "/administration/objectifs/{objective}": PLATFORM,
    "/administration/conseils/{council}/fipd": COUNCIL,
    "/administration/fipd/{fipd}": COUNCIL,
    "/administration/groupes/{group}/objectifs/2026": COUNCIL,
    "/administration/objectifs-du-groupe/{aim}": COUNCIL,
}
WHO = ("presiding", "other_admin", "member", "dpo", "signed_out")
EXPECTED = {PLATFORM: (200, 200, 403, 403, 302), COUNCIL: (200, 404, 403, 403, 302)}


@pytest.fixture
def objects(app, gov, db, work):
    follow = db.execute(select(StrategyObjective).where(StrategyObjective.code == "p1_follow")).scalar_one()
    aim = plans.set_group_objective(work, db.merge(gov.group), 2026, follow.id, target=30, target_share=None)
    db.commit()
    action = fipd_action(app, gov.council, "FIPD-59-12")
    return {"objective": follow.id, "council": gov.council.id, "fipd": action.id, "group": gov.group.id, "aim": aim.id}


@pytest.fixture
def clients(app, login_as, admin, gov, other_admin):
    member, dpo = make_account(app, "membre.plans"), make_account(app, "dpo.plans")
    gov.sign_all(gov.designate(member))
    session = app.extensions["ccop"].database.session()
    session.get_one(Person, dpo.person.id).is_dpo = True
    session.commit()
    return {"presiding": login_as(admin), "other_admin": login_as(other_admin), "member": login_as(member),
            "dpo": login_as(dpo), "signed_out": app.test_client()}


@pytest.mark.parametrize("route", ROUTES)
def test_console_plans_routes_by_role(clients, objects, db, route):
    url = route.format(**objects)
    seen = {who: clients[who].get(url).status_code for who in WHO}
    assert seen == dict(zip(WHO, EXPECTED[ROUTES[route]], strict=True))
    if ROUTES[route] == COUNCIL:  # another council's object: hidden, and the probe is on the trail
        denied = [d for d in audit_bodies(db, "access.denied") if d["rule"] == "R17" and d["outcome"] == "denied"]
        assert any(d["target"]["id"] in url for d in denied)


# Acts on a council's objects by the administrator of another council: 404, nothing changed.
POSTS = {
    "/administration/conseils/{council}/fipd": {"reference": "FIPD-X", "title": "T", "operator": "O", "year": "2026",
                                               "amount": "1"},
    "/administration/fipd/{fipd}": {"title": "Autre", "operator": "O", "year": "2026", "amount": "1"},
    "/administration/fipd/{fipd}/etat": {"st-action": "retire", "st-confirm": "y"},
    "/administration/groupes/{group}/objectifs/2026": {"objective": "{objective}"},
    "/administration/objectifs-du-groupe/{aim}": {"target": "99"},
    "/administration/objectifs-du-groupe/{aim}/etat": {"st-action": "retire", "st-confirm": "y"},
}


@pytest.mark.parametrize("route", POSTS)
def test_another_council_s_administrator_changes_nothing(clients, objects, db, route):
    client = clients["other_admin"]
    data = {key: value.format(**objects) for key, value in POSTS[route].items()}
    response = post(client, route.format(**objects), data, token_from="/administration/listes")
    assert response.status_code == 404
    db.expire_all()
    assert db.get(FipdAction, objects["fipd"]).retired_at is None
    assert db.get(FipdAction, objects["fipd"]).title == "Chantiers éducatifs FIPD-59-12"
    assert db.scalar(select(FipdAction.id).where(FipdAction.reference == "FIPD-X")) is None
    assert (db.get(GroupObjective, objects["aim"]).target, db.get(GroupObjective, objects["aim"]).retired_at) == (
        30, None)


@pytest.mark.parametrize("route", ["/administration/fipd/{id}", "/administration/objectifs-du-groupe/{id}",
                                   "/administration/objectifs/{id}", "/administration/conseils/{id}/fipd",
                                   "/administration/groupes/{id}/objectifs/2026"])
def test_forged_ids_answer_404_and_are_audited(clients, db, route):
    forged = str(uuid.uuid4())
    assert clients["presiding"].get(route.format(id=forged)).status_code == 404
    assert any(d["target"]["id"] == forged and d["rule"] == "R4" for d in audit_bodies(db, "access.denied"))


def test_the_console_links_to_the_lists_the_fipd_actions_and_the_objectives(clients, objects):
    console = clients["presiding"]
    assert 'href="/administration/listes"' in console.get("/administration/").text
    assert f'href="/administration/conseils/{objects["council"]}/fipd"' in console.get(
        f"/administration/conseils/{objects['council']}").text
    assert f'href="/administration/groupes/{objects["group"]}/objectifs/2026"' in console.get(
        f"/administration/groupes/{objects['group']}").text
