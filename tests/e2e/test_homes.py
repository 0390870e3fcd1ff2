"""Each role's home in a browser, on a server of its own whose demo council holds a group where
every line of every home has something to count (seed_homes.py): each count, each link opening
the page where its items are handled, axe on every page the homes lead to."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

pytestmark = pytest.mark.e2e

GROUP = "CCOP Tableau de bord (essai)"
SUBMIT = "main button[type=submit]"
CASE_LINKS = "table.list tbody a[href^='/situations/']"


@pytest.fixture(scope="module")
def server(serve_with, artifacts: Path) -> Iterator[object]:
    """This module's own server: the journeys of the other modules change the shared demo."""
    with serve_with("homes", Path(__file__).with_name("seed_homes.py")) as running:
        yield running


@pytest.fixture(scope="module")
def demo(server):
    return server.accounts


def _section(page: Page, heading: str) -> Locator:
    return page.locator("section.dashboard").filter(has=page.get_by_role("heading", name=heading, exact=True))


def _counted(section: Locator) -> dict[str, tuple[str, str]]:
    """label -> (count, link) of a section's counted lines."""
    items = {}
    for link in section.locator("a:has(strong.count)").all():
        count = link.locator("strong.count").inner_text().strip()
        label = " ".join(link.inner_text().split()).removeprefix(count).strip()
        items[label] = (count, link.get_attribute("href") or "")
    return items


def _open_each(page: Page, items: dict[str, tuple[str, str]], expected: dict[str, tuple[str, str]],
               check_accessibility, name: str) -> None:
    """Each line's count, then its link: the page's heading, and the list holding as many
    situations as counted."""
    assert {label: count for label, (count, _url) in items.items()} == \
        {label: count for label, (count, _heading) in expected.items()}
    for index, (label, (count, heading)) in enumerate(expected.items()):
        response = page.goto(items[label][1])
        assert response is not None and response.status == 200, label
        expect(page.locator("h1")).to_have_text(heading)
        if "/situations" in items[label][1]:
            expect(page.locator(CASE_LINKS)).to_have_count(int(count))
        check_accessibility(page, f"{name}-{index + 1}")


MEMBER = {  # demo.police: the situations they are named on
    "situation dont le réexamen est dépassé": ("1", f"{GROUP} : mes situations"),
    "situation avec une action en cours arrivée à sa fin prévue": ("1", f"{GROUP} : mes situations"),
    "propositions dont la famille reste à informer (R11)": ("2", f"{GROUP} : mes situations"),
}


def test_member_home_counts_their_own_situations_and_links_to_each_list(page, demo, login, check_accessibility):
    login(page, demo["demo.police"])
    expect(page.locator("h1")).to_have_text("Mon tableau de bord")
    check_accessibility(page, "home-member")
    section = _section(page, GROUP)
    expect(section).to_contain_text("Les situations sur lesquelles vous êtes désigné.")
    # (no slash in the pattern: this Playwright would not parse it)
    session = section.get_by_role("link", name=re.compile(r"^le \d\d.\d\d.\d{4} à \d\d:00 \(heure de Paris\)$"))
    when = session.inner_text().removeprefix("le ")
    items = _counted(section)
    session.click()
    expect(page.locator("h1")).to_have_text(f"Séance du {when}")
    check_accessibility(page, "home-member-session")
    _open_each(page, items, MEMBER, check_accessibility, "home-member-list")


COORDINATOR = {  # demo.coordination: every situation of the group, and the members to remind
    "situations dont le réexamen est dépassé": ("2", f"{GROUP} : toutes les situations"),
    "situation avec une action en cours arrivée à sa fin prévue": ("1", f"{GROUP} : toutes les situations"),
    "propositions dont la famille reste à informer (R11)": ("3", f"{GROUP} : toutes les situations"),
    "propositions à examiner": ("3", f"{GROUP} : toutes les situations"),
    "doublon possible à rapprocher": ("1", f"{GROUP} : toutes les situations"),
    "situation avec une dérogation à approuver": ("1", f"{GROUP} : toutes les situations"),
    "situation dont une dérogation est à réexaminer (date passée)": ("1", f"{GROUP} : toutes les situations"),
    "membre n’a pas signé la charte en vigueur": ("1", f"{GROUP} : membres"),
    "désignation se termine dans les 30 jours": ("1", f"{GROUP} : membres"),
}


def test_coordinator_home_counts_the_whole_group_and_links_to_each_list(page, demo, login, check_accessibility):
    login(page, demo["demo.coordination"])
    section = _section(page, GROUP)
    expect(section).to_contain_text("Toutes les situations du groupe (coordination).")
    check_accessibility(page, "home-coordinator")
    _open_each(page, _counted(section), COORDINATOR, check_accessibility, "home-coordinator-page")
    rows = page.locator("table.list tbody tr")  # the members page, last opened
    expect(rows.filter(has_text="Non signée")).to_have_count(1)
    expect(rows.filter(has_text="Non signée")).to_contain_text("Léo Fontaine")  # demo.nouveau
    expect(rows.filter(has_text="dans moins de 30 jours")).to_contain_text("Sophie Lemoine")  # demo.prevention


def test_a_coordinator_list_filters_through_the_form(page, demo, login, check_accessibility):
    login(page, demo["demo.coordination"])
    _section(page, GROUP).get_by_role("link", name=re.compile("propositions à examiner")).click()
    page.select_option("#tri", "reference")
    page.select_option("#origine", "school")
    page.check("#retard")
    page.click(SUBMIT)
    expect(page.locator(CASE_LINKS)).to_have_count(0)  # a proposal has no review yet
    assert re.search(r"[?&]retard=1(&|$)", page.url) and "origine=school" in page.url
    page.uncheck("#retard")
    page.click(SUBMIT)
    expect(page.locator(CASE_LINKS)).to_have_count(3)
    check_accessibility(page, "home-coordinator-filtered")
    page.goto(page.url + "&tri=inconnu")
    expect(page.locator("h1")).to_have_text("Requête invalide")
    expect(page.locator("main")).to_contain_text("Tri ou filtre invalide (« tri »)")
    check_accessibility(page, "home-coordinator-forged")


ADMINISTRATOR = {  # demo.president: the demo council's three groups
    "du déploiement (R20)": ("Mode pilote", "Mode du déploiement"),
    "groupes de travail dans vos conseils": ("3", "Administration de la charte"),
}


def test_administrator_home_shows_groups_coverage_ending_designations_and_mode(page, demo, login,
                                                                              check_accessibility):
    login(page, demo["demo.president"])
    section = _section(page, "Administration de la charte")
    check_accessibility(page, "home-administrator")
    row = section.locator("table.list tbody tr").filter(has_text=GROUP)
    expect(row).to_contain_text("Constitué")
    expect(row.locator("td").nth(2)).to_have_text("3 sur 4 (version 1)")  # demo.nouveau has not signed
    items = _counted(section)
    assert items.pop("désignation se termine dans les 30 jours") == ("1", "#fins-de-designation")
    ending = section.get_by_role("link", name="Sophie Lemoine")  # demo.prevention
    ending_url, group_url = ending.get_attribute("href"), row.get_by_role("link").get_attribute("href")
    _open_each(page, items, ADMINISTRATOR, check_accessibility, "home-administrator-page")
    page.goto(ending_url)
    expect(page.locator("h1")).to_have_text("Sophie Lemoine (Éducatrice spécialisée, Association de prévention)")
    check_accessibility(page, "home-administrator-member")
    page.goto(group_url)
    expect(page.locator("h1")).to_have_text(GROUP)


def test_dpo_home_shows_the_checkpoint_the_exports_and_the_weeks_refusals(page, demo, login, check_accessibility):
    account = demo["demo.dpo"]
    login(page, account, recent=True)  # the confirmation below needs a newer step
    section = _section(page, "Protection des données")
    check_accessibility(page, "home-dpo")
    items = _counted(section)
    checkpoint = [(count, label) for label, (count, _url) in items.items() if "point de contrôle" in label]
    assert len(checkpoint) == 1 and re.fullmatch(r"Il y a (moins d’une minute|\d+ minutes?)", checkpoint[0][0])
    assert items["export du journal"][0] == "1"
    assert items["refus d’accès ces 7 derniers jours"][0] == "3"
    rules = section.locator("table.list").filter(has_text="par règle").locator("tbody tr")
    expect(rules.locator("td")).to_have_text(["2", "R4 : pas désigné pour cette situation",
                                              "1", "R15 : participation suspendue ou exclue"])
    rule_links = [link.get_attribute("href") for link in rules.get_by_role("link").all()]
    urls = [url for _count, url in items.values()]
    for url in [url for url in urls if url.startswith("/droits/")]:  # the persons' requests (R12)
        page.goto(url)
        expect(page.locator("h1")).to_have_text("Demandes d’exercice des droits (R12)")
    first = True
    for url in [url for url in urls if not url.startswith("/droits/")] + rule_links:
        page.goto(url)
        if first:  # the trail asks for a code first (R21)
            expect(page.locator("h1")).to_have_text("Confirmer votre identité")
            page.fill("#code", account.authenticator.fresh_code())
            page.click(SUBMIT)
            page.goto(url)
            first = False
        expect(page.locator("h1")).to_have_text("Journal d’audit")
    check_accessibility(page, "home-dpo-trail")
