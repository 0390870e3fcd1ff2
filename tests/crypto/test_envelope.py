"""Envelope: wrapping DEKs per unit, rotation of KEK versions, crypto-shredding."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from crypto import Context, DataKey, DecryptionError, FileKeyProvider, KeyStoreError


def test_unwrap_returns_the_same_key(provider: FileKeyProvider, dek: DataKey) -> None:
    unit = uuid.uuid4()
    kek_id, wrapped = dek.wrap(provider, unit_id=unit)
    opened = DataKey.unwrap(provider, kek_id, wrapped, unit_id=unit)
    assert kek_id == provider.current_key_id == "v1"
    assert opened.key_id == dek.key_id and opened.secret_bytes() == dek.secret_bytes()


def test_wrapped_dek_does_not_contain_the_key_bytes(provider: FileKeyProvider, dek: DataKey) -> None:
    _, wrapped = dek.wrap(provider, unit_id=uuid.uuid4())
    assert dek.secret_bytes() not in wrapped


def _flip(data: bytes, index: int) -> bytes:
    out = bytearray(data)
    out[index] ^= 0x01
    return bytes(out)


class Units:
    """Two units A and B with their wrapped DEKs, and a provider with versions v1, v2."""

    def __init__(self, provider: FileKeyProvider) -> None:
        self.provider = provider
        self.a, self.b = uuid.uuid4(), uuid.uuid4()
        self.wrapped_a = DataKey.generate().wrap(provider, unit_id=self.a)
        self.wrapped_b = DataKey.generate().wrap(provider, unit_id=self.b)
        provider.add_version()


Attempt = Callable[[Units], tuple[str, bytes, uuid.UUID]]
WRAP_TAMPERS: dict[str, Attempt] = {
    "wrapped DEKs swapped between two units": lambda u: (*u.wrapped_b, u.a),
    "unwrapped under another unit id": lambda u: (*u.wrapped_a, uuid.uuid4()),
    "wrong KEK version": lambda u: ("v2", u.wrapped_a[1], u.a),
    "unknown KEK version": lambda u: ("v9", u.wrapped_a[1], u.a),
    "bit flip in sealed key": lambda u: (u.wrapped_a[0], _flip(u.wrapped_a[1], -1), u.a),
    "bit flip in KEK nonce": lambda u: (u.wrapped_a[0], _flip(u.wrapped_a[1], 20), u.a),
    "DEK id replaced": lambda u: (u.wrapped_a[0], _flip(u.wrapped_a[1], 3), u.a),
    "wrong wrap format byte": lambda u: (u.wrapped_a[0], b"\x02" + u.wrapped_a[1][1:], u.a),
    "wrong KEK suite byte": lambda u: (u.wrapped_a[0], _flip(u.wrapped_a[1], 17), u.a),
    "truncated": lambda u: (u.wrapped_a[0], u.wrapped_a[1][:-1], u.a),
    "truncated to the DEK id": lambda u: (u.wrapped_a[0], u.wrapped_a[1][:17], u.a),
}


@pytest.mark.parametrize("attempt", WRAP_TAMPERS.values(), ids=WRAP_TAMPERS.keys())
def test_unwrap_rejects_tampered_wrapped_dek(provider: FileKeyProvider, attempt: Attempt) -> None:
    units = Units(provider)
    kek_id, wrapped, unit = attempt(units)
    with pytest.raises(DecryptionError) as caught:
        DataKey.unwrap(provider, kek_id, wrapped, unit_id=unit)
    assert str(caught.value) == DecryptionError.MESSAGE


@dataclass
class Saved:
    """What the application stores for one unit: its wrapped DEK and one field value."""

    kek_id: str
    wrapped: bytes
    context: Context
    value: bytes
    secret: bytes  # kept by the test only, to compare after rotation


def _make_units(provider: FileKeyProvider, count: int) -> dict[uuid.UUID, Saved]:
    units = {}
    for _ in range(count):
        unit, dek = uuid.uuid4(), DataKey.generate()
        ctx = Context("case_person", "last_name", uuid.uuid4())
        value = dek.encrypt(f"Nom {unit}".encode(), context=ctx)
        units[unit] = Saved(*dek.wrap(provider, unit_id=unit), ctx, value, dek.secret_bytes())
    return units


def _rotate(provider: FileKeyProvider, units: dict[uuid.UUID, Saved]) -> None:
    for unit, row in units.items():
        row.kek_id, row.wrapped = DataKey.rewrap(provider, row.kek_id, row.wrapped, unit_id=unit)


def test_rotation_keeps_every_value_readable_and_ciphertexts_unchanged(
    provider: FileKeyProvider, key_dir: Path
) -> None:
    units = _make_units(provider, 20)
    values_before = {unit: row.value for unit, row in units.items()}
    assert provider.add_version() == "v2"
    _rotate(provider, units)
    provider.retire("v1", in_use={row.kek_id for row in units.values()})

    reopened = FileKeyProvider.open(key_dir)
    assert reopened.versions == {"v1": "retired", "v2": "active"}
    assert not (key_dir / "kek-v1.key").exists()
    for unit, row in units.items():
        assert row.kek_id == "v2"
        dek = DataKey.unwrap(reopened, row.kek_id, row.wrapped, unit_id=unit)
        assert dek.secret_bytes() == row.secret
        assert row.value == values_before[unit]
        assert dek.decrypt(row.value, context=row.context) == f"Nom {unit}".encode()


def test_rotation_can_resume_after_an_interruption(provider: FileKeyProvider) -> None:
    units = _make_units(provider, 6)
    provider.add_version()
    half = dict(list(units.items())[:3])
    _rotate(provider, half)
    assert {row.kek_id for row in units.values()} == {"v1", "v2"}
    _rotate(provider, {u: r for u, r in units.items() if r.kek_id != provider.current_key_id})
    assert {row.kek_id for row in units.values()} == {"v2"}


def test_retire_refuses_while_a_dek_still_uses_the_version(provider: FileKeyProvider) -> None:
    _make_units(provider, 2)
    provider.add_version()
    with pytest.raises(KeyStoreError, match="still wraps data keys"):
        provider.retire("v1", in_use={"v1"})
    assert provider.versions == {"v1": "active", "v2": "active"}


def test_retire_refuses_the_current_version(provider: FileKeyProvider) -> None:
    with pytest.raises(KeyStoreError, match="current KEK"):
        provider.retire("v1", in_use=())


def test_retire_refuses_an_unknown_version(provider: FileKeyProvider) -> None:
    with pytest.raises(KeyStoreError, match="unknown KEK version"):
        provider.retire("v7", in_use=())


def test_retired_version_no_longer_unwraps(provider: FileKeyProvider, dek: DataKey) -> None:
    unit = uuid.uuid4()
    kek_id, wrapped = dek.wrap(provider, unit_id=unit)
    provider.add_version()
    provider.retire(kek_id, in_use=())
    with pytest.raises(DecryptionError):
        DataKey.unwrap(provider, kek_id, wrapped, unit_id=unit)


def test_other_process_sees_new_version_and_retirement(key_dir: Path) -> None:
    cli = FileKeyProvider.init(key_dir)
    worker = FileKeyProvider.open(key_dir)
    unit, dek = uuid.uuid4(), DataKey.generate()
    old = dek.wrap(worker, unit_id=unit)
    cli.add_version()
    assert dek.wrap(worker, unit_id=unit)[0] == "v2"
    cli.retire("v1", in_use=())
    with pytest.raises(DecryptionError):
        DataKey.unwrap(worker, *old, unit_id=unit)


def _kek_and_root_secrets(key_dir: Path) -> list[bytes]:
    return [path.read_bytes() for path in sorted(key_dir.glob("*.key"))]


def test_shredded_unit_is_unreadable_with_every_remaining_key(provider: FileKeyProvider, key_dir: Path) -> None:
    units = _make_units(provider, 4)
    provider.add_version()
    shredded = next(iter(units))
    value, ctx = units[shredded].value, units[shredded].context
    key_id = uuid.UUID(bytes=value[1:17])
    del units[shredded]  # what a purge does: the wrapped DEK is gone

    candidates = [DataKey.unwrap(provider, r.kek_id, r.wrapped, unit_id=u).secret_bytes() for u, r in units.items()]
    candidates += _kek_and_root_secrets(key_dir)
    candidates += [provider.purpose_key(p).secret_bytes() for p in ("blind-index", "totp-secret")]
    assert len(candidates) == 3 + 3 + 2
    for secret in candidates:
        with pytest.raises(DecryptionError):
            DataKey(key_id, secret).decrypt(value, context=ctx)
