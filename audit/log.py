"""The hash chain: storage protocol, in-memory store, signed checkpoints and the log."""

import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from itertools import islice, takewhile
from pathlib import Path
from typing import Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from audit.bundle import write_bundle
from audit.events import (
    Checkpoint,
    Event,
    Record,
    chain_hash,
    format_ts,
    make_record,
    version_fields,
)
from audit.verify_audit_export import GENESIS, chain_admits, entry_conforms

HEARTBEAT_ACTION = "audit.heartbeat"

#: Called by a store under its lock with (seq to assign, previous hash, previous ts);
#: GENESIS and "" for the first entry. Returns the record to insert.
BuildRecord = Callable[[int, bytes, str], Record]


class ChainBroken(ValueError):
    """The stored chain does not verify up to the head: nothing may be signed over it.

    `seq` is the first bad seq; `kind` one of CHAIN_PROBLEMS (callers translate it).
    """

    def __init__(self, seq: int, kind: str) -> None:
        super().__init__(f"audit chain broken at seq {seq}: {CHAIN_PROBLEMS[kind]}")
        self.seq, self.kind = seq, kind


CHAIN_PROBLEMS = {
    "missing": "missing or out of order",
    "link": "prev is not the hash of the entry before (or of the last checkpoint's head)",
    "hash": "content does not match its hash",
    "head": "the head is not the last stored entry",
    "format": "not an entry as FORMAT.md §3 defines it (grammar, canonical form, its own seq, "
              "prev, ts, chain)",
    "stub": "pruned while an older entry keeps its content (only the oldest entries are pruned)",
    "ts": "dated before the entry before it",
}


class AuditStore(Protocol):
    """Where the chain lives. The app implements it on SQLAlchemy; MemoryStore for tests.

    One store holds one chain (FORMAT.md §11): its records and its checkpoints, seq from 1;
    the platform chain's store also holds the version-1 history before its version-2 records.

    `append_next` is the only write path and owns the locking: it must read the head
    (seq, hash, ts of the last record) *under the lock* (PostgreSQL `SELECT … FOR UPDATE`
    on a one-row head table, SQLite `BEGIN IMMEDIATE`), call `build` once with
    (head seq + 1, head hash, head ts) — or (1, GENESIS, "") when empty —, insert the
    returned record, move the head to it and return it; the lock lasts until the
    surrounding transaction ends. Unique constraints on seq and prev make a locking bug an
    error rather than a fork. There is deliberately no unlocked `head()` to build from.
    """

    def append_next(self, build: BuildRecord) -> Record: ...

    def records(self, from_seq: int = 1) -> Iterator[Record]:
        """Records with seq >= from_seq, in seq order (stubs with body None)."""
        ...

    def prune(self, before_ts: str) -> int:
        """Set body to None on records with ts < before_ts (and a body); return how many.

        AuditLog keeps ts non-decreasing along seq, so the pruned records are a prefix.
        """
        ...

    def add_checkpoint(self, checkpoint: Checkpoint) -> None: ...

    def checkpoints(self) -> Iterator[Checkpoint]:
        """Stored checkpoints in increasing size."""
        ...


class MemoryStore:
    """AuditStore in a list, for tests and benchmarks: thread-safe, not durable."""

    def __init__(self) -> None:
        self._records: list[Record] = []
        self._checkpoints: list[Checkpoint] = []
        self._lock = threading.Lock()

    def append_next(self, build: BuildRecord) -> Record:
        with self._lock:
            head = self._records[-1] if self._records else None
            seq, prev = (head.seq + 1, head.hash) if head else (1, GENESIS)
            record = build(seq, prev, head.ts if head else "")
            if record.seq != seq or record.prev != prev:  # what unique constraints catch
                raise ValueError("record does not extend the head")
            self._records.append(record)
            return record

    def records(self, from_seq: int = 1) -> Iterator[Record]:
        return islice(self._records, max(from_seq - 1, 0), None)

    def prune(self, before_ts: str) -> int:
        with self._lock:
            old = [i for i, r in enumerate(self._records) if r.ts < before_ts and r.body]
            for i in old:
                self._records[i] = replace(self._records[i], body=None)
            return len(old)

    def add_checkpoint(self, checkpoint: Checkpoint) -> None:
        self._checkpoints.append(checkpoint)

    def checkpoints(self) -> Iterator[Checkpoint]:
        return iter(sorted(self._checkpoints, key=lambda c: c.size))


def _utc_now() -> datetime:
    return datetime.now(UTC)


class AuditLog:
    """Appends events to the chain held by an AuditStore and signs checkpoints.

    With `chain` (FORMAT.md: `platform` or a council's id), entries, checkpoints and exports
    are of format version 2 and name it; the store holds that chain alone. Without, version
    1: the single chain of before. The platform chain continues that single chain: its
    version-1 records are its history.
    Guarantees: each record extends the head the store locked (seq + 1, prev = head hash);
    ts never goes backwards along seq (a slow clock is raised to the head's ts);
    `checkpoint` first appends a heartbeat, so silent periods show as gaps between
    entries. Does not commit: the caller's transaction (the change being audited) does,
    and a rollback removes the entry with the change. Does not schedule heartbeats.
    Raises ValueError when `chain` is not a code (FORMAT.md §2).
    """

    def __init__(self, store: AuditStore, *, clock: Callable[[], datetime] = _utc_now,
                 chain: str | None = None) -> None:
        version_fields(chain)  # refuse a chain that is not a code now, not at the first append
        self.store = store
        self.chain = chain
        self._clock = clock

    def append(self, event: Event) -> Record:
        now = format_ts(self._clock())

        def build(seq: int, prev: bytes, prev_ts: str) -> Record:
            return make_record(event, seq=seq, ts=max(now, prev_ts), prev=prev, chain=self.chain)

        return self.store.append_next(build)

    def heartbeat(self) -> Record:
        return self.append(Event(action=HEARTBEAT_ACTION, actor_id="audit",
                                 actor_role="system", target_type="audit_log"))

    def checkpoint(self, key: Ed25519PrivateKey) -> Checkpoint:
        """Append a heartbeat, verify the chain up to it, sign (its seq, hash, ts) and store.

        Raises ChainBroken, signing nothing, when the chain from the last checkpoint this
        key signed up to the heartbeat does not verify (`verify_since_checkpoint`).
        """
        head = self.heartbeat()
        self.verify_since_checkpoint(head, key.public_key().public_bytes_raw())
        checkpoint = Checkpoint.sign(key, size=head.seq, head=head.hash, ts=head.ts,
                                     chain=self.chain)
        self.store.add_checkpoint(checkpoint)
        return checkpoint

    def verify_since_checkpoint(self, head: Record, public_key: bytes) -> None:
        """Check the stored chain from the last checkpoint signed by `public_key` to `head`.

        From that checkpoint (size S, head H; or the genesis when there is none) the records
        must be S+1, S+2, … without gap, the first linking to H and each to the hash of the
        one before, each full record's hash recomputed from its prev and body (a pruned
        stub: its link only), and the last stored record must be `head` itself (seq and
        hash): no record after it, none missing before it. Each full record must also be an
        entry the offline verifier accepts in an export of this log's chain (`entry_conforms`,
        `chain_admits`: in the platform chain, version-1 records only before the first
        version-2 one), dated no earlier than the one before, and no pruned stub may follow
        a full record: nothing is signed that the verifier would then call tampered. Only
        checkpoints of this chain count (version-1 ones too in the platform chain); a
        version-2 checkpoint sits on a version-2 entry, so no version-1 record may follow
        it. Raises ChainBroken naming the first bad seq.
        Reads only; cost: one hash and one match per record since the last checkpoint.
        """
        start = None
        for stored in reversed(list(self.store.checkpoints())):
            if (stored.size < head.seq and chain_admits(self.chain, stored.chain)
                    and stored.verifies(public_key)):
                start = stored
                break
        start_size, start_hash = (start.size, start.head) if start else (0, GENESIS)
        v2_seen = start is not None and start.chain is not None
        expected, prev, last, full_seen = start_size + 1, start_hash, None, False
        for record in self.store.records(start_size + 1):
            if record.seq != expected:
                raise ChainBroken(expected, "missing")
            if record.prev != prev:
                raise ChainBroken(record.seq, "link")
            if record.body is None:
                if full_seen:
                    raise ChainBroken(record.seq, "stub")
            elif chain_hash(record.prev, record.body) != record.hash:
                raise ChainBroken(record.seq, "hash")
            elif self.chain is not None and entry_conforms(record.body, record.seq, record.prev,
                                                           record.ts, self.chain):
                v2_seen = True
            elif not (chain_admits(self.chain, None, v2_seen=v2_seen)
                      and entry_conforms(record.body, record.seq, record.prev, record.ts)):
                raise ChainBroken(record.seq, "format")
            if last is not None and record.ts < last.ts:
                raise ChainBroken(record.seq, "ts")
            full_seen = full_seen or record.body is not None
            expected, prev, last = record.seq + 1, record.hash, record
        if last is None or (last.seq, last.hash) != (head.seq, head.hash):
            raise ChainBroken(head.seq, "head")

    def prune(self, before: datetime) -> int:
        """Drop the payload of entries older than `before`; hashes and linkage stay."""
        return self.store.prune(format_ts(before))

    def export(self, directory: str | Path, key: Ed25519PrivateKey, *,
               heartbeat_interval: timedelta, from_seq: int = 1) -> Checkpoint:
        """Checkpoint now, then write a bundle of seq from_seq..checkpoint into `directory`
        (version 2, naming the chain, when the log has one)."""
        checkpoint = self.checkpoint(key)
        records = takewhile(lambda r: r.seq <= checkpoint.size, self.store.records(from_seq))
        write_bundle(directory, records, self.store.checkpoints(), key,
                     heartbeat_interval=heartbeat_interval, created=self._clock(),
                     head_size=checkpoint.size, chain=self.chain)
        return checkpoint
