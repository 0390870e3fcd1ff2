"""The default KEK provider: key files in a private directory outside the repository."""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, NoReturn

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from crypto import _files, epochs
from crypto._nonce import NONCE_SIZE, new_nonce
from crypto.datakey import KEY_SIZE, TAG_SIZE, Context, DataKey
from crypto.errors import DecryptionError, KeyStoreError
from crypto.packing import pack

MANIFEST: Final = "manifest.json"
ROOT_FILE: Final = "root.key"
CANARY_FILE: Final = "canary.json"
EPOCH_FILE: Final = "epoch.json"
MAX_EPOCHS_AHEAD: Final = 600
"""How far past the ratchet's epoch a key may be bound (50 years): a bound on derivation."""
PURPOSES: Final = frozenset({"blind-index", "totp-secret", "session", "audit-signing", "retention-epoch"})
"""Purposes `purpose_key` accepts; each gets its own HKDF label, hence its own key."""

_FORMAT: Final = 1
_WRAP_SUITE: Final = 0x01
_EPOCH_WRAP_SUITE: Final = 0x02
_KEK_LABEL: Final = b"ccop-cases/kek-wrap/v1"
_EPOCH_LABEL: Final = b"ccop-cases/epoch-wrap/v1"
_EPOCH_CHECK_LABEL: Final = b"ccop-cases/epoch-check/v1"
_PURPOSE_INFO: Final = b"ccop-cases/purpose/v1/"
_VERSION_ID: Final = re.compile(r"v[1-9][0-9]{0,8}")
_ACTIVE, _RETIRED = "active", "retired"
_CANARY_TEXT: Final = b"ccop-cases canary v1"
_CANARY_CONTEXT: Final = Context("key_directory", "canary", "canary")
_CANARY_UNIT: Final = "canary"


def _kek_file(kek_id: str) -> str:
    return f"kek-{kek_id}.key"


def _read_key(path: Path) -> bytes:
    data = _files.read_private(path)
    if len(data) != KEY_SIZE:
        raise KeyStoreError(f"key file {path} does not hold {KEY_SIZE} bytes")
    return data


@dataclass(frozen=True)
class _State:
    """One consistent snapshot of the directory, swapped as a whole on reload."""

    stamp: tuple[tuple[int, int, int], ...]
    root_id: uuid.UUID
    current: str
    versions: Mapping[str, str]
    keks: Mapping[str, AESGCM] = field(repr=False)
    root: bytes = field(repr=False)
    epoch: str | None = None
    epoch_secret: bytes | None = field(default=None, repr=False)
    epoch_check: bytes | None = field(default=None, repr=False)
    epoch_keys: dict[str, AESGCM] = field(default_factory=dict, repr=False)  # W(E), derived on first use


def _parse_manifest(raw: bytes, path: Path) -> tuple[uuid.UUID, str, dict[str, str]]:
    try:
        doc: Any = json.loads(raw)
        root_id, current = uuid.UUID(doc["root_id"]), doc["current"]
        versions = {str(k): str(v) for k, v in dict(doc["versions"]).items()}
    except (ValueError, KeyError, TypeError, AttributeError):
        raise KeyStoreError(f"malformed key manifest: {path}") from None
    valid = doc.get("format") == _FORMAT and all(
        _VERSION_ID.fullmatch(k) and v in (_ACTIVE, _RETIRED) for k, v in versions.items()
    )
    if not valid or not isinstance(current, str) or versions.get(current) != _ACTIVE:
        raise KeyStoreError(f"malformed key manifest: {path}")
    return root_id, current, versions


class FileKeyProvider:
    """KEK versions, purpose-key root, epoch ratchet and canary in a 0700 directory of 0600 files.

    Guarantees: `init` never overwrites an existing directory and refuses one inside a
    git working tree; every file is created 0600 and every read refuses a file open
    to group or others; `open` runs `check`, so a provider that exists has all its
    active keys and a canary that decrypts; `retire` refuses while a wrapped DEK still
    uses the version; purpose keys come from HKDF-SHA256 (RFC 5869) over a root that
    is independent of every KEK; the epoch file holds only the earliest live epoch's
    secret, from which no earlier epoch can be derived, and `ratchet` replaces it
    atomically. Several processes may share the directory: each call notices a manifest
    or epoch file replaced by another process (add_version, retire, ratchet) and reloads.

    Does not: protect keys from root or from backups of the directory (a backup keeps
    every epoch from its own onwards: FORMAT.md, threat model); guarantee that a deleted
    (retired) key file or an overwritten epoch secret is unrecoverable from the disk;
    rotate the root (the
    purpose keys); track which DEK uses which version (the caller stores KEK ids).
    """

    def __init__(self, directory: Path, state: _State) -> None:
        """Use `FileKeyProvider.open` or `FileKeyProvider.init` instead."""
        self._dir = directory
        self._manifest = str(directory / MANIFEST)
        self._state = state

    @classmethod
    def init(cls, directory: str | os.PathLike[str], *, allow_in_repository: bool = False,
             epoch: str | None = None) -> FileKeyProvider:
        """Create a new key directory (root, KEK v1, manifest, canary, and the epoch ratchet
        at `epoch` when given) and open it.

        A directory inside a git working tree is refused unless `allow_in_repository`
        is set, which is meant only for a development setup whose key folder is
        git-ignored (e.g. `instance/keys` with fictional data), never for production.
        """
        path = Path(directory)
        if not allow_in_repository and _files.inside_git_worktree(path):
            raise KeyStoreError(f"refusing to create keys inside a git working tree: {path}")
        _files.make_private_dir(path)
        with _files.locked(path):
            _files.create_private(path / ROOT_FILE, os.urandom(KEY_SIZE))
            _files.create_private(path / _kek_file("v1"), os.urandom(KEY_SIZE))
            manifest = {"format": _FORMAT, "root_id": str(uuid.uuid4()), "current": "v1"}
            _files.create_private(path / MANIFEST, _dump({**manifest, "versions": {"v1": _ACTIVE}}))
            provider = cls(path, _load(path))
            provider._write_canary()
        if epoch is not None:
            provider.start_epochs(epoch)
        provider.check()
        return provider

    @classmethod
    def open(cls, directory: str | os.PathLike[str]) -> FileKeyProvider:
        """Open an existing key directory and run `check`; raise KeyStoreError if unfit."""
        path = Path(directory)
        provider = cls(path, _load(path))
        provider.check()
        return provider

    @property
    def directory(self) -> Path:
        """The key directory."""
        return self._dir

    @property
    def current_key_id(self) -> str:
        """The id of the KEK that `wrap` uses now, e.g. 'v2'."""
        return self._fresh().current

    @property
    def versions(self) -> dict[str, str]:
        """Every KEK version id with its status, 'active' or 'retired'."""
        return dict(self._fresh().versions)

    @property
    def epoch(self) -> str | None:
        """The ratchet's epoch: the earliest whose key can still be derived (None: not started)."""
        return self._fresh().epoch

    def wrap(self, dek: bytes, *, associated_data: bytes, epoch: str | None = None) -> tuple[str, bytes]:
        """Seal `dek` with the current KEK, inside a seal by `epoch`'s key when given:
        `(kek_id, suite | nonce | ciphertext+tag)` (FORMAT.md)."""
        state = self._fresh()
        plaintext, suite = dek, _WRAP_SUITE
        if epoch is not None:
            inner = self._epoch_key(state, epoch, sealing=True)
            nonce = new_nonce()
            plaintext = nonce + inner.encrypt(nonce, dek, pack(_EPOCH_LABEL, epoch.encode("ascii"), associated_data))
            suite = _EPOCH_WRAP_SUITE
        nonce = new_nonce()
        ad = pack(_KEK_LABEL, state.current.encode("ascii"), associated_data)
        sealed = state.keks[state.current].encrypt(nonce, plaintext, ad)
        return state.current, bytes([suite]) + nonce + sealed

    def unwrap(self, kek_id: str, wrapped: bytes, *, associated_data: bytes, epoch: str | None = None) -> bytes:
        """Open `wrapped` with KEK `kek_id` (and `epoch`'s key), or raise DecryptionError."""
        state = self._fresh()
        aead = state.keks.get(kek_id)
        suite = _WRAP_SUITE if epoch is None else _EPOCH_WRAP_SUITE
        if aead is None or len(wrapped) < 1 + NONCE_SIZE + TAG_SIZE or wrapped[0] != suite:
            raise DecryptionError
        ad = pack(_KEK_LABEL, kek_id.encode("ascii"), associated_data)
        try:
            opened = aead.decrypt(wrapped[1 : 1 + NONCE_SIZE], wrapped[1 + NONCE_SIZE :], ad)
            if epoch is None:
                return opened
            inner = self._epoch_key(state, epoch, sealing=False)
            if len(opened) < NONCE_SIZE + TAG_SIZE:
                raise DecryptionError
            return inner.decrypt(opened[:NONCE_SIZE], opened[NONCE_SIZE:],
                                 pack(_EPOCH_LABEL, epoch.encode("ascii"), associated_data))
        except InvalidTag:
            raise DecryptionError from None

    def start_epochs(self, epoch: str) -> bool:
        """Create the ratchet's first secret, for `epoch`; False when it already exists."""
        epochs.check_epoch(epoch)
        with _files.locked(self._dir):
            if (self._dir / EPOCH_FILE).exists():
                return False
            state = _load(self._dir)
            _files.create_private(self._dir / EPOCH_FILE, _epoch_doc(state.root_id, epoch, os.urandom(KEY_SIZE)))
        self.check()
        return True

    def ratchet(self, to: str, *, in_use: Collection[str]) -> list[str]:
        """Move the ratchet to `to`: S(to) replaces the earliest secret in one atomic write, so
        every earlier epoch is gone from the directory. Idempotent; refused, with nothing
        changed, while a data key of an earlier epoch is still stored (`in_use`)."""
        epochs.check_epoch(to)
        with _files.locked(self._dir):
            state = _load(self._dir)
            if state.epoch is None or state.epoch_secret is None:
                raise KeyStoreError(f"no epoch ratchet in {self._dir} (run `ccop keys init` or `ccop retention run`)")
            steps = epochs.months_between(state.epoch, to)
            if steps <= 0:
                return []
            kept = sorted(e for e in in_use if e < to)
            if kept:
                raise KeyStoreError(f"epoch {kept[0]} still seals data keys: nothing was destroyed")
            secret = state.epoch_secret
            for _ in range(steps):
                secret = epochs.next_secret(secret)
            _files.replace_private(self._dir / EPOCH_FILE, _epoch_doc(state.root_id, to, secret))
            self._state = _load(self._dir)
        return [epochs.add_months(state.epoch, n) for n in range(steps)]

    def purpose_key(self, purpose: str) -> DataKey:
        """Return the key for `purpose`, one of PURPOSES; stable for this directory."""
        if purpose not in PURPOSES:
            raise ValueError(f"unknown key purpose {purpose!r}; expected one of {sorted(PURPOSES)}")
        return self._derive(purpose)

    def check(self) -> None:
        """Reload everything and open the canary; raise KeyStoreError on any failure."""
        self._state = state = _load(self._dir)
        if state.epoch is not None and state.epoch_check is not None:
            try:
                ok = self._epoch_key(state, state.epoch, sealing=False).decrypt(
                    state.epoch_check[:NONCE_SIZE], state.epoch_check[NONCE_SIZE:],
                    _epoch_check_ad(state.root_id, state.epoch)) == _CANARY_TEXT
            except (InvalidTag, DecryptionError):
                ok = False
            if not ok:
                raise KeyStoreError(f"{self._dir / EPOCH_FILE} does not belong to this key directory or was "
                                    "altered; restore the key directory from backup")
        doc = self._canary()
        try:
            dek = DataKey.unwrap(self, doc["kek_id"], doc["wrapped"], unit_id=_CANARY_UNIT)
            ok = dek.decrypt(doc["value"], context=_CANARY_CONTEXT) == _CANARY_TEXT
            root_key = self._derive("canary")
            ok = ok and root_key.decrypt(doc["root_value"], context=_CANARY_CONTEXT) == _CANARY_TEXT
        except DecryptionError:
            ok = False
        if not ok:
            raise KeyStoreError(
                f"canary in {self._dir} does not decrypt: these key files do not belong "
                "together or were altered; restore the key directory from backup"
            )

    def add_version(self) -> str:
        """Generate a new KEK, make it current, rewrap the canary; return its id.

        Existing wrapped DEKs keep working with their old version until rewrapped
        (`DataKey.rewrap`); then `retire` the old version.
        """
        with _files.locked(self._dir):
            state = _load(self._dir)
            new_id = f"v{max(int(v[1:]) for v in state.versions) + 1}"
            _files.create_private(self._dir / _kek_file(new_id), os.urandom(KEY_SIZE))
            versions = {**state.versions, new_id: _ACTIVE}
            self._write_manifest(state, current=new_id, versions=versions)
            self._write_canary()
        return new_id

    def retire(self, kek_id: str, *, in_use: Collection[str]) -> None:
        """Mark `kek_id` retired and delete its key file.

        `in_use` must hold the KEK ids of every wrapped DEK the caller still stores
        (e.g. `SELECT DISTINCT kek_id FROM data_key`): retiring a version found there,
        or the current version, is refused, since it would destroy those units' data.
        """
        with _files.locked(self._dir):
            state = _load(self._dir)
            if kek_id not in state.versions:
                raise KeyStoreError(f"unknown KEK version: {kek_id}")
            if kek_id == state.current:
                raise KeyStoreError(f"{kek_id} is the current KEK; add a version first")
            if kek_id in in_use:
                raise KeyStoreError(f"{kek_id} still wraps data keys; rewrap them first")
            if self._canary()["kek_id"] == kek_id:
                self._write_canary()
            versions = {**state.versions, kek_id: _RETIRED}
            self._write_manifest(state, current=state.current, versions=versions)
            (self._dir / _kek_file(kek_id)).unlink(missing_ok=True)

    def __repr__(self) -> str:
        return f"FileKeyProvider(directory={str(self._dir)!r})"

    def __reduce__(self) -> NoReturn:
        raise TypeError("key providers cannot be pickled")  # they hold the root and KEKs

    def _fresh(self) -> _State:
        # A stat per call lets every worker see add_version/retire/ratchet from the CLI, so
        # no worker keeps wrapping with, or opening under, a version or epoch gone elsewhere.
        if _stamps(self._dir) != self._state.stamp:
            self._state = _load(self._dir)
        return self._state

    def _epoch_key(self, state: _State, epoch: str, *, sealing: bool) -> AESGCM:
        """W(epoch), derived from the ratchet's secret; a destroyed or underived epoch fails
        as DecryptionError when opening and KeyStoreError when sealing."""
        cached = state.epoch_keys.get(epoch)
        if cached is not None:
            return cached
        steps = -1 if state.epoch is None else epochs.months_between(state.epoch, epochs.check_epoch(epoch))
        if state.epoch_secret is None or not 0 <= steps <= MAX_EPOCHS_AHEAD:
            if not sealing:
                raise DecryptionError
            if state.epoch is None:
                raise KeyStoreError(f"no epoch ratchet in {self._dir} (run `ccop keys init` or `ccop retention run`)")
            raise KeyStoreError(f"epoch {epoch} is destroyed or too far ahead of {state.epoch}")
        secret = state.epoch_secret
        for _ in range(steps):
            secret = epochs.next_secret(secret)
        key = state.epoch_keys[epoch] = AESGCM(epochs.wrap_key(secret))
        return key

    def _derive(self, label: str) -> DataKey:
        # RFC 5869: the root is already uniformly random, so the salt may be omitted
        # (§3.1); distinct `info` strings give independent keys per purpose (§3.2).
        state = self._fresh()
        info = _PURPOSE_INFO + label.encode("ascii")
        hkdf = HKDF(algorithm=SHA256(), length=KEY_SIZE, salt=None, info=info)
        return DataKey(uuid.uuid5(state.root_id, label), hkdf.derive(state.root))

    def _write_manifest(self, state: _State, *, current: str, versions: dict[str, str]) -> None:
        doc = {"format": _FORMAT, "root_id": str(state.root_id), "current": current}
        _files.replace_private(self._dir / MANIFEST, _dump({**doc, "versions": versions}))
        self._state = _load(self._dir)

    def _canary(self) -> dict[str, Any]:
        return _parse_canary(_files.read_private(self._dir / CANARY_FILE))

    def _write_canary(self) -> None:
        dek, root_key = DataKey.generate(), self._derive("canary")
        kek_id, wrapped = dek.wrap(self, unit_id=_CANARY_UNIT)
        doc = {
            "format": _FORMAT,
            "kek_id": kek_id,
            "wrapped": wrapped.hex(),
            "value": dek.encrypt(_CANARY_TEXT, context=_CANARY_CONTEXT).hex(),
            "root_value": root_key.encrypt(_CANARY_TEXT, context=_CANARY_CONTEXT).hex(),
        }
        _files.replace_private(self._dir / CANARY_FILE, _dump(doc))


def _dump(doc: Mapping[str, object]) -> bytes:
    return (json.dumps(doc, indent=2, sort_keys=True) + "\n").encode("utf-8")


def _stamps(directory: Path) -> tuple[tuple[int, int, int], ...]:
    try:
        info = os.stat(directory / MANIFEST)
    except FileNotFoundError:
        raise KeyStoreError(f"missing key manifest: {directory / MANIFEST}") from None
    try:
        epoch = os.stat(directory / EPOCH_FILE)
    except FileNotFoundError:
        return ((info.st_ino, info.st_mtime_ns, info.st_size),)
    return (info.st_ino, info.st_mtime_ns, info.st_size), (epoch.st_ino, epoch.st_mtime_ns, epoch.st_size)


def _epoch_check_ad(root_id: uuid.UUID, epoch: str) -> bytes:
    return pack(_EPOCH_CHECK_LABEL, str(root_id).encode("ascii"), epoch.encode("ascii"))


def _epoch_doc(root_id: uuid.UUID, epoch: str, secret: bytes) -> bytes:
    """epoch.json: the epoch, its secret S(epoch), and a check value sealed by W(epoch) that
    binds the file to this directory's root id."""
    nonce = new_nonce()
    check = nonce + AESGCM(epochs.wrap_key(secret)).encrypt(nonce, _CANARY_TEXT, _epoch_check_ad(root_id, epoch))
    return _dump({"format": _FORMAT, "epoch": epoch, "secret": secret.hex(), "check": check.hex()})


def _parse_epoch(raw: bytes, path: Path) -> tuple[str, bytes, bytes]:
    try:
        doc = json.loads(raw)
        epoch = epochs.check_epoch(doc["epoch"])
        secret, check = bytes.fromhex(doc["secret"]), bytes.fromhex(doc["check"])
    except (ValueError, KeyError, TypeError):
        raise KeyStoreError(f"malformed epoch file: {path}") from None
    if doc.get("format") != _FORMAT or len(secret) != KEY_SIZE or len(check) < NONCE_SIZE + TAG_SIZE:
        raise KeyStoreError(f"malformed epoch file: {path}")
    return epoch, secret, check


def _load(directory: Path) -> _State:
    _files.check_private_dir(directory)
    manifest = directory / MANIFEST
    stamp = _stamps(directory)  # before reading: a concurrent replace then forces a reload
    root_id, current, versions = _parse_manifest(_files.read_private(manifest), manifest)
    keks = {
        kek_id: AESGCM(_read_key(directory / _kek_file(kek_id)))
        for kek_id, status in versions.items()
        if status == _ACTIVE
    }
    root = _read_key(directory / ROOT_FILE)
    epoch = secret = check = None
    if len(stamp) > 1:
        epoch, secret, check = _parse_epoch(_files.read_private(directory / EPOCH_FILE), directory / EPOCH_FILE)
    return _State(stamp, root_id, current, versions, keks, root, epoch, secret, check)


def _parse_canary(raw: bytes) -> dict[str, Any]:
    try:
        doc = json.loads(raw)
        return {
            "kek_id": str(doc["kek_id"]),
            "wrapped": bytes.fromhex(doc["wrapped"]),
            "value": bytes.fromhex(doc["value"]),
            "root_value": bytes.fromhex(doc["root_value"]),
        }
    except (ValueError, KeyError, TypeError):
        raise KeyStoreError("malformed canary file") from None
