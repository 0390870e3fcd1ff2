"""The charter administrator's console and the members' signing, through the web."""

from __future__ import annotations

import json
import re
import uuid

import pytest
from apptest import audit_bodies, decided, fresh_code, make_account, make_governance, post
from sqlalchemy import func, select

from ccop_cases.accounts.models import Person, WebSession
from ccop_cases.auditing.models import AuditEntry
from ccop_cases.charter.models import Council, GoverningText, Membership, Signature, WorkingGroup


def _previewed(preview):
    """The fingerprint of the previewed text, as the preview page hands it to its confirmation."""
    return re.search(r'name="previewed" type="hidden" value="([0-9a-f]{64})"', preview.text).group(1)


def _count(db, model):
    db.expire_all()
    return db.scalar(select(func.count()).select_from(model))


# --- role table ---------------------------------------------------------------------------------

ROUTES = ["/administration/", "/administration/conseils/{council}", "/administration/groupes/{group}",
          "/administration/groupes/{group}/textes/charter", "/administration/membres/{membership}",
          "/administration/deploiement"]


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("who,status", [("anonymous", 302), ("member", 403), ("dpo", 403), ("charter_admin", 200)])
def test_console_routes_by_role(app, login_as, admin, gov, route, who, status):
    member = make_account(app, "membre.role")
    membership = gov.designate(member)
    url = route.format(council=gov.council.id, group=gov.group.id, membership=membership.id)
    if who == "anonymous":
        client = app.test_client()
    elif who == "charter_admin":
        client = login_as(admin)
    else:
        if who == "dpo":
            session = app.extensions["ccop"].database.session()
            session.get(Person, member.person.id).is_dpo = True
            session.commit()
        client = login_as(member)
    response = client.get(url)
    assert response.status_code == status
    if status == 403:
        assert "R17" in response.text


@pytest.mark.parametrize("route", [r for r in ROUTES if "{" in r])
def test_forged_ids_answer_404_and_are_audited(login_as, admin, gov, db, route):
    client = login_as(admin)
    forged = str(uuid.uuid4())
    url = route.format(council=forged, group=forged, membership=forged)
    assert client.get(url).status_code == 404
    assert any(d["rule"] == "R4" for d in audit_bodies(db, "access.denied"))


def test_forged_member_id_in_an_act_form_answers_404(login_as, admin, gov, db, clock):
    client = login_as(admin)
    url = f"/administration/membres/{uuid.uuid4()}/exclure"
    response = post(client, url, {"exc-reason": "x", "exc-confirm": "y", "exc-code": "000000"},
                    token_from=f"/administration/groupes/{gov.group.id}")
    assert response.status_code == 404 and audit_bodies(db, "access.denied")


# --- the whole constitution journey ----------------------------------------------------------------

def test_constitution_journey_through_the_console(app, login_as, admin, db, clock):
    c = login_as(admin)
    created = post(c, "/administration/", {"kind": "CLSPD", "name": "CLSPD de Fictiveville",
                                            "communes": "99002 Fictiveville\n2A004 Ajaccio-sur-Fiction"})
    assert created.status_code == 302
    council = db.scalar(select(Council).where(Council.name == "CLSPD de Fictiveville"))
    url = f"/administration/conseils/{council.id}"
    post(c, url, {"name": "CCOP Centre", "legal_basis": "L132-5", "vocation": "territorial",
                  "perimeter": "Centre-ville", "theme": "", "is_ccop": "y", "territory_label": "QPV"})
    group = db.scalar(select(WorkingGroup).where(WorkingGroup.name == "CCOP Centre"))
    page = f"/administration/groupes/{group.id}"
    refused = post(c, f"{page}/etat", {"st-action": "constitute"}, token_from=page)
    assert refused.status_code == 302
    assert "Constitution refusée (R1, R2)" in c.get(page).text
    post(c, f"{page}/acte", {"act-act_date": "2026-02-01", "act-reference": "DEL-2026-10",
                             "act-document": "Texte de la délibération"}, token_from=page)
    for kind in ("charter", "rules"):
        text_url = f"{page}/textes/{kind}"
        preview = post(c, text_url, {"kind": kind, "text": f"Texte {kind}\nligne 2", "adopted_on": "2026-02-01",
                                     "step": "preview"})
        assert preview.status_code == 200 and "Confirmer l’adoption" in preview.text and "+ligne 2" in preview.text
        assert _count(db, GoverningText) == 0 or kind == "rules"
        post(c, text_url, {"kind": kind, "text": f"Texte {kind}\nligne 2", "adopted_on": "2026-02-01", "step": "adopt",
                           "previewed": _previewed(preview)})
    assert post(c, f"{page}/etat", {"st-action": "constitute"}, token_from=page).status_code == 302
    db.expire_all()
    assert db.get(WorkingGroup, group.id).status == "constituted"
    assert db.get(WorkingGroup, group.id).act_sha256 == __import__("hashlib").sha256(
        "Texte de la délibération".encode()).hexdigest()
    designated = post(c, f"{page}/membres", {
        "des-username": "nouvelle.cpe", "des-institution": "education_nationale", "des-function": "CPE",
        "des-role": "member", "des-reference": "COURRIER-12", "des-start_date": "2026-02-01",
        "des-end_date": "2026-12-31"}, token_from=page)
    assert designated.status_code == 200 and "Mot de passe à usage unique" in designated.text
    actions = [e.action for e in db.scalars(select(AuditEntry))]
    for expected in ("council.created", "group.created", "group.act_recorded", "text.adopted",
                     "group.status_changed", "membership.designated", "account.created"):
        assert expected in actions


def test_suspending_or_dissolving_a_group_needs_confirmation_and_freezes_access(app, login_as, admin, gov, db, clock):
    member = make_account(app, "membre.gel")
    gov.sign_all(gov.designate(member))
    c = login_as(admin)
    page = f"/administration/groupes/{gov.group.id}"
    unconfirmed = post(c, f"{page}/etat", {"st-action": "suspend"}, token_from=page)
    assert unconfirmed.status_code == 400 and "Cochez la case pour confirmer" in unconfirmed.text
    post(c, f"{page}/etat", {"st-action": "suspend", "st-confirm": "y", "st-reason": "enquete"}, token_from=page)
    db.expire_all()
    assert decided(db, member.person, "group.exchange", db.get(WorkingGroup, gov.group.id), now=clock()).rule == "R1"


def test_a_free_text_reason_suspends_the_group_and_stays_out_of_the_audit(login_as, admin, gov, db):
    c = login_as(admin)
    page = f"/administration/groupes/{gov.group.id}"
    response = post(c, f"{page}/etat", {"st-action": "suspend", "st-confirm": "y",
                                        "st-reason": "Fuite d’information constatée par M. Dupont"}, token_from=page)
    assert response.status_code == 302
    db.expire_all()
    assert db.get(WorkingGroup, gov.group.id).status == "suspended"
    entry = json.loads(db.scalars(select(AuditEntry.body).where(AuditEntry.action == "group.status_changed")
                                  .order_by(AuditEntry.seq.desc())).first())
    assert entry["details"]["reason_given"] == "yes" and "Dupont" not in json.dumps(entry)


def test_the_console_of_one_council_never_reaches_another(app, login_as, admin, gov, db):
    other_admin = make_account(app, "autre.president")
    session = app.extensions["ccop"].database.session()
    session.get(Person, other_admin.person.id).is_charter_admin = True
    session.commit()
    c = login_as(other_admin)
    assert c.get(f"/administration/groupes/{gov.group.id}").status_code == 404
    assert c.get(f"/administration/conseils/{gov.council.id}").status_code == 404
    assert "CLSPD de Villefictive" not in c.get("/administration/").text


def test_the_president_does_not_designate_himself_coordonnateur(login_as, admin, gov, db):
    c = login_as(admin)
    page = f"/administration/groupes/{gov.group.id}"
    response = post(c, f"{page}/membres", {
        "des-username": admin.username, "des-institution": "mairie", "des-function": "Maire",
        "des-role": "coordonnateur", "des-reference": "X", "des-start_date": "2026-02-01"}, token_from=page)
    assert response.status_code == 400 and "R17" in response.text
    assert db.scalar(select(func.count()).select_from(Membership).where(Membership.person_id == admin.person.id)) == 0


def test_new_charter_version_shows_the_diff_and_sends_members_back_to_signing(app, login_as, admin, gov, clock, db):
    member = make_account(app, "membre.resigne")
    gov.sign_all(gov.designate(member))
    member_client = login_as(member)
    assert member_client.get("/").status_code == 200
    c = login_as(admin)
    url = f"/administration/groupes/{gov.group.id}/textes/charter"
    preview = post(c, url, {"kind": "charter", "text": "Charte v2", "adopted_on": "2026-03-01", "step": "preview"})
    assert "-Charte v1" in preview.text and "+Charte v2" in preview.text
    post(c, url, {"kind": "charter", "text": "Charte v2", "adopted_on": "2026-03-01", "step": "adopt",
                  "previewed": _previewed(preview)})
    landing = member_client.get("/")
    assert landing.status_code == 302 and landing.location == f"/groupes/{gov.group.id}/signature"
    page = member_client.get(landing.location)
    assert "Charte v2" in page.text and "version 2" in page.text
    unticked = post(member_client, landing.location, {"code": fresh_code(member, clock)})
    assert unticked.status_code == 400 and "Cochez la case pour signer" in unticked.text
    signed = post(member_client, landing.location, {"accept": "y", "code": fresh_code(member, clock)})
    assert signed.status_code == 302
    v2 = db.scalar(select(GoverningText).where(GoverningText.version == 2))
    sig = db.scalar(select(Signature).where(Signature.text_id == v2.id))
    assert sig is not None and sig.text_sha256 == v2.sha256
    assert member_client.get("/").status_code == 200


def test_signing_with_a_wrong_code_records_nothing(app, login_as, gov, db, clock):
    member = make_account(app, "membre.mauvaiscode")
    gov.designate(member)
    c = login_as(member)
    response = post(c, f"/groupes/{gov.group.id}/signature", {"accept": "y", "code": "000000"})
    assert response.status_code == 400 and "Code incorrect" in response.text
    assert _count(db, Signature) == 0


def test_member_sees_designation_and_end_date(app, login_as, gov):
    member = make_account(app, "membre.fiche")
    from datetime import date
    gov.sign_all(gov.designate(member, end_date=date(2026, 12, 31)))
    page = login_as(member).get(f"/groupes/{gov.group.id}")
    assert "31/12/2026" in page.text and "Conseiller principal" in page.text and "ARR-2026-01" in page.text


def test_a_member_cannot_see_another_groups_page(app, login_as, gov, db):
    member = make_account(app, "membre.curieux")
    assert login_as(member).get(f"/groupes/{gov.group.id}").status_code == 404
    assert audit_bodies(db, "access.denied")


# --- members: suspend, reinstate, exclude, 2FA reset ---------------------------------------------

def test_exclusion_ends_the_live_session_of_the_excluded_member_within_the_next_request(
        app, login_as, admin, gov, db, clock):
    member = make_account(app, "membre.exclu")
    membership = gov.designate(member)
    gov.sign_all(membership)
    member_client = login_as(member)
    assert member_client.get("/").status_code == 200
    admin_client = login_as(admin)
    url = f"/administration/membres/{membership.id}/exclure"
    page = f"/administration/membres/{membership.id}"
    unconfirmed = post(admin_client, url, {"exc-reason": "Divulgation", "exc-code": fresh_code(admin, clock)},
                       token_from=page)
    assert unconfirmed.status_code == 400 and "Cochez la case" in unconfirmed.text
    wrong_code = post(admin_client, url, {"exc-reason": "Divulgation", "exc-confirm": "y", "exc-code": "000000"},
                      token_from=page)
    assert wrong_code.status_code == 400 and "rien n’a été modifié" in wrong_code.text
    db.expire_all()
    assert db.get(Membership, membership.id).status == "active"
    done = post(admin_client, url, {"exc-reason": "Divulgation", "exc-confirm": "y",
                                    "exc-code": fresh_code(admin, clock)}, token_from=page)
    assert done.status_code == 302
    assert member_client.get("/").location == "/connexion"  # the very next request
    db.expire_all()
    assert db.get(Membership, membership.id).status == "excluded"
    assert db.scalar(select(func.count()).select_from(WebSession).where(
        WebSession.person_id == member.person.id, WebSession.ended_at.is_(None))) == 0
    assert decided(db, member.person, "group.exchange", gov.group, now=clock()).rule == "R15"
    reinstate = post(admin_client, f"/administration/membres/{membership.id}/reprendre", {},
                     token_from=f"/administration/groupes/{gov.group.id}")
    assert reinstate.status_code == 302
    db.expire_all()
    assert db.get(Membership, membership.id).status == "excluded"  # only a new designation readmits


def test_suspension_ends_sessions_and_can_be_lifted(app, login_as, admin, gov, db, clock):
    member = make_account(app, "membre.suspendu")
    membership = gov.designate(member)
    gov.sign_all(membership)
    member_client = login_as(member)
    c = login_as(admin)
    page = f"/administration/membres/{membership.id}"
    empty = post(c, f"{page}/suspendre", {"sus-reason": ""}, token_from=page)
    assert empty.status_code == 400 and "Ce champ est obligatoire." in empty.text
    post(c, f"{page}/suspendre", {"sus-reason": "Enquete"}, token_from=page)
    assert member_client.get("/").location == "/connexion"
    post(c, f"{page}/reprendre", {}, token_from=page)
    db.expire_all()
    assert db.get(Membership, membership.id).status == "active"


def test_end_date_before_start_is_refused(app, login_as, admin, gov, db):
    member = make_account(app, "membre.dates")
    membership = gov.designate(member)
    c = login_as(admin)
    page = f"/administration/membres/{membership.id}"
    post(c, f"{page}/fin", {"end-end_date": "2025-01-01"}, token_from=page)
    assert "précède la date de début" in c.get(page).text
    db.expire_all()
    assert db.get(Membership, membership.id).end_date is None


def test_admin_resets_a_members_second_factor_with_a_fresh_code(app, login_as, admin, gov, db, clock):
    member = make_account(app, "membre.telephone")
    membership = gov.designate(member)
    c = login_as(admin)
    page = f"/administration/membres/{membership.id}"
    assert post(c, f"{page}/2fa", {"2fa-code": fresh_code(admin, clock)}, token_from=page).status_code == 302
    db.expire_all()
    assert db.get(Person, member.person.id).totp_secret_enc is None


def test_deployment_goes_to_production_only_with_the_r20_fields(login_as, admin, db, clock):
    c = login_as(admin)
    missing = post(c, "/administration/deploiement", {"aipd_reference": "", "dpo_designation": "",
                                                       "register_entry": "", "code": fresh_code(admin, clock)})
    assert missing.status_code == 400 and "Ce champ est obligatoire." in missing.text
    assert "mode pilote" in c.get("/").text
    done = post(c, "/administration/deploiement", {"aipd_reference": "AIPD-2026-1", "dpo_designation": "DPO-12345",
                                                    "register_entry": "REG-7", "code": fresh_code(admin, clock)})
    assert done.status_code == 302
    assert "mode pilote" not in c.get("/administration/").text


# --- bad input ---------------------------------------------------------------------------------

BAD_TEXT = [("", "Ce champ est obligatoire."), ("x" * 121, "120 caractères au plus."),
            ("DEL\x1b-2026", "Caractères de contrôle interdits")]


@pytest.mark.parametrize("value,message", BAD_TEXT)
def test_bad_act_reference_gets_a_french_message_and_nothing_is_stored(app, login_as, admin, db, value, message):
    gov = make_governance(app, constituted=False, admin=admin)
    gov.group.act_sha256 = None
    gov.session.commit()
    c = login_as(admin)
    page = f"/administration/groupes/{gov.group.id}"
    response = post(c, f"{page}/acte", {"act-act_date": "2026-02-01", "act-reference": value,
                                        "act-document": "Texte"}, token_from=page)
    assert response.status_code == 400 and message in response.text
    db.expire_all()
    assert db.get(WorkingGroup, gov.group.id).act_sha256 is None


@pytest.mark.parametrize("value,message", [("", "Ce champ est obligatoire."),
                                           ("x" * 60_001, "60000 caractères au plus."),
                                           ("Charte\x07v2", "Caractères de contrôle interdits")])
def test_bad_charter_text_gets_a_french_message_and_nothing_is_stored(login_as, admin, gov, db, value, message):
    c = login_as(admin)
    url = f"/administration/groupes/{gov.group.id}/textes/charter"
    response = post(c, url, {"kind": "charter", "text": value, "adopted_on": "2026-03-01", "step": "adopt"})
    assert response.status_code == 400 and message in response.text
    assert _count(db, GoverningText) == 2  # the charter and rules of the fixture only


def test_a_charter_text_keeps_its_line_breaks(login_as, admin, gov, db):
    c = login_as(admin)
    url = f"/administration/groupes/{gov.group.id}/textes/charter"
    data = {"kind": "charter", "text": "Article 1\r\n\tArticle 2", "adopted_on": "2026-03-01"}
    preview = post(c, url, {**data, "step": "preview"})
    post(c, url, {**data, "step": "adopt", "previewed": _previewed(preview)})
    assert db.scalar(select(GoverningText).where(GoverningText.version == 2)).text.startswith("Article 1")


def test_bad_communes_list_is_refused_line_by_line(login_as, admin, db):
    c = login_as(admin)
    response = post(c, "/administration/", {"kind": "CLSPD", "name": "X", "communes": "99001 Ok\nabc"})
    assert response.status_code == 400 and "Ligne(s) 2" in response.text
    assert _count(db, Council) == 0


def test_unknown_closed_list_code_is_refused(login_as, admin, gov, db):
    c = login_as(admin)
    page = f"/administration/groupes/{gov.group.id}"
    response = post(c, f"{page}/membres", {
        "des-username": "x.y", "des-institution": "secte", "des-function": "F", "des-role": "member",
        "des-reference": "R", "des-start_date": "2026-02-01"}, token_from=page)
    assert response.status_code == 400 and "Choix inconnu." in response.text
    assert re.search(r"value=\"x.y\"", response.text)  # input kept for correction


# --- refusals under a rule are audited (issue 12, item 4) -------------------------------------------

def test_console_refusals_under_a_rule_are_audited_with_their_target(app, login_as, admin, db):
    gov = make_governance(app, constituted=False, admin=admin)
    gov.group.act_sha256 = None
    excluded = gov.designate(make_account(app, "refus.exclu"))
    excluded.status = "excluded"
    gov.session.commit()
    c = login_as(admin)
    before = len(audit_bodies(db, "access.denied"))
    page = f"/administration/groupes/{gov.group.id}"
    assert post(c, f"{page}/etat", {"st-action": "constitute"}, token_from=page).status_code == 302
    member = f"/administration/membres/{excluded.id}"
    post(c, f"{member}/reprendre", {"rep-confirm": "y"}, token_from=member)
    found = [(e["rule"], e["target"]["type"], e["target"]["id"]) for e in audit_bodies(db, "access.denied")[before:]]
    assert found == [("R1", "working_group", str(gov.group.id)), ("R15", "membership", str(excluded.id))]
