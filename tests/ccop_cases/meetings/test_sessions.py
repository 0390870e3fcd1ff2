"""Sessions that run (issue 14): times in Paris time across the change of time, the agenda
in order, each item's decision form returning to the session with the decision recorded
with it, and print views that carry references only (R8), for the group's members only."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

import pytest
from apptest import Account, audit_bodies, make_account, make_governance, post, setup_work
from casetest import latest_case, propose
from sqlalchemy import select

from ccop_cases import demo
from ccop_cases.accounts.models import Person
from ccop_cases.cases.models import Case, CaseDecision, is_open
from ccop_cases.charter.models import Membership
from ccop_cases.identities import services as identities
from ccop_cases.meetings import services as meetings
from ccop_cases.meetings.models import AgendaItem, Meeting
from ccop_cases.web.timefmt import REPEATED, SKIPPED, from_paris, paris

# --- France's time ----------------------------------------------------------------------------

# 18:00 in Paris on either side of both changes of time of 2026 (29 March, 25 October).
EIGHTEEN_HUNDRED = [
    ("2026-03-28T18:00", datetime(2026, 3, 28, 17, 0, tzinfo=UTC)),   # winter: UTC+1
    ("2026-03-30T18:00", datetime(2026, 3, 30, 16, 0, tzinfo=UTC)),   # summer: UTC+2
    ("2026-10-24T18:00", datetime(2026, 10, 24, 16, 0, tzinfo=UTC)),  # summer
    ("2026-10-26T18:00", datetime(2026, 10, 26, 17, 0, tzinfo=UTC)),  # winter
]


@pytest.mark.parametrize(("typed", "utc"), EIGHTEEN_HUNDRED)
def test_a_paris_time_is_the_right_utc_moment_and_back(typed, utc):
    assert from_paris(datetime.fromisoformat(typed)) == utc
    assert paris(utc) == f"{typed[8:10]}/{typed[5:7]}/2026 à 18:00 (heure de Paris)"
    assert paris(utc, "time") == "18:00 (heure de Paris)" and paris(utc, "date") == f"{typed[8:10]}/{typed[5:7]}/2026"


@pytest.mark.parametrize(("typed", "message"), [("2026-03-29T02:00", SKIPPED), ("2026-03-29T02:59", SKIPPED),
                                                ("2026-10-25T02:00", REPEATED), ("2026-10-25T02:30", REPEATED)])
def test_a_time_the_change_skips_or_repeats_is_refused_not_guessed(typed, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        from_paris(datetime.fromisoformat(typed))


def test_the_edges_of_the_change_are_ordinary_times():
    assert from_paris(datetime(2026, 3, 29, 3, 0)) == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    assert from_paris(datetime(2026, 3, 29, 1, 59)) == datetime(2026, 3, 29, 0, 59, tzinfo=UTC)
    assert from_paris(datetime(2026, 10, 25, 3, 0)) == datetime(2026, 10, 25, 2, 0, tzinfo=UTC)
    assert from_paris(datetime(2026, 10, 25, 1, 59)) == datetime(2026, 10, 24, 23, 59, tzinfo=UTC)


def test_an_audit_timestamp_is_shown_in_paris_time():
    assert paris("2026-07-14T08:30:05.123456Z", "seconds") == "14/07/2026 10:30:05"
    with pytest.raises(ValueError):
        paris(datetime(2026, 7, 14, 8, 30))  # a naive moment is never guessed


@pytest.mark.parametrize(("typed", "utc"), EIGHTEEN_HUNDRED)
def test_a_session_entered_at_18h_is_stored_in_utc_and_read_back_at_18h(world, login_as, db, typed, utc):
    coordinator = login_as(world.coordinator)
    listing = f"/groupes/{world.gov.group.id}/seances"
    assert "Date et heure (heure de Paris)" in coordinator.get(listing).text
    response = post(coordinator, listing, {"when": typed})
    assert response.status_code == 302, response.text
    meeting = db.scalar(select(Meeting))
    assert meeting.scheduled_for == utc and meeting.scheduled_for.utcoffset().total_seconds() == 0
    shown = f"{typed[8:10]}/{typed[5:7]}/2026 à 18:00 (heure de Paris)"
    assert f"Séance du {shown}" in coordinator.get(response.location).text
    assert f"Séance du {shown}" in coordinator.get(listing).text


@pytest.mark.parametrize(("typed", "message"), [("2026-03-29T02:30", SKIPPED), ("2026-10-25T02:30", REPEATED)])
def test_a_session_at_a_time_the_change_skips_or_repeats_gets_a_french_error(world, login_as, db, typed, message):
    coordinator = login_as(world.coordinator)
    response = post(coordinator, f"/groupes/{world.gov.group.id}/seances", {"when": typed})
    assert response.status_code == 400
    assert message in response.text and f'value="{typed}"' in response.text
    assert db.scalar(select(Meeting)) is None


# --- the agenda in order, each decision returning to the session --------------------------------

@pytest.fixture
def session_with_cases(world, login_as, db, clock):
    """The coordonnateur's client, a session of the group and three proposed cases."""
    member = login_as(world.participant)
    cases = []
    for last in ("Alpha-Essai", "Bravo-Essai", "Charlie-Essai"):
        clock.advance(minutes=1)
        assert propose(member, world.gov, last_name=last).status_code == 302
        cases.append(latest_case(db))
    assert len({c.id for c in cases}) == 3
    coordinator = login_as(world.coordinator)
    assert post(coordinator, f"/groupes/{world.gov.group.id}/seances", {"when": "2026-03-10T18:00"}).status_code == 302
    return coordinator, db.scalar(select(Meeting)), cases


def _agenda(client, meeting):
    page = client.get(f"/seances/{meeting.id}").text
    listed = page.split('<ol class="agenda">')[1].split("</ol>")[0]
    return re.findall(r'<span class="agenda-ref">([^<]+)</span>', listed)


def test_the_session_page_lists_the_agenda_in_order_and_the_coordinator_reorders_it(session_with_cases, db):
    client, meeting, (a, b, c) = session_with_cases
    url = f"/seances/{meeting.id}"
    # Put on the agenda in the order given; later ones follow the items already there.
    assert post(client, f"{url}/ordre-du-jour", {"ag-cases": [str(b.id), str(a.id)]}).status_code == 302
    assert _agenda(client, meeting) == [b.reference, a.reference]
    assert post(client, f"{url}/ordre-du-jour", {"ag-cases": [str(a.id), str(b.id), str(c.id)]}).status_code == 302
    assert _agenda(client, meeting) == [b.reference, a.reference, c.reference]
    assert post(client, f"{url}/monter", {"od-case": str(c.id)}, token_from=url).status_code == 302
    assert _agenda(client, meeting) == [b.reference, c.reference, a.reference]
    assert post(client, f"{url}/descendre", {"od-case": str(b.id)}, token_from=url).status_code == 302
    assert _agenda(client, meeting) == [c.reference, b.reference, a.reference]
    assert post(client, f"{url}/monter", {"od-case": str(c.id)}, token_from=url).status_code == 302  # first: stays
    assert _agenda(client, meeting) == [c.reference, b.reference, a.reference]
    assert post(client, f"{url}/ordre-du-jour", {"ag-cases": [str(a.id), str(c.id)]}).status_code == 302
    assert _agenda(client, meeting) == [c.reference, a.reference]
    positions = db.execute(select(AgendaItem.case_id, AgendaItem.position).where(AgendaItem.meeting_id == meeting.id)
                           .order_by(AgendaItem.position)).all()
    assert positions == [(c.id, 1), (a.id, 2)]
    # The agenda form shows what is on the agenda, checked.
    page = client.get(url).text
    assert re.search(rf'checked[^>]*value="{a.id}"|value="{a.id}"[^>]*checked', page)
    assert not re.search(rf'checked[^>]*value="{b.id}"|value="{b.id}"[^>]*checked', page)


@pytest.mark.parametrize("forged", ["pas-un-uuid", str(uuid.uuid4())])
def test_moving_a_forged_or_absent_item_is_refused(session_with_cases, forged):
    client, meeting, (a, _b, _c) = session_with_cases
    url = f"/seances/{meeting.id}"
    post(client, f"{url}/ordre-du-jour", {"ag-cases": [str(a.id)]})
    response = post(client, f"{url}/descendre", {"od-case": forged}, token_from=url)
    assert response.status_code == 400
    assert "Situation inconnue." in response.text or "n’est pas inscrite" in response.text


def test_a_member_sees_the_agenda_but_neither_moves_it_nor_opens_decisions(world, login_as, session_with_cases):
    client, meeting, (a, b, _c) = session_with_cases
    url = f"/seances/{meeting.id}"
    post(client, f"{url}/ordre-du-jour", {"ag-cases": [str(a.id), str(b.id)]})
    member = login_as(world.participant)
    page = member.get(url).text
    assert a.reference in page and "retour=" not in page and "/monter" not in page
    assert post(member, f"{url}/descendre", {"od-case": str(a.id)}, token_from=url).status_code == 403
    assert _agenda(client, meeting) == [a.reference, b.reference]


def test_a_decision_opened_from_the_agenda_returns_to_the_session_recorded_with_it(session_with_cases, db):
    client, meeting, (a, b, _c) = session_with_cases
    url = f"/seances/{meeting.id}"
    post(client, f"{url}/ordre-du-jour", {"ag-cases": [str(a.id), str(b.id)]})
    links = re.findall(r'href="(/situations/[^"]+/decisions\?retour=[^"]+)"', client.get(url).text)
    assert links == [f"/situations/{case.id}/decisions?retour={meeting.id}" for case in (a, b)]
    form = client.get(links[1])
    assert form.status_code == 200 and f'href="{url}#ordre-du-jour"' in form.text  # a way back to the session
    refused = post(client, links[1], {"dec-decision": "review", "dec-next_review": "2026-01-01"})
    assert refused.status_code == 400 and "La date de réexamen est passée." in refused.text  # stays on the form
    done = post(client, links[1], {"dec-decision": "review", "dec-next_review": "2026-04-01"})
    assert done.status_code == 302 and done.location == f"{url}#ordre-du-jour"
    decision = db.scalar(select(CaseDecision).where(CaseDecision.case_id == b.id))
    assert decision.meeting_id == meeting.id and decision.decision == "review"
    page = client.get(url).text
    assert "Décision enregistrée." in page and "décision en séance : À revoir" in page
    assert db.scalar(select(CaseDecision).where(CaseDecision.case_id == a.id)) is None


def _other_groups_meeting(app, db):
    from ccop_cases.meetings import services as meeting_services
    other = make_governance(app, admin=make_account(app, "autre.president"))
    member = other.designate(make_account(app, "autre.coord"), role="coordonnateur")
    meeting = meeting_services.schedule(setup_work(app, other.session), other.group, member,
                                        datetime(2026, 3, 12, 17, tzinfo=UTC))
    other.session.commit()
    return meeting.id


@pytest.mark.parametrize("retour", ["https://ailleurs.example/seances", "//ailleurs.example", "javascript:alert(1)",
                                    "pas-un-uuid", "random", "not_on_agenda", "other_group", ""])
def test_an_invalid_return_target_is_ignored(app, world, session_with_cases, db, retour):
    client, meeting, (a, b, _c) = session_with_cases
    url = f"/seances/{meeting.id}"
    post(client, f"{url}/ordre-du-jour", {"ag-cases": [str(b.id)]})  # a is on no agenda
    target = {"random": str(uuid.uuid4()), "not_on_agenda": str(meeting.id),
              "other_group": str(_other_groups_meeting(app, db)) if retour == "other_group" else ""}.get(retour, retour)
    form_url = f"/situations/{a.id}/decisions?retour={target}"
    page = client.get(form_url).text
    assert "Retour à la séance" not in page
    done = post(client, form_url, {"dec-decision": "review", "dec-next_review": "2026-04-01"},
                token_from=f"/situations/{a.id}/decisions")
    assert done.status_code == 302 and done.location == f"/situations/{a.id}"
    assert db.scalar(select(CaseDecision.meeting_id).where(CaseDecision.case_id == a.id)) is None


# --- print views: references only (R8), for the group's members only ---------------------------

@pytest.fixture
def demo_group(app, db, login_as):
    """The demo's group and its twelve situations, a session with every open one on the
    agenda, the signed members present and minutes written; the coordonnateur's client."""
    rt = app.extensions["ccop"]
    with app.app_context():
        session = rt.database.session()
        work = setup_work(app, session)
        accounts = {name: (password, secret) for name, password, secret in demo.seed_accounts(work)}
        demo.seed_governance(work)
        demo.seed_cases(work)
        police = session.scalar(select(Person).where(Person.username == "demo.police"))
        police.display_name, police.function = "Capitaine Test", "Déléguée police-population"
        coordinator = session.scalar(select(Person).where(Person.username == "demo.coordination"))
        coordinator.display_name, coordinator.function = "", ""  # shown by login while unnamed
        session.commit()
        session.close()
    person = db.scalar(select(Person).where(Person.username == "demo.coordination"))
    password, secret = accounts["demo.coordination"]
    client = login_as(Account(person, "demo.coordination", password, secret, []))
    group_id = db.scalar(select(Membership.group_id).where(Membership.person_id == person.id))
    assert post(client, f"/groupes/{group_id}/seances", {"when": "2026-03-30T18:00"}).status_code == 302
    meeting = db.scalar(select(Meeting))
    url = f"/seances/{meeting.id}"
    cases = db.scalars(select(Case).where(Case.group_id == group_id).order_by(Case.reference)).all()
    open_cases = [c for c in cases if is_open(c.state)]
    assert len(cases) == len(demo.DEMO_CASES) and open_cases
    assert post(client, f"{url}/ordre-du-jour", {"ag-cases": [str(c.id) for c in open_cases]}).status_code == 302
    members = re.findall(r'name="pr-members" type="checkbox" value="([^"]+)"', client.get(url).text)
    assert members and post(client, f"{url}/presences", {"pr-members": members}).status_code == 302
    minutes = f"{len(open_cases)} situations examinées ; point d’étape sur le partenariat avec le collège."
    assert post(client, f"{url}/compte-rendu", {"cr-minutes": minutes}).status_code == 302
    return client, meeting, cases, open_cases


def _identifying(db, keys, case):
    """Each name part, given name and birth date (usual written forms) of the case's people."""
    found = set()
    for _row, person in identities.read_unit(db, keys, case.id):
        found |= {person.last_name, *person.last_name.replace("-", " ").split(), *person.given_names.split()}
        if person.birth_date:
            d = person.birth_date
            found |= {d.strftime("%d/%m/%Y"), d.isoformat(), d.strftime("%d/%m/%y"), f"{d.day}/{d.month}/{d.year}"}
    return {word for word in found if word}


def test_the_print_views_carry_references_and_no_name_of_any_seeded_person(app, db, demo_group):
    client, meeting, cases, open_cases = demo_group
    keys = app.extensions["ccop"].keys
    words = set().union(*(_identifying(db, keys, case) for case in cases))
    assert len(words) > 3 * len(cases)  # the check has something to look for
    for kind in ("ordre-du-jour", "compte-rendu"):
        response = client.get(f"/seances/{meeting.id}/impression/{kind}")
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        for case in open_cases:
            assert case.reference in html
        assert "30/03/2026 à 18:00 (heure de Paris)" in html
        leaked = sorted(w for w in words if re.search(rf"(?<!\w){re.escape(w)}(?!\w)", html, re.IGNORECASE))
        assert leaked == [], (kind, leaked)
    minutes = client.get(f"/seances/{meeting.id}/impression/compte-rendu").text
    assert "point d’étape sur le partenariat" in minutes
    # Attendance by display name and function, the login while a person has no display name.
    assert "Capitaine Test (Déléguée police-population)" in minutes and "demo.coordination" in minutes
    assert "demo.police" not in minutes


def test_minutes_that_would_now_name_a_followed_person_are_not_printed(world, login_as, db, session_with_cases):
    client, meeting, _cases = session_with_cases
    url = f"/seances/{meeting.id}"
    assert post(client, f"{url}/compte-rendu", {"cr-minutes": "Point sur le club Zorglub."}).status_code == 302
    assert propose(login_as(world.participant), world.gov, last_name="Zorglub").status_code == 302  # since then
    printed = client.get(f"{url}/impression/compte-rendu").text
    assert "R14" in printed and "Zorglub" not in printed


def test_the_print_views_are_for_the_groups_members_only(app, world, login_as, db, session_with_cases, clock):
    client, meeting, _cases = session_with_cases
    url = f"/seances/{meeting.id}/impression/ordre-du-jour"
    assert client.get(url).status_code == 200
    assert login_as(world.outsider).get(url).status_code == 200  # a member of the group
    stranger = make_account(app, "hors.groupe")
    elsewhere = make_governance(app, admin=make_account(app, "autre.president"))
    elsewhere.sign_all(elsewhere.designate(stranger))
    denials = len(audit_bodies(db, "access.denied"))
    assert login_as(stranger).get(url).status_code == 404
    denied = audit_bodies(db, "access.denied")
    assert len(denied) == denials + 1  # audited as every session page: the group probed, under R4
    assert denied[-1]["target"] == {"type": "working_group", "id": str(meeting.group_id)}
    assert denied[-1]["rule"] == "R4" and denied[-1]["actor"]["id"] == str(stranger.person.id)
    assert login_as(world.excluded).get(url).status_code == 403  # as the session page (R15)
    assert client.get(f"/seances/{meeting.id}/impression/autre").status_code == 404
    assert client.get(f"/seances/{uuid.uuid4()}/impression/ordre-du-jour").status_code == 404


# --- migration 0010: the agenda already set keeps the order it was shown in -------------------

def test_upgrade_numbers_the_existing_agendas_by_reference(settings, tmp_path, new_app):
    from dataclasses import replace

    from alembic import command
    from apptest import database_url, drop_schema
    from sqlalchemy import create_engine, text

    from ccop_cases.migrate import alembic_config, upgrade

    url, schema = database_url(tmp_path)
    try:
        upgrade(url)
        app = new_app(replace(settings, database_url=url, migration_database_url=url))
        rt = app.extensions["ccop"]
        with app.app_context():
            session = rt.database.session()
            work = setup_work(app, session)
            demo.seed_accounts(work)
            demo.seed_governance(work)
            demo.seed_cases(work)
            coordinator = session.scalar(select(Membership).join(Person, Person.id == Membership.person_id)
                                         .where(Person.username == "demo.coordination"))
            group = coordinator.group_id
            from ccop_cases.charter.models import WorkingGroup
            meeting = meetings.schedule(work, session.get_one(WorkingGroup, group), coordinator, rt.clock())
            open_cases = session.scalars(select(Case).where(Case.group_id == group)).all()
            open_cases = [c for c in open_cases if is_open(c.state)]
            meetings.set_agenda(work, meeting, [c.id for c in reversed(open_cases)])
            session.commit()
            session.close()
        rt.database.dispose()
        command.downgrade(alembic_config(url), "0009")
        upgrade(url)
        engine = create_engine(url)
        with engine.connect() as conn:
            rows = conn.execute(text('SELECT c.reference, a.position FROM agenda_item a JOIN "case" c '
                                     "ON c.id = a.case_id ORDER BY a.position")).all()
        engine.dispose()
        assert [p for _r, p in rows] == list(range(1, len(open_cases) + 1))
        assert [r for r, _p in rows] == sorted(c.reference for c in open_cases)
    finally:
        if schema:
            drop_schema(schema)
