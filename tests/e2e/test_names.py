"""People have names (issue 14) in a browser: the account page, and the DPO console that shows
actors by name and function and filters by person, rule and case reference; axe on each page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

SUBMIT = "main button[type=submit]"  # the header holds the logout button
FILTER = "main form.filters button[type=submit]"
POLICE = "Karim Benali (Délégué police-population, Police nationale)"
DPO = "Nadia Girard (Déléguée à la protection des données, Mairie)"


def test_a_member_keeps_their_name_and_address_on_their_account_page(page, demo, login, check_accessibility):
    login(page, demo["demo.prevention"])
    page.get_by_role("link", name="Sophie Lemoine — Mon compte").click()

    expect(page).to_have_url(re.compile(r"/compte$"))
    expect(page.locator("h1")).to_have_text("Mon compte")
    expect(page.locator("#display_name")).to_have_value("Sophie Lemoine")
    expect(page.locator("#function")).to_have_value("Éducatrice spécialisée, Association de prévention")
    check_accessibility(page, "names-1-account")
    page.fill("#email", "sophie.lemoine@prevention")
    page.check("#reminders")
    page.click(SUBMIT)
    expect(page.locator("#email-errors")).to_have_text(
        "Adresse électronique invalide : elle s’écrit nom@domaine.fr, sans espace.")
    expect(page.locator("#email")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#reminders")).to_be_checked()  # the input is kept
    check_accessibility(page, "names-2-account-refused")
    page.fill("#email", "sophie.lemoine@prevention.example")
    page.click(SUBMIT)
    expect(page.locator(".notice-success")).to_have_text("Vos informations ont été enregistrées.")
    expect(page.locator("#email")).to_have_value("sophie.lemoine@prevention.example")
    check_accessibility(page, "names-3-account-saved")
    page.fill("#email", "")  # leave the demo account as seeded
    page.uncheck("#reminders")
    page.click(SUBMIT)
    expect(page.locator(".notice-success")).to_have_text("Vos informations ont été enregistrées.")


def test_the_dpo_reads_actors_by_name_and_filters_by_person_rule_and_reference(browser_page_for, demo, login,
                                                                                  check_accessibility):
    police = browser_page_for("demo.police")
    login(police, demo["demo.police"])
    assert police.goto("/controle/").status == 403  # R17, audited with demo.police as its actor

    page = browser_page_for("demo.dpo")
    account = demo["demo.dpo"]
    login(page, account, recent=True)  # the confirmation below needs a newer step
    page.get_by_role("link", name="Journal d’audit").click()
    page.fill("#code", account.authenticator.fresh_code())
    page.click(SUBMIT)
    expect(page).to_have_url(re.compile(r"/controle/?$"))
    rows = page.locator("table.list tbody tr")
    expect(rows.first).to_contain_text(DPO)  # the newest entry: this very confirmation, by name
    check_accessibility(page, "names-4-dpo-trail")

    page.select_option("#personne", label=POLICE)
    page.select_option("#regle", "R17")
    page.click(FILTER)
    expect(page).to_have_url(re.compile(r"personne=[0-9a-f-]{36}.*regle=R17"))  # ids and codes, no name
    expect(rows.first).to_contain_text(POLICE)
    expect(rows.first).to_contain_text("Refusé — R17 : réservé à une fonction de plateforme ou au président")
    assert all("Karim Benali" in text for text in rows.all_inner_texts())
    check_accessibility(page, "names-5-dpo-filtered")

    page.select_option("#personne", "")
    page.select_option("#regle", "")
    page.fill("#situation", "S-1999-0001")
    page.click(FILTER)
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_text("Aucune entrée pour ces critères.")  # a reference of no case
    page.fill("#situation", "S-2026 0001")
    page.click(FILTER)
    expect(page.locator("#situation-errors")).to_have_text("Une référence de situation s’écrit comme S-2026-0042.")
    check_accessibility(page, "names-6-dpo-forged-reference")
