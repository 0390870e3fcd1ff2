"""Forms and ways out in the browser: the error summary takes the focus and each of its links
the focus of its field (RGAA 11.10), with or without JavaScript; the refusal pages name whom
to contact; the excluded member's notice; the idle warning and « Rester connecté »; the
case page on a 375 px wide screen. Every page changed is checked by axe."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

SUBMIT = "main button[type=submit]"  # the header holds the logout button
UUID = r"[0-9a-f-]{36}"


def _active_id(page: Page) -> str:
    return page.evaluate("document.activeElement && document.activeElement.id")


def _propose_url(page: Page) -> str:
    """The proposal form of the member's group, reached from the home page."""
    href = page.locator("main").get_by_role("link", name="Proposer", exact=True).get_attribute("href")
    assert href and re.fullmatch(rf"/groupes/{UUID}/situations/nouvelle", href)
    return href


def test_the_empty_proposal_focuses_the_summary_then_each_link_its_field(page, demo, login, check_accessibility):
    login(page, demo["demo.prevention"], recent=True)
    url = _propose_url(page)
    page.goto(url)
    page.click(SUBMIT)

    summary = page.locator("#erreurs")
    expect(summary).to_be_visible()
    expect(page).to_have_title(re.compile(r"^Erreur — Proposer une situation"))
    expect(summary.locator("h2")).to_have_text("Le formulaire contient 3 erreurs")
    page.wait_for_load_state("load")
    assert _active_id(page) == "erreurs", "the focus moves to the summary after a refused submission"
    # The required date says it is required, not a format (nor WTForms' English).
    expect(page.locator("#birth_date-errors")).to_have_text("Ce champ est obligatoire.")
    links = summary.locator("a")
    targets = [href.lstrip("#") for href in (links.nth(i).get_attribute("href") or "" for i in range(links.count()))]
    assert targets == ["last_name", "given_names", "birth_date"]
    check_accessibility(page, "forms-1-propose-empty")
    for i, target in enumerate(targets):
        links.nth(i).click()
        assert _active_id(page) == target, f"the link to #{target} focuses its field"
        expect(page.locator(f"#{target}")).to_have_attribute("aria-invalid", "true")
        # The field's label is in view with it.
        expect(page.locator(f"label[for={target}]")).to_be_in_viewport()

    # A refusal about another field of a section: named with its legend.
    page.fill("#last_name", "Essai-Formulaire")
    page.fill("#given_names", "Jeanne")
    page.fill("#birth_date", "2012-04-03")
    page.fill("#rep1_phone", "06 11")
    page.click(SUBMIT)
    expect(page.locator("#erreurs a")).to_have_text(
        ["Représentant légal 1 — Téléphone : Numéro de téléphone invalide (par exemple 06 12 34 56 78 ou "
         "+33 6 12 34 56 78)."])
    expect(page.locator("#last_name")).to_have_value("Essai-Formulaire")  # nothing lost

    # Without JavaScript (forms.js not served), the summary's links still lead to the fields.
    page.route("**/static/forms.js", lambda route: route.abort())
    page.goto(url)
    page.click(SUBMIT)
    expect(page.locator("#erreurs")).to_be_visible()
    page.locator("#erreurs a").first.click()
    expect(page).to_have_url(re.compile(r"#last_name$"))
    assert page.evaluate("document.querySelector(':target').id") == "last_name"


def test_checkboxes_sit_beside_their_labels(page, demo, login):
    login(page, demo["demo.prevention"])
    page.goto(_propose_url(page))
    for box in ("#confirm_under_12", "#inside_perimeter", "#note_attested", "#exposure_factors-0"):
        label = page.locator(f"label[for={box.lstrip('#')}]")
        box_at, label_at = page.locator(box).bounding_box(), label.bounding_box()
        assert box_at and label_at
        assert label_at["x"] > box_at["x"] + box_at["width"] - 1, f"{box}: the label is to the right of its box"
        assert label_at["y"] < box_at["y"] + box_at["height"], f"{box}: on the same line as its box"


def test_a_member_refused_a_coordonnateur_s_act_is_told_whom_to_contact(page, demo, login, check_accessibility):
    login(page, demo["demo.police"], recent=True)
    page.locator("main").get_by_role("link", name="Situations", exact=True).click()
    followed = page.locator("table.list tbody tr", has_text="Suivie").first
    followed.get_by_role("link").click()
    expect(page).to_have_url(re.compile(rf"/situations/{UUID}$"))
    case_url = page.url

    # The case page on a 375 px wide screen: no horizontal scroll.
    page.set_viewport_size({"width": 375, "height": 800})
    page.reload()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    check_accessibility(page, "forms-2-case-375px")
    page.set_viewport_size({"width": 1280, "height": 900})

    response = page.goto(f"{case_url}/decisions")
    assert response is not None and response.status == 403
    expect(page.locator("h1")).to_have_text("Accès refusé")
    expect(page.locator("main")).to_contain_text("Réservé au coordonnateur du groupe. (règle R4)")
    contact = page.locator("section.contact")
    expect(contact.locator("h2")).to_have_text("Qui contacter")
    # Named (display name, else login) with a function, as the group's coordonnateur.
    expect(contact).to_contain_text(re.compile(r"\S+, \S.* — coordonnateur du groupe « CCOP Quartier des Tilleuls »",
                                               re.S))
    expect(contact).to_contain_text("demandez-lui ce qu’il faut faire")
    check_accessibility(page, "forms-3-refused-403")


def test_the_excluded_member_is_told_after_logging_in_and_sent_to_the_president(page, demo, login,
                                                                               check_accessibility):
    login(page, demo["demo.exclu"], recent=True)
    notice = page.locator("main .notice", has_text="Vous avez été exclu")
    expect(notice).to_contain_text("Vous avez été exclu des travaux du groupe « CCOP Quartier des Tilleuls »")
    expect(notice).to_contain_text("Seule une nouvelle désignation par votre institution permet d’y revenir.")
    expect(notice).to_contain_text(re.compile(r"Pour toute question : \S.* — président du CLSPD de Villefictive", re.S))
    check_accessibility(page, "forms-4-excluded-home")

    group_link = page.locator("main table.list a").first.get_attribute("href")
    assert group_link and re.fullmatch(rf"/groupes/{UUID}", group_link)
    response = page.goto(f"{group_link}/situations")
    assert response is not None and response.status == 403
    expect(page.locator("main")).to_contain_text("(règle R15)")
    expect(page.locator("section.contact")).to_contain_text(re.compile(r"\S+.* — président du CLSPD de Villefictive",
                                                                       re.S))
    check_accessibility(page, "forms-5-excluded-403")


def test_a_warning_before_the_idle_timeout_and_stay_signed_in(page, demo, login, check_accessibility):
    page.clock.install()  # the page's timers, moved by hand; the server keeps real time
    login(page, demo["demo.coordination"], recent=True)
    idle = int(page.locator("body").get_attribute("data-idle-minutes") or "0")
    assert idle > 1
    warning = page.locator("#session-warning")
    expect(warning).to_be_hidden()

    page.wait_for_load_state("load")  # static/session.js has set its timers
    page.clock.run_for(f"{idle - 1:02d}:00")  # a minute before the timeout
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("Sans activité de votre part, votre session se fermera dans une minute.")
    check_accessibility(page, "forms-6-idle-warning")
    with page.expect_response(re.compile(r"/session/rester-connecte$")) as answered:
        warning.get_by_role("button", name="Rester connecté").click()
    assert answered.value.status == 204
    expect(warning).to_be_hidden()

    page.clock.run_for(f"{idle - 2:02d}:00")  # the delay starts again from the click
    expect(warning).to_be_hidden()
    page.clock.run_for("01:00")
    expect(warning).to_be_visible()
    page.clock.run_for("01:00")  # no click: the session is over, the page says so
    expect(warning).to_contain_text("Votre session s’est fermée")
    expect(warning.get_by_role("link", name="Se reconnecter")).to_be_visible()
    expect(warning.get_by_role("button", name="Rester connecté")).to_be_hidden()


def test_the_summary_keeps_the_focus_from_a_field_s_autofocus(page, check_accessibility):
    """The login form autofocuses its first field; after a refused submission the summary has the focus."""
    page.goto("/connexion")
    page.click(SUBMIT)
    expect(page.locator("#erreurs a")).to_have_text(["Identifiant : Ce champ est obligatoire.",
                                                     "Mot de passe : Ce champ est obligatoire."])
    page.wait_for_load_state("load")
    assert _active_id(page) == "erreurs"
    check_accessibility(page, "forms-7-login-empty")
    page.locator("#erreurs a").nth(1).click()
    assert _active_id(page) == "password"
