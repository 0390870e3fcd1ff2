"""Route permissions: every view declares one; anything undeclared is denied (404).

A permission is about the login stage; the platform duties (``console``, ``oversight``) are
also decided by ``decide``. Access to case data is decided by the loaders, never by a view.
The declaration also wraps the view in the request's unit of work (``work.run``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

from flask import current_app, flash, g, redirect, request, url_for
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response

from ccop_cases import work
from ccop_cases.access.loaders import duty, require
from ccop_cases.web import runtime as rt

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
    """Declare the permission of a view (``public``, ``authenticated``…) and run it in the
    request's unit of work: committed when a writing view returns.

    ``read_only``: the view runs in the read-only transaction in which its session was
    loaded (``work.begin_read``: no lock on SQLite) and ends it with ``loaders.finish_read``.
    """
    if name not in STAGES:
        raise ValueError(f"unknown permission {name!r}")

    def mark(view: F) -> F:
        @functools.wraps(view)
        def in_work(*args: Any, **kwargs: Any) -> Any:
            unit = rt.work()
            unit.begin_view(read_only)
            return work.run(unit, lambda: view(*args, **kwargs), read_only=read_only)

        in_work.ccop_permission = name  # type: ignore[attr-defined]
        in_work.ccop_read_only = read_only  # type: ignore[attr-defined]
        return cast(F, in_work)

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
        if name in DECIDED:
            require(duty(DECIDED[name]), "route", request.endpoint)
        return None
    if stage is None:
        flash("Veuillez vous connecter.", "info")
        return redirect(url_for("accounts.login"))
    return redirect(url_for(next_step_endpoint(stage)))


def next_step_endpoint(stage: str) -> str:
    return {"password": "accounts.code", "setup": "accounts.setup", "full": "charter.home"}[stage]
