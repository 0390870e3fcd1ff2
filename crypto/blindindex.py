"""Blind index for exact search by last name, first given name and birth date."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import unicodedata
from typing import Final

from crypto.datakey import DataKey
from crypto.packing import RowId, id_text, pack

_LABEL: Final = b"ccop-cases/blind-index/v1"
_GIVEN_NAME_SEPARATORS: Final = re.compile(r"[\s,]+")
_LIGATURES: Final = str.maketrans({"œ": "oe", "æ": "ae"})
MAX_BITS: Final = 32


def normalise_name(text: str) -> str:
    """Return the search form of a name.

    NFKC, casefold, accents stripped (NFD then drop combining marks), œ→oe and æ→ae,
    every character that is not a letter or digit (hyphens, apostrophes including
    ’, dots, commas, other spaces) turned into a space, spaces collapsed and stripped:
    "N’Diaye", "N'Diaye" and "N DIAYE" all give "n diaye".
    """
    folded = unicodedata.normalize("NFKC", text).casefold()
    decomposed = unicodedata.normalize("NFD", folded)
    bare = "".join(c for c in decomposed if not unicodedata.category(c).startswith("M"))
    spaced = "".join(c if c.isalnum() else " " for c in bare.translate(_LIGATURES))
    return " ".join(spaced.split())


def first_given_name(given_names: str) -> str:
    """Return the search form of the first given name.

    Given names are split on whitespace and commas *before* hyphens become spaces, so
    a compound first name stays whole: "Jean-Pierre Marie" gives "jean pierre", while
    "Jean Pierre Marie" gives "jean".
    """
    for token in _GIVEN_NAME_SEPARATORS.split(unicodedata.normalize("NFKC", given_names)):
        name = normalise_name(token)
        if name:
            return name
    return ""


class BlindIndex:
    """Truncated HMAC-SHA-256 token of an identity, for exact search over encrypted rows.

    Guarantees: spellings that normalise alike (case, accents, œ/æ, hyphens,
    apostrophes, dots, extra spaces in the last name; case and accents in the first
    given name) give the same token; the token is an int in `[0, 2**bits)`, computed
    under a key used only for this index and bound to `scope` when one is given. With
    the default 8 bits a token matches about 1/256 of all units, so it does not single
    out a person: callers must decrypt the candidates and keep only those whose
    `normalise(...)` equals the query's.

    Does not: match phonetic variants or typos; hide that two rows with different
    tokens are different people; stay unlinkable across scopes that share a scope id.
    """

    __slots__ = ("_bits", "_key", "_scope")

    def __init__(self, key: DataKey, *, bits: int = 8, scope: RowId | None = None) -> None:
        if not isinstance(bits, int) or isinstance(bits, bool) or not 1 <= bits <= MAX_BITS:
            raise ValueError(f"bits must be an integer from 1 to {MAX_BITS}")
        self._key = key
        self._bits = bits
        self._scope = b"" if scope is None else id_text(scope)

    @property
    def bits(self) -> int:
        """How many bits of the HMAC the token keeps."""
        return self._bits

    @staticmethod
    def normalise(last_name: str, given_names: str, birth_date: dt.date) -> tuple[str, str, str]:
        """Return (last name, first given name, ISO birth date) in search form."""
        if isinstance(birth_date, dt.datetime) or not isinstance(birth_date, dt.date):
            raise TypeError("birth_date must be a datetime.date")
        return normalise_name(last_name), first_given_name(given_names), birth_date.isoformat()

    def token(self, last_name: str, given_names: str, birth_date: dt.date) -> int:
        """Return the index token of an identity (store it; search with it)."""
        fields = self.normalise(last_name, given_names, birth_date)
        message = pack(_LABEL, self._scope, *(field.encode("utf-8") for field in fields))
        digest = hmac.new(self._key.secret_bytes(), message, hashlib.sha256).digest()
        return int.from_bytes(digest[:4], "big") >> (MAX_BITS - self._bits)

    def __repr__(self) -> str:
        return f"BlindIndex(key_id={self._key.key_id}, bits={self._bits})"
