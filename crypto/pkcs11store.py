"""A KEK provider whose KEKs, purpose-key root and epoch secrets live in a PKCS#11 token.

Same contract and byte layout as `crypto.filestore.FileKeyProvider` (FORMAT.md, "PKCS#11
token"), with every AES-GCM seal, epoch derivation and purpose-key HMAC computed inside the
token. python-pkcs11 is imported only when a provider is opened or initialised, so `crypto`
imports without it.
"""

from __future__ import annotations

import hmac
import os
import re
import threading
import uuid
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Final, NoReturn

from crypto import epochs
from crypto._nonce import NONCE_SIZE, new_nonce
from crypto.datakey import KEY_SIZE, TAG_SIZE, DataKey
from crypto.errors import DecryptionError, KeyStoreError
from crypto.filestore import (
    _EPOCH_LABEL,
    _EPOCH_WRAP_SUITE,
    _KEK_LABEL,
    _PURPOSE_INFO,
    _WRAP_SUITE,
    MAX_EPOCHS_AHEAD,
    PURPOSES,
)
from crypto.packing import pack

KEK_LABEL: Final = "ccop-cases kek"
"""CKA_LABEL of every KEK version (AES-256, CKA_ID = b"v1", b"v2", …)."""
RETIRED_LABEL: Final = "ccop-cases kek retired"
"""CKA_LABEL of the data object that marks a KEK version retired (CKA_VALUE = b"v1", …)."""
ROOT_LABEL: Final = "ccop-cases root"
"""CKA_LABEL of the purpose-key root (GENERIC_SECRET, CKA_ID = the root id's 16 bytes)."""
EPOCH_LABEL: Final = "ccop-cases epoch"
"""CKA_LABEL of the ratchet's secret S(E) (AES-256, DERIVE only, CKA_ID = b"2026-12")."""
LABELS: Final = (KEK_LABEL, RETIRED_LABEL, ROOT_LABEL, EPOCH_LABEL)
_SESSION_SECRET_LABEL: Final = "ccop-cases epoch secret (session)"  # noqa: S105 -- a label
_SESSION_WRAP_LABEL: Final = "ccop-cases epoch wrap key (session)"
SECRET_CHECKPOINT: Final = 12
"""Of the secrets derived past the ratchet's month, a session keeps every 12th (a year apart)."""
_CHECK_TEXT: Final = b"ccop-cases canary v1"
_CHECK_LABEL: Final = b"ccop-cases/token-check/v1"
_VERSION_ID: Final = re.compile(r"v[1-9][0-9]{0,8}")
_ACTIVE, _RETIRED = "active", "retired"
_NOT_INSTALLED: Final = "python-pkcs11 is not installed (pip install 'python-pkcs11>=0.10,<0.11')"

TokenKey = Any
"""A python-pkcs11 key object (its class is built at run time from the key's capabilities)."""

# --- Process-wide state: one PKCS#11 library and one logged-in session per token -------------
#
# PKCS#11 login is per application, not per session: a second C_Login fails, and closing a
# logged-in session logs every session out. So all providers of one process that name the
# same token share one `_Connection` (one session, one cache of derived epoch keys), and
# every token call runs under one process-wide lock. After a fork the child must call
# C_Initialize again (PKCS#11 v2.40 §5.4) and open its own session: each entry remembers
# the pid that opened it.

_lock = threading.RLock()


def _new_lock_in_child() -> None:
    global _lock  # a lock held by another thread at fork time would never be released here
    _lock = threading.RLock()


os.register_at_fork(after_in_child=_new_lock_in_child)


@contextmanager
def _locked() -> Iterator[None]:
    with _lock:
        yield


@dataclass
class _Library:
    lib: Any = field(repr=False)
    pid: int
    generation: int  # bumped at each C_Initialize: every earlier session handle is dead


_libraries: dict[str, _Library] = {}
_connections: dict[tuple[str, str], _Connection] = {}
_key_source: Callable[[int], bytes] | None = None


def set_key_source(source: Callable[[int], bytes] | None) -> Callable[[int], bytes] | None:
    """Import key values from `source(32)` instead of generating keys in the token (None:
    generate); return the previous source. For `crypto.testing.key_values` only."""
    global _key_source  # one process-wide seam; crypto.testing restores it on exit
    previous = _key_source
    _key_source = source
    return previous


def _pkcs11() -> ModuleType:
    try:
        import pkcs11
    except ImportError:
        raise KeyStoreError(_NOT_INSTALLED) from None
    return pkcs11


def _library(module: str, *, rescan: bool = False) -> _Library:
    """The loaded, initialised library for this process (call under the lock)."""
    p11 = _pkcs11()
    entry = _libraries.get(module)
    if entry is None:
        if not os.path.isfile(module):
            raise KeyStoreError(f"PKCS#11 module not found: {module}")
        try:
            lib = p11.lib(module)
        except (p11.PKCS11Error, OSError) as exc:
            raise KeyStoreError(f"cannot load the PKCS#11 module {module}: {type(exc).__name__}") from None
        entry = _libraries[module] = _Library(lib, os.getpid(), 0)
    elif entry.pid != os.getpid() or rescan:
        # A forked child re-initialises; a rescan re-initialises too, since some modules
        # (SoftHSMv2) only list tokens initialised by another process after C_Initialize.
        with suppress(p11.PKCS11Error):
            entry.lib.finalize()
        try:
            entry.lib.initialize()
        except p11.PKCS11Error as exc:
            raise KeyStoreError(f"cannot initialise the PKCS#11 module {module}: {type(exc).__name__}") from None
        entry.pid, entry.generation = os.getpid(), entry.generation + 1
    return entry


class _Connection:
    """One process's logged-in session on one token, and the epoch keys derived in it."""

    def __init__(self, module: str, label: str, pin: str) -> None:
        self.module, self.label, self._pin = module, label, pin
        self._session: Any = None
        self._pid = -1
        self._generation = -1
        self.cache_epoch: str | None = None
        self.secrets: dict[str, TokenKey] = {}  # S(E) for E > cache_epoch, session objects
        self.wrap_keys: dict[str, TokenKey] = {}  # W(E) for E >= cache_epoch, session objects

    def same_pin(self, pin: str) -> bool:
        return hmac.compare_digest(self._pin.encode("utf-8"), pin.encode("utf-8"))

    def session(self) -> Any:
        """The logged-in read/write session, reopened after a fork or a re-initialisation."""
        entry = _library(self.module)
        if self._session is not None and self._pid == os.getpid() and self._generation == entry.generation:
            return self._session
        self.secrets, self.wrap_keys, self.cache_epoch = {}, {}, None  # died with the old session
        self._session = None
        p11 = _pkcs11()
        try:
            token = entry.lib.get_token(token_label=self.label)
        except p11.NoSuchToken:
            entry = _library(self.module, rescan=True)
            token = self._token(entry)
        except p11.PKCS11Error as exc:
            raise KeyStoreError(f"cannot find token {self.label!r}: {type(exc).__name__}") from None
        try:
            session = token.open(rw=True, user_pin=self._pin)
        except (p11.PinIncorrect, p11.PinInvalid, p11.PinLenRange):
            raise KeyStoreError(f"the PIN was refused by token {self.label!r}") from None
        except p11.PinLocked:
            raise KeyStoreError(f"the user PIN of token {self.label!r} is locked") from None
        except p11.UserAlreadyLoggedIn:
            raise KeyStoreError(f"token {self.label!r} is already logged in by other code in this process") from None
        except p11.PKCS11Error as exc:
            raise KeyStoreError(f"cannot log in to token {self.label!r}: {type(exc).__name__}") from None
        self._session, self._pid, self._generation = session, os.getpid(), entry.generation
        return session

    def _token(self, entry: _Library) -> Any:
        p11 = _pkcs11()
        try:
            return entry.lib.get_token(token_label=self.label)
        except p11.NoSuchToken:
            raise KeyStoreError(f"no token labelled {self.label!r} in PKCS#11 module {self.module}") from None
        except p11.MultipleTokensReturned:
            raise KeyStoreError(f"several tokens are labelled {self.label!r}") from None
        except p11.PKCS11Error as exc:
            raise KeyStoreError(f"cannot find token {self.label!r}: {type(exc).__name__}") from None

    def follow(self, current: str | None) -> None:
        """Forget (and destroy) every cached epoch key when the ratchet moved elsewhere."""
        if current == self.cache_epoch:
            return
        p11 = _pkcs11()
        for key in [*self.wrap_keys.values(), *self.secrets.values()]:
            with suppress(p11.PKCS11Error):  # when the session is gone, its objects went with it
                key.destroy()
        self.secrets, self.wrap_keys, self.cache_epoch = {}, {}, current

    def __repr__(self) -> str:
        return f"_Connection(token_label={self.label!r})"

    def __reduce__(self) -> NoReturn:
        raise TypeError("token connections cannot be pickled")


def _connect(module: str, label: str, pin: str) -> _Connection:
    """The process's connection to `label`, logging in with `pin` the first time."""
    if not isinstance(pin, str) or not pin:
        raise KeyStoreError(f"no PIN given for token {label!r}")
    _pkcs11()
    connection = _connections.get((module, label))
    if connection is not None:
        if not connection.same_pin(pin):
            raise KeyStoreError(f"token {label!r} is already open in this process with another PIN")
        connection.session()
        return connection
    connection = _Connection(module, label, pin)
    connection.session()
    _connections[(module, label)] = connection
    return connection


@dataclass(frozen=True)
class _Objects:
    """The ccop-cases objects found in the token by one scan."""

    keks: dict[str, list[TokenKey]] = field(repr=False)  # every version id found, all its objects
    retired: frozenset[str]
    roots: list[tuple[bytes, TokenKey]] = field(repr=False)
    epochs: dict[str, list[TokenKey]] = field(repr=False)

    @property
    def active(self) -> list[str]:
        return sorted((v for v in self.keks if v not in self.retired), key=_version_number)

    @property
    def current(self) -> str | None:
        active = self.active
        return active[-1] if active else None

    @property
    def epoch(self) -> str | None:
        return max(self.epochs) if self.epochs else None


def _version_number(kek_id: str) -> int:
    return int(kek_id[1:])


class Pkcs11KeyProvider:
    """KEK versions, purpose-key root and the epoch ratchet as non-extractable objects in a
    PKCS#11 token (an HSM, or SoftHSMv2 in development).

    Guarantees: the same observable behaviour and byte layout as `FileKeyProvider` for
    `wrap`/`unwrap` (a record sealed by one opens in the other given the same key values);
    every key the token holds is created `TOKEN`, `PRIVATE`, `SENSITIVE`, not `EXTRACTABLE`,
    with only the capabilities it needs, and never leaves it: GCM seals and opens, the
    ratchet's `AES_CBC_ENCRYPT_DATA` derivations and the purpose keys' HMAC-SHA256 all run
    inside the token, and derived epoch keys are session objects destroyed when the ratchet
    moves; `init` refuses a token that already holds ccop-cases objects; `open` runs `check`;
    `retire` and `ratchet` refuse, destroying nothing, while the caller says a data key still
    needs the version or epoch; a version or epoch destroyed by another process stops opening
    in this one at its next call (each call reads the token's objects). Usable from several
    threads (one lock serialises token calls) and processes (a forked child re-initialises
    the module and logs in again). Error messages name the module and token, never the PIN.

    Does not: keep the PIN out of process memory (a forked child logs in with it again);
    serialise `add_version`/`retire`/`ratchet` between processes (run one operator command
    at a time; `check` refuses duplicated versions or epochs); prove that a destroyed object
    is unrecoverable from the token's backups; rotate the root; keep the purpose keys inside
    the token (they are returned to the caller, like the file provider's); give the same
    purpose keys as a FileKeyProvider with the same root (HMAC here, HKDF there).
    """

    def __init__(self, connection: _Connection) -> None:
        """Use `Pkcs11KeyProvider.open` or `Pkcs11KeyProvider.init` instead."""
        self._connection = connection

    @classmethod
    def init(cls, module: str, token_label: str, pin: str, *, epoch: str | None = None) -> Pkcs11KeyProvider:
        """Create the root, KEK v1 (and the ratchet at `epoch` when given) in an initialised
        token and open it; refuse, creating nothing, a token that holds ccop-cases objects."""
        if epoch is not None:
            epochs.check_epoch(epoch)
        with _locked():
            provider = cls(_connect(module, token_label, pin))
            session = provider._session()
            p11 = _pkcs11()
            found = [label for label in LABELS if _find(session, {p11.Attribute.LABEL: label})]
            if found:
                raise KeyStoreError(f"refusing to overwrite: token {token_label!r} already holds {found[0]!r} objects")
            provider._new_secret(KEK_LABEL, b"v1", p11.KeyType.AES, encrypt=True)
            provider._new_secret(ROOT_LABEL, uuid.uuid4().bytes, p11.KeyType.GENERIC_SECRET, sign=True)
            if epoch is not None:
                provider._new_secret(EPOCH_LABEL, epoch.encode("ascii"), p11.KeyType.AES, derive=True)
            provider.check()
        return provider

    @classmethod
    def open(cls, module: str, token_label: str, pin: str) -> Pkcs11KeyProvider:
        """Log in to the token and run `check`; raise KeyStoreError if it is unfit."""
        with _locked():
            provider = cls(_connect(module, token_label, pin))
            provider.check()
        return provider

    @property
    def token_label(self) -> str:
        """The token's label."""
        return self._connection.label

    @property
    def current_key_id(self) -> str:
        """The id of the KEK that `wrap` uses now: the highest active version."""
        with _locked():
            return self._current(self._scan(root=False, epoch=False))

    @property
    def versions(self) -> dict[str, str]:
        """Every KEK version id with its status, 'active' or 'retired'."""
        with _locked():
            objects = self._scan(root=False, epoch=False)
        ids = sorted(set(objects.keks) | objects.retired, key=_version_number)
        return {v: _RETIRED if v in objects.retired else _ACTIVE for v in ids}

    @property
    def epoch(self) -> str | None:
        """The ratchet's epoch: the latest epoch object in the token (None: not started)."""
        with _locked():
            return self._scan(keks=False, root=False).epoch

    def wrap(self, dek: bytes, *, associated_data: bytes, epoch: str | None = None) -> tuple[str, bytes]:
        """Seal `dek` with the current KEK, inside a seal by `epoch`'s key when given:
        `(kek_id, suite | nonce | ciphertext+tag)`, as FileKeyProvider (FORMAT.md)."""
        p11 = _pkcs11()
        with _locked():
            objects = self._scan(root=False, epoch=epoch is not None)
            kek_id = self._current(objects)
            plaintext, suite = dek, _WRAP_SUITE
            try:
                if epoch is not None:
                    inner = self._epoch_key(objects, epoch, sealing=True)
                    nonce = new_nonce()
                    plaintext = nonce + _seal(inner, nonce, dek, pack(_EPOCH_LABEL, epoch.encode("ascii"),
                                                                       associated_data))
                    suite = _EPOCH_WRAP_SUITE
                nonce = new_nonce()
                sealed = _seal(objects.keks[kek_id][0], nonce, plaintext,
                               pack(_KEK_LABEL, kek_id.encode("ascii"), associated_data))
            except p11.PKCS11Error as exc:
                raise KeyStoreError(f"token {self.token_label!r} failed to seal: {type(exc).__name__}") from None
        return kek_id, bytes([suite]) + nonce + sealed

    def unwrap(self, kek_id: str, wrapped: bytes, *, associated_data: bytes, epoch: str | None = None) -> bytes:
        """Open `wrapped` with KEK `kek_id` (and `epoch`'s key), or raise DecryptionError."""
        p11 = _pkcs11()
        suite = _WRAP_SUITE if epoch is None else _EPOCH_WRAP_SUITE
        if len(wrapped) < 1 + NONCE_SIZE + TAG_SIZE or wrapped[0] != suite:
            raise DecryptionError
        with _locked():
            objects = self._scan(root=False, epoch=epoch is not None)
            if not isinstance(kek_id, str) or kek_id in objects.retired or kek_id not in objects.keks:
                raise DecryptionError
            ad = pack(_KEK_LABEL, kek_id.encode("ascii"), associated_data)
            try:
                opened = _open(objects.keks[kek_id][0], wrapped[1 : 1 + NONCE_SIZE], wrapped[1 + NONCE_SIZE :], ad)
                if epoch is None:
                    return opened
                inner = self._epoch_key(objects, epoch, sealing=False)
                if len(opened) < NONCE_SIZE + TAG_SIZE:
                    raise DecryptionError
                return _open(inner, opened[:NONCE_SIZE], opened[NONCE_SIZE:],
                             pack(_EPOCH_LABEL, epoch.encode("ascii"), associated_data))
            except p11.PKCS11Error:
                raise DecryptionError from None

    def purpose_key(self, purpose: str) -> DataKey:
        """Return the key for `purpose`, one of PURPOSES: HMAC-SHA256 by the root inside the
        token over "ccop-cases/purpose/v1/" + purpose; stable for this token."""
        if purpose not in PURPOSES:
            raise ValueError(f"unknown key purpose {purpose!r}; expected one of {sorted(PURPOSES)}")
        with _locked():
            root_id, root = self._root(self._scan(keks=False, epoch=False))
            return DataKey(uuid.uuid5(root_id, purpose), self._hmac(root, _PURPOSE_INFO + purpose.encode("ascii")))

    def check(self) -> None:
        """Destroy what an interrupted retire or ratchet left, then check that the root signs,
        the current KEK seals and opens, and W(epoch) does too; KeyStoreError otherwise."""
        p11 = _pkcs11()
        with _locked():
            objects = self._scan()
            self._destroy_leftovers(objects)
            root_id, root = self._root(objects)
            kek_id = self._current(objects)
            duplicated = [v for v, found in objects.keks.items() if len(found) > 1 and v not in objects.retired]
            duplicated += [e for e, found in objects.epochs.items() if len(found) > 1]
            if duplicated:
                raise KeyStoreError(f"token {self.token_label!r} holds several objects for {duplicated[0]}")
            try:
                ok = len(self._hmac(root, _PURPOSE_INFO + b"canary")) == KEY_SIZE
                keys = [objects.keks[kek_id][0]]
                if objects.epoch is not None:
                    keys.append(self._epoch_key(objects, objects.epoch, sealing=True))
                for key in keys:
                    nonce, ad = new_nonce(), pack(_CHECK_LABEL, root_id.bytes)
                    ok = ok and _open(key, nonce, _seal(key, nonce, _CHECK_TEXT, ad), ad) == _CHECK_TEXT
            except (p11.PKCS11Error, DecryptionError):
                ok = False
            if not ok:
                raise KeyStoreError(f"the keys of token {self.token_label!r} fail their round trip; "
                                    "restore the token from backup")

    def add_version(self) -> str:
        """Create a new KEK in the token and make it current; return its id.

        Existing wrapped DEKs keep opening with their old version until rewrapped
        (`DataKey.rewrap`); then `retire` the old version.
        """
        with _locked():
            objects = self._scan()
            self._current(objects)
            known = set(objects.keks) | objects.retired
            new_id = f"v{max(_version_number(v) for v in known) + 1}"
            self._new_secret(KEK_LABEL, new_id.encode("ascii"), _pkcs11().KeyType.AES, encrypt=True)
        return new_id

    def retire(self, kek_id: str, *, in_use: Collection[str]) -> None:
        """Mark `kek_id` retired (a data object) and destroy its key object; refuse when it is
        current or in `in_use` (the KEK ids of every wrapped DEK the caller still stores)."""
        p11 = _pkcs11()
        with _locked():
            objects = self._scan()
            if kek_id not in objects.keks and kek_id not in objects.retired:
                raise KeyStoreError(f"unknown KEK version: {kek_id}")
            if kek_id == self._current(objects):
                raise KeyStoreError(f"{kek_id} is the current KEK; add a version first")
            if kek_id in in_use:
                raise KeyStoreError(f"{kek_id} still wraps data keys; rewrap them first")
            if kek_id not in objects.retired:
                # The mark comes first: an interruption leaves a retired version whose
                # object the next check destroys, never an active version without a key.
                template = {p11.Attribute.CLASS: p11.ObjectClass.DATA, p11.Attribute.LABEL: RETIRED_LABEL,
                            p11.Attribute.APPLICATION: "ccop-cases", p11.Attribute.VALUE: kek_id.encode("ascii"),
                            p11.Attribute.TOKEN: True, p11.Attribute.PRIVATE: True}
                try:
                    self._session().create_object(template)
                except p11.PKCS11Error as exc:
                    raise KeyStoreError(f"token {self.token_label!r} refused to mark {kek_id} retired: "
                                        f"{type(exc).__name__}") from None
            for key in objects.keks.get(kek_id, []):
                self._destroy(key, kek_id)

    def start_epochs(self, epoch: str) -> bool:
        """Create the ratchet's first secret S(`epoch`) in the token; False (nothing created,
        but what an interrupted ratchet left is destroyed) when the ratchet already exists."""
        epochs.check_epoch(epoch)
        with _locked():
            objects = self._scan()
            if objects.epochs:
                self._destroy_leftovers(objects)
                return False
            self._new_secret(EPOCH_LABEL, epoch.encode("ascii"), _pkcs11().KeyType.AES, derive=True)
            self.check()
        return True

    def ratchet(self, to: str, *, in_use: Collection[str]) -> list[str]:
        """Move the ratchet to `to`: derive S(to) in the token as a new token object, then
        destroy the earlier epoch objects; return the epochs destroyed, oldest first.
        Idempotent, and finishes an interrupted ratchet; refused, with nothing changed, while
        a data key of an epoch before `to` is still stored (`in_use`)."""
        epochs.check_epoch(to)
        p11 = _pkcs11()
        with _locked():
            objects = self._scan()
            current = objects.epoch
            if current is None:
                raise KeyStoreError(f"no epoch ratchet in token {self.token_label!r} "
                                    "(run `ccop keys init` or `ccop retention run`)")
            steps = epochs.months_between(current, to)
            oldest = min(objects.epochs)
            if steps <= 0:
                return self._destroy_leftovers(objects)
            kept = sorted(e for e in in_use if e < to)
            if kept:
                raise KeyStoreError(f"epoch {kept[0]} still seals data keys: nothing was destroyed")
            previous, temporary = self._secret(objects, epochs.add_months(to, -1))
            try:
                previous.derive_key(p11.KeyType.AES, 256, mechanism=p11.Mechanism.AES_CBC_ENCRYPT_DATA,
                                    mechanism_param=(epochs.ZERO_IV, epochs.NEXT_DATA),
                                    template=_template(p11, EPOCH_LABEL, to.encode("ascii"), p11.KeyType.AES,
                                                       derive=True))
            except p11.PKCS11Error as exc:
                raise KeyStoreError(f"token {self.token_label!r} failed to derive epoch {to}: "
                                    f"{type(exc).__name__}") from None
            finally:
                if temporary:
                    self._destroy_session_object(previous)
            for epoch in sorted(objects.epochs):
                for key in objects.epochs[epoch]:
                    self._destroy(key, epoch)
            self._connection.follow(to)
        return [epochs.add_months(oldest, n) for n in range(epochs.months_between(oldest, to))]

    def __repr__(self) -> str:
        return f"Pkcs11KeyProvider(token_label={self.token_label!r})"

    def __reduce__(self) -> NoReturn:
        raise TypeError("key providers cannot be pickled")  # they hold a logged-in session and the PIN

    # --- Inside the lock ---------------------------------------------------------------------

    def _session(self) -> Any:
        return self._connection.session()

    def _scan(self, *, keks: bool = True, root: bool = True, epoch: bool = True) -> _Objects:
        """Read the ccop-cases token objects of the kinds asked for (the others are left
        empty), so that each call sees what other processes changed. Reading the epochs
        first destroys the cached epoch keys if the ratchet moved."""
        p11 = _pkcs11()
        session, attribute = self._session(), p11.Attribute

        def grouped(label: str, object_class: Any, name: Any = attribute.ID, wanted: bool = True,
                    ) -> dict[bytes, list[Any]]:
            found: dict[bytes, list[Any]] = {}
            if not wanted:
                return found
            for obj in _find(session, {attribute.LABEL: label, attribute.CLASS: object_class, attribute.TOKEN: True}):
                found.setdefault(bytes(obj[name]), []).append(obj)
            return found

        try:
            epoch_objects = grouped(EPOCH_LABEL, p11.ObjectClass.SECRET_KEY, wanted=epoch)
            kek_objects = grouped(KEK_LABEL, p11.ObjectClass.SECRET_KEY, wanted=keks)
            # A data object has no CKA_ID: a retired mark names its version in CKA_VALUE.
            retired = grouped(RETIRED_LABEL, p11.ObjectClass.DATA, attribute.VALUE, wanted=keks)
            roots = grouped(ROOT_LABEL, p11.ObjectClass.SECRET_KEY, wanted=root)
        except p11.PKCS11Error as exc:
            raise KeyStoreError(f"cannot read the objects of token {self.token_label!r}: "
                                f"{type(exc).__name__}") from None
        try:
            kek_ids = {k.decode("ascii"): v for k, v in kek_objects.items()}
            retired_ids = frozenset(k.decode("ascii") for k in retired)
            epoch_ids = {epochs.check_epoch(k.decode("ascii")): v for k, v in epoch_objects.items()}
        except (UnicodeDecodeError, ValueError):
            raise KeyStoreError(f"token {self.token_label!r} holds a ccop-cases object with a malformed id") from None
        if not all(_VERSION_ID.fullmatch(v) for v in [*kek_ids, *retired_ids]):
            raise KeyStoreError(f"token {self.token_label!r} holds a KEK with a malformed version id")
        root_list = [(root_id, obj) for root_id, objs in roots.items() for obj in objs]
        objects = _Objects(kek_ids, retired_ids, root_list, epoch_ids)
        if epoch:
            self._connection.follow(objects.epoch)
        return objects

    def _current(self, objects: _Objects) -> str:
        current = objects.current
        if current is None:
            raise KeyStoreError(f"token {self.token_label!r} holds no active KEK "
                                f"(objects labelled {KEK_LABEL!r}); restore it from backup")
        return current

    def _root(self, objects: _Objects) -> tuple[uuid.UUID, TokenKey]:
        if len(objects.roots) != 1 or len(objects.roots[0][0]) != 16:
            state = "no" if not objects.roots else "a malformed or duplicated"
            raise KeyStoreError(f"token {self.token_label!r} holds {state} purpose-key root "
                                f"(object labelled {ROOT_LABEL!r}); restore it from backup")
        root_id, root = objects.roots[0]
        return uuid.UUID(bytes=root_id), root

    def _hmac(self, root: TokenKey, message: bytes) -> bytes:
        p11 = _pkcs11()
        try:
            return bytes(root.sign(message, mechanism=p11.Mechanism.SHA256_HMAC))
        except p11.PKCS11Error as exc:
            raise KeyStoreError(f"token {self.token_label!r} failed to compute an HMAC: "
                                f"{type(exc).__name__}") from None

    def _secret(self, objects: _Objects, epoch: str) -> tuple[TokenKey, bool]:
        """S(epoch) for epoch >= the ratchet's: the token object, a cached session object, or
        one derived from the nearest of them (each step `AES_CBC_ENCRYPT_DATA` over NEXT_DATA,
        zero IV); True when the caller must destroy it after use. Only every
        SECRET_CHECKPOINT-th month's secret is kept as a session object, so a worker's session
        holds about one object per epoch it opened (its W), not two: every `C_FindObjects`
        walks them all."""
        current = objects.epoch
        assert current is not None and epoch >= current  # noqa: S101 -- callers checked both
        if epoch == current:
            return objects.epochs[current][0], False
        cached = self._connection.secrets.get(epoch)
        if cached is not None:
            return cached, False
        start = max((e for e in self._connection.secrets if e < epoch), default=current)
        base = self._connection.secrets[start] if start != current else objects.epochs[current][0]
        p11 = _pkcs11()
        kept = True  # the starting point is the token's object or a checkpoint
        for n in range(1, epochs.months_between(start, epoch) + 1):
            name = epochs.add_months(start, n)
            derived = base.derive_key(p11.KeyType.AES, 256, mechanism=p11.Mechanism.AES_CBC_ENCRYPT_DATA,
                                      mechanism_param=(epochs.ZERO_IV, epochs.NEXT_DATA),
                                      template=_template(p11, _SESSION_SECRET_LABEL, name.encode("ascii"),
                                                         p11.KeyType.AES, derive=True, token=False))
            if not kept:
                self._destroy_session_object(base)
            base, kept = derived, epochs.months_between(current, name) % SECRET_CHECKPOINT == 0
            if kept:
                self._connection.secrets[name] = base
        return base, not kept

    def _epoch_key(self, objects: _Objects, epoch: str, *, sealing: bool) -> TokenKey:
        """W(epoch), derived in the token; a destroyed or underived epoch fails as
        DecryptionError when opening and KeyStoreError when sealing (as FileKeyProvider)."""
        cached = self._connection.wrap_keys.get(epoch)
        if cached is not None:
            return cached
        current = objects.epoch
        steps = -1 if current is None else epochs.months_between(current, epochs.check_epoch(epoch))
        if current is None or not 0 <= steps <= MAX_EPOCHS_AHEAD:
            if not sealing:
                raise DecryptionError
            if current is None:
                raise KeyStoreError(f"no epoch ratchet in token {self.token_label!r} "
                                    "(run `ccop keys init` or `ccop retention run`)")
            raise KeyStoreError(f"epoch {epoch} is destroyed or too far ahead of {current}")
        p11 = _pkcs11()
        secret, temporary = self._secret(objects, epoch)
        key = secret.derive_key(
            p11.KeyType.AES, 256, mechanism=p11.Mechanism.AES_CBC_ENCRYPT_DATA,
            mechanism_param=(epochs.ZERO_IV, epochs.WRAP_DATA),
            template=_template(p11, _SESSION_WRAP_LABEL, epoch.encode("ascii"), p11.KeyType.AES,
                               encrypt=True, token=False))
        if temporary:
            self._destroy_session_object(secret)
        self._connection.wrap_keys[epoch] = key
        return key

    @staticmethod
    def _destroy_session_object(key: TokenKey) -> None:
        p11 = _pkcs11()
        with suppress(p11.PKCS11Error):  # a session object: it goes with the session anyway
            key.destroy()

    def _new_secret(self, label: str, id_: bytes, key_type: Any, *, encrypt: bool = False, sign: bool = False,
                    derive: bool = False) -> None:
        """Generate a 256-bit key in the token, or import one from the test seam."""
        p11 = _pkcs11()
        template = _template(p11, label, id_, key_type, encrypt=encrypt, sign=sign, derive=derive)
        session = self._session()
        try:
            if _key_source is None:
                mechanism = p11.Mechanism.AES_KEY_GEN if key_type == p11.KeyType.AES else \
                    p11.Mechanism.GENERIC_SECRET_KEY_GEN
                session.generate_key(key_type, 256, mechanism=mechanism, template=template)
            else:
                value = _key_source(KEY_SIZE)
                if len(value) != KEY_SIZE:
                    raise RuntimeError("key source returned the wrong number of bytes")
                session.create_object({**template, p11.Attribute.VALUE: value})
        except p11.PKCS11Error as exc:
            raise KeyStoreError(f"token {self.token_label!r} refused to create a {label!r} object: "
                                f"{type(exc).__name__}") from None

    def _destroy(self, obj: Any, name: str) -> None:
        p11 = _pkcs11()
        try:
            obj.destroy()
        except p11.PKCS11Error as exc:
            raise KeyStoreError(f"token {self.token_label!r} refused to destroy {name}: {type(exc).__name__}") from None

    def _destroy_leftovers(self, objects: _Objects) -> list[str]:
        """Destroy the objects of retired versions and of epochs before the latest (what an
        interrupted retire or ratchet left); return those epochs, oldest first."""
        for kek_id in sorted(objects.retired & set(objects.keks)):
            for key in objects.keks[kek_id]:
                self._destroy(key, kek_id)
        gone = sorted(e for e in objects.epochs if e != objects.epoch)
        for epoch in gone:
            for key in objects.epochs[epoch]:
                self._destroy(key, epoch)
        if not gone:
            return []
        assert objects.epoch is not None  # noqa: S101 -- gone holds epochs before it
        return [epochs.add_months(gone[0], n) for n in range(epochs.months_between(gone[0], objects.epoch))]


def _template(p11: ModuleType, label: str, id_: bytes, key_type: Any, *, encrypt: bool = False,
              sign: bool = False, derive: bool = False, token: bool = True) -> dict[Any, Any]:
    """A secret key's attributes: never extractable, and only the capabilities it needs."""
    attribute = p11.Attribute
    return {
        attribute.CLASS: p11.ObjectClass.SECRET_KEY, attribute.KEY_TYPE: key_type,
        attribute.LABEL: label, attribute.ID: id_,
        attribute.TOKEN: token, attribute.PRIVATE: True, attribute.SENSITIVE: True, attribute.EXTRACTABLE: False,
        attribute.ENCRYPT: encrypt, attribute.DECRYPT: encrypt, attribute.SIGN: sign, attribute.VERIFY: False,
        attribute.WRAP: False, attribute.UNWRAP: False, attribute.DERIVE: derive,
    }


def _find(session: Any, template: dict[Any, Any]) -> list[Any]:
    return list(session.get_objects(template))


def _seal(key: TokenKey, nonce: bytes, plaintext: bytes, ad: bytes) -> bytes:
    p11 = _pkcs11()
    from pkcs11.mechanisms import GCMParams

    return bytes(key.encrypt(plaintext, mechanism=p11.Mechanism.AES_GCM,
                             mechanism_param=GCMParams(nonce, ad, TAG_SIZE * 8)))


def _open(key: TokenKey, nonce: bytes, sealed: bytes, ad: bytes) -> bytes:
    p11 = _pkcs11()
    from pkcs11.mechanisms import GCMParams

    if len(sealed) < TAG_SIZE:
        raise DecryptionError
    return bytes(key.decrypt(sealed, mechanism=p11.Mechanism.AES_GCM,
                             mechanism_param=GCMParams(nonce, ad, TAG_SIZE * 8)))
