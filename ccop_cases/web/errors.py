"""Error pages in French, without stack traces; unexpected errors are logged by place, not content."""

from __future__ import annotations

import traceback
from pathlib import Path

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from ccop_cases.encryption import DecryptionError
from ccop_cases.logs import get_logger
from ccop_cases.web import runtime as rt

MESSAGES = {
    400: ("Requête invalide", "La requête n'a pas pu être traitée : vérifiez les données saisies."),
    403: ("Accès refusé", "Vous n'avez pas accès à cette page."),
    404: ("Page introuvable", "Cette page n'existe pas ou n'est pas accessible avec votre compte."),
    405: ("Méthode non autorisée", "Cette action n'est pas possible de cette façon."),
    # The same words whatever the reason: the end of its retention (R10, R19) or the person's request (R12).
    410: ("Situation effacée", "Cette situation a été effacée, à l’issue de sa durée de conservation (R10, R19) "
                               "ou à la demande de la personne (R12) : ses données d’identité et sa clé de "
                               "chiffrement n’existent plus. Seule sa référence demeure."),
    413: ("Envoi trop volumineux", "Les données envoyées dépassent la taille autorisée."),
    429: ("Trop de requêtes", "Patientez quelques instants avant de réessayer."),
    500: ("Erreur interne", "Une erreur est survenue. Elle a été enregistrée ; réessayez plus tard."),
}


ROOT = Path(__file__).resolve().parents[2]  # holds ccop_cases/, crypto/ and audit/
OWN_PACKAGES = ("ccop_cases", "crypto", "audit")


def _place(frame: traceback.FrameSummary) -> str:
    """``path:line:function``, the path relative to the repository or to site-packages."""
    path = Path(frame.filename)
    parts = path.parts
    if "site-packages" in parts:
        path = Path(*parts[parts.index("site-packages") + 1:])
    elif path.is_relative_to(ROOT):
        path = path.relative_to(ROOT)
    return f"{path}:{frame.lineno}:{frame.name}"


def code_places(exc: BaseException) -> tuple[list[str], str]:
    """The application's own frames of the traceback (outermost first) and the place the
    exception was raised (often deep in a library): where to look, and nothing of the values."""
    stack = traceback.extract_tb(exc.__traceback__)
    return [_place(f) for f in stack if _own(f)], _place(stack[-1]) if stack else ""


def _own(frame: traceback.FrameSummary) -> bool:
    path = Path(frame.filename).resolve()
    return path.is_relative_to(ROOT) and path.relative_to(ROOT).parts[0] in OWN_PACKAGES


def render_error(code: int, detail: str | None = None, **ways_out: object) -> tuple[str, int]:
    """The French page of an error; ``ways_out``: a refusal's ``contact`` (name, function, what
    to ask them) and ``remedy`` (a link, label), a purged case's ``reference`` (R10)."""
    title, message = MESSAGES.get(code, MESSAGES[500] if code >= 500 else MESSAGES[400])
    return render_template("errors/error.html", code=code, title=title,
                           message=detail or message, **ways_out), code


# What an error raised by the access loaders carries for its page (see ``render_error``).
WAYS_OUT = ("contact", "remedy", "reference")


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(_exc: CSRFError) -> tuple[str, int]:
        return render_error(400, "Le formulaire a expiré ou n'est pas valide. "
                                 "Rechargez la page et recommencez.")

    @app.errorhandler(DecryptionError)
    def unreadable(_exc: DecryptionError) -> tuple[str, int]:
        # Ids only. The request's work is rolled back (nothing re-saved); the integrity
        # failure is audited in a transaction of its own.
        get_logger().error("decryption_failed", endpoint=request.endpoint)
        rt.work().unreadable("endpoint", request.endpoint or "")
        return render_error(500, "Cet enregistrement ne peut pas être lu : ses données chiffrées "
                                 "sont altérées ou la clé manque. L’incident est enregistré ; "
                                 "prévenez l’administrateur. Rien n’a été modifié.")

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> tuple[str, int]:
        code = exc.code or 500
        # Our own French descriptions are kept; Werkzeug's English ones are replaced.
        detail = exc.description if getattr(exc, "french", False) else None
        return render_error(code, detail, **{name: getattr(exc, name, None) for name in WAYS_OUT})

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> tuple[str, int]:
        if isinstance(exc, HTTPException):
            return http_error(exc)
        # The type and the code locations, never the message nor any value: they may hold
        # submitted or decrypted data. The app's own frames say which of our calls failed,
        # ``raised_at`` where (often a library frame).
        app_frames, raised_at = code_places(exc)
        get_logger().error("unhandled_error", error_type=type(exc).__name__, app_frames=app_frames,
                           raised_at=raised_at)
        return render_error(InternalServerError.code)
