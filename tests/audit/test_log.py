"""The chain: seq and prev come from the head the store locked; checkpoints; retention."""

import threading
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from audit import AuditLog, MemoryStore, Record, verify_bundle
from audit.events import chain_hash, make_record
from audit.log import HEARTBEAT_ACTION, ChainBroken
from audit.verify_audit_export import GENESIS


def test_append_links_each_record_to_the_head(log, store, case_read) -> None:
    records = [log.append(case_read(n)) for n in range(1, 4)]
    assert [r.seq for r in records] == [1, 2, 3]
    assert records[0].prev == GENESIS
    assert [r.prev for r in records[1:]] == [r.hash for r in records[:-1]]
    assert all(r.hash == chain_hash(r.prev, r.body or b"") for r in records)
    assert list(store.records(2)) == records[1:]


def test_timestamps_never_go_backwards_along_the_chain(log, clock, case_read) -> None:
    first = log.append(case_read(1))
    clock.advance(seconds=-30)  # a slower clock on another worker
    second = log.append(case_read(2))
    assert second.ts == first.ts
    assert first.ts == "2026-11-26T10:15:00.000000Z"


def test_naive_clock_is_refused(store, case_read) -> None:
    log = AuditLog(store, clock=lambda: datetime(2026, 11, 26))  # naive: the point
    with pytest.raises(ValueError, match="aware"):
        log.append(case_read(1))


def test_memory_store_refuses_a_record_that_does_not_extend_the_head(store) -> None:
    def fork(seq: int, prev: bytes, prev_ts: str) -> Record:
        return Record(seq + 1, "2026-11-26T10:15:00.000000Z", prev, bytes(32), b"{}")

    with pytest.raises(ValueError, match="head"):
        store.append_next(fork)


def test_checkpoint_appends_a_heartbeat_and_signs_it(log, store, key, case_read) -> None:
    log.append(case_read(1))
    checkpoint = log.checkpoint(key)
    head = list(store.records())[-1]
    assert head.body is not None and HEARTBEAT_ACTION.encode() in head.body
    assert (checkpoint.size, checkpoint.head, checkpoint.ts) == (2, head.hash, head.ts)
    assert list(store.checkpoints()) == [checkpoint]
    assert checkpoint.verifies(key.public_key().public_bytes_raw())


def test_checkpoint_does_not_verify_under_another_key(log, key) -> None:
    checkpoint = log.checkpoint(key)
    other = Ed25519PrivateKey.generate().public_key().public_bytes_raw()
    assert not checkpoint.verifies(other)


def test_prune_keeps_hashes_and_drops_only_older_payloads(log, store, clock, fill) -> None:
    fill(1, 5)
    before = list(store.records())
    assert log.prune(clock.now - timedelta(seconds=90)) == 3
    after = list(store.records())
    assert [r.hash for r in after] == [r.hash for r in before]
    assert [r.is_stub for r in after] == [True, True, True, False, False]


def test_concurrent_appends_form_one_unbroken_chain(tmp_path, key, clock, case_read) -> None:
    store = MemoryStore()

    def work(offset: int) -> None:
        log = AuditLog(store, clock=clock)
        for n in range(50):
            log.append(case_read(offset + n))

    threads = [threading.Thread(target=work, args=(i * 100,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    AuditLog(store, clock=clock).export(tmp_path / "b", key, heartbeat_interval=timedelta(hours=1))
    report = verify_bundle(tmp_path / "b", key.public_key().public_bytes_raw())
    assert (report.status, report.entries) == ("valid", 201)


# --- item 5: nothing is signed over a chain that does not verify -------------------------------

@pytest.mark.parametrize("prev", [b"", bytes(31), bytes(33), GENESIS.hex().encode()],
                         ids=["empty", "31-bytes", "33-bytes", "hex-text"])
def test_item5_the_writer_refuses_a_prev_that_is_not_32_bytes(case_read, prev: bytes) -> None:
    with pytest.raises(ValueError, match="exactly 32 bytes"):
        make_record(case_read(1), seq=1, ts="2026-11-26T10:15:00.000000Z", prev=prev)


def test_item5_an_append_after_a_head_holding_a_short_hash_is_refused(log, store, case_read) -> None:
    log.append(case_read(1))
    store._records[-1] = replace(store._records[-1], hash=bytes(31))  # the bent head
    with pytest.raises(ValueError, match="exactly 32 bytes"):
        log.append(case_read(2))
    assert len(list(store.records())) == 1


def _change_a_body(records: list[Record]) -> None:
    records[2] = replace(records[2], body=(records[2].body or b"").replace(b"case-3", b"case-9"))


def _move_the_head_to_a_foreign_hash(records: list[Record]) -> None:
    records[-1] = replace(records[-1], hash=bytes(range(32)))


def _delete_an_entry(records: list[Record]) -> None:
    del records[2]


def _rewrite_before_the_last_checkpoint(records: list[Record]) -> None:
    """Recompute a consistent chain over a changed seq 1: only the signed head tells."""
    prev = GENESIS
    for i, record in enumerate(records):
        body = (record.body or b"").replace(b"case-1\"", b"case-0\"").replace(
            record.prev.hex().encode(), prev.hex().encode())
        records[i] = replace(record, prev=prev, body=body, hash=chain_hash(prev, body))
        prev = records[i].hash


def _rehash(records: list[Record], i: int, body: bytes) -> None:
    """A body changed and its hash recomputed, as a role that may insert entries could."""
    records[i] = replace(records[i], body=body, hash=chain_hash(records[i].prev, body))


def _append_a_non_canonical_entry(records: list[Record]) -> None:
    _rehash(records, -1, (records[-1].body or b"").replace(b'"v":"1"', b'"v": "1"'))


def _append_an_entry_of_another_seq(records: list[Record]) -> None:
    _rehash(records, -1, (records[-1].body or b"").replace(b'"seq":"7"', b'"seq":"70"'))


def _prune_an_entry_after_a_full_one(records: list[Record]) -> None:
    records[-1] = replace(records[-1], body=None)


def _date_an_entry_before_the_previous(records: list[Record]) -> None:
    _rehash(records, -1, (records[-1].body or b"").replace(records[-1].ts.encode(), b"2020-01-01T00:00:00.000000Z"))
    records[-1] = replace(records[-1], ts="2020-01-01T00:00:00.000000Z")


BENDS = [(_change_a_body, 3, "content does not match its hash"),
         (_append_a_non_canonical_entry, 7, "not an entry as FORMAT.md"),
         (_append_an_entry_of_another_seq, 7, "not an entry as FORMAT.md"),
         (_prune_an_entry_after_a_full_one, 7, "pruned while an older entry"),
         (_date_an_entry_before_the_previous, 7, "dated before the entry before it"),
         (_move_the_head_to_a_foreign_hash, 7, "content does not match its hash"),
         (_delete_an_entry, 3, "missing or out of order"),
         (_rewrite_before_the_last_checkpoint, 3, "prev is not the hash")]


@pytest.mark.parametrize(("bend", "seq", "reason"), BENDS, ids=[b[0].__name__ for b in BENDS])
def test_item5_a_checkpoint_over_a_bent_chain_is_refused_and_nothing_is_signed(
        log, store, key, fill, bend, seq: int, reason: str) -> None:
    fill(1, 1)
    log.checkpoint(key)  # size 2: the next checkpoint verifies from seq 3
    fill(3, 7)  # seq 3-7, then the bend; seq 8 is the next checkpoint's heartbeat
    bend(store._records)
    signed = list(store.checkpoints())
    with pytest.raises(ChainBroken, match=reason) as refused:
        log.checkpoint(key)
    assert refused.value.seq == seq
    assert list(store.checkpoints()) == signed


def test_item5_a_checkpoint_over_an_intact_chain_with_pruned_stubs_is_signed(log, store, key, clock,
                                                                           fill) -> None:
    fill(1, 4)
    log.checkpoint(key)
    fill(6, 8)
    log.prune(clock.now)
    assert log.checkpoint(key).size == 9
