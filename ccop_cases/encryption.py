"""The app's one bridge to ``crypto/``: key material, the TOTP secret, field values of a unit.

Encrypted columns are binary and named ``<field>_enc``; plaintext is never a mapped
attribute. Everything that encrypts or decrypts a stored value goes through here, so the
associated data (table, column, row id) is built the same way everywhere.
"""

from __future__ import annotations

import os
import uuid
from typing import Any

from ccop_cases.settings import Settings, SettingsError
from crypto import (
    BlindIndex,
    Context,
    DataKey,
    DecryptionError,
    FileKeyProvider,
    KeyProvider,
    KeyStoreError,
    ManagedKeyProvider,
)
from crypto.blindindex import normalise_name
from crypto.epochs import add_months as epoch_add
from crypto.epochs import epoch_of
from crypto.epochs import span as epoch_span

__all__ = [
    "BlindIndex",
    "DataKey",
    "DecryptionError",
    "KeyProvider",
    "KeyStoreError",
    "ManagedKeyProvider",
    "epoch_add",
    "epoch_of",
    "epoch_span",
    "init_keys",
    "normalise_name",
    "open_keys",
    "open_text",
    "seal_text",
]


def _pin(settings: Settings) -> str:
    """The token's PIN, read from its file (0600 or 0400, owner only): never an environment value."""
    path = settings.pkcs11_pin_file
    try:
        mode = os.stat(path).st_mode
        if mode & 0o077:
            raise SettingsError(f"CCOP_PKCS11_PIN_FILE ({path}) est lisible par d’autres que son propriétaire : "
                                "chmod 600.")
        with open(path, encoding="utf-8") as handle:
            pin = handle.readline().strip()
    except OSError as exc:
        raise SettingsError(f"CCOP_PKCS11_PIN_FILE ({path}) illisible : {exc.strerror}.") from exc
    if not pin:
        raise SettingsError(f"CCOP_PKCS11_PIN_FILE ({path}) est vide.")
    return pin


def where(settings: Settings) -> str:
    """The key store, in words for an operator (no secret)."""
    if settings.key_provider == "pkcs11":
        return f"jeton PKCS#11 « {settings.pkcs11_token} » ({settings.pkcs11_module})"
    return f"dossier {settings.key_dir}"


def init_keys(settings: Settings, epoch: str) -> ManagedKeyProvider:
    """Create the keys of a new deployment (KEK, purpose-key root, the epoch ratchet at
    ``epoch``); refuse to overwrite existing ones. In development ``instance/keys`` inside the
    checkout is allowed (``make run``) — never in production, where keys live outside it."""
    try:
        if settings.key_provider == "pkcs11":
            from crypto.pkcs11store import Pkcs11KeyProvider  # only where a token is configured

            return Pkcs11KeyProvider.init(settings.pkcs11_module, settings.pkcs11_token, _pin(settings), epoch=epoch)
        return FileKeyProvider.init(settings.key_dir, allow_in_repository=settings.env == "development", epoch=epoch)
    except KeyStoreError as exc:
        raise FileExistsError(f"Clés refusées ({where(settings)}) : {exc}. Rien n'a été modifié.") from exc


def open_keys(settings: Settings) -> ManagedKeyProvider:
    """Open the configured key store and check it; fail closed, never create keys here."""
    if settings.key_provider == "file" and not settings.key_dir.exists():
        raise SettingsError(f"Clés absentes ({settings.key_dir}) : lancez « ccop keys init » "
                            "(elles ne sont jamais créées au démarrage).")
    try:
        if settings.key_provider == "pkcs11":
            from crypto.pkcs11store import Pkcs11KeyProvider

            return Pkcs11KeyProvider.open(settings.pkcs11_module, settings.pkcs11_token, _pin(settings))
        return FileKeyProvider.open(settings.key_dir)
    except KeyStoreError as exc:
        raise SettingsError(f"Clés illisibles ou incohérentes ({where(settings)}) : {exc}") from exc


def _context(column: Any, row_id: uuid.UUID) -> Context:
    """The associated data of a stored value: the table and column of the mapped attribute it
    is stored in (``Case.note_enc``) and its row id; no call site spells them."""
    mapped = column.property.columns[0]
    return Context(mapped.table.name, mapped.name, row_id)


def seal_text(key: DataKey, value: str, *, column: Any, row_id: uuid.UUID) -> bytes:
    """Encrypt ``value`` for ``column`` (a mapped ``*_enc`` attribute) of row ``row_id``."""
    return key.encrypt(value.encode("utf-8"), context=_context(column, row_id))


def open_text(key: DataKey, value: bytes, *, column: Any, row_id: uuid.UUID) -> str:
    """Decrypt a stored value; raise DecryptionError (never a fallback, never a re-save)."""
    return key.decrypt(value, context=_context(column, row_id)).decode("utf-8")
