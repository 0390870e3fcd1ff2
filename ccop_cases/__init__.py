"""ccop-cases: follow-up of individual situations for a CCOP, under its ethics charter."""

from __future__ import annotations

import time
import uuid

import structlog
from flask import Flask, current_app, g, request
from flask_login import LoginManager
from flask_wtf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response

from ccop_cases import logs
from ccop_cases.access import permissions
from ccop_cases.cases.models import awaits_follow_up, is_open
from ccop_cases.db import Database, refuse_unguarded_trail
from ccop_cases.encryption import open_keys
from ccop_cases.security import inputs, passwords
from ccop_cases.settings import Settings
from ccop_cases.web import errors, headers, sessions, summary, timefmt
from ccop_cases.web.runtime import Runtime, close_db

MAX_BODY_BYTES = 1024 * 1024


def create_app(settings: Settings | None = None) -> Flask:
    """Build the application in visible steps; never creates tables (use ``ccop db upgrade``)."""
    settings = settings or Settings.from_env()
    logs.configure(settings.log_format)
    app = Flask(__name__, instance_path=str(settings.instance_dir))
    keys = open_keys(settings)
    if settings.env == "production":
        refuse_unguarded_trail(settings.database_url)  # the service's role must not own the trail (R13)
    hasher = passwords.make_hasher(cheap=settings.is_test)
    passwords.dummy_hash(hasher)  # computed now, so no login pays for it (timing, DESIGN §7)
    app.extensions["ccop"] = Runtime(settings=settings, database=Database(settings.database_url), keys=keys,
                                     hasher=hasher)
    _configure_flask(app, settings, keys.purpose_key("session").secret_bytes())
    _register_hooks(app)
    _register_blueprints(app)
    errors.register(app)
    summary.register(app)  # the error summary atop every refused form
    if settings.proxy_hops:
        # Trust X-Forwarded-Proto/For/Host from exactly this many proxies (HTTPS detection, HSTS).
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.proxy_hops, x_proto=settings.proxy_hops,  # type: ignore[method-assign]
                                x_host=settings.proxy_hops)
    app.jinja_env.globals.update(is_open=is_open, awaits_follow_up=awaits_follow_up)  # the cases' vocabulary
    app.jinja_env.filters["paris"] = timefmt.paris  # every moment shown in Paris time, labelled
    app.jinja_env.filters["paris_until"] = timefmt.paris_until
    app.jinja_env.globals["session_idle_minutes"] = settings.session_idle_minutes  # static/session.js
    app.jinja_env.filters["dict_without_page"] = lambda args: {k: v for k, v in args.items() if k != "page"}
    return app


def _configure_flask(app: Flask, settings: Settings, secret: bytes) -> None:
    app.config.update(
        SECRET_KEY=secret,
        TESTING=settings.is_test,
        MAX_CONTENT_LENGTH=MAX_BODY_BYTES,
        SESSION_COOKIE_NAME="__Host-ccop" if settings.secure_cookies else "ccop",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the server-side session
        WTF_CSRF_SSL_STRICT=settings.secure_cookies,
        WTF_CSRF_CHECK_DEFAULT=False,  # checked by our hook chain, in a fixed order
    )
    app.extensions["ccop.csrf"] = CSRFProtect(app)
    login_manager = LoginManager(app)
    login_manager.request_loader(sessions.request_loader)


def _register_hooks(app: Flask) -> None:
    # Order matters: the input guard reads the raw body first; CSRF comes before any
    # session work or redirect, so no state-changing request gets past it.
    app.before_request(_bind_request_id)
    app.before_request(inputs.guard)
    app.before_request(_check_csrf)
    app.before_request(sessions.load_current)
    app.before_request(permissions.enforce)
    app.after_request(headers.apply)
    app.after_request(_log_request)
    app.teardown_appcontext(close_db)
    app.view_functions["static"] = permissions.permission("public")(app.view_functions["static"])


def _register_blueprints(app: Flask) -> None:
    from ccop_cases.accounts.views import bp as accounts
    from ccop_cases.cases.views import bp as cases
    from ccop_cases.charter.console import bp as console
    from ccop_cases.charter.views import bp as charter
    from ccop_cases.meetings.views import bp as meetings
    from ccop_cases.oversight.views import bp as oversight
    from ccop_cases.plans.views import bp as plans
    from ccop_cases.reports.views import bp as reports
    from ccop_cases.rights.views import bp as rights

    for blueprint in (accounts, cases, charter, console, meetings, oversight, plans, reports, rights):
        app.register_blueprint(blueprint)
    # The idle warning's « Rester connecté » (a POST with the CSRF token, signed-in people only).
    app.add_url_rule("/session/rester-connecte", "keep_alive",
                     permissions.permission("authenticated")(sessions.keep_alive), methods=["POST"])


def _check_csrf() -> None:
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        csrf: CSRFProtect = current_app.extensions["ccop.csrf"]
        csrf.protect()


def _bind_request_id() -> None:
    g.request_id = uuid.uuid4().hex
    g.started = time.perf_counter()
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(request_id=g.request_id)


def _log_request(response: Response) -> Response:
    response.headers["X-Request-ID"] = g.get("request_id", "")
    elapsed = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
    # Method, endpoint and status only: never the query string, form values or cookies.
    logs.get_logger().info("request", method=request.method, endpoint=request.endpoint,
                           status=response.status_code, ms=round(elapsed, 1))
    return response
