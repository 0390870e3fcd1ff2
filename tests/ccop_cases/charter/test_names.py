"""People have names (issue 14): « Nom affiché (Fonction) » wherever a login was shown — the
case's participants and history, the participant list, the attendance of a session, the
console — set at designation, edited by the charter administrator, never in the trail."""

from __future__ import annotations

import json

import pytest
from apptest import audit_bodies, make_account, post, setup_work
from sqlalchemy import select

from ccop_cases.accounts.models import Person, staff_label
from ccop_cases.accounts.services import update_profile
from ccop_cases.auditing.models import AuditEntry
from ccop_cases.charter.models import Membership
from ccop_cases.meetings.models import Meeting

# Names without an apostrophe: the pages escape it (&#39;), these are compared as written.
NAMES = {"coordinator": ("Camille Martin", "Coordonnatrice du CLSPD, Mairie"),
         "participant": ("Karim Benali", "Délégué police-population, Police nationale"),
         "outsider": ("Sophie Lemoine", "Éducatrice spécialisée, Association de prévention")}


@pytest.mark.parametrize("username,display_name,function,label", [
    ("demo.police", "Karim Benali", "Délégué police-population", "Karim Benali (Délégué police-population)"),
    ("demo.police", "Karim Benali", "", "Karim Benali"),
    ("demo.police", "", "Délégué police-population", "demo.police (Délégué police-population)"),
    ("demo.police", "", "", "demo.police"),
    ("demo.police", "  Karim Benali ", "  ", "Karim Benali"),
    ("demo.police", None, None, "demo.police"),
])
def test_the_one_label_of_a_person(username, display_name, function, label):
    assert staff_label(username, display_name, function) == label


@pytest.fixture
def named(app, world, db):
    """The world's coordonnateur, participant and outsider with a display name and a function."""
    work = setup_work(app, db)
    for who, (name, function) in NAMES.items():
        update_profile(work, db.get(Person, getattr(world, who).person.id), display_name=name, function=function)
    db.commit()
    return {who: f"{name} ({function})" for who, (name, function) in NAMES.items()}


def test_participants_and_history_show_names_not_logins(world, named, proposed, login_as):
    page = login_as(world.coordinator).get(f"/situations/{proposed.id}").text
    participants = page.split('id="h-participants"')[1].split("</section>")[0]
    history = page.split('id="h-history"')[1].split("</section>")[0]
    assert f"<li>{named['participant']} — Éducation nationale" in participants
    assert f'aria-label="Retirer {named["participant"]} de la situation"' in participants
    assert f"— {named['participant']} — Proposition</li>" in history
    for section in (participants, history):
        assert world.participant.username not in section


def test_the_participant_list_and_the_withdrawal_page_show_names(world, named, proposed, login_as, db):
    coordinator = login_as(world.coordinator)
    choices = coordinator.get(f"/situations/{proposed.id}/participants").text
    assert f">{named['outsider']} — Éducation nationale</option>" in choices
    assert world.outsider.username not in choices
    outsider = db.scalar(select(Membership.id).where(Membership.person_id == world.outsider.person.id))
    added = post(coordinator, f"/situations/{proposed.id}/participants",
                 {"par-membership": str(outsider), "par-reason": "school"})
    assert added.status_code == 302
    page = coordinator.get(f"/situations/{proposed.id}").text
    assert f'aria-label="Retirer {named["outsider"]} de la situation"' in page
    removal = page.split(f'aria-label="Retirer {named["outsider"]}')[0].rsplit('href="', 1)[1].split('"')[0]
    assert f"retirer {named['outsider']}</h1>" in coordinator.get(removal).text


def test_attendance_is_offered_and_shown_by_name(world, named, login_as, db):
    coordinator = login_as(world.coordinator)
    assert post(coordinator, f"/groupes/{world.gov.group.id}/seances", {"when": "2026-03-10T18:00"}).status_code == 302
    url = f"/seances/{db.scalar(select(Meeting.id))}"
    page = coordinator.get(url).text
    offered = page.split('name="pr-members"')[1:]
    assert any(f"> {named['participant']}</label>" in o or f">{named['participant']}</label>" in o for o in offered)
    participant = db.scalar(select(Membership.id).where(Membership.person_id == world.participant.person.id))
    assert post(coordinator, f"{url}/presences", {"pr-members": str(participant)}, token_from=url).status_code == 302
    present = coordinator.get(url).text.split("<h2>Présents</h2>")[1].split("</p>")[0]
    assert named["participant"] in present and world.participant.username not in present


def test_the_console_lists_members_by_name_and_keeps_their_login_beside(login_as, admin, gov, app, db):
    member = make_account(app, "console.nom")
    membership = gov.designate(member, function="Cheffe de service", institution="education_nationale")
    update_profile(setup_work(app, db), db.get(Person, member.person.id), display_name="Claire Dubois")
    db.commit()
    client = login_as(admin)
    group = client.get(f"/administration/groupes/{gov.group.id}").text
    label = "Claire Dubois (Cheffe de service, Éducation nationale)"  # the designation gave the function
    assert f">{label}</a></td>" in group and "<code>console.nom</code>" in group
    assert label in group.split("Pas encore signé")[1].split("</table>")[0]  # coverage: not signed yet
    page = client.get(f"/administration/membres/{membership.id}").text
    assert f"<h1>{label}</h1>" in page and "<code>console.nom</code>" in page


def test_a_designation_names_a_new_account_and_keeps_an_existing_name(login_as, admin, gov, app, db):
    client = login_as(admin)
    page = f"/administration/groupes/{gov.group.id}"
    fields = {"des-institution": "education_nationale", "des-function": "Cheffe de service", "des-role": "member",
              "des-reference": "COURRIER-14", "des-start_date": "2026-02-01"}
    done = post(client, f"{page}/membres", {**fields, "des-username": "nouvelle.cheffe",
                                            "des-display_name": "Inès Moreau"}, token_from=page)
    assert done.status_code == 200
    assert "Inès Moreau (Cheffe de service, Éducation nationale)" in done.text
    person = db.scalar(select(Person).where(Person.username == "nouvelle.cheffe"))
    assert (person.display_name, person.function) == ("Inès Moreau", "Cheffe de service, Éducation nationale")
    existing = make_account(app, "deja.nomme")
    update_profile(setup_work(app, db), db.get(Person, existing.person.id), display_name="Paul Lefort",
                   function="Chef de service, Mairie")
    db.commit()
    again = post(client, f"{page}/membres", {**fields, "des-username": "deja.nomme",
                                             "des-display_name": "Autre Nom"}, token_from=page)
    assert again.status_code == 200
    db.expire_all()
    kept = db.get(Person, existing.person.id)
    assert (kept.display_name, kept.function) == ("Paul Lefort", "Chef de service, Mairie")  # only empty ones filled
    entries = audit_bodies(db, "account.profile_changed")
    assert [e["details"] for e in entries if e["target"]["id"] == str(person.id)] == [
        {"fields": "display_name.function"}]


def test_the_administrator_edits_the_name_and_the_trail_keeps_field_names_only(login_as, admin, gov, app, db):
    member = make_account(app, "edite.admin")
    membership = gov.designate(member)
    client = login_as(admin)
    url = f"/administration/membres/{membership.id}"
    done = post(client, f"{url}/profil", {"pro-display_name": "Lucie Bernard",
                                         "pro-function": "Assistante sociale, Département"}, token_from=url)
    assert done.status_code == 302 and done.location == url
    assert "Nom affiché et fonction enregistrés." in client.get(url).text
    db.expire_all()
    person = db.get(Person, member.person.id)
    assert person.label == "Lucie Bernard (Assistante sociale, Département)"
    too_long = post(client, f"{url}/profil", {"pro-display_name": "x" * 121, "pro-function": ""}, token_from=url)
    assert too_long.status_code == 400 and "120 caractères au plus." in too_long.text
    db.expire_all()
    assert db.get(Person, member.person.id).display_name == "Lucie Bernard"
    [entry] = [e for e in audit_bodies(db, "account.profile_changed") if e["actor"]["id"] == str(admin.person.id)]
    assert entry["target"] == {"type": "person", "id": str(member.person.id)}
    assert entry["details"] == {"fields": "display_name.function"}
    raw = b"".join(db.scalars(select(AuditEntry.body).where(AuditEntry.body.is_not(None))))
    for value in ("Lucie", "Bernard", "Assistante", "Département", "Conseiller principal"):
        assert value.encode() not in raw and json.dumps(value).encode() not in raw, value


def test_every_demo_account_has_its_own_fictional_name_and_function(app, db):
    from ccop_cases.demo import DEMO_USERS, seed_accounts
    with app.app_context():
        seed_accounts(setup_work(app, db))
    people = list(db.scalars(select(Person).where(Person.username.in_(DEMO_USERS))))
    assert sorted(p.username for p in people) == sorted(DEMO_USERS)
    assert all(p.display_name and p.function for p in people)
    assert len({p.display_name for p in people}) == len(DEMO_USERS)
    coordination = next(p for p in people if p.username == "demo.coordination")
    assert coordination.label == "Camille Martin (Coordonnatrice du CLSPD, Mairie)"
