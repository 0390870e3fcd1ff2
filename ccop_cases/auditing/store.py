"""The trail's SQL store and the auditor services call to append events in the caller's transaction."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any

from sqlalchemy import Select, Uuid, bindparam, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from audit import AuditLog, Checkpoint, Event, Record
from audit.events import entry_parts, format_ts
from audit.log import BuildRecord
from audit.verify_audit_export import GENESIS
from ccop_cases.auditing.catalogue import ACTIONS, READ_ACTIONS
from ccop_cases.auditing.chains import chain_of, council_of, name_of
from ccop_cases.auditing.models import AuditCheckpoint, AuditEntry, AuditHead


class SqlAuditStore:
    """``audit.AuditStore`` of one chain on the caller's SQLAlchemy session (same transaction
    as the change).

    ``append_next`` locks the chain's head row: ``SELECT … FOR UPDATE`` on PostgreSQL, so
    appends to different chains never wait for each other; on SQLite every transaction
    already began with ``BEGIN IMMEDIATE`` (see ``db.py``: one writer at a time). A chain's
    first append creates its head at the genesis. The append runs on every audited request,
    so its statements are built once and executed on the session's connection (no ORM unit
    of work).
    """

    _HEAD = (select(AuditHead.seq, AuditHead.hash, AuditHead.ts, AuditHead.write_seq)
             .where(AuditHead.chain == bindparam("chain")).with_for_update())
    _ENTRY = insert(AuditEntry)
    _ADVANCE = (update(AuditHead).where(AuditHead.chain == bindparam("head_chain"))
                .values(seq=bindparam("new_seq"), hash=bindparam("new_hash"), ts=bindparam("new_ts"),
                        write_seq=bindparam("new_write_seq")))
    _GENESIS: Mapping[str, object] = MappingProxyType({"seq": 0, "hash": GENESIS, "ts": "", "write_seq": 0})
    _APPEND_READ = func.audit_append_read(
        bindparam("audit_chain", type_=Uuid()), bindparam("audit_mark"), bindparam("audit_ts"),
        bindparam("audit_before_prev"), bindparam("audit_before_seq"), bindparam("audit_before_ts"),
        bindparam("audit_after_ts"), bindparam("audit_action"), bindparam("audit_actor_id"))

    def __init__(self, session: Session, chain: uuid.UUID) -> None:
        self.session = session
        self.chain = chain

    def append_next(self, build: BuildRecord) -> Record:
        connection = self.session.connection()
        head = connection.execute(self._HEAD, {"chain": self.chain}).one_or_none()
        if head is None:  # the chain's first entry: its head starts at the genesis
            start = (pg_insert if connection.dialect.name == "postgresql" else sqlite_insert)(AuditHead)
            connection.execute(start.on_conflict_do_nothing(), {"chain": self.chain, **self._GENESIS})
            head = connection.execute(self._HEAD, {"chain": self.chain}).one()
        record = build(head.seq + 1, head.hash, head.ts)
        entry = json.loads(record.body or b"{}")
        connection.execute(self._ENTRY, {"chain": self.chain, "seq": record.seq, "ts": record.ts,
                                         "prev": record.prev, "hash": record.hash, "body": record.body,
                                         "action": entry["action"], "actor_id": entry["actor"]["id"]})
        write_seq = head.write_seq if entry["action"] in READ_ACTIONS else record.seq
        connection.execute(self._ADVANCE, {"head_chain": self.chain, "new_seq": record.seq, "new_hash": record.hash,
                                           "new_ts": record.ts, "new_write_seq": write_seq})
        return record

    def append_read(self, event: Event, ts: str, mark: int, facts: Select[Any],
                    params: Mapping[str, Any]) -> int | None:
        """PostgreSQL: append a read's entry in one statement, on a connection in autocommit
        (durable when it returns), if ``facts`` (what the decision read, compared with the
        values it read) still returns its row, and then, under the chain's head lock
        (migration 0013's ``audit_append_read``), if no entry but reads was appended to the
        chain since ``mark``. Returns the entry's seq, or None when nothing was appended
        (the caller then decides again the ordinary way)."""
        if self.session.in_transaction():
            raise RuntimeError("append_read commits on its own: end the session's transaction first")
        before_prev, before_seq, before_ts, after_ts = entry_parts(event, chain=name_of(self.chain))
        statement = _appending_read(facts)
        connection = self.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        seq: int | None = connection.execute(statement, {
            **params, "audit_chain": self.chain, "audit_mark": mark, "audit_ts": ts,
            "audit_before_prev": before_prev.decode(), "audit_before_seq": before_seq.decode(),
            "audit_before_ts": before_ts.decode(), "audit_after_ts": after_ts.decode(),
            "audit_action": event.action, "audit_actor_id": event.actor_id}).scalar()
        return seq

    def records(self, from_seq: int = 1) -> Iterator[Record]:
        # Keyset pages: no cursor stays open when a caller stops early (an export's end).
        while True:
            rows = self.session.execute(
                select(AuditEntry.seq, AuditEntry.ts, AuditEntry.prev, AuditEntry.hash, AuditEntry.body)
                .where(AuditEntry.chain == self.chain, AuditEntry.seq >= from_seq)
                .order_by(AuditEntry.seq).limit(2000)).all()
            yield from (Record(*row) for row in rows)
            if len(rows) < 2000:
                return
            from_seq = rows[-1].seq + 1

    def prune(self, before_ts: str) -> int:
        result = self.session.execute(
            update(AuditEntry).where(AuditEntry.chain == self.chain, AuditEntry.ts < before_ts,
                                     AuditEntry.body.is_not(None))
            .values(body=None).execution_options(synchronize_session=False))
        return int(result.rowcount)  # type: ignore[attr-defined]

    def add_checkpoint(self, checkpoint: Checkpoint) -> None:
        self.session.add(AuditCheckpoint(chain=self.chain, size=checkpoint.size, head=checkpoint.head,
                                         ts=checkpoint.ts, key_id=checkpoint.key_id,
                                         signature=checkpoint.signature,
                                         version="1" if checkpoint.chain is None else "2"))
        self.session.flush()

    def checkpoints(self) -> Iterator[Checkpoint]:
        # Version 1: signed before chains, over the platform chain's history (names no chain).
        name = name_of(self.chain)
        for row in self.session.scalars(select(AuditCheckpoint).where(AuditCheckpoint.chain == self.chain)
                                        .order_by(AuditCheckpoint.size)):
            yield Checkpoint(size=row.size, head=row.head, ts=row.ts, key_id=row.key_id, signature=row.signature,
                             chain=None if row.version == "1" else name)


_APPENDING: dict[int, tuple[Select[Any], Select[Any]]] = {}


def _appending_read(facts: Select[Any]) -> Select[Any]:
    """The one statement, built once per ``facts`` query (the access layer's are built once):
    a statement object SQLAlchemy has seen is not keyed and compiled again."""
    known = _APPENDING.get(id(facts))
    if known is None or known[0] is not facts:
        known = (facts, select(SqlAuditStore._APPEND_READ).select_from(facts.subquery()))
        _APPENDING[id(facts)] = known
    return known[1]


@dataclass
class Auditor:
    """Appends events for one actor (a person, a job, or anonymous) to the caller's transaction,
    each on its chain: the unit's council's (``council``, set by ``Work.in_council``), else
    that of the council its target belongs to, else the platform's (``chains``)."""

    session: Session
    clock: Callable[[], datetime]
    actor_id: str
    actor_role: str
    request_id: str | None = None
    council: uuid.UUID | None = None
    _logs: dict[uuid.UUID, AuditLog] = field(default_factory=dict, repr=False)
    _held: tuple[object, uuid.UUID] | None = field(default=None, repr=False)  # (transaction, council)

    def record(self, action: str, target_type: str, target_id: object = "", *,
               outcome: str = "success", rule: str | None = None, **details: object) -> None:
        event = self.event(action, target_type, target_id, outcome=outcome, rule=rule, details=details)
        self.log(self.chain_for(target_type, event.target_id)).append(event)

    def event(self, action: str, target_type: str, target_id: object = "", *,
              outcome: str = "success", rule: str | None = None, details: Mapping[str, object]) -> Event:
        if action not in ACTIONS:
            raise ValueError(f"undeclared audit action {action!r}: add it to auditing.ACTIONS")
        return Event(action=action, actor_id=self.actor_id, actor_role=self.actor_role,
                     target_type=target_type, target_id=str(target_id), outcome=outcome,
                     rule=rule, request=self.request_id, details={k: str(v) for k, v in details.items()})

    def chain_for(self, target_type: str, target_id: str) -> uuid.UUID:
        """The unit's council's chain; else the chain of the council the target belongs to;
        else, once this transaction has appended to a council's chain, that one (so that no
        transaction takes a council's head and then the platform's: two units could then
        wait for each other); else the platform's."""
        if self.council is not None:
            return chain_of(self.council)
        council = council_of(self.session, target_type, target_id)
        transaction = self.session.get_transaction()
        if council is not None:
            self._held = (transaction, council)
        elif self._held is not None and self._held[0] is transaction:
            council = self._held[1]
        return chain_of(council)

    def log(self, chain: uuid.UUID) -> AuditLog:
        """The chain's log on this unit's session."""
        if chain not in self._logs:
            self._logs[chain] = AuditLog(SqlAuditStore(self.session, chain), clock=self.clock,
                                         chain=name_of(chain))
        return self._logs[chain]

    def reading(self, council: uuid.UUID, mark: int, facts: Select[Any], params: Mapping[str, Any]) -> ReadAuditor:
        """The auditor of a read-only view's one entry, appended in one statement
        (``SqlAuditStore.append_read``) to ``council``'s chain, whose ``write_seq`` was
        ``mark`` when the decision read ``facts``, if what it read is unchanged."""
        return ReadAuditor(self.session, self.clock, self.actor_id, self.actor_role, self.request_id, council,
                           mark=mark, facts=facts, params=params)


@dataclass
class ReadAuditor(Auditor):
    """Appends the one read entry of a read-only view; ``appended`` says whether it did (no:
    what the decision read changed, and it must be taken again)."""

    mark: int = 0
    facts: Select[Any] | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    appended: bool = False

    def record(self, action: str, target_type: str, target_id: object = "", *,
               outcome: str = "success", rule: str | None = None, **details: object) -> None:
        if action not in READ_ACTIONS or outcome != "success" or self.appended or self.facts is None:
            raise ValueError(f"{action!r}: a read appends one read entry (auditing.READ_ACTIONS)")
        assert self.council is not None  # noqa: S101 - ``reading`` names the decision's council
        event = self.event(action, target_type, target_id, details=details)
        store = SqlAuditStore(self.session, chain_of(self.council))
        self.appended = store.append_read(event, format_ts(self.clock()), self.mark, self.facts,
                                          self.params) is not None


def auditor(session: Session, clock: Callable[[], datetime], actor_id: str, actor_role: str,
            request_id: str | None = None, council: uuid.UUID | None = None) -> Auditor:
    return Auditor(session, clock, actor_id, actor_role, request_id, council)
