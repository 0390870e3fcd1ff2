"""Item 10 of issue 12: acts that cannot be undone are not one click away. Dissolving a group
has its own page, the group's exact name and a fresh code; removing a participant asks for a
chosen reason and a confirmation; adopting a new text version says first whom it blocks."""

from __future__ import annotations

import re
from datetime import date

import pytest
from apptest import audit_bodies, decided, fresh_code, make_account, post
from sqlalchemy import select

from ccop_cases.cases.models import CaseParticipant
from ccop_cases.charter.models import GoverningText, WorkingGroup

GROUP_NAME = "CCOP Quartier des Tilleuls"  # make_governance's group





def _status(db, gov):
    db.expire_all()
    return db.get(WorkingGroup, gov.group.id).status


# --- dissolving a group ---------------------------------------------------------------------------

def test_the_status_form_no_longer_dissolves_a_group(login_as, admin, gov, db):
    c = login_as(admin)
    page = f"/administration/groupes/{gov.group.id}"
    assert 'value="dissolve"' not in c.get(page).text
    assert "Dissoudre le groupe…" in c.get(page).text
    one_click = post(c, f"{page}/etat", {"st-action": "dissolve", "st-confirm": "y"}, token_from=page)
    assert one_click.status_code == 400
    assert "La dissolution ne se fait pas ici : ouvrez « Dissoudre le groupe… »" in one_click.text
    assert _status(db, gov) == "constituted"
    assert all(e["details"]["after"] != "dissolved" for e in audit_bodies(db, "group.status_changed"))


def test_the_dissolution_page_says_what_ends_before_anything_is_asked(app, login_as, admin, gov, db):
    coordinator, member, gone = (make_account(app, f"dissous.{n}") for n in ("coord", "membre", "parti"))
    gov.designate(coordinator, role="coordonnateur")
    gov.designate(member)
    gov.designate(gone, end_date=date(2026, 2, 1))  # ended before today (2026-03-02): not counted
    page = login_as(admin).get(f"/administration/groupes/{gov.group.id}/dissolution")
    assert page.status_code == 200
    text = re.sub(r"\s+", " ", page.text)
    assert "La dissolution est définitive" in text
    assert "l’accès de ses 2 membre(s) actif(s), coordonnateur compris, à toutes ses situations (0 situation(s)" in text
    assert "ses séances (0)" in text
    assert "recopié pour confirmer" in text and "Code de votre application" in text
    assert _status(db, gov) == "constituted"  # a GET changes nothing


DISSOLVE_REFUSALS = [  # (name typed, code: fresh/wrong/none) -> message; nothing is dissolved
    ("ccop quartier des tilleuls", "fresh", "Ce n’est pas le nom du groupe : recopiez exactement « CCOP Quartier"),
    ("CCOP Quartier des Tilleul", "fresh", "Ce n’est pas le nom du groupe"),
    ("", "fresh", "Ce champ est obligatoire."),
    (GROUP_NAME, "none", "Ce champ est obligatoire."),
    ("CCOP", "none", "Ce n’est pas le nom du groupe"),  # both said at once
    (GROUP_NAME, "wrong", "Code incorrect : rien n’a été modifié."),
]


@pytest.mark.parametrize("name,code,message", DISSOLVE_REFUSALS)
def test_dissolution_is_refused_without_the_exact_name_and_a_fresh_code(login_as, admin, gov, db, clock,
                                                                         name, code, message):
    c = login_as(admin)
    url = f"/administration/groupes/{gov.group.id}/dissolution"
    data = {"name": name, "reason": "Fin de la convention"}
    if code != "none":
        fresh = fresh_code(admin, clock)
        data["code"] = fresh if code == "fresh" else f"{(int(fresh) + 1) % 1_000_000:06d}"
    response = post(c, url, data)
    assert response.status_code == 400 and message in response.text
    assert _status(db, gov) == "constituted"
    refused_codes = [e for e in audit_bodies(db, "login.refused") if e["details"].get("step") == "reauth"]
    assert len(refused_codes) == (1 if code == "wrong" else 0)  # a wrong code is audited as before (R21)


def test_dissolution_with_the_exact_name_and_a_fresh_code_ends_the_group(app, login_as, admin, gov, db, clock):
    member = make_account(app, "dissous.signe")
    gov.sign_all(gov.designate(member))
    c = login_as(admin)
    url = f"/administration/groupes/{gov.group.id}/dissolution"
    response = post(c, url, {"name": f" {GROUP_NAME} ", "code": fresh_code(admin, clock)})
    assert response.status_code == 302 and response.location == f"/administration/groupes/{gov.group.id}"
    assert _status(db, gov) == "dissolved"
    entry = audit_bodies(db, "group.status_changed")[-1]
    assert entry["details"]["after"] == "dissolved" and entry["details"]["reason_given"] == "no"
    assert audit_bodies(db, "account.reauthenticated")  # the fresh code, as for an exclusion
    assert decided(db, member.person, "group.exchange", db.get(WorkingGroup, gov.group.id), now=clock()).rule == "R1"
    group_page = c.get(response.location).text
    assert "Dissoudre le groupe…" not in group_page and "Groupe dissous" in group_page
    assert "est dissous depuis" in c.get(url).text


# --- removing a participant -----------------------------------------------------------------------

@pytest.fixture
def case_with_member(app, gov, login_as, db):
    """A proposed case of a signed member, the coordonnateur logged in; returns the clients,
    the case URL and the member's participation."""
    from casetest import propose
    coordinator, member = make_account(app, "retrait.coord"), make_account(app, "retrait.membre")
    gov.sign_all(gov.designate(coordinator, role="coordonnateur"))
    gov.sign_all(gov.designate(member))
    member_client = login_as(member)
    response = propose(member_client, gov)
    assert response.status_code == 302, response.text
    row = db.scalar(select(CaseParticipant).where(CaseParticipant.reason == "proposer"))
    return login_as(coordinator), member_client, response.location, row


def test_the_case_page_links_to_a_removal_page_with_no_preset_reason(case_with_member):
    coordinator, _member, url, row = case_with_member
    removal = f"{url}/participants/{row.id}/retirer"
    case_page = coordinator.get(url).text
    assert f'href="{removal}"' in case_page and 'name="reason"' not in case_page  # no one-click form
    page = coordinator.get(removal)
    assert page.status_code == 200 and "retirer retrait.membre" in page.text
    select_html = page.text.split('<select id="reason"')[1].split("</select>")[0]
    first = re.search(r"<option([^>]*)>([^<]*)</option>", select_html)
    assert first.group(2) == "— choisir —" and 'value=""' in first.group(1)
    assert "selected" not in select_html.replace(first.group(0), "")  # nothing else chosen in advance
    assert 'type="checkbox"' in page.text and "Je confirme le retrait" in page.text


REMOVAL_REFUSALS = [  # the form as posted -> French message; the member keeps access
    ({"reason": "removed_no_longer_needed"}, "Cochez la case pour confirmer."),  # yesterday's one click
    ({"reason": "", "confirm": "y"}, "Ce champ est obligatoire."),  # the « — choisir — » option
    ({"confirm": "y"}, "Ce champ est obligatoire."),
    ({"reason": "removed_inexistant", "confirm": "y"}, "Choix inconnu."),
]


@pytest.mark.parametrize("data,message", REMOVAL_REFUSALS)
def test_removal_needs_a_chosen_reason_and_a_confirmation(case_with_member, db, data, message):
    coordinator, member, url, row = case_with_member
    response = post(coordinator, f"{url}/participants/{row.id}/retirer", data)
    assert response.status_code == 400 and message in response.text
    assert member.get(url).status_code == 200
    assert audit_bodies(db, "case.participant_removed") == []


def test_removal_with_reason_and_confirmation_ends_access_and_is_audited(case_with_member, db):
    coordinator, member, url, row = case_with_member
    removal = f"{url}/participants/{row.id}/retirer"
    done = post(coordinator, removal, {"reason": "removed_no_longer_needed", "confirm": "y"})
    assert done.status_code == 302 and done.location == url
    assert ("retrait.membre (Conseiller principal d&#39;éducation, Éducation nationale) est retiré de la situation"
            in coordinator.get(url).text)
    assert member.get(url).status_code == 404
    assert audit_bodies(db, "case.participant_removed")[-1]["details"]["reason"] == "removed_no_longer_needed"
    assert coordinator.get(removal).status_code == 404  # already removed: nothing left to remove


def test_a_participant_of_another_case_is_not_found_on_the_removal_page(case_with_member, db):
    import uuid
    coordinator, _member, url, _row = case_with_member
    assert coordinator.get(f"{url}/participants/{uuid.uuid4()}/retirer").status_code == 404
    denial = audit_bodies(db, "access.denied")[-1]
    assert denial["target"]["type"] == "case_participant"


# --- adopting a new charter or rules version ------------------------------------------------------

def _preview(c, url, kind, text):
    return post(c, url, {"kind": kind, "text": text, "adopted_on": "2026-03-01", "step": "preview"})


def _previewed(preview):
    return re.search(r'name="previewed" type="hidden" value="([0-9a-f]{64})"', preview.text).group(1)


BLOCKED = [  # (designations: role and status, kind) -> what the preview says
    ((("coordonnateur", "active"), ("member", "active"), ("member", "active"), ("member", "suspended")), "charter",
     "3 membres, dont le coordonnateur, devront signer la nouvelle version avant tout nouvel échange (R3)"),
    ((("coordonnateur", "active"), ("member", "active")), "rules",
     "2 membres, dont le coordonnateur, devront prendre connaissance de la nouvelle version avant tout nouvel "
     "échange (R2)"),
    ((("member", "active"), ("member", "active")), "charter",
     "2 membres devront signer la nouvelle version avant tout nouvel échange (R3)"),
    ((("coordonnateur", "active"), ("member", "excluded")), "charter",
     "1 membre, le coordonnateur, devra signer la nouvelle version avant tout nouvel échange (R3)"),
    ((), "charter", "Aucun membre actif n’est désigné : personne n’aura à signer cette version pour l’instant (R3)"),
]


@pytest.mark.parametrize("designations,kind,expected", BLOCKED)
def test_the_preview_says_how_many_members_will_be_blocked(app, login_as, admin, gov, db, designations, kind,
                                                           expected):
    for n, (role, status) in enumerate(designations):
        membership = gov.designate(make_account(app, f"bloque.{n}"), role=role)
        membership.status = status
    gov.session.commit()
    c = login_as(admin)
    url = f"/administration/groupes/{gov.group.id}/textes/{kind}"
    assert expected not in c.get(url).text  # said at the preview, before the confirmation
    preview = _preview(c, url, kind, "Nouvelle version")
    assert preview.status_code == 200 and expected in preview.text
    assert "Confirmer l’adoption de cette version" in preview.text
    assert db.scalar(select(GoverningText).where(GoverningText.version == 2)) is None  # previewed only


ONE_CLICK = [  # the adopt step without the preview of this very text -> refused, nothing adopted
    {"step": "adopt"},
    {"step": "adopt", "previewed": ""},
    {"step": "adopt", "previewed": "0" * 64},
]


@pytest.mark.parametrize("extra", ONE_CLICK)
def test_adoption_without_the_preview_of_this_text_is_refused(login_as, admin, gov, db, extra):
    c = login_as(admin)
    url = f"/administration/groupes/{gov.group.id}/textes/charter"
    response = post(c, url, {"kind": "charter", "text": "Charte v2", "adopted_on": "2026-03-01", **extra})
    assert response.status_code == 400
    assert "Cette version n’a pas été prévisualisée telle quelle" in response.text
    assert "devront signer" in response.text or "devra signer" in response.text or "Aucun membre" in response.text
    assert db.scalar(select(GoverningText).where(GoverningText.version == 2)) is None
    assert _previewed(response)  # the page now previews it: confirming is one step away


def test_a_text_edited_after_its_preview_is_previewed_again_not_adopted(login_as, admin, gov, db):
    c = login_as(admin)
    url = f"/administration/groupes/{gov.group.id}/textes/charter"
    preview = _preview(c, url, "charter", "Charte v2")
    edited = post(c, url, {"kind": "charter", "text": "Charte v2 modifiée", "adopted_on": "2026-03-01",
                           "step": "adopt", "previewed": _previewed(preview)})
    assert edited.status_code == 400 and "+Charte v2 modifiée" in edited.text
    assert db.scalar(select(GoverningText).where(GoverningText.version == 2)) is None
    adopted = post(c, url, {"kind": "charter", "text": "Charte v2 modifiée", "adopted_on": "2026-03-01",
                            "step": "adopt", "previewed": _previewed(edited)})
    assert adopted.status_code == 302
    db.expire_all()
    assert db.scalar(select(GoverningText).where(GoverningText.version == 2)).text == "Charte v2 modifiée"
    assert audit_bodies(db, "text.adopted")[-1]["details"]["version"] == "2"
