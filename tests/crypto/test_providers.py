"""One suite for every key provider (`file`, `pkcs11` on SoftHSMv2), then what only the
token provider has: known answers against the file provider, attributes, seams, forks."""

from __future__ import annotations

import hmac
import json
import os
import pickle
import sys
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from hashlib import sha256
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from crypto import (
    DataKey,
    DecryptionError,
    FileKeyProvider,
    KeyStoreError,
    ManagedKeyProvider,
    Pkcs11KeyProvider,
    epochs,
    filestore,
    pkcs11store,
)
from crypto.packing import pack
from crypto.testing import key_values, recording_key_source

PURPOSES = tuple(sorted(filestore.PURPOSES))
EPOCH = "2026-12"
UNIT = uuid.UUID("6f1c2a52-3c07-4a44-9d4e-1f0a5e8a9b10")


@dataclass
class Backend:
    """A provider kind: how to create, reopen and damage its store."""

    name: str
    init: Callable[..., ManagedKeyProvider]
    open: Callable[[], ManagedKeyProvider]
    remove: Callable[[str], None]  # "kek" (v1) or "root": destroy that key material


def _raw_session(module: str, label: str) -> Any:
    """A second session on the token; it shares the provider's login (PKCS#11 logs in per
    application), so it sees the private objects, and closing it logs nothing out."""
    import pkcs11

    return pkcs11.lib(module).get_token(token_label=label).open(rw=True)


def _token_objects(module: str, token_label: str, /, **attrs: Any) -> list[Any]:
    """The token's objects matching `attrs` (e.g. label=…), through a raw session left open
    so they can still be read or destroyed (the next re-initialisation closes it)."""
    import pkcs11

    session = _raw_session(module, token_label)
    template = {getattr(pkcs11.Attribute, name.upper().removeprefix("OBJECT_")): value for name, value in attrs.items()}
    return list(session.get_objects(template))


def _file_backend(key_dir: Path) -> Backend:
    def remove(what: str) -> None:
        (key_dir / {"kek": "kek-v1.key", "root": "root.key"}[what]).unlink()

    return Backend("file", lambda epoch=None: FileKeyProvider.init(key_dir, epoch=epoch),
                   lambda: FileKeyProvider.open(key_dir), remove)


def _pkcs11_backend(module: str, label: str, pin: str) -> Backend:
    def remove(what: str) -> None:
        labels = {"kek": pkcs11store.KEK_LABEL, "root": pkcs11store.ROOT_LABEL}
        for obj in _token_objects(module, label, label=labels[what]):
            obj.destroy()

    return Backend("pkcs11", lambda epoch=None: Pkcs11KeyProvider.init(module, label, pin, epoch=epoch),
                   lambda: Pkcs11KeyProvider.open(module, label, pin), remove)


@pytest.fixture(params=["file", "pkcs11"])
def backend(request: pytest.FixtureRequest, key_dir: Path) -> Backend:
    if request.param == "file":
        return _file_backend(key_dir)
    module, label, pin = request.getfixturevalue("softhsm")
    return _pkcs11_backend(module, label, pin)


def _wrap(provider: ManagedKeyProvider, dek: DataKey, epoch: str | None = None) -> tuple[str, bytes]:
    return dek.wrap(provider, unit_id=UNIT, epoch=epoch)


def _opens(provider: ManagedKeyProvider, kek_id: str, wrapped: bytes, dek: DataKey, epoch: str | None = None) -> bool:
    try:
        return DataKey.unwrap(provider, kek_id, wrapped, unit_id=UNIT, epoch=epoch).secret_bytes() == dek.secret_bytes()
    except DecryptionError:
        return False


# --- The shared suite -------------------------------------------------------------------------


@pytest.mark.parametrize("epoch", [None, EPOCH, "2027-05", epochs.add_months(EPOCH, 600)])
def test_wrap_unwrap_round_trip(backend: Backend, dek: DataKey, epoch: str | None) -> None:
    provider = backend.init(epoch=EPOCH)
    kek_id, wrapped = _wrap(provider, dek, epoch)
    assert kek_id == provider.current_key_id == "v1"
    assert len(wrapped) == (78 if epoch is None else 106)
    assert _opens(provider, kek_id, wrapped, dek, epoch)
    assert _opens(backend.open(), kek_id, wrapped, dek, epoch)


def test_provider_outputs_have_the_file_layout(backend: Backend) -> None:
    provider = backend.init(epoch=EPOCH)
    _, plain = provider.wrap(bytes(32), associated_data=b"ad")
    _, sealed = provider.wrap(bytes(32), associated_data=b"ad", epoch=EPOCH)
    assert (plain[0], len(plain)) == (0x01, 1 + 12 + 32 + 16)
    assert (sealed[0], len(sealed)) == (0x02, 1 + 12 + (12 + 32 + 16) + 16)


def test_unwrap_refuses_wrong_kek_epoch_associated_data_or_bytes(backend: Backend) -> None:
    provider = backend.init(epoch=EPOCH)
    provider.add_version()
    dek = os.urandom(32)
    for epoch in (None, "2027-01"):
        kek_id, wrapped = provider.wrap(dek, associated_data=b"unit-1", epoch=epoch)
        assert provider.unwrap(kek_id, wrapped, associated_data=b"unit-1", epoch=epoch) == dek
        altered = [bytes([*wrapped[:i], wrapped[i] ^ 0x01, *wrapped[i + 1:]]) for i in range(len(wrapped))]
        attempts: list[tuple[str, bytes, bytes, str | None]] = [
            ("v1", wrapped, b"unit-1", epoch),  # another (existing) version
            ("v9", wrapped, b"unit-1", epoch),  # unknown version
            (kek_id, wrapped, b"unit-2", epoch),
            (kek_id, wrapped, b"unit-1", "2027-02" if epoch else EPOCH),
            (kek_id, wrapped[:-1], b"unit-1", epoch),
            *((kek_id, value, b"unit-1", epoch) for value in altered),
        ]
        if epoch is not None:
            attempts.append((kek_id, wrapped, b"unit-1", None))
        for attempt_kek, value, ad, attempt_epoch in attempts:
            with pytest.raises(DecryptionError):
                provider.unwrap(attempt_kek, value, associated_data=ad, epoch=attempt_epoch)


def test_epoch_before_the_ratchet_or_too_far_ahead_is_refused(backend: Backend) -> None:
    provider = backend.init(epoch=EPOCH)
    for epoch in ("2026-11", epochs.add_months(EPOCH, 601)):
        with pytest.raises(KeyStoreError):
            provider.wrap(os.urandom(32), associated_data=b"", epoch=epoch)
    kek_id, wrapped = provider.wrap(os.urandom(32), associated_data=b"", epoch=EPOCH)
    with pytest.raises(DecryptionError):
        provider.unwrap(kek_id, wrapped, associated_data=b"", epoch="2026-11")


def test_wrap_with_an_epoch_before_start_epochs(backend: Backend) -> None:
    provider = backend.init()
    assert provider.epoch is None
    with pytest.raises(KeyStoreError, match="no epoch ratchet"):
        provider.wrap(os.urandom(32), associated_data=b"", epoch=EPOCH)
    kek_id, wrapped = provider.wrap(os.urandom(32), associated_data=b"")
    with pytest.raises(DecryptionError):
        provider.unwrap(kek_id, b"\x02" + wrapped[1:], associated_data=b"", epoch=EPOCH)
    with pytest.raises(KeyStoreError, match="no epoch ratchet"):
        provider.ratchet("2027-01", in_use=())


def test_start_epochs_is_idempotent(backend: Backend, dek: DataKey) -> None:
    provider = backend.init()
    assert provider.start_epochs(EPOCH) is True
    kek_id, wrapped = _wrap(provider, dek, "2027-01")
    assert provider.start_epochs("2027-06") is False
    assert provider.epoch == EPOCH
    assert _opens(backend.open(), kek_id, wrapped, dek, "2027-01")


def test_ratchet_refuses_while_an_earlier_epoch_is_in_use_and_changes_nothing(backend: Backend, dek: DataKey) -> None:
    provider = backend.init(epoch=EPOCH)
    kek_id, wrapped = _wrap(provider, dek, EPOCH)
    with pytest.raises(KeyStoreError, match="2026-12 still seals data keys"):
        provider.ratchet("2027-03", in_use={EPOCH, "2027-04"})
    assert provider.epoch == EPOCH
    assert _opens(backend.open(), kek_id, wrapped, dek, EPOCH)


def test_ratchet_destroys_earlier_epochs_only_and_is_idempotent(backend: Backend, dek: DataKey) -> None:
    provider = backend.init(epoch=EPOCH)
    before = backend.open()  # opened, and epoch keys cached, before the ratchet
    early, later = _wrap(provider, dek, EPOCH), _wrap(provider, dek, "2027-04")
    assert _opens(before, *early, dek, EPOCH) and _opens(before, *later, dek, "2027-04")
    assert provider.ratchet("2027-03", in_use={"2027-04", "2027-03"}) == ["2026-12", "2027-01", "2027-02"]
    assert provider.epoch == "2027-03"
    assert provider.ratchet("2027-03", in_use=()) == []
    assert provider.ratchet("2027-01", in_use=()) == []
    for reader in (provider, before, backend.open()):
        assert not _opens(reader, *early, dek, EPOCH)
        assert _opens(reader, *later, dek, "2027-04")
        with pytest.raises(KeyStoreError):
            _wrap(reader, dek, "2027-02")
    assert _opens(provider, *_wrap(before, dek, "2027-03"), dek, "2027-03")


def test_rotation(backend: Backend, dek: DataKey) -> None:
    provider = backend.init(epoch=EPOCH)
    old = _wrap(provider, dek)
    old_epoch = _wrap(provider, dek, "2027-01")
    assert provider.add_version() == "v2"
    assert provider.current_key_id == "v2" and provider.versions == {"v1": "active", "v2": "active"}
    new = _wrap(provider, dek)
    assert new[0] == "v2"
    assert _opens(provider, *old, dek) and _opens(provider, *old_epoch, dek, "2027-01")
    with pytest.raises(KeyStoreError, match="current KEK"):
        provider.retire("v2", in_use=())
    with pytest.raises(KeyStoreError, match="still wraps"):
        provider.retire("v1", in_use={"v1"})
    with pytest.raises(KeyStoreError, match="unknown KEK version"):
        provider.retire("v7", in_use=())
    assert _opens(provider, *old, dek)
    rewrapped = DataKey.rewrap(provider, *old, unit_id=UNIT)
    provider.retire("v1", in_use={rewrapped[0]})
    provider.retire("v1", in_use=())  # again: nothing left to do
    for reader in (provider, backend.open()):
        assert reader.versions == {"v1": "retired", "v2": "active"}
        assert not _opens(reader, *old, dek) and not _opens(reader, *old_epoch, dek, "2027-01")
        assert _opens(reader, *rewrapped, dek) and _opens(reader, *new, dek)
    assert provider.add_version() == "v3"


def test_purpose_keys(backend: Backend) -> None:
    provider = backend.init()
    keys = {p: provider.purpose_key(p) for p in PURPOSES}
    assert len({k.secret_bytes() for k in keys.values()}) == len({k.key_id for k in keys.values()}) == len(PURPOSES)
    provider.add_version()
    again = backend.open()
    assert {p: again.purpose_key(p).secret_bytes() for p in PURPOSES} == {p: k.secret_bytes() for p, k in keys.items()}
    assert {p: again.purpose_key(p).key_id for p in PURPOSES} == {p: k.key_id for p, k in keys.items()}
    with pytest.raises(ValueError, match="unknown key purpose"):
        provider.purpose_key("flask-secret-key")


def test_init_refuses_an_existing_store(backend: Backend) -> None:
    provider = backend.init(epoch=EPOCH)
    before = provider.purpose_key("session").secret_bytes(), provider.versions, provider.epoch
    with pytest.raises(KeyStoreError, match="refusing to overwrite"):
        backend.init()
    reopened = backend.open()
    assert (reopened.purpose_key("session").secret_bytes(), reopened.versions, reopened.epoch) == before


@pytest.mark.parametrize("what", ["kek", "root"])
def test_check_fails_on_missing_key_material(backend: Backend, what: str) -> None:
    provider = backend.init(epoch=EPOCH)
    provider.check()
    backend.remove(what)
    with pytest.raises(KeyStoreError):
        provider.check()
    with pytest.raises(KeyStoreError):
        backend.open()


def test_provider_refuses_pickling_and_its_repr_names_only_the_store(backend: Backend) -> None:
    provider = backend.init()
    with pytest.raises(TypeError):
        pickle.dumps(provider)
    assert repr(provider).startswith(f"{type(provider).__name__}(")


# --- The token provider only --------------------------------------------------------------------


@pytest.fixture
def token(softhsm: tuple[str, str, str]) -> tuple[str, str, str]:
    return softhsm


def _file_store(directory: Path, *, kek: bytes, root: bytes, root_id: uuid.UUID, epoch: str, secret: bytes,
                ) -> FileKeyProvider:
    """A key directory written by hand with the given key bytes (FORMAT.md, "Key directory")."""
    directory.mkdir(mode=0o700)
    for name, data in {"kek-v1.key": kek, "root.key": root,
                       "manifest.json": json.dumps({"format": 1, "root_id": str(root_id), "current": "v1",
                                                    "versions": {"v1": "active"}}).encode(),
                       "epoch.json": filestore._epoch_doc(root_id, epoch, secret)}.items():
        fd = os.open(directory / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
    FileKeyProvider(directory, filestore._load(directory))._write_canary()
    return FileKeyProvider.open(directory)


def _root_id(module: str, label: str) -> uuid.UUID:
    import pkcs11

    (root,) = _token_objects(module, label, label=pkcs11store.ROOT_LABEL)
    return uuid.UUID(bytes=bytes(root[pkcs11.Attribute.ID]))


def test_known_answers_against_the_file_provider(token: tuple[str, str, str], tmp_path: Path) -> None:
    values: list[bytes] = []
    with key_values(recording_key_source(values)):
        hsm = Pkcs11KeyProvider.init(*token, epoch=EPOCH)
    kek, root, secret = values
    root_id = _root_id(token[0], token[1])
    files = _file_store(tmp_path / "keys", kek=kek, root=root, root_id=root_id, epoch=EPOCH, secret=secret)
    dek = DataKey.generate()
    for epoch in (None, EPOCH, "2027-09"):
        assert _opens(files, *_wrap(hsm, dek, epoch), dek, epoch)
        assert _opens(hsm, *_wrap(files, dek, epoch), dek, epoch)
    # W(E) in the token is epochs.wrap_key of the NEXT_DATA chain: open both layers by hand.
    ad = b"known answer"
    _, sealed = hsm.wrap(dek.secret_bytes(), associated_data=ad, epoch="2027-02")
    inner = AESGCM(kek).decrypt(sealed[1:13], sealed[13:], pack(b"ccop-cases/kek-wrap/v1", b"v1", ad))
    chain = epochs.next_secret(epochs.next_secret(secret))
    opened = AESGCM(epochs.wrap_key(chain)).decrypt(inner[:12], inner[12:],
                                                    pack(b"ccop-cases/epoch-wrap/v1", b"2027-02", ad))
    assert opened == dek.secret_bytes()
    # Purpose keys: HMAC-SHA256 by the root over the label, id uuid5(root id, purpose).
    for purpose in PURPOSES:
        key = hsm.purpose_key(purpose)
        assert key.secret_bytes() == hmac.new(root, b"ccop-cases/purpose/v1/" + purpose.encode(), sha256).digest()
        assert key.key_id == uuid.uuid5(root_id, purpose) == files.purpose_key(purpose).key_id
    # After a ratchet the token holds S(2027-02), the chain's value: the file provider agrees.
    hsm.ratchet("2027-02", in_use=())
    moved = _file_store(tmp_path / "moved", kek=kek, root=root, root_id=root_id, epoch="2027-02", secret=chain)
    assert _opens(moved, *_wrap(hsm, dek, "2027-05"), dek, "2027-05")


def test_token_objects_are_sensitive_unextractable_with_only_their_capabilities(token: tuple[str, str, str]) -> None:
    import pkcs11
    from pkcs11 import Attribute

    provider = Pkcs11KeyProvider.init(*token, epoch=EPOCH)
    provider.add_version()
    provider.wrap(os.urandom(32), associated_data=b"", epoch="2027-12")  # session objects too (a checkpoint)
    expected = {pkcs11store.KEK_LABEL: {Attribute.ENCRYPT, Attribute.DECRYPT},
                pkcs11store.ROOT_LABEL: {Attribute.SIGN},
                pkcs11store.EPOCH_LABEL: {Attribute.DERIVE},
                "ccop-cases epoch secret (session)": {Attribute.DERIVE},
                "ccop-cases epoch wrap key (session)": {Attribute.ENCRYPT, Attribute.DECRYPT}}
    seen: dict[str, int] = {}
    capabilities = (Attribute.ENCRYPT, Attribute.DECRYPT, Attribute.SIGN, Attribute.VERIFY, Attribute.WRAP,
                    Attribute.UNWRAP, Attribute.DERIVE)
    for obj in _token_objects(token[0], token[1], object_class=pkcs11.ObjectClass.SECRET_KEY):
        label = obj[Attribute.LABEL]
        seen[label] = seen.get(label, 0) + 1
        assert obj[Attribute.TOKEN] == ("session" not in label)
        assert obj[Attribute.SENSITIVE] and obj[Attribute.PRIVATE] and not obj[Attribute.EXTRACTABLE]
        assert {a for a in capabilities if obj[a]} == expected[label]
        with pytest.raises(pkcs11.exceptions.AttributeSensitive):
            obj[Attribute.VALUE]
    assert seen == {pkcs11store.KEK_LABEL: 2, pkcs11store.ROOT_LABEL: 1, pkcs11store.EPOCH_LABEL: 1,
                    "ccop-cases epoch secret (session)": 1, "ccop-cases epoch wrap key (session)": 2}


def test_no_key_value_appears_in_outputs_reprs_or_messages(token: tuple[str, str, str]) -> None:
    module, label, pin = token
    values: list[bytes] = []
    with key_values(recording_key_source(values)):
        provider = Pkcs11KeyProvider.init(module, label, pin)
        provider.add_version()
        provider.start_epochs(EPOCH)
    assert len(values) == 4
    dek = DataKey.generate()
    texts: list[bytes] = []
    for epoch in (None, EPOCH, "2027-01"):
        kek_id, wrapped = _wrap(provider, dek, epoch)
        texts += [wrapped, kek_id.encode()]
    texts += [repr(provider).encode(), repr(dek).encode(), repr(provider.versions).encode()]
    texts += [provider.purpose_key(p).secret_bytes() for p in PURPOSES]
    failures: list[Callable[[], object]] = [
        lambda: provider.retire("v2", in_use=()),
        lambda: provider.retire("v1", in_use={"v1"}),
        lambda: provider.ratchet("2027-02", in_use={EPOCH}),
        lambda: provider.wrap(b"k" * 32, associated_data=b"", epoch="2020-01"),
        lambda: provider.unwrap("v1", b"\x01" + bytes(60), associated_data=b""),
        lambda: Pkcs11KeyProvider.open(module, label, "not the pin"),
        lambda: Pkcs11KeyProvider.open(module, "no such token", pin),
        lambda: Pkcs11KeyProvider.init(module, label, pin),
    ]
    for failure in failures:
        with pytest.raises((KeyStoreError, DecryptionError)) as caught:
            failure()
        texts.append(str(caught.value).encode())
        texts.append(repr(caught.value).encode())
        assert "not the pin" not in str(caught.value) and pin not in str(caught.value)
    blob = b"\n".join(texts)
    for value in values:
        assert value not in blob and value.hex().encode() not in blob


def test_open_refuses_a_bad_module_unknown_token_or_wrong_pin(token: tuple[str, str, str], tmp_path: Path) -> None:
    module, label, pin = token
    Pkcs11KeyProvider.init(module, label, pin)
    with pytest.raises(KeyStoreError, match="PKCS#11 module not found"):
        Pkcs11KeyProvider.open(str(tmp_path / "nothing.so"), label, pin)
    with pytest.raises(KeyStoreError, match="no token labelled 'ccop-absent'"):
        Pkcs11KeyProvider.open(module, "ccop-absent", pin)
    with pytest.raises(KeyStoreError, match="another PIN"):
        Pkcs11KeyProvider.open(module, label, "0000")


def test_wrong_pin_is_refused_without_naming_it(softhsm_dir: Path) -> None:
    from crypto.testing import softhsm_token

    module, label, _ = softhsm_token(softhsm_dir)
    with pytest.raises(KeyStoreError, match="PIN was refused") as caught:
        Pkcs11KeyProvider.open(module, label, "9999-wrong")
    assert "9999" not in str(caught.value)


def test_missing_python_pkcs11_is_a_key_store_error(token: tuple[str, str, str], monkeypatch: pytest.MonkeyPatch,
                                                    ) -> None:
    monkeypatch.setitem(sys.modules, "pkcs11", None)  # import pkcs11 now raises ImportError
    with pytest.raises(KeyStoreError, match="python-pkcs11 is not installed"):
        Pkcs11KeyProvider.init(*token)


def test_an_interrupted_ratchet_leaves_an_older_epoch_that_is_refused_then_destroyed(
        token: tuple[str, str, str]) -> None:
    import pkcs11

    module, label, pin = token
    provider = Pkcs11KeyProvider.init(module, label, pin, epoch="2027-02")
    session = _raw_session(module, label)
    try:  # what a crash between creating S(2027-02) and destroying S(2026-12) leaves
        session.create_object(pkcs11store._template(pkcs11, pkcs11store.EPOCH_LABEL, b"2026-12", pkcs11.KeyType.AES,
                                                     derive=True) | {pkcs11.Attribute.VALUE: os.urandom(32)})
    finally:
        session.close()
    assert provider.epoch == "2027-02"
    with pytest.raises(KeyStoreError):
        provider.wrap(os.urandom(32), associated_data=b"", epoch="2026-12")
    assert provider.ratchet("2027-02", in_use=()) == ["2026-12", "2027-01"]
    assert [o[pkcs11.Attribute.ID] for o in _token_objects(module, label, label=pkcs11store.EPOCH_LABEL)] == [
        b"2027-02"]
    assert provider.ratchet("2027-02", in_use=()) == []


def test_an_interrupted_retire_is_finished_by_check(token: tuple[str, str, str], dek: DataKey) -> None:
    import pkcs11

    module, label, pin = token
    provider = Pkcs11KeyProvider.init(module, label, pin)
    old = _wrap(provider, dek)
    provider.add_version()
    session = _raw_session(module, label)
    try:  # the retired mark written, the key object not yet destroyed
        session.create_object({pkcs11.Attribute.CLASS: pkcs11.ObjectClass.DATA, pkcs11.Attribute.TOKEN: True,
                               pkcs11.Attribute.PRIVATE: True, pkcs11.Attribute.LABEL: pkcs11store.RETIRED_LABEL,
                               pkcs11.Attribute.VALUE: b"v1"})
    finally:
        session.close()
    assert provider.versions == {"v1": "retired", "v2": "active"}
    assert not _opens(provider, *old, dek)
    provider.check()
    assert [o[pkcs11.Attribute.ID] for o in _token_objects(module, label, label=pkcs11store.KEK_LABEL)] == [b"v2"]


def _session_objects(module: str, label: str) -> int:
    import pkcs11

    return len(list(_token_objects(module, label, object_class=pkcs11.ObjectClass.SECRET_KEY, token=False)))


def _in_child(work: Callable[[], bytes]) -> bytes:
    """Run `work` in a forked child; return what it returned (or raise what it raised)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover -- the child
        os.close(read)
        try:
            out = b"ok:" + work()
        except BaseException as exc:  # reported to the parent
            out = b"error:" + repr(exc).encode()
        os.write(write, out)
        os._exit(0)
    os.close(write)
    chunks = []
    while chunk := os.read(read, 65536):
        chunks.append(chunk)
    os.close(read)
    os.waitpid(pid, 0)
    result = b"".join(chunks)
    assert result.startswith(b"ok:"), result
    return result[3:]


def test_a_forked_worker_reopens_the_token_and_agrees_with_its_parent(token: tuple[str, str, str]) -> None:
    provider = Pkcs11KeyProvider.init(*token, epoch=EPOCH)
    dek = DataKey.generate()
    parent = _wrap(provider, dek, "2027-01")

    def child() -> bytes:
        assert _opens(provider, *parent, dek, "2027-01")
        kek_id, wrapped = _wrap(provider, dek, "2027-02")
        return kek_id.encode() + b"|" + wrapped

    kek_id, wrapped = _in_child(child).split(b"|", 1)
    assert _opens(provider, kek_id.decode(), wrapped, dek, "2027-02")
    assert _opens(provider, *parent, dek, "2027-01")


def test_a_ratchet_in_another_process_empties_the_cache(token: tuple[str, str, str]) -> None:
    module, label, _ = token
    provider = Pkcs11KeyProvider.init(*token, epoch=EPOCH)
    dek = DataKey.generate()
    early, later = _wrap(provider, dek, "2027-01"), _wrap(provider, dek, "2027-06")
    assert _session_objects(module, label) == 3  # W(2026-12) (init's check), W(2027-01), W(2027-06): no S kept
    _wrap(provider, dek, "2027-12")
    assert _session_objects(module, label) == 5  # and S(2027-12), a checkpoint twelve months on, with W(2027-12)

    def child() -> bytes:
        return ",".join(provider.ratchet("2027-02", in_use=())).encode()

    assert _in_child(child) == b"2026-12,2027-01"
    assert provider.epoch == "2027-02"
    assert _session_objects(module, label) == 0
    assert not _opens(provider, *early, dek, "2027-01")
    assert _opens(provider, *later, dek, "2027-06")


def test_threads_share_the_token(token: tuple[str, str, str]) -> None:
    provider = Pkcs11KeyProvider.init(*token, epoch=EPOCH)
    errors: list[BaseException] = []
    lock = threading.Lock()

    def work(n: int) -> None:
        try:
            dek = DataKey.generate()
            for i in range(20):
                epoch = epochs.add_months(EPOCH, (n + i) % 7)
                assert _opens(provider, *_wrap(provider, dek, epoch), dek, epoch)
                assert provider.purpose_key("session").key_id
        except BaseException as exc:  # collected for the assertion below
            with lock:
                errors.append(exc)

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(work, range(8)))
    assert errors == []
