"""Format version 2: one chain per council, and the platform chain continuing version 1."""

import json
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from audit import AuditLog, Checkpoint, Event, MemoryStore, verify_bundle, write_bundle
from audit.events import checkpoint_bytes, make_record
from audit.log import ChainBroken
from audit.verify_audit_export import GENESIS, canonical_json

HEARTBEAT = timedelta(hours=1)
COUNCIL = "4b1e7c52-0d3a-4f8e-9a61-2c7d5e8f9a10"
OTHER_COUNCIL = "9c3f0a7e-5b21-4d6c-8e4f-1a2b3c4d5e6f"


def public(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes_raw()


def case_read(number: int) -> Event:
    return Event(action="case.read", actor_id=f"person-{number % 3}", actor_role="member",
                 target_type="case", target_id=f"case-{number}", request=f"req-{number}")


def fill(log: AuditLog, clock, first: int, last: int) -> None:
    """Append case reads numbered first..last, one minute apart."""
    for number in range(first, last + 1):
        clock.advance(minutes=1)
        log.append(case_read(number))


def test_a_council_log_writes_version_2_entries_and_checkpoints_naming_its_chain(
        clock, key: Ed25519PrivateKey) -> None:
    log = AuditLog(MemoryStore(), clock=clock, chain=COUNCIL)
    fill(log, clock, 1, 2)
    checkpoint = log.checkpoint(key)
    bodies = [json.loads(r.body or b"") for r in log.store.records()]
    assert [(b["v"], b["chain"]) for b in bodies] == [("2", COUNCIL)] * 3
    assert checkpoint.chain == COUNCIL and checkpoint.verifies(public(key))
    assert json.loads(checkpoint.signed_bytes()) == {
        "chain": COUNCIL, "head": checkpoint.head.hex(), "key": checkpoint.key_id, "size": "3",
        "ts": checkpoint.ts, "type": "ccop-audit-checkpoint", "v": "2"}


def test_a_checkpoint_signature_covers_its_chain(key: Ed25519PrivateKey) -> None:
    signed = Checkpoint.sign(key, size=3, head=bytes(32), ts="2026-11-26T10:15:00.000000Z",
                             chain=COUNCIL)
    assert not replace(signed, chain=OTHER_COUNCIL).verifies(public(key))
    assert not replace(signed, chain=None).verifies(public(key))
    assert checkpoint_bytes(3, bytes(32), signed.ts, signed.key_id) == canonical_json(
        {"head": "00" * 32, "key": signed.key_id, "size": "3", "ts": signed.ts,
         "type": "ccop-audit-checkpoint", "v": "1"})


def test_a_council_export_is_a_version_2_bundle_the_verifier_calls_valid_with_its_chain(
        clock, key: Ed25519PrivateKey, tmp_path: Path) -> None:
    log = AuditLog(MemoryStore(), clock=clock, chain=COUNCIL)
    fill(log, clock, 1, 4)
    first = log.checkpoint(key)
    fill(log, clock, 6, 8)
    last = log.export(tmp_path / "b", key, heartbeat_interval=HEARTBEAT)
    manifest = json.loads((tmp_path / "b" / "manifest.json").read_bytes())
    assert (manifest["v"], manifest["chain"]) == ("2", COUNCIL)
    report = verify_bundle(tmp_path / "b", public(key), pin=(first.size, first.head))
    assert (report.status, report.problems, report.chain, report.checkpoints) == (
        "valid", (), COUNCIL, 2)
    assert report.summary().startswith(
        f"VALID: 9 entries (seq 1-9, 0 pruned), 2 signed checkpoints, chain {COUNCIL}, pinned key ")
    text = (tmp_path / "b" / "VERIFY.txt").read_text(encoding="utf-8")
    assert f"Chaîne / chain: {COUNCIL}" in text
    assert f"(chaîne {COUNCIL}) : --pin {last.size}:{last.head.hex()}" in text
    assert f"(chain {COUNCIL}): --pin {last.size}:{last.head.hex()}" in text


def test_a_version_1_export_says_no_chain(export) -> None:
    manifest = json.loads((export.path / "manifest.json").read_bytes())
    assert manifest["v"] == "1" and "chain" not in manifest
    text = (export.path / "VERIFY.txt").read_text(encoding="utf-8")
    assert "Chaîne / chain" not in text and "(chain " not in text and "chaîne" not in text
    report = verify_bundle(export.path, export.public_key)
    assert report.chain is None and " chain " not in report.summary()


def platform_after_history(clock, key: Ed25519PrivateKey) -> tuple[MemoryStore, AuditLog]:
    """Seq 1-4 by the version-1 log, its checkpoint at 5; then the platform log goes on."""
    store = MemoryStore()
    history = AuditLog(store, clock=clock)
    fill(history, clock, 1, 4)
    history.checkpoint(key)
    return store, AuditLog(store, clock=clock, chain="platform")


def test_the_platform_log_continues_the_version_1_chain_and_its_export_verifies(
        clock, key: Ed25519PrivateKey, tmp_path: Path) -> None:
    store, platform = platform_after_history(clock, key)
    old_pin = next(iter(store.checkpoints()))
    fill(platform, clock, 6, 8)
    last = platform.export(tmp_path / "b", key, heartbeat_interval=HEARTBEAT)
    records = list(store.records())
    assert records[5].prev == records[4].hash  # seq 6, the first of version 2, links to seq 5
    assert [json.loads(r.body or b"")["v"] for r in records] == ["1"] * 5 + ["2"] * 4
    assert (old_pin.chain, last.chain) == (None, "platform")
    report = verify_bundle(tmp_path / "b", public(key), pin=(old_pin.size, old_pin.head))
    assert (report.status, report.problems, report.chain, report.checkpoints) == (
        "valid", (), "platform", 2)


def test_the_platform_log_verifies_its_version_1_history_before_signing(
        clock, key: Ed25519PrivateKey) -> None:
    store = MemoryStore()
    fill(AuditLog(store, clock=clock), clock, 1, 3)  # no checkpoint: verified from the genesis
    assert AuditLog(store, clock=clock, chain="platform").checkpoint(key).size == 4


def _append_raw(store: MemoryStore, clock, number: int, chain: str | None) -> None:
    """An entry of `chain` slipped into the store, linked as any other."""
    clock.advance(minutes=1)
    store.append_next(lambda seq, prev, prev_ts: make_record(
        case_read(number), seq=seq, ts=max(prev_ts, "2026-11-26T11:00:00.000000Z"), prev=prev,
        chain=chain))


@pytest.mark.parametrize(("log_chain", "slipped", "checkpoint_first"), [
    ("platform", None, False),  # version 1 after a version-2 entry
    ("platform", None, True),  # version 1 after a version-2 checkpoint
    ("platform", COUNCIL, False),
    (COUNCIL, None, False),  # no version-1 history in a council's chain
    (COUNCIL, OTHER_COUNCIL, False),
    (None, COUNCIL, False),  # a version-1 log accepts version 1 only, as before
], ids=["v1-after-v2-platform", "v1-after-v2-checkpoint", "council-in-platform",
        "v1-in-council", "other-council", "v2-in-v1-log"])
def test_the_log_refuses_to_sign_over_an_entry_of_another_chain(
        clock, key: Ed25519PrivateKey, log_chain: str | None, slipped: str | None,
        checkpoint_first: bool) -> None:
    store = MemoryStore()
    log = AuditLog(store, clock=clock, chain=log_chain)
    fill(log, clock, 1, 2)
    if checkpoint_first:
        log.checkpoint(key)
    _append_raw(store, clock, 9, slipped)
    signed = list(store.checkpoints())
    with pytest.raises(ChainBroken, match="chain") as refused:
        log.checkpoint(key)
    assert refused.value.seq == (4 if checkpoint_first else 3)
    assert list(store.checkpoints()) == signed


def test_the_log_starts_only_from_a_checkpoint_of_its_own_chain(
        clock, key: Ed25519PrivateKey) -> None:
    store = MemoryStore()
    log = AuditLog(store, clock=clock, chain=COUNCIL)
    fill(log, clock, 1, 4)
    records = store._records
    records[1] = replace(records[1], body=(records[1].body or b"").replace(b"case-2", b"case-7"))
    foreign = Checkpoint.sign(key, size=4, head=records[3].hash, ts=records[3].ts,
                              chain=OTHER_COUNCIL)  # would skip seq 1-4 if it were used
    store.add_checkpoint(foreign)
    with pytest.raises(ChainBroken, match="content does not match") as refused:
        log.checkpoint(key)
    assert refused.value.seq == 2


def test_the_writer_keeps_only_the_checkpoints_of_the_bundles_chain(
        clock, key: Ed25519PrivateKey, tmp_path: Path) -> None:
    store, platform = platform_after_history(clock, key)
    fill(platform, clock, 6, 7)
    platform.checkpoint(key)
    records, checkpoints = list(store.records()), list(store.checkpoints())
    council = [Checkpoint.sign(key, size=c.size, head=c.head, ts=c.ts, chain=COUNCIL)
               for c in checkpoints]
    written = {name: write_bundle(tmp_path / name, records, checkpoints + council, key,
                                  heartbeat_interval=timedelta(hours=1), chain=chain)
               for name, chain in (("platform", "platform"), ("council", COUNCIL), ("v1", None))}
    assert {name: m["checkpoints"] for name, m in written.items()} == {
        "platform": "2", "council": "2", "v1": "1"}


def test_a_chain_that_is_not_a_code_is_refused_by_the_log_and_the_writer(
        store: MemoryStore, key: Ed25519PrivateKey, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="chain"):
        AuditLog(store, chain="Conseil de Lyon")
    record = make_record(case_read(1), seq=1, ts="2026-11-26T10:15:00.000000Z", prev=GENESIS)
    with pytest.raises(ValueError, match="chain"):
        write_bundle(tmp_path / "b", [record], [], key, heartbeat_interval=HEARTBEAT,
                     chain="a/b")
