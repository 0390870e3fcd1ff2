"""How an act ends for the person: the one mapping of a domain refusal (``work.DomainError``)
to what they see, and the message and redirect of an act done."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, url_for
from werkzeug.wrappers import Response

from ccop_cases.web import runtime as rt
from ccop_cases.work import DomainError


def refused(exc: DomainError, target_type: str, target_id: object, form: Any = None, *,
            action: str = "access.denied") -> None:
    """Roll the act back and audit it when a rule refused it (``Work.refuse``); then show
    the message on its form field (or at the top of the form, keeping the input for
    correction) or, without a form, as a flash message for the page redirected to."""
    rt.work().refuse(exc.rule, target_type, target_id, action=action)
    target = getattr(form, exc.field, None) if form is not None and exc.field else None
    if target is not None:
        target.errors = [*target.errors, str(exc)]
    elif form is not None:
        form.form_errors.append(str(exc))  # each form template shows these atop the form, once
    else:
        flash(str(exc), "error")


def done(message: str, endpoint: str, **values: Any) -> Response:
    """Flash the act's success message and redirect to ``endpoint`` (POST, then GET)."""
    flash(message, "success")
    return redirect(url_for(endpoint, **values))
