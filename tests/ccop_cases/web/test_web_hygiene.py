"""Default deny, permission table, CSRF, security headers, cookies, French error pages."""

from __future__ import annotations

import re
import uuid

import pytest
from apptest import PASSWORD, Account, make_account, post
from flask import Flask

from ccop_cases.access.permissions import STAGES


def test_every_route_declares_a_permission(app: Flask):
    undeclared = [
        rule.rule for rule in app.url_map.iter_rules()
        if getattr(app.view_functions[rule.endpoint], "ccop_permission", None) not in STAGES
    ]
    assert undeclared == []


def test_an_undeclared_route_is_denied_with_404(settings, rolled_back_app):
    app = rolled_back_app(settings)

    @app.route("/oubli")
    def forgotten() -> str:
        return "secret"

    assert app.test_client().get("/oubli").status_code == 404


def _client_at(app: Flask, stage: str, clock):
    """A client whose session is at ``stage`` (None: anonymous)."""
    c = app.test_client()
    if stage is None:
        return c
    acct: Account = make_account(app, f"agent.{stage}", enrolled=stage != "setup")
    post(c, "/connexion", {"username": acct.username, "password": PASSWORD})
    if stage == "full":
        from apptest import current_code
        post(c, "/connexion/code", {"code": current_code(acct, clock)})
    return c


UNKNOWN = uuid.UUID(int=7)  # no group nor council has this id
# (route, stage of the session) -> expected status; 302 sends to the right login step.
GET_TABLE = [
    ("/", None, 302), ("/", "password", 302), ("/", "setup", 302), ("/", "full", 200),
    ("/connexion", None, 200), ("/connexion", "password", 302), ("/connexion", "full", 302),
    ("/connexion/code", None, 302), ("/connexion/code", "password", 200),
    ("/connexion/code", "setup", 302), ("/connexion/code", "full", 302),
    ("/compte/configuration", None, 302), ("/compte/configuration", "setup", 302),
    ("/compte/configuration", "full", 302),
    ("/compte/double-authentification", None, 302),
    ("/compte/double-authentification", "password", 302),
    ("/compte/double-authentification", "setup", 200),
    ("/compte/double-authentification", "full", 302),
    ("/compte/mot-de-passe", None, 302), ("/compte/mot-de-passe", "password", 302),
    ("/compte/mot-de-passe", "setup", 200), ("/compte/mot-de-passe", "full", 200),
    ("/compte", None, 302), ("/compte", "password", 302), ("/compte", "setup", 302), ("/compte", "full", 200),
    ("/rapports/", None, 302), ("/rapports/", "password", 302), ("/rapports/", "setup", 302),
    ("/rapports/", "full", 200),
    (f"/rapports/groupes/{UNKNOWN}/annuel", None, 302), (f"/rapports/groupes/{UNKNOWN}/annuel", "full", 404),
    (f"/rapports/groupes/{UNKNOWN}/fipd/fichier.csv", "full", 404),
    (f"/rapports/conseils/{UNKNOWN}/fipd", None, 302),
    (f"/rapports/conseils/{UNKNOWN}/fipd", "full", 403),  # the console's duty is refused first (R17)
    ("/deconnexion", "full", 405),
    ("/session/rester-connecte", "full", 405),
    ("/n-existe-pas", "full", 404),
]


@pytest.mark.parametrize("route,stage,status", GET_TABLE)
def test_route_by_login_stage(app, clock, route, stage, status):
    assert _client_at(app, stage, clock).get(route).status_code == status


POST_ROUTES = [
    "/connexion", "/connexion/code", "/compte/mot-de-passe", "/compte/confirmer", "/compte/double-authentification",
    "/compte",
    "/deconnexion", "/controle/export", "/administration/", "/administration/conseils/<uuid:council_id>",
    "/administration/groupes/<uuid:group_id>/acte", "/administration/groupes/<uuid:group_id>/etat",
    "/administration/groupes/<uuid:group_id>/dissolution",
    "/administration/groupes/<uuid:group_id>/textes/<kind>", "/administration/groupes/<uuid:group_id>/membres",
    "/administration/membres/<uuid:membership_id>/<act>", "/administration/deploiement",
    "/groupes/<uuid:group_id>/signature", "/groupes/<uuid:group_id>/recherche",
    "/groupes/<uuid:group_id>/situations/nouvelle", "/situations/<uuid:case_id>/<act>",
    "/situations/<uuid:case_id>/suivre", "/situations/<uuid:case_id>/information/<uuid:record_id>/approuver",
    "/situations/<uuid:case_id>/actions/<uuid:action_id>/fin",
    "/groupes/<uuid:group_id>/seances", "/seances/<uuid:meeting_id>/<act>",
    "/situations/<uuid:case_id>/participants/<uuid:participant_id>/retirer",
    "/situations/<uuid:case_id>/doublon/<choice>", "/session/rester-connecte",
    "/administration/listes/<list_name>", "/administration/listes/<list_name>/<code>",
    "/administration/listes/<list_name>/<code>/etat", "/administration/objectifs",
    "/administration/objectifs/<uuid:objective_id>/etat", "/administration/conseils/<uuid:council_id>/fipd",
    "/administration/fipd/<uuid:action_id>", "/administration/fipd/<uuid:action_id>/etat",
    "/administration/groupes/<uuid:group_id>/objectifs/<int:year>",
    "/administration/objectifs-du-groupe/<uuid:objective_id>",
    "/administration/objectifs-du-groupe/<uuid:objective_id>/etat",
    "/administration/conseils/<uuid:council_id>/dpo", "/droits/conseils/<uuid:council_id>/conservation",
    "/droits/conseils/<uuid:council_id>/nouvelle", "/droits/demandes/<uuid:request_id>/<act>",
    "/droits/demandes/<uuid:request_id>/recherche", "/droits/demandes/<uuid:request_id>/situations",
    "/droits/demandes/<uuid:request_id>/dossier",
    "/droits/demandes/<uuid:request_id>/situations/<uuid:case_id>/rectifier",
]


def _concrete(rule: str) -> str:
    concrete = re.sub(r"<uuid:\w+>", str(uuid.uuid4()), rule)
    concrete = concrete.replace("<list_name>", "action_type").replace("<code>", "citizenship").replace(
        "<int:year>", "2026")
    return concrete.replace("<kind>", "charter").replace("<act>", "exclure").replace("<choice>", "decliner")


@pytest.mark.parametrize("route", POST_ROUTES)
def test_every_post_without_csrf_token_is_refused(app, clock, route):
    c = _client_at(app, "full", clock)
    response = c.post(_concrete(route), data={"username": "x", "password": "y", "code": "123456"})
    assert response.status_code == 400
    assert "Le formulaire a expiré" in response.text


def test_every_post_route_is_listed_in_the_csrf_table(app):
    posts = {r.rule for r in app.url_map.iter_rules() if "POST" in (r.methods or set())}
    assert posts == set(POST_ROUTES)


@pytest.mark.parametrize("route,stage", [("/connexion", None), ("/", "full"),
                                         ("/n-existe-pas", None)])
def test_security_headers_on_every_response(app, clock, route, stage):
    headers = _client_at(app, stage, clock).get(route).headers
    csp = headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Cache-Control"] == "no-store"
    assert len(headers["X-Request-ID"]) == 32
    assert "Strict-Transport-Security" not in headers  # plain http here


def test_hsts_when_served_over_https(app):
    response = app.test_client().get("/connexion", base_url="https://ccop.example")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


@pytest.mark.parametrize("hops,hsts", [(0, False), (1, True)])
def test_https_behind_a_proxy_is_trusted_only_with_ccop_proxy_hops(settings, rolled_back_app, hops, hsts):
    from apptest import with_settings
    app = rolled_back_app(with_settings(settings, proxy_hops=hops))
    response = app.test_client().get("/connexion", headers={"X-Forwarded-Proto": "https"})
    assert ("Strict-Transport-Security" in response.headers) is hsts


@pytest.mark.parametrize("referrer,passes", [("https://ccop.example/connexion", True), (None, False),
                                             ("https://ailleurs.example/connexion", False)])
def test_over_https_a_form_passes_the_csrf_check_with_the_referrer_the_policy_lets_through(
        settings, rolled_back_app, referrer, passes):
    """Behind the proxy, in production's cookie mode, the login form is accepted with the
    same-origin Referer the browser sends under our Referrer-Policy (wrong credentials then,
    not an expired form); without it, or from another site, it is refused as expired."""
    from apptest import with_settings
    app = rolled_back_app(with_settings(settings, secure_cookies=True, proxy_hops=1))
    client = app.test_client()
    proxy = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "ccop.example"}
    page = client.get("/connexion", headers=proxy)
    assert page.headers["Referrer-Policy"] == "same-origin"  # the browser keeps the Referer on this site
    token = page.text.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    headers = {**proxy, **({"Referer": referrer} if referrer else {})}
    response = client.post("/connexion", data={"csrf_token": token, "username": "personne", "password": "x"},
                           headers=headers)
    assert response.status_code == 400
    assert ("Identifiant, mot de passe ou code incorrect" in response.text) is passes
    assert ("Le formulaire a expiré" in response.text) is not passes


def test_pages_hold_no_inline_script_or_style(app, clock):
    html = _client_at(app, "full", clock).get("/").text
    assert "style=" not in html and "<style" not in html
    # Scripts only as static files of our own (CSP script-src 'self'), never inline.
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, re.S)
    assert scripts and html.count("<script") == len(scripts)
    assert all(re.search(r'\bsrc="/static/[\w.-]+\.js"', attrs) and not body.strip() for attrs, body in scripts)


def test_secure_cookie_flags_outside_local_development(settings, rolled_back_app):
    from apptest import with_settings
    app = rolled_back_app(with_settings(settings, secure_cookies=True))
    response = app.test_client().get("/connexion", base_url="https://ccop.example")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("__Host-ccop=")
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_error_pages_are_french_without_stack_trace(settings, rolled_back_app):
    app = rolled_back_app(settings)

    @app.route("/boom")
    def boom() -> str:
        raise RuntimeError("détail interne à ne pas montrer")

    boom.ccop_permission = "public"  # type: ignore[attr-defined]
    response = app.test_client().get("/boom")
    assert response.status_code == 500
    assert "Erreur interne" in response.text
    assert "Traceback" not in response.text and "détail interne" not in response.text


def test_404_page_is_french(app):
    response = app.test_client().get("/n-existe-pas")
    assert response.status_code == 404 and "Page introuvable" in response.text
