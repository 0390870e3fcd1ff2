"""Field values: round trip, layout, tamper modes, nonces, padding, key hygiene."""

from __future__ import annotations

import dataclasses
import pickle
import uuid
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from crypto import Context, DataKey, DecryptionError
from crypto.packing import pack
from crypto.testing import counting_nonces, nonce_source

HEADER = 1 + 16 + 12


@pytest.mark.parametrize(
    "plaintext",
    [
        b"",
        b"Dupont",
        "Ngọc Lan Nguyễn-Œuvray".encode(),
        b"\x00" * 40,
        b"\x80",
        bytes(range(256)) * 3,
    ],
    ids=["empty", "ascii", "utf8", "trailing-zeros", "marker-byte", "long"],
)
def test_decrypt_returns_exactly_what_was_encrypted(dek: DataKey, context: Context, plaintext: bytes) -> None:
    assert dek.decrypt(dek.encrypt(plaintext, context=context), context=context) == plaintext


def test_value_layout_is_suite_key_id_nonce_then_gcm_over_padded_plaintext(dek: DataKey, context: Context) -> None:
    with nonce_source(counting_nonces(7)):
        value = dek.encrypt(b"Dupont", context=context)
    nonce = (7).to_bytes(12, "big")
    ad = pack(
        b"ccop-cases/field/v1",
        b"\x01",
        dek.key_id.bytes,
        b"case_person",
        b"last_name",
        str(context.row_id).encode(),
    )
    padded = b"Dupont\x80" + bytes(25)
    expected = AESGCM(dek.secret_bytes()).encrypt(nonce, padded, ad)
    assert value == b"\x01" + dek.key_id.bytes + nonce + expected


def test_encrypt_requires_context_as_keyword(dek: DataKey, context: Context) -> None:
    with pytest.raises(TypeError):
        dek.encrypt(b"x", context)  # type: ignore[call-arg]  # the call under test is wrong
    with pytest.raises(TypeError):
        dek.encrypt(b"x")  # type: ignore[call-arg]  # the call under test is wrong


def _flip(value: bytes, index: int) -> bytes:
    out = bytearray(value)
    out[index] ^= 0x01
    return bytes(out)


def _other_row(ctx: Context) -> Context:
    return dataclasses.replace(ctx, row_id=uuid.uuid4())


Tamper = Callable[[bytes, Context], tuple[bytes, Context]]
FIELD_TAMPERS: dict[str, Tamper] = {
    "bit flip in ciphertext": lambda v, c: (_flip(v, HEADER + 3), c),
    "bit flip in tag": lambda v, c: (_flip(v, len(v) - 1), c),
    "bit flip in nonce": lambda v, c: (_flip(v, 1 + 16 + 5), c),
    "truncated by one byte": lambda v, c: (v[:-1], c),
    "truncated to the header": lambda v, c: (v[:HEADER], c),
    "empty value": lambda v, c: (b"", c),
    "bytes appended": lambda v, c: (v + b"\x00", c),
    "wrong suite byte": lambda v, c: (b"\x02" + v[1:], c),
    "unknown key id": lambda v, c: (v[:1] + uuid.uuid4().bytes + v[17:], c),
    "moved to another row": lambda v, c: (v, _other_row(c)),
    "moved to another column": lambda v, c: (v, dataclasses.replace(c, column="first_names")),
    "moved to another table": lambda v, c: (v, dataclasses.replace(c, table="legal_guardian")),
}


@pytest.mark.parametrize("tamper", FIELD_TAMPERS.values(), ids=FIELD_TAMPERS.keys())
def test_decrypt_rejects_tampered_value(dek: DataKey, context: Context, tamper: Tamper) -> None:
    value, where = tamper(dek.encrypt(b"Dupont", context=context), context)
    with pytest.raises(DecryptionError) as caught:
        dek.decrypt(value, context=where)
    assert str(caught.value) == DecryptionError.MESSAGE
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_decrypt_rejects_value_of_another_key_even_with_its_key_id(context: Context) -> None:
    first, second = DataKey.generate(), DataKey.generate()
    value = first.encrypt(b"Dupont", context=context)
    impostor = DataKey(first.key_id, second.secret_bytes())
    with pytest.raises(DecryptionError):
        impostor.decrypt(value, context=context)


def test_ten_thousand_encryptions_use_ten_thousand_distinct_nonces(dek: DataKey, context: Context) -> None:
    nonces = {dek.encrypt(b"Dupont", context=context)[17:HEADER] for _ in range(10_000)}
    assert len(nonces) == 10_000


def test_same_plaintext_encrypts_to_different_values(dek: DataKey, context: Context) -> None:
    assert dek.encrypt(b"Dupont", context=context) != dek.encrypt(b"Dupont", context=context)


def test_padding_hides_length_within_a_32_byte_bucket(dek: DataKey, context: Context) -> None:
    sizes = {len(dek.encrypt(b"x" * n, context=context)) for n in range(32)}
    assert sizes == {HEADER + 32 + 16}


@pytest.mark.parametrize(
    ("length", "padded"),
    [(0, 32), (31, 32), (32, 64), (100, 128), (255, 256), (256, 512), (700, 768), (1000, 1024)],
)
def test_padded_size_uses_32_byte_buckets_then_multiples_of_256(
    dek: DataKey, context: Context, length: int, padded: int
) -> None:
    value = dek.encrypt(b"y" * length, context=context)
    assert len(value) == HEADER + padded + 16


def test_padding_hides_length_of_long_text_within_a_256_byte_bucket(dek: DataKey, context: Context) -> None:
    sizes = {len(dek.encrypt(b"z" * n, context=context)) for n in range(256, 512)}
    assert sizes == {HEADER + 512 + 16}


def test_decrypt_rejects_bad_padding_under_a_valid_tag(dek: DataKey, context: Context) -> None:
    with nonce_source(counting_nonces()):
        good = dek.encrypt(b"", context=context)
    ad = pack(
        b"ccop-cases/field/v1",
        b"\x01",
        dek.key_id.bytes,
        b"case_person",
        b"last_name",
        str(context.row_id).encode(),
    )
    forged = good[:HEADER] + AESGCM(dek.secret_bytes()).encrypt(good[17:HEADER], bytes(32), ad)
    with pytest.raises(DecryptionError):
        dek.decrypt(forged, context=context)


def test_key_repr_shows_only_the_key_id(dek: DataKey) -> None:
    text = repr(dek) + str(dek)
    assert str(dek.key_id) in text
    secret = dek.secret_bytes()
    assert secret.hex() not in text and repr(secret) not in text


def test_key_refuses_to_be_pickled(dek: DataKey) -> None:
    with pytest.raises(TypeError):
        pickle.dumps(dek)


@pytest.mark.parametrize("secret", [b"", b"k" * 16, b"k" * 31, b"k" * 33], ids=len)
def test_data_key_refuses_secret_that_is_not_32_bytes(secret: bytes) -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        DataKey(uuid.uuid4(), secret)


@pytest.mark.parametrize(
    "fields",
    [
        ("", "last_name", "1"),
        ("case person", "last_name", "1"),
        ("case_person", "nom-de-famille", "1"),
        ("case_person", "last_name", ""),
        ("case_person", "last_name", "Jean Dupont"),
        ("case_person", "last_name", "Éloïse"),
        ("case_person", "last_name", True),
    ],
    ids=["empty table", "space", "hyphen", "empty row id", "name as row id", "accents", "bool"],
)
def test_context_refuses_names_and_ids_that_could_carry_personal_data(
    fields: tuple[str, str, object],
) -> None:
    with pytest.raises(ValueError):
        Context(*fields)  # type: ignore[arg-type]  # deliberately wrong types included


def test_context_accepts_uuid_int_and_its_string_form_alike(dek: DataKey) -> None:
    row = uuid.uuid4()
    value = dek.encrypt(b"Dupont", context=Context("case_person", "last_name", row))
    assert dek.decrypt(value, context=Context("case_person", "last_name", str(row))) == b"Dupont"
    numbered = dek.encrypt(b"Dupont", context=Context("person", "totp_secret", 42))
    assert dek.decrypt(numbered, context=Context("person", "totp_secret", "42")) == b"Dupont"


def test_pack_prefixes_each_field_with_its_length_as_four_big_endian_bytes() -> None:
    # Pinned bytes: values stored with earlier code must keep the same associated data.
    assert pack(b"ab", b"", b"c") == bytes.fromhex("00000002" "6162" "00000000" "00000001" "63")
    assert pack() == b""
