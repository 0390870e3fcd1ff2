"""Refuse malformed input before any view sees it: wrong content type, non-UTF-8, null bytes,
control characters, over-long values. The answer is a French 400 page; nothing is stored and
nothing of the input is logged."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

from flask import request
from werkzeug.exceptions import BadRequest

MAX_VALUE_CHARS = 20_000
MAX_FIELDS = 200
FORM_TYPES = ("application/x-www-form-urlencoded",)
_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


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
            if len(text) > MAX_VALUE_CHARS or _FORBIDDEN.search(text):
                raise BadInput()


def guard() -> None:
    """before_request hook, run before anything reads the request."""
    _check_pairs(request.query_string)
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    if request.mimetype not in FORM_TYPES:
        raise BadInput()
    _check_pairs(request.get_data(cache=True))
