"""Retention epochs: calendar months named 'YYYY-MM', and the one-way ratchet between them.

Each epoch has a secret; the next month's secret is a one-way function of this month's,
so a provider that keeps only the earliest live secret can derive every later epoch and
none before it (FORMAT.md, "Retention epochs"). Both functions below are AES-256-CBC with
a zero IV over a fixed 32-byte block pair, keyed by the secret: what a PKCS#11 token
computes inside itself with `CKM_AES_CBC_ENCRYPT_DATA`, so every provider agrees.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Final

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

EPOCH_PATTERN: Final = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")
ZERO_IV: Final = bytes(16)
NEXT_DATA: Final = b"next epoch secret, ccop-cases v1"
"""Encrypted under S(E), gives S(E+1)."""
WRAP_DATA: Final = b"epoch wrap key, ccop-cases v1 .."
"""Encrypted under S(E), gives W(E), the AES-256-GCM key that seals data keys of epoch E."""


def check_epoch(epoch: str) -> str:
    """Return `epoch` when it names a month as 'YYYY-MM', else raise ValueError."""
    if not isinstance(epoch, str) or not EPOCH_PATTERN.fullmatch(epoch):
        raise ValueError(f"an epoch is a month written YYYY-MM, not {epoch!r}")
    return epoch


def epoch_of(day: dt.date) -> str:
    """The epoch (month) a day falls in."""
    return f"{day.year:04d}-{day.month:02d}"


def months_between(start: str, end: str) -> int:
    """How many turns of the month lead from epoch `start` to epoch `end` (negative if before)."""
    (y0, m0), (y1, m1) = (map(int, check_epoch(e).split("-")) for e in (start, end))
    return (y1 - y0) * 12 + (m1 - m0)


def add_months(epoch: str, count: int) -> str:
    """The epoch `count` months after `epoch` (before it when negative)."""
    year, month = map(int, check_epoch(epoch).split("-"))
    index = year * 12 + (month - 1) + count
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _cbc(secret: bytes, data: bytes) -> bytes:
    # Two blocks under the secret as key: a PRF of the key, from which recovering the key
    # is AES key recovery. The two data constants differ in their first block, so W(E) and
    # S(E+1) share no block.
    encryptor = Cipher(algorithms.AES(secret), modes.CBC(ZERO_IV)).encryptor()
    return encryptor.update(data) + encryptor.finalize()


def next_secret(secret: bytes) -> bytes:
    """S(E+1) from S(E): one way, so S(E) cannot be found from it."""
    return _cbc(secret, NEXT_DATA)


def wrap_key(secret: bytes) -> bytes:
    """W(E) from S(E): the key that seals the data keys bound to epoch E."""
    return _cbc(secret, WRAP_DATA)


def span(start: str, stop: str) -> list[str]:
    """The epochs from `start` included to `stop` excluded, in order ([] if `stop` <= `start`)."""
    return [add_months(start, n) for n in range(max(0, months_between(start, stop)))]
