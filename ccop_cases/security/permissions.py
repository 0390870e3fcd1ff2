"""Route permissions: every view declares one; anything undeclared is denied (404).

Permissions here are about the login state. Access to case data is decided by the charter
engine's decision function, never by a view.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

from flask import current_app, flash, g, redirect, request, url_for
from werkzeug.exceptions import Forbidden, Gone, NotFound
from werkzeug.wrappers import Response

from ccop_cases import runtime as rt
from ccop_cases.auditing import Auditor
from ccop_cases.charter.policy import Decision, decide

F = TypeVar("F", bound=Callable[..., Any])

# permission -> session stages allowed
STAGES: dict[str, frozenset[str | None]] = {
    "public": frozenset({None, "password", "setup", "full"}),
    "session": frozenset({"password", "setup", "full"}),
    "login_code": frozenset({"password"}),
    "setup": frozenset({"setup"}),
    "signed_in": frozenset({"setup", "full"}),
    "authenticated": frozenset({"full"}),
}
# Permissions that also need the decision function's approval (after the stage check).
DECIDED = {"console": "console.manage", "oversight": "oversight.read"}
for _name in DECIDED:
    STAGES[_name] = STAGES["authenticated"]


def permission(name: str, *, read_only: bool = False) -> Callable[[F], F]:
    """Declare the permission of a view (``public``, ``authenticated``…).

    ``read_only``: the view runs in the read-only transaction in which its session was
    loaded (``db.begin_read``: no lock on SQLite) and ends it with ``finish_read``.
    """
    if name not in STAGES:
        raise ValueError(f"unknown permission {name!r}")

    def mark(view: F) -> F:
        view.ccop_permission = name  # type: ignore[attr-defined]
        view.ccop_read_only = read_only  # type: ignore[attr-defined]
        return view

    return mark


def declared_permission(endpoint: str | None) -> str | None:
    view = current_app.view_functions.get(endpoint or "")
    return getattr(view, "ccop_permission", None)


def declared_read_only(endpoint: str | None) -> bool:
    view = current_app.view_functions.get(endpoint or "")
    return bool(getattr(view, "ccop_read_only", False))


def enforce() -> Response | None:
    """before_request hook: let the request through, redirect to the right login step, or 404."""
    if request.endpoint is None:
        return None  # no route matched: Flask answers 404 itself
    name = declared_permission(request.endpoint)
    if name is None:
        raise NotFound()  # default deny: an undeclared route does not exist
    stage = g.web_session.stage if g.get("web_session") else None
    if stage in STAGES[name]:
        if name in DECIDED:
            require(decide(rt.db(), g.person, DECIDED[name], now=rt.now()), "route", request.endpoint)
        return None
    if stage is None:
        flash("Veuillez vous connecter.", "info")
        return redirect(url_for("accounts.login"))
    return redirect(url_for(next_step_endpoint(stage)))


class Denied(Forbidden):
    """A refusal of the decision function, already audited; rendered with its rule."""

    french = True

    def __init__(self, decision: Decision) -> None:
        super().__init__(f"{decision.message} (règle {decision.rule})")
        self.decision = decision


def require(decision: Decision, target_type: str, target_id: object) -> None:
    """Raise (404 or 403) unless allowed; the denial is audited in a transaction of its own."""
    if not decision.allowed:
        deny(decision, target_type, target_id)


def finish_read(append: Callable[[Auditor], None], action: str, resource: object, target_type: str,
                target_id: object) -> None:
    """How a read-only view ends its read, before anything is shown: commit the read
    transaction, ``append`` the read's audit entry in a write transaction, decide ``action``
    again there, and commit.

    The entry's append holds the audit head (and SQLite's write lock), and every revocation
    (exclusion, suspension, withdrawal, purge) appends its own entry, so none can commit in
    between: one committed since the read refuses the page, rolls the entry back and is
    audited as a denial."""
    db = rt.db()
    db.commit()
    append(rt.audit())
    require(decide(db, g.person, action, resource, now=rt.now()), target_type, target_id)
    db.commit()


def refused(rule: str | None, target_type: str, target_id: object) -> None:
    """Roll back a refused act (it keeps nothing of its own work) and, when a rule refused it,
    audit the refusal with its rule and target in a transaction of its own. A mere input
    error (no rule) is only rolled back."""
    session = rt.db()
    session.rollback()
    if rule:
        rt.audit().record("access.denied", target_type, target_id, outcome="denied", rule=rule)
        session.commit()


def deny(decision: Decision, target_type: str, target_id: object) -> NoReturn:
    """Audit a denial (with the probed object's id, even when it is hidden: the DPO must see
    what was probed), then answer 404 (hidden), 410 (purged) or 403."""
    refused(decision.rule or "R4", target_type, target_id)
    if decision.hide:
        raise NotFound()
    if decision.gone:
        raise Gone()  # the French 410 page explains the purge (R10)
    raise Denied(decision)


def next_step_endpoint(stage: str) -> str:
    return {"password": "accounts.code", "setup": "accounts.setup", "full": "charter.home"}[stage]
