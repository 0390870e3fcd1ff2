"""Two-step login, enrolment, TOTP replay, recovery codes, lockout, sessions and timeouts."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from apptest import PASSWORD, START, csrf_token, current_code, login, make_account, post, setup_work
from sqlalchemy import select

from ccop_cases.accounts import services
from ccop_cases.accounts.models import LoginThrottle, Person, WebSession
from ccop_cases.accounts.services import open_totp_secret
from ccop_cases.security import otp

GENERIC = "Identifiant, mot de passe ou code incorrect."


def test_two_step_login_reaches_home(client, account, clock):
    first = post(client, "/connexion", {"username": account.username, "password": PASSWORD})
    assert first.status_code == 302 and first.location == "/connexion/code"
    assert client.get("/").location == "/connexion/code"  # password alone opens nothing
    second = post(client, "/connexion/code", {"code": current_code(account, clock)})
    assert second.status_code == 302 and second.location == "/"
    assert "Mes groupes de travail" in client.get("/").text


def test_first_login_forces_password_change_then_enrolment_before_anything(app, client, clock):
    rt = app.extensions["ccop"]
    session = rt.database.session()
    person, one_time = services.create_person(setup_work(app, session), "nouvel.agent")
    session.commit()
    response = post(client, "/connexion", {"username": "nouvel.agent", "password": one_time})
    assert response.location == "/compte/configuration"
    for url in ("/", "/connexion/code", "/compte/double-authentification"):
        assert client.get(url).status_code == 302
    assert client.get("/compte/double-authentification").location == "/compte/mot-de-passe"
    changed = post(client, "/compte/mot-de-passe",
                   {"password": "une phrase de passe solide", "confirm": "une phrase de passe solide"})
    assert changed.location == "/compte/configuration"
    assert client.get("/").location == "/compte/configuration"
    assert client.get("/compte/configuration").location == "/compte/double-authentification"
    page = client.get("/compte/double-authentification")
    assert 'src="data:image/svg+xml' in page.text
    secret = session.get(Person, person.id)
    session.refresh(secret)
    key = open_totp_secret(rt.keys, person.id, secret.totp_secret_enc)
    assert key in page.text  # the key in text, for manual entry
    done = post(client, "/compte/double-authentification", {"code": otp.current_code(key, clock())})
    assert done.status_code == 200 and done.text.count("<code>") == 10
    assert client.get("/").status_code == 200
    session.close()


def test_enrolment_page_keeps_the_same_secret_across_reloads(app, client):
    make_account(app, "sans.totp", enrolled=False)
    post(client, "/connexion", {"username": "sans.totp", "password": PASSWORD})
    shown = {_shown_secret(client.get("/compte/double-authentification").text) for _ in range(3)}
    assert len(shown) == 1


def _shown_secret(html: str) -> str:
    return html.split('<code class="secret">')[1].split("</code>")[0]


def test_totp_code_replay_is_refused(app, account, clock):
    first = app.test_client()
    assert login(first, account, clock).location == "/"
    second = app.test_client()
    replay = login(second, account, clock, code=current_code(account, clock))
    assert replay.status_code == 400 and GENERIC in replay.text


def test_code_of_an_older_step_than_the_last_accepted_is_refused(app, account, clock):
    first = app.test_client()
    clock.advance(seconds=30)
    assert login(first, account, clock).location == "/"
    older = otp.current_code(account.totp_secret, clock() - timedelta(seconds=30))
    replay = login(app.test_client(), account, clock, code=older)
    assert replay.status_code == 400


def test_code_outside_one_step_window_is_refused(app, account, clock):
    stale = otp.current_code(account.totp_secret, clock() - timedelta(seconds=61))
    assert login(app.test_client(), account, clock, code=stale).status_code == 400


def test_concurrent_submissions_of_one_code_exactly_one_succeeds(committed_app, clock):
    account = make_account(committed_app, "course.concurrente")
    code = current_code(account, clock)
    clients = [committed_app.test_client() for _ in range(2)]
    for c in clients:
        post(c, "/connexion", {"username": account.username, "password": PASSWORD})
        c.get("/connexion/code")  # fetch the CSRF token before the race
    tokens = [csrf_token(c, "/connexion/code") for c in clients]
    barrier = threading.Barrier(2)
    results: list[int] = []

    def submit(c, token):
        barrier.wait()
        r = c.post("/connexion/code", data={"code": code, "csrf_token": token})
        results.append(r.status_code)

    threads = [threading.Thread(target=submit, args=(c, t)) for c, t in zip(clients, tokens, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [302, 400]


def test_recovery_code_works_once(app, account, clock):
    code = account.recovery_codes[0]
    assert login(app.test_client(), account, clock, code=code).location == "/"
    again = login(app.test_client(), account, clock, code=code)
    assert again.status_code == 400 and GENERIC in again.text


def test_recovery_code_accepts_case_and_spacing_variants(app, account, clock):
    code = account.recovery_codes[1].upper().replace("-", " ")
    assert login(app.test_client(), account, clock, code=code).location == "/"


@pytest.mark.parametrize("failure", ["unknown_user", "wrong_password", "wrong_code"])
def test_the_three_failure_kinds_answer_the_same_message(app, account, clock, failure):
    c = app.test_client()
    if failure == "unknown_user":
        r = post(c, "/connexion", {"username": "personne.inconnue", "password": PASSWORD})
    elif failure == "wrong_password":
        r = post(c, "/connexion", {"username": account.username, "password": "mauvais mot de passe"})
    else:
        r = login(c, account, clock, code="000000" if current_code(account, clock) != "000000" else "111111")
    assert r.status_code == 400
    assert GENERIC in r.text
    assert "inconnu" not in r.text.replace("personne.inconnue", "")


@pytest.mark.parametrize("username", ["agent.test", "personne.inconnue"])
def test_slowing_after_5_failures_and_lock_after_20_for_known_and_unknown(app, account, clock, username):
    c = app.test_client()
    statuses = []
    for _ in range(20):
        statuses.append(post(c, "/connexion", {"username": username, "password": "mauvais"}).status_code)
        clock.advance(seconds=1000)  # past the slowing delay, so every try counts
    assert statuses == [400] * 20
    locked = post(c, "/connexion", {"username": username, "password": PASSWORD})
    assert locked.status_code == 429 and "bloqué" in locked.text


def test_slowing_refuses_a_try_inside_the_delay_even_with_the_right_password(app, account, clock):
    c = app.test_client()
    for _ in range(6):
        post(c, "/connexion", {"username": account.username, "password": "mauvais"})
    r = post(c, "/connexion", {"username": account.username, "password": PASSWORD})
    assert r.status_code == 429 and "patientez" in r.text
    clock.advance(seconds=3600)
    assert post(c, "/connexion", {"username": account.username, "password": PASSWORD}).status_code == 302


def test_wrong_codes_count_towards_the_lock(app, account, clock):
    c = app.test_client()
    post(c, "/connexion", {"username": account.username, "password": PASSWORD})
    for _ in range(20):
        post(c, "/connexion/code", {"code": "abcdef"})
        clock.advance(seconds=1000)
    assert services.is_locked(app.extensions["ccop"].database.session(), account.username)


def test_successful_login_resets_the_failure_count(app, account, clock, db):
    c = app.test_client()
    for _ in range(3):
        post(c, "/connexion", {"username": account.username, "password": "mauvais"})
    assert login(c, account, clock).location == "/"
    assert db.get(LoginThrottle, services.throttle_key(account.username)) is None


def _live_tokens(app, account):
    session = app.extensions["ccop"].database.session()
    rows = session.scalars(select(WebSession).where(WebSession.person_id == account.person.id)).all()
    session.close()
    return {r.token_hash: r for r in rows}


def test_session_id_changes_at_each_login_step(app, account, clock):
    c = app.test_client()
    c.get("/connexion")
    post(c, "/connexion", {"username": account.username, "password": PASSWORD})
    after_password = c.get_cookie("ccop").value
    post(c, "/connexion/code", {"code": current_code(account, clock)})
    after_code = c.get_cookie("ccop").value
    assert after_password != after_code
    rows = _live_tokens(app, account).values()
    assert sorted((r.stage, r.end_reason) for r in rows) == [("full", None), ("password", "rotated")]


def test_copied_cookie_is_refused_after_logout(login_as, account, app):
    c = login_as(account)
    stolen = c.get_cookie("ccop").value
    post(c, "/deconnexion", {}, token_from="/")
    thief = app.test_client()
    thief.set_cookie("ccop", stolen)
    assert thief.get("/").location == "/connexion"


def test_copied_cookie_is_refused_after_end_sessions(login_as, account, app, clock):
    c = login_as(account)
    stolen = c.get_cookie("ccop").value
    session = app.extensions["ccop"].database.session()
    assert services.end_all_sessions(setup_work(app, session), account.person.id, "ended_by_operator") == 1
    session.commit()
    thief = app.test_client()
    thief.set_cookie("ccop", stolen)
    assert thief.get("/").location == "/connexion"
    assert c.get("/").location == "/connexion"


def test_idle_timeout_ends_the_session(login_as, account, clock):
    c = login_as(account)
    clock.advance(minutes=29)
    assert c.get("/").status_code == 200
    clock.advance(minutes=29)
    assert c.get("/").status_code == 200  # activity keeps it alive
    clock.advance(minutes=31)
    assert c.get("/").location == "/connexion"


def test_absolute_timeout_ends_an_active_session_after_12_hours(login_as, account, clock):
    c = login_as(account)
    for _ in range(12 * 3):
        clock.advance(minutes=20)
        response = c.get("/")
        if response.status_code != 200:
            break
    assert response.location == "/connexion"
    assert clock() - START >= timedelta(hours=12)


def test_password_change_ends_other_sessions(login_as, account, app):
    first = login_as(account)
    second = login_as(account)
    r = post(second, "/compte/mot-de-passe", {"current": PASSWORD, "password": "une autre phrase de passe",
                                              "confirm": "une autre phrase de passe"})
    assert r.location == "/"
    assert first.get("/").location == "/connexion"
    assert second.get("/").status_code == 200


@pytest.mark.parametrize("password,message", [
    ("court", "au moins 12"),
    ("azertyuiop123", "trop courant"),
    ("aaaaaaaaaaaaaaa", "trop courant"),
    ("agent.test est mon mot", "identifiant"),
])
def test_password_policy_refuses_weak_passwords_in_french(login_as, account, password, message):
    c = login_as(account)
    r = post(c, "/compte/mot-de-passe", {"current": PASSWORD, "password": password, "confirm": password})
    assert r.status_code == 400 and message in r.text


def test_a_voluntary_password_change_needs_the_current_password(login_as, account, app):
    c = login_as(account)
    r = post(c, "/compte/mot-de-passe", {"current": "pas le bon", "password": "une autre phrase de passe",
                                         "confirm": "une autre phrase de passe"})
    assert r.status_code == 400 and "Mot de passe actuel incorrect." in r.text
    assert c.get("/").status_code == 200  # nothing changed, the session goes on


def test_reauthentication_is_throttled_and_a_lock_ends_every_session(login_as, account, app, clock):
    c = login_as(account)
    other = login_as(account)
    for _ in range(20):
        post(c, "/compte/confirmer", {"code": "000000"})
        clock.advance(seconds=1000)
        if c.get("/").status_code != 200:
            break
    assert services.is_locked(app.extensions["ccop"].database.session(), account.username)
    assert c.get("/").location == "/connexion" and other.get("/").location == "/connexion"


def test_inactive_account_cannot_log_in_and_loses_its_session(login_as, account, app):
    c = login_as(account)
    session = app.extensions["ccop"].database.session()
    session.get(Person, account.person.id).is_active = False
    session.commit()
    assert c.get("/").location == "/connexion"
    r = post(app.test_client(), "/connexion", {"username": account.username, "password": PASSWORD})
    assert r.status_code == 400 and GENERIC in r.text


@pytest.fixture
def hash_calls(monkeypatch):
    """Every argon2 ``hash`` and ``verify`` call, counted by name (the work, not the time)."""
    from argon2 import PasswordHasher

    calls: dict[str, int] = {"hash": 0, "verify": 0}

    def counted(name):
        real = getattr(PasswordHasher, name)

        def wrapper(self, *args, **kwargs):
            calls[name] += 1
            return real(self, *args, **kwargs)
        return wrapper

    for name in calls:
        monkeypatch.setattr(PasswordHasher, name, counted(name))
    return calls


@pytest.mark.parametrize("username", ["agent.test", "personne.inconnue"])
def test_unknown_and_known_usernames_cost_the_same_hash_work(app, account, clock, hash_calls, username):
    """Item 3 of issue 12: an unknown login used to hash a fresh dummy on every call (twice the work)."""
    c = app.test_client()
    for _ in range(3):
        assert post(c, "/connexion", {"username": username, "password": "mauvais mot de passe"}).status_code == 400
        clock.advance(seconds=1000)
    assert hash_calls == {"hash": 0, "verify": 3}
