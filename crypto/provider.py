"""The interface every key-encryption-key provider implements."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from crypto.datakey import DataKey


class KeyProvider(Protocol):
    """Where KEKs and purpose keys live; the application talks only to this interface.

    `FileKeyProvider` is the default; a Vault transit or PKCS#11 implementation can
    replace it without changing callers, since they use only these five members.
    Administrative operations (creating a store, adding and retiring versions) are
    specific to each provider and are not part of the interface.

    An implementation guarantees: `wrap` seals with the current KEK and returns its id;
    `unwrap` returns the exact bytes given to `wrap` only for the same KEK id and the
    same associated data, and raises `DecryptionError` otherwise (unknown, retired or
    wrong version, altered bytes, other associated data); KEKs never leave it in clear
    through these methods; `purpose_key` returns a stable key, distinct for each purpose
    and unrelated to the KEKs; `check` raises `KeyStoreError` when key material is
    missing or fails its canary.

    It does not: know which units exist or which KEK version each one uses (the
    caller stores the KEK id beside each wrapped key).
    """

    @property
    def current_key_id(self) -> str:
        """The id of the KEK that `wrap` uses now."""
        ...

    def wrap(self, dek: bytes, *, associated_data: bytes) -> tuple[str, bytes]:
        """Seal `dek` under the current KEK; return `(kek_id, wrapped)`."""
        ...

    def unwrap(self, kek_id: str, wrapped: bytes, *, associated_data: bytes) -> bytes:
        """Open `wrapped` with KEK `kek_id`, or raise DecryptionError."""
        ...

    def purpose_key(self, purpose: str) -> DataKey:
        """Return the key for one purpose ('blind-index', 'totp-secret', 'session', …)."""
        ...

    def check(self) -> None:
        """Raise KeyStoreError unless all key material is present and the canary opens."""
        ...
