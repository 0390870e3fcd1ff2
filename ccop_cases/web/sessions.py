"""Binds the server-side session record to the request and the cookie.

The signed Flask cookie carries only a random token (``sid``) and the CSRF token; the
state lives in ``web_session`` rows, so logout, timeouts and exclusion take effect on the
server whatever the browser keeps.
"""

from __future__ import annotations

from typing import Any

from flask import g, session
from flask_login import UserMixin
from sqlalchemy import select

from ccop_cases.accounts import services
from ccop_cases.accounts.models import Person, WebSession
from ccop_cases.charter.models import Deployment
from ccop_cases.web import runtime as rt
from ccop_cases.work import read_first


class Actor(UserMixin):
    """The authenticated person of a request, as Flask-Login sees it."""

    def __init__(self, person: Person) -> None:
        self.person = person

    def get_id(self) -> str:
        return str(self.person.id)


def load_current() -> None:
    """before_request: find the live session for the cookie's token, if any."""
    g.web_session = None
    g.person = None
    token = session.get("sid")
    if not isinstance(token, str):
        return
    work = rt.work()
    db = work.session
    limits, now = rt.runtime().limits, rt.now()
    # Most requests change nothing in their session: read it without a lock.
    found = read_first(db, lambda: services.live_session(db, token))
    if found is not None and services.session_change(*found, limits, now) is not None:
        # A timeout or a last-seen time to record: in a write transaction, kept even if the view fails.
        guard = work.as_actor("session-guard", "system")
        found = work.write_step(lambda: services.load_session(guard, token, limits))
    if found is None:
        session.pop("sid", None)
    else:
        g.web_session, g.person = found
        rt.act_as(g.person)
        # Read here, in this short transaction, not while a template renders (R20 banner).
        g.pilot = db.scalar(select(Deployment.mode).where(Deployment.id == 1)) == "pilot"


def request_loader(_request: Any) -> Actor | None:
    record: WebSession | None = g.get("web_session")
    if record is None or record.stage != "full":
        return None
    return Actor(g.person)


def begin(person: Person, stage: str) -> None:
    """Open a session after the password step, with a fresh token and CSRF token."""
    token = services.start_session(rt.db(), person, stage, rt.now())
    _set_cookie_token(token)


def advance(stage: str) -> None:
    """Move the current session to ``stage`` under a new token (id rotated at each step)."""
    token = services.rotate_session(rt.db(), g.web_session, g.person, stage, rt.now())
    _set_cookie_token(token)


def finish(reason: str) -> None:
    if g.get("web_session") is not None:
        services.end_session(rt.work(), g.web_session, reason)
    session.clear()


def _set_cookie_token(token: str) -> None:
    session.clear()  # drops the old CSRF token too
    session["sid"] = token


def keep_alive() -> tuple[str, int]:
    """« Rester connecté » (static/session.js, a minute before the idle timeout): ``load_current``
    has already recorded the last-seen time of this authenticated request; nothing else to do."""
    return "", 204
