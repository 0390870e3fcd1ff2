"""A session run in the browser by the demo's coordonnateur: scheduled at 18:00 Paris time,
the agenda set and followed in order, a decision recorded from the agenda and back, the
print views of the agenda and minutes; every page checked by axe."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

SUBMIT = "main button[type=submit]"


def test_coordinator_runs_a_session_and_prints_its_agenda_and_minutes(page, demo, login, check_accessibility):
    login(page, demo["demo.coordination"])
    page.get_by_role("link", name="Situations", exact=True).first.click()
    page.locator("nav.subnav").get_by_role("link", name="Séances").click()
    expect(page.locator("h1")).to_contain_text("séances")
    page.fill("#when", "2026-03-30T18:00")  # the day after the change to summer time
    page.get_by_role("button", name="Programmer").click()

    expect(page).to_have_url(re.compile(r"/seances/[0-9a-f-]{36}$"))
    expect(page.locator("h1")).to_have_text("Séance du 30/03/2026 à 18:00 (heure de Paris)")
    session_url = page.url
    boxes = page.locator("input[name=ag-cases]")
    boxes.nth(1).check()
    boxes.nth(0).check()
    page.get_by_role("button", name="Fixer l’ordre du jour").click()
    expect(page.locator(".notice-success")).to_have_text("Enregistré.")
    items = page.locator("ol.agenda .agenda-ref")
    expect(items).to_have_count(2)
    first, second = items.all_inner_texts()
    page.get_by_role("button", name=f"Monter {second}").click()
    expect(items).to_have_text([second, first])
    page.locator("input[name=pr-members]").first.check()
    page.get_by_role("button", name="Enregistrer les présences").click()
    page.fill("#cr-minutes", "Deux situations examinées ; point d’étape sur le partenariat.")
    page.get_by_role("button", name="Enregistrer le compte rendu").click()
    expect(page.locator(".notice-success")).to_have_text("Enregistré.")
    check_accessibility(page, "session-1-page")

    page.get_by_role("link", name=f"Enregistrer une décision pour {first}").click()
    expect(page).to_have_url(re.compile(r"/situations/[0-9a-f-]{36}/decisions\?retour=[0-9a-f-]{36}$"))
    expect(page.get_by_role("link", name="← Retour à la séance")).to_be_visible()
    check_accessibility(page, "session-2-decision-form")
    page.select_option("#dec-decision", "review")
    page.fill("#dec-next_review", (date.today() + timedelta(days=30)).isoformat())
    page.click(SUBMIT)
    expect(page).to_have_url(f"{session_url}#ordre-du-jour")
    expect(page.locator(".notice-success")).to_have_text("Décision enregistrée.")
    expect(page.locator("ol.agenda li").nth(1)).to_contain_text("décision en séance : À revoir")

    for kind, title in (("l’ordre du jour", "Ordre du jour"), ("le compte rendu", "Compte rendu")):
        page.goto(session_url)
        page.get_by_role("link", name=kind).click()
        expect(page).to_have_url(re.compile(r"/impression/"))
        expect(page.locator("h1")).to_have_text(title)
        expect(page.locator("article.print-sheet")).to_contain_text("30/03/2026 à 18:00 (heure de Paris)")
        expect(page.locator("article.print-sheet ol li")).to_have_text([second, first])
        check_accessibility(page, f"session-3-print-{title.split()[0].lower()}")
        page.emulate_media(media="print")
        expect(page.locator("header.banner")).to_be_hidden()  # only the document is printed
        expect(page.locator("article.print-sheet")).to_be_visible()
        page.emulate_media(media="screen")
    expect(page.locator("article.print-sheet")).to_contain_text("point d’étape sur le partenariat")
