"""Mon tableau de bord, per role, on the seeded group of todotest: each count, and each link
opening the page where its items are handled, holding exactly what it counted."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape
from urllib.parse import parse_qsl, urlsplit

import pytest
from apptest import audit_bodies, current_code, make_account, post, setup_work
from todotest import seeded_group

from ccop_cases.accounts.models import Person
from ccop_cases.auditing import PLATFORM
from ccop_cases.charter.models import Membership
from ccop_cases.meetings import services as meetings
from ccop_cases.oversight import services as oversight

COUNT = re.compile(r'<a href="([^"]+)"><strong class="count[^"]*">([^<]+)</strong>\s*([^<]*?)\s*</a>')
REF = re.compile(r'<a href="/situations/[0-9a-f-]{36}">(S-\d{4}-\d{4})</a>')


def _items(html: str) -> dict[str, tuple[str, str]]:
    """label -> (count, link) of the home's counted lines."""
    return {" ".join(label.split()): (count.strip(), unescape(url)) for url, count, label in COUNT.findall(html)}


def _query(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))


def _h1(html: str) -> str:
    return unescape(re.search(r"<h1>(.*?)</h1>", html, re.S).group(1)).strip()


@pytest.fixture
def seeded(app):
    return seeded_group(app)


COORDINATOR_LISTS = {  # label -> (count, the list's filters)
    "situations dont le réexamen est dépassé": ("2", {"retard": "1", "tri": "reexamen"}),
    "situation avec une action en cours arrivée à sa fin prévue": ("1", {"a_traiter": "action"}),
    "propositions dont la famille reste à informer (R11)": ("3", {"a_traiter": "information"}),
    "propositions à examiner": ("3", {"etat": "proposed"}),
    "doublon possible à rapprocher": ("1", {"a_traiter": "doublon"}),
    "situation avec une dérogation à approuver": ("1", {"a_traiter": "derogation"}),
    "situation dont une dérogation est à réexaminer (date passée)": ("1", {"a_traiter": "derogation_echue"}),
}
MEMBER_LISTS = {  # the member's own situations only (R4)
    "situation dont le réexamen est dépassé": ("1", {"retard": "1", "tri": "reexamen"}),
    "situation avec une action en cours arrivée à sa fin prévue": ("1", {"a_traiter": "action"}),
    "propositions dont la famille reste à informer (R11)": ("2", {"a_traiter": "information"}),
}


@pytest.mark.parametrize(("who", "expected", "heading"), [
    ("coordinator", COORDINATOR_LISTS, "toutes les situations"), ("member", MEMBER_LISTS, "mes situations")])
def test_each_count_opens_the_list_that_holds_exactly_its_situations(app, db, login_as, seeded, who, expected,
                                                                     heading):
    client = login_as(seeded.accounts[who])
    before = len(audit_bodies(db))
    home = client.get("/")
    assert home.status_code == 200 and _h1(home.text) == "Mon tableau de bord"
    assert [e["action"] for e in audit_bodies(db)[before:]] == []  # counts only: not a read of any case
    items = _items(home.text)
    lists = {label: item for label, item in items.items() if "/situations" in item[1]}
    assert {label: (count, _query(url)) for label, (count, url) in lists.items()} == expected
    for count, url in lists.values():
        assert urlsplit(url).path == f"/groupes/{seeded.group_id}/situations"
        page = client.get(url)
        assert page.status_code == 200 and _h1(page.text) == f"CCOP Quartier des Tilleuls : {heading}"
        assert len(REF.findall(page.text)) == int(count)


def test_the_coordonnateur_counts_the_members_to_remind_and_opens_their_page(login_as, seeded):
    client = login_as(seeded.accounts["coordinator"])
    items = _items(client.get("/").text)
    members = f"/groupes/{seeded.group_id}/membres"
    assert items["membre n’a pas signé la charte en vigueur"] == ("1", members)
    assert items["désignation se termine dans les 30 jours"] == ("1", members)
    page = client.get(members)
    assert page.status_code == 200 and _h1(page.text) == "CCOP Quartier des Tilleuls : membres"
    rows = {re.search(r"<td>(liste\.\w+) \(", row).group(1): row
            for row in re.findall(r"<tr>(.*?)</tr>", page.text, re.S) if "liste." in row}
    assert sorted(rows) == ["liste.coordinator", "liste.ending", "liste.member", "liste.other", "liste.unsigned"]
    assert [name for name, row in rows.items() if "Non signée" in row] == ["liste.unsigned"]
    assert [name for name, row in rows.items() if "dans moins de 30 jours" in row] == ["liste.ending"]


def test_a_member_has_no_coordination_line_nor_the_members_page(login_as, seeded):
    client = login_as(seeded.accounts["member"])
    home = client.get("/").text
    assert "membres" not in " ".join(_items(home)) and "doublon" not in home and "dérogation" not in home
    assert client.get(f"/groupes/{seeded.group_id}/membres").status_code == 403


def test_the_next_session_of_the_group_is_a_link_to_it(app, login_as, seeded, clock):
    work, now, coordinator = setup_work(app, seeded.gov.session), clock(), _membership(seeded, "coordinator")
    meetings.schedule(work, seeded.gov.group, coordinator, now - timedelta(days=3))
    upcoming = meetings.schedule(work, seeded.gov.group, coordinator,
                                 (now + timedelta(days=3)).replace(hour=10, minute=0))
    meetings.schedule(work, seeded.gov.group, coordinator, now + timedelta(days=10))
    seeded.gov.session.commit()
    client = login_as(seeded.accounts["member"])
    home = client.get("/").text
    link = re.search(r'Prochaine séance :\s*<a href="([^"]+)">le ([^<]+)</a>', home)
    assert link.groups() == (f"/seances/{upcoming.id}", "05/03/2026 à 11:00 (heure de Paris)")  # 10:00 UTC
    page = client.get(link.group(1))
    assert page.status_code == 200 and _h1(page.text) == "Séance du 05/03/2026 à 11:00 (heure de Paris)"


def _membership(seeded, name):
    return seeded.gov.session.get(Membership, seeded.memberships[name])


def test_without_a_session_ahead_the_home_says_so(login_as, seeded):
    home = login_as(seeded.accounts["member"]).get("/").text
    assert "aucune séance programmée" in home and f'href="/groupes/{seeded.group_id}/seances"' in home


def test_unsigned_texts_still_come_before_the_home(login_as, seeded):
    response = login_as(seeded.accounts["unsigned"]).get("/")
    assert response.status_code == 302 and response.location == f"/groupes/{seeded.group_id}/signature"


def test_the_charter_administrator_sees_their_groups_coverage_ending_designations_and_mode(app, login_as, admin):
    seeded = seeded_group(app, admin=admin)
    client = login_as(admin)
    home = client.get("/").text
    items = _items(home)
    assert items["du déploiement (R20)"] == ("Mode pilote", "/administration/deploiement")
    assert items["groupe de travail dans vos conseils"] == ("1", "/administration/")
    assert items["désignation se termine dans les 30 jours"] == ("1", "#fins-de-designation")
    row = re.search(rf'<tr>\s*<td><a href="/administration/groupes/{seeded.group_id}">.*?</tr>', home, re.S).group(0)
    assert "Constitué" in row and row.count("4 sur 5 (version 1)") == 2  # charter and rules: the unsigned member
    ending = re.search(r'<a href="(/administration/membres/[0-9a-f-]{36})">liste\.ending \(', home).group(1)
    assert ending == f"/administration/membres/{seeded.memberships['ending']}"
    label = "liste.ending (Conseiller principal d'éducation, Éducation nationale)"
    for url, heading in ((ending, label), ("/administration/deploiement", "Mode du déploiement"),
                         ("/administration/", "Administration de la charte"),
                         (f"/administration/groupes/{seeded.group_id}", "CCOP Quartier des Tilleuls")):
        page = client.get(url)
        assert page.status_code == 200 and _h1(page.text) == heading, url
    elsewhere_group = seeded.gov.session.get(Membership, seeded.elsewhere).group_id
    assert str(elsewhere_group) not in home  # another council's group is not theirs (R22)


def test_the_dpo_sees_the_last_checkpoint_the_exports_and_the_weeks_refusals_by_rule(app, db, login_as, seeded,
                                                                                     clock, tmp_path):
    dpo = make_account(app, "liste.dpo")
    db.get(Person, dpo.person.id).is_dpo = True
    db.commit()
    home = login_as(dpo).get("/").text
    assert _items(home)["point de contrôle signé"] == ("Aucun", "/controle/?action=audit.heartbeat")
    # A refusal 8 days ago, then two this week (R4: a situation the member is not named on; R3: unsigned).
    assert login_as(seeded.accounts["member"]).get(f"/situations/{seeded.cases['expired'].id}").status_code == 404
    clock.advance(days=8)
    assert login_as(seeded.accounts["member"]).get(f"/situations/{seeded.cases['expired'].id}").status_code == 404
    assert login_as(seeded.accounts["unsigned"]).get(f"/groupes/{seeded.group_id}/situations").status_code == 403
    work = setup_work(app, db)
    oversight.checkpoint(work)
    oversight.export(work, tmp_path / "bundle", PLATFORM, start=None, end=None)
    db.commit()
    clock.advance(hours=2)
    client = login_as(dpo)
    home = client.get("/").text
    items = _items(home)
    since = (clock() - timedelta(days=7)).date().isoformat()  # 11:00 in Paris: the same day
    assert items["refus d’accès ces 7 derniers jours"] == ("2", f"/controle/?action=access.denied&du={since}")
    assert items["export du journal"] == ("1", "/controle/?action=audit.exported")
    checkpoint = [(count, url) for label, (count, url) in items.items() if label.startswith(": dernier point")]
    assert checkpoint == [("Il y a 2 heures", "/controle/?action=audit.heartbeat")]
    assert "en retard" in home  # older than the heartbeat interval (60 minutes)
    by_rule = re.findall(r'<tr><td>(\d+)</td><td><a href="([^"]+)">(R\d+) : ', home)
    assert [(count, rule, unescape(url)) for count, url, rule in by_rule] == [
        ("1", "R3", f"/controle/?action=access.denied&regle=R3&du={since}"),
        ("1", "R4", f"/controle/?action=access.denied&regle=R4&du={since}")]
    assert post(client, "/compte/confirmer?suite=oversight.trail",
                {"code": current_code(dpo, clock)}).location == "/controle/"
    for url in [url for _count, url in items.values()] + [unescape(url) for _count, url, _rule in by_rule]:
        page = client.get(url)
        heading = "Demandes d’exercice des droits (R12)" if url.startswith("/droits/") else "Journal d’audit"
        assert page.status_code == 200 and _h1(page.text) == heading, url
    denied = client.get(f"/controle/?action=access.denied&regle=R4&du={since}").text
    assert denied.count("<tr>") - 1 == 1  # the trail holds the one R4 refusal of the week the home counted
