"""Field-level encryption for ccop-cases: envelope AES-256-GCM, blind index, key store.

Bytes in, bytes out; no Flask, no SQLAlchemy. Layouts are in FORMAT.md.

- `DataKey`: a unit's data key; encrypts and decrypts field values at a `Context`,
  and wraps / unwraps / rewraps itself through a `KeyProvider`.
- `Context`: table, column and row id bound into a value's associated data.
- `KeyProvider`: the interface of key stores; `ManagedKeyProvider` adds what operators
  run (KEK rotation, the epoch ratchet); `FileKeyProvider` is the default one,
  `Pkcs11KeyProvider` keeps the keys in a PKCS#11 token (python-pkcs11, imported only when
  one is opened).
- `epochs`: retention epochs (months) and the one-way ratchet between them.
- `BlindIndex`: truncated HMAC token of (last name, first given name, birth date).
- `DecryptionError`: the one opaque failure of opening a value or a wrapped key;
  `KeyStoreError`: key material missing, exposed, failing its canary, or an unsafe
  operation refused.
"""

from crypto.blindindex import BlindIndex
from crypto.datakey import Context, DataKey
from crypto.errors import DecryptionError, KeyStoreError
from crypto.filestore import FileKeyProvider
from crypto.pkcs11store import Pkcs11KeyProvider
from crypto.provider import KeyProvider, ManagedKeyProvider

__all__ = [
    "BlindIndex",
    "Context",
    "DataKey",
    "DecryptionError",
    "FileKeyProvider",
    "KeyProvider",
    "KeyStoreError",
    "ManagedKeyProvider",
    "Pkcs11KeyProvider",
]
