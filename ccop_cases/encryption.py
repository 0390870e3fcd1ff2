"""Bridge between the app and its key material.

Interim implementation for the accounts foundation: one random root key in the key
directory, purpose keys derived from it with HKDF (RFC 5869) under distinct labels, and
AES-256-GCM for the TOTP secret. The ``crypto/`` library takes this over.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ccop_cases.settings import SettingsError

ROOT_FILE = "root.key"


class KeysUnreadable(Exception):
    """A stored secret could not be decrypted (wrong key, tampered or moved value)."""


@dataclass(frozen=True)
class AppKeys:
    """Purpose keys of one deployment; ``repr`` never shows key bytes."""

    session_secret: bytes = field(repr=False)
    totp_key: bytes = field(repr=False)


def init_key_dir(key_dir: Path) -> None:
    """Create a new key directory (0700) with a root key (0600); refuse to overwrite."""
    if (key_dir / ROOT_FILE).exists():
        raise FileExistsError(f"Le dossier de clés {key_dir} existe déjà : rien n'a été modifié.")
    key_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(key_dir / ROOT_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(os.urandom(32))


def load_keys(key_dir: Path) -> AppKeys:
    """Read the root key and derive purpose keys; fail closed when it is missing."""
    root_path = key_dir / ROOT_FILE
    if not root_path.is_file():
        raise SettingsError(
            f"Clés absentes dans {key_dir} : lancez « ccop keys init » (jamais créées au démarrage)."
        )
    root = root_path.read_bytes()
    if len(root) != 32:
        raise SettingsError(f"Clé racine illisible dans {key_dir}.")
    return AppKeys(session_secret=_derive(root, b"ccop session secret v1"),
                   totp_key=_derive(root, b"ccop totp secret v1"))


def _derive(root: bytes, label: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=label).derive(root)


def seal_totp_secret(keys: AppKeys, person_id: uuid.UUID, secret: str) -> bytes:
    nonce = os.urandom(12)
    return nonce + AESGCM(keys.totp_key).encrypt(nonce, secret.encode(), _ad(person_id))


def open_totp_secret(keys: AppKeys, person_id: uuid.UUID, sealed: bytes) -> str:
    try:
        return AESGCM(keys.totp_key).decrypt(sealed[:12], sealed[12:], _ad(person_id)).decode()
    except (InvalidTag, ValueError) as exc:
        raise KeysUnreadable from exc


def _ad(person_id: uuid.UUID) -> bytes:
    return b"person.totp_secret_enc|" + person_id.bytes
