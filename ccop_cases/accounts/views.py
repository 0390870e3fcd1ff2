"""Login in two steps, first-login setup (password change, TOTP enrolment), the person's own
account page, logout."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from werkzeug.exceptions import HTTPException
from werkzeug.routing import BuildError
from werkzeug.wrappers import Response

from ccop_cases.access.permissions import next_step_endpoint, permission
from ccop_cases.accounts import services
from ccop_cases.accounts.forms import CodeForm, EnrolForm, LoginForm, PasswordChangeForm, ProfileForm
from ccop_cases.logs import get_logger
from ccop_cases.security import otp, passwords
from ccop_cases.web import runtime as rt
from ccop_cases.web import sessions
from ccop_cases.web.refusals import refused

bp = Blueprint("accounts", __name__)

REFUSALS = {
    "invalid": "Identifiant, mot de passe ou code incorrect.",
    "slowed": "Trop de tentatives : patientez quelques minutes avant de réessayer.",
    "locked": "Accès bloqué après trop de tentatives. Demandez à l'administrateur de le débloquer.",
}

Page = str | tuple[str, int] | Response


def _refused(exc: services.LoginRefused, template: str, form: object) -> tuple[str, int]:
    """The step failed; the failure counter and its audit entry are kept (the view returns: committed)."""
    get_logger().info("login_refused", kind=exc.kind)
    flash(REFUSALS[exc.kind], "error")
    return render_template(template, form=form), 400 if exc.kind == "invalid" else 429


@bp.route("/connexion", methods=["GET", "POST"])
@permission("public")
def login() -> Page:
    """Log in, step 1: username and password."""
    if g.web_session is not None:
        return redirect(url_for(next_step_endpoint(g.web_session.stage)))
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("accounts/login.html", form=form), 400 if form.errors else 200
    try:
        person = services.check_password(rt.work(), form.username.data or "", form.password.data or "")
    except services.LoginRefused as exc:
        return _refused(exc, "accounts/login.html", form)
    stage = "setup" if person.must_change_password or not person.is_enrolled else "password"
    sessions.begin(person, stage)
    return redirect(url_for(next_step_endpoint(stage)))


@bp.route("/connexion/code", methods=["GET", "POST"])
@permission("login_code")
def code() -> Page:
    """Log in, step 2: TOTP code or a recovery code."""
    form = CodeForm()
    if not form.validate_on_submit():
        return render_template("accounts/code.html", form=form), 400 if form.errors else 200
    db, person = rt.db(), g.person
    try:
        used = services.check_second_factor(rt.work(), person, form.code.data or "")
    except services.LoginRefused as exc:
        if exc.kind == "locked":
            sessions.finish("locked")
        return _refused(exc, "accounts/code.html", form)
    sessions.advance("full")
    if used == "recovery":
        left = services.remaining_recovery_codes(db, person)
        flash(f"Code de secours utilisé : il vous en reste {left}.", "warning")
    return redirect(url_for("charter.home"))


@bp.route("/compte/configuration")
@permission("setup")
def setup() -> Response:
    """Send a first-login person to the next setup step."""
    if g.person.must_change_password:
        return redirect(url_for("accounts.password"))
    return redirect(url_for("accounts.enrol"))


@bp.route("/compte/mot-de-passe", methods=["GET", "POST"])
@permission("signed_in")
def password() -> Page:
    """Choose a new password (forced at first login)."""
    form = PasswordChangeForm()
    if not form.validate_on_submit():
        return render_template("accounts/password.html", form=form), 400 if form.errors else 200
    person = g.person
    if g.web_session.stage == "full" and not passwords.verify(rt.runtime().hasher, person.password_hash,
                                                             form.current.data or ""):
        form.current.errors = ["Mot de passe actuel incorrect."]  # a stolen session alone cannot change it
        return render_template("accounts/password.html", form=form), 400
    problems = services.change_password(rt.work(), person, form.password.data or "")
    if problems:
        form.password.errors = problems
        return render_template("accounts/password.html", form=form), 400
    if g.web_session.stage == "full":
        services.end_all_sessions(rt.work(), person.id, "password_changed")
        sessions.begin(person, "full")
    flash("Votre mot de passe a été modifié.", "success")
    return redirect(url_for("accounts.setup" if g.web_session.stage == "setup" else "charter.home"))


@bp.route("/compte/double-authentification", methods=["GET", "POST"])
@permission("setup")
def enrol() -> Page:
    """Enrol an authenticator app (TOTP); the recovery codes are shown once."""
    person = g.person
    if person.must_change_password:
        return redirect(url_for("accounts.password"))
    secret = services.pending_totp_secret(rt.work(), person)  # kept even if the code is wrong
    form = EnrolForm()
    if form.validate_on_submit():
        try:
            codes = services.confirm_enrolment(rt.work(), person, form.code.data or "")
        except services.LoginRefused:
            form.code.errors = ["Code incorrect : vérifiez l'heure de votre téléphone et réessayez."]
        else:
            sessions.advance("full")
            return render_template("accounts/recovery_codes.html", codes=codes)
    uri = otp.provisioning_uri(secret, person.username, rt.runtime().settings.totp_issuer)
    return render_template("accounts/enrol.html", form=form, qr=otp.qr_data_uri(uri),
                           secret=secret), 400 if form.errors else 200


def _suite() -> str:
    """Where the code leads: a page of this app named by its endpoint, never an outside address,
    with the ids its address takes read from the query string (a rights request's page, say);
    the home page when it is unknown, takes no GET, or an id does not fit its address."""
    suite = request.args.get("suite", "charter.home")
    try:
        rule = next(current_app.url_map.iter_rules(suite))
        ids: dict[str, Any] = {name: request.args[name] for name in rule.arguments}
        target = url_for(suite, **ids)
        adapter = current_app.url_map.bind_to_environ(request.environ)
        endpoint, _ = adapter.match(target.removeprefix(request.script_root), method="GET")
    except (KeyError, BuildError, HTTPException):  # an unknown endpoint or id; a POST-only page
        return url_for("charter.home")
    return target if endpoint == suite else url_for("charter.home")


@bp.route("/compte/confirmer", methods=["GET", "POST"])
@permission("authenticated")
def reauth() -> Page:
    """Enter a code again before a sensitive page (oversight, signing, exclusion…)."""
    target = _suite()
    form = CodeForm()
    if not form.validate_on_submit():
        return render_template("accounts/reauth.html", form=form), 400 if form.errors else 200
    try:
        services.reauthenticate(rt.work(), g.person, g.web_session, form.code.data or "")
    except services.LoginRefused as exc:
        return _refused(exc, "accounts/reauth.html", form)
    return redirect(target)


@bp.route("/compte", methods=["GET", "POST"])
@permission("authenticated")
def account() -> Page:
    """« Mon compte »: the name and function the person is shown under, their e-mail address
    and their choice of reminders."""
    person = g.person
    form = ProfileForm(obj=None if request.method == "POST" else person)
    if form.validate_on_submit():
        try:
            changed = services.update_profile(rt.work(), person, display_name=form.display_name.data,
                                              function=form.function.data, email=form.email.data,
                                              reminders=form.reminders.data)
        except services.AccountError as exc:
            refused(exc, "person", person.id, form)
        else:
            flash("Vos informations ont été enregistrées." if changed else "Aucune modification.", "success")
            return redirect(url_for("accounts.account"))
    return render_template("accounts/account.html", form=form, person=person), 400 if form.errors else 200


@bp.route("/deconnexion", methods=["POST"])
@permission("session")
def logout() -> Response:
    """End the current session."""
    sessions.finish("logout")  # the CSRF token was checked globally before this view
    flash("Vous êtes déconnecté.", "info")
    return redirect(url_for("accounts.login"))
