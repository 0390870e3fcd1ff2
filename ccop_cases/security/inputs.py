"""Refuse malformed input before any view sees it: wrong content type, non-UTF-8, null bytes,
over-long values. The answer is a French 400 page; nothing is stored and nothing of the input
is logged. Other control characters are refused field by field by the forms (``clean``), so
the person sees which field to correct."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Collection
from typing import Any
from urllib.parse import parse_qsl

from flask import request
from werkzeug.exceptions import BadRequest
from wtforms.validators import ValidationError

MAX_VALUE_CHARS = 100_000  # a charter's full text fits; forms set tighter limits per field
MAX_FIELDS = 200
MAX_PAGE = 100_000  # far past any list's last page; keeps every OFFSET within the databases' integers
FORM_TYPES = ("application/x-www-form-urlencoded",)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CONTROL_IN_LINE = re.compile(r"[\x00-\x1f\x7f]")
_DIGITS = re.compile(r"[0-9]{1,6}")  # ASCII only: int() would also take other scripts' digits
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


class BadInput(BadRequest):
    french = True
    description = "La requête contient des données invalides (format, longueur ou caractères)."


def _check_pairs(raw: bytes) -> None:
    try:
        pairs = parse_qsl(raw.decode("ascii"), keep_blank_values=True, encoding="utf-8",
                          errors="strict", max_num_fields=MAX_FIELDS)
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadInput() from exc
    for key, value in pairs:
        for text in (key, value):
            if len(text) > MAX_VALUE_CHARS or "\x00" in text:
                raise BadInput()


class BadPage(BadInput):
    description = ("Numéro de page invalide : indiquez un nombre entier de 1 à 100 000, ou suivez les liens "
                   "« Page précédente » et « Page suivante ».")


def page_number() -> int:
    """The ``page`` query parameter of every paginated list: 1 when absent, a French 400
    when it is not a whole number from 1 to MAX_PAGE (never a database error)."""
    raw = request.args.get("page")
    if raw is None:
        return 1
    if not _DIGITS.fullmatch(raw) or not 1 <= int(raw) <= MAX_PAGE:
        raise BadPage()
    return int(raw)


class BadFilter(BadInput):
    """A sort key, filter code or id of a list's query string that the list does not offer."""

    def __init__(self, name: str) -> None:
        super().__init__(f"Tri ou filtre invalide (« {name} ») : choisissez une valeur proposée par le "
                         "formulaire de la liste, puis « Filtrer ».")


def _one(name: str) -> str:
    """The query parameter ``name`` ('' when absent); given twice, it is refused."""
    values = request.args.getlist(name)
    if len(values) > 1:
        raise BadFilter(name)
    return values[0] if values else ""


def query_code(name: str, allowed: Collection[str]) -> str:
    """A code of a closed list in the query string: '' when absent or empty, a French 400 when
    it is not one of ``allowed`` (a forged code is never silently ignored)."""
    value = _one(name)
    if value and value not in allowed:
        raise BadFilter(name)
    return value


def query_flag(name: str) -> bool:
    """A yes/no filter of the query string: absent, '' or '0' is no, '1' is yes; else a French 400."""
    value = _one(name)
    if value not in ("", "0", "1"):
        raise BadFilter(name)
    return value == "1"


def query_id(name: str, allowed: Collection[uuid.UUID]) -> uuid.UUID | None:
    """An id of the query string, chosen from a list: None when absent or empty, a French 400
    when it is not an id of ``allowed``."""
    value = _one(name)
    if not value:
        return None
    if not _UUID.fullmatch(value) or uuid.UUID(value) not in allowed:
        raise BadFilter(name)
    return uuid.UUID(value)


def guard() -> None:
    """before_request hook, run before anything reads the request."""
    _check_pairs(request.query_string)
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    if request.mimetype not in FORM_TYPES:
        raise BadInput()
    _check_pairs(request.get_data(cache=True))


def clean(multiline: bool = False) -> Callable[[Any, Any], None]:
    """WTForms validator: refuse control characters (newlines only where ``multiline``)."""
    pattern = _CONTROL if multiline else _CONTROL_IN_LINE

    def check(_form: Any, field: Any) -> None:
        if isinstance(field.data, str) and pattern.search(field.data):
            raise ValidationError("Caractères de contrôle interdits : retapez le texte sans copier-coller "
                                  "de caractères invisibles.")

    return check
