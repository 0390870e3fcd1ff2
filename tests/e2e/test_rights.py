"""The persons' requests in a browser (issue 16): the DPO registers an access request, checks
who asks, finds the situation, downloads the person's record after a fresh code, answers; the
home marks the request overdue (its receipt typed 33 days back: the service's clock is real,
the request's dates are what the test controls); axe finds nothing serious on each page."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from ccop_cases.demo import DEMO_CASES, _demo_birth

pytestmark = pytest.mark.e2e

SUBMIT = "main button[type=submit]"


def test_the_dpo_answers_an_access_request_with_the_persons_record(page, demo, login, check_accessibility):
    dpo = demo["demo.dpo"]
    login(page, dpo)
    page.get_by_role("banner").get_by_role("link", name="Demandes des personnes").click()
    expect(page.locator("h1")).to_have_text("Demandes d’exercice des droits (R12)")
    check_accessibility(page, "rights-1-register")
    page.get_by_role("link", name="Enregistrer une demande").first.click()
    check_accessibility(page, "rights-2-new")
    page.click(SUBMIT)  # empty: French errors, nothing recorded
    expect(page.locator(".error-summary")).to_contain_text("Ce champ est obligatoire")
    received = (datetime.now(UTC) - timedelta(days=33)).date()
    page.select_option("#kind", "access")
    page.fill("#received_on", received.isoformat())
    page.select_option("#channel", "letter")
    page.select_option("#requester", "young")
    last, given, age, stage, _sex = DEMO_CASES[6]
    page.fill("#last_name", last)
    page.fill("#given_names", given)
    page.click(SUBMIT)
    expect(page.locator("h1")).to_contain_text("Accès (art. 15)")
    reference = re.search(r"DR-\d{4}-\d{4}", page.locator("h1").inner_text()).group(0)
    expect(page.locator("main")).to_contain_text("en retard")
    check_accessibility(page, "rights-3-request")
    # The home marks it overdue, with a link back to it.
    page.get_by_role("link", name="Tableau de bord").click()
    overdue = page.locator("li", has_text="en retard").filter(has_text="demande")
    expect(overdue.get_by_role("link", name=reference)).to_be_visible()
    check_accessibility(page, "rights-4-home")
    overdue.get_by_role("link", name=reference).click()
    page.fill("#idc-checked_on", received.isoformat())
    page.select_option("#idc-identity_check", "id_document")
    page.get_by_role("button", name="Enregistrer la vérification").click()
    expect(page.locator("main")).to_contain_text("Identité vérifiée")
    page.fill("#srch-last_name", "Personne")
    page.fill("#srch-given_names", "Inconnue")
    page.fill("#srch-birth_date", "2005-01-01")
    page.get_by_role("button", name="Rechercher").click()
    expect(page.locator(".error-summary")).to_contain_text("Aucune situation des groupes du conseil")
    page.fill("#srch-last_name", last)
    page.fill("#srch-given_names", given)
    page.fill("#srch-birth_date", _demo_birth(datetime.now(UTC), age, stage).isoformat())
    page.get_by_role("button", name="Rechercher").click()
    page.get_by_role("button", name=re.compile(r"^Lier S-")).first.click()
    expect(page.locator("main")).to_contain_text("liée à la demande")
    check_accessibility(page, "rights-5-linked")
    page.get_by_role("button", name="Télécharger le dossier").click()  # a fresh code first
    expect(page).to_have_url(re.compile(r"/compte/confirmer"))
    page.fill("#code", dpo.authenticator.fresh_code())
    page.click(SUBMIT)
    expect(page.locator("h1")).to_contain_text(reference)
    with page.expect_download() as download:
        page.get_by_role("button", name="Télécharger le dossier").click()
    assert download.value.suggested_filename == f"dossier-{reference}.html"
    content = Path(download.value.path()).read_text("utf-8")
    assert last in content and given in content
    page.reload()
    expect(page.locator("main")).to_contain_text("Téléchargé le")
    page.select_option("#ans-answer", "record_sent")
    page.get_by_role("button", name="Enregistrer la réponse").click()
    expect(page.locator("main")).to_contain_text("Répondue : Dossier communiqué à la personne")
    check_accessibility(page, "rights-6-answered")
