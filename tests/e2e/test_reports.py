"""The reports in a browser (issue 15): the charter administrator opens each report of their
council, its charts display under the Content-Security-Policy, axe finds nothing serious; the
coordonnateur reaches their own group's reports only."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import ConsoleMessage, Page, Response, expect

pytestmark = pytest.mark.e2e

GROUP = "CCOP Quartier des Tilleuls"


def _watch_console(page: Page) -> list[str]:
    """What went wrong while the pages loaded: a CSP violation or another refusal the console
    reports, an uncaught error, a chart, stylesheet or script answering an error (the
    browser's own request for /favicon.ico aside: the service has none)."""
    seen: list[str] = []

    def keep(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Refused to" in message.text:
            seen.append(message.text)

    def failed(response: Response) -> None:
        if response.status >= 400 and response.request.resource_type != "document" \
                and not response.url.endswith("/favicon.ico"):
            seen.append(f"{response.status} {response.url}")

    page.on("console", keep)
    page.on("pageerror", lambda error: seen.append(str(error)))
    page.on("response", failed)
    return seen


def _charts_display(page: Page) -> int:
    """Every chart of the page loaded as an image (its SVG file drawn by the browser)."""
    images = page.locator("figure.chart img")
    for image in images.all():
        expect(image).to_have_attribute("src", re.compile(r"^/rapports/.+/graphique/[\w-]+\.svg\?"))
        assert (image.get_attribute("alt") or "").startswith("Diagramme en barres")
        image.scroll_into_view_if_needed()
        page.wait_for_function("img => img.complete", arg=image.element_handle())
        assert image.evaluate("img => img.naturalWidth > 0 && img.naturalHeight > 0"), image.get_attribute("src")
    return images.count()


def _report_links(page: Page) -> list[str]:
    return [link.get_attribute("href") or "" for link in page.locator("main a[href^='/rapports/']").all()]


def test_the_administrator_opens_each_report_and_its_charts_display(page, demo, login, check_accessibility):
    errors = _watch_console(page)
    login(page, demo["demo.president"])
    page.get_by_role("banner").get_by_role("link", name="Rapports", exact=True).click()
    expect(page.locator("h1")).to_have_text("Rapports")
    check_accessibility(page, "reports-1-index")
    links = _report_links(page)
    assert any(re.fullmatch(r"/rapports/conseils/[0-9a-f-]{36}/fipd", link) for link in links)
    assert len([link for link in links if "/groupes/" in link]) % 3 == 0 and len(links) >= 4
    charts = 0
    for number, link in enumerate(links, start=2):
        response = page.goto(link)
        assert response is not None and response.status == 200, link
        expect(page.locator("p.notice-error")).to_have_count(0)
        expect(page.locator("aside.legend")).to_contain_text("secret statistique")
        charts += _charts_display(page)
        check_accessibility(page, f"reports-{number}-{link.rsplit('/', 1)[1]}")
    assert charts > 0, "no report drew a chart"
    page.goto(links[-1])
    page.get_by_role("link", name="Version à imprimer").click()
    expect(page.locator("article.print-sheet h1")).to_be_visible()
    _charts_display(page)
    check_accessibility(page, "reports-print")
    with page.expect_download() as download:
        page.goto(links[0])
        page.get_by_role("link", name="Télécharger pour un tableur (CSV)").click()
    assert re.fullmatch(r"bilan-fipd-\d{4}-\d{2}-\d{4}-\d{2}-[0-9a-f]{8}\.csv", download.value.suggested_filename)
    assert errors == []


def test_a_bad_period_is_told_in_french_on_the_page(page, demo, login, check_accessibility):
    login(page, demo["demo.president"])
    page.goto("/rapports/")
    council_report = next(link for link in _report_links(page) if "/conseils/" in link)
    response = page.goto(f"{council_report}?du=2026-05&au=2026-01")
    assert response is not None and response.status == 400
    expect(page.locator("p.notice-error")).to_contain_text("Rien n’a été calculé ni exporté.")
    expect(page.locator("figure.chart")).to_have_count(0)
    check_accessibility(page, "reports-bad-period")


def test_the_coordonnateur_sees_only_their_group_s_reports(browser_page_for, demo, login, check_accessibility):
    president = browser_page_for("president")
    login(president, demo["demo.president"])
    president.goto("/rapports/")
    other_groups = [link for link in _report_links(president) if "/groupes/" in link
                    and GROUP not in president.locator(f"main section:has(a[href='{link}']) h3").inner_text()]
    assert other_groups, "the demo council has another group"

    page = browser_page_for("coordination")
    errors = _watch_console(page)
    login(page, demo["demo.coordination"])
    page.get_by_role("link", name="Rapports du groupe").click()
    expect(page.locator("h1")).to_have_text("Rapports")
    expect(page.locator("main h3")).to_have_text([GROUP])
    links = _report_links(page)
    assert len(links) == 3 and not any("/conseils/" in link for link in links)
    check_accessibility(page, "reports-coordination-index")
    response = page.goto(links[1])
    assert response is not None and response.status == 200
    _charts_display(page)
    check_accessibility(page, "reports-coordination-annual")
    for link in other_groups:
        response = page.goto(link)
        assert response is not None and response.status == 404, link
        expect(page.locator("h1")).to_have_text("Page introuvable")
    response = page.goto(next(link for link in _report_links(president) if "/conseils/" in link))
    assert response is not None and response.status == 403  # the council's report is the administrator's (R17)
    assert errors == []  # the refused pages are documents: not counted
