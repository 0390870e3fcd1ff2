"""The reports' pages, charts, print views and downloads: who reaches them (role × route ×
status), bad input (a French 400 or 404, nothing computed, nothing exported), the audit of
every download, and nothing personal in any report file."""

from __future__ import annotations

import re
import uuid
import zipfile
from datetime import date
from io import BytesIO

import pytest
from apptest import audit_bodies
from rendertest import (
    BY_ACTION,
    BY_PURPOSE,
    EMPTY,
    MEASURES,
    OUTCOMES,
    chart_sources,
    page_tables,
    report_world,
    stand_in_builders,
)

from ccop_cases.reports import render, suppression
from ccop_cases.reports.model import Period
from ccop_cases.reports.views import BadPeriod, choose_period


@pytest.fixture
def world(app):
    return report_world(app)


@pytest.fixture
def calls(monkeypatch):
    return stand_in_builders(monkeypatch)


def _urls(world) -> dict[str, str]:
    council, group = world.gov.council.id, world.gov.group.id
    urls = {"index": "/rapports/", "council": f"/rapports/conseils/{council}/fipd",
            "council print": f"/rapports/conseils/{council}/fipd/impression",
            "council chart": f"/rapports/conseils/{council}/fipd/graphique/by_purpose.svg",
            "council csv": f"/rapports/conseils/{council}/fipd/fichier.csv",
            "council ods": f"/rapports/conseils/{council}/fipd/fichier.ods"}
    for slug in ("fipd", "annuel", "objectifs"):
        base = f"/rapports/groupes/{group}/{slug}"
        urls |= {f"group {slug}": base, f"group {slug} print": f"{base}/impression",
                 f"group {slug} chart": f"{base}/graphique/by_purpose.svg",
                 f"group {slug} csv": f"{base}/fichier.csv", f"group {slug} ods": f"{base}/fichier.ods"}
    return urls


ROLES = ("admin", "other_admin", "coordinator", "other_coordinator", "member", "dpo", "anonymous")
# Expected status by role, in the order of ROLES: the presiding administrator reaches all; the
# administrator of another council and the coordonnateur of another group find nothing (404);
# a platform duty refused says so (403, R17: the console's decision); a member of the group
# is told the reports are the coordonnateur's (403, R4: the decision's refusal); signed out: login.
COUNCIL = (200, 404, 403, 403, 403, 403, 302)
GROUP = (200, 404, 200, 404, 403, 404, 302)
EXPECTED = {"index": (200, 200, 200, 200, 200, 200, 302)}


def _expected(route: str) -> tuple[int, ...]:
    return EXPECTED.get(route) or (COUNCIL if route.startswith("council") else GROUP)


def _client(world, login_as, app, role):
    return app.test_client() if role == "anonymous" else login_as(getattr(world, role))


@pytest.mark.parametrize("role", ROLES)
def test_each_route_answers_each_role_as_the_decision_says(app, world, calls, login_as, role):
    client = _client(world, login_as, app, role)
    seen = {route: client.get(url).status_code for route, url in _urls(world).items()}
    expected = {route: _expected(route)[ROLES.index(role)] for route in _urls(world)}
    assert seen == expected


def test_signed_out_is_sent_to_the_login(app, world, calls):
    response = app.test_client().get(_urls(world)["group annuel"])
    assert response.status_code == 302 and response.location == "/connexion"


def test_a_refusal_is_audited_as_a_denial_and_nothing_is_computed(world, calls, login_as, db):
    login_as(world.other_admin).get(_urls(world)["group annuel csv"])
    login_as(world.member).get(_urls(world)["group annuel"])
    denials = audit_bodies(db, "access.denied")
    assert [(d["target"]["id"], d["rule"]) for d in denials[-2:]] == [(str(world.gov.group.id), "R4")] * 2
    assert calls.made == [] and audit_bodies(db, "report.downloaded") == []


# --- what the pages show ---------------------------------------------------------------------------------


def test_the_page_shows_the_published_tables_and_never_a_small_count(world, calls, login_as):
    html = login_as(world.coordinator).get(_urls(world)["group annuel"]).text
    tables = page_tables(html)
    for table in (BY_PURPOSE, BY_ACTION, OUTCOMES):
        grid = render.grid(table)
        expected = [list(grid.header)] + [[line.label, *line.extra, *(c.text for c in line.cells)]
                                          for line in grid.lines]
        assert tables[table.title] == expected
        shown = [cell for row in tables[table.title][1:] for cell in row[1 + len(table.extra_columns):]]
        assert not {"1", "2", "3", "4"} & set(shown), table.key  # a count of 1 to 4 is never written
    assert "&lt; 5" in html and "secret statistique" in html
    on_14, on_3 = MEASURES
    assert f"<dt>{on_14.label}</dt><dd>{suppression.measure(on_14)}</dd>" in html  # on 14 people: shown
    assert f"<dt>{on_3.label}</dt><dd>s</dd>" in html  # on 3: hidden


def test_each_chart_is_an_image_of_its_own_route_with_a_text_alternative(world, calls, login_as):
    client = login_as(world.admin)
    html = client.get(_urls(world)["group fipd"]).text
    sources = chart_sources(html)
    assert sorted(s.split("/graphique/")[1].split(".svg")[0] for s in sources) == ["by_action", "by_purpose"]
    assert all("du=2026-01" in s and "au=2026-03" in s for s in sources)  # the page's period
    assert len(re.findall(r'<img src="[^"]+"\s+alt="Diagramme en barres « [^"]+ »', html)) == 2
    for source in sources:
        response = client.get(source)
        assert response.status_code == 200 and response.mimetype == "image/svg+xml"
        assert response.data.startswith(b"<?xml") and b"<script" not in response.data
        assert not re.search(rb"\sstyle=", response.data) and b"<style" not in response.data


def test_a_table_without_rows_is_said_in_words_without_a_chart(world, calls, login_as):
    client = login_as(world.coordinator)
    html = client.get(_urls(world)["group annuel"]).text
    assert f"<strong>{EMPTY.title}</strong> : Aucune donnée pour cette période." in html
    assert EMPTY.title not in page_tables(html) and "refusals.svg" not in html
    assert client.get(f"/rapports/groupes/{world.gov.group.id}/annuel/graphique/refusals.svg").status_code == 404


@pytest.mark.parametrize("key", ["outcomes", "absent", "by_purpose.svg"])
def test_a_chart_of_a_table_without_one_or_of_no_table_is_not_found(world, calls, login_as, key):
    response = login_as(world.admin).get(f"/rapports/groupes/{world.gov.group.id}/annuel/graphique/{key}.svg")
    assert response.status_code == 404


def test_no_page_holds_an_inline_style_or_script(world, calls, login_as):
    client = login_as(world.admin)
    for route in ("council", "council print", "group annuel", "group objectifs print", "index"):
        html = client.get(_urls(world)[route]).text
        assert "style=" not in html and "<style" not in html
        assert all(re.search(r'src="/static/[\w.-]+\.js"', attrs) for attrs in re.findall(r"<script\b([^>]*)>", html))


def test_the_print_view_holds_the_report_and_a_way_back(world, calls, login_as):
    html = login_as(world.coordinator).get(_urls(world)["group objectifs print"] + "?annee=2025").text
    assert '<article class="print-sheet"' in html and "Imprimé le" in html
    assert f'href="/rapports/groupes/{world.gov.group.id}/objectifs?annee=2025"' in html
    assert set(page_tables(html)) == {BY_PURPOSE.title, OUTCOMES.title, BY_ACTION.title}


def test_the_index_lists_what_each_person_may_open(world, calls, login_as):
    admin = login_as(world.admin).get("/rapports/").text
    assert f"/rapports/conseils/{world.gov.council.id}/fipd" in admin
    assert f"/rapports/groupes/{world.gov.group.id}/annuel" in admin
    assert str(world.other.group.id) not in admin and str(world.other.council.id) not in admin
    coordinator = login_as(world.coordinator).get("/rapports/").text
    assert f"/rapports/groupes/{world.gov.group.id}/objectifs" in coordinator and "/conseils/" not in coordinator
    member = login_as(world.member).get("/rapports/").text
    assert "Aucun rapport ne vous est accessible" in member and "/rapports/groupes/" not in member


def test_the_reports_are_reached_from_the_navigation(world, calls, login_as):
    assert 'href="/rapports/"' in login_as(world.admin).get("/").text  # the header's « Rapports »
    assert 'href="/rapports/"' in login_as(world.coordinator).get("/").text  # the group's line on the home
    assert 'href="/rapports/"' not in login_as(world.member).get("/").text


# --- periods --------------------------------------------------------------------------------------------


def test_the_builders_get_the_period_asked_for_by_default_the_year_to_date(world, calls, login_as):
    client, group, council = login_as(world.admin), world.gov.group.id, world.gov.council.id
    client.get(f"/rapports/conseils/{council}/fipd")
    client.get(f"/rapports/groupes/{group}/fipd?du=2025-11&au=2026-02")
    client.get(f"/rapports/groupes/{group}/annuel")
    client.get(f"/rapports/groupes/{group}/objectifs?annee=2024")
    assert calls.made == [("fipd", council, Period(date(2026, 1, 1), date(2026, 3, 31)), None),
                          ("fipd", council, Period(date(2025, 11, 1), date(2026, 2, 28)), group),
                          ("annual", group, 2026, group), ("objectives", group, 2024, group)]


TODAY = date(2026, 3, 2)  # the test clock's day in Paris
PERIODS = [
    ({}, "fipd", Period(date(2026, 1, 1), date(2026, 3, 31)), None),
    ({"annee": "2025"}, "fipd", Period(date(2025, 1, 1), date(2025, 12, 31)), None),
    ({"annee": "2026"}, "fipd", Period(date(2026, 1, 1), date(2026, 3, 31)), None),
    ({"du": "2026-03", "au": "2026-03"}, "fipd", Period(date(2026, 3, 1), date(2026, 3, 31)), None),
    ({"du": "2024-02"}, "fipd", Period(date(2024, 2, 1), date(2024, 12, 31)), None),
    ({"au": "2025-06"}, "fipd", Period(date(2025, 1, 1), date(2025, 6, 30)), None),
    ({"du": "2025-02", "au": "2025-02"}, "fipd", Period(date(2025, 2, 1), date(2025, 2, 28)), None),
    ({"du": "", "au": "", "annee": ""}, "fipd", Period(date(2026, 1, 1), date(2026, 3, 31)), None),
    ({}, "annual", Period(date(2026, 1, 1), date(2026, 3, 31)), 2026),
    ({"annee": "2023"}, "objectives", Period(date(2023, 1, 1), date(2023, 12, 31)), 2023),
]


@pytest.mark.parametrize("args,kind,period,year", PERIODS)
def test_choose_period(args, kind, period, year):
    choice = choose_period(args, kind, TODAY)
    assert (choice.period, choice.year) == (period, year)


BAD_PERIODS = [  # (query string, kind, the field named, words of the French message)
    ("du=2026-04", "fipd", "du", "Période dans le futur"),
    ("du=2027-01&au=2027-02", "fipd", "du", "Période dans le futur"),
    ("du=2026-01&au=2026-04", "fipd", "au", "Période dans le futur"),
    ("du=2026-02&au=2025-12", "fipd", "au", "Période inversée"),
    ("du=2026-1", "fipd", "du", "s’écrit comme un mois AAAA-MM"),
    ("du=2026-13", "fipd", "du", "s’écrit comme un mois AAAA-MM"),
    ("au=janvier", "fipd", "au", "s’écrit comme un mois AAAA-MM"),
    ("du=1999-12", "fipd", "du", "à partir de 2000"),
    ("du=２０２６-01", "fipd", "du", "s’écrit comme un mois AAAA-MM"),
    ("annee=2027", "annual", "annee", "n’est pas encore commencée"),
    ("annee=26", "objectives", "annee", "quatre chiffres"),
    ("annee=2026.0", "annual", "annee", "quatre chiffres"),
    ("annee=2026&du=2026-01", "fipd", "annee", "pas les deux"),
    ("du=2026-01", "annual", "du", "porte sur une année civile"),
]


@pytest.mark.parametrize("query,kind,field,words", BAD_PERIODS)
def test_choose_period_refuses_in_french_naming_the_field(query, kind, field, words):
    from urllib.parse import parse_qsl
    with pytest.raises(BadPeriod) as refused:
        choose_period(dict(parse_qsl(query)), kind, TODAY)
    assert refused.value.field == field and words in refused.value.description
    assert refused.value.code == 400


def test_a_period_given_twice_is_refused(world, calls, login_as):
    response = login_as(world.admin).get(_urls(world)["group fipd"] + "?du=2026-01&du=2025-01")
    assert response.status_code == 400 and "indiqué deux fois" in response.text


MINUTES = "Texte libre témoin : Zéphyrine a repris le chemin du collège."
SLUG_OF = {"fipd": "fipd", "annual": "annuel", "objectives": "objectifs"}


@pytest.mark.parametrize("query,kind,field,words", BAD_PERIODS)
@pytest.mark.parametrize("what", ["", "/impression", "/graphique/by_purpose.svg", "/fichier.csv", "/fichier.ods"])
def test_a_bad_period_is_a_french_400_with_nothing_computed_nor_exported(world, calls, login_as, db, query,
                                                                        kind, field, words, what):
    from urllib.parse import parse_qsl, urlencode
    url = f"/rapports/groupes/{world.gov.group.id}/{SLUG_OF[kind]}{what}?{urlencode(parse_qsl(query))}"
    response = login_as(world.coordinator).get(url)
    assert response.status_code == 400 and words in response.text
    assert response.mimetype == "text/html" and "Content-Disposition" not in response.headers
    assert calls.made == [] and audit_bodies(db, "report.downloaded") == []
    if not what:  # the page itself: the period form again, its field marked when the form has it
        assert "Rien n’a été calculé ni exporté." in response.text and "fichier.csv" not in response.text
    if not what and (field == "annee") == (kind != "fipd"):
        assert re.search(rf'id="{field}"[^>]*aria-invalid="true" aria-describedby="periode-erreur"', response.text)


@pytest.mark.parametrize("target", ["unknown group", "other council's group", "unknown council", "other council"])
@pytest.mark.parametrize("what", ["", "/impression", "/graphique/by_purpose.svg", "/fichier.csv", "/fichier.ods"])
def test_an_unknown_or_out_of_reach_group_or_council_is_not_found(world, calls, login_as, db, target, what):
    urls = {"unknown group": f"/rapports/groupes/{uuid.uuid4()}/annuel",
            "other council's group": f"/rapports/groupes/{world.other.group.id}/annuel",
            "unknown council": f"/rapports/conseils/{uuid.uuid4()}/fipd",
            "other council": f"/rapports/conseils/{world.other.council.id}/fipd"}
    response = login_as(world.admin).get(urls[target] + what + "?annee=2026")
    assert response.status_code == 404 and "Page introuvable" in response.text
    assert calls.made == [] and audit_bodies(db, "report.downloaded") == []
    assert audit_bodies(db, "access.denied")[-1]["rule"] in ("R4", "R17")


@pytest.mark.parametrize("url", ["/rapports/groupes/{group}/bilan", "/rapports/groupes/{group}/annuel/fichier.xlsx",
                                 "/rapports/groupes/pas-un-id/annuel", "/rapports/conseils/{council}/annuel"])
def test_an_unknown_kind_or_format_does_not_exist(world, calls, login_as, url):
    url = url.format(group=world.gov.group.id, council=world.gov.council.id)
    assert login_as(world.admin).get(url).status_code == 404
    assert calls.made == []


# --- downloads ------------------------------------------------------------------------------------------


DOWNLOADS = [  # (route, query, file name pattern, details of the trail's entry)
    ("group annuel csv", "", r"rapport-annuel-2026-{group8}\.csv", {"kind": "annual", "format": "csv", "year": "2026"}),
    ("group objectifs ods", "?annee=2025", r"objectifs-2025-{group8}\.ods",
     {"kind": "objectives", "format": "ods", "year": "2025"}),
    ("group fipd csv", "?du=2025-10&au=2026-01", r"bilan-fipd-2025-10-2026-01-{group8}\.csv",
     {"kind": "fipd", "format": "csv", "start": "2025-10", "end": "2026-01"}),
    ("council ods", "", r"bilan-fipd-2026-01-2026-03-{council8}\.ods",
     {"kind": "fipd", "format": "ods", "start": "2026-01", "end": "2026-03"}),
]


@pytest.mark.parametrize("route,query,name,details", DOWNLOADS)
def test_every_download_is_audited_once_with_codes_only(world, calls, login_as, db, route, query, name, details):
    response = login_as(world.admin).get(_urls(world)[route] + query)
    assert response.status_code == 200
    group8, council8 = str(world.gov.group.id)[:8], str(world.gov.council.id)[:8]
    disposition = response.headers["Content-Disposition"]
    assert re.fullmatch(rf'attachment; filename="{name.format(group8=group8, council8=council8)}"', disposition)
    assert response.headers["Cache-Control"] == "no-store"
    ods = "application/vnd.oasis.opendocument.spreadsheet"
    assert response.mimetype == ("text/csv" if route.endswith("csv") else ods)
    entries = audit_bodies(db, "report.downloaded")
    assert len(entries) == 1
    entry = entries[0]
    council = route.startswith("council")
    assert entry["target"] == {"type": "council" if council else "working_group",
                               "id": str(world.gov.council.id if council else world.gov.group.id)}
    assert entry["details"] == details and entry["actor"]["id"] == str(world.admin.person.id)
    assert entry["outcome"] == "success"


def test_a_page_print_or_chart_is_not_a_download(world, calls, login_as, db):
    client = login_as(world.coordinator)
    for route in ("group annuel", "group annuel print", "group annuel chart"):
        assert client.get(_urls(world)[route]).status_code == 200
    assert audit_bodies(db, "report.downloaded") == []


def test_two_downloads_are_two_entries(world, calls, login_as, db):
    client = login_as(world.coordinator)
    client.get(_urls(world)["group fipd csv"])
    client.get(_urls(world)["group fipd ods"])
    assert [e["details"]["format"] for e in audit_bodies(db, "report.downloaded")] == ["csv", "ods"]
    assert all(e["actor"]["id"] == str(world.coordinator.person.id) for e in audit_bodies(db, "report.downloaded"))


# --- nothing personal in any report file ------------------------------------------------------------------


@pytest.fixture
def seeded_case(app, world, login_as, db, clock):
    """A situation of the group, proposed with a name, birth date, address and phone, and a
    session's minutes (free text): what no report may hold."""
    from apptest import post
    from casetest import YOUNG, latest_case, propose
    coordinator = login_as(world.coordinator)
    assert propose(coordinator, world.gov).status_code == 302
    case = latest_case(db)
    meetings = f"/groupes/{world.gov.group.id}/seances"
    meeting = post(coordinator, meetings, {"when": "2026-02-10T10:00"}).location
    assert post(coordinator, f"{meeting}/compte-rendu", {"cr-minutes": MINUTES}, token_from=meeting).status_code == 302
    return case, YOUNG


def _every_report_file(client, world) -> list[bytes]:
    """Every page, print view, chart, CSV and ODS (unzipped) of the group's and the council's reports."""
    found: list[bytes] = []
    council, group = world.gov.council.id, world.gov.group.id
    bases = [f"/rapports/conseils/{council}/fipd"] + [f"/rapports/groupes/{group}/{s}" for s in
                                                       ("fipd", "annuel", "objectifs")]
    for base in bases:
        for url in (base, f"{base}/impression"):
            response = client.get(url)
            assert response.status_code == 200, url
            found.append(response.data)
            found += [client.get(source).data for source in chart_sources(response.text)]
        found.append(client.get(f"{base}/fichier.csv").data)
        with zipfile.ZipFile(BytesIO(client.get(f"{base}/fichier.ods").data)) as ods:
            found += [ods.read(name) for name in ods.namelist()]
    return found


def test_no_report_file_holds_a_name_a_birth_date_a_reference_or_a_free_text(world, login_as, seeded_case):
    """With the real builders, on a group holding a situation."""
    case, young = seeded_case
    secrets = [young["last_name"], young["given_names"], young["rep1_last_name"], young["rep1_given_names"],
               young["address"], young["phone"], young["email"], young["birth_date"], "20/05/2011", case.reference,
               "Ndiaye", "Acacias", MINUTES, "Zéphyrine"]
    files = _every_report_file(login_as(world.admin), world)
    assert len(files) > 20
    for data in files:
        text = data.decode("utf-8-sig")
        for secret in secrets:
            assert secret not in text
