"""The interfaces every key provider implements: the one the application reads and writes
through, and the administrative one its operators use."""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from crypto.datakey import DataKey


class KeyProvider(Protocol):
    """Where KEKs, epoch secrets and purpose keys live; the application talks only to this.

    `FileKeyProvider` (a key directory) is the default and `Pkcs11KeyProvider` (a hardware
    token) the other; a Vault transit provider would implement the same members.

    An implementation guarantees: `wrap` seals with the current KEK (and, with an epoch,
    also with that epoch's key) and returns the KEK id; `unwrap` returns the exact bytes
    given to `wrap` only for the same KEK id, epoch and associated data, and raises
    `DecryptionError` otherwise (unknown, retired or wrong version, an epoch already
    destroyed, altered bytes, other associated data); KEKs and epoch keys never leave it in
    clear through these methods; `purpose_key` returns a stable key, distinct for each
    purpose and unrelated to the KEKs and epochs; `check` raises `KeyStoreError` when key
    material is missing or fails its canary.

    It does not: know which units exist, or which KEK version or epoch each one uses (the
    caller stores both beside each wrapped key).
    """

    @property
    def current_key_id(self) -> str:
        """The id of the KEK that `wrap` uses now."""
        ...

    @property
    def epoch(self) -> str | None:
        """The earliest epoch ('YYYY-MM') whose key can still be derived; None before
        `start_epochs`. Every earlier epoch is destroyed."""
        ...

    def wrap(self, dek: bytes, *, associated_data: bytes, epoch: str | None = None) -> tuple[str, bytes]:
        """Seal `dek` under the current KEK, and under `epoch`'s key when given; return
        `(kek_id, wrapped)`. Raise KeyStoreError for an epoch already destroyed."""
        ...

    def unwrap(self, kek_id: str, wrapped: bytes, *, associated_data: bytes, epoch: str | None = None) -> bytes:
        """Open `wrapped` with KEK `kek_id` (and `epoch`'s key), or raise DecryptionError."""
        ...

    def purpose_key(self, purpose: str) -> DataKey:
        """Return the key for one purpose ('blind-index', 'totp-secret', 'session', …)."""
        ...

    def check(self) -> None:
        """Raise KeyStoreError unless all key material is present and the canary opens."""
        ...


class ManagedKeyProvider(KeyProvider, Protocol):
    """A provider its operators manage through `ccop keys` and `ccop retention run`: KEK
    versions (rotation) and the epoch ratchet (the turn of the month).

    Guarantees: each operation is atomic per step and may be run again after an
    interruption (it goes on from where it stopped); `retire` and `ratchet` refuse, and
    change nothing, when the caller says a data key still needs what they would destroy.
    """

    @property
    def versions(self) -> dict[str, str]:
        """Every KEK version id with its status, 'active' or 'retired'."""
        ...

    def add_version(self) -> str:
        """Create a new KEK and make it current; return its id."""
        ...

    def retire(self, kek_id: str, *, in_use: Collection[str]) -> None:
        """Destroy KEK `kek_id`; refuse (KeyStoreError) if it is current or in `in_use`."""
        ...

    def start_epochs(self, epoch: str) -> bool:
        """Create the ratchet's first secret, for `epoch`; False (nothing done) when the
        ratchet already exists."""
        ...

    def ratchet(self, to: str, *, in_use: Collection[str]) -> list[str]:
        """Move the ratchet to epoch `to`, destroying every earlier epoch's secret; return the
        epochs destroyed, oldest first ([] when already there: idempotent).

        `in_use` holds the epochs of every wrapped data key the caller still stores; if one
        of them is earlier than `to` nothing is destroyed and KeyStoreError is raised.
        """
        ...
