"""Item 11 of issue 12: no page writes an attribute whose value is the word None
(``autocomplete="None"``, ``inputmode="None"``, ``rows="None"``…): an attribute without a value
is left out. Every GET page of the app is rendered, and every form page again with its errors."""

from __future__ import annotations

import re
import uuid

import pytest
from apptest import PASSWORD, current_code, make_account, make_governance, post, setup_work
from casetest import fipd_action
from sqlalchemy import select

from ccop_cases.accounts.models import Person
from ccop_cases.cases.models import Case, CaseAction, CaseParticipant
from ccop_cases.charter.models import Membership
from ccop_cases.meetings.models import Meeting
from ccop_cases.plans import services as plans
from ccop_cases.plans.models import StrategyObjective

NONE_ATTRIBUTE = re.compile(r"""[\w-]+=["']?None\b""")


@pytest.fixture
def pages(app, login_as, clock, db):
    """(rule, client, concrete URL) for every page, each seen by someone who may open it."""
    from casetest import propose
    admin = make_account(app, "attr.admin")
    dpo = make_account(app, "attr.dpo")
    session = app.extensions["ccop"].database.session()
    session.get(Person, admin.person.id).is_charter_admin = True
    session.get(Person, dpo.person.id).is_dpo = True
    session.commit()
    gov = make_governance(app, admin=admin)
    coordinator, member, unsigned = (make_account(app, f"attr.{n}") for n in ("coord", "membre", "nonsigne"))
    gov.sign_all(gov.designate(coordinator, role="coordonnateur"))
    gov.sign_all(gov.designate(member))
    gov.designate(unsigned)
    coordinator_client, member_client = login_as(coordinator), login_as(member)
    assert propose(member_client, gov).status_code == 302
    case = db.scalar(select(Case))
    assert propose(member_client, gov, last_name="Archivée-Essai", given_names="Léa").status_code == 302
    closed = db.scalar(select(Case).where(Case.id != case.id))
    assert post(coordinator_client, f"/situations/{closed.id}/cloture",
                {"clo-reason": "objectives_met", "clo-confirm": "y"}).status_code == 302
    participant = db.scalar(select(CaseParticipant).where(CaseParticipant.case_id == case.id))
    assert post(member_client, f"/situations/{case.id}/actions",
                {"act-action_type": "citizenship", "act-start_date": "2026-03-01", "act-outcome": "ongoing"}
                ).status_code == 302
    action = db.scalar(select(CaseAction).where(CaseAction.case_id == case.id))
    post(coordinator_client, f"/groupes/{gov.group.id}/seances", {"when": "2026-03-10T10:00"})
    meeting = db.scalar(select(Meeting))
    membership = db.scalar(select(Membership).where(Membership.person_id == member.person.id))
    dpo_client = login_as(dpo)
    assert post(dpo_client, "/compte/confirmer?suite=oversight.trail",
                {"code": current_code(dpo, clock)}).status_code == 302
    anonymous, at_code, at_enrolment = app.test_client(), app.test_client(), app.test_client()
    post(at_code, "/connexion", {"username": member.username, "password": PASSWORD})
    post(at_enrolment, "/connexion", {"username": make_account(app, "attr.nouveau", enrolled=False).username,
                                      "password": PASSWORD})
    admin_client, unsigned_client = login_as(admin), login_as(unsigned)
    g, c = gov.group.id, case.id
    fipd = fipd_action(app, gov.council, "FIPD-ATTR-01")
    objective = db.scalar(select(StrategyObjective).where(StrategyObjective.code == "p1_follow"))
    set_up = setup_work(app, session)
    aim = plans.set_group_objective(set_up, session.merge(gov.group), 2026, objective.id, target=None,
                                    target_share=None)
    session.commit()
    listed = [
        ("/", member_client, "/"),
        ("/connexion", anonymous, "/connexion"),
        ("/connexion/code", at_code, "/connexion/code"),
        ("/compte/configuration", at_enrolment, "/compte/configuration"),
        ("/compte/double-authentification", at_enrolment, "/compte/double-authentification"),
        ("/compte/mot-de-passe", member_client, "/compte/mot-de-passe"),
        ("/compte/confirmer", member_client, "/compte/confirmer"),
        ("/compte", member_client, "/compte"),
        ("/administration/", admin_client, "/administration/"),
        ("/administration/conseils/<uuid:council_id>", admin_client, f"/administration/conseils/{gov.council.id}"),
        ("/administration/deploiement", admin_client, "/administration/deploiement"),
        ("/administration/groupes/<uuid:group_id>", admin_client, f"/administration/groupes/{g}"),
        ("/administration/groupes/<uuid:group_id>/dissolution", admin_client,
         f"/administration/groupes/{g}/dissolution"),
        ("/administration/groupes/<uuid:group_id>/textes/<kind>", admin_client,
         f"/administration/groupes/{g}/textes/charter"),
        ("/administration/membres/<uuid:membership_id>", admin_client, f"/administration/membres/{membership.id}"),
        ("/controle/", dpo_client, "/controle/"),
        ("/groupes/<uuid:group_id>", member_client, f"/groupes/{g}"),
        ("/groupes/<uuid:group_id>/signature", unsigned_client, f"/groupes/{g}/signature"),
        ("/groupes/<uuid:group_id>/recherche", member_client, f"/groupes/{g}/recherche"),
        ("/groupes/<uuid:group_id>/seances", coordinator_client, f"/groupes/{g}/seances"),
        ("/groupes/<uuid:group_id>/membres", coordinator_client, f"/groupes/{g}/membres"),
        ("/groupes/<uuid:group_id>/situations", coordinator_client, f"/groupes/{g}/situations"),
        ("/groupes/<uuid:group_id>/situations/nouvelle", member_client, f"/groupes/{g}/situations/nouvelle"),
        ("/seances/<uuid:meeting_id>", coordinator_client, f"/seances/{meeting.id}"),
        ("/seances/<uuid:meeting_id>/impression/<kind>", member_client,
         f"/seances/{meeting.id}/impression/compte-rendu"),
        ("/situations/<uuid:case_id>", coordinator_client, f"/situations/{c}"),
        ("/situations/<uuid:case_id>/archive", coordinator_client, f"/situations/{closed.id}/archive"),
        ("/situations/<uuid:case_id>/participants/<uuid:participant_id>/retirer", coordinator_client,
         f"/situations/{c}/participants/{participant.id}/retirer"),
        ("/administration/listes", admin_client, "/administration/listes"),
        ("/administration/listes/<list_name>/<code>", admin_client, "/administration/listes/action_type/citizenship"),
        ("/administration/objectifs/<uuid:objective_id>", admin_client, f"/administration/objectifs/{objective.id}"),
        ("/administration/conseils/<uuid:council_id>/fipd", admin_client,
         f"/administration/conseils/{gov.council.id}/fipd"),
        ("/administration/fipd/<uuid:action_id>", admin_client, f"/administration/fipd/{fipd.id}"),
        ("/administration/groupes/<uuid:group_id>/objectifs/<int:year>", admin_client,
         f"/administration/groupes/{g}/objectifs/2026"),
        ("/administration/objectifs-du-groupe/<uuid:objective_id>", admin_client,
         f"/administration/objectifs-du-groupe/{aim.id}"),
    ]
    listed.append(("/situations/<uuid:case_id>/actions/<uuid:action_id>/fin", coordinator_client,
                   f"/situations/{c}/actions/{action.id}/fin"))
    # The reports (issue 15): a chart's key is read from its page, as the builders name their tables;
    # an action of the council funded by the FIPD gives its report rows to draw.
    from ccop_cases.plans.models import FipdAction
    db.add(FipdAction(council_id=gov.council.id, reference="FIPD-2026-01", title="Chantier éducatif",
                      operator="Association Relais", year=2026, amount_cents=1_200_000, created_at=clock()))
    db.commit()
    council_reports, group_reports = f"/rapports/conseils/{gov.council.id}/fipd", f"/rapports/groupes/{g}/annuel"
    chart = re.search(r'<img src="(/rapports/groupes/[^"]+\.svg)', admin_client.get(group_reports).text)
    council_chart = re.search(r'<img src="(/rapports/conseils/[^"]+\.svg)', admin_client.get(council_reports).text)
    assert chart and council_chart, "the annual report and the council's FIPD report draw charts"
    listed += [
        ("/rapports/", coordinator_client, "/rapports/"),
        ("/rapports/conseils/<uuid:council_id>/fipd", admin_client, council_reports),
        ("/rapports/conseils/<uuid:council_id>/fipd/impression", admin_client, f"{council_reports}/impression"),
        ("/rapports/conseils/<uuid:council_id>/fipd/graphique/<key>.svg", admin_client,
         council_chart.group(1)),
        ("/rapports/conseils/<uuid:council_id>/fipd/fichier.<any(csv, ods):fmt>", admin_client,
         f"{council_reports}/fichier.csv"),
        ("/rapports/groupes/<uuid:group_id>/<any(fipd, annuel, objectifs):slug>", coordinator_client, group_reports),
        ("/rapports/groupes/<uuid:group_id>/<any(fipd, annuel, objectifs):slug>/impression", admin_client,
         f"/rapports/groupes/{g}/objectifs/impression"),
        ("/rapports/groupes/<uuid:group_id>/<any(fipd, annuel, objectifs):slug>/graphique/<key>.svg",
         coordinator_client, chart.group(1)),
        ("/rapports/groupes/<uuid:group_id>/<any(fipd, annuel, objectifs):slug>/fichier.<any(csv, ods):fmt>",
         coordinator_client, f"/rapports/groupes/{g}/fipd/fichier.csv"),  # text: read back
    ]
    # The persons' requests (issue 16): the council's DPO and one request in progress.
    from ccop_cases.charter import services as charter
    from ccop_cases.identities.services import Identity
    from ccop_cases.rights import services as rights
    charter.set_dpo(set_up, session.merge(gov.council), dpo.username)
    found = rights.register(set_up, session.merge(gov.council), rights.NewRequest(
        "access", clock().date(), "letter", "young", Identity("Essai", "Requérante"), uuid.uuid4()), dpo.person.id)[0]
    rights.check_identity(set_up, found, check="id_document", checked_on=clock().date())
    rights.link(set_up, found, c)
    session.commit()
    listed += [
        ("/droits/", dpo_client, "/droits/"),
        ("/droits/conseils/<uuid:council_id>/nouvelle", dpo_client, f"/droits/conseils/{gov.council.id}/nouvelle"),
        ("/droits/demandes/<uuid:request_id>", dpo_client, f"/droits/demandes/{found.id}"),
        ("/droits/groupes/<uuid:group_id>", coordinator_client, f"/droits/groupes/{g}"),
    ]
    # Rectification at the person's request (R12): the DPO's own route, and the coordonnateur's case act.
    rectification = rights.register(set_up, session.merge(gov.council), rights.NewRequest(
        "rectification", clock().date(), "letter", "young", Identity("Essai", "Requérante"), uuid.uuid4()),
        dpo.person.id)[0]
    rights.check_identity(set_up, rectification, check="id_document", checked_on=clock().date())
    rights.link(set_up, rectification, c)
    session.commit()
    listed.append(("/droits/demandes/<uuid:request_id>/situations/<uuid:case_id>/rectifier", dpo_client,
                   f"/droits/demandes/{rectification.id}/situations/{c}/rectifier"))
    acts = [("/situations/<uuid:case_id>/<act>", coordinator_client, f"/situations/{c}/{act}")
            for act in ("information", "actions", "decisions", "participants", "cloture", "objectif",
                        "rectification")]
    # Pages shown again with errors by a POST route of their own (every field left empty).
    errors = [(admin_client, f"/administration/groupes/{g}/etat", {"st-action": "suspend"}),
              (admin_client, f"/administration/groupes/{g}/membres", {})]
    errors += [(admin_client, f"/administration/membres/{membership.id}/{act}", {})
               for act in ("suspendre", "exclure", "2fa")]
    errors += [(coordinator_client, f"/seances/{meeting.id}/compte-rendu", {"cr-minutes": "x" * 10_001})]
    errors += [(admin_client, "/administration/listes/action_type/citizenship/etat", {"st-action": "retire"}),
               (admin_client, f"/administration/fipd/{fipd.id}/etat", {"st-action": "retire"}),
               (admin_client, f"/administration/objectifs/{objective.id}/etat", {"st-action": "retire"}),
               (admin_client, f"/administration/objectifs-du-groupe/{aim.id}/etat", {"st-action": "retire"})]
    errors += [(dpo_client, f"/droits/demandes/{found.id}/{act}", {})
               for act in ("prolongation", "reponse", "refus", "retrait", "recherche")]
    return listed + acts, errors


OPTIONAL_ONLY = {"/compte"}  # the account page: name, function, address and reminders are all optional


def test_every_page_is_rendered_without_an_attribute_worth_none(app, pages):
    pages, errors = pages
    methods = {r.rule: r.methods or set() for r in app.url_map.iter_rules() if r.endpoint != "static"}
    assert {rule for rule, _client, _url in pages} == {rule for rule, m in methods.items() if "GET" in m}
    rendered = 0
    for rule, client, url in pages:
        response = client.get(url)
        assert response.status_code in (200, 302), (url, response.status_code)
        assert not NONE_ATTRIBUTE.search(response.text), (url, NONE_ATTRIBUTE.findall(response.text))
        rendered += response.status_code == 200
        if "POST" in methods[rule] and 'name="csrf_token"' in response.text:
            token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', response.text).group(1)
            refused = client.post(url, data={"csrf_token": token})  # every field empty: the errors shown
            if url in OPTIONAL_ONLY:  # nothing required: the empty form is saved
                assert refused.status_code == 302, (url, refused.status_code)
                continue
            assert refused.status_code == 400, (url, refused.status_code)
            assert not NONE_ATTRIBUTE.search(refused.text), (url, NONE_ATTRIBUTE.findall(refused.text))
    assert rendered >= len(pages) - 1  # only /compte/configuration is a mere redirect
    for client, url, data in errors:
        refused = post(client, url, data, token_from=url.rsplit("/", 1)[0])
        assert refused.status_code == 400 and "aria-invalid" in refused.text, (url, refused.status_code)
        assert not NONE_ATTRIBUTE.search(refused.text), (url, NONE_ATTRIBUTE.findall(refused.text))
