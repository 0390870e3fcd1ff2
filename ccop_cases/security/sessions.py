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

from ccop_cases import runtime as rt
from ccop_cases.accounts import services
from ccop_cases.accounts.models import Person, WebSession
from ccop_cases.charter.models import Deployment


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
    db = rt.db()
    guard = rt.system_audit(db, "session-guard")
    record = services.load_session(db, guard, token, rt.runtime().limits, rt.now())
    person = db.get(Person, record.person_id) if record else None
    if record is not None and (person is None or not person.is_active):
        services.end_session(db, guard, record, "account_inactive", rt.now())
        record = None
    if record is None:
        session.pop("sid", None)
    else:
        g.web_session, g.person = record, person
        # Read here, in this short transaction, not while a template renders (R20 banner).
        g.pilot = db.scalar(select(Deployment.mode).where(Deployment.id == 1)) == "pilot"
    db.commit()  # timeouts and last-seen times are recorded even if the view fails


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
        services.end_session(rt.db(), rt.audit(), g.web_session, reason, rt.now())
    session.clear()


def _set_cookie_token(token: str) -> None:
    session.clear()  # drops the old CSRF token too
    session["sid"] = token
