"""Canonical encoding: one function, RFC 8785 for the values the format allows."""

import hashlib
import json

import pytest

from audit.events import encode_entry, make_record
from audit.verify_audit_export import GENESIS, canonical_json


def test_canonical_json_sorts_keys_at_every_level_without_whitespace() -> None:
    value = {"b": "1", "a": {"d": None, "c": "x"}}
    assert canonical_json(value) == b'{"a":{"c":"x","d":null},"b":"1"}'


def test_canonical_json_keeps_non_ascii_as_utf8_bytes() -> None:
    encoded = canonical_json({"k": "é€😀"})
    assert encoded == '{"k":"é€😀"}'.encode()
    assert b"\\u" not in encoded


def test_canonical_json_escapes_only_what_rfc8785_escapes() -> None:
    encoded = canonical_json({"k": '\u0001\b\t\n\f\r"\\/\u007f\u2028'})
    assert encoded == '{"k":"\\u0001\\b\\t\\n\\f\\r\\"\\\\/\u007f\u2028"}'.encode()


@pytest.mark.parametrize("value", [1, 1.5, True, False, ["a"], ("a",)])
def test_canonical_json_refuses_numbers_booleans_and_arrays(value: object) -> None:
    with pytest.raises(TypeError):
        canonical_json({"k": value})


@pytest.mark.parametrize("key", [1, "é", None])
def test_canonical_json_refuses_non_ascii_or_non_string_keys(key: object) -> None:
    with pytest.raises(TypeError):
        canonical_json({key: "v"})


def test_canonical_json_refuses_lone_surrogates() -> None:
    with pytest.raises(ValueError, match="surrogate"):
        canonical_json({"k": "\ud800"})


def test_canonical_json_refuses_deep_nesting() -> None:
    value: dict[str, object] = {}
    for _ in range(9):
        value = {"k": value}
    with pytest.raises(TypeError, match="deep"):
        canonical_json(value)


def test_entry_carries_numbers_as_strings_and_all_fields(case_read) -> None:
    body = encode_entry(case_read(7), seq=42, ts="2026-11-26T10:15:00.123456Z", prev=GENESIS)
    entry = json.loads(body)
    assert entry["seq"] == "42" and entry["v"] == "1"
    assert set(entry) == {"v", "seq", "ts", "actor", "action", "target", "outcome", "rule",
                          "request", "details", "prev"}
    assert entry["rule"] is None and entry["prev"] == "00" * 32
    assert body == canonical_json(entry)


def test_genesis_entry_hash_is_sha256_of_32_zero_bytes_then_entry(case_read) -> None:
    record = make_record(case_read(1), seq=1, ts="2026-11-26T10:15:00.000000Z", prev=GENESIS)
    assert record.prev == bytes(32)
    assert record.body is not None
    assert record.hash == hashlib.sha256(bytes(32) + record.body).digest()


def test_format_md_worked_examples_are_what_the_code_produces() -> None:
    from pathlib import Path

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    import audit
    from audit import Checkpoint, Event
    from audit.bundle import checkpoint_line

    doc = (Path(audit.__file__).parent / "FORMAT.md").read_text(encoding="utf-8")
    first_event = Event(action="case.read", actor_id="7f9c2ba4-e88f-4d2a-9a3b-0c5e1d2f3a4b",
                        actor_role="coordonnateur", target_type="case",
                        target_id="0b8e5a1c-3d4f-4e6a-8b9c-1d2e3f4a5b6c",
                        request="r-5f1c2e", details={"case_ref": "S-2026-0042"})
    first = make_record(first_event, seq=1, ts="2026-11-26T10:15:00.123456Z", prev=GENESIS)
    second = make_record(Event(action="case.read", actor_id="5d2a", actor_role="member",
                               target_type="case", target_id="0b8e5a1c-3d4f-4e6a-8b9c-1d2e3f4a5b6c",
                               outcome="denied", rule="R3", request="r-5f1c2f"),
                         seq=2, ts="2026-11-26T10:16:02.000001Z", prev=first.hash)
    council = make_record(first_event, seq=1, ts=first.ts, prev=GENESIS,
                          chain="4b1e7c52-0d3a-4f8e-9a61-2c7d5e8f9a10")
    key = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    checkpoint = Checkpoint.sign(key, size=2, head=second.hash, ts=second.ts)
    council_checkpoint = Checkpoint.sign(key, size=1, head=council.hash, ts=council.ts,
                                         chain="4b1e7c52-0d3a-4f8e-9a61-2c7d5e8f9a10")
    for record in (first, second, council):
        assert record.body is not None
        assert f"{record.body.decode()}\nhash = {record.hash.hex()}" in doc
    assert checkpoint_line(checkpoint).decode() in doc
    assert checkpoint_line(council_checkpoint).decode() in doc
