"""Per-unit data keys (DEKs): field encryption and envelope wrapping."""

from __future__ import annotations

import functools
import os
import re
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final, NoReturn

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from crypto._nonce import NONCE_SIZE, new_nonce
from crypto.epochs import check_epoch
from crypto.errors import DecryptionError
from crypto.packing import RowId, id_text, pack
from crypto.padding import SMALL_BUCKET, pad, unpad

if TYPE_CHECKING:
    from crypto.provider import KeyProvider

SUITE_AES256GCM_V1: Final = 0x01
"""Suite byte of a field value: AES-256-GCM, 0x80 padding, AD layout v1 (FORMAT.md)."""
WRAP_FORMAT_V1: Final = 0x01
"""First byte of a wrapped DEK record bound to no epoch (FORMAT.md)."""
WRAP_FORMAT_V2: Final = 0x02
"""First byte of a wrapped DEK record bound to a retention epoch (FORMAT.md)."""

KEY_SIZE: Final = 32
KEY_ID_SIZE: Final = 16
TAG_SIZE: Final = 16
_HEADER_SIZE: Final = 1 + KEY_ID_SIZE
_MIN_VALUE_SIZE: Final = _HEADER_SIZE + NONCE_SIZE + SMALL_BUCKET + TAG_SIZE
_FIELD_LABEL: Final = b"ccop-cases/field/v1"
_WRAP_LABELS: Final = {WRAP_FORMAT_V1: b"ccop-cases/dek-wrap/v1", WRAP_FORMAT_V2: b"ccop-cases/dek-wrap/v2"}
_IDENTIFIER: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")


@dataclass(frozen=True, slots=True)
class Context:
    """Where a value is stored: table, column and row id.

    Guarantees: the three are bound into the value's associated data, so a value
    copied to another row, column or table fails to decrypt. Construction refuses
    table/column names that are not SQL-style identifiers and row ids outside
    `[A-Za-z0-9_.:-]{1,128}`, which keeps names and other personal data out.

    Does not: hide these names (associated data is authenticated, not encrypted),
    or stop a caller from choosing a row id that is itself meaningful.
    """

    table: str
    column: str
    row_id: RowId
    _packed: bytes = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Packed once here: every encrypt/decrypt at this context reuses the bytes.
        packed = _table_column(self.table, self.column) + pack(id_text(self.row_id))
        object.__setattr__(self, "_packed", packed)


@functools.lru_cache(maxsize=512)
def _table_column(table: str, column: str) -> bytes:
    # A schema has few (table, column) pairs: validate and pack each pair once.
    for name in (table, column):
        if not isinstance(name, str) or not _IDENTIFIER.fullmatch(name):
            raise ValueError("table and column must be identifiers like 'case_person'")
    return pack(table.encode("ascii"), column.encode("ascii"))


def _wrap_format(epoch: str | None) -> int:
    if epoch is None:
        return WRAP_FORMAT_V1
    check_epoch(epoch)
    return WRAP_FORMAT_V2


def _wrap_ad(key_id: uuid.UUID, unit_id: RowId, epoch: str | None) -> bytes:
    version = _wrap_format(epoch)
    fields = [_WRAP_LABELS[version], bytes([version]), key_id.bytes, id_text(unit_id)]
    if epoch is not None:
        fields.append(epoch.encode("ascii"))
    return pack(*fields)


def _fail() -> NoReturn:
    raise DecryptionError from None


class DataKey:
    """A 256-bit AES-GCM key with a 16-byte id: a unit's DEK or a purpose key.

    Guarantees: `encrypt` pads the plaintext to a bucket, draws a fresh random 96-bit
    nonce and binds suite, key id and `context`; `decrypt` returns exactly the bytes
    given to `encrypt` for the same context, or raises `DecryptionError`. `wrap` /
    `unwrap` / `rewrap` bind the wrapped key to its retention unit. `repr()` shows the
    key id only, and a key refuses to be pickled.

    Does not: hide the key id, the context names or the size bucket of a value; zero
    key bytes in memory (CPython cannot promise it); decide who may decrypt what.
    """

    __slots__ = ("_ad_prefix", "_aead", "_header", "_key_id", "_secret")

    def __init__(self, key_id: uuid.UUID, secret: bytes) -> None:
        if not isinstance(key_id, uuid.UUID):
            raise TypeError("key_id must be a uuid.UUID")
        if not isinstance(secret, bytes) or len(secret) != KEY_SIZE:
            raise ValueError("a data key is 32 bytes")
        self._key_id = key_id
        self._secret = secret
        self._aead = AESGCM(secret)
        self._header = bytes([SUITE_AES256GCM_V1]) + key_id.bytes
        # The associated data is pack(label, suite, key id, table, column, row id); the
        # first three fields are fixed per key. Suite and key id are authenticated as
        # well as written in clear, so changing either byte string fails the tag.
        self._ad_prefix = pack(_FIELD_LABEL, self._header[:1], self._header[1:])

    @classmethod
    def generate(cls) -> DataKey:
        """Return a new random key (os.urandom) with a random UUID as its id."""
        return cls(uuid.uuid4(), os.urandom(KEY_SIZE))

    @property
    def key_id(self) -> uuid.UUID:
        """The key's id, written in clear into every value it encrypts."""
        return self._key_id

    def secret_bytes(self) -> bytes:
        """Return the raw 32 key bytes, for an HMAC, an Ed25519 seed or a session signer."""
        return self._secret

    def encrypt(self, plaintext: bytes, *, context: Context) -> bytes:
        """Return `suite | key id | nonce | ciphertext+tag` for `plaintext` at `context`."""
        if not isinstance(plaintext, bytes):
            raise TypeError("plaintext must be bytes")
        nonce = new_nonce()
        sealed = self._aead.encrypt(nonce, pad(plaintext), self._ad_prefix + context._packed)
        return self._header + nonce + sealed

    def decrypt(self, value: bytes, *, context: Context) -> bytes:
        """Return the plaintext of `value` stored at `context`, or raise DecryptionError."""
        if not isinstance(value, bytes | bytearray | memoryview):
            raise TypeError("value must be bytes")
        value = bytes(value)
        if len(value) < _MIN_VALUE_SIZE:
            _fail()
        if value[:_HEADER_SIZE] != self._header:  # wrong suite byte or another key's value
            _fail()
        nonce = value[_HEADER_SIZE : _HEADER_SIZE + NONCE_SIZE]
        try:
            padded = self._aead.decrypt(nonce, value[_HEADER_SIZE + NONCE_SIZE :], self._ad_prefix + context._packed)
        except InvalidTag:
            _fail()
        plaintext = unpad(padded)
        if plaintext is None:
            _fail()
        return plaintext

    def wrap(self, provider: KeyProvider, *, unit_id: RowId, epoch: str | None = None) -> tuple[str, bytes]:
        """Wrap this key under the provider's current KEK, bound to `unit_id`, and with
        `epoch` also under that retention epoch's key (so it opens only while the epoch lives).

        Returns `(kek_id, wrapped)`; store both beside the unit, with the epoch (the KEK id
        is what a rotation selects on, the epoch what the turn of the month checks).
        """
        version = _wrap_format(epoch)
        kek_id, sealed = provider.wrap(self._secret, associated_data=_wrap_ad(self._key_id, unit_id, epoch),
                                       epoch=epoch)
        return kek_id, bytes([version]) + self._key_id.bytes + sealed

    @classmethod
    def unwrap(cls, provider: KeyProvider, kek_id: str, wrapped: bytes, *, unit_id: RowId,
               epoch: str | None = None) -> DataKey:
        """Open a wrapped key of `unit_id` bound to `epoch` (None: to no epoch), or raise
        DecryptionError."""
        wrapped = bytes(wrapped)
        if len(wrapped) <= 1 + KEY_ID_SIZE or wrapped[0] != _wrap_format(epoch):
            _fail()
        key_id = uuid.UUID(bytes=wrapped[1 : 1 + KEY_ID_SIZE])
        secret = provider.unwrap(kek_id, wrapped[1 + KEY_ID_SIZE :], associated_data=_wrap_ad(key_id, unit_id, epoch),
                                 epoch=epoch)
        if len(secret) != KEY_SIZE:
            _fail()
        return cls(key_id, secret)

    @classmethod
    def rewrap(cls, provider: KeyProvider, kek_id: str, wrapped: bytes, *, unit_id: RowId,
               epoch: str | None = None) -> tuple[str, bytes]:
        """Unwrap with the old KEK, wrap with the current one, in the same epoch: same key,
        same ciphertexts (a rotation). To move a key to another epoch, unwrap then wrap.

        Returns the new `(kek_id, wrapped)` to store in place of the old pair.
        """
        return cls.unwrap(provider, kek_id, wrapped, unit_id=unit_id, epoch=epoch).wrap(
            provider, unit_id=unit_id, epoch=epoch)

    def __repr__(self) -> str:
        return f"DataKey(key_id={self._key_id})"

    def __reduce__(self) -> NoReturn:
        # Keys must not end up in caches, sessions or task queues by accident.
        raise TypeError("DataKey objects cannot be pickled")
