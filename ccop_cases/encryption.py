"""The app's one bridge to ``crypto/``: key material, the TOTP secret, field values of a unit.

Encrypted columns are binary and named ``<field>_enc``; plaintext is never a mapped
attribute. Everything that encrypts or decrypts a stored value goes through here, so the
associated data (table, column, row id) is built the same way everywhere.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from ccop_cases.settings import SettingsError
from crypto import BlindIndex, Context, DataKey, DecryptionError, FileKeyProvider, KeyProvider, KeyStoreError
from crypto.blindindex import normalise_name

# The key provider that rotates its own versions (``ccop keys rotate``); an HSM's does not.
RotatableKeys = FileKeyProvider

__all__ = [
    "BlindIndex",
    "DataKey",
    "DecryptionError",
    "KeyProvider",
    "RotatableKeys",
    "init_key_dir",
    "normalise_name",
    "open_keys",
    "open_text",
    "seal_text",
]


def init_key_dir(key_dir: Path, *, development: bool = False) -> None:
    """Create the key directory of a new deployment; refuse to overwrite one.

    ``development`` allows ``instance/keys`` inside the checkout (``make run``) — never in
    production, where keys live outside the repository.
    """
    try:
        FileKeyProvider.init(key_dir, allow_in_repository=development)
    except KeyStoreError as exc:
        raise FileExistsError(f"Dossier de clés refusé ({key_dir}) : {exc}. Rien n'a été modifié.") from exc


def open_keys(key_dir: Path) -> KeyProvider:
    """Open the key directory and check its canary; fail closed, never create keys here."""
    if not key_dir.exists():
        raise SettingsError(f"Clés absentes ({key_dir}) : lancez « ccop keys init » "
                            "(elles ne sont jamais créées au démarrage).")
    try:
        return FileKeyProvider.open(key_dir)
    except KeyStoreError as exc:
        raise SettingsError(f"Clés illisibles ou incohérentes dans {key_dir} : {exc}") from exc


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
