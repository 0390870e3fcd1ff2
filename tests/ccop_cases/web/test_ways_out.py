"""Clearer ways out: a refusal names whom to contact (name and function) and what to do; a
purged case's page keeps its reference; an excluded member is told so after logging in; the
idle warning's « Rester connecté » keeps the session alive."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from apptest import audit_bodies, csrf_token, make_account, post, setup_work
from sqlalchemy import select

from ccop_cases.accounts.models import Person, WebSession
from ccop_cases.cases import services as cases
from ccop_cases.charter import services as charter
from ccop_cases.charter.models import Membership, WorkingGroup

COORDINATOR = ("Camille Roussel", "Cheffe de projet prévention, Mairie de Villefictive")
PRESIDENT = ("Jean Valmont", "Maire adjoint délégué à la prévention")


def _name(db, account, name: str, function: str) -> None:
    person = db.get_one(Person, account.person.id)
    person.display_name, person.function = name, function
    db.commit()


@pytest.fixture
def named(world, db):
    """The world's coordonnateur and the council's président have a display name and a function."""
    _name(db, world.coordinator, *COORDINATOR)
    president = db.get_one(Person, world.gov.council.president_id)
    president.display_name, president.function = PRESIDENT
    db.commit()
    return world


def _contact(html: str) -> str:
    found = re.search(r'<section class="contact" aria-labelledby="contact-titre">(.*?)</section>', html, re.S)
    assert found, "the refusal page says whom to contact"
    return re.sub(r"\s+", " ", found.group(1))


def test_a_refusal_inside_the_group_names_the_coordonnateur_and_links_to_what_to_do(named, login_as):
    # The unsigned member: R3, which the member can remedy themself (sign), else ask the coordonnateur.
    response = login_as(named.unsigned).get(f"/groupes/{named.gov.group.id}/situations")
    assert response.status_code == 403 and "(règle R3)" in response.text
    contact = _contact(response.text)
    assert ("<strong>Camille Roussel</strong>, Cheffe de projet prévention, Mairie de Villefictive — "
            "coordonnateur du groupe « CCOP Quartier des Tilleuls ».") in contact
    assert "demandez-lui ce qu’il faut faire" in contact
    assert f'<a class="button" href="/groupes/{named.gov.group.id}/signature">Lire et signer' in response.text


def test_a_coordonnateur_s_act_refused_to_a_member_names_the_coordonnateur(named, login_as, proposed):
    response = login_as(named.participant).get(f"/situations/{proposed.id}/decisions")
    assert response.status_code == 403 and "Réservé au coordonnateur du groupe." in response.text
    assert "<strong>Camille Roussel</strong>" in _contact(response.text)


def test_an_excluded_member_is_sent_to_the_president_of_the_council(named, login_as):
    response = login_as(named.excluded).get(f"/groupes/{named.gov.group.id}/situations")
    assert response.status_code == 403 and "(règle R15)" in response.text
    contact = _contact(response.text)
    assert ("<strong>Jean Valmont</strong>, Maire adjoint délégué à la prévention — "
            "président du CLSPD de Villefictive.") in contact
    assert "Camille Roussel" not in contact


def test_a_group_not_constituted_names_the_president(named, login_as, db, app):
    group = db.get_one(WorkingGroup, named.gov.group.id)
    charter.change_status(setup_work(app, db), group, "suspend", reason="Réorganisation")
    db.commit()
    response = login_as(named.participant).get(f"/groupes/{named.gov.group.id}/situations")
    assert response.status_code == 403 and "(règle R1)" in response.text
    assert "<strong>Jean Valmont</strong>" in _contact(response.text)


def test_a_platform_duty_refused_names_the_president_of_the_person_s_council(named, login_as):
    response = login_as(named.participant).get("/administration/")
    assert response.status_code == 403 and "(règle R17)" in response.text
    assert "président du CLSPD de Villefictive" in _contact(response.text)


def test_without_a_display_name_the_contact_is_the_username_with_the_designation_s_function(world, login_as, db):
    coordinator = db.get(Person, world.coordinator.person.id)
    coordinator.display_name, coordinator.function = "", ""  # designation fills them: empty them again
    db.commit()
    contact = _contact(login_as(world.unsigned).get(f"/groupes/{world.gov.group.id}/situations").text)
    assert "<strong>case.coordinator</strong>, Conseiller principal d&#39;éducation — coordonnateur" in contact


def test_the_refused_coordonnateur_is_not_their_own_contact(named, login_as, db, app):
    membership = db.scalar(select(Membership).where(Membership.person_id == named.coordinator.person.id))
    membership.end_date = date(2026, 2, 1)  # the designation has ended: R4
    db.commit()
    response = login_as(named.coordinator).get(f"/groupes/{named.gov.group.id}/situations")
    assert response.status_code == 403 and "(règle R4)" in response.text
    contact = _contact(response.text)
    assert "Camille Roussel" not in contact and "<strong>Jean Valmont</strong>" in contact


def test_a_closed_case_s_refusal_links_to_the_reason_form(named, login_as, proposed):
    url = f"/situations/{proposed.id}"
    post(login_as(named.coordinator), f"{url}/cloture", {"clo-reason": "objectives_met", "clo-confirm": "y"},
         token_from=url)
    response = login_as(named.participant).get(f"{url}/actions")
    assert response.status_code == 403 and "(règle R10)" in response.text
    assert f'<a class="button" href="{url}/archive">Indiquer le motif de consultation' in response.text
    assert "<strong>Camille Roussel</strong>" in _contact(response.text)


def test_the_contact_names_never_reach_the_trail(named, login_as, db):
    login_as(named.excluded).get(f"/groupes/{named.gov.group.id}/situations")
    trail = str(audit_bodies(db))
    assert "Valmont" not in trail and "Roussel" not in trail


def test_the_410_page_shows_the_reference_that_remains(app, world, login_as, proposed, db):
    cases.erase(setup_work(app, db), db.merge(proposed), "closing_delay")
    db.commit()
    response = login_as(world.coordinator).get(f"/situations/{proposed.id}")
    assert response.status_code == 410 and "effacée" in response.text
    assert f"Référence de la situation : <strong>{proposed.reference}</strong>" in response.text
    assert "Ndiaye" not in response.text and "Qui contacter" not in response.text


# --- the excluded member, logging in again ---------------------------------------------------------


def test_an_excluded_member_logging_in_again_is_told_from_which_group_and_what_to_do(named, app, login_as, db,
                                                                                      clock):
    membership = db.scalar(select(Membership).where(Membership.person_id == named.participant.person.id))
    client = login_as(named.participant)
    charter.exclude_member(setup_work(app, db), membership, "Manquement à la charte")
    db.commit()
    again = client.get("/")
    assert again.status_code == 302 and again.location == "/connexion"  # the exclusion ended the session
    home = login_as(named.participant).get("/")
    text = re.sub(r"\s+", " ", home.text)
    assert "Vous avez été exclu des travaux du groupe « CCOP Quartier des Tilleuls »" in text
    assert f"(le {clock().strftime('%d/%m/%Y')})" in text
    assert "Seule une nouvelle désignation par votre institution permet d’y revenir." in text
    assert "<strong>Jean Valmont</strong>, Maire adjoint délégué à la prévention — président du CLSPD" in text
    assert "Manquement" not in text  # the reason stays in the console


def test_a_new_designation_after_an_exclusion_removes_the_notice(world, app, login_as, db):
    assert "Vous avez été exclu" in login_as(world.excluded).get("/").text
    world.gov.designate(world.excluded, start_date=date(2026, 2, 1))
    assert "Vous avez été exclu" not in login_as(world.excluded).get("/").text


def test_a_member_never_excluded_sees_no_notice(world, login_as):
    assert "Vous avez été exclu" not in login_as(world.participant).get("/").text


# --- « Rester connecté » --------------------------------------------------------------------------

KEEP_ALIVE = "/session/rester-connecte"


def _last_seen(db, person_id):
    db.expire_all()
    return db.scalar(select(WebSession.last_seen_at).where(WebSession.person_id == person_id,
                                                           WebSession.ended_at.is_(None)))


def test_the_page_of_a_signed_in_person_carries_the_idle_time_and_the_warning(world, login_as, settings):
    html = login_as(world.participant).get("/").text
    assert f'<body data-idle-minutes="{settings.session_idle_minutes}">' in html
    assert 'src="/static/session.js"' in html
    assert re.search(r'<div class="session-warning" id="session-warning" hidden>', html)
    assert f'action="{KEEP_ALIVE}"' in html and "Rester connecté" in html


def test_an_anonymous_page_has_neither_the_idle_time_nor_the_warning(client):
    html = client.get("/connexion").text
    assert "<body>" in html and "session.js" not in html and "session-warning" not in html


def test_keep_alive_refreshes_the_session_so_the_idle_timeout_is_counted_again(app, world, login_as, db, clock,
                                                                                settings):
    client = login_as(world.participant)
    idle = timedelta(minutes=settings.session_idle_minutes)
    clock.advance(seconds=(idle - timedelta(minutes=1)).total_seconds())  # the warning shows
    token = csrf_token(client, "/")  # that page counts as activity too: wait again
    clock.advance(seconds=(idle - timedelta(minutes=1)).total_seconds())
    response = client.post(KEEP_ALIVE, data={"csrf_token": token})
    assert response.status_code == 204 and response.text == ""
    assert _last_seen(db, world.participant.person.id) == clock()
    clock.advance(seconds=(idle - timedelta(minutes=1)).total_seconds())
    assert client.get("/").status_code == 200  # more than the idle time since the page, not since the ping


def test_without_keep_alive_the_session_ends_after_the_idle_time(world, login_as, clock, settings):
    client = login_as(world.participant)
    clock.advance(minutes=settings.session_idle_minutes, seconds=1)
    response = client.get("/")
    assert response.status_code == 302 and response.location == "/connexion"


def test_keep_alive_needs_the_csrf_token(world, login_as):
    response = login_as(world.participant).post(KEEP_ALIVE, data={"rester": "1"})
    assert response.status_code == 400 and "Le formulaire a expiré" in response.text


def test_keep_alive_needs_a_signed_in_session(client, app):
    token = csrf_token(client, "/connexion")
    response = client.post(KEEP_ALIVE, data={"csrf_token": token})
    assert response.status_code == 302 and response.location == "/connexion"


def test_keep_alive_does_not_revive_a_session_already_timed_out(world, login_as, db, clock, settings):
    client = login_as(world.participant)
    token = csrf_token(client, "/")
    clock.advance(minutes=settings.session_idle_minutes, seconds=1)
    response = client.post(KEEP_ALIVE, data={"csrf_token": token})
    assert response.status_code == 302 and response.location == "/connexion"
    assert _last_seen(db, world.participant.person.id) is None  # the session was ended, not refreshed


def test_keep_alive_is_refused_to_a_login_half_done(app, client, clock):
    account = make_account(app, "agent.halfway")
    post(client, "/connexion", {"username": account.username, "password": account.password})
    token = csrf_token(client, "/connexion/code")
    response = client.post(KEEP_ALIVE, data={"csrf_token": token})
    assert response.status_code == 302 and response.location == "/connexion/code"
