"""Route permissions: every view declares one; anything undeclared is denied (404).

Permissions here are about the login state. Access to case data is decided by the charter
engine's decision function, never by a view.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import current_app, flash, g, redirect, request, url_for
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response

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


def permission(name: str) -> Callable[[F], F]:
    """Declare the permission of a view (``public``, ``authenticated``…)."""
    if name not in STAGES:
        raise ValueError(f"unknown permission {name!r}")

    def mark(view: F) -> F:
        view.ccop_permission = name  # type: ignore[attr-defined]
        return view

    return mark


def declared_permission(endpoint: str | None) -> str | None:
    view = current_app.view_functions.get(endpoint or "")
    return getattr(view, "ccop_permission", None)


def enforce() -> Response | None:
    """before_request hook: let the request through, redirect to the right login step, or 404."""
    if request.endpoint is None:
        return None  # no route matched: Flask answers 404 itself
    name = declared_permission(request.endpoint)
    if name is None:
        raise NotFound()  # default deny: an undeclared route does not exist
    stage = g.web_session.stage if g.get("web_session") else None
    if stage in STAGES[name]:
        return None
    if stage is None:
        flash("Veuillez vous connecter.", "info")
        return redirect(url_for("accounts.login"))
    return redirect(url_for(next_step_endpoint(stage)))


def next_step_endpoint(stage: str) -> str:
    return {"password": "accounts.code", "setup": "accounts.setup", "full": "accounts.home"}[stage]
