"""Unambiguous encodings shared by the associated data, the wrap AD and the blind index."""

from __future__ import annotations

import re
import uuid
from typing import Final

# Ids bound into associated data are opaque row keys (UUIDs, integers): a narrow
# alphabet keeps a name or other personal data from being passed by mistake (DESIGN §5).
_ID_PATTERN: Final = re.compile(r"[A-Za-z0-9_.:-]{1,128}")
_FIELD_LIMIT: Final = 2**32 - 1

RowId = uuid.UUID | int | str
"""A row or unit id: a UUID (preferred), an integer, or an opaque ASCII id string."""


def pack(*fields: bytes) -> bytes:
    """Concatenate fields, each preceded by its length as 4 big-endian bytes.

    Length prefixes make the encoding injective: ("ab", "c") and ("a", "bc") differ,
    which a plain separator would not guarantee.
    """
    parts: list[bytes] = []
    for field in fields:
        if len(field) > _FIELD_LIMIT:
            raise ValueError("field too long to pack")
        parts += (len(field).to_bytes(4, "big"), field)
    return b"".join(parts)


def id_text(value: RowId) -> bytes:
    """Return the canonical ASCII bytes of a row or unit id, or raise ValueError.

    A UUID and its lowercase hyphenated string give the same bytes (same row).
    """
    if isinstance(value, uuid.UUID):
        return str(value).encode("ascii")  # always 36 characters from [0-9a-f-]
    if isinstance(value, bool):
        raise ValueError("an id must be a UUID, an int or an id string")
    if isinstance(value, int):
        text = str(value)
    elif isinstance(value, str):
        text = value
    else:
        raise ValueError("an id must be a UUID, an int or an id string")
    if not _ID_PATTERN.fullmatch(text):
        raise ValueError("an id must be 1-128 characters from [A-Za-z0-9_.:-]")
    return text.encode("ascii")
